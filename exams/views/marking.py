"""HTML pages of the marking area: anonymous codes, markers, marks, matching back, appeals.

Every page reaches its rows through the door; every write calls ``exams.services.marking`` or
``exams.services.appeals`` (the same functions the API calls). A marker never sees a
candidate's name or number on any page they can open: the "my scripts" page, the script and
the mark pages show the code (số phách) only. The code → candidate table is the
secretariat's alone (``examsubject-keys``, through the door on ``ScriptKey``).

Routes:

- ``exam-marking`` — the exam's marking dashboard (chair, secretariat);
- ``examsubject-make-scripts`` / ``-assign-markers`` / ``-match`` / ``-keys`` / ``-marks-import``
  / ``-marks-template`` — one subject's steps (secretariat);
- ``my-scripts`` — the scripts given to the actor's user to mark, across exams, one form;
- ``script-detail``, ``mark-detail`` — one script (marks by round), one mark with its history;
- ``appeal-list``, ``appeal-detail``, ``candidatescore-appeal`` — appeals.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views import generic
from django.views.generic.detail import SingleObjectMixin

from sms.accounts.roles import LEARNER_ROLES, STAFF_ROLES
from sms.accounts.scoping import can, get_visible_or_404, visible_to
from sms.audit.history import changes
from sms.exports import xlsx
from sms.imports import ImportFlowView
from sms.shell.modules import ModulePage, register_page
from sms.views import ActorMixin, ScopedDetailView, ScopedListView, ScopedObjectMixin

from ..marks_import import MarksImporter
from ..models import (
    Appeal,
    AppealStatus,
    BoardMember,
    BoardRole,
    Candidate,
    CandidateScore,
    Exam,
    ExamSubject,
    Mark,
    MarkRound,
    Script,
    ScriptKey,
    ScriptStatus,
)
from ..selectors import board_roles
from ..services import appeals as appeal_services
from ..services import marking as services
from . import exam_page

RUNNERS = frozenset({BoardRole.CHAIR, BoardRole.SECRETARIAT})
#: scripts a page of the code table (bảng ghép phách) shows
KEYS_PER_PAGE = 50


def runs_marking(actor, exam) -> bool:
    """Whether the actor sits on the exam's board as its chair or secretariat."""
    return bool(board_roles(actor, exam) & RUNNERS)


def error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def history_rows(obj, limit: int = 50, *, records=None) -> list[dict]:
    """The object's history, newest first: who, when, what changed (old → new). ``records``:
    another queryset of historical rows to show instead of ``obj.history``."""
    source = obj.history.all() if records is None else records
    records = list(source.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    rows = []
    for i, record in enumerate(records[:limit]):
        previous = records[i + 1] if i + 1 < len(records) else None
        if previous is not None and previous.id != record.id:
            previous = None  # another row (a replaced assignment): compare with the row's own
        rows.append(
            {
                "date": record.history_date,
                "user": record.history_user,
                "kind": {"+": "Tạo mới", "~": "Sửa", "-": "Xoá"}.get(record.history_type, record.history_type),
                "reason": record.history_change_reason or "",
                "changes": changes(record, previous) if record.history_type != "-" else [],
            }
        )
    return rows


def mark_history(actor, mark: Mark, *, runner: bool) -> list[dict]:
    """A mark's history. The chair and secretariat read every record of the script's round,
    replaced assignments included; a marker only the records of the mark while it was theirs,
    compared among themselves — never who held it before (``assign_third`` gives a reassigned
    third mark a fresh row; this keeps a marker's view to their own entries all the same)."""
    if runner:
        return history_rows(mark, records=Mark.history.filter(script_id=mark.script_id, round=mark.round))
    own = BoardMember.objects.filter(user=actor.user, exam_id=mark.script.exam_subject.exam_id).values("pk")
    records = list(
        mark.history.filter(marker_id__in=own)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[:51]
    )
    rows = []
    for i, record in enumerate(records[:50]):
        previous = records[i + 1] if i + 1 < len(records) else None
        if record.history_type == "-":
            found = []
        elif previous is None:
            first = record.prev_record
            if first is None:
                found = changes(record, None)
            else:
                found = [
                    c for c in changes(record, first) if c.field != str(Mark._meta.get_field("marker").verbose_name)
                ]
        else:
            found = changes(record, previous)
        rows.append(
            {
                "date": record.history_date,
                "user": record.history_user,
                "kind": {"+": "Tạo mới", "~": "Sửa", "-": "Xoá"}.get(record.history_type, record.history_type),
                "reason": record.history_change_reason or "",
                "changes": found,
            }
        )
    return rows


def marker_choices(exam, *, exclude_users=()) -> list[tuple[int, str]]:
    seats = (
        BoardMember.objects.filter(exam=exam, role=BoardRole.MARKER, is_active=True)
        .exclude(user_id__in=list(exclude_users))
        .select_related("user", "home_unit")
        .order_by("full_name", "pk")
    )
    return [(s.pk, f"{services.seat_name(s)} ({s.home_unit})") for s in seats]


# --- the dashboard ------------------------------------------------------------------------------------


class ExamMarking(ScopedObjectMixin, generic.DetailView):
    """Chấm thi: per subject, scripts by status and the next step; the disputed scripts."""

    model = Exam
    template_name = "exams/marking/dashboard.html"

    def get_object(self, queryset=None):
        exam = super().get_object(queryset)
        if not runs_marking(self.actor, exam):
            raise PermissionDenied("Chỉ chủ tịch và thư ký hội đồng thi mới mở được trang chấm thi.")
        return exam

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        exam = self.object
        roles = board_roles(self.actor, exam)
        disputed = (
            visible_to(self.actor, Script)
            .filter(exam_subject__exam=exam, status=ScriptStatus.DISPUTED)
            .select_related("exam_subject")
            .order_by("exam_subject__order", "code")
        )
        context.update(
            summary=services.subject_summary(exam),
            disputed=list(disputed),
            is_secretariat=BoardRole.SECRETARIAT in roles,
            is_chair=BoardRole.CHAIR in roles,
            published=exam.is_published(),
            markers=marker_choices(exam),
            appeals_open=Appeal.objects.filter(
                score__candidate__exam=exam, status__in=(AppealStatus.PENDING, AppealStatus.MARKING)
            ).count(),
        )
        return context


# --- one subject's steps (secretariat) ------------------------------------------------------------------


class SubjectStep(ScopedObjectMixin, SingleObjectMixin, generic.View):
    """A POST on one subject; back to the dashboard with a message."""

    model = ExamSubject
    http_method_names = ["post"]

    def get_queryset(self):
        return super().get_queryset().select_related("exam")

    def post(self, request, *args, **kwargs):
        subject = self.object = self.get_object()
        try:
            message = self.step(request, subject)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, message)
        return redirect(reverse("exams:exam-marking", kwargs={"pk": subject.exam_id}))


def _numbers(text: str) -> list[str]:
    return [n for n in text.replace(",", " ").replace(";", " ").split() if n]


class MakeScripts(SubjectStep):
    def step(self, request, subject):
        numbers = _numbers(request.POST.get("absent", ""))
        found = dict(
            visible_to(self.actor, Candidate)
            .filter(exam_id=subject.exam_id, number__in=numbers)
            .values_list("number", "pk")
        )
        unknown = [n for n in numbers if n not in found]
        if unknown:
            raise ValidationError(f"Không có thí sinh số báo danh {', '.join(unknown)} trong kỳ thi.")
        done = services.make_scripts(self.actor, subject, absent_candidate_ids=found.values())
        return (
            f"Môn {subject.name}: đã làm phách thêm {done['created']} bài (tổng {done['total']}); "
            f"{done['absent']} bài ghi vắng thi."
        )


class MatchScores(SubjectStep):
    def step(self, request, subject):
        done = services.match(self.actor, subject)
        if not done["created"]:
            return f"Môn {subject.name} đã ghép phách trước đó; không có gì thay đổi."
        return f"Môn {subject.name}: đã ghép phách {done['created']} bài."


class AssignForm(forms.Form):
    markers_round1 = forms.MultipleChoiceField(label="Cán bộ chấm lần 1", widget=forms.CheckboxSelectMultiple)
    markers_round2 = forms.MultipleChoiceField(
        label="Cán bộ chấm lần 2", widget=forms.CheckboxSelectMultiple, required=False
    )

    def __init__(self, *args, choices=(), double=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["markers_round1"].choices = choices
        self.fields["markers_round2"].choices = choices
        if not double:
            del self.fields["markers_round2"]


class AssignMarkers(ScopedObjectMixin, SingleObjectMixin, generic.View):
    """Phân công chấm: the scripts still to be given, spread over the markers chosen."""

    model = ExamSubject
    template_name = "exams/marking/assign.html"

    def get_queryset(self):
        return super().get_queryset().select_related("exam")

    def reach(self):
        subject = self.object = self.get_object()
        if BoardRole.SECRETARIAT not in board_roles(self.actor, subject.exam):
            raise PermissionDenied("Chỉ thư ký hội đồng thi mới phân công chấm thi.")
        return subject

    def render(self, form):
        subject = self.object
        waiting = Script.objects.filter(exam_subject=subject, status=ScriptStatus.MARKING).count()
        return render(self.request, self.template_name, {"object": subject, "form": form, "waiting": waiting})

    def form(self, data=None):
        subject = self.object
        return AssignForm(data, choices=marker_choices(subject.exam), double=subject.double_marked)

    def get(self, request, *args, **kwargs):
        self.reach()
        return self.render(self.form())

    def post(self, request, *args, **kwargs):
        subject = self.reach()
        form = self.form(request.POST)
        if not form.is_valid():
            return self.render(form)
        try:
            done = services.assign_markers(
                self.actor,
                subject,
                form.cleaned_data["markers_round1"],
                form.cleaned_data.get("markers_round2") or (),
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
            return self.render(form)
        messages.success(
            request,
            f"Môn {subject.name}: đã phân công {done['round1']} bài chấm lần 1"
            + (f" và {done['round2']} bài chấm lần 2." if subject.double_marked else "."),
        )
        return redirect(reverse("exams:exam-marking", kwargs={"pk": subject.exam_id}))


class SubjectKeys(ScopedObjectMixin, generic.DetailView):
    """Bảng ghép phách: which code is whose — the secretariat only (the door on ScriptKey); a
    page at a time (a subject has a script per candidate), searched by candidate number or code."""

    model = ExamSubject
    template_name = "exams/marking/keys.html"
    paginate_by = KEYS_PER_PAGE

    def get_queryset(self):
        return super().get_queryset().select_related("exam")

    def get_object(self, queryset=None):
        subject = super().get_object(queryset)
        if BoardRole.SECRETARIAT not in board_roles(self.actor, subject.exam):
            raise PermissionDenied("Chỉ thư ký hội đồng thi mới xem được bảng ghép phách.")
        return subject

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        keys = (
            visible_to(self.actor, ScriptKey)
            .filter(script__exam_subject=self.object)
            .select_related("script", "candidate")
            .order_by("candidate__number", "pk")
        )
        q = (self.request.GET.get("q") or "").strip()[:20]
        if q:
            keys = keys.filter(Q(candidate__number__icontains=q) | Q(script__code__icontains=q))
        page = Paginator(keys, self.paginate_by).get_page(self.request.GET.get("page"))
        context.update(
            keys=page.object_list,
            page_obj=page,
            is_paginated=page.has_other_pages(),
            q=q,
        )
        return context


def _round_of(request) -> str:
    wanted = request.GET.get("lan") or request.POST.get("lan") or MarkRound.FIRST
    return wanted if wanted in services.IMPORT_ROUNDS else MarkRound.FIRST


class MarksImport(ImportFlowView):
    """Nhập điểm chấm lần 1 hoặc 2 của một môn từ tệp Excel (``?lan=1`` hoặc ``?lan=2``)."""

    model = ExamSubject
    required_action = None
    template_name = "exams/marking/import_upload.html"
    preview_template_name = "exams/marking/import_preview.html"
    result_template_name = "exams/marking/import_result.html"
    object = None

    def reach(self):
        self.object = get_visible_or_404(self.actor, ExamSubject.objects.select_related("exam"), self.kwargs.get("pk"))
        self.round = _round_of(self.request)
        if BoardRole.SECRETARIAT not in board_roles(self.actor, self.object.exam):
            raise PermissionDenied("Chỉ thư ký hội đồng thi mới nhập điểm chấm từ tệp.")

    def get(self, request, *args, **kwargs):
        self.reach()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.reach()
        return super().post(request, *args, **kwargs)

    def get_importer(self):
        return MarksImporter(self.actor, self.request, exam_subject=self.object, round_=self.round)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            object=self.object,
            round=self.round,
            refusal=services.import_refusal(self.actor, self.object, self.round),
        )
        return context


class MarksTemplate(ScopedObjectMixin, SingleObjectMixin, generic.View):
    """Mẫu nhập điểm: the codes given for a round, their marker and mark — no candidate data."""

    model = ExamSubject
    http_method_names = ["get", "head"]

    def get_queryset(self):
        return super().get_queryset().select_related("exam")

    def get(self, request, *args, **kwargs):
        subject = self.get_object()
        if BoardRole.SECRETARIAT not in board_roles(self.actor, subject.exam):
            raise PermissionDenied("Chỉ thư ký hội đồng thi mới tải được mẫu nhập điểm chấm.")
        importer = MarksImporter(self.actor, request, exam_subject=subject, round_=_round_of(request))
        return xlsx.response(importer.template(), importer.template_filename)


# --- the marker's page ------------------------------------------------------------------------------------


class MyScripts(ActorMixin, generic.TemplateView):
    """Bài thi được phân công chấm: the actor's own marks across exams, by code only, and one
    form that saves every mark typed in one request."""

    template_name = "exams/marking/my_scripts.html"

    def marks(self):
        return list(
            visible_to(self.actor, Mark)
            .filter(marker__user=self.actor.user)
            .select_related("script__exam_subject__exam")
            .order_by(
                "-script__exam_subject__exam__start_year",
                "script__exam_subject__exam_id",
                "script__exam_subject__order",
                "round",
                "script__code",
            )
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        marks = kwargs.get("marks") or self.marks()
        writable = services.writable_marks(marks)
        posted = kwargs.get("posted", {})
        errors = kwargs.get("errors", {})
        groups: list[dict] = []
        for mark in marks:
            subject = mark.script.exam_subject
            if not groups or groups[-1]["subject"].pk != subject.pk:
                groups.append({"subject": subject, "exam": subject.exam, "rows": []})
            groups[-1]["rows"].append(
                {
                    "mark": mark,
                    "writable": mark.pk in writable,
                    "value": posted.get(mark.pk, services.vn(mark.score) if mark.score is not None else ""),
                    "errors": errors.get(str(mark.pk), []),
                }
            )
        context.update(groups=groups, any_writable=bool(writable), errors=errors)
        return context

    def post(self, request, *args, **kwargs):
        scores = {}
        malformed = False
        for key, value in request.POST.items():
            if key.startswith("score_"):
                pk = services.as_id(key[6:])
                if pk is None:
                    malformed = True
                else:
                    scores[pk] = value
        if malformed:
            messages.warning(request, "Đã bỏ qua các ô điểm không hợp lệ trong biểu mẫu.")
        try:
            done = services.enter_marks(self.actor, scores)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
            messages.error(request, "Chưa lưu gì: có điểm không hợp lệ (xem các dòng được đánh dấu).")
            context = self.get_context_data(posted=scores, errors=errors)
            return self.render_to_response(context, status=400)
        messages.success(request, f"Đã lưu {done['saved']} điểm; {done['unchanged']} điểm không đổi.")
        return redirect(reverse("exams:my-scripts"))


# --- one script, one mark ----------------------------------------------------------------------------------


class ThirdForm(forms.Form):
    marker = forms.TypedChoiceField(label="Cán bộ chấm lần 3", coerce=int)


class JointForm(forms.Form):
    score = forms.CharField(label="Điểm thống nhất", max_length=10, help_text="Ví dụ 6,75")


class ScriptDetail(ScopedDetailView):
    """One script by its code. The chair and secretariat see every round's mark and the
    outcome and resolve a dispute here; a marker sees their own mark only."""

    model = Script
    template_name = "exams/marking/script_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("exam_subject__exam")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        script = self.object
        exam = script.exam_subject.exam
        roles = board_roles(self.actor, exam)
        runner = bool(roles & RUNNERS)
        marks = list(
            visible_to(self.actor, Mark).filter(script=script).select_related("marker__user").order_by("round", "pk")
        )
        if not runner:
            marks = [m for m in marks if m.marker.user_id == self.actor.user.pk]
        open_ = runner and not exam.is_published() and not services.is_matched(script.exam_subject)
        third_form = joint_form = None
        if open_ and script.status == ScriptStatus.DISPUTED:
            earlier = [m.marker.user_id for m in marks if m.round in (MarkRound.FIRST, MarkRound.SECOND)]
            third_form = kwargs.get("third_form") or ThirdForm()
            third_form.fields["marker"].choices = marker_choices(exam, exclude_users=earlier)
        has_joint = any(m.round == MarkRound.JOINT for m in marks)
        if open_ and BoardRole.CHAIR in roles and (script.status == ScriptStatus.DISPUTED or has_joint):
            joint_form = kwargs.get("joint_form") or JointForm()
        verdict = None
        if runner and script.status != ScriptStatus.ABSENT:
            verdict = services.reconciliation(script, {m.round: m.score for m in marks})
        context.update(
            runner=runner,
            marks=marks,
            third_form=third_form,
            joint_form=joint_form,
            verdict=verdict,
            threshold=exam.mark_threshold,
        )
        return context

    def post(self, request, *args, **kwargs):
        script = self.object = self.get_object()
        exam = script.exam_subject.exam
        if not runs_marking(self.actor, exam):
            raise PermissionDenied("Chỉ chủ tịch và thư ký hội đồng thi mới xử lý bài lệch điểm.")
        action = request.POST.get("action")
        try:
            if action == "third":
                form = ThirdForm(request.POST)
                form.fields["marker"].choices = marker_choices(exam)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(third_form=form), status=400)
                services.assign_third(self.actor, script, form.cleaned_data["marker"])
                messages.success(request, f"Đã phân công chấm lần 3 bài phách {script.code}.")
            elif action == "joint":
                form = JointForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(joint_form=form), status=400)
                services.record_joint(self.actor, script, form.cleaned_data["score"])
                messages.success(request, f"Đã ghi điểm thống nhất bài phách {script.code}.")
            else:
                raise ValidationError("Thao tác không hợp lệ.")
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        return redirect(script.get_absolute_url())


class MarkDetail(ScopedDetailView):
    """One mark and its history: who entered or changed it, when, old → new."""

    model = Mark
    template_name = "exams/marking/mark_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("script__exam_subject__exam", "marker__user")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        mark = self.object
        runner = runs_marking(self.actor, mark.script.exam_subject.exam)
        context.update(
            history=mark_history(self.actor, mark, runner=runner),
            runner=runner,
            writable=mark.pk in services.writable_marks([mark]) and mark.marker.user_id == self.actor.user.pk,
        )
        return context


# --- appeals --------------------------------------------------------------------------------------------------


class AppealList(ScopedListView):
    model = Appeal
    template_name = "exams/marking/appeal_list.html"

    def get_queryset(self):
        qs = (
            super()
            .get_queryset()
            .select_related("score__candidate__exam", "score__exam_subject")
            .order_by("-requested_at", "-pk")
        )
        exam = services.as_id(self.request.GET.get("exam", ""))
        if exam is not None:
            qs = qs.filter(score__candidate__exam_id=exam)
        status = self.request.GET.get("status", "")
        if status in AppealStatus.values:
            qs = qs.filter(status=status)
        return qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(statuses=AppealStatus.choices, status=self.request.GET.get("status", ""))
        return context


class AppealMarkersForm(forms.Form):
    marker_1 = forms.TypedChoiceField(label="Cán bộ chấm phúc khảo 1", coerce=int)
    marker_2 = forms.TypedChoiceField(label="Cán bộ chấm phúc khảo 2", coerce=int, required=False, empty_value=None)


class DecideForm(forms.Form):
    joint = forms.CharField(
        label="Điểm thống nhất (khi hai điểm phúc khảo lệch quá mức cho phép)", max_length=10, required=False
    )


class AppealDetail(ScopedDetailView):
    """One appeal: the chair or secretariat gives it to new markers, then decides it."""

    model = Appeal
    template_name = "exams/marking/appeal_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("score__candidate__exam", "score__exam_subject", "decided_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        appeal = self.object
        exam = appeal.score.candidate.exam
        roles = board_roles(self.actor, exam)
        runner = bool(roles & RUNNERS)
        script = appeal_services.script_of(appeal) if runner else None
        appeal_marks = []
        markers_form = decide_form = None
        if script is not None:
            appeal_marks = list(
                Mark.objects.filter(script=script, round__startswith="appeal")
                .select_related("marker")
                .order_by("round")
            )
            if appeal.status == AppealStatus.PENDING:
                earlier = Mark.objects.filter(script=script, round__in=services.MARKING_ROUNDS).values_list(
                    "marker__user_id", flat=True
                )
                markers_form = kwargs.get("markers_form") or AppealMarkersForm()
                choices = marker_choices(exam, exclude_users=list(earlier))
                markers_form.fields["marker_1"].choices = choices
                if script.exam_subject.double_marked:
                    markers_form.fields["marker_2"].choices = [("", "—"), *choices]
                else:
                    del markers_form.fields["marker_2"]
            elif appeal.status == AppealStatus.MARKING:
                decide_form = kwargs.get("decide_form") or DecideForm()
        context.update(
            runner=runner,
            show_code=BoardRole.SECRETARIAT in roles,
            script=script,
            appeal_marks=appeal_marks,
            markers_form=markers_form,
            decide_form=decide_form,
            history=history_rows(appeal),
            score_history=history_rows(appeal.score),
            deadline=appeal_services.appeal_deadline(exam),
        )
        return context

    def post(self, request, *args, **kwargs):
        appeal = self.object = self.get_object()
        action = request.POST.get("action")
        try:
            if action == "assign":
                form = AppealMarkersForm(request.POST)
                form.fields["marker_1"].choices = form.fields["marker_2"].choices = marker_choices(
                    appeal.score.candidate.exam
                )
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(markers_form=form), status=400)
                appeal_services.assign_appeal_markers(
                    self.actor, appeal, form.cleaned_data["marker_1"], form.cleaned_data.get("marker_2")
                )
                messages.success(request, "Đã phân công chấm phúc khảo.")
            elif action == "decide":
                form = DecideForm(request.POST)
                form.is_valid()
                appeal_services.decide_appeal(self.actor, appeal, joint=form.cleaned_data.get("joint") or None)
                messages.success(request, "Đã ghi kết quả phúc khảo; điểm của thí sinh đã được cập nhật.")
            else:
                raise ValidationError("Thao tác không hợp lệ.")
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        return redirect(appeal.get_absolute_url())


class AppealForm(forms.Form):
    reason = forms.CharField(
        label="Lý do phúc khảo",
        required=False,
        max_length=appeal_services.REASON_MAX,
        widget=forms.Textarea({"rows": 4}),
    )


class FileAppeal(ScopedObjectMixin, SingleObjectMixin, generic.View):
    """Nộp đơn phúc khảo một điểm thi đã công bố."""

    model = CandidateScore
    template_name = "exams/marking/appeal_form.html"

    def get_queryset(self):
        return super().get_queryset().select_related("candidate__exam", "exam_subject")

    def render(self, form, status=200):
        score = self.object
        exam = score.candidate.exam
        return render(
            self.request,
            self.template_name,
            {"object": score, "form": form, "deadline": appeal_services.appeal_deadline(exam), "exam": exam},
            status=status,
        )

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return self.render(AppealForm())

    def post(self, request, *args, **kwargs):
        score = self.object = self.get_object()
        form = AppealForm(request.POST)
        if not form.is_valid():
            return self.render(form, status=400)
        try:
            appeal = appeal_services.file_appeal(self.actor, score, form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error(None, exc.messages)
            return self.render(form, status=400)
        messages.success(request, "Đã nộp đơn phúc khảo.")
        if can(self.actor, "view", appeal):
            return redirect(appeal.get_absolute_url())
        return redirect(reverse("exams:appeal-list"))


# --- registration --------------------------------------------------------------------------------------------


exam_page("Chấm thi", "exam-marking", runs_marking, order=60)
register_page(
    "exams",
    ModulePage(
        "Bài thi được phân công chấm",
        "exams:my-scripts",
        STAFF_ROLES,
        "Cán bộ chấm thi nhập điểm các bài được giao (chỉ thấy số phách), kể cả bài chấm phúc khảo.",
    ),
)
register_page(
    "exams",
    ModulePage(
        "Đơn phúc khảo",
        "exams:appeal-list",
        STAFF_ROLES | LEARNER_ROLES,
        "Đơn phúc khảo điểm thi đã công bố, phân công chấm phúc khảo và kết quả.",
    ),
)

urlpatterns = [
    path("ky-thi/<int:pk>/cham-thi/", ExamMarking.as_view(), name="exam-marking"),
    path("mon-thi/<int:pk>/lam-phach/", MakeScripts.as_view(), name="examsubject-make-scripts"),
    path("mon-thi/<int:pk>/phan-cong-cham/", AssignMarkers.as_view(), name="examsubject-assign-markers"),
    path("mon-thi/<int:pk>/ghep-phach/", MatchScores.as_view(), name="examsubject-match"),
    path("mon-thi/<int:pk>/bang-phach/", SubjectKeys.as_view(), name="examsubject-keys"),
    path("mon-thi/<int:pk>/nhap-diem-cham/", MarksImport.as_view(), name="examsubject-marks-import"),
    path("mon-thi/<int:pk>/mau-diem-cham.xlsx", MarksTemplate.as_view(), name="examsubject-marks-template"),
    path("cham-thi/bai-cua-toi/", MyScripts.as_view(), name="my-scripts"),
    path("bai-thi/<int:pk>/", ScriptDetail.as_view(), name="script-detail"),
    path("diem-cham/<int:pk>/", MarkDetail.as_view(), name="mark-detail"),
    path("phuc-khao/", AppealList.as_view(), name="appeal-list"),
    path("phuc-khao/<int:pk>/", AppealDetail.as_view(), name="appeal-detail"),
    path("diem-thi/<int:pk>/phuc-khao/", FileAppeal.as_view(), name="candidatescore-appeal"),
]
