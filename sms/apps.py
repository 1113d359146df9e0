from django.apps import AppConfig


class SmsConfig(AppConfig):
    """The platform package itself: shared templates, static files and template tags."""

    name = "sms"
    verbose_name = "Nền tảng"
