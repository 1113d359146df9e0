from django.apps import AppConfig


class JobsConfig(AppConfig):
    """Background jobs (Celery): queued on commit, followed and downloaded from a Job row."""

    name = "sms.jobs"
    label = "jobs"
    verbose_name = "Tác vụ nền"
