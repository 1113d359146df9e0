"""HTML pages of the exams module's candidates area."""

urlpatterns: list = []
