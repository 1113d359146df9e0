"""API of module (b): staff. `routes`: (prefix, viewset, basename) registered by teachers/api/urls.py."""

routes: list = []
