"""Routes of module (h); its landing page is the platform's generic one until its pages land."""

from django.urls import path

from sms.shell.views import ModuleIndexView

app_name = "literacy"

urlpatterns = [
    path("", ModuleIndexView.as_view(module_key="literacy"), name="index"),
]
