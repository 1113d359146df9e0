"""Routes of module (a): the landing page and each area's pages (students/views/*.py)."""

from django.urls import path

from sms.shell.views import ModuleIndexView

from .views import gradebook, records, results, workflow

app_name = "students"

urlpatterns = [
    path("", ModuleIndexView.as_view(module_key="students"), name="index"),
    *records.urlpatterns,
    *gradebook.urlpatterns,
    *workflow.urlpatterns,
    *results.urlpatterns,
]
