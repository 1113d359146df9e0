"""Routes of module (a): the landing page and each area's pages (students/views/*.py)."""

from django.urls import path

from sms.shell.views import ModuleIndexView

from .views import family, gradebook, markbook, newyear, oversight, recordbook, records, results, workflow

app_name = "students"

urlpatterns = [
    path("", ModuleIndexView.as_view(module_key="students"), name="index"),
    *records.urlpatterns,
    *gradebook.urlpatterns,
    *workflow.urlpatterns,
    *results.urlpatterns,
    *markbook.urlpatterns,
    *recordbook.urlpatterns,
    *family.urlpatterns,
    *oversight.urlpatterns,
    *newyear.urlpatterns,
]
