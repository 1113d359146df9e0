"""HTML pages of module (e), part 2: register_reports (to be written)."""

urlpatterns: list = []
