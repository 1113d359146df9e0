"""HTML pages of module (b): evaluation."""

urlpatterns: list = []
