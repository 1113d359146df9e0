"""What the public exam-scores lookup reads: the store writer of kind "exam-scores".

Circular 53/2012 Art. 14.8 and ../shared/domain/exams-diplomas.md ("Results: published at a set time; then public
lookup by candidate number plus a second secret (date of birth or a lookup code)"). The lookup
(``exams.portal_scores``) answers from the portal's precomputed store (``sms.portal.store``) in one indexed query;
this module keeps the store equal to what the exams publish, in the same transaction as the change:

- ``schedule_publication`` (``exams.services.publication``) writes every numbered, not withdrawn candidate of the
  exam with ``visible_from = results_publish_at``: the results are loaded before the announced moment and appear
  all at once; scheduling again (moving the moment) rewrites them, ``cancel_publication`` removes them;
- ``decide_appeal`` (an appeal changed a published score, and through ``admission.apply_appeal`` perhaps the
  admission outcome) rewrites that candidate; ``marking.match`` run between the scheduling and the moment (a board
  marked subject of the graduation exam) rewrites the candidates it matched;
- ``setup.update_exam`` / ``setup.update_subject`` rewrite the exam when a name, order or coefficient shown in the
  published items changes.

The rest cannot change what is published: candidates (identity, number, withdrawal, choices), quotas, the
allocation and the results intake are refused once a publication is scheduled, and marks once it has happened.

An item: key ``candidate_key(exam id, number)`` — the lookup normalises what is typed with the same function —;
secrets the candidate's birth date and ``Candidate.lookup_code`` (printed on the admission ticket); unit the exam's
unit; payload (JSON-ready: ISO dates, decimals as strings) the exam, the candidate's number, name, birth date and
school, each subject the candidate has a published score in (after appeals), and for an admission round the
admission score with its priority and bonus points and, once decided, the outcome (status, school, choice). No
total is invented for other kinds: the graduation score belongs to the graduation round (``graduation_thpt``).

Writing is bulk: an exam of any size is three reads and one ``store.replace`` (a DELETE and an INSERT per 2,000
candidates); nothing at all while the exam has no publication time and nothing of it is stored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from django.utils import timezone

from sms.accounts.roles import UnitKind
from sms.portal import store
from sms.portal.throttle import normalise_identifier

from ..models import AdmissionStatus, Candidate, CandidateScore, Exam, ExamSubject, PointRule

KIND = "exam-scores"
#: how the lookup compares numbers (``LookupView.identifier_case``)
CASE = "upper"


def compact_number(value: Any) -> str:
    """A candidate number as typed or stored, without any space ("01 0001" is 010001), upper-cased."""
    return "".join(normalise_identifier(value, CASE).split())


def candidate_key(exam_id: Any, number: Any) -> str:
    """The store's key of a candidate: "<exam id>/<number>", normalised like the lookup's identifier."""
    return normalise_identifier(f"{exam_id}/{compact_number(number)}", CASE)


def _decimal(value) -> str | None:
    return None if value is None else str(value)


def _points(rule: PointRule | None, kind: str) -> str | None:
    return str(rule.points) if rule is not None and rule.kind == kind and rule.points else None


def _exam_data(exam: Exam) -> dict[str, Any]:
    return {
        "id": exam.pk,
        "name": exam.name,
        "kind": exam.kind,
        "kind_display": exam.get_kind_display(),
        "unit": exam.unit.name,
        "published_at": timezone.localtime(exam.results_publish_at).isoformat(),
    }


def _school_of(candidate: Candidate) -> str:
    if candidate.school_id:
        return candidate.school.name
    return candidate.school_name or "Thí sinh tự do"


def payload(exam_data: dict, exam: Exam, candidate: Candidate, subjects: list[ExamSubject], scores: dict) -> dict:
    """One candidate's published item (``scores``: subject id → (score, absent) of this candidate)."""
    data: dict[str, Any] = {
        "exam": exam_data,
        "number": candidate.number,
        "full_name": candidate.full_name,
        "birth_date": candidate.birth_date.isoformat(),
        "school": _school_of(candidate),
        "class_name": candidate.class_name,
        "subjects": [
            {
                "code": s.code,
                "name": s.name,
                "coefficient": str(s.coefficient),
                "score": None if scores[s.pk][1] else _decimal(scores[s.pk][0]),
                "absent": scores[s.pk][1],
            }
            for s in subjects
            if s.pk in scores
        ],
        "admission": None,
    }
    if exam.is_admission:
        decided = candidate.admission_status != AdmissionStatus.PENDING
        data["admission"] = {
            "score": _decimal(candidate.admission_score),
            "priority_points": _points(candidate.priority, PointRule.Kind.PRIORITY),
            "bonus_points": _points(candidate.bonus, PointRule.Kind.BONUS),
            "decided": decided,
            "status": candidate.admission_status if decided else None,
            "status_display": candidate.get_admission_status_display() if decided else None,
            "school": candidate.admitted_to.name if decided and candidate.admitted_to_id else None,
            "choice": candidate.admitted_choice if decided else None,
            "direct": candidate.admission_status == AdmissionStatus.DIRECT,
        }
    return data


#: whose exams the department's portal shows: the Sở's and the Phòng's (as the announcements do); a school's own
#: competition is published to its learners inside the system, not to the public
PUBLIC_UNIT_KINDS = frozenset({UnitKind.SO, UnitKind.PHONG})


def is_public(exam: Exam) -> bool:
    return exam.unit.kind in PUBLIC_UNIT_KINDS


def _published(candidate: Candidate) -> bool:
    return bool(candidate.number) and not candidate.withdrawn


def records(exam: Exam, candidate_ids: Iterable[int] | None = None) -> tuple[list[int], list[store.Record]]:
    """The refs to replace (every candidate of ``exam``, or of ``candidate_ids``) and the published items among
    them (none when the exam has no publication time). Three queries whatever the number of candidates."""
    candidates = Candidate.objects.filter(exam=exam)
    scores = CandidateScore.objects.filter(candidate__exam=exam)
    if candidate_ids is not None:
        ids = list(candidate_ids)
        candidates, scores = candidates.filter(pk__in=ids), scores.filter(candidate_id__in=ids)
    candidates = list(
        candidates.select_related("school", "admitted_to", "priority", "bonus").order_by("pk")
        if exam.is_admission
        else candidates.select_related("school").order_by("pk")
    )
    refs = [c.pk for c in candidates]
    if exam.results_publish_at is None or not is_public(exam) or not any(_published(c) for c in candidates):
        return refs, []
    subjects = list(ExamSubject.objects.filter(exam=exam).order_by("order", "starts_at", "pk"))
    by_candidate: dict[int, dict[int, tuple]] = defaultdict(dict)
    for candidate_id, subject_id, score, absent in scores.values_list(
        "candidate_id", "exam_subject_id", "score", "absent"
    ):
        by_candidate[candidate_id][subject_id] = (score, absent)
    exam_data = _exam_data(exam)
    found = [
        store.Record(
            key=candidate_key(exam.pk, c.number),
            ref=str(c.pk),
            payload=payload(exam_data, exam, c, subjects, by_candidate.get(c.pk, {})),
            secrets=[c.birth_date, c.lookup_code],
            unit_id=exam.unit_id,
            visible_from=exam.results_publish_at,
        )
        for c in candidates
        if _published(c)
    ]
    return refs, found


def _exam(exam) -> Exam:
    """``exam`` with its unit loaded (the callers pass the row they locked)."""
    if isinstance(exam, Exam) and "unit" in exam._state.fields_cache:
        return exam
    return Exam.objects.select_related("unit").get(pk=getattr(exam, "pk", exam))


def write_exam(exam) -> int:
    """Make the store's items of ``exam`` what it publishes now: every numbered, not withdrawn candidate when a
    publication time is set (visible from that moment), none otherwise. Call inside the transaction that set,
    moved or cleared the time. Returns the items written."""
    exam = _exam(exam)
    refs, found = records(exam)
    return store.replace(KIND, refs, found)


def write_candidates(exam, candidate_ids: Iterable[int]) -> int:
    """Rewrite the items of ``candidate_ids`` of ``exam`` after a change of what is published about them (an
    appeal, a late match). Nothing to do while the exam has no publication time (nothing of it is stored)."""
    if isinstance(exam, Exam) and exam.results_publish_at is None:
        return 0  # not a query more for the changes made before any publication (matching, most of all)
    exam = _exam(exam)
    if exam.results_publish_at is None:
        return 0
    refs, found = records(exam, candidate_ids)
    return store.replace(KIND, refs, found)


def build() -> Iterator[store.Record]:
    """Every published item, from the tables (``manage.py portal_rebuild``): exam by exam."""
    for exam in Exam.objects.filter(results_publish_at__isnull=False).select_related("unit").order_by("pk"):
        yield from records(exam)[1]
