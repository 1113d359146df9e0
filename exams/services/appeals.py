"""Appeals (phúc khảo) of published scores.

DOMAIN (/work/shared/domain/exams-diplomas.md, "Running an exam"): "Appeals (phúc khảo): a
separate council whose markers were not the original markers; the changed mark keeps the
history."

1. ``file_appeal``: after publication and within ``APPEAL_WINDOW``, by the candidate (a learner
   account) or their parent — the door shows them only their own published scores — or, on the
   candidate's written request, by the exam's organisers or its board's secretariat. One appeal
   per score: a decided appeal is not filed again.
2. ``assign_appeal_markers`` (chair or secretariat): two markers (one for a subject not
   double-marked) who marked the script in none of rounds 1, 2, 3 or the joint decision;
   APPEAL_1 / APPEAL_2 marks with no score yet. The markers enter them on their "my scripts"
   page (``marking.enter_marks``), by code only.
3. ``decide_appeal`` (chair or secretariat): the appeal marks reconciled like the first
   marking (``rules.reconcile`` with ``Exam.mark_threshold``; a joint score when they differ
   by more) give the new score; ``CandidateScore.score`` is changed with history, the appeal
   keeps the old and the new score. In the same transaction the candidate's admission outcome
   follows (``admission.apply_appeal``): the admission score is computed again and, by
   ``rules.after_appeal`` against the published cut-offs, a raised score may admit the
   candidate at a higher choice over quota ("trúng tuyển sau phúc khảo"); a lowered one never
   takes a place away. Without this, the published admission result would never change
   (the allocation cannot be run again after publication).

The script's own final score (the first marking) is left as it was: the published score lives
on ``CandidateScore``.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from sms.accounts.roles import LEARNER_ROLES
from sms.accounts.scoping import visible_to
from sms.audit.history import acting_here
from sms.text import nfc

from .. import rules
from ..models import Appeal, AppealStatus, BoardRole, CandidateScore, Mark, MarkRound, ScriptKey
from ..selectors import board_roles, board_seat, may_organise
from . import portal_scores
from .admission import apply_appeal
from .marking import MARKING_ROUNDS, checked_score, lock_scripts, marker_seats, seat_name

#: how long after publication an appeal may be filed. Our reading: the grade-10 admission
#: regulation (Thông tư 30/2024) leaves the appeal calendar to the Sở, which commonly accepts
#: appeals for about ten days after the results are announced; one constant, changed here.
APPEAL_WINDOW = timedelta(days=10)
#: appeals that block another one on the same score
ACTIVE = (AppealStatus.PENDING, AppealStatus.MARKING, AppealStatus.DECIDED)
REASON_MAX = 500


def appeal_deadline(exam):
    """The last moment an appeal of ``exam`` is accepted (None before publication is set)."""
    return exam.results_publish_at + APPEAL_WINDOW if exam.results_publish_at else None


def may_file(actor, exam) -> bool:
    """Whether the actor's role may file an appeal on a score they can see."""
    if actor is None:
        return False
    if actor.role in LEARNER_ROLES:
        return True
    return BoardRole.SECRETARIAT in board_roles(actor, exam) or may_organise(actor, exam)


def file_appeal(actor, candidate_score, reason: str = "") -> Appeal:
    """File an appeal of one published score (see the module's docstring for who and when)."""
    reason = " ".join(nfc(reason or "").split())
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": f"Lý do dài tối đa {REASON_MAX} ký tự."})
    with transaction.atomic(), acting_here(actor):
        score = (
            visible_to(actor, CandidateScore)
            .select_related("candidate__exam", "exam_subject")
            .select_for_update(of=("self",))
            .filter(pk=getattr(candidate_score, "pk", candidate_score))
            .first()
        )
        if score is None:
            raise PermissionDenied("Không tìm thấy điểm thi này.")
        exam = score.candidate.exam
        if not may_file(actor, exam):
            raise PermissionDenied(
                "Chỉ thí sinh, cha mẹ thí sinh, đơn vị tổ chức hoặc thư ký hội đồng thi mới nộp được đơn phúc khảo."
            )
        if not exam.is_published():
            raise ValidationError("Kết quả kỳ thi chưa công bố; chưa nhận đơn phúc khảo.")
        deadline = appeal_deadline(exam)
        if timezone.now() > deadline:
            raise ValidationError(
                f"Đã hết hạn nhận đơn phúc khảo (hạn cuối {timezone.localtime(deadline):%H:%M %d/%m/%Y})."
            )
        if score.absent:
            raise ValidationError(f"Thí sinh vắng thi môn {score.exam_subject.name}: không có bài để phúc khảo.")
        taken = Appeal.objects.filter(score=score, status__in=ACTIVE).first()
        if taken is not None:
            raise ValidationError(
                f"Điểm môn {score.exam_subject.name} đã có đơn phúc khảo ({taken.get_status_display().lower()})."
            )
        appeal = Appeal(score=score, reason=reason, old_score=score.score, status=AppealStatus.PENDING)
        appeal._change_reason = "Nộp đơn phúc khảo"
        appeal.save()
    return appeal


def _appeal_for(actor, appeal, roles, doing: str) -> Appeal:
    found = (
        visible_to(actor, Appeal)
        .select_related("score__candidate__exam", "score__exam_subject__exam")
        .select_for_update(of=("self",))
        .filter(pk=getattr(appeal, "pk", appeal))
        .first()
    )
    if found is None:
        raise PermissionDenied("Không tìm thấy đơn phúc khảo.")
    if not board_roles(actor, found.score.candidate.exam) & set(roles):
        who = " hoặc ".join(str(BoardRole(r).label).lower() for r in roles)
        raise PermissionDenied(f"Chỉ {who} của hội đồng thi mới {doing}.")
    return found


def script_of(appeal: Appeal):
    """The script the appealed score came from (through its key), or None."""
    key = (
        ScriptKey.objects.filter(
            candidate_id=appeal.score.candidate_id, script__exam_subject_id=appeal.score.exam_subject_id
        )
        .select_related("script__exam_subject__exam")
        .first()
    )
    return key.script if key else None


def _locked_script_of(appeal: Appeal):
    """``script_of(appeal)`` with its subject and itself locked (``marking.lock_scripts``, the
    order ``enter_marks`` takes), so an appeal mark cannot be saved while the appeal is being
    assigned or decided, and the decision reads the marks as last saved."""
    script = script_of(appeal)
    return lock_scripts([script.pk]).get(script.pk) if script is not None else None


def assign_appeal_markers(actor, appeal, marker_1, marker_2=None) -> list[Mark]:
    """The chair or secretariat gives an appeal to markers who did not mark the script before
    (rounds 1, 2, 3 and joint): APPEAL_1 and, for a double-marked subject, APPEAL_2."""
    with transaction.atomic(), acting_here(actor):
        appeal = _appeal_for(actor, appeal, (BoardRole.CHAIR, BoardRole.SECRETARIAT), "phân công chấm phúc khảo")
        exam, subject = appeal.score.candidate.exam, appeal.score.exam_subject
        if appeal.status != AppealStatus.PENDING:
            raise ValidationError(
                f"Đơn phúc khảo này đang ở bước “{appeal.get_status_display()}”, không phân công lại được."
            )
        script = _locked_script_of(appeal)
        if script is None:
            raise ValidationError(f"Không tìm thấy bài thi (phách) của thí sinh ở môn {subject.name}.")
        wanted = [marker_1, marker_2] if subject.double_marked else [marker_1]
        if any(m in (None, "") for m in wanted):
            raise ValidationError(
                {"marker_2" if marker_1 not in (None, "") else "marker_1": "Hãy chọn đủ cán bộ chấm phúc khảo."}
            )
        seats = [
            marker_seats(exam, [m], field=f"marker_{i}", label=f"Cán bộ chấm phúc khảo {i}")[0]
            for i, m in enumerate(wanted, start=1)
        ]
        if len({s.user_id for s in seats}) < len(seats):
            raise ValidationError({"marker_2": "Hai cán bộ chấm phúc khảo phải là hai người khác nhau."})
        earlier = {
            m.marker.user_id: m.get_round_display().lower()
            for m in Mark.objects.filter(script=script, round__in=MARKING_ROUNDS).select_related("marker")
        }
        for i, seat in enumerate(seats, start=1):
            if seat.user_id in earlier:
                raise ValidationError(
                    {
                        f"marker_{i}": (
                            f"{seat_name(seat)} đã chấm bài này ({earlier[seat.user_id]}); cán bộ chấm phúc khảo "
                            "phải là người chưa chấm bài."
                        )
                    }
                )
        if Mark.objects.filter(script=script, round__in=(MarkRound.APPEAL_1, MarkRound.APPEAL_2)).exists():
            raise ValidationError("Bài thi này đã có điểm chấm phúc khảo.")
        marks = []
        for seat, round_ in zip(seats, (MarkRound.APPEAL_1, MarkRound.APPEAL_2), strict=False):
            mark = Mark(script=script, marker=seat, round=round_)
            mark._change_reason = "Phân công chấm phúc khảo"
            mark.save()
            marks.append(mark)
        appeal.status = AppealStatus.MARKING
        appeal._change_reason = "Phân công chấm phúc khảo"
        appeal.save()
    return marks


def decide_appeal(actor, appeal, joint=None) -> Appeal:
    """The chair or secretariat closes an appeal: the appeal marks reconciled give the new
    score (a ``joint`` score is needed, and only accepted, when they differ by more than the
    exam's threshold). The candidate's score is changed with history and, for an admission
    exam, their admission score and outcome follow (``admission.apply_appeal``); the appeal
    keeps the old and the new score."""
    with transaction.atomic(), acting_here(actor):
        appeal = _appeal_for(actor, appeal, (BoardRole.CHAIR, BoardRole.SECRETARIAT), "quyết định kết quả phúc khảo")
        exam, subject = appeal.score.candidate.exam, appeal.score.exam_subject
        if appeal.status != AppealStatus.MARKING:
            raise ValidationError(
                f"Đơn phúc khảo này đang ở bước “{appeal.get_status_display()}”, chưa quyết định được."
            )
        script = _locked_script_of(appeal)
        marks = {m.round: m for m in Mark.objects.filter(script=script, round__startswith="appeal")}
        first = getattr(marks.get(MarkRound.APPEAL_1), "score", None)
        second = getattr(marks.get(MarkRound.APPEAL_2), "score", None)
        if subject.double_marked:
            verdict = rules.reconcile(first, second, threshold=exam.mark_threshold)
        else:
            verdict = rules.single(first)
        if verdict.status == rules.PENDING:
            raise ValidationError("Chưa đủ điểm chấm phúc khảo; chờ cán bộ chấm phúc khảo nhập điểm.")
        has_joint = joint not in (None, "")
        if verdict.status == rules.DISPUTED:
            if not has_joint:
                raise ValidationError(
                    {
                        "joint": (
                            f"Hai điểm chấm phúc khảo lệch nhau quá {rules.format_decimal(exam.mark_threshold)}: "
                            "hãy ghi điểm thống nhất sau đối thoại."
                        )
                    }
                )
            value = checked_score(joint, subject.max_score, "Điểm thống nhất phúc khảo")
            seat = board_seat(actor, exam, BoardRole.CHAIR) or board_seat(actor, exam, BoardRole.SECRETARIAT)
            mark = marks.get(MarkRound.APPEAL_JOINT) or Mark(script=script, round=MarkRound.APPEAL_JOINT)
            mark.marker, mark.score, mark.marked_at = seat, value, timezone.now()
            mark._change_reason = "Đối thoại thống nhất điểm phúc khảo"
            mark.save()
            verdict = rules.reconcile(first, second, threshold=exam.mark_threshold, joint=value)
        elif has_joint:
            raise ValidationError(
                {"joint": "Hai điểm chấm phúc khảo không lệch quá mức cho phép; không cần điểm thống nhất."}
            )
        new: Decimal = verdict.score
        score = CandidateScore.objects.select_for_update().get(pk=appeal.score_id)
        if score.score != new:
            score.score = new
            score._change_reason = f"Phúc khảo (đơn số {appeal.pk})"
            score.save()
            apply_appeal(score.candidate_id, appeal.pk)
            portal_scores.write_candidates(exam, [score.candidate_id])  # the public lookup shows the new result
        if appeal.old_score is None:
            appeal.old_score = appeal.score.score
        appeal.new_score = new
        appeal.status = AppealStatus.DECIDED
        appeal.decided_at = timezone.now()
        appeal.decided_by = actor.user
        appeal._change_reason = "Quyết định kết quả phúc khảo"
        appeal.save()
    return appeal
