"""HTML pages of the exams module's admission area."""

urlpatterns: list = []
