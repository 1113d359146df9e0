from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "sms.api"
    label = "sms_api"
    verbose_name = "API"

    def ready(self) -> None:
        from . import schema  # noqa: F401  (OpenAPI extension for the token scheme)
