from django.apps import AppConfig


class AccreditationConfig(AppConfig):
    """Circular 53/2012/TT-BGDĐT, Art. 15: Kiểm định chất lượng giáo dục."""

    name = "accreditation"
    verbose_name = "Kiểm định chất lượng giáo dục"
