"""HTML pages of the exams module's setup area."""

urlpatterns: list = []
