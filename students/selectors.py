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
