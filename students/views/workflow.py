"""Pages of module (a): the approval lifecycle of grade-book sheets, unlock requests, entry
deadlines, publication, and the homeroom teacher's conduct and attendance grids.

Every page reaches its rows through the door; every write calls students.services (workflow,
homeroom), the same functions the API calls.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import generic
from django.views.generic.detail import SingleObjectMixin

from sms.accounts.roles import ADMIN_ROLES, OVERSIGHT_ROLES, Role
from sms.accounts.scoping import can, visible_to
from sms.audit.history import changes
from sms.forms import ScopedModelForm
from sms.org.models import SchoolClass, Semester
from sms.shell.modules import ModulePage, register_page
from sms.views import ScopedCreateView, ScopedDetailView, ScopedListView, ScopedObjectMixin, ScopedUpdateView

from ..filters_workflow import DeadlineFilter, PublicationFilter, UnlockFilter
from ..models import (
    Absence,
    EntryDeadline,
    HomeroomAssessment,
    Publication,
    ScoreSheet,
    SheetStatus,
    UnlockRequest,
    UnlockStatus,
)
from ..selectors import roster, rule_set_of
from ..services import homeroom as homeroom_services
from ..services import workflow as services
from ..services.workflow import WorkflowError

# --- small helpers ------------------------------------------------------------------------------------


def history_rows(obj, limit: int = 50) -> list[dict]:
    """The object's history, newest first, with the changed fields in words."""
    records = list(obj.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    rows = []
    for i, record in enumerate(records[:limit]):
        previous = records[i + 1] if i + 1 < len(records) else None
        kind = {"+": "Tạo mới", "~": "Sửa", "-": "Xoá"}.get(record.history_type, record.history_type)
        rows.append(
            {
                "date": record.history_date,
                "user": record.history_user,
                "kind": kind,
                "reason": record.history_change_reason or "",
                "changes": changes(record, previous) if record.history_type != "-" else [],
            }
        )
    return rows


def _next_or(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        return target
    return default


def _sheet_url(sheet) -> str:
    try:
        return sheet.get_absolute_url()
    except Exception:  # noqa: BLE001 - the grade-book page may not be routed yet
        return reverse("students:sheet-approve-class", kwargs={"pk": sheet.school_class_id})


def _int(value) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def parse_day(text: str | None) -> dt.date | None:
    """dd/mm/yyyy (also ISO yyyy-mm-dd) → a date, or None."""
    text = (text or "").strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def pick_semester(actor, klass, raw) -> tuple[Semester | None, list[Semester]]:
    """The class's semesters (through the door) and the one asked for, else the current one
    by date, else the last that has started, else the first."""
    semesters = list(
        visible_to(actor, Semester).filter(school_year_id=klass.school_year_id).select_related("school_year")
    )
    semesters.sort(key=lambda s: s.number)
    wanted = _int(raw)
    chosen = next((s for s in semesters if s.pk == wanted), None)
    if chosen is None and semesters:
        today = timezone.localdate()
        current = [s for s in semesters if s.starts_on <= today <= s.ends_on]
        started = [s for s in semesters if s.starts_on <= today]
        chosen = (current or started[-1:] or semesters)[0]
    return chosen, semesters


# --- sheet transitions (POST only) -------------------------------------------------------------------------


class SheetTransition(ScopedObjectMixin, SingleObjectMixin, generic.View):
    """A POST that moves one sheet one step; back to the sheet (or ``next``) with a message."""

    model = ScoreSheet
    http_method_names = ["post"]
    success_message = ""

    def get_queryset(self):
        return super().get_queryset().select_related("school_class", "subject", "semester")

    def post(self, request, *args, **kwargs):
        sheet = self.get_object()
        try:
            self.step(request, sheet)
        except WorkflowError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, self.success_message)
        return redirect(_next_or(request, _sheet_url(sheet)))


class SheetSubmit(SheetTransition):
    success_message = "Đã gửi bảng điểm cho giáo viên chủ nhiệm kiểm tra."

    def step(self, request, sheet):
        services.submit(self.actor, sheet)


class SheetCheck(SheetTransition):
    success_message = "Đã xác nhận kiểm tra bảng điểm; bảng điểm chờ hiệu trưởng duyệt."

    def step(self, request, sheet):
        services.check(self.actor, sheet)


class SheetReturn(SheetTransition):
    success_message = "Đã trả lại bảng điểm cho giáo viên bộ môn."

    def step(self, request, sheet):
        services.return_sheet(self.actor, sheet, request.POST.get("note", ""))


class SheetApprove(SheetTransition):
    success_message = "Đã duyệt và khoá bảng điểm."

    def step(self, request, sheet):
        services.approve(self.actor, sheet)


class ClassApproval(ScopedObjectMixin, generic.DetailView):
    """The sheets of a class for a semester, their status and the principal's "approve every
    checked sheet" button."""

    model = SchoolClass
    template_name = "students/sheet_approve_class.html"

    def get_queryset(self):
        return super().get_queryset().select_related("school_year", "homeroom_teacher")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        klass = self.object
        semester, semesters = pick_semester(self.actor, klass, self.request.GET.get("semester"))
        sheets = list(services.approve_targets(self.actor, klass, semester)) if semester else []
        context.update(
            semester=semester,
            semesters=semesters,
            sheets=sheets,
            checked=sum(1 for s in sheets if s.status == SheetStatus.CHECKED),
            may_approve=services.is_principal_of(self.actor, klass.school_id),
        )
        return context

    def post(self, request, *args, **kwargs):
        klass = self.object = self.get_object()
        semester, _ = pick_semester(self.actor, klass, request.POST.get("semester"))
        back = reverse("students:sheet-approve-class", kwargs={"pk": klass.pk})
        if semester is None:
            messages.error(request, "Hãy chọn học kỳ.")
            return redirect(back)
        back += f"?semester={semester.pk}"
        try:
            done = services.approve_many(self.actor, services.approve_targets(self.actor, klass, semester))
        except WorkflowError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Đã duyệt và khoá {len(done)} bảng điểm.")
        return redirect(back)


# --- unlock requests ---------------------------------------------------------------------------------------


class UnlockRequestForm(forms.Form):
    reason = forms.CharField(label="Lý do đề nghị mở khoá", widget=forms.Textarea(attrs={"rows": 4}))


class UnlockRequestCreate(ScopedObjectMixin, SingleObjectMixin, generic.View):
    """The form asking the principal to reopen an approved sheet (the sheet is in the URL)."""

    model = ScoreSheet
    template_name = "students/unlock_request_form.html"

    def get_queryset(self):
        return super().get_queryset().select_related("school_class", "subject", "semester")

    def render(self, request, form):
        sheet = self.object
        return render(
            request,
            self.template_name,
            {"sheet": sheet, "form": form, "pending": services.pending_unlock(sheet), "sheet_url": _sheet_url(sheet)},
        )

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return self.render(request, UnlockRequestForm())

    def post(self, request, *args, **kwargs):
        self.object = sheet = self.get_object()
        form = UnlockRequestForm(request.POST)
        if not form.is_valid():
            return self.render(request, form)
        try:
            unlock = services.request_unlock(self.actor, sheet, form.cleaned_data["reason"])
        except WorkflowError as exc:
            form.add_error(None, exc.message)
            return self.render(request, form)
        messages.success(request, "Đã gửi đề nghị mở khoá cho hiệu trưởng.")
        if can(self.actor, "view", unlock):
            return redirect(unlock.get_absolute_url())
        return redirect(_sheet_url(sheet))


class UnlockList(ScopedListView):
    model = UnlockRequest
    filterset_class = UnlockFilter
    template_name = "students/unlock_list.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("sheet__school_class", "sheet__subject", "sheet__semester__school_year", "requested_by")
        )


class UnlockDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Quyết định", choices=[("grant", "Đồng ý mở khoá"), ("refuse", "Không đồng ý")], widget=forms.RadioSelect
    )
    note = forms.CharField(label="Ý kiến", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class UnlockDetail(ScopedDetailView):
    """One request; the principal grants or refuses it here."""

    model = UnlockRequest
    template_name = "students/unlock_detail.html"

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related(
                "sheet__school_class", "sheet__subject", "sheet__semester__school_year", "requested_by", "decided_by"
            )
        )

    def may_decide(self, unlock) -> bool:
        return unlock.status == UnlockStatus.PENDING and services.is_principal_of(self.actor, unlock.school_id)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        unlock = self.object
        context.update(
            may_decide=self.may_decide(unlock),
            form=kwargs.get("form") or UnlockDecisionForm(),
            history=history_rows(unlock),
            sheet_url=_sheet_url(unlock.sheet),
        )
        return context

    def post(self, request, *args, **kwargs):
        unlock = self.object = self.get_object()
        form = UnlockDecisionForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        grant = form.cleaned_data["decision"] == "grant"
        try:
            services.decide_unlock(self.actor, unlock, grant=grant, note=form.cleaned_data["note"])
        except WorkflowError as exc:
            form.add_error(None, exc.message)
            return self.render_to_response(self.get_context_data(form=form))
        messages.success(
            request, "Đã mở khoá bảng điểm; giáo viên có thể sửa điểm." if grant else "Đã từ chối đề nghị mở khoá."
        )
        return redirect(unlock.get_absolute_url())


# --- entry deadlines ---------------------------------------------------------------------------------------


class DeadlineForm(ScopedModelForm):
    class Meta:
        model = EntryDeadline
        fields = ["semester", "grade", "closes_on", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        f = self.fields["semester"]
        f.queryset = f.queryset.filter(school_year__is_closed=False).select_related("school_year", "school")

    def clean(self):
        cleaned = super().clean()
        for field, message in services.deadline_errors(
            cleaned.get("semester"), cleaned.get("grade"), cleaned.get("closes_on"), instance_pk=self.instance.pk
        ).items():
            if field in self.fields and field not in self.errors:
                self.add_error(field, message)
        return cleaned


class DeadlineList(ScopedListView):
    model = EntryDeadline
    filterset_class = DeadlineFilter
    template_name = "students/deadline_list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("semester__school_year", "school")


class DeadlineDetail(ScopedDetailView):
    model = EntryDeadline
    template_name = "students/deadline_detail.html"
    fields = ["school", "semester", "grade", "closes_on", "note"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["history"] = history_rows(self.object)
        return context


class DeadlineCreate(ScopedCreateView):
    model = EntryDeadline
    form_class = DeadlineForm
    success_message = "Đã đặt hạn nhập điểm."


class DeadlineUpdate(ScopedUpdateView):
    model = EntryDeadline
    form_class = DeadlineForm
    success_message = "Đã sửa hạn nhập điểm."


# --- publication -------------------------------------------------------------------------------------------


class PublicationForm(ScopedModelForm):
    class Meta:
        model = Publication
        fields = ["school_year", "period", "grade", "include_scores"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        f = self.fields["school_year"]
        f.queryset = f.queryset.select_related("school")


class PublicationList(ScopedListView):
    model = Publication
    filterset_class = PublicationFilter
    template_name = "students/publication_list.html"

    def get_queryset(self):
        return super().get_queryset().select_related("school_year", "school", "published_by")


class PublicationDetail(ScopedDetailView):
    model = Publication
    template_name = "students/publication_detail.html"
    fields = ["school", "school_year", "period", "grade", "include_scores", "published_by", "published_at"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        pub = self.object
        context.update(
            history=history_rows(pub),
            may_withdraw=pub.withdrawn_at is None and services.is_principal_of(self.actor, pub.school_id),
        )
        return context


class PublicationCreate(ScopedCreateView):
    model = Publication
    form_class = PublicationForm
    extra_context = {"title": "Công bố kết quả lên cổng thông tin"}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            self.object = services.publish(
                self.actor, data["school_year"], data["period"], data.get("grade"), data.get("include_scores", False)
            )
        except WorkflowError as exc:
            form.add_error(None, exc.message)
            return self.form_invalid(form)
        messages.success(self.request, "Đã công bố kết quả.")
        return redirect(self.object.get_absolute_url())


class PublicationWithdraw(ScopedObjectMixin, SingleObjectMixin, generic.View):
    model = Publication
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        pub = self.get_object()
        try:
            services.withdraw(self.actor, pub)
        except WorkflowError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Đã thu hồi công bố; cổng thông tin không còn hiển thị kết quả này.")
        return redirect(pub.get_absolute_url())


# --- conduct, qualities, competencies ----------------------------------------------------------------------


class ClassPage(ScopedObjectMixin, generic.DetailView):
    """A page about one class, reached through the door (SchoolClass)."""

    model = SchoolClass

    def get_queryset(self):
        return super().get_queryset().select_related("school_year", "school", "homeroom_teacher")

    def roster(self, klass, **kwargs):
        return visible_to(self.actor, roster(klass, **kwargs))


class ClassHomeroom(ClassPage):
    """The homeroom teacher's grid for a semester: conduct and comment per learner, or in primary
    the qualities and competencies as compact selects. Others with read access see it read-only."""

    template_name = "students/homeroom_grid.html"

    def dispatch_checks(self, klass):
        self.writable = homeroom_services.may_assess(self.actor, klass)
        readable = self.writable or (
            self.actor.role in HomeroomAssessment.scope.readers
            and self.actor.role not in (Role.TEACHER, Role.STUDENT, Role.PARENT)
        )
        if not readable:
            raise PermissionDenied("Chỉ giáo viên chủ nhiệm của lớp và lãnh đạo nhà trường xem đánh giá rèn luyện.")

    def get_object(self, queryset=None):
        klass = super().get_object(queryset)
        self.dispatch_checks(klass)
        return klass

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        klass = self.object
        semester, semesters = pick_semester(self.actor, klass, self.request.GET.get("semester"))
        rule_set = rule_set_of(klass)
        conducts = homeroom_services.conduct_choices(rule_set)
        qualities, competencies = homeroom_services.quality_fields(rule_set)
        enrolments = list(self.roster(klass, include_left=True)) if semester else []
        stored = {}
        if semester:
            stored = {
                h.enrolment_id: h
                for h in visible_to(self.actor, HomeroomAssessment).filter(
                    semester=semester, enrolment_id__in=[e.pk for e in enrolments]
                )
            }
        posted = kwargs.get("posted")
        rows = []
        for e in enrolments:
            h = stored.get(e.pk)
            values = {
                "conduct": h.conduct if h else "",
                "comment": h.comment if h else "",
                "qualities": h.qualities if h else {},
                "competencies": h.competencies if h else {},
            }
            if posted is not None and e.pk in posted:
                values.update(posted[e.pk])
            rows.append(
                {
                    "enrolment": e,
                    "assessment": h,
                    "conduct": values["conduct"],
                    "conduct_label": dict(conducts).get(values["conduct"], ""),
                    "comment": values["comment"],
                    "qualities": [(k, label, values["qualities"].get(k, "")) for k, label in qualities],
                    "competencies": [(k, label, values["competencies"].get(k, "")) for k, label in competencies],
                    "left": e.left_on is not None and e.left_on <= timezone.localdate(),
                }
            )
        context.update(
            semester=semester,
            semesters=semesters,
            rows=rows,
            conducts=conducts,
            qualities=qualities,
            competencies=competencies,
            levels=homeroom_services.rules.QualityLevel.choices,
            level_names=dict(homeroom_services.rules.QualityLevel.choices),
            writable=self.writable and semester is not None and not klass.school_year.is_closed,
            primary=bool(qualities),
            rule_set=rule_set,
        )
        return context

    def post(self, request, *args, **kwargs):
        klass = self.object = self.get_object()
        semester, _ = pick_semester(self.actor, klass, request.POST.get("semester"))
        if semester is None:
            messages.error(request, "Hãy chọn học kỳ.")
            return redirect(request.path)
        rule_set = rule_set_of(klass)
        qualities, competencies = homeroom_services.quality_fields(rule_set)
        conducts = homeroom_services.conduct_choices(rule_set)
        rows, posted = [], {}
        for e in self.roster(klass, include_left=True):
            if f"comment_{e.pk}" not in request.POST:
                continue
            row = {"enrolment": e.pk, "comment": request.POST.get(f"comment_{e.pk}", "")}
            if conducts:
                row["conduct"] = request.POST.get(f"conduct_{e.pk}", "")
            if qualities:
                row["qualities"] = {k: request.POST.get(f"q_{k}_{e.pk}", "") for k, _ in qualities}
                row["competencies"] = {k: request.POST.get(f"c_{k}_{e.pk}", "") for k, _ in competencies}
            rows.append(row)
            posted[e.pk] = {k: v for k, v in row.items() if k != "enrolment"}
        try:
            result = homeroom_services.save_homeroom(self.actor, klass, semester, rows)
        except WorkflowError as exc:
            messages.error(request, exc.message)
            if exc.status == 403:
                return redirect(f"{request.path}?semester={semester.pk}")
            self.request.GET = self.request.GET.copy()
            self.request.GET["semester"] = str(semester.pk)
            return self.render_to_response(self.get_context_data(posted=posted, errors=exc.errors), status=400)
        changed = result["created"] + result["updated"]
        messages.success(request, f"Đã lưu đánh giá của {changed} học sinh." if changed else "Không có gì thay đổi.")
        return redirect(f"{request.path}?semester={semester.pk}")


class HomeroomDetail(ScopedDetailView):
    model = HomeroomAssessment
    template_name = "students/homeroom_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("enrolment__student", "enrolment__school_class", "semester")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        h = self.object
        rule_set = rule_set_of(h.enrolment.school_class)
        qualities, competencies = homeroom_services.quality_fields(rule_set)
        levels = dict(homeroom_services.rules.QualityLevel.choices)
        context.update(
            conduct_label=dict(homeroom_services.conduct_choices(rule_set)).get(h.conduct, h.conduct),
            qualities=[(label, levels.get(h.qualities.get(k, ""), "—")) for k, label in qualities],
            competencies=[(label, levels.get(h.competencies.get(k, ""), "—")) for k, label in competencies],
            history=history_rows(h) if self.actor.role not in (Role.STUDENT, Role.PARENT) else [],
        )
        return context


# --- attendance --------------------------------------------------------------------------------------------


class ClassAttendance(ClassPage):
    """A day's attendance of a class (``?ngay=dd/mm/yyyy``, default today) and the semester and
    year totals per learner, flagged beyond 45 sessions (TT22/2021 Art. 12)."""

    template_name = "students/attendance_grid.html"

    def get_object(self, queryset=None):
        klass = super().get_object(queryset)
        self.writable = homeroom_services.may_record_attendance(self.actor, klass)
        readable = self.writable or self.actor.role in (ADMIN_ROLES | OVERSIGHT_ROLES)
        if not readable:
            raise PermissionDenied("Chỉ giáo viên chủ nhiệm của lớp và lãnh đạo nhà trường xem chuyên cần.")
        return klass

    def day(self, raw):
        day = parse_day(raw) if raw else timezone.localdate()
        return day

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        klass = self.object
        year = klass.school_year
        raw = self.request.GET.get("ngay")
        day = self.day(raw)
        if day is None:
            messages.error(self.request, f"Ngày “{raw}” không hợp lệ; hãy nhập theo dạng dd/mm/yyyy.")
            day = timezone.localdate()
        enrolments = list(self.roster(klass, include_left=True))
        present = [
            e
            for e in enrolments
            if not (e.enrolled_on and day < e.enrolled_on) and not (e.left_on and day >= e.left_on)
        ]
        absences = {
            a.enrolment_id: a
            for a in visible_to(self.actor, Absence).filter(day=day, enrolment_id__in=[e.pk for e in present])
        }
        posted = kwargs.get("posted") or {}
        rows = []
        for e in present:
            a = absences.get(e.pk)
            values = {
                "sessions": a.sessions if a else 0,
                "excused": a.excused if a else False,
                "reason": a.reason if a else "",
            }
            values.update(posted.get(e.pk, {}))
            rows.append({"enrolment": e, "absence": a, **values})
        semester = next(
            (s for s in visible_to(self.actor, Semester).filter(school_year=year) if s.starts_on <= day <= s.ends_on),
            None,
        )
        ids = [e.pk for e in enrolments]
        year_totals = homeroom_services.absence_totals(ids, year)
        sem_totals = (
            homeroom_services.absence_totals(ids, year, start=semester.starts_on, end=semester.ends_on)
            if semester
            else {}
        )
        summary = []
        for e in enrolments:
            total, excused = year_totals.get(e.pk, (0, 0))
            s_total, s_excused = sem_totals.get(e.pk, (0, 0))
            summary.append(
                {
                    "enrolment": e,
                    "sem_excused": s_excused,
                    "sem_unexcused": s_total - s_excused,
                    "sem_total": s_total,
                    "year_excused": excused,
                    "year_unexcused": total - excused,
                    "year_total": total,
                    "over": homeroom_services.over_limit(total),
                }
            )
        in_year = year.starts_on <= day <= year.ends_on
        context.update(
            day=day,
            semester=semester,
            rows=rows,
            summary=summary,
            over_count=sum(1 for r in summary if r["over"]),
            warning=homeroom_services.ABSENCE_WARNING,
            limit=homeroom_services.ABSENCE_LIMIT,
            in_year=in_year,
            future=day > timezone.localdate(),
            writable=self.writable and in_year and day <= timezone.localdate() and not year.is_closed,
            previous_day=day - dt.timedelta(days=1),
            next_day=day + dt.timedelta(days=1),
        )
        return context

    def post(self, request, *args, **kwargs):
        klass = self.object = self.get_object()
        raw = request.POST.get("ngay", "")
        day = parse_day(raw)
        back = reverse("students:class-attendance", kwargs={"pk": klass.pk})
        if day is None:
            messages.error(request, f"Ngày “{raw}” không hợp lệ; hãy nhập theo dạng dd/mm/yyyy.")
            return redirect(back)
        rows, posted = [], {}
        for e in self.roster(klass, include_left=True):
            key = f"sessions_{e.pk}"
            if key not in request.POST:
                continue
            row = {
                "enrolment": e.pk,
                "sessions": request.POST.get(key, "0"),
                "excused": bool(request.POST.get(f"excused_{e.pk}")),
                "reason": request.POST.get(f"reason_{e.pk}", ""),
            }
            rows.append(row)
            posted[e.pk] = {k: v for k, v in row.items() if k != "enrolment"}
        back += f"?ngay={day:%d/%m/%Y}"
        try:
            result = homeroom_services.save_attendance(self.actor, klass, day, rows)
        except WorkflowError as exc:
            messages.error(request, exc.message)
            if exc.status == 403:
                return redirect(back)
            self.request.GET = self.request.GET.copy()
            self.request.GET["ngay"] = f"{day:%d/%m/%Y}"
            return self.render_to_response(self.get_context_data(posted=posted), status=400)
        changed = result["created"] + result["updated"] + result["deleted"]
        messages.success(
            request,
            f"Đã lưu chuyên cần ngày {day:%d/%m/%Y} ({changed} thay đổi)." if changed else "Không có gì thay đổi.",
        )
        return redirect(back)


class AbsenceDetail(ScopedDetailView):
    model = Absence
    template_name = "students/attendance_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("enrolment__student", "enrolment__school_class", "recorded_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["history"] = history_rows(self.object) if self.actor.role not in (Role.STUDENT, Role.PARENT) else []
        return context


urlpatterns = [
    path("diem/<int:pk>/gui/", SheetSubmit.as_view(), name="sheet-submit"),
    path("diem/<int:pk>/kiem-tra/", SheetCheck.as_view(), name="sheet-check"),
    path("diem/<int:pk>/tra-lai/", SheetReturn.as_view(), name="sheet-return"),
    path("diem/<int:pk>/duyet/", SheetApprove.as_view(), name="sheet-approve"),
    path("lop/<int:pk>/duyet-diem/", ClassApproval.as_view(), name="sheet-approve-class"),
    path("diem/<int:pk>/de-nghi-mo-khoa/", UnlockRequestCreate.as_view(), name="unlock-request"),
    path("mo-khoa/", UnlockList.as_view(), name="unlock-list"),
    path("mo-khoa/<int:pk>/", UnlockDetail.as_view(), name="unlock-detail"),
    path("han-nhap-diem/", DeadlineList.as_view(), name="deadline-list"),
    path("han-nhap-diem/them/", DeadlineCreate.as_view(), name="deadline-create"),
    path("han-nhap-diem/<int:pk>/", DeadlineDetail.as_view(), name="deadline-detail"),
    path("han-nhap-diem/<int:pk>/sua/", DeadlineUpdate.as_view(), name="deadline-update"),
    path("cong-bo/", PublicationList.as_view(), name="publication-list"),
    path("cong-bo/them/", PublicationCreate.as_view(), name="publication-create"),
    path("cong-bo/<int:pk>/", PublicationDetail.as_view(), name="publication-detail"),
    path("cong-bo/<int:pk>/thu-hoi/", PublicationWithdraw.as_view(), name="publication-withdraw"),
    path("lop/<int:pk>/ren-luyen/", ClassHomeroom.as_view(), name="class-homeroom"),
    path("ren-luyen/<int:pk>/", HomeroomDetail.as_view(), name="homeroom-detail"),
    path("lop/<int:pk>/chuyen-can/", ClassAttendance.as_view(), name="class-attendance"),
    path("chuyen-can/<int:pk>/", AbsenceDetail.as_view(), name="absence-detail"),
]

for _page in (
    ModulePage(
        "Đề nghị mở khoá bảng điểm",
        "students:unlock-list",
        ADMIN_ROLES | OVERSIGHT_ROLES | {Role.TEACHER},
        "Giáo viên đề nghị, hiệu trưởng quyết định mở khoá bảng điểm đã duyệt.",
    ),
    ModulePage(
        "Hạn nhập điểm",
        "students:deadline-list",
        ADMIN_ROLES | OVERSIGHT_ROLES | {Role.TEACHER},
        "Hạn cuối nhập điểm theo học kỳ, cho mọi khối hoặc từng khối.",
    ),
    ModulePage(
        "Công bố kết quả",
        "students:publication-list",
        ADMIN_ROLES | OVERSIGHT_ROLES,
        "Kết quả học kỳ / cả năm nhà trường cho phép cổng thông tin hiển thị.",
    ),
):
    register_page("students", _page)
