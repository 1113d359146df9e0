"""Demo data of module (a), the grade book: for every school and centre with grades, the
semester I sheets of the current year (one per teaching assignment, laid out as
``services.gradebook.open_sheet`` lays them out), filled with plausible cells, their semester
subject results, the homeroom teachers' assessments, a few absences, and the semester I
results of the classes whose sheets are all approved — approved for the demo learner's class
(and one more class at the first school), so the demo student and parent accounts see them.

Most sheets are approved; in about a quarter of the other classes one or two sheets wait at
"submitted" or "checked"; the demo teacher ``gv1.<school>`` keeps one sheet in draft, only
partly filled, outside the demo learner's class, to try the grid.

Cells, sheets, assessments and absences are written in bulk (no history rows for demo data);
the semester subject results by the grade book's own refresh (``gradebook._refresh``, what
``refresh_sheet_results`` runs, fed the cells in hand), the term results by ``compute_results``
and ``approve_results``, which write what they always write. Each school
draws from its own random stream (``grades-<seed>-<school code>``), so the same seed gives the
same grade book whatever ran before. A school that already has semester I sheets is left alone.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from sms.accounts.actors import Actor
from sms.accounts.models import Membership, User
from sms.accounts.roles import Role
from sms.accounts.seed import unit_slug
from sms.org.models import SchoolClass, SchoolYear, Semester, Subject, SubjectPlan
from sms.seeding import SeedContext
from sms.text import search_key, sort_key
from teachers.models import Position, StaffRecord, TeachingAssignment

from . import rules
from .models import (
    Absence,
    Enrolment,
    Exemption,
    ExemptionKind,
    HomeroomAssessment,
    Period,
    Score,
    ScoreSheet,
    SheetStatus,
    Student,
    TermResult,
)
from .selectors import rule_set_of
from .services.gradebook import _refresh
from .services.homeroom import conduct_choices, quality_fields
from .services.results import IEP_MISSING, ResultsError, approve_results, compute_results, set_manual_learning

#: share of the classes (other than the demo learner's) with a sheet still waiting for approval
PENDING_CLASS_RATE = 0.25
#: share of the learners with a day or more absent so far
ABSENT_RATE = 0.2
BATCH = 2000

#: conduct from best to worst (TT22 Tốt/Khá/Đạt/Chưa đạt; hạnh kiểm Tốt/Khá/TB/Yếu for older years)
CONDUCT_WEIGHTS = (70, 22, 7, 1)
CONDUCT_COMMENTS = (
    "Ngoan, lễ phép, tích cực tham gia các hoạt động của lớp.",
    "Chấp hành tốt nội quy; cần mạnh dạn hơn trong hoạt động tập thể.",
    "Cần chú ý hơn việc thực hiện nội quy và giờ giấc.",
    "Nhiều lần vi phạm nội quy; gia đình cần phối hợp nhắc nhở.",
)
PRIMARY_COMMENTS = {
    rules.QualityLevel.GOOD: "Em chăm chỉ, tự giác, hoà đồng với bạn bè; hoàn thành tốt các nhiệm vụ học tập.",
    rules.QualityLevel.PASS: "Em ngoan, biết giúp đỡ bạn; cần tự tin hơn khi phát biểu.",
    rules.QualityLevel.EFFORT: "Em cần cố gắng tập trung hơn trong giờ học; gia đình cần quan tâm kèm cặp thêm.",
}
QUALITY_ORDER = [rules.QualityLevel.GOOD, rules.QualityLevel.PASS, rules.QualityLevel.EFFORT]
ABSENCE_REASONS = ["Ốm, có giấy của gia đình", "Việc gia đình", "Đi khám bệnh", "Sốt, gia đình xin phép"]
IEP_REASON = "Học sinh học theo kế hoạch giáo dục cá nhân; đạt các mục tiêu của học kỳ I theo kế hoạch."


@dataclass
class _Row:
    """A learner on the sheets of a class: the enrolment and how well they do overall."""

    enrolment: Enrolment
    ability: float
    gone: bool  # left the class during the semester (the demo drop-outs)
    offsets: dict = field(default_factory=dict)  # subject id → the learner's bent for that subject


# --- cells ---------------------------------------------------------------------------------------------


def _clip(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _cell(rng: random.Random, column: rules.Column, level: float) -> str:
    """A plausible cell of ``column`` for a learner at ``level`` (≈ their score out of 10), in the
    canonical form ``rules.parse_cell`` stores."""
    noise = rng.gauss(0, 0.8)
    if column.kind == rules.CellKind.SCORE:
        tenths = round(_clip(level + noise, 3.0, 10.0) * 10)
        if column.weight == 1 and rng.random() < 0.7:
            tenths = round(tenths / 5) * 5  # regular assessments: mostly whole or half marks
        text = f"{tenths // 10}.{tenths % 10}"
    elif column.kind == rules.CellKind.TEST:
        text = str(round(_clip(level + noise, 5, 10)))
    elif column.kind == rules.CellKind.COMMENT:
        failing = 0.03 if level < 5.5 else 0.002
        text = rules.NOT_PASSED if rng.random() < failing else rules.PASSED
    else:
        mark = level + noise
        text = (
            rules.PrimaryLevel.GOOD
            if mark >= 7.6
            else rules.PrimaryLevel.DONE
            if mark >= 4.6
            else rules.PrimaryLevel.NOT_DONE
        )
    return rules.parse_cell(column.kind, text)


def _partial(columns: list[rules.Column]) -> list[rules.Column]:
    """What a teacher has entered so far on a draft sheet: the regular (or mid-semester level)
    columns, never the end-of-semester ones."""
    early = [c for c in columns if c.weight == 1 or c.key in ("level_gk", "test_gk")]
    return early or columns[:1]


def _insert(model, objs: list) -> None:
    """Write new rows (no ids wanted back): ``bulk_create``, except on SQLite, where it builds
    every value through the ORM's compiler (~8 s for the ~60,000 cells of the default demo) and
    one ``executemany`` of a plain INSERT does the same in a fraction of it. Values go through
    each field's ``get_db_prep_save``; no signals, no history rows either way."""
    if connection.vendor != "sqlite":
        model.objects.bulk_create(objs, batch_size=BATCH)  # PostgreSQL: one UNNEST insert per batch
        return
    if not objs:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    moment = timezone.now()
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            for obj in objs:
                setattr(obj, f.attname, moment)
    prepared: dict = {}

    def prep(f, value):
        key = (f.attname, value)
        if key not in prepared:
            prepared[key] = f.get_db_prep_save(value, connection)
        return prepared[key]

    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))})"  # names from the model's metadata, values as parameters
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [tuple(prep(f, getattr(obj, f.attname)) for f in fields) for obj in objs])


# --- the demo teacher ------------------------------------------------------------------------------------


def _staff_record(school, user) -> StaffRecord:
    record = StaffRecord.objects.filter(user=user).first()
    if record is None:
        record = StaffRecord.objects.bulk_create(
            [
                StaffRecord(
                    school=school,
                    user=user,
                    full_name=user.full_name,
                    email=user.email,
                    position=Position.TEACHER,
                    search_key=search_key(user.full_name),
                    sort_key=sort_key(user.full_name),
                )
            ]
        )[0]
    return record


def _demo_teacher_sheet(school, year, classes, demo_class_id, plans, subjects) -> tuple[int, int] | None:
    """(class id, subject id) of the semester I assignment of ``gv1.<school>`` left in draft:
    one of theirs outside the demo learner's class (a scored subject if they have one), else
    an assignment handed to them (created where a class × subject has none)."""
    user = User.objects.filter(username=f"gv1.{unit_slug(school)}").first()
    if user is None or not classes:
        return None
    record = _staff_record(school, user)
    by_id = {c.pk: c for c in classes}

    def order(class_id: int, subject_id: int) -> tuple:
        klass, subject = by_id[class_id], subjects[subject_id]
        return (class_id == demo_class_id, subject.assessment != "scored", klass.grade, klass.name, subject.code)

    mine = [
        (a.school_class_id, a.subject_id)
        for a in TeachingAssignment.objects.filter(teacher=record, semester__school_year=year, semester__number=1)
        if a.school_class_id in by_id and (by_id[a.school_class_id].grade, a.subject_id) in plans
    ]
    if mine:
        chosen = min(mine, key=lambda key: order(*key))
        if chosen[0] != demo_class_id or len(classes) == 1:
            return chosen
    # Hand them a class × subject: the first class other than the demo learner's, the scored
    # subject with the most periods (in both semesters, as the teachers' seeder assigns).
    klass = next((c for c in classes if c.pk != demo_class_id), classes[0])
    wanted = sorted(
        (subjects[sid].assessment != "scored", -periods, subjects[sid].code, sid)
        for (grade, sid), periods in plans.items()
        if grade == klass.grade
    )
    if not wanted:
        return None
    subject_id = wanted[0][-1]
    existing = TeachingAssignment.objects.filter(school_class=klass, subject_id=subject_id)
    existing.update(teacher=record)  # a plain update: no history rows for demo data
    covered = set(existing.values_list("semester_id", flat=True))
    TeachingAssignment.objects.bulk_create(
        TeachingAssignment(school=school, semester=s, school_class=klass, subject_id=subject_id, teacher=record)
        for s in Semester.objects.filter(school_year=year).order_by("number")
        if s.pk not in covered
    )
    StaffRecord.subjects.through.objects.bulk_create(
        [StaffRecord.subjects.through(staffrecord_id=record.pk, subject_id=subject_id)], ignore_conflicts=True
    )
    return klass.pk, subject_id


# --- one school -----------------------------------------------------------------------------------------


def _moment(day: dt.date, rng: random.Random) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(rng.randint(7, 20), rng.randint(0, 59))))


def _school_days(first: dt.date, last: dt.date) -> list[dt.date]:
    days, day = [], first
    while day <= last:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def seed_grades(ctx: SeedContext) -> None:
    for n, school in enumerate(s for s in ctx.data.get("schools", []) if s.grades):
        _seed_school(ctx, school, first=n == 0)


def _seed_school(ctx: SeedContext, school, *, first: bool) -> None:
    year = SchoolYear.objects.filter(school=school, is_current=True).first()
    semester = Semester.objects.filter(school_year=year, number=1).first() if year else None
    if semester is None or ScoreSheet.objects.filter(semester=semester).exists():
        return
    rng = random.Random(f"grades-{ctx.seed}-{school.code}")
    classes = [
        c
        for c in SchoolClass.objects.filter(school_year=year).select_related("school_year").order_by("grade", "name")
        if rule_set_of(c) != rules.RuleSet.NONE
    ]
    if not classes:
        return
    by_id = {c.pk: c for c in classes}
    principal = (
        Membership.objects.filter(unit=school, role=Role.PRINCIPAL, is_active=True)
        .select_related("user", "unit")
        .order_by("pk")
        .first()
    )
    demo_student = Student.objects.filter(user__username=f"hs.{unit_slug(school)}").first()
    demo_class_id = (
        Enrolment.objects.filter(student=demo_student, school_year=year)
        .values_list("school_class_id", flat=True)
        .first()
        if demo_student
        else None
    )
    plans = {(p.grade, p.subject_id): p.periods_per_year for p in SubjectPlan.objects.filter(school_year=year)}
    subjects = {s.pk: s for s in Subject.objects.filter(school=school)}
    draft_key = _demo_teacher_sheet(school, year, classes, demo_class_id, plans, subjects)

    assignments = sorted(
        (
            a
            for a in TeachingAssignment.objects.filter(semester=semester, school_class__in=classes).select_related(
                "teacher"
            )
            if (by_id[a.school_class_id].grade, a.subject_id) in plans
        ),
        key=lambda a: (by_id[a.school_class_id].grade, by_id[a.school_class_id].name, subjects[a.subject_id].code),
    )

    # The learners on each class's semester I sheets (as the grade book lists them), with their level.
    rows_of: dict[int, list[_Row]] = defaultdict(list)
    enrolments = (
        Enrolment.objects.filter(school_class__in=classes)
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=semester.starts_on))
        .filter(Q(enrolled_on__isnull=True) | Q(enrolled_on__lte=semester.ends_on))
        .select_related("student")
    )
    for e in sorted(enrolments, key=lambda e: (by_id[e.school_class_id].grade, by_id[e.school_class_id].name,
                                                e.student.learner_code)):  # fmt: skip
        ability = _clip(rng.gauss(7.2, 0.95), 4.8, 9.7)
        gone = e.left_on is not None and e.left_on <= semester.ends_on
        rows_of[e.school_class_id].append(_Row(e, ability, gone))
    exemptions = list(
        Exemption.objects.filter(enrolment__school_class__in=classes)
        .filter(Q(semester__isnull=True) | Q(semester=1))
        .order_by("kind")  # "exempt" before "iep": an exemption outranks an individual plan, as in the grade book
        .values_list("enrolment_id", "subject_id", "kind")
    )
    # exempted learners get no cells; those on an individual plan are assessed (the submit check
    # asks for their cells) but left out of the results
    exempt = {(e, s) for e, s, kind in exemptions if kind == ExemptionKind.EXEMPT}

    # Where each sheet stands: a quarter of the other classes wait on one or two sheets.
    others = [c.pk for c in classes if c.pk != demo_class_id and (draft_key is None or c.pk != draft_key[0])]
    pending_classes = sorted(rng.sample(others, round(len(others) * PENDING_CLASS_RATE)))
    by_class: dict[int, list[TeachingAssignment]] = defaultdict(list)
    for a in assignments:
        by_class[a.school_class_id].append(a)
    status_of: dict[tuple[int, int], str] = {}
    for n, class_id in enumerate(pending_classes):
        waiting = by_class.get(class_id, [])
        for a in rng.sample(waiting, min(len(waiting), rng.randint(1, 2))):
            status_of[(class_id, a.subject_id)] = SheetStatus.SUBMITTED if n % 2 == 0 else SheetStatus.CHECKED
    if draft_key is not None:
        status_of[draft_key] = SheetStatus.DRAFT

    # Sheets, laid out as open_sheet lays them out, with their workflow stamps.
    principal_user = principal.user if principal else None
    sheet_day = semester.starts_on + dt.timedelta(days=63)
    sheets: list[ScoreSheet] = []
    layouts: list[list[rules.Column]] = []
    for a in assignments:
        klass, subject = by_id[a.school_class_id], subjects[a.subject_id]
        rule_set = rule_set_of(klass)
        columns = rules.sheet_columns(
            rule_set,
            assessment=subject.assessment,
            periods_per_year=plans[(klass.grade, subject.pk)],
            grade=klass.grade,
            subject_code=subject.code,
            semester=semester.number,
        )
        status = status_of.get((klass.pk, subject.pk), SheetStatus.APPROVED)
        sheet = ScoreSheet(
            school=school,
            semester=semester,
            school_class=klass,
            subject=subject,
            rule_set=rule_set,
            columns=ScoreSheet.freeze_columns(columns),
            status=status,
            version=1 if rows_of.get(klass.pk) else 0,
        )
        if status != SheetStatus.DRAFT:
            sheet.submitted_by_id = a.teacher.user_id
            sheet.submitted_at = _moment(sheet_day + dt.timedelta(days=rng.randint(0, 4)), rng)
        if status in (SheetStatus.CHECKED, SheetStatus.APPROVED):
            sheet.checked_by_id = klass.homeroom_teacher_id or (principal_user.pk if principal_user else None)
            sheet.checked_at = sheet.submitted_at + dt.timedelta(days=rng.randint(1, 2))
        if status == SheetStatus.APPROVED:
            sheet.approved_by = principal_user
            sheet.approved_at = sheet.checked_at + dt.timedelta(days=rng.randint(1, 3))
        sheets.append(sheet)
        layouts.append(list(columns))
    ScoreSheet.objects.bulk_create(sheets, batch_size=BATCH)

    # Cells: every learner on the sheet but those exempted from the subject; a draft sheet only
    # partly, a learner who left only before leaving.
    scores: list[Score] = []
    teacher_of = {(a.school_class_id, a.subject_id): a.teacher.user_id for a in assignments}
    for sheet, columns in zip(sheets, layouts, strict=True):
        draft = sheet.status == SheetStatus.DRAFT
        teacher = teacher_of[(sheet.school_class_id, sheet.subject_id)]
        for row in rows_of.get(sheet.school_class_id, []):
            if (row.enrolment.pk, sheet.subject_id) in exempt:
                continue
            bent = row.offsets.setdefault(sheet.subject_id, rng.gauss(0, 0.5))
            wanted = columns
            if row.gone:
                wanted = columns[:1]
            elif draft:
                wanted = [c for c in _partial(columns) if c.key in ("tx1", "level_gk") or rng.random() < 0.6]
            for column in wanted:
                value = _cell(rng, column, row.ability + bent)
                scores.append(
                    Score(
                        school_id=school.pk,
                        sheet_id=sheet.pk,
                        enrolment_id=row.enrolment.pk,
                        column=column.key,
                        value=value,
                        updated_by_id=teacher,
                    )
                )
    _insert(Score, scores)
    # The semester subject results: what refresh_sheet_results(sheet) does, fed the rows and
    # cells in hand instead of reading them back sheet by sheet (that read cost ~10 s).
    stored: dict[int, dict[tuple[int, str], Score]] = defaultdict(dict)
    for score in scores:
        stored[score.sheet_id][(score.enrolment_id, score.column)] = score
    kinds: dict[tuple[int, int], str] = {}
    for e, s, k in exemptions:
        kinds.setdefault((e, s), k)
    for sheet in sheets:
        learners = [row.enrolment for row in rows_of.get(sheet.school_class_id, [])]
        left_out = {e.pk: kinds[(e.pk, sheet.subject_id)] for e in learners if (e.pk, sheet.subject_id) in kinds}
        _refresh(sheet, learners, left_out, stored[sheet.pk])

    # Homeroom assessments of semester I where every sheet of the class is approved.
    open_classes = {s.school_class_id for s in sheets if s.status != SheetStatus.APPROVED}
    approved_classes = [c for c in classes if c.pk not in open_classes and by_class.get(c.pk)]
    assessments: list[HomeroomAssessment] = []
    for klass in approved_classes:
        rule_set = rule_set_of(klass)
        qualities, competencies = quality_fields(rule_set)
        conducts = [value for value, _ in conduct_choices(rule_set)]
        for row in rows_of[klass.pk]:
            if row.gone:
                continue
            assessment = HomeroomAssessment(
                school=school, enrolment=row.enrolment, semester=semester, updated_by_id=klass.homeroom_teacher_id
            )
            if qualities:
                marks = {}
                for key, _ in (*qualities, *competencies):
                    mark = row.ability + rng.gauss(0, 0.9)
                    marks[key] = (
                        rules.QualityLevel.GOOD
                        if mark >= 7.0
                        else rules.QualityLevel.PASS
                        if mark >= 4.5
                        else rules.QualityLevel.EFFORT
                    )
                assessment.qualities = {key: str(marks[key]) for key, _ in qualities}
                assessment.competencies = {key: str(marks[key]) for key, _ in competencies}
                assessment.comment = PRIMARY_COMMENTS[max(marks.values(), key=QUALITY_ORDER.index)]
            elif conducts:
                rank = rng.choices(range(len(conducts)), weights=CONDUCT_WEIGHTS)[0]
                assessment.conduct = conducts[rank]
                assessment.comment = CONDUCT_COMMENTS[rank]
            assessments.append(assessment)
    HomeroomAssessment.objects.bulk_create(assessments, batch_size=BATCH)

    # A few absences so far this semester, recorded by the homeroom teacher.
    days = _school_days(semester.starts_on + dt.timedelta(days=2), min(sheet_day, semester.ends_on))
    absences: list[Absence] = []
    for klass in classes:
        for row in rows_of.get(klass.pk, []):
            if row.gone or rng.random() >= ABSENT_RATE:
                continue
            for day in sorted(rng.sample(days, min(len(days), rng.randint(1, 3)))):
                excused = rng.random() < 0.75
                absences.append(
                    Absence(
                        school=school,
                        enrolment=row.enrolment,
                        day=day,
                        sessions=1 if rng.random() < 0.8 else 2,
                        excused=excused,
                        reason=rng.choice(ABSENCE_REASONS) if excused else "",
                        recorded_by_id=klass.homeroom_teacher_id,
                    )
                )
    Absence.objects.bulk_create(absences, batch_size=BATCH)

    # Semester I results of the fully approved classes, computed by the principal; approved for
    # the demo learner's class (and, at the school whose logins the demo lists, one more class).
    if principal is None:
        return
    actor = Actor(principal.user, principal)
    chosen = [c for c in approved_classes if c.pk == demo_class_id]
    if first:
        chosen += [c for c in reversed(approved_classes) if c.pk != demo_class_id][:1]
    for klass in approved_classes:
        compute_results(actor, year, school_class=klass)
    for klass in chosen:
        _settle_individual_plans(actor, klass)
        try:
            approve_results(actor, klass, Period.SEMESTER_1)
        except ResultsError:
            continue  # something the demo data could not complete: the class stays computed only
    # The school whose logins the demo lists publishes its semester I results to the portal
    # (the lookup at /cong/ket-qua-hoc-tap/ then finds the approved classes' learners).
    if first and chosen:
        from .services.workflow import publish

        publish(actor, year, Period.SEMESTER_1)


def _settle_individual_plans(actor, klass) -> None:
    """The principal's decision for learners on an individual plan (their result is not computed)."""
    for term in TermResult.objects.filter(enrolment__school_class=klass, period=Period.SEMESTER_1).order_by("pk"):
        if IEP_MISSING in (term.missing or []):
            set_manual_learning(actor, term, rules.Level.PASS, IEP_REASON)
