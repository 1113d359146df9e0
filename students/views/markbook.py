"""Pages of module (a): the class mark book (sổ theo dõi và đánh giá học sinh) — its xlsx export and
importing the same workbook back (upload → dry run → confirm, ``sms.imports.ImportFlowView``).

Routes (the class pages link here):

- ``students:markbook-export`` — ``lop/<pk>/so-theo-doi.xlsx`` (GET, download);
- ``students:markbook-import`` — ``lop/<pk>/so-theo-doi/nhap/`` (GET the upload form, POST a file for the
  dry run, POST ``confirm`` to write).

The class is reached through the door (another school's class is a 404); who may read or write the book
is checked again inside ``students.reports.markbook``.
"""

from __future__ import annotations

from django.http import Http404
from django.urls import path
from django.views import generic
from django.views.generic.detail import SingleObjectMixin

from sms.accounts.roles import LEARNER_ROLES
from sms.accounts.scoping import get_visible_or_404
from sms.exports import xlsx
from sms.imports import ImportFlowView
from sms.org.models import SchoolClass
from sms.views import ScopedObjectMixin

from ..reports import markbook as report


class MarkbookExport(ScopedObjectMixin, SingleObjectMixin, generic.View):
    """Sổ theo dõi và đánh giá học sinh của một lớp, cả năm học, dạng Excel."""

    model = SchoolClass
    http_method_names = ["get", "head"]

    def get(self, request, *args, **kwargs):
        if self.actor.role in LEARNER_ROLES:
            raise Http404("Không tìm thấy.")
        klass = self.get_object()
        data, filename = report.export_markbook(self.actor, klass, request=request)
        return xlsx.response(data, filename)


class MarkbookImport(ImportFlowView):
    """Nhập lại sổ theo dõi và đánh giá của lớp: tải tệp lên, kiểm tra thử (chưa lưu gì), xác nhận lưu."""

    model = SchoolClass
    required_action = None
    template_name = "students/markbook_import_upload.html"
    preview_template_name = "students/markbook_import_preview.html"
    result_template_name = "students/markbook_import_result.html"
    object = None

    def _reach_class(self) -> None:
        if self.actor.role in LEARNER_ROLES:
            raise Http404("Không tìm thấy.")
        self.object = get_visible_or_404(
            self.actor,
            SchoolClass.objects.select_related("school_year", "school", "homeroom_teacher"),
            self.kwargs.get("pk"),
        )
        report.check_writer(self.actor, self.object)

    def get(self, request, *args, **kwargs):
        self._reach_class()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self._reach_class()
        return super().post(request, *args, **kwargs)

    def get_importer(self):
        return report.MarkbookImporter(self.actor, self.request, school_class=self.object)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["object"] = self.object
        return context


urlpatterns = [
    path("lop/<int:pk>/so-theo-doi.xlsx", MarkbookExport.as_view(), name="markbook-export"),
    path("lop/<int:pk>/so-theo-doi/nhap/", MarkbookImport.as_view(), name="markbook-import"),
]
