"""Routes of module (e): the landing page and each area's pages (exams/views/*.py)."""

from django.urls import path

from sms.shell.views import ModuleIndexView

from .views import (
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

app_name = "exams"

urlpatterns = [
    path("", ModuleIndexView.as_view(module_key="exams"), name="index"),
    *setup.urlpatterns,
    *candidates.urlpatterns,
    *rooms.urlpatterns,
    *applications.urlpatterns,
    *marking.urlpatterns,
    *admission.urlpatterns,
    *results_intake.urlpatterns,
    *graduation.urlpatterns,
    *register.urlpatterns,
    *register_reports.urlpatterns,
]
