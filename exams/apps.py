from django.apps import AppConfig


class ExamsConfig(AppConfig):
    """Circular 53/2012/TT-BGDĐT, Art. 15: Quản lý thi, tuyển sinh."""

    name = "exams"
    verbose_name = "Quản lý thi, tuyển sinh"
