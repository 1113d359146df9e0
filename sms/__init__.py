"""The platform: settings, URLs and what every module shares (see ARCHITECTURE.md)."""

from .celery import app as celery_app

__all__ = ["celery_app"]
