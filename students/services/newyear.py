"""Opening the next school year of a school from the current one (issue 6, point 5).

Two steps over the same plan: ``preview`` reads and writes nothing; ``open_year`` does all of it in
ONE transaction and records a ``YearOpening`` (one per previous year: a year cannot be rolled over
twice):

1. the new year (``sms.org.services.create_school_year``), or the one the school already created;
2. next year's classes: a class of grade g maps to grade g + 1 with its leading grade number
   replaced ("6A1" → "7A1"), keeping its homeroom teacher for review; the last grade of the school
   has no successor; the school's first grade gets its class names again for the new intake;
   repeaters go to the class of the same grade and name; classes the new year already has (same
   grade and name) are reused;
3. the subject plans copied, and the teaching assignments of the old year's semester II (I when II
   has none) copied to both semesters of the new year by ``teachers.services``, for review;
4. promotion by the year's approved decisions (TermResult "cn"): promoted → successor class,
   repeat → same grade, completed in the school's last grade → graduation (status and movement, no
   new enrolment); a learner without an approved decision (not approved, re-tests or summer
   training pending, no result) is not enrolled and listed — the opening is refused while there is
   one, unless the user explicitly accepts to place them later;
5. the old year closed read-only and the new one made current.

Rows are written in bulk (a 1,500-learner school rolls over in seconds) with the invariants of
``records.enrol`` and ``records.graduate`` checked here, and history where the model keeps it.
The number of queries does not grow with the number of classes or learners.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from sms.accounts.models import Membership
from sms.accounts.roles import ADMIN_ROLES, Role
from sms.accounts.scoping import can
from sms.audit.history import acting_as, bulk_create_with_history, bulk_update_with_history
from sms.audit.services import EventKind, record
from sms.org.models import SchoolClass, SchoolYear, SubjectPlan
from sms.org.services import create_school_year, set_current_year
from teachers import services as teacher_services

from .. import rules
from ..models import (
    SCHOOL_WRITERS,
    Enrolment,
    MovementKind,
    Period,
    ResultStatus,
    Student,
    StudentMovement,
    StudentStatus,
    TermResult,
    YearOpening,
)

#: the audit event of an opening
EVENT_KIND = EventKind.YEAR_OPENED
NOT_ALLOWED = "Chỉ hiệu trưởng hoặc quản trị của trường mới mở năm học mới."
#: the words of the explicit option, shown on the form and repeated in the refusal
ALLOW_PENDING_LABEL = "Vẫn mở năm học, các học sinh chưa có quyết định sẽ xếp lớp sau"
NOT_CURRENT = "Năm học {year} không phải năm học hiện tại của trường; chỉ mở năm học mới từ năm học hiện tại."
STALE_PLAN = (
    "Trong lúc mở năm học, {count} học sinh đã thay đổi (chuyển trường, thôi học hoặc đổi tình trạng): {names}. "
    "Chưa có gì được ghi; hãy xem trước lại rồi mở năm học."
)
BATCH = 500
MAX_NAME = SchoolClass._meta.get_field("name").max_length

PROMOTE, REPEAT, GRADUATE, PENDING = "promote", "repeat", "graduate", "pending"
SUCCESSOR, INTAKE, REPEATERS = "successor", "intake", "repeat"
KIND_LABELS = {SUCCESSOR: "lên lớp", INTAKE: "tuyển mới", REPEATERS: "học sinh ở lại"}


# --- the rules of the roll-over (pure) --------------------------------------------------------------


def successor_name(name: str, grade: int) -> str:
    """The name of a class one grade up: the leading grade number replaced ("6A1" → "7A1", "10 Toán" →
    "11 Toán"); a name that does not start with its grade number gets the new grade in front ("A1" →
    "7A1", "Chuyên Anh" → "7 Chuyên Anh") — the preview shows it so the user sees it."""
    name = name.strip()
    lead = re.match(r"\d+", name)
    if lead and lead.group() == str(grade):
        return f"{grade + 1}{name[lead.end() :]}"
    return f"{grade + 1}{' ' if ' ' in name else ''}{name}"


def is_regular_name(name: str, grade: int) -> bool:
    lead = re.match(r"\d+", name.strip())
    return bool(lead) and lead.group() == str(grade)


def decision(status: str | None, outcome: str, grade: int, last_grade: int) -> tuple[str, str]:
    """What happens to a learner from the year's result: (action, reason when pending).

    Approved results only. PROMOTED → up one grade; REPEAT → same grade; COMPLETED in the school's last
    grade → graduation; COMPLETED in any other grade (TT27/2020 "Hoàn thành chương trình lớp học" in
    grades 1–4, or grade 5/9 of a school that continues to the next level) → up one grade. Re-tests or
    summer training not yet decided, primary "Chưa hoàn thành" awaiting the principal, no or unapproved
    result → pending (not enrolled, listed)."""
    if status is None:
        return PENDING, "Chưa có kết quả cả năm."
    if status != ResultStatus.APPROVED:
        return PENDING, "Kết quả cả năm chưa được hiệu trưởng duyệt."
    if outcome == rules.Outcome.REPEAT:
        return REPEAT, ""
    if outcome in (rules.Outcome.PROMOTED, rules.Outcome.COMPLETED):
        if grade < last_grade:
            return PROMOTE, ""
        if outcome == rules.Outcome.COMPLETED:
            return GRADUATE, ""
        return PENDING, "Kết quả “Được lên lớp” ở khối cuối cấp của trường: hãy kiểm tra lại kết quả cả năm."
    if outcome == rules.Outcome.RETEST:
        return PENDING, "Chờ kết quả kiểm tra lại trong hè."
    if outcome == rules.Outcome.SUMMER_TRAINING:
        return PENDING, "Chờ kết quả rèn luyện trong kỳ nghỉ hè."
    return PENDING, "Chưa có quyết định lên lớp (chưa hoàn thành chương trình lớp học, chờ hiệu trưởng quyết định)."


# --- the plan -----------------------------------------------------------------------------------------


@dataclass
class Target:
    """A class of the new year the roll-over uses (existing or to create)."""

    grade: int
    name: str
    kinds: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    existing_id: int | None = None
    homeroom_id: int | None = None
    homeroom_name: str = ""
    note: str = ""
    learners: int = 0

    def as_dict(self) -> dict:
        return {
            "grade": self.grade,
            "name": self.name,
            "kinds": [KIND_LABELS[k] for k in self.kinds],
            "sources": self.sources,
            "exists": self.existing_id is not None,
            "homeroom": self.homeroom_name,
            "note": self.note,
            "learners": self.learners,
        }


@dataclass
class Plan:
    """What opening the next year would do, computed from the database as it is now."""

    year: SchoolYear
    next_start_year: int
    next_year: SchoolYear | None
    last_grade: int
    classes: list[dict] = field(default_factory=list)
    targets: dict = field(default_factory=dict)  # (grade, name) → Target
    successor_of: dict = field(default_factory=dict)  # old class id → (grade, name)
    learners: list[dict] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    plans_to_copy: list[tuple[int, int, int]] = field(default_factory=list)
    assignments: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def pending(self) -> list[dict]:
        return [row for row in self.learners if row["action"] == PENDING]

    @property
    def next_year_name(self) -> str:
        return f"{self.next_start_year}-{self.next_start_year + 1}"

    def as_dict(self) -> dict:
        return {
            "school_year": self.year.pk,
            "school_year_name": self.year.name,
            "next_year_name": self.next_year_name,
            "next_year_exists": self.next_year is not None,
            "last_grade": self.last_grade,
            "classes": self.classes,
            "new_classes": [t.as_dict() for t in sorted(self.targets.values(), key=lambda t: (t.grade, t.name))],
            "counts": dict(self.counts),
            "pending": [{k: row[k] for k in ("student", "learner_code", "class", "reason")} for row in self.pending],
            "graduates": [
                {k: row[k] for k in ("student", "learner_code", "class")}
                for row in self.learners
                if row["action"] == GRADUATE
            ],
            "subject_plans": len(self.plans_to_copy),
            "assignments": {k: v for k, v in self.assignments.items() if k != "created_ids"},
            "problems": self.problems,
        }


def is_leader_of(actor, school_id: int) -> bool:
    """The principal or school admin acting at that school."""
    return actor is not None and actor.role in SCHOOL_WRITERS and actor.unit_id == school_id


def _require_leader(actor, year: SchoolYear) -> None:
    if not is_leader_of(actor, year.school_id) or not can(actor, "change", year):
        raise PermissionDenied(NOT_ALLOWED)


def _refuse_if_done(year: SchoolYear) -> None:
    """Refuse a year already rolled over, closed, or not the school's current year (only the current year is
    rolled over: opening from an older or a future year would close it and make the next one current)."""
    done = YearOpening.objects.filter(from_year=year).select_related("to_year").first()
    if done is not None:
        raise ValidationError(
            f"Năm học {year} đã được chuyển sang năm học {done.to_year} ngày "
            f"{timezone.localtime(done.opened_at):%d/%m/%Y}; không thực hiện lại được."
        )
    if year.is_closed:
        raise ValidationError(f"Năm học {year} đã khoá sổ; không mở năm học mới từ năm học này được.")
    if not year.is_current:
        raise ValidationError(NOT_CURRENT.format(year=year))


def _add_target(plan: Plan, grade: int, name: str, kind: str, source: str) -> Target:
    key = (grade, name)
    target = plan.targets.get(key)
    if target is None:
        target = plan.targets[key] = Target(grade=grade, name=name)
    if kind not in target.kinds:
        target.kinds.append(kind)
    if source and source not in target.sources:
        target.sources.append(source)
    return target


def _build(year: SchoolYear) -> Plan:
    school = year.school
    grades = school.grades
    next_start = year.start_year + 1
    next_year = SchoolYear.objects.filter(school_id=school.pk, start_year=next_start).first()
    plan = Plan(year=year, next_start_year=next_start, next_year=next_year, last_grade=max(grades or (0,)))
    if not grades:
        plan.problems.append("Trường không tổ chức năm học theo khối lớp.")
        return plan
    first_grade = min(grades)
    if next_year is not None and next_year.is_closed:
        plan.problems.append(f"Năm học {next_year} đã khoá sổ.")
    old_classes = list(
        SchoolClass.objects.filter(school_year=year).select_related("homeroom_teacher").order_by("grade", "name")
    )
    existing = {}
    if next_year is not None:
        existing = {c.name: c for c in SchoolClass.objects.filter(school_year=next_year)}
    homerooms = {c.homeroom_teacher_id for c in old_classes if c.homeroom_teacher_id}
    working = set(
        Membership.objects.active()
        .filter(unit_id=school.pk, user_id__in=homerooms, role__in=[Role.TEACHER, *ADMIN_ROLES])
        .values_list("user_id", flat=True)
    )

    # next year's classes: successors, the new intake of the first grade
    for c in old_classes:
        if c.grade < plan.last_grade:
            name = successor_name(c.name, c.grade)
            target = _add_target(plan, c.grade + 1, name, SUCCESSOR, c.name)
            plan.successor_of[c.pk] = (c.grade + 1, name)
            if not is_regular_name(c.name, c.grade):
                target.note = (
                    f"Tên lớp “{c.name}” không bắt đầu bằng số khối {c.grade}: đã thêm “{c.grade + 1}” vào trước."
                )
            if c.homeroom_teacher_id and target.homeroom_id is None:
                if c.homeroom_teacher_id in working:
                    target.homeroom_id = c.homeroom_teacher_id
                    target.homeroom_name = c.homeroom_teacher.full_name or c.homeroom_teacher.get_username()
                else:
                    target.note = (target.note + " " if target.note else "") + (
                        "Giáo viên chủ nhiệm cũ không còn công tác tại trường: cần phân công."
                    )
        if c.grade == first_grade:
            _add_target(plan, c.grade, c.name, INTAKE, "")

    # the learners and their decisions
    by_class = {c.pk: c for c in old_classes}
    enrolments = list(
        Enrolment.objects.filter(school_year=year, left_on__isnull=True)
        .order_by("school_class__grade", "school_class__name", "student__sort_key", "pk")
        .values(
            "pk",
            "student_id",
            "school_class_id",
            "student__full_name",
            "student__learner_code",
            "student__status",
            "student__school_id",
        )
    )
    terms = {
        e: (status, outcome)
        for e, status, outcome in TermResult.objects.filter(
            enrolment__school_year=year, enrolment__left_on__isnull=True, period=Period.YEAR
        ).values_list("enrolment_id", "status", "outcome")
    }
    placed = set()
    if next_year is not None:
        placed = set(Enrolment.objects.filter(school_year=next_year).values_list("student_id", flat=True))
    per_class: dict[int, Counter] = {c.pk: Counter() for c in old_classes}
    labels = dict(StudentStatus.choices)
    for e in enrolments:
        klass = by_class[e["school_class_id"]]
        row = {
            "enrolment": e["pk"],
            "student_id": e["student_id"],
            "student": e["student__full_name"],
            "learner_code": e["student__learner_code"],
            "class": klass.name,
            "grade": klass.grade,
            "class_id": klass.pk,
            "reason": "",
            "target": None,
        }
        status = e["student__status"]
        if status == StudentStatus.GRADUATED and klass.grade == plan.last_grade:
            row["action"] = "done"
            plan.counts["already_graduated"] += 1
            continue
        if status != StudentStatus.STUDYING or e["student__school_id"] != school.pk:
            row["action"], row["reason"] = PENDING, f"Học sinh đang ở tình trạng “{labels.get(status, status)}”."
        else:
            term = terms.get(e["pk"])
            row["action"], row["reason"] = decision(
                term[0] if term else None, term[1] if term else "", klass.grade, plan.last_grade
            )
        if row["action"] in (PROMOTE, REPEAT) and e["student_id"] in placed:
            row["action"] = "placed"
            plan.counts["already_placed"] += 1
            per_class[klass.pk]["placed"] += 1
            continue
        if row["action"] == PROMOTE:
            row["target"] = plan.successor_of[klass.pk]
        elif row["action"] == REPEAT:
            target = _add_target(plan, klass.grade, klass.name, REPEATERS, klass.name)
            row["target"] = (target.grade, target.name)
        if row["target"] is not None:
            plan.targets[row["target"]].learners += 1
        plan.counts[row["action"]] += 1
        per_class[klass.pk][row["action"]] += 1
        plan.learners.append(row)

    # the targets against what the new year already has
    seen_names: dict[str, int] = {}
    for (grade, name), target in sorted(plan.targets.items()):
        if len(name) > MAX_NAME:
            plan.problems.append(f"Tên lớp mới “{name}” dài quá {MAX_NAME} ký tự: hãy đổi tên lớp cũ.")
        if name in seen_names and seen_names[name] != grade:
            plan.problems.append(f"Tên lớp “{name}” dùng cho cả khối {seen_names[name]} và khối {grade} năm học mới.")
        seen_names[name] = grade
        found = existing.get(name)
        if found is not None:
            if found.grade != grade:
                plan.problems.append(
                    f"Năm học {plan.next_year_name} đã có lớp “{name}” thuộc khối {found.grade}, "
                    f"không dùng làm lớp khối {grade} được."
                )
            else:
                target.existing_id = found.pk
    for c in old_classes:
        counts = per_class[c.pk]
        successor = plan.successor_of.get(c.pk)
        plan.classes.append(
            {
                "id": c.pk,
                "name": c.name,
                "grade": c.grade,
                "successor": successor[1] if successor else "",
                "successor_grade": successor[0] if successor else None,
                "regular": is_regular_name(c.name, c.grade),
                "homeroom": (c.homeroom_teacher.full_name or c.homeroom_teacher.get_username())
                if c.homeroom_teacher_id
                else "",
                "learners": sum(counts.values()),
                **{action: counts[action] for action in (PROMOTE, REPEAT, GRADUATE, PENDING)},
            }
        )
    plan.counts["classes_to_create"] = sum(1 for t in plan.targets.values() if t.existing_id is None)
    plan.counts["classes_reused"] = sum(1 for t in plan.targets.values() if t.existing_id is not None)

    # subject plans not yet in the new year (subjects still taught)
    have = set()
    if next_year is not None:
        have = set(SubjectPlan.objects.filter(school_year=next_year).values_list("grade", "subject_id"))
    plan.plans_to_copy = [
        (grade, subject, periods)
        for grade, subject, periods in SubjectPlan.objects.filter(school_year=year, subject__is_active=True)
        .order_by("grade", "subject_id")
        .values_list("grade", "subject_id", "periods_per_year")
        if (grade, subject) not in have
    ]
    return plan


def preview(actor, school_year: SchoolYear) -> Plan:
    """What opening the year after ``school_year`` would do; writes nothing. Raises PermissionDenied
    for anyone but the school's principal or admin, ValidationError when it was already done."""
    _require_leader(actor, school_year)
    year = SchoolYear.objects.select_related("school").get(pk=school_year.pk)
    _refuse_if_done(year)
    plan = _build(year)
    class_map = {old: plan.targets[key].existing_id for old, key in plan.successor_of.items()}
    plan.assignments = teacher_services.copy_assignments_to_next_year(
        actor, year, plan.next_year, class_map, dry_run=True
    )
    return plan


def pending_message(count: int) -> str:
    return (
        f"Còn {count} học sinh chưa có quyết định lên lớp hay ở lại (kết quả cả năm chưa duyệt, chờ kiểm tra "
        f"lại hoặc rèn luyện hè). Hãy duyệt đủ kết quả, hoặc chọn “{ALLOW_PENDING_LABEL}”."
    )


def open_year(actor, school_year: SchoolYear, *, allow_pending: bool = False) -> YearOpening:
    """Open the year after ``school_year`` (see the module's docstring), all or nothing."""
    _require_leader(actor, school_year)
    with transaction.atomic(), acting_as(actor):
        year = SchoolYear.objects.select_for_update(of=("self",)).select_related("school").get(pk=school_year.pk)
        _refuse_if_done(year)
        plan = _build(year)
        if plan.problems:
            raise ValidationError(plan.problems)
        if plan.pending and not allow_pending:
            raise ValidationError({"allow_pending": pending_message(len(plan.pending))})
        school = year.school
        # The learners the plan moves, locked and re-read before anything is written: a transfer, a drop-out
        # or a status change committed since the plan read them (or waiting for these locks) would otherwise
        # see them enrolled or graduated by this school. A plan that no longer holds is refused, whole.
        moving = {row["student_id"]: row for row in plan.learners if row["action"] in (PROMOTE, REPEAT, GRADUATE)}
        locked = {
            s.pk: s
            for s in Student.objects.select_for_update()
            .filter(pk__in=list(moving), school=school, status=StudentStatus.STUDYING)
            .order_by("pk")
        }
        if locked.keys() != moving.keys():
            changed = [moving[pk]["student"] for pk in moving if pk not in locked]
            names = ", ".join(changed[:10]) + (" …" if len(changed) > 10 else "")
            raise ValidationError(STALE_PLAN.format(count=len(changed), names=names))
        new_year = plan.next_year or create_school_year(school, plan.next_start_year)
        now = timezone.now()

        # classes: create the missing ones, give reused ones without a homeroom teacher the carried one
        creates, fills = [], []
        for target in plan.targets.values():
            if target.existing_id is None:
                creates.append(
                    SchoolClass(
                        school=school,
                        school_year=new_year,
                        grade=target.grade,
                        name=target.name,
                        homeroom_teacher_id=target.homeroom_id,
                    )
                )
            elif target.homeroom_id is not None:
                fills.append(target)
        SchoolClass.objects.bulk_create(creates, batch_size=BATCH)
        if fills:
            reused = {c.pk: c for c in SchoolClass.objects.filter(pk__in=[t.existing_id for t in fills])}
            empty = []
            for target in fills:
                klass = reused[target.existing_id]
                if klass.homeroom_teacher_id is None:
                    klass.homeroom_teacher_id = target.homeroom_id
                    empty.append(klass)
            SchoolClass.objects.bulk_update(empty, ["homeroom_teacher"], batch_size=BATCH)
        ids = {(c.grade, c.name): c.pk for c in SchoolClass.objects.filter(school_year=new_year)}

        # subject plans and teaching assignments
        SubjectPlan.objects.bulk_create(
            [
                SubjectPlan(school=school, school_year=new_year, grade=g, subject_id=s, periods_per_year=p)
                for g, s, p in plan.plans_to_copy
            ],
            batch_size=BATCH,
        )
        plan.assignments = teacher_services.copy_assignments_to_next_year(
            actor, year, new_year, {old: ids[key] for old, key in plan.successor_of.items()}
        )

        # learners: enrolments of the promoted and the repeaters (the invariants of records.enrol:
        # a class of the learner's current school, a year not closed, a learner still studying, one
        # class a year), graduation of those completing the school's last grade (records.graduate)
        enrolments = [
            Enrolment(
                school=school,
                student_id=row["student_id"],
                school_year=new_year,
                school_class_id=ids[row["target"]],
                enrolled_on=new_year.starts_on,
            )
            for row in plan.learners
            if row["action"] in (PROMOTE, REPEAT)
        ]
        bulk_create_with_history(enrolments, Enrolment, actor=actor, batch_size=BATCH)
        graduates = [row for row in plan.learners if row["action"] == GRADUATE]
        if graduates:
            effective = year.ends_on
            reason = f"Hoàn thành chương trình lớp {plan.last_grade}, năm học {year} (mở năm học mới)."
            StudentMovement.objects.bulk_create(
                [
                    StudentMovement(
                        school=school,
                        student_id=row["student_id"],
                        kind=MovementKind.GRADUATE,
                        effective_on=effective,
                        reason=reason,
                        recorded_by=actor.user,
                    )
                    for row in graduates
                ],
                batch_size=BATCH,
            )
            students = [locked[row["student_id"]] for row in graduates]
            Student.objects.filter(
                pk__in=[s.pk for s in students], school=school, status=StudentStatus.STUDYING
            ).update(status=StudentStatus.GRADUATED, status_changed_on=effective)
            for student in students:
                student.status = StudentStatus.GRADUATED
                student.status_changed_on = effective
            # the rows are written above (one UPDATE); this adds their history rows, attributed to the actor
            bulk_update_with_history(students, Student, [], actor=actor, batch_size=BATCH)

        # the old year read-only, the new one current
        SchoolYear.objects.filter(pk=year.pk).update(is_closed=True)
        set_current_year(new_year)

        summary = plan.as_dict()
        summary["assignments"] = plan.assignments
        summary["to_year"] = new_year.pk
        summary["allow_pending"] = bool(allow_pending)
        try:
            with transaction.atomic():
                opening = YearOpening.objects.create(
                    school=school,
                    from_year=year,
                    to_year=new_year,
                    opened_by=actor.user,
                    summary=summary,
                    closed_at=now,
                )
        except IntegrityError:
            raise ValidationError(
                f"Năm học {year} đã được chuyển sang năm học mới; không thực hiện lại được."
            ) from None
        counts = plan.counts
        record(
            EVENT_KIND,
            actor=actor,
            obj=opening,
            detail=(
                f"Mở năm học {new_year} từ {year}: {counts[PROMOTE]} lên lớp, {counts[REPEAT]} ở lại, "
                f"{counts[GRADUATE]} ra trường, {counts[PENDING]} chưa có quyết định; khoá sổ năm học {year}."
            ),
        )
    return opening
