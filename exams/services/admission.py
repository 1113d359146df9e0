"""Admission (tuyển sinh): quotas per school, admission scores, allocation by choices and quotas.

DOMAIN (/work/shared/domain/exams-diplomas.md, "Grade-10 admission"):

- "Admission score = sum of the test scores (each out of 10) + priority points + bonus points.
  Coefficients, number of choices (nguyện vọng) and tie-breaks are set by each Sở: they are
  configuration of an admission round, not code."
- "Direct admission (tuyển thẳng) …", "Priority points …", "Bonus …" (the exam's ``PointRule``
  table, defaults from ``rules.DEFAULT_POINT_RULES``).
- "Allocation: candidates sorted by score, each placed in the highest choice whose quota and
  cut-off allow; cut-offs published with the results."

The arithmetic and the algorithm are ``exams.rules`` (``admission_score``, ``disqualification``,
``allocate``); this module reads the rows, calls them and writes the outcome with history.

Who:

- quotas are set by the exam's organisers (admins and Sở/Phòng staff of the owner's subtree,
  the door's writers of ``Quota``), for schools of the owner's subtree that teach the grade
  the round admits to (grade 10 → THPT-level schools, intake 1 → primary, intake 6 → THCS);
- the allocation is run by the organisers or the board's chair;
- the outcome (admission scores, statuses, cut-offs, admitted counts) is read before publication
  by the board's chair and secretariat only (``sees_outcome``): it is made of unpublished marks
  (ARCHITECTURE.md, "an exam board sees its exam's unpublished marks and nobody else does").

Locks: once a publication is scheduled (``Exam.results_publish_at`` set, even in the future)
quotas and the allocation are frozen; cancelling a publication that has not happened yet
unfreezes them (``exams.services.publication``).

Refusals are ``ValidationError`` (wrong state, bad input; Vietnamese, naming the field or the
candidate) or ``PermissionDenied`` (wrong person).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, QuerySet
from django.utils import timezone

from sms.accounts.roles import UnitKind
from sms.accounts.scoping import visible_to
from sms.audit.history import acting_here, bulk_update_with_history
from sms.org.models import Unit
from sms.org.rules import SchoolType, grades_for

from .. import rules
from ..models import (
    AdmissionStatus,
    Appeal,
    AppealStatus,
    BoardRole,
    Candidate,
    CandidateScore,
    Choice,
    Exam,
    ExamKind,
    ExamSubject,
    PointRule,
    Quota,
)
from ..selectors import board_roles, is_organiser

#: the grade each admission kind admits to (the quota schools must teach it)
TARGET_GRADE = {ExamKind.ADMISSION_10: 10, ExamKind.INTAKE_1: 1, ExamKind.INTAKE_6: 6}
#: the largest quota a school may be given in one round (a typo guard)
MAX_PLACES = 5000
#: simple-history keeps change reasons in 100 characters
REASON_MAX = 100
#: how many candidates a refusal names before summing up the rest
NAMED = 5

#: the history reasons the allocation and an appeal write on a candidate: fixed words, no score,
#: no cut-off (the candidate's history is shown to staff who may not read the outcome yet)
RUN_REASON = "Xét tuyển"
RERUN_REASON = "Xét tuyển lại"
APPEAL_REASON = "Phúc khảo"

MSG_NOT_ORGANISER = "Chỉ đơn vị tổ chức kỳ thi mới được sửa chỉ tiêu tuyển sinh."
MSG_NOT_RUNNER = "Chỉ đơn vị tổ chức kỳ thi hoặc chủ tịch hội đồng mới được chạy xét tuyển."


# --- who is who ---------------------------------------------------------------------------------------


def may_run(actor, exam: Exam) -> bool:
    """Run the allocation or schedule the publication: the organisers, or the board's chair."""
    return is_organiser(actor, exam) or BoardRole.CHAIR in board_roles(actor, exam)


def sees_outcome(actor, exam: Exam, roles: Iterable[str] | None = None) -> bool:
    """Whether the actor may read the exam's outcome (scores, statuses, cut-offs) at all: after
    publication everybody the door lets read the rows; before it, the chair and secretariat."""
    if exam.is_published():
        return True
    roles = board_roles(actor, exam) if roles is None else roles
    return bool({BoardRole.CHAIR, BoardRole.SECRETARIAT} & set(roles))


def locked_message(exam: Exam, doing: str) -> str | None:
    """Why ``doing`` is refused because of the publication, or None."""
    if exam.results_publish_at is None:
        return None
    when = timezone.localtime(exam.results_publish_at).strftime("%d/%m/%Y %H:%M")
    if exam.is_published():
        return f"Kết quả kỳ thi đã công bố lúc {when}, không thể {doing}."
    return f"Kỳ thi đã hẹn công bố kết quả lúc {when}; hãy huỷ lịch công bố trước khi {doing}."


def refuse_if_locked(exam: Exam, doing: str) -> None:
    message = locked_message(exam, doing)
    if message:
        raise ValidationError(message)


def _require_admission(exam: Exam) -> None:
    if not exam.is_admission:
        raise ValidationError(f"{exam.get_kind_display()} không xét tuyển theo chỉ tiêu và nguyện vọng.")


# --- quotas -------------------------------------------------------------------------------------------


def school_types_for(exam: Exam) -> list[str]:
    """The school types that teach the grade ``exam`` admits to."""
    grade = TARGET_GRADE.get(exam.kind)
    return [t for t in SchoolType.values if grade is not None and grade in grades_for(t)]


def eligible_schools(exam: Exam) -> QuerySet:
    """Schools (and centres) of the owner's subtree, open, teaching the grade the round admits to."""
    return Unit.objects.filter(
        path__startswith=exam.unit.path,
        kind__in=(UnitKind.SCHOOL, UnitKind.CENTRE),
        school_type__in=school_types_for(exam),
        is_active=True,
    ).order_by("name", "pk")


def _places(value) -> int:
    if isinstance(value, bool):
        value = None
    if isinstance(value, str):
        value = value.strip()
        value = int(value) if value.isdigit() else None
    if not isinstance(value, int):
        raise ValidationError({"places": "Chỉ tiêu phải là một số nguyên."})
    if value < 0 or value > MAX_PLACES:
        raise ValidationError({"places": f"Chỉ tiêu phải từ 0 đến {MAX_PLACES}."})
    return value


def _save_quota(actor, exam: Exam, school_id, places, *, check_school: bool) -> Quota:
    with transaction.atomic(), acting_here(actor):
        exam = Exam.objects.select_for_update().select_related("unit").get(pk=exam.pk)
        if not is_organiser(actor, exam):
            raise PermissionDenied(MSG_NOT_ORGANISER)
        _require_admission(exam)
        refuse_if_locked(exam, "sửa chỉ tiêu")
        places = _places(places)
        if check_school:
            try:
                unit = eligible_schools(exam).get(pk=int(school_id))
            except (TypeError, ValueError, OverflowError, Unit.DoesNotExist):
                grade = TARGET_GRADE[exam.kind]
                raise ValidationError(
                    {"school": f"Chỉ chọn được trường đang hoạt động thuộc {exam.unit} có dạy lớp {grade}."}
                ) from None
            school_id = unit.pk
        quota = Quota.objects.select_for_update().filter(exam=exam, school_id=school_id).first()
        if quota is None:
            quota = Quota(exam=exam, school_id=school_id, places=places)
            quota._change_reason = "Giao chỉ tiêu"
            quota.save()
        elif quota.places != places:
            quota.places = places
            quota._change_reason = "Sửa chỉ tiêu"
            quota.save()
    return quota


def set_quota(actor, exam: Exam, school, places) -> Quota:
    """Create or change the quota of ``school`` (a ``Unit`` or its id) in ``exam``. Refused
    for a school outside the owner's subtree or not teaching the grade the round admits to
    (grade 10: THPT-level schools; intake 1: primary; intake 6: THCS), a non-admission exam,
    a wrong person (organisers only), or once a publication is scheduled."""
    return _save_quota(actor, exam, getattr(school, "pk", school), places, check_school=True)


def update_quota(actor, quota: Quota, places) -> Quota:
    """Change the places of an existing quota (the door's writers of ``Quota``, organisers)."""
    if not visible_to(actor, Quota, "change").filter(pk=quota.pk).exists():
        raise PermissionDenied(MSG_NOT_ORGANISER)
    return _save_quota(actor, quota.exam, quota.school_id, places, check_school=False)


# --- admission scores ---------------------------------------------------------------------------------


@dataclass
class ScoreRow:
    """One candidate's admission score, as ``compute_scores`` found it."""

    candidate: Candidate
    tests: dict[str, Decimal | None] = field(default_factory=dict)  # subject code -> score (None: absent)
    missing: list[str] = field(default_factory=list)  # subjects without a matched score
    priority: Decimal = Decimal(0)
    bonus: Decimal = Decimal(0)
    score: Decimal | None = None
    excluded: str | None = None  # why the candidate cannot be admitted (absent, a zero, no number…)
    absent: bool = False
    choices: tuple[int, ...] = ()


def _points(rule: PointRule | None, kind: str) -> Decimal:
    return rule.points if rule is not None and rule.kind == kind else Decimal(0)


def _candidates(exam: Exam, only: int | None = None) -> list[Candidate]:
    found = Candidate.objects.filter(exam=exam, withdrawn=False)
    if only is not None:
        found = found.filter(pk=only)
    return list(found.select_related("priority", "bonus", "direct").order_by("number", "sort_key", "pk"))


def _score_rows(exam: Exam, only: int | None = None) -> tuple[list[ExamSubject], list[ScoreRow]]:
    """Four queries: subjects, candidates, matched scores, choices (of one candidate when ``only``
    is their id: the same computation, for an appeal)."""
    subjects = list(ExamSubject.objects.filter(exam=exam).order_by("order", "starts_at", "pk"))
    candidates = _candidates(exam, only)
    scores = CandidateScore.objects.filter(candidate__exam=exam, candidate__withdrawn=False)
    chosen = Choice.objects.filter(candidate__exam=exam)
    if only is not None:
        scores, chosen = scores.filter(candidate_id=only), chosen.filter(candidate_id=only)
    # (score, absent) only: a province's 60,000 scores as model instances cost seconds
    by_candidate: dict[int, dict[int, tuple[Decimal | None, bool]]] = {}
    for candidate_id, subject_id, value, absent in scores.order_by().values_list(
        "candidate_id", "exam_subject_id", "score", "absent"
    ):
        by_candidate.setdefault(candidate_id, {})[subject_id] = (value, absent)
    choices: dict[int, list[int]] = {}
    for candidate_id, school_id in chosen.order_by("candidate_id", "rank").values_list("candidate_id", "school_id"):
        choices.setdefault(candidate_id, []).append(school_id)
    coefficients = {s.code: s.coefficient for s in subjects}
    rows = []
    for candidate in candidates:
        row = ScoreRow(
            candidate=candidate,
            priority=_points(candidate.priority, PointRule.Kind.PRIORITY),
            bonus=_points(candidate.bonus, PointRule.Kind.BONUS),
            choices=tuple(choices.get(candidate.pk, ())[: exam.choices_allowed]),
        )
        mine = by_candidate.get(candidate.pk, {})
        names = {}
        for subject in subjects:
            found = mine.get(subject.pk)
            if found is None:
                row.missing.append(subject.name)
                continue
            value, absent = found
            row.tests[subject.code] = None if absent else value
            names[subject.name] = None if absent else value
        if subjects and not candidate.number:
            row.excluded, row.absent = "không có số báo danh, không dự thi", True
        elif subjects and not row.missing:
            reason = rules.disqualification(names)
            if reason:
                row.excluded = reason
                row.absent = any(v is None for v in names.values())
        if not row.missing and not row.excluded:
            row.score = rules.admission_score(
                row.tests, coefficients, priority=row.priority, bonus=row.bonus, review=candidate.review_score
            )
        rows.append(row)
    return subjects, rows


def compute_scores(actor, exam: Exam) -> list[ScoreRow]:
    """Per candidate (withdrawn left out), the admission score: Σ matched ``CandidateScore`` ×
    ``ExamSubject.coefficient`` + the candidate's priority and bonus points (their ``PointRule``
    rows) + the review score (review kinds, or a combined round), by ``rules.admission_score``;
    ``rules.disqualification`` (absent from a test, a zero) kept as ``excluded``. For those who
    may run the allocation or read the outcome."""
    if not (may_run(actor, exam) or sees_outcome(actor, exam)):
        raise PermissionDenied(MSG_NOT_RUNNER)
    return _score_rows(exam)[1]


# --- allocation ---------------------------------------------------------------------------------------


@dataclass
class Plan:
    """What an allocation run would write: per candidate (score, status, school id, choice
    rank) and per quota (cut-off, admitted), with the reasons of those not admitted."""

    candidates: dict[int, tuple] = field(default_factory=dict)
    quotas: dict[int, tuple] = field(default_factory=dict)
    reasons: dict[int, str] = field(default_factory=dict)
    notes: dict[int, str] = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)


def _who(candidate: Candidate) -> str:
    return f"{candidate.number} {candidate.full_name}".strip()


def _named(rows: list[Candidate]) -> str:
    names = ", ".join(_who(c) for c in rows[:NAMED])
    return names + (f" và {len(rows) - NAMED} thí sinh khác" if len(rows) > NAMED else "")


def plan_allocation(exam: Exam) -> Plan:
    """The allocation's outcome on the data as it is now, without writing anything (the run
    writes it; the publication compares it with what was written). Raises ValidationError when
    numbered candidates lack scores, or the configuration is not valid."""
    subjects, rows = _score_rows(exam)
    lacking = [r.candidate for r in rows if subjects and r.candidate.number and r.missing]
    if lacking:
        raise ValidationError(
            f"Chưa xét tuyển được: {len(lacking)} thí sinh chưa có đủ điểm các môn thi ({_named(lacking)}). "
            "Hãy ghép phách đủ các môn trước."
        )
    quotas = {q.school_id: q for q in Quota.objects.filter(exam=exam)}
    applicants = []
    for row in rows:
        candidate = row.candidate
        direct_to = None
        excluded = row.excluded
        if candidate.direct_id is not None:
            if row.choices:
                direct_to, excluded = row.choices[0], None
            else:
                excluded = "thuộc diện tuyển thẳng nhưng chưa đăng ký nguyện vọng 1"
        tie_values = dict(candidate.tie_break_values or {}) if isinstance(candidate.tie_break_values, dict) else {}
        tie_values["priority"] = row.priority
        for code, value in row.tests.items():
            tie_values[f"subject:{code}"] = value
        applicants.append(
            rules.Applicant(
                key=candidate.pk,
                score=row.score,
                choices=row.choices,
                direct_to=direct_to,
                tie_values=tie_values,
                excluded=excluded,
            )
        )
    try:
        result = rules.allocate(
            applicants,
            {school: q.places for school, q in quotas.items()},
            margins=list(exam.choice_margins or []),
            tie_breaks=list(exam.tie_breaks or []),
        )
    except (TypeError, ValueError) as error:
        raise ValidationError(f"Cấu hình xét tuyển không hợp lệ: {error}") from None
    plan = Plan(reasons={k: v for k, v in result.reasons.items()}, notes=dict(result.notes))
    for row in rows:
        candidate = row.candidate
        placed = result.placements.get(candidate.pk)
        if placed is not None:
            school, rank = placed
            status = AdmissionStatus.DIRECT if rank == 0 else AdmissionStatus.ADMITTED
            plan.candidates[candidate.pk] = (row.score, status, school, rank or None)
        else:
            status = AdmissionStatus.ABSENT if row.absent else AdmissionStatus.NOT_ADMITTED
            plan.candidates[candidate.pk] = (row.score, status, None, None)
        plan.counts[status] += 1
    for school, quota in quotas.items():
        plan.quotas[quota.pk] = (result.cut_offs.get(school), result.admitted.get(school, 0))
    return plan


def _outcome(candidate: Candidate) -> tuple:
    return (
        candidate.admission_score,
        candidate.admission_status,
        candidate.admitted_to_id,
        candidate.admitted_choice,
    )


def stale_rows(exam: Exam, plan: Plan) -> tuple[list[Candidate], list[Quota]]:
    """The candidates and quotas whose stored outcome differs from ``plan`` (withdrawn
    candidates with an outcome left from an earlier run included: they are reset)."""
    candidates = []
    for candidate in Candidate.objects.filter(exam=exam):
        wanted = plan.candidates.get(candidate.pk, (None, AdmissionStatus.PENDING, None, None))
        if _outcome(candidate) != wanted:
            candidates.append(candidate)
    quotas = [q for q in Quota.objects.filter(exam=exam) if (q.cut_off, q.admitted) != plan.quotas.get(q.pk, (None, 0))]
    return candidates, quotas


def allocation_is_current(exam: Exam) -> tuple[bool, str]:
    """Whether the stored outcome is what a run would write now (scores, choices, points,
    quotas and configuration unchanged since the last run), and why not. This is how the
    publication knows the allocation "has run since the last change": it compares outcomes,
    not timestamps, so any change that matters (a score, a choice, a quota, a margin) counts
    and a change that does not matter does not."""
    try:
        plan = plan_allocation(exam)
    except ValidationError as error:
        return False, " ".join(error.messages)
    if not plan.candidates:
        return False, "Kỳ thi chưa có thí sinh để xét tuyển."
    candidates, quotas = stale_rows(exam, plan)
    if candidates or quotas:
        never = not Candidate.objects.filter(exam=exam).exclude(admission_status="").exists()
        if never:
            return False, "Chưa chạy xét tuyển."
        return False, (
            f"Dữ liệu đã thay đổi sau lần xét tuyển gần nhất ({len(candidates)} thí sinh, {len(quotas)} trường "
            "có kết quả khác): hãy chạy xét tuyển lại."
        )
    return True, ""


def _short(text: str) -> str:
    return text if len(text) <= REASON_MAX else text[: REASON_MAX - 1] + "…"


def run_allocation(actor, exam: Exam) -> dict:
    """Allocate the exam's candidates to schools (``rules.allocate`` with ``exam.choice_margins``
    and ``exam.tie_breaks``) and write each candidate's admission score, status, school and
    choice rank, and each quota's cut-off and admitted count, with history. Re-running replaces
    the previous run; on the same data it writes nothing. Refused once a publication is
    scheduled, for non-admission exams, and while numbered candidates lack scores."""
    with transaction.atomic(), acting_here(actor):
        exam = Exam.objects.select_for_update().select_related("unit").get(pk=exam.pk)
        if not may_run(actor, exam):
            raise PermissionDenied(MSG_NOT_RUNNER)
        _require_admission(exam)
        refuse_if_locked(exam, "chạy lại xét tuyển")
        plan = plan_allocation(exam)
        candidates, quotas = stale_rows(exam, plan)
        for candidate in candidates:
            score, status, school, rank = plan.candidates.get(candidate.pk, (None, AdmissionStatus.PENDING, None, None))
            again = candidate.admission_status != AdmissionStatus.PENDING
            candidate.admission_score, candidate.admission_status = score, status
            candidate.admitted_to_id, candidate.admitted_choice = school, rank
            # fixed words: the history is read by every staff reader of the candidate, before
            # publication too; the outcome's explanation is ``explanations`` (board only)
            candidate._change_reason = RERUN_REASON if again else RUN_REASON
        for quota in quotas:
            quota.cut_off, quota.admitted = plan.quotas.get(quota.pk, (None, 0))
        fields = ["admission_score", "admission_status", "admitted_to", "admitted_choice"]
        bulk_update_with_history(candidates, Candidate, fields, actor=actor, default_change_reason=RUN_REASON)
        bulk_update_with_history(quotas, Quota, ["cut_off", "admitted"], actor=actor, default_change_reason="Xét tuyển")
    return {
        "candidates": len(plan.candidates),
        "admitted": plan.counts[AdmissionStatus.ADMITTED],
        "direct": plan.counts[AdmissionStatus.DIRECT],
        "not_admitted": plan.counts[AdmissionStatus.NOT_ADMITTED],
        "absent": plan.counts[AdmissionStatus.ABSENT],
        "changed": len(candidates) + len(quotas),
        "over_quota": len(plan.notes),
        "at": timezone.now(),
    }


# --- after an appeal ----------------------------------------------------------------------------------


def _margins(exam: Exam) -> list[Decimal]:
    try:
        return [rules.to_decimal(m, "margin") for m in exam.choice_margins or []]
    except (TypeError, ValueError):
        return []


def apply_appeal(candidate_id: int, appeal_id: int | None = None) -> str | None:
    """Bring the published outcome of one candidate up to date after an appeal changed one of
    their scores. Called by ``appeals.decide_appeal`` inside its transaction and history context
    (it checks who decides); writes nothing for an exam that does not admit, a withdrawn
    candidate or one the allocation never reached. Returns the history reason written, or None.

    1. The admission score is computed again exactly as the allocation does (``_score_rows``:
       ``rules.admission_score`` with the coefficients, priority, bonus, review score;
       ``rules.disqualification`` checked again, so an appeal raising a 0 makes the candidate
       eligible, and one lowering a score to 0 leaves no admission score) and saved with history.
    2. ``rules.after_appeal`` decides the place against the published cut-offs (our reading,
       documented there: an appeal never takes a place away; reaching cut-off + margin of a
       higher choice — any choice when not admitted — admits there over quota, "trúng tuyển sau
       phúc khảo"). A candidate moving up leaves the lower place: the two quotas' admitted counts
       follow, the cut-offs do not change and nobody else is moved.

    The history reason is "Phúc khảo: …" in words without a score (appeals come after the
    publication, but the candidate's history is read by staff who do not need the numbers)."""
    candidate = Candidate.objects.select_for_update().select_related("exam").filter(pk=candidate_id).first()
    if candidate is None or candidate.withdrawn or candidate.admission_status == AdmissionStatus.PENDING:
        return None
    exam = candidate.exam
    if not exam.is_admission:
        return None
    rows = _score_rows(exam, only=candidate.pk)[1]
    if not rows:
        return None
    row = rows[0]
    status = candidate.admission_status
    held = {AdmissionStatus.ADMITTED: candidate.admitted_choice, AdmissionStatus.DIRECT: 0}.get(status)
    quotas = {q.school_id: q for q in Quota.objects.select_for_update().filter(exam=exam).order_by("pk")}
    cut_offs = {school: quota.cut_off for school, quota in quotas.items()}
    rank = rules.after_appeal(row.score, row.choices, cut_offs, _margins(exam), held)
    suffix = f" (đơn số {appeal_id})" if appeal_id else ""
    reason = None
    if rank is not None:
        school = row.choices[rank - 1]
        left = quotas.get(candidate.admitted_to_id) if status == AdmissionStatus.ADMITTED else None
        if left is not None:
            left.admitted = max(left.admitted - 1, 0)
            left._change_reason = _short(f"{APPEAL_REASON}: một thí sinh chuyển lên nguyện vọng cao hơn{suffix}")
            left.save(update_fields=["admitted"])
        gained = quotas[school]
        gained.admitted += 1
        gained._change_reason = _short(f"{APPEAL_REASON}: trúng tuyển sau phúc khảo, ngoài chỉ tiêu{suffix}")
        gained.save(update_fields=["admitted"])
        candidate.admission_status = AdmissionStatus.ADMITTED
        candidate.admitted_to_id, candidate.admitted_choice = school, rank
        reason = f"{APPEAL_REASON}: trúng tuyển NV{rank} sau phúc khảo{suffix}"
    elif row.score != candidate.admission_score:
        reason = f"{APPEAL_REASON}: điểm xét tuyển thay đổi, giữ kết quả{suffix}"
    if reason is None:
        return None
    candidate.admission_score = row.score
    candidate._change_reason = _short(reason)
    candidate.save(update_fields=["admission_score", "admission_status", "admitted_to", "admitted_choice"])
    return candidate._change_reason


# --- what the pages show ------------------------------------------------------------------------------


def explanations(actor, exam: Exam, candidates: Iterable[Candidate] | None = None) -> dict[int, str]:
    """Why each candidate has the outcome stored (candidate id -> Vietnamese sentence), for
    those who may read the outcome (``sees_outcome``; empty for anybody else). Worked out on the
    fly — the history keeps fixed words only ("Xét tuyển"), since it is shown to every staff
    reader of the candidate before publication too:

    - a candidate whose decided appeal changed a score: the outcome after the appeal against
      the published cut-offs ("Kết quả sau phúc khảo …");
    - otherwise, when the stored outcome is what the allocation gives on today's data:
      ``rules.allocate``'s reason (not admitted: choice by choice) or note (over quota);
    - otherwise nothing (the data changed after the run: the admission page says so).

    ``candidates``: explain only these (rows already loaded, e.g. one page of the results);
    None: every candidate of the exam. The allocation itself (``plan_allocation``) is always
    worked out over the whole exam: a candidate's reason depends on everybody's scores."""
    if not sees_outcome(actor, exam):
        return {}
    try:
        plan = plan_allocation(exam)
    except ValidationError:
        plan = Plan()
    appeals = Appeal.objects.filter(score__candidate__exam=exam, status=AppealStatus.DECIDED)
    if candidates is None:
        candidates = Candidate.objects.filter(exam=exam, withdrawn=False).exclude(admission_status="")
    else:
        candidates = [c for c in candidates if c.exam_id == exam.pk and not c.withdrawn and c.admission_status]
        appeals = appeals.filter(score__candidate_id__in=[c.pk for c in candidates])
    appealed = set(appeals.exclude(new_score=F("old_score")).values_list("score__candidate_id", flat=True))
    found = {}
    for candidate in candidates:
        if candidate.pk in appealed:
            text = f"Kết quả sau phúc khảo: {candidate.get_admission_status_display().lower()}"
            if candidate.admitted_choice:
                text += f" theo NV{candidate.admitted_choice}"
            score = rules.format_decimal(candidate.admission_score) if candidate.admission_score is not None else "—"
            found[candidate.pk] = f"{text} (điểm xét tuyển {score}); điểm chuẩn đã công bố không đổi."
        elif plan.candidates.get(candidate.pk) == _outcome(candidate):
            text = plan.reasons.get(candidate.pk) or plan.notes.get(candidate.pk)
            if text:
                found[candidate.pk] = text
    return found


def explain(actor, exam: Exam, results) -> None:
    """Give each row of ``publication.results_for(actor, exam)`` (or of one page of them,
    ``publication.results_page``) its ``explanation`` (from ``explanations``, for those rows
    only), and the results ``explained = True``, when the actor may read the outcome; the
    results page then shows a "Ghi chú" column."""
    rows = list(results.rows)
    reasons = explanations(actor, exam, [row.candidate for row in rows]) if results.outcome_visible and rows else {}
    results.explained = bool(results.outcome_visible and exam.is_admission)
    for row in rows:
        row.explanation = reasons.get(row.candidate.pk, "")


def configuration_in_words(exam: Exam) -> list[str]:
    """The round's configuration as sentences: "NV2 cần hơn điểm chuẩn 1,5 điểm", "Xét khi
    bằng điểm: điểm TB lớp 9, rồi hạnh kiểm"."""
    lines = [f"Mỗi thí sinh đăng ký tối đa {exam.choices_allowed} nguyện vọng."]
    margins = list(exam.choice_margins or [])
    try:
        values = [rules.to_decimal(m, "margin") for m in margins]
    except (TypeError, ValueError):
        values = None
        lines.append("Điểm cộng thêm theo nguyện vọng không hợp lệ: " + ", ".join(map(str, margins)) + ".")
    if values is not None:
        parts = []
        for rank in range(2, exam.choices_allowed + 1):
            margin = values[min(rank, len(values)) - 1] if values else Decimal(0)
            if margin:
                parts.append(f"NV{rank} cần hơn điểm chuẩn {rules.format_decimal(margin)} điểm")
            else:
                parts.append(f"NV{rank} xét bằng điểm chuẩn")
        if parts:
            lines.append("; ".join(parts) + ".")
    labels = []
    for key in exam.tie_breaks or []:
        try:
            labels.append(rules.tie_break_label(key))
        except ValueError:
            labels.append(f"{key} (không hợp lệ)")
    if labels:
        lines.append("Xét khi bằng điểm: " + ", rồi ".join(label[0].lower() + label[1:] for label in labels) + ".")
    else:
        lines.append("Không có tiêu chí phụ khi bằng điểm: thí sinh bằng điểm ở suất cuối đều trúng tuyển.")
    return lines


def distribution(exam: Exam) -> dict[str, int]:
    """How many candidates have each outcome (for the chair and secretariat, or after publication):
    counted by the database (one GROUP BY), not by loading the candidates."""
    counts = dict(
        Candidate.objects.filter(exam=exam, withdrawn=False)
        .values_list("admission_status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {label: counts.get(value, 0) for value, label in AdmissionStatus.choices}
