"""Benchmark of issue 10, point 2: a 10,000-row class-list import from xlsx (upload → dry run → confirm).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sms_bench_import .venv/bin/python bench/import_bench.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sms_bench_province .venv/bin/python bench/import_bench.py --province

WARNING: without ``--province`` the database named by ``DATABASE_URL`` is WIPED (its ``public`` schema dropped) and
rebuilt. Give it a database of its own (it is created if missing); the script refuses SQLite and any database whose
name starts with ``test_`` (the test databases). It builds the minimum: a Sở (``SO-BENCH``), one THPT school under
it (``IMPORT-BENCH``) with its current school year and the classes the file names (grades 10–12 × 74 classes), and
the school's administrator (``school_admin``: who imports class lists). ``--reuse`` measures again on what an earlier
run left.

With ``--province`` nothing is wiped: the database holds a province built by bench/province.py (its Sở has the code
``SO-BENCH``). The same school, year, classes and account are added under that Sở (or reused when an earlier run
added them), in the province's school year, so the import meets province-sized tables (learners, enrolments,
parents and their history). The script stops with a message when there is no ``SO-BENCH``.

The file is built in memory from the importer's own template (``ClassListImporter.template()``, filled with
openpyxl as a clerk fills it): 10,000 learners, every column of the template — 10-digit learner code and 12-digit
personal ID as text, a generated Vietnamese name (NFC, ``sms.names``), the date of birth as an Excel date cell,
Nam/Nữ, ethnic group, birthplace, address, class, and the father's and mother's names and phones (a few left
blank). A second file is the same with every 100th row made bad (100 rows, eight kinds of mistake: a date that
does not exist, an unknown sex, a class the year does not have, an 11-digit personal ID, a learner code repeated
from the row above, a phone with letters, an ethnic group not in the list, a missing name).

The application refuses a file of more than ``Importer.max_rows`` = 5,000 rows ("Tệp có quá 5000 dòng; hãy chia
thành nhiều tệp."). So the 10,000-row file is measured once as the application takes it today (refused), and
otherwise through ``ClassListImporter`` with only that cap raised to 10,000 (a subclass here; every line that
checks and writes is the application's). Timed in this process, as the class-list import view
(``students.views.records.ClassImport``) runs them: RUNS = 5 each, median and spread (min–max) of the wall time,
median of the process's CPU time (``time.process_time``), statements sent to the database (counted with
``connection.execute_wrapper``):

0. the stock importer's preview of the 10,000-row file: the refusal;
1. the dry run of the 10,000 valid rows (``importer.preview``): nothing written, 10,000 rows "Thêm mới"; and the
   same as the whole preview request, POSTed through Django's test client (no web server): the upload's checks,
   the stored sheet (in a temporary ``MEDIA_ROOT``, removed after each run), the dry run and the preview page,
   which lists every row (the cap raised on the view's importer for these runs only);
2. the dry run of the file with 100 bad rows: every bad row listed (the count and row numbers are checked);
3. the confirm (``ClassImport.confirm`` with the small result page not rendered: in ONE transaction the whole file
   checked again, then 10,000 learners, their enrolments and parents written with their history rows); the
   statements that check a learner's school one by one are counted apart.

``--profile`` prints a cProfile of one more confirm (cumulative, untimed by the report).

Between runs the database is put back, untimed: the school's learners, enrolments and parents and their history
rows deleted by plain SQL and the six tables vacuumed, so every run starts from the same state. No target is
given by the issue: the figures are reported. They go to bench/RESULTS.md (their own section, between markers)
with the machine and the date.
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

from bench.province_shape import PASSWORD, SO_CODE  # noqa: E402 - after the settings module is named
from bench.recordbook_bench import _stats, _timed  # noqa: E402
from bench.students_bench import _check_database, _s, load_data, machine, write_report  # noqa: E402

RUNS = 5
ROWS = 10_000
BAD_EVERY = 100  # every 100th row of the second file is bad: 100 bad rows
SCHOOL_CODE = "IMPORT-BENCH"
SCHOOL_NAME = "Trường THPT Nhập Liệu (benchmark)"
USERNAME = "bench.import"
GRADES = (10, 11, 12)
CLASSES_PER_GRADE = 74  # 222 classes of about 45
START_YEAR = 2025  # the school year 2025–26 (with --province: the province's current year)
CODE_PREFIX = "379"  # learner codes 3790000000 … 3790009999; personal IDs 037xyy9ddddd
URL_NAME = "students:class-import"
MARK_START = "<!-- import_bench:start -->"
MARK_END = "<!-- import_bench:end -->"
BIRTHPLACES = ("Ninh Bình", "Nam Định", "Hà Nam", "Thanh Hóa", "Hà Nội", "Hải Phòng", "Thái Bình", "Nghệ An")
STREETS = ("Trần Hưng Đạo", "Lê Lợi", "Nguyễn Huệ", "Đinh Tiên Hoàng", "Lý Thái Tổ", "Hai Bà Trưng", "Phạm Văn Đồng")
VILLAGES = ("Đông", "Đoài", "Thượng", "Hạ", "Trung", "Yên Thành", "Phú Lộc")
ETHNICITIES = ("Kinh",) * 17 + ("Mường", "Tày", "Thái")


def _class_names() -> list[tuple[int, str]]:
    return [(g, f"{g}A{i}") for g in GRADES for i in range(1, CLASSES_PER_GRADE + 1)]


def ensure_school(so, start_year: int) -> dict:
    """The importing school under ``so`` with its current year, the classes and the school's administrator; what
    exists (an earlier run) is reused."""
    from sms.accounts.models import Membership, User
    from sms.accounts.roles import Role, UnitKind
    from sms.org.models import SchoolClass, SchoolYear, Unit
    from sms.org.rules import SchoolType
    from sms.org.services import create_school_year

    school = Unit.objects.filter(code=SCHOOL_CODE).first()
    if school is None:
        school = Unit.objects.create(
            kind=UnitKind.SCHOOL, school_type=SchoolType.C3, code=SCHOOL_CODE, name=SCHOOL_NAME, parent=so
        )
    year = SchoolYear.objects.filter(school=school, start_year=start_year).first()
    if year is None:
        year = create_school_year(school, start_year, make_current=True)
    have = set(SchoolClass.objects.filter(school_year=year).values_list("name", flat=True))
    missing = [(g, name) for g, name in _class_names() if name not in have]
    SchoolClass.objects.bulk_create(SchoolClass(school=school, school_year=year, grade=g, name=n) for g, n in missing)
    user = User.objects.filter(username=USERNAME).first()
    if user is None:
        user = User.objects.create_user(username=USERNAME, password=PASSWORD, full_name="Lương Thị Văn Thư")
    membership, _ = Membership.objects.get_or_create(user=user, unit=school, role=Role.SCHOOL_ADMIN)
    return {"school": school, "year": year, "membership": membership}


def build(rng: random.Random) -> dict:
    from sms.accounts.roles import UnitKind
    from sms.org.models import Unit

    started = time.perf_counter()
    so = Unit.objects.create(kind=UnitKind.SO, code=SO_CODE, name="Sở Giáo dục và Đào tạo (benchmark)")
    data = ensure_school(so, START_YEAR)
    return {**data, "province": False, "build_seconds": time.perf_counter() - started}


def reuse() -> dict | None:
    from sms.org.models import SchoolYear, Unit

    school = Unit.objects.filter(code=SCHOOL_CODE).first()
    year = SchoolYear.objects.filter(school=school, is_current=True).first() if school else None
    if year is None:
        return None
    return {**ensure_school(school.parent, year.start_year), "province": False, "build_seconds": 0}


def province() -> dict:
    """``--province``: the school added to (or found in) the province of bench/province.py; nothing wiped."""
    name = _check_database()
    import django

    django.setup()
    from django.db import DatabaseError

    from sms.org.models import SchoolYear, Unit

    try:
        so = Unit.objects.filter(code=SO_CODE).first()
    except DatabaseError as error:
        sys.exit(f"--province: cannot read the database {name!r} ({error}).")
    if so is None:
        sys.exit(f"--province: the database {name!r} has no unit {SO_CODE!r}; build it first with bench/province.py.")
    started = time.perf_counter()
    current = (
        SchoolYear.objects.filter(school__path__startswith=so.path, is_current=True)
        .exclude(school__code=SCHOOL_CODE)
        .order_by("-start_year")
        .values_list("start_year", flat=True)
        .first()
    )
    data = ensure_school(so, current or START_YEAR)
    return {**data, "province": True, "build_seconds": time.perf_counter() - started}


# --- the workbooks ----------------------------------------------------------------------------------------


def _rows(rng: random.Random, start_year: int) -> list[dict]:
    """10,000 valid learners as the template's columns (header → cell value)."""
    from sms.names import person_name
    from students import resources as r

    classes = _class_names()
    rows = []
    for i in range(ROWS):
        grade, class_name = classes[i * len(classes) // ROWS]
        name, female = person_name(rng)
        born = dt.datetime(start_year - grade - 5, 1, 1) + dt.timedelta(days=rng.randrange(365))
        family = name.split()[0]
        father = f"{family} {person_name(rng, female=False)[0].split(' ', 1)[1]}" if rng.random() < 0.95 else ""
        mother = person_name(rng, female=True)[0] if rng.random() < 0.98 else ""
        if rng.random() < 0.5:
            address = f"Số {rng.randrange(1, 300)}, đường {rng.choice(STREETS)}"
        else:
            address = f"Thôn {rng.choice(VILLAGES)}, xã Yên {rng.choice(('Lạc', 'Mỹ', 'Thịnh', 'Phong'))}"
        rows.append(
            {
                r.CODE: f"{CODE_PREFIX}{i:07d}",
                r.PID: f"037{3 if female else 2}{born.year % 100:02d}9{i:05d}",
                r.NAME: name,
                r.BIRTH: born,
                r.SEX: "Nữ" if female else "Nam",
                r.ETHNICITY: rng.choice(ETHNICITIES),
                r.BIRTHPLACE: rng.choice(BIRTHPLACES),
                r.ADDRESS: address,
                r.CLASS: class_name,
                r.FATHER: father,
                r.FATHER_PHONE: f"09{rng.randrange(10**8):08d}" if father and rng.random() < 0.8 else "",
                r.MOTHER: mother,
                r.MOTHER_PHONE: f"03{rng.randrange(10**8):08d}" if mother and rng.random() < 0.9 else "",
            }
        )
    return rows


def _spoil(rows: list[dict]) -> tuple[list[dict], list[int]]:
    """A copy with every ``BAD_EVERY``-th row made bad (one mistake each, eight kinds in turn) and the Excel row
    numbers of the bad rows."""
    from students import resources as r

    spoilt, bad = [dict(row) for row in rows], []
    for n, i in enumerate(range(BAD_EVERY - 1, len(rows), BAD_EVERY)):
        row, kind = spoilt[i], n % 8
        if kind == 0:
            row[r.BIRTH] = "31/02/2010"  # typed as text: no such day
        elif kind == 1:
            row[r.SEX] = "Khác"
        elif kind == 2:
            row[r.CLASS] = "10A99"
        elif kind == 3:
            row[r.PID] = row[r.PID][:11]
        elif kind == 4:
            row[r.CODE] = spoilt[i - 1][r.CODE]  # the row above's code
        elif kind == 5:
            row[r.MOTHER_PHONE] = "09l2345678"
            row[r.MOTHER] = row[r.MOTHER] or "Trần Thị Lan"
        elif kind == 6:
            row[r.ETHNICITY] = "Kinh Tày"
        else:
            row[r.NAME] = ""
        bad.append(i + 2)  # row 1 holds the headers
    return spoilt, bad


def workbook(rows: list[dict]) -> bytes:
    """The importer's template filled with ``rows`` from row 2 (its example row overwritten), as bytes."""
    from openpyxl import load_workbook

    from students.resources import ClassListImporter

    book = load_workbook(io.BytesIO(ClassListImporter(None).template()))
    sheet = book.worksheets[0]
    headers = [c.header for c in ClassListImporter.columns]
    texts = {i for i, c in enumerate(ClassListImporter.columns, start=1) if c.text}
    for number, row in enumerate(rows, start=2):
        for col, header in enumerate(headers, start=1):
            value = row.get(header, "")
            cell = sheet.cell(row=number, column=col, value=value if value != "" else None)
            if isinstance(value, dt.datetime):
                cell.number_format = "DD/MM/YYYY"
            elif col in texts:
                cell.number_format = "@"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- the measurements -------------------------------------------------------------------------------------


def _tables():
    from students.models import Enrolment, Guardian, Student

    return [m._meta.db_table for m in (Guardian.history.model, Guardian, Enrolment.history.model, Enrolment)] + [
        m._meta.db_table for m in (Student.history.model, Student)
    ]


def undo(school) -> int:
    """Back to the state before any import: the school's learners, enrolments, parents and their history rows
    deleted by plain SQL (no signals, no deletion history), then the tables vacuumed. Returns the learners
    removed."""
    from django.db import connection, transaction

    g_hist, guardians, e_hist, enrolments, s_hist, students = _tables()
    mine = f"SELECT id FROM {students} WHERE school_id = %s"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {g_hist} WHERE student_id IN ({mine})", [school.pk])
        cursor.execute(f"DELETE FROM {guardians} WHERE student_id IN ({mine})", [school.pk])
        cursor.execute(f"DELETE FROM {e_hist} WHERE school_id = %s", [school.pk])
        cursor.execute(f"DELETE FROM {enrolments} WHERE school_id = %s", [school.pk])
        cursor.execute(f"DELETE FROM {s_hist} WHERE school_id = %s", [school.pk])
        cursor.execute(f"DELETE FROM {students} WHERE school_id = %s", [school.pk])
        removed = cursor.rowcount
    with connection.cursor() as cursor:  # autocommit: VACUUM runs outside a transaction
        for table in _tables():
            cursor.execute(f"VACUUM ANALYZE {table}")
    return removed


def _written(school) -> dict:
    from students.models import Enrolment, Guardian, Student

    return {
        "students": Student.objects.filter(school=school).count(),
        "enrolments": Enrolment.objects.filter(school=school).count(),
        "guardians": Guardian.objects.filter(student__school=school).count(),
        "history": Student.history.filter(school_id=school.pk).count()
        + Enrolment.history.filter(school_id=school.pk).count()
        + Guardian.history.filter(student__school=school).count(),
    }


class _Upload:
    """Stands for the stored upload (``StoredFile``) the confirm reads the sheet from."""

    pk = 0

    def __init__(self, data: bytes):
        self.data = data

    def read_bytes(self) -> bytes:
        return self.data


def _importer_class():
    """``ClassListImporter`` with its row cap raised to ``ROWS``; nothing else differs."""
    from students.resources import ClassListImporter

    class Importer(ClassListImporter):
        max_rows = ROWS

    return Importer


def _views(data: dict):
    """The class-list import view as its confirm runs (its importer's row cap raised to ``ROWS``, its page
    rendering replaced by handing back the page's context), and the stock view."""
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory
    from django.urls import reverse

    from sms.accounts.actors import Actor
    from students.views.records import ClassImport

    class View(ClassImport):
        importer_class = _importer_class()

        def render_page(self, template, status=200, **context):
            return {"template": template, "status": status, **context}

    request = RequestFactory().post(reverse(URL_NAME), {"confirm": "1"})
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    membership = data["membership"]
    request.user = membership.user
    views = []
    for cls in (View, ClassImport):
        view = cls()
        view.setup(request)
        view.actor, view.school_year = Actor(membership.user, membership), data["year"]
        views.append(view)
    return views


def _client(data: dict):
    """A browser session of the school's administrator (Django's test client, in this process)."""
    from django.test import Client

    from sms.accounts.actors import SESSION_KEY

    membership = data["membership"]
    client = Client()
    client.force_login(membership.user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[SESSION_KEY] = membership.pk
    session.save()
    return client


def _drop_uploads(data: dict) -> None:
    """The sheets the preview requests stored (rows and files)."""
    from sms.files.models import StoredFile

    for stored in StoredFile.objects.filter(purpose="import", uploaded_by=data["membership"].user):
        stored.file.delete(save=False)
        stored.delete()


class _PerRow:
    """Counts the statements checking a learner's school one by one (``full_clean`` validating the ``school``
    foreign key with a query per learner, as ``ClassListImporter._ready`` did before it left that key out)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        if 'AS "a" FROM "org_unit"' in sql:
            self.count += 1
        return execute(sql, params, many, context)


def _series(fn, before=None) -> tuple[dict, dict, list[int], object]:
    """``RUNS`` timed calls of ``fn`` (``before()`` untimed ahead of each): wall stats, CPU stats, query counts
    and the last value."""
    times, cpus, queries, value = [], [], [], None
    for _ in range(RUNS):
        if before is not None:
            before()
        value, wall, cpu, count = _timed(fn)
        times.append(wall)
        cpus.append(cpu)
        queries.append(count)
    return _stats(times), _stats(cpus), queries, value


def _say(label: str, series) -> None:
    wall, cpu, queries, _ = series
    print(
        f"  {label}: median {wall['median']:.3f} s ({wall['min']:.3f}–{wall['max']:.3f}), "
        f"CPU {cpu['median']:.3f} s, queries {queries}",
        flush=True,
    )


def measure(data: dict, good: bytes, spoilt: bytes, bad_numbers: list[int]) -> dict:
    import tempfile
    from unittest import mock

    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test import override_settings
    from django.urls import reverse

    from sms.exports import xlsx
    from sms.imports import Status
    from students.views.records import ClassImport

    school = data["school"]
    view, stock = _views(data)
    undo(school)  # --reuse / --province: what an earlier run left
    m: dict = {}

    # 0. the application as it is: the file is refused
    m["refused"] = _series(lambda: stock.get_importer().preview(good))
    refusal = m["refused"][3]
    assert not refusal.rows and refusal.errors, refusal.errors
    m["refusal"] = refusal.errors[0]
    _say(f"stock importer, refused ({m['refusal']})", m["refused"])

    # 1. the dry run of the valid file
    m["preview"] = _series(lambda: view.get_importer().preview(good))
    preview = m["preview"][3]
    assert preview.ok and preview.count(Status.NEW) == ROWS, (preview.errors, preview.counts)
    assert _written(school)["students"] == 0
    _say("dry run", m["preview"])

    # 1b. the same as the whole preview request: the upload's checks, the stored sheet, the dry run, the page
    client = _client(data)

    def post():
        upload = SimpleUploadedFile("danh-sach-lop.xlsx", good, content_type=xlsx.CONTENT_TYPE)
        return client.post(reverse(URL_NAME), {"school_year": data["year"].pk, "file": upload})

    hosts = [*settings.ALLOWED_HOSTS, "testserver"]
    with (
        tempfile.TemporaryDirectory(prefix="import-bench-") as media,
        override_settings(MEDIA_ROOT=media, ALLOWED_HOSTS=hosts),
        mock.patch.object(ClassImport, "importer_class", _importer_class()),
    ):
        m["page"] = _series(post, before=lambda: _drop_uploads(data))
        _drop_uploads(data)
    page = m["page"][3]
    assert page.status_code == 200 and page.content.count(b'class="status-new"') == ROWS, page.status_code
    assert "Xác nhận lưu".encode() in page.content
    m["page_bytes"] = len(page.content)
    _say(f"preview request, page of {m['page_bytes'] / 1024 / 1024:.1f} MiB", m["page"])

    # 2. the dry run of the file with bad rows: every one listed
    m["bad"] = _series(lambda: view.get_importer().preview(spoilt))
    preview = m["bad"][3]
    listed = [row.number for row in preview.bad_rows]
    assert listed == bad_numbers, (len(listed), len(bad_numbers))
    m["bad_rows"], m["bad_messages"] = len(listed), sum(len(row.errors) for row in preview.bad_rows)
    _say(f"dry run, {m['bad_rows']} bad rows listed", m["bad"])

    # 3. the confirm, each run from the same state
    runs: list[int] = []
    per_row = _PerRow()

    def fresh():
        if runs:
            undo(school)
        runs.append(1)
        per_row.count = 0

    def confirm():
        with connection.execute_wrapper(per_row):
            return view.confirm(_Upload(good))

    m["confirm"] = _series(confirm, before=fresh)
    result = m["confirm"][3]
    assert result["template"] == view.result_template_name and result["status"] == 200, result.get("status")
    m["result"], m["written"], m["per_row"] = result["result"], _written(school), per_row.count
    assert m["result"][Status.NEW] == ROWS and m["written"]["students"] == ROWS, (m["result"], m["written"])
    _say(f"confirm, wrote {m['written']}", m["confirm"])
    undo(school)
    return m


def profile_confirm(data: dict, good: bytes, top: int = 25) -> str:
    """``--profile``: cProfile of one confirm (cumulative), the database put back after it."""
    import cProfile
    import pstats

    view, _ = _views(data)
    profiler = cProfile.Profile()
    profiler.runcall(view.confirm, _Upload(good))
    undo(data["school"])
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    return out.getvalue()


# --- the report -------------------------------------------------------------------------------------------


def _counts(queries: list[int]) -> str:
    return f"{min(queries):,}" if min(queries) == max(queries) else f"{min(queries):,}–{max(queries):,}"


def _row(label: str, series) -> str:
    wall, cpu, queries, _ = series
    return (
        f"| {label} | {_s(wall['median'])} | {_s(wall['min'])} – {_s(wall['max'])} | {_s(cpu['median'])} "
        f"| {_counts(queries)} |"
    )


def _population() -> dict:
    from students.models import Enrolment, Guardian, Student

    return {
        "students": Student.objects.count(),
        "enrolments": Enrolment.objects.count(),
        "guardians": Guardian.objects.count(),
    }


def report(info: dict, data: dict, m: dict, sizes: dict) -> str:
    from django.conf import settings

    w, pop = m["written"], data["population"]
    where = (
        f"a province built by bench/province.py ({pop['students']:,} learners, {pop['enrolments']:,} enrolments, "
        f"{pop['guardians']:,} parents stored before the runs), the school added under its Sở"
        if data["province"]
        else "a Sở and one school, nothing else stored"
    )
    built = f"set up in {data['build_seconds']:.1f} s" if data["build_seconds"] else "data set of an earlier run"
    limits = (
        f"upload limits {settings.SMS_UPLOAD_MAX_BYTES / 1024 / 1024:.0f} MiB, "
        f"{settings.SMS_XLSX_MAX_UNPACKED_BYTES / 1024 / 1024:.0f} MiB unpacked"
    )
    return "\n".join(
        [
            MARK_START,
            "## Students (issue 10): a 10,000-row class-list import from xlsx — `bench/import_bench.py`",
            "",
            f"- Date: {dt.datetime.now().astimezone():%d/%m/%Y %H:%M %Z}",
            f"- Machine: {info['nproc']} CPU ({info['cpu']}), PostgreSQL {info['postgres']}, Python {info['python']}; "
            f"load average when the runs ended: {info['load']} (other work on the machine inflates the times)",
            f"- Data: {where} ({built}): THPT school `{SCHOOL_CODE}`, school year {data['year'].name}, "
            f"{len(_class_names())} classes (grades 10–12); the actor is the school's administrator (`school_admin`). "
            f"The file: the importer's template filled with {ROWS:,} new learners (13 columns: codes as text, "
            f"generated Vietnamese names, date of birth as a date cell, parents' names and phones, a few blank), "
            f"{sizes['good'] / 1024:.0f} KiB, {sizes['unpacked'] / 1024 / 1024:.1f} MiB unpacked ({limits}); the "
            f"same with {m['bad_rows']} bad rows (8 kinds of mistake), {sizes['spoilt'] / 1024:.0f} KiB",
            f"- Runs: {RUNS} each; median (min–max) of the wall time, median of the process's CPU time. Each confirm "
            "starts from the same state: after a run the benchmark deletes the school's learners, enrolments, parents "
            "and their history rows by plain SQL and vacuums the tables, untimed",
            "",
            "| measurement | median | spread (min–max) | CPU (median) | queries |",
            "| --- | --- | --- | --- | --- |",
            _row(f"the application as it is: preview of the {ROWS:,}-row file, refused (“{m['refusal']}”)",
                 m["refused"]),
            _row(f"(1) dry run `importer.preview`, {ROWS:,} valid rows (all “Thêm mới”), nothing written",
                 m["preview"]),
            _row(f"(1) the same, as the whole preview request (upload checks, stored sheet, dry run, the page: "
                 f"{m['page_bytes'] / 1024 / 1024:.1f} MiB of HTML, one table row per file row)", m["page"]),
            _row(f"(2) dry run, {ROWS:,} rows of which {m['bad_rows']} bad: every bad row listed "
                 f"({m['bad_messages']} messages)", m["bad"]),
            _row(f"(3) confirm: the file checked again and written in one transaction — {w['students']:,} learners, "
                 f"{w['enrolments']:,} enrolments, {w['guardians']:,} parents, {w['history']:,} history rows",
                 m["confirm"]),
            "",
            "No target is given by the issue: the figures are reported. The application refuses a file of more than "
            "5,000 rows (`sms.imports.Importer.max_rows`; the message asks for several files), after reading all of "
            "it; rows (1)–(3) run `students.resources.ClassListImporter` with only that cap raised to 10,000. Timed "
            "in-process, as the class-list import view (`students.views.records.ClassImport`) runs them: the dry runs "
            "are `importer.preview(bytes)` (reading the workbook with openpyxl, checking every row, one lookup each "
            "of the codes, IDs and classes); the whole preview request goes through Django's test client (no "
            "network, no web server); the confirm is the view's own `confirm` (the preview again, `apply`, `finish`, "
            "one transaction) with the small result page not rendered. The request costs "
            f"{m['page'][1]['median'] - m['preview'][1]['median']:.1f} s more CPU than the dry run (difference of the "
            "medians): storing the upload and rendering the page, one table row per file row (the cells of each row "
            "built once, in column order, by `Importer.cells`). "
            + (
                f"The confirm's statements grow with the rows: {m['per_row']:,} of them are one `SELECT … FROM "
                "org_unit` per new learner (a foreign key checked by `full_clean`)."
                if m["per_row"]
                else "The confirm's statements do not grow with the rows (no foreign-key check per learner; pinned in "
                "tests/students/test_import.py: 3 and 20 learners give the same count)."
            )
            + " The confirm's wall time exceeds its CPU time by the wait for PostgreSQL (one transaction writing the "
            "learners, enrolments, parents and their history rows) and, on a busy machine, for a CPU.",
            MARK_END,
        ]
    )  # fmt: skip


def main() -> None:
    import warnings
    import zipfile

    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collected static files here
    data = province() if "--province" in sys.argv[1:] else load_data(build, reuse, 20261126)
    data["population"] = _population()
    print(f"  school {SCHOOL_CODE}, year {data['year'].name}, set up in {data['build_seconds']:.1f} s", flush=True)
    rows = _rows(random.Random(20261126), data["year"].start_year)
    from students.models import Student

    taken = Student.objects.filter(learner_code__in=[r["Mã định danh"] for r in rows]).exclude(school=data["school"])
    if taken.exists():
        sys.exit(f"Learner codes {CODE_PREFIX}… are already used by another school's learners: cannot import them.")
    spoilt, bad_numbers = _spoil(rows)
    good, bad = workbook(rows), workbook(spoilt)
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        unpacked = sum(i.file_size for i in archive.infolist())
    sizes = {"good": len(good), "spoilt": len(bad), "unpacked": unpacked}
    print(f"  workbooks: {len(good) / 1024:.0f} KiB and {len(bad) / 1024:.0f} KiB", flush=True)
    m = measure(data, good, bad, bad_numbers)
    path = write_report(report(machine(), data, m, sizes), MARK_START, MARK_END)
    print(f"Written to {path}")
    if "--profile" in sys.argv[1:]:
        print(profile_confirm(data, good))


if __name__ == "__main__":
    main()
