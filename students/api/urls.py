"""API routes of module (a), under /api/students/: each area lists its viewsets in ``routes``
and any plain endpoints in ``extra_urlpatterns``."""

from rest_framework.routers import SimpleRouter

from . import family, gradebook, markbook, newyear, oversight, recordbook, records, results, workflow

router = SimpleRouter()
_modules = (records, gradebook, workflow, results, markbook, recordbook, family, oversight, newyear)
for module in _modules:
    for prefix, viewset, basename in module.routes:
        router.register(prefix, viewset, basename=basename)

urlpatterns = [*router.urls]
for module in _modules:
    urlpatterns += getattr(module, "extra_urlpatterns", [])
