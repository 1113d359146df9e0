"""Setting an exam up (issue 7, acceptance 1): the exam and its kind, owner and configuration,
its subjects and timetable, its board, and its priority / bonus / direct-admission table.

See ``/work/shared/domain/exams-diplomas.md`` ("Kinds of exam", "Grade-10 admission",
"Running an exam"). Every write here is one transaction, checks the person through the door
(``visible_to`` / ``can`` / ``units_for``), keeps history attributed to the actor, and refuses
bad input with a Django ``ValidationError`` whose Vietnamese messages name the field. The
HTML pages and the API call these same functions, so they can never disagree.

Who may do what:

- the exam, its subjects: its organisers (admins and Sở/Phòng staff of the owner's subtree)
  and, through the board's grant, its chair and secretariat (``can(actor, "change", exam)``);
  only organisers create an exam or move it to another unit (``units_for``);
- the board: organisers of the owner's subtree and the board's chair (``BoardMember.scope``)
  seat markers and invigilators; only an admin of the owner's subtree (Sở/Phòng admin,
  principal, school admin) seats or relieves the chair and the secretariat, who read every
  mark and the anonymous codes; nobody seats themselves; every change is also an audit event;
- the points table: organisers only (``PointRule.scope``).

A row the actor cannot see is a 404 (``Http404``); one they see but may not change a 403
(``PermissionDenied``).

Readings of the rules made here (the issue leaves them open):

- who may own which kind (``KIND_OWNERS``): grade-10 admission only a Sở (Thông tư 30/2024:
  the Sở organises it); grade-1 and grade-6 intake a Sở, a Phòng or a school that teaches
  that grade (the school admits into itself); gifted competitions any unit (school, Phòng or
  Sở level; a centre runs its own); the vocational exam a Sở, a Phòng or a centre (GDNN-GDTX
  centres teach the vocational course); the local part of the THPT graduation exam only a Sở
  (DOMAIN, "Kinds of exam": "the Sở's part of the national graduation exam"), for grade 12,
  with the 2025 subjects (``GRADUATION_SUBJECTS``);
- a room holds at most 24 candidates in a grade-10 admission ("Running an exam") and in the
  graduation exam (Thông tư 24/2024); other kinds keep the model's wider bound;
- intake by review has no subjects and one or two choices; an online window is for
  admission kinds only (the public form of ``exams.portal``);
- the chair, the secretariat and the markers are three seats no one person combines on one
  exam, not even one after the other (the secretariat knows the anonymous codes, markers see
  the scripts, the chair every mark); an exam has one active chair;
- once an exam has candidates its kind and owner are fixed; once it has scripts (marking has
  started) its subjects, their codes, coefficients, scales and double marking, and the exam's
  threshold between two markings (``mark_threshold``), are fixed;
- a points-table line used by a candidate or an application cannot be removed, nor its kind
  or code changed; its points are fixed once the results are published.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.text import slugify
from simple_history.models import HistoricalRecords

from sms.accounts.models import Membership
from sms.accounts.roles import ADMIN_ROLES, STAFF_ROLES, UnitKind
from sms.accounts.scoping import can, units_for, visible_to
from sms.audit.history import acting_here
from sms.audit.models import EventKind
from sms.org.models import Unit
from sms.text import nfc

from ..models import (
    REVIEW_KINDS,
    Application,
    BoardMember,
    BoardRole,
    Candidate,
    Exam,
    ExamKind,
    ExamSubject,
    Mark,
    PointRule,
    Room,
    Script,
)
from ..selectors import board_roles
from . import portal_scores

# --- the configuration of each kind -------------------------------------------------------------------

#: the kinds of unit that may run each kind of exam (module docstring)
KIND_OWNERS: dict[str, frozenset[str]] = {
    ExamKind.ADMISSION_10: frozenset({UnitKind.SO}),
    ExamKind.INTAKE_1: frozenset({UnitKind.SO, UnitKind.PHONG, UnitKind.SCHOOL}),
    ExamKind.INTAKE_6: frozenset({UnitKind.SO, UnitKind.PHONG, UnitKind.SCHOOL}),
    ExamKind.GIFTED: frozenset({UnitKind.SO, UnitKind.PHONG, UnitKind.SCHOOL, UnitKind.CENTRE}),
    ExamKind.VOCATIONAL: frozenset({UnitKind.SO, UnitKind.PHONG, UnitKind.CENTRE}),
    ExamKind.GRADUATION: frozenset({UnitKind.SO}),
}
KIND_OWNERS_TEXT: dict[str, str] = {
    ExamKind.ADMISSION_10: "Tuyển sinh lớp 10 chỉ do Sở GD&ĐT tổ chức.",
    ExamKind.INTAKE_1: "Tuyển sinh lớp 1 do Sở, Phòng GD&ĐT hoặc trường có dạy lớp 1 tổ chức.",
    ExamKind.INTAKE_6: "Tuyển sinh lớp 6 do Sở, Phòng GD&ĐT hoặc trường có dạy lớp 6 tổ chức.",
    ExamKind.GIFTED: "Thi học sinh giỏi do trường, Phòng hoặc Sở GD&ĐT tổ chức.",
    ExamKind.VOCATIONAL: "Thi nghề phổ thông do Sở, Phòng GD&ĐT hoặc trung tâm tổ chức.",
    ExamKind.GRADUATION: "Phần việc của địa phương trong kỳ thi tốt nghiệp THPT chỉ do Sở GD&ĐT tổ chức.",
}
#: an intake run by a school admits into that school: it must teach the grade
INTAKE_GRADE = {ExamKind.INTAKE_1: 1, ExamKind.INTAKE_6: 6}
#: the grade candidates are in when they sit the exam
DEFAULT_GRADE = {ExamKind.ADMISSION_10: 9, ExamKind.INTAKE_6: 5, ExamKind.GRADUATION: 12}
#: "Running an exam": at most 24 candidates a room (grade-10 admission, Thông tư 30/2024)
ADMISSION_ROOM_CAPACITY = 24
#: the graduation exam (Thông tư 24/2024, the regulation of the THPT graduation exam): at most 24 a room too
GRADUATION_ROOM_CAPACITY = 24
#: the kinds whose rooms hold at most 24 candidates, with the message naming the kind
ROOM_LIMITS = {
    ExamKind.ADMISSION_10: (ADMISSION_ROOM_CAPACITY, "Mỗi phòng thi tuyển sinh lớp 10 có tối đa {n} thí sinh."),
    ExamKind.GRADUATION: (GRADUATION_ROOM_CAPACITY, "Mỗi phòng thi tốt nghiệp THPT có tối đa {n} thí sinh."),
}
#: intake by review: one or two choices
REVIEW_MAX_CHOICES = 2

#: Grade-10 admission: Toán, Ngữ văn and a third test chosen by the Sở (here Tiếng Anh, a
#: multiple-choice test, so marked once by machine); all coefficient 1, scored out of 10
ADMISSION_10_SUBJECTS: tuple[dict, ...] = (
    {"code": "toan", "name": "Toán", "duration_minutes": 120, "double_marked": True, "order": 1},
    {"code": "ngu-van", "name": "Ngữ văn", "duration_minutes": 120, "double_marked": True, "order": 2},
    {"code": "tieng-anh", "name": "Tiếng Anh", "duration_minutes": 60, "double_marked": False, "order": 3},
)


#: The THPT graduation exam from 2025 (Thông tư 24/2024; the 2018 programme): every candidate sits Toán and
#: Ngữ văn and two electives among the subjects studied in grade 12. The national tests are marked by the
#: Ministry's system: the Sở receives the final scores (``exams.results_intake``), so no subject is double
#: marked here (Ngữ văn, the one essay, is flagged for a Sở that marks it itself). Durations: Ngữ văn 120
#: minutes, Toán 90, each elective 50. Codes are those ``exams.services.graduation_thpt`` knows (its subject
#: table maps them to the formula's tests); an organiser removes the electives the province does not hold.
GRADUATION_SUBJECTS: tuple[dict, ...] = (
    {"code": "toan", "name": "Toán", "duration_minutes": 90, "double_marked": False, "order": 1},
    {"code": "ngu-van", "name": "Ngữ văn", "duration_minutes": 120, "double_marked": True, "order": 2},
    {"code": "tieng-anh", "name": "Tiếng Anh", "duration_minutes": 50, "double_marked": False, "order": 3},
    {"code": "tieng-nga", "name": "Tiếng Nga", "duration_minutes": 50, "double_marked": False, "order": 4},
    {"code": "tieng-phap", "name": "Tiếng Pháp", "duration_minutes": 50, "double_marked": False, "order": 5},
    {"code": "tieng-trung", "name": "Tiếng Trung Quốc", "duration_minutes": 50, "double_marked": False, "order": 6},
    {"code": "tieng-duc", "name": "Tiếng Đức", "duration_minutes": 50, "double_marked": False, "order": 7},
    {"code": "tieng-nhat", "name": "Tiếng Nhật", "duration_minutes": 50, "double_marked": False, "order": 8},
    {"code": "tieng-han", "name": "Tiếng Hàn", "duration_minutes": 50, "double_marked": False, "order": 9},
    {"code": "vat-li", "name": "Vật lí", "duration_minutes": 50, "double_marked": False, "order": 10},
    {"code": "hoa-hoc", "name": "Hóa học", "duration_minutes": 50, "double_marked": False, "order": 11},
    {"code": "sinh-hoc", "name": "Sinh học", "duration_minutes": 50, "double_marked": False, "order": 12},
    {"code": "lich-su", "name": "Lịch sử", "duration_minutes": 50, "double_marked": False, "order": 13},
    {"code": "dia-li", "name": "Địa lí", "duration_minutes": 50, "double_marked": False, "order": 14},
    {
        "code": "gd-ktpl",
        "name": "Giáo dục kinh tế và pháp luật",
        "duration_minutes": 50,
        "double_marked": False,
        "order": 15,
    },
    {"code": "tin-hoc", "name": "Tin học", "duration_minutes": 50, "double_marked": False, "order": 16},
    {
        "code": "cn-cong-nghiep",
        "name": "Công nghệ (định hướng Công nghiệp)",
        "duration_minutes": 50,
        "double_marked": False,
        "order": 17,
    },
    {
        "code": "cn-nong-nghiep",
        "name": "Công nghệ (định hướng Nông nghiệp)",
        "duration_minutes": 50,
        "double_marked": False,
        "order": 18,
    },
)


def kind_defaults(kind: str) -> dict:
    """The configuration a new exam of ``kind`` starts from (configuration, not code: every
    value can be changed before candidates sit)."""
    if kind == ExamKind.ADMISSION_10:
        return {
            "grade": DEFAULT_GRADE[kind],
            "choices_allowed": 3,
            "choice_margins": ["0", "1.5", "3"],
            "tie_breaks": ["grade9_average", "grade9_conduct"],
            "room_capacity": ADMISSION_ROOM_CAPACITY,
        }
    if kind == ExamKind.GRADUATION:
        return {
            "grade": DEFAULT_GRADE[kind],
            "choices_allowed": 1,
            "choice_margins": [],
            "tie_breaks": [],
            "room_capacity": GRADUATION_ROOM_CAPACITY,
        }
    if kind in REVIEW_KINDS:
        return {
            "grade": DEFAULT_GRADE.get(kind),
            "choices_allowed": REVIEW_MAX_CHOICES,
            "choice_margins": ["0", "0"],
            "tie_breaks": [],
        }
    return {"choices_allowed": 1, "choice_margins": [], "tie_breaks": []}


def default_subjects(kind: str) -> list[dict]:
    if kind == ExamKind.ADMISSION_10:
        return [dict(s) for s in ADMISSION_10_SUBJECTS]
    if kind == ExamKind.GRADUATION:
        return [dict(s) for s in GRADUATION_SUBJECTS]
    return []


def default_point_rules(kind: str) -> list:
    """The priority, bonus and direct-admission lines of ``rules.DEFAULT_POINT_RULES`` for the
    admission kinds (Thông tư 30/2024); gifted and vocational exams have none."""
    if kind not in (ExamKind.ADMISSION_10, ExamKind.INTAKE_1, ExamKind.INTAKE_6):
        return []
    from .. import rules

    return list(rules.DEFAULT_POINT_RULES)


def tie_break_labels() -> dict[str, str]:
    """The tie-break keys the allocation understands (``rules.TIE_BREAKS``), with labels."""
    from .. import rules

    return {k: v for k, v in rules.TIE_BREAKS.items() if not k.startswith("subject:")}


# --- small helpers -----------------------------------------------------------------------------------------


def _reach(actor, model_or_qs, pk, action: str = "change"):
    """The row through the door for ``action``, locked: a 404 when the actor does not see it,
    a 403 when they see it but may not ``action`` it."""
    qs = model_or_qs if not isinstance(model_or_qs, type) else model_or_qs._default_manager.all()
    obj = visible_to(actor, qs, action).select_for_update(of=("self",)).filter(pk=getattr(pk, "pk", pk)).first()
    if obj is not None:
        return obj
    if action != "view" and visible_to(actor, qs.model, "view").filter(pk=getattr(pk, "pk", pk)).exists():
        raise PermissionDenied("Bạn không có quyền thay đổi mục này.")
    raise Http404("Không tìm thấy.")


def _decimal(value, *, field: str, label: str) -> Decimal:
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: f"{label} “{value}” không phải là một số."}) from None


def parse_margins(value) -> list[str]:
    """``choice_margins`` from a list or from text ("0; 1,5; 3"), as strings ("1.5")."""
    if value is None:
        return []
    if isinstance(value, str):
        parts = [p for p in value.replace(";", " ").split() if p]
    elif isinstance(value, list | tuple):
        parts = list(value)
    else:
        raise ValidationError({"choice_margins": "Điểm cộng theo nguyện vọng phải là một danh sách số."})
    out = []
    for i, part in enumerate(parts, start=1):
        number = _decimal(part, field="choice_margins", label=f"Điểm cộng của nguyện vọng {i}")
        if number < 0 or number > 10:
            raise ValidationError({"choice_margins": f"Điểm cộng của nguyện vọng {i} phải từ 0 đến 10."})
        out.append(format(number.normalize(), "f") if number != 0 else "0")
    return out


def _overlap(a_start, a_minutes, b_start, b_minutes) -> bool:
    a_end = a_start + dt.timedelta(minutes=a_minutes)
    b_end = b_start + dt.timedelta(minutes=b_minutes)
    return a_start < b_end and b_start < a_end


def has_scripts(exam) -> bool:
    """Marking has started: the exam has scripts (its subjects are then fixed)."""
    return Script.objects.filter(exam_subject__exam_id=getattr(exam, "pk", exam)).exists()


# --- the exam ----------------------------------------------------------------------------------------------

#: fields of ``Exam`` set through ``create_exam`` / ``update_exam``
EXAM_FIELDS = (
    "unit",
    "kind",
    "name",
    "start_year",
    "grade",
    "accepts_online",
    "applications_open_at",
    "applications_close_at",
    "room_capacity",
    "number_prefix",
    "number_width",
    "mark_threshold",
    "choices_allowed",
    "choice_margins",
    "tie_breaks",
)
#: fields that take the kind's default when not given (or given as None)
DEFAULTED = ("grade", "choices_allowed", "choice_margins", "tie_breaks", "room_capacity")


def owner_error(kind: str, unit: Unit | None) -> str | None:
    """Why ``unit`` may not run an exam of ``kind`` (None when it may)."""
    if unit is None or kind not in KIND_OWNERS:
        return None
    if unit.kind not in KIND_OWNERS[kind]:
        return KIND_OWNERS_TEXT[kind]
    grade = INTAKE_GRADE.get(kind)
    if grade is not None and unit.is_school_level and grade not in unit.grades:
        return f"{unit.name} không dạy lớp {grade} nên không tổ chức tuyển sinh lớp {grade}."
    return None


def exam_errors(exam: Exam, *, subject_codes: Iterable[str] | None = None) -> dict[str, str]:
    """The rules of this module an exam's configuration breaks, by field (beyond the model's
    own ``clean``). ``subject_codes``: the exam's subjects, for ``subject:<code>`` tie-breaks."""
    errors: dict[str, str] = {}
    kind = exam.kind
    if kind not in ExamKind.values:
        errors["kind"] = "Loại kỳ thi không hợp lệ."
        return errors
    unit = exam.unit if exam.unit_id else None
    message = owner_error(kind, unit)
    if message:
        errors["unit"] = message
    if exam.start_year is not None and not 2000 <= exam.start_year <= 2100:
        errors["start_year"] = "Năm học phải từ 2000 đến 2100."
    if exam.grade is not None and not 0 <= exam.grade <= 12:
        errors["grade"] = "Khối dự thi phải từ 0 (mầm non) đến 12."
    if kind in REVIEW_KINDS and exam.choices_allowed and exam.choices_allowed > REVIEW_MAX_CHOICES:
        errors["choices_allowed"] = f"Tuyển sinh đầu cấp theo xét tuyển có tối đa {REVIEW_MAX_CHOICES} nguyện vọng."
    margins = exam.choice_margins
    if isinstance(margins, list) and exam.choices_allowed and len(margins) > exam.choices_allowed:
        errors["choice_margins"] = (
            f"Có {len(margins)} mức điểm cộng nhưng chỉ {exam.choices_allowed} nguyện vọng: mỗi nguyện vọng một mức."
        )
    limit, limit_text = ROOM_LIMITS.get(kind, (None, ""))
    if limit is not None and exam.room_capacity and exam.room_capacity > limit:
        errors["room_capacity"] = limit_text.format(n=limit)
    if exam.accepts_online and kind not in (ExamKind.ADMISSION_10, ExamKind.INTAKE_1, ExamKind.INTAKE_6):
        errors["accepts_online"] = "Chỉ kỳ tuyển sinh mới nhận hồ sơ trực tuyến."
    if isinstance(exam.tie_breaks, list):
        known = tie_break_labels()
        codes = set(subject_codes or ())
        seen = set()
        for key in exam.tie_breaks:
            key = str(key)
            if key in seen:
                errors["tie_breaks"] = f"Tiêu chí “{known.get(key, key)}” bị lặp lại."
                break
            seen.add(key)
            if key.startswith("subject:"):
                if key.removeprefix("subject:") not in codes:
                    errors["tie_breaks"] = f"Tiêu chí “{key}”: kỳ thi không có môn mã “{key.removeprefix('subject:')}”."
                    break
            elif key not in known:
                errors["tie_breaks"] = f"Không có tiêu chí xét khi bằng điểm “{key}”."
                break
    if exam.mark_threshold is not None and exam.mark_threshold > 10:
        errors["mark_threshold"] = "Chênh lệch tối đa giữa hai lần chấm không quá 10 điểm."
    return errors


def _check_exam(exam: Exam, *, subject_codes=None) -> None:
    errors = exam_errors(exam, subject_codes=subject_codes)
    try:
        exam.full_clean(exclude=["published_by", "results_publish_at"])
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, " ".join(messages))
    if errors:
        raise ValidationError(errors)


def _normalise_exam_fields(fields: Mapping) -> dict:
    unknown = set(fields) - set(EXAM_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "Trường này không sửa được ở đây."})
    # None on a field that cannot be empty means "not given": the kind's default or the stored value.
    out = {k: v for k, v in fields.items() if v is not None or k in DEFAULTED or Exam._meta.get_field(k).null}
    if "name" in out and out["name"] is not None:
        out["name"] = nfc(str(out["name"])).strip()
    if "number_prefix" in out:
        out["number_prefix"] = nfc(str(out["number_prefix"] or "")).strip()
    if "accepts_online" in out:
        out["accepts_online"] = bool(out["accepts_online"])
    if out.get("choice_margins") is not None:
        out["choice_margins"] = parse_margins(out["choice_margins"])
    if out.get("tie_breaks") is not None:
        tie_breaks = out["tie_breaks"]
        if isinstance(tie_breaks, str):
            tie_breaks = [t.strip() for t in tie_breaks.replace(";", ",").split(",") if t.strip()]
        if not isinstance(tie_breaks, list | tuple):
            raise ValidationError({"tie_breaks": "Tiêu chí xét khi bằng điểm phải là một danh sách."})
        out["tie_breaks"] = [str(t) for t in tie_breaks if str(t).strip()]
    if out.get("mark_threshold") is not None:
        out["mark_threshold"] = _decimal(out["mark_threshold"], field="mark_threshold", label="Chênh lệch")
    return out


def create_exam(actor, *, subjects: Iterable[Mapping] | None = None, point_rules: bool = True, **fields) -> Exam:
    """A new exam owned by ``fields["unit"]`` (default: the actor's own unit), among the units
    where the actor may add exams (``units_for``). Fields not given take the kind's defaults
    (``kind_defaults``); ``subjects`` None gives the kind's default subjects, ``[]`` none; the
    points table is copied from ``rules.DEFAULT_POINT_RULES`` for the admission kinds."""
    fields = _normalise_exam_fields(fields)
    reach = units_for(actor, Exam, "add")
    if actor is None or not reach.exists():
        raise PermissionDenied("Bạn không có quyền tổ chức kỳ thi.")
    unit = fields.get("unit")
    if unit is None:
        unit = reach.filter(pk=actor.unit_id).first()
        if unit is None:
            raise ValidationError({"unit": "Hãy chọn đơn vị tổ chức kỳ thi."})
    else:
        unit = reach.filter(pk=getattr(unit, "pk", unit)).first()
        if unit is None:
            raise ValidationError({"unit": "Đơn vị này không thuộc phạm vi bạn được tổ chức kỳ thi."})
    kind = fields.get("kind")
    if not kind:
        raise ValidationError({"kind": "Hãy chọn loại kỳ thi."})
    values = {k: v for k, v in fields.items() if v is not None or k not in DEFAULTED}
    for key, value in kind_defaults(kind).items():
        values.setdefault(key, value)
    values["unit"] = unit
    exam = Exam(**values)
    subject_rows = default_subjects(kind) if subjects is None else [dict(s) for s in subjects]
    if subject_rows and kind in REVIEW_KINDS:
        raise ValidationError({"kind": "Tuyển sinh theo xét tuyển không có môn thi."})
    _check_exam(exam, subject_codes=[s.get("code") for s in subject_rows])
    with transaction.atomic(), acting_here(actor):
        exam.save()
        for row in subject_rows:
            _save_subject(exam, ExamSubject(exam=exam), row, others=list(exam.subjects.all()))
        if point_rules:
            for line in default_point_rules(kind):
                PointRule.objects.create(
                    exam=exam, kind=line.kind, code=line.code, label=line.label, points=Decimal(str(line.points))
                )
        if not can(actor, "change", exam):  # re-read through the door (NetBox's restrict)
            raise PermissionDenied("Bạn không có quyền tổ chức kỳ thi tại đơn vị này.")
    return exam


def update_exam(actor, exam: Exam, **changes) -> Exam:
    """Change an exam's configuration (organisers, or its board's chair and secretariat).
    Kind and owner are fixed once it has candidates; only an organiser moves it to another of
    their units."""
    changes = _normalise_exam_fields(changes)
    with transaction.atomic(), acting_here(actor):
        exam = _reach(actor, Exam.objects.select_related("unit"), exam)
        before = copy.copy(exam)
        new_unit = changes.pop("unit", None)
        if new_unit is not None and getattr(new_unit, "pk", new_unit) != exam.unit_id:
            unit = units_for(actor, Exam, "change").filter(pk=getattr(new_unit, "pk", new_unit)).first()
            if unit is None:
                raise ValidationError({"unit": "Đơn vị này không thuộc phạm vi bạn được tổ chức kỳ thi."})
            exam.unit = unit
        for key, value in changes.items():
            if value is None and key in ("choice_margins", "tie_breaks"):
                value = []
            elif value is None and not Exam._meta.get_field(key).null:
                continue  # left blank: keep what is stored
            setattr(exam, key, value)
        if _differs(before.mark_threshold, exam.mark_threshold) and has_scripts(exam):
            label = Exam._meta.get_field("mark_threshold").verbose_name
            raise ValidationError({"mark_threshold": f"Kỳ thi đã bắt đầu chấm: không đổi {label} được nữa."})
        if (exam.kind != before.kind or exam.unit_id != before.unit_id) and exam.candidates.exists():
            field = "kind" if exam.kind != before.kind else "unit"
            raise ValidationError({field: "Kỳ thi đã có thí sinh: không đổi loại kỳ thi hay đơn vị tổ chức được nữa."})
        codes = list(exam.subjects.values_list("code", flat=True))
        if exam.kind in REVIEW_KINDS and codes:
            raise ValidationError({"kind": "Kỳ thi đang có môn thi: xoá các môn trước khi chuyển sang xét tuyển."})
        _check_exam(exam, subject_codes=codes)
        exam.save()
        if exam.results_publish_at is not None and exam.name != before.name:
            portal_scores.write_exam(exam)  # the published items name the exam
    return exam


# --- subjects and the timetable ------------------------------------------------------------------------------

SUBJECT_FIELDS = ("code", "name", "duration_minutes", "coefficient", "max_score", "double_marked", "starts_at", "order")
#: what cannot change once marking has started (the admission score is built from them)
MARKING_FIXED = ("code", "coefficient", "max_score", "double_marked")


def subject_errors(exam: Exam, subject: ExamSubject, others: Iterable[ExamSubject]) -> dict[str, str]:
    """The rules a subject breaks among the exam's ``others``: a code used twice, two tests
    that overlap in time (one candidate sits every test)."""
    errors: dict[str, str] = {}
    for other in others:
        if other.pk is not None and other.pk == subject.pk:
            continue
        if other.code == subject.code:
            errors["code"] = f"Mã môn “{subject.code}” đã có trong kỳ thi ({other.name})."
        if (
            subject.starts_at
            and other.starts_at
            and subject.duration_minutes
            and _overlap(subject.starts_at, subject.duration_minutes, other.starts_at, other.duration_minutes)
        ):
            errors.setdefault(
                "starts_at", f"Trùng giờ với môn {other.name}: hai môn của một kỳ thi không thi cùng lúc."
            )
    if subject.coefficient is not None and subject.coefficient <= 0:
        errors["coefficient"] = "Hệ số phải lớn hơn 0."
    if subject.max_score is not None and not Decimal("1") <= subject.max_score <= Decimal("100"):
        errors["max_score"] = "Thang điểm phải từ 1 đến 100."
    return errors


def _save_subject(exam: Exam, subject: ExamSubject, data: Mapping, *, others) -> ExamSubject:
    unknown = set(data) - set(SUBJECT_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "Trường này không sửa được ở đây."})
    for key, value in data.items():
        if key in ("coefficient", "max_score") and value is not None:
            value = _decimal(value, field=key, label="Hệ số" if key == "coefficient" else "Thang điểm")
        elif key in ("name", "code") and value is not None:
            value = nfc(str(value)).strip()
        elif isinstance(value, str):  # rows given as text (a JSON list of subjects)
            try:
                value = ExamSubject._meta.get_field(key).to_python(value.strip() or None)
            except ValidationError as exc:
                raise ValidationError({key: exc.messages}) from None
            if isinstance(value, dt.datetime) and timezone.is_naive(value):
                value = timezone.make_aware(value)
        setattr(subject, key, value)
    if not subject.code and subject.name:
        subject.code = slugify(subject.name.replace("đ", "d").replace("Đ", "D"))[:30]
    subject.exam = exam
    errors = subject_errors(exam, subject, others)
    try:
        subject.full_clean(exclude=["exam"], validate_constraints=False)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, " ".join(messages))
    if errors:
        raise ValidationError(errors)
    subject.save()
    return subject


def _writable_exam(actor, exam) -> Exam:
    return _reach(actor, Exam.objects.select_related("unit"), exam)


def add_subject(actor, exam: Exam, **data) -> ExamSubject:
    """A test of the exam with its duration, coefficient and sitting (the timetable)."""
    with transaction.atomic(), acting_here(actor):
        exam = _writable_exam(actor, exam)
        if exam.kind in REVIEW_KINDS:
            raise ValidationError({"exam": "Tuyển sinh theo xét tuyển không có môn thi."})
        if has_scripts(exam):
            raise ValidationError({"exam": "Kỳ thi đã bắt đầu chấm: không thêm môn thi được nữa."})
        data.setdefault("order", (exam.subjects.count() or 0) + 1)
        subject = _save_subject(exam, ExamSubject(exam=exam), data, others=list(exam.subjects.all()))
        if not can(actor, "add", subject):
            raise PermissionDenied("Bạn không có quyền thêm môn thi cho kỳ thi này.")
    return subject


def update_subject(actor, subject: ExamSubject, **data) -> ExamSubject:
    """Change a subject; its code, coefficient, scale and double marking are fixed once the
    exam has scripts."""
    with transaction.atomic(), acting_here(actor):
        subject = _reach(actor, ExamSubject.objects.select_related("exam__unit"), subject)
        exam = subject.exam
        if not can(actor, "change", exam):
            raise PermissionDenied("Bạn không có quyền thay đổi kỳ thi này.")
        data.pop("exam", None)
        if has_scripts(exam):
            for key in MARKING_FIXED:
                if key in data and data[key] is not None and _differs(getattr(subject, key), data[key]):
                    label = ExamSubject._meta.get_field(key).verbose_name
                    raise ValidationError({key: f"Kỳ thi đã bắt đầu chấm: không đổi {label} được nữa."})
        others = list(exam.subjects.exclude(pk=subject.pk))
        shown = _shown_in_results(subject)
        subject = _save_subject(exam, subject, data, others=others)
        if exam.results_publish_at is not None and _shown_in_results(subject) != shown:
            portal_scores.write_exam(exam)  # the published items name and order the subjects
    return subject


def _shown_in_results(subject: ExamSubject) -> tuple:
    """What of a subject the public lookup's items show (``portal_scores``): code, name, coefficient, order."""
    return (subject.code, subject.name, subject.coefficient, subject.order, subject.starts_at)


def _differs(current, new) -> bool:
    if isinstance(current, Decimal):
        try:
            return current != Decimal(str(new).replace(",", "."))
        except InvalidOperation:
            return True
    return current != new


def remove_subject(actor, subject: ExamSubject) -> None:
    """Remove a subject that nobody sat yet (no scripts, no scores); history keeps the row."""
    with transaction.atomic(), acting_here(actor):
        subject = _reach(actor, ExamSubject.objects.select_related("exam"), subject, "delete")
        if not can(actor, "change", subject.exam):
            raise PermissionDenied("Bạn không có quyền thay đổi kỳ thi này.")
        if subject.scripts.exists() or has_scripts(subject.exam):
            raise ValidationError({"exam_subject": f"Môn {subject.name} đã có bài thi: không xoá được."})
        from ..models import CandidateScore

        if CandidateScore.objects.filter(exam_subject=subject).exists():
            raise ValidationError({"exam_subject": f"Môn {subject.name} đã có điểm thi: không xoá được."})
        exam = subject.exam
        if any(t == f"subject:{subject.code}" for t in exam.tie_breaks or []):
            raise ValidationError(
                {"exam_subject": f"Môn {subject.name} đang là tiêu chí xét khi bằng điểm: bỏ tiêu chí đó trước."}
            )
        subject.delete()


# --- the board -------------------------------------------------------------------------------------------------

#: seats one person may not hold together on one exam, ever (``_seat_conflicts``): the
#: secretariat knows the anonymous codes (``ScriptKey``), markers see the scripts, and the chair
#: reads every mark — so no one sees both a script and whose it is
CONFLICTS: dict[str, frozenset[str]] = {
    BoardRole.CHAIR: frozenset({BoardRole.MARKER, BoardRole.SECRETARIAT}),
    BoardRole.MARKER: frozenset({BoardRole.SECRETARIAT, BoardRole.CHAIR}),
    BoardRole.SECRETARIAT: frozenset({BoardRole.MARKER, BoardRole.CHAIR}),
}
#: seats that reach every script and mark (and, for the secretariat, the codes): only an admin
#: of the owner's subtree changes them (``may_seat``)
KEY_SEATS = frozenset({BoardRole.CHAIR, BoardRole.SECRETARIAT})
#: the kind of the audit event recorded for every change of a board (``sms.audit``)
BOARD_EVENT = EventKind.BOARD_CHANGED


def eligible_memberships(exam: Exam):
    """Active staff memberships in the exam owner's subtree: the people (with their home unit)
    who can sit on its board. For a Sở exam, any school under the Sở."""
    return (
        Membership.objects.active()
        .filter(unit__path__startswith=exam.unit.path, role__in=STAFF_ROLES, user__is_active=True)
        .select_related("user", "unit")
        .order_by("user__sort_key", "unit__depth", "unit__name", "pk")
    )


def _organises(actor, exam: Exam) -> bool:
    if actor is None or getattr(actor, "membership", None) is None:
        return False
    return units_for(actor, BoardMember, "add").filter(pk=exam.unit_id).exists()


def is_board_admin(actor, exam: Exam) -> bool:
    """An admin (Sở/Phòng admin, principal, school admin) whose reach holds the exam's owner:
    the only people who seat or relieve a chair or the secretariat."""
    return actor is not None and getattr(actor, "role", None) in ADMIN_ROLES and _organises(actor, exam)


def may_manage_board(actor, exam: Exam) -> bool:
    """Organisers of the owner's subtree and the board's chair change the board (the rule of
    ``BoardMember.scope``, asked before there is a row to ask the door about); which seats
    each of them may change is ``may_seat``."""
    if actor is None or getattr(actor, "membership", None) is None:
        return False
    if _organises(actor, exam):
        return True
    return BoardRole.CHAIR in board_roles(actor, exam)


def may_seat(actor, exam: Exam, role: str) -> bool:
    """Whether ``actor`` may seat (or relieve, or give back) a ``role`` seat: the chair and the
    secretariat read the marks and the codes, so only an admin of the owner's subtree changes
    them; other organisers and the chair change the markers and invigilators."""
    if not may_manage_board(actor, exam):
        return False
    return role not in KEY_SEATS or is_board_admin(actor, exam)


def seatable_roles(actor, exam: Exam) -> list[tuple[str, str]]:
    """The ``BoardRole`` choices ``actor`` may seat on ``exam`` (the form's choices)."""
    if not may_manage_board(actor, exam):
        return []
    admin = is_board_admin(actor, exam)
    return [(value, label) for value, label in BoardRole.choices if value not in KEY_SEATS or admin]


def _check_may_seat(actor, exam: Exam, role: str) -> None:
    if not may_manage_board(actor, exam):
        raise PermissionDenied("Chỉ đơn vị tổ chức kỳ thi hoặc chủ tịch hội đồng thay đổi được hội đồng thi.")
    if not may_seat(actor, exam, role):
        raise PermissionDenied(
            f"Chỉ quản trị của đơn vị tổ chức kỳ thi phân công được {BoardRole(role).label.lower()}."
        )


def _not_oneself(actor, user) -> None:
    if getattr(user, "pk", user) == getattr(actor.user, "pk", None):
        raise PermissionDenied("Không ai tự phân công mình vào hội đồng thi: hãy nhờ người khác có thẩm quyền.")


def _seat_conflicts(exam: Exam, user, role: str, *, exclude_pk=None) -> None:
    """Refuse a seat clashing with any seat the person holds or ever held on the exam
    (``CONFLICTS``): a former secretary never becomes a marker, nor the reverse."""
    seats = BoardMember.objects.filter(exam=exam, user=user).exclude(pk=exclude_pk)
    clash = seats.filter(role__in=CONFLICTS.get(role, ())).order_by("-is_active", "pk").first()
    if clash is not None:
        when = "đang là" if clash.is_active else "đã từng là"
        raise ValidationError(
            {
                "role": f"{clash.full_name or user} {when} {clash.get_role_display().lower()} của kỳ thi: "
                "chủ tịch hội đồng, ban thư ký (biết số phách) và cán bộ chấm thi là những nhiệm vụ "
                "không giao cho cùng một người trong một kỳ thi."
            }
        )
    if role == BoardRole.CHAIR:
        chair = BoardMember.objects.filter(exam=exam, role=BoardRole.CHAIR, is_active=True).exclude(pk=exclude_pk)
        chair = chair.exclude(user=user).first()
        if chair is not None:
            raise ValidationError({"role": f"Hội đồng đã có chủ tịch ({chair.full_name or chair.user})."})


def _audit(actor, seat: BoardMember, what: str) -> None:
    """An audit event for a change of the board, beside its history (who reached the codes)."""
    from sms.audit.services import record

    request = getattr(HistoricalRecords.context, "request", None)
    record(
        BOARD_EVENT,
        request=request,
        actor=actor,
        unit=seat.exam.unit,
        obj=seat,
        detail=f"{what}: {seat.full_name or seat.user} – {seat.get_role_display().lower()}, {seat.exam.name}",
    )


def add_member(actor, exam: Exam, user, role: str, home_unit: Unit | None = None) -> BoardMember:
    """Seat ``user`` on the exam's board as ``role``. The user must hold an active staff
    membership in the exam owner's subtree; ``home_unit`` (default: that membership's unit,
    the nearest to the owner) is where they work. A seat once held and deactivated is
    reactivated rather than created twice. Only an admin of the owner's subtree seats a chair
    or the secretariat (``may_seat``); nobody seats themselves."""
    if role not in BoardRole.values:
        raise ValidationError({"role": "Nhiệm vụ trong hội đồng thi không hợp lệ."})
    with transaction.atomic(), acting_here(actor):
        exam = _reach(actor, Exam.objects.select_related("unit"), exam, "view")
        _check_may_seat(actor, exam, role)
        if user is None:
            raise ValidationError({"user": "Hãy chọn thành viên."})
        _not_oneself(actor, user)
        memberships = eligible_memberships(exam).filter(user=user)
        if home_unit is not None:
            memberships = memberships.filter(unit_id=getattr(home_unit, "pk", home_unit))
        membership = memberships.first()
        if membership is None:
            where = f" tại {home_unit}" if isinstance(home_unit, Unit) else ""
            who = getattr(user, "full_name", "") or (str(user) if hasattr(user, "pk") else f"Người dùng mã {user}")
            raise ValidationError({"user": f"{who} không có vai trò đang hiệu lực{where} thuộc {exam.unit.name}."})
        user = membership.user
        _not_oneself(actor, user)
        _seat_conflicts(exam, user, role)
        seat = BoardMember.objects.select_for_update().filter(exam=exam, user=user, role=role).first()
        if seat is not None and seat.is_active:
            raise ValidationError({"role": f"{seat.full_name or user} đã là {seat.get_role_display().lower()}."})
        was_seated = seat is not None
        if seat is None:
            seat = BoardMember(exam=exam, user=user, role=role)
        seat.home_unit = membership.unit
        seat.full_name = nfc(user.full_name or user.username)
        seat.is_active = True
        seat.save()
        if not can(actor, "change", seat) and not can(actor, "add", seat):
            raise PermissionDenied("Bạn không có quyền thay đổi hội đồng thi này.")
        _audit(actor, seat, "Phân công lại" if was_seated else "Phân công")
    return seat


def _writable_member(actor, member) -> BoardMember:
    return _reach(actor, BoardMember.objects.select_related("exam__unit", "user", "home_unit"), member)


def deactivate_member(actor, member: BoardMember, reason: str = "") -> BoardMember:
    """Relieve a member of their seat. The seat is never deleted (their marks name it):
    ``is_active`` becomes False and history records who did it and why. A chair or
    secretariat seat only an admin of the owner's subtree relieves."""
    with transaction.atomic(), acting_here(actor):
        member = _writable_member(actor, member)
        _check_may_seat(actor, member.exam, member.role)
        if not member.is_active:
            raise ValidationError({"is_active": f"{member.full_name} đã thôi nhiệm vụ này."})
        member.is_active = False
        member._change_reason = nfc(reason).strip()[:100] or "Thôi nhiệm vụ"
        member.save()
        _audit(actor, member, f"Thôi nhiệm vụ ({member._change_reason})")
    return member


def reactivate_member(actor, member: BoardMember) -> BoardMember:
    """Give a relieved member their seat back (the same checks as adding them)."""
    with transaction.atomic(), acting_here(actor):
        member = _writable_member(actor, member)
        _check_may_seat(actor, member.exam, member.role)
        _not_oneself(actor, member.user)
        if member.is_active:
            raise ValidationError({"is_active": f"{member.full_name} đang làm nhiệm vụ này."})
        _seat_conflicts(member.exam, member.user, member.role, exclude_pk=member.pk)
        member.is_active = True
        member._change_reason = "Làm nhiệm vụ trở lại"
        member.save()
        _audit(actor, member, "Làm nhiệm vụ trở lại")
    return member


def member_in_use(member: BoardMember) -> bool:
    """Whether anything names the seat (a mark, a room): it can only be deactivated."""
    return (
        Mark.objects.filter(marker=member).exists()
        or Room.objects.filter(Q(invigilator_1=member) | Q(invigilator_2=member)).exists()
    )


# --- the priority / bonus / direct-admission table -------------------------------------------------------------

POINT_FIELDS = ("kind", "code", "label", "points")


def _point_rule_in_use(rule: PointRule) -> bool:
    return (
        Candidate.objects.filter(Q(priority=rule) | Q(bonus=rule) | Q(direct=rule)).exists()
        or Application.objects.filter(Q(priority_claim=rule) | Q(bonus_claim=rule)).exists()
    )


def _save_point_rule(rule: PointRule, data: Mapping) -> PointRule:
    unknown = set(data) - set(POINT_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: "Trường này không sửa được ở đây."})
    for key, value in data.items():
        if key == "points" and value is not None:
            value = _decimal(value, field="points", label="Điểm cộng")
        if key in ("label", "code") and value is not None:
            value = nfc(str(value)).strip()
        setattr(rule, key, value)
    errors: dict[str, str] = {}
    if rule.kind == PointRule.Kind.DIRECT:
        rule.points = Decimal("0")
    elif rule.points is not None and not Decimal("0") <= rule.points <= Decimal("10"):
        errors["points"] = "Điểm cộng phải từ 0 đến 10."
    if rule.code and PointRule.objects.filter(exam_id=rule.exam_id, code=rule.code).exclude(pk=rule.pk).exists():
        errors["code"] = f"Mã “{rule.code}” đã có trong bảng điểm ưu tiên, khuyến khích của kỳ thi."
    try:
        rule.full_clean(exclude=["exam"], validate_constraints=False)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, " ".join(messages))
    if errors:
        raise ValidationError(errors)
    rule.save()
    return rule


def _points_writable_exam(actor, exam) -> Exam:
    exam = _reach(actor, Exam.objects.select_related("unit"), exam, "view")
    if not units_for(actor, PointRule, "add").filter(pk=exam.unit_id).exists():
        raise PermissionDenied("Chỉ đơn vị tổ chức kỳ thi sửa được bảng điểm ưu tiên, khuyến khích.")
    return exam


def add_point_rule(actor, exam: Exam, **data) -> PointRule:
    """A line of the exam's priority / bonus / direct-admission table (organisers only)."""
    with transaction.atomic(), acting_here(actor):
        exam = _points_writable_exam(actor, exam)
        rule = _save_point_rule(PointRule(exam=exam), data)
        if not can(actor, "add", rule):
            raise PermissionDenied("Bạn không có quyền sửa bảng điểm của kỳ thi này.")
    return rule


def update_point_rule(actor, rule: PointRule, **data) -> PointRule:
    """Edit a line: label and points at any time before publication; kind and code only while
    no candidate or application uses it."""
    data.pop("exam", None)
    with transaction.atomic(), acting_here(actor):
        rule = _reach(actor, PointRule.objects.select_related("exam"), rule)
        used = _point_rule_in_use(rule)
        for key in ("kind", "code"):
            if used and key in data and data[key] is not None and data[key] != getattr(rule, key):
                label = PointRule._meta.get_field(key).verbose_name
                raise ValidationError({key: f"Đã có thí sinh hoặc hồ sơ thuộc diện này: không đổi {label} được."})
        if (
            "points" in data
            and data["points"] is not None
            and _differs(rule.points, data["points"])
            and rule.exam.is_published()
        ):
            raise ValidationError({"points": "Kết quả đã công bố: không đổi điểm cộng được nữa."})
        rule = _save_point_rule(rule, data)
    return rule


def remove_point_rule(actor, rule: PointRule) -> None:
    """Remove a line nobody uses (no candidate, no application claims it)."""
    with transaction.atomic(), acting_here(actor):
        rule = _reach(actor, PointRule.objects.select_related("exam"), rule, "delete")
        if _point_rule_in_use(rule):
            raise ValidationError(
                {"point_rule": f"“{rule.label}” đang được thí sinh hoặc hồ sơ sử dụng: không xoá được."}
            )
        rule.delete()


def reset_point_rules(actor, exam: Exam) -> list[PointRule]:
    """Add the lines of ``rules.DEFAULT_POINT_RULES`` the exam lacks (by code)."""
    with transaction.atomic(), acting_here(actor):
        exam = _points_writable_exam(actor, exam)
        have = set(exam.point_rules.values_list("code", flat=True))
        added = []
        for line in default_point_rules(ExamKind.ADMISSION_10):
            if line.code not in have:
                added.append(
                    PointRule.objects.create(
                        exam=exam, kind=line.kind, code=line.code, label=line.label, points=Decimal(str(line.points))
                    )
                )
    return added
