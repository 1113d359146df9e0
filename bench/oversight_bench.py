"""Benchmark of issue 10, point 2: the Sở-level grade-entry completion page over all schools of the province.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sms_bench_province .venv/bin/python bench/oversight_bench.py \
        [--user bench.so] [--year 2025 --semester 2] [--compare-jit] [--profile]

It runs on the province data set that ``bench/province.py`` builds (about 300 schools, a year of grades, teaching
assignments, score sheets in every stage, entry deadlines) and NEVER wipes nor builds anything: no migration, nothing
written but what a login writes (the user's ``last_login``; the session is removed again at the end). It refuses
SQLite and any database whose name starts with ``test_``.
The actor is the Sở specialist ``bench.so`` (``so_staff``, bench/province_shape.py; ``--user`` names another account)
in its overseeing membership; the school year is the current one in reach and the semester the last of it that has
started, as the page opens (``--year``/``--semester`` choose others). Then it measures, 5 runs each after one untimed
warm-up: median and spread (min–max) of the wall time, median of the process's CPU time and of the time spent inside
the database statements, and the statements sent (``connection.execute_wrapper``):

1. ``students.stats.completion_report(actor, year, semester)`` alone, for every school in reach (the actor built as
   a request builds it: ``Actor(user, membership)``);
2. the page ``students:oversight-completion`` (``students.views.oversight.Completion``) over HTTP, in-process:
   ``django.test.Client`` logged in with ``force_login`` and the membership chosen in the session (the unit
   switcher's key), ``?nam=…&hoc_ky=…``: the first page (50 schools a page), the same sorted by % approved
   (``sap_xep=ty-le``) and only the schools with unsubmitted sheets (``chua_nop=on``); status 200 asserted, response
   size and school rows shown counted from the HTML;
3. the xlsx export of the same report (``&xlsx=1``: every school, every grade and the list of unsubmitted sheets
   from ``stats.sheet_lines(..., unsubmitted_only=True)``, which is also timed alone), over HTTP; the rows of its
   sheets counted back with openpyxl;
4. PostgreSQL's JIT: all of the above run with the JIT setting of the application's own sessions, which
   ``sms/settings.py`` turns off (``-c jit=off`` in the connection's options) unless ``DB_JIT=on``; the report gives
   that setting (``SHOW jit`` on Django's connection) with the server's JIT thresholds. The slowest statement of 1
   and of the unsubmitted lines is run again under ``EXPLAIN (ANALYZE)`` (execution and planning times, and the JIT
   compilation time when PostgreSQL compiled it). ``--compare-jit`` also runs 1, the first page and the export with
   ``SET jit = on`` on the connection (then ``RESET jit``, checked to be back to the session's setting), reported as
   rows for comparison; without it nothing is run with another JIT setting.

The whole request is timed, the test client included (no network, no WSGI server); DEBUG is off (no query log kept
in memory). ``--profile`` prints cProfile's top functions of one page GET instead (nothing is written). No target is
given by the issue: the figures are reported. They go to bench/RESULTS.md (their own section, between markers) with
the machine, the JIT setting of the application's sessions and the server's JIT thresholds, the date and the size
of the data.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sms.settings")
os.environ.setdefault("DEBUG", "false")  # as in production: no query log kept in memory
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")  # django.test.Client asks for "testserver"

warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collected static files here

from bench.province_shape import SO_USERNAME  # noqa: E402 - after the settings module is named
from bench.recordbook_bench import _stats  # noqa: E402
from bench.students_bench import _s, machine, write_report  # noqa: E402

RUNS = 5
MARK_START = "<!-- oversight_bench:start -->"
MARK_END = "<!-- oversight_bench:end -->"
#: the link of each school row of the page (students:oversight-completion-school)
ROW_LINK = re.compile(r'<th scope="row"><a href="[^"]*/tong-hop/nhap-diem/truong/\d+/')


def _option(name: str, default: str | None = None) -> str | None:
    args = sys.argv[1:]
    if name in args:
        i = args.index(name)
        if i + 1 >= len(args):
            sys.exit(f"{name} needs a value.")
        return args[i + 1]
    return default


def _check_database() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to the PostgreSQL database of the province data set (bench/province.py).")
    name = url.rsplit("/", 1)[-1].split("?", 1)[0]
    if not name or name.startswith("test_"):
        sys.exit(f"Refusing the database {name!r}: that is a test database, not the province data set.")
    return name


def _actor(username: str):
    """The user's overseeing membership (the highest unit first, then Sở/Phòng staff) as an Actor."""
    from sms.accounts.actors import Actor
    from sms.accounts.models import Membership, User
    from sms.accounts.roles import OVERSIGHT_ROLES
    from students import stats

    user = User.objects.filter(username=username).first()
    if user is None:
        sys.exit(f"No user {username!r} in this database: build the province first (bench/province.py) or use --user.")
    if not user.is_active or user.must_change_password:
        sys.exit(f"The user {username!r} is inactive or must change the password first: the page would not answer.")
    memberships = [
        m
        for m in Membership.objects.active().filter(user=user).select_related("user", "unit")
        if m.role in stats.OVERSEERS
    ]
    if not memberships:
        sys.exit(f"The user {username!r} holds no membership that may read the oversight statistics.")
    membership = min(memberships, key=lambda m: (m.unit.depth, m.role not in OVERSIGHT_ROLES, m.pk))
    return Actor(user, membership)


def _period(actor) -> tuple[int, int]:
    """The school year (``--year``, else the current one in reach) and semester (``--semester``, else the last one of
    that year that has started somewhere in reach: what the page opens on, ``stats.OversightQuery``)."""
    from django.utils import timezone

    from sms.accounts.scoping import visible_to
    from sms.org.models import SchoolYear, Semester

    asked = _option("--year")
    if asked:
        year = int(asked)
    else:
        years = visible_to(actor, SchoolYear)
        year = (
            years.filter(is_current=True).order_by("-start_year").values_list("start_year", flat=True).first()
            or years.order_by("-start_year").values_list("start_year", flat=True).first()
        )
        if year is None:
            sys.exit("No school year in reach of the actor.")
    asked = _option("--semester")
    if asked:
        return year, int(asked)
    started = (
        visible_to(actor, Semester)
        .filter(school_year__start_year=year, starts_on__lte=timezone.localdate())
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return year, started or 1


def data_size(actor, year: int, semester: int) -> dict:
    from django.db.models import Count

    from sms.accounts.scoping import visible_to
    from students import stats
    from students.models import Enrolment, EntryDeadline, ScoreSheet
    from teachers.models import TeachingAssignment

    in_semester = {"semester__school_year__start_year": year, "semester__number": semester}
    sheets = visible_to(actor, ScoreSheet).filter(**in_semester)
    return {
        "schools": stats.schools_of(actor).count(),
        "active_schools": stats.schools_of(actor).filter(is_active=True).count(),
        "learners": visible_to(actor, Enrolment).filter(school_year__start_year=year).count(),
        "assignments": visible_to(actor, TeachingAssignment).filter(**in_semester).count(),
        "sheets": sheets.count(),
        "sheet_stages": dict(sheets.values_list("status").annotate(n=Count("pk")).order_by()),
        "deadlines": visible_to(actor, EntryDeadline).filter(**in_semester).count(),
    }


# --- the measurements ------------------------------------------------------------------------------------


class _Statements:
    """Counts the statements sent to the database and the time spent waiting for them (``execute_wrapper``: the
    database's work, the network and the driver)."""

    def __init__(self):
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


def _timed(fn):
    """(value, wall seconds, CPU seconds of this process, statements, seconds inside them)."""
    from django.db import connection

    statements = _Statements()
    with connection.execute_wrapper(statements):
        wall, cpu = time.perf_counter(), time.process_time()
        value = fn()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return value, wall, cpu, statements.count, statements.seconds


def _series(fn) -> tuple[dict, dict, list[int], object, dict]:
    """One untimed warm-up call of ``fn``, then ``RUNS`` timed ones: wall stats (with each run's time), CPU stats,
    query counts, the last value and the stats of the time inside the statements."""
    fn()
    times, cpus, queries, inside, value = [], [], [], [], None
    for _ in range(RUNS):
        value, wall, cpu, count, db = _timed(fn)
        times.append(wall)
        cpus.append(cpu)
        queries.append(count)
        inside.append(db)
    return {**_stats(times), "runs": times}, _stats(cpus), queries, value, _stats(inside)


def _jit(on: bool | None = None) -> str:
    """``SET jit = on`` (``on=False``: ``RESET jit``, back to the session's own setting, the one its connection
    options gave) on Django's connection, which the in-process requests share; returns ``SHOW jit`` after it."""
    from django.db import connection

    with connection.cursor() as cursor:
        if on is not None:
            cursor.execute("SET jit = on" if on else "RESET jit")
        cursor.execute("SHOW jit")
        return cursor.fetchone()[0]


def _runs(series) -> str:
    wall, cpu, queries, _, db = series
    runs = ", ".join(f"{t:.3f}" for t in wall["runs"])
    return (
        f"median {wall['median']:.3f} s (runs {runs}; CPU median {cpu['median']:.3f} s, in the statements "
        f"{db['median']:.3f} s) queries {queries}"
    )


def _client(actor):
    """A test client logged in as the actor's user, acting in the actor's membership (the unit switcher's session
    key)."""
    from django.test import Client

    from sms.accounts.actors import SESSION_KEY

    client = Client()
    client.force_login(actor.user)
    session = client.session
    session[SESSION_KEY] = actor.membership.pk
    session.save()
    return client


def _get(client, url: str, params: dict):
    response = client.get(url, params)
    if response.status_code != 200:
        sys.exit(f"GET {url} {params} answered {response.status_code}, not 200.")
    return response


def _page_info(response) -> dict:
    html = response.content.decode()
    caption = re.search(r"năm học \d+–\d+: (\d+) trường", html)
    return {
        "bytes": len(response.content),
        "rows": len(ROW_LINK.findall(html)),
        "listed": int(caption.group(1)) if caption else None,
    }


def measure(actor, year: int, semester: int) -> dict:
    import openpyxl
    from django.urls import reverse

    from students import stats

    m: dict = {}
    m["report"] = _series(lambda: stats.completion_report(actor, year, semester))
    report = m["report"][3]
    m["report_schools"] = len(report.schools)
    m["total"] = report.total
    print(f"  completion_report: {_runs(m['report'])} ({m['report_schools']} schools)", flush=True)

    client = _client(actor)
    url = reverse("students:oversight-completion")
    base = {"nam": year, "hoc_ky": semester}
    _get(client, url, base)  # the session's first request does its own bookkeeping
    pages = {
        "page": ("first page, name order", base),
        "sorted": ("first page, sorted by % approved (`sap_xep=ty-le`)", {**base, "sap_xep": "ty-le"}),
        "unsubmitted": ("first page, only schools with unsubmitted sheets (`chua_nop=on`)", {**base, "chua_nop": "on"}),
    }
    m["pages"] = {}
    for key, (label, params) in pages.items():
        series = _series(lambda params=params: _get(client, url, params))
        info = _page_info(series[3])
        m["pages"][key] = {"label": label, "params": params, "series": series, **info}
        print(f"  page {key}: {_runs(series)} ({info['rows']} rows of {info['listed']}, {info['bytes']:,} B)")
    if m["pages"]["page"]["listed"] != m["report_schools"]:
        sys.exit(f"The page lists {m['pages']['page']['listed']} schools, the report {m['report_schools']}.")

    m["lines"] = _series(lambda: stats.sheet_lines(actor, year, semester, unsubmitted_only=True))
    m["unsubmitted_lines"] = len(m["lines"][3])
    print(f"  sheet_lines (unsubmitted): {_runs(m['lines'])} ({m['unsubmitted_lines']} lines)", flush=True)

    m["xlsx"] = _series(lambda: _get(client, url, {**base, "xlsx": 1}))
    response = m["xlsx"][3]
    if not response["Content-Type"].startswith("application/vnd.openxmlformats"):
        sys.exit(f"The export answered {response['Content-Type']}, not an xlsx workbook.")
    data = b"".join(response.streaming_content) if response.streaming else response.content
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    m["xlsx_bytes"] = len(data)
    m["xlsx_rows"] = {ws.title: sum(1 for _ in ws.iter_rows(min_row=2, values_only=True)) for ws in book.worksheets}
    print(f"  xlsx: {_runs(m['xlsx'])} ({m['xlsx_rows']}, {m['xlsx_bytes']:,} B)", flush=True)

    m["jit_on"] = None
    if "--compare-jit" in sys.argv[1:]:  # for comparison: JIT on for this connection, whatever the session's setting
        configured = _jit()
        if _jit(on=True) != "on":
            sys.exit("Could not turn JIT on for the comparison runs.")
        m["jit_on"] = {
            "report": _series(lambda: stats.completion_report(actor, year, semester)),
            "page": _series(lambda: _get(client, url, base)),
            "xlsx": _series(lambda: _get(client, url, {**base, "xlsx": 1})),
        }
        if _jit() != "on":  # still the same connection: the runs above had JIT on
            sys.exit("The connection changed during the runs with JIT on.")
        if (back := _jit(on=False)) != configured:
            sys.exit(f"RESET jit gave {back!r}, not the session's {configured!r}.")
        for key, series in m["jit_on"].items():
            print(f"  JIT on for the connection, {key}: {_runs(series)}", flush=True)
    client.logout()  # its session row goes
    return m


def explain_slowest(fn) -> dict:
    """The slowest statement of one call of ``fn``, run again under ``EXPLAIN (ANALYZE, FORMAT JSON)``: its
    execution and planning time, the plan's estimated cost, the session's ``jit`` and PostgreSQL's JIT compilation
    time and options (0 and empty when not compiled)."""
    import json

    from django.db import connection

    seen: list[tuple[float, str, object]] = []

    def wrapper(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            seen.append((time.perf_counter() - started, sql, params))

    with connection.execute_wrapper(wrapper):
        fn()
    _, sql, params = max(seen, key=lambda s: s[0])
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
        cursor.execute("SHOW jit")
        session_jit = cursor.fetchone()[0]
    plan = (json.loads(plan) if isinstance(plan, str) else plan)[0]
    jit = plan.get("JIT") or {}
    return {
        "table": re.match(r'SELECT (?:DISTINCT )?"(\w+)"\.', sql).group(1),
        "execution": plan["Execution Time"] / 1000,
        "planning": plan["Planning Time"] / 1000,
        "cost": plan["Plan"]["Total Cost"],
        "session_jit": session_jit,
        "compiled": bool(jit),
        "jit": jit.get("Timing", {}).get("Total", 0) / 1000,
        "jit_options": [name.lower() for name, on in jit.get("Options", {}).items() if on],
    }


def profile(actor, year: int, semester: int) -> None:
    """cProfile of one GET of the first page (after a warm-up), on stdout: the top 45 functions by cumulative time
    and the top 15 by own time."""
    import cProfile
    import pstats

    from django.urls import reverse

    client = _client(actor)
    url = reverse("students:oversight-completion")
    params = {"nam": year, "hoc_ky": semester}
    _get(client, url, params)
    profiler = cProfile.Profile()
    profiler.runcall(_get, client, url, params)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    client.logout()


# --- the report ---------------------------------------------------------------------------------------------


def _row(label: str, series, size="") -> str:
    wall, cpu, queries, _, db = series
    spread = f"{min(queries)}" if min(queries) == max(queries) else f"{min(queries)}–{max(queries)}"
    return (
        f"| {label} | {_s(wall['median'])} | {_s(wall['min'])} – {_s(wall['max'])} | {_s(cpu['median'])} "
        f"| {_s(db['median'])} | {spread} | {size} |"
    )


def _kib(n: int) -> str:
    return f"{n / 1024:.0f} KiB"


def _explained(x: dict, thresholds: dict) -> str:
    cost = f"estimated cost {x['cost']:,.0f}"
    if x["compiled"]:
        options = f" ({', '.join(x['jit_options'])})" if x["jit_options"] else ""
        jit = f"{_s(x['jit'])} of it JIT compilation{options}, {cost}"
    elif x["session_jit"] != "on":
        jit = f"not JIT-compiled (JIT off for the session; {cost})"
    else:
        jit = f"not JIT-compiled (JIT on, {cost}, below jit_above_cost = {thresholds['jit_above_cost']})"
    return f"{_s(x['execution'])} executing, {jit}, {_s(x['planning'])} planning"


def jit_settings() -> dict:
    """The JIT setting of the application's session (``SHOW jit`` on Django's connection; ``sms/settings.py`` turns
    it off in the connection's options unless ``DB_JIT=on``), said in words, and the server's JIT thresholds."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        session = cursor.fetchone()[0]
        cursor.execute(
            "SELECT name, setting FROM pg_settings WHERE name IN ('jit_above_cost', 'jit_inline_above_cost', "
            "'jit_optimize_above_cost') ORDER BY name"
        )
        thresholds = dict(cursor.fetchall())
    db_jit = os.environ.get("DB_JIT") or None
    turned_off = "jit=off" in (connection.settings_dict.get("OPTIONS", {}).get("options") or "").replace(" ", "")
    if session == "off" and turned_off:
        said, why = "JIT off for the application's sessions", f"DB_JIT={db_jit}" if db_jit else "DB_JIT unset"
    elif session == "off":
        said, why = "JIT off", f"DB_JIT={db_jit}, but off in the server's or the database's setting"
    elif turned_off:
        said, why = "JIT on", "although the application's connection options turn it off"
    else:
        said, why = "JIT on", f"DB_JIT={db_jit}"
    server = ", ".join(f"{name} = {value}" for name, value in thresholds.items())
    return {"session": session, "thresholds": thresholds, "line": f"{said} ({why}; the server's {server})"}


def report(info: dict, actor, year: int, semester: int, size: dict, m: dict) -> str:
    from students import stats

    total = m["total"]
    stages = ", ".join(
        f"{stats.STAGE_LABELS[stage]} {n:,}" for stage, n in zip(stats.STAGES, total.stages, strict=True)
    )
    rows = "; ".join(f"“{title}” {n:,}" for title, n in m["xlsx_rows"].items())
    pages, jit_on, jit = m["pages"], m["jit_on"], m["jit"]
    x, xl = m["explain"], m["explain_lines"]
    first = pages["page"]["series"]
    db_share = first[4]["median"] / first[0]["median"]
    return "\n".join(
        [
            MARK_START,
            "## Students (issue 10): the Sở's grade-entry completion page over all schools — "
            "`bench/oversight_bench.py`",
            "",
            f"- Date: {dt.datetime.now().astimezone():%d/%m/%Y %H:%M %Z}",
            f"- Machine: {info['nproc']} CPU ({info['cpu']}), PostgreSQL {info['postgres']}, {jit['line']}, "
            f"Python {info['python']}; load average when the runs ended: {info['load']} (other work on the machine "
            "inflates the times)",
            f"- Data: {size['schools']:,} schools in reach of `{actor.user.username}` ({actor.role} at "
            f"{actor.unit.name}; {size['active_schools']:,} active), {size['learners']:,} learners enrolled in "
            f"{year}–{year + 1}; semester {semester}: {size['assignments']:,} teaching assignments, "
            f"{size['sheets']:,} score sheets, {size['deadlines']:,} entry deadlines. Expected sheets by stage: "
            f"{stages} ({total.expected:,} in all, {total.overdue:,} overdue)",
            f"- Runs: {RUNS} each after one untimed warm-up; median (min–max) of the wall time, median of the "
            "process's CPU time (client and server: the request runs in-process), median of the time spent inside "
            "the statements (waiting for PostgreSQL), statements sent to the database",
            "",
            "| measurement | median | spread (min–max) | CPU (median) | in the statements | queries | size |",
            "| --- | --- | --- | --- | --- | --- | --- |",
            _row(f"`stats.completion_report`, {m['report_schools']:,} schools", m["report"]),
            *(
                _row(f"page GET, {p['label']}: {p['rows']} rows shown of {p['listed']:,}", p["series"],
                     _kib(p["bytes"]))
                for p in pages.values()
            ),
            _row(f"`stats.sheet_lines(unsubmitted_only=True)`, {m['unsubmitted_lines']:,} sheets (part of the export)",
                 m["lines"]),
            _row(f"xlsx export GET (`xlsx=1`): {rows} rows", m["xlsx"], _kib(m["xlsx_bytes"])),
            *(
                [
                    _row("for comparison, JIT on for the connection: `stats.completion_report`", jit_on["report"]),
                    _row("for comparison, JIT on for the connection: page GET, first page", jit_on["page"]),
                    _row("for comparison, JIT on for the connection: xlsx export GET", jit_on["xlsx"]),
                ]
                if jit_on
                else []
            ),
            "",
            "No target is given by the issue: the figures are reported. A page GET is the whole request through the "
            "middleware (session, actor, login checks), the filter form (years and semesters in reach, the units of "
            "`don_vi`), `completion_report` over every school in reach (all schools are counted and sorted; 50 a "
            "page are rendered) and the template with the site's shell; the export GET builds the per-school, "
            "per-grade and unsubmitted-sheet sheets of the whole province. The query counts do not depend on the "
            "number of schools (pinned in tests/students/test_oversight.py). "
            f"PostgreSQL's share of the first page (the time inside its statements): {db_share:.0%}. "
            f"The slowest statement of `completion_report` (on `{x['table']}`: "
            "the assignments grouped by school, grade and the sheet's stage, the stage a correlated subquery per "
            "assignment without `ScoreSheet`'s default ordering, one probe of the sheet's unique index), run again "
            f"under EXPLAIN ANALYZE with the session's JIT setting ({jit['session']}): "
            f"{_explained(x, jit['thresholds'])}; "
            f"the slowest of the unsubmitted lines (on `{xl['table']}`, the same subquery twice): "
            f"{_explained(xl, jit['thresholds'])}."
            + (
                " The comparison rows (`--compare-jit`) run the same calls with `SET jit = on` on the connection "
                f"(then `RESET jit`, back to the session's `jit = {jit['session']}`): the first page takes "
                f"{_s(jit_on['page'][0]['median'])} with JIT on against {_s(first[0]['median'])} with JIT as "
                f"configured ({jit['session']}), {jit_on['page'][0]['median'] / first[0]['median']:.0%} of that time."
                if jit_on
                else ""
            ),
            MARK_END,
        ]
    )  # fmt: skip


def main() -> None:
    name = _check_database()
    import django

    django.setup()
    actor = _actor(_option("--user", SO_USERNAME))
    year, semester = _period(actor)
    size = data_size(actor, year, semester)
    print(f"Database {name!r}: {actor!r}, {year}–{year + 1} semester {semester}: {size}", flush=True)
    if "--profile" in sys.argv[1:]:
        profile(actor, year, semester)
        return
    from students import stats

    m = measure(actor, year, semester)
    m["jit"] = jit_settings()
    print(f"  JIT: {m['jit']['line']}", flush=True)
    m["explain"] = explain_slowest(lambda: stats.completion_report(actor, year, semester))
    print(f"  slowest statement of completion_report, explained: {m['explain']}", flush=True)
    m["explain_lines"] = explain_slowest(lambda: stats.sheet_lines(actor, year, semester, unsubmitted_only=True))
    print(f"  slowest statement of sheet_lines, explained: {m['explain_lines']}", flush=True)
    path = write_report(report(machine(), actor, year, semester, size, m), MARK_START, MARK_END)
    print(f"Written to {path}")


if __name__ == "__main__":
    main()
