"""Benchmark of module (e), issue 8: the original register (sổ gốc cấp văn bằng) of a 600-graduate THCS round.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sms_bench_dipl .venv/bin/python bench/diplomas_bench.py [--reuse]

WARNING: the database named by ``DATABASE_URL`` is WIPED (its ``public`` schema dropped) and rebuilt. Give it a
database of its own (it is created if missing); the script refuses SQLite and any database whose name starts
with ``test_`` (the test databases).

It builds a minimal organisation (a Sở, a Phòng, one THCS school under the Phòng), an issuer kept by the Phòng that
issues THCS diplomas (the "commune chair" of a deployment, its register on the Phòng's account), a specialist of the
Phòng (``phong_staff``: who keeps that register), and a DECIDED THCS graduation round of the school with 600
recognised graduates in 14 grade-9 classes (bulk inserts; generated Vietnamese names from ``sms.names``). Then it
times, as the Phòng's specialist, 5 runs each: median and spread (min–max), process CPU time, query count:

1. ``exams.services.register.awaiting`` — the list of graduates waiting for a THCS diploma (600, nothing issued yet);
2. ``exams.services.register.issue_batch`` of all 600 from the first blank "THCS 0000001", committed. Each run starts
   from the same state: after a run its diplomas, their history rows and the book's counter are deleted again
   (plain SQL: no deletion history is written) and the two tables vacuumed — the benchmark's own undo, which the
   application never does (nothing issued is deleted). The last run's diplomas stay: they are the book printed next;
3. the book (issuer, THCS, calendar year 2026) as the views build it, without the HTTP layer and the audit-log
   event: ``exams.reports.register.register_rows`` through the door, then ``register_pdf`` (A4 landscape: pages and
   bytes) or, with the copy book's rows, ``register_xlsx`` (bytes; the rows are counted back with openpyxl).

``--reuse`` measures again on the data set an earlier run left (no wipe, no rebuild; the diplomas left by the last
run are removed first). No target is given by the issue: the figures are reported. They go to bench/RESULTS.md
(their own section, between markers) with the machine and the date.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sms.settings")
os.environ.setdefault("DEBUG", "false")

from bench.recordbook_bench import _stats, _timed  # noqa: E402 - after the settings module is named
from bench.students_bench import _s, load_data, machine, write_report  # noqa: E402

RUNS = 5
GRADUATES = 600
CLASSES = 14  # 9A1 … 9A14, about 43 learners each
START_YEAR = 2025  # the school year 2025–26: graduates of 2026
DECISION_DATE = dt.date(2026, 6, 30)
ISSUED_ON = dt.date(2026, 7, 15)
FIRST_SERIAL = "THCS 0000001"
KIND = "thcs"
MARK_START = "<!-- diplomas_bench:start -->"
MARK_END = "<!-- diplomas_bench:end -->"
SCHOOL_CODE = "C2-VANBANG"
PHONG_CODE = "PHONG-VANBANG"
ISSUER_NAME = "Chủ tịch UBND xã Yên Thành"
BIRTHPLACES = ("Xã Yên Thành, Ninh Bình", "Phường Hoa Lư, Ninh Bình", "Xã Gia Viễn, Ninh Bình", "Hà Nội")


def build(rng: random.Random) -> dict:
    from django.db import connection
    from django.utils import timezone

    from exams.models import DiplomaKind, GraduationEntry, GraduationLevel, GraduationRound, Issuer, RoundStatus
    from sms.accounts.models import Membership, User
    from sms.accounts.roles import Role, UnitKind
    from sms.names import person_name
    from sms.org.models import Unit
    from sms.org.rules import SchoolType
    from sms.text import search_key, sort_key

    started = time.perf_counter()
    so = Unit.objects.create(kind=UnitKind.SO, code="SO-VANBANG", name="Sở Giáo dục và Đào tạo (văn bằng)")
    phong = Unit.objects.create(kind=UnitKind.PHONG, code=PHONG_CODE, name="Phòng GD&ĐT Yên Thành", parent=so)
    school = Unit.objects.create(
        kind=UnitKind.SCHOOL, school_type=SchoolType.C2, code=SCHOOL_CODE, name="Trường THCS Yên Thành", parent=phong
    )
    user = User.objects.create_user(
        username="vanbang.specialist", password="Mật-khẩu-đủ-dài-1", full_name="Đỗ Thị Thanh Hương"
    )
    specialist = Membership.objects.create(user=user, unit=phong, role=Role.PHONG_STAFF)
    issuer = Issuer.objects.create(
        unit=phong, name=ISSUER_NAME, signer_title="Chủ tịch", signer_name="Trần Văn Quyết", place_name="Yên Thành",
        kinds=[DiplomaKind.THCS],
    )  # fmt: skip
    round_ = GraduationRound.objects.create(
        unit=school, level=GraduationLevel.THCS, start_year=START_YEAR, number=1, issuer=issuer,
        status=RoundStatus.DECIDED, decision_number="125/QĐ-UBND", decision_date=DECISION_DATE,
        decision_signer="Chủ tịch Trần Văn Quyết", decided_at=timezone.now(), decided_by=user,
    )  # fmt: skip
    entries = []
    for i in range(GRADUATES):
        name, female = person_name(rng)
        entries.append(
            GraduationEntry(
                round=round_,
                school=school,
                class_name=f"9A{1 + i % CLASSES}",
                full_name=name,
                birth_date=dt.date(2011, 1, 1) + dt.timedelta(days=rng.randrange(365)),
                sex="F" if female else "M",
                ethnicity="Kinh" if rng.random() < 0.9 else rng.choice(["Mường", "Tày", "Thái"]),
                birthplace=rng.choice(BIRTHPLACES),
                personal_id=f"0372110{i:05d}",
                outcome="hoan_thanh",
                learning=rng.choice(["tot", "kha", "kha", "dat"]),
                conduct=rng.choice(["tot", "tot", "kha"]),
                absences=rng.randrange(0, 8),
                recognised=True,
                search_key=search_key(name),
                sort_key=sort_key(name),
            )
        )
    GraduationEntry.objects.bulk_create(entries)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {GraduationEntry._meta.db_table}")
    return {"specialist": specialist, "issuer": issuer, "round": round_, "build_seconds": time.perf_counter() - started}


def reuse() -> dict | None:
    from exams.models import GraduationRound, Issuer
    from sms.accounts.models import Membership

    issuer = Issuer.objects.filter(unit__code=PHONG_CODE, name=ISSUER_NAME).select_related("unit").first()
    if issuer is None:
        return None
    return {
        "specialist": Membership.objects.get(user__username="vanbang.specialist"),
        "issuer": issuer,
        "round": GraduationRound.objects.get(unit__code=SCHOOL_CODE, start_year=START_YEAR, number=1),
        "build_seconds": 0,
    }


def _undo_issue(issuer) -> int:
    """Back to the state before any issue: the issuer's diplomas, their history rows and its counters deleted by plain
    SQL (no signals, so no deletion history), then the tables vacuumed so every run meets the same tables. Returns
    how many diplomas were removed."""
    from django.db import connection, transaction

    from exams.models import Diploma, RegisterCounter

    diplomas, history = Diploma._meta.db_table, Diploma.history.model._meta.db_table
    counters = RegisterCounter._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {history} WHERE issuer_id = %s", [issuer.pk])
        cursor.execute(f"DELETE FROM {diplomas} WHERE issuer_id = %s", [issuer.pk])
        removed = cursor.rowcount
        cursor.execute(f"DELETE FROM {counters} WHERE issuer_id = %s", [issuer.pk])
    with connection.cursor() as cursor:  # autocommit: VACUUM runs outside a transaction
        for table in (diplomas, history, counters):
            cursor.execute(f"VACUUM ANALYZE {table}")
    return removed


def _series(fn, before=None) -> tuple[dict, dict, list[int], object]:
    """``RUNS`` timed calls of ``fn`` (``before()`` untimed ahead of each): wall stats (with each run's time, in
    order), CPU stats, query counts and the last value."""
    times, cpus, queries, value = [], [], [], None
    for _ in range(RUNS):
        if before is not None:
            before()
        value, wall, cpu, count = _timed(fn)
        times.append(wall)
        cpus.append(cpu)
        queries.append(count)
    return {**_stats(times), "runs": times}, _stats(cpus), queries, value


def _runs(series) -> str:
    wall, cpu, _, _ = series
    runs = ", ".join(f"{t:.3f}" for t in wall["runs"])
    return f"median {wall['median']:.3f} s (runs {runs}; CPU median {cpu['median']:.3f} s)"


def measure(data: dict) -> dict:
    import openpyxl
    import pypdf

    from exams.models import Diploma, DiplomaCopy, Issuer
    from exams.reports import register as reports
    from exams.services.register import awaiting, issue_batch
    from sms.accounts.actors import Actor
    from sms.accounts.scoping import visible_to

    membership = data["specialist"]
    actor = Actor(membership.user, membership)
    issuer = Issuer.objects.select_related("unit").get(pk=data["issuer"].pk)
    _undo_issue(issuer)  # --reuse: the book the last run left
    m: dict = {}

    # 1. the awaiting list, nothing issued yet
    m["awaiting"] = _series(lambda: awaiting(actor, issuer, KIND))
    waiting = m["awaiting"][3]
    m["waiting"], m["overdue"] = len(waiting), sum(1 for a in waiting if a.overdue)
    entries = [a.entry for a in waiting]
    print(f"  awaiting: {_runs(m['awaiting'])} queries {m['awaiting'][2]} ({m['waiting']} listed)", flush=True)

    # 2. the batch issue, from the same state each run; the last run's book stays
    issued_runs = []

    def issue():
        return issue_batch(actor, issuer, KIND, entries, issued_on=ISSUED_ON, first_serial=FIRST_SERIAL)

    def fresh():
        if issued_runs:
            _undo_issue(issuer)
        issued_runs.append(1)

    m["issue"] = _series(issue, before=fresh)
    book = Diploma.objects.filter(issuer=issuer, kind=KIND, year=ISSUED_ON.year)
    numbers = sorted(book.values_list("entry_number", flat=True))
    if numbers != list(range(1, GRADUATES + 1)) or len(awaiting(actor, issuer, KIND)) != 0:
        sys.exit("The batch issue did not leave 600 consecutive entries and an empty awaiting list.")
    m["issued"] = len(numbers)
    m["serials"] = (book.order_by("entry_number").first().serial, book.order_by("entry_number").last().serial)
    print(f"  issue_batch: {_runs(m['issue'])} queries {m['issue'][2]} ({m['issued']} issued)", flush=True)

    # 3. the book as PDF and xlsx, as the views build it
    year = ISSUED_ON.year

    def rows():
        return reports.register_rows(visible_to(actor, Diploma).filter(issuer=issuer, kind=KIND, year=year))

    def book_pdf():
        return reports.register_pdf(issuer, KIND, year, rows())

    def book_xlsx():
        copies = list(
            visible_to(actor, DiplomaCopy)
            .filter(issuer=issuer, kind=KIND, year=year)
            .select_related("diploma", "diploma__revocation")
            .order_by("number", "pk")
        )
        return reports.register_xlsx(issuer, KIND, year, rows(), copies)

    m["pdf"] = _series(book_pdf)
    pdf_bytes = m["pdf"][3]
    m["pdf_pages"], m["pdf_bytes"] = len(pypdf.PdfReader(io.BytesIO(pdf_bytes)).pages), len(pdf_bytes)
    print(f"  register PDF: {_runs(m['pdf'])} queries {m['pdf'][2]} pages {m['pdf_pages']}", flush=True)
    m["xlsx"] = _series(book_xlsx)
    xlsx_bytes = m["xlsx"][3]
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes), read_only=True)["Sổ gốc"]
    m["xlsx_rows"], m["xlsx_bytes"] = sum(1 for _ in sheet.iter_rows(min_row=2, values_only=True)), len(xlsx_bytes)
    print(f"  register xlsx: {_runs(m['xlsx'])} queries {m['xlsx'][2]} rows {m['xlsx_rows']}", flush=True)
    return m


def _row(label: str, series, pages="", size="") -> str:
    wall, cpu, queries, _ = series
    spread = f"{min(queries)}" if min(queries) == max(queries) else f"{min(queries)}–{max(queries)}"
    return (
        f"| {label} | {_s(wall['median'])} | {_s(wall['min'])} – {_s(wall['max'])} | {_s(cpu['median'])} "
        f"| {spread} | {pages} | {size} |"
    )


def _nth(series) -> str:
    runs = series[0]["runs"]
    return f"run {runs.index(max(runs)) + 1} of {len(runs)}"


def report(info: dict, data: dict, m: dict) -> str:
    return "\n".join(
        [
            MARK_START,
            "## Exams (issue 8): the diploma register of a 600-graduate THCS round — `bench/diplomas_bench.py`",
            "",
            f"- Date: {dt.datetime.now().astimezone():%d/%m/%Y %H:%M %Z}",
            f"- Machine: {info['nproc']} CPU ({info['cpu']}), PostgreSQL {info['postgres']}, Python {info['python']}; "
            f"load average when the runs ended: {info['load']} (other work on the machine inflates the times)",
            "- Data: a Sở, a Phòng, one THCS school; an issuer kept by the Phòng issuing THCS diplomas; a decided THCS "
            f"round of the school with {GRADUATES} recognised graduates in {CLASSES} classes (generated Vietnamese "
            "names); the actor is the Phòng's specialist (`phong_staff`) "
            + (
                f"(built in {data['build_seconds']:.1f} s)" if data["build_seconds"] else "(data set of an earlier run)"
            ),
            f"- Runs: {RUNS} each; median (min–max) of the wall time, median of the process's CPU time. The issue runs "
            "each start from the same state (no diploma, no counter): after a run the benchmark deletes its diplomas, "
            "their history rows and the counter by plain SQL and vacuums the tables, untimed; each run commits",
            "",
            "| measurement | median | spread (min–max) | CPU (median) | queries | pages | size |",
            "| --- | --- | --- | --- | --- | --- | --- |",
            _row(f"awaiting list `awaiting(actor, issuer, \"thcs\")`, {m['waiting']} graduates, nothing issued",
                 m["awaiting"]),
            _row(f"batch issue `issue_batch`, {m['issued']} diplomas ({m['serials'][0]} … {m['serials'][1]}, "
                 f"entries 1–{m['issued']}) with their history rows", m["issue"]),
            _row(f"register PDF of the book (`register_rows` + `register_pdf`), {m['issued']} entries", m["pdf"],
                 m["pdf_pages"], f"{m['pdf_bytes'] / 1024:.0f} KiB"),
            _row(f"register xlsx of the book (`register_rows` + copies + `register_xlsx`), {m['xlsx_rows']} rows",
                 m["xlsx"], "", f"{m['xlsx_bytes'] / 1024:.0f} KiB"),
            "",
            "No target is given by the issue: the figures are reported. The timed calls are the service and report "
            "functions as the views call them (the PDF and xlsx: reading the book through the door and building the "
            "file; not the HTTP response nor the audit-log event of the export). The query counts do not depend on "
            "the number of graduates: the tests pin the awaiting page, the API's batch issue and the register PDF for "
            "2 and 10 (tests/exams/test_register_pages.py, test_register_review.py, test_register_reports.py); the "
            "xlsx reads the same rows plus one query for the copy book. "
            f"The slowest awaiting run is {_nth(m['awaiting'])} ({_s(m['awaiting'][0]['max'])}). All "
            f"{m['overdue']} listed graduates are shown overdue: the decision of {DECISION_DATE:%d/%m/%Y} is more "
            "than 75 days old. The issue date is fixed at "
            f"{ISSUED_ON:%d/%m/%Y}. reportlab runs without its optional C accelerator (`rl_accel`).",
            MARK_END,
        ]
    )  # fmt: skip


def main() -> None:
    data = load_data(build, reuse, 20261125)
    print(f"  built in {data['build_seconds']:.1f} s", flush=True)
    m = measure(data)
    path = write_report(report(machine(), data, m), MARK_START, MARK_END)
    print(f"Written to {path}")


if __name__ == "__main__":
    main()
