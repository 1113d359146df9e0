"""API of the exams module's applications area: viewsets in ``routes``, plain endpoints in ``extra_urlpatterns``."""

routes: list = []
extra_urlpatterns: list = []
