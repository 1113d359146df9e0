"""API of module (e), part 2: graduation (to be written)."""

routes: list = []
extra_urlpatterns: list = []
