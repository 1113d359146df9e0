"""Benchmark of module (a), issue 5 point 7: year results of a 1,500-student school and a grade-sheet save.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sms_bench .venv/bin/python bench/students_bench.py [--reuse]

WARNING: the database named by ``DATABASE_URL`` is WIPED (its ``public`` schema dropped) and rebuilt. Give it a
database of its own (it is created if missing); the script refuses SQLite and any database whose name
starts with ``test_`` (the test databases), and never touches the database of the test suite.

It migrates the database, then builds one lower-secondary school (grades 6–9 × 9 classes × ~42 learners
= 1,512 learners; 12 subjects, 9 scored and 3 comment-only, with a subject plan per grade), fills both
semesters' sheets with random valid scores by bulk inserts (the semester results are then derived by the
grade book's own ``refresh_sheet_results``), conduct for both semesters and some absences. Then it
measures, 5 runs each, median and spread (min–max):

(a) ``students.services.results.compute_results`` for the whole school year — a first run (no results
    stored: every row written) and a re-run (nothing changed);
(b) ``students.services.gradebook.save_cells`` of a 45-learner × 6-column sheet (Toán, 140 periods: 4
    regular + mid-term + end-of-term), by the assigned teacher, a fresh batch each run changing every cell:
    latency and query count.

``--province`` measures the school C2-BENCH of the province data set (bench/province.py, ``make bench-data``) in
``DATABASE_URL`` instead, among the province's rows; nothing is wiped or built (``make bench`` runs it so).
``--reuse`` measures again on the data set an earlier run left (no wipe, no rebuild; the sheet save's cells
keep changing). The figures go to bench/RESULTS.md (its own section, between markers) with the machine
(nproc, CPU model, PostgreSQL version, load average) and the date. Targets: year results < 2 s; the save is reported.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sms.settings")
os.environ.setdefault("DEBUG", "false")  # as in production: no query log kept in memory

RUNS = 5
GRADES = (6, 7, 8, 9)
CLASSES_PER_GRADE = 9
LEARNERS = 1512
SAVE_CLASS_SIZE = 45
START_YEAR = 2025
SUBJECTS = [
    # code, name, assessment, periods per year
    ("toan", "Toán", "scored", 140),
    ("ngu-van", "Ngữ văn", "scored", 140),
    ("ngoai-ngu-1", "Ngoại ngữ 1", "scored", 105),
    ("gdcd", "Giáo dục công dân", "scored", 35),
    ("ls-dl", "Lịch sử và Địa lí", "scored", 105),
    ("khtn", "Khoa học tự nhiên", "scored", 140),
    ("cong-nghe", "Công nghệ", "scored", 35),
    ("tin-hoc", "Tin học", "scored", 35),
    ("gd-dia-phuong", "Nội dung giáo dục của địa phương", "scored", 35),
    ("gdtc", "Giáo dục thể chất", "comment", 70),
    ("nghe-thuat", "Nghệ thuật", "comment", 70),
    ("hdtn", "Hoạt động trải nghiệm, hướng nghiệp", "comment", 105),
]
MARK_START = "<!-- students_bench:start -->"
MARK_END = "<!-- students_bench:end -->"


def _check_database() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database this benchmark may wipe (see the docstring).")
    name = url.rsplit("/", 1)[-1].split("?", 1)[0]
    if not name or name.startswith("test_"):
        sys.exit(f"Refusing to wipe the database {name!r}: give the benchmark a database of its own.")
    return name


def _ensure_database(name: str) -> None:
    """Create the benchmark database if it does not exist (through the server's ``postgres`` database)."""
    import psycopg
    from django.db import connection

    params = connection.get_connection_params()
    params = {k: v for k, v in params.items() if k in ("host", "port", "user", "password")}
    try:
        psycopg.connect(dbname=name, **params).close()
    except psycopg.OperationalError:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')


def _setup(*, wipe: bool = True) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if wipe:
        # The database is the benchmark's own (checked above): start from an empty schema, so a migration
        # history that no longer matches the code cannot get in the way.
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
    call_command("migrate", verbosity=0, interactive=False)


def reuse() -> dict | None:
    """The data set of an earlier run (``--reuse``: measure again without rebuilding), or None."""
    from sms.accounts.models import Membership
    from sms.org.models import SchoolClass, SchoolYear
    from students.models import Enrolment, Score, ScoreSheet

    year = SchoolYear.objects.filter(school__code="C2-BENCH").first()
    if year is None:
        return None
    first = SchoolClass.objects.filter(school_year=year).order_by("pk").first()
    return {
        "year": year,
        "principal": Membership.objects.get(user__username="bench.principal"),
        "teacher": Membership.objects.get(user__username="bench.teacher"),
        "save_sheet": ScoreSheet.objects.get(school_class=first, subject__code="toan", semester__number=1),
        "save_enrolments": list(Enrolment.objects.filter(school_class=first).order_by("pk")),
        "learners": Enrolment.objects.filter(school_year=year).count(),
        "classes": SchoolClass.objects.filter(school_year=year).count(),
        "scores": Score.objects.filter(school_id=year.school_id).count(),
        "subjects": _subject_counts(year.school_id),
        "build_seconds": 0,
        "province": _province_size() if "--province" in sys.argv[1:] else None,
    }


def _subject_counts(school_id: int) -> tuple[int, int]:
    """(scored, comment-only) subjects of the school."""
    from sms.org.models import Subject

    kinds = list(Subject.objects.filter(school_id=school_id).values_list("assessment", flat=True))
    return kinds.count("scored"), len(kinds) - kinds.count("scored")


def _province_size() -> dict:
    """The size of the province around the school (bench/province.py), for the report."""
    from django.db import connection

    from sms.org.models import Unit
    from students.models import Enrolment

    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'students_score'")
        scores = cursor.fetchone()[0]
    return {
        "schools": Unit.objects.filter(kind="school").count(),
        "learners": Enrolment.objects.count(),
        "scores": scores,
    }


# --- the data set ----------------------------------------------------------------------------------------


def _score(rng: random.Random) -> str:
    value = min(10.0, max(2.0, rng.gauss(7.0, 1.5)))
    return f"{value:.1f}".rstrip("0").rstrip(".")


def build(rng: random.Random) -> dict:
    from sms.accounts.models import Membership, User
    from sms.accounts.roles import Role, UnitKind
    from sms.org.models import SchoolClass, Subject, SubjectPlan, Unit
    from sms.org.rules import SchoolType
    from sms.org.services import create_school_year
    from sms.text import search_key, sort_key
    from students import rules
    from students.models import Absence, Enrolment, HomeroomAssessment, Score, ScoreSheet, Student
    from students.services.gradebook import refresh_sheet_results
    from teachers.models import Position, StaffRecord, TeachingAssignment

    started = time.perf_counter()
    so = Unit.objects.create(kind=UnitKind.SO, code="SO-BENCH", name="Sở GD&ĐT (benchmark)")
    school = Unit.objects.create(
        kind=UnitKind.SCHOOL, school_type=SchoolType.C2, code="C2-BENCH", name="Trường THCS Benchmark", parent=so
    )
    year = create_school_year(school, START_YEAR, make_current=True)
    semesters = {s.number: s for s in year.semesters.all()}
    principal = User.objects.create_user(username="bench.principal", password="Mật-khẩu-benchmark-1")
    teacher = User.objects.create_user(username="bench.teacher", password="Mật-khẩu-benchmark-1")
    principal_m = Membership.objects.create(user=principal, unit=school, role=Role.PRINCIPAL)
    teacher_m = Membership.objects.create(user=teacher, unit=school, role=Role.TEACHER)
    staff = StaffRecord.objects.create(
        school=school, user=teacher, staff_code="GV0001", full_name="Giáo Viên Toán", birth_date=dt.date(1985, 1, 1),
        position=Position.TEACHER,
    )  # fmt: skip

    subjects = {}
    for code, name, assessment, _ in SUBJECTS:
        subjects[code] = Subject.objects.create(school=school, code=code, name=name, assessment=assessment)
    SubjectPlan.objects.bulk_create(
        SubjectPlan(school=school, school_year=year, grade=g, subject=subjects[code], periods_per_year=periods)
        for g in GRADES
        for code, _, _, periods in SUBJECTS
    )
    classes = SchoolClass.objects.bulk_create(
        SchoolClass(school=school, school_year=year, grade=g, name=f"{g}A{i}", homeroom_teacher=teacher)
        for g in GRADES
        for i in range(1, CLASSES_PER_GRADE + 1)
    )
    # class sizes: the first class holds the 45 learners of the save benchmark, the rest share the others
    sizes = [SAVE_CLASS_SIZE] + [0] * (len(classes) - 1)
    for i in range(LEARNERS - SAVE_CLASS_SIZE):
        sizes[1 + i % (len(classes) - 1)] += 1
    family = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ"]
    middle = ["Văn", "Thị", "Minh", "Ngọc", "Đức", "Thu", "Gia", "Bảo"]
    given = ["An", "Bình", "Cường", "Dung", "Hà", "Hương", "Khánh", "Lan", "Long", "Mai", "Nam", "Phương", "Quân"]
    students = []
    for n in range(LEARNERS):
        name = f"{rng.choice(family)} {rng.choice(middle)} {rng.choice(given)}"
        students.append(
            Student(
                school=school,
                learner_code=f"79{n:08d}",
                full_name=name,
                birth_date=dt.date(2011, 1, 1) + dt.timedelta(days=rng.randrange(1500)),
                sex=rng.choice("MF"),
                search_key=search_key(name),
                sort_key=sort_key(name),
            )
        )
    students = Student.objects.bulk_create(students, batch_size=2000)
    enrolments, cursor = [], 0
    for klass, size in zip(classes, sizes, strict=True):
        for student in students[cursor : cursor + size]:
            enrolments.append(Enrolment(school=school, student=student, school_year=year, school_class=klass))
        cursor += size
    enrolments = Enrolment.objects.bulk_create(enrolments, batch_size=2000)
    by_class: dict = {}
    for enrolment in enrolments:
        by_class.setdefault(enrolment.school_class_id, []).append(enrolment)

    sheets = []
    for klass in classes:
        for code, _, assessment, periods in SUBJECTS:
            for number in (1, 2):
                columns = rules.sheet_columns(
                    rules.RuleSet.TT22, assessment=assessment, periods_per_year=periods, grade=klass.grade,
                    subject_code=code, semester=number,
                )  # fmt: skip
                sheets.append(
                    ScoreSheet(
                        school=school,
                        semester=semesters[number],
                        school_class=klass,
                        subject=subjects[code],
                        rule_set=rules.RuleSet.TT22,
                        columns=ScoreSheet.freeze_columns(columns),
                    )
                )
    sheets = ScoreSheet.objects.bulk_create(sheets, batch_size=2000)
    scores = []
    for sheet in sheets:
        comment = sheet.subject.assessment == "comment"
        for enrolment in by_class[sheet.school_class_id]:
            for column in sheet.columns:
                value = ("Đ" if rng.random() < 0.97 else "CĐ") if comment else _score(rng)
                scores.append(Score(school=school, sheet=sheet, enrolment=enrolment, column=column["key"], value=value))
        if len(scores) > 20000:
            Score.objects.bulk_create(scores, batch_size=5000)
            scores = []
    Score.objects.bulk_create(scores, batch_size=5000)
    for sheet in sheets:
        refresh_sheet_results(sheet)

    levels = ["tot"] * 60 + ["kha"] * 30 + ["dat"] * 9 + ["chua_dat"]
    HomeroomAssessment.objects.bulk_create(
        (
            HomeroomAssessment(school=school, enrolment=e, semester=semesters[n], conduct=rng.choice(levels))
            for e in enrolments
            for n in (1, 2)
        ),
        batch_size=5000,
    )
    absences = []
    for enrolment in rng.sample(enrolments, len(enrolments) // 5):
        day = year.starts_on + dt.timedelta(days=rng.randrange(30))
        for _ in range(rng.choice([1, 2, 3, 5, 8, 24])):
            absences.append(Absence(school=school, enrolment=enrolment, day=day, sessions=rng.choice([1, 2])))
            day += dt.timedelta(days=rng.randrange(1, 9))
            if day > year.ends_on:
                break
    Absence.objects.bulk_create(absences, batch_size=5000, ignore_conflicts=True)

    save_class = classes[0]
    save_sheet = next(
        s for s in sheets if s.school_class_id == save_class.pk and s.subject.code == "toan" and s.semester.number == 1
    )
    TeachingAssignment.objects.create(
        school=school, semester=semesters[1], school_class=save_class, subject=subjects["toan"], teacher=staff
    )
    return {
        "year": year,
        "principal": principal_m,
        "teacher": teacher_m,
        "save_sheet": save_sheet,
        "save_enrolments": by_class[save_class.pk],
        "learners": len(enrolments),
        "classes": len(classes),
        "scores": Score.objects.count(),
        "subjects": _subject_counts(school.pk),
        "build_seconds": time.perf_counter() - started,
        "province": None,
    }


# --- the measurements ------------------------------------------------------------------------------------


class _Counter:
    """Counts the statements sent to the database (``connection.execute_wrapper``; unlike the debug query log
    it has no size limit and works with DEBUG off)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _timed(fn):
    from django.db import connection

    counter = _Counter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        value = fn()
        elapsed = time.perf_counter() - started
    return value, elapsed, counter.count


def _stats(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def measure_results(data: dict) -> dict:
    from sms.accounts.actors import Actor
    from students.models import Period, SubjectResult, TermResult
    from students.services.results import compute_results

    principal = Actor(data["principal"].user, data["principal"])
    year = data["year"]
    first, again, summary = [], [], None
    queries = {}
    for _ in range(RUNS):
        TermResult.objects.filter(school_id=year.school_id).delete()
        SubjectResult.objects.filter(school_id=year.school_id, period=Period.YEAR).delete()
        summary, elapsed, queries["first"] = _timed(lambda: compute_results(principal, year))
        first.append(elapsed)
        rerun, elapsed, queries["rerun"] = _timed(lambda: compute_results(principal, year))
        again.append(elapsed)
        assert rerun.written == 0, rerun.message
    return {
        "first": _stats(first),
        "rerun": _stats(again),
        "queries": queries,
        "learners": summary.learners,
        "written": summary.written,
        "incomplete": summary.incomplete,
    }


def measure_save(data: dict) -> dict:
    from sms.accounts.actors import Actor
    from students.models import Score
    from students.services.gradebook import save_cells

    teacher = Actor(data["teacher"].user, data["teacher"])
    sheet = data["save_sheet"]
    keys = [c["key"] for c in sheet.columns]
    current = {(s.enrolment_id, s.column): s.value for s in Score.objects.filter(sheet=sheet)}
    latencies, counts = [], []
    for run in range(RUNS):
        cells = []
        for i, enrolment in enumerate(data["save_enrolments"]):
            for j, key in enumerate(keys):
                old = current.get((enrolment.pk, key), "")
                value = str(3 + (i + j + run) % 7)  # a different integer from the stored one every run
                if value == old:
                    value = "10"
                cells.append({"enrolment": enrolment.pk, "column": key, "value": value, "old": old})
                current[(enrolment.pk, key)] = value
        reply, elapsed, count = _timed(
            lambda cells=cells: save_cells(teacher, sheet, batch_id=uuid.uuid4(), cells=cells)
        )
        latencies.append(elapsed)
        counts.append(count)
        assert reply["saved"] == len(cells), reply.get("saved")
    return {"latency": _stats(latencies), "queries": counts, "cells": len(cells), "keys": keys}


# --- the report ---------------------------------------------------------------------------------------------


def cpu_model() -> str:
    """The CPU's model name (/proc/cpuinfo), or "unknown"."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def machine() -> dict:
    from django.db import connection

    cpu = cpu_model()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return {"nproc": os.cpu_count(), "cpu": cpu, "postgres": pg, "python": sys.version.split()[0], "load": load}


def _s(value: float) -> str:
    return f"{value:.3f} s"


def report(info: dict, data: dict, results: dict, save: dict) -> str:
    r, s = results, save
    verdict = "met" if r["first"]["median"] < 2 and r["rerun"]["median"] < 2 else "NOT met"
    return "\n".join(
        [
            MARK_START,
            "## Students (issue 5): year results and grade-sheet save — `bench/students_bench.py`",
            "",
            f"- Date: {dt.datetime.now().astimezone():%d/%m/%Y %H:%M %Z}",
            f"- Machine: {info['nproc']} CPU ({info['cpu']}), PostgreSQL {info['postgres']}, Python {info['python']}; "
            f"load average when the runs ended: {info['load']} (other work on the machine inflates the times)",
            f"- Data: 1 THCS school, {data['classes']} classes (grades 6–9), {data['learners']} learners, "
            f"{sum(data['subjects'])} subjects ({data['subjects'][0]} scored, {data['subjects'][1]} comment-only), "
            f"{data['scores']:,} scores in both semesters "
            + (
                f"(built in {data['build_seconds']:.0f} s)"
                if data["build_seconds"]
                else ""
                if data["province"]
                else "(data set of an earlier run)"
            )
            + (
                f"— the school {data['year'].school.code} of the province data set (bench/province.py: "
                f"{p['schools']} schools, {p['learners']:,} learners, ~{p['scores']:,} scores in its tables)"
                if (p := data["province"])
                else ""
            ),
            f"- Runs: {RUNS} each; median (min–max)",
            "",
            "| measurement | median | spread (min–max) | queries | target |",
            "| --- | --- | --- | --- | --- |",
            f"| (a) year results of the whole school, first run ({r['written']:,} rows written) "
            f"| {_s(r['first']['median'])} | {_s(r['first']['min'])} – {_s(r['first']['max'])} "
            f"| {r['queries']['first']} | < 2 s |",
            f"| (a) year results of the whole school, re-run (nothing changed) | {_s(r['rerun']['median'])} "
            f"| {_s(r['rerun']['min'])} – {_s(r['rerun']['max'])} | {r['queries']['rerun']} | < 2 s |",
            f"| (b) sheet save, {len(s['keys'])} columns × {SAVE_CLASS_SIZE} learners = {s['cells']} cells changed "
            f"| {_s(s['latency']['median'])} | {_s(s['latency']['min'])} – {_s(s['latency']['max'])} "
            f"| {min(s['queries'])}–{max(s['queries'])} | reported |",
            "",
            f"Year-results target (< 2 s on PostgreSQL): **{verdict}**. {r['learners']} learners computed, "
            f"{r['incomplete']} with something missing (random data). The sheet save's query count is the same "
            "on every run (it does not depend on the number of cells).",
            MARK_END,
        ]
    )


def write_report(text: str, start: str = MARK_START, end: str = MARK_END) -> Path:
    """Put ``text`` (which begins with ``start`` and ends with ``end``) into bench/RESULTS.md in place of
    the section between those markers, or at the end."""
    path = ROOT / "bench" / "RESULTS.md"
    old = path.read_text() if path.exists() else "# Benchmark results\n\nSee bench/README.md for how these are run.\n"
    if start in old and end in old:
        head, rest = old.split(start, 1)
        tail = rest.split(end, 1)[1]
        new = f"{head}{text}{tail}"
    else:
        new = f"{old.rstrip()}\n\n{text}\n"
    path.write_text(new)
    return path


def province_data() -> dict:
    """``--province``: the school C2-BENCH of the province data set (bench/province.py) in DATABASE_URL,
    measured where it lives, among the province's rows. Never wipes."""
    _check_database()
    import django

    django.setup()
    data = reuse()
    if data is None:
        sys.exit("No C2-BENCH school in this database: build the province first (make bench-data).")
    return data


def load_data(build, reuse, seed: int) -> dict:
    """Set Django up on the benchmark's own database and return its data set: the one already there with
    ``--reuse`` (when ``reuse()`` finds it), else a fresh one from ``build(random.Random(seed))`` after
    wiping the database."""
    name = _check_database()
    import django

    django.setup()
    _ensure_database(name)
    again = "--reuse" in sys.argv[1:]
    _setup(wipe=not again)
    data = reuse() if again else None
    if data is None:
        if again:
            _setup(wipe=True)
        print(f"Building the data set in {name!r} …", flush=True)
        data = build(random.Random(seed))
    return data


def main() -> None:
    data = province_data() if "--province" in sys.argv[1:] else load_data(build, reuse, 20261123)
    print(f"  {data['learners']} learners, {data['scores']:,} scores in {data['build_seconds']:.0f} s", flush=True)
    results = measure_results(data)
    print(f"  year results: first {results['first']}, re-run {results['rerun']}", flush=True)
    save = measure_save(data)
    print(f"  sheet save: {save['latency']} queries {save['queries']}", flush=True)
    path = write_report(report(machine(), data, results, save))
    print(f"Written to {path}")


if __name__ == "__main__":
    main()
