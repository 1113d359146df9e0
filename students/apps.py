from django.apps import AppConfig


class StudentsConfig(AppConfig):
    """Circular 53/2012/TT-BGDĐT, Art. 15: Hồ sơ học sinh, kết quả học tập và rèn luyện."""

    name = "students"
    verbose_name = "Hồ sơ học sinh, kết quả học tập và rèn luyện"
