from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("memberships", views.MembershipViewSet, basename="membership")
router.register("tokens", views.ApiTokenViewSet, basename="apitoken")

urlpatterns = [path("me/", views.MeView.as_view(), name="me"), *router.urls]
