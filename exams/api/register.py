"""API of module (e), part 2: register (to be written)."""

routes: list = []
extra_urlpatterns: list = []
