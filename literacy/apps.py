from django.apps import AppConfig


class LiteracyConfig(AppConfig):
    """Circular 53/2012/TT-BGDĐT, Art. 15: Phổ cập giáo dục, xoá mù chữ."""

    name = "literacy"
    verbose_name = "Phổ cập giáo dục, xoá mù chữ"
