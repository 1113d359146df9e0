"""The approval lifecycle of a grade-book sheet, unlock requests and publication (issue 5,
acceptance 6).

    DRAFT ──submit (assigned teacher)──▶ SUBMITTED ──check (homeroom teacher)──▶ CHECKED
      ▲                                      │                                     │
      └────return (homeroom / principal)─────┴─────────────────────────────────────┤
      ▲                                                                            ▼
      └──decide_unlock(grant) (principal) ◀── request_unlock ◀── APPROVED (locked) ◀── approve (principal)

Every transition is one transaction, re-reads and locks the sheet, checks the person with the
scoping door *and* their part in the workflow, and keeps history (the sheet's and the
request's ``AuditedHistory``; results through ``bulk_update_with_history``). A wrong state or a
wrong person raises ``WorkflowError`` with a Vietnamese message (``status`` 400 or 403), which
the pages show as a message and the API as the answer.

Visibility follows the sheet (models.SCORES_VISIBLE and the learner narrowing of the results):
learners see individual scores once the sheet is submitted, and the semester averages once it
is approved; granting an unlock hides both again until the sheet is approved anew.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from sms.accounts.roles import LEARNER_ROLES, Role
from sms.accounts.scoping import can, visible_to
from sms.audit.history import acting_here, bulk_update_with_history

from ..models import (
    Exemption,
    ExemptionKind,
    Period,
    Publication,
    ResultStatus,
    Score,
    ScoreSheet,
    SheetStatus,
    SubjectResult,
    TermResult,
    UnlockRequest,
    UnlockStatus,
)
from ..selectors import roster

#: longest note kept with a return (it is stored as the history row's change reason)
NOTE_MAX = 1000
#: how many learners a "missing cells" refusal names before summing up the rest
MISSING_LISTED = 10

SEMESTER_PERIOD = {1: Period.SEMESTER_1, 2: Period.SEMESTER_2}

MSG_NOT_YOURS = "Bạn không có quyền thao tác trên bảng điểm này."


class WorkflowError(Exception):
    """A transition or a save refused: ``status`` 400 for a wrong state or bad input, 403 for a
    wrong person; nothing was written."""

    def __init__(self, message: str, *, status: int = 400, errors: list[dict] | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        #: per-row problems of a bulk save: ``{"row": n, "field": name, "message": text}``
        self.errors = errors or []

    def __str__(self) -> str:
        return self.message


def _forbidden(message: str = MSG_NOT_YOURS) -> WorkflowError:
    return WorkflowError(message, status=403)


def closed_year_message(year, doing: str) -> str:
    """The refusal of a write in a closed school year, in Vietnamese."""
    return f"Năm học {year} đã khoá sổ, không thể {doing}."


def refuse_if_closed(year, doing: str, *, error: type[Exception] = WorkflowError) -> None:
    """A closed school year (``SchoolYear.is_closed``, set when the next year is opened) is read-only: refuse
    ``doing`` with ``error``, the calling service's usual error type (``WorkflowError`` here,
    ``results.ResultsError`` for the results), so the pages and the API show the message. Publication and its
    withdrawal stay allowed: publishing a closed year's results to the portal is legitimate."""
    if year.is_closed:
        raise error(closed_year_message(year, doing))


# --- who is who -------------------------------------------------------------------------------------


#: the memberships in which a homeroom teacher acts as one (the same roles org.SchoolClass accepts)
HOMEROOM_ROLES = frozenset({Role.TEACHER, Role.PRINCIPAL, Role.SCHOOL_ADMIN})


def _at_school(actor, school_id) -> bool:
    return actor is not None and getattr(actor, "membership", None) is not None and actor.unit_id == school_id


def is_principal_of(actor, school_id) -> bool:
    return _at_school(actor, school_id) and actor.role == Role.PRINCIPAL


def is_homeroom_of(actor, school_class) -> bool:
    """The homeroom teacher of ``school_class``, acting as a teacher (or school leader) of its
    school — not through another membership such as a clerk's."""
    return (
        _at_school(actor, school_class.school_id)
        and actor.role in HOMEROOM_ROLES
        and school_class.homeroom_teacher_id is not None
        and school_class.homeroom_teacher_id == actor.user.pk
    )


def is_assigned_teacher(actor, sheet: ScoreSheet) -> bool:
    """The teacher assigned to the sheet's class, subject and semester (teachers' selector)."""
    from teachers.selectors import can_enter_grades

    return _at_school(actor, sheet.school_id) and can_enter_grades(
        actor, sheet.school_class, sheet.subject, sheet.semester
    )


def _may_check(actor, sheet: ScoreSheet) -> bool:
    klass = sheet.school_class
    if klass.homeroom_teacher_id is None:
        # A class without a homeroom teacher would otherwise block the sheet for good.
        return is_principal_of(actor, sheet.school_id)
    return is_homeroom_of(actor, klass)


def _may_return(actor, sheet: ScoreSheet) -> bool:
    return is_homeroom_of(actor, sheet.school_class) or is_principal_of(actor, sheet.school_id)


def _may_request_unlock(actor, sheet: ScoreSheet) -> bool:
    return is_homeroom_of(actor, sheet.school_class) or is_assigned_teacher(actor, sheet)


def _url(name: str, pk: int) -> str:
    try:
        return reverse(name, kwargs={"pk": pk})
    except NoReverseMatch:  # pragma: no cover - the page is not routed (yet)
        return ""


def actions_for(actor, sheet: ScoreSheet) -> list[dict]:
    """The workflow buttons ``actor`` may press on ``sheet`` now, in display order.

    Each is ``{"name", "label", "url", "method", "note"}``: ``method`` "post" for a form
    (``students/_sheet_actions.html`` renders it with CSRF; ``note`` True asks for a note),
    "get" for a link to a page. The services check everything again when pressed.
    """
    if actor is None or getattr(actor, "membership", None) is None or actor.role in LEARNER_ROLES:
        return []
    actions: list[dict] = []

    def add(name, label, url_name, method="post", note=False, hint=""):
        actions.append(
            {
                "name": name,
                "label": label,
                "url": _url(url_name, sheet.pk),
                "method": method,
                "note": note,
                "hint": hint,
            }
        )

    status = sheet.status
    if status == SheetStatus.DRAFT and is_assigned_teacher(actor, sheet):
        add("submit", "Gửi bảng điểm", "students:sheet-submit", hint="Gửi để giáo viên chủ nhiệm kiểm tra.")
    if status == SheetStatus.SUBMITTED and _may_check(actor, sheet):
        add("check", "Xác nhận đã kiểm tra", "students:sheet-check", hint="Chuyển hiệu trưởng duyệt.")
    if status == SheetStatus.CHECKED and is_principal_of(actor, sheet.school_id):
        add("approve", "Duyệt và khoá bảng điểm", "students:sheet-approve")
    if status in (SheetStatus.SUBMITTED, SheetStatus.CHECKED) and _may_return(actor, sheet):
        add("return", "Trả lại giáo viên bộ môn", "students:sheet-return", note=True)
    if (
        status == SheetStatus.APPROVED
        and _may_request_unlock(actor, sheet)
        and not UnlockRequest.objects.filter(sheet=sheet, status=UnlockStatus.PENDING).exists()
    ):
        add("unlock", "Đề nghị mở khoá", "students:unlock-request", method="get")
    return actions


def pending_unlock(sheet: ScoreSheet) -> UnlockRequest | None:
    return UnlockRequest.objects.filter(sheet=sheet, status=UnlockStatus.PENDING).first()


def return_note(sheet: ScoreSheet) -> str:
    """The note of the last return, while the sheet is back in draft because of it ("" otherwise)."""
    return sheet.return_note if sheet.status == SheetStatus.DRAFT else ""


# --- transitions --------------------------------------------------------------------------------------


def _fresh(sheet: ScoreSheet) -> ScoreSheet:
    """The sheet re-read and locked for the rest of the transaction."""
    return (
        ScoreSheet.objects.select_for_update(of=("self",))
        .select_related("school_class", "subject", "semester__school_year")
        .get(pk=sheet.pk)
    )


def _require_door(actor, sheet: ScoreSheet) -> None:
    if not can(actor, "change", sheet):
        raise _forbidden()


def _require_status(sheet: ScoreSheet, *allowed: str, doing: str) -> None:
    if sheet.status not in allowed:
        raise WorkflowError(f"Không thể {doing}: bảng điểm đang ở trạng thái “{sheet.get_status_display()}”.")


def missing_learners(sheet: ScoreSheet) -> list[tuple[str, list[str]]]:
    """(learner's name, labels of their blank required cells) for the learners of the sheet
    (in the class during the semester, as the grade book lists them) who are still studying
    there, leaving out learners exempted from the subject this semester. Three queries."""
    columns = [c for c in sheet.column_specs() if c.required]
    if not columns:
        return []
    semester = sheet.semester
    enrolments = list(
        roster(sheet.school_class)
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=semester.starts_on))
        .filter(Q(enrolled_on__isnull=True) | Q(enrolled_on__lte=semester.ends_on))
    )
    exempt = set(
        Exemption.objects.filter(
            enrolment__in=[e.pk for e in enrolments], subject_id=sheet.subject_id, kind=ExemptionKind.EXEMPT
        )
        .filter(Q(semester__isnull=True) | Q(semester=sheet.semester.number))
        .values_list("enrolment_id", flat=True)
    )
    filled: dict[int, set[str]] = {}
    for enrolment_id, column in (
        Score.objects.filter(sheet=sheet).exclude(value="").values_list("enrolment_id", "column")
    ):
        filled.setdefault(enrolment_id, set()).add(column)
    missing = []
    for e in enrolments:
        if e.pk in exempt:
            continue
        have = filled.get(e.pk, set())
        blank = [c.label for c in columns if c.key not in have]
        if blank:
            missing.append((e.student.full_name, blank))
    return missing


def _missing_message(missing: list[tuple[str, list[str]]]) -> str:
    listed = "; ".join(f"{name} ({', '.join(cols)})" for name, cols in missing[:MISSING_LISTED])
    more = len(missing) - MISSING_LISTED
    tail = f"; và {more} học sinh khác" if more > 0 else ""
    return f"Chưa thể gửi bảng điểm: còn {len(missing)} học sinh thiếu điểm bắt buộc: {listed}{tail}."


def submit(actor, sheet: ScoreSheet) -> ScoreSheet:
    """The assigned teacher sends a complete sheet for checking (DRAFT → SUBMITTED). Sending
    after the entry deadline is allowed: the deadline closes entering, not sending."""
    with transaction.atomic(), acting_here(actor):
        sheet = _fresh(sheet)
        _require_door(actor, sheet)
        if not is_assigned_teacher(actor, sheet):
            raise _forbidden("Chỉ giáo viên được phân công dạy môn này ở lớp này mới gửi được bảng điểm.")
        refuse_if_closed(sheet.semester.school_year, "gửi bảng điểm")
        _require_status(sheet, SheetStatus.DRAFT, doing="gửi")
        missing = missing_learners(sheet)
        if missing:
            raise WorkflowError(_missing_message(missing))
        sheet.status = SheetStatus.SUBMITTED
        sheet.submitted_by = actor.user
        sheet.submitted_at = timezone.now()
        sheet.return_note = ""
        sheet._change_reason = "Gửi bảng điểm"
        sheet.save()
    return sheet


def check(actor, sheet: ScoreSheet) -> ScoreSheet:
    """The homeroom teacher of the class confirms the sheet (SUBMITTED → CHECKED)."""
    with transaction.atomic(), acting_here(actor):
        sheet = _fresh(sheet)
        _require_door(actor, sheet)
        if not _may_check(actor, sheet):
            raise _forbidden("Chỉ giáo viên chủ nhiệm của lớp mới kiểm tra được bảng điểm.")
        refuse_if_closed(sheet.semester.school_year, "kiểm tra bảng điểm")
        _require_status(sheet, SheetStatus.SUBMITTED, doing="kiểm tra")
        sheet.status = SheetStatus.CHECKED
        sheet.checked_by = actor.user
        sheet.checked_at = timezone.now()
        sheet._change_reason = "GVCN kiểm tra"
        sheet.save()
    return sheet


def return_sheet(actor, sheet: ScoreSheet, note: str) -> ScoreSheet:
    """The homeroom teacher or the principal sends the sheet back to the teacher with a note
    (SUBMITTED or CHECKED → DRAFT); the note is kept in the sheet's history."""
    note = " ".join((note or "").split())
    with transaction.atomic(), acting_here(actor):
        sheet = _fresh(sheet)
        _require_door(actor, sheet)
        if not _may_return(actor, sheet):
            raise _forbidden("Chỉ giáo viên chủ nhiệm của lớp hoặc hiệu trưởng mới trả lại được bảng điểm.")
        refuse_if_closed(sheet.semester.school_year, "trả lại bảng điểm")
        _require_status(sheet, SheetStatus.SUBMITTED, SheetStatus.CHECKED, doing="trả lại")
        if not note:
            raise WorkflowError("Hãy ghi lý do trả lại bảng điểm (ô “Lý do trả lại”).")
        if len(note) > NOTE_MAX:
            raise WorkflowError(f"Lý do trả lại dài tối đa {NOTE_MAX} ký tự.")
        sheet.status = SheetStatus.DRAFT
        sheet.checked_by = None
        sheet.checked_at = None
        sheet.return_note = note
        sheet._change_reason = "Trả lại"
        sheet.save()
    return sheet


def _semester_results(sheets: list[ScoreSheet], *, periods_of=None):
    """SubjectResult rows of the sheets' learners and subjects for the sheets' semesters."""
    q = Q(pk__in=[])
    for sheet in sheets:
        periods = periods_of(sheet) if periods_of else [SEMESTER_PERIOD[sheet.semester.number]]
        q |= Q(
            enrolment__school_class_id=sheet.school_class_id,
            subject_id=sheet.subject_id,
            period__in=periods,
        )
    return SubjectResult.objects.filter(q)


def _refresh_results(sheet: ScoreSheet) -> None:
    """Recompute the sheet's semester results from its cells before they are approved, when the
    grade book offers it (so what is approved is what the sheet shows)."""
    try:
        from . import gradebook
    except ImportError:  # pragma: no cover - the grade book area is not there yet
        return
    refresh = getattr(gradebook, "refresh_sheet_results", None)
    if refresh is not None:
        refresh(sheet)


def _approve_locked(actor, sheets: list[ScoreSheet]) -> None:
    now = timezone.now()
    for sheet in sheets:
        _refresh_results(sheet)
        sheet.status = SheetStatus.APPROVED
        sheet.approved_by = actor.user
        sheet.approved_at = now
        sheet._change_reason = "Hiệu trưởng duyệt"
    if len(sheets) == 1:
        sheets[0].save()
    else:
        bulk_update_with_history(
            sheets, ScoreSheet, ["status", "approved_by", "approved_at"], actor=actor, default_change_reason="Duyệt"
        )
    results = list(_semester_results(sheets).exclude(status=ResultStatus.APPROVED))
    for row in results:
        row.status = ResultStatus.APPROVED
    if results:
        bulk_update_with_history(results, SubjectResult, ["status"], actor=actor)
    # the record book: a re-approved value that differs from the one approved before is a correction
    from .corrections import on_sheets_approved

    on_sheets_approved(actor, sheets)
    # the portal's store: a published primary semester shows its approved subject results
    from . import portal

    portal.sync_classes({s.school_class_id for s in sheets}, {SEMESTER_PERIOD[s.semester.number] for s in sheets})


def approve(actor, sheet: ScoreSheet) -> ScoreSheet:
    """The principal approves and locks a checked sheet (CHECKED → APPROVED); its semester
    results (ĐTBmhk / Đạt) become visible to the learners."""
    with transaction.atomic(), acting_here(actor):
        sheet = _fresh(sheet)
        _require_door(actor, sheet)
        if not is_principal_of(actor, sheet.school_id):
            raise _forbidden("Chỉ hiệu trưởng mới duyệt được bảng điểm.")
        refuse_if_closed(sheet.semester.school_year, "duyệt bảng điểm")
        _require_status(sheet, SheetStatus.CHECKED, doing="duyệt")
        _approve_locked(actor, [sheet])
    return sheet


def approve_many(actor, sheets) -> list[ScoreSheet]:
    """The principal approves, in one transaction, every CHECKED sheet among ``sheets`` (the
    sheets of a class or a grade); the others are left as they are. Returns those approved."""
    ids = [s.pk for s in sheets] if not hasattr(sheets, "values_list") else list(sheets.values_list("pk", flat=True))
    if actor is None or getattr(actor, "membership", None) is None or actor.role != Role.PRINCIPAL:
        raise _forbidden("Chỉ hiệu trưởng mới duyệt được bảng điểm.")
    with transaction.atomic(), acting_here(actor):
        locked = list(
            visible_to(actor, ScoreSheet, "change")
            .filter(pk__in=ids, status=SheetStatus.CHECKED, school_id=actor.unit_id)
            .select_for_update(of=("self",))
            .select_related("school_class", "subject", "semester__school_year")
            .order_by("pk")
        )
        if not locked:
            raise WorkflowError("Không có bảng điểm nào đã được giáo viên chủ nhiệm kiểm tra để duyệt.")
        for sheet in locked:
            refuse_if_closed(sheet.semester.school_year, "duyệt bảng điểm")
        _approve_locked(actor, locked)
    return locked


def request_unlock(actor, sheet: ScoreSheet, reason: str) -> UnlockRequest:
    """The assigned teacher or the homeroom teacher asks the principal to reopen an approved
    sheet, with a reason; one pending request per sheet."""
    reason = (reason or "").strip()
    with transaction.atomic(), acting_here(actor):
        sheet = _fresh(sheet)
        if not can(actor, "view", sheet) or not _may_request_unlock(actor, sheet):
            raise _forbidden("Chỉ giáo viên bộ môn được phân công hoặc giáo viên chủ nhiệm mới đề nghị mở khoá.")
        refuse_if_closed(sheet.semester.school_year, "đề nghị mở khoá bảng điểm")
        _require_status(sheet, SheetStatus.APPROVED, doing="đề nghị mở khoá")
        if not reason:
            raise WorkflowError("Hãy ghi lý do đề nghị mở khoá (ô “Lý do”).")
        if UnlockRequest.objects.filter(sheet=sheet, status=UnlockStatus.PENDING).exists():
            raise WorkflowError("Bảng điểm này đã có một đề nghị mở khoá đang chờ hiệu trưởng quyết định.")
        request = UnlockRequest(school_id=sheet.school_id, sheet=sheet, reason=reason, requested_by=actor.user)
        request.save()
    return request


def decide_unlock(actor, request: UnlockRequest, *, grant: bool, note: str = "") -> UnlockRequest:
    """The principal grants or refuses a pending request. Granting puts the sheet back in draft
    and its learners' results for that semester and the year back to "computed", so nobody
    sees an approved result that may change."""
    note = (note or "").strip()
    with transaction.atomic(), acting_here(actor):
        request = UnlockRequest.objects.select_for_update(of=("self",)).get(pk=request.pk)
        if not is_principal_of(actor, request.school_id) or not can(actor, "change", request):
            raise _forbidden("Chỉ hiệu trưởng mới quyết định được đề nghị mở khoá.")
        if request.status != UnlockStatus.PENDING:
            raise WorkflowError(f"Đề nghị này đã được quyết định ({request.get_status_display()}).")
        if not grant and not note:
            raise WorkflowError("Hãy ghi ý kiến khi không đồng ý mở khoá (ô “Ý kiến”).")
        if len(note) > UnlockRequest._meta.get_field("decision_note").max_length:
            raise WorkflowError("Ý kiến dài tối đa 500 ký tự.")
        sheet = _fresh(request.sheet)
        if grant:
            # refusing a request changes no result (it only closes the request): allowed in a closed year
            refuse_if_closed(sheet.semester.school_year, "mở khoá bảng điểm")
            _require_status(sheet, SheetStatus.APPROVED, doing="mở khoá")
            _reopen(actor, sheet)
        request.status = UnlockStatus.GRANTED if grant else UnlockStatus.REFUSED
        request.decided_by = actor.user
        request.decided_at = timezone.now()
        request.decision_note = note
        request.save()
    return request


def _reopen(actor, sheet: ScoreSheet) -> None:
    period = SEMESTER_PERIOD[sheet.semester.number]
    sheet.status = SheetStatus.DRAFT
    sheet.submitted_by = sheet.submitted_at = None
    sheet.checked_by = sheet.checked_at = None
    sheet.approved_by = sheet.approved_at = None
    sheet._change_reason = "Mở khoá theo đề nghị"
    sheet.save()
    subject_rows = list(
        _semester_results([sheet], periods_of=lambda s: [period, Period.YEAR]).filter(status=ResultStatus.APPROVED)
    )
    for row in subject_rows:
        row.status = ResultStatus.COMPUTED
    if subject_rows:
        bulk_update_with_history(subject_rows, SubjectResult, ["status"], actor=actor)
    term_rows = list(
        TermResult.objects.filter(
            enrolment__school_class_id=sheet.school_class_id,
            period__in=[period, Period.YEAR],
            status=ResultStatus.APPROVED,
        )
    )
    for row in term_rows:
        row.status = ResultStatus.COMPUTED
    if term_rows:
        bulk_update_with_history(term_rows, TermResult, ["status"], actor=actor)
    # results no longer approved leave the portal in the same transaction
    from . import portal

    portal.sync_classes([sheet.school_class_id], [period, Period.YEAR])


# --- publication to the public portal ----------------------------------------------------------------


def is_published(school, school_year, period: str, grade: int | None = None) -> bool:
    """Whether the school publishes ``period`` of ``school_year`` to the public portal: for
    ``grade`` a publication of that grade or of every grade counts; for ``grade=None`` only one
    of every grade. A withdrawn publication counts for nothing."""
    school_id = getattr(school, "pk", school)
    year_id = getattr(school_year, "pk", school_year)
    qs = Publication.objects.filter(school_id=school_id, school_year_id=year_id, period=period, withdrawn_at=None)
    qs = qs.filter(grade__isnull=True) if grade is None else qs.filter(Q(grade__isnull=True) | Q(grade=grade))
    return qs.exists()


def publish(actor, school_year, period: str, grade: int | None = None, include_scores: bool = True) -> Publication:
    """The principal publishes the results of a term (optionally one grade) to the public portal."""
    if (
        not is_principal_of(actor, getattr(school_year, "school_id", None))
        or not visible_to(actor, type(school_year)).filter(pk=school_year.pk).exists()
    ):
        raise _forbidden("Chỉ hiệu trưởng của trường mới công bố được kết quả.")
    if period not in Period.values:
        raise WorkflowError("Kỳ công bố không hợp lệ (chọn Học kỳ I, Học kỳ II hoặc Cả năm).")
    if grade is not None and grade not in school_year.school.grades:
        allowed = ", ".join(str(g) for g in school_year.school.grades)
        raise WorkflowError(f"Khối {grade} không có ở trường này (các khối: {allowed}).")
    with transaction.atomic(), acting_here(actor):
        existing = Publication.objects.select_for_update().filter(
            school_id=school_year.school_id, school_year=school_year, period=period, grade=grade, withdrawn_at=None
        )
        if existing.exists():
            raise WorkflowError("Kết quả này đã được công bố; hãy thu hồi công bố cũ trước nếu muốn công bố lại.")
        publication = Publication(
            school_id=school_year.school_id,
            school_year=school_year,
            period=period,
            grade=grade,
            include_scores=include_scores,
            published_by=actor.user,
        )
        publication.save()
        from . import portal

        portal.sync_publication(school_year.pk, period, grade)
    return publication


def withdraw(actor, publication: Publication) -> Publication:
    """The principal withdraws a publication: the portal stops showing it."""
    with transaction.atomic(), acting_here(actor):
        publication = Publication.objects.select_for_update().get(pk=publication.pk)
        if not is_principal_of(actor, publication.school_id) or not can(actor, "change", publication):
            raise _forbidden("Chỉ hiệu trưởng của trường mới thu hồi được công bố.")
        if publication.withdrawn_at is not None:
            raise WorkflowError("Công bố này đã được thu hồi.")
        publication.withdrawn_at = timezone.now()
        publication.save()
        from . import portal

        portal.sync_publication(publication.school_year_id, publication.period, publication.grade)
    return publication


def approve_targets(actor, school_class, semester) -> Iterable[ScoreSheet]:
    """The sheets of a class and semester the actor reads, for the class approval page."""
    return (
        visible_to(actor, ScoreSheet)
        .filter(school_class=school_class, semester=semester)
        .select_related("subject", "submitted_by", "checked_by", "approved_by")
        .order_by("subject__name")
    )


# --- entry deadlines -------------------------------------------------------------------------------------


def deadline_errors(semester, grade: int | None, closes_on, *, instance_pk: int | None = None) -> dict[str, str]:
    """Problems with an entry deadline, by field, in Vietnamese (shared by the form and the API):
    the grade must be one of the school's, the day not before the semester starts, and one
    deadline per semester and grade (one for every grade)."""
    from ..models import EntryDeadline

    errors: dict[str, str] = {}
    if semester is None:
        return errors
    school = semester.school
    if grade is not None and grade not in school.grades:
        allowed = ", ".join(str(g) for g in school.grades) or "không có"
        errors["grade"] = f"Trường này không có khối {grade} (các khối: {allowed})."
    if closes_on is not None and closes_on < semester.starts_on:
        errors["closes_on"] = f"Hạn nhập điểm không được trước ngày bắt đầu học kỳ ({semester.starts_on:%d/%m/%Y})."
    same = EntryDeadline.objects.filter(semester=semester, grade=grade).exclude(pk=instance_pk)
    if grade is None:
        same = EntryDeadline.objects.filter(semester=semester, grade__isnull=True).exclude(pk=instance_pk)
    if same.exists():
        which = f"khối {grade}" if grade is not None else "mọi khối"
        errors["grade"] = f"{semester} đã có hạn nhập điểm cho {which}; hãy sửa hạn đã có."
    return errors
