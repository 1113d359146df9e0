"""HTML pages of the applications area (staff side): an exam's online applications (filter by
status, search by name or reference), one application with its documents and review actions
(accept → candidate, ask for changes, reject), and the documents' download through the door.

The public side (form, status, result) is ``exams/portal.py``. Every write calls
``exams.services.applications``, the functions the API calls. Who reaches what is the door's
answer for ``Application`` (the exam's organisers; its board's chair and secretariat read,
the secretariat writes): another unit's application or document is a 404.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from django.views import generic

from sms.accounts.roles import LEARNER_ROLES
from sms.accounts.scoping import can, get_visible_or_404, visible_to
from sms.files.responses import file_response
from sms.views import ActorMixin, ScopedDetailView, ScopedObjectMixin

from ..models import ORGANISERS, Application, ApplicationDocument, ApplicationStatus, BoardRole, Exam
from ..selectors import board_roles
from ..services import applications as services
from . import exam_page

PAGE_SIZE = 50


def may_see_applications(actor, exam: Exam) -> bool:
    """Whom the door shows the exam's applications: its organisers (admins and Sở/Phòng staff
    of the owner's subtree) and its board's chair and secretariat."""
    if actor is None or getattr(actor, "membership", None) is None or actor.role in LEARNER_ROLES:
        return False
    if actor.role in ORGANISERS and exam.unit.path.startswith(actor.unit.path):
        return True
    return bool(board_roles(actor, exam) & {BoardRole.CHAIR, BoardRole.SECRETARIAT})


def _shown(actor, exam: Exam) -> bool:
    return exam.accepts_online and may_see_applications(actor, exam)


class ApplicationFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Trạng thái", choices=[("", "Tất cả")] + list(ApplicationStatus.choices), required=False
    )
    q = forms.CharField(label="Tìm họ tên hoặc mã hồ sơ", max_length=100, required=False)


class ExamApplications(ActorMixin, generic.ListView):
    """Hồ sơ trực tuyến of one exam (pk = the exam): newest first, by status, by name/reference;
    a row that may be the same person as another application the staff member sees is marked."""

    model = Exam
    template_name = "exams/applications/list.html"
    paginate_by = PAGE_SIZE

    def get(self, request, *args, **kwargs):
        if self.actor.role in LEARNER_ROLES:
            raise Http404("Không tìm thấy.")
        self.exam = get_visible_or_404(self.actor, Exam.objects.select_related("unit"), kwargs.get("pk"))
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        self.visible = visible_to(self.actor, Application).filter(exam=self.exam)
        self.filters = ApplicationFilterForm(self.request.GET or None)
        qs = self.visible.order_by("-submitted_at", "-pk")
        if self.filters.is_bound and self.filters.is_valid():
            data = self.filters.cleaned_data
            if data["status"]:
                qs = qs.filter(status=data["status"])
            if data["q"]:
                qs = services.search(qs, data["q"])
        return qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        counts = services.counts_by_status(self.visible)
        page = context["page_obj"].object_list
        # the page's possible duplicates among what this staff member sees (one query); each row
        # carries its own (the template cannot look a dict up by key)
        flags = services.duplicates_of(page, self.visible)
        for application in page:
            application.possible_duplicates = flags.get(application.pk, [])
        context.update(
            exam=self.exam,
            filters=self.filters,
            counts=[(label, counts[value]) for value, label in ApplicationStatus.choices],
            total=sum(counts.values()),
            window_open=self.exam.window_open(),
            flags=flags,
        )
        return context


class ApplicationDetail(ScopedDetailView):
    """One application: identity, choices, claims, documents, review actions, history, and the
    other applications (among those the staff member sees) that may be the same person."""

    model = Application
    template_name = "exams/applications/detail.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("exam__unit", "priority_claim", "bonus_claim", "candidate", "reviewed_by")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        application = self.object
        may_review = context["can_change"]
        status = application.status
        context.update(
            exam=application.exam,
            documents=list(application.documents.select_related("file").order_by("kind", "pk")),
            choices=services.choice_names(application),
            possible_duplicates=services.possible_duplicates(application, visible_to(self.actor, Application)),
            may_review=may_review,
            may_accept=may_review and status in (ApplicationStatus.SUBMITTED, ApplicationStatus.NEEDS_CHANGES),
            may_ask=may_review and status == ApplicationStatus.SUBMITTED,
            may_reject=may_review and status in (ApplicationStatus.SUBMITTED, ApplicationStatus.NEEDS_CHANGES),
            candidate_visible=application.candidate_id is not None
            and visible_to(self.actor, type(application.candidate)).filter(pk=application.candidate_id).exists(),
            history=list(
                application.history.select_related("history_user").order_by("-history_date", "-history_id")[:20]
            ),
        )
        return context


class ApplicationDocumentDownload(ScopedObjectMixin, generic.DetailView):
    """A document of an application, through the door: always an attachment, never sniffed."""

    model = ApplicationDocument
    http_method_names = ["get", "head"]

    def get_queryset(self):
        return super().get_queryset().select_related("file")

    def get(self, request, *args, **kwargs):
        document = self.get_object()
        stored = document.file
        return file_response(stored.file, stored.name, stored.content_type)


class ReviewAction(ActorMixin, generic.View):
    """POST one review action on an application (pk = the application)."""

    model = Application
    http_method_names = ["post"]
    done = ""

    def act(self, application: Application, note: str):
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        application = get_visible_or_404(self.actor, Application.objects.select_related("exam"), kwargs.get("pk"))
        if not can(self.actor, "change", application):
            messages.error(request, services.MSG_NOT_REVIEWER)
            return redirect(application.get_absolute_url())
        try:
            self.act(application, request.POST.get("note", ""))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, self.done)
        return redirect(application.get_absolute_url())


class AcceptApplication(ReviewAction):
    done = "Đã chấp nhận hồ sơ và thêm thí sinh vào danh sách của kỳ thi."

    def act(self, application, note):
        services.accept(self.actor, application, note)


class AskForChanges(ReviewAction):
    done = "Đã yêu cầu người nộp bổ sung hồ sơ."

    def act(self, application, note):
        services.needs_changes(self.actor, application, note)


class RejectApplication(ReviewAction):
    done = "Đã ghi nhận hồ sơ không hợp lệ."

    def act(self, application, note):
        services.reject(self.actor, application, note)


exam_page("Hồ sơ trực tuyến", "exam-applications", _shown, order=15)

urlpatterns = [
    path("ky-thi/<int:pk>/ho-so-truc-tuyen/", ExamApplications.as_view(), name="exam-applications"),
    path("ho-so-truc-tuyen/<int:pk>/", ApplicationDetail.as_view(), name="application-detail"),
    path("ho-so-truc-tuyen/<int:pk>/chap-nhan/", AcceptApplication.as_view(), name="application-accept"),
    path("ho-so-truc-tuyen/<int:pk>/yeu-cau-bo-sung/", AskForChanges.as_view(), name="application-needs-changes"),
    path("ho-so-truc-tuyen/<int:pk>/khong-chap-nhan/", RejectApplication.as_view(), name="application-reject"),
    path("giay-to-ho-so/<int:pk>/", ApplicationDocumentDownload.as_view(), name="applicationdocument-download"),
]
