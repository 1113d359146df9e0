from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    """Circular 53/2012/TT-BGDĐT, Art. 15: Quản lý văn bản, hành chính."""

    name = "documents"
    verbose_name = "Quản lý văn bản, hành chính"
