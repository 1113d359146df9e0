"""Candidates of an exam: registration from the students module, by hand and (see
``exams/resources.py``) from a spreadsheet; priority, bonus and direct-admission claims;
admission choices; withdrawal; candidate numbers (số báo danh).

The domain (../shared/domain/exams-diplomas.md, "Running an exam"): candidates are registered
from the students module for current students and by the online form for others (accepted
applications, ``exams/services/applications.py``); every candidate gets a number unique in the
exam. Who may do what:

- the exam's *organisers* (admins and Sở/Phòng staff of the owner's subtree, ``is_organiser``)
  and its board's secretariat register anybody, number the candidates and change them at any
  time;
- a school's principal or school administrator (``SCHOOL_REGISTRARS``) registers their own
  school's learners into an exam they can see, while registration is open: until numbers are
  given (the door's ``_candidate_grant`` says the same for changes).

Every write is one transaction, checked through the door (``visible_to``), and kept in history
(``AuditedHistory`` rows attributed to the actor). Refusals are ``ValidationError`` (bad data,
Vietnamese, naming the field) or ``PermissionDenied`` (wrong person).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from sms.accounts.roles import SCHOOL_LEVEL_KINDS
from sms.accounts.scoping import visible_to
from sms.audit.history import acting_here, bulk_create_with_history, bulk_update_with_history
from sms.org.models import Unit
from sms.text import nfc, search_key, sort_key

from ..models import (
    ADMISSION_KINDS,
    SCHOOL_REGISTRARS,
    BoardRole,
    Candidate,
    CandidateSource,
    Choice,
    Exam,
    PointRule,
    Quota,
)
from ..selectors import board_roles, is_organiser, is_secretariat

MSG_NOT_ORGANISER = "Chỉ đơn vị tổ chức kỳ thi hoặc ban thư ký hội đồng thi được thực hiện thao tác này."
MSG_REGISTRATION_CLOSED = "Kỳ thi đã đánh số báo danh: việc đăng ký của nhà trường đã kết thúc."
MSG_NOT_REGISTRAR = "Bạn không có quyền đăng ký thí sinh cho kỳ thi này."

#: what ``register_students`` copies from the learner's year summary, under the tie-break keys of
#: ``rules.TIE_BREAKS`` (the grade-9 year of a grade-10 admission; the last year for other exams)
SUMMARY_TIE_BREAKS = {"average": "grade9_average", "conduct": "grade9_conduct", "learning": "grade9_learning"}

#: identity fields a candidate carries (copied from the learner, typed by hand or imported)
IDENTITY_FIELDS = ("full_name", "birth_date", "sex", "personal_id", "ethnicity", "birthplace", "class_name")
SEXES = {"M", "F"}


# --- who is who --------------------------------------------------------------------------------------------


def may_manage(actor, exam: Exam) -> bool:
    """Organisers and the secretariat register anybody, number candidates, set up rooms."""
    return is_organiser(actor, exam) or is_secretariat(actor, exam)


def may_read_all(actor, exam: Exam) -> bool:
    """Organisers, the chair and the secretariat read every candidate, ticket and room list."""
    return is_organiser(actor, exam) or bool(board_roles(actor, exam) & {BoardRole.CHAIR, BoardRole.SECRETARIAT})


def is_school_registrar(actor) -> bool:
    return (
        actor is not None
        and getattr(actor, "membership", None) is not None
        and actor.role in SCHOOL_REGISTRARS
        and actor.unit.kind in SCHOOL_LEVEL_KINDS
    )


def readable_candidates(actor, queryset=None):
    """Candidates ``actor`` may read: the door's answer (a learner is granted their own
    candidacy even in an exam run above their school)."""
    return visible_to(actor, Candidate.objects.all() if queryset is None else queryset)


def numbering_started(exam: Exam) -> bool:
    return Candidate.objects.filter(exam=exam).exclude(number="").exists()


def registration_open_for(actor, exam: Exam) -> bool:
    """Whether ``actor`` may register candidates into ``exam`` now."""
    if may_manage(actor, exam):
        return True
    return is_school_registrar(actor) and not numbering_started(exam)


def require_manager(actor, exam: Exam) -> None:
    if not may_manage(actor, exam):
        raise PermissionDenied(MSG_NOT_ORGANISER)


def _require_registrar(actor, exam: Exam) -> bool:
    """Organisers and secretariat (True), or a school registrar while registration is open
    (False: own school only). Anybody else is refused."""
    if may_manage(actor, exam):
        return True
    if not is_school_registrar(actor):
        raise PermissionDenied(MSG_NOT_REGISTRAR)
    if numbering_started(exam):
        raise ValidationError(MSG_REGISTRATION_CLOSED)
    return False


def _lock_exam(exam: Exam) -> Exam:
    """The exam row, locked until the transaction ends (numbering and placing run one at a
    time); refused once its results are scheduled for publication."""
    locked = Exam.objects.select_for_update().select_related("unit").get(pk=exam.pk)
    refuse_if_scheduled(locked)
    return locked


def refuse_if_scheduled(exam: Exam) -> None:
    """Candidates are frozen once the results are scheduled (even for a later time): the
    allocation checked at scheduling must stay the one published."""
    if exam.results_publish_at is not None:
        when = timezone.localtime(exam.results_publish_at)
        raise ValidationError(
            f"Kết quả kỳ thi đã được lên lịch công bố lúc {when:%H:%M %d/%m/%Y}: danh sách thí sinh đã khoá."
        )


def _recheck(actor, candidates: Iterable[Candidate], action: str = "change") -> None:
    """The rows as written must be ones the door lets the actor write (NetBox's re-read);
    otherwise the transaction is rolled back."""
    ids = [c.pk for c in candidates]
    if ids and visible_to(actor, Candidate, action).filter(pk__in=ids).count() != len(set(ids)):
        raise PermissionDenied(MSG_NOT_REGISTRAR)


def exam_schools(exam: Exam):
    """Schools that may send candidates to ``exam``: the schools of its owner's subtree."""
    return Unit.objects.filter(kind__in=SCHOOL_LEVEL_KINDS, path__startswith=exam.unit.path)


def _ready(candidate: Candidate) -> None:
    """What ``Candidate.save`` derives, for bulk writes (which skip ``save``)."""
    candidate.full_name = nfc(candidate.full_name).strip()
    candidate.search_key = search_key(candidate.full_name)
    candidate.sort_key = sort_key(candidate.full_name)


# --- registration from the students module ------------------------------------------------------------------


def register_students(
    actor,
    exam: Exam,
    *,
    school_ids: Iterable[int] | None = None,
    class_ids: Iterable[int] | None = None,
    student_ids: Iterable[int] | None = None,
) -> dict[str, int]:
    """Register current learners as candidates (source "Từ hồ sơ học sinh"), copying their
    identity, class, school and the tie-break values of their approved year result.

    Learners come through ``students.selectors.current_learners`` (so through the door), from
    the schools of the exam owner's subtree; a school registrar's own school only. When the exam
    names a grade, only learners of that grade: a class or learner of another grade named
    explicitly is refused. Idempotent: a learner already a candidate (same learner, or same
    personal id) is skipped and counted. Returns ``{"registered": n, "skipped": m}``."""
    from students.selectors import current_learners, year_summary

    everybody = _require_registrar(actor, exam)
    if school_ids is None and class_ids is None and student_ids is None:
        raise ValidationError({"school_ids": "Hãy chọn trường, lớp hoặc học sinh cần đăng ký."})
    schools = exam_schools(exam)
    if not everybody:
        schools = schools.filter(pk=actor.unit_id)
    learners = current_learners(actor).filter(school_id__in=schools.values("pk"))
    if school_ids is not None:
        school_ids = {int(i) for i in school_ids}
        outside = school_ids - set(schools.filter(pk__in=school_ids).values_list("pk", flat=True))
        if outside:
            raise ValidationError(
                {"school_ids": "Không đăng ký được học sinh của trường ngoài phạm vi kỳ thi hoặc của bạn."}
            )
    if class_ids is not None:
        class_ids = {int(i) for i in class_ids}
        from sms.org.models import SchoolClass

        reached = SchoolClass.objects.filter(pk__in=class_ids, school__in=schools).values_list("pk", flat=True)
        if class_ids - set(reached):
            raise ValidationError({"class_ids": "Có lớp không thuộc phạm vi kỳ thi hoặc của bạn."})
    selection = Q(pk__in=[])
    if school_ids is not None:
        selection |= Q(school_id__in=list(school_ids))
    if class_ids is not None:
        selection |= Q(school_class_id__in=list(class_ids))
    if student_ids is not None:
        selection |= Q(student_id__in=list(student_ids))
    enrolments = list(learners.filter(selection))
    if exam.grade is not None:
        named = set(class_ids or ()) | set(student_ids or ())
        wrong = [e for e in enrolments if e.school_class.grade != exam.grade]
        explicit = [e for e in wrong if e.school_class_id in named or e.student_id in named]
        if explicit:
            names = ", ".join(sorted({f"lớp {e.school_class.name}" for e in explicit}))
            raise ValidationError(
                {"class_ids": f"Kỳ thi dành cho học sinh khối {exam.grade}; không đăng ký được học sinh {names}."}
            )
        enrolments = [e for e in enrolments if e.school_class.grade == exam.grade]
    with transaction.atomic(), acting_here(actor):
        exam = _lock_exam(exam)
        if not everybody and numbering_started(exam):
            raise ValidationError(MSG_REGISTRATION_CLOSED)
        existing = Candidate.objects.filter(exam=exam)
        taken_students = set(existing.filter(student__isnull=False).values_list("student_id", flat=True))
        taken_ids = set(existing.exclude(personal_id="").values_list("personal_id", flat=True))
        summary = year_summary(enrolments)
        rows, skipped, seen = [], 0, set()
        for e in enrolments:
            s = e.student
            if s.pk in taken_students or s.pk in seen or (s.personal_id and s.personal_id in taken_ids):
                skipped += 1
                continue
            seen.add(s.pk)
            ties = {
                key: str(summary.get(s.pk, {})[name])
                for name, key in SUMMARY_TIE_BREAKS.items()
                if name in summary.get(s.pk, {})
            }
            candidate = Candidate(
                exam=exam,
                student=s,
                school_id=e.school_id,
                source=CandidateSource.STUDENTS,
                full_name=s.full_name,
                birth_date=s.birth_date,
                sex=s.sex,
                personal_id=s.personal_id or "",
                ethnicity=s.ethnicity or "Kinh",
                birthplace=nfc(s.birthplace or ""),
                class_name=e.school_class.name,
                tie_break_values=ties,
            )
            _ready(candidate)
            rows.append(candidate)
            if s.personal_id:
                taken_ids.add(s.personal_id)
        if rows:
            bulk_create_with_history(rows, Candidate, actor=actor, batch_size=500)
            created = list(
                Candidate.objects.filter(exam=exam, student_id__in=[c.student_id for c in rows]).values_list(
                    "pk", flat=True
                )
            )
            if visible_to(actor, Candidate, "add").filter(pk__in=created).count() != len(created):
                raise PermissionDenied(MSG_NOT_REGISTRAR)
    return {"registered": len(rows), "skipped": skipped}


# --- one candidate by hand -----------------------------------------------------------------------------------


def _text(data: Mapping, name: str, limit: int) -> str:
    value = nfc(str(data.get(name) or "")).strip()
    if len(value) > limit:
        raise ValidationError({name: f"Dài quá {limit} ký tự."})
    return value


def _point_rule(exam: Exam, value, kind: str, field: str) -> PointRule | None:
    """A line of the exam's point table, given as a row, an id or a code; None when blank."""
    if value in (None, ""):
        return None
    rules = PointRule.objects.filter(exam=exam, kind=kind)
    if isinstance(value, PointRule):
        rule = value if value.exam_id == exam.pk and value.kind == kind else None
    elif isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        rule = rules.filter(pk=int(value)).first()
    else:
        rule = rules.filter(code=str(value).strip().lower()).first()
    if rule is None:
        label = dict(PointRule.Kind.choices)[kind].lower()
        raise ValidationError({field: f"“{value}” không có trong bảng {label} của kỳ thi này."})
    return rule


def clean_identity(exam: Exam, data: Mapping[str, Any], *, actor=None, everybody: bool = True) -> dict[str, Any]:
    """Check a candidate's identity, school and claims; every error names its field."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    try:
        values["full_name"] = _text(data, "full_name", 150)
        values["personal_id"] = re.sub(r"\s", "", _text(data, "personal_id", 20))
        values["ethnicity"] = _text(data, "ethnicity", 40) or "Kinh"
        values["birthplace"] = _text(data, "birthplace", 255)
        values["class_name"] = _text(data, "class_name", 30)
        values["school_name"] = _text(data, "school_name", 255)
    except ValidationError as error:
        raise error from None
    if not values["full_name"]:
        errors["full_name"] = "Chưa có họ và tên."
    if values["personal_id"] and not re.fullmatch(r"\d{12}", values["personal_id"]):
        errors["personal_id"] = "Số định danh cá nhân gồm đúng 12 chữ số."
    birth = data.get("birth_date")
    if isinstance(birth, str):
        try:
            birth = (
                dt.datetime.strptime(birth.strip(), "%d/%m/%Y").date()
                if "/" in birth
                else dt.date.fromisoformat(birth.strip())
            )
        except ValueError:
            birth = None
            errors["birth_date"] = "Ngày sinh phải có dạng dd/mm/yyyy."
    if not errors.get("birth_date"):
        if not isinstance(birth, dt.date):
            errors["birth_date"] = "Chưa có ngày sinh."
        elif not (dt.date(1950, 1, 1) <= birth <= dt.date.today()):
            errors["birth_date"] = f"Ngày sinh {birth:%d/%m/%Y} không hợp lệ."
    values["birth_date"] = birth
    sex = str(data.get("sex") or "")
    if sex not in SEXES:
        errors["sex"] = "Giới tính là Nam (M) hoặc Nữ (F)."
    values["sex"] = sex
    school = data.get("school")
    if school not in (None, ""):
        school_id = school.pk if isinstance(school, Unit) else school
        try:
            school = exam_schools(exam).get(pk=int(school_id))
        except (Unit.DoesNotExist, TypeError, ValueError):
            errors["school"] = "Trường này không thuộc phạm vi của kỳ thi."
            school = None
    else:
        school = None
    if not everybody and (school is None or school.pk != actor.unit_id):
        errors["school"] = "Nhà trường chỉ đăng ký thí sinh của trường mình."
    values["school"] = school
    if school is not None:
        values["school_name"] = ""
    for field, kind in (
        ("priority", PointRule.Kind.PRIORITY),
        ("bonus", PointRule.Kind.BONUS),
        ("direct", PointRule.Kind.DIRECT),
    ):
        try:
            values[field] = _point_rule(exam, data.get(field), kind, field)
        except ValidationError as error:
            errors.update({k: v[0] for k, v in error.message_dict.items()})
    if "review_score" in data:
        values["review_score"] = data.get("review_score")
    if errors:
        raise ValidationError(errors)
    return values


def save_candidate(actor, exam: Exam, data: Mapping[str, Any], *, candidate: Candidate | None = None) -> Candidate:
    """Add a candidate by hand (``candidate`` None; a free candidate has no school and a
    ``school_name``), or change one. ``data`` may carry ``choices`` (school ids in rank
    order). A personal id already used in the exam is refused."""
    if candidate is not None and candidate.exam_id != exam.pk:
        raise ValidationError("Thí sinh không thuộc kỳ thi này.")
    everybody = _require_registrar(actor, exam)
    values = clean_identity(exam, data, actor=actor, everybody=everybody)
    with transaction.atomic(), acting_here(actor):
        _lock_exam(exam)
        pid = values["personal_id"]
        if pid:
            clash = Candidate.objects.filter(exam=exam, personal_id=pid)
            if candidate is not None:
                clash = clash.exclude(pk=candidate.pk)
            if clash.exists():
                raise ValidationError({"personal_id": "Số định danh cá nhân này đã có trong kỳ thi."})
        if candidate is None:
            candidate = Candidate(exam=exam, source=CandidateSource.MANUAL)
            action = "add"
        else:
            candidate = Candidate.objects.select_for_update().get(pk=candidate.pk)
            action = "change"
        for name, value in values.items():
            setattr(candidate, name, value)
        try:
            candidate.full_clean(exclude=["exam", "student", "room", "lookup_code"], validate_constraints=False)
        except ValidationError as error:
            raise error from None
        candidate.save()
        if "choices" in data and data["choices"] is not None:
            _write_choices(exam, candidate, data["choices"])
        _recheck(actor, [candidate], action)
    return candidate


def withdraw(actor, candidate: Candidate, *, reason: str = "") -> str:
    """Withdraw a candidate: before numbering the registration is simply removed ("deleted");
    a numbered candidate is never deleted, only marked withdrawn ("withdrawn")."""
    exam = candidate.exam
    _require_registrar(actor, exam)
    with transaction.atomic(), acting_here(actor):
        _lock_exam(exam)
        candidate = Candidate.objects.select_for_update().get(pk=candidate.pk)
        if not visible_to(actor, Candidate, "change").filter(pk=candidate.pk).exists():
            raise PermissionDenied(MSG_NOT_REGISTRAR)
        if not candidate.number:
            candidate._change_reason = nfc(reason)[:100] or "Rút đăng ký trước khi đánh số báo danh"
            candidate.choices.all().delete()
            candidate.delete()
            return "deleted"
        if candidate.withdrawn:
            raise ValidationError("Thí sinh đã rút hồ sơ trước đó.")
        candidate.withdrawn = True
        candidate._change_reason = nfc(reason)[:100]
        candidate.save(update_fields=["withdrawn"])
    return "withdrawn"


# --- admission choices -----------------------------------------------------------------------------------------


def _write_choices(exam: Exam, candidate: Candidate, school_ids) -> list[Choice]:
    if exam.kind not in ADMISSION_KINDS:
        if school_ids:
            raise ValidationError({"choices": "Kỳ thi này không xét nguyện vọng."})
        return []
    ids: list[int] = []
    for value in school_ids:
        try:
            ids.append(value.pk if isinstance(value, Unit) else int(value))
        except (TypeError, ValueError):
            raise ValidationError({"choices": f"“{value}” không phải mã trường hợp lệ."}) from None
    if len(ids) > exam.choices_allowed:
        raise ValidationError({"choices": f"Kỳ thi cho đăng ký tối đa {exam.choices_allowed} nguyện vọng."})
    if len(set(ids)) != len(ids):
        raise ValidationError({"choices": "Mỗi trường chỉ được chọn ở một nguyện vọng."})
    quotas = {q.school_id: q for q in Quota.objects.filter(exam=exam, school_id__in=ids).select_related("school")}
    missing = [i for i in ids if i not in quotas]
    if missing:
        names = {u.pk: u.name for u in Unit.objects.filter(pk__in=missing)}
        listed = ", ".join(names.get(i, f"mã {i}") for i in missing)
        raise ValidationError(
            {"choices": f"{listed}: chưa có chỉ tiêu tuyển sinh trong kỳ thi này nên không nhận nguyện vọng."}
        )
    wanted = {(rank, school_id) for rank, school_id in enumerate(ids, start=1)}
    current = list(candidate.choices.all())
    for choice in current:
        if (choice.rank, choice.school_id) not in wanted:
            choice.delete()
    kept = {(c.rank, c.school_id) for c in current}
    for rank, school_id in sorted(wanted - kept):
        Choice.objects.create(candidate=candidate, rank=rank, school_id=school_id)
    return list(candidate.choices.all())


def set_choices(actor, candidate: Candidate, school_ids) -> list[Choice]:
    """Replace a candidate's choices (NV1, NV2, …): at most ``exam.choices_allowed``, distinct
    schools, each with a quota row in the exam. Kept in history."""
    exam = candidate.exam
    _require_registrar(actor, exam)
    with transaction.atomic(), acting_here(actor):
        _lock_exam(exam)
        if not visible_to(actor, Candidate, "change").filter(pk=candidate.pk).exists():
            raise PermissionDenied(MSG_NOT_REGISTRAR)
        return _write_choices(exam, candidate, school_ids)


# --- candidate numbers ------------------------------------------------------------------------------------


def _suffix(number: str, prefix: str) -> int | None:
    if prefix and not number.startswith(prefix):
        return None
    tail = number[len(prefix) :]
    return int(tail) if tail.isdigit() else None


def assign_numbers(actor, exam: Exam) -> dict[str, int]:
    """Number every candidate without a number (số báo danh, unique in the exam), in Vietnamese
    name order (given name first, ``sort_key``), then birth date: ``rules.candidate_numbers``
    with the exam's prefix. Numbers already given are kept; new ones continue after the highest,
    with the same width. Withdrawn candidates get none. One at a time per exam (the exam row is
    locked). Returns ``{"numbered": n, "kept": m}``."""
    from .. import rules

    require_manager(actor, exam)
    with transaction.atomic(), acting_here(actor):
        exam = _lock_exam(exam)
        prefix = exam.number_prefix or ""
        numbered = list(Candidate.objects.filter(exam=exam).exclude(number="").values_list("number", flat=True))
        waiting = list(
            Candidate.objects.filter(exam=exam, number="", withdrawn=False).order_by("sort_key", "birth_date", "pk")
        )
        if not waiting:
            return {"numbered": 0, "kept": len(numbered)}
        suffixes = [s for s in (_suffix(n, prefix) for n in numbered) if s is not None]
        start = max(suffixes, default=0) + 1
        width = exam.number_width or None
        if numbered:
            used = max(len(n) - len(prefix) for n in numbered if _suffix(n, prefix) is not None) if suffixes else 0
            width = max(width or 0, used) or None
        if width is not None:
            width = max(width, len(str(start + len(waiting) - 1)))
        numbers = rules.candidate_numbers(len(waiting), prefix=prefix, start=start, width=width)
        taken = set(numbered)
        for candidate, number in zip(waiting, numbers, strict=True):
            if number in taken:  # a number typed by hand that the sequence would repeat
                raise ValidationError(f"Số báo danh {number} đã được dùng; hãy kiểm tra lại tiền tố số báo danh.")
            candidate.number = number
        bulk_update_with_history(waiting, Candidate, ["number"], actor=actor, batch_size=500)
    return {"numbered": len(waiting), "kept": len(numbered)}
