"""HTML pages of the graduation rounds (đợt xét công nhận tốt nghiệp): the round list, opening a round, the round's
page (summary, council and its problems, the entries with the council's exclusions, the actions each person may
take now), the council member form, the decision and "send back" forms, an entry's page with its history, the
lists as PDF and xlsx, and "Kết quả xét tốt nghiệp của tôi" for learners and their parents.

Every page reaches its rows through the door (another unit's round is a 404); every write calls
``exams.services.graduation`` — the functions the API calls — which checks who may do it and in which state.
Object routes take only ``pk`` and name their ``model``. See ``/work/shared/domain/exams-diplomas.md``.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.http import urlencode
from django.views import generic
from django.views.generic.detail import SingleObjectMixin

from sms.accounts.models import User
from sms.accounts.roles import ADMIN_ROLES, LEARNER_ROLES, OVERSIGHT_ROLES, STAFF_ROLES, Role, UnitKind
from sms.accounts.scoping import visible_to
from sms.audit.models import EventKind
from sms.audit.services import record
from sms.exports import pdf, xlsx
from sms.forms import DateInput, ScopedModelForm
from sms.shell.modules import ModulePage, register_page
from sms.text import search_key
from sms.views import (
    ActorMixin,
    ScopedCreateView,
    ScopedDetailView,
    ScopedListView,
    ScopedObjectMixin,
    ScopedUpdateView,
)

from ..filters_graduation import GraduationRoundFilter
from ..models import (
    CouncilRole,
    Exam,
    ExamKind,
    ExamSubject,
    GraduationCouncilMember,
    GraduationEntry,
    GraduationLevel,
    GraduationRound,
    RoundStatus,
)
from ..reports import graduation as reports
from ..services import graduation as services
from . import exam_page
from .setup import add_errors, history_rows

#: entries per page of the round's table (a Sở's THPT round has thousands)
ENTRIES_PER_PAGE = 100

#: what the review read, in words (the students module's codes: students.rules.Outcome and Level)
OUTCOMES = {
    "hoan_thanh": "Hoàn thành chương trình",
    "len_lop": "Được lên lớp",
    "ren_luyen_he": "Rèn luyện trong kỳ nghỉ hè",
    "kiem_tra_lai": "Kiểm tra lại",
    "o_lai": "Ở lại lớp",
}
LEVELS = {
    "tot": "Tốt",
    "kha": "Khá",
    "dat": "Đạt",
    "chua_dat": "Chưa đạt",
    "g": "Giỏi",
    "k": "Kém",
    "tb": "Trung bình",
    "y": "Yếu",
}


# --- helpers -------------------------------------------------------------------------------------------------


def _round_queryset(queryset):
    return queryset.select_related("unit", "exam__unit", "issuer__unit")


class ObjectPost(ScopedObjectMixin, SingleObjectMixin, generic.View):
    """A POST about one object seen through the door; the service decides. Its refusal for a wrong state or bad
    input is a message on the page the user comes back to; a wrong person gets the 403 page."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        obj = self.object = self.get_object()
        try:
            text = self.act(request, obj)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, text)
        return redirect(self.back(obj))

    def back(self, obj) -> str:
        return obj.get_absolute_url()


class ObjectFormView(ScopedObjectMixin, SingleObjectMixin, generic.FormView):
    """A form about one object the actor reaches through the door (``view``); the service decides the rest."""

    def dispatch(self, request, *args, **kwargs):
        self.actor = request.get_actor()
        if self.actor is None:
            raise PermissionDenied("Tài khoản của bạn chưa được gán vai trò tại đơn vị nào.")
        self.object = self.get_object()
        return super(ScopedObjectMixin, self).dispatch(request, *args, **kwargs)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


# --- forms ---------------------------------------------------------------------------------------------------


class RoundForm(ScopedModelForm):
    """Open a round: the level, the school year (THCS; default the school's current year) or the graduation exam
    (THPT)."""

    class Meta:
        model = GraduationRound
        fields = ["level", "start_year", "exam", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        actor = self.actor
        self.fields["start_year"].required = False
        self.fields["start_year"].help_text = (
            "Xét tốt nghiệp THCS: năm bắt đầu của năm học, ví dụ 2025 cho năm học 2025–2026. Để trống: năm học hiện "
            "tại của trường. Xét tốt nghiệp THPT: theo năm học của kỳ thi."
        )
        exams = self.fields["exam"]
        exams.queryset = exams.queryset.filter(kind=ExamKind.GRADUATION).select_related("unit").order_by("-start_year")
        exams.help_text = "Chỉ với xét công nhận tốt nghiệp THPT: kỳ thi tốt nghiệp đã công bố kết quả."
        at_school = actor is not None and actor.unit.kind in (UnitKind.SCHOOL, UnitKind.CENTRE)
        self.fields["level"].initial = GraduationLevel.THCS if at_school else GraduationLevel.THPT
        if at_school:
            self.fields["level"].choices = [(GraduationLevel.THCS.value, GraduationLevel.THCS.label)]
            del self.fields["exam"]


class CouncilMemberForm(ScopedModelForm):
    """A council member: name, position, role in the council, optionally the staff account of the round's unit."""

    class Meta:
        model = GraduationCouncilMember
        fields = ["full_name", "position", "role", "user", "order"]

    def __init__(self, *args, rnd, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["full_name"].required = False
        self.fields["full_name"].help_text = "Để trống khi chọn tài khoản: lấy họ tên của tài khoản."
        self.fields["order"].required = False
        self.fields["order"].help_text = "Thứ tự in trong danh sách hội đồng; để trống: xếp cuối."
        self.fields["user"].queryset = (
            User.objects.filter(
                memberships__unit_id=rnd.unit_id, memberships__is_active=True, memberships__role__in=STAFF_ROLES
            )
            .distinct()
            .order_by("sort_key", "pk")
        )
        self.fields["user"].label_from_instance = lambda u: u.full_name or u.username
        self.fields["user"].help_text = f"Không bắt buộc: tài khoản của cán bộ, giáo viên thuộc {rnd.unit.name}."

    def service_fields(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self._meta.fields}


class DecisionForm(forms.Form):
    decision_number = forms.CharField(label="Số quyết định công nhận tốt nghiệp", max_length=60)
    decision_date = forms.DateField(label="Ngày ký quyết định", widget=DateInput(), help_text="dd/mm/yyyy")
    decision_signer = forms.CharField(
        label="Người ký quyết định",
        max_length=255,
        required=False,
        help_text="Chức danh và họ tên; để trống: theo cơ quan cấp bằng đã cấu hình.",
    )


class ReturnForm(forms.Form):
    note = forms.CharField(
        label="Lý do trả lại", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), help_text="Gửi nhà trường."
    )


# --- the list and opening a round ----------------------------------------------------------------------------------


class RoundList(ScopedListView):
    """Rounds the actor sees: a school its own THCS rounds and the Sở's THPT rounds, a Phòng/Sở those of its
    subtree — all ``visible_to(actor, GraduationRound)``; filter by year, level, status, unit, exam."""

    model = GraduationRound
    filterset_class = GraduationRoundFilter
    template_name = "exams/graduation/round_list.html"

    def get_queryset(self):
        return _round_queryset(super().get_queryset())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        for rnd in context["object_list"]:
            rnd.waiting_for_me = services.actions_for(self.actor, rnd).decide
        return context


class RoundCreate(ScopedCreateView):
    model = GraduationRound
    form_class = RoundForm
    template_name = "exams/graduation/round_form.html"

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        try:
            self.object = services.create_round(
                self.actor,
                level=data["level"],
                start_year=data.get("start_year"),
                exam=data.get("exam"),
                note=data.get("note") or "",
            )
        except (ValidationError, PermissionDenied) as error:
            add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Đã mở {self.object}.")
        return redirect(self.object.get_absolute_url())


# --- the round's page --------------------------------------------------------------------------------------------


def _entry_filters(request) -> dict:
    verdict = request.GET.get("ket_qua", "")
    return {
        "ket_qua": verdict if verdict in ("cong-nhan", "khong-cong-nhan") else "",
        "q": (request.GET.get("q") or "")[:100],
    }


class RoundDetail(ScopedDetailView):
    """The round: its state, issuer, decision; summary counts; the council with what keeps it from deciding; the
    entries (a page at a time, filter by verdict and name) with the reasons and the council's exclusions; the
    actions the actor may take now; the history."""

    model = GraduationRound
    template_name = "exams/graduation/round_detail.html"

    def get_queryset(self):
        return _round_queryset(super().get_queryset())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rnd, actor = self.object, self.actor
        actions = services.actions_for(actor, rnd)
        council = services.council_of(actor, rnd)
        entries = services.entries_for(actor, rnd)
        filters = _entry_filters(self.request)
        shown = entries
        if filters["ket_qua"]:
            shown = shown.filter(recognised=filters["ket_qua"] == "cong-nhan")
        if search_key(filters["q"]):
            shown = shown.filter(search_key__contains=search_key(filters["q"]))
        page = Paginator(shown, ENTRIES_PER_PAGE).get_page(self.request.GET.get("page"))
        for entry in page.object_list:
            entry.reason_list = reports.reason_texts(entry, rnd.level)
        staff = actor.role in STAFF_ROLES
        context.update(
            actions=actions,
            council=council,
            council_problems=services.council_problems(rnd, council),
            summary=services.summary(entries),
            page=page,
            filters=filters,
            query=urlencode({k: v for k, v in filters.items() if v}),
            first_number=page.start_index(),
            thpt=rnd.level == GraduationLevel.THPT,
            decision_form=DecisionForm(initial={"decision_signer": services.default_signer(rnd)})
            if actions.decide
            else None,
            return_form=ReturnForm() if actions.send_back else None,
            history=history_rows(rnd) if staff else [],
            warnings=services.warnings(rnd) if staff else [],
        )
        return context


class RoundReview(ObjectPost):
    model = GraduationRound

    def act(self, request, rnd):
        counts = services.review(self.actor, rnd)
        for text in counts["warnings"]:
            messages.warning(request, text)
        return (
            f"Đã xét {counts['entries']} người: {counts['recognised']} được công nhận, "
            f"{counts['not_recognised']} không được công nhận (thêm {counts['added']}, cập nhật {counts['updated']}, "
            f"bỏ {counts['removed']})."
        )


class RoundPropose(ObjectPost):
    model = GraduationRound

    def act(self, request, rnd):
        services.propose(self.actor, rnd)
        return "Đã trình công nhận tốt nghiệp; danh sách không sửa được nữa cho đến khi được trả lại."


class RoundDecide(ObjectFormView):
    """ "Công nhận": the decision's number, date and signer (the decider of the round)."""

    model = GraduationRound
    form_class = DecisionForm
    template_name = "exams/graduation/decide.html"

    def get_queryset(self):
        return _round_queryset(super().get_queryset())

    def get_initial(self):
        return {"decision_signer": services.default_signer(self.object)}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            round=self.object, actions=services.actions_for(self.actor, self.object), **kwargs
        )

    def form_valid(self, form):
        try:
            rnd = services.decide(self.actor, self.object, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Đã công nhận tốt nghiệp theo quyết định số {rnd.decision_number}.")
        return redirect(rnd.get_absolute_url())


class RoundReturn(ObjectFormView):
    """ "Trả lại": the decider sends a proposed round back to the school with a note."""

    model = GraduationRound
    form_class = ReturnForm
    template_name = "exams/graduation/return.html"

    def get_queryset(self):
        return _round_queryset(super().get_queryset())

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            round=self.object, actions=services.actions_for(self.actor, self.object), **kwargs
        )

    def form_valid(self, form):
        try:
            rnd = services.return_round(self.actor, self.object, form.cleaned_data["note"])
        except (ValidationError, PermissionDenied) as error:
            add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, "Đã trả lại đợt xét cho nhà trường.")
        return redirect(rnd.get_absolute_url())


class RoundDocument(ScopedObjectMixin, SingleObjectMixin, generic.View):
    model = GraduationRound
    http_method_names = ["get"]

    def get_queryset(self):
        return _round_queryset(super().get_queryset())

    def get(self, request, *args, **kwargs):
        rnd = self.object = self.get_object()
        entries = list(services.entries_for(self.actor, rnd))
        record(EventKind.EXPORT, request=request, actor=self.actor, obj=rnd, detail=self.detail)
        return self.respond(rnd, entries)


class RoundPdf(RoundDocument):
    detail = "Danh sách xét công nhận tốt nghiệp (PDF)"

    def respond(self, rnd, entries):
        chair = next((m.full_name for m in services.council_of(self.actor, rnd) if m.role == CouncilRole.CHAIR), "")
        return pdf.response(reports.round_pdf(rnd, entries, chair=chair), f"xet-tot-nghiep-{rnd.pk}.pdf")


class RoundXlsx(RoundDocument):
    detail = "Danh sách xét công nhận tốt nghiệp (xlsx)"

    def respond(self, rnd, entries):
        return xlsx.response(reports.round_xlsx(rnd, entries), f"xet-tot-nghiep-{rnd.pk}.xlsx")


# --- the council -------------------------------------------------------------------------------------------------


class CouncilAdd(ObjectFormView):
    """Add a member to the round's council (``pk`` is the round's)."""

    model = GraduationRound
    form_class = CouncilMemberForm
    template_name = "exams/graduation/council_form.html"

    def get_queryset(self):
        return _round_queryset(super().get_queryset())

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "actor": self.actor, "action": "add", "rnd": self.object}

    def get_context_data(self, **kwargs):
        rnd = self.object
        council = services.council_of(self.actor, rnd)
        return super().get_context_data(
            round=rnd,
            council=council,
            council_problems=services.council_problems(rnd, council),
            title="Thêm thành viên hội đồng xét công nhận tốt nghiệp",
            **kwargs,
        )

    def form_valid(self, form):
        try:
            member = services.add_council_member(self.actor, self.object, **form.service_fields())
        except (ValidationError, PermissionDenied) as error:
            add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Đã thêm {member.full_name} ({member.get_role_display().lower()}).")
        if "them-nua" in self.request.POST:
            return redirect(reverse("exams:round-council-add", kwargs={"pk": self.object.pk}))
        return redirect(self.object.get_absolute_url() + "#hoi-dong")


class CouncilMemberUpdate(ScopedUpdateView):
    model = GraduationCouncilMember
    form_class = CouncilMemberForm
    template_name = "exams/graduation/council_form.html"

    def get_queryset(self):
        return super().get_queryset().select_related("round__unit")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "rnd": self.object.round}

    def get_context_data(self, **kwargs):
        return super().get_context_data(round=self.object.round, title="Sửa thành viên hội đồng", **kwargs)

    def form_valid(self, form):
        try:
            self.object = services.update_council_member(self.actor, self.object, **form.service_fields())
        except (ValidationError, PermissionDenied) as error:
            add_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, "Đã lưu thành viên hội đồng.")
        return redirect(self.object.get_absolute_url() + "#hoi-dong")


class CouncilMemberDelete(ObjectPost):
    model = GraduationCouncilMember

    def back(self, member) -> str:
        return reverse("exams:round-detail", kwargs={"pk": member.round_id}) + "#hoi-dong"

    def act(self, request, member):
        services.remove_council_member(self.actor, member)
        return f"Đã bỏ {member.full_name} khỏi hội đồng."


# --- entries -------------------------------------------------------------------------------------------------


class EntryDetail(ScopedDetailView):
    """One learner in a round: the identity as it will be printed, what the review read, the verdict and why, and
    (for staff) the history. A learner and their parents read their own once the round is decided."""

    model = GraduationEntry
    template_name = "exams/graduation/entry_detail.html"

    def get_queryset(self):
        return (
            super().get_queryset().select_related("round__unit", "round__exam__unit", "round__issuer__unit", "school")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        entry, actor = self.object, self.actor
        rnd = entry.round
        staff = actor.role in STAFF_ROLES
        names = {}
        if rnd.exam_id is not None and entry.tests:
            names = dict(ExamSubject.objects.filter(exam_id=rnd.exam_id).values_list("code", "name"))
        tests = [
            {
                "name": names.get(t.get("subject"), t.get("subject") or ""),
                "score": None if t.get("score") is None else str(t["score"]).replace(".", ","),
            }
            for t in entry.tests or []
            if isinstance(t, dict)
        ]
        context.update(
            round=rnd,
            tests=tests,
            reasons=reports.reason_texts(entry, rnd.level),
            outcome=OUTCOMES.get(entry.outcome, entry.outcome),
            learning=LEVELS.get(entry.learning, entry.learning),
            conduct=LEVELS.get(entry.conduct, entry.conduct),
            thpt=rnd.level == GraduationLevel.THPT,
            actions=services.actions_for(actor, rnd) if staff else None,
            staff=staff,
            history=history_rows(entry) if staff else [],
        )
        return context


class EntryExclude(ObjectPost):
    model = GraduationEntry

    def back(self, entry) -> str:
        return reverse("exams:round-detail", kwargs={"pk": entry.round_id}) + f"#hs-{entry.pk}"

    def act(self, request, entry):
        entry = services.exclude_entry(self.actor, entry, request.POST.get("note", ""))
        return f"Hội đồng không công nhận {entry.full_name}."


class EntryInclude(ObjectPost):
    model = GraduationEntry

    def back(self, entry) -> str:
        return reverse("exams:round-detail", kwargs={"pk": entry.round_id}) + f"#hs-{entry.pk}"

    def act(self, request, entry):
        entry = services.include_entry(self.actor, entry)
        verdict = "được công nhận" if entry.recognised else "vẫn không đủ điều kiện theo quy định"
        return f"Đã bỏ ghi không công nhận: {entry.full_name} {verdict}."


class MyGraduation(ActorMixin, generic.TemplateView):
    """ "Kết quả xét tốt nghiệp của tôi": the learner's (a parent's children's) entries in decided rounds, through
    the door (``GraduationEntry``'s grant shows them once the round is decided)."""

    template_name = "exams/graduation/my_graduation.html"

    def get_context_data(self, **kwargs):
        actor = self.actor
        if actor.role not in LEARNER_ROLES:
            return super().get_context_data(rows=[], learner=False, **kwargs)
        entries = list(
            visible_to(actor, GraduationEntry)
            .filter(round__status=RoundStatus.DECIDED)
            .select_related("round__unit", "school")
            .order_by("-round__start_year", "round__number", "pk")
        )
        rows = [{"entry": e, "round": e.round, "reasons": reports.reason_texts(e, e.round.level)} for e in entries]
        return super().get_context_data(rows=rows, learner=True, **kwargs)


class ExamGraduation(ScopedObjectMixin, SingleObjectMixin, generic.View):
    """From a graduation exam's page to its graduation rounds (the round list filtered by the exam)."""

    model = Exam
    http_method_names = ["get"]

    def get(self, request, *args, **kwargs):
        exam = self.object = self.get_object()
        if exam.kind != ExamKind.GRADUATION:
            raise Http404("Kỳ thi này không xét công nhận tốt nghiệp.")
        return redirect(f"{reverse('exams:round-list')}?{urlencode({'exam': exam.pk})}")


# --- links and routes ------------------------------------------------------------------------------------------


def _graduation_shown(actor, exam) -> bool:
    return exam.kind == ExamKind.GRADUATION and actor is not None and actor.role in STAFF_ROLES


exam_page("Công nhận tốt nghiệp", "exam-graduation", _graduation_shown, order=95)
register_page(
    "exams",
    ModulePage(
        "Xét công nhận tốt nghiệp",
        "exams:round-list",
        frozenset(ADMIN_ROLES | OVERSIGHT_ROLES | {Role.TEACHER}),
        "Đợt xét công nhận tốt nghiệp THCS của trường (Thông tư 31/2023) và công nhận tốt nghiệp THPT theo kết quả "
        "thi: hội đồng, danh sách, trình và quyết định công nhận.",
    ),
)
register_page(
    "exams",
    ModulePage(
        "Kết quả xét tốt nghiệp của tôi",
        "exams:my-graduation",
        frozenset({Role.STUDENT, Role.PARENT}),
        "Học sinh được công nhận tốt nghiệp hay không, lý do, và quyết định công nhận.",
    ),
)

urlpatterns = [
    path("tot-nghiep/", RoundList.as_view(), name="round-list"),
    path("tot-nghiep/them/", RoundCreate.as_view(), name="round-create"),
    path("tot-nghiep/cua-toi/", MyGraduation.as_view(), name="my-graduation"),
    path("tot-nghiep/<int:pk>/", RoundDetail.as_view(), name="round-detail"),
    path("tot-nghiep/<int:pk>/xet/", RoundReview.as_view(), name="round-review"),
    path("tot-nghiep/<int:pk>/trinh/", RoundPropose.as_view(), name="round-propose"),
    path("tot-nghiep/<int:pk>/tra-lai/", RoundReturn.as_view(), name="round-return"),
    path("tot-nghiep/<int:pk>/cong-nhan/", RoundDecide.as_view(), name="round-decide"),
    path("tot-nghiep/<int:pk>/hoi-dong/them/", CouncilAdd.as_view(), name="round-council-add"),
    path("tot-nghiep/<int:pk>/danh-sach.pdf", RoundPdf.as_view(), name="round-pdf"),
    path("tot-nghiep/<int:pk>/danh-sach.xlsx", RoundXlsx.as_view(), name="round-xlsx"),
    path("tot-nghiep/hoi-dong/<int:pk>/sua/", CouncilMemberUpdate.as_view(), name="councilmember-update"),
    path("tot-nghiep/hoi-dong/<int:pk>/xoa/", CouncilMemberDelete.as_view(), name="councilmember-delete"),
    path("tot-nghiep/hoc-sinh/<int:pk>/", EntryDetail.as_view(), name="entry-detail"),
    path("tot-nghiep/hoc-sinh/<int:pk>/khong-cong-nhan/", EntryExclude.as_view(), name="entry-exclude"),
    path("tot-nghiep/hoc-sinh/<int:pk>/bo-khong-cong-nhan/", EntryInclude.as_view(), name="entry-include"),
    path("ky-thi/<int:pk>/tot-nghiep/", ExamGraduation.as_view(), name="exam-graduation"),
]
