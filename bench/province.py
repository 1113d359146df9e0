"""The province-scale data set (issue 10, point 1): ``make bench-data``.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sms_bench_province .venv/bin/python bench/province.py \\
        [--schools 300] [--students 150000] [--candidates 20000] [--phongs 10] [--seed N]

WARNING: the database named by ``DATABASE_URL`` is WIPED (its ``public`` schema dropped), migrated and filled.
Give it a database of its own (created if missing); SQLite and ``test_`` databases are refused.

What it builds, for the school year 2025–2026 (current, both semesters graded):

- a Sở, ``--phongs`` Phòng, and ``--schools`` schools: about 45 % primary (grades 1–5, TT27), 35 % lower
  secondary (6–9, TT22) and 20 % upper secondary (10–12, TT22, under the Sở); primary and lower-secondary
  schools under the Phòng in turn. The first school is ``C2-BENCH``, the 1,512-learner THCS school of the
  year-results and sheet-save benchmark (36 classes, the first of 45 learners), as bench/students_bench.py
  builds it on its own;
- each school's year and semesters, the 2018 programme's subjects of its grades with their periods
  (``sms.org.catalogue``), classes of about 35 (primary) or 42 learners, learners with generated Vietnamese
  names, their enrolments, a teacher (staff record) per ~20 learners and the teaching assignments of every
  class × subject × semester, an entry deadline per semester;
- a full year of grades: the sheet of every assignment laid out by the rules (``students.rules.sheet_columns``),
  every cell filled with a plausible value (``students.seed_grades._cell``, the demo's generator), the semester
  subject results computed from the cells by the grade book's own ``_compute``, and the homeroom conduct of
  every secondary learner. Semester I is approved everywhere; in semester II most sheets are approved and the
  rest wait at checked, submitted or draft (partly filled), or are not opened, so the Sở's completion page
  has something to show;
- accounts: ``bench.so`` (Sở specialist), a principal per school (``bench.principal`` at C2-BENCH) and
  ``bench.teacher`` (C2-BENCH, teaching Toán to its first class), password ``bench.province_shape.PASSWORD``;
- the exam and diplomas of bench/province_exams.py: the grade-10 admission exam with ``--candidates``
  candidates and their marks, and the THCS diplomas.

Every row is written with COPY (``bench.bulk.Loader``): no row-by-row ORM save, no signal, no history row
(the data is a province's state, not its history). The year results are not computed: the benchmarks compute
them. Each school draws from its own random stream, so a seed gives the same province every time. The time of
each table is printed; the README gives the total.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sms.settings")
os.environ.setdefault("DEBUG", "false")

from bench.province_shape import (  # noqa: E402 - after the path is set
    BIG_SCHOOL_CODE,
    PASSWORD,
    SO_CODE,
    SO_USERNAME,
    LearnerShape,
    Province,
    SchoolShape,
)

START_YEAR = 2025
#: (school type, share of the schools, mean learners, learners per class)
MIX = [("C1", 0.45, 420, 35), ("C2", 0.35, 560, 42), ("C3", 0.20, 900, 42)]
BIG_SCHOOL_LEARNERS = 1512
BIG_SCHOOL_CLASSES_PER_GRADE = 9
BIG_FIRST_CLASS = 45
LEARNERS_PER_TEACHER = 20
#: where the semester II sheets of a school stand: (status or None for not opened, weight)
SEMESTER2_STAGES = [("approved", 86), ("checked", 4), ("submitted", 4), ("draft", 4), (None, 2)]
#: share of the schools whose semester II is still open (the others: all approved)
OPEN_SCHOOL_RATE = 0.35
CONDUCT = ["tot"] * 60 + ["kha"] * 30 + ["dat"] * 9 + ["chua_dat"]
PLACES = [
    "Hoa Lư", "Gia Viễn", "Nho Quan", "Yên Khánh", "Yên Mô", "Kim Sơn", "Tam Điệp", "Ninh Giang", "Ninh Hải",
    "Gia Sinh", "Gia Lập", "Gia Trấn", "Trường Yên", "Liên Sơn", "Khánh Thành", "Ân Hòa", "Yên Thắng",
    "Lai Thành", "Cúc Phương", "Quỳnh Lưu", "Phú Sơn", "Đồng Phong", "Yên Lâm", "Khánh Nhạc",
]  # fmt: skip
TYPE_NAME = {"C1": "Trường Tiểu học", "C2": "Trường THCS", "C3": "Trường THPT"}
TYPE_GRADES = {"C1": (1, 2, 3, 4, 5), "C2": (6, 7, 8, 9), "C3": (10, 11, 12)}
BIRTH_YEAR_OF_GRADE = {g: START_YEAR - 5 - g for g in range(1, 13)}  # grade 1 in 2025: born 2019


def _args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--schools", type=int, default=300)
    parser.add_argument("--students", type=int, default=150_000)
    parser.add_argument("--candidates", type=int, default=20_000)
    parser.add_argument("--phongs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    if args.schools < 4:
        parser.error("--schools: at least 4 (one of each type and the 1,512-learner school)")
    if args.students < BIG_SCHOOL_LEARNERS + 35 * (args.schools - 1):
        parser.error(f"--students: at least {BIG_SCHOOL_LEARNERS + 35 * (args.schools - 1)} for {args.schools} schools")
    return args


# --- the plan: which schools, how many learners ---------------------------------------------------------


def plan_schools(n_schools: int, n_students: int, rng: random.Random) -> list[tuple[str, int]]:
    """(type, learners) of each school; the first is the 1,512-learner THCS school; the total is exact."""
    types = []
    for school_type, share, _, _ in MIX:
        types += [school_type] * round(share * (n_schools - 1))
    while len(types) < n_schools - 1:
        types.append("C2")
    types = types[: n_schools - 1]
    rng.shuffle(types)
    mean = {t: m for t, _, m, _ in MIX}
    raw = [mean[t] * rng.uniform(0.6, 1.4) for t in types]
    left = n_students - BIG_SCHOOL_LEARNERS
    scale = left / sum(raw)
    sizes = [max(35, int(r * scale)) for r in raw]
    i = 0
    while sum(sizes) != left:  # spread the rounding over the schools
        step = 1 if sum(sizes) < left else -1
        if sizes[i % len(sizes)] + step >= 35:
            sizes[i % len(sizes)] += step
        i += 1
    return [("C2", BIG_SCHOOL_LEARNERS), *zip(types, sizes, strict=True)]


def class_sizes(learners: int, grades: tuple[int, ...], per_class: int, big: bool) -> list[tuple[int, int]]:
    """(grade, size) of each class, grades in order; the big school has 9 classes a grade, the first of 45."""
    if big:
        n = len(grades) * BIG_SCHOOL_CLASSES_PER_GRADE
        sizes = [BIG_FIRST_CLASS] + [0] * (n - 1)
        for i in range(learners - BIG_FIRST_CLASS):
            sizes[1 + i % (n - 1)] += 1
        return [(grades[k // BIG_SCHOOL_CLASSES_PER_GRADE], s) for k, s in enumerate(sizes)]
    out = []
    per_grade = [learners // len(grades) + (1 if k < learners % len(grades) else 0) for k in range(len(grades))]
    for grade, count in zip(grades, per_grade, strict=True):
        classes = max(1, math.ceil(count / per_class))
        out += [(grade, count // classes + (1 if k < count % classes else 0)) for k in range(classes)]
    return out


# --- the build ---------------------------------------------------------------------------------------------


class Builder:
    def __init__(self, args, log=print):
        from django.contrib.auth.hashers import make_password

        from bench.bulk import Loader

        self.args = args
        self.log = log
        self.loader = Loader(log=log)
        self.password = make_password(PASSWORD)
        self.rng = random.Random(args.seed)
        self.users: dict[str, int] = {}
        self.stage_counts: dict[str, int] = {}

    # accounts ------------------------------------------------------------------------------------------

    def user_rows(self, people: list[tuple[str, str]]) -> list[int]:
        """Accounts (username, full name) with the bench password; returns their ids."""
        from sms.accounts.models import User
        from sms.text import search_key, sort_key

        ids = list(self.loader.ids(User, len(people)))
        self.loader.copy(
            User,
            ("id", "username", "password", "full_name", "search_key", "sort_key", "first_name", "last_name", "email"),
            (
                (i, username, self.password, name, search_key(name), sort_key(name), "", "", "")
                for i, (username, name) in zip(ids, people, strict=True)
            ),
        )
        for i, (username, _) in zip(ids, people, strict=True):
            self.users[username] = i
        return ids

    def memberships(self, rows: list[tuple[int, int, str]]) -> None:
        from sms.accounts.models import Membership

        ids = self.loader.ids(Membership, len(rows))
        start = dt.date(START_YEAR, 8, 1)
        self.loader.copy(
            Membership,
            ("id", "user_id", "unit_id", "role", "starts_on"),
            ((i, u, unit, role, start) for i, (u, unit, role) in zip(ids, rows, strict=True)),
        )

    # org -----------------------------------------------------------------------------------------------

    def units(self, plan: list[tuple[str, int]]):
        from sms.org.models import Unit
        from sms.text import search_key

        n_phong = self.args.phongs
        ids = list(self.loader.ids(Unit, 1 + n_phong + len(plan)))
        so_id, phong_ids, school_ids = ids[0], ids[1 : 1 + n_phong], ids[1 + n_phong :]
        rows = [(so_id, "so", "", SO_CODE, "Sở Giáo dục và Đào tạo (benchmark)", None, f"{so_id}/", 0)]
        for k, pid in enumerate(phong_ids):
            name = f"Phòng GD&ĐT {PLACES[k % len(PLACES)]}" + (f" {k // len(PLACES) + 1}" if k >= len(PLACES) else "")
            rows.append((pid, "phong", "", f"PHONG-BENCH-{k + 1:02d}", name, so_id, f"{so_id}/{pid}/", 1))
        schools = []
        counters: dict[str, int] = {}
        for k, ((school_type, learners), sid) in enumerate(zip(plan, school_ids, strict=True)):
            counters[school_type] = counters.get(school_type, 0) + 1
            n = counters[school_type]
            if k == 0:
                code, name = BIG_SCHOOL_CODE, "Trường THCS Benchmark"
            else:
                code = f"{school_type}-BENCH-{n:04d}"
                name = f"{TYPE_NAME[school_type]} {PLACES[n % len(PLACES)]} {n}"
            parent = so_id if school_type == "C3" else phong_ids[k % n_phong]
            path = f"{so_id}/{sid}/" if parent == so_id else f"{so_id}/{parent}/{sid}/"
            rows.append((sid, "school", school_type, code, name, parent, path, path.count("/") - 1))
            schools.append((sid, code, name, school_type, parent, learners))
        self.loader.copy(
            Unit,
            ("id", "kind", "school_type", "code", "name", "parent_id", "path", "depth", "search_key"),
            ((*r, search_key(r[4])) for r in rows),
        )
        return so_id, phong_ids, schools

    def years(self, schools) -> dict[int, tuple[int, dict[int, int]]]:
        """Each school's current year 2025–2026 and its two semesters (the dates of create_school_year)."""
        from sms.org.models import SchoolYear, Semester

        starts, ends, second = dt.date(START_YEAR, 9, 5), dt.date(START_YEAR + 1, 5, 31), dt.date(START_YEAR + 1, 1, 12)
        year_ids = list(self.loader.ids(SchoolYear, len(schools)))
        self.loader.copy(
            SchoolYear,
            ("id", "school_id", "start_year", "starts_on", "ends_on", "is_current"),
            ((y, s[0], START_YEAR, starts, ends, True) for y, s in zip(year_ids, schools, strict=True)),
        )
        semester_ids = list(self.loader.ids(Semester, 2 * len(schools)))
        rows, out = [], {}
        for k, (y, s) in enumerate(zip(year_ids, schools, strict=True)):
            first, last = semester_ids[2 * k], semester_ids[2 * k + 1]
            rows.append((first, s[0], y, 1, starts, second - dt.timedelta(days=1)))
            rows.append((last, s[0], y, 2, second, ends))
            out[s[0]] = (y, {1: first, 2: last})
        self.loader.copy(Semester, ("id", "school_id", "school_year_id", "number", "starts_on", "ends_on"), rows)
        return out

    def subjects(self, schools, years) -> dict[int, dict[str, tuple[int, str, dict[int, int]]]]:
        """The catalogue's subjects of each school's grades and the year's subject plan."""
        from sms.org.catalogue import SUBJECTS
        from sms.org.models import Subject, SubjectPlan

        subject_rows, plan_rows, out = [], [], {}
        for sid, _, _, school_type, _, _ in schools:
            grades = set(TYPE_GRADES[school_type])
            mine = [
                (code, name, a, {g: p for g, p in periods.items() if g in grades})
                for code, name, a, periods in SUBJECTS
            ]
            mine = [m for m in mine if m[3]]
            ids = self.loader.ids(Subject, len(mine))
            out[sid] = {}
            for i, (code, name, assessment, periods) in zip(ids, mine, strict=True):
                subject_rows.append((i, sid, code, name, assessment))
                out[sid][code] = (i, assessment, periods)
                plan_rows += [(sid, years[sid][0], g, i, p) for g, p in sorted(periods.items())]
        self.loader.copy(Subject, ("id", "school_id", "code", "name", "assessment"), subject_rows)
        ids = self.loader.ids(SubjectPlan, len(plan_rows))
        self.loader.copy(
            SubjectPlan,
            ("id", "school_id", "school_year_id", "grade", "subject_id", "periods_per_year"),
            ((i, *r) for i, r in zip(ids, plan_rows, strict=True)),
        )
        return out

    def build(self) -> Province:
        from sms.accounts.roles import Role

        args = self.args
        started = time.perf_counter()
        plan = plan_schools(args.schools, args.students, self.rng)
        so_id, phong_ids, schools = self.units(plan)
        years = self.years(schools)
        subjects = self.subjects(schools, years)
        # accounts: the Sở specialist, a Phòng specialist each, a principal per school, the bench teacher
        people = [(SO_USERNAME, "Chuyên viên Sở (benchmark)")]
        people += [(f"bench.phong{k + 1:02d}", f"Chuyên viên Phòng {k + 1}") for k in range(len(phong_ids))]
        people += [
            ("bench.principal" if s[1] == BIG_SCHOOL_CODE else f"ht.{s[1].lower()}", f"Hiệu trưởng {s[2]}")
            for s in schools
        ]
        people.append(("bench.teacher", "Giáo Viên Toán"))
        ids = self.user_rows(people)
        principals = dict(zip((s[0] for s in schools), ids[1 + len(phong_ids) : -1], strict=True))
        rows = [(ids[0], so_id, Role.SO_STAFF)]
        rows += [(ids[1 + k], pid, Role.PHONG_STAFF) for k, pid in enumerate(phong_ids)]
        rows += [(principals[s[0]], s[0], Role.PRINCIPAL) for s in schools]
        rows.append((self.users["bench.teacher"], schools[0][0], Role.TEACHER))
        self.memberships(rows)
        self.log(
            f"  org: {len(schools)} schools, {len(phong_ids)} Phòng, accounts ({time.perf_counter() - started:.0f} s)"
        )

        shapes, learners = [], []
        for k, school in enumerate(schools):
            shape, mine = self.school(school, years[school[0]], subjects[school[0]], principals[school[0]], k == 0)
            shapes.append(shape)
            learners += mine
            if (k + 1) % 25 == 0 or k + 1 == len(schools):
                self.log(
                    f"  {k + 1}/{len(schools)} schools, {len(learners):,} learners, "
                    f"{self.loader.counts.get('students_score', 0):,} scores ({time.perf_counter() - started:.0f} s)"
                )
        province = Province(
            start_year=START_YEAR, so_id=so_id, phong_ids=phong_ids, schools=shapes, learners=learners, users=self.users
        )
        return province

    # one school ----------------------------------------------------------------------------------------

    def school(self, school, year, subjects, principal_id, big: bool):
        from sms.names import person_name
        from sms.org.models import SchoolClass
        from sms.text import search_key, sort_key
        from students.models import Enrolment, Student
        from teachers.models import StaffRecord

        sid, code, name, school_type, parent, n_learners = school
        year_id, semester_ids = year
        rng = random.Random(f"province-{self.args.seed}-{code}")
        loader = self.loader
        grades = TYPE_GRADES[school_type]
        per_class = next(p for t, _, _, p in MIX if t == school_type)
        layout = class_sizes(n_learners, grades, per_class, big)
        class_ids = list(loader.ids(SchoolClass, len(layout)))
        names, seen = [], {}
        for grade, _ in layout:
            seen[grade] = seen.get(grade, 0) + 1
            names.append(f"{grade}A{seen[grade]}")
        homeroom = self.users["bench.teacher"] if big else None
        loader.copy(
            SchoolClass,
            ("id", "school_id", "school_year_id", "grade", "name", "homeroom_teacher_id"),
            ((c, sid, year_id, grade, n, homeroom) for c, (grade, _), n in zip(class_ids, layout, names, strict=True)),
        )
        # learners and enrolments
        student_ids = list(loader.ids(Student, n_learners))
        enrolment_ids = list(loader.ids(Enrolment, n_learners))
        learners, students, k = [], [], 0
        for class_id, (grade, size) in zip(class_ids, layout, strict=True):
            for _ in range(size):
                full, female = person_name(rng)
                born = dt.date(BIRTH_YEAR_OF_GRADE[grade], 1, 1) + dt.timedelta(days=rng.randrange(365))
                lc = f"37{student_ids[k]:08d}"
                learners.append(
                    LearnerShape(
                        student_ids[k], enrolment_ids[k], sid, class_id, grade, lc, full, born, "F" if female else "M"
                    )
                )
                students.append(
                    (student_ids[k], sid, lc, full, born, "F" if female else "M", search_key(full), sort_key(full))
                )
                k += 1
        loader.copy(
            Student,
            ("id", "school_id", "learner_code", "full_name", "birth_date", "sex", "search_key", "sort_key"),
            students,
        )
        loader.copy(
            Enrolment,
            ("id", "school_id", "student_id", "school_year_id", "school_class_id", "enrolled_on"),
            ((x.enrolment_id, sid, x.student_id, year_id, x.class_id, dt.date(START_YEAR, 9, 5)) for x in learners),
        )
        # teachers: one staff record per ~20 learners; bench.teacher is the big school's first
        n_teachers = max(4, n_learners // LEARNERS_PER_TEACHER)
        staff_ids = list(loader.ids(StaffRecord, n_teachers))
        staff = []
        for n, i in enumerate(staff_ids):
            if big and n == 0:
                full, female, user = "Giáo Viên Toán", True, self.users["bench.teacher"]
            else:
                (full, female), user = person_name(rng), None
            born = dt.date(1970 + rng.randrange(30), 1 + rng.randrange(12), 1 + rng.randrange(28))
            sex = "F" if female else "M"
            staff.append((i, sid, user, f"GV{n + 1:04d}", full, born, sex, search_key(full), sort_key(full)))
        loader.copy(
            StaffRecord,
            ("id", "school_id", "user_id", "staff_code", "full_name", "birth_date", "sex", "search_key", "sort_key"),
            staff,
        )
        shape = SchoolShape(
            id=sid, code=code, name=name, school_type=school_type, parent_id=parent, area_id=None, year_id=year_id,
            semester_ids=semester_ids, grades=grades, subject_ids={c: v[0] for c, v in subjects.items()},
            principal_user_id=principal_id,
        )  # fmt: skip
        for class_id, (grade, _) in zip(class_ids, layout, strict=True):
            shape.class_ids.setdefault(grade, []).append(class_id)
        self.grades(shape, layout, class_ids, learners, subjects, staff_ids, principal_id, rng, big)
        return shape, learners

    def grades(self, shape, layout, class_ids, learners, subjects, staff_ids, principal_id, rng, big) -> None:
        """Assignments, sheets, cells, semester results, conduct and deadlines of one school's year."""
        from students import rules
        from students.models import EntryDeadline, HomeroomAssessment, Score, ScoreSheet, SubjectResult
        from students.seed_grades import _cell, _partial
        from students.services.gradebook import _compute
        from teachers.models import TeachingAssignment

        loader = self.loader
        sid = shape.id
        by_class: dict[int, list[LearnerShape]] = {}
        for x in learners:
            by_class.setdefault(x.class_id, []).append(x)
        ability = {x.enrolment_id: min(9.7, max(4.8, rng.gauss(7.2, 0.95))) for x in learners}
        open_school = rng.random() < OPEN_SCHOOL_RATE and not big
        stages = [s for s, _ in SEMESTER2_STAGES]
        weights = [w for _, w in SEMESTER2_STAGES]
        approved_at = {
            1: dt.datetime(START_YEAR + 1, 1, 8, 9, tzinfo=dt.UTC),
            2: dt.datetime(START_YEAR + 1, 5, 25, 9, tzinfo=dt.UTC),
        }
        assignments, sheets, plan = [], [], []
        teacher_of: dict[tuple[int, str], int] = {}
        t = 0
        for class_id, (grade, _) in zip(class_ids, layout, strict=True):
            rule_set = rules.rule_set_for(START_YEAR, grade)
            for code, (subject_id, assessment, periods) in subjects.items():
                if grade not in periods:
                    continue
                if (class_id, code) not in teacher_of:
                    first_class = big and class_id == class_ids[0] and code == "toan"
                    teacher_of[(class_id, code)] = (
                        staff_ids[0] if first_class else staff_ids[1 + t % (len(staff_ids) - 1)]
                    )
                    t += 1
                for number in (1, 2):
                    if big:  # as bench/students_bench.py leaves them: open, every cell filled
                        stage = "draft"
                    elif number == 1 or not open_school:
                        stage = "approved"
                    else:
                        stage = rng.choices(stages, weights)[0]
                    assignments.append(
                        (sid, shape.semester_ids[number], class_id, subject_id, teacher_of[(class_id, code)])
                    )
                    self.stage_counts[stage or "not opened"] = self.stage_counts.get(stage or "not opened", 0) + 1
                    if stage is None:
                        continue
                    columns = rules.sheet_columns(
                        rule_set, assessment=assessment, periods_per_year=periods[grade], grade=grade,
                        subject_code=code, semester=number,
                    )  # fmt: skip
                    plan.append((class_id, subject_id, number, rule_set, columns, stage))
        ta_ids = loader.ids(TeachingAssignment, len(assignments))
        loader.copy(
            TeachingAssignment,
            ("id", "school_id", "semester_id", "school_class_id", "subject_id", "teacher_id"),
            ((i, *a) for i, a in zip(ta_ids, assignments, strict=True)),
        )
        sheet_ids = list(loader.ids(ScoreSheet, len(plan)))
        for i, (class_id, subject_id, number, rule_set, columns, stage) in zip(sheet_ids, plan, strict=True):
            done = stage == "approved"
            sheets.append(
                (i, sid, shape.semester_ids[number], class_id, subject_id, rule_set,
                 ScoreSheet.freeze_columns(columns), stage,
                 approved_at[number] if stage in ("submitted", "checked", "approved") else None,
                 principal_id if stage in ("checked", "approved") else None,
                 approved_at[number] if stage in ("checked", "approved") else None,
                 principal_id if done else None, approved_at[number] if done else None)
            )  # fmt: skip
        loader.copy(
            ScoreSheet,
            ("id", "school_id", "semester_id", "school_class_id", "subject_id", "rule_set", "columns", "status",
             "submitted_at", "checked_by_id", "checked_at", "approved_by_id", "approved_at"),
            sheets,
        )  # fmt: skip
        # the cells, and the semester results computed from them
        results: list[tuple] = []
        period_of = {1: "hk1", 2: "hk2"}

        def cells():
            for sheet_id, (class_id, subject_id, number, rule_set, columns, stage) in zip(sheet_ids, plan, strict=True):
                kind = "primary" if rules.is_primary(rule_set) else (
                    "comment" if any(c.kind == rules.CellKind.COMMENT for c in columns) else "scored"
                )  # fmt: skip
                filled = _partial(list(columns)) if stage == "draft" and not big else columns
                for x in by_class[class_id]:
                    values = {}
                    for column in filled:
                        value = _cell(rng, column, ability[x.enrolment_id])
                        values[column.key] = value
                        yield (sid, sheet_id, x.enrolment_id, column.key, value)
                    r = _compute(kind, list(columns), values)
                    results.append(
                        (
                            sid,
                            x.enrolment_id,
                            subject_id,
                            period_of[number],
                            r["average"],
                            r["passed"],
                            r["level"],
                            r["test_score"],
                        )
                    )

        loader.copy(
            Score, ("id", "school_id", "sheet_id", "enrolment_id", "column", "value"), _with_ids(loader, Score, cells())
        )
        loader.copy(
            SubjectResult,
            ("id", "school_id", "enrolment_id", "subject_id", "period", "average", "passed", "level", "test_score"),
            ((i, *r) for i, r in zip(loader.ids(SubjectResult, len(results)), results, strict=True)),
        )
        if shape.school_type != "C1":
            rows = [(sid, x.enrolment_id, shape.semester_ids[n], rng.choice(CONDUCT)) for x in learners for n in (1, 2)]
            loader.copy(
                HomeroomAssessment,
                ("id", "school_id", "enrolment_id", "semester_id", "conduct"),
                ((i, *r) for i, r in zip(loader.ids(HomeroomAssessment, len(rows)), rows, strict=True)),
            )
        if big:
            return  # no deadline: the sheet-save benchmark saves its sheet (as bench/students_bench.py leaves it)
        loader.copy(
            EntryDeadline,
            ("id", "school_id", "semester_id", "closes_on"),
            (
                (i, sid, shape.semester_ids[n], d)
                for i, n, d in zip(
                    loader.ids(EntryDeadline, 2),
                    (1, 2),
                    (dt.date(START_YEAR + 1, 1, 5), dt.date(START_YEAR + 1, 5, 20)),
                    strict=True,
                )
            ),
        )


def _with_ids(loader, model, rows):
    """Prefix each row with a fresh id of ``model`` (ids taken in blocks, as the rows come)."""
    block: range = range(0)
    position = 0
    for row in rows:
        if position == len(block):
            block, position = loader.ids(model, 10_000), 0
        yield (block[position], *row)
        position += 1


def main(argv=None) -> None:
    args = _args(argv)
    from bench.students_bench import _check_database, _ensure_database, _setup

    name = _check_database()
    import django

    django.setup()
    _ensure_database(name)
    started = time.perf_counter()
    print(f"Building the province in {name!r}: migrating …", flush=True)
    _setup(wipe=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    builder = Builder(args, log=lambda m: print(m, flush=True))
    from students.models import Enrolment, HomeroomAssessment, Score, ScoreSheet, Student, SubjectResult
    from teachers.models import TeachingAssignment

    big_tables = [Score, SubjectResult, HomeroomAssessment, Student, Enrolment, ScoreSheet, TeachingAssignment]
    with builder.loader.loading(big_tables):
        province = builder.build()
    try:
        from bench import province_exams
    except ImportError:
        province_exams = None
    extra = {}
    if province_exams is not None:
        exam_started = time.perf_counter()
        extra = province_exams.load(
            builder.loader, province, random.Random(f"exams-{args.seed}"), candidates=args.candidates
        )
        print(f"  exams and diplomas: {extra} ({time.perf_counter() - exam_started:.0f} s)", flush=True)
    print("  sequences and ANALYZE …", flush=True)
    builder.loader.finish()
    total = time.perf_counter() - started
    loader = builder.loader
    counts = {
        "schools": len(province.schools),
        "learners": len(province.learners),
        "scores": loader.counts.get("students_score", 0),
        "candidates": extra.get("candidates", 0),
        "diplomas": extra.get("diplomas", 0),
    }
    with connection.cursor() as cursor:  # what bench/suite.py reports of the data set
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_province_build "
            "(built_at timestamptz, seconds float, args text, counts jsonb)"
        )
        cursor.execute(
            "INSERT INTO bench_province_build VALUES (now(), %s, %s, %s)",
            [total, " ".join(sys.argv[1:] if argv is None else argv), json.dumps(counts)],
        )
    print(f"Built in {total:.0f} s ({total / 60:.1f} min). Rows by table:")
    for table, n in sorted(loader.counts.items(), key=lambda kv: -kv[1]):
        print(f"  {table:40} {n:>12,}  {loader.seconds[table]:7.1f} s")
    print(f"Semester sheets by stage: {builder.stage_counts}")
    print(f"Logins (password {PASSWORD}): {SO_USERNAME} (Sở), bench.principal and bench.teacher ({BIG_SCHOOL_CODE})")


if __name__ == "__main__":
    main()
