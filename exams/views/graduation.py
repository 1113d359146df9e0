"""HTML pages of module (e), part 2: graduation (to be written)."""

urlpatterns: list = []
