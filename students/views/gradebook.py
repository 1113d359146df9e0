"""Pages of module (a): the grade book — the sheet list, opening a sheet, the grade-entry grid
(a plain HTML form that works without JavaScript, enhanced by students/static/students/gradebook.js)
and each sheet's change history. Every write goes through students.services.gradebook."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views import generic

from sms.accounts.roles import ADMIN_ROLES, OVERSIGHT_ROLES, Role, UnitKind
from sms.accounts.scoping import get_visible_or_404, visible_to
from sms.org.models import SchoolClass, Semester, Subject, Unit
from sms.shell.modules import ModulePage, register_page
from sms.views import ActorMixin, ScopedDetailView, ScopedListView

from .. import rules
from ..models import Score, ScoreSheet, teacher_classes
from ..services import gradebook as service
from ..services.workflow import actions_for

# --- the sheet list ----------------------------------------------------------------------------------


class SheetFilterForm(forms.Form):
    """The sheet list's filters; every choice comes through the door."""

    school = forms.ModelChoiceField(
        label="Trường", queryset=Unit.objects.none(), required=False, empty_label="Chọn trường"
    )
    semester = forms.ModelChoiceField(
        label="Học kỳ", queryset=Semester.objects.none(), required=False, empty_label="Năm học hiện tại"
    )
    school_class = forms.ModelChoiceField(
        label="Lớp", queryset=SchoolClass.objects.none(), required=False, empty_label="Tất cả"
    )
    subject = forms.ModelChoiceField(
        label="Môn học", queryset=Subject.objects.none(), required=False, empty_label="Tất cả"
    )
    status = forms.ChoiceField(
        label="Trạng thái", choices=[("", "Tất cả"), *service.STATUS_FILTER_CHOICES], required=False
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        at_school = actor.unit.kind in (UnitKind.SCHOOL, UnitKind.CENTRE)
        if at_school:
            del self.fields["school"]
            school_ids = [actor.unit_id]
        else:
            self.fields["school"].queryset = (
                visible_to(actor, Unit).filter(kind__in=[UnitKind.SCHOOL, UnitKind.CENTRE]).order_by("name")
            )
            school_ids = None
        semesters = visible_to(actor, Semester).filter(school_year__is_closed=False).select_related("school_year")
        classes = visible_to(actor, SchoolClass).filter(school_year__is_closed=False)
        subjects = visible_to(actor, Subject).filter(is_active=True)
        if school_ids is not None:
            semesters, classes, subjects = (
                qs.filter(school_id__in=school_ids) for qs in (semesters, classes, subjects)
            )
        else:
            picked = self.data.get("school") if self.is_bound else None
            picked = int(picked) if picked and str(picked).isdigit() else 0
            semesters, classes, subjects = (qs.filter(school_id=picked) for qs in (semesters, classes, subjects))
        if actor.role == Role.TEACHER:
            classes = classes.filter(pk__in=teacher_classes(actor))
        self.fields["semester"].queryset = semesters.order_by("-school_year__start_year", "number")
        self.fields["school_class"].queryset = classes.order_by("grade", "name")
        self.fields["subject"].queryset = subjects.order_by("name")


class SheetList(ScopedListView):
    """Bảng điểm: the actor's sheets (or assignments not opened yet) with status and deadline."""

    model = ScoreSheet
    required_action = "view"  # roles that read no sheet at all (clerk, learners) get a 403
    template_name = "students/sheet_list.html"
    paginate_by = 100

    def get_queryset(self):
        self.filterset = None
        self.form = SheetFilterForm(self.request.GET or None, actor=self.actor)
        picked = self.form.cleaned_data if self.form.is_bound and self.form.is_valid() else {}
        if self.form.is_bound and not self.form.is_valid():
            return []
        return service.sheets_for(
            self.actor,
            semester=picked.get("semester"),
            school_class=picked.get("school_class"),
            subject=picked.get("subject"),
            status=picked.get("status") or None,
            school=picked.get("school"),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        at_school = self.actor.unit.kind in (UnitKind.SCHOOL, UnitKind.CENTRE)
        context.update(
            form=self.form,
            at_school=at_school,
            may_open=at_school and self.actor.role in (ADMIN_ROLES | {Role.TEACHER}),
            pick_school=not at_school and not (self.form.is_bound and self.form.data.get("school")),
        )
        return context


class SheetOpen(ActorMixin, generic.View):
    """POST class, subject, semester: open (create if new) the sheet and go to its grid."""

    model = ScoreSheet
    required_action = "view"
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        actor = self.actor
        school_class = get_visible_or_404(
            actor, SchoolClass.objects.select_related("school_year"), _id(request, "class")
        )
        subject = get_visible_or_404(actor, Subject, _id(request, "subject"))
        semester = get_visible_or_404(actor, Semester, _id(request, "semester"))
        try:
            sheet = service.open_sheet(actor, school_class, subject, semester)
        except service.SheetError as exc:
            messages.error(request, exc.message)
            return redirect("students:sheet-list")
        return redirect(sheet.get_absolute_url())


def _id(request, name: str) -> str:
    value = request.POST.get(name, "")
    return value if value.isdigit() else "0"


# --- the grid ----------------------------------------------------------------------------------------


def _field(enrolment_id: int, column: str) -> str:
    return f"c-{enrolment_id}-{column}"


class SheetDetail(ScopedDetailView):
    """The grade-entry grid: one <input> per cell, a plain form POST (works without JavaScript)
    that gradebook.js turns into one JSON request to the API with an idempotent batch id."""

    model = ScoreSheet
    template_name = "students/sheet_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("school_class", "subject", "semester__school_year", "school")

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return self.render_to_response(self.get_context_data())

    def post(self, request, *args, **kwargs):
        """The no-script save: every cell whose text differs from the value the page was drawn
        with is sent, with that value as ``old``, in one batch (the page's batch id)."""
        self.object = sheet = self.get_object()
        try:
            batch_id = uuid.UUID(request.POST.get("batch_id", ""))
        except ValueError:
            batch_id = uuid.uuid4()
        columns = {c["key"]: c for c in sheet.columns}
        cells, typed = [], {}
        for name, value in request.POST.items():
            if not name.startswith("c-"):
                continue
            try:
                _, enrolment, column = name.split("-", 2)
                enrolment = int(enrolment)
            except ValueError:
                continue
            if column not in columns:
                continue
            old = request.POST.get(f"o-{enrolment}-{column}", "")
            typed[(enrolment, column)] = value
            if _unchanged(columns[column]["kind"], value, old):
                continue
            cells.append({"enrolment": enrolment, "column": column, "value": value, "old": old})
        try:
            reply = service.save_cells(self.actor, sheet, batch_id=batch_id, cells=cells)
        except service.SheetError as exc:
            context = self.get_context_data(typed=typed, error=exc)
            return self.render_to_response(context, status=exc.status)
        saved = reply["saved"]
        messages.success(request, f"Đã lưu {saved} ô." if saved else "Không có ô nào thay đổi.")
        return redirect(sheet.get_absolute_url())

    def get_context_data(self, typed=None, error=None, **kwargs):
        context = super().get_context_data(**kwargs)
        sheet = self.object
        data = service.grid(self.actor, sheet)
        bad = {}
        conflicts = {}
        if error is not None:
            for item in error.errors:
                key = (item.get("enrolment"), item.get("column"))
                (conflicts if isinstance(error, service.SheetConflict) else bad)[key] = item
        columns = data["columns"]
        rows = []
        for row in data["rows"]:
            cells = []
            for column in columns:
                key = (row["enrolment"], column["key"])
                stored = row["cells"].get(column["key"]) or {}
                shown = stored.get("display", "")
                if typed is not None and key in typed:
                    shown = typed[key]
                problem = bad.get(key) or conflicts.get(key)
                cells.append(
                    {
                        "key": column["key"],
                        "label": column["label"],
                        "kind": column["kind"],
                        "name": _field(row["enrolment"], column["key"]),
                        "old": conflicts[key]["current"] if key in conflicts else stored.get("value", ""),
                        "shown": shown,
                        "updated_by": stored.get("updated_by", ""),
                        "updated_at": stored.get("updated_at_display", ""),
                        "error": problem["message"] if problem else "",
                        "id": f"cell-{row['enrolment']}-{column['key']}",
                    }
                )
            rows.append({**row, "cell_list": cells})
        actions = actions_for(self.actor, sheet)
        user = self.actor.user
        context.update(
            grid=data,
            rows=rows,
            columns=columns,
            actions=actions,
            next_url=sheet.get_absolute_url(),
            error=error,
            batch_id=uuid.uuid4(),
            hints=[hint for kind, hint in KIND_HINTS.items() if any(c["kind"] == kind for c in columns)],
            client_config=(
                {
                    "sheet": sheet.pk,
                    "user": user.pk,
                    "membership": self.actor.membership.pk,
                    "version": data["version"],
                    "editable": data["editable"],
                    "saveUrl": reverse("api:scoresheet-save", kwargs={"pk": sheet.pk}),
                    "loginUrl": reverse("login"),
                    "meUrl": reverse("api:me"),
                    "switchUrl": reverse("switch-unit"),
                    "columns": {c["key"]: {"label": c["label"], "kind": c["kind"]} for c in columns},
                    "messages": CLIENT_MESSAGES,
                }
            ),
            history_url=reverse("students:sheet-history", kwargs={"pk": sheet.pk}),
        )
        return context


def _unchanged(kind: str, value: str, old: str) -> bool:
    """Whether what the form sent for a cell is the value it was drawn with ("8,5" is "8.5")."""
    try:
        return (rules.parse_cell(kind, value) or "") == (old or "")
    except rules.CellError:
        return False


#: what each kind of cell accepts, shown under the grid and used as the inputs' hint
KIND_HINTS = {
    rules.CellKind.SCORE: "Điểm từ 0 đến 10, tối đa một chữ số thập phân (8 hoặc 8,5).",
    rules.CellKind.COMMENT: "Đ (Đạt) hoặc CĐ (Chưa đạt).",
    rules.CellKind.LEVEL: "T (Hoàn thành tốt), H (Hoàn thành) hoặc C (Chưa hoàn thành).",
    rules.CellKind.TEST: "Điểm bài kiểm tra định kỳ: số nguyên từ 0 đến 10.",
}

#: the client's own messages (the cell checks mirror students.rules.parse_cell's)
CLIENT_MESSAGES = {
    "score_invalid": rules.MSG_SCORE_INVALID,
    "score_range": rules.MSG_SCORE_RANGE,
    "score_decimals": rules.MSG_SCORE_DECIMALS,
    "test": rules.MSG_TEST,
    "comment": rules.MSG_COMMENT,
    "level": rules.MSG_LEVEL,
}


# --- history -----------------------------------------------------------------------------------------


class SheetHistory(ScopedDetailView):
    """Every change of the sheet's cells, newest first: who, when, learner, column, old → new, IP."""

    model = ScoreSheet
    template_name = "students/sheet_history.html"
    paginate_by = 50

    def get_queryset(self):
        return super().get_queryset().select_related("school_class", "subject", "semester__school_year")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        sheet = self.object
        records = (
            Score.history.filter(sheet_id=sheet.pk)
            .select_related("history_user", "enrolment__student")
            .order_by("-history_date", "-history_id")
        )
        page = Paginator(records, self.paginate_by).get_page(self.request.GET.get("page"))
        ids = {r.id for r in page.object_list}
        # the value before each change: the previous history row of the same cell
        earlier: dict[int, list] = {}
        for row in (
            Score.history.filter(id__in=ids).order_by("history_date", "history_id").values("id", "history_id", "value")
        ):
            earlier.setdefault(row["id"], []).append(row)
        labels = {c["key"]: c["label"] for c in sheet.columns}
        entries = []
        for record in page.object_list:
            chain = earlier.get(record.id, [])
            position = next((i for i, r in enumerate(chain) if r["history_id"] == record.history_id), 0)
            old = chain[position - 1]["value"] if position > 0 else None
            entries.append(
                {
                    "when": record.history_date,
                    "who": record.history_user,
                    "learner": record.enrolment.student.full_name if record.enrolment_id else "",
                    "column": labels.get(record.column, record.column),
                    "old": service.display_value(old) if old else "",
                    "new": service.display_value(record.value),
                    "created": record.history_type == "+",
                    "ip": record.history_ip or "",
                }
            )
        context.update(entries=entries, page_obj=page, is_paginated=page.paginator.num_pages > 1)
        return context


urlpatterns = [
    path("diem/", SheetList.as_view(), name="sheet-list"),
    path("diem/mo/", SheetOpen.as_view(), name="sheet-open"),
    path("diem/<int:pk>/", SheetDetail.as_view(), name="sheet-detail"),
    path("diem/<int:pk>/lich-su/", SheetHistory.as_view(), name="sheet-history"),
]

register_page(
    "students",
    ModulePage(
        "Bảng điểm",
        "students:sheet-list",
        ADMIN_ROLES | OVERSIGHT_ROLES | {Role.TEACHER},
        "Nhập điểm, nhận xét theo lớp, môn, học kỳ; gửi duyệt và khoá.",
    ),
)
