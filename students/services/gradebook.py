"""The grade book: open a class × subject × semester sheet, read its grid, save cells, and keep
the semester subject results (ĐTBmhk, Đ/CĐ, primary level and test) in step with the cells.

Every write is one transaction with the sheet row locked (``select_for_update``), so two
teachers' saves of one sheet are applied one after the other, never interleaved. Only the
teacher assigned to the class, subject and semester enters grades (Thông tư 22/2021; the
homeroom teacher and the school's leaders read), only while the sheet is a draft and until
the school's entry deadline (or, for a sheet the principal reopened after the deadline, until
it is submitted again).

A save is a *batch* of cells with a client-made id: the same batch sent again (a dropped
connection, a resend after logging in again) is answered with the stored reply and applied
once. Each cell carries the value the client started from (``old``): a cell somebody else
changed meanwhile is a conflict, and the whole batch is refused — nothing is half-saved.

A save costs the same number of queries whatever the class size or the number of cells
(bulk writes, one query per kind of read); ``tests/students/test_gradebook.py`` pins it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Cast
from django.utils import timezone

from sms.accounts.roles import ADMIN_ROLES, OVERSIGHT_ROLES, Role, UnitKind
from sms.accounts.scoping import can, visible_to
from sms.audit.history import acting_as, bulk_create_with_history, bulk_update_with_history
from sms.exports.numbers import vn_date, vn_decimal
from sms.org.models import SchoolClass, Semester, Subject, SubjectPlan
from teachers.selectors import assignments_visible_to, can_enter_grades, teacher_name_of

from .. import rules
from ..models import (
    EntryDeadline,
    Exemption,
    ExemptionKind,
    Period,
    ResultStatus,
    SaveBatch,
    Score,
    ScoreSheet,
    SheetStatus,
    SubjectResult,
    UnlockRequest,
    UnlockStatus,
)
from ..selectors import deadline_for, roster, rule_set_of

#: a save larger than this is refused (a class of 60 with 8 columns is 480 cells)
MAX_CELLS = 5000
#: the semester result rows a sheet keeps, by semester number
PERIOD_OF_SEMESTER = {1: Period.SEMESTER_1, 2: Period.SEMESTER_2}
#: what "Trạng thái" says for an assignment whose sheet nobody has opened yet
NOT_OPENED = "not_opened"
NOT_OPENED_LABEL = "Chưa mở"

MSG_NOT_ASSIGNED = "Chỉ giáo viên được phân công dạy môn này ở lớp này trong học kỳ này mới được nhập điểm."
MSG_READ_ONLY = "Bạn chỉ được xem bảng điểm này; giáo viên bộ môn được phân công mới nhập điểm."
MSG_LOCKED = "Bảng điểm đã được hiệu trưởng duyệt và khoá. Muốn sửa cần gửi đề nghị mở khoá."
MSG_SUBMITTED = "Bảng điểm đã gửi duyệt ({status}), không sửa được nữa."


class SheetError(Exception):
    """A grade-book request that cannot be carried out; nothing was saved.

    ``message`` is the Vietnamese sentence for the user, ``code`` a stable machine word,
    ``errors`` the cells at fault: ``[{"enrolment", "column", "message", …}]`` where each
    message names the learner (row number and name) and the column.
    """

    status = 400

    def __init__(self, message: str, *, code: str = "invalid", errors: list[dict] | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.errors = errors or []

    def as_dict(self) -> dict:
        return {"detail": self.message, "code": self.code, "errors": self.errors}


class SheetConflict(SheetError):
    """Cells changed by somebody else since the client read them; each error also gives the
    cell's current value (``current``, ``display``) and who changed it when."""

    status = 409

    def __init__(self, message: str, *, errors: list[dict]):
        super().__init__(message, code="conflict", errors=errors)


# --- small helpers ------------------------------------------------------------------------------------


def display_value(value: str | None) -> str:
    """A stored cell as the Vietnamese UI shows it: "8.5" → "8,5"; Đ/CĐ and T/H/C unchanged."""
    return (value or "").replace(".", ",")


def _stamp(moment: dt.datetime | None) -> str:
    """ "14:32 23/11/2026" in the school's time zone."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return f"{local:%H:%M} {vn_date(local.date())}"


def _person(user) -> str:
    return "" if user is None else (user.full_name or user.username)


def sheet_kind(sheet: ScoreSheet) -> str:
    """ "scored", "comment" or "primary": what the sheet's cells hold and which result it gives."""
    if rules.is_primary(sheet.rule_set):
        return "primary"
    kinds = {c["kind"] for c in sheet.columns}
    return "comment" if rules.CellKind.COMMENT in kinds else "scored"


def _sheet_rows(sheet: ScoreSheet):
    """The learners of the sheet's class in this semester, in the class list's order: those who
    left during the semester stay (marked), those who left before it or came after it do not."""
    semester = sheet.semester
    return (
        roster(sheet.school_class, include_left=True)
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=semester.starts_on))
        .filter(Q(enrolled_on__isnull=True) | Q(enrolled_on__lte=semester.ends_on))
    )


def _exemptions(sheet: ScoreSheet) -> dict[int, str]:
    """enrolment id → exemption kind, for exemptions of the sheet's subject that apply to its semester."""
    rows = Exemption.objects.filter(
        enrolment__school_class_id=sheet.school_class_id, subject_id=sheet.subject_id
    ).filter(Q(semester__isnull=True) | Q(semester=sheet.semester.number))
    found: dict[int, str] = {}
    for enrolment_id, kind in rows.values_list("enrolment_id", "kind"):
        # an exemption outranks an individual plan when both are recorded
        if found.get(enrolment_id) != ExemptionKind.EXEMPT:
            found[enrolment_id] = kind
    return found


def _locked_sheet(sheet: ScoreSheet) -> ScoreSheet:
    return (
        ScoreSheet.objects.select_for_update(of=("self",))
        .select_related("school_class", "subject", "semester__school_year")
        .get(pk=sheet.pk)
    )


def _state_reason(sheet: ScoreSheet, closes_on: dt.date | None, today: dt.date | None = None) -> str:
    """Why the assigned teacher may not enter grades now ("" when they may)."""
    year = sheet.semester.school_year
    if year.is_closed:
        return f"Năm học {year} đã khoá sổ, không sửa điểm được."
    if sheet.status == SheetStatus.APPROVED:
        return MSG_LOCKED
    if sheet.status != SheetStatus.DRAFT:
        return MSG_SUBMITTED.format(status=sheet.get_status_display().lower())
    if closes_on is not None and (today or timezone.localdate()) > closes_on and not _reopened_after(sheet, closes_on):
        return f"Đã hết hạn nhập điểm (hạn cuối {vn_date(closes_on)}). Liên hệ hiệu trưởng nếu cần gia hạn."
    return ""


def _reopened_after(sheet: ScoreSheet, closes_on: dt.date) -> bool:
    """Whether the principal reopened the (draft) sheet after its entry deadline: the latest
    granted unlock request was decided after the deadline day. Such a sheet takes entries
    until it is submitted again (the unlock would be useless otherwise). One query, only
    asked when the deadline has passed."""
    latest = (
        UnlockRequest.objects.filter(sheet_id=sheet.pk, status=UnlockStatus.GRANTED, decided_at__isnull=False)
        .order_by("-decided_at")
        .values_list("decided_at", flat=True)
        .first()
    )
    return latest is not None and timezone.localdate(latest) > closes_on


# --- opening a sheet ----------------------------------------------------------------------------------


def _may_open(actor, school_class: SchoolClass, subject: Subject, semester: Semester) -> bool:
    """Who may open (create) a sheet: the school's leaders, the assigned teacher and the homeroom teacher."""
    if actor is None or getattr(actor, "membership", None) is None or actor.unit_id != school_class.school_id:
        return False
    if actor.role in (Role.PRINCIPAL, Role.SCHOOL_ADMIN):
        return True
    if actor.role != Role.TEACHER:
        return False
    return school_class.homeroom_teacher_id == actor.user.pk or can_enter_grades(actor, school_class, subject, semester)


def open_sheet(actor, school_class: SchoolClass, subject: Subject, semester: Semester) -> ScoreSheet:
    """The sheet of ``school_class`` × ``subject`` × ``semester``, created the first time with its
    columns frozen from the rules (TT22: ĐĐGtx count from the subject plan's periods a year).

    Anyone who may read it gets an existing sheet; creating one is for the school's leaders, the
    assigned teacher and the homeroom teacher. Raises ``SheetError`` (preschool, no subject plan,
    mismatched rows, closed year) or ``PermissionDenied``.
    """
    if len({school_class.school_id, subject.school_id, semester.school_id}) != 1:
        raise SheetError("Lớp, môn học và học kỳ phải thuộc cùng một trường.")
    if semester.school_year_id != school_class.school_year_id:
        raise SheetError(f"Học kỳ đã chọn không thuộc năm học {school_class.school_year} của lớp {school_class}.")
    existing = ScoreSheet.objects.filter(semester=semester, school_class=school_class, subject=subject).first()
    if existing is not None:
        if not can(actor, "view", existing):
            raise PermissionDenied("Bạn không có quyền xem bảng điểm này.")
        return existing
    if not _may_open(actor, school_class, subject, semester):
        raise PermissionDenied(
            "Chỉ giáo viên bộ môn được phân công, giáo viên chủ nhiệm hoặc lãnh đạo nhà trường mới mở được bảng điểm."
        )
    rule_set = rule_set_of(school_class)
    if rule_set == rules.RuleSet.NONE:
        raise SheetError("Lớp này không đánh giá bằng điểm số (mầm non), không có bảng điểm.", code="no_grades")
    year = school_class.school_year
    if year.is_closed:
        raise SheetError(f"Năm học {year} đã khoá sổ, không mở thêm bảng điểm.", code="year_closed")
    plan = SubjectPlan.objects.filter(school_year=year, grade=school_class.grade, subject=subject).first()
    if plan is None:
        raise SheetError(
            f"Chưa có kế hoạch dạy học môn {subject.name} cho khối {school_class.grade} năm học {year} "
            "(số tiết/năm quyết định số cột điểm). Hãy nhờ quản trị nhà trường khai báo trước.",
            code="no_plan",
        )
    columns = rules.sheet_columns(
        rule_set,
        assessment=subject.assessment,
        periods_per_year=plan.periods_per_year,
        grade=school_class.grade,
        subject_code=subject.code,
        semester=semester.number,
    )
    try:
        with transaction.atomic(), acting_as(actor):
            return ScoreSheet.objects.create(
                school_id=school_class.school_id,
                semester=semester,
                school_class=school_class,
                subject=subject,
                rule_set=rule_set,
                columns=ScoreSheet.freeze_columns(columns),
            )
    except IntegrityError:
        # somebody opened it at the same moment: theirs is the sheet
        return ScoreSheet.objects.get(semester=semester, school_class=school_class, subject=subject)


# --- the grid -----------------------------------------------------------------------------------------


def _result_payload(kind: str, result: SubjectResult | None) -> dict:
    """A semester result as the grid and the save reply show it."""
    if result is None:
        return {"display": ""}
    if result.excluded:
        return {"excluded": True, "display": "Miễn"}
    if kind == "scored":
        average = result.average
        return {"average": None if average is None else str(average), "display": vn_decimal(average)}
    if kind == "comment":
        passed = result.passed
        return {"passed": passed, "display": "" if passed is None else ("Đ" if passed else "CĐ")}
    test = result.test_score
    shown = " ".join(part for part in (result.level, "" if test is None else f"KT {test}") if part)
    return {"level": result.level, "test": test, "display": shown}


def grid(actor, sheet: ScoreSheet) -> dict:
    """Everything the grade-entry screen shows for ``sheet`` (which the caller reached through the door).

    ``rows``: the learners (number, enrolment id, name, learner code, ``left``/``left_on`` for those
    who left during the semester, ``exempt`` ("exempt"/"iep"/""), ``cells`` column → {value,
    display, updated_by, updated_at}, ``result``); ``cells``: the same cells keyed by
    ``(enrolment_id, column)``; ``columns``; ``editable`` and ``reason`` (why not); ``version``,
    ``status``, ``deadline``.
    """
    enrolments = list(_sheet_rows(sheet))
    ids = [e.pk for e in enrolments]
    exempt = _exemptions(sheet)
    scores = Score.objects.filter(sheet=sheet, enrolment_id__in=ids).select_related("updated_by")
    cells: dict[tuple[int, str], dict] = {}
    for score in scores:
        cells[(score.enrolment_id, score.column)] = {
            "value": score.value,
            "display": display_value(score.value),
            "updated_by": _person(score.updated_by),
            "updated_at": score.updated_at.isoformat() if score.updated_at else "",
            "updated_at_display": _stamp(score.updated_at),
        }
    period = PERIOD_OF_SEMESTER[sheet.semester.number]
    results = {
        r.enrolment_id: r
        for r in SubjectResult.objects.filter(enrolment_id__in=ids, subject_id=sheet.subject_id, period=period)
    }
    kind = sheet_kind(sheet)
    columns = sheet.columns
    ends_on = sheet.semester.ends_on
    rows = []
    for number, enrolment in enumerate(enrolments, start=1):
        left = enrolment.left_on is not None and enrolment.left_on <= ends_on
        rows.append(
            {
                "number": number,
                "enrolment": enrolment.pk,
                "name": enrolment.student.full_name,
                "learner_code": enrolment.student.learner_code,
                "left": left,
                "left_on": enrolment.left_on if left else None,
                "exempt": exempt.get(enrolment.pk, ""),
                "cells": {c["key"]: cells.get((enrolment.pk, c["key"])) for c in columns},
                "result": _result_payload(kind, results.get(enrolment.pk)),
            }
        )
    closes_on = deadline_for(sheet)
    assigned = can_enter_grades(actor, sheet.school_class, sheet.subject, sheet.semester)
    reason = _state_reason(sheet, closes_on) if assigned else MSG_READ_ONLY
    teacher = teacher_name_of(sheet.semester_id, sheet.school_class_id, sheet.subject_id)
    return {
        "sheet": sheet,
        "kind": kind,
        "columns": columns,
        "rows": rows,
        "cells": cells,
        "version": sheet.version,
        "status": sheet.status,
        "status_label": sheet.get_status_display(),
        "deadline": closes_on,
        "editable": not reason,
        "reason": reason,
        "assigned": assigned,
        "teacher": teacher or "",
    }


def grid_json(data: Mapping) -> dict:
    """``grid()`` as JSON for the API (no model objects, no tuple keys; dates in ISO)."""
    sheet = data["sheet"]
    return {
        "id": sheet.pk,
        "school_class": sheet.school_class_id,
        "class_name": sheet.school_class.name,
        "subject": sheet.subject_id,
        "subject_name": sheet.subject.name,
        "semester": sheet.semester_id,
        "semester_number": sheet.semester.number,
        "rule_set": sheet.rule_set,
        "kind": data["kind"],
        "columns": data["columns"],
        "rows": [{**row, "left_on": row["left_on"].isoformat() if row["left_on"] else None} for row in data["rows"]],
        "version": data["version"],
        "status": data["status"],
        "status_label": data["status_label"],
        "deadline": data["deadline"].isoformat() if data["deadline"] else None,
        "editable": data["editable"],
        "reason": data["reason"],
        "teacher": data["teacher"],
    }


# --- saving cells -------------------------------------------------------------------------------------


@dataclass
class _Batch:
    """What a save found out before writing: the cells to write and the cells at fault."""

    creates: list[Score] = field(default_factory=list)
    updates: list[Score] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    conflicts: list[dict] = field(default_factory=list)


def _text(value) -> str | None:
    """A cell value from JSON or a form: text, a number, or null/blank."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, str):
        return value
    return None


def _canonical(kind: str, text: str) -> str:
    """The stored form of what a client says a cell held ("8,5" → "8.5"); unreadable text stays as sent."""
    try:
        return rules.parse_cell(kind, text) or ""
    except rules.CellError:
        return text.strip()


def _check_cells(
    sheet: ScoreSheet,
    cells: Iterable[Mapping],
    enrolments: list,
    exempt: Mapping[int, str],
    stored: Mapping[tuple[int, str], Score],
    actor,
    now: dt.datetime,
) -> _Batch:
    batch = _Batch()
    rows = {e.pk: (number, e) for number, e in enumerate(enrolments, start=1)}
    columns = {c["key"]: c for c in sheet.columns}
    seen: set[tuple[int, str]] = set()
    for index, cell in enumerate(cells, start=1):
        if not isinstance(cell, Mapping):
            batch.errors.append({"enrolment": None, "column": None, "message": f"Ô thứ {index} không đúng định dạng."})
            continue
        raw_enrolment, key = cell.get("enrolment"), cell.get("column")
        try:
            enrolment_id = int(str(raw_enrolment))
        except (TypeError, ValueError):
            enrolment_id = None
        where = rows.get(enrolment_id)
        if where is None:
            batch.errors.append(
                {
                    "enrolment": raw_enrolment,
                    "column": key,
                    "message": f"Ô thứ {index}: học sinh (mã {raw_enrolment}) không có trong danh sách lớp "
                    f"{sheet.school_class} học kỳ này.",
                }
            )
            continue
        number, enrolment = where
        person = f"Dòng {number} – {enrolment.student.full_name}"
        column = columns.get(key) if isinstance(key, str) else None
        if column is None:
            batch.errors.append(
                {"enrolment": enrolment_id, "column": key, "message": f"{person}: bảng điểm không có cột “{key}”."}
            )
            continue
        where_text = f"{person}, cột {column['label']}"
        if (enrolment_id, key) in seen:
            batch.errors.append(
                {"enrolment": enrolment_id, "column": key, "message": f"{where_text}: ô này được gửi hai lần."}
            )
            continue
        seen.add((enrolment_id, key))
        if exempt.get(enrolment_id) == ExemptionKind.EXEMPT:
            batch.errors.append(
                {
                    "enrolment": enrolment_id,
                    "column": key,
                    "message": f"{where_text}: học sinh được miễn môn này trong học kỳ, không nhập điểm.",
                }
            )
            continue
        text = _text(cell.get("value"))
        if text is None:
            batch.errors.append(
                {"enrolment": enrolment_id, "column": key, "message": f"{where_text}: giá trị không đọc được."}
            )
            continue
        try:
            new = rules.parse_cell(column["kind"], text) or ""
        except rules.CellError as exc:
            batch.errors.append({"enrolment": enrolment_id, "column": key, "message": f"{where_text}: {exc.message}"})
            continue
        old_text = _text(cell.get("old"))
        old = _canonical(column["kind"], old_text or "")
        row = stored.get((enrolment_id, key))
        current = row.value if row is not None else ""
        if current == new:
            continue  # nothing to write (it may be the same change made twice)
        if current != old:
            who = _person(row.updated_by) if row is not None else ""
            when = _stamp(row.updated_at) if row is not None else ""
            shown = display_value(current) or "ô trống"
            batch.conflicts.append(
                {
                    "enrolment": enrolment_id,
                    "column": key,
                    "current": current,
                    "display": display_value(current),
                    "updated_by": who,
                    "updated_at": row.updated_at.isoformat() if row is not None and row.updated_at else "",
                    "updated_at_display": when,
                    "message": f"{where_text}: {who or 'người khác'} đã sửa thành {shown}"
                    f"{f' lúc {when}' if when else ''} trong khi bạn đang nhập.",
                }
            )
            continue
        if row is None:
            batch.creates.append(
                Score(
                    school_id=sheet.school_id,
                    sheet_id=sheet.pk,
                    enrolment_id=enrolment_id,
                    column=key,
                    value=new,
                    updated_by=actor.user,
                    updated_at=now,
                )
            )
        else:
            row.value, row.updated_by, row.updated_at = new, actor.user, now
            batch.updates.append(row)
    return batch


MSG_BATCH_REUSED = (
    "Mã lần lưu này đã được dùng cho một lần lưu khác với các ô khác (có thể do bấm Quay lại rồi gửi lại "
    "trang cũ). Chưa lưu gì: hãy tải lại bảng điểm, kiểm tra các ô rồi lưu lại."
)


def batch_digest(cells) -> str:
    """SHA-256 of a batch's cells in a canonical form (sorted by learner, column, value, old), so
    a resend of the same batch matches whatever the order of its cells, and the same id with
    other cells does not. No queries."""
    rows = []
    for cell in cells:
        if isinstance(cell, Mapping):
            rows.append(
                [
                    str(cell.get("enrolment")),
                    str(cell.get("column")),
                    _text(cell.get("value")) or "",
                    _text(cell.get("old")) or "",
                ]
            )
        else:
            rows.append([repr(cell), "", "", ""])
    rows.sort()
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def save_cells(actor, sheet: ScoreSheet, *, batch_id: uuid.UUID, cells: list[dict]) -> dict:
    """Save a batch of cells typed by the assigned teacher, all or nothing.

    ``cells``: ``[{"enrolment": id, "column": key, "value": typed text, "old": value the client
    started from}]``. Only changed cells are written (new ``Score`` rows and updated ones, each
    with its history row: who, when, from which IP); a cleared cell keeps its row with "". The
    sheet's ``version`` grows, the semester results of the learners touched are recomputed, and
    the reply is stored with the batch id and a digest of the cells: sending the same batch again
    returns it unchanged, the same id with other cells is refused (``batch_reused``).

    Reply: ``{"version", "saved", "cells": [changed cells with updated_by/updated_at], "results":
    {enrolment id (str): result}}``. Raises ``PermissionDenied`` (not the assigned teacher),
    ``SheetError`` (locked, submitted, past the deadline, an invalid cell: ``errors`` names each
    learner and column) or ``SheetConflict`` (cells changed meanwhile, with their current values).
    """
    try:
        batch_id = batch_id if isinstance(batch_id, uuid.UUID) else uuid.UUID(str(batch_id))
    except (TypeError, ValueError, AttributeError):
        raise SheetError("Mã lần lưu (batch_id) không hợp lệ.", code="bad_batch") from None
    if not isinstance(cells, list | tuple):
        raise SheetError("Danh sách ô cần lưu không đúng định dạng.", code="bad_cells")
    if len(cells) > MAX_CELLS:
        raise SheetError(f"Một lần lưu tối đa {MAX_CELLS} ô.", code="too_many_cells")
    digest = batch_digest(cells)
    with transaction.atomic():
        sheet = _locked_sheet(sheet)
        done = SaveBatch.objects.filter(batch_id=batch_id).first()
        if done is not None:
            same = done.sheet_id == sheet.pk and done.user_id == actor.user.pk
            # a batch stored before digests were kept (blank) is trusted as before
            if same and (not done.digest or done.digest == digest):
                return done.reply
            raise SheetError(MSG_BATCH_REUSED, code="batch_reused")
        if not can_enter_grades(actor, sheet.school_class, sheet.subject, sheet.semester):
            raise PermissionDenied(MSG_NOT_ASSIGNED)
        reason = _state_reason(sheet, deadline_for(sheet))
        if reason:
            code = {SheetStatus.APPROVED: "locked", SheetStatus.DRAFT: "deadline_passed"}.get(sheet.status, "submitted")
            if sheet.semester.school_year.is_closed:
                code = "year_closed"
            raise SheetError(reason, code=code)
        enrolments = list(_sheet_rows(sheet))
        exempt = _exemptions(sheet)
        stored = {(s.enrolment_id, s.column): s for s in Score.objects.filter(sheet=sheet).select_related("updated_by")}
        now = timezone.now()
        batch = _check_cells(sheet, cells, enrolments, exempt, stored, actor, now)
        if batch.errors:
            count = len(batch.errors)
            raise SheetError(
                f"Chưa lưu: {count} ô không hợp lệ. Hãy sửa các ô được đánh dấu rồi lưu lại.", errors=batch.errors
            )
        if batch.conflicts:
            raise SheetConflict(
                f"Chưa lưu: {len(batch.conflicts)} ô đã được người khác sửa trong khi bạn nhập. "
                "Hãy xem giá trị mới rồi lưu lại.",
                errors=batch.conflicts,
            )
        changed = batch.creates + batch.updates
        if batch.creates:
            bulk_create_with_history(batch.creates, Score, actor=actor)
        if batch.updates:
            _bulk_set(Score, batch.updates, ["value"], updated_by=actor.user, updated_at=now)
            # the rows are written above; this adds their history rows (who, when, IP), attributed to the actor
            bulk_update_with_history(batch.updates, Score, [], actor=actor)
        version = sheet.version
        results: dict[str, dict] = {}
        if changed:
            ScoreSheet.objects.filter(pk=sheet.pk).update(version=F("version") + 1)
            version += 1
            for score in changed:
                stored[(score.enrolment_id, score.column)] = score
            touched = {score.enrolment_id for score in changed}
            refreshed = _refresh(sheet, [e for e in enrolments if e.pk in touched], exempt, stored)
            kind = sheet_kind(sheet)
            results = {str(pk): _result_payload(kind, result) for pk, result in refreshed.items()}
        reply = {
            "version": version,
            "saved": len(changed),
            "cells": [
                {
                    "enrolment": s.enrolment_id,
                    "column": s.column,
                    "value": s.value,
                    "display": display_value(s.value),
                    "updated_by": _person(actor.user),
                    "updated_at": s.updated_at.isoformat(),
                    "updated_at_display": _stamp(s.updated_at),
                }
                for s in changed
            ],
            "results": results,
        }
        SaveBatch.objects.create(
            school_id=sheet.school_id, batch_id=batch_id, sheet=sheet, user=actor.user, reply=reply, digest=digest
        )
    return reply


# --- semester subject results -------------------------------------------------------------------------


def _compute(kind: str, columns: list[rules.Column], cells: Mapping[str, str]) -> dict:
    """The semester result fields of one learner from their cells (TT22 Art. 9.1; TT27 Art. 6–7)."""
    values = {"average": None, "passed": None, "level": "", "test_score": None}
    if kind == "scored":
        try:
            values["average"] = rules.semester_average_from_cells(columns, cells)
        except ValueError:
            values["average"] = None  # a cell not in canonical form (never written by save_cells)
    elif kind == "comment":
        values["passed"] = rules.comment_result(columns, cells)
    else:
        values["level"] = cells.get("level_ck") or ""
        test = cells.get("test_ck") or ""
        values["test_score"] = int(test) if test.isdigit() else None
    return values


_BLANK = Score(value="")
RESULT_FIELDS = ["average", "passed", "level", "test_score", "excluded", "status"]


def _refresh(
    sheet: ScoreSheet, enrolments: list, exempt: Mapping[int, str], stored: Mapping
) -> dict[int, SubjectResult]:
    """Write the semester SubjectResult rows of ``enrolments`` from the cells in ``stored``
    ((enrolment id, column) → Score); returns enrolment id → row. Two or three queries."""
    if not enrolments:
        return {}
    period = PERIOD_OF_SEMESTER[sheet.semester.number]
    ids = [e.pk for e in enrolments]
    existing = {
        r.enrolment_id: r
        for r in SubjectResult.objects.filter(enrolment_id__in=ids, subject_id=sheet.subject_id, period=period)
    }
    kind = sheet_kind(sheet)
    columns = sheet.column_specs()
    keys = [c.key for c in columns]
    creates, updates, rows = [], [], {}
    changed_fields: set[str] = set()
    for enrolment in enrolments:
        excluded = enrolment.pk in exempt
        entered = any((stored.get((enrolment.pk, key)) or _BLANK).value for key in keys)
        if excluded:
            values = {"average": None, "passed": None, "level": "", "test_score": None}
        else:
            cells = {}
            for key in keys:
                score = stored.get((enrolment.pk, key))
                if score is not None and score.value:
                    cells[key] = score.value
            values = _compute(kind, columns, cells)
        values["excluded"] = excluded
        row = existing.get(enrolment.pk)
        if row is None:
            if not excluded and not entered:
                continue  # nothing entered yet: no result row
            row = SubjectResult(
                school_id=sheet.school_id,
                enrolment_id=enrolment.pk,
                subject_id=sheet.subject_id,
                period=period,
                status=ResultStatus.COMPUTED,
                **values,
            )
            creates.append(row)
        else:
            differ = [k for k, v in values.items() if getattr(row, k) != v]
            if differ:
                for k in differ:
                    setattr(row, k, values[k])
                # a changed value was never approved: it waits for the next approval
                if row.status != ResultStatus.COMPUTED:
                    row.status = ResultStatus.COMPUTED
                    differ.append("status")
                changed_fields.update(differ)
                updates.append(row)
        rows[enrolment.pk] = row
    if creates:
        SubjectResult.objects.bulk_create(creates)
    if updates:
        _bulk_set(SubjectResult, updates, [f for f in RESULT_FIELDS if f in changed_fields])
    return rows


def _bulk_set(model, rows: list, fields: list[str], **common) -> int:
    """One UPDATE for many rows: each of ``fields`` set per row from the objects, ``common``
    set alike on all. Rows are grouped by value (``CASE WHEN id IN (…) THEN v``), so the
    statement grows with the number of distinct values, not rows — a grade book has few —
    which keeps it far cheaper to build than ``bulk_update``'s one WHEN per row and field."""
    if not rows:
        return 0
    updates = dict(common)
    for name in fields:
        output = model._meta.get_field(name)
        groups: dict = defaultdict(list)
        for row in rows:
            groups[getattr(row, name)].append(row.pk)
        # The Cast types the CASE even when every branch is NULL (PostgreSQL reads a bare NULL
        # CASE as text and refuses it for a numeric or boolean column).
        updates[name] = Cast(
            Case(
                *(When(pk__in=ids, then=Value(value, output_field=output)) for value, ids in groups.items()),
                output_field=output,
            ),
            output_field=output,
        )
    return model._default_manager.filter(pk__in=[row.pk for row in rows]).update(**updates)


def refresh_sheet_results(sheet: ScoreSheet, enrolment_ids: Iterable[int] | None = None) -> dict[int, SubjectResult]:
    """Recompute the semester ``SubjectResult`` rows (period hk1/hk2 by the semester's number) of
    the sheet's learners (or only ``enrolment_ids``) from their cells by the rules: ĐTBmhk
    (``semester_average_from_cells``), Đạt/Chưa đạt (``comment_result``) or, in primary, the
    end-of-semester level and test. Exempted learners get ``excluded=True`` and no values.

    The computed rows are written WITHOUT history rows: they are derived entirely from the
    scores, whose every change is in history, and recomputing them must stay cheap. The
    query count does not depend on the number of learners (bulk create and bulk update).
    Returns enrolment id → row.
    """
    sheet = ScoreSheet.objects.select_related("school_class", "subject", "semester").get(pk=sheet.pk)
    enrolments = list(_sheet_rows(sheet))
    if enrolment_ids is not None:
        wanted = set(enrolment_ids)
        enrolments = [e for e in enrolments if e.pk in wanted]
    if not enrolments:
        return {}
    exempt = _exemptions(sheet)
    stored = {
        (s.enrolment_id, s.column): s
        for s in Score.objects.filter(sheet=sheet, enrolment_id__in=[e.pk for e in enrolments])
    }
    with transaction.atomic():
        return _refresh(sheet, enrolments, exempt, stored)


# --- the sheet list -----------------------------------------------------------------------------------


@dataclass
class SheetEntry:
    """One line of the sheet list: an assignment (or an opened sheet) and where it stands."""

    semester: Semester
    school_class: SchoolClass
    subject: Subject
    teacher: str = ""
    sheet: ScoreSheet | None = None
    deadline: dt.date | None = None
    mine: bool = False  # the actor is the assigned teacher

    @property
    def status(self) -> str:
        return self.sheet.status if self.sheet else NOT_OPENED

    @property
    def status_label(self) -> str:
        return self.sheet.get_status_display() if self.sheet else NOT_OPENED_LABEL

    @property
    def deadline_passed(self) -> bool:
        return self.deadline is not None and timezone.localdate() > self.deadline

    def get_absolute_url(self) -> str:
        return self.sheet.get_absolute_url() if self.sheet else ""


STATUS_FILTER_CHOICES = [(NOT_OPENED, NOT_OPENED_LABEL), *SheetStatus.choices]


def sheets_for(
    actor,
    *,
    semester: Semester | None = None,
    school_class: SchoolClass | None = None,
    subject: Subject | None = None,
    status: str | None = None,
    school=None,
) -> list[SheetEntry]:
    """What the sheet list shows the actor: for a teacher their assignments and every subject of
    the classes they are homeroom teacher of; for the school's leaders every assignment of the
    school; each with its sheet if opened (sheets opened without an assignment are listed too).
    Sở/Phòng staff see the opened sheets of one of their schools (``school``, required for them).
    Without ``semester``, the semesters of the current school years. Three queries."""
    if actor is None or getattr(actor, "membership", None) is None:
        return []
    sheets = visible_to(actor, ScoreSheet).select_related("semester__school_year", "school_class", "subject", "school")
    at_school = actor.unit.kind in (UnitKind.SCHOOL, UnitKind.CENTRE)
    if not at_school:
        if school is None:
            return []
        sheets = sheets.filter(school=school)
    assignments = assignments_visible_to(actor)
    if not (at_school and actor.role in (ADMIN_ROLES | {Role.TEACHER})):
        assignments = assignments.none()
    if actor.role == Role.TEACHER:
        assignments = assignments.filter(Q(teacher__user=actor.user) | Q(school_class__homeroom_teacher=actor.user))
    elif actor.role not in ADMIN_ROLES | OVERSIGHT_ROLES:
        return []
    filters = Q()
    if semester is not None:
        filters &= Q(semester=semester)
    else:
        filters &= Q(semester__school_year__is_current=True)
    if school_class is not None:
        filters &= Q(school_class=school_class)
    if subject is not None:
        filters &= Q(subject=subject)
    entries: dict[tuple[int, int, int], SheetEntry] = {}
    for a in assignments.filter(filters):
        entries[(a.semester_id, a.school_class_id, a.subject_id)] = SheetEntry(
            semester=a.semester,
            school_class=a.school_class,
            subject=a.subject,
            teacher=a.teacher.full_name,
            mine=a.teacher.user_id == actor.user.pk,
        )
    for s in sheets.filter(filters):
        key = (s.semester_id, s.school_class_id, s.subject_id)
        entry = entries.get(key)
        if entry is None:
            entry = entries[key] = SheetEntry(semester=s.semester, school_class=s.school_class, subject=s.subject)
        entry.sheet = s
    chosen = [e for e in entries.values() if not status or e.status == status]
    semester_ids = {e.semester.pk for e in chosen}
    deadlines: dict[tuple[int, int | None], dt.date] = {
        (d.semester_id, d.grade): d.closes_on for d in EntryDeadline.objects.filter(semester_id__in=semester_ids)
    }
    for e in chosen:
        grade = e.school_class.grade
        e.deadline = deadlines.get((e.semester.pk, grade), deadlines.get((e.semester.pk, None)))
    chosen.sort(
        key=lambda e: (
            -e.semester.school_year.start_year,
            e.semester.number,
            e.school_class.grade,
            e.school_class.name,
            e.subject.name,
        )
    )
    return chosen
