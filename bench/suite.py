"""The benchmark suite (issue 10, point 2): ``make bench``.

    BENCH_PROVINCE_URL=postgres://…/sms_bench_province .venv/bin/python bench/suite.py [--rebuild] [--only NAME …]

Runs every benchmark, each in its own process, and writes bench/RESULTS.md: each benchmark its own section
(median and spread of several runs, the machine, the date), and this suite a summary at the top (the machine,
the commit, how long each step took, whether it passed).

The steps, in order:

- ``province``: the province data set (bench/province.py) in ``BENCH_PROVINCE_URL``, built when that database
  does not hold one (or with ``--rebuild``; the database is then WIPED);
- ``students``: a grade-sheet save and the year results of the 1,512-learner school, on the province
  (bench/students_bench.py --province);
- ``oversight``: the Sở's grade-entry completion page over all schools, on the province (bench/oversight_bench.py);
- ``import``: a 10,000-row learner xlsx import into a school of the province (bench/import_bench.py --province);
- ``recordbook``: the record books of a 45-learner class as one PDF (bench/recordbook_bench.py, its own
  database ``BENCH_RECORDBOOK_URL``, kept between runs);
- ``diplomas``: the diploma register of a 600-graduate round (bench/diplomas_bench.py, ``BENCH_DIPLOMAS_URL``);
- ``portal``: the three public lookups, the bare Django ORM view and raw ``pgbench -S`` under wrk load in the
  same rounds, with the ratios (bench/portal_bench.py, ``BENCH_DATABASE_URL``; ``--portal-args`` passes options).

The databases of the module benchmarks are their own: each is WIPED when it does not hold that benchmark's data
set. A failed step is reported and the others still run; the suite then exits non-zero.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.students_bench import cpu_model  # noqa: E402 - after the path is set

PY = sys.executable
MARK_START = "<!-- suite:start -->"
MARK_END = "<!-- suite:end -->"
SERVER = "postgres://postgres@127.0.0.1:5432/"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")  # the other sections' time zone (the settings')


def _url(variable: str, name: str) -> str:
    return os.environ.get(variable) or SERVER + name


def steps(args) -> list[tuple[str, list[str], str]]:
    """(name, command, database URL) of every step but the province's."""
    province = _url("BENCH_PROVINCE_URL", "sms_bench_province")
    recordbook, diplomas = (
        _url("BENCH_RECORDBOOK_URL", "sms_bench_recordbook"),
        _url("BENCH_DIPLOMAS_URL", "sms_bench_diplomas"),
    )
    portal = _url("BENCH_DATABASE_URL", "sms_bench_portal")
    return [
        ("students", [PY, "bench/students_bench.py", "--province"], province),
        ("oversight", [PY, "bench/oversight_bench.py"], province),
        ("import", [PY, "bench/import_bench.py", "--province"], province),
        ("recordbook", [PY, "bench/recordbook_bench.py", "--reuse"], recordbook),
        ("diplomas", [PY, "bench/diplomas_bench.py", "--reuse"], diplomas),
        ("portal", [PY, "bench/portal_bench.py", *shlex.split(args.portal_args)], portal),
    ]  # fmt: skip


def province_built(url: str) -> dict | None:
    """What bench/province.py recorded of the province in ``url`` (its size and build time), or None."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            row = conn.execute(
                "SELECT to_regclass('bench_province_build') IS NOT NULL "
                "AND EXISTS (SELECT 1 FROM org_unit WHERE code = 'C2-BENCH')"
            ).fetchone()
            if not row[0]:
                return None
            built_at, seconds, args, counts = conn.execute(
                "SELECT built_at, seconds, args, counts FROM bench_province_build ORDER BY built_at DESC LIMIT 1"
            ).fetchone()
    except (psycopg.Error, TypeError):
        return None
    return {"built_at": built_at, "seconds": seconds, "args": args, "counts": counts}


def run(name: str, command: list[str], url: str) -> dict:
    print(f"\n=== {name}: {' '.join(command[1:])}  (DATABASE_URL={url})", flush=True)
    env = {**os.environ, "DATABASE_URL": url}
    when = dt.datetime.now(TZ)
    started = time.perf_counter()
    code = subprocess.call(command, cwd=ROOT, env=env)
    elapsed = time.perf_counter() - started
    print(f"=== {name}: {'passed' if code == 0 else f'FAILED (exit {code})'} in {elapsed:.0f} s", flush=True)
    return {"name": name, "code": code, "seconds": elapsed, "command": " ".join(command[1:]), "when": when}


def machine() -> str:
    cpu = cpu_model()
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB memory"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} CPU ({cpu}){memory}, Python {sys.version.split()[0]}"


def _commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout
        return out.stdout.strip() + (" (with uncommitted changes)" if dirty.strip() else "")
    except OSError:
        return "unknown"


def _earlier_rows() -> dict[str, str]:
    """The table rows of the summary now in bench/RESULTS.md, by step: a run of some steps (``--only``,
    ``--skip``) keeps the others' rows, with the date they ran."""
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text() if path.exists() else ""
    if MARK_START not in text or MARK_END not in text:
        return {}
    section = text.split(MARK_START, 1)[1].split(MARK_END, 1)[0]
    date = next((line[8:24] for line in section.splitlines() if line.startswith("- Date: ")), "—")
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("| ") or cells[0] in ("step", "---"):
            continue
        if len(cells) == 4:  # a summary from before the "ran" column: the date of that run
            cells.insert(3, date)
        if len(cells) == 5:
            rows[cells[0]] = "| " + " | ".join(cells) + " |"
    return rows


def _earlier_province_line() -> str | None:
    """The summary's line on the province data set now in bench/RESULTS.md: kept by a run of steps that need
    no province on a machine that has none (the kept rows ran on it)."""
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text() if path.exists() else ""
    if MARK_START not in text or MARK_END not in text:
        return None
    section = text.split(MARK_START, 1)[1].split(MARK_END, 1)[0]
    return next((line for line in section.splitlines() if line.startswith("- Province data set")), None)


def report(started: dt.datetime, results: list[dict], province: dict | None, order: list[str]) -> str:
    lines = [
        MARK_START,
        "## The suite — `make bench` (bench/suite.py)",
        "",
        f"- Date: {started:%d/%m/%Y %H:%M %Z}; commit {_commit()}",
        f"- Machine: {machine()}; the benchmarks, PostgreSQL, Redis and wrk share it",
    ]
    if province:
        counts = province["counts"] or {}
        lines.append(
            f"- Province data set (`bench/province.py{' ' + province['args'] if province['args'] else ''}`): "
            f"{counts.get('schools', '?')} schools, {counts.get('learners', 0):,} learners, "
            f"{counts.get('scores', 0):,} scores, {counts.get('candidates', 0):,} exam candidates, "
            f"{counts.get('diplomas', 0):,} diplomas; built {province['built_at']:%d/%m/%Y} in "
            f"{province['seconds'] / 60:.1f} min"
        )
    elif earlier := _earlier_province_line():
        lines.append(earlier)
    lines += [
        "",
        "| step | what | result | ran | wall time |",
        "| --- | --- | --- | --- | --- |",
    ]
    now = {r["name"]: r for r in results}
    earlier = _earlier_rows()
    for name in order:
        r = now.get(name)
        if r is None:
            if name in earlier:
                lines.append(earlier[name])  # not run this time: its row from the run that did
            continue
        verdict = "passed" if r["code"] == 0 else f"**FAILED** (exit {r['code']})"
        ran = f"{r['when']:%d/%m/%Y %H:%M}" if r.get("when") else "—"
        lines.append(f"| {r['name']} | `{r['command']}` | {verdict} | {ran} | {r['seconds'] / 60:.1f} min |")
    lines += [
        "",
        "Each benchmark's section below has its figures (median and spread of its runs) and says what is timed. A "
        'step run again on its own (`make bench SUITE_ARGS="--only …"`) replaces its row and its section; the '
        "others keep theirs, with the time they ran.",
        MARK_END,
    ]
    return "\n".join(lines)


def write_summary(text: str) -> None:
    """The suite's section goes at the top of bench/RESULTS.md (after its heading), or replaces itself."""
    path = ROOT / "bench" / "RESULTS.md"
    old = path.read_text() if path.exists() else "# Benchmark results\n\nSee bench/README.md for how these are run.\n"
    if MARK_START in old and MARK_END in old:
        head, rest = old.split(MARK_START, 1)
        new = head + text + rest.split(MARK_END, 1)[1]
    else:
        first_section = old.find("<!--")
        new = old[:first_section] + text + "\n\n" + old[first_section:] if first_section >= 0 else old + "\n" + text
    path.write_text(new)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="The benchmark suite: every benchmark, RESULTS.md.")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the province even if it is there")
    parser.add_argument("--only", nargs="+", metavar="STEP", help="run only these steps (province is built if missing)")
    parser.add_argument("--skip", nargs="+", default=[], metavar="STEP", help="leave these steps out")
    parser.add_argument("--province-args", default="", help="options for bench/province.py when it builds")
    parser.add_argument("--portal-args", default="--reuse --rounds 5 --duration 10", help="options for portal_bench.py")
    args = parser.parse_args(argv)
    started = dt.datetime.now(TZ)
    plan = steps(args)
    known = {name for name, _, _ in plan}
    unknown = (set(args.only or []) | set(args.skip)) - known - {"province"}
    if unknown:
        parser.error(
            f"no step {', '.join(sorted(unknown))}: the steps are province, {', '.join(n for n, _, _ in plan)}"
        )
    wanted = [s for s in plan if (not args.only or s[0] in args.only) and s[0] not in args.skip]
    results = []
    province_url = _url("BENCH_PROVINCE_URL", "sms_bench_province")
    needs_province = any(url == province_url for _, _, url in wanted)
    province = province_built(province_url)
    if "province" not in args.skip and (args.rebuild or (needs_province and province is None)):
        results.append(run("province", [PY, "bench/province.py", *shlex.split(args.province_args)], province_url))
        province = province_built(province_url)
    for name, command, url in wanted:
        if url == province_url and province is None:
            results.append({"name": name, "code": "no province", "seconds": 0.0, "command": " ".join(command[1:])})
            continue
        results.append(run(name, command, url))
    write_summary(report(started, results, province, ["province", *(name for name, _, _ in plan)]))
    failed = [r["name"] for r in results if r["code"] != 0]
    print(f"\nbench/RESULTS.md written. {'Failed: ' + ', '.join(failed) if failed else 'Every step passed.'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
