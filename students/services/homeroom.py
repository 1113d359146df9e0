"""The homeroom teacher's work: conduct (or, in primary, qualities and competencies) per
semester, and attendance per day (issue 5, acceptance 5).

Both saves take a whole class at once, validate every row first (a bad value is named by row,
learner and field, and nothing is written), write only the rows that changed, keep history
(bulk, attributed to the actor) and take a constant number of queries whatever the class size.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from sms.accounts.roles import Role
from sms.accounts.scoping import visible_to
from sms.audit.history import acting_here, bulk_create_with_history, bulk_delete_with_history, bulk_update_with_history
from sms.org.models import SchoolClass, Semester
from sms.text import nfc, search_key

from .. import rules
from ..models import Absence, Enrolment, HomeroomAssessment
from ..selectors import rule_set_of
from .workflow import WorkflowError, _at_school, _forbidden, is_homeroom_of

#: TT22/2021 Art. 12: more than 45 sessions absent (excused or not) in the year → not promoted
ABSENCE_LIMIT = rules.ABSENCE_LIMIT
ABSENCE_WARNING = "Nghỉ quá 45 buổi: không đủ điều kiện lên lớp (Điều 12, Thông tư 22/2021)"
COMMENT_MAX = 2000
REASON_MAX = Absence._meta.get_field("reason").max_length


# --- what is assessed under each rule set -------------------------------------------------------------


def conduct_choices(rule_set) -> list[tuple[str, str]]:
    """Conduct levels of a rule set: TT22/2021 Art. 8 (Tốt, Khá, Đạt, Chưa đạt); hạnh kiểm of
    TT58/2011 Art. 4, kept by TT26/2020 (Tốt, Khá, Trung bình, Yếu); none in primary."""
    rule_set = rules.RuleSet(rule_set)
    if rule_set == rules.RuleSet.TT22:
        return list(rules.Level.choices)
    if rule_set in (rules.RuleSet.TT26, rules.RuleSet.TT58):
        return list(rules.LegacyConduct.choices)
    return []


def quality_fields(rule_set) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """(qualities, competencies) assessed under a primary rule set (TT27/2020 Art. 6–7; TT30/2014
    as amended by TT22/2016), each a tuple of (key, label); empty for the others."""
    rule_set = rules.RuleSet(rule_set)
    if rule_set == rules.RuleSet.TT27:
        return rules.QUALITIES, rules.COMPETENCIES
    if rule_set == rules.RuleSet.TT30:
        return rules.LEGACY_QUALITIES, rules.LEGACY_COMPETENCIES
    return (), ()


def _pick(raw, choices: list[tuple[str, str]]) -> str | None:
    """The stored value for ``raw`` given as a value or a label (any case, with or without
    diacritics); "" for blank; None when it is not a choice."""
    text = nfc(str(raw if raw is not None else "")).strip()
    if not text:
        return ""
    key = search_key(text)
    for value, label in choices:
        if text == value or key == search_key(label) or key == search_key(value):
            return value
    return None


def _choice_list(choices) -> str:
    labels = [label for _, label in choices]
    return ", ".join(labels[:-1]) + " hoặc " + labels[-1] if len(labels) > 1 else "".join(labels)


# --- who ------------------------------------------------------------------------------------------------


def _reachable_class(actor, school_class: SchoolClass) -> SchoolClass:
    klass = visible_to(actor, SchoolClass).select_related("school_year", "school").filter(pk=school_class.pk).first()
    if klass is None:
        raise _forbidden("Bạn không có quyền với lớp này.")
    return klass


def may_assess(actor, school_class) -> bool:
    """Only the homeroom teacher of the class assesses conduct and qualities."""
    return is_homeroom_of(actor, school_class)


def may_record_attendance(actor, school_class) -> bool:
    """The homeroom teacher, the principal and the school administrator record attendance."""
    if is_homeroom_of(actor, school_class):
        return True
    return _at_school(actor, school_class.school_id) and actor.role in (Role.PRINCIPAL, Role.SCHOOL_ADMIN)


def _row_enrolments(klass, rows, *, include_left=True) -> tuple[dict[int, Enrolment], list[int]]:
    """The class's enrolments by id (one query) and the enrolment id of each row (ids or objects)."""
    wanted = []
    for row in rows:
        value = row.get("enrolment") if isinstance(row, Mapping) else None
        value = getattr(value, "pk", value)
        try:
            wanted.append(int(value))
        except (TypeError, ValueError):
            wanted.append(0)
    enrolments = {
        e.pk: e
        for e in Enrolment.objects.filter(school_class=klass, pk__in=[w for w in wanted if w > 0]).select_related(
            "student"
        )
    }
    return enrolments, wanted


def _who(index: int, enrolment: Enrolment | None) -> str:
    return f"Dòng {index}" + (f" ({enrolment.student.full_name})" if enrolment is not None else "")


def _fail(errors: list[dict], summary: str):
    lines = "; ".join(f"{e['where']}, {e['label']}: {e['message']}" for e in errors[:10])
    more = f"; và {len(errors) - 10} lỗi khác" if len(errors) > 10 else ""
    raise WorkflowError(
        f"{summary} {lines}{more}.",
        errors=[{"row": e["row"], "field": e["field"], "message": f"{e['where']}: {e['message']}"} for e in errors],
    )


# --- conduct, qualities, competencies ------------------------------------------------------------------


def save_homeroom(actor, school_class, semester, rows: Iterable[Mapping]) -> dict:
    """Save the homeroom teacher's assessments of ``school_class`` for ``semester``.

    ``rows``: ``{"enrolment", "conduct", "qualities", "competencies", "comment"}`` each (the
    keys not given keep their stored value). Returns ``{"created": n, "updated": n}``.
    """
    rows = list(rows)
    with transaction.atomic(), acting_here(actor):
        klass = _reachable_class(actor, school_class)
        if not may_assess(actor, klass):
            raise _forbidden("Chỉ giáo viên chủ nhiệm của lớp mới đánh giá rèn luyện của học sinh.")
        semester_id = getattr(semester, "pk", semester)
        semester = Semester.objects.filter(pk=semester_id, school_year_id=klass.school_year_id).first()
        if semester is None:
            raise WorkflowError("Học kỳ không thuộc năm học của lớp.")
        if klass.school_year.is_closed:
            raise WorkflowError("Năm học đã khoá sổ, không thể sửa đánh giá.")
        rule_set = rule_set_of(klass)
        conducts = conduct_choices(rule_set)
        qualities, competencies = quality_fields(rule_set)
        levels = list(rules.QualityLevel.choices)
        enrolments, wanted = _row_enrolments(klass, rows)
        existing = {
            h.enrolment_id: h
            for h in HomeroomAssessment.objects.filter(semester=semester, enrolment_id__in=list(enrolments))
        }
        errors: list[dict] = []
        seen: set[int] = set()
        to_create: list[HomeroomAssessment] = []
        to_update: list[HomeroomAssessment] = []
        now = timezone.now()
        for index, (row, enrolment_id) in enumerate(zip(rows, wanted, strict=True), start=1):
            enrolment = enrolments.get(enrolment_id)
            where = _who(index, enrolment)

            def err(field, label, message, index=index, where=where):
                errors.append({"row": index, "field": field, "label": label, "message": message, "where": where})

            if enrolment is None:
                err("enrolment", "học sinh", "không phải học sinh của lớp này")
                continue
            if enrolment_id in seen:
                err("enrolment", "học sinh", "học sinh xuất hiện hai lần")
                continue
            seen.add(enrolment_id)
            current = existing.get(enrolment_id)
            values = {
                "conduct": current.conduct if current else "",
                "qualities": dict(current.qualities) if current else {},
                "competencies": dict(current.competencies) if current else {},
                "comment": current.comment if current else "",
            }
            if "conduct" in row:
                raw = row.get("conduct")
                if not conducts:
                    if raw not in (None, ""):
                        err("conduct", "kết quả rèn luyện", "lớp này không đánh giá rèn luyện theo mức (tiểu học)")
                else:
                    value = _pick(raw, conducts)
                    if value is None:
                        err("conduct", "kết quả rèn luyện", f"“{raw}” không hợp lệ; chọn {_choice_list(conducts)}")
                    else:
                        values["conduct"] = value
            for field, label, keys in (
                ("qualities", "phẩm chất", qualities),
                ("competencies", "năng lực", competencies),
            ):
                if field not in row:
                    continue
                given = row.get(field) or {}
                if not isinstance(given, Mapping):
                    err(field, label, "phải là bảng tên → mức")
                    continue
                if given and not keys:
                    err(field, label, "chỉ đánh giá ở tiểu học")
                    continue
                names = dict(keys)
                merged = dict(values[field])
                for key, raw in given.items():
                    if key not in names:
                        err(field, label, f"“{key}” không có trong danh mục")
                        continue
                    value = _pick(raw, levels)
                    if value is None:
                        err(field, names[key], f"“{raw}” không hợp lệ; chọn {_choice_list(levels)}")
                    elif value:
                        merged[key] = value
                    else:
                        merged.pop(key, None)
                values[field] = merged
            if "comment" in row:
                comment = nfc(str(row.get("comment") or "")).strip()
                if len(comment) > COMMENT_MAX:
                    err("comment", "nhận xét", f"dài tối đa {COMMENT_MAX} ký tự")
                values["comment"] = comment
            if current is None:
                if not (values["conduct"] or values["qualities"] or values["competencies"] or values["comment"]):
                    continue
                to_create.append(
                    HomeroomAssessment(
                        school_id=klass.school_id,
                        enrolment_id=enrolment_id,
                        semester=semester,
                        updated_by=actor.user,
                        updated_at=now,
                        **values,
                    )
                )
                continue
            if all(getattr(current, k) == v for k, v in values.items()):
                continue
            if current.approved:
                err("enrolment", "học sinh", "đánh giá học kỳ này đã được hiệu trưởng duyệt, không sửa được")
                continue
            for key, value in values.items():
                setattr(current, key, value)
            current.updated_by = actor.user
            current.updated_at = now
            to_update.append(current)
        if errors:
            _fail(errors, "Chưa lưu được đánh giá:")
        if to_create:
            bulk_create_with_history(to_create, HomeroomAssessment, actor=actor)
        if to_update:
            bulk_update_with_history(
                to_update,
                HomeroomAssessment,
                ["conduct", "qualities", "competencies", "comment", "updated_by", "updated_at"],
                actor=actor,
            )
    return {"created": len(to_create), "updated": len(to_update)}


# --- attendance ------------------------------------------------------------------------------------------


def _bool(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "yes", "có", "co", "x", "p")
    return bool(value)


def save_attendance(actor, school_class, day: dt.date, rows: Iterable[Mapping]) -> dict:
    """Record the class's absences of ``day``: ``{"enrolment", "sessions" 0–2, "excused",
    "reason"}`` each. 0 sessions removes that day's absence (its history records the removal).
    Returns ``{"created": n, "updated": n, "deleted": n}``."""
    rows = list(rows)
    with transaction.atomic(), acting_here(actor):
        klass = _reachable_class(actor, school_class)
        if not may_record_attendance(actor, klass):
            raise _forbidden("Chỉ giáo viên chủ nhiệm, hiệu trưởng hoặc quản trị nhà trường mới ghi chuyên cần.")
        year = klass.school_year
        if not isinstance(day, dt.date):
            raise WorkflowError("Ngày không hợp lệ (dd/mm/yyyy).")
        if day > timezone.localdate():
            raise WorkflowError(f"Không ghi chuyên cần cho ngày {day:%d/%m/%Y}: ngày này chưa tới.")
        if not (year.starts_on <= day <= year.ends_on):
            raise WorkflowError(
                f"Ngày {day:%d/%m/%Y} nằm ngoài năm học {year} ({year.starts_on:%d/%m/%Y} – {year.ends_on:%d/%m/%Y})."
            )
        if year.is_closed:
            raise WorkflowError("Năm học đã khoá sổ, không thể sửa chuyên cần.")
        enrolments, wanted = _row_enrolments(klass, rows)
        existing = {a.enrolment_id: a for a in Absence.objects.filter(day=day, enrolment_id__in=list(enrolments))}
        errors: list[dict] = []
        seen: set[int] = set()
        to_create, to_update, to_delete = [], [], []
        for index, (row, enrolment_id) in enumerate(zip(rows, wanted, strict=True), start=1):
            enrolment = enrolments.get(enrolment_id)
            where = _who(index, enrolment)

            def err(field, label, message, index=index, where=where):
                errors.append({"row": index, "field": field, "label": label, "message": message, "where": where})

            if enrolment is None:
                err("enrolment", "học sinh", "không phải học sinh của lớp này")
                continue
            if enrolment_id in seen:
                err("enrolment", "học sinh", "học sinh xuất hiện hai lần")
                continue
            seen.add(enrolment_id)
            raw = row.get("sessions", 0)
            try:
                sessions = int(str(raw if raw not in (None, "") else 0).strip())
            except ValueError:
                sessions = -1
            if sessions not in (0, 1, 2):
                err("sessions", "số buổi nghỉ", f"“{raw}” không hợp lệ; nhập 0, 1 hoặc 2")
                continue
            reason = nfc(str(row.get("reason") or "")).strip()
            if len(reason) > REASON_MAX:
                err("reason", "lý do", f"dài tối đa {REASON_MAX} ký tự")
                continue
            excused = _bool(row.get("excused"))
            current = existing.get(enrolment_id)
            if sessions and (
                (enrolment.enrolled_on and day < enrolment.enrolled_on)
                or (enrolment.left_on and day >= enrolment.left_on)
            ):
                err("enrolment", "học sinh", f"không học ở lớp vào ngày {day:%d/%m/%Y}")
                continue
            if sessions == 0:
                if current is not None:
                    to_delete.append(current)
                continue
            if current is None:
                to_create.append(
                    Absence(
                        school_id=klass.school_id,
                        enrolment_id=enrolment_id,
                        day=day,
                        sessions=sessions,
                        excused=excused,
                        reason=reason,
                        recorded_by=actor.user,
                    )
                )
            elif (current.sessions, current.excused, current.reason) != (sessions, excused, reason):
                current.sessions, current.excused, current.reason = sessions, excused, reason
                current.recorded_by = actor.user
                to_update.append(current)
        if errors:
            _fail(errors, "Chưa lưu được chuyên cần:")
        if to_create:
            bulk_create_with_history(to_create, Absence, actor=actor)
        if to_update:
            bulk_update_with_history(to_update, Absence, ["sessions", "excused", "reason", "recorded_by"], actor=actor)
        if to_delete:
            bulk_delete_with_history(to_delete, Absence, actor=actor)
    return {"created": len(to_create), "updated": len(to_update), "deleted": len(to_delete)}


def absence_totals(
    enrolments, school_year, *, start: dt.date | None = None, end: dt.date | None = None
) -> dict[int, tuple[int, int]]:
    """``{enrolment_id: (sessions absent, of which excused)}`` within ``school_year`` (or
    ``start``–``end`` inside it), in one query; learners with no absence get (0, 0). The
    45-session limit of TT22/2021 Art. 12 counts both kinds."""
    ids = [getattr(e, "pk", e) for e in enrolments]
    start = max(start, school_year.starts_on) if start else school_year.starts_on
    end = min(end, school_year.ends_on) if end else school_year.ends_on
    totals = dict.fromkeys(ids, (0, 0))
    rows = (
        Absence.objects.filter(enrolment_id__in=ids, day__gte=start, day__lte=end)
        .values("enrolment_id")
        .annotate(total=Sum("sessions"), excused=Sum("sessions", filter=Q(excused=True)))
        .order_by()
    )
    for row in rows:
        totals[row["enrolment_id"]] = (row["total"] or 0, row["excused"] or 0)
    return totals


def over_limit(total: int) -> bool:
    """TT22/2021 Art. 12: more than 45 sessions absent in the year."""
    return total > ABSENCE_LIMIT
