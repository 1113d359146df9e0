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


# --- opening a new school year (called by students.services.newyear) -----------------------------------


def copy_assignments_to_next_year(actor, from_year, to_year, class_map, *, dry_run: bool = False) -> dict:
    """Copy the teaching assignments of ``from_year`` into both semesters of ``to_year`` (the next
    school year of the same school), for the school's leaders to review: each assignment of the old
    year's semester II (semester I when II has none) is copied for the class ``class_map`` maps its
    class to (old class id → new class id; ``None``: not created yet, counted only in a dry run).
    The teacher follows the class, as schools usually do; an assignment that already exists in the new
    year for the same semester, class and subject is kept as it is; a teacher who no longer works at
    the school is not carried (listed in ``skipped`` with the reason).

    One transaction, history kept (attributed to ``actor``); ``dry_run`` writes nothing. Only a leader
    (or an administrator above) of the school may copy. Returns ``{"source_semester", "copied",
    "kept", "skipped": [{"class", "subject", "teacher", "reason"}], "created_ids"}``. The number of
    queries does not depend on the number of classes or assignments."""
    from sms.accounts.scoping import units_for
    from sms.audit.history import bulk_create_with_history
    from sms.org.models import SchoolClass, Semester

    from .models import StaffStatus, TeachingAssignment

    school_id = from_year.school_id
    if actor is None or not units_for(actor, TeachingAssignment, "add").filter(pk=school_id).exists():
        raise PermissionDenied("Chỉ lãnh đạo nhà trường được sao chép phân công chuyên môn.")
    if to_year is not None and (to_year.school_id != school_id or to_year.start_year <= from_year.start_year):
        raise ValidationError("Năm học mới phải là năm học sau của cùng trường.")
    result = {"source_semester": None, "copied": 0, "kept": 0, "skipped": [], "created_ids": []}
    with transaction.atomic(), acting_as(actor):
        source = list(
            TeachingAssignment.objects.filter(semester__school_year=from_year, school_class_id__in=list(class_map))
            .select_related("semester", "school_class", "subject", "teacher")
            .order_by("school_class__grade", "school_class__name", "subject__name", "pk")
        )
        numbers = {a.semester.number for a in source}
        number = 2 if 2 in numbers else (1 if 1 in numbers else None)
        result["source_semester"] = number
        source = [a for a in source if a.semester.number == number]
        targets = []
        if to_year is not None:
            targets = list(Semester.objects.filter(school_year=to_year).order_by("number"))
            if to_year.is_closed:
                raise ValidationError(f"Năm học {to_year} đã khoá sổ, không phân công được.")
        new_ids = {v for v in class_map.values() if v is not None}
        valid_classes = set(
            SchoolClass.objects.filter(pk__in=new_ids, school_id=school_id, school_year=to_year).values_list(
                "pk", flat=True
            )
            if to_year is not None
            else []
        )
        if new_ids - valid_classes:
            raise ValidationError("Lớp nhận phân công phải là lớp của năm học mới của trường.")
        existing = set(
            TeachingAssignment.objects.filter(semester__in=targets, school_class_id__in=new_ids).values_list(
                "semester_id", "school_class_id", "subject_id"
            )
            if targets
            else []
        )
        creates = []
        semester_count = len(targets) or 2
        for a in source:
            if a.teacher.status != StaffStatus.WORKING or a.teacher.school_id != school_id:
                result["skipped"].append(
                    {
                        "class": a.school_class.name,
                        "subject": a.subject.name,
                        "teacher": a.teacher.full_name,
                        "reason": f"Giáo viên không còn công tác tại trường ({a.teacher.get_status_display()}).",
                    }
                )
                continue
            new_class = class_map.get(a.school_class_id)
            if new_class is None or not targets:
                result["copied"] += semester_count
                continue
            for semester in targets:
                key = (semester.pk, new_class, a.subject_id)
                if key in existing:
                    result["kept"] += 1
                    continue
                existing.add(key)
                creates.append(
                    TeachingAssignment(
                        school_id=school_id,
                        semester=semester,
                        school_class_id=new_class,
                        subject_id=a.subject_id,
                        teacher_id=a.teacher_id,
                    )
                )
        if dry_run:
            result["copied"] += len(creates)
            return result
        if creates:
            created = bulk_create_with_history(creates, TeachingAssignment, actor=actor, batch_size=500)
            result["created_ids"] = [a.pk for a in created]
        result["copied"] += len(creates)
    return result
