from django.apps import AppConfig


class EquipmentConfig(AppConfig):
    """Circular 53/2012/TT-BGDĐT, Art. 15: Quản lý thiết bị dạy học."""

    name = "equipment"
    verbose_name = "Quản lý thiết bị dạy học"
