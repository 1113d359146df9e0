from rest_framework.routers import SimpleRouter

from . import assignments, evaluation, staff

router = SimpleRouter()
for module in (staff, assignments, evaluation):
    for prefix, viewset, basename in module.routes:
        router.register(prefix, viewset, basename=basename)

urlpatterns = router.urls
