"""HTML pages of module (e), part 2: results_intake (to be written)."""

urlpatterns: list = []
