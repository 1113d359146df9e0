"""API of module (b): assignments. `routes`: (prefix, viewset, basename) registered by teachers/api/urls.py."""

routes: list = []
