"""Corrections of the record book (học bạ; ../shared/domain/grading.md, "The books").

A value of the học bạ is final once the principal approves it. When an approval later replaces
approved values with different ones — a sheet approved, unlocked on request, re-edited and
approved again; a class's results recomputed after such an unlock and approved again — the
học bạ must show the old value struck through, the new value and who corrected it. This module
keeps the values as last approved in ``approved_values`` (``{field: text}``, the text the record
book prints) and, at each approval, compares the rows now approved with that snapshot:

- first approval (no snapshot yet): the snapshot is stored, no ``Correction`` is written;
- unchanged values: nothing is written;
- a changed value: one ``Correction`` row (old text, new text, who changed it, who approved, the
  reason of the granted unlock request that reopened it), then the new snapshot is stored.

Values that are first filled after the approval by the summer (re-test results, conduct after
summer training, the learning result after re-tests) are not corrections when they appear, and
the outcome moving on from a summer stage ("Kiểm tra lại", "Rèn luyện trong kỳ nghỉ hè") to its
result is the summer's decision, not a correction: the record book prints those in their own
columns. A later change of any of them is a correction like any other.

Called by the two approval points only (students.services.workflow ``_approve_locked`` for the
semester results of approved sheets, students.services.results ``approve_results`` for term and
subject results), inside their transaction and after their permission checks. Bulk: one read per
table, one insert, one update — no query per learner.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db.models import F, Q

from sms.accounts.roles import LEARNER_ROLES
from sms.exports.numbers import vn_decimal

from .. import rules
from ..models import Correction, Period, ResultStatus, SubjectResult, TermResult, UnlockRequest, UnlockStatus

BATCH = 500
SEMESTER_PERIOD = {1: Period.SEMESTER_1, 2: Period.SEMESTER_2}
PERIOD_SEMESTERS = {Period.SEMESTER_1: (1,), Period.SEMESTER_2: (2,), Period.YEAR: (1, 2)}

#: what each snapshot key is, as the record book and the results page name it
FIELD_LABELS = {
    "average": "Điểm trung bình môn",
    "passed": "Đánh giá môn",
    "level": "Mức đạt được",
    "test_score": "Điểm kiểm tra định kỳ",
    "retest_average": "Điểm kiểm tra lại",
    "retest_passed": "Kiểm tra lại",
    "excluded": "Miễn / KHGD cá nhân",
    "learning": "Kết quả học tập",
    "conduct": "Kết quả rèn luyện",
    "conduct_after_summer": "Rèn luyện sau hè",
    "learning_after_retest": "Học tập sau kiểm tra lại",
    "absences": "Số buổi nghỉ",
    "outcome": "Lên lớp / hoàn thành",
    "title": "Danh hiệu",
}
#: values the summer fills in after the year was approved: their first value is not a correction
LATER_KEYS = frozenset({"retest_average", "retest_passed", "conduct_after_summer", "learning_after_retest"})
#: outcomes that are a stage of the summer, whose result replaces them without correcting anything
SUMMER_STAGES = frozenset({rules.Outcome.RETEST.label, rules.Outcome.SUMMER_TRAINING.label})


def _passed(value) -> str:
    return "" if value is None else (rules.PASSED if value else rules.NOT_PASSED)


def subject_snapshot(row: SubjectResult) -> dict[str, str]:
    """A subject result's values as the record book prints them (8,5 · Đ/CĐ · T · 9 · Miễn)."""
    return {
        "average": vn_decimal(row.average),
        "passed": _passed(row.passed),
        "level": row.level or "",
        "test_score": "" if row.test_score is None else str(row.test_score),
        "retest_average": vn_decimal(row.retest_average),
        "retest_passed": _passed(row.retest_passed),
        "excluded": "Miễn" if row.excluded else "",
    }


def term_snapshot(row: TermResult) -> dict[str, str]:
    """A term result's values as the record book prints them (labels of the row's rule set)."""
    from .results import conduct_label, learning_label

    return {
        "learning": learning_label(row.rule_set, row.final_learning),
        "conduct": conduct_label(row.rule_set, row.conduct),
        "conduct_after_summer": conduct_label(row.rule_set, row.conduct_after_summer),
        "learning_after_retest": learning_label(row.rule_set, row.learning_after_retest),
        "absences": str(row.absences),
        "outcome": row.get_outcome_display() if row.outcome else "",
        "title": row.get_title_display() if row.title else "",
    }


def changes(old: dict, new: dict) -> list[tuple[str, str, str]]:
    """(field, old text, new text) for every value an approval corrects; [] on a first approval."""
    if not old:
        return []
    found = []
    for key, after in new.items():
        before = old.get(key, "")
        if before == after:
            continue
        if key in LATER_KEYS and not before:
            continue
        if key == "outcome" and before in SUMMER_STAGES:
            continue
        found.append((key, before, after))
    return found


def _record(
    model,
    rows: Iterable,
    snapshot: Callable,
    *,
    approved_by_id: int | None,
    changed_by: Callable,
    reason: Callable,
) -> int:
    """Compare ``rows`` (approved now) with their snapshot; write the corrections and the new snapshots."""
    corrections, touched = [], []
    for row in rows:
        new = snapshot(row)
        old = row.approved_values or {}
        if old == new:
            continue
        for key, before, after in changes(old, new):
            corrections.append(
                Correction(
                    school_id=row.school_id,
                    enrolment_id=row.enrolment_id,
                    subject_id=getattr(row, "subject_id", None),
                    period=row.period,
                    field=key,
                    old_value=before[:40],
                    new_value=after[:40],
                    changed_by_id=changed_by(row),
                    approved_by_id=approved_by_id,
                    reason=(reason(row) or "")[:500],
                )
            )
        row.approved_values = new
        touched.append(row)
    if corrections:
        Correction.objects.bulk_create(corrections, batch_size=BATCH)
    if touched:
        model.objects.bulk_update(touched, ["approved_values"], batch_size=BATCH)
    return len(corrections)


def _latest_reasons(sheet_filter: Q) -> dict[int, str]:
    """sheet id → the reason of its latest granted unlock request (one query)."""
    found: dict[int, str] = {}
    for sheet_id, text in (
        UnlockRequest.objects.filter(sheet_filter, status=UnlockStatus.GRANTED)
        .order_by("sheet_id", "-decided_at", "-pk")
        .values_list("sheet_id", "reason")
    ):
        found.setdefault(sheet_id, text)
    return found


class _Lazy:
    """A value read once, only when a correction needs it (first approvals never read it)."""

    def __init__(self, load: Callable):
        self._load, self._value, self._done = load, None, False

    def get(self):
        if not self._done:
            self._value, self._done = self._load(), True
        return self._value


def on_sheets_approved(actor, sheets) -> int:
    """The principal approved ``sheets`` (their semester SubjectResult rows are approved now): write the
    corrections of each re-approved value — changed by the teacher who submitted the sheet, approved by
    ``actor``, for the reason of the sheet's granted unlock request — and store the new snapshots.
    Returns the number of Correction rows written."""
    if not sheets:
        return 0
    by_key, q = {}, Q(pk__in=[])
    for sheet in sheets:
        period = SEMESTER_PERIOD[sheet.semester.number]
        by_key[(sheet.school_class_id, sheet.subject_id, period)] = sheet
        q |= Q(enrolment__school_class_id=sheet.school_class_id, subject_id=sheet.subject_id, period=period)
    rows = list(
        SubjectResult.objects.filter(q, status=ResultStatus.APPROVED).annotate(class_id=F("enrolment__school_class_id"))
    )
    reasons = _Lazy(lambda: _latest_reasons(Q(sheet_id__in=[s.pk for s in sheets])))

    def sheet_of(row):
        return by_key[(row.class_id, row.subject_id, row.period)]

    return _record(
        SubjectResult,
        rows,
        subject_snapshot,
        approved_by_id=actor.user.pk,
        changed_by=lambda row: sheet_of(row).submitted_by_id,
        reason=lambda row: reasons.get().get(sheet_of(row).pk, ""),
    )


def on_results_approved(actor, school_class, period: str, enrolment_ids) -> int:
    """The principal approved ``school_class``'s results of ``period`` for ``enrolment_ids``: write the
    corrections of the TermResult and SubjectResult rows of that period whose approved values changed —
    changed and approved by ``actor`` (the results are the principal's), for the reason of the latest
    granted unlock request of the class's sheets of that period — and store the new snapshots."""
    ids = list(enrolment_ids)
    if not ids:
        return 0
    terms = list(TermResult.objects.filter(enrolment_id__in=ids, period=period, status=ResultStatus.APPROVED))
    subjects = list(SubjectResult.objects.filter(enrolment_id__in=ids, period=period, status=ResultStatus.APPROVED))

    def load_reason() -> str:
        latest = (
            UnlockRequest.objects.filter(
                sheet__school_class=school_class,
                sheet__semester__number__in=PERIOD_SEMESTERS[period],
                status=UnlockStatus.GRANTED,
            )
            .order_by("-decided_at", "-pk")
            .values_list("reason", flat=True)
            .first()
        )
        return latest or ""

    reason = _Lazy(load_reason)
    user_id = actor.user.pk
    count = _record(
        TermResult, terms, term_snapshot, approved_by_id=user_id, changed_by=lambda r: user_id,
        reason=lambda r: reason.get(),
    )  # fmt: skip
    count += _record(
        SubjectResult, subjects, subject_snapshot, approved_by_id=user_id, changed_by=lambda r: user_id,
        reason=lambda r: reason.get(),
    )  # fmt: skip
    return count


def corrections_for(enrolment_ids) -> dict:
    """(enrolment id, subject id or None, period, field) → [Correction, …] oldest first, with who changed it
    (one query). The caller reached the enrolments through the door (or the record book's selector)."""
    found: dict = {}
    for c in (
        Correction.objects.filter(enrolment_id__in=list(enrolment_ids))
        .select_related("changed_by")
        .order_by("created_at", "pk")
    ):
        found.setdefault((c.enrolment_id, c.subject_id, c.period, c.field), []).append(c)
    return found


def page_rows(actor, enrolment) -> list[dict]:
    """The corrections of one learner's year that the door shows ``actor``, for the results page's
    "Sửa chữa học bạ" table (one query): date, period, subject, what, old, new, who changed, who approved,
    why — oldest first."""
    from sms.accounts.scoping import visible_to

    rows = (
        visible_to(actor, Correction)
        .filter(enrolment=enrolment)
        .select_related("subject", "changed_by", "approved_by")
        .order_by("created_at", "pk")
    )

    def name(user) -> str:
        return (user.full_name or user.username) if user is not None else "—"

    # The reason is the unlock request's free text, written for the school's staff: it may name
    # another learner of the class, so learners and parents do not see it.
    show_reason = actor.role not in LEARNER_ROLES

    return [
        {
            "created_at": c.created_at,
            "period": c.get_period_display(),
            "subject": c.subject.name if c.subject_id else "",
            "field": FIELD_LABELS.get(c.field, c.field),
            "old_value": c.old_value,
            "new_value": c.new_value,
            "changed_by": name(c.changed_by),
            "approved_by": name(c.approved_by),
            "reason": c.reason if show_reason else "",
        }
        for c in rows
    ]


__all__ = [
    "FIELD_LABELS",
    "changes",
    "corrections_for",
    "on_results_approved",
    "on_sheets_approved",
    "page_rows",
    "subject_snapshot",
    "term_snapshot",
]
