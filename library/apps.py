from django.apps import AppConfig


class LibraryConfig(AppConfig):
    """Circular 53/2012/TT-BGDĐT, Art. 15: Thư viện điện tử."""

    name = "library"
    verbose_name = "Thư viện điện tử"
