"""Services of the professional-standard evaluation (Thông tư 20/2018): self-assessment →
subject-group comment → principal's decision. Each is one transaction, checks who acts and
keeps history (AuditedHistory, attributed with ``acting_as``)."""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from sms.accounts.roles import Role
from sms.accounts.scoping import can, visible_to
from sms.audit.history import acting_as
from sms.files.validators import validate_upload
from sms.org.models import SchoolYear

from . import rules
from .models import CriterionRating, Evaluation, EvaluationStage, Rating, StaffRecord

LOCKED = "Phiếu đánh giá đã được hiệu trưởng quyết định, không thể sửa."
#: school roles (besides the subject-group leader) who may write the group's comment
GROUP_COMMENTERS = frozenset({Role.PRINCIPAL, Role.SCHOOL_ADMIN})
EVIDENCE_TYPES = ("pdf", "png", "jpg", "jpeg", "docx", "xlsx")


def _fresh(evaluation: Evaluation) -> Evaluation:
    """The evaluation re-read and locked for the rest of the transaction."""
    return (
        Evaluation.objects.select_for_update(of=("self",))
        .select_related("staff", "staff__subject_group")
        .get(pk=evaluation.pk)
    )


def _not_locked(evaluation: Evaluation) -> None:
    if evaluation.stage == EvaluationStage.DECIDED:
        raise ValidationError(LOCKED)


def _check_ratings(ratings: Mapping[int, str]) -> dict[int, str]:
    clean: dict[int, str] = {}
    for criterion, rating in ratings.items():
        try:
            criterion = int(criterion)
        except (TypeError, ValueError):
            raise ValidationError(f"Tiêu chí “{criterion}” không hợp lệ.") from None
        if criterion not in rules.CRITERIA:
            raise ValidationError(f"Tiêu chí {criterion} không có trong Thông tư 20/2018 (chỉ có 1–15).")
        if rating in ("", None):
            continue
        if rating not in Rating.values:
            raise ValidationError(f"Mức đánh giá “{rating}” của tiêu chí {criterion} không hợp lệ.")
        clean[criterion] = rating
    return clean


def _owns(actor, evaluation: Evaluation) -> bool:
    return actor is not None and evaluation.staff.user_id == actor.user.pk


def _require_owner(actor, evaluation: Evaluation) -> None:
    if not _owns(actor, evaluation) or not can(actor, "change", evaluation):
        raise PermissionDenied("Chỉ giáo viên được đánh giá mới tự đánh giá phiếu này.")


def may_self_assess(actor, evaluation: Evaluation) -> bool:
    return _owns(actor, evaluation) and evaluation.stage == EvaluationStage.DRAFT


def may_group_comment(actor, evaluation: Evaluation) -> bool:
    if actor is None or evaluation.stage != EvaluationStage.SELF_ASSESSED or _owns(actor, evaluation):
        return False
    if actor.unit_id != evaluation.school_id:
        return False
    group = evaluation.staff.subject_group
    leads = group is not None and group.leader_id is not None and group.leader.user_id == actor.user.pk
    return leads or actor.role in GROUP_COMMENTERS


def may_decide(actor, evaluation: Evaluation) -> bool:
    return (
        actor is not None
        and actor.role == Role.PRINCIPAL
        and actor.unit_id == evaluation.school_id
        and evaluation.stage == EvaluationStage.GROUP_COMMENTED
        and not _owns(actor, evaluation)
    )


def start_self_assessment(actor, school_year: SchoolYear) -> Evaluation:
    """The actor's own evaluation of ``school_year`` (created with its 15 criteria if new)."""
    if actor is None or not visible_to(actor, SchoolYear).filter(pk=school_year.pk).exists():
        raise PermissionDenied("Bạn không thuộc trường của năm học này.")
    if actor.unit_id != school_year.school_id or actor.role not in Evaluation.scope.writers:
        raise PermissionDenied("Bạn không thể tự đánh giá tại trường này.")
    # Only the record at this very school: a membership left at another school gives nothing.
    staff = StaffRecord.objects.filter(user=actor.user, school_id=school_year.school_id).first()
    if staff is None:
        raise ValidationError("Tài khoản của bạn chưa gắn với hồ sơ cán bộ nào; hãy liên hệ quản trị nhà trường.")
    if school_year.is_closed:
        raise ValidationError("Năm học đã khoá sổ, không thể tự đánh giá.")
    with transaction.atomic(), acting_as(actor):
        evaluation, created = Evaluation.objects.get_or_create(
            school_year=school_year, staff=staff, defaults={"school": school_year.school}
        )
        if created:
            for criterion in rules.CRITERIA:
                CriterionRating.objects.create(school=evaluation.school, evaluation=evaluation, criterion=criterion)
    return evaluation


def save_self_ratings(
    actor, evaluation: Evaluation, ratings: Mapping[int, str], evidence_notes: Mapping[int, str] | None = None
) -> Evaluation:
    """Save (part of) the teacher's own ratings and evidence notes; the draft stays open."""
    ratings = _check_ratings(ratings)
    with transaction.atomic(), acting_as(actor):
        evaluation = _fresh(evaluation)
        _not_locked(evaluation)
        _require_owner(actor, evaluation)
        if evaluation.stage != EvaluationStage.DRAFT:
            raise ValidationError("Phiếu đã nộp, không thể sửa phần tự đánh giá.")
        notes = {int(c): (n or "").strip() for c, n in (evidence_notes or {}).items()}
        for row in evaluation.ratings.select_for_update():
            changed = []
            if row.criterion in ratings and row.self_rating != ratings[row.criterion]:
                row.self_rating = ratings[row.criterion]
                changed.append("self_rating")
            if row.criterion in notes and row.evidence_note != notes[row.criterion]:
                row.evidence_note = notes[row.criterion]
                changed.append("evidence_note")
            if changed:
                row.save(update_fields=changed)
    return evaluation


def submit_self_assessment(actor, evaluation: Evaluation) -> Evaluation:
    """Hand in the self-assessment: all 15 criteria rated; the self level by the rules."""
    with transaction.atomic(), acting_as(actor):
        evaluation = _fresh(evaluation)
        _not_locked(evaluation)
        _require_owner(actor, evaluation)
        if evaluation.stage != EvaluationStage.DRAFT:
            raise ValidationError("Phiếu đã được nộp.")
        ratings = {r.criterion: r.self_rating for r in evaluation.ratings.all()}
        missing = [c for c in rules.CRITERIA if not ratings.get(c)]
        if missing:
            raise ValidationError(f"Chưa tự đánh giá các tiêu chí: {', '.join(map(str, missing))}.")
        evaluation.self_level = rules.overall_level(ratings)
        evaluation.stage = EvaluationStage.SELF_ASSESSED
        evaluation.save(update_fields=["self_level", "stage"])
    return evaluation


def group_comment(actor, evaluation: Evaluation, comment: str, ratings: Mapping[int, str] | None = None) -> Evaluation:
    """The subject group's comment (by its leader, or a school leader), with the group's
    ratings where given; the group's proposed level when all 15 are rated."""
    ratings = _check_ratings(ratings or {})
    comment = (comment or "").strip()
    with transaction.atomic(), acting_as(actor):
        evaluation = _fresh(evaluation)
        _not_locked(evaluation)
        if not can(actor, "change", evaluation):
            raise PermissionDenied("Bạn không có quyền góp ý phiếu đánh giá này.")
        if evaluation.stage != EvaluationStage.SELF_ASSESSED:
            raise ValidationError("Chỉ góp ý khi giáo viên đã nộp phiếu tự đánh giá và tổ chưa góp ý.")
        if not may_group_comment(actor, evaluation):
            raise PermissionDenied("Chỉ tổ trưởng tổ chuyên môn của giáo viên (hoặc lãnh đạo nhà trường) được góp ý.")
        if not comment:
            raise ValidationError({"comment": "Hãy nhập ý kiến của tổ chuyên môn."})
        rows = list(evaluation.ratings.select_for_update())
        for row in rows:
            if row.criterion in ratings and row.group_rating != ratings[row.criterion]:
                row.group_rating = ratings[row.criterion]
                row.save(update_fields=["group_rating"])
        group = {r.criterion: r.group_rating for r in rows}
        evaluation.group_level = rules.overall_level(group) if all(group.get(c) for c in rules.CRITERIA) else ""
        evaluation.group_comment = comment
        evaluation.stage = EvaluationStage.GROUP_COMMENTED
        evaluation.save(update_fields=["group_comment", "group_level", "stage"])
    return evaluation


def decide(actor, evaluation: Evaluation, ratings: Mapping[int, str], comment: str = "") -> Evaluation:
    """The principal's decision: the final rating of every criterion, the final level by the
    rules; the evaluation is locked afterwards."""
    ratings = _check_ratings(ratings)
    with transaction.atomic(), acting_as(actor):
        evaluation = _fresh(evaluation)
        _not_locked(evaluation)
        if not can(actor, "change", evaluation) or actor.role != Role.PRINCIPAL:
            raise PermissionDenied("Chỉ hiệu trưởng nhà trường được quyết định xếp loại.")
        if _owns(actor, evaluation):
            # Thông tư 20/2018: the principal's own evaluation is decided by the level above.
            raise PermissionDenied("Hiệu trưởng không tự quyết định xếp loại của chính mình.")
        if evaluation.stage != EvaluationStage.GROUP_COMMENTED:
            raise ValidationError("Chỉ quyết định sau khi tổ chuyên môn đã góp ý.")
        rows = list(evaluation.ratings.select_for_update())
        final = {r.criterion: ratings.get(r.criterion) or r.final_rating for r in rows}
        missing = [c for c in rules.CRITERIA if not final.get(c)]
        if missing:
            raise ValidationError(f"Chưa xếp mức các tiêu chí: {', '.join(map(str, missing))}.")
        for row in rows:
            if row.final_rating != final[row.criterion]:
                row.final_rating = final[row.criterion]
                row.save(update_fields=["final_rating"])
        evaluation.final_level = rules.overall_level(final)
        evaluation.principal_comment = (comment or "").strip()
        evaluation.decided_by = actor.user
        evaluation.decided_at = timezone.now()
        evaluation.stage = EvaluationStage.DECIDED
        evaluation.save(update_fields=["final_level", "principal_comment", "decided_by", "decided_at", "stage"])
    return evaluation


def attach_evidence(actor, rating: CriterionRating, upload) -> CriterionRating:
    """The teacher's evidence file for one criterion (checked by type and size)."""
    validate_upload(upload, allowed=EVIDENCE_TYPES)
    with transaction.atomic(), acting_as(actor):
        evaluation = _fresh(rating.evaluation)
        _not_locked(evaluation)
        _require_owner(actor, evaluation)
        rating = CriterionRating.objects.select_for_update().get(pk=rating.pk)
        rating.evidence.save(upload.name.replace("\\", "/").rsplit("/", 1)[-1], upload, save=False)
        rating.save(update_fields=["evidence"])
    return rating
