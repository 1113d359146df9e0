from django.apps import AppConfig


class AuditConfig(AppConfig):
    """Who changed what, when, from where. History of rows is django-simple-history through
    ``sms.audit.history.AuditedHistory`` (``history = AuditedHistory()`` on a model), which
    also records the membership and client IP of each change; events that are not row
    changes (logins, refusals, reads of a person's record) are ``AuditEvent`` rows."""

    name = "sms.audit"
    label = "audit"
    verbose_name = "Nhật ký hệ thống"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
