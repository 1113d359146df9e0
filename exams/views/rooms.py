"""HTML pages of the exams module's rooms area."""

urlpatterns: list = []
