"""API of module (e), part 2: results_intake (to be written)."""

routes: list = []
extra_urlpatterns: list = []
