"""API routes of module (e), under /api/exams/: each area lists its viewsets in ``routes``
and any plain endpoints in ``extra_urlpatterns``."""

from rest_framework.routers import SimpleRouter

from . import (
    admission,
    applications,
    candidates,
    graduation,
    marking,
    register,
    register_reports,
    results_intake,
    rooms,
    setup,
)

router = SimpleRouter()
_modules = (
    setup,
    candidates,
    rooms,
    applications,
    marking,
    admission,
    results_intake,
    graduation,
    register,
    register_reports,
)
for module in _modules:
    for prefix, viewset, basename in module.routes:
        router.register(prefix, viewset, basename=basename)

urlpatterns = [*router.urls]
for module in _modules:
    urlpatterns += getattr(module, "extra_urlpatterns", [])
