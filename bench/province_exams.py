"""The exams and diplomas of the benchmark province (``make bench-data``, bench/province.py): COPY only.

``load(loader, province, rng, candidates=20000)`` writes, with ``bench.bulk.Loader`` (one COPY per table, ids handed
out by the loader, no ``Model.save``, no signal, no history row), what the module's services would have left:

1. The Sở's grade-10 admission exam of the year (``Exam``: kind admission_10, ``setup.kind_defaults`` and
   ``setup.default_subjects`` — Toán and Ngữ văn double marked, Tiếng Anh marked once —, the default
   priority / bonus / direct table ``rules.DEFAULT_POINT_RULES``), finished and published:

   - its board: the Sở specialist ``bench.so`` as chair, two Sở specialists as the secretariat, markers who teach
     at upper-secondary schools and invigilators from schools that send no candidate (accounts and memberships
     written here: the province has no teacher accounts);
   - ``candidates`` candidates: the province's grade-9 learners (a sample when there are more; the rest free
     candidates with their own names and birth dates when there are fewer), registered as ``register_students``
     copies them (identity, class, the tie-break values of the approved year result when there is one), numbered
     as ``assign_numbers`` does (Vietnamese name order, then birth date: ``rules.candidate_numbers``), seated as
     ``place_candidates`` does (``rules.split_rooms`` over the sites' rooms, number order), the rooms watched as
     ``assign_invigilators`` does (``rules.assign_invigilators``); priority, bonus and direct-admission claims for a
     realistic share; up to three choices among the upper-secondary schools, each with a quota;
   - the scripts (``rules.new_codes``), their keys, the marks of the marking rounds (rounds 1 and 2 of the
     double-marked subjects, a third mark where the two differ by more than the threshold, round 1 of the other),
     each script final as ``rules.reconcile`` / ``rules.single`` says, or absent; the matched scores
     (``CandidateScore``);
   - the allocation as ``admission.run_allocation`` writes it: admission score by ``rules.admission_score`` (or
     excluded by ``rules.disqualification``), the outcome by ``rules.allocate`` with the exam's margins and
     tie-breaks, the quotas' cut-offs and admitted counts — so ``admission.allocation_is_current`` holds and
     ``publication.readiness`` is empty;
   - the publication (``results_publish_at`` in the past) and, with ``publish``, the portal's store items as
     ``schedule_publication`` writes them (``portal_scores.records``' items, built by its ``payload``).

2. The THCS graduation of the year at every school teaching grade 9: an issuer of THCS diplomas where none covers
   the school (the Phòng's head for a school under a Phòng; the commune People's Committee chair, kept by the Sở,
   for one straight under the Sở — as ``exams/seed_diplomas.py`` configures them), a DECIDED round (council of
   seven, proposal, decision), an entry per grade-9 learner with the verdict of ``rules.thcs_graduation`` on the
   approved year result (a school that approved none gets a generated year: about 97 % complete the programme), the
   diplomas of the recognised graduates as ``register.issue_batch`` numbers them (per issuer, in school / class /
   name order, entry numbers from the register's counter — left at the last number used —, serial numbers by
   ``rules.serial_sequence``), and with ``publish`` their portal items (``portal_diplomas.records``).

The big tables (candidates, choices, scripts, keys, marks, scores, entries, diplomas, the portal's store) are loaded
inside ``Loader.loading``: their foreign keys, unique constraints and secondary indexes are put back — and so every
row checked — at the end. Everything is computed in Python first and streamed to the COPYs.

Dates follow the school year ``province.start_year``: the exam sits in early June of the next calendar year, its
results are published on 20 June, the graduation decisions come mid-June and the diplomas a month later. When that
is not yet past (a year still running) the whole calendar moves back to just before today, so nothing is published,
decided or issued in the future.

Reads (a handful of queries): the province's units, the grade-9 learners' records and classes, their approved year
results, the principals' and bench accounts' names, the Sở and Phòng staff, the THCS issuers already configured.
Deterministic for a given ``rng`` (and database).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import random
import time
from collections import defaultdict
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")

#: candidate numbers: "10" + six digits (the seeder's prefix; ``Exam.number_width`` 6)
NUMBER_PREFIX = "10"
#: one marker per this many scripts of a double-marked subject (a Sở board marks ~300 essays a head), and of the
#: machine-marked test
SCRIPTS_PER_MARKER = {True: 300, False: 1000}
#: rooms of a site (a school lends its classrooms: a THPT school has about this many)
ROOMS_PER_SITE = 24
#: candidates who do not turn up at all, and who miss one test
NO_SHOW_RATE = 0.008
MISSED_ONE_RATE = 0.003
#: double-marked scripts whose two marks differ by more than the threshold (a third mark settles them)
DISPUTED_RATE = 0.012
#: a subject's scores: mean and spread (out of 10), before the quarter-point rounding
SUBJECT_SCORES = {"toan": (5.9, 2.0), "ngu-van": (6.5, 1.35), "tieng-anh": (5.7, 2.1)}
#: how many choices candidates register (3, 2, 1)
CHOICE_COUNTS = ((3, 75), (2, 18), (1, 7))
#: the province's places in public upper-secondary schools, as a share of the candidates
PLACES_RATE = 0.74
#: claims: ethnic-minority candidates claim group 3 this often; the other groups and prizes among everybody
MINORITY_CLAIM = 0.85
PRIORITY_RATES = (("ut3", 0.02), ("ut2", 0.006), ("ut1", 0.003))
BONUS_RATES = (("kk3", 0.012), ("kk2", 0.008), ("kk1", 0.005))
DIRECT_RATES = (("td_khuyet_tat", 0.0015), ("td_giai_qg", 0.0005))
MINORITIES = ("Mường", "Tày", "Thái", "Dao", "Nùng", "H'Mông")
#: free candidates: where they studied (out of the province), or "" (thí sinh tự do)
OUTSIDE_SCHOOLS = (
    "Trường THCS Nguyễn Du, TP Hà Nội",
    "Trường THCS Lê Quý Đôn, Nam Định",
    "Trường THCS Trần Phú, Thanh Hóa",
    "Trường THCS Chu Văn An, Hà Nam",
)
#: the province's citizen-id code (CCCD: 3 digits of the province, a sex-and-century digit, the birth year)
PROVINCE_ID_CODE = "037"
#: a generated grade-9 year when the approved one is missing: (outcome, weight); learning / conduct levels
OUTCOMES = (("hoan_thanh", 972), ("ren_luyen_he", 6), ("kiem_tra_lai", 8), ("o_lai", 14))
LEARNING = (("tot", 30), ("kha", 42), ("dat", 28))
CONDUCT = (("tot", 72), ("kha", 23), ("dat", 5))
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def _pick(rng, rates):
    """One code of ``rates`` ((code, share), shares summing to at most 1) by one draw, or None."""
    draw = rng.random()
    for code, rate in rates:
        if draw < rate:
            return code
        draw -= rate
    return None


def load(loader, province, rng: random.Random, *, candidates: int = 20000, publish: bool = True) -> dict:
    """Write the province's grade-10 admission exam with ``candidates`` candidates and the year's THCS diplomas
    (module docstring); returns the counts. ``publish``: also write the portal's store items (the public lookups of
    scores and diplomas) as the services do; without it, run ``manage.py portal_rebuild`` afterwards."""
    from exams.models import Candidate, CandidateScore, Choice, Diploma, GraduationEntry, Mark, Script, ScriptKey
    from sms.portal.models import PublishedRecord

    started = time.perf_counter()
    streams = [random.Random(rng.getrandbits(64)) for _ in range(3)]
    world = _World(province)
    read = time.perf_counter() - started
    exam = _Exam(loader, province, world, streams[0], streams[1], candidates, publish)
    diplomas = _Diplomas(loader, province, world, streams[2], publish)
    # the big tables load without their foreign keys, unique constraints and secondary indexes, put back (and so
    # checked, all rows at once) at the end
    big = [Mark, Script, ScriptKey, CandidateScore, Choice, Candidate, GraduationEntry, Diploma, PublishedRecord]
    loading = getattr(loader, "loading", None)
    with loading(big) if loading is not None else contextlib.nullcontext():
        counts: dict[str, int] = dict(exam.run())
        counts.update(diplomas.run())
    steps = ", ".join(f"{k} {v:.1f}" for k, v in {**exam.timings, **diplomas.timings}.items())
    loader.log(
        f"  exams: {counts['candidates']:,} candidates, {counts['marks']:,} marks, {counts['diplomas']:,} diplomas "
        f"in {time.perf_counter() - started:.1f} s (reads {read:.1f}, {steps})"
    )
    return counts


# --- small helpers -------------------------------------------------------------------------------------------------


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL)


def _back(latest: dt.datetime) -> dt.timedelta:
    """How far the calendar moves back so that ``latest`` lies at least an hour in the past (whole days)."""
    from django.utils import timezone

    limit = timezone.now() - dt.timedelta(hours=1)
    if latest <= limit:
        return dt.timedelta(0)
    return dt.timedelta(days=(latest - limit).days + 1)


def _weighted(rng: random.Random, table) -> str:
    values, weights = zip(*table, strict=True)
    return rng.choices(values, weights)[0]


def _share(count: int, parts: int) -> list[int]:
    """``count`` in ``parts`` near-equal whole numbers, larger first (``exams.services.rooms._share``)."""
    base, extra = divmod(count, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _run(steps, timings: dict[str, float]) -> None:
    """Run ``steps`` (methods) in order, keeping each one's wall time under its name."""
    for step in steps:
        started = time.perf_counter()
        step()
        timings[step.__name__] = time.perf_counter() - started


def _copy(loader, model, fields, rows) -> int:
    """COPY ``rows`` (each without its id) into ``model``, ids from the loader; returns the rows written."""
    rows = rows if isinstance(rows, list) else list(rows)
    if not rows:
        return 0
    ids = loader.ids(model, len(rows))
    return loader.copy(model, ("id", *fields), ((i, *row) for i, row in zip(ids, rows, strict=True)))


def _names():
    """Cached ``sms.text`` keys: the same names come back often."""
    from sms.text import nfc, search_key, sort_key

    cache: dict[str, tuple[str, str, str]] = {}

    def keys(name: str) -> tuple[str, str, str]:
        found = cache.get(name)
        if found is None:
            clean = nfc(name).strip()
            found = cache[name] = (clean, search_key(clean), sort_key(clean))
        return found

    return keys


def _store(loader, kind: str, records) -> int:
    """The portal store's rows of ``records`` (``sms.portal.store.Record``), as ``store.replace`` writes them."""
    from sms.portal import store
    from sms.portal.models import PublishedRecord

    def rows():
        for r in records:
            secrets = sorted({store.secret_digest(kind, r.key, s) for s in r.secrets if store.normalise_secret(s)})
            payload = json.dumps(r.payload, ensure_ascii=False, separators=(",", ":"))  # JSON text, as the loader would
            yield (kind, r.key, str(r.ref), json.dumps(secrets), payload, r.unit_id, r.rank, r.visible_from)

    return _copy(
        loader, PublishedRecord, ("kind", "key", "ref", "secrets", "payload", "unit_id", "rank", "visible_from"), rows()
    )


# --- what the province already holds ---------------------------------------------------------------------------------


class _World:
    """What the loaders read from the database once: units, the grade-9 learners' records, classes and approved year
    results, account names, the Sở and Phòng staff."""

    def __init__(self, province):
        from sms.accounts.models import Membership, User
        from sms.accounts.roles import Role
        from sms.org.models import SchoolClass, Unit
        from students.models import Enrolment, Period, ResultStatus, SubjectResult, TermResult

        school_ids = [s.id for s in province.schools]
        self.units = {
            pk: SimpleNamespace(pk=pk, name=name, path=path, address=address, area_id=area, kind=kind, parent_id=parent)
            for pk, name, path, address, area, kind, parent in Unit.objects.filter(
                pk__in=[province.so_id, *province.phong_ids, *school_ids]
            ).values_list("pk", "name", "path", "address", "area_id", "kind", "parent_id")
        }
        self.grade9 = [x for x in province.learners if x.grade == 9]
        classes = sorted({x.class_id for x in self.grade9})
        self.class_names = dict(SchoolClass.objects.filter(pk__in=classes).values_list("pk", "name"))
        # the learners' records (what register_students and the review copy besides the shape's identity)
        self.records = {
            student: (personal_id or "", ethnicity or "Kinh", birthplace or "")
            for student, personal_id, ethnicity, birthplace in Enrolment.objects.filter(
                school_class_id__in=classes
            ).values_list("student_id", "student__personal_id", "student__ethnicity", "student__birthplace")
        }
        # the approved whole-year results (final_year_results reads the same columns)
        self.results = {}
        for enrolment, outcome, manual, retest, learning, after, conduct, absences in TermResult.objects.filter(
            enrolment__school_class_id__in=classes, period=Period.YEAR, status=ResultStatus.APPROVED
        ).values_list(
            "enrolment_id",
            "outcome",
            "manual_learning",
            "learning_after_retest",
            "learning",
            "conduct_after_summer",
            "conduct",
            "absences",
        ):
            self.results[enrolment] = (
                outcome or "",
                manual or retest or learning or "",
                after or conduct or "",
                absences,
            )
        self.year_approved = bool(self.results) or (
            SubjectResult.objects.filter(
                enrolment__school_class_id__in=classes, period=Period.YEAR, status=ResultStatus.APPROVED
            ).exists()
        )
        wanted = {s.principal_user_id for s in province.schools if s.principal_user_id}
        wanted |= set(province.users.values())
        self.user_names = dict(User.objects.filter(pk__in=wanted).values_list("pk", "full_name"))
        offices = [province.so_id, *province.phong_ids]
        self.staff: dict[int, list[tuple[int, str]]] = defaultdict(list)  # office → (user, role), oldest first
        roles = (Role.SO_STAFF, Role.SO_ADMIN, Role.PHONG_STAFF, Role.PHONG_ADMIN)
        for unit, user, role in (
            Membership.objects.active()
            .filter(unit_id__in=offices, role__in=roles, user__is_active=True)
            .order_by("pk")
            .values_list("unit_id", "user_id", "role")
        ):
            self.staff[unit].append((user, role))
        for user, name in User.objects.filter(pk__in={u for rows in self.staff.values() for u, _ in rows}).values_list(
            "pk", "full_name"
        ):
            self.user_names.setdefault(user, name)

    def registrar(self, unit_id: int) -> int | None:
        """Who keeps a register at ``unit_id`` (its staff or admin, the oldest membership first), or None."""
        rows = self.staff.get(unit_id) or []
        return rows[0][0] if rows else None


# --- board accounts ------------------------------------------------------------------------------------------------


def _accounts(loader, people: list[tuple[str, str, int, str]], start: dt.date) -> list[int]:
    """Accounts (username, full name, unit, role) with the bench password and one membership each; their ids."""
    from django.contrib.auth.hashers import make_password

    from bench.province_shape import PASSWORD
    from sms.accounts.models import Membership, User

    if not people:
        return []
    keys = _names()
    password = make_password(PASSWORD)
    ids = list(loader.ids(User, len(people)))
    loader.copy(
        User,
        ("id", "username", "password", "full_name", "search_key", "sort_key", "first_name", "last_name", "email"),
        (
            (i, username, password, keys(name)[0], keys(name)[1], keys(name)[2], "", "", "")
            for i, (username, name, _, _) in zip(ids, people, strict=True)
        ),
    )
    _copy(
        loader,
        Membership,
        ("user_id", "unit_id", "role", "starts_on"),
        [(i, unit, role, start) for i, (_, _, unit, role) in zip(ids, people, strict=True)],
    )
    return ids


# --- 1. the grade-10 admission exam ----------------------------------------------------------------------------------


class _Candidate:
    __slots__ = (
        "id",
        "student_id",
        "school_id",
        "school_name",
        "source",
        "full_name",
        "search_key",
        "sort_key",
        "birth_date",
        "sex",
        "personal_id",
        "ethnicity",
        "birthplace",
        "class_name",
        "ties",
        "ability",
        "home",
        "number",
        "lookup_code",
        "priority",
        "bonus",
        "direct",
        "choices",
        "room_id",
        "seat",
        "tests",
        "outcome",
    )


class _Exam:
    def __init__(self, loader, province, world: _World, rng, account_rng, candidates: int, publish: bool):
        self.loader, self.province, self.world = loader, province, world
        self.rng, self.account_rng = rng, account_rng
        self.wanted, self.publish = candidates, publish
        self.year = province.start_year
        self.counts: dict[str, int] = {}
        self.timings: dict[str, float] = {}

    def run(self) -> dict:
        from exams.models import ExamKind
        from exams.services import setup

        self.config = setup.kind_defaults(ExamKind.ADMISSION_10)
        self.subjects = setup.default_subjects(ExamKind.ADMISSION_10)
        self.calendar()
        steps = [self.register, self.number, self.claims, self.choose, self.board, self.seat]
        steps += [self.mark, self.allocate, self.write_candidates] + ([self.publish_scores] if self.publish else [])
        _run(steps, self.timings)
        return self.counts

    # the calendar ------------------------------------------------------------------------------------------------

    def calendar(self) -> None:
        y = self.year + 1
        first = dt.date(y, 6, 2)
        publish = _at(dt.date(y, 6, 20), 17)
        back = _back(publish)
        self.first_day, self.second_day = first - back, first + dt.timedelta(days=1) - back
        self.created_at = _at(dt.date(y, 3, 10), 9) - back
        self.registered_at = _at(dt.date(y, 4, 25), 10) - back
        self.matched_at = _at(self.second_day + dt.timedelta(days=10), 16)
        self.publish_at = publish - back
        timetable = {
            "ngu-van": _at(self.first_day, 7, 30),
            "tieng-anh": _at(self.first_day, 14, 0),
            "toan": _at(self.second_day, 7, 30),
        }
        for subject in self.subjects:
            subject["starts_at"] = timetable.get(subject["code"], _at(self.second_day, 14, 0))

    # registration --------------------------------------------------------------------------------------------------

    def register(self) -> None:
        """The grade-9 learners (a sample when there are more than wanted), then free candidates."""
        from exams.models import Candidate, CandidateSource
        from exams.services.candidates import SUMMARY_TIE_BREAKS
        from sms.names import person_name

        rng, world = self.rng, self.world
        keys = _names()
        learners = sorted(world.grade9, key=lambda x: (x.school_id, x.class_id, x.student_id))
        if len(learners) > self.wanted:
            learners = sorted(rng.sample(learners, self.wanted), key=lambda x: (x.school_id, x.class_id, x.student_id))
        summary = {}
        if world.year_approved and learners:
            from students.selectors import year_summary

            summary = year_summary([SimpleNamespace(pk=x.enrolment_id, student_id=x.student_id) for x in learners])
        homes = self.homes()
        people, taken_ids = [], set()
        for x in learners:
            personal_id, ethnicity, birthplace = world.records.get(x.student_id, ("", "Kinh", ""))
            if personal_id and personal_id in taken_ids:
                continue  # register_students skips a learner whose personal id is already a candidate's
            taken_ids.add(personal_id)
            c = _Candidate()
            c.student_id, c.school_id, c.school_name = x.student_id, x.school_id, ""
            c.source = CandidateSource.STUDENTS.value
            c.full_name, c.search_key, c.sort_key = keys(x.full_name)
            c.birth_date, c.sex, c.personal_id = x.birth_date, x.sex, personal_id
            c.ethnicity, c.birthplace = ethnicity, birthplace
            c.class_name = world.class_names.get(x.class_id, "")
            mine = summary.get(x.student_id, {})
            c.ties = {key: str(mine[name]) for name, key in SUMMARY_TIE_BREAKS.items() if name in mine}
            average = mine.get("average")
            c.ability = float(average) - 6.9 if average is not None else rng.gauss(0, 1)
            c.home = homes.get(x.school_id)
            people.append(c)
        for _ in range(self.wanted - len(people)):
            name, female = person_name(rng)
            c = _Candidate()
            c.student_id, c.school_id = None, None
            c.school_name = rng.choice(OUTSIDE_SCHOOLS) if rng.random() < 0.4 else ""
            c.source = CandidateSource.IMPORT.value
            c.full_name, c.search_key, c.sort_key = keys(name)
            born_in = self.year - 14 if rng.random() < 0.8 else self.year - 15
            c.birth_date = dt.date(born_in, 1, 1) + dt.timedelta(days=rng.randrange(365))
            c.sex = "F" if female else "M"
            while True:
                digit = "3" if female else "2"
                pid = f"{PROVINCE_ID_CODE}{digit}{born_in % 100:02d}{rng.randrange(10**6):06d}"
                if pid not in taken_ids:
                    break
            taken_ids.add(pid)
            c.personal_id = pid
            c.ethnicity = "Kinh" if rng.random() < 0.9 else rng.choice(MINORITIES)
            c.birthplace, c.class_name, c.ties = "", "", {}
            c.ability, c.home = rng.gauss(-0.2, 1.1), None
            people.append(c)
        ids = self.loader.ids(Candidate, len(people))
        for i, c in zip(ids, people, strict=True):
            c.id = i
            c.lookup_code = "".join(rng.choices(CODE_ALPHABET, k=8))
        self.counts["candidates"] = len(people)
        self.counts["candidates_from_learners"] = sum(1 for c in people if c.student_id)
        self.people = people

    def homes(self) -> dict[int, int]:
        """Each grade-9 school's nearest upper-secondary school (its index in ``self.upper``): schools in id order
        matched proportionally, as neighbouring communes are."""
        self.upper = sorted((s for s in self.province.schools if 10 in s.grades), key=lambda s: s.id)
        lower = sorted({x.school_id for x in self.world.grade9})
        if not self.upper:
            return {}
        return {school: (k * len(self.upper)) // max(1, len(lower)) for k, school in enumerate(lower)}

    def number(self) -> None:
        """``assign_numbers``: Vietnamese name order, then birth date, then id; the exam's prefix and width."""
        from exams import rules

        self.people.sort(key=lambda c: (c.sort_key, c.birth_date, c.id))
        width = max(6, len(str(len(self.people))))
        for c, number in zip(
            self.people, rules.candidate_numbers(len(self.people), prefix=NUMBER_PREFIX, width=width), strict=True
        ):
            c.number = number

    def claims(self) -> None:
        """Priority, bonus and direct-admission claims (lines of the exam's points table, by code)."""
        from exams import rules

        rng = self.rng
        self.point_rules = list(rules.DEFAULT_POINT_RULES)
        for c in self.people:
            c.priority = c.bonus = c.direct = None
            if c.ethnicity != "Kinh" and rng.random() < MINORITY_CLAIM:
                c.priority = "ut3"
            else:
                c.priority = _pick(rng, PRIORITY_RATES)
            c.bonus = _pick(rng, BONUS_RATES)
            c.direct = _pick(rng, DIRECT_RATES)

    def choose(self) -> None:
        """Up to three choices among the upper-secondary schools (the nearest first, a neighbour or a sought-after
        school), then each school's quota from the first choices (about ``PLACES_RATE`` of the candidates)."""
        rng, upper = self.rng, self.upper
        n = len(upper)
        self.places: dict[int, int] = {}
        if not n:
            for c in self.people:
                c.choices = ()
            return
        popular = list(range(min(3, n)))
        for c in self.people:
            home = c.home if c.home is not None else rng.randrange(n)
            draw = rng.random()
            if draw < 0.62:
                first = home
            elif draw < 0.82:
                first = min(n - 1, max(0, home + rng.choice((-1, 1))))
            elif draw < 0.92:
                first = rng.choice(popular)
            else:
                first = rng.randrange(n)
            wanted = min(n, _weighted(rng, CHOICE_COUNTS))
            picked = [first]
            near = [home, home + 1, home - 1, home + 2, home - 2, home + 3, home - 3]
            pool = [i for i in near if 0 <= i < n]
            while len(picked) < wanted:
                candidates = [i for i in pool if i not in picked] or [i for i in range(n) if i not in picked]
                picked.append(candidates[0] if rng.random() < 0.6 else rng.choice(candidates))
            c.choices = tuple(upper[i].id for i in picked)
        demand: dict[int, int] = defaultdict(int)
        for c in self.people:
            if c.choices:
                demand[c.choices[0]] += 1
        total = round(PLACES_RATE * len(self.people))
        weight = sum(demand.get(s.id, 0) + 1 for s in upper)
        for s in upper:
            share = (demand.get(s.id, 0) + 1) / weight * total * rng.uniform(0.8, 1.15)
            self.places[s.id] = max(0, min(5000, round(share)))

    # the exam, its subjects and points table ----------------------------------------------------------------------

    def write_exam(self, published_by: int | None) -> None:
        """The exam as ``setup.create_exam`` makes it (the kind's defaults, its subjects, the default points table),
        published by the chair; the quotas' ids (their rows come with the allocation's outcome)."""
        from exams.models import Exam, ExamKind, ExamSubject, PointRule, Quota

        loader, config = self.loader, self.config
        self.threshold = Decimal("1.00")
        row = {
            "id": self.exam_id,
            "unit_id": self.province.so_id,
            "kind": ExamKind.ADMISSION_10.value,
            "name": f"Kỳ thi tuyển sinh lớp 10 THPT năm học {self.year + 1}–{self.year + 2}",
            "start_year": self.year,
            "grade": config["grade"],
            "accepts_online": False,
            "room_capacity": config["room_capacity"],
            "number_prefix": NUMBER_PREFIX,
            "number_width": 6,
            "mark_threshold": self.threshold,
            "choices_allowed": config["choices_allowed"],
            "choice_margins": list(config["choice_margins"]),
            "tie_breaks": list(config["tie_breaks"]),
            "results_publish_at": self.publish_at,
            "published_by_id": published_by,
            "created_at": self.created_at,
        }
        loader.copy(Exam, tuple(row), [tuple(row.values())])
        fields = ("code", "name", "duration_minutes", "coefficient", "max_score", "double_marked", "starts_at", "order")
        for s in self.subjects:
            for name in ("coefficient", "max_score"):
                s.setdefault(name, ExamSubject._meta.get_field(name).default)
        ids = loader.ids(ExamSubject, len(self.subjects))
        self.subject_ids = {s["code"]: i for i, s in zip(ids, self.subjects, strict=True)}
        loader.copy(
            ExamSubject,
            ("id", "exam_id", *fields),
            [(self.subject_ids[s["code"]], self.exam_id, *(s[f] for f in fields)) for s in self.subjects],
        )
        ids = loader.ids(PointRule, len(self.point_rules))
        self.rule_ids = {line.code: i for i, line in zip(ids, self.point_rules, strict=True)}
        loader.copy(
            PointRule,
            ("id", "exam_id", "kind", "code", "label", "points"),
            [
                (self.rule_ids[line.code], self.exam_id, line.kind, line.code, line.label, Decimal(str(line.points)))
                for line in self.point_rules
            ],
        )
        self.quota_ids = dict(zip(self.places, loader.ids(Quota, len(self.places)), strict=True))

    # the board, sites, rooms --------------------------------------------------------------------------------------

    def board(self) -> None:
        """The board's accounts, then the exam, then its board: the chair (``bench.so``, the Sở specialist), two
        secretaries (Sở specialists), markers (upper-secondary teachers, one per ``SCRIPTS_PER_MARKER`` scripts of
        their subject) and two invigilators a room (teachers of schools sending no candidate)."""
        from bench.province_shape import SO_USERNAME
        from exams import rules
        from exams.models import BoardMember, BoardRole, Exam
        from sms.accounts.roles import Role
        from sms.names import person_name

        rng, province, world = self.account_rng, self.province, self.world
        so = province.so_id
        self.exam_id = self.loader.ids(Exam, 1)[0]
        chair_user = province.users.get(SO_USERNAME)
        if chair_user not in {u for u, _ in world.staff.get(so, [])}:
            chair_user = None  # no Sở specialist of that name: an account is made for the chair
        self.rooms_needed = len(rules.split_rooms(len(self.people), self.config["room_capacity"]))
        sending = {c.school_id for c in self.people if c.school_id}
        upper = [s.id for s in self.upper] or [s.id for s in province.schools]
        watchers = [s.id for s in province.schools if s.id not in sending and 9 not in s.grades] or [
            s.id for s in province.schools if s.id not in sending
        ]
        if not watchers:
            watchers = [so]
        tag = f"bench.thi{self.exam_id}"  # usernames unique to the exam
        so_staff, teacher = Role.SO_STAFF.value, Role.TEACHER.value
        chair_role, secretariat, marker, invigilator = (
            BoardRole.CHAIR.value, BoardRole.SECRETARIAT.value, BoardRole.MARKER.value, BoardRole.INVIGILATOR.value
        )  # fmt: skip
        people: list[tuple[str, str, int, str]] = []
        seats: list[tuple[str, int, str]] = []  # (role, unit, subject code or "") in the order of people
        if chair_user is None:
            people.append((f"{tag}.ct01", person_name(rng)[0], so, so_staff))
            seats.append((chair_role, so, ""))
        for k in range(2):
            people.append((f"{tag}.tk{k + 1:02d}", person_name(rng)[0], so, so_staff))
            seats.append((secretariat, so, ""))
        n = 0
        for s in self.subjects:
            per = SCRIPTS_PER_MARKER[s["double_marked"]]
            count = max(3 if s["double_marked"] else 1, math.ceil(len(self.people) / per))
            for _ in range(count):
                unit = upper[n % len(upper)]
                n += 1
                people.append((f"{tag}.gk{n:04d}", person_name(rng)[0], unit, teacher))
                seats.append((marker, unit, s["code"]))
        for k in range(2 * self.rooms_needed):
            unit = watchers[k % len(watchers)]
            people.append((f"{tag}.gt{k + 1:04d}", person_name(rng)[0], unit, teacher))
            seats.append((invigilator, unit, ""))
        users = _accounts(self.loader, people, dt.date(self.year, 8, 1))
        self.counts["board_accounts"] = len(users)
        keys = _names()
        rows = []
        if chair_user is not None:
            rows.append((chair_user, chair_role, so, world.user_names.get(chair_user) or "", ""))
        for user, (_, name, _, _), (role, unit, subject) in zip(users, people, seats, strict=True):
            rows.append((user, role, unit, keys(name)[0], subject))
        ids = list(self.loader.ids(BoardMember, len(rows)))
        self.markers: dict[str, list[int]] = defaultdict(list)
        self.invigilators: list[tuple[int, int]] = []
        chair = None
        for i, (user, role, unit, _, subject) in zip(ids, rows, strict=True):
            if role == chair_role:
                chair = user
            elif role == marker:
                self.markers[subject].append(i)
            elif role == invigilator:
                self.invigilators.append((i, unit))
        self.write_exam(published_by=chair)
        self.loader.copy(
            BoardMember,
            ("id", "exam_id", "user_id", "role", "home_unit_id", "full_name"),
            [
                (i, self.exam_id, user, role, unit, name)
                for i, (user, role, unit, name, _) in zip(ids, rows, strict=True)
            ],
        )
        self.counts["board_members"] = len(rows)

    def seat(self) -> None:
        """``place_candidates`` and ``assign_invigilators``: sites at upper-secondary schools, rooms by
        ``rules.split_rooms`` shared out between the sites in code order, the candidates in number order; two
        invigilators a room by ``rules.assign_invigilators``."""
        from exams import rules
        from exams.models import Room, Site

        loader, province = self.loader, self.province
        sizes = rules.split_rooms(len(self.people), self.config["room_capacity"])
        # about ROOMS_PER_SITE rooms a site: upper-secondary schools first (spread over them), then other schools
        upper = [s for s in self.upper if 9 not in s.grades] or self.upper
        n_sites = max(1, min(len(province.schools), math.ceil(len(sizes) / ROOMS_PER_SITE)))
        if n_sites <= len(upper):
            chosen = [upper[(k * len(upper)) // n_sites] for k in range(n_sites)]
        else:
            others = sorted(
                (s for s in province.schools if s not in upper), key=lambda s: (-max(s.grades, default=0), s.id)
            )
            chosen = upper + others[: n_sites - len(upper)]
        width = max(2, len(str(n_sites)))
        site_ids = list(loader.ids(Site, n_sites))
        loader.copy(
            Site,
            ("id", "exam_id", "code", "name", "address", "host_id"),
            [
                (i, self.exam_id, f"DT{k + 1:0{width}d}", host.name, self.world.units[host.id].address or "", host.id)
                for k, (i, host) in enumerate(zip(site_ids, chosen, strict=True))
            ],
        )
        rooms = []  # (site, number) in (site order, number) order
        for site, count in zip(site_ids, _share(len(sizes), n_sites), strict=True):
            rooms += [(site, number) for number in range(1, count + 1)]
        room_ids = list(loader.ids(Room, len(rooms)))
        queue = iter(self.people)
        schools_in: list[frozenset[int]] = []
        for room, size in zip(room_ids, sizes, strict=True):
            mine = set()
            for place in range(1, size + 1):
                c = next(queue)
                c.room_id, c.seat = room, place
                if c.school_id:
                    mine.add(c.school_id)
            schools_in.append(frozenset(mine - {province.so_id}))
        plan = rules.assign_invigilators(schools_in, self.invigilators, per_room=2)
        loader.copy(
            Room,
            ("id", "site_id", "number", "invigilator_1_id", "invigilator_2_id"),
            [
                (i, site, number, pair[0] if pair else None, pair[1] if len(pair) > 1 else None)
                for i, (site, number), pair in zip(room_ids, rooms, plan, strict=True)
            ],
        )
        self.counts["sites"], self.counts["rooms"] = n_sites, len(rooms)

    # marking -------------------------------------------------------------------------------------------------------

    def mark(self) -> None:
        """Scripts with random codes (``make_scripts``), the marks of each round spread over the subject's markers as
        ``assign_markers`` does (round 2 one seat further on, a third marker for the disputed scripts), final scores
        by ``rules.reconcile`` / ``rules.single``; absent scripts have no mark. Then the matched scores."""
        from exams import rules
        from exams.models import MarkRound, Script, ScriptStatus

        rng, loader = self.rng, self.loader
        round_1, round_2, round_3 = MarkRound.FIRST.value, MarkRound.SECOND.value, MarkRound.THIRD.value
        final, absent = ScriptStatus.FINAL.value, ScriptStatus.ABSENT.value
        quarter = [(Decimal(q) / 4).quantize(Decimal("0.01")) for q in range(41)]
        threshold = self.threshold
        codes_of = [s["code"] for s in self.subjects]
        missed: dict[int, set[str]] = {}
        for c in self.people:
            draw = rng.random()
            if draw < NO_SHOW_RATE:
                missed[c.id] = set(codes_of)
            elif draw < NO_SHOW_RATE + MISSED_ONE_RATE:
                missed[c.id] = {rng.choice(codes_of)}
            c.tests = {}
        by_id = {c.id: c for c in self.people}
        scripts, keys, marks, scores = [], [], [], []
        script_ids = iter(loader.ids(Script, len(self.people) * len(self.subjects)))
        counts = defaultdict(int)
        for s in self.subjects:
            code, double, subject_id = s["code"], s["double_marked"], self.subject_ids[s["code"]]
            mean, spread = SUBJECT_SCORES.get(code, (6.0, 1.8))
            order = [c.id for c in sorted(self.people, key=lambda c: c.id)]
            rng.shuffle(order)
            width = max(6, len(str(10 * len(order))))
            rows = []
            for candidate_id, script_code in zip(order, rules.new_codes(len(order), rng, width=width), strict=True):
                rows.append((next(script_ids), script_code, candidate_id))
            seats = self.markers[code]
            position = 0
            for script_id, script_code, candidate_id in sorted(rows, key=lambda r: r[1]):
                c = by_id[candidate_id]
                keys.append((script_id, candidate_id))
                if code in missed.get(candidate_id, ()):
                    scripts.append((script_id, subject_id, script_code, absent, None))
                    scores.append((candidate_id, subject_id, None, True, self.matched_at))
                    c.tests[code] = None
                    counts["absent"] += 1
                    continue
                true = 4 * (mean + spread * (0.8 * c.ability / 1.1 + 0.6 * rng.gauss(0, 1)))
                first = min(40, max(0, round(true) + rng.choice((-1, 0, 0, 1))))
                day = self.second_day + dt.timedelta(days=2 + rng.randrange(4))
                when1 = _at(day, 8 + rng.randrange(9), rng.randrange(60))
                m = len(seats)
                marks.append((script_id, seats[position % m], round_1, quarter[first], when1))
                if double:
                    if rng.random() < DISPUTED_RATE:
                        gap = rng.choice((5, 6, 8, 10)) * rng.choice((-1, 1))
                        second = first + gap if 0 <= first + gap <= 40 else first - gap
                        third = min(40, max(0, round(true) + rng.choice((-1, 0, 1))))
                    else:
                        second = min(40, max(0, first + rng.choice((-2, -1, 0, 0, 1, 2))))
                        third = None
                    when2 = when1 + dt.timedelta(days=1, hours=rng.randrange(6))
                    marks.append((script_id, seats[(position + 1) % m], round_2, quarter[second], when2))
                    if third is not None:
                        when3 = when2 + dt.timedelta(days=1)
                        marks.append((script_id, seats[(position + 2) % m], round_3, quarter[third], when3))
                        counts["disputed"] += 1
                    verdict = rules.reconcile(
                        quarter[first],
                        quarter[second],
                        threshold=threshold,
                        third=None if third is None else quarter[third],
                    )
                else:
                    verdict = rules.single(quarter[first])
                if not verdict.is_final:
                    raise RuntimeError(f"script {script_code}: {verdict.reason}")
                position += 1
                scripts.append((script_id, subject_id, script_code, final, verdict.score))
                scores.append((candidate_id, subject_id, verdict.score, False, self.matched_at))
                c.tests[code] = verdict.score
        self.script_rows, self.key_rows, self.mark_rows, self.score_rows = scripts, keys, marks, scores
        self.counts["scripts_absent"] = counts["absent"]
        self.counts["scripts_disputed"] = counts["disputed"]

    # the allocation --------------------------------------------------------------------------------------------------

    def allocate(self) -> None:
        """``admission.plan_allocation`` on these rows: ``rules.disqualification``, ``rules.admission_score`` (the
        subjects' coefficients, priority and bonus points), direct admission to the first choice, ``rules.allocate``
        with the exam's margins and tie-breaks, applicants in number order."""
        from exams import rules
        from exams.models import AdmissionStatus

        points = {line.code: Decimal(str(line.points)) for line in self.point_rules}
        kinds = {line.code: line.kind for line in self.point_rules}
        coefficients = {s["code"]: s["coefficient"] for s in self.subjects}
        names = {s["code"]: s["name"] for s in self.subjects}
        applicants, rows = [], {}
        for c in self.people:  # number order
            priority = points[c.priority] if c.priority and kinds[c.priority] == "priority" else Decimal(0)
            bonus = points[c.bonus] if c.bonus and kinds[c.bonus] == "bonus" else Decimal(0)
            tests = {code: c.tests[code] for code in names}
            excluded = rules.disqualification({names[code]: v for code, v in tests.items()})
            absent = bool(excluded) and any(v is None for v in tests.values())
            score = None if excluded else rules.admission_score(tests, coefficients, priority=priority, bonus=bonus)
            direct_to = None
            if c.direct is not None:
                if c.choices:
                    direct_to, excluded = c.choices[0], None
                else:
                    excluded = "thuộc diện tuyển thẳng nhưng chưa đăng ký nguyện vọng 1"
            ties = dict(c.ties)
            ties["priority"] = priority
            for code, value in tests.items():
                ties[f"subject:{code}"] = value
            applicants.append(
                rules.Applicant(
                    key=c.id,
                    score=score,
                    choices=c.choices[: self.config["choices_allowed"]],
                    direct_to=direct_to,
                    tie_values=ties,
                    excluded=excluded,
                )
            )
            rows[c.id] = (score, absent)
        result = rules.allocate(
            applicants,
            dict(self.places),
            margins=list(self.config["choice_margins"]),
            tie_breaks=list(self.config["tie_breaks"]),
        )
        tally = defaultdict(int)
        for c in self.people:
            score, absent = rows[c.id]
            placed = result.placements.get(c.id)
            if placed is not None:
                school, rank = placed
                status = (AdmissionStatus.DIRECT if rank == 0 else AdmissionStatus.ADMITTED).value
                c.outcome = (score, status, school, rank or None)
            else:
                status = (AdmissionStatus.ABSENT if absent else AdmissionStatus.NOT_ADMITTED).value
                c.outcome = (score, status, None, None)
            tally[status] += 1
        self.quota_rows = [
            (
                self.quota_ids[school],
                self.exam_id,
                school,
                places,
                result.cut_offs.get(school),
                result.admitted.get(school, 0),
            )
            for school, places in self.places.items()
        ]
        self.counts["admitted"] = tally[AdmissionStatus.ADMITTED] + tally[AdmissionStatus.DIRECT]
        self.counts["not_admitted"] = tally[AdmissionStatus.NOT_ADMITTED]
        self.counts["absent"] = tally[AdmissionStatus.ABSENT]

    # the rows ---------------------------------------------------------------------------------------------------------

    def write_candidates(self) -> None:
        """The quotas with the allocation's outcome, the candidates, their choices, the scripts, their keys, the
        marks and the matched scores."""
        from exams.models import Candidate, CandidateScore, Choice, Mark, Quota, Script, ScriptKey

        loader, exam = self.loader, self.exam_id
        loader.copy(Quota, ("id", "exam_id", "school_id", "places", "cut_off", "admitted"), self.quota_rows)
        rules_ = self.rule_ids
        loader.copy(
            Candidate,
            (
                "id", "exam_id", "number", "student_id", "school_id", "school_name", "source", "full_name",
                "birth_date", "sex", "personal_id", "ethnicity", "birthplace", "class_name", "priority_id", "bonus_id",
                "direct_id", "tie_break_values", "room_id", "seat", "lookup_code", "admission_score",
                "admission_status", "admitted_to_id", "admitted_choice", "withdrawn", "search_key", "sort_key",
                "created_at",
            ),
            (
                (
                    c.id, exam, c.number, c.student_id, c.school_id, c.school_name, c.source, c.full_name,
                    c.birth_date, c.sex, c.personal_id, c.ethnicity, c.birthplace, c.class_name,
                    rules_.get(c.priority), rules_.get(c.bonus), rules_.get(c.direct), c.ties, c.room_id, c.seat,
                    c.lookup_code, *c.outcome, False, c.search_key, c.sort_key, self.registered_at,
                )
                for c in self.people
            ),
        )  # fmt: skip
        self.counts["choices"] = _copy(
            loader,
            Choice,
            ("candidate_id", "rank", "school_id"),
            ((c.id, rank, school) for c in self.people for rank, school in enumerate(c.choices, start=1)),
        )
        self.counts["scripts"] = loader.copy(
            Script, ("id", "exam_subject_id", "code", "status", "final_score"), self.script_rows
        )
        _copy(loader, ScriptKey, ("script_id", "candidate_id"), self.key_rows)
        self.counts["marks"] = _copy(
            loader, Mark, ("script_id", "marker_id", "round", "score", "marked_at"), self.mark_rows
        )
        self.counts["scores"] = _copy(
            loader,
            CandidateScore,
            ("candidate_id", "exam_subject_id", "score", "absent", "matched_at"),
            self.score_rows,
        )

    def publish_scores(self) -> None:
        """The public lookup's items, as ``schedule_publication`` writes them: ``portal_scores.records`` item for
        item, each payload built by the module's own ``portal_scores.payload`` — from the rows in memory, handed to
        it as light objects with what it reads (reading 20,000 candidates back through the ORM, or even making
        unsaved model instances of them, costs more than the rest of the exam together)."""
        from functools import partial

        from exams.models import AdmissionStatus, Exam, ExamSubject
        from exams.services import portal_scores
        from sms.portal.store import Record

        exam = Exam.objects.select_related("unit").get(pk=self.exam_id)
        if not portal_scores.is_public(exam):
            self.counts["portal_exam_items"] = 0
            return
        subjects = list(ExamSubject.objects.filter(exam=exam).order_by("order", "starts_at", "pk"))
        exam_data = portal_scores._exam_data(exam)
        units = {pk: SimpleNamespace(pk=pk, name=info.name) for pk, info in self.world.units.items()}
        cent = Decimal("0.01")
        lines = {
            line.code: SimpleNamespace(kind=line.kind, points=Decimal(line.points).quantize(cent))
            for line in self.point_rules
        }
        labels = dict(AdmissionStatus.choices)
        scores: dict[int, dict[int, tuple]] = defaultdict(dict)
        for candidate_id, subject_id, score, absent, _ in self.score_rows:
            scores[candidate_id][subject_id] = (score, absent)

        def records():
            for c in sorted(self.people, key=lambda c: c.id):
                score, status, school, rank = c.outcome
                row = SimpleNamespace(
                    pk=c.id, number=c.number, full_name=c.full_name, birth_date=c.birth_date,
                    school_id=c.school_id, school=units.get(c.school_id), school_name=c.school_name,
                    class_name=c.class_name, admission_score=score, admission_status=status, admitted_to_id=school,
                    admitted_to=units.get(school), admitted_choice=rank, priority=lines.get(c.priority),
                    bonus=lines.get(c.bonus), get_admission_status_display=partial(labels.get, status, status),
                )  # fmt: skip
                yield Record(
                    key=portal_scores.candidate_key(exam.pk, c.number),
                    ref=str(c.id),
                    payload=portal_scores.payload(exam_data, exam, row, subjects, scores[c.id]),
                    secrets=[c.birth_date, c.lookup_code],
                    unit_id=exam.unit_id,
                    visible_from=exam.results_publish_at,
                )

        self.counts["portal_exam_items"] = _store(self.loader, portal_scores.KIND, records())


# --- 2. THCS graduation and diplomas ---------------------------------------------------------------------------------


class _Diplomas:
    def __init__(self, loader, province, world: _World, rng, publish: bool):
        self.loader, self.province, self.world, self.rng, self.publish = loader, province, world, rng, publish
        self.year = province.start_year
        self.counts: dict[str, int] = {}
        self.timings: dict[str, float] = {}

    def run(self) -> dict:
        from exams import rules
        from exams.models import GraduationLevel, GraduationRound

        province, world = self.province, self.world
        learners: dict[int, list] = defaultdict(list)
        for x in world.grade9:
            learners[x.school_id].append(x)
        schools = sorted((s for s in province.schools if 9 in s.grades and learners.get(s.id)), key=lambda s: s.id)
        # a school that already has this year's rounds keeps them (the data of an earlier load)
        held = set(
            GraduationRound.objects.filter(
                unit_id__in=[s.id for s in schools], level=GraduationLevel.THCS, start_year=self.year
            ).values_list("unit_id", flat=True)
        )
        self.schools = [s for s in schools if s.id not in held]
        self.learners = learners
        self.number = rules.next_round_number([])
        steps = [self.issuers, self.calendar, self.rounds, self.issue]
        _run(steps + ([self.publish_diplomas] if self.publish else []), self.timings)
        return self.counts

    # who issues ----------------------------------------------------------------------------------------------------

    def issuers(self) -> None:
        """The active THCS issuer of each school as ``selectors.issuer_for`` finds it (the deepest coverage), after
        adding, where none covers a school, its Phòng's head (kept by the Phòng) or — a school straight under the Sở —
        its commune People's Committee chair (kept by the Sở, covering the commune's schools)."""
        from exams.models import DiplomaKind, Issuer
        from sms.accounts.roles import UnitKind
        from sms.names import person_name
        from sms.org.models import AdministrativeArea

        rng, units, schools = self.rng, self.world.units, self.schools
        existing = []
        for issuer in (
            Issuer.objects.filter(is_active=True)
            .select_related("unit")
            .prefetch_related("covers")
            .order_by("unit__path", "name", "pk")
        ):
            if DiplomaKind.THCS in (issuer.kinds or []):
                info = SimpleNamespace(
                    id=issuer.pk, unit_id=issuer.unit_id, path=issuer.unit.path, signer_title=issuer.signer_title,
                    signer_name=issuer.signer_name, name=issuer.name, place_name=issuer.place_name,
                )  # fmt: skip
                existing.append((info, [u.path for u in issuer.covers.all()] or [issuer.unit.path]))

        def resolve(school_id, issuers):
            best, depth = None, -1
            path = units[school_id].path
            for info, paths in issuers:
                for p in paths:
                    if path.startswith(p) and len(p) > depth:
                        best, depth = info, len(p)
            return best

        missing = [s for s in schools if resolve(s.id, existing) is None]
        new: dict[tuple, SimpleNamespace] = {}
        covers: dict[tuple, list[int]] = defaultdict(list)
        areas = {
            pk: name
            for pk, name in AdministrativeArea.objects.filter(
                pk__in={units[s.id].area_id for s in missing if units[s.id].area_id}
            ).values_list("pk", "name")
        }
        for s in missing:
            parent = units.get(s.parent_id)
            if parent is not None and parent.kind == UnitKind.PHONG:
                key = ("phong", parent.pk)
                if key not in new:
                    place = parent.name
                    for head in ("Phòng Giáo dục và Đào tạo", "Phòng GD&ĐT", "Phòng GDĐT"):
                        place = place.removeprefix(head)
                    new[key] = SimpleNamespace(
                        unit_id=parent.pk, name=parent.name, signer_title="Trưởng phòng",
                        signer_name=person_name(rng)[0], place_name=place.strip(), area_id=None,
                    )  # fmt: skip
            else:
                keeper = s.parent_id if parent is not None else self.province.so_id
                area = units[s.id].area_id
                key = ("area", keeper, area) if area else ("school", keeper, s.id)
                if key not in new:
                    where = areas.get(area) or f"nơi đặt {s.name}"
                    new[key] = SimpleNamespace(
                        unit_id=keeper, name=f"Ủy ban nhân dân {where[:1].lower()}{where[1:]}"[:255],
                        signer_title="Chủ tịch", signer_name=person_name(rng)[0], place_name=areas.get(area, ""),
                        area_id=area,
                    )  # fmt: skip
                covers[key].append(s.id)
        ids = self.loader.ids(Issuer, len(new))
        created_at = _at(dt.date(self.year, 9, 1), 8)
        rows, cover_rows, added = [], [], []
        for i, (key, info) in zip(ids, new.items(), strict=True):
            info.id, info.path = i, units[info.unit_id].path
            rows.append((i, info.unit_id, info.name, info.signer_title, info.signer_name, info.place_name,
                         [DiplomaKind.THCS.value], info.area_id, True, created_at))  # fmt: skip
            cover_rows += [(i, school) for school in covers.get(key, [])]
            added.append(
                (info, [units[u].path for u in covers[key]] if covers.get(key) else [units[info.unit_id].path])
            )
        if rows:
            self.loader.copy(
                Issuer,
                ("id", "unit_id", "name", "signer_title", "signer_name", "place_name", "kinds", "area_id", "is_active",
                 "created_at"),
                rows,
            )  # fmt: skip
        _copy(self.loader, Issuer.covers.through, ("issuer_id", "unit_id"), cover_rows)
        self.counts["issuers"] = len(rows)
        # issuer_for reads the issuers in their order (keeping unit's path, name, id): the first deepest wins
        everybody = sorted(existing + added, key=lambda item: (item[0].path, item[0].name, item[0].id))
        self.issuer_of = {s.id: resolve(s.id, everybody) for s in schools}

    # dates ---------------------------------------------------------------------------------------------------------

    def calendar(self) -> None:
        """Each school's decision mid-June (10th–18th), the issue a month after its issuer's last decision."""
        schools = self.schools
        y = self.year + 1
        decisions = {s.id: dt.date(y, 6, 10) + dt.timedelta(days=self.rng.randrange(9)) for s in schools}
        issued: dict[int, dt.date] = {}
        for s in schools:
            issuer = self.issuer_of[s.id]
            issued[issuer.id] = max(issued.get(issuer.id, dt.date.min), decisions[s.id] + dt.timedelta(days=30))
        latest = max(issued.values(), default=dt.date(y, 7, 20))
        back = _back(_at(latest, 9))
        self.decision = {k: d - back for k, d in decisions.items()}
        self.issued_on = {k: d - back for k, d in issued.items()}

    # rounds, councils, entries ----------------------------------------------------------------------------------------

    def rounds(self) -> None:
        """A decided round per school (``graduation.decide`` on a proposed round with a council of seven), an entry per
        grade-9 learner as ``graduation.review`` writes it (``rules.thcs_graduation`` on the approved year result, or
        on a generated one when the year has no approved result)."""
        from exams import rules
        from exams.models import (
            CouncilRole,
            GraduationCouncilMember,
            GraduationEntry,
            GraduationLevel,
            GraduationRound,
            RoundStatus,
        )
        from exams.seed_diplomas import COUNCIL
        from sms.names import person_name
        from sms.text import nfc

        rng, world, schools, learners = self.rng, self.world, self.schools, self.learners
        keys = _names()
        # a school that approved year results is read as it is; the others get a generated year (the province's grades
        # may stop at the semesters)
        approving = {x.school_id for x in world.grade9 if x.enrolment_id in world.results}
        thcs, decided = GraduationLevel.THCS.value, RoundStatus.DECIDED.value
        round_ids = list(self.loader.ids(GraduationRound, len(schools)))
        self.round_of = dict(zip((s.id for s in schools), round_ids, strict=True))
        decision_no: dict[int, int] = defaultdict(lambda: 180 + rng.randrange(40))
        round_rows, council_rows, entry_rows = [], [], []
        self.graduates: dict[int, list[tuple]] = defaultdict(list)  # issuer id → diploma sources
        last = self.number >= rules.GRADUATION_ROUNDS_PER_YEAR
        generated = 0
        tally = defaultdict(int)
        entry_ids = iter(self.loader.ids(GraduationEntry, sum(len(learners[s.id]) for s in schools)))
        for s, round_id in zip(schools, round_ids, strict=True):
            issuer = self.issuer_of[s.id]
            day = self.decision[s.id]
            decision_no[issuer.id] += 1
            office = world.units.get(issuer.unit_id)
            suffix = "QĐ-PGDĐT" if office is not None and office.kind == "phong" else "QĐ-UBND"
            number = f"{decision_no[issuer.id]}/{suffix}"
            signer = f"{issuer.signer_title} {issuer.signer_name}"
            principal = s.principal_user_id
            round_rows.append(
                (round_id, s.id, thcs, self.year, self.number, issuer.id, decided,
                 _at(day - dt.timedelta(days=5), 9), _at(day - dt.timedelta(days=3), 15), principal, number, day,
                 signer, _at(day, 10), world.registrar(issuer.unit_id), _at(day - dt.timedelta(days=25), 8))
            )  # fmt: skip
            for order, (role, position) in enumerate(COUNCIL, start=1):
                if role == CouncilRole.CHAIR and principal:
                    name, user = world.user_names.get(principal) or person_name(rng)[0], principal
                else:
                    name, user = person_name(rng)[0], None
                council_rows.append((round_id, keys(name)[0], position, role.value, user, order))
            school_key = keys(s.name)[2]
            rows = []
            for x in learners[s.id]:
                name, search, sort = keys(x.full_name)
                rows.append((world.class_names.get(x.class_id, ""), sort, x.learner_code, x, name, search))
            rows.sort(key=lambda r: r[:3])
            for class_name, sort, _, x, name, search in rows:
                personal_id, ethnicity, birthplace = world.records.get(x.student_id, ("", "Kinh", ""))
                ethnicity, birthplace = nfc(ethnicity).strip() or "Kinh", nfc(birthplace).strip()
                result = world.results.get(x.enrolment_id)
                if result is None and s.id in approving:
                    result = ("", "", "", 0)  # no approved year: "no_result", as the review lists it
                elif result is None:
                    result = self.generated_year(rng)
                    generated += 1
                outcome, learning, conduct, absences = result
                verdict = rules.thcs_graduation(
                    outcome or None, learning=learning, conduct=conduct, absences=int(absences)
                )
                entry_id = next(entry_ids)
                entry_rows.append(
                    (entry_id, round_id, x.student_id, s.id, class_name[:30], name, x.birth_date, x.sex, ethnicity,
                     birthplace, personal_id, outcome, learning, conduct, int(absences), verdict.recognised,
                     list(verdict.reasons), verdict.may_retry and not last, search, sort)
                )  # fmt: skip
                tally["recognised" if verdict.recognised else "not_recognised"] += 1
                if verdict.recognised:
                    self.graduates[issuer.id].append(
                        (school_key, class_name, sort, entry_id, x, name, search, sort, personal_id, ethnicity,
                         birthplace, s, number, day)
                    )  # fmt: skip
        self.loader.copy(
            GraduationRound,
            ("id", "unit_id", "level", "start_year", "number", "issuer_id", "status", "reviewed_at", "proposed_at",
             "proposed_by_id", "decision_number", "decision_date", "decision_signer", "decided_at", "decided_by_id",
             "created_at"),
            round_rows,
        )  # fmt: skip
        _copy(
            self.loader,
            GraduationCouncilMember,
            ("round_id", "full_name", "position", "role", "user_id", "order"),
            council_rows,
        )
        self.loader.copy(
            GraduationEntry,
            ("id", "round_id", "student_id", "school_id", "class_name", "full_name", "birth_date", "sex", "ethnicity",
             "birthplace", "personal_id", "outcome", "learning", "conduct", "absences", "recognised", "reasons",
             "may_retry", "search_key", "sort_key"),
            entry_rows,
        )  # fmt: skip
        self.counts["graduation_rounds"] = len(round_rows)
        self.counts["graduation_entries"] = len(entry_rows)
        self.counts["graduates"] = tally["recognised"]
        self.counts["not_recognised"] = tally["not_recognised"]
        self.counts["generated_year_results"] = generated

    @staticmethod
    def generated_year(rng) -> tuple[str, str, str, int]:
        """A grade-9 year the students module would have approved: (outcome, learning, conduct, absences)."""
        outcome = _weighted(rng, OUTCOMES)
        learning, conduct, absences = (
            _weighted(rng, LEARNING),
            _weighted(rng, CONDUCT),
            rng.choice((0, 0, 1, 2, 3, 5, 8)),
        )
        if outcome == "ren_luyen_he":
            conduct = "chua_dat"
        elif outcome == "kiem_tra_lai":
            learning = "chua_dat"
        elif outcome == "o_lai":
            cause = rng.choice(("learning", "learning", "conduct", "absences"))
            if cause == "learning":
                learning = "chua_dat"
            elif cause == "conduct":
                conduct = "chua_dat"
            else:
                absences = 46 + rng.randrange(20)
        return outcome, learning, conduct, absences

    # the register -----------------------------------------------------------------------------------------------------

    def issue(self) -> None:
        """``register.issue_batch`` per issuer on its issue date: the recognised graduates in numbering order (school,
        class, name), entry numbers after the book's counter (left at the last one), serials from a block of
        blanks (``rules.serial_sequence``)."""
        from django.db.models import Max

        from exams import rules
        from exams.models import Diploma, DiplomaKind, DiplomaStatus, RegisterBook, RegisterCounter

        loader, world = self.loader, self.world
        kind, original, valid = DiplomaKind.THCS.value, RegisterBook.ORIGINAL.value, DiplomaStatus.VALID.value
        issuers = sorted(self.graduates)
        years = {self.issued_on[i].year for i in issuers}
        counters = {
            (issuer, year): (pk, last)
            for pk, issuer, year, last in RegisterCounter.objects.filter(
                issuer_id__in=issuers, book=original, kind=kind, year__in=years
            ).values_list("pk", "issuer_id", "year", "last_number")
        }
        floors = {
            (issuer, year): top
            for issuer, year, top in Diploma.objects.filter(issuer_id__in=issuers, kind=kind, year__in=years)
            .order_by()
            .values("issuer_id", "year")
            .annotate(top=Max("entry_number"))
            .values_list("issuer_id", "year", "top")
        }
        head = f"THCS {self.year + 1 - 2000:02d} "
        used = [
            int(serial[len(head) :])
            for serial in Diploma.objects.filter(kind=kind, serial__startswith=head).values_list("serial", flat=True)
            if serial[len(head) :].isdigit()
        ]
        next_blank = max(used, default=0) + 1
        names = {info.id: info for info in self.issuer_of.values()}
        rows, counter_rows = [], []
        ids = iter(loader.ids(Diploma, sum(len(v) for v in self.graduates.values())))
        for issuer_id in issuers:
            info = names[issuer_id]
            graduates = sorted(self.graduates[issuer_id], key=lambda g: (g[0], g[1], g[2], g[3]))
            issued_on = self.issued_on[issuer_id]
            year = issued_on.year
            pk, last = counters.get((issuer_id, year), (None, 0))
            first = max(last, floors.get((issuer_id, year), 0)) + 1
            start = math.ceil(next_blank / 1000) * 1000 + 1
            serials = rules.serial_sequence(f"{head}{start:07d}", len(graduates))
            next_blank = start + len(graduates)
            registrar = world.registrar(info.unit_id)
            created = _at(issued_on, 9)
            for number, serial, g in zip(range(first, first + len(graduates)), serials, graduates, strict=True):
                (
                    _,
                    class_name,
                    _,
                    entry_id,
                    x,
                    name,
                    search,
                    sort,
                    personal_id,
                    ethnicity,
                    birthplace,
                    s,
                    decision_no,
                    day,
                ) = g
                rows.append(
                    (next(ids), issuer_id, kind, year, number, serial, valid, name, x.birth_date,
                     birthplace, x.sex, ethnicity, personal_id, x.student_id, s.id, s.name, self.year + 1, entry_id,
                     decision_no, day, issued_on, info.signer_title, info.signer_name, registrar, created, search, sort)
                )  # fmt: skip
            top = first + len(graduates) - 1
            if pk is None:
                counter_rows.append((issuer_id, original, kind, year, top))
            else:  # a counter of an issuer configured before (not the case of a fresh province): moved on
                RegisterCounter.objects.filter(pk=pk).update(last_number=top)
        self.counts["diplomas"] = loader.copy(
            Diploma,
            ("id", "issuer_id", "kind", "year", "entry_number", "serial", "status", "full_name", "birth_date",
             "birthplace", "sex", "ethnicity", "personal_id", "student_id", "school_id", "school_name",
             "graduation_year", "entry_id", "decision_number", "decision_date", "issued_on", "signer_title",
             "signer_name", "issued_by_id", "created_at", "search_key", "sort_key"),
            rows,
        )  # fmt: skip
        self.diploma_rows = rows
        _copy(loader, RegisterCounter, ("issuer_id", "book", "kind", "year", "last_number"), counter_rows)
        self.counts["register_counters"] = len(counter_rows)

    def publish_diplomas(self) -> None:
        """Each diploma's two public items (by serial; by name, opened with the birth date), as
        ``portal_diplomas.publish`` writes them: ``portal_diplomas.records`` on the rows in memory (light objects with
        what it reads: no correction, no revocation yet)."""
        from exams import rules
        from exams.services import portal_diplomas

        issuers = {
            info.id: SimpleNamespace(name=info.name, place_name=info.place_name, unit_id=info.unit_id)
            for info in self.issuer_of.values()
        }
        none = SimpleNamespace(all=tuple)
        serial, name = [], []
        for r in self.diploma_rows:
            diploma = SimpleNamespace(
                pk=r[0], issuer=issuers[r[1]], kind=r[2], entry_label=rules.entry_label(r[2], r[3], r[4]), serial=r[5],
                status=r[6], full_name=r[7], birth_date=r[8], birthplace=r[9], sex=r[10], graduation_year=r[16],
                issued_on=r[20], signer_title=r[21], signer_name=r[22], corrections=none, revocation=None,
            )  # fmt: skip
            by_serial, by_name = portal_diplomas.records(diploma)
            serial.append(by_serial)
            name.append(by_name)
        written = _store(self.loader, portal_diplomas.SERIAL_KIND, serial)
        written += _store(self.loader, portal_diplomas.NAME_KIND, name)
        self.counts["portal_diploma_items"] = written
