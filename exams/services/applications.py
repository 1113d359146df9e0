"""The public online application (Circular 53/2012/TT-BGDĐT Art. 14.3c, public service level
3–4): a form filled and submitted online, its status followed online, its result answered
online; and the staff's review of it. See ../shared/domain/exams-diplomas.md ("Grade-1 and
grade-6 intake by review … with online applications"; "Candidate registration … online form for
others").

    (public) submit ──▶ SUBMITTED ──needs_changes(note)──▶ NEEDS_CHANGES ──resubmit (public)──┐
                            │   ▲                                                            │
                            │   └────────────────────────────────────────────────────────────┘
                            ├──accept──▶ ACCEPTED (a ``Candidate``, source=online, is created)
                            └──reject(note)──▶ REJECTED

The applicant has no account: they are known by the application's reference (mã hồ sơ) and
their date of birth. ``submit`` and ``resubmit`` run without an actor and keep history
attributed to nobody (with the client's IP); the review functions take the staff actor and
check it through the door: ``can(actor, "change", application)`` lets the exam's organisers
(admins and Sở/Phòng staff of the owner's subtree) and its board's secretariat.

Every write is one transaction. Every refusal is a ``ValidationError`` with a Vietnamese
message naming the field (the form's field names: ``full_name``, ``choice_1``, ``doc_birth`` …)
or a ``PermissionDenied``. A file that fails its check (type by content, size) means nothing is
saved: every upload is checked before anything is written, and files written by a
transaction that is then rolled back are removed from storage.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from sms.accounts.scoping import can
from sms.audit.history import acting_as, acting_here
from sms.files.models import StoredFile
from sms.files.validators import megabytes, validate_upload
from sms.org.catalogue import ETHNIC_GROUPS
from sms.org.models import Unit
from sms.text import as_id, nfc, search_key

from ..models import (
    ADMISSION_KINDS,
    Application,
    ApplicationDocument,
    ApplicationStatus,
    Candidate,
    CandidateScore,
    CandidateSource,
    Choice,
    Exam,
    ExamKind,
    PointRule,
    Quota,
)

#: each file at most 5 MB, all of one submission at most 15 MB
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_TOTAL_BYTES = 15 * 1024 * 1024
#: PDF, JPEG and PNG only, recognised by content (``validate_upload`` checks the magic bytes)
ALLOWED_TYPES = ("pdf", "jpg", "jpeg", "png")
PURPOSE = "exam-application"
#: how long the signed (reference, date of birth) pair of the status page lets the applicant edit
EDIT_TOKEN_MAX_AGE = 30 * 60
EDIT_TOKEN_SALT = "exams.applications.edit"
NOTE_MAX = 1000
#: an application that was refused does not block a new one
LIVE_STATUSES = (ApplicationStatus.SUBMITTED, ApplicationStatus.NEEDS_CHANGES, ApplicationStatus.ACCEPTED)

#: ASCII digits only (``\d`` alone would take "١٢٣" or "²")
PHONE_RE = re.compile(r"0[35789][0-9]{8}")
PID_RE = re.compile(r"[0-9]{12}")
SEXES = {"M": "Nam", "F": "Nữ"}

MSG_CLOSED = "Kỳ thi này hiện không nhận hồ sơ trực tuyến (ngoài thời gian nhận hồ sơ)."
MSG_NOT_REVIEWER = "Chỉ đơn vị tổ chức kỳ thi hoặc ban thư ký hội đồng thi được xét hồ sơ trực tuyến."
#: the public refusal of a second application of one person: it names neither the field that
#: matched nor the earlier reference (``_duplicate``)
MSG_DUPLICATE = (
    "Thí sinh này đã có hồ sơ trong kỳ thi. Vui lòng không nộp lại: hãy tra cứu và theo dõi hồ sơ "
    "đã nộp bằng mã hồ sơ đã nhận và ngày sinh."
)
MSG_STALE = "Biểu mẫu này đã được dùng để nộp một hồ sơ khác. Vui lòng tải lại trang và nhập lại."


# --- the documents an exam asks for -----------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentSlot:
    """One file input of the form: ``field`` is ``doc_<kind>``; ``required`` is "always",
    "claim" (when a priority or bonus is claimed) or "" (optional)."""

    kind: str
    label: str
    required: str = ""
    help: str = ""

    @property
    def field(self) -> str:
        return f"doc_{self.kind}"


Kind = ApplicationDocument.Kind


def document_slots(exam: Exam, *, has_claims: bool | None = None) -> list[DocumentSlot]:
    """The documents ``exam`` asks for, in form order: the birth certificate always; proof of
    residence for the intake by review (tuyển sinh đầu cấp goes by residence); the school
    record for a grade-6 intake or a grade-10 admission; proof of priority or bonus when the
    exam has a point table (required only when something is claimed); a photo (optional)."""
    slots = [DocumentSlot(Kind.BIRTH, Kind.BIRTH.label, "always", "Bản chụp hoặc bản quét giấy khai sinh.")]
    if exam.kind in (ExamKind.INTAKE_1, ExamKind.INTAKE_6):
        slots.append(DocumentSlot(Kind.RESIDENCE, Kind.RESIDENCE.label, "", "Xác nhận thông tin cư trú (nếu có)."))
    if exam.kind in (ExamKind.INTAKE_6, ExamKind.ADMISSION_10):
        slots.append(DocumentSlot(Kind.TRANSCRIPT, Kind.TRANSCRIPT.label, "", "Học bạ hoặc giấy xác nhận kết quả."))
    if has_claims is None:
        has_claims = PointRule.objects.filter(exam=exam).exists()
    if has_claims:
        slots.append(
            DocumentSlot(
                Kind.PRIORITY,
                Kind.PRIORITY.label,
                "claim",
                "Bắt buộc khi khai đối tượng ưu tiên, khuyến khích hoặc tuyển thẳng.",
            )
        )
    slots.append(DocumentSlot(Kind.PHOTO, Kind.PHOTO.label, "", "Ảnh chân dung (JPG hoặc PNG), không bắt buộc."))
    return slots


# --- what the public sees -----------------------------------------------------------------------------------


def public_exams(now=None) -> dict[str, list[Exam]]:
    """Exams taking online applications, for the public list: ``open`` now, ``upcoming`` and
    recently ``closed`` (within 120 days), each soonest first. Exam names and dates are public."""
    now = now or timezone.now()
    exams = list(
        Exam.objects.filter(
            accepts_online=True,
            applications_open_at__isnull=False,
            applications_close_at__isnull=False,
            applications_close_at__gte=now - dt.timedelta(days=120),
        )
        .select_related("unit")
        .order_by("applications_close_at", "name", "pk")
    )
    return {
        "open": [e for e in exams if e.window_open(now)],
        "upcoming": sorted((e for e in exams if e.applications_open_at > now), key=lambda e: e.applications_open_at),
        "closed": [e for e in exams if e.applications_close_at <= now][::-1],
    }


def is_digits(text: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also takes "²" and "١", which ``int`` then refuses."""
    return bool(text) and text.isascii() and text.isdigit()


def public_exam(exam_id) -> Exam | None:
    """An exam that takes online applications (whatever its window now), by id; None otherwise."""
    pk = as_id(exam_id, strip=True)
    if pk is None:
        return None
    return Exam.objects.select_related("unit").filter(pk=pk, accepts_online=True).first()


def quota_schools(exam: Exam) -> list[Unit]:
    """The schools an applicant may choose: those with a quota in the exam (admission kinds)."""
    if exam.kind not in ADMISSION_KINDS:
        return []
    return [q.school for q in Quota.objects.filter(exam=exam).select_related("school").order_by("school__name")]


def claim_rules(exam: Exam) -> dict[str, list[PointRule]]:
    """The exam's point table by kind ("priority", "bonus", "direct")."""
    table: dict[str, list[PointRule]] = {k: [] for k in PointRule.Kind.values}
    for rule in PointRule.objects.filter(exam=exam).order_by("kind", "-points", "code"):
        table[rule.kind].append(rule)
    return table


# --- checking what was typed ------------------------------------------------------------------------------------


def phone_key(phone: str) -> str:
    """Digits of a phone number, +84… read as 0…: "0912 345 678" and "+84 912 345 678" are one."""
    digits = re.sub(r"[^0-9]", "", phone or "")
    if digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits


def _text(data: Mapping, name: str, limit: int, errors: dict, label: str, *, required: bool = False) -> str:
    value = " ".join(nfc(str(data.get(name) or "")).split())
    if len(value) > limit:
        errors[name] = f"{label}: dài tối đa {limit} ký tự."
    elif required and not value:
        errors[name] = f"Chưa nhập {label.lower()}."
    return value


def parse_birth_date(value) -> dt.date | None:
    """dd/mm/yyyy (also dd-mm-yyyy, dd.mm.yyyy) or ISO; None when unreadable."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _rule(exam: Exam, value, kinds: Iterable[str], field: str, errors: dict) -> PointRule | None:
    if value in (None, ""):
        return None
    rule = value if isinstance(value, PointRule) else None
    if rule is None:
        pk = as_id(value, strip=True)
        rule = PointRule.objects.filter(pk=pk).first() if pk is not None else None
    if rule is None or rule.exam_id != exam.pk or rule.kind not in tuple(kinds):
        errors[field] = "Diện khai không có trong bảng ưu tiên, khuyến khích của kỳ thi này."
        return None
    return rule


def clean_application(exam: Exam, data: Mapping[str, Any], *, today: dt.date | None = None) -> dict[str, Any]:
    """The application's fields from ``data`` (the form's names), checked; a ``ValidationError``
    keyed by field otherwise. ``choice_1`` … ``choice_n`` are school ids (or ``choices``, a
    list); ``priority_claim`` may name a priority *or* a direct-admission line of the table
    (the model has no separate direct claim), ``bonus_claim`` a bonus line."""
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "full_name": _text(data, "full_name", 150, errors, "Họ và tên", required=True),
        "birthplace": _text(data, "birthplace", 255, errors, "Nơi sinh"),
        "address": _text(data, "address", 255, errors, "Nơi ở hiện nay", required=True),
        "previous_school": _text(data, "previous_school", 255, errors, "Trường đang học"),
        "guardian_name": _text(data, "guardian_name", 150, errors, "Họ tên cha, mẹ hoặc người giám hộ", required=True),
    }
    birth = parse_birth_date(data.get("birth_date"))
    if birth is None:
        errors["birth_date"] = "Ngày sinh phải có dạng dd/mm/yyyy, ví dụ 05/09/2015."
    elif not (dt.date(1950, 1, 1) <= birth <= today):
        errors["birth_date"] = f"Ngày sinh {birth:%d/%m/%Y} không hợp lệ."
    values["birth_date"] = birth
    sex = str(data.get("sex") or "")
    if sex not in SEXES:
        errors["sex"] = "Chọn giới tính Nam hoặc Nữ."
    values["sex"] = sex
    pid = re.sub(r"[\s.]", "", str(data.get("personal_id") or ""))
    if pid and not PID_RE.fullmatch(pid):
        errors["personal_id"] = "Số định danh cá nhân gồm đúng 12 chữ số (để trống nếu chưa có)."
    values["personal_id"] = pid
    ethnicity = nfc(str(data.get("ethnicity") or "")).strip() or "Kinh"
    if ethnicity not in ETHNIC_GROUPS:
        errors["ethnicity"] = "Chọn dân tộc trong danh mục."
    values["ethnicity"] = ethnicity
    phone = phone_key(str(data.get("phone") or ""))
    if not PHONE_RE.fullmatch(phone):
        errors["phone"] = (
            "Số điện thoại di động gồm 10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09 (ví dụ 0912 345 678)."
        )
    values["phone"] = phone
    email = str(data.get("email") or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = "Địa chỉ thư điện tử không hợp lệ."
    values["email"] = email
    values["choices"] = _clean_choices(exam, data, errors)
    values["priority_claim"] = _rule(
        exam, data.get("priority_claim"), (PointRule.Kind.PRIORITY, PointRule.Kind.DIRECT), "priority_claim", errors
    )
    values["bonus_claim"] = _rule(exam, data.get("bonus_claim"), (PointRule.Kind.BONUS,), "bonus_claim", errors)
    if errors:
        raise ValidationError(errors)
    return values


def _clean_choices(exam: Exam, data: Mapping[str, Any], errors: dict) -> list[int]:
    if "choices" in data and not any(f"choice_{i}" in data for i in range(1, 6)):
        raw = list(data.get("choices") or [])
    else:
        raw = [data.get(f"choice_{i}") for i in range(1, exam.choices_allowed + 1)]
    ids: list[int] = []
    gap = False
    for rank, value in enumerate(raw, start=1):
        if value in (None, ""):
            gap = True
            continue
        field = f"choice_{rank}"
        school_id = value.pk if isinstance(value, Unit) else as_id(value, strip=True)
        if school_id is None:
            errors[field] = f"Nguyện vọng {rank}: trường không hợp lệ."
            continue
        if gap:
            errors[field] = f"Nguyện vọng {rank}: hãy điền theo thứ tự, không bỏ trống nguyện vọng trước."
        if school_id in ids:
            errors[field] = f"Nguyện vọng {rank}: trường này đã chọn ở nguyện vọng trước."
        ids.append(school_id)
    if exam.kind not in ADMISSION_KINDS:
        if ids:
            errors["choice_1"] = "Kỳ thi này không xét nguyện vọng."
        return []
    if len(ids) > exam.choices_allowed:
        errors["choice_1"] = f"Kỳ thi cho đăng ký tối đa {exam.choices_allowed} nguyện vọng."
    allowed = set(Quota.objects.filter(exam=exam, school_id__in=ids).values_list("school_id", flat=True))
    for rank, school_id in enumerate(ids, start=1):
        if school_id not in allowed:
            errors.setdefault(f"choice_{rank}", f"Nguyện vọng {rank}: trường không có chỉ tiêu trong kỳ thi này.")
    if not ids and Quota.objects.filter(exam=exam).exists():
        errors["choice_1"] = "Chọn ít nhất nguyện vọng 1."
    return ids


def check_uploads(
    exam: Exam,
    files: Mapping[str, Any],
    *,
    claims: bool,
    have_kinds: Iterable[str] = (),
) -> list[tuple[DocumentSlot, Any, str]]:
    """Check every uploaded file: type by content (PDF, JPEG, PNG), each ≤ 5 MB, all ≤ 15 MB;
    the documents the exam requires must be there (or already kept, ``have_kinds``).
    Returns (slot, upload, content type); a ``ValidationError`` naming the file field otherwise."""
    errors: dict[str, str] = {}
    checked: list[tuple[DocumentSlot, Any, str]] = []
    have = set(have_kinds)
    total = 0
    for slot in document_slots(exam):
        upload = files.get(slot.field)
        if not upload:
            if slot.required == "always" and slot.kind not in have:
                errors[slot.field] = f"{slot.label}: chưa chọn tệp (bắt buộc)."
            elif slot.required == "claim" and claims and slot.kind not in have:
                errors[slot.field] = f"{slot.label}: bắt buộc khi khai diện ưu tiên, khuyến khích hoặc tuyển thẳng."
            continue
        try:
            content_type = validate_upload(upload, allowed=ALLOWED_TYPES, max_bytes=MAX_FILE_BYTES)
        except ValidationError as error:
            errors[slot.field] = f"{slot.label}: {' '.join(error.messages)}"
            continue
        total += getattr(upload, "size", 0) or 0
        checked.append((slot, upload, content_type))
    unknown = sorted(set(files) - {s.field for s in document_slots(exam)})
    for name in unknown:
        if name.startswith("doc_"):
            errors[name] = "Kỳ thi này không nhận loại giấy tờ này."
    if total > MAX_TOTAL_BYTES and not errors:
        errors["__all__"] = (
            f"Tổng dung lượng các tệp là {megabytes(total)}, vượt quá giới hạn {megabytes(MAX_TOTAL_BYTES)} "
            "cho một hồ sơ."
        )
    if errors:
        raise ValidationError(errors)
    return checked


# --- writing ---------------------------------------------------------------------------------------------------


@contextmanager
def _public(ip: str | None):
    """History rows of the applicant's own writes: nobody's, with the client IP; never reads the
    session (the public views are sessionless)."""
    with acting_as(SimpleNamespace(user=None, membership=None), ip=ip):
        yield


def _store(application: Application, checked, written: list[StoredFile]) -> list[ApplicationDocument]:
    documents = []
    for slot, upload, content_type in checked:
        stored = StoredFile.store(
            unit=application.exam.unit,
            uploaded_by=None,
            content=upload,
            name=getattr(upload, "name", "") or f"{slot.kind}.pdf",
            purpose=PURPOSE,
            content_type=content_type,
            private=True,
            max_bytes=MAX_FILE_BYTES,
        )
        written.append(stored)
        documents.append(ApplicationDocument.objects.create(application=application, kind=slot.kind, file=stored))
    return documents


def _remove_files(written: list[StoredFile]) -> None:
    """The transaction was rolled back: files already written to storage must go too."""
    for stored in written:
        with contextlib.suppress(OSError):  # best effort
            stored.file.storage.delete(stored.file.name)


def _same_person(application: Application, values: Mapping[str, Any]) -> bool:
    """The public refusal's test: personal id AND name (``search_key``) AND date of birth."""
    return (
        bool(values["personal_id"])
        and application.personal_id == values["personal_id"]
        and application.birth_date == values["birth_date"]
        and search_key(application.full_name) == search_key(values["full_name"])
    )


def _duplicate(exam: Exam, values: Mapping[str, Any], *, exclude: int | None = None) -> Application | None:
    """A live application of ``exam`` by the same person, surely (None if none): the same
    personal id, name and date of birth. Only this is refused in public, and with a message that
    names neither the field nor the earlier reference: a personal id alone would tell anyone
    whether someone applied, and a stranger's fake application would block the real one. A
    partial match (the personal id only, or name and date of birth) is accepted and shown to the
    staff instead (``possible_duplicates``)."""
    if not values["personal_id"]:
        return None
    live = Application.objects.filter(exam=exam, status__in=LIVE_STATUSES, personal_id=values["personal_id"])
    if exclude is not None:
        live = live.exclude(pk=exclude)
    return next((a for a in live.filter(birth_date=values["birth_date"]) if _same_person(a, values)), None)


#: why the staff should look at two applications together (``possible_duplicates``)
SAME_PID = "cùng số định danh cá nhân"
SAME_NAME_DOB = "cùng họ tên và ngày sinh"


def _match_reason(application, other) -> str | None:
    if application.personal_id and application.personal_id == other.personal_id:
        return SAME_PID
    if application.birth_date == other.birth_date and search_key(application.full_name) == search_key(other.full_name):
        return SAME_NAME_DOB
    return None


def duplicates_of(applications: Iterable[Application], among) -> dict[int, list[tuple[Application, str]]]:
    """For each of ``applications`` (a page of the staff list, or one), the other live
    applications of ``among`` (a queryset through the door: what the staff member sees) that may
    be the same person — the same personal id, or the same name and date of birth — with the
    reason in Vietnamese. One query for the whole page."""
    applications = [a for a in applications if a.pk is not None]
    if not applications:
        return {}
    pids = {a.personal_id for a in applications if a.personal_id}
    births = {a.birth_date for a in applications}
    exams = {a.exam_id for a in applications}
    near = Q(birth_date__in=births) | (Q(personal_id__in=pids) if pids else Q(pk__in=[]))
    others = list(
        among.filter(near, exam_id__in=exams, status__in=LIVE_STATUSES)
        .only("pk", "exam_id", "reference", "full_name", "birth_date", "personal_id", "status", "submitted_at")
        .order_by("submitted_at", "pk")
    )
    found: dict[int, list[tuple[Application, str]]] = {}
    for application in applications:
        rows = []
        for other in others:
            if other.pk == application.pk or other.exam_id != application.exam_id:
                continue
            why = _match_reason(application, other)
            if why:
                rows.append((other, why))
        if rows:
            found[application.pk] = rows
    return found


def possible_duplicates(application: Application, among) -> list[tuple[Application, str]]:
    """The other live applications of the exam (in ``among``, through the door) that may be the
    same person, each with why ("cùng số định danh cá nhân", "cùng họ tên và ngày sinh"): a
    note for the staff, who decide; the public form refuses only a sure match."""
    return duplicates_of([application], among).get(application.pk, [])


def _flag(application: Application, reason: str) -> str:
    """The history's reason for a public write, naming the applications it may duplicate (the
    staff see it on the application's page)."""
    near = Q(birth_date=application.birth_date)
    if application.personal_id:
        near |= Q(personal_id=application.personal_id)
    others = (
        Application.objects.filter(near, exam_id=application.exam_id, status__in=LIVE_STATUSES)
        .exclude(pk=application.pk)
        .only("pk", "reference", "full_name", "birth_date", "personal_id")
        .order_by("submitted_at", "pk")
    )
    refs = [other.reference for other in others if _match_reason(application, other)]
    if not refs:
        return reason
    return f"{reason} – có thể trùng hồ sơ {', '.join(refs)}"[:100]


def submit(
    exam: Exam,
    data: Mapping[str, Any],
    files: Mapping[str, Any] | None = None,
    *,
    submit_key: str = "",
    ip: str | None = None,
    now=None,
) -> tuple[Application, bool]:
    """The applicant submits (public, no account). Returns (application, created): the same
    ``submit_key`` sent again (a double click, a reload) gives the first application back.

    Refused when the window is not open at the server's clock at submit time, when a field or a
    file is wrong, or when the same person (personal id, name and date of birth) already has a
    live application in the exam; a partial match is accepted and flagged for the staff
    (``possible_duplicates``, and the history's reason names the other references)."""
    files = files or {}
    submit_key = str(submit_key or "")[:64]
    replay = bool(submit_key) and Application.objects.filter(exam=exam, submit_key=submit_key).exists()
    if not replay and not exam.window_open(now or timezone.now()):
        raise ValidationError(MSG_CLOSED, code="closed")
    values = clean_application(exam, data)
    claims = bool(values["priority_claim"] or values["bonus_claim"])
    checked = check_uploads(exam, files, claims=claims)
    written: list[StoredFile] = []
    try:
        with transaction.atomic(), _public(ip):
            exam = Exam.objects.select_for_update().select_related("unit").get(pk=exam.pk)
            if submit_key:
                earlier = Application.objects.filter(exam=exam, submit_key=submit_key).first()
                if earlier is not None:
                    same = search_key(earlier.full_name) == search_key(values["full_name"]) and (
                        earlier.birth_date == values["birth_date"]
                    )
                    if same:
                        return earlier, False
                    raise ValidationError(MSG_STALE, code="stale")
            if not exam.window_open(now or timezone.now()):
                raise ValidationError(MSG_CLOSED, code="closed")
            if _duplicate(exam, values) is not None:
                raise ValidationError(MSG_DUPLICATE, code="duplicate")
            application = Application(exam=exam, submit_key=submit_key, status=ApplicationStatus.SUBMITTED, **values)
            application.submitted_at = now or timezone.now()
            application._history_user = None
            application._change_reason = _flag(application, "Nộp hồ sơ trực tuyến")
            application.save()
            _store(application, checked, written)
    except BaseException:
        _remove_files(written)
        raise
    return application, True


def resubmit(
    application: Application,
    data: Mapping[str, Any],
    files: Mapping[str, Any] | None = None,
    *,
    ip: str | None = None,
) -> Application:
    """The applicant corrects an application the staff sent back (NEEDS_CHANGES → SUBMITTED):
    the same checks as ``submit``; a new file adds a document (earlier ones are kept); the
    change is kept in the application's history. Allowed after the window closed: the
    application itself was submitted in time and the staff asked for the correction."""
    files = files or {}
    exam = application.exam
    values = clean_application(exam, data)
    claims = bool(values["priority_claim"] or values["bonus_claim"])
    written: list[StoredFile] = []
    try:
        with transaction.atomic(), _public(ip):
            application = Application.objects.select_for_update().select_related("exam__unit").get(pk=application.pk)
            if application.status != ApplicationStatus.NEEDS_CHANGES:
                raise ValidationError(
                    f"Hồ sơ đang ở trạng thái “{application.get_status_display()}”, không cần bổ sung.", code="status"
                )
            have = set(application.documents.values_list("kind", flat=True))
            checked = check_uploads(exam, files, claims=claims, have_kinds=have)
            if _duplicate(exam, values, exclude=application.pk) is not None:
                raise ValidationError(MSG_DUPLICATE, code="duplicate")
            for name, value in values.items():
                setattr(application, name, value)
            application.status = ApplicationStatus.SUBMITTED
            application._history_user = None
            application._change_reason = _flag(application, "Người nộp bổ sung hồ sơ")
            application.save()
            _store(application, checked, written)
    except BaseException:
        _remove_files(written)
        raise
    return application


# --- the applicant's own view -----------------------------------------------------------------------------------


def find(reference: str, birth_date) -> Application | None:
    """The application with this reference and date of birth; None when either is wrong."""
    birth = parse_birth_date(birth_date)
    reference = (reference or "").strip().upper()
    if not reference or birth is None:
        return None
    return (
        Application.objects.select_related("exam__unit", "candidate__admitted_to", "priority_claim", "bonus_claim")
        .filter(reference=reference, birth_date=birth)
        .first()
    )


def edit_token(application: Application) -> str:
    """A short-lived signed (reference, date of birth) pair: the status page hands it to the
    correction form instead of keeping a session."""
    return signing.dumps(
        {"r": application.reference, "d": application.birth_date.isoformat()}, salt=EDIT_TOKEN_SALT, compress=True
    )


def from_edit_token(token: str, *, max_age: int = EDIT_TOKEN_MAX_AGE) -> Application | None:
    """The application a token names, if the token is genuine, fresh and still matches."""
    try:
        payload = signing.loads(str(token or ""), salt=EDIT_TOKEN_SALT, max_age=max_age)
    except signing.BadSignature:  # SignatureExpired is one too
        return None
    if not isinstance(payload, dict):
        return None
    return find(str(payload.get("r", "")), str(payload.get("d", "")))


def result_of(application: Application, now=None) -> dict[str, Any] | None:
    """Once the exam is published: the candidate number, the score per subject and the
    admission outcome of the candidate the application became; None before (or when the
    application never became a candidate)."""
    exam = application.exam
    candidate = application.candidate
    if candidate is None or not exam.is_published(now):
        return None
    scores = [
        {
            "subject": s.exam_subject.name,
            "score": s.score,
            "absent": s.absent,
        }
        for s in CandidateScore.objects.filter(candidate=candidate)
        .select_related("exam_subject")
        .order_by("exam_subject__order", "pk")
    ]
    return {
        "number": candidate.number,
        "scores": scores,
        "admission_score": candidate.admission_score,
        "admission_status": candidate.admission_status,
        "admission_status_display": candidate.get_admission_status_display() if candidate.admission_status else "",
        "admitted_to": candidate.admitted_to.name if candidate.admitted_to_id else "",
        "admitted_choice": candidate.admitted_choice,
    }


def choice_names(application: Application) -> list[tuple[int, str]]:
    """(rank, school name) of the application's choices."""
    ids = [int(i) for i in application.choices or [] if is_digits(str(i))]
    names = dict(Unit.objects.filter(pk__in=ids).values_list("pk", "name"))
    return [(rank, names.get(i, f"mã {i}")) for rank, i in enumerate(ids, start=1)]


# --- the staff's review -------------------------------------------------------------------------------------------


def may_review(actor, application: Application) -> bool:
    return can(actor, "change", application)


def _locked(actor, application: Application) -> Application:
    application = (
        Application.objects.select_for_update(of=("self",)).select_related("exam__unit").get(pk=application.pk)
    )
    if not may_review(actor, application):
        raise PermissionDenied(MSG_NOT_REVIEWER)
    return application


def _note(note: str, what: str) -> str:
    note = nfc(" ".join(str(note or "").split()))
    if not note:
        raise ValidationError({"note": f"Hãy ghi {what} (ô “Ghi chú gửi người nộp”)."})
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": f"Ghi chú dài tối đa {NOTE_MAX} ký tự."})
    return note


def _decide(actor, application: Application, status: str, note: str, reason: str) -> Application:
    application.status = status
    application.staff_note = note
    application.reviewed_by = actor.user
    application.reviewed_at = timezone.now()
    application._change_reason = reason
    application.save()
    return application


def needs_changes(actor, application: Application, note: str) -> Application:
    """Send the application back to the applicant with what to add or fix (SUBMITTED → NEEDS_CHANGES)."""
    note = _note(note, "cần bổ sung, sửa những gì")
    with transaction.atomic(), acting_here(actor):
        application = _locked(actor, application)
        if application.status != ApplicationStatus.SUBMITTED:
            raise ValidationError(
                f"Chỉ yêu cầu bổ sung được hồ sơ đang chờ xét; hồ sơ này “{application.get_status_display()}”."
            )
        return _decide(actor, application, ApplicationStatus.NEEDS_CHANGES, note, "Yêu cầu bổ sung")


def reject(actor, application: Application, note: str) -> Application:
    """Refuse the application, saying why (SUBMITTED or NEEDS_CHANGES → REJECTED)."""
    note = _note(note, "lý do không chấp nhận")
    with transaction.atomic(), acting_here(actor):
        application = _locked(actor, application)
        if application.status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.NEEDS_CHANGES):
            raise ValidationError(f"Không thể từ chối: hồ sơ đang ở trạng thái “{application.get_status_display()}”.")
        return _decide(actor, application, ApplicationStatus.REJECTED, note, "Không chấp nhận hồ sơ")


def accept(actor, application: Application, note: str = "") -> Candidate:
    """Accept the application (SUBMITTED or NEEDS_CHANGES → ACCEPTED) and make its ``Candidate``
    in the same transaction: source "online", the identity copied, the previous school as a
    school outside the system, priority / bonus / direct admission from the claims, one
    ``Choice`` per chosen school in rank order. Accepting again gives the same candidate."""
    note = nfc(" ".join(str(note or "").split()))[:NOTE_MAX]
    with transaction.atomic(), acting_here(actor):
        application = _locked(actor, application)
        if application.status == ApplicationStatus.ACCEPTED and application.candidate_id:
            return application.candidate
        if application.status == ApplicationStatus.REJECTED:
            raise ValidationError("Hồ sơ đã bị từ chối, không thể chấp nhận.")
        exam = Exam.objects.select_for_update().get(pk=application.exam_id)
        pid = application.personal_id
        if pid and Candidate.objects.filter(exam=exam, personal_id=pid).exists():
            raise ValidationError(
                {"personal_id": "Số định danh cá nhân này đã có trong danh sách thí sinh của kỳ thi."}
            )
        claims = [r for r in (application.priority_claim, application.bonus_claim) if r is not None]
        candidate = Candidate(
            exam=exam,
            source=CandidateSource.ONLINE,
            full_name=application.full_name,
            birth_date=application.birth_date,
            sex=application.sex,
            personal_id=application.personal_id,
            ethnicity=application.ethnicity,
            birthplace=application.birthplace,
            school=None,
            school_name=application.previous_school,
            priority=next((r for r in claims if r.kind == PointRule.Kind.PRIORITY), None),
            bonus=next((r for r in claims if r.kind == PointRule.Kind.BONUS), None),
            direct=next((r for r in claims if r.kind == PointRule.Kind.DIRECT), None),
        )
        candidate._change_reason = f"Chấp nhận hồ sơ trực tuyến {application.reference}"
        candidate.save()
        ids = [int(i) for i in application.choices or []]
        if ids:
            if exam.kind not in ADMISSION_KINDS or len(ids) > exam.choices_allowed or len(set(ids)) != len(ids):
                raise ValidationError({"choices": "Nguyện vọng của hồ sơ không còn hợp lệ với cấu hình kỳ thi."})
            with_quota = set(Quota.objects.filter(exam=exam, school_id__in=ids).values_list("school_id", flat=True))
            missing = [i for i in ids if i not in with_quota]
            if missing:
                names = ", ".join(Unit.objects.filter(pk__in=missing).values_list("name", flat=True)) or str(missing)
                raise ValidationError({"choices": f"{names}: không còn chỉ tiêu trong kỳ thi; hãy yêu cầu bổ sung."})
            for rank, school_id in enumerate(ids, start=1):
                Choice.objects.create(candidate=candidate, rank=rank, school_id=school_id)
        application.candidate = candidate
        _decide(actor, application, ApplicationStatus.ACCEPTED, note, "Chấp nhận hồ sơ")
    return candidate


def counts_by_status(queryset) -> dict[str, int]:
    """How many applications of ``queryset`` are in each status (one query)."""
    from django.db.models import Count

    found = dict(queryset.order_by().values_list("status").annotate(n=Count("pk")))
    return {value: found.get(value, 0) for value in ApplicationStatus.values}


def search(queryset, text: str):
    """Applications whose reference or name matches ``text`` (diacritics and case ignored)."""
    text = nfc(text or "").strip()
    if not text:
        return queryset
    key = search_key(text)
    ids = [pk for pk, name in queryset.values_list("pk", "full_name") if key and key in search_key(name)]
    return queryset.filter(Q(reference__icontains=text.replace(" ", "")) | Q(pk__in=ids))
