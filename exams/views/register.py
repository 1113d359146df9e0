"""HTML pages of module (e), part 2: register (to be written)."""

urlpatterns: list = []
