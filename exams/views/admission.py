"""HTML pages of the exams module's admission area: the admission page (quotas, cut-offs, the
round's configuration in words, the allocation), the results page (with its xlsx and the PDF
of the admitted per school), the publication page, a quota, a candidate's score, and
"Kết quả thi của tôi" for learners and their parents.

Per-exam pages take the exam's id as ``pk`` and name ``model = Exam``: the exam comes through
the door (another unit's exam is a 404), then the services decide (``exams.services.admission``,
``exams.services.publication``: the functions the API calls). No ``required_action``: the
board's chair reaches the exam by the board's grant, not by their role.
See ``/work/shared/domain/exams-diplomas.md``.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.views import generic
from django.views.generic.detail import SingleObjectMixin

from sms.accounts.roles import LEARNER_ROLES, Role
from sms.accounts.scoping import visible_to
from sms.audit.history import changes
from sms.audit.models import EventKind
from sms.audit.services import record
from sms.exports import pdf, xlsx
from sms.forms import ScopedModelForm
from sms.shell.modules import ModulePage, register_page
from sms.views import ActorMixin, ScopedDetailView, ScopedObjectMixin, ScopedUpdateView

from ..models import ORGANISERS, AdmissionStatus, BoardRole, Candidate, CandidateScore, Exam, Quota
from ..reports import results as reports
from ..selectors import board_roles
from ..services import admission as services
from ..services import publication
from . import exam_page

DATETIME_FORMATS = ["%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y", "%Y-%m-%dT%H:%M"]


def history_rows(obj, limit: int = 30) -> list[dict]:
    """The row's history, newest first, with the changed fields in words."""
    records = list(obj.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    rows = []
    for i, item in enumerate(records[:limit]):
        previous = records[i + 1] if i + 1 < len(records) else None
        rows.append(
            {
                "date": item.history_date,
                "user": item.history_user,
                "kind": {"+": "Tạo mới", "~": "Sửa", "-": "Xoá"}.get(item.history_type, item.history_type),
                "reason": item.history_change_reason or "",
                "changes": changes(item, previous) if item.history_type != "-" and previous else [],
            }
        )
    return rows


def _message(error: ValidationError) -> str:
    return " ".join(error.messages)


class ExamView(ScopedObjectMixin, SingleObjectMixin, generic.View):
    """A page about one exam, reached through the door (``pk`` = the exam)."""

    model = Exam
    admission_only = False

    def get_queryset(self):
        return super().get_queryset().select_related("unit")

    def dispatch(self, request, *args, **kwargs):
        self.actor = request.get_actor()
        if self.actor is None:
            raise PermissionDenied("Tài khoản của bạn chưa được gán vai trò tại đơn vị nào.")
        self.object = self.exam = self.get_object()
        if self.admission_only and not self.exam.is_admission:
            raise Http404("Kỳ thi này không xét tuyển theo chỉ tiêu.")
        return super(ScopedObjectMixin, self).dispatch(request, *args, **kwargs)


class ExamPost(ExamView):
    """A POST about one exam: the service decides; its refusal is a message on the page."""

    http_method_names = ["post"]
    back_name = "exams:exam-admission"

    def post(self, request, *args, **kwargs):
        try:
            text = self.act(request, self.exam)
        except ValidationError as error:
            messages.error(request, _message(error))
        else:
            messages.success(request, text)
        return redirect(reverse(self.back_name, kwargs={"pk": self.exam.pk}))


# --- the admission page ----------------------------------------------------------------------------


class QuotaSetForm(forms.Form):
    school = forms.ModelChoiceField(label="Trường", queryset=None)
    places = forms.IntegerField(label="Chỉ tiêu", min_value=0, max_value=services.MAX_PLACES)

    def __init__(self, *args, exam, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = services.eligible_schools(exam)


class ExamAdmission(ExamView, generic.TemplateView):
    """Quotas with cut-offs and admitted counts, the configuration in words, the outcome's
    distribution, and — for those who may — the quota form and the allocation button."""

    template_name = "exams/admission/exam_admission.html"
    admission_only = True
    http_method_names = ["get", "head"]

    def get_context_data(self, **kwargs):
        exam, actor = self.exam, self.actor
        roles = board_roles(actor, exam)
        organiser = services.is_organiser(actor, exam)
        sees = services.sees_outcome(actor, exam, roles)
        return super().get_context_data(
            exam=exam,
            object=exam,
            quotas=publication.quotas_for(actor, exam),
            configuration=services.configuration_in_words(exam),
            distribution=services.distribution(exam) if sees else None,
            sees_outcome=sees,
            may_set_quotas=organiser,
            may_run=organiser or BoardRole.CHAIR in roles,
            locked=services.locked_message(exam, "sửa chỉ tiêu hay chạy lại xét tuyển"),
            quota_form=QuotaSetForm(exam=exam) if organiser else None,
            state=publication.state(exam),
            **kwargs,
        )


class QuotaSet(ExamPost):
    admission_only = True

    def act(self, request, exam):
        form = QuotaSetForm(request.POST, exam=exam)
        if not form.is_valid():
            raise ValidationError([f"{form.fields[f].label}: {' '.join(e)}" for f, e in form.errors.items()])
        quota = services.set_quota(self.actor, exam, form.cleaned_data["school"], form.cleaned_data["places"])
        return f"Đã lưu chỉ tiêu của {quota.school}: {quota.places}."


class ExamAllocate(ExamPost):
    admission_only = True

    def act(self, request, exam):
        summary = services.run_allocation(self.actor, exam)
        if not services.sees_outcome(self.actor, exam):
            return f"Đã xét tuyển {summary['candidates']} thí sinh."
        return (
            f"Đã xét tuyển {summary['candidates']} thí sinh: {summary['admitted']} trúng tuyển, "
            f"{summary['direct']} tuyển thẳng, {summary['not_admitted']} không trúng tuyển, "
            f"{summary['absent']} vắng thi."
        )


# --- results ----------------------------------------------------------------------------------------


def _filters(request) -> tuple[int | None, str | None]:
    school = request.GET.get("school") or ""
    outcome = request.GET.get("outcome") or ""
    school_id = int(school) if school.isdigit() and len(school) < 19 else None
    valid = {value for value, _ in AdmissionStatus.choices}
    return school_id, (outcome if outcome in valid and outcome else None)


class ExamResults(ExamView, generic.TemplateView):
    """Candidates with their scores, admission score and outcome, as far as the door and the
    publication let the actor read them; filter by school and outcome; a page at a time (the
    shared pager, the filters kept in its links). The xlsx has every row."""

    template_name = "exams/admission/results.html"
    http_method_names = ["get", "head"]
    paginate_by = publication.RESULTS_PER_PAGE

    def get_context_data(self, **kwargs):
        school, outcome = _filters(self.request)
        results = publication.results_page(
            self.actor,
            self.exam,
            school=school,
            outcome=outcome,
            page=self.request.GET.get("page"),
            per_page=self.paginate_by,
        )
        services.explain(self.actor, self.exam, results)
        filters = self.request.GET.copy()
        filters.pop("page", None)  # the xlsx has every page
        query = filters.urlencode()
        page = results.page
        return super().get_context_data(
            exam=self.exam,
            object=self.exam,
            results=results,
            page_obj=page,
            is_paginated=page.has_other_pages(),
            school=school,
            outcome=outcome or "",
            outcomes=[(v, label) for v, label in AdmissionStatus.choices if v],
            state=publication.state(self.exam),
            query=f"?{query}" if query else "",
            **kwargs,
        )


class ExamResultsXlsx(ExamView):
    http_method_names = ["get"]

    def get(self, request, *args, **kwargs):
        school, outcome = _filters(request)
        results = publication.results_for(self.actor, self.exam, school=school, outcome=outcome)
        record(EventKind.EXPORT, request=request, actor=self.actor, obj=self.exam, detail="Kết quả thi (xlsx)")
        return xlsx.response(reports.results_xlsx(results), f"ket-qua-{self.exam.pk}.xlsx")


class ExamAdmittedPdf(ExamView):
    http_method_names = ["get"]
    admission_only = True

    def get(self, request, *args, **kwargs):
        groups = publication.admitted_by_school(self.actor, self.exam)
        quotas = publication.quotas_for(self.actor, self.exam)
        record(EventKind.EXPORT, request=request, actor=self.actor, obj=self.exam, detail="Danh sách trúng tuyển (PDF)")
        return pdf.response(reports.admitted_pdf(self.exam, groups, quotas), f"trung-tuyen-{self.exam.pk}.pdf")


# --- publication ------------------------------------------------------------------------------------


class PublicationForm(forms.Form):
    at = forms.DateTimeField(
        label="Thời điểm công bố",
        input_formats=DATETIME_FORMATS,
        required=False,
        help_text="dd/mm/yyyy hh:mm; để trống: công bố ngay.",
        widget=forms.TextInput(attrs={"placeholder": "dd/mm/yyyy hh:mm", "inputmode": "numeric"}),
    )


class ExamPublication(ExamView, generic.FormView):
    """Shows "Sẽ công bố lúc …" / "Đã công bố lúc …", what keeps the results from being
    published, and sets or cancels the moment."""

    template_name = "exams/admission/publication.html"
    form_class = PublicationForm
    http_method_names = ["get", "head", "post"]

    def get_context_data(self, **kwargs):
        exam = self.exam
        may = services.may_run(self.actor, exam)
        return super().get_context_data(
            exam=exam,
            object=exam,
            state=publication.state(exam),
            published=exam.is_published(),
            scheduled=exam.results_publish_at is not None and not exam.is_published(),
            may_publish=may,
            problems=publication.readiness(exam) if may and not exam.is_published() else [],
            **kwargs,
        )

    def form_valid(self, form):
        at = form.cleaned_data.get("at")
        if isinstance(at, dt.datetime) and timezone.is_naive(at):
            at = timezone.make_aware(at)
        try:
            exam = publication.schedule_publication(self.actor, self.exam, at)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for name, texts in error.message_dict.items():
                    for text in texts:
                        form.add_error("at" if name == "at" else None, text)
            else:
                for text in error.messages:
                    form.add_error(None, text)
            return self.form_invalid(form)
        messages.success(self.request, publication.state(exam) + ".")
        return redirect(reverse("exams:exam-publication", kwargs={"pk": exam.pk}))


class PublicationCancel(ExamPost):
    back_name = "exams:exam-publication"

    def act(self, request, exam):
        publication.cancel_publication(self.actor, exam)
        return "Đã huỷ lịch công bố kết quả."


# --- a quota, a score --------------------------------------------------------------------------------


class QuotaDetail(ScopedDetailView):
    model = Quota
    template_name = "exams/admission/quota_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("exam", "exam__unit", "school")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        quota = self.object
        sees = services.sees_outcome(self.actor, quota.exam)
        context.update(
            exam=quota.exam,
            sees_outcome=sees,
            can_change=context["can_change"] and services.locked_message(quota.exam, "x") is None,
            # cut-offs in the history are outcome too: shown with it
            history=history_rows(quota) if sees and context["can_change"] else [],
        )
        return context


class QuotaForm(ScopedModelForm):
    class Meta:
        model = Quota
        fields = ["places"]


class QuotaUpdate(ScopedUpdateView):
    """Change a quota's places through ``services.update_quota`` (locks, levels, history)."""

    model = Quota
    form_class = QuotaForm
    template_name = "exams/admission/quota_form.html"

    def form_valid(self, form):
        try:
            self.object = services.update_quota(self.actor, self.object, form.cleaned_data["places"])
        except ValidationError as error:
            for text in error.messages:
                form.add_error("places" if hasattr(error, "error_dict") else None, text)
            return self.form_invalid(form)
        messages.success(self.request, "Đã lưu chỉ tiêu.")
        return redirect(self.object.get_absolute_url())


class CandidateScoreDetail(ScopedDetailView):
    """One candidate's score in one subject, with its history (matching, appeals)."""

    model = CandidateScore
    template_name = "exams/admission/score_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("candidate", "candidate__exam", "exam_subject")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(exam=self.object.candidate.exam, history=history_rows(self.object))
        return context


# --- my results -----------------------------------------------------------------------------------------


class MyResults(ActorMixin, generic.TemplateView):
    """ "Kết quả thi của tôi": a learner's (or a parent's children's) candidacies, with scores
    and outcome once each exam's results are published."""

    template_name = "exams/admission/my_results.html"

    def get_context_data(self, **kwargs):
        actor = self.actor
        if actor.role not in LEARNER_ROLES:
            return super().get_context_data(rows=[], learner=False, **kwargs)
        candidates = list(
            visible_to(actor, Candidate)
            .filter(withdrawn=False)
            .select_related("exam", "admitted_to", "school")
            .order_by("-exam__start_year", "exam__name", "pk")
        )
        scores: dict[int, list] = {}
        for score in (
            visible_to(actor, CandidateScore)
            .filter(candidate__in=[c.pk for c in candidates])
            .select_related("exam_subject")
            .order_by("exam_subject__order", "pk")
        ):
            scores.setdefault(score.candidate_id, []).append(score)
        now = timezone.now()
        rows = [
            {
                "candidate": c,
                "exam": c.exam,
                "published": c.exam.is_published(now),
                "state": publication.state(c.exam, now),
                "scores": scores.get(c.pk, []),
            }
            for c in candidates
        ]
        return super().get_context_data(rows=rows, learner=True, **kwargs)


# --- links -------------------------------------------------------------------------------------------


def _admission_shown(actor, exam) -> bool:
    if not exam.is_admission:
        return False
    return services.may_run(actor, exam) or services.sees_outcome(actor, exam) and not exam.is_published()


def _results_shown(actor, exam) -> bool:
    if actor is None:
        return False
    if exam.is_published() and actor.role in ORGANISERS | LEARNER_ROLES:
        return True
    return bool({BoardRole.CHAIR, BoardRole.SECRETARIAT} & board_roles(actor, exam))


exam_page("Tuyển sinh, điểm chuẩn", "exam-admission", _admission_shown, order=80)
exam_page("Kết quả thi", "exam-results", _results_shown, order=85)
exam_page("Công bố kết quả", "exam-publication", services.may_run, order=90)
register_page(
    "exams",
    ModulePage(
        "Kết quả thi của tôi",
        "exams:my-results",
        frozenset({Role.STUDENT, Role.PARENT}),
        "Điểm thi và kết quả tuyển sinh của học sinh, sau khi kỳ thi công bố kết quả.",
    ),
)

urlpatterns = [
    path("ky-thi/<int:pk>/tuyen-sinh/", ExamAdmission.as_view(), name="exam-admission"),
    path("ky-thi/<int:pk>/tuyen-sinh/chi-tieu/", QuotaSet.as_view(), name="exam-quota-set"),
    path("ky-thi/<int:pk>/tuyen-sinh/xet-tuyen/", ExamAllocate.as_view(), name="exam-allocate"),
    path("ky-thi/<int:pk>/ket-qua/", ExamResults.as_view(), name="exam-results"),
    path("ky-thi/<int:pk>/ket-qua/excel/", ExamResultsXlsx.as_view(), name="exam-results-xlsx"),
    path("ky-thi/<int:pk>/ket-qua/trung-tuyen/", ExamAdmittedPdf.as_view(), name="exam-admitted-pdf"),
    path("ky-thi/<int:pk>/cong-bo/", ExamPublication.as_view(), name="exam-publication"),
    path("ky-thi/<int:pk>/cong-bo/huy/", PublicationCancel.as_view(), name="exam-publication-cancel"),
    path("chi-tieu/<int:pk>/", QuotaDetail.as_view(), name="quota-detail"),
    path("chi-tieu/<int:pk>/sua/", QuotaUpdate.as_view(), name="quota-update"),
    path("diem-thi-sinh/<int:pk>/", CandidateScoreDetail.as_view(), name="candidatescore-detail"),
    path("ket-qua-cua-toi/", MyResults.as_view(), name="my-results"),
]
