"""Benchmark of issue 9 point 4: results day — the three public lookups against a bare Django view, over HTTP.

    make bench-portal
    # or, with the tools already there:
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sms_bench_portal .venv/bin/python bench/portal_bench.py \
        [--reuse] [--rounds 5] [--duration 15] [--connections 8] [--threads 2] [--workers N] [--no-extra]

WARNING: the database named by ``DATABASE_URL`` is WIPED (its ``public`` schema dropped) and rebuilt. Give it a
database of its own (it is created if missing); the script refuses SQLite and any database whose name starts with
``test_``. ``--reuse`` measures again on the store an earlier run left (no wipe, no rebuild).

What it needs: PostgreSQL (``DATABASE_URL``), Redis (``REDIS_URL``, default ``redis://127.0.0.1:6379/13``; when
nothing answers there and ``redis-server`` is installed, the script starts a private one on a free port, without
persistence, and stops it at the end), Debian's ``wrk`` (the make target installs it when missing), gunicorn (a
dependency of the project). Not part of ``make test`` nor CI.

1. The store. It writes the precomputed store of published items (``PublishedRecord``) with COPY, in the shapes
   the modules publish: 150,000 learners' published school year ("student-results", key the learner code, secrets
   the birth date and the record book's lookup code; one item per period — semester I, semester II, the year — with
   12 subjects, learning and conduct ratings, outcome and title: 450,000 items of ~2.5 KB, a lookup answers the
   learner's three), 20,000 candidates of an admission exam ("exam-scores", key "<exam id>/<number>", secrets the
   birth date and the ticket's code; marks, admission score and outcome) and 50,000 diplomas ("diploma-serial", key
   the serial, no secret; and "diploma-name", key the name, secret the birth date, as the diploma module writes
   both), under 40 schools of a Sở. Keys and digests come from the modules' own key functions and
   ``sms.portal.store.secret_digest``, so the real lookup code finds them.
2. The server. gunicorn, sync workers (``--workers``, default 2 × CPUs + 1), settings ``bench.portal_settings``
   (the project's, DEBUG off, Django's Redis cache for the throttle's counters, the per-IP budget raised so that no
   429 distorts the figures while every lookup is still counted), URLconf ``bench.portal_urls`` (the project's
   routes plus the bare view ``/bench/tran/``: one ``PublishedRecord.objects.get(pk=...)`` behind the same
   middleware, and stand-in lookups on ``StoredLookup`` for routes not written yet).
3. The load. wrk on loopback (``--threads`` threads, ``--connections`` connections, ``--duration`` seconds a run),
   a Lua script POSTing JSON bodies that cycle through 20,000 real identifiers and birth dates (drawn at random
   from the store), against the bare view and each lookup: ``/cong/ket-qua-hoc-tap/``, ``/cong/diem-thi/``,
   ``/cong/van-bang/tra-cuu/`` when that route answers the data set (a probe), else its stand-in under
   ``/bench/cong/`` (the report says which). Three extra targets (``--no-extra`` leaves them out): the bare view
   answering what a results lookup answers (a learner's three items, one ORM query), and the diploma stand-in with
   its log written by ``write_log`` and by a plain INSERT whose commit waits for the disk. A warm-up run of each
   first, then ``--rounds`` rounds, each running every target in a rotated order (interleaved, so drift of the
   machine hits all alike). Per target: req/s, p50, p99 (median and min–max over rounds), non-2xx answers and socket
   errors; per lookup the ratio of its req/s to the bare view's (median over the rounds of the same-round ratio,
   and its spread). After each run the lookup log is read back: every lookup must be logged as found and not
   throttled. Target: ratio ≥ 0.8 and p99 < 50 ms.
4. Raw PostgreSQL in the same rounds (``--no-pgbench`` leaves it out): ``pgbench -S`` with wrk's clients and
   threads on a database of its own beside the bench's (``<name>_pgbench``, initialised at scale 10 the first
   time): its tps, and every target's req/s as a share of it — what HTTP, gunicorn and Django cost on top of the
   database's own work.

The figures are printed and written to bench/RESULTS.md (their own section, between markers) with the machine,
PostgreSQL's durability settings, the worker count and the date.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.portal_settings"
os.environ.setdefault("DEBUG", "false")  # as in production
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
os.environ.setdefault("REDIS_URL", DEFAULT_REDIS_URL)

from bench.students_bench import load_data, machine, write_report  # noqa: E402 - after the settings module is named

LEARNERS = 150_000
CANDIDATES = 20_000
DIPLOMAS = 50_000
SCHOOLS = 40
SAMPLE = 20_000  # identifiers each wrk script cycles through
TARGET_RATIO = 0.8
TARGET_P99_MS = 50.0
MARK_START = "<!-- portal_bench:start -->"
MARK_END = "<!-- portal_bench:end -->"

KIND_RESULTS = "student-results"
KIND_SCORES = "exam-scores"
KIND_DIPLOMAS = "diploma-serial"
KIND_DIPLOMA_NAMES = "diploma-name"
START_YEAR = 2025
EXAM_ID = 7  # the exam's id in the scores' keys: the JSON lookup reads the store only, never the exam table
EXAM_NAME = "Kỳ thi tuyển sinh vào lớp 10 THPT năm học 2026–2027"
PUBLISHED_AT = "2026-05-30T08:00:00+07:00"

SUBJECTS = [
    ("toan", "Toán", True),
    ("ngu-van", "Ngữ văn", True),
    ("ngoai-ngu-1", "Ngoại ngữ 1", True),
    ("gdcd", "Giáo dục công dân", True),
    ("ls-dl", "Lịch sử và Địa lí", True),
    ("khtn", "Khoa học tự nhiên", True),
    ("cong-nghe", "Công nghệ", True),
    ("tin-hoc", "Tin học", True),
    ("gd-dia-phuong", "Nội dung giáo dục của địa phương", True),
    ("gdtc", "Giáo dục thể chất", False),
    ("nghe-thuat", "Nghệ thuật", False),
    ("hdtn", "Hoạt động trải nghiệm, hướng nghiệp", False),
]
PERIODS = [("hk1", "Học kỳ I"), ("hk2", "Học kỳ II"), ("cn", "Cả năm")]
LEVELS = [("tot", "Tốt"), ("kha", "Khá"), ("dat", "Đạt"), ("chua_dat", "Chưa đạt")]
PLACES = ["Hoa Lư", "Gia Viễn", "Nho Quan", "Yên Khánh", "Kim Sơn", "Tam Điệp", "Yên Mô", "Ninh Bình"]

#: the three lookups: the real route, and the stand-in benched when the real one does not answer the data set
LOOKUPS = {
    "results": {"kind": KIND_RESULTS, "real": "/cong/ket-qua-hoc-tap/", "stand_in": "/bench/cong/ket-qua-hoc-tap/",
                "label": "results: learner code + date of birth"},
    "scores": {"kind": KIND_SCORES, "real": "/cong/diem-thi/", "stand_in": "/bench/cong/diem-thi/",
               "label": "exam scores: exam + candidate number + date of birth"},
    "diplomas": {"kind": KIND_DIPLOMAS, "real": "/cong/van-bang/tra-cuu/", "stand_in": "/bench/cong/van-bang/tra-cuu/",
                 "label": "diplomas: serial number"},
}  # fmt: skip
BARE = "/bench/tran/"
#: extra targets: the bare view answering a learner's items (what a results lookup answers, without the portal's
#: machinery), and the diploma stand-in as is (write_log: one round trip, asynchronous commit) and with a plain INSERT
BARE_ITEMS = "/bench/tran/nhieu/"
LOG_VARIANTS = {"log-async": "/bench/cong/van-bang/tra-cuu/", "log-fsync": "/bench/cong/van-bang/tra-cuu-ghi-dong-bo/"}
EXTRAS = {"bare-items": BARE_ITEMS, **LOG_VARIANTS}

WRK_SCRIPT = r"""
-- POST a JSON body per request, cycling through the lines of the file given after "--".
local threads = {}
local count = 0
function setup(thread)
  count = count + 1
  thread:set("id", count)
  table.insert(threads, thread)
end
function init(args)
  bodies = {}
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  n = #bodies
  i = ((id - 1) * 7919) % n
  bad = 0
  headers = {["Content-Type"] = "application/json", ["Accept"] = "application/json"}
end
function request()
  i = i % n + 1
  return wrk.format("POST", nil, headers, bodies[i])
end
function response(status, hdrs, body)
  if status ~= 200 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local bads = 0
  for _, t in ipairs(threads) do bads = bads + t:get("bad") end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, '
    .. '"mean_us": %.1f, "non200": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, bads, e.connect, e.read, e.write, e.timeout))
end
"""


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuse", action="store_true", help="measure on the store an earlier run left")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of the unrecorded first run of each target")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument(
        "--only", choices=["bare", "pgbench", *LOOKUPS], action="append", help="bench only these targets"
    )
    parser.add_argument(
        "--no-pgbench",
        dest="pgbench",
        action="store_false",
        help="leave out raw `pgbench -S` (PostgreSQL's own select-only load, same clients, in the same rounds)",
    )
    parser.add_argument(
        "--no-extra",
        dest="extra",
        action="store_false",
        help="leave out the extra targets: the bare view answering a learner's items, and the diploma stand-in with "
        "the log's commit asynchronous (write_log) and waiting for the disk",
    )
    return parser.parse_args()


# --- the store ------------------------------------------------------------------------------------------------
# The payloads have the shapes the modules publish (students.services.portal.payload,
# exams.services.portal_scores.payload, exams.services.portal_diplomas.payload), with generated values.


def _date(rng: random.Random, first: int, last: int) -> dt.date:
    start = dt.date(first, 1, 1).toordinal()
    return dt.date.fromordinal(rng.randint(start, dt.date(last, 12, 31).toordinal()))


def _score(rng: random.Random, low: float = 3.0) -> str:
    return f"{min(10.0, max(low, rng.gauss(7.2, 1.3))):.1f}"


def _coded(pair) -> dict | None:
    return {"code": pair[0], "label": pair[1]} if pair else None


def learner_birth(key: str) -> dt.date:
    """A learner's date of birth, drawn from the learner code (2011–2014): the store keeps only its digest and the
    results' payload does not carry it, so the bodies of a later ``--reuse`` run compute it again."""
    return dt.date.fromordinal(dt.date(2011, 1, 1).toordinal() + zlib.crc32(key.encode()) % (4 * 365))


def results_payloads(rng, code: str, name: str, school_name: str) -> list[tuple[str, dict]]:
    """The three published periods of a learner's school year: (period, payload)."""
    grade = rng.choice((6, 7, 8, 9))
    class_name = f"{grade}A{rng.randint(1, 9)}"
    out = []
    for period, label in PERIODS:
        subjects = []
        for subject_code, subject_name, scored in SUBJECTS:
            passed = None if scored else rng.random() < 0.97
            subjects.append({
                "name": subject_name, "code": subject_code, "assessment": "scored" if scored else "comment",
                "average": _score(rng) if scored else None, "passed": passed, "level": None, "test_score": None,
                "retest_average": None, "retest_passed": None, "exempt": False,
            })  # fmt: skip
        year = period == "cn"
        learning = rng.choices(LEVELS, weights=(35, 40, 22, 3))[0]
        out.append((period, {
            "learner_code": code, "name": name, "school": school_name,
            "school_year": f"{START_YEAR}-{START_YEAR + 1}", "school_year_start": START_YEAR,
            "period": period, "period_label": label, "class": class_name, "grade": grade,
            "rule_set": {"code": "tt22", "label": "Thông tư 22/2021"}, "primary": False,
            "learning": _coded(learning), "learning_after_retest": None,
            "conduct": _coded(rng.choices(LEVELS[:3], weights=(80, 17, 3))[0]), "conduct_after_summer": None,
            "outcome": _coded(("len_lop", "Được lên lớp") if grade < 9 else ("hoan_thanh", "Hoàn thành chương trình"))
            if year else None,
            "title": _coded(("gioi", "Học sinh Giỏi") if learning[0] == "tot" else None) if year else None,
            "include_scores": True, "subjects": subjects, "published_at": PUBLISHED_AT,
        }))  # fmt: skip
    return out


def scores_payload(rng, number: str, name: str, birth: dt.date, school_name: str, high_schools, unit: str) -> dict:
    marks = [("ngu-van", "Ngữ văn", "2"), ("toan", "Toán", "2"), ("tieng-anh", "Tiếng Anh", "1")]
    subjects = [
        {"code": c, "name": n, "coefficient": k, "score": f"{rng.randint(2, 40) / 4:.2f}", "absent": False}
        for c, n, k in marks
    ]
    total = sum(float(s["score"]) * int(s["coefficient"]) for s in subjects)
    admitted = rng.random() < 0.75
    return {
        "exam": {"id": EXAM_ID, "name": EXAM_NAME, "kind": "admission_10", "kind_display": "Tuyển sinh lớp 10",
                 "unit": unit, "published_at": PUBLISHED_AT},
        "number": number, "full_name": name, "birth_date": birth.isoformat(), "school": school_name,
        "class_name": f"9A{rng.randint(1, 9)}", "subjects": subjects,
        "admission": {
            "score": f"{total:.2f}", "priority_points": rng.choice((None, None, "0.5", "1.0")),
            "bonus_points": rng.choice((None, None, None, "1.0")), "decided": True,
            "status": "admitted" if admitted else "not_admitted",
            "status_display": "Trúng tuyển" if admitted else "Không trúng tuyển",
            "school": rng.choice(high_schools) if admitted else None,
            "choice": rng.choice((1, 1, 1, 2)) if admitted else None, "direct": False,
        },
    }  # fmt: skip


def diploma_payload(rng, serial: str, name: str, female: bool, birth: dt.date, issuer: str) -> dict:
    year = birth.year + 15
    status = rng.choices(("valid", "corrected", "revoked"), weights=(96, 3, 1))[0]
    return {
        "kind": "thcs", "kind_display": "Bằng tốt nghiệp trung học cơ sở", "serial": serial,
        "entry_label": f"{rng.randint(1, 2400)}/THCS/{year}", "full_name": name, "birth_date": birth.isoformat(),
        "birthplace": f"{rng.choice(PLACES)}, Ninh Bình", "sex": "F" if female else "M",
        "sex_display": "Nữ" if female else "Nam", "graduation_year": year, "issuer": issuer,
        "signer_title": "Trưởng phòng", "signer_name": "Nguyễn Văn Bình", "issued_on": f"{year}-07-15",
        "place": "Hoa Lư", "status": status,
        "status_display": {"valid": "Có hiệu lực", "corrected": "Có hiệu lực, đã chỉnh sửa",
                           "revoked": "Đã thu hồi"}[status],
        "corrections": [{"decision_number": f"{rng.randint(1, 300)}/QĐ-PGDĐT", "decision_date": f"{year + 1}-03-02",
                         "fields": ["birth_date"], "fields_display": ["Ngày sinh"]}] if status == "corrected" else [],
        "revocation": {"decision_number": f"{rng.randint(1, 300)}/QĐ-SGDĐT", "decision_date": f"{year + 2}-01-10",
                       "reason": "wrong_person", "reason_display": "Cấp cho người không đủ điều kiện"}
        if status == "revoked" else None,
    }  # fmt: skip


def build(rng: random.Random) -> dict:
    from django.db import connection
    from django.utils import timezone

    from exams.services.portal_diplomas import name_key, serial_key
    from exams.services.portal_scores import candidate_key
    from sms.accounts.roles import UnitKind
    from sms.names import person_name
    from sms.org.models import Unit
    from sms.org.rules import SchoolType
    from sms.portal import store
    from sms.portal.codes import LOOKUP_CODE_ALPHABET
    from sms.portal.models import PublishedRecord
    from students.services.portal import key_of, rank

    started = time.perf_counter()
    so = Unit.objects.create(kind=UnitKind.SO, code="SO-BENCH", name="Sở Giáo dục và Đào tạo tỉnh Ninh Bình")
    phong = Unit.objects.create(kind=UnitKind.PHONG, code="PHONG-BENCH", name="Phòng GD&ĐT Hoa Lư", parent=so)
    schools = []
    for i in range(SCHOOLS):
        name = f"Trường THCS {PLACES[i % len(PLACES)]} số {i // len(PLACES) + 1}"
        unit = Unit.objects.create(
            kind=UnitKind.SCHOOL, school_type=SchoolType.C2, code=f"C2BENCH{i:03d}", name=name, parent=phong
        )
        schools.append((unit.pk, unit.name))
    high_schools = [f"Trường THPT {place} {suffix}" for place in PLACES for suffix in ("A", "B")]
    now = timezone.now()
    columns = "kind, key, ref, secrets, payload, unit_id, rank, visible_from, updated_at"
    counts: dict[str, int] = {}
    sizes: dict[str, list[int]] = {}

    def code() -> str:
        return "".join(rng.choice(LOOKUP_CODE_ALPHABET) for _ in range(8))

    def rows():
        for n, serial in enumerate(rng.sample(range(10**8), LEARNERS), 1):
            school_id, school_name = rng.choice(schools)
            name, _ = person_name(rng)
            key = key_of(f"37{serial:08d}")
            secrets = [learner_birth(key), code()]
            for period, payload in results_payloads(rng, key, name, school_name):
                yield KIND_RESULTS, key, f"{n}/{period}", secrets, payload, school_id, rank(START_YEAR, period)
        for n in range(1, CANDIDATES + 1):
            _, school_name = rng.choice(schools)
            name, _ = person_name(rng)
            birth, number = _date(rng, 2011, 2011), f"{n:06d}"
            payload = scores_payload(rng, number, name, birth, school_name, high_schools, so.name)
            yield KIND_SCORES, candidate_key(EXAM_ID, number), n, [birth, code()], payload, so.pk, 0
        for n in range(1, DIPLOMAS + 1):
            name, female = person_name(rng)
            birth = _date(rng, 2000, 2011)
            payload = diploma_payload(rng, serial_key(f"B {n + 100_000:07d}"), name, female, birth, phong.name)
            yield KIND_DIPLOMAS, payload["serial"], n, [], payload, phong.pk, 0
            yield KIND_DIPLOMA_NAMES, name_key(name), n, [birth], payload, phong.pk, 0

    with connection.cursor() as cursor:
        table = PublishedRecord._meta.db_table
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for kind, key, ref, secrets, payload, unit_id, rank_ in rows():
                digests = sorted({store.secret_digest(kind, key, s) for s in secrets})
                text = json.dumps(payload, ensure_ascii=False)
                copy.write_row((kind, key, str(ref), json.dumps(digests), text, unit_id, rank_, None, now))
                counts[kind] = counts.get(kind, 0) + 1
                if len(sizes.setdefault(kind, [])) < 3000:
                    sizes[kind].append(len(text.encode()))
        cursor.execute(f"VACUUM (ANALYZE) {table}")
    return {
        "counts": counts,
        "payload_bytes": {kind: statistics.median(values) for kind, values in sizes.items()},
        "build_seconds": time.perf_counter() - started,
    }


def reuse() -> dict | None:
    from django.db.models import Count

    from sms.portal.models import PublishedRecord

    counts = dict(PublishedRecord.objects.values_list("kind").annotate(n=Count("pk")).order_by())
    if not all(counts.get(spec["kind"]) for spec in LOOKUPS.values()):
        return None
    return {"counts": counts, "payload_bytes": _payload_sizes(), "build_seconds": None}


def _payload_sizes() -> dict[str, float]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT kind, percentile_cont(0.5) WITHIN GROUP (ORDER BY octet_length(payload::text)) "
            "FROM (SELECT kind, payload FROM portal_publishedrecord TABLESAMPLE SYSTEM (2)) s GROUP BY kind"
        )
        return dict(cursor.fetchall())


# --- the request bodies -----------------------------------------------------------------------------------------


def _dmy(iso: str) -> str:
    return dt.date.fromisoformat(iso).strftime("%d/%m/%Y")


def bodies(rng: random.Random) -> dict[str, list[dict]]:
    """SAMPLE request bodies per target, in random order: real identifiers of each kind with their birth dates
    (read back from the published payloads: the stored secrets are digests), in the fields of the modules' forms;
    for the bare view, primary keys of the store."""
    from sms.portal.models import PublishedRecord

    out: dict[str, list[dict]] = {}
    for name, spec in LOOKUPS.items():
        keys = list(PublishedRecord.objects.filter(kind=spec["kind"]).values_list("key", flat=True).distinct())
        chosen = rng.sample(keys, min(SAMPLE, len(keys)))
        rows = dict(PublishedRecord.objects.filter(kind=spec["kind"], key__in=chosen).values_list("key", "payload"))
        items = []
        for key in chosen:
            payload = rows[key]
            if name == "results":
                items.append({"learner_code": key, "secret": learner_birth(key).strftime("%d/%m/%Y")})
            elif name == "scores":
                exam, number = key.split("/", 1)
                items.append({"exam": exam, "number": number, "secret": _dmy(payload["birth_date"])})
            else:
                items.append({"serial": key})
        out[name] = items
    pks = list(PublishedRecord.objects.values_list("pk", flat=True))
    out["bare"] = [{"pk": pk} for pk in rng.sample(pks, min(SAMPLE, len(pks)))]
    out["bare-items"] = [{"kind": KIND_RESULTS, "key": body["learner_code"]} for body in out["results"]]
    return out


# --- servers ----------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def redis_server():
    """The REDIS_URL given (or the default), or a private redis-server when nothing answers there."""
    import redis

    url = os.environ["REDIS_URL"]
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        yield url, "given"
        return
    except redis.RedisError:
        if url != DEFAULT_REDIS_URL or not shutil.which("redis-server"):
            sys.exit(f"Redis does not answer at {url}: start one, set REDIS_URL, or install redis-server.")
    port = _free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        for _ in range(50):
            with contextlib.suppress(redis.RedisError):
                redis.Redis.from_url(url).ping()
                break
            time.sleep(0.1)
        os.environ["REDIS_URL"] = url
        yield url, "private"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)


@contextlib.contextmanager
def gunicorn(workers: int, log: Path):
    port = _free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.portal_settings", "DEBUG": "false"}
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn") if (ROOT / ".venv" / "bin" / "gunicorn").exists() else "gunicorn",
        "sms.wsgi:application",
        "--chdir", str(ROOT),
        "--bind", f"127.0.0.1:{port}",
        "--worker-class", "sync",
        "--workers", str(workers),
        "--backlog", "2048",
        "--log-level", "warning",
        "--error-logfile", str(log),
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    break
            if process.poll() is not None:
                sys.exit(f"gunicorn stopped: see {log}")
            time.sleep(0.2)
        else:
            sys.exit(f"gunicorn did not answer: see {log}")
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def _post(url: str, body: dict) -> tuple[int, dict | None]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None


def _answers(url: str, samples: list[dict]) -> bool:
    for body in samples:
        status, answer = _post(url, body)
        if status != 200 or not isinstance(answer, dict) or answer.get("found") is not True:
            return False
    return True


def choose_routes(base: str, samples: dict[str, list[dict]]) -> dict[str, dict]:
    """Per lookup: the module's route when it finds the bench's first 20 bodies, else the stand-in (which must)."""
    from django.urls import Resolver404, resolve

    chosen = {}
    for name, spec in LOOKUPS.items():
        try:
            view = resolve(spec["real"]).func
            view_name = getattr(getattr(view, "view_class", view), "__name__", "?")
        except Resolver404:
            view_name = None
        if view_name and _answers(base + spec["real"], samples[name][:20]):
            chosen[name] = {"path": spec["real"], "real": True, "view": view_name, "why": ""}
            continue
        why = (
            f"{spec['real']} ({view_name}) does not find the bench's bodies"
            if view_name
            else f"{spec['real']} does not exist yet"
        )
        if not _answers(base + spec["stand_in"], samples[name][:20]):
            sys.exit(f"Neither {spec['real']} nor the stand-in {spec['stand_in']} finds the bench's bodies.")
        chosen[name] = {"path": spec["stand_in"], "real": False, "view": "stand-in", "why": why}
    return chosen


# --- wrk --------------------------------------------------------------------------------------------------------


def wrk(url: str, body_file: Path, script: Path, *, threads: int, connections: int, seconds: int) -> dict:
    command = [
        "wrk", "--latency", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
        "-s", str(script), url, "--", str(body_file),
    ]  # fmt: skip
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    line = next((x for x in output.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        sys.exit(f"wrk printed no figures:\n{output}")
    figures = json.loads(line[len("BENCH ") :])
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    figures["errors"] = figures["connect"] + figures["read"] + figures["write"] + figures["timeout"]
    return figures


def _log_mark() -> int:
    from sms.portal.models import LookupLog

    return LookupLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def _log_since(mark: int) -> dict[str, int]:
    from django.db.models import Count, Q

    from sms.portal.models import LookupLog

    return LookupLog.objects.filter(pk__gt=mark).aggregate(
        rows=Count("pk"), misses=Count("pk", filter=Q(found=False)), throttled=Count("pk", filter=Q(throttled=True))
    )


def _ip_counter() -> int:
    """The per-IP counter of 127.0.0.1 for the current minute, read through the throttle's own cache."""
    from django.core.cache import cache

    from sms.portal import throttle

    number, _ = throttle._window(throttle.IP_WINDOW)
    return int(cache.get(f"{throttle._PREFIX}:ip:127.0.0.1:{number}") or 0)


# --- pgbench -S ----------------------------------------------------------------------------------------------------
PGBENCH_SCALE = 10  # 1,000,000 accounts: larger than shared_buffers' share of a table, smaller than memory


def _pgbench_target() -> list[str]:
    """pgbench's connection options for its own database beside the bench's (``<name>_pgbench``), initialised at
    scale ``PGBENCH_SCALE`` the first time."""
    from django.db import connection

    params = connection.settings_dict
    name = f"{params['NAME']}_pgbench"
    options = ["-h", params.get("HOST") or "127.0.0.1", "-p", str(params.get("PORT") or 5432)]
    options += ["-U", params.get("USER") or "postgres"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        exists = cursor.fetchone() is not None
        if not exists:
            cursor.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "PGPASSWORD": params.get("PASSWORD") or ""}
    check = subprocess.run(
        ["psql", *options, "-d", name, "-Atc", "SELECT count(*) FROM pgbench_branches"], capture_output=True, env=env
    )
    if check.returncode != 0 or check.stdout.strip() != str(PGBENCH_SCALE).encode():
        print(f"  initialising pgbench's database {name} (scale {PGBENCH_SCALE})", flush=True)
        subprocess.run(["pgbench", *options, "-i", "-q", "-s", str(PGBENCH_SCALE), name], check=True, env=env)
    return [*options, name]


def pgbench(target: list[str], *, threads: int, connections: int, seconds: int) -> dict:
    """``pgbench -S`` (one primary-key SELECT per transaction) with wrk's clients and threads: tps, mean latency."""
    command = ["pgbench", "-n", "-S", "-c", str(connections), "-j", str(threads), "-T", str(seconds), *target]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    tps = latency = None
    for line in done.stdout.splitlines():
        if line.startswith("tps = "):
            tps = float(line.split()[2])
        elif line.startswith("latency average = "):
            latency = float(line.split()[3])
    if tps is None or latency is None:
        sys.exit(f"pgbench printed no figures:\n{done.stdout}\n{done.stderr}")
    return {"tps": tps, "latency_ms": latency}


#: the processes whose CPU time a run is charged, by their command name (Linux's /proc)
CPU_GROUPS = {"gunicorn": "web workers", "postgres": "PostgreSQL", "redis-server": "Redis"}


def cpu_snapshot() -> dict | None:
    """CPU seconds (user + system) used so far by each process of the groups of ``CPU_GROUPS``, by wrk
    (this process's children waited for: a run's wrk) and by the whole machine (non-idle), or None where there is
    no /proc."""
    stat = Path("/proc/stat")
    if not stat.exists():
        return None
    tick = os.sysconf("SC_CLK_TCK")
    processes = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            text = Path(entry.path, "stat").read_text()
        except OSError:  # the process ended meanwhile
            continue
        group = text[text.index("(") + 1 : text.rindex(")")]
        if group in CPU_GROUPS:
            fields = text[text.rindex(")") + 2 :].split()
            # by (pid, start time): a pid used again by a new process is another process
            processes[(int(entry.name), fields[19])] = (group, (int(fields[11]) + int(fields[12])) / tick)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = [int(x) for x in stat.read_text().split("\n", 1)[0].split()[1:9]]
    return {
        "processes": processes,
        "wrk": children.ru_utime + children.ru_stime,
        "machine": (sum(cpu) - cpu[3] - cpu[4]) / tick,  # all but idle and iowait
    }


def cpu_per_request(before: dict | None, after: dict | None, requests: int) -> dict[str, float] | None:
    """Microseconds of CPU per request, by group, between two snapshots: each process's growth (a process that
    started meanwhile counts whole; one that ended meanwhile is left out, not subtracted)."""
    if before is None or after is None or not requests:
        return None
    used = dict.fromkeys(CPU_GROUPS, 0.0)
    for process, (group, seconds) in after["processes"].items():
        earlier = before["processes"].get(process)
        used[group] += seconds - (earlier[1] if earlier and earlier[0] == group else 0.0)
    used["wrk"] = after["wrk"] - before["wrk"]
    used["machine"] = after["machine"] - before["machine"]
    return {group: seconds / requests * 1e6 for group, seconds in used.items()}


def measure(args, samples: dict[str, list[dict]], base: str, routes: dict, work: Path) -> dict:
    script = work / "post.lua"
    script.write_text(WRK_SCRIPT)
    if args.pgbench and not shutil.which("pgbench"):
        print("  pgbench is missing (PostgreSQL's server package has it): raw pgbench -S left out", flush=True)
    everything = ["bare", *LOOKUPS, *(["pgbench"] if args.pgbench and shutil.which("pgbench") else [])]
    targets = everything if not args.only else [t for t in everything if t in args.only]
    paths = {"bare": BARE, **{name: route["path"] for name, route in routes.items()}}
    database = _pgbench_target() if "pgbench" in targets else []
    if args.extra and not args.only:
        targets += list(EXTRAS)
        paths.update(EXTRAS)
    files, urls = {}, {}
    for name in targets:
        if name == "pgbench":
            continue
        files[name] = work / f"{name}.jsonl"
        bodies_of = samples["diplomas" if name in LOG_VARIANTS else name]
        files[name].write_text("".join(json.dumps(body, ensure_ascii=False) + "\n" for body in bodies_of))
        urls[name] = base + paths[name]
    wrk_args = {"threads": args.threads, "connections": args.connections}
    print("  warm-up", flush=True)
    for name in targets:
        if name == "pgbench":
            pgbench(database, seconds=args.warmup, **wrk_args)
            continue
        wrk(urls[name], files[name], script, seconds=args.warmup, **wrk_args)
    runs: dict[str, list[dict]] = {name: [] for name in targets}
    for number in range(args.rounds):
        order = targets[number % len(targets) :] + targets[: number % len(targets)]
        for name in order:
            if name == "pgbench":
                figures = pgbench(database, seconds=args.duration, **wrk_args)
                runs[name].append(figures)
                print(
                    f"  round {number + 1} {name:10} {figures['tps']:8.1f} tps    mean {figures['latency_ms']:6.2f} ms",
                    flush=True,
                )
                continue
            mark = _log_mark()
            before = cpu_snapshot()
            figures = wrk(urls[name], files[name], script, seconds=args.duration, **wrk_args)
            figures["cpu_us"] = cpu_per_request(before, cpu_snapshot(), figures["requests"])
            figures["ip_counter"] = _ip_counter()
            figures["log"] = _log_since(mark)
            runs[name].append(figures)
            print(
                f"  round {number + 1} {name:10} {figures['rps']:8.1f} req/s  p50 {figures['p50_us'] / 1000:6.2f} ms  "
                f"p99 {figures['p99_us'] / 1000:6.2f} ms  non-2xx {figures['non200']}  errors {figures['errors']}  "
                f"log {figures['log']['rows']} rows, {figures['log']['misses']} misses",
                flush=True,
            )
    return runs


# --- the report -------------------------------------------------------------------------------------------------


def _stats(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def summarise(runs: dict[str, list[dict]]) -> dict:
    summary = {}
    bare = runs.get("bare")
    for name, figures in runs.items():
        if name == "pgbench":
            summary[name] = {
                "tps": _stats([f["tps"] for f in figures]),
                "latency": _stats([f["latency_ms"] for f in figures]),
            }
            continue
        row = {
            "rps": _stats([f["rps"] for f in figures]),
            "p50": _stats([f["p50_us"] / 1000 for f in figures]),
            "p99": _stats([f["p99_us"] / 1000 for f in figures]),
            "requests": sum(f["requests"] for f in figures),
            "non200": sum(f["non200"] for f in figures),
            "errors": sum(f["errors"] for f in figures),
            "log_rows": sum(f["log"]["rows"] for f in figures),
            "misses": sum(f["log"]["misses"] for f in figures),
            "throttled": sum(f["log"]["throttled"] for f in figures),
            "ip_counter": max(f["ip_counter"] for f in figures),
        }
        if all(f.get("cpu_us") for f in figures):
            row["cpu_us"] = {g: statistics.median(f["cpu_us"][g] for f in figures) for g in figures[0]["cpu_us"]}
        if bare and name != "bare":
            row["ratio"] = _stats([f["rps"] / b["rps"] for f, b in zip(figures, bare, strict=True)])
            row["ratio_of_medians"] = row["rps"]["median"] / statistics.median(b["rps"] for b in bare)
        if "pgbench" in runs:
            row["to_pgbench"] = _stats([f["rps"] / p["tps"] for f, p in zip(figures, runs["pgbench"], strict=True)])
        summary[name] = row
    return summary


def _pg_settings() -> dict[str, str]:
    from django.db import connection

    out = {}
    with connection.cursor() as cursor:
        for name in ("shared_buffers", "synchronous_commit", "fsync", "wal_sync_method", "max_connections"):
            cursor.execute(f"SHOW {name}")
            out[name] = cursor.fetchone()[0]
    return out


def _ms(stats: dict) -> str:
    return f"{stats['median']:.1f} ms ({stats['min']:.1f}–{stats['max']:.1f})"


def _cpu_lines(summary: dict) -> list[str]:
    """Where each request's CPU time goes, by process (median of the rounds): which process a lookup costs more
    than the bare view. (It moves with the machine's speed too, like req/s.)"""
    rows = {name: row["cpu_us"] for name, row in summary.items() if row.get("cpu_us") and name not in EXTRAS}
    if "bare" not in rows:
        return []
    groups = [*CPU_GROUPS, "wrk"]
    lines = [
        "",
        "CPU time per request (µs, user + system, median of the rounds), by process, read from /proc around each "
        "timed run; \"machine\" is every CPU's non-idle time (the kernel's loopback and interrupt work included), and "
        "its share against the bare view's is what the machine can serve of the target for each bare request:",
        "",
        "| target | " + " | ".join(CPU_GROUPS.get(g, g) for g in groups) + " | machine | bare ÷ target (machine) |",
        "| --- | " + " | ".join("---" for _ in groups) + " | --- | --- |",
    ]
    for name, cpu in rows.items():
        share = rows["bare"]["machine"] / cpu["machine"] if cpu["machine"] else 0
        lines.append(
            f"| {name} | " + " | ".join(f"{cpu[g]:,.0f}" for g in groups) + f" | {cpu['machine']:,.0f} | {share:.2f} |"
        )
    return lines


def report(info: dict, args, data: dict, routes: dict, summary: dict, redis_how: str) -> str:
    pg = info["pg_settings"]
    lines = [
        MARK_START,
        "## Portal (issue 9): results day — the three lookups against a bare view over HTTP — `bench/portal_bench.py`",
        "",
        f"- Date: {dt.datetime.now().astimezone():%d/%m/%Y %H:%M %Z}",
        f"- Machine: {info['nproc']} CPU ({info['cpu']}), PostgreSQL {info['postgres']} (shared_buffers "
        f"{pg['shared_buffers']}, fsync {pg['fsync']}, synchronous_commit {pg['synchronous_commit']}), Redis "
        f"{info['redis']} ({redis_how}), Python {info['python']}; load average when the runs ended: {info['load']}. "
        "wrk, gunicorn, PostgreSQL and Redis share the machine's CPUs",
        "- Data: the store (`PublishedRecord`, written with COPY) holds "
        + ", ".join(
            f'{count:,} "{kind}" items (payload median {data["payload_bytes"].get(kind, 0) / 1024:.1f} KiB)'
            for kind, count in sorted(data["counts"].items())
        )
        + f"; a results lookup answers a learner's {len(PERIODS)} published periods, the others one item"
        + (f" (built in {data['build_seconds']:.0f} s)" if data["build_seconds"] else " (data set of an earlier run)"),
        f"- Server: gunicorn {info['gunicorn']}, {args.workers} sync workers"
        + (" (2 × CPUs + 1)" if args.workers == 2 * (os.cpu_count() or 1) + 1 else "")
        + ", settings "
        "`bench.portal_settings` (the project's, DEBUG off, persistent database connections with health checks, "
        "Django's RedisCache for the throttle's counters, per-IP budget raised so no 429 distorts: every lookup is "
        "still counted)",
        f"- Load: wrk {info['wrk']} on loopback, {args.threads} threads, {args.connections} connections, "
        f"{args.duration} s a run, POSTing JSON bodies cycling through {SAMPLE:,} real identifiers and birth dates of "
        f"each kind (the bare view: {SAMPLE:,} store primary keys); a {args.warmup} s warm-up of each target, then "
        f"{args.rounds} rounds, each running every target in a rotated order. Median (min–max) over the rounds",
        "",
        "| target | route | req/s | p50 | p99 | ratio to bare (same round) | non-2xx | socket errors |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, row in summary.items():
        if name in EXTRAS or name == "pgbench":
            continue
        if name == "bare":
            label, path = "bare view: body parse + one `.get(pk=...)`, payload as JSON", BARE
        else:
            route = routes[name]
            label = f"lookup {LOOKUPS[name]['label']}"
            path = route["path"] + ("" if route["real"] else " (stand-in)")
        ratio = (
            f"{row['ratio']['median']:.2f} ({row['ratio']['min']:.2f}–{row['ratio']['max']:.2f})"
            if "ratio" in row else "1"
        )  # fmt: skip
        lines.append(
            f"| {label} | `{path}` | {row['rps']['median']:.0f} ({row['rps']['min']:.0f}–{row['rps']['max']:.0f}) "
            f"| {_ms(row['p50'])} | {_ms(row['p99'])} | {ratio} | {row['non200']} | {row['errors']} |"
        )
    lookups = [name for name in summary if name in LOOKUPS]
    met = {
        name: summary[name].get("ratio", {}).get("median", 0) >= TARGET_RATIO
        and summary[name]["p99"]["median"] < TARGET_P99_MS
        for name in lookups
    }
    verdicts = ", ".join(f"{name} **{'met' if ok else 'NOT met'}**" for name, ok in met.items())
    stand_ins = [f"{LOOKUPS[n]['real']} ({routes[n]['why']})" for n in lookups if not routes[n]["real"]]
    checks = "; ".join(
        f"{name}: {summary[name]['log_rows']:,} log rows for {summary[name]['requests']:,} requests, "
        f"{summary[name]['misses']} misses, {summary[name]['throttled']} throttled"
        for name in lookups
    )
    lines += [
        "",
        f"Target (ratio ≥ {TARGET_RATIO} of the bare view's req/s and p99 < {TARGET_P99_MS:.0f} ms, medians): "
        f"{verdicts}.",
        "",
        "Checks: every answer of the timed runs was read by wrk's script (status 200 expected); after each run the "
        f"lookup log was read back — {checks} (the log may hold a few more rows than wrk counted: requests in flight "
        "when a run ends are answered and logged but not counted). The per-IP counter of 127.0.0.1 was read from "
        f"Redis after each run (up to {max(summary[n]['ip_counter'] for n in lookups):,} in one minute): the "
        "throttle counts every lookup.",
    ]
    lines += _cpu_lines(summary)
    if "pgbench" in summary:
        raw = summary["pgbench"]
        against = "; ".join(
            f"{'the bare view' if name == 'bare' else name} {summary[name]['to_pgbench']['median']:.3f}"
            for name in summary
            if "to_pgbench" in summary[name] and name not in EXTRAS
        )
        lines += [
            "",
            f"Raw PostgreSQL in the same rounds: `pgbench -S` (one primary-key SELECT per transaction, scale "
            f"{PGBENCH_SCALE}, {args.connections} clients, {args.threads} threads, {args.duration} s) ran "
            f"{raw['tps']['median']:,.0f} tps ({raw['tps']['min']:,.0f}–{raw['tps']['max']:,.0f}), mean latency "
            f"{raw['latency']['median']:.2f} ms. Each target's req/s as a share of it (same round, median): "
            f"{against} — what HTTP, gunicorn and Django cost on top of the database's own work.",
        ]
    if "bare-items" in summary:
        row, results = summary["bare-items"], summary.get("results")
        lines += [
            "",
            "The size of the answer (same rounds): a results lookup answers a learner's three published periods "
            f"(~{3 * data['payload_bytes'].get(KIND_RESULTS, 0) / 1024:.0f} KiB of JSON, read and written again), the "
            "bare view one item. The bare view answering the same three items (one ORM query on (kind, key), "
            f"`{BARE_ITEMS}`, no throttle, no log, no form) serves {row['rps']['median']:.0f} req/s "
            f"({row['rps']['min']:.0f}–{row['rps']['max']:.0f}), p50 {_ms(row['p50'])}, p99 {_ms(row['p99'])}: "
            f"{row['ratio']['median']:.2f} of the one-item bare view"
            + (
                f"; against it the results lookup's ratio is {results['rps']['median'] / row['rps']['median']:.2f} "
                "— what the portal's machinery (form, throttle, log, headers) costs on top of the answer."
                if results
                else "."
            ),
        ]
    if all(name in summary for name in LOG_VARIANTS):
        fast, slow = summary["log-async"], summary["log-fsync"]
        lines += [
            "",
            "The log's commit (same rounds): the diploma stand-in as it is — `write_log` sends "
            "`BEGIN; SET LOCAL synchronous_commit TO OFF; EXECUTE …; COMMIT` as one text, its INSERT prepared once "
            "per session — against the same view "
            "writing its log row with a plain `LookupLog.objects.create` in autocommit (its commit waits for the WAL "
            "to reach the disk):",
            "",
            "| log write | route | req/s | p50 | p99 | ratio to bare (same round) |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for label, name in (("one round trip, asynchronous commit", "log-async"), ("plain INSERT, commit waits for "
                            "the disk", "log-fsync")):  # fmt: skip
            row = summary[name]
            lines.append(
                f"| {label} | `{LOG_VARIANTS[name]}` | {row['rps']['median']:.0f} ({row['rps']['min']:.0f}–"
                f"{row['rps']['max']:.0f}) | {_ms(row['p50'])} | {_ms(row['p99'])} | {row['ratio']['median']:.2f} "
                f"({row['ratio']['min']:.2f}–{row['ratio']['max']:.2f}) |"
            )
        lines += [
            "",
            f"The asynchronous commit gives {fast['rps']['median'] / slow['rps']['median']:.2f}× the req/s of the "
            f"plain INSERT (medians), p99 {fast['p99']['median']:.1f} ms against {slow['p99']['median']:.1f} ms.",
        ]
    if stand_ins:
        lines += [
            "",
            "Stand-ins: " + "; ".join(stand_ins) + ". A stand-in is a `StoredLookup` of `bench/portal_urls.py` "
            "(a form, the identifier, the date of birth, the store's kind): the same base, throttle, log and store "
            "path a module's lookup runs; what a module adds on top (its own result page, its payload) is not in "
            "these figures.",
        ]
    lines.append(MARK_END)
    return "\n".join(lines)


def _versions() -> dict[str, str]:
    import redis
    from django.conf import settings

    out = {}
    wrk_help = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    out["wrk"] = (wrk_help.stdout or wrk_help.stderr).split()[1] if (wrk_help.stdout or wrk_help.stderr) else "?"
    gunicorn = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-c", "import gunicorn; print(gunicorn.__version__)"],
        capture_output=True, text=True,
    )  # fmt: skip
    out["gunicorn"] = gunicorn.stdout.strip() or "?"
    out["redis"] = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"]).info("server")["redis_version"]
    return out


def main() -> None:
    args = _args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: `make bench-portal` installs it (Debian's package), or apt-get install wrk.")
    with redis_server() as (redis_url, redis_how):
        data = load_data(build, reuse, 20261126)
        if data["build_seconds"]:
            print(f"  store built in {data['build_seconds']:.0f} s: {data['counts']}", flush=True)
        samples = bodies(random.Random(20261127))
        with tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp:
            work = Path(tmp)
            with gunicorn(args.workers, work / "gunicorn.log") as base:
                routes = choose_routes(base, samples)
                for name, route in routes.items():
                    print(f"  {name}: {route['path']}" + ("" if route["real"] else f" (stand-in: {route['why']})"))
                runs = measure(args, samples, base, routes, work)
            log = (work / "gunicorn.log").read_text()
        summary = summarise(runs)
        info = {**machine(), **_versions(), "pg_settings": _pg_settings()}
    for name, row in summary.items():
        if name == "pgbench":
            print(f"{name:9} {row['tps']['median']:8.1f} tps    mean {row['latency']['median']:.2f} ms")
            continue
        ratio = f"  ratio {row['ratio']['median']:.2f}" if "ratio" in row else ""
        ratio += f"  to pgbench {row['to_pgbench']['median']:.3f}" if "to_pgbench" in row else ""
        print(f"{name:9} {row['rps']['median']:8.1f} req/s  p50 {_ms(row['p50'])}  p99 {_ms(row['p99'])}{ratio}")
    if log.strip():
        print("gunicorn's error log:\n" + log[-3000:])
    if args.only:
        print("Not written to bench/RESULTS.md (--only).")
        return
    path = write_report(report(info, args, data, routes, summary, redis_how), MARK_START, MARK_END)
    print(f"Written to {path}")


if __name__ == "__main__":
    main()
