"""Read-side queries of module (a) that other code (and the module's own areas) may call.

Each takes rows the caller already reached through the door (a class, a sheet) or an actor.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Q, QuerySet
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


# --- for module (e), part 2: graduation ------------------------------------------------------------------------


def final_year_results(school, start_year: int, grade: int) -> list[dict]:
    """The learners enrolled in ``grade`` at ``school`` in the school year starting ``start_year`` (their last
    enrolment of that year there; a learner who left the school before the year ended is not listed), with what
    the approved whole-year result says: ``outcome`` (students.rules.Outcome value, "" when no approved result),
    ``learning`` (the principal's level, else after re-tests, else computed), ``conduct`` (after summer training,
    else the year's) and ``absences``. Each row: ``student``, ``enrolment``, ``class_name`` and those values.
    Ordered by class and Vietnamese name order. Two queries. The THCS graduation review reads this (TT31/2023:
    the grade-9 results); callers check their actor may run the review for ``school``."""
    from .models import Period, ResultStatus, TermResult

    enrolments = list(
        Enrolment.objects.filter(school=school, school_year__start_year=start_year, school_class__grade=grade)
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=F("school_year__ends_on")))
        .select_related("student", "school_class")
        .order_by("school_class__name", "student__sort_key", "student__learner_code", "pk")
    )
    results = {
        r.enrolment_id: r
        for r in TermResult.objects.filter(
            enrolment__in=[e.pk for e in enrolments], period=Period.YEAR, status=ResultStatus.APPROVED
        )
    }
    # a learner listed twice (moved to another class of the school without the first row closed before the year
    # ended): the latest enrolment wins — the latest enrolled_on (undated rows first), then the latest row
    latest: dict[int, Enrolment] = {}
    for e in enrolments:
        kept = latest.get(e.student_id)
        if kept is None or (e.enrolled_on or dt.date.min, e.pk) > (kept.enrolled_on or dt.date.min, kept.pk):
            latest[e.student_id] = e
    rows = []
    for e in enrolments:
        if latest[e.student_id] is not e:
            continue
        r = results.get(e.pk)
        rows.append(
            {
                "student": e.student,
                "enrolment": e,
                "class_name": e.school_class.name,
                "outcome": (r.outcome if r else "") or "",
                "learning": (r.manual_learning or r.learning_after_retest or r.learning) if r else "",
                "conduct": (r.conduct_after_summer or r.conduct) if r else "",
                "absences": r.absences if r else 0,
            }
        )
    return rows


def year_averages(student_ids, grades) -> dict:
    """Per learner id, {grade: the mean of the approved year subject averages} for the school years in which the
    learner was enrolled in each of ``grades`` (the last such year when a grade was repeated), wherever the school.
    The THPT graduation score reads these (TT24/2024: the averages of grades 10, 11 and 12). Two queries."""
    from decimal import ROUND_HALF_UP, Decimal

    from .models import Period, ResultStatus, SubjectResult

    enrolments = (
        Enrolment.objects.filter(student_id__in=list(student_ids), school_class__grade__in=list(grades))
        .values_list("pk", "student_id", "school_class__grade", "school_year__start_year")
        .order_by("school_year__start_year", "pk")
    )
    chosen: dict[tuple[int, int], int] = {}
    for pk, student_id, grade, _year in enrolments:
        chosen[(student_id, grade)] = pk  # later years win
    by_enrolment = {pk: key for key, pk in chosen.items()}
    sums: dict[int, list[Decimal]] = {}
    for enrolment_id, average in SubjectResult.objects.filter(
        enrolment_id__in=list(by_enrolment),
        period=Period.YEAR,
        status=ResultStatus.APPROVED,
        excluded=False,
        average__isnull=False,
    ).values_list("enrolment_id", "average"):
        sums.setdefault(enrolment_id, []).append(Decimal(average))
    result: dict[int, dict[int, Decimal]] = {}
    for enrolment_id, values in sums.items():
        student_id, grade = by_enrolment[enrolment_id]
        mean = sum(values, Decimal(0)) / len(values)
        result.setdefault(student_id, {})[grade] = mean.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return result
