"""Read-side queries of module (a) that other code (and the module's own areas) may call.

Each takes rows the caller already reached through the door (a class, a sheet) or an actor.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from . import rules
from .models import Enrolment, EntryDeadline, ScoreSheet


def roster(school_class, *, on: dt.date | None = None, include_left: bool = False) -> QuerySet:
    """The class list: enrolments of ``school_class`` in Vietnamese name order, with the
    learner loaded. Learners who left before ``on`` (default: still enrolled now) are left out
    unless ``include_left``."""
    qs = Enrolment.objects.filter(school_class=school_class).select_related("student")
    if not include_left:
        day = on or timezone.localdate()
        qs = qs.filter(Q(left_on__isnull=True) | Q(left_on__gt=day))
    return qs.order_by("student__sort_key", "student__learner_code")


def rule_set_of(school_class) -> rules.RuleSet:
    """The rule set for a class: its school year and grade decide (grading.md, "Which rules apply")."""
    return rules.rule_set_for(school_class.school_year.start_year, school_class.grade)


def deadline_for(sheet: ScoreSheet) -> dt.date | None:
    """The last day for entering ``sheet``'s scores: the grade's own deadline if the school set
    one for that semester, otherwise the all-grades deadline, otherwise none."""
    rows = {
        d.grade: d.closes_on
        for d in EntryDeadline.objects.filter(semester_id=sheet.semester_id).filter(
            Q(grade=sheet.school_class.grade) | Q(grade__isnull=True)
        )
    }
    return rows.get(sheet.school_class.grade, rows.get(None))


def entry_closed(sheet: ScoreSheet, today: dt.date | None = None) -> bool:
    """Whether the entry deadline of ``sheet`` has passed (the day itself is still open)."""
    closes_on = deadline_for(sheet)
    return closes_on is not None and (today or timezone.localdate()) > closes_on


def children_of(user) -> QuerySet:
    """Ids of the learners whose guardian record carries ``user``'s account (a parent's children):
    other modules narrow a parent's reach with it."""
    from .models import Guardian

    return Guardian.objects.filter(user=user).values("student_id")


# --- for module (e): candidates registered from the current learners ---------------------------------------


def current_learners(actor, *, grade: int | None = None, school_ids=None) -> QuerySet:
    """The current school year's enrolments ``actor`` may see (through the door), with the
    learner, class and school loaded: learners still in their class today whose record says
    "Đang học". ``grade`` keeps one grade; ``school_ids`` some schools. Ordered by school, class
    and Vietnamese name order. Exams register candidates from here (exams-diplomas.md,
    "Running an exam": candidates from the students module for current students)."""
    from sms.accounts.scoping import visible_to

    from .models import StudentStatus

    today = timezone.localdate()
    qs = (
        visible_to(actor, Enrolment)
        .filter(school_year__is_current=True, student__status=StudentStatus.STUDYING)
        .filter(Q(left_on__isnull=True) | Q(left_on__gt=today))
        .select_related("student", "school_class", "school")
    )
    if grade is not None:
        qs = qs.filter(school_class__grade=grade)
    if school_ids is not None:
        qs = qs.filter(school_id__in=list(school_ids))
    return qs.order_by("school__name", "school_class__name", "student__sort_key", "student__learner_code")


def year_summary(enrolments) -> dict[int, dict]:
    """Per learner id, what the approved whole-year result (period "cn") of ``enrolments`` says:
    ``learning`` (the final learning result code), ``conduct`` (after the summer re-training when
    there was one) and ``average`` (the mean of the approved year subject averages, as a
    ``Decimal`` with two places). A value not approved or not recorded is an absent key. Two
    queries whatever the number of enrolments; the caller reached ``enrolments`` through the door."""
    from decimal import ROUND_HALF_UP, Decimal

    from .models import Period, ResultStatus, SubjectResult, TermResult

    by_enrolment = {e.pk: e.student_id for e in enrolments}
    summary: dict[int, dict] = {student_id: {} for student_id in by_enrolment.values()}
    if not by_enrolment:
        return summary
    results = TermResult.objects.filter(
        enrolment_id__in=list(by_enrolment), period=Period.YEAR, status=ResultStatus.APPROVED
    ).values_list("enrolment_id", "learning", "manual_learning", "conduct", "conduct_after_summer")
    for enrolment_id, learning, manual, conduct, conduct_after in results:
        row = summary[by_enrolment[enrolment_id]]
        if manual or learning:
            row["learning"] = manual or learning
        if conduct_after or conduct:
            row["conduct"] = conduct_after or conduct
    averages: dict[int, list[Decimal]] = {}
    for enrolment_id, average in SubjectResult.objects.filter(
        enrolment_id__in=list(by_enrolment),
        period=Period.YEAR,
        status=ResultStatus.APPROVED,
        excluded=False,
        average__isnull=False,
    ).values_list("enrolment_id", "average"):
        averages.setdefault(enrolment_id, []).append(Decimal(average))
    for enrolment_id, values in averages.items():
        mean = sum(values, Decimal(0)) / len(values)
        summary[by_enrolment[enrolment_id]]["average"] = mean.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return summary
