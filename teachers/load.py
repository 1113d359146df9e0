"""The load report: each teacher's weekly periods in a semester against the norm of
Thông tư 05/2025 (or the override of the school, its Phòng or its Sở).

A fixed number of queries whatever the number of teachers: staff, assignments, subject
plans and norms are each read once, through the door, and joined in Python.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sms.accounts.scoping import visible_to
from sms.org.models import SubjectPlan

from . import rules
from .catalogue import PRESCHOOL
from .models import Position, StaffRecord, StaffStatus, TeachingAssignment, TeachingNorm

#: positions that carry a teaching norm
TEACHING_POSITIONS = (Position.TEACHER, Position.PRINCIPAL, Position.VICE_PRINCIPAL)


@dataclass
class LoadRow:
    staff: StaffRecord
    level: str | None
    assigned: Decimal = Decimal(0)
    norm: Decimal | None = None
    norm_source: str = ""
    status: str = rules.NO_NORM
    difference: Decimal | None = None
    classes: list[str] = field(default_factory=list)
    missing_plans: int = 0

    @property
    def status_label(self) -> str:
        return rules.LOAD_LABELS[self.status]


def school_level(school) -> str | None:
    """The level of a school without assignments to tell: its first grade's, or mầm non."""
    if school.grades:
        return rules.level_of_grade(school.grades[0])
    return PRESCHOOL if school.school_type == "C0" else None


def norm_lookup(actor, school):
    """``(level, position, boarding) -> (periods, unit)``: the nearest unit's row wins."""
    chain = school.path_ids  # root … school
    rank = {unit_id: depth for depth, unit_id in enumerate(chain)}
    rows = visible_to(actor, TeachingNorm).filter(unit_id__in=chain).select_related("unit")
    best: dict[tuple, TeachingNorm] = {}
    for row in rows:
        key = (row.level, row.position, row.boarding)
        if key not in best or rank[row.unit_id] > rank[best[key].unit_id]:
            best[key] = row
    return best


def load_report(actor, semester) -> list[LoadRow]:
    """One row per teaching staff member of the semester's school (and anyone assigned)."""
    school = semester.school
    assignments = list(
        visible_to(actor, TeachingAssignment)
        .filter(semester=semester)
        .values_list("teacher_id", "school_class__grade", "school_class__name", "subject_id")
    )
    assigned_ids = {a[0] for a in assignments}
    staff_qs = visible_to(actor, StaffRecord).filter(school=school, status=StaffStatus.WORKING)
    staff = list(staff_qs.filter(position__in=TEACHING_POSITIONS)) + list(
        visible_to(actor, StaffRecord)
        .filter(pk__in=assigned_ids)
        .exclude(school=school, status=StaffStatus.WORKING, position__in=TEACHING_POSITIONS)
    )
    plans = {
        (grade, subject_id): periods
        for grade, subject_id, periods in visible_to(actor, SubjectPlan)
        .filter(school_year_id=semester.school_year_id)
        .values_list("grade", "subject_id", "periods_per_year")
    }
    norms = norm_lookup(actor, school)

    weekly: dict[int, Decimal] = defaultdict(Decimal)
    levels: dict[int, Counter] = defaultdict(Counter)
    classes: dict[int, set] = defaultdict(set)
    missing: Counter = Counter()
    for teacher_id, grade, class_name, subject_id in assignments:
        periods = plans.get((grade, subject_id))
        if periods is None:
            missing[teacher_id] += 1
            continue
        week = rules.weekly_periods(periods)
        weekly[teacher_id] += week
        levels[teacher_id][rules.level_of_grade(grade)] += week
        classes[teacher_id].add(class_name)

    fallback_level = school_level(school)
    report = []
    for person in sorted(staff, key=lambda s: (s.sort_key, s.pk)):
        level = levels[person.pk].most_common(1)[0][0] if levels[person.pk] else fallback_level
        row = LoadRow(
            staff=person,
            level=level,
            assigned=weekly[person.pk],
            classes=sorted(classes[person.pk]),
            missing_plans=missing[person.pk],
        )
        override = norms.get((level, person.position, False))
        if override is not None:
            row.norm, row.norm_source = override.periods_per_week, override.unit.name
        elif level is not None:
            row.norm = rules.default_weekly_norm(level, person.position)
            row.norm_source = "Thông tư 05/2025" if row.norm is not None else ""
        row.status, row.difference = rules.load_status(row.assigned, row.norm)
        report.append(row)
    return report


def summary(rows: list[LoadRow]) -> dict[str, int]:
    counts = Counter(row.status for row in rows)
    return {status: counts.get(status, 0) for status in rules.LOAD_LABELS}
