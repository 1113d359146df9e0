"""Issuers and the original register (sổ gốc cấp văn bằng): numbering, issuing, corrections, copies, revocations.

DOMAIN (/work/shared/domain/exams-diplomas.md, "Diplomas and certificates", TT21/2019):

- "Original register (sổ gốc cấp văn bằng): holder's full identity, the diploma's serial number (số hiệu) and its
  entry number (số vào sổ gốc). Entry numbers run consecutively within a calendar year, per diploma type; each
  number on exactly one diploma. Issue within 75 days of the graduation decision."
- "Corrections (with the dossier), copies issued from the original register (bản sao từ sổ gốc) to the holder, an
  authorised person or relatives, and revocation … — every change kept, revocations published."

The regulation itself is ``exams.rules`` (``entry_label``, ``normalise_serial``, ``serial_sequence``,
``issue_deadline``, ``issue_date_problem``, ``copy_request_problem``, ``REVOCATION_REASONS``,
``CORRECTION_GROUNDS``, ``CORRECTABLE_FIELDS``); this module reads the rows, calls the rules and writes.

Numbering. ``allocate_numbers`` takes the ``RegisterCounter`` row of (issuer, book, kind, calendar year) with
``select_for_update`` inside the caller's transaction, so two clerks issuing at the same moment wait for each other
and never get the same number; a number is given only when the issue commits (a failed issue rolls its numbers
back with its transaction, nothing else ever releases one). The counter never goes below the largest number the
book already holds, so a register imported without ``bump_counter`` still cannot clash.

Who. Issuers (cơ quan cấp văn bằng) are data, written by the admins of the keeping unit's subtree (the door's
writers of ``Issuer``). Everything else is done by who keeps the issuer's register
(``selectors.may_keep_register``: a registrar role — admins, Sở/Phòng staff — acting in the keeping unit or above
it). A school or a centre keeps at most the register of its own certificates of completion: THCS and THPT
registers are kept by a Phòng or the Sở, so a school's leaders never recognise and issue their own graduates'
diplomas. Refusals are ``PermissionDenied`` (wrong person) or ``ValidationError`` (Vietnamese, naming the field).
Everything is saved with history inside ``acting_here(actor)``; nothing issued is ever deleted.

The portal. Every issued diploma is public (``exams.services.portal_diplomas``): each change the portal shows — an
issue, a correction, a revocation, an issuer's new name or place — rewrites the diploma's items of the portal's
store in the same transaction (``portal_diplomas.publish``), so the public lookup never shows a state the register
has not committed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from sms.accounts.roles import UnitKind
from sms.accounts.scoping import units_for, visible_to
from sms.audit.history import acting_here, bulk_create_with_history
from sms.files.models import StoredFile
from sms.files.validators import validate_upload
from sms.org.models import AdministrativeArea, Unit
from sms.text import nfc, search_key, sort_key

from .. import rules
from ..models import (
    Diploma,
    DiplomaCopy,
    DiplomaCorrection,
    DiplomaKind,
    DiplomaRevocation,
    DiplomaStatus,
    DossierFile,
    GraduationEntry,
    GraduationLevel,
    GraduationRound,
    Issuer,
    RegisterBook,
    RegisterCounter,
    RoundStatus,
)
from ..selectors import may_keep_register
from . import portal_diplomas

#: simple-history keeps change reasons in 100 characters
REASON_MAX = 100
#: how many names or serials a refusal lists before summing up the rest
NAMED = 5
#: the dossier of a correction: scans and documents
DOSSIER_TYPES = ("pdf", "png", "jpg", "jpeg", "docx")
#: the level of the graduation round whose recognised graduates receive each diploma
KIND_LEVEL = {DiplomaKind.THCS: GraduationLevel.THCS, DiplomaKind.THPT: GraduationLevel.THPT}
#: retries of the counter's creation when two transactions create it at the same moment
COUNTER_RETRIES = 3

MSG_NOT_KEEPER = "Chỉ cán bộ quản lý sổ gốc của cơ quan cấp văn bằng này mới được thực hiện thao tác này."
MSG_NOT_ISSUER_ADMIN = "Chỉ quản trị của đơn vị giữ sổ gốc mới được thêm, sửa cơ quan cấp văn bằng."
MSG_INACTIVE = "Cơ quan cấp văn bằng này đã ngừng cấp; hãy bật lại “đang cấp” trước khi cấp văn bằng."
MSG_REVOKED = "Văn bằng đã bị thu hồi"
MSG_SCHOOL_KINDS = (
    "{unit} là đơn vị cấp trường: chỉ giữ sổ gốc cấp giấy chứng nhận hoàn thành chương trình giáo dục phổ thông. "
    "Không cấp {kinds} — sổ gốc các loại bằng tốt nghiệp do Phòng hoặc Sở giữ."
)

#: units that keep at most the register of their own certificates of completion
SCHOOL_LEVEL_UNITS = (UnitKind.SCHOOL, UnitKind.CENTRE)

SEX_CHOICES = {"M": "Nam", "F": "Nữ"}


def _reason(text: str) -> str:
    return text if len(text) <= REASON_MAX else text[: REASON_MAX - 1] + "…"


def _named(items: Sequence[str]) -> str:
    shown = ", ".join(items[:NAMED])
    return shown if len(items) <= NAMED else f"{shown} và {len(items) - NAMED} người khác"


def _date(value: Any, field: str, label: str, *, required: bool = True) -> dt.date | None:
    if value in (None, ""):
        if required:
            raise ValidationError({field: f"Chưa nhập {label}."})
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValidationError({field: f"{label.capitalize()} “{text}” không hợp lệ (dd/mm/yyyy)."})


def _text(value: Any, field: str, label: str, *, max_length: int, required: bool = True) -> str:
    text = nfc(str(value or "")).strip()
    if required and not text:
        raise ValidationError({field: f"Chưa nhập {label}."})
    if len(text) > max_length:
        raise ValidationError({field: f"{label.capitalize()} dài quá {max_length} ký tự."})
    return text


def _not_future(value: dt.date, field: str, label: str) -> None:
    if value > timezone.localdate():
        raise ValidationError({field: f"{label.capitalize()} không được sau ngày hôm nay."})


# --- who --------------------------------------------------------------------------------------------------------------


def require_keeper(actor, issuer: Issuer) -> None:
    """``PermissionDenied`` unless the actor keeps ``issuer``'s register."""
    if not may_keep_register(actor, issuer):
        raise PermissionDenied(MSG_NOT_KEEPER)


def kept_issuers(actor) -> QuerySet:
    """The issuers whose register the actor keeps (through the door, then ``may_keep_register``)."""
    issuers = visible_to(actor, Issuer).select_related("unit")
    return issuers.filter(pk__in=[i.pk for i in issuers if may_keep_register(actor, i)])


# --- issuers ----------------------------------------------------------------------------------------------------------

ISSUER_FIELDS = ("name", "signer_title", "signer_name", "place_name", "kinds", "covers", "area", "is_active")


def _issuer_values(actor, issuer: Issuer, values: Mapping[str, Any]) -> dict:
    clean: dict[str, Any] = {}
    if "name" in values or issuer.pk is None:
        clean["name"] = _text(values.get("name"), "name", "tên cơ quan cấp văn bằng", max_length=255)
    if "signer_title" in values or issuer.pk is None:
        clean["signer_title"] = _text(values.get("signer_title"), "signer_title", "chức danh người ký", max_length=120)
    if "signer_name" in values or issuer.pk is None:
        clean["signer_name"] = _text(values.get("signer_name"), "signer_name", "họ tên người ký", max_length=150)
    if "place_name" in values:
        clean["place_name"] = _text(values.get("place_name"), "place_name", "địa danh", max_length=120, required=False)
    if "kinds" in values or issuer.pk is None:
        kinds = list(dict.fromkeys(values.get("kinds") or []))
        unknown = [k for k in kinds if k not in DiplomaKind.values]
        if unknown:
            raise ValidationError({"kinds": f"Loại văn bằng không hợp lệ: {', '.join(map(str, unknown))}."})
        if not kinds:
            raise ValidationError({"kinds": "Chọn ít nhất một loại văn bằng cơ quan này cấp."})
        clean["kinds"] = [k for k in DiplomaKind.values if k in kinds]
    if "covers" in values:
        wanted = [getattr(u, "pk", u) for u in values.get("covers") or []]
        allowed = units_for(actor, Issuer, "add")
        covers = list(allowed.filter(pk__in=wanted))
        if len(covers) != len(set(wanted)):
            raise ValidationError({"covers": "Chỉ chọn được các đơn vị thuộc phạm vi quản lý của bạn."})
        clean["covers"] = covers
    if "area" in values:
        area = values.get("area")
        if area not in (None, ""):
            area_id = getattr(area, "pk", area)
            area = visible_to(actor, AdministrativeArea).filter(pk=area_id).first()
            if area is None:
                raise ValidationError({"area": "Không tìm thấy địa bàn đã chọn."})
        clean["area"] = area or None
    if "is_active" in values:
        clean["is_active"] = bool(values.get("is_active"))
    return clean


def _check_kinds_for_unit(issuer: Issuer) -> None:
    """A school or a centre keeps only the register of its own certificates of completion (the principal issues
    them); THCS and THPT diplomas are issued by authorities above the school (the commune chair or the Phòng's head,
    the Sở's director) and kept by a Phòng or the Sở — otherwise a school's leaders would recognise and issue their
    own graduates' diplomas."""
    if issuer.unit.kind in SCHOOL_LEVEL_UNITS:
        above = [DiplomaKind(k).label.lower() for k in issuer.kinds or [] if k != DiplomaKind.COMPLETION]
        if above:
            raise ValidationError({"kinds": MSG_SCHOOL_KINDS.format(unit=issuer.unit.name, kinds=", ".join(above))})


def _covers_text(units: Sequence[Unit]) -> str:
    return ", ".join(u.name for u in units) if units else "đơn vị giữ sổ và các đơn vị trực thuộc"


def _save_issuer(actor, issuer: Issuer, values: Mapping[str, Any], reason: str) -> Issuer:
    clean = _issuer_values(actor, issuer, values)
    covers = clean.pop("covers", None)
    for name, value in clean.items():
        setattr(issuer, name, value)
    if "kinds" in clean:
        _check_kinds_for_unit(issuer)
    name = nfc(issuer.name).strip()
    if Issuer.objects.filter(unit_id=issuer.unit_id, name=name).exclude(pk=issuer.pk).exists():
        raise ValidationError({"name": f"Đơn vị này đã có cơ quan cấp văn bằng tên “{name}”."})
    if covers is not None:
        # the covers are a many-to-many relation the issuer's history does not follow: the row saved with the
        # change names the units before and after, so the history says who changed whose graduates and when
        before = list(issuer.covers.order_by("path")) if issuer.pk else []
        after = sorted(covers, key=lambda u: u.path)
        if {u.pk for u in before} != {u.pk for u in after}:
            change = f"phạm vi cấp {_covers_text(before)} → {_covers_text(after)}"
            if issuer.pk is None:
                change = f"phạm vi cấp {_covers_text(after)}"
            reason = _reason(f"{reason}: {change}")
    issuer._change_reason = reason
    issuer.save()
    if covers is not None:
        issuer.covers.set(covers)
    return issuer


def create_issuer(actor, *, unit, **values) -> Issuer:
    """A new issuer kept by ``unit`` (a ``Unit`` or its id), which must be where the actor may write issuers (an
    admin of that unit or a unit above it). ``values``: name, signer_title, signer_name, place_name, kinds (codes
    of ``DiplomaKind``; a school or a centre keeps only certificates of completion), covers (units of the actor's
    subtree; empty: the keeping unit's subtree; a change of covers is named in the history row's reason), area,
    is_active."""
    unknown = set(values) - set(ISSUER_FIELDS)
    if unknown:
        raise TypeError(f"unknown issuer fields: {sorted(unknown)}")
    with transaction.atomic(), acting_here(actor):
        allowed = units_for(actor, Issuer, "add")
        if not allowed.exists():
            raise PermissionDenied(MSG_NOT_ISSUER_ADMIN)
        keeping = allowed.filter(pk=getattr(unit, "pk", unit)).first() if unit not in (None, "") else None
        if keeping is None:
            raise ValidationError({"unit": "Chỉ chọn được đơn vị giữ sổ gốc thuộc phạm vi quản lý của bạn."})
        issuer = Issuer(unit=keeping)
        return _save_issuer(actor, issuer, values, "Thêm cơ quan cấp văn bằng")


def update_issuer(actor, issuer: Issuer, **values) -> Issuer:
    """Change an issuer (not its keeping unit: its register stays where it is). Signer changes do not touch the
    diplomas already issued: each carries its own snapshot of the signer."""
    unknown = set(values) - set(ISSUER_FIELDS)
    if unknown:
        raise TypeError(f"unknown issuer fields: {sorted(unknown)}")
    with transaction.atomic(), acting_here(actor):
        locked = visible_to(actor, Issuer, "change").select_for_update(of=("self",)).filter(pk=issuer.pk).first()
        if locked is None:
            raise PermissionDenied(MSG_NOT_ISSUER_ADMIN)
        printed = (locked.name, locked.place_name)
        saved = _save_issuer(actor, locked, values, "Sửa cơ quan cấp văn bằng")
        if (saved.name, saved.place_name) != printed:
            portal_diplomas.publish_issuer(saved)  # the issuer's name and place are shown with each diploma
        return saved


# --- the counter ------------------------------------------------------------------------------------------------------


def _book_max(issuer_id: int, kind: str, year: int, book: str) -> int:
    if book == RegisterBook.COPY:
        found = DiplomaCopy.objects.filter(issuer_id=issuer_id, kind=kind, year=year).aggregate(n=Max("number"))
    else:
        found = Diploma.objects.filter(issuer_id=issuer_id, kind=kind, year=year).aggregate(n=Max("entry_number"))
    return found["n"] or 0


def _locked_counter(issuer, kind: str, year: int, book: str) -> RegisterCounter:
    """The counter row, created if missing, locked for the rest of the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("register numbers are allocated inside the issuing transaction")
    if kind not in DiplomaKind.values:
        raise ValueError(f"unknown diploma kind {kind!r}")
    if book not in RegisterBook.values:
        raise ValueError(f"unknown register book {book!r}")
    if not isinstance(year, int) or isinstance(year, bool) or not 1900 <= year <= 9999:
        raise ValueError(f"bad calendar year {year!r}")
    issuer_id = getattr(issuer, "pk", issuer)
    key = dict(issuer_id=issuer_id, book=book, kind=kind, year=year)
    for attempt in range(COUNTER_RETRIES):
        try:
            # A savepoint: when another transaction creates the same row at the same moment, our insert waits for
            # it, fails on the unique constraint, and only the savepoint is rolled back; then we lock theirs.
            with transaction.atomic():
                RegisterCounter.objects.get_or_create(**key)
            break
        except IntegrityError:
            if attempt == COUNTER_RETRIES - 1:
                raise
    counter = RegisterCounter.objects.select_for_update().get(**key)
    floor = _book_max(issuer_id, kind, year, book)
    if floor > counter.last_number:
        counter.last_number = floor
    return counter


def allocate_numbers(issuer, kind: str, year: int, count: int, *, book: str = RegisterBook.ORIGINAL) -> list[int]:
    """``count`` consecutive entry numbers of ``issuer``'s ``book`` for diplomas of ``kind`` issued in calendar year
    ``year``, after the last one given. Call inside the issuing transaction: the counter row stays locked until it
    commits (another clerk's issue waits), and the numbers are given back only if it rolls back."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be a positive integer, not {count!r}")
    counter = _locked_counter(issuer, kind, year, book)
    first = counter.last_number + 1
    counter.last_number += count
    counter.save(update_fields=["last_number"])
    return list(range(first, first + count))


def bump_counter(issuer, kind: str, year: int, number: int, *, book: str = RegisterBook.ORIGINAL) -> RegisterCounter:
    """Raise the counter of (issuer, book, kind, year) to at least ``number`` (a past register imported with its own
    numbers: new issues continue after the largest). Never lowers it. Inside the caller's transaction."""
    if isinstance(number, bool) or not isinstance(number, int) or number < 0:
        raise ValueError(f"number must be a non-negative integer, not {number!r}")
    counter = _locked_counter(issuer, kind, year, book)
    counter.last_number = max(counter.last_number, number)
    counter.save(update_fields=["last_number"])
    return counter


# --- awaiting issue ---------------------------------------------------------------------------------------------------


@dataclass
class Awaiting:
    """One graduate waiting for ``kind`` from the issuer: the entry, the decision it rests on and the deadline."""

    entry: GraduationEntry
    kind: str
    deadline: dt.date | None
    overdue: bool

    @property
    def round(self) -> GraduationRound:
        return self.entry.round

    @property
    def school_label(self) -> str:
        return self.entry.school.name if self.entry.school_id else self.entry.school_name


def _completion_schools(issuer: Issuer, school_ids: Iterable[int]) -> list[int]:
    """Of ``school_ids``, the schools whose completion certificates ``issuer`` issues: the same rule as
    ``selectors.issuer_for(school, COMPLETION)`` (the active issuer listing the kind whose coverage is the deepest
    ancestor-or-self of the school), for many schools in three queries."""
    schools = list(Unit.objects.filter(pk__in=set(school_ids)).only("pk", "path"))
    if not schools:
        return []
    issuers = [
        i
        for i in Issuer.objects.filter(is_active=True).select_related("unit").prefetch_related("covers")
        if DiplomaKind.COMPLETION in (i.kinds or [])
    ]
    coverage = [(i.pk, [u.path for u in i.covers.all()] or [i.unit.path]) for i in issuers]
    chosen = []
    for school in schools:
        best, depth = None, -1
        for issuer_id, paths in coverage:
            for path in paths:
                if school.path.startswith(path) and len(path) > depth:
                    best, depth = issuer_id, len(path)
        if best == issuer.pk:
            chosen.append(school.pk)
    return chosen


def awaiting_queryset(actor, issuer: Issuer, kind: str) -> QuerySet:
    """Entries the door shows the actor that wait for ``kind`` from ``issuer``: recognised graduates of DECIDED
    rounds this issuer recognises (THCS, THPT), or — for the completion certificate — the learners not recognised
    in a decided THPT round whose school gets its certificate from this issuer; minus those who already hold one."""
    entries = visible_to(actor, GraduationEntry).filter(round__status=RoundStatus.DECIDED)
    if kind not in (issuer.kinds or []):
        return entries.none()
    if kind in KIND_LEVEL:
        entries = entries.filter(round__issuer=issuer, round__level=KIND_LEVEL[kind], recognised=True, excluded=False)
    elif kind == DiplomaKind.COMPLETION:
        failed = entries.filter(round__level=GraduationLevel.THPT, school__isnull=False).filter(
            Q(recognised=False) | Q(excluded=True)
        )
        schools = _completion_schools(issuer, failed.values_list("school_id", flat=True).distinct().order_by())
        entries = failed.filter(school_id__in=schools).exclude(_finished_school())
    else:
        return entries.none()
    return entries.exclude(pk__in=Diploma.objects.filter(kind=kind, entry__isnull=False).values("entry_id"))


#: a learner who holds one of these does not get a certificate of completion (again)
FINISHING_KINDS = (DiplomaKind.COMPLETION, DiplomaKind.THPT)


def _same_learner(model) -> Q:
    """Rows of ``model`` (``Diploma`` or ``GraduationEntry``) of the learner of the outer entry: the same student, or —
    a free candidate, a diploma issued by hand or imported — the same personal id and birth date."""
    by_student = Q(student__isnull=False, student_id=OuterRef("student_id"))
    by_identity = Q(personal_id=OuterRef("personal_id"), birth_date=OuterRef("birth_date")) & ~Q(personal_id="")
    return by_student | by_identity


def _finished_school() -> Q:
    """Entries of learners who already finished school otherwise: they hold a certificate of completion or a THPT
    diploma, or a decided THPT round recognised them since (their diploma is on its way). Not the register's door:
    whether a learner gets a certificate does not depend on who reads."""
    held = Diploma.objects.filter(_same_learner(Diploma), kind__in=FINISHING_KINDS)
    graduated = GraduationEntry.objects.filter(
        _same_learner(GraduationEntry),
        round__status=RoundStatus.DECIDED,
        round__level=GraduationLevel.THPT,
        recognised=True,
        excluded=False,
    )
    return Q(Exists(held)) | Q(Exists(graduated))


def learner_key(entry: GraduationEntry) -> tuple:
    """Who an entry is about, across rounds: the student, else the personal id and birth date, else the candidate."""
    if entry.student_id:
        return ("student", entry.student_id)
    if entry.personal_id:
        return ("person", entry.personal_id, entry.birth_date)
    if entry.candidate_id:
        return ("candidate", entry.candidate_id)
    return ("entry", entry.pk)


def _latest_per_learner(entries: Iterable[GraduationEntry]) -> list[GraduationEntry]:
    """One entry per learner (the one of the latest round): a learner not recognised in two THPT rounds gets one
    certificate of completion, not two."""
    chosen: dict[tuple, GraduationEntry] = {}
    for item in entries:
        key = learner_key(item)
        known = chosen.get(key)
        if known is None or _round_order(item) > _round_order(known):
            chosen[key] = item
    return list(chosen.values())


def _round_order(entry: GraduationEntry) -> tuple:
    return (entry.round.start_year, entry.round.number, entry.round.decision_date or dt.date.min, entry.pk)


def _numbering_order(entry: GraduationEntry) -> tuple:
    """School, class, then the Vietnamese name order (exams-diplomas.md; the order the list was recognised in)."""
    school = entry.school.name if entry.school_id else entry.school_name
    return (sort_key(school or ""), entry.class_name, entry.sort_key, entry.pk)


def _deadline(kind: str, decision_date) -> dt.date | None:
    """The 75-day deadline applies to the diplomas of a graduation decision (not to completion certificates)."""
    if kind not in KIND_LEVEL or decision_date is None:
        return None
    return rules.issue_deadline(decision_date)


def awaiting(actor, issuer: Issuer, kind: str, *, round_id: int | None = None) -> list[Awaiting]:
    """The graduates waiting for ``kind`` from ``issuer``, in numbering order, each with the deadline
    (``rules.issue_deadline``) and whether it has passed. For who keeps the issuer's register. Five queries."""
    require_keeper(actor, issuer)
    entries = awaiting_queryset(actor, issuer, kind).select_related("round", "school")
    if round_id is not None:
        entries = entries.filter(round_id=round_id)
    entries = list(entries)
    if kind == DiplomaKind.COMPLETION:
        entries = _latest_per_learner(entries)
    today = timezone.localdate()
    rows = []
    for entry in sorted(entries, key=_numbering_order):
        deadline = _deadline(kind, entry.round.decision_date)
        rows.append(Awaiting(entry, kind, deadline, deadline is not None and today > deadline))
    return rows


# --- issuing ----------------------------------------------------------------------------------------------------------


def _normalised(diploma: Diploma) -> Diploma:
    """What ``Diploma.save`` does before writing, for rows written in bulk (NFC text, search and sort keys)."""
    for name in ("full_name", "birthplace", "ethnicity", "nationality", "school_name", "signer_title", "signer_name"):
        setattr(diploma, name, nfc(getattr(diploma, name) or "").strip())
    diploma.note = nfc(diploma.note or "").strip()
    diploma.search_key = search_key(diploma.full_name)
    diploma.sort_key = sort_key(diploma.full_name)
    return diploma


def _refuse_used_serials(kind: str, serials: Sequence[str]) -> None:
    used = sorted(Diploma.objects.filter(kind=kind, serial__in=list(serials)).values_list("serial", flat=True))
    if used:
        label = DiplomaKind(kind).label.lower()
        raise ValidationError(
            {
                "first_serial": f"Số hiệu {_named(used)} đã được dùng cho {label} khác; "
                "không cấp văn bằng nào trong đợt này."
            }
        )


def _refuse_twice(rows: Sequence[GraduationEntry]) -> None:
    seen: set[tuple] = set()
    twice = []
    for item in rows:
        key = learner_key(item)
        if key in seen:
            twice.append(item.full_name)
        seen.add(key)
    if twice:
        raise ValidationError(
            {
                "entries": f"{_named(twice)}: được chọn hơn một lần (từ nhiều đợt xét); mỗi người chỉ được cấp một "
                "giấy chứng nhận hoàn thành chương trình giáo dục phổ thông."
            }
        )


def refuse_backdating(issuer, kind: str, issued_on: dt.date, *, book: str = RegisterBook.ORIGINAL) -> None:
    """Entries are written into a book in the order of their issue dates: an issue (or a copy) dated before the last
    one already in that book (issuer, type, calendar year) would be appended under a later date — a back-dated entry
    in a book that may be closed. Call with the book's counter locked. Imports of past registers are not checked."""
    if book == RegisterBook.COPY:
        rows = DiplomaCopy.objects.filter(issuer=issuer, kind=kind, year=issued_on.year)
        what, field = "sổ cấp bản sao", "bản sao"
    else:
        rows = Diploma.objects.filter(issuer=issuer, kind=kind, year=issued_on.year)
        what, field = "sổ gốc", "văn bằng"
    latest = rows.aggregate(latest=Max("issued_on"))["latest"]
    if latest is not None and issued_on < latest:
        label = DiplomaKind(kind).label.lower()
        raise ValidationError(
            {
                "issued_on": f"Ngày cấp {issued_on:%d/%m/%Y} trước ngày cấp {field} cuối cùng đã ghi trong {what} "
                f"{label} năm {issued_on.year} ({latest:%d/%m/%Y}): không ghi lùi ngày vào sổ. Chọn ngày cấp từ "
                f"{latest:%d/%m/%Y} trở đi."
            }
        )


def _lock_issuer(actor, issuer: Issuer) -> Issuer:
    issuer = Issuer.objects.select_related("unit").get(pk=issuer.pk)
    require_keeper(actor, issuer)
    if not issuer.is_active:
        raise ValidationError(MSG_INACTIVE)
    return issuer


def _issue_date(issued_on, field: str = "issued_on") -> dt.date:
    issued_on = _date(issued_on, field, "ngày cấp")
    _not_future(issued_on, field, "ngày cấp")
    return issued_on


def issue_batch(actor, issuer: Issuer, kind: str, entries, *, issued_on, first_serial) -> list[Diploma]:
    """Issue ``kind`` to the ticked ``entries`` (GraduationEntry rows or ids, all still awaiting) on ``issued_on``,
    the blanks filled in order from ``first_serial`` (``rules.serial_sequence``), the entry numbers taken from the
    counter in numbering order (school, class, name). One transaction: a serial already used, a date before a
    decision, an entry no longer awaiting — and nothing is issued."""
    ids = sorted({int(getattr(e, "pk", e)) for e in entries or []})
    with transaction.atomic(), acting_here(actor):
        issuer = _lock_issuer(actor, issuer)
        if kind not in (issuer.kinds or []):
            raise ValidationError({"kind": "Cơ quan này không cấp loại văn bằng đã chọn."})
        if not ids:
            raise ValidationError({"entries": "Chưa chọn người học nào để cấp văn bằng."})
        issued_on = _issue_date(issued_on)
        # Lock the entries (another clerk issuing the same people waits), then re-read who already holds one.
        locked = list(
            awaiting_queryset(actor, issuer, kind)
            .filter(pk__in=ids)
            .select_related("round", "school")
            .select_for_update(of=("self",))
        )
        held = set(Diploma.objects.filter(kind=kind, entry_id__in=ids).values_list("entry_id", flat=True))
        rows = sorted((e for e in locked if e.pk not in held), key=_numbering_order)
        if len(rows) != len(ids):
            missing = [pk for pk in ids if pk not in {e.pk for e in rows}]
            names = list(
                GraduationEntry.objects.filter(pk__in=missing).order_by("sort_key").values_list("full_name", flat=True)
            )
            raise ValidationError(
                {
                    "entries": f"{_named(names or [str(pk) for pk in missing])}: không còn trong danh sách chờ cấp "
                    "(đã được cấp hoặc không thuộc cơ quan cấp này)."
                }
            )
        if kind == DiplomaKind.COMPLETION:
            _refuse_twice(rows)
        for entry in rows:
            problem = rules.issue_date_problem(entry.round.decision_date, issued_on)
            if problem:
                raise ValidationError({"issued_on": problem})
        try:
            serials = rules.serial_sequence(first_serial, len(rows))
        except ValueError as error:
            raise ValidationError({"first_serial": str(error)}) from None
        numbers = allocate_numbers(issuer, kind, issued_on.year, len(rows))
        # the book's counter is locked from here: what other clerks issued meanwhile is committed and visible
        refuse_backdating(issuer, kind, issued_on)
        if kind == DiplomaKind.COMPLETION:
            # a learner may wait in two rounds: a certificate given meanwhile from the other entry counts too
            still = awaiting_queryset(actor, issuer, kind).filter(pk__in=ids).count()
            if still != len(rows):
                raise ValidationError(
                    {"entries": "Một số người học vừa được cấp văn bằng, chứng nhận ở nơi khác; hãy tải lại danh sách."}
                )
        _refuse_used_serials(kind, serials)
        diplomas = [
            _normalised(
                Diploma(
                    issuer=issuer,
                    kind=kind,
                    year=issued_on.year,
                    entry_number=number,
                    serial=serial,
                    full_name=entry.full_name,
                    birth_date=entry.birth_date,
                    birthplace=entry.birthplace,
                    sex=entry.sex,
                    ethnicity=entry.ethnicity,
                    personal_id=entry.personal_id,
                    student_id=entry.student_id,
                    school_id=entry.school_id,
                    school_name=entry.school.name if entry.school_id else entry.school_name,
                    graduation_year=entry.round.start_year + 1,
                    entry=entry,
                    decision_number=entry.round.decision_number,
                    decision_date=entry.round.decision_date,
                    issued_on=issued_on,
                    signer_title=issuer.signer_title,
                    signer_name=issuer.signer_name,
                    issued_by=actor.user,
                )
            )
            for entry, number, serial in zip(rows, numbers, serials, strict=True)
        ]
        try:
            with transaction.atomic():
                created = bulk_create_with_history(diplomas, Diploma, actor=actor, default_change_reason="Cấp văn bằng")
        except IntegrityError:
            _refuse_used_serials(kind, serials)  # a serial taken meanwhile by another issuer of the same type
            raise ValidationError("Văn bằng của đợt này vừa được cấp ở nơi khác; hãy tải lại trang.") from None
        portal_diplomas.publish(created)
    return created


HOLDER_FIELDS = ("full_name", "birth_date", "birthplace", "sex", "ethnicity", "nationality", "personal_id")


def _holder(values: Mapping[str, Any], *, issued_on: dt.date) -> dict:
    full_name = _text(values.get("full_name"), "full_name", "họ và tên", max_length=150)
    birth_date = _date(values.get("birth_date"), "birth_date", "ngày sinh")
    if birth_date >= issued_on:
        raise ValidationError({"birth_date": "Ngày sinh phải trước ngày cấp."})
    sex = values.get("sex")
    if sex not in SEX_CHOICES:
        raise ValidationError({"sex": "Giới tính phải là Nam hoặc Nữ."})
    personal_id = str(values.get("personal_id") or "").strip()
    if personal_id and (not personal_id.isdigit() or len(personal_id) != 12):
        raise ValidationError({"personal_id": "Số định danh cá nhân gồm đúng 12 chữ số."})
    return {
        "full_name": full_name,
        "birth_date": birth_date,
        "birthplace": _text(values.get("birthplace"), "birthplace", "nơi sinh", max_length=255, required=False),
        "sex": sex,
        "ethnicity": _text(values.get("ethnicity") or "Kinh", "ethnicity", "dân tộc", max_length=40),
        "nationality": _text(values.get("nationality") or "Việt Nam", "nationality", "quốc tịch", max_length=60),
        "personal_id": personal_id,
    }


def covers_school(issuer: Issuer, school: Unit) -> bool:
    """Whether ``school`` is in ``issuer``'s coverage: under one of the units it covers, or — none listed — under its
    keeping unit (as ``selectors.issuer_for`` reads it)."""
    paths = [u.path for u in issuer.covers.all()] or [issuer.unit.path]
    return any(school.path.startswith(path) for path in paths)


def issue_one(
    actor,
    issuer: Issuer,
    *,
    kind: str,
    serial,
    issued_on,
    graduation_year,
    decision_number,
    decision_date,
    school=None,
    school_name: str = "",
    note: str = "",
    **holder,
) -> Diploma:
    """Issue one diploma by hand, to a graduate the system does not list (a graduate of before, a learner from
    elsewhere): the holder's fields (``HOLDER_FIELDS``), the graduation year, the recognition decision, the serial;
    the entry number comes from the counter. ``school``: a school or centre the actor sees inside the issuer's
    coverage (``covers_school``; optional), else ``school_name``. The issue date is not before the last one of the
    book (``refuse_backdating``)."""
    unknown = set(holder) - set(HOLDER_FIELDS)
    if unknown:
        raise TypeError(f"unknown holder fields: {sorted(unknown)}")
    with transaction.atomic(), acting_here(actor):
        issuer = _lock_issuer(actor, issuer)
        if kind not in (issuer.kinds or []):
            raise ValidationError({"kind": "Cơ quan này không cấp loại văn bằng đã chọn."})
        issued_on = _issue_date(issued_on)
        person = _holder(holder, issued_on=issued_on)
        try:
            serial = rules.normalise_serial(serial)
        except ValueError as error:
            raise ValidationError({"serial": str(error)}) from None
        try:
            year = int(str(graduation_year).strip())
        except (TypeError, ValueError):
            raise ValidationError({"graduation_year": "Năm tốt nghiệp phải là một số (ví dụ 2019)."}) from None
        if not 1945 <= year <= issued_on.year:
            raise ValidationError({"graduation_year": f"Năm tốt nghiệp phải từ 1945 đến {issued_on.year}."})
        decision_number = _text(decision_number, "decision_number", "số quyết định công nhận", max_length=60)
        decision_date = _date(decision_date, "decision_date", "ngày quyết định công nhận")
        problem = rules.issue_date_problem(decision_date, issued_on)
        if problem:
            raise ValidationError({"issued_on": problem})
        unit = None
        if school not in (None, ""):
            unit = visible_to(actor, Unit).filter(pk=getattr(school, "pk", school)).first()
            if unit is None:
                raise ValidationError({"school": "Không tìm thấy trường đã chọn."})
            if unit.kind not in SCHOOL_LEVEL_UNITS or not covers_school(issuer, unit):
                raise ValidationError(
                    {"school": f"{unit.name} không phải trường thuộc phạm vi cấp văn bằng của {issuer.name}."}
                )
        place = _text(school_name, "school_name", "nơi học", max_length=255, required=False) or (
            unit.name if unit else ""
        )
        if not place:
            raise ValidationError({"school_name": "Chưa nhập nơi học (trường)."})
        if Diploma.objects.filter(kind=kind, serial=serial).exists():
            raise ValidationError(
                {"serial": f"Số hiệu {serial} đã được dùng cho {DiplomaKind(kind).label.lower()} khác."}
            )
        (number,) = allocate_numbers(issuer, kind, issued_on.year, 1)
        refuse_backdating(issuer, kind, issued_on)
        diploma = Diploma(
            issuer=issuer,
            kind=kind,
            year=issued_on.year,
            entry_number=number,
            serial=serial,
            school=unit,
            school_name=place,
            graduation_year=year,
            decision_number=decision_number,
            decision_date=decision_date,
            issued_on=issued_on,
            signer_title=issuer.signer_title,
            signer_name=issuer.signer_name,
            note=_text(note, "note", "ghi chú", max_length=500, required=False),
            issued_by=actor.user,
            **person,
        )
        diploma._change_reason = "Cấp văn bằng (nhập tay)"
        try:
            with transaction.atomic():
                diploma.save()
        except IntegrityError:
            raise ValidationError({"serial": f"Số hiệu {serial} vừa được dùng cho văn bằng khác."}) from None
        portal_diplomas.publish([diploma])
    return diploma


# --- corrections, copies, revocation ----------------------------------------------------------------------------------


def _locked_diploma(actor, diploma: Diploma) -> Diploma:
    locked = Diploma.objects.select_for_update(of=("self",)).select_related("issuer", "issuer__unit").get(pk=diploma.pk)
    require_keeper(actor, locked.issuer)
    return locked


def _correctable(field: str, value: Any, diploma: Diploma) -> Any:
    if field == "full_name":
        return _text(value, field, "họ và tên", max_length=150)
    if field == "birth_date":
        born = _date(value, field, "ngày sinh")
        if born >= diploma.issued_on:
            raise ValidationError({field: "Ngày sinh phải trước ngày cấp văn bằng."})
        return born
    if field == "birthplace":
        return _text(value, field, "nơi sinh", max_length=255, required=False)
    if field == "sex":
        if value not in SEX_CHOICES:
            raise ValidationError({field: "Giới tính phải là Nam hoặc Nữ."})
        return value
    if field == "ethnicity":
        return _text(value, field, "dân tộc", max_length=40)
    raise ValidationError({field: "Nội dung này không được chỉnh sửa trên văn bằng."})


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def correct(
    actor,
    diploma: Diploma,
    *,
    ground: str,
    values: Mapping[str, Any],
    reason: str,
    decision_number,
    decision_date,
    dossier: Sequence[tuple[str, Any]],
) -> DiplomaCorrection:
    """Correct the holder's data printed on ``diploma`` (``rules.CORRECTABLE_FIELDS``) by decision, on ``ground``
    (``rules.CORRECTION_GROUNDS``), with the dossier: at least one (kind, upload) pair, each checked by content
    (PDF, JPG, PNG, DOCX) and kept under the issuer's unit. Only fields that change are recorded (``changes`` =
    {field: [old, new]}); the diploma keeps its own history of them and becomes CORRECTED. A revoked diploma is
    not corrected."""
    with transaction.atomic(), acting_here(actor):
        diploma = _locked_diploma(actor, diploma)
        if diploma.is_revoked:
            raise ValidationError(f"{MSG_REVOKED}, không thể chỉnh sửa.")
        if ground not in rules.CORRECTION_GROUNDS:
            raise ValidationError({"ground": "Chọn căn cứ chỉnh sửa."})
        reason = _text(reason, "reason", "lý do chỉnh sửa", max_length=2000)
        decision_number = _text(decision_number, "decision_number", "số quyết định chỉnh sửa", max_length=60)
        decision_date = _date(decision_date, "decision_date", "ngày quyết định chỉnh sửa")
        if decision_date < diploma.issued_on:
            raise ValidationError({"decision_date": "Ngày quyết định chỉnh sửa không được trước ngày cấp văn bằng."})
        _not_future(decision_date, "decision_date", "ngày quyết định chỉnh sửa")
        unknown = [f for f in values if f not in rules.CORRECTABLE_FIELDS]
        if unknown:
            raise ValidationError({unknown[0]: "Nội dung này không được chỉnh sửa trên văn bằng."})
        changes: dict[str, list] = {}
        for field in rules.CORRECTABLE_FIELDS:
            if field not in values or values[field] is None:
                continue
            new = _correctable(field, values[field], diploma)
            old = getattr(diploma, field)
            if new != old:
                changes[field] = [_json(old), _json(new)]
                setattr(diploma, field, new)
        if not changes:
            raise ValidationError("Chưa có nội dung nào khác với văn bằng đã cấp: không có gì để chỉnh sửa.")
        files = list(dossier or [])
        if not files:
            raise ValidationError({"dossier": "Cần ít nhất một tệp hồ sơ chỉnh sửa (đơn đề nghị, giấy tờ hộ tịch…)."})
        checked = []
        for kind, upload in files:
            if kind not in DossierFile.Kind.values:
                raise ValidationError({"dossier": "Chọn loại giấy tờ cho từng tệp hồ sơ."})
            try:
                content_type = validate_upload(upload, allowed=DOSSIER_TYPES)
            except ValidationError as error:
                raise ValidationError({"dossier": error.messages}) from None
            checked.append((kind, upload, content_type))
        if diploma.status == DiplomaStatus.VALID:
            diploma.status = DiplomaStatus.CORRECTED
        diploma._change_reason = _reason(f"Chỉnh sửa theo QĐ {decision_number} ngày {decision_date:%d/%m/%Y}")
        diploma.save()
        correction = DiplomaCorrection(
            diploma=diploma,
            ground=ground,
            changes=changes,
            reason=reason,
            decision_number=decision_number,
            decision_date=decision_date,
            made_by=actor.user,
        )
        correction._change_reason = "Chỉnh sửa văn bằng"
        correction.save()
        for kind, upload, content_type in checked:
            stored = StoredFile.store(
                unit=diploma.issuer.unit,
                uploaded_by=actor.user,
                content=upload,
                name=getattr(upload, "name", "") or "ho-so.pdf",
                purpose="diploma_correction",
                content_type=content_type,
                private=True,
            )
            DossierFile.objects.create(correction=correction, kind=kind, file=stored)
        portal_diplomas.publish([diploma])
    return correction


def issue_copy(
    actor,
    diploma: Diploma,
    *,
    requester_name,
    relation: str,
    requester_id_number,
    authorisation: str = "",
    holder_deceased: bool = False,
    quantity=1,
    issued_on=None,
) -> DiplomaCopy:
    """Issue copies from the original register (bản sao từ sổ gốc) to a requester the rules allow
    (``rules.copy_request_problem``: the holder; a representative with an authorisation; relatives only when the
    holder has died), numbered in the issuer's copy book for the copy's calendar year. Not for a revoked diploma."""
    with transaction.atomic(), acting_here(actor):
        diploma = _locked_diploma(actor, diploma)
        if diploma.is_revoked:
            raise ValidationError(f"{MSG_REVOKED}, không cấp bản sao.")
        requester_name = _text(requester_name, "requester_name", "họ tên người yêu cầu", max_length=150)
        id_number = "".join(str(requester_id_number or "").split()).upper()
        if not id_number:
            raise ValidationError({"requester_id_number": "Chưa nhập số giấy tờ tùy thân của người yêu cầu."})
        if len(id_number) > 20 or not id_number.isalnum():
            raise ValidationError(
                {"requester_id_number": "Số giấy tờ tùy thân chỉ gồm chữ cái và chữ số, tối đa 20 ký tự."}
            )
        authorisation = _text(authorisation, "authorisation", "giấy ủy quyền", max_length=255, required=False)
        problem = rules.copy_request_problem(
            relation, holder_deceased=bool(holder_deceased), authorisation=bool(authorisation)
        )
        if problem:
            field = "authorisation" if relation == "representative" else "relation"
            raise ValidationError({field: problem})
        try:
            quantity = int(quantity)
        except (TypeError, ValueError):
            raise ValidationError({"quantity": "Số bản phải là một số nguyên."}) from None
        if not 1 <= quantity <= 20:
            raise ValidationError({"quantity": "Số bản phải từ 1 đến 20."})
        issued_on = timezone.localdate() if issued_on in (None, "") else _issue_date(issued_on)
        if issued_on < diploma.issued_on:
            raise ValidationError({"issued_on": "Ngày cấp bản sao không được trước ngày cấp văn bằng."})
        (number,) = allocate_numbers(diploma.issuer, diploma.kind, issued_on.year, 1, book=RegisterBook.COPY)
        refuse_backdating(diploma.issuer, diploma.kind, issued_on, book=RegisterBook.COPY)
        copy = DiplomaCopy(
            diploma=diploma,
            issuer=diploma.issuer,
            kind=diploma.kind,
            year=issued_on.year,
            number=number,
            requester_name=requester_name,
            relation=relation,
            requester_id_number=id_number,
            authorisation=authorisation,
            holder_deceased=bool(holder_deceased),
            quantity=quantity,
            issued_on=issued_on,
            signer_title=diploma.issuer.signer_title,
            signer_name=diploma.issuer.signer_name,
            issued_by=actor.user,
        )
        copy._change_reason = "Cấp bản sao từ sổ gốc"
        copy.save()
    return copy


def revoke(
    actor,
    diploma: Diploma,
    *,
    reason: str,
    decision_number,
    decision_date,
    decision_signer,
    detail: str = "",
) -> DiplomaRevocation:
    """Revoke ``diploma`` by decision (thu hồi, hủy bỏ văn bằng) for one of ``rules.REVOCATION_REASONS``: its status
    becomes REVOKED, once; no copy or correction afterwards. The portal then shows it as revoked."""
    with transaction.atomic(), acting_here(actor):
        diploma = _locked_diploma(actor, diploma)
        if diploma.is_revoked or DiplomaRevocation.objects.filter(diploma=diploma).exists():
            raise ValidationError(f"{MSG_REVOKED} trước đó.")
        if reason not in rules.REVOCATION_REASONS:
            raise ValidationError({"reason": "Chọn lý do thu hồi."})
        decision_number = _text(decision_number, "decision_number", "số quyết định thu hồi", max_length=60)
        decision_date = _date(decision_date, "decision_date", "ngày quyết định thu hồi")
        if decision_date < diploma.issued_on:
            raise ValidationError({"decision_date": "Ngày quyết định thu hồi không được trước ngày cấp văn bằng."})
        _not_future(decision_date, "decision_date", "ngày quyết định thu hồi")
        decision_signer = _text(decision_signer, "decision_signer", "người ký quyết định thu hồi", max_length=255)
        detail = _text(detail, "detail", "nội dung", max_length=2000, required=False)
        diploma.status = DiplomaStatus.REVOKED
        diploma._change_reason = _reason(f"Thu hồi theo QĐ {decision_number} ngày {decision_date:%d/%m/%Y}")
        diploma.save()
        revocation = DiplomaRevocation(
            diploma=diploma,
            reason=reason,
            detail=detail,
            decision_number=decision_number,
            decision_date=decision_date,
            decision_signer=decision_signer,
            recorded_by=actor.user,
        )
        revocation._change_reason = "Thu hồi văn bằng"
        revocation.save()
        portal_diplomas.publish([diploma])
    return revocation
