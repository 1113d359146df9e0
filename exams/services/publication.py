"""Publication of results at a set time, and the rows of the results pages.

DOMAIN (/work/shared/domain/exams-diplomas.md, "Running an exam"): "Results: published at a
set time; then public lookup by candidate number plus a second secret". ARCHITECTURE.md: "an
exam board sees its exam's unpublished marks and nobody else does, not even the Sở's other
staff".

How "at a set time" works without a job: ``schedule_publication`` stores the moment in
``Exam.results_publish_at``; the door (``exams.models``: ``_published``) compares it with
``now()`` on every query, so the scores become visible to the organisers, the schools and the
learners at that moment by themselves. Before it, only the board's chair and secretariat read
them.

Scheduling is refused unless the results are complete:

- every subject of the exam is matched (ghép phách): each numbered, non-withdrawn candidate
  has a ``CandidateScore`` for each subject;
- for admission kinds, the allocation is current: what is stored equals what a run would
  write now (``admission.allocation_is_current``). We compare outcomes rather than timestamps,
  so a later change of a score, a choice, a point rule, a quota or the round's configuration
  that changes any outcome forces a new run, and nothing else does.

Both keep the public lookup's store (``portal_scores``) equal to what is published, in the same transaction:
scheduling writes every candidate's item, visible from the moment; cancelling removes them.

Scheduling locks the allocation and the quotas (``admission.refuse_if_locked``); once the moment
has passed nothing but an appeal changes a score (marks are locked by ``exams.services.marking``).
``cancel_publication`` is allowed only before the moment. Both write an audit event
(``sms.audit.services.record``) and keep the exam's history.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from sms.accounts.scoping import visible_to
from sms.audit.history import acting_here
from sms.audit.models import EventKind
from sms.audit.services import record

from ..models import AdmissionStatus, Candidate, CandidateScore, Exam, ExamKind, ExamSubject, Quota
from ..selectors import board_roles
from . import admission, portal_scores

#: audit event kinds of publication
RESULTS_PUBLISHED = EventKind.RESULTS_PUBLISHED
PUBLICATION_CANCELLED = EventKind.RESULTS_UNPUBLISHED
#: a moment this little in the past still counts as "now" (the form's minute precision)
GRACE = dt.timedelta(minutes=2)

MSG_NOT_PUBLISHER = "Chỉ đơn vị tổ chức kỳ thi hoặc chủ tịch hội đồng mới được công bố kết quả."


def _when(value) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")


def state(exam: Exam, now=None) -> str:
    """The publication's state in words: "Chưa hẹn công bố", "Sẽ công bố lúc …", "Đã công bố lúc …"."""
    if exam.results_publish_at is None:
        return "Chưa hẹn công bố kết quả"
    if exam.is_published(now):
        return f"Đã công bố lúc {_when(exam.results_publish_at)}"
    return f"Sẽ công bố lúc {_when(exam.results_publish_at)}"


def readiness(exam: Exam) -> list[str]:
    """What keeps the exam's results from being published (empty: ready). Three queries, plus
    the allocation's check for admission kinds."""
    problems = []
    numbered = Candidate.objects.filter(exam=exam, withdrawn=False).exclude(number="")
    subjects = list(ExamSubject.objects.filter(exam=exam).order_by("order", "starts_at", "pk"))
    if subjects and exam.kind == ExamKind.GRADUATION:
        # each candidate sits Toán, Ngữ văn and the electives they chose: a result in some subjects, not all
        if not numbered.exists():
            problems.append("Kỳ thi chưa có thí sinh nào có số báo danh.")
        without = numbered.exclude(pk__in=CandidateScore.objects.filter(candidate__exam=exam).values("candidate_id"))
        missing = without.count()
        if missing:
            problems.append(f"Còn {missing} thí sinh chưa có kết quả môn thi nào (chưa nhập kết quả thi).")
    elif subjects:
        total = numbered.count()
        if not total:
            problems.append("Kỳ thi chưa có thí sinh nào có số báo danh.")
        matched = dict(
            CandidateScore.objects.filter(candidate__in=numbered, exam_subject__exam=exam)
            .values_list("exam_subject_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for subject in subjects:
            missing = total - matched.get(subject.pk, 0)
            if missing > 0:
                problems.append(f"Môn {subject.name}: còn {missing} thí sinh chưa có điểm (chưa ghép phách).")
    elif not exam.is_review:
        problems.append("Kỳ thi chưa có môn thi nào.")
    if exam.is_admission and not problems:
        current, why = admission.allocation_is_current(exam)
        if not current:
            problems.append(why)
    return problems


def _locked_exam(actor, exam: Exam) -> Exam:
    exam = Exam.objects.select_for_update().select_related("unit").get(pk=exam.pk)
    if not admission.may_run(actor, exam):
        raise PermissionDenied(MSG_NOT_PUBLISHER)
    return exam


def schedule_publication(actor, exam: Exam, at: dt.datetime | None = None) -> Exam:
    """Publish the exam's results at ``at`` (now when None; a future moment makes them visible
    then, with no job). Refused once published, while a subject is unmatched, and for admission
    kinds while the allocation is not current. Changing a scheduled moment is scheduling again."""
    now = timezone.now()
    with transaction.atomic(), acting_here(actor):
        exam = _locked_exam(actor, exam)
        if exam.is_published(now):
            raise ValidationError(f"Kết quả kỳ thi đã công bố lúc {_when(exam.results_publish_at)}.")
        if at is None:
            at = now
        if timezone.is_naive(at):
            at = timezone.make_aware(at)
        if at < now - GRACE:
            raise ValidationError({"at": "Thời điểm công bố không được ở trong quá khứ."})
        at = max(at, now)
        problems = readiness(exam)
        if problems:
            raise ValidationError(["Chưa công bố được kết quả:", *problems])
        exam.results_publish_at = at
        exam.published_by = actor.user
        exam._change_reason = f"Hẹn công bố kết quả lúc {_when(at)}"
        exam.save(update_fields=["results_publish_at", "published_by"])
        portal_scores.write_exam(exam)  # the public lookup's items, visible from ``at``
        record(RESULTS_PUBLISHED, actor=actor, unit=exam.unit, obj=exam, detail=f"Công bố kết quả lúc {_when(at)}")
    return exam


def cancel_publication(actor, exam: Exam) -> Exam:
    """Cancel a scheduled publication whose moment has not come yet (afterwards it is final)."""
    with transaction.atomic(), acting_here(actor):
        exam = _locked_exam(actor, exam)
        if exam.results_publish_at is None:
            raise ValidationError("Kỳ thi chưa hẹn công bố kết quả.")
        if exam.is_published():
            raise ValidationError(f"Kết quả đã công bố lúc {_when(exam.results_publish_at)}, không thể huỷ công bố.")
        was = exam.results_publish_at
        exam.results_publish_at = None
        exam.published_by = None
        exam._change_reason = f"Huỷ lịch công bố lúc {_when(was)}"
        exam.save(update_fields=["results_publish_at", "published_by"])
        portal_scores.write_exam(exam)  # nothing of it stays in the public lookup's store
        record(PUBLICATION_CANCELLED, actor=actor, unit=exam.unit, obj=exam, detail=f"Huỷ lịch công bố {_when(was)}")
    return exam


# --- the rows the results pages show ---------------------------------------------------------------


@dataclass
class ResultRow:
    candidate: Candidate
    scores: list = field(default_factory=list)  # per subject of the exam: CandidateScore or None
    outcome_visible: bool = False

    @property
    def status_label(self) -> str:
        if not self.outcome_visible:
            return ""
        return self.candidate.get_admission_status_display()


@dataclass
class Results:
    exam: Exam
    subjects: list
    rows: list[ResultRow]
    outcome_visible: bool
    schools: list  # (id, name) of the schools of every listed candidate (not just ``rows``), for the filter
    #: how many candidates the filters keep (all pages): a COUNT in the database
    total: int = 0
    #: the page of ``results_page`` (a ``django.core.paginator.Page``; ``rows`` are its rows), None for ``results_for``
    page: Page | None = None


#: candidates a page of the results page shows
RESULTS_PER_PAGE = 50


def results_for(actor, exam: Exam, *, school: int | None = None, outcome: str | None = None) -> Results:
    """The results ``actor`` may read, every row (the xlsx, the API, the PDF of the admitted):
    candidates through the door, their scores through the door (``CandidateScore``: the board
    before publication; the organisers, the candidates' schools and the learners after it), and
    the admission outcome stored on the candidate only where the outcome may be read
    (``admission.sees_outcome``). A candidate with nothing the actor may read is not listed.
    The same few queries whatever the number of rows (the rows themselves are loaded: an export)."""
    return _results(actor, exam, school=school, outcome=outcome, paginate=False)


def results_page(
    actor,
    exam: Exam,
    *,
    school: int | None = None,
    outcome: str | None = None,
    page=None,
    per_page: int = RESULTS_PER_PAGE,
) -> Results:
    """One page (``page``: its number as the request gives it; a wrong or too high one is the
    first or last page) of ``results_for``'s rows, in the same order; ``total`` counts every row
    the filters keep. The filtering, the counting and the paging are done by the database, so the
    work does not grow with the exam: the same queries, and ``per_page`` candidates with their
    scores loaded, whatever the number of candidates."""
    return _results(actor, exam, school=school, outcome=outcome, paginate=True, page=page, per_page=per_page)


def _results(actor, exam: Exam, *, school, outcome, paginate: bool, page=None, per_page: int = RESULTS_PER_PAGE):
    roles = board_roles(actor, exam)
    outcome_visible = admission.sees_outcome(actor, exam, roles)
    subjects = list(ExamSubject.objects.filter(exam=exam).order_by("order", "starts_at", "pk"))
    listed = visible_to(actor, Candidate).filter(exam=exam, withdrawn=False)
    if not outcome_visible:
        # only the candidates with a score the actor may read
        listed = listed.filter(Exists(visible_to(actor, CandidateScore).filter(candidate=OuterRef("pk"))))
    schools = list(
        listed.filter(school__isnull=False)
        .values_list("school_id", "school__name")
        .order_by("school__name", "school_id")
        .distinct()
    )
    shown = listed
    if school:
        shown = shown.filter(school_id=school)
    if outcome:
        shown = shown.filter(admission_status=outcome) if outcome_visible else shown.none()
    shown = shown.select_related("school", "admitted_to", "priority", "bonus", "direct").order_by(
        "number", "sort_key", "pk"
    )
    scores_of = visible_to(actor, CandidateScore)
    paged = None
    if paginate:
        paged = Paginator(shown, per_page).get_page(page)
        candidates = list(paged.object_list)
        total = paged.paginator.count
        scores_of = scores_of.filter(candidate_id__in=[c.pk for c in candidates]) if candidates else scores_of.none()
    else:
        candidates = list(shown)
        total = len(candidates)
        scores_of = scores_of.filter(candidate__in=shown.order_by().values("pk"))  # the same filters, once
    scores: dict[int, dict[int, CandidateScore]] = defaultdict(dict)
    for score in scores_of.order_by():
        scores[score.candidate_id][score.exam_subject_id] = score
    rows = []
    for candidate in candidates:
        mine = scores.get(candidate.pk, {})
        rows.append(
            ResultRow(candidate=candidate, scores=[mine.get(s.pk) for s in subjects], outcome_visible=outcome_visible)
        )
    return Results(
        exam=exam,
        subjects=subjects,
        rows=rows,
        outcome_visible=outcome_visible,
        schools=schools,
        total=total,
        page=paged,
    )


def quotas_for(actor, exam: Exam) -> list[Quota]:
    """The exam's quotas through the door; ``cut_off`` and ``admitted`` are blanked (None)
    where the outcome may not be read yet (before publication, outside the chair and
    secretariat)."""
    quotas = list(visible_to(actor, Quota).filter(exam=exam).select_related("school").order_by("school__name", "pk"))
    if not admission.sees_outcome(actor, exam):
        for quota in quotas:
            quota.cut_off, quota.admitted = None, None
    return quotas


def admitted_by_school(actor, exam: Exam) -> list[tuple[str, list[Candidate]]]:
    """The admitted (and directly admitted) candidates per school, for the PDF lists, among the
    rows ``results_for`` gives the actor."""
    results = results_for(actor, exam)
    if not results.outcome_visible:
        return []
    groups: dict[str, list[Candidate]] = defaultdict(list)
    for row in results.rows:
        c = row.candidate
        if c.admission_status in (AdmissionStatus.ADMITTED, AdmissionStatus.DIRECT) and c.admitted_to_id:
            groups[c.admitted_to.name].append(c)
    return [
        (name, sorted(rows, key=lambda c: (-(c.admission_score or Decimal(0)), c.sort_key)))
        for name, rows in sorted(groups.items())
    ]
