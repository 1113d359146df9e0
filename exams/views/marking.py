"""HTML pages of the exams module's marking area."""

urlpatterns: list = []
