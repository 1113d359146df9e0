"""API of module (b): evaluation. `routes`: (prefix, viewset, basename) registered by teachers/api/urls.py."""

routes: list = []
