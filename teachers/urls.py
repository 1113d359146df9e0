"""Routes of module (b); its landing page is the platform's generic one until its pages land."""

from django.urls import path

from sms.shell.views import ModuleIndexView

app_name = "teachers"

urlpatterns = [
    path("", ModuleIndexView.as_view(module_key="teachers"), name="index"),
]
