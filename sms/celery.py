"""The Celery app: eager on the embedded default, Redis in a deployment (see sms/settings.py).

Workers start with ``celery -A sms worker``; tasks live in each app's ``tasks.py``.
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sms.settings")

app = Celery("sms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
