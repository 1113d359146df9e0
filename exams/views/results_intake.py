"""HTML pages of the results intake (nhập kết quả thi) of a graduation or vocational exam.

The flow is ``sms.imports``' (upload → dry-run preview → confirm, one transaction) with the importer
``exams.results_intake.ResultsImporter``; the write is ``exams.services.graduation_thpt.record_results``, the same
service the API calls. The exam is reached through the door (another unit's exam is a 404); a person who sees it
but may not take its results in (a school's principal, the chair, a marker) gets a 403 with the reason. While the
intake is closed (another kind, the publication scheduled or done) the page says why and offers no upload.

Routes (``pk`` = the exam):

- ``exam-results-intake`` — ``ky-thi/<pk>/nhap-ket-qua/``: the upload, the preview and the confirm;
- ``exam-results-intake-template`` — ``ky-thi/<pk>/nhap-ket-qua/mau.xlsx``: the template (the numbered
  candidates, one column per subject taken in, a guide sheet).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.urls import path
from django.views import generic
from django.views.generic.detail import SingleObjectMixin

from sms.accounts.scoping import get_visible_or_404
from sms.exports import xlsx
from sms.imports import ImportFlowView
from sms.views import ScopedObjectMixin

from ..models import Exam
from ..results_intake import ResultsImporter
from ..services import graduation_thpt as services
from . import exam_page


def _exam(actor, pk) -> Exam:
    """The exam through the door (404), and only for who may take its results in (403)."""
    exam = get_visible_or_404(actor, Exam.objects.select_related("unit"), pk)
    if not services.may_take_results(actor, exam):
        raise PermissionDenied(services.MSG_NOT_TAKER)
    return exam


class ResultsIntake(ImportFlowView):
    """Nhập kết quả thi từ tệp Excel: số báo danh và điểm từng môn (V: vắng thi)."""

    model = Exam
    required_action = None
    template_name = "exams/results_intake/upload.html"
    preview_template_name = "exams/results_intake/preview.html"
    result_template_name = "exams/results_intake/result.html"
    object = None
    _importer = None

    def dispatch(self, request, *args, **kwargs):
        self.actor = request.get_actor()
        if self.actor is None:
            raise PermissionDenied("Tài khoản của bạn chưa được gán vai trò tại đơn vị nào.")
        self.object = _exam(self.actor, kwargs.get("pk"))
        return super().dispatch(request, *args, **kwargs)

    def get_importer(self):
        if self._importer is None:
            self._importer = ResultsImporter(self.actor, self.request, exam=self.object)
        return self._importer

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        importer = self.get_importer()
        context.update(
            object=self.object,
            exam=self.object,
            subjects=importer.subjects,
            marked=importer.marked,
            refusal=services.intake_refusal(self.actor, self.object),
        )
        return context


class ResultsTemplate(ScopedObjectMixin, SingleObjectMixin, generic.View):
    """Mẫu nhập kết quả thi (.xlsx): the numbered candidates and one empty column per subject taken in."""

    model = Exam
    http_method_names = ["get", "head"]

    def get(self, request, *args, **kwargs):
        exam = _exam(self.actor, kwargs.get("pk"))
        importer = ResultsImporter(self.actor, request, exam=exam)
        return xlsx.response(importer.template(), importer.template_filename)


def _shown(actor, exam) -> bool:
    return exam.kind in services.INTAKE_KINDS and services.may_take_results(actor, exam)


exam_page("Nhập kết quả thi", "exam-results-intake", _shown, order=65)

urlpatterns = [
    path("ky-thi/<int:pk>/nhap-ket-qua/", ResultsIntake.as_view(), name="exam-results-intake"),
    path("ky-thi/<int:pk>/nhap-ket-qua/mau.xlsx", ResultsTemplate.as_view(), name="exam-results-intake-template"),
]
