"""HTML pages of module (b): assignments."""

urlpatterns: list = []
