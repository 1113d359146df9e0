from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("", views.StoredFileViewSet, basename="storedfile")

urlpatterns = router.urls
