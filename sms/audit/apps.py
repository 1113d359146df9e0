from django.apps import AppConfig


class AuditConfig(AppConfig):
    """Who changed what, when, from where. History of rows is django-simple-history
    (``history = HistoricalRecords()`` on a model); the user is taken from the request by
    ``simple_history.middleware.HistoryRequestMiddleware``."""

    name = "sms.audit"
    label = "audit"
    verbose_name = "Nhật ký hệ thống"
