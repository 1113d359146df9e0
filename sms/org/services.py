"""Use-cases on units and school structure. One transaction each, permission checked."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Length, Substr

from sms.accounts.actors import Actor
from sms.accounts.scoping import get_visible_or_404, units_for

from .catalogue import SUBJECTS
from .models import SchoolYear, Semester, Subject, SubjectPlan, Unit, UnitMove


@transaction.atomic
def move_unit(actor: Actor | None, unit: Unit, new_parent: Unit, reason: str = "") -> UnitMove:
    """Move a unit (and everything under it) under another parent, keeping the history.

    Used when a Phòng is abolished and its schools go to the Sở, or a school changes
    district. The whole subtree's paths are rewritten in one UPDATE. ``actor`` None is an
    operator's command-line move.
    """
    if actor is not None:
        get_visible_or_404(actor, Unit, unit.pk, "change")
        if not units_for(actor, Unit, "change").filter(pk=new_parent.pk).exists():
            raise ValidationError({"parent": "Không tìm thấy đơn vị cấp trên này trong phạm vi bạn quản lý."})
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    new_parent = Unit.objects.get(pk=new_parent.pk)
    old_parent_id, old_path, old_depth = unit.parent_id, unit.path, unit.depth
    unit.parent = new_parent
    unit.full_clean()
    new_path = f"{new_parent.path}{unit.pk}/"
    delta = new_parent.depth + 1 - old_depth
    Unit.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1, Length("path"))),
        depth=F("depth") + delta,
    )
    Unit.objects.filter(pk=unit.pk).update(parent=new_parent)
    unit.refresh_from_db()
    unit.save()  # a history row for the unit itself, with its new parent
    return UnitMove.objects.create(
        unit=unit,
        from_parent_id=old_parent_id,
        to_parent=new_parent,
        old_path=old_path,
        new_path=new_path,
        reason=reason,
        moved_by=actor.user if actor else None,
    )


@transaction.atomic
def create_school_year(
    school: Unit,
    start_year: int,
    *,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    semester2_starts_on: dt.date | None = None,
    make_current: bool = False,
) -> SchoolYear:
    """A school year with its two semesters (default dates from the ministry's yearly plan:
    5 September to 31 May, semester II from mid-January)."""
    starts_on = starts_on or dt.date(start_year, 9, 5)
    ends_on = ends_on or dt.date(start_year + 1, 5, 31)
    semester2_starts_on = semester2_starts_on or dt.date(start_year + 1, 1, 12)
    year = SchoolYear(school=school, start_year=start_year, starts_on=starts_on, ends_on=ends_on)
    year.full_clean()
    year.save()
    for number, (begin, end) in enumerate(
        [(starts_on, semester2_starts_on - dt.timedelta(days=1)), (semester2_starts_on, ends_on)], start=1
    ):
        semester = Semester(school=school, school_year=year, number=number, starts_on=begin, ends_on=end)
        semester.full_clean()
        semester.save()
    if make_current:
        set_current_year(year)
    return year


@transaction.atomic
def set_current_year(year: SchoolYear) -> SchoolYear:
    """Make one school year the school's current one (exactly one is current)."""
    SchoolYear.objects.filter(school_id=year.school_id, is_current=True).exclude(pk=year.pk).update(is_current=False)
    SchoolYear.objects.filter(pk=year.pk).update(is_current=True)
    year.is_current = True
    return year


@transaction.atomic
def install_subject_catalogue(school: Unit, year: SchoolYear | None = None) -> list[Subject]:
    """Give a school the subjects of the 2018 programme for its grades, and, with a year,
    the subject plan for that year (periods per year). Running it twice changes nothing."""
    grades = set(school.grades)
    subjects = []
    for code, name, assessment, periods in SUBJECTS:
        if not grades & periods.keys():
            continue
        subject, _ = Subject.objects.get_or_create(
            school=school, code=code, defaults={"name": name, "assessment": assessment}
        )
        subjects.append(subject)
        if year is not None:
            for grade, count in periods.items():
                if grade in grades:
                    SubjectPlan.objects.get_or_create(
                        school=school,
                        school_year=year,
                        grade=grade,
                        subject=subject,
                        defaults={"periods_per_year": count},
                    )
    return subjects
