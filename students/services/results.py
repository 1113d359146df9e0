"""Year results of module (a): semester and year learning results, conduct, absences, promotion,
summer re-tests and re-training, titles, and their approval (../shared/domain/grading.md).

Inputs (all kept with history by the services that write them): the semester ``SubjectResult``
rows (periods ``hk1``/``hk2``) that the grade book maintains on every save, the homeroom
teacher's ``HomeroomAssessment`` per semester, ``Absence`` days and ``Exemption`` rows. Outputs:
one ``TermResult`` per learner and period (``hk1``, ``hk2``, ``cn``; primary classes only ``cn``)
and the year ``SubjectResult`` rows (period ``cn``).

Computed values are *derived* from historied inputs, so ``compute_results`` writes them with
bulk upserts and WITHOUT history rows (the history of the inputs says why a result changed).
Hand entries — a principal's learning result for a learner on an individual plan, summer
re-tests, summer conduct, approval — are saved with history, attributed to the actor.

Performance (issue 5 point 7: a 1,500-student school's year under 2 s on PostgreSQL): one
query per input table (values_list rows, never model instances), ``Decimal`` arithmetic in
plain Python through ``students.rules``, and writes only for rows whose values changed, in
large batches. The query count does not depend on the number of learners (pinned in tests).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from sms.accounts.roles import Role
from sms.accounts.scoping import can, visible_to
from sms.audit.history import acting_as, bulk_update_with_history
from sms.exports.numbers import vn_decimal
from sms.org.models import SchoolClass, SchoolYear, SubjectPlan
from sms.text import nfc

from .. import rules
from ..models import (
    Absence,
    Enrolment,
    Exemption,
    ExemptionKind,
    HomeroomAssessment,
    Period,
    ResultStatus,
    ScoreSheet,
    SheetStatus,
    SubjectResult,
    TermResult,
)
from .corrections import on_results_approved
from .workflow import closed_year_message, is_principal_of, refuse_if_closed

#: who computes results: the school's leaders for the whole school, the homeroom teacher for their class
COMPUTERS = frozenset({Role.PRINCIPAL, Role.SCHOOL_ADMIN})
RETEST_RECORDERS = frozenset({Role.PRINCIPAL, Role.SCHOOL_ADMIN})

PERIOD_LABELS = {Period.SEMESTER_1: "HK I", Period.SEMESTER_2: "HK II", Period.YEAR: "cả năm"}
SEMESTER_PERIODS = {1: Period.SEMESTER_1, 2: Period.SEMESTER_2}
IEP_MISSING = "Cần hiệu trưởng xác định kết quả (kế hoạch giáo dục cá nhân)"
APPROVED_KEPT = "Đã duyệt — cần mở khoá để tính lại"
#: year outcomes still waiting for the summer: the opening of the next year leaves these learners out
#: (``newyear.decision``), so their re-tests and summer conduct are still recorded once the year is closed
PENDING_OUTCOMES = frozenset({rules.Outcome.RETEST, rules.Outcome.SUMMER_TRAINING})
BATCH = 2000
# value sets looked up per learner (an enum's ``.values`` builds a new list each time)
LEVELS = frozenset(rules.Level.values)
LEGACY_CONDUCTS = frozenset(rules.LegacyConduct.values)
PRIMARY_LEVELS = frozenset(rules.PrimaryLevel.values)
QUALITY_LEVELS = frozenset(rules.QualityLevel.values)

#: TermResult fields that ``compute_results`` owns (the others are hand entries or the status)
TERM_FIELDS = (
    "rule_set",
    "learning",
    "learning_before_adjustment",
    "adjusted_by_subject",
    "conduct",
    "learning_after_retest",
    "absences",
    "absences_excused",
    "outcome",
    "title",
    "missing",
)
#: year SubjectResult fields that ``compute_results`` owns (re-tests are hand entries)
SUBJECT_FIELDS = ("average", "passed", "level", "test_score", "excluded")


class ResultsError(ValidationError):
    """A refused results action, with a Vietnamese message."""


# --- labels --------------------------------------------------------------------------------------------


def learning_choices(rule_set: str) -> list[tuple[str, str]]:
    """The learning results of a rule set: TT22 levels, TT58 học lực, or the primary year results."""
    rule_set = rules.RuleSet(rule_set)
    if rule_set == rules.RuleSet.TT22:
        return list(rules.Level.choices)
    if rule_set in (rules.RuleSet.TT26, rules.RuleSet.TT58):
        return list(rules.LegacyLearning.choices)
    if rules.is_primary(rule_set):
        return list(rules.PrimaryResult.choices)
    return []


def conduct_choices(rule_set: str) -> list[tuple[str, str]]:
    """Conduct levels of a rule set: TT22 rèn luyện, TT58 hạnh kiểm; none in primary."""
    rule_set = rules.RuleSet(rule_set)
    if rule_set == rules.RuleSet.TT22:
        return list(rules.Level.choices)
    if rule_set in (rules.RuleSet.TT26, rules.RuleSet.TT58):
        return list(rules.LegacyConduct.choices)
    return []


def learning_label(rule_set: str, value: str) -> str:
    return dict(learning_choices(rule_set)).get(value, value or "")


def conduct_label(rule_set: str, value: str) -> str:
    return dict(conduct_choices(rule_set)).get(value, value or "")


# --- permissions ---------------------------------------------------------------------------------------


def may_compute(actor, school_year: SchoolYear, school_class: SchoolClass | None = None) -> bool:
    """The school's principal or administrator; the homeroom teacher for their own class."""
    if actor is None or actor.unit_id != school_year.school_id:
        return False
    if actor.role in COMPUTERS:
        return True
    return (
        school_class is not None
        and actor.role == Role.TEACHER
        and school_class.homeroom_teacher_id == actor.user.pk
        and school_class.school_year_id == school_year.pk
    )


def may_approve(actor, school_class: SchoolClass) -> bool:
    return is_principal_of(actor, school_class.school_id)


def may_record_retest(actor, enrolment: Enrolment) -> bool:
    return actor is not None and actor.role in RETEST_RECORDERS and actor.unit_id == enrolment.school_id


def may_record_summer_conduct(actor, enrolment: Enrolment) -> bool:
    return (
        actor is not None
        and actor.role == Role.TEACHER
        and actor.unit_id == enrolment.school_id
        and enrolment.school_class.homeroom_teacher_id == actor.user.pk
    )


def may_set_manual(actor, enrolment: Enrolment) -> bool:
    return is_principal_of(actor, enrolment.school_id)


# --- reading the inputs: one query per table ----------------------------------------------------------


@dataclass
class _Subject:
    id: int
    code: str
    name: str
    assessment: str


@dataclass
class _Context:
    """Everything one computation reads, loaded with a fixed number of queries."""

    year: SchoolYear
    semesters: dict  # number → Semester
    classes: dict  # class id → (grade, name, rule_set)
    enrolments: list  # (id, school id, class id, student name, periods: the populations it belongs to)
    plan: dict  # grade → [_Subject] in name order
    sheets: dict  # (class id, subject id, semester number) → status
    semester_rows: dict  # (enrolment id, subject id, period) → (average, passed, level, test_score, excluded)
    #                      (``excluded`` is the grade book's copy: exclusion is decided from ``exemptions``)
    year_rows: dict  # (enrolment id, subject id) → (id, *SUBJECT_FIELDS, retest_average, retest_passed, status)
    exemptions: dict  # (enrolment id, subject id) → [(kind, semester or None)]
    homeroom: dict  # (enrolment id, semester number) → (conduct, qualities, competencies)
    absences: dict  # enrolment id → (sem1 total, sem1 excused, sem2 total, sem2 excused, total, excused)
    terms: dict  # (enrolment id, period) → row dict
    bounds: dict = field(default_factory=dict)  # semester number → (first day, last day)
    left: dict = field(default_factory=dict)  # enrolment id → left_on (None: still here)


# positions in the row tuples (plain tuples: tens of thousands of rows are read per school)
AVERAGE, PASSED, LEVEL, TEST, EXCLUDED = range(5)  # semester rows
Y_ID, Y_RETEST_AVERAGE, Y_RETEST_PASSED, Y_STATUS = 0, 6, 7, 8  # year rows: id, SUBJECT_FIELDS (1–5), …
TERM_COLUMNS = ("id", "enrolment_id", "period", "manual_learning", "manual_reason", "conduct_after_summer", "status")


def _load(year: SchoolYear, *, class_ids=None, enrolment_ids=None) -> _Context:
    """Read every input of ``year`` (narrowed to classes or enrolments): eleven queries whatever the size."""
    semesters = {s.number: s for s in year.semesters.all()}
    classes_qs = SchoolClass.objects.filter(school_year=year)
    by_enrolment: dict = {"enrolment__school_year": year}
    if class_ids is not None:
        classes_qs = classes_qs.filter(pk__in=class_ids)
        by_enrolment["enrolment__school_class_id__in"] = list(class_ids)
    if enrolment_ids is not None:
        by_enrolment["enrolment_id__in"] = list(enrolment_ids)
    classes = {}
    for pk, grade, name in classes_qs.values_list("pk", "grade", "name"):
        rule_set = rules.rule_set_for(year.start_year, grade)
        if rule_set != rules.RuleSet.NONE:
            classes[pk] = (grade, name, rule_set)
    bounds = _bounds(year, semesters)
    enrolment_qs = Enrolment.objects.filter(school_year=year, school_class_id__in=list(classes)).filter(
        Q(enrolled_on__isnull=True) | Q(enrolled_on__lte=bounds[2][1]),
        Q(left_on__isnull=True) | Q(left_on__gte=bounds[1][0]),
    )
    if enrolment_ids is not None:
        enrolment_qs = enrolment_qs.filter(pk__in=list(enrolment_ids))
    enrolments, left = [], {}
    for pk, school_id, class_id, name, enrolled_on, left_on in enrolment_qs.order_by(
        "school_class_id", "student__sort_key", "pk"
    ).values_list("pk", "school_id", "school_class_id", "student__full_name", "enrolled_on", "left_on"):
        periods = _periods_present(bounds, enrolled_on, left_on)
        if periods:
            enrolments.append((pk, school_id, class_id, name, periods))
            left[pk] = left_on

    plan: dict = defaultdict(list)
    grades = {grade for grade, _, _ in classes.values()}
    for grade, sid, code, name, assessment in (
        SubjectPlan.objects.filter(school_year=year, grade__in=grades)
        .order_by("grade", "subject__name", "subject_id")
        .values_list("grade", "subject_id", "subject__code", "subject__name", "subject__assessment")
    ):
        plan[grade].append(_Subject(sid, code, name, assessment))

    sheets = {
        (c, s, n): status
        for c, s, n, status in ScoreSheet.objects.filter(school_class_id__in=list(classes)).values_list(
            "school_class_id", "subject_id", "semester__number", "status"
        )
    }
    subject_rows = SubjectResult.objects.filter(**by_enrolment)
    semester_rows = {
        (row[0], row[1], row[2]): row[3:]
        for row in subject_rows.filter(period__in=[Period.SEMESTER_1, Period.SEMESTER_2]).values_list(
            "enrolment_id", "subject_id", "period", *SUBJECT_FIELDS
        )
    }
    year_rows = {
        (row[0], row[1]): row[2:]
        for row in subject_rows.filter(period=Period.YEAR).values_list(
            "enrolment_id", "subject_id", "id", *SUBJECT_FIELDS, "retest_average", "retest_passed", "status"
        )
    }
    exemptions: dict = defaultdict(list)
    for e, s, kind, semester in Exemption.objects.filter(**by_enrolment).values_list(
        "enrolment_id", "subject_id", "kind", "semester"
    ):
        exemptions[(e, s)].append((kind, semester))
    homeroom = {
        (e, n): (conduct, qualities or {}, competencies or {})
        for e, n, conduct, qualities, competencies in HomeroomAssessment.objects.filter(**by_enrolment).values_list(
            "enrolment_id", "semester__number", "conduct", "qualities", "competencies"
        )
    }
    absences = _absences(year, semesters, by_enrolment)
    terms = {
        (row[1], row[2]): dict(zip(TERM_COLUMNS + TERM_FIELDS, row, strict=True))
        for row in TermResult.objects.filter(**by_enrolment).values_list(*TERM_COLUMNS, *TERM_FIELDS)
    }
    return _Context(year, semesters, classes, enrolments, dict(plan), sheets, semester_rows, year_rows, exemptions,
                    homeroom, absences, terms, bounds, left)  # fmt: skip


def _bounds(year: SchoolYear, semesters: dict) -> dict:
    """Semester number → (first day, last day); the year's dates for a semester not set up."""
    return {
        n: (semesters[n].starts_on, semesters[n].ends_on) if n in semesters else (year.starts_on, year.ends_on)
        for n in (1, 2)
    }


def _periods_present(bounds: dict, enrolled_on, left_on) -> frozenset:
    """The periods whose population an enrolment belongs to — the one population per period that both the
    computation and the approval use.

    A semester's population: the enrolments present during it, i.e. enrolled before it ends and not left
    before it starts (no dates: the whole year). A learner who left after semester I keeps their semester I
    result at this school; one who joined after semester I ended (a transfer-in) has no semester I here —
    the school they came from keeps that record. The year's population: the learners still here at the end
    of semester II (the year result belongs to the school where the year ends; a learner who left earlier
    gets none here)."""
    periods = set()
    for number, (starts_on, ends_on) in bounds.items():
        if (enrolled_on is None or enrolled_on <= ends_on) and (left_on is None or left_on >= starts_on):
            periods.add(SEMESTER_PERIODS[number])
    if Period.SEMESTER_2 in periods and (left_on is None or left_on > bounds[2][1]):
        periods.add(Period.YEAR)
    return frozenset(periods)


def _left_during(bounds: dict, period: str, left_on) -> bool:
    """Whether a learner of ``period``'s population left before the period ended (a semester only: the year's
    population is still here at its end)."""
    number = {Period.SEMESTER_1: 1, Period.SEMESTER_2: 2}.get(period)
    return number is not None and left_on is not None and left_on <= bounds[number][1]


def _absences(year, semesters, by_enrolment) -> dict:
    """Sessions absent per learner: semester I, semester II and the year, each total and excused (one query).
    (``students.services.homeroom.absence_totals`` gives the year's only; the semesters need the split.)"""
    first = semesters.get(1)
    split = first.ends_on if first else year.ends_on
    excused = Q(excused=True)
    rows = (
        Absence.objects.filter(**by_enrolment, day__gte=year.starts_on, day__lte=year.ends_on)
        .values("enrolment_id")
        .annotate(
            t1=Sum("sessions", filter=Q(day__lte=split)),
            e1=Sum("sessions", filter=Q(day__lte=split) & excused),
            t2=Sum("sessions", filter=Q(day__gt=split)),
            e2=Sum("sessions", filter=Q(day__gt=split) & excused),
            t=Sum("sessions"),
            e=Sum("sessions", filter=excused),
        )
        .order_by()
    )
    return {r["enrolment_id"]: tuple(r[k] or 0 for k in ("t1", "e1", "t2", "e2", "t", "e")) for r in rows}


# --- deriving one learner's results ---------------------------------------------------------------------


def _taught(ctx: _Context, class_id: int, subject_id: int, number: int) -> bool:
    """Whether a subject of the plan counts in a semester for a class. It always counts in semester II; in
    semester I unless the class has a semester-II sheet of it and no semester-I sheet (a subject taught in
    semester II only: its year result is the semester II one, rules.year_average)."""
    if number == 2:
        return True
    return (class_id, subject_id, 1) in ctx.sheets or (class_id, subject_id, 2) not in ctx.sheets


def _exemption(ctx: _Context, enrolment_id: int, subject_id: int, number: int | None) -> str | None:
    """The exemption kind applying to a semester (``number``) or to the year (None: the whole year, or
    semester II, on which the year result rests), else None.

    Exclusion is decided here, from the ``Exemption`` rows as they are now (``Exemption.applies_to``), never
    from the ``excluded`` flag the grade book stored on a semester row: that copy goes stale when an exemption
    is removed or moved to another subject or semester without the sheet being saved again."""
    found = None
    for kind, semester in ctx.exemptions.get((enrolment_id, subject_id), ()):
        applies = semester in (None, 2) if number is None else semester in (None, number)
        if applies and found != ExemptionKind.INDIVIDUAL_PLAN:
            found = kind  # an individual plan wins over a plain exemption
    return found


@dataclass
class _Learner:
    """What compute derives for one learner: TermResult fields per period, year SubjectResult fields per
    subject, and what the hand-entry services need to know."""

    enrolment_id: int
    school_id: int
    name: str
    rule_set: str
    terms: dict = field(default_factory=dict)  # period → {field: value}
    year_subjects: dict = field(default_factory=dict)  # subject id → {field: value}
    retest_subjects: list = field(default_factory=list)  # [_Subject] that may be re-tested
    stage: str = ""  # outcome before re-tests / summer conduct ("" when not computable)
    iep_periods: set = field(default_factory=set)
    periods: frozenset = frozenset()  # the populations the learner belongs to (``_periods_present``)


def _semester_learning(ctx, learner, class_id, grade, subjects, number):
    """Scored averages and comment results of one semester, the missing items and the IEP flag."""
    period = SEMESTER_PERIODS[number]
    label = PERIOD_LABELS[period]
    scored, comments, missing, iep = {}, {}, [], False
    for subject in subjects:
        if not _taught(ctx, class_id, subject.id, number):
            continue
        kind = _exemption(ctx, learner.enrolment_id, subject.id, number)
        row = ctx.semester_rows.get((learner.enrolment_id, subject.id, period))
        if kind == ExemptionKind.INDIVIDUAL_PLAN:
            iep = True
            continue
        if kind:
            continue
        if subject.assessment == "scored":
            value = row[AVERAGE] if row else None
            if value is None:
                missing.append(f"Thiếu điểm môn {subject.name} {label}")
            else:
                scored[subject.code] = value
        else:
            value = row[PASSED] if row else None
            if value is None:
                missing.append(f"Thiếu đánh giá môn {subject.name} {label}")
            else:
                comments[subject.code] = value
    return scored, comments, missing, iep


def _classify(rule_set, scored, comments) -> tuple[str, str, str]:
    """(learning, before adjustment, adjusting subject) for the secondary rule sets."""
    if rule_set == rules.RuleSet.TT22:
        final, before, trigger = rules.learning_level_explained(scored, comments)
        return str(final), str(before), trigger or ""
    core = tuple(c for c in ("toan", "ngu-van") if c in scored)
    return str(rules.legacy_learning(scored, comments, core=core)), "", ""


def _conduct(rule_set, ctx, enrolment_id, number) -> str:
    value = (ctx.homeroom.get((enrolment_id, number)) or ("", {}, {}))[0]
    valid = LEVELS if rule_set == rules.RuleSet.TT22 else LEGACY_CONDUCTS
    return value if value in valid else ""


def _conduct_missing(rule_set, number) -> str:
    what = "kết quả rèn luyện" if rule_set == rules.RuleSet.TT22 else "xếp loại hạnh kiểm"
    return f"Chưa có {what} {PERIOD_LABELS[SEMESTER_PERIODS[number]]}"


def _empty_term(rule_set) -> dict:
    return {
        "rule_set": str(rule_set),
        "learning": "",
        "learning_before_adjustment": "",
        "adjusted_by_subject": "",
        "conduct": "",
        "learning_after_retest": "",
        "absences": 0,
        "absences_excused": 0,
        "outcome": "",
        "title": "",
        "missing": [],
    }


def _manual(ctx, enrolment_id, period) -> str:
    return (ctx.terms.get((enrolment_id, period)) or {}).get("manual_learning") or ""


def _derive_secondary(ctx: _Context, learner: _Learner, class_id: int, grade: int, subjects) -> None:
    """The semesters of the learner's populations, then the year when the learner is still here at its end.

    A learner who joined after semester I ended (a transfer-in) has no semester I at this school — the school
    they came from keeps its own semester I record. Their year result rests on semester II alone, as for a
    subject taught only in semester II (``_taught``, ``rules.year_average``): each subject's year result is
    its semester II one, and the year's conduct is semester II's."""
    rule_set = learner.rule_set
    e = learner.enrolment_id
    absences = ctx.absences.get(e, (0, 0, 0, 0, 0, 0))
    numbers = [n for n in (1, 2) if SEMESTER_PERIODS[n] in learner.periods]
    conducts = {}
    # semesters
    for number in numbers:
        period = SEMESTER_PERIODS[number]
        term = _empty_term(rule_set)
        scored, comments, missing, iep = _semester_learning(ctx, learner, class_id, grade, subjects, number)
        if not missing and (scored or comments) and (scored or rule_set == rules.RuleSet.TT22):
            term["learning"], term["learning_before_adjustment"], term["adjusted_by_subject"] = _classify(
                rule_set, scored, comments
            )
        elif not missing and not iep:
            missing.append(f"Chưa có môn học nào được đánh giá {PERIOD_LABELS[period]}")
        if iep:
            learner.iep_periods.add(period)
            if not _manual(ctx, e, period):
                missing.append(IEP_MISSING)
        conducts[number] = _conduct(rule_set, ctx, e, number)
        if not conducts[number]:
            missing.append(_conduct_missing(rule_set, number))
        term["conduct"] = conducts[number]
        term["absences"], term["absences_excused"] = absences[(number - 1) * 2], absences[(number - 1) * 2 + 1]
        term["missing"] = missing
        learner.terms[period] = term
    if Period.YEAR not in learner.periods:
        return
    with_sem1 = 1 in numbers

    # the year: subject by subject, then the overall result
    term = _empty_term(rule_set)
    scored, comments, missing, iep = {}, {}, [], False
    by_code = {}
    for subject in subjects:
        by_code[subject.code] = subject
        year_kind = _exemption(ctx, e, subject.id, None)
        row1 = ctx.semester_rows.get((e, subject.id, Period.SEMESTER_1))
        row2 = ctx.semester_rows.get((e, subject.id, Period.SEMESTER_2))
        values = {"average": None, "passed": None, "level": "", "test_score": None, "excluded": bool(year_kind)}
        learner.year_subjects[subject.id] = values
        if year_kind == ExemptionKind.INDIVIDUAL_PLAN:
            iep = True
            continue
        if year_kind:
            continue
        if subject.assessment == "scored":
            sem2 = row2[AVERAGE] if row2 else None
            in_sem1 = with_sem1 and _taught(ctx, class_id, subject.id, 1) and not _exemption(ctx, e, subject.id, 1)
            sem1 = row1[AVERAGE] if (row1 and in_sem1) else None
            if in_sem1 and sem1 is None:
                missing.append(f"Thiếu điểm môn {subject.name} HK I")
            if sem2 is None:
                missing.append(f"Thiếu điểm môn {subject.name} HK II")
            if sem2 is not None and (sem1 is not None or not in_sem1):
                values["average"] = _year_average(sem1, sem2)
                scored[subject.code] = values["average"]
        else:
            passed = rules.year_comment_result(None, row2[PASSED] if row2 else None)
            values["passed"] = passed
            if passed is None:
                missing.append(f"Thiếu đánh giá môn {subject.name} HK II")
            else:
                comments[subject.code] = passed
    if not missing and (scored or comments) and (scored or rule_set == rules.RuleSet.TT22):
        term["learning"], term["learning_before_adjustment"], term["adjusted_by_subject"] = _classify(
            rule_set, scored, comments
        )
    elif not missing and not iep:
        missing.append("Chưa có môn học nào được đánh giá cả năm")
    manual = _manual(ctx, e, Period.YEAR)
    if iep:
        learner.iep_periods.add(Period.YEAR)
        if not manual:
            missing.append(IEP_MISSING)
    for number in numbers:
        if not conducts[number]:
            missing.append(_conduct_missing(rule_set, number))
    term["absences"], term["absences_excused"] = absences[4], absences[5]
    term["missing"] = missing
    learner.terms[Period.YEAR] = term
    if rule_set != rules.RuleSet.TT22:
        # TT58/2011 (legacy records): hạnh kiểm of the year follows semester II (Art. 5 "chủ yếu căn cứ vào
        # xếp loại hạnh kiểm học kỳ II"); promotion and titles of those years are not computed.
        term["conduct"] = conducts[2]
        return
    if not with_sem1:
        term["conduct"] = conducts[2]  # semester II alone (a transfer-in after semester I)
    elif conducts[1] and conducts[2]:
        term["conduct"] = str(rules.year_conduct(conducts[1], conducts[2]))
    learning = (manual if iep else "") or term["learning"]
    if missing or not learning or not term["conduct"]:
        return
    _outcome(ctx, learner, term, grade, learning, scored, comments, by_code)


def _outcome(ctx, learner, term, grade, learning, scored, comments, by_code) -> None:
    """Promotion (TT22/2021 Art. 12–14) with the summer: conduct training first, then re-tests."""
    e = learner.enrolment_id
    final_grade = grade in rules.FINAL_GRADES
    conduct = rules.Level(term["conduct"])
    absences = term["absences"]
    outcome = rules.promotion(conduct, learning, absences, final_grade=final_grade)
    after_summer = (ctx.terms.get((e, Period.YEAR)) or {}).get("conduct_after_summer") or ""
    if outcome == rules.Outcome.SUMMER_TRAINING and after_summer in LEVELS:
        conduct = rules.Level(after_summer)
        outcome = rules.promotion(
            conduct, learning, absences, final_grade=final_grade, after_summer=conduct == rules.Level.FAIL
        )
    learner.stage = outcome
    if outcome == rules.Outcome.RETEST and learning == term["learning"]:
        eligible = rules.retest_subjects(scored, comments)
        learner.retest_subjects = [by_code[code] for code in eligible]
        retest_scored, retest_comments = {}, {}
        for code in eligible:
            row = ctx.year_rows.get((e, by_code[code].id))
            if row is None:
                continue
            if code in scored and row[Y_RETEST_AVERAGE] is not None:
                retest_scored[code] = row[Y_RETEST_AVERAGE]
            elif code in comments and row[Y_RETEST_PASSED] is not None:
                retest_comments[code] = row[Y_RETEST_PASSED]
        if retest_scored or retest_comments:
            after = rules.learning_level(*rules.apply_retests(scored, comments, retest_scored, retest_comments))
            done = len(retest_scored) + len(retest_comments) == len(eligible)
            if after != rules.Level.FAIL or done:
                # re-assessed: promoted, or (every failed subject re-tested and still Chưa đạt) repeats; the
                # year's learning result stays, the re-assessed one is kept beside it
                term["learning_after_retest"] = str(after)
                outcome = rules.promotion(conduct, after, absences, final_grade=final_grade, after_summer=True)
    term["outcome"] = str(outcome)
    if outcome in (rules.Outcome.PROMOTED, rules.Outcome.COMPLETED) and learner.stage == outcome:
        found = rules.title(rules.Level(term["conduct"]), learning, scored)
        term["title"] = str(found) if found else ""


def _derive_primary(ctx: _Context, learner: _Learner, class_id: int, grade: int, subjects) -> None:
    """TT27/2020 Art. 13–14 (TT30/2014 as amended by TT22/2016): the year result from the end-of-year levels
    (semester II), the qualities and competencies of semester II and the end-of-year tests."""
    e = learner.enrolment_id
    if Period.YEAR not in learner.periods:
        return
    term = _empty_term(learner.rule_set)
    levels, tests, missing, iep = {}, {}, [], False
    for subject in subjects:
        kind = _exemption(ctx, e, subject.id, None)
        row = ctx.semester_rows.get((e, subject.id, Period.SEMESTER_2))
        values = {"average": None, "passed": None, "level": "", "test_score": None, "excluded": bool(kind)}
        learner.year_subjects[subject.id] = values
        if kind == ExemptionKind.INDIVIDUAL_PLAN:
            iep = True
            continue
        if kind:
            continue
        level = (row[LEVEL] if row else "") or ""
        values["level"] = level
        values["test_score"] = row[TEST] if row else None
        if level not in PRIMARY_LEVELS:
            missing.append(f"Thiếu mức đánh giá cuối năm môn {subject.name}")
        else:
            levels[subject.code] = level
        if subject.code in rules.PRIMARY_TESTED_SUBJECTS:
            if values["test_score"] is None:
                missing.append(f"Thiếu điểm kiểm tra cuối năm môn {subject.name}")
            else:
                tests[subject.code] = values["test_score"]
    _, qualities, competencies = ctx.homeroom.get((e, 2)) or ("", {}, {})
    assessed = {**qualities, **competencies}
    wanted = rules.qualities_for(learner.rule_set)
    marks = {key: assessed.get(key) for key, _ in wanted}
    if any(value not in QUALITY_LEVELS for value in marks.values()):
        missing.append("Chưa đánh giá đủ phẩm chất, năng lực cuối năm")
    if not levels and not missing and not iep:
        missing.append("Chưa có môn học nào được đánh giá cả năm")
    manual = _manual(ctx, e, Period.YEAR)
    if iep:
        learner.iep_periods.add(Period.YEAR)
        if not manual:
            missing.append(IEP_MISSING)
    absences = ctx.absences.get(e, (0, 0, 0, 0, 0, 0))
    term["absences"], term["absences_excused"] = absences[4], absences[5]
    term["missing"] = missing
    learner.terms[Period.YEAR] = term
    if missing:
        return
    if levels:
        term["learning"] = str(rules.primary_year_result(levels, marks, tests))
    result = (manual if iep else "") or term["learning"]
    if not result:
        return
    if rules.primary_completes_grade(result):
        term["outcome"] = str(rules.Outcome.COMPLETED if grade in rules.FINAL_GRADES else rules.Outcome.PROMOTED)
    # Chưa hoàn thành: the school helps and re-assesses, then the principal decides (TT27/2020 Art. 14.3) — no
    # outcome is computed.
    found = rules.primary_title(result)
    term["title"] = str(found) if found else ""


def _derive(ctx: _Context) -> list[_Learner]:
    learners = []
    for e, school_id, class_id, name, periods in ctx.enrolments:
        grade, _, rule_set = ctx.classes[class_id]
        learner = _Learner(e, school_id, name, str(rule_set), periods=periods)
        subjects = ctx.plan.get(grade, [])
        if rules.is_primary(rule_set):
            _derive_primary(ctx, learner, class_id, grade, subjects)
        else:
            _derive_secondary(ctx, learner, class_id, grade, subjects)
        learners.append(learner)
    return learners


# --- writing -------------------------------------------------------------------------------------------


@dataclass
class Summary:
    """What one computation did, for the page's message and the API's reply."""

    classes: int = 0
    learners: int = 0
    written: int = 0  # TermResult and year SubjectResult rows created or changed
    unchanged: int = 0
    incomplete: int = 0  # learners whose year result is blocked by something missing
    approved_kept: int = 0  # approved rows left alone
    approved_stale: list[str] = field(default_factory=list)  # "Nguyễn Văn An (cả năm)": would change
    missing: dict[int, list[str]] = field(default_factory=dict)  # enrolment id → missing of the year

    @property
    def message(self) -> str:
        text = f"Đã tính kết quả của {self.learners} học sinh ({self.classes} lớp); {self.written} dòng được cập nhật."
        if self.incomplete:
            text += f" {self.incomplete} học sinh còn thiếu dữ liệu nên chưa có kết quả cả năm."
        if self.approved_stale:
            names = ", ".join(self.approved_stale[:10]) + (" …" if len(self.approved_stale) > 10 else "")
            text += f" {APPROVED_KEPT}: {names}."
        elif self.approved_kept:
            text += f" {self.approved_kept} kết quả đã duyệt được giữ nguyên."
        return text

    def as_dict(self) -> dict:
        return {
            "classes": self.classes,
            "learners": self.learners,
            "written": self.written,
            "unchanged": self.unchanged,
            "incomplete": self.incomplete,
            "approved_kept": self.approved_kept,
            "approved_stale": self.approved_stale,
            "message": self.message,
        }


def _same(stored: dict | None, values: dict, names) -> bool:
    return stored is not None and all(stored.get(n) == values[n] for n in names)


def _write(ctx: _Context, learners: list[_Learner], summary: Summary, *, hand_actor=None) -> None:
    """Upsert the rows whose values changed. Approved rows are left alone and reported — unless
    ``hand_actor`` is given (a hand entry's consequence for one learner), then every changed row is saved
    one by one, with history attributed to that actor."""
    now = timezone.now()
    terms_by_period: dict = defaultdict(list)
    subjects: list = []
    hand_terms, hand_subjects = [], []
    for learner in learners:
        summary.learners += 1
        year = learner.terms.get(Period.YEAR)
        if year is not None and year["missing"]:
            summary.incomplete += 1
            summary.missing[learner.enrolment_id] = year["missing"]
        for period, values in learner.terms.items():
            stored = ctx.terms.get((learner.enrolment_id, period))
            if _same(stored, values, TERM_FIELDS):
                summary.unchanged += 1
                continue
            if stored and stored["status"] == ResultStatus.APPROVED and hand_actor is None:
                summary.approved_kept += 1
                summary.approved_stale.append(f"{learner.name} ({PERIOD_LABELS[period]})")
                continue
            summary.written += 1
            if hand_actor is not None:
                hand_terms.append((learner, period, stored, values))
                continue
            terms_by_period[period].append(
                {"school_id": learner.school_id, "enrolment_id": learner.enrolment_id, "period": period, **values}
            )
        for subject_id, values in learner.year_subjects.items():
            stored = ctx.year_rows.get((learner.enrolment_id, subject_id))
            if stored is not None and stored[1:6] == tuple(values[n] for n in SUBJECT_FIELDS):
                summary.unchanged += 1
                continue
            if stored and stored[Y_STATUS] == ResultStatus.APPROVED and hand_actor is None:
                summary.approved_kept += 1
                continue
            summary.written += 1
            if hand_actor is not None:
                hand_subjects.append((learner, subject_id, stored, values))
                continue
            subjects.append(
                {
                    "school_id": learner.school_id,
                    "enrolment_id": learner.enrolment_id,
                    "subject_id": subject_id,
                    "period": Period.YEAR,
                    **values,
                }
            )
    # One upsert per period keeps the statement count independent of the class size, SQLite's
    # parameter limit included (a class stays below one batch).
    for period in (Period.SEMESTER_1, Period.SEMESTER_2, Period.YEAR):
        rows = terms_by_period.get(period)
        if rows:
            _upsert(
                TermResult,
                rows,
                unique=["enrolment", "period"],
                update=[*TERM_FIELDS, "computed_at"],
                insert_only={"manual_learning": "", "manual_reason": "", "conduct_after_summer": "",
                             "status": ResultStatus.COMPUTED, "computed_at": now, "approved_values": {}},
            )  # fmt: skip
    if subjects:
        _upsert(
            SubjectResult,
            subjects,
            unique=["enrolment", "subject", "period"],
            update=list(SUBJECT_FIELDS),
            insert_only={"status": ResultStatus.COMPUTED, "approved_values": {}},
        )
    if hand_terms or hand_subjects:
        _write_by_hand(hand_actor, hand_terms, hand_subjects)


def _upsert(model, rows: list[dict], *, unique: list[str], update: list[str], insert_only: dict) -> None:
    """Insert ``rows`` (dicts of column values, all with the same keys) or, on a conflict on ``unique``, update
    the ``update`` fields; ``insert_only`` gives the other columns of a new row (the same for every row).

    On PostgreSQL this is one ``INSERT … SELECT FROM unnest(arrays) ON CONFLICT DO UPDATE`` statement: one
    array parameter per column, so thousands of rows cost one round trip and no model instances (a whole
    school's year is ~20,000 rows). Elsewhere (SQLite) Django's ``bulk_create(update_conflicts=True)``."""
    if connection.vendor != "postgresql":
        objs = [model(**row, **insert_only) for row in rows]
        model.objects.bulk_create(
            objs, batch_size=BATCH, update_conflicts=True, unique_fields=unique, update_fields=update
        )
        return
    meta, quote = model._meta, connection.ops.quote_name
    names = list(rows[0])
    fields = [meta.get_field(name) for name in names]  # get_field knows "school_id" as well as "school"
    arrays, selects, types = [], [], []
    for index, (name, model_field) in enumerate(zip(names, fields, strict=True)):
        is_json = model_field.get_internal_type() == "JSONField"
        types.append("text[]" if is_json else f"{model_field.db_type(connection)}[]")
        selects.append(f"t.c{index}::jsonb" if is_json else f"t.c{index}")
        values = [row[name] for row in rows]
        arrays.append([json.dumps(v, ensure_ascii=False) for v in values] if is_json else values)
    # each constant prepared by its field (a JSON value becomes a typed jsonb parameter)
    constants = [
        (meta.get_field(name), meta.get_field(name).get_db_prep_save(value, connection))
        for name, value in insert_only.items()
    ]
    columns = [quote(f.column) for f in fields] + [quote(f.column) for f, _ in constants]
    selects += ["%s"] * len(constants)
    unnest = ", ".join(f"%s::{t}" for t in types)
    aliases = ", ".join(f"c{i}" for i in range(len(names)))
    conflict = ", ".join(quote(meta.get_field(name).column) for name in unique)
    updated = [quote(meta.get_field(name).column) for name in update]
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in updated)
    # Identifiers come from the model's metadata (quoted); every value is a parameter.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(selects)} FROM unnest({unnest}) AS t({aliases}) "
        f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        # parameters in the order of the statement: the constants of the SELECT list, then the arrays
        cursor.execute(sql, [*(value for _, value in constants), *arrays])


@lru_cache(maxsize=20000)
def _year_average(sem1, sem2):
    """``rules.year_average``, remembered: both inputs have one decimal, so a school repeats the same pairs."""
    return rules.year_average(sem1, sem2)


def _write_by_hand(actor, terms, subjects) -> None:
    with acting_as(actor):
        existing = TermResult.objects.in_bulk([stored["id"] for _, _, stored, _ in terms if stored])
        for learner, period, stored, values in terms:
            obj = existing[stored["id"]] if stored else TermResult(
                school_id=learner.school_id, enrolment_id=learner.enrolment_id, period=period
            )  # fmt: skip
            for name, value in values.items():
                setattr(obj, name, value)
            obj.save()
        existing = SubjectResult.objects.in_bulk([stored[Y_ID] for _, _, stored, _ in subjects if stored])
        for learner, subject_id, stored, values in subjects:
            obj = existing[stored[Y_ID]] if stored else SubjectResult(
                school_id=learner.school_id, enrolment_id=learner.enrolment_id, subject_id=subject_id,
                period=Period.YEAR,
            )  # fmt: skip
            for name, value in values.items():
                setattr(obj, name, value)
            obj.save()


# --- the use-cases -------------------------------------------------------------------------------------


def compute_results(actor, school_year: SchoolYear, *, school_class: SchoolClass | None = None) -> Summary:
    """Compute the semester and year results of one class, or of every class of ``school_year`` (the whole
    school "in one action"), and write the rows that changed.

    Per learner: TermResult ``hk1``/``hk2`` (learning with the Art. 9.3 adjustment explained, conduct,
    absences) and ``cn`` (year subject results, learning, conduct, absences, promotion with the summer stages,
    title); primary classes get the ``cn`` result of TT27/2020. Whatever blocks a result is listed in
    ``missing`` (Vietnamese) and the level is left blank: an incomplete learner gets no level, not a wrong one.
    Approved rows are never overwritten: they are counted and named in the summary (``APPROVED_KEPT``).
    Computed values are written without history rows (derived from historied inputs)."""
    if school_class is not None and school_class.school_year_id != school_year.pk:
        raise ResultsError("Lớp không thuộc năm học đã chọn.")
    if not may_compute(actor, school_year, school_class) or not can(actor, "view", school_class or school_year):
        raise PermissionDenied(
            "Chỉ hiệu trưởng, quản trị nhà trường hoặc giáo viên chủ nhiệm của lớp được tính kết quả."
        )
    _refuse_if_closed(school_year, "tính kết quả")
    with transaction.atomic():
        return _compute(school_year, class_ids=[school_class.pk] if school_class else None)


def _compute(year, *, class_ids=None, enrolment_ids=None, hand_actor=None) -> Summary:
    ctx = _load(year, class_ids=class_ids, enrolment_ids=enrolment_ids)
    summary = Summary(classes=len(ctx.classes) if enrolment_ids is None else 0)
    _write(ctx, _derive(ctx), summary, hand_actor=hand_actor)
    return summary


def learner_state(enrolment: Enrolment) -> _Learner | None:
    """One learner's derived year (re-test subjects, summer stage, IEP periods), for the forms of the
    learner's results page. None when the class has no results to compute (preschool)."""
    ctx = _load(enrolment.school_year, class_ids=[enrolment.school_class_id], enrolment_ids=[enrolment.pk])
    learners = _derive(ctx)
    return learners[0] if learners else None


def _refuse_if_closed(year: SchoolYear, doing: str) -> None:
    refuse_if_closed(year, doing, error=ResultsError)


def _refuse_if_closed_unless_pending(year: SchoolYear, outcome: str | None, doing: str) -> None:
    """A closed year is read-only, except the summer of the learners it left waiting: the school closes the
    year (opening the next one) before the re-tests and the summer training are done, then places those
    learners (``newyear``: their year outcome RETEST / SUMMER_TRAINING is "pending", they are not enrolled).
    Their re-test or summer conduct is still recorded — and may change the outcome — while the stored year
    outcome is still one of ``PENDING_OUTCOMES``."""
    if year.is_closed and outcome not in PENDING_OUTCOMES:
        raise ResultsError(
            closed_year_message(year, doing).rstrip(".")
            + ": chỉ còn ghi kết quả hè cho học sinh đang chờ kiểm tra lại hoặc rèn luyện trong hè."
        )


def _fresh_enrolment(actor, enrolment: Enrolment) -> Enrolment:
    if not can(actor, "view", enrolment):
        raise PermissionDenied("Không tìm thấy học sinh này.")
    return Enrolment.objects.select_related("school_year", "school_class", "student").get(pk=enrolment.pk)


def set_manual_learning(actor, term_result: TermResult, level: str, reason: str) -> TermResult:
    """The principal sets the learning result of a learner assessed on an individual education plan (the
    automatic classification leaves those subjects out), with a reason; history kept. ``level`` "" clears it.
    The computed result stays in ``learning``; ``final_learning`` is the principal's."""
    term_result = TermResult.objects.select_related("enrolment").get(pk=term_result.pk)
    enrolment = _fresh_enrolment(actor, term_result.enrolment)
    if not may_set_manual(actor, enrolment):
        raise PermissionDenied("Chỉ hiệu trưởng xác định kết quả của học sinh học theo kế hoạch giáo dục cá nhân.")
    _refuse_if_closed(enrolment.school_year, "sửa kết quả học tập")
    if term_result.status == ResultStatus.APPROVED:
        raise ResultsError("Kết quả đã được duyệt — cần mở khoá để sửa.")
    level, reason = (level or "").strip(), nfc(reason or "").strip()
    valid = dict(learning_choices(term_result.rule_set))
    if level and level not in valid:
        raise ResultsError({"level": f"Kết quả “{level}” không hợp lệ với {term_result.get_rule_set_display()}."})
    if level and not reason:
        raise ResultsError({"reason": "Hãy ghi lý do xác định kết quả."})
    state = learner_state(enrolment)
    if level and (state is None or term_result.period not in state.iep_periods):
        raise ResultsError("Chỉ xác định thủ công cho học sinh có môn học đánh giá theo kế hoạch giáo dục cá nhân.")
    with transaction.atomic(), acting_as(actor):
        term_result.manual_learning = level
        term_result.manual_reason = reason if level else ""
        term_result.save(update_fields=["manual_learning", "manual_reason", "computed_at"])
        _compute(enrolment.school_year, class_ids=[enrolment.school_class_id], enrolment_ids=[enrolment.pk])
    term_result.refresh_from_db()
    return term_result


def record_retest(actor, enrolment: Enrolment, subject, value: str) -> SubjectResult:
    """A summer re-test result (principal or school administrator; TT22/2021 Art. 12–14), only for a learner
    sent to re-tests and a subject of ``rules.retest_subjects``. The year value stays; the re-test is kept in
    ``retest_average`` / ``retest_passed`` and replaces it for the classification. The outcome is then
    re-assessed (with history, approved or not: it follows a hand entry)."""
    enrolment = _fresh_enrolment(actor, enrolment)
    if not may_record_retest(actor, enrolment):
        raise PermissionDenied("Chỉ hiệu trưởng hoặc quản trị nhà trường ghi điểm kiểm tra lại.")
    if enrolment.school_year.is_closed:  # one query more, in a closed year only
        outcome = (
            TermResult.objects.filter(enrolment=enrolment, period=Period.YEAR).values_list("outcome", flat=True).first()
        )
        _refuse_if_closed_unless_pending(enrolment.school_year, outcome, "ghi điểm kiểm tra lại")
    state = learner_state(enrolment)
    if state is None or state.stage != rules.Outcome.RETEST:
        raise ResultsError("Học sinh này không thuộc diện kiểm tra lại.")
    if subject.pk not in {s.id for s in state.retest_subjects}:
        names = ", ".join(s.name for s in state.retest_subjects)
        raise ResultsError({"subject": f"Môn {subject.name} không phải môn kiểm tra lại (các môn: {names})."})
    kind = rules.CellKind.SCORE if subject.assessment == "scored" else rules.CellKind.COMMENT
    try:
        parsed = rules.parse_cell(kind, value)
    except rules.CellError as exc:
        raise ResultsError({"value": f"Điểm kiểm tra lại môn {subject.name}: {exc.message}"}) from None
    if parsed is None:
        raise ResultsError({"value": f"Hãy nhập kết quả kiểm tra lại môn {subject.name}."})
    with transaction.atomic(), acting_as(actor):
        row = SubjectResult.objects.select_for_update().filter(enrolment=enrolment, subject=subject, period=Period.YEAR)
        row = row.first()
        if row is None:
            raise ResultsError("Chưa tính kết quả cả năm của học sinh này: hãy tính kết quả trước.")
        if kind == rules.CellKind.SCORE:
            row.retest_average = rules.cell_number(parsed)
        else:
            row.retest_passed = parsed == rules.PASSED
        row.save(update_fields=["retest_average", "retest_passed"])
        _compute(
            enrolment.school_year, class_ids=[enrolment.school_class_id], enrolment_ids=[enrolment.pk],
            hand_actor=actor,
        )  # fmt: skip
        _sync_portal(enrolment)
    row.refresh_from_db()
    return row


def record_summer_conduct(actor, enrolment: Enrolment, level: str) -> TermResult:
    """The conduct re-assessed after summer training (the homeroom teacher; TT22/2021 Art. 12–14), for a learner
    sent to summer training. The year conduct stays; ``conduct_after_summer`` replaces it for promotion."""
    enrolment = _fresh_enrolment(actor, enrolment)
    if not may_record_summer_conduct(actor, enrolment):
        raise PermissionDenied("Chỉ giáo viên chủ nhiệm của lớp ghi kết quả rèn luyện sau hè.")
    if level not in rules.Level.values:
        raise ResultsError({"level": "Kết quả rèn luyện phải là Tốt, Khá, Đạt hoặc Chưa đạt."})
    row = TermResult.objects.filter(enrolment=enrolment, period=Period.YEAR).first()
    if enrolment.school_year.is_closed:
        _refuse_if_closed_unless_pending(
            enrolment.school_year, row.outcome if row else None, "ghi kết quả rèn luyện sau hè"
        )
    stored_after = row.conduct_after_summer if row else ""
    state = learner_state(enrolment)
    if row is None or state is None or not row.conduct or rules.Level(row.conduct) != rules.Level.FAIL:
        raise ResultsError("Học sinh này không thuộc diện rèn luyện trong kỳ nghỉ hè.")
    if not stored_after and state.stage != rules.Outcome.SUMMER_TRAINING:
        raise ResultsError("Học sinh này không thuộc diện rèn luyện trong kỳ nghỉ hè.")
    with transaction.atomic(), acting_as(actor):
        row = TermResult.objects.select_for_update().get(pk=row.pk)
        row.conduct_after_summer = level
        row.save(update_fields=["conduct_after_summer", "computed_at"])
        _compute(
            enrolment.school_year, class_ids=[enrolment.school_class_id], enrolment_ids=[enrolment.pk],
            hand_actor=actor,
        )  # fmt: skip
        _sync_portal(enrolment)
    row.refresh_from_db()
    return row


def _sync_portal(enrolment: Enrolment) -> None:
    """A hand entry may change an approved (and published) result: the portal's store follows."""
    from . import portal

    portal.sync_enrolments([enrolment.pk])


def _semesters_of(period: str) -> tuple[int, ...]:
    return {Period.SEMESTER_1: (1,), Period.SEMESTER_2: (2,), Period.YEAR: (1, 2)}[Period(period)]


def approve_results(actor, school_class: SchoolClass, period: str) -> int:
    """The principal approves a class's results of a period: recomputed first, then TermResult rows and that
    period's SubjectResult rows → APPROVED and the semester's HomeroomAssessment rows approved (history kept).
    Refused while a sheet of the class for that semester is not approved, or a learner's result is incomplete.

    Only the period's population counts (``_periods_present``, the same one the computation uses): rows of a
    learner outside it — one who left before the period, one who joined after it — are neither required nor
    approved. A learner who left during a semester is not required either: their rows are approved when
    complete and otherwise left as they are. Returns the number of learners approved."""
    if period not in Period.values:
        raise ResultsError({"period": "Kỳ không hợp lệ."})
    if not can(actor, "view", school_class) or not may_approve(actor, school_class):
        raise PermissionDenied("Chỉ hiệu trưởng duyệt kết quả học tập và rèn luyện.")
    school_class = SchoolClass.objects.select_related("school_year").get(pk=school_class.pk)
    year = school_class.school_year
    _refuse_if_closed(year, "duyệt kết quả")
    numbers = _semesters_of(period)
    rule_set = rules.rule_set_for(year.start_year, school_class.grade)
    with transaction.atomic(), acting_as(actor):
        # The class's sheets are locked for the check and the approval, so an unlock granted
        # meanwhile waits and cannot leave approved results over a sheet back in draft.
        sheets = list(
            ScoreSheet.objects.select_for_update()
            .filter(school_class=school_class, semester__number__in=numbers)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        open_sheets = (
            ScoreSheet.objects.filter(pk__in=sheets)
            .exclude(status=SheetStatus.APPROVED)
            .order_by("subject__name", "semester__number")
            .values_list("subject__name", "semester__number")
        )
        if open_sheets:
            names = [f"{name} (HK {'I' if n == 1 else 'II'})" if len(numbers) > 1 else name for name, n in open_sheets]
            raise ResultsError(f"Còn bảng điểm chưa duyệt: {', '.join(names)}.")
        ctx = _load(year, class_ids=[school_class.pk])
        _write(ctx, _derive(ctx), Summary(classes=len(ctx.classes)))
        population = {e: periods for e, _, _, _, periods in ctx.enrolments}
        terms = [
            t
            for t in TermResult.objects.select_for_update()
            .filter(enrolment__school_class=school_class, period=period)
            .select_related("enrolment__student")
            if period in population.get(t.enrolment_id, ())
        ]
        has_terms = not rules.is_primary(rule_set) or period == Period.YEAR
        if has_terms and not terms:
            raise ResultsError("Chưa có kết quả để duyệt: hãy tính kết quả trước.")
        skipped = {
            t.enrolment_id for t in terms if t.missing and _left_during(ctx.bounds, period, ctx.left[t.enrolment_id])
        }
        terms = [t for t in terms if t.enrolment_id not in skipped]
        incomplete = [t for t in terms if t.missing]
        if incomplete:
            names = ", ".join(str(t.enrolment.student) for t in incomplete[:5]) + (" …" if len(incomplete) > 5 else "")
            raise ResultsError(f"Còn {len(incomplete)} học sinh chưa đủ dữ liệu để duyệt: {names}.")
        to_approve = [t for t in terms if t.status != ResultStatus.APPROVED]
        for term in to_approve:
            term.status = ResultStatus.APPROVED
        bulk_update_with_history(to_approve, TermResult, ["status"], actor=actor, batch_size=BATCH)
        approved = (
            {t.enrolment_id for t in terms}
            if has_terms
            else {e for e, periods in population.items() if period in periods}
        )
        subject_rows = list(
            SubjectResult.objects.filter(
                enrolment__school_class=school_class, period=period, enrolment_id__in=approved
            ).exclude(status=ResultStatus.APPROVED)
        )
        for row in subject_rows:
            row.status = ResultStatus.APPROVED
        bulk_update_with_history(subject_rows, SubjectResult, ["status"], actor=actor, batch_size=BATCH)
        in_semester = Q(pk__in=[])
        for n in numbers:
            ids = [e for e in approved if SEMESTER_PERIODS[n] in population[e]]
            in_semester |= Q(semester__number=n, enrolment_id__in=ids)
        homeroom = list(
            HomeroomAssessment.objects.filter(in_semester, enrolment__school_class=school_class, approved=False)
        )
        for row in homeroom:
            row.approved = True
        bulk_update_with_history(homeroom, HomeroomAssessment, ["approved"], actor=actor, batch_size=BATCH)
        # the record book: re-approved values that differ from those approved before are corrections
        on_results_approved(actor, school_class, period, approved)
        # the portal's store follows what is approved (only what a publication covers is written)
        from . import portal

        portal.sync_classes([school_class.pk], [period])
    return len(terms) if has_terms else len({row.enrolment_id for row in subject_rows})


def retest_subjects_for(enrolment: Enrolment) -> list:
    """The subjects the learner may re-test (empty unless sent to re-tests)."""
    state = learner_state(enrolment)
    return list(state.retest_subjects) if state and state.stage == rules.Outcome.RETEST else []


# --- reading results for the pages (through the door) ------------------------------------------------


def cell_text(row: SubjectResult | None, assessment: str, *, primary: bool, excluded: bool | None = None) -> str:
    """A subject result as the mark book shows it: 8,5 / Đ / CĐ / T (9) / Miễn; a re-test after an arrow.
    ``excluded`` (from the exemptions in force, ``exempted``) overrides the row's stored flag."""
    if row is None:
        return ""
    if row.excluded if excluded is None else excluded:
        return "Miễn"
    if primary:
        text = row.level or ""
        return f"{text} ({row.test_score})" if text and row.test_score is not None else text
    if assessment == "scored":
        text = vn_decimal(row.average)
        if row.retest_average is not None:
            text += f" → KTL {vn_decimal(row.retest_average)}"
        return text
    text = "" if row.passed is None else ("Đ" if row.passed else "CĐ")
    if row.retest_passed is not None:
        text += f" → KTL {'Đ' if row.retest_passed else 'CĐ'}"
    return text


def exempted(enrolment_ids) -> set:
    """(enrolment id, subject id, period) of the semester results left out by the exemptions in force now
    (``Exemption.applies_to``): one query. The flag stored on a semester row may be stale."""
    found = set()
    for e, s, semester in Exemption.objects.filter(enrolment_id__in=list(enrolment_ids)).values_list(
        "enrolment_id", "subject_id", "semester"
    ):
        for number, period in SEMESTER_PERIODS.items():
            if semester is None or semester == number:
                found.add((e, s, period))
    return found


def term_texts(term: TermResult | None, subject_names: dict | None = None) -> dict:
    """A TermResult's cells in Vietnamese: learning (with the Art. 9.3 note or the principal's decision, and
    the level re-assessed after the summer re-tests), conduct (and after summer), absences, outcome, title,
    what is missing, status."""
    if term is None:
        return {"learning": "", "note": "", "after_retest": "", "conduct": "", "absences": "", "outcome": "",
                "title": "", "missing": [], "status": "Chưa tính", "approved": False}  # fmt: skip
    learning = learning_label(term.rule_set, term.final_learning)
    note = ""
    if term.manual_learning:
        note = f"Hiệu trưởng xác định ({term.manual_reason})"
    elif term.adjusted_by_subject:
        subject = (subject_names or {}).get(term.adjusted_by_subject, term.adjusted_by_subject)
        before = learning_label(term.rule_set, term.learning_before_adjustment)
        note = f"Điều chỉnh theo Điều 9.3 (môn {subject}): từ {before}"
    after_retest = ""
    if term.learning_after_retest:
        after_retest = f"Sau kiểm tra lại: {learning_label(term.rule_set, term.learning_after_retest)}"
    conduct = conduct_label(term.rule_set, term.conduct)
    if term.conduct_after_summer:
        conduct += f" → sau hè: {conduct_label(term.rule_set, term.conduct_after_summer)}"
    return {
        "learning": learning,
        "note": note,
        "after_retest": after_retest,
        "conduct": conduct,
        "absences": f"{term.absences} ({term.absences_excused} có phép)" if term.absences else "0",
        "outcome": term.get_outcome_display() if term.outcome else "",
        "title": term.get_title_display() if term.title else "",
        "missing": list(term.missing or []),
        "status": term.get_status_display(),
        "approved": term.status == ResultStatus.APPROVED,
    }


def class_table(actor, school_class: SchoolClass, period: str) -> dict:
    """The class's results of a period as the class page and its export show them: one row per learner the
    door shows, subject cells, then the overall result. Every row comes through ``visible_to``."""
    year = school_class.school_year
    rule_set = rules.rule_set_for(year.start_year, school_class.grade)
    primary = rules.is_primary(rule_set)
    plans = (
        visible_to(actor, SubjectPlan)
        .filter(school_year=year, grade=school_class.grade)
        .select_related("subject")
        .order_by("subject__name", "subject_id")
    )
    subjects = [(p.subject_id, p.subject.name, p.subject.assessment, p.subject.code) for p in plans]
    names = {code: name for _, name, _, code in subjects}
    enrolments = list(
        visible_to(actor, Enrolment)
        .filter(school_class=school_class)
        .select_related("student")
        .order_by("student__sort_key", "pk")
    )
    results = {
        (r.enrolment_id, r.subject_id): r
        for r in visible_to(actor, SubjectResult).filter(enrolment__school_class=school_class, period=period)
    }
    terms = {
        t.enrolment_id: t
        for t in visible_to(actor, TermResult).filter(enrolment__school_class=school_class, period=period)
    }
    exempt = exempted([e.pk for e in enrolments]) if period != Period.YEAR else None
    rows = []
    for number, enrolment in enumerate(enrolments, start=1):
        rows.append(
            {
                "number": number,
                "enrolment": enrolment,
                "left": enrolment.left_on is not None,
                "cells": [
                    cell_text(
                        results.get((enrolment.pk, sid)),
                        assessment,
                        primary=primary,
                        excluded=None if exempt is None else (enrolment.pk, sid, period) in exempt,
                    )
                    for sid, _, assessment, _ in subjects
                ],
                "term": term_texts(terms.get(enrolment.pk), names),
                "raw": terms.get(enrolment.pk),
            }
        )
    has_terms = not primary or period == Period.YEAR
    return {
        "rule_set": rule_set,
        "primary": primary,
        "has_terms": has_terms,
        "subjects": [name for _, name, _, _ in subjects],
        "rows": rows,
        "computed": bool(terms),
        "approved": bool(terms) and all(t.status == ResultStatus.APPROVED for t in terms.values()),
    }


__all__ = [
    "IEP_MISSING",
    "ResultsError",
    "Summary",
    "approve_results",
    "cell_text",
    "class_table",
    "compute_results",
    "conduct_label",
    "exempted",
    "learner_state",
    "learning_label",
    "record_retest",
    "record_summer_conduct",
    "set_manual_learning",
    "term_texts",
]
