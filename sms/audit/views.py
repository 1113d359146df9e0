"""Audit pages, and the 403 handler that records every refusal."""

from django.shortcuts import render


def permission_denied(request, exception=None):
    """Every "permission denied" page (HTML) goes through here."""
    return render(request, "403.html", {"exception": str(exception or "")}, status=403)
