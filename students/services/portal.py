"""What module (a) publishes to the public portal's precomputed store (``sms.portal.store``), kind
"student-results" (Circular 53/2012 Art. 14.7: learners and parents look up published results).

What is published: a school's ``Publication`` rows that are not withdrawn (one of a grade covers only
that grade's classes) × the learner's APPROVED results of that school year and period. One store item
per (enrolment, period), ref ``"<enrolment id>/<period>"``:

- key: the learner code, normalised as the lookup normalises what is typed
  (``sms.portal.throttle.normalise_identifier(code, IDENTIFIER_CASE)``);
- secrets: the learner's birth date and ``Student.lookup_code`` (the code printed on the record book);
- unit: the school where the results were recorded (the enrolment's school; a transfer does not move it);
- payload: ``payload()`` below, JSON-ready (ISO datetimes, decimals as strings).

An item exists when the period is published for the learner's class and the learner's ``TermResult`` of
that period is approved — or, for a primary semester (TT27 keeps no semester result), when the
publication includes scores and the semester's subject results are approved. Per-subject results are in
the payload only when a publication covering the item includes scores (``include_scores``; with two
publications covering one class, say one of every grade and one of the grade, either one including the
scores is enough).

The store is written IN THE SAME TRANSACTION as every change that makes it differ from the tables
(``sync``): publishing and withdrawing (``workflow.publish`` / ``withdraw``), approving sheets
(``workflow._approve_locked``) and class results (``results.approve_results``), reopening an approved
sheet on an unlock (``workflow._reopen``: its results go back to "computed"), the summer's entries on an
approved year (``results.record_retest`` / ``record_summer_conduct``), an exemption that refreshes
approved semester rows, a class change, and a learner's identity (``records.save_student``, the class
list import, ``reissue_lookup_code``). ``build`` gives every published item from the tables for
``manage.py portal_rebuild`` (and ``--check``, which the tests run after each flow).

Bulk: ``sync`` locks the school years concerned, reads the enrolments, publications, term results and
subject results of its scope in one query each and replaces the store's items in one DELETE and one INSERT
(per 2,000), so publishing a 1,500-learner school costs a handful of queries, not one per learner.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from sms.accounts.scoping import visible_to
from sms.audit.history import acting_as
from sms.org.catalogue import programme_order
from sms.org.models import SchoolYear
from sms.portal import store
from sms.portal.codes import new_lookup_code
from sms.portal.throttle import normalise_identifier

from .. import rules
from ..models import SCHOOL_WRITERS, Enrolment, Period, Publication, ResultStatus, Student, SubjectResult, TermResult

KIND = "student-results"
#: how the lookup compares learner codes (digits only, so the case never matters; kept in one place)
IDENTIFIER_CASE = "upper"
PERIODS: tuple[str, ...] = (Period.SEMESTER_1, Period.SEMESTER_2, Period.YEAR)
PERIOD_ORDER = {Period.SEMESTER_1: 1, Period.SEMESTER_2: 2, Period.YEAR: 3}


def rank(start_year: int, period: str) -> int:
    """A learner's items in the store: the newest school year first, and in a year the whole year,
    then semester II, then semester I."""
    return -(int(start_year) * 10 + PERIOD_ORDER.get(period, 0))


MSG_NOT_REISSUER = "Chỉ hiệu trưởng hoặc quản trị của trường đang quản lý học sinh mới cấp lại được mã tra cứu."

_ENROLMENT_COLUMNS = (
    "pk",
    "school_id",
    "school__name",
    "school_year_id",
    "school_year__start_year",
    "school_class__name",
    "school_class__grade",
    "student__learner_code",
    "student__full_name",
    "student__birth_date",
    "student__lookup_code",
)
_TERM_COLUMNS = (
    "enrolment_id",
    "period",
    "rule_set",
    "learning",
    "manual_learning",
    "learning_after_retest",
    "conduct",
    "conduct_after_summer",
    "outcome",
    "title",
)
_SUBJECT_COLUMNS = (
    "enrolment_id",
    "period",
    "subject__name",
    "subject__code",
    "subject__assessment",
    "average",
    "passed",
    "level",
    "test_score",
    "retest_average",
    "retest_passed",
    "excluded",
)


def ref(enrolment_id: int, period: str) -> str:
    return f"{enrolment_id}/{period}"


def key_of(learner_code: str) -> str:
    """The store key of a learner code: exactly what the lookup makes of the typed code."""
    return normalise_identifier(learner_code, IDENTIFIER_CASE)


# --- reading what is published ------------------------------------------------------------------------------


def _prefixed(scope: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """An Enrolment filter as a filter of a row hanging on the enrolment ("pk__in" → "enrolment__pk__in")."""
    return {f"{prefix}{name}": value for name, value in scope.items()}


def _coded(value: str, label: str) -> dict[str, str] | None:
    return {"code": value, "label": label} if value else None


def _choice(choices, value: str) -> dict[str, str] | None:
    return _coded(value, dict(choices).get(value, value)) if value else None


def _subject(row: tuple) -> dict[str, Any]:
    (_, _, name, code, assessment, average, passed, level, test_score, retest_average, retest_passed, excluded) = row
    return {
        "name": name,
        "code": code,
        "assessment": assessment,
        "average": None if average is None else str(average),
        "passed": passed,
        "level": _choice(rules.PrimaryLevel.choices, level or ""),
        "test_score": test_score,
        "retest_average": None if retest_average is None else str(retest_average),
        "retest_passed": retest_passed,
        "exempt": bool(excluded),
    }


def payload(enrolment: tuple, period: str, term: tuple | None, subjects: list[tuple] | None, published_at) -> dict:
    """One published item, JSON-ready; the lookup's JSON answer is ``{"items": [payload, ...]}``::

        {"learner_code": "0010000123", "name": "Nguyễn Thị Hương",
         "school": "Trường THCS An Bình", "school_year": "2026-2027", "school_year_start": 2026,
         "period": "hk1", "period_label": "Học kỳ I", "class": "6A1", "grade": 6,
         "rule_set": {"code": "tt22", "label": "Thông tư 22/2021"}, "primary": false,
         "learning": {"code": "tot", "label": "Tốt"}, "learning_after_retest": null,
         "conduct": {"code": "kha", "label": "Khá"}, "conduct_after_summer": null,
         "outcome": {"code": "len_lop", "label": "Được lên lớp"} | null,      (the year only)
         "title": {"code": "gioi", "label": "Học sinh Giỏi"} | null,         (the year only)
         "include_scores": true,
         "subjects": [{"name": "Toán", "code": "toan", "assessment": "scored", "average": "8.5",
                       "passed": null, "level": null, "test_score": null, "retest_average": null,
                       "retest_passed": null, "exempt": false}, ...],      ([] without scores)
         "published_at": "2027-01-20T08:00:00+07:00"}

    The birth date and the lookup code (the secrets) are never in it."""
    from .results import conduct_label, learning_label

    (_, _, school_name, _, start_year, class_name, grade, learner_code, full_name, _, _) = enrolment
    rule_set = term[2] if term is not None else str(rules.rule_set_for(start_year, grade))
    data: dict[str, Any] = {
        "learner_code": learner_code,
        "name": full_name,
        "school": school_name,
        "school_year": f"{start_year}-{start_year + 1}",
        "school_year_start": start_year,
        "period": str(period),
        "period_label": Period(period).label,
        "class": class_name,
        "grade": grade,
        "rule_set": _choice(rules.RuleSet.choices, rule_set),
        "primary": rules.is_primary(rule_set),
        "learning": None,
        "learning_after_retest": None,
        "conduct": None,
        "conduct_after_summer": None,
        "outcome": None,
        "title": None,
        "include_scores": subjects is not None,
        "subjects": [],
        "published_at": published_at.isoformat(),
    }
    if term is not None:
        (_, _, _, learning, manual, after_retest, conduct, after_summer, outcome, title) = term
        final = manual or learning
        data["learning"] = _coded(final, learning_label(rule_set, final))
        data["learning_after_retest"] = _coded(after_retest, learning_label(rule_set, after_retest))
        data["conduct"] = _coded(conduct, conduct_label(rule_set, conduct))
        data["conduct_after_summer"] = _coded(after_summer, conduct_label(rule_set, after_summer))
        data["outcome"] = _choice(rules.Outcome.choices, outcome)
        data["title"] = _choice(rules.Title.choices, title)
    if subjects is not None:
        ordered = sorted(subjects, key=lambda r: programme_order(r[3], r[2]))
        data["subjects"] = [_subject(row) for row in ordered]
    return data


def _records(scope: Mapping[str, Any], periods: Iterable[str], *, published_years_only: bool = False):
    """(refs, records): every (enrolment, period) ref of ``scope`` (an Enrolment filter) and the records of
    those published now. Four queries whatever the number of learners."""
    periods = [str(p) for p in periods]
    enrolments = Enrolment.objects.filter(**scope)
    publications: dict[tuple[int, str], list[tuple]] = defaultdict(list)
    for year_id, period, grade, include_scores, published_at in (
        Publication.objects.filter(
            withdrawn_at=None, period__in=periods, school_year_id__in=enrolments.values("school_year_id")
        )
        .order_by("published_at", "pk")
        .values_list("school_year_id", "period", "grade", "include_scores", "published_at")
    ):
        publications[(year_id, period)].append((grade, include_scores, published_at))
    if published_years_only:
        enrolments = enrolments.filter(school_year_id__in={year for year, _ in publications})
    rows = list(enrolments.order_by("pk").values_list(*_ENROLMENT_COLUMNS))
    refs = [ref(row[0], period) for row in rows for period in periods]
    if not publications or not rows:
        return refs, []

    published_years = sorted({year for year, _ in publications})
    published_periods = sorted({period for _, period in publications})
    scoped = {**_prefixed(scope, "enrolment__"), "enrolment__school_year_id__in": published_years}
    terms = {
        (row[0], row[1]): row
        for row in TermResult.objects.filter(
            **scoped, period__in=published_periods, status=ResultStatus.APPROVED
        ).values_list(*_TERM_COLUMNS)
    }
    with_scores = sorted({(year, period) for (year, period), pubs in publications.items() if any(p[1] for p in pubs)})
    subjects: dict[tuple[int, str], list[tuple]] = defaultdict(list)
    if with_scores:
        for row in (
            SubjectResult.objects.filter(
                **{**scoped, "enrolment__school_year_id__in": sorted({y for y, _ in with_scores})},
                period__in=sorted({p for _, p in with_scores}),
                status=ResultStatus.APPROVED,
            )
            .order_by()
            .values_list(*_SUBJECT_COLUMNS)
        ):
            subjects[(row[0], row[1])].append(row)

    records = []
    for row in rows:
        enrolment_id, school_id, year_id, start_year, grade = row[0], row[1], row[3], row[4], row[6]
        primary = rules.is_primary(rules.rule_set_for(start_year, grade))
        birth_date, lookup_code = row[9], row[10]
        for period in periods:
            covering = [p for p in publications.get((year_id, period), ()) if p[0] is None or p[0] == grade]
            if not covering:
                continue
            include_scores = any(p[1] for p in covering)
            term = terms.get((enrolment_id, period))
            marks = subjects.get((enrolment_id, period), []) if include_scores else None
            if term is None and not (primary and period != Period.YEAR and marks):
                continue  # nothing approved to show (a primary semester shows its approved subject results)
            records.append(
                store.Record(
                    key=key_of(row[7]),
                    ref=ref(enrolment_id, period),
                    payload=payload(row, period, term, marks, covering[0][2]),
                    secrets=[birth_date, lookup_code],
                    unit_id=school_id,
                    rank=rank(start_year, period),
                )
            )
    return refs, records


def sync(scope: Mapping[str, Any], periods: Iterable[str] = PERIODS) -> int:
    """Make the store's items of the enrolments in ``scope`` (an Enrolment filter) and ``periods`` what is
    published now; call it inside the transaction of the change, after its writes. Returns the items written.

    The school years concerned are locked first (``FOR NO KEY UPDATE``, held to the commit) and only then is
    anything read: of two changes committing at once — a principal publishing while the class's results are
    approved — the second to take the lock reads what the first committed, so neither writes the store from
    a state the other is changing (each statement of a READ COMMITTED transaction sees the latest commits)."""
    list(
        SchoolYear.objects.select_for_update(no_key=True)  # not FOR UPDATE: rows pointing at the year insert freely
        .filter(pk__in=Enrolment.objects.filter(**scope).values("school_year_id"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    refs, records = _records(scope, periods)
    if not refs:
        return 0
    return store.replace(KIND, refs, records)


def sync_classes(class_ids: Iterable[int], periods: Iterable[str] = PERIODS) -> int:
    return sync({"school_class_id__in": sorted(set(class_ids))}, periods)


def sync_enrolments(enrolment_ids: Iterable[int], periods: Iterable[str] = PERIODS) -> int:
    return sync({"pk__in": sorted(set(enrolment_ids))}, periods)


def sync_students(student_ids: Iterable[int]) -> int:
    """A learner's identity changed (name, birth date, lookup code): every item of theirs, at any school."""
    ids = sorted(set(student_ids))
    return sync({"student_id__in": ids}) if ids else 0


def sync_publication(school_year_id: int, period: str, grade: int | None) -> int:
    """A publication of (year, period, grade or every grade) was made or withdrawn."""
    scope: dict[str, Any] = {"school_year_id": school_year_id}
    if grade is not None:
        scope["school_class__grade"] = grade
    return sync(scope, [period])


def build() -> Iterator[store.Record]:
    """Every published item, from the tables (the builder of ``manage.py portal_rebuild``)."""
    _, records = _records({}, PERIODS, published_years_only=True)
    yield from records


# --- the printed lookup code ------------------------------------------------------------------------------


def may_reissue_lookup_code(actor, student: Student) -> bool:
    """The principal or school administrator of the learner's current school."""
    return (
        actor is not None
        and getattr(actor, "membership", None) is not None
        and actor.role in SCHOOL_WRITERS
        and actor.unit_id == student.school_id
    )


def reissue_lookup_code(actor, student: Student) -> Student:
    """Cấp lại mã tra cứu: a new random code replaces the one printed on the record book, which stops
    opening the learner's published results at once (the store's secrets are rewritten in the same
    transaction); the old code stays in the record's history."""
    with transaction.atomic(), acting_as(actor):
        locked = visible_to(actor, Student, "change").select_for_update(of=("self",)).filter(pk=student.pk).first()
        if locked is None or not may_reissue_lookup_code(actor, locked):
            raise PermissionDenied(MSG_NOT_REISSUER)
        old = locked.lookup_code
        code = new_lookup_code()
        while code == old:  # pragma: no cover - one chance in 2**40
            code = new_lookup_code()
        locked.lookup_code = code
        locked._change_reason = "Cấp lại mã tra cứu kết quả"
        locked.save(update_fields=["lookup_code"])
        sync_students([locked.pk])
    return locked


__all__ = [
    "IDENTIFIER_CASE",
    "KIND",
    "build",
    "key_of",
    "may_reissue_lookup_code",
    "payload",
    "reissue_lookup_code",
    "sync",
    "sync_classes",
    "sync_enrolments",
    "sync_publication",
    "sync_students",
]
