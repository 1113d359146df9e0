"""HTML pages of the exams module's applications area."""

urlpatterns: list = []
