"""HTML pages of module (b): staff."""

urlpatterns: list = []
