"""Oversight statistics of module (a) (issue 6, point 4): grade-entry completion per school, class
and subject, and the distribution of approved learning and conduct results per school and grade.

Read-side selectors, already scoped to the actor: every row comes through ``visible_to``, so a
Phòng sees its subtree, a Sở everything under it (whatever the depth of the tree), a school's
leaders their own school. Only the leaders of a unit (``ADMIN_ROLES``) and Sở/Phòng staff
(``OVERSIGHT_ROLES``) may ask; anybody else gets ``PermissionDenied`` from here, not only from
the page.

The numbers come from grouped queries (``values().annotate(Count())``): a report costs the same
few queries for two schools or six hundred. Python only folds the grouped rows together.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, Exists, F, OuterRef, Q, Subquery, When
from django.utils import timezone

from sms.accounts.roles import ADMIN_ROLES, OVERSIGHT_ROLES, SCHOOL_LEVEL_KINDS
from sms.accounts.scoping import visible_to
from sms.org.filters import _visible
from sms.org.models import SEMESTER_CHOICES, SchoolYear, Semester, Unit
from sms.text import text_key
from teachers.models import TeachingAssignment

from . import rules
from .models import EntryDeadline, Period, ResultStatus, Score, ScoreSheet, SheetStatus, TermResult
from .services.gradebook import NOT_OPENED
from .services.results import conduct_choices, learning_choices

#: who may read the oversight statistics: a unit's leaders and Sở/Phòng staff
OVERSEERS = ADMIN_ROLES | OVERSIGHT_ROLES
REFUSED = "Chỉ lãnh đạo, quản trị đơn vị và chuyên viên Sở/Phòng xem được số liệu tổng hợp."

#: the stages of a sheet, in order; an assignment whose sheet was never opened is "chưa nhập"
STAGES: tuple[str, ...] = (
    NOT_OPENED,
    SheetStatus.DRAFT,
    SheetStatus.SUBMITTED,
    SheetStatus.CHECKED,
    SheetStatus.APPROVED,
)
STAGE_LABELS: dict[str, str] = {
    NOT_OPENED: "Chưa nhập",
    SheetStatus.DRAFT: "Đang nhập",
    SheetStatus.SUBMITTED: "Đã gửi",
    SheetStatus.CHECKED: "GVCN đã kiểm tra",
    SheetStatus.APPROVED: "Đã duyệt",
}
#: not yet sent by the subject teacher: what a deadline chases
UNSUBMITTED: frozenset[str] = frozenset({NOT_OPENED, SheetStatus.DRAFT})

SORTS = [
    ("ten", "Tên trường"),
    ("ty-le", "Tỉ lệ đã duyệt (thấp trước)"),
    ("-ty-le", "Tỉ lệ đã duyệt (cao trước)"),
    ("qua-han", "Số bảng điểm quá hạn (nhiều trước)"),
]


def require_overseer(actor) -> None:
    if actor is None or getattr(actor, "membership", None) is None or actor.role not in OVERSEERS:
        raise PermissionDenied(REFUSED)


def percent(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in per cent, one decimal rounded half-up (None when ``whole`` is 0)."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _within(qs, within: Unit | None, prefix: str = "school"):
    return qs.filter(**{f"{prefix}__path__startswith": within.path}) if within is not None else qs


def schools_of(actor, within: Unit | None = None):
    """The schools and centres the actor reaches (under ``within`` if given), with their parent."""
    qs = visible_to(actor, Unit).filter(kind__in=SCHOOL_LEVEL_KINDS).select_related("parent")
    return qs.filter(path__startswith=within.path) if within is not None else qs


# --- the filters (shared by the pages and the API) ---------------------------------------------------


class OversightQuery(forms.Form):
    """The GET parameters of the oversight pages and API; every choice comes through the door."""

    nam = forms.TypedChoiceField(label="Năm học", coerce=int, required=False)
    hoc_ky = forms.TypedChoiceField(label="Học kỳ", coerce=int, choices=SEMESTER_CHOICES, required=False)
    ky = forms.ChoiceField(label="Kỳ", choices=Period.choices, required=False)
    don_vi = forms.ModelChoiceField(
        label="Thuộc đơn vị", queryset=Unit.objects.none(), required=False, empty_label="Toàn bộ phạm vi"
    )
    chua_nop = forms.BooleanField(label="Chỉ những nơi còn bảng điểm chưa gửi", required=False)
    sap_xep = forms.ChoiceField(label="Sắp xếp theo", choices=SORTS, required=False)

    def __init__(self, data, *, request, actor):
        """``data``: the GET parameters (or None); a parameter left out takes its default (the current
        school year, the semester under way, the whole year), so the form always shows what is counted."""
        self.actor = actor
        years = list(
            visible_to(actor, SchoolYear).order_by("-start_year").values_list("start_year", "is_current").distinct()
        )
        starts = sorted({y for y, _ in years}, reverse=True)
        current = [y for y, is_current in years if is_current]
        self.default_year = max(current) if current else (starts[0] if starts else timezone.localdate().year)
        values = {key: data.get(key) for key in data} if data else {}
        asked = str(values.get("nam") or "")
        year = int(asked) if asked.isdigit() and int(asked) in starts else self.default_year
        values.setdefault("nam", year)
        values.setdefault("hoc_ky", self._semester_under_way(year))
        values.setdefault("ky", Period.YEAR)
        values.setdefault("sap_xep", "ten")
        super().__init__(values)
        self.fields["nam"].choices = [(y, f"{y}–{y + 1}") for y in starts] or [
            (self.default_year, f"{self.default_year}–{self.default_year + 1}")
        ]
        if actor.unit.kind in SCHOOL_LEVEL_KINDS:
            del self.fields["don_vi"]
        else:
            self.fields["don_vi"].queryset = (
                _visible(Unit)(request).exclude(kind__in=SCHOOL_LEVEL_KINDS).order_by("path")
            )

    def _semester_under_way(self, year: int) -> int:
        """The last semester of ``year`` that has started somewhere in reach (1 before any)."""
        started = (
            visible_to(self.actor, Semester)
            .filter(school_year__start_year=year, starts_on__lte=timezone.localdate())
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
        )
        return started or 1

    def value(self, name: str, default=None):
        """The field's cleaned value (a field with a bad value falls back to ``default``)."""
        self.is_valid()
        got = self.cleaned_data.get(name)
        return default if got in (None, "") else got

    @property
    def year(self) -> int:
        return self.value("nam", self.default_year)

    @property
    def semester(self) -> int:
        return self.value("hoc_ky", 1)

    @property
    def period(self) -> str:
        return self.value("ky", Period.YEAR)

    @property
    def within(self) -> Unit | None:
        return self.value("don_vi")

    @property
    def unsubmitted_only(self) -> bool:
        return bool(self.value("chua_nop", False))

    @property
    def sort(self) -> str:
        return self.value("sap_xep", "ten")

    def error_text(self) -> str:
        return " ".join(f"{self.fields[k].label}: {' '.join(v)}" for k, v in self.errors.items() if k in self.fields)


# --- grade-entry completion -------------------------------------------------------------------------


@dataclass
class Completion:
    """Counts of expected sheets by stage, and how many are past their deadline unsubmitted."""

    counts: Counter = field(default_factory=Counter)
    overdue: int = 0

    def add(self, stage: str, n: int, overdue: bool) -> None:
        self.counts[stage] += n
        if overdue and stage in UNSUBMITTED:
            self.overdue += n

    def merge(self, other: Completion) -> None:
        self.counts.update(other.counts)
        self.overdue += other.overdue

    @property
    def expected(self) -> int:
        return sum(self.counts.values())

    @property
    def unsubmitted(self) -> int:
        return sum(self.counts[s] for s in UNSUBMITTED)

    @property
    def approved(self) -> int:
        return self.counts[SheetStatus.APPROVED]

    @property
    def approved_percent(self) -> Decimal | None:
        return percent(self.approved, self.expected)

    @property
    def stages(self) -> list[int]:
        return [self.counts[s] for s in STAGES]

    def as_dict(self) -> dict:
        return {
            "expected": self.expected,
            **{stage: self.counts[stage] for stage in STAGES},
            "approved_percent": self.approved_percent,
            "overdue": self.overdue,
        }


@dataclass
class SchoolCompletion:
    school: Unit
    completion: Completion

    @property
    def parent_name(self) -> str:
        return self.school.parent.name if self.school.parent_id else ""


@dataclass
class CompletionReport:
    year: int
    semester: int
    schools: list[SchoolCompletion]
    grades: dict[int, Completion]
    total: Completion
    today: dt.date


def _semester_q(year: int, semester: int, prefix: str = "semester") -> Q:
    return Q(**{f"{prefix}__school_year__start_year": year, f"{prefix}__number": semester})


def _sheet_of_assignment():
    """The sheet of an outer assignment: one probe of the sheet's unique index. Without the model's
    ordering, which would join the class and the subject and sort, once per assignment."""
    return ScoreSheet.objects.filter(
        semester_id=OuterRef("semester_id"),
        school_class_id=OuterRef("school_class_id"),
        subject_id=OuterRef("subject_id"),
    ).order_by()


def _assignment_of_sheet():
    return TeachingAssignment.objects.filter(
        semester_id=OuterRef("semester_id"),
        school_class_id=OuterRef("school_class_id"),
        subject_id=OuterRef("subject_id"),
    ).order_by()


def _deadlines(actor, year: int, semester: int, *, within=None, school=None) -> dict:
    """{(semester id, grade or None): last day} of the entry deadlines in reach."""
    qs = _within(visible_to(actor, EntryDeadline).filter(_semester_q(year, semester)), within)
    if school is not None:
        qs = qs.filter(school=school)
    return {(s, g): d for s, g, d in qs.values_list("semester_id", "grade", "closes_on")}


def _deadline(deadlines: dict, semester_id: int, grade: int) -> dt.date | None:
    """The grade's own deadline, else the all-grades one (students.selectors.deadline_for)."""
    return deadlines.get((semester_id, grade), deadlines.get((semester_id, None)))


def completion_report(actor, year: int, semester: int, *, within: Unit | None = None, today=None) -> CompletionReport:
    """Per school in reach: the sheets expected for the semester (the teaching assignments, and any sheet
    opened without one) by stage, % approved, and how many are past the entry deadline unsubmitted;
    the same per grade and in total. Four queries, whatever the number of schools."""
    require_overseer(actor)
    today = today or timezone.localdate()
    deadlines = _deadlines(actor, year, semester, within=within)
    per_school: dict[int, Completion] = defaultdict(Completion)
    grades: dict[int, Completion] = defaultdict(Completion)
    total = Completion()

    def fold(rows: Iterable[dict], stage_key: str) -> None:
        for row in rows:
            stage = row[stage_key] or NOT_OPENED
            closes_on = _deadline(deadlines, row["semester_id"], row["school_class__grade"])
            overdue = closes_on is not None and today > closes_on
            for target in (per_school[row["school_id"]], grades[row["school_class__grade"]], total):
                target.add(stage, row["n"], overdue)

    assignments = _within(visible_to(actor, TeachingAssignment).filter(_semester_q(year, semester)), within)
    fold(
        assignments.annotate(stage=Subquery(_sheet_of_assignment().values("status")[:1]))
        .values("school_id", "semester_id", "school_class__grade", "stage")
        .annotate(n=Count("pk"))
        .order_by(),
        "stage",
    )
    # a sheet opened without an assignment (by the school's leaders) is expected too
    loose = _within(visible_to(actor, ScoreSheet).filter(_semester_q(year, semester)), within)
    fold(
        loose.filter(~Exists(_assignment_of_sheet()))
        .values("school_id", "semester_id", "school_class__grade", "status")
        .annotate(n=Count("pk"))
        .order_by(),
        "status",
    )
    schools = [
        SchoolCompletion(school=s, completion=per_school.get(s.pk, Completion()))
        for s in schools_of(actor, within)
        if s.is_active or s.pk in per_school
    ]
    schools.sort(key=lambda r: (text_key(r.school.name), r.school.pk))
    return CompletionReport(
        year=year, semester=semester, schools=schools, grades=dict(sorted(grades.items())), total=total, today=today
    )


def sort_schools(rows: list[SchoolCompletion], how: str) -> list[SchoolCompletion]:
    """Name order (as built), or by % approved (schools with nothing expected last), or by overdue sheets."""
    if how in ("ty-le", "-ty-le"):
        sign = -1 if how == "-ty-le" else 1
        with_pct = [r for r in rows if r.completion.approved_percent is not None]
        without = [r for r in rows if r.completion.approved_percent is None]
        return sorted(with_pct, key=lambda r: sign * r.completion.approved_percent) + without
    if how == "qua-han":
        return sorted(rows, key=lambda r: -r.completion.overdue)
    return rows


@dataclass
class SheetLine:
    """One expected sheet: a class × subject of the semester, who teaches it and where it stands."""

    school: Unit
    school_class_id: int
    class_name: str
    grade: int
    subject_id: int
    subject_name: str
    teacher: str
    stage: str
    sheet_id: int | None
    last_change: dt.datetime | None
    deadline: dt.date | None
    overdue: bool

    @property
    def stage_label(self) -> str:
        return STAGE_LABELS[self.stage]

    @property
    def unsubmitted(self) -> bool:
        return self.stage in UNSUBMITTED


@dataclass
class ClassCompletion:
    school_class_id: int
    name: str
    grade: int
    lines: list[SheetLine]
    completion: Completion


def _latest(*values):
    present = [v for v in values if v is not None]
    return max(present) if present else None


def sheet_lines(
    actor,
    year: int,
    semester: int,
    *,
    school: Unit | None = None,
    within: Unit | None = None,
    unsubmitted_only: bool = False,
    today=None,
) -> list[SheetLine]:
    """Every expected sheet of the semester in reach (of one school if given), with the teacher's
    name, the stage, the last change (the last score typed, or the last step of the approval), the
    entry deadline and whether it is overdue; ``unsubmitted_only``: only "chưa nhập" and "đang
    nhập" ("who has not submitted, by deadline"). Three queries."""
    require_overseer(actor)
    today = today or timezone.localdate()
    deadlines = _deadlines(actor, year, semester, within=within, school=school)
    last_score = Score.objects.filter(sheet_id=OuterRef("pk")).order_by("-updated_at").values("updated_at")[:1]
    sheets = _within(visible_to(actor, ScoreSheet).filter(_semester_q(year, semester)), within)
    assignments = _within(visible_to(actor, TeachingAssignment).filter(_semester_q(year, semester)), within)
    if school is not None:
        sheets, assignments = sheets.filter(school=school), assignments.filter(school=school)
    if unsubmitted_only:
        sheets = sheets.filter(status=SheetStatus.DRAFT)
        assignments = assignments.annotate(stage=Subquery(_sheet_of_assignment().values("status")[:1])).filter(
            Q(stage__isnull=True) | Q(stage=SheetStatus.DRAFT)
        )
    by_triple = {
        (s.semester_id, s.school_class_id, s.subject_id): s
        for s in sheets.select_related("school__parent", "school_class", "subject").annotate(last_score=last_score)
    }
    lines: list[SheetLine] = []

    def line(school_unit, klass, subject, teacher, semester_id, sheet) -> SheetLine:
        stage = sheet.status if sheet is not None else NOT_OPENED
        closes_on = _deadline(deadlines, semester_id, klass.grade)
        last = (
            _latest(sheet.last_score, sheet.submitted_at, sheet.checked_at, sheet.approved_at)
            if sheet is not None
            else None
        )
        return SheetLine(
            school=school_unit,
            school_class_id=klass.pk,
            class_name=klass.name,
            grade=klass.grade,
            subject_id=subject.pk,
            subject_name=subject.name,
            teacher=teacher,
            stage=stage,
            sheet_id=sheet.pk if sheet is not None else None,
            last_change=last,
            deadline=closes_on,
            overdue=stage in UNSUBMITTED and closes_on is not None and today > closes_on,
        )

    for a in assignments.select_related("school__parent", "school_class", "subject", "teacher"):
        sheet = by_triple.pop((a.semester_id, a.school_class_id, a.subject_id), None)
        lines.append(line(a.school, a.school_class, a.subject, a.teacher.full_name, a.semester_id, sheet))
    for sheet in by_triple.values():  # opened without an assignment
        lines.append(line(sheet.school, sheet.school_class, sheet.subject, "", sheet.semester_id, sheet))
    lines.sort(
        key=lambda ln: (
            text_key(ln.school.name),
            ln.school.pk,
            ln.grade,
            text_key(ln.class_name),
            text_key(ln.subject_name),
        )
    )
    return lines


def by_class(lines: Iterable[SheetLine]) -> list[ClassCompletion]:
    """The lines of one school grouped by class, in order, each with its counts."""
    classes: dict[int, ClassCompletion] = {}
    for ln in lines:
        entry = classes.get(ln.school_class_id)
        if entry is None:
            entry = classes[ln.school_class_id] = ClassCompletion(
                ln.school_class_id, ln.class_name, ln.grade, [], Completion()
            )
        entry.lines.append(ln)
        entry.completion.add(ln.stage, 1, ln.overdue)
    return list(classes.values())


# --- distributions of results ------------------------------------------------------------------------


@dataclass(frozen=True)
class Scheme:
    """A family of rule sets whose results share their levels (TT22; primary; legacy học lực/hạnh kiểm)."""

    key: str
    title: str
    rule_sets: frozenset[str]
    representative: str

    @property
    def learning_levels(self) -> list[tuple[str, str]]:
        return learning_choices(self.representative)

    @property
    def conduct_levels(self) -> list[tuple[str, str]]:
        return conduct_choices(self.representative)


SCHEMES: tuple[Scheme, ...] = (
    Scheme("tt22", "Thông tư 22/2021", frozenset({rules.RuleSet.TT22}), rules.RuleSet.TT22),
    Scheme(
        "tieu-hoc",
        "Tiểu học (Thông tư 27/2020)",
        frozenset({rules.RuleSet.TT27, rules.RuleSet.TT30}),
        rules.RuleSet.TT27,
    ),
    Scheme(
        "tt58",
        "Thông tư 58/2011 (học lực, hạnh kiểm)",
        frozenset({rules.RuleSet.TT26, rules.RuleSet.TT58}),
        rules.RuleSet.TT58,
    ),  # fmt: skip
)
SCHEME_OF: dict[str, Scheme] = {rs: scheme for scheme in SCHEMES for rs in scheme.rule_sets}


@dataclass
class Tally:
    """Approved results of a group (a school, a grade) in one scheme, and the results not approved yet."""

    approved: int = 0
    unapproved: int = 0
    learning: Counter = field(default_factory=Counter)
    conduct: Counter = field(default_factory=Counter)

    def merge(self, other: Tally) -> None:
        self.approved += other.approved
        self.unapproved += other.unapproved
        self.learning.update(other.learning)
        self.conduct.update(other.conduct)


@dataclass
class DistRow:
    """One line of a distribution table: counts and percentages of each level among approved results."""

    key: object
    name: str
    approved: int
    unapproved: int
    counts: dict[str, int]
    percents: dict[str, Decimal | None]
    unclassified: int
    levels: list[tuple[str, str]]

    @property
    def cells(self) -> list[tuple[int, Decimal | None]]:
        return [(self.counts[v], self.percents[v]) for v, _ in self.levels]


@dataclass
class DistTable:
    scheme: Scheme
    dimension: str  # "learning" | "conduct"
    title: str
    levels: list[tuple[str, str]]
    schools: list[DistRow]
    grades: list[DistRow]
    total: DistRow


@dataclass
class ResultsReport:
    year: int
    period: str
    tables: list[DistTable]
    schools: list[Unit]
    #: schools × grades (for the export): {(school id, grade): {scheme key: Tally}}
    school_grades: dict

    @property
    def period_label(self) -> str:
        return Period(self.period).label


def _row(key, name: str, tally: Tally, dimension: str, levels: list[tuple[str, str]]) -> DistRow:
    counter = tally.learning if dimension == "learning" else tally.conduct
    counts = {v: counter[v] for v, _ in levels}
    classified = sum(counts.values())
    return DistRow(
        key=key,
        name=name,
        approved=tally.approved,
        unapproved=tally.unapproved,
        counts=counts,
        percents={v: percent(n, tally.approved) for v, n in counts.items()},
        unclassified=tally.approved - classified,
        levels=levels,
    )


def results_report(actor, year: int, period: str, *, within: Unit | None = None) -> ResultsReport:
    """Learning and conduct levels of the period's results in reach, per school and per grade: only
    results the principal approved are counted (the others are shown as "chưa duyệt"). The learning
    level is the one re-assessed after the summer re-tests, else the principal's, else the computed
    one; conduct, the one after summer training if any. Two queries."""
    require_overseer(actor)
    final_learning = Case(
        When(~Q(learning_after_retest=""), then=F("learning_after_retest")),
        When(~Q(manual_learning=""), then=F("manual_learning")),
        default=F("learning"),
    )
    final_conduct = Case(When(~Q(conduct_after_summer=""), then=F("conduct_after_summer")), default=F("conduct"))
    results = _within(
        visible_to(actor, TermResult).filter(enrolment__school_year__start_year=year, period=period), within
    )
    grouped = (
        results.annotate(final_learning=final_learning, final_conduct=final_conduct)
        .values("school_id", "enrolment__school_class__grade", "rule_set", "status", "final_learning", "final_conduct")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_school: dict = defaultdict(lambda: defaultdict(Tally))
    by_grade: dict = defaultdict(lambda: defaultdict(Tally))
    school_grades: dict = defaultdict(lambda: defaultdict(Tally))
    totals: dict = defaultdict(Tally)
    for row in grouped:
        scheme = SCHEME_OF.get(row["rule_set"])
        if scheme is None:
            continue
        one = Tally()
        if row["status"] == ResultStatus.APPROVED:
            one.approved = row["n"]
            if row["final_learning"]:
                one.learning[row["final_learning"]] = row["n"]
            if row["final_conduct"]:
                one.conduct[row["final_conduct"]] = row["n"]
        else:
            one.unapproved = row["n"]
        grade = row["enrolment__school_class__grade"]
        by_school[row["school_id"]][scheme.key].merge(one)
        by_grade[grade][scheme.key].merge(one)
        school_grades[(row["school_id"], grade)][scheme.key].merge(one)
        totals[scheme.key].merge(one)
    schools = sorted(visible_to(actor, Unit).filter(pk__in=list(by_school)), key=lambda s: (text_key(s.name), s.pk))
    tables = []
    for scheme in SCHEMES:
        if scheme.key not in totals:
            continue
        for dimension, title, levels in (
            ("learning", "Kết quả học tập", scheme.learning_levels),
            ("conduct", "Kết quả rèn luyện" if scheme.key == "tt22" else "Hạnh kiểm", scheme.conduct_levels),
        ):
            if not levels:
                continue
            tables.append(
                DistTable(
                    scheme=scheme,
                    dimension=dimension,
                    title=f"{title} – {scheme.title}",
                    levels=levels,
                    schools=[
                        _row(s.pk, s.name, by_school[s.pk][scheme.key], dimension, levels)
                        for s in schools
                        if scheme.key in by_school[s.pk]
                    ],
                    grades=[
                        _row(g, f"Khối {g}", by_grade[g][scheme.key], dimension, levels)
                        for g in sorted(by_grade)
                        if scheme.key in by_grade[g]
                    ],
                    total=_row(None, "Cộng", totals[scheme.key], dimension, levels),
                )
            )
    return ResultsReport(
        year=year,
        period=period,
        tables=tables,
        schools=schools,
        school_grades={k: dict(v) for k, v in school_grades.items()},
    )
