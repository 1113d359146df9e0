"""Routes of module (b): the landing page and each area's pages (teachers/views/*.py)."""

from django.urls import path

from sms.shell.views import ModuleIndexView

from .views import assignments, evaluation, staff

app_name = "teachers"

urlpatterns = [
    path("", ModuleIndexView.as_view(module_key="teachers"), name="index"),
    *staff.urlpatterns,
    *assignments.urlpatterns,
    *evaluation.urlpatterns,
]
