"""Benchmark of module (a), issue 6 point 2: the record books (học bạ) of a 45-learner class as one PDF.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sms_h2 .venv/bin/python bench/recordbook_bench.py [--reuse]

WARNING: the database named by ``DATABASE_URL`` is WIPED (its ``public`` schema dropped) and rebuilt. Give it a
database of its own (it is created if missing); the script refuses SQLite and any database whose name starts
with ``test_`` (the test databases).

It builds one lower-secondary school with a grade-9 class of 45 learners who studied there four years (grades
6–9, 2023–24 to 2026–27: four classes, one a year, all under TT22/2021), 12 subjects (9 scored, 3
comment-only) with a subject plan and a teacher per subject and semester, both semesters' subject results,
conduct and a homeroom comment per semester, some absences, two parents per learner; then computes and
approves every period of every year through the services (so the books print four approved years each), and
corrects a few values after approval (re-approved: Correction rows, struck through in the book). Then it times
the background job's function ``students.jobs_recordbook.class_record_books`` for the grade-9 class, 5 runs:
median and spread (min–max), query count, pages and bytes. The figures go to bench/RESULTS.md (their own
section, between markers) with the machine and the date. Target: < 10 s.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sms.settings")
os.environ.setdefault("DEBUG", "false")

from bench.students_bench import (  # noqa: E402 - after the settings module is named
    SUBJECTS,
    _Counter,
    _s,
    load_data,
    machine,
    write_report,
)

RUNS = 5
CLASS_SIZE = 45
YEARS = ((2023, 6), (2024, 7), (2025, 8), (2026, 9))
TARGET_SECONDS = 10
MARK_START = "<!-- recordbook_bench:start -->"
MARK_END = "<!-- recordbook_bench:end -->"
SCHOOL_CODE = "C2-HOCBA"


def _timed(fn):
    """(value, wall seconds, CPU seconds of this process, statements sent to the database). The CPU time is
    what the job costs the worker regardless of other load on the machine (the database's own work is not in it,
    the wall time has it)."""
    from django.db import connection

    counter = _Counter()
    with connection.execute_wrapper(counter):
        wall, cpu = time.perf_counter(), time.process_time()
        value = fn()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return value, wall, cpu, counter.count


def _stats(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def build(rng: random.Random) -> dict:
    from sms.accounts.actors import Actor
    from sms.accounts.models import Membership, User
    from sms.accounts.roles import Role, UnitKind
    from sms.org.models import SchoolClass, Subject, SubjectPlan, Unit
    from sms.org.rules import SchoolType
    from sms.org.services import create_school_year
    from students.models import (
        Absence,
        Enrolment,
        Guardian,
        HomeroomAssessment,
        Period,
        Student,
        SubjectResult,
    )
    from students.services.results import approve_results, compute_results
    from teachers.models import Position, StaffRecord, TeachingAssignment

    started = time.perf_counter()
    so = Unit.objects.create(kind=UnitKind.SO, code="SO-HOCBA", name="Sở Giáo dục và Đào tạo (học bạ)")
    school = Unit.objects.create(
        kind=UnitKind.SCHOOL, school_type=SchoolType.C2, code=SCHOOL_CODE, name="Trường THCS Lê Quý Đôn", parent=so
    )

    def user(username, name):
        return User.objects.create_user(username=username, password="Mật-khẩu-đủ-dài-1", full_name=name)

    principal_user = user("hocba.principal", "Phạm Văn Hiệu")
    principal = Membership.objects.create(user=principal_user, unit=school, role=Role.PRINCIPAL)
    homeroom = user("hocba.homeroom", "Nguyễn Thị Thu")
    Membership.objects.create(user=homeroom, unit=school, role=Role.TEACHER)
    subjects = [
        Subject.objects.create(school=school, code=code, name=name, assessment=assessment)
        for code, name, assessment, _ in SUBJECTS
    ]
    staff = [
        StaffRecord.objects.create(
            school=school, user=user(f"hocba.gv{i}", f"Giáo viên {name}"), staff_code=f"HB{i:03d}",
            full_name=f"Giáo viên {name}", birth_date=dt.date(1980, 1, 1), position=Position.TEACHER,
        )
        for i, (_, name, _, _) in enumerate(SUBJECTS)
    ]  # fmt: skip
    students = [
        Student(
            school=school,
            learner_code=f"38{i:08d}",
            full_name=f"Học Sinh Học Bạ {i:02d}",
            birth_date=dt.date(2012, 1 + i % 12, 1 + i % 28),
            sex="F" if i % 2 else "M",
            birthplace="Ninh Bình",
            address=f"Xóm {1 + i % 9}",
            register_number=f"{i:04d}/2023",
        )
        for i in range(CLASS_SIZE)
    ]
    for s in students:
        s.save()
    Guardian.objects.bulk_create(
        [Guardian(student=s, relation=r, full_name=f"{label} của {s.full_name}") for s in students
         for r, label in (("father", "Cha"), ("mother", "Mẹ"))]
    )  # fmt: skip
    actor = Actor(principal_user, principal)
    classes = []
    for start_year, grade in YEARS:
        year = create_school_year(school, start_year, make_current=start_year == YEARS[-1][0])
        klass = SchoolClass.objects.create(
            school=school, school_year=year, grade=grade, name=f"{grade}A1", homeroom_teacher=homeroom
        )
        classes.append(klass)
        for (_, _, _, periods), subject in zip(SUBJECTS, subjects, strict=True):
            SubjectPlan.objects.create(
                school=school, school_year=year, grade=grade, subject=subject, periods_per_year=periods
            )
        semesters = {s.number: s for s in year.semesters.all()}
        TeachingAssignment.objects.bulk_create(
            [TeachingAssignment(school=school, semester=semesters[n], school_class=klass, subject=subject,
                                teacher=teacher) for subject, teacher in zip(subjects, staff, strict=True)
             for n in (1, 2)]
        )  # fmt: skip
        enrolments = Enrolment.objects.bulk_create(
            [Enrolment(school=school, student=s, school_year=year, school_class=klass) for s in students]
        )
        enrolments = list(Enrolment.objects.filter(school_class=klass))
        rows, homerooms, absences = [], [], []
        for e in enrolments:
            base = Decimal(rng.randint(55, 92)) / 10
            for subject in subjects:
                for period in (Period.SEMESTER_1, Period.SEMESTER_2):
                    if subject.assessment == "scored":
                        value = min(Decimal(10), max(Decimal(0), base + Decimal(rng.randint(-10, 10)) / 10))
                        rows.append(SubjectResult(school=school, enrolment=e, subject=subject, period=period,
                                                  average=value))  # fmt: skip
                    else:
                        rows.append(SubjectResult(school=school, enrolment=e, subject=subject, period=period,
                                                  passed=True))  # fmt: skip
            for n in (1, 2):
                homerooms.append(
                    HomeroomAssessment(school=school, enrolment=e, semester=semesters[n],
                                       conduct=rng.choice(["tot", "tot", "kha"]),
                                       comment="Ngoan, chăm học; cần mạnh dạn phát biểu hơn trong giờ học.")
                )  # fmt: skip
            if rng.random() < 0.3:
                absences.append(Absence(school=school, enrolment=e, day=dt.date(start_year, 10, 6), sessions=2))
        SubjectResult.objects.bulk_create(rows, batch_size=2000)
        HomeroomAssessment.objects.bulk_create(homerooms)
        Absence.objects.bulk_create(absences)
        compute_results(actor, year, school_class=klass)
        for period in (Period.SEMESTER_1, Period.SEMESTER_2, Period.YEAR):
            approve_results(actor, klass, period)
    # a few corrections in the current year: reopened, changed, recomputed and approved again
    from students.models import ResultStatus, TermResult

    current = classes[-1]
    changed = list(Enrolment.objects.filter(school_class=current).order_by("pk")[:5])
    TermResult.objects.filter(enrolment__in=changed).update(status=ResultStatus.COMPUTED)
    SubjectResult.objects.filter(enrolment__in=changed).update(status=ResultStatus.COMPUTED)
    SubjectResult.objects.filter(enrolment__in=changed, period=Period.SEMESTER_2, subject=subjects[0]).update(
        average=Decimal("9.5")
    )
    compute_results(actor, current.school_year, school_class=current)
    for period in (Period.SEMESTER_2, Period.YEAR):
        approve_results(actor, current, period)
    return {
        "principal": principal,
        "klass": current,
        "build_seconds": time.perf_counter() - started,
    }


def reuse() -> dict | None:
    from sms.accounts.models import Membership
    from sms.org.models import SchoolClass

    klass = SchoolClass.objects.filter(school__code=SCHOOL_CODE, grade=9).first()
    if klass is None:
        return None
    return {
        "principal": Membership.objects.get(user__username="hocba.principal"),
        "klass": klass,
        "build_seconds": 0,
    }


def measure(data: dict) -> dict:
    import pypdf

    from sms.accounts.actors import Actor
    from sms.jobs.models import Job
    from students.jobs_recordbook import RECORD_BOOKS_JOB, class_record_books
    from students.models import Correction

    membership, klass = data["principal"], data["klass"]
    actor = Actor(membership.user, membership)
    times, cpus, queries, output = [], [], [], None
    for _ in range(RUNS):
        job = Job.objects.create(
            unit=klass.school, membership=membership, created_by=membership.user, kind=RECORD_BOOKS_JOB,
            title="In học bạ", params={"school_class": klass.pk},
        )  # fmt: skip
        output, elapsed, cpu, count = _timed(lambda job=job: class_record_books(job, actor, school_class=klass.pk))
        times.append(elapsed)
        cpus.append(cpu)
        queries.append(count)
    reader = pypdf.PdfReader(io.BytesIO(output.data))
    return {
        "time": _stats(times),
        "cpu": _stats(cpus),
        "queries": queries,
        "pages": len(reader.pages),
        "bytes": len(output.data),
        "corrections": Correction.objects.filter(enrolment__school_class=klass).count(),
    }


def report(info: dict, data: dict, m: dict) -> str:
    verdict = "met" if m["time"]["max"] < TARGET_SECONDS else "NOT met"
    return "\n".join(
        [
            MARK_START,
            "## Students (issue 6): record books of a class as one PDF — `bench/recordbook_bench.py`",
            "",
            f"- Date: {dt.datetime.now().astimezone():%d/%m/%Y %H:%M %Z}",
            f"- Machine: {info['nproc']} CPU ({info['cpu']}), PostgreSQL {info['postgres']}, Python {info['python']}; "
            f"load average when the runs ended: {info['load']} (other work on the machine inflates the times)",
            f"- Data: a grade-9 class of {CLASS_SIZE} learners, each with {len(YEARS)} approved school years "
            f"(grades 6–9, TT22), {len(SUBJECTS)} subjects a year with a teacher per subject and semester, two "
            f"parents, conduct and homeroom comments, {m['corrections']} corrections after approval "
            + (
                f"(built in {data['build_seconds']:.0f} s)" if data["build_seconds"] else "(data set of an earlier run)"
            ),
            f"- Runs: {RUNS}; median (min–max). Timed: the job function `class_record_books` (reading through the "
            "door and the record-book selector, laying out and building the PDF; storing the file is the job "
            "runner's)",
            "",
            "| measurement | median | spread (min–max) | queries | pages | size | target |",
            "| --- | --- | --- | --- | --- | --- | --- |",
            f"| class record books, {CLASS_SIZE} learners × {len(YEARS)} years, one PDF "
            f"| {_s(m['time']['median'])} | {_s(m['time']['min'])} – {_s(m['time']['max'])} "
            f"| {min(m['queries'])}–{max(m['queries'])} | {m['pages']} | {m['bytes'] / 1024:.0f} KiB "
            f"| < {TARGET_SECONDS} s |",
            f"| … CPU time of the job's process in the same runs | {_s(m['cpu']['median'])} "
            f"| {_s(m['cpu']['min'])} – {_s(m['cpu']['max'])} | | | | reported |",
            "",
            f"Target (< {TARGET_SECONDS} s for a 45-learner class, slowest run): **{verdict}**. The query count does "
            "not depend on the number of learners (pinned in tests/students/test_recordbook.py: 3 and 12 "
            "learners give the same count) nor on the years and subjects: the subject teachers' names come "
            "from one query (`teachers.selectors.teacher_names`). The job is "
            "single-threaded: on a machine busier than its CPUs the wall time exceeds the CPU time by the wait "
            "for a CPU. reportlab runs here without its optional C accelerator (`rl_accel` is not installed): "
            "its pure-Python number formatting and ASCII85 encoding take about a fifth of the CPU time.",
            MARK_END,
        ]
    )


def main() -> None:
    data = load_data(build, reuse, 20261124)
    print(f"  built in {data['build_seconds']:.0f} s", flush=True)
    m = measure(data)
    print(f"  record books: {m['time']} cpu {m['cpu']} queries {m['queries']} pages {m['pages']}", flush=True)
    path = write_report(report(machine(), data, m), MARK_START, MARK_END)
    print(f"Written to {path}")


if __name__ == "__main__":
    main()
