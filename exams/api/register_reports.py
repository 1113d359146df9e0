"""API of module (e), part 2: register_reports (to be written)."""

routes: list = []
extra_urlpatterns: list = []
