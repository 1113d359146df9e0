from django.apps import AppConfig


class TeachersConfig(AppConfig):
    """Circular 53/2012/TT-BGDĐT, Art. 15: Quản lý giáo viên."""

    name = "teachers"
    verbose_name = "Quản lý giáo viên"
