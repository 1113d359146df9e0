"""API of the exams module's admission area: viewsets in ``routes``, plain endpoints in ``extra_urlpatterns``."""

routes: list = []
extra_urlpatterns: list = []
