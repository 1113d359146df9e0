"""Graduation rounds (đợt xét công nhận tốt nghiệp): the THCS review of grade-9 results and the THPT recognition from
the graduation exam, from opening the round to the recognition decision.

DOMAIN (/work/shared/domain/exams-diplomas.md, "Diplomas and certificates"): "THCS graduation (Thông tư 31/2023): by
review of grade-9 results, at most two rounds a year, no classification, council of ≥ 7 members". The regulation is
``exams.rules`` (``thcs_graduation``, ``council_problems``, ``next_round_number``); this module reads the rows, calls
the rules and writes the outcome with history. The diplomas themselves are issued from a DECIDED round by the
register (``exams.services.register``).

The workflow:

- **THCS** — run by the school (``GraduationRound.unit`` = the school, which must teach grade 9). Its principal or
  school admin opens the round for a school year (default: the school's current year), numbered by
  ``rules.next_round_number``: round 2 only once round 1 is decided, never a third. The issuer is
  ``selectors.issuer_for(school, THCS)`` at creation, looked up again at each review, "Trình", "Trả lại" and
  "Công nhận" (``_current_issuer``): the current one replaces the stored one, and propose/decide are refused while
  the stored one stopped issuing with none to replace it, or while the issuer is kept at the school itself.
  They set up the council (at least seven, one chair, a secretary — ``rules.council_problems``), then "Xét"
  (``review``) builds the entries from ``students.selectors.final_year_results(school, year, 9)``: round 2 only takes
  learners not recognised in an earlier decided round of the school and year. Reviewing again while the round is
  a draft updates the entries in place (keeping the council's exclusions and notes), adds new learners and removes
  the entries of learners no longer listed. The council may exclude a recognised learner with a note (reason
  "council") and undo it; it never recognises someone the rule refuses. "Trình" (``propose``): the council
  complete, at least one entry, the entries current with the results; the round is then frozen, until the decider
  sends it back ("Trả lại", ``return_round``: the proposal undone, the reason added to the round's note).
  "Công nhận" (``decide``): by who keeps the issuer's register (``selectors.may_keep_register``), the issuer kept
  strictly above the school — a school never recognises its own graduates —, or — no issuer configured — by an
  organiser (admin, Sở/Phòng staff) acting in a unit strictly above the school; decision number, date (not before
  the proposal's day, not in the future) and signer; the round is DECIDED and nothing in it changes any more.
- **THPT** — run by the organisers of an exam of kind ``ExamKind.GRADUATION`` (``unit`` = the exam's unit, a Sở),
  once the exam's results are published. The entries come from ``exams.services.graduation_thpt.thpt_entries``.
  No council minimum and no "propose" step: the Sở reviews and decides itself (the recognition of the exam's
  results), so ``decide`` takes a DRAFT round that has entries (decision dated not before the publication's day).
  The decider is the issuer's registrar (THPT diplomas: the Sở's director) or, with no issuer configured, an
  organiser of the exam. The exam is reached through the door and must have a formula for its year (from 2020);
  the review refuses subjects the formula cannot count and candidates with more than two electives
  (``graduation_thpt.thpt_entries``) and warns when the exam has no priority line (``warnings``).

Reading: rounds and entries come through the door (``visible_to``); a school reads its own learners' entries of a
round run above it, a learner their own entry once decided. Refusals are ``ValidationError`` (a wrong state, bad
input: Vietnamese, naming the field) or ``PermissionDenied`` (a wrong person). Every write is one transaction, the
round row locked, saved with history inside ``acting_here(actor)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from sms.accounts.models import Membership, User
from sms.accounts.roles import SCHOOL_LEVEL_KINDS, STAFF_ROLES
from sms.accounts.scoping import visible_to
from sms.audit.history import acting_here, bulk_create_with_history, bulk_delete_with_history, bulk_update_with_history
from sms.org.models import SchoolYear
from sms.text import as_id, nfc, search_key, sort_key

from .. import rules
from ..models import (
    ORGANISERS,
    SCHOOL_REGISTRARS,
    CouncilRole,
    DiplomaKind,
    Exam,
    ExamKind,
    GraduationCouncilMember,
    GraduationEntry,
    GraduationLevel,
    GraduationRound,
    Issuer,
    PointRule,
    RoundStatus,
)
from ..selectors import is_organiser, issuer_for, may_keep_register

#: the grade whose year results the THCS review reads (TT31/2023)
THCS_GRADE = 9
#: simple-history keeps change reasons in 100 characters
REASON_MAX = 100
#: the sane range of a school year's starting year (a typo guard)
FIRST_YEAR, LAST_YEAR = 2000, 2999

MSG_NOT_SCHOOL_RUNNER = (
    "Chỉ hiệu trưởng hoặc quản trị nhà trường (đang làm việc tại trường) mới được thực hiện việc này trong đợt xét "
    "công nhận tốt nghiệp THCS của trường."
)
MSG_NOT_EXAM_RUNNER = "Chỉ đơn vị tổ chức kỳ thi tốt nghiệp THPT mới được thực hiện việc này."
MSG_NOT_DECIDER = (
    "Chỉ đơn vị giữ sổ gốc của cơ quan cấp bằng (khi chưa cấu hình cơ quan cấp bằng: lãnh đạo, chuyên viên Phòng/Sở "
    "cấp trên của trường) mới được công nhận hoặc trả lại đợt xét."
)

#: the fields the review writes on an entry (identity snapshot, what it read, the verdict)
SNAPSHOT_FIELDS = (
    "student_id",
    "candidate_id",
    "school_id",
    "school_name",
    "class_name",
    "full_name",
    "birth_date",
    "sex",
    "ethnicity",
    "birthplace",
    "personal_id",
    "outcome",
    "learning",
    "conduct",
    "absences",
    "tests",
    "record_average",
    "graduation_score",
    "recognised",
    "reasons",
    "may_retry",
)
_DEFAULTS = {
    "student_id": None,
    "candidate_id": None,
    "school_id": None,
    "school_name": "",
    "class_name": "",
    "ethnicity": "Kinh",
    "birthplace": "",
    "personal_id": "",
    "outcome": "",
    "learning": "",
    "conduct": "",
    "absences": 0,
    "tests": [],
    "record_average": None,
    "graduation_score": None,
    "recognised": False,
    "reasons": [],
    "may_retry": False,
}
_MAX_LENGTHS = {"school_name": 255, "class_name": 30, "birthplace": 255, "personal_id": 12, "ethnicity": 40}


def _reason(text: str) -> str:
    return text if len(text) <= REASON_MAX else text[: REASON_MAX - 1] + "…"


def _date_text(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


# --- who is who ---------------------------------------------------------------------------------------------


def _acting(actor) -> bool:
    return actor is not None and getattr(actor, "membership", None) is not None


def runs(actor, rnd: GraduationRound) -> bool:
    """Who runs a round (council, review, exclusions, "propose"): for THCS the school's principal or school admin
    acting in the school; for THPT an organiser of the exam (admins and Sở/Phòng staff of its owner's subtree)."""
    if not _acting(actor):
        return False
    if rnd.level == GraduationLevel.THCS:
        return actor.role in SCHOOL_REGISTRARS and actor.unit_id == rnd.unit_id
    return rnd.exam_id is not None and is_organiser(actor, rnd.exam)


def _strictly_above(unit, school) -> bool:
    """``unit`` is an ancestor of ``school`` (the Phòng or Sở above it), never the school itself."""
    return unit.pk != school.pk and school.path.startswith(unit.path)


def may_decide(actor, rnd: GraduationRound) -> bool:
    """Who records the recognition decision (and sends a proposed round back): the keeper of the issuer's register
    (``selectors.may_keep_register``: a registrar acting in the issuer's keeping unit or above it — in most
    deployments the Phòng/Sở above the school). A school never recognises its own graduates: for THCS the issuer's
    keeping unit must be strictly above the school (an issuer kept at the school itself is a configuration error
    nobody decides under, see ``issuer_problem``). With no issuer configured: for THCS an organiser acting in a
    unit strictly above the school, for THPT an organiser of the exam. This reads the issuer stored on the round
    (the pages' buttons); ``propose``, ``return_round`` and ``decide`` look it up again first
    (``_current_issuer``)."""
    if not _acting(actor):
        return False
    thcs = rnd.level == GraduationLevel.THCS
    if rnd.issuer_id is not None:
        if thcs and not _strictly_above(rnd.issuer.unit, rnd.unit):
            return False
        return may_keep_register(actor, rnd.issuer)
    return _decides_without_issuer(actor, rnd)


def _diploma_kind(rnd: GraduationRound) -> str:
    return DiplomaKind.THCS if rnd.level == GraduationLevel.THCS else DiplomaKind.THPT


def issuer_problem(rnd: GraduationRound, issuer: Issuer | None) -> str | None:
    """Why the round cannot be recognised under ``issuer`` (None: it can): for THCS an issuer whose register is
    kept at the school itself — the school would recognise its own graduates."""
    if issuer is None or rnd.level != GraduationLevel.THCS or _strictly_above(issuer.unit, rnd.unit):
        return None
    return (
        f"Cơ quan cấp văn bằng “{issuer.name}” giữ sổ gốc tại chính {rnd.unit.name}: nhà trường không tự công nhận "
        "tốt nghiệp cho học sinh của mình. Đề nghị quản trị Phòng/Sở cấu hình cơ quan cấp bằng tốt nghiệp THCS ở "
        "đơn vị cấp trên của trường."
    )


def _current_issuer(rnd: GraduationRound) -> tuple[Issuer | None, str | None]:
    """The issuer the round is recognised under now, looked up again (``selectors.issuer_for``): the configuration
    may have changed since the round was opened — another issuer now covers the unit (it is the one used), or the
    stored one stopped issuing. Returns it and, when the round cannot be recognised now, why: the stored issuer no
    longer issues for the unit and none replaces it, or (THCS) the issuer is kept at the school itself
    (``issuer_problem``). One query (the active issuers)."""
    stored = rnd.issuer if rnd.issuer_id is not None else None
    current = issuer_for(rnd.unit, _diploma_kind(rnd))
    if current is None and stored is not None:
        if not stored.is_active:
            why = f"Cơ quan cấp văn bằng “{stored.name}” của đợt xét đã ngừng cấp văn bằng"
        else:
            why = f"Cơ quan cấp văn bằng “{stored.name}” không còn cấp văn bằng cho {rnd.unit.name}"
        return None, f"{why} và chưa có cơ quan nào thay thế; đề nghị quản trị Phòng/Sở cấu hình cơ quan cấp bằng."
    return current, issuer_problem(rnd, current)


def _use_issuer(rnd: GraduationRound, issuer: Issuer | None) -> list[str]:
    """Put the current ``issuer`` on the round (not saved): the fields to save, ["issuer"] when it changed."""
    if issuer is None or issuer.pk == rnd.issuer_id:
        return []
    rnd.issuer = issuer
    return ["issuer"]


def _decides_without_issuer(actor, rnd: GraduationRound) -> bool:
    """Who would decide ``rnd`` with no usable issuer (``may_decide``'s fallback): the one told why not."""
    if not _acting(actor):
        return False
    if rnd.level == GraduationLevel.THPT:
        return rnd.exam_id is not None and is_organiser(actor, rnd.exam)
    return actor.role in ORGANISERS and _strictly_above(actor.unit, rnd.unit)


@dataclass(frozen=True)
class Actions:
    """What ``actor`` may do with a round now (the pages show these buttons, the services decide again)."""

    runs: bool
    edit: bool  # council, exclusions
    review: bool
    propose: bool
    decide: bool
    send_back: bool


def actions_for(actor, rnd: GraduationRound) -> Actions:
    running = runs(actor, rnd)
    draft = rnd.status == RoundStatus.DRAFT
    deciding = may_decide(actor, rnd)
    thcs = rnd.level == GraduationLevel.THCS
    return Actions(
        runs=running,
        edit=running and draft,
        review=running and draft,
        propose=running and draft and thcs,
        decide=deciding and (rnd.status == RoundStatus.PROPOSED if thcs else draft),
        send_back=deciding and rnd.status == RoundStatus.PROPOSED,
    )


def state_problem(rnd: GraduationRound, doing: str) -> str | None:
    """Why ``doing`` is refused because of the round's state (it must be a draft), or None."""
    if rnd.status == RoundStatus.PROPOSED:
        return f"Đợt xét đã trình công nhận nên không thể {doing}; chỉ đơn vị công nhận mới trả lại được."
    if rnd.status == RoundStatus.DECIDED:
        return f"Đợt xét đã có quyết định công nhận số {rnd.decision_number} nên không thể {doing}."
    return None


def _round_queryset() -> QuerySet:
    return GraduationRound.objects.select_related("unit", "exam__unit", "issuer__unit")


def _lock(rnd: GraduationRound | int) -> GraduationRound:
    """The round, its row locked for the transaction (only the round's own row: its nullable relations are read
    in the same query but not locked — PostgreSQL refuses FOR UPDATE on the nullable side of an outer join)."""
    pk = rnd.pk if isinstance(rnd, GraduationRound) else rnd
    return _round_queryset().select_for_update(of=("self",)).get(pk=pk)


def _not_runner(rnd: GraduationRound) -> PermissionDenied:
    return PermissionDenied(MSG_NOT_SCHOOL_RUNNER if rnd.level == GraduationLevel.THCS else MSG_NOT_EXAM_RUNNER)


def _draft_round(actor, rnd: GraduationRound | int, doing: str) -> GraduationRound:
    """Lock the round; the actor must run it and it must still be a draft."""
    rnd = _lock(rnd)
    if not runs(actor, rnd):
        raise _not_runner(rnd)
    problem = state_problem(rnd, doing)
    if problem:
        raise ValidationError(problem)
    return rnd


# --- opening a round --------------------------------------------------------------------------------------------


def current_start_year(school) -> int | None:
    return SchoolYear.objects.filter(school=school, is_current=True).values_list("start_year", flat=True).first()


def _start_year(school, value) -> int:
    if value in (None, ""):
        value = current_start_year(school)
        if value is None:
            raise ValidationError({"start_year": f"{school.name} chưa có năm học hiện tại; hãy nhập năm học."})
    if isinstance(value, bool) or not isinstance(value, int):
        value = as_id(value, strip=True)
    if value is None or not FIRST_YEAR <= value <= LAST_YEAR:
        raise ValidationError({"start_year": "Năm học (năm bắt đầu) phải là một năm có bốn chữ số, ví dụ 2025."})
    return value


def formula_problem(exam: Exam) -> str | None:
    """Why the graduation score of ``exam`` cannot be computed (no formula for the year it is held: the exam of
    the school year ``start_year`` is held in ``start_year + 1``), or None."""
    try:
        rules.graduation_formula(exam.start_year + 1)
    except ValueError:
        return (
            f"Kỳ thi “{exam.name}” tổ chức năm {exam.start_year + 1}: hệ thống chỉ có công thức điểm xét tốt nghiệp "
            "THPT cho các kỳ thi từ năm 2020, nên không xét công nhận tốt nghiệp theo kỳ thi này được."
        )
    return None


def _graduation_exam(actor, exam) -> Exam:
    """The graduation exam of a THPT round, through the door: another unit's exam is "not found", like a number
    that names no exam (the callers' relation fields show the same); one the actor sees but does not organise is
    a refusal."""
    if exam in (None, ""):
        raise ValidationError({"exam": "Hãy chọn kỳ thi tốt nghiệp THPT đã công bố kết quả."})
    pk = exam.pk if isinstance(exam, Exam) else as_id(exam, strip=True)
    found = visible_to(actor, Exam).select_related("unit").filter(pk=pk).first() if pk and _acting(actor) else None
    if found is None:
        raise ValidationError({"exam": "Không tìm thấy kỳ thi."})
    if found.kind != ExamKind.GRADUATION:
        raise ValidationError({"exam": "Chỉ xét công nhận tốt nghiệp THPT theo một kỳ thi tốt nghiệp THPT."})
    if not is_organiser(actor, found):
        raise PermissionDenied(MSG_NOT_EXAM_RUNNER)
    if not found.is_published():
        raise ValidationError(
            {"exam": "Kết quả kỳ thi chưa công bố; chỉ xét công nhận tốt nghiệp sau khi công bố kết quả thi."}
        )
    problem = formula_problem(found)
    if problem:
        raise ValidationError({"exam": problem})
    return found


def create_round(actor, *, level: str, start_year=None, exam=None, note: str = "") -> GraduationRound:
    """Open a graduation round. THCS: for the actor's own school (a principal or school admin acting in a school
    that teaches grade 9), for ``start_year`` (default: the school's current year). THPT: for ``exam`` (a published
    graduation exam the actor organises; the round belongs to the exam's unit and year). The number is the next one
    of that unit, level and year: refused while an earlier round is not decided, and for a third round."""
    if level not in GraduationLevel.values:
        raise ValidationError({"level": "Hãy chọn cấp xét công nhận tốt nghiệp (THCS hoặc THPT)."})
    with transaction.atomic(), acting_here(actor):
        if level == GraduationLevel.THCS:
            if exam not in (None, ""):
                raise ValidationError({"exam": "Đợt xét công nhận tốt nghiệp THCS không gắn với kỳ thi nào."})
            if not _acting(actor) or actor.role not in SCHOOL_REGISTRARS:
                raise PermissionDenied(MSG_NOT_SCHOOL_RUNNER)
            unit = actor.unit
            if unit.kind not in SCHOOL_LEVEL_KINDS or THCS_GRADE not in unit.grades:
                raise ValidationError(
                    {"level": f"{unit.name} không dạy lớp 9 nên không xét công nhận tốt nghiệp THCS."}
                )
            start_year = _start_year(unit, start_year)
            issuer = issuer_for(unit, DiplomaKind.THCS)
        else:
            exam = _graduation_exam(actor, exam)
            unit, start_year = exam.unit, exam.start_year
            issuer = issuer_for(unit, DiplomaKind.THPT)
        existing = list(
            GraduationRound.objects.select_for_update()
            .filter(unit=unit, level=level, start_year=start_year)
            .order_by("number")
        )
        pending = [r for r in existing if r.status != RoundStatus.DECIDED]
        if pending:
            raise ValidationError(
                f"Đợt {pending[0].number} năm học {start_year}–{start_year + 1} chưa có quyết định công nhận; "
                "chỉ mở đợt sau khi đợt trước đã được công nhận."
            )
        try:
            number = rules.next_round_number([r.number for r in existing])
        except ValueError as error:
            raise ValidationError(str(error)) from None
        rnd = GraduationRound(
            unit=unit,
            level=level,
            start_year=start_year,
            number=number,
            exam=exam if level == GraduationLevel.THPT else None,
            issuer=issuer,
            note=nfc(note or ""),
        )
        rnd._change_reason = f"Mở đợt {number} xét công nhận tốt nghiệp"
        try:
            with transaction.atomic():
                rnd.save()
        except IntegrityError:
            raise ValidationError(
                f"Đợt {number} năm học {start_year}–{start_year + 1} vừa được người khác mở; hãy tải lại danh sách."
            ) from None
    return rnd


# --- the council -------------------------------------------------------------------------------------------------


def council_problems(rnd: GraduationRound, members: Iterable[GraduationCouncilMember] | None = None) -> list[str]:
    """What keeps the round's council from deciding (TT31/2023: THCS only; a THPT recognition has no council
    minimum). ``members``: the council already read, to save a query."""
    if rnd.level != GraduationLevel.THCS:
        return []
    if members is None:
        roles = list(GraduationCouncilMember.objects.filter(round=rnd).values_list("role", flat=True))
    else:
        roles = [m.role for m in members]
    return rules.council_problems(roles)


def _member_values(rnd, *, full_name, position, role, user, member=None) -> dict:
    errors: dict[str, str] = {}
    if user in ("", None):
        user = None
    elif not isinstance(user, User):
        pk = as_id(user, strip=True)
        user = User.objects.filter(pk=pk).first() if pk else None
        if user is None:
            errors["user"] = "Không tìm thấy tài khoản."
    if user is not None and "user" not in errors:
        staff = Membership.objects.active().filter(user=user, unit=rnd.unit, role__in=STAFF_ROLES)
        if not staff.exists():
            errors["user"] = f"Chỉ chọn tài khoản của cán bộ, giáo viên thuộc {rnd.unit.name}."
        elif (
            GraduationCouncilMember.objects.filter(round=rnd, user=user)
            .exclude(pk=getattr(member, "pk", None))
            .exists()
        ):
            errors["user"] = "Người này đã có trong hội đồng."
    full_name = nfc(full_name or "")
    if not full_name and user is not None and "user" not in errors:
        full_name = nfc(user.full_name or "")
    if not full_name:
        errors["full_name"] = "Chưa nhập họ và tên thành viên hội đồng."
    elif len(full_name) > 150:
        errors["full_name"] = "Họ và tên dài quá 150 ký tự."
    position = nfc(position or "")
    if len(position) > 120:
        errors["position"] = "Chức vụ dài quá 120 ký tự."
    if role not in CouncilRole.values:
        errors["role"] = "Hãy chọn nhiệm vụ trong hội đồng (Chủ tịch, Phó Chủ tịch, Thư ký, Ủy viên)."
    if errors:
        raise ValidationError(errors)
    return {"full_name": full_name, "position": position, "role": role, "user": user}


def add_council_member(
    actor, rnd: GraduationRound, *, full_name: str = "", position: str = "", role: str, user=None, order=None
) -> GraduationCouncilMember:
    """Add a member to the round's council (while it is a draft); ``user`` optionally links a staff account of the
    round's unit, whose name is taken when ``full_name`` is blank."""
    with transaction.atomic(), acting_here(actor):
        rnd = _draft_round(actor, rnd, "sửa hội đồng")
        values = _member_values(rnd, full_name=full_name, position=position, role=role, user=user)
        if order in (None, ""):
            last = GraduationCouncilMember.objects.filter(round=rnd).aggregate(m=Max("order"))["m"]
            order = (last or 0) + 1
        member = GraduationCouncilMember(round=rnd, order=order, **values)
        member._change_reason = "Thêm thành viên hội đồng"
        member.save()
    return member


def update_council_member(
    actor, member: GraduationCouncilMember, *, full_name=None, position=None, role=None, user=..., order=None
) -> GraduationCouncilMember:
    """Change a member's name, position, role, account or order (while the round is a draft); an argument left
    out keeps its value (``user``: left out keeps the account, None unlinks it)."""
    with transaction.atomic(), acting_here(actor):
        rnd = _draft_round(actor, member.round_id, "sửa hội đồng")
        member = GraduationCouncilMember.objects.select_for_update().get(pk=member.pk)
        values = _member_values(
            rnd,
            full_name=member.full_name if full_name is None else full_name,
            position=member.position if position is None else position,
            role=member.role if role is None else role,
            user=member.user if user is ... else user,
            member=member,
        )
        for name, value in values.items():
            setattr(member, name, value)
        if order not in (None, ""):
            member.order = order
        member._change_reason = "Sửa thành viên hội đồng"
        member.save()
    return member


def remove_council_member(actor, member: GraduationCouncilMember) -> GraduationRound:
    """Remove a member from the council of a draft round (the history keeps the row)."""
    with transaction.atomic(), acting_here(actor):
        rnd = _draft_round(actor, member.round_id, "sửa hội đồng")
        member = GraduationCouncilMember.objects.get(pk=member.pk)
        member._change_reason = "Bỏ thành viên khỏi hội đồng"
        member.delete()
    return rnd


# --- the review ------------------------------------------------------------------------------------------------


def _last_round(rnd: GraduationRound) -> bool:
    return rnd.number >= rules.GRADUATION_ROUNDS_PER_YEAR


def _earlier_recognised(rnd: GraduationRound, key: str) -> set[int]:
    """Learners (``student_id`` or ``candidate_id``) recognised in an earlier decided round of the same unit, level
    and year: round 2 does not review them again."""
    if rnd.number <= 1:
        return set()
    return set(
        GraduationEntry.objects.filter(
            round__unit_id=rnd.unit_id,
            round__level=rnd.level,
            round__start_year=rnd.start_year,
            round__number__lt=rnd.number,
            round__status=RoundStatus.DECIDED,
            recognised=True,
            **{f"{key}__isnull": False},
        ).values_list(key, flat=True)
    )


def _thcs_rows(rnd: GraduationRound) -> list[dict]:
    """One row per grade-9 learner of the school's year (``final_year_results``: two queries), with the verdict of
    ``rules.thcs_graduation``. In the year's last round nobody "may retry" (no later round this year)."""
    from students.selectors import final_year_results

    done = _earlier_recognised(rnd, "student_id")
    last = _last_round(rnd)
    rows = []
    for result in final_year_results(rnd.unit, rnd.start_year, THCS_GRADE):
        student = result["student"]
        if student.pk in done:
            continue
        verdict = rules.thcs_graduation(
            result["outcome"] or None,
            learning=result["learning"] or "",
            conduct=result["conduct"] or "",
            absences=int(result["absences"] or 0),
        )
        rows.append(
            {
                "student_id": student.pk,
                "school_id": rnd.unit_id,
                "class_name": result["class_name"],
                "full_name": student.full_name,
                "birth_date": student.birth_date,
                "sex": student.sex,
                "ethnicity": student.ethnicity or "Kinh",
                "birthplace": student.birthplace or "",
                "personal_id": student.personal_id or "",
                "outcome": result["outcome"] or "",
                "learning": result["learning"] or "",
                "conduct": result["conduct"] or "",
                "absences": int(result["absences"] or 0),
                "recognised": verdict.recognised,
                "reasons": list(verdict.reasons),
                "may_retry": verdict.may_retry and not last,
            }
        )
    return rows


def _thpt_rows(rnd: GraduationRound) -> list[dict]:
    """The rows of ``exams.services.graduation_thpt.thpt_entries`` (the exam's candidates with their graduation
    score and verdict), relations given as objects or ids."""
    if rnd.exam_id is None or not rnd.exam.is_published():
        raise ValidationError("Kết quả kỳ thi tốt nghiệp chưa công bố nên chưa xét công nhận được.")
    problem = formula_problem(rnd.exam)
    if problem:
        raise ValidationError({"exam": problem})
    from .graduation_thpt import thpt_entries

    try:
        raw_rows = thpt_entries(rnd)
    except ValueError as error:  # the exam's year or kind has no formula (checked above; kept as a safety net)
        raise ValidationError({"exam": str(error)}) from None
    done = _earlier_recognised(rnd, "candidate_id")
    rows = []
    for raw in raw_rows:
        row = {}
        for name, value in raw.items():
            if name in ("candidate", "student", "school"):
                row[f"{name}_id"] = getattr(value, "pk", value)
            elif f"{name}_id" in SNAPSHOT_FIELDS and name not in SNAPSHOT_FIELDS:
                row[f"{name}_id"] = value
            elif name in SNAPSHOT_FIELDS:
                row[name] = value
        if row.get("candidate_id") in done:
            continue
        row["reasons"] = list(row.get("reasons") or [])
        row["may_retry"] = bool(row.get("may_retry")) and not _last_round(rnd)
        rows.append(row)
    return rows


def _complete(row: dict) -> dict:
    """A row with every snapshot field, texts in NFC and cut to their columns."""
    values = {**_DEFAULTS, **row}
    for name, size in _MAX_LENGTHS.items():
        values[name] = nfc(values[name] or "")[:size]
    values["full_name"] = nfc(values["full_name"])
    values["ethnicity"] = values["ethnicity"] or "Kinh"
    values["reasons"] = list(values["reasons"] or [])
    values["tests"] = list(values["tests"] or [])
    return values


def _with_council(row: dict, entry: GraduationEntry | None, rnd: GraduationRound) -> dict:
    """The council's exclusion survives a new review: an excluded learner stays not recognised, reason "council"."""
    if entry is None or not entry.excluded:
        return row
    return {
        **row,
        "recognised": False,
        "reasons": [r for r in row["reasons"] if r != "council"] + ["council"],
        "may_retry": not _last_round(rnd),
    }


@dataclass
class Plan:
    """What a review would write: new entries, changed entries (and their fields), entries to remove."""

    create: list[GraduationEntry] = field(default_factory=list)
    update: list[GraduationEntry] = field(default_factory=list)
    remove: list[GraduationEntry] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.create or self.update or self.remove)


def _plan(rnd: GraduationRound) -> Plan:
    rows = _thcs_rows(rnd) if rnd.level == GraduationLevel.THCS else _thpt_rows(rnd)
    key = "student_id" if rnd.level == GraduationLevel.THCS else "candidate_id"
    existing: dict[int, GraduationEntry] = {}
    plan, seen = Plan(), set()
    for entry in GraduationEntry.objects.filter(round=rnd).order_by("pk"):
        ident = getattr(entry, key)
        if ident is None or ident in existing:
            plan.remove.append(entry)  # not a learner the review lists (or listed twice): not kept in a draft
        else:
            existing[ident] = entry
    for raw in rows:
        row = _complete(raw)
        ident = row[key]
        if ident is None or ident in seen:
            continue
        seen.add(ident)
        entry = existing.get(ident)
        row = _with_council(row, entry, rnd)
        if entry is None:
            entry = GraduationEntry(round=rnd, **row)
            entry.search_key, entry.sort_key = search_key(entry.full_name), sort_key(entry.full_name)
            plan.create.append(entry)
            continue
        changed = [name for name in SNAPSHOT_FIELDS if getattr(entry, name) != row[name]]
        if changed:
            for name in changed:
                setattr(entry, name, row[name])
            entry.search_key, entry.sort_key = search_key(entry.full_name), sort_key(entry.full_name)
            plan.update.append(entry)
    plan.remove += [e for ident, e in existing.items() if ident not in seen]
    return plan


def review(actor, rnd: GraduationRound) -> dict:
    """ "Xét": build or refresh the round's entries (a draft round, by who runs it). Unchanged entries are not
    written (no history), the council's exclusions and notes are kept, learners no longer listed are removed.
    Returns the counts: entries, recognised, not_recognised, added, updated, removed; and ``warnings``
    (``warnings``: e.g. no priority line for the exam)."""
    with transaction.atomic(), acting_here(actor):
        rnd = _draft_round(actor, rnd, "xét lại")
        plan = _plan(rnd)
        if plan.create:
            bulk_create_with_history(
                plan.create, GraduationEntry, actor=actor, default_change_reason="Xét công nhận tốt nghiệp"
            )
        if plan.update:
            bulk_update_with_history(
                plan.update,
                GraduationEntry,
                [*SNAPSHOT_FIELDS, "search_key", "sort_key"],
                actor=actor,
                default_change_reason="Xét lại",
            )
        if plan.remove:
            bulk_delete_with_history(plan.remove, GraduationEntry, actor=actor)
        rnd.reviewed_at = timezone.now()
        fields = ["reviewed_at", *_use_issuer(rnd, _current_issuer(rnd)[0])]
        rnd._change_reason = "Xét công nhận tốt nghiệp"
        rnd.save(update_fields=fields)
        counts = summary(GraduationEntry.objects.filter(round=rnd))
        notes = warnings(rnd)
    return {
        "entries": counts["total"],
        "recognised": counts["recognised"],
        "not_recognised": counts["not_recognised"],
        "added": len(plan.create),
        "updated": len(plan.update),
        "removed": len(plan.remove),
        "warnings": notes,
    }


MSG_NO_PRIORITY = (
    "Kỳ thi chưa có đối tượng ưu tiên nào trong bảng điểm ưu tiên, khuyến khích: điểm ưu tiên của mọi thí sinh "
    "được tính bằng 0 cho đến khi đơn vị tổ chức cấu hình các đối tượng ưu tiên cho kỳ thi (rồi bấm “Xét” lại)."
)


def warnings(rnd: GraduationRound) -> list[str]:
    """What the people running the round should know before deciding, though nothing forbids it: a THPT round
    whose exam has no priority line (a graduation exam gets no default table: every candidate's priority points
    are then 0); a round not decided yet whose issuer cannot recognise it (``_current_issuer``). Two queries."""
    notes = []
    if (
        rnd.level == GraduationLevel.THPT
        and rnd.exam_id is not None
        and not PointRule.objects.filter(exam_id=rnd.exam_id, kind=PointRule.Kind.PRIORITY).exists()
    ):
        notes.append(MSG_NO_PRIORITY)
    if rnd.status != RoundStatus.DECIDED:
        problem = _current_issuer(rnd)[1]
        if problem:
            notes.append(problem)
    return notes


def summary(entries: QuerySet) -> dict:
    """Counts of ``entries`` (already through the door): total, recognised, not recognised, excluded by the council,
    may be reviewed in a later round. One query."""
    counts = entries.order_by().aggregate(
        n_total=Count("pk"),
        n_recognised=Count("pk", filter=Q(recognised=True)),
        n_excluded=Count("pk", filter=Q(excluded=True)),
        n_may_retry=Count("pk", filter=Q(recognised=False, may_retry=True)),
    )
    counts = {name[2:]: value for name, value in counts.items()}
    counts["not_recognised"] = counts["total"] - counts["recognised"]
    return counts


# --- the council's exclusions --------------------------------------------------------------------------------------


def _locked_entry(actor, entry: GraduationEntry, doing: str) -> tuple[GraduationRound, GraduationEntry]:
    rnd = _draft_round(actor, entry.round_id, doing)
    entry = GraduationEntry.objects.select_for_update().get(pk=entry.pk)
    entry.round = rnd
    return rnd, entry


def exclude_entry(actor, entry: GraduationEntry, note: str) -> GraduationEntry:
    """The council does not recognise a learner the rule recognises (under criminal prosecution, a missing dossier…):
    reason "council" with the council's ``note`` (required). Only while the round is a draft."""
    note = nfc(note or "")
    with transaction.atomic(), acting_here(actor):
        rnd, entry = _locked_entry(actor, entry, "sửa danh sách")
        if not note:
            raise ValidationError(
                {"note": "Hãy ghi rõ lý do hội đồng không công nhận (ví dụ: đang bị truy cứu trách nhiệm hình sự)."}
            )
        if len(note) > 500:
            raise ValidationError({"note": "Ghi chú của hội đồng dài quá 500 ký tự."})
        if entry.excluded:
            raise ValidationError(f"Hội đồng đã ghi không công nhận {entry.full_name}.")
        if not entry.recognised:
            raise ValidationError(f"{entry.full_name} không đủ điều kiện công nhận theo quy định (xem lý do).")
        entry.excluded, entry.recognised, entry.note = True, False, note
        entry.reasons = [*entry.reasons, "council"]
        entry.may_retry = not _last_round(rnd)
        entry._change_reason = _reason(f"Hội đồng không công nhận: {note}")
        entry.save()
    return entry


def _rule_may_retry(entry: GraduationEntry, rnd: GraduationRound) -> bool:
    if rnd.level != GraduationLevel.THCS or _last_round(rnd):
        return False
    return rules.thcs_graduation(
        entry.outcome or None, learning=entry.learning, conduct=entry.conduct, absences=entry.absences
    ).may_retry


def include_entry(actor, entry: GraduationEntry) -> GraduationEntry:
    """Undo the council's exclusion: the learner gets back the rule's verdict (recognised only when the rule has no
    other reason — the council never recognises someone the rule refuses). Only while the round is a draft."""
    with transaction.atomic(), acting_here(actor):
        rnd, entry = _locked_entry(actor, entry, "sửa danh sách")
        if not entry.excluded:
            raise ValidationError(f"Hội đồng chưa ghi không công nhận {entry.full_name}.")
        entry.reasons = [r for r in entry.reasons if r != "council"]
        entry.recognised = not entry.reasons
        entry.may_retry = False if entry.recognised else _rule_may_retry(entry, rnd)
        entry.excluded, entry.note = False, ""
        entry._change_reason = "Hội đồng bỏ ghi không công nhận"
        entry.save()
    return entry


# --- propose, send back, decide ---------------------------------------------------------------------------------


def propose(actor, rnd: GraduationRound) -> GraduationRound:
    """ "Trình": a THCS round goes to the decider. The council must be complete (``rules.council_problems``), the
    list not empty, the entries current (the results have not changed since the last review), and an issuer that
    may recognise the round (``_current_issuer``: the current one is stored)."""
    with transaction.atomic(), acting_here(actor):
        rnd = _draft_round(actor, rnd, "trình công nhận")
        if rnd.level != GraduationLevel.THCS:
            raise ValidationError("Đợt công nhận tốt nghiệp THPT không qua bước trình: Sở xét và công nhận trực tiếp.")
        problems = council_problems(rnd)
        if problems:
            raise ValidationError(["Chưa trình được vì hội đồng chưa đủ điều kiện:", *problems])
        if not GraduationEntry.objects.filter(round=rnd).exists():
            raise ValidationError("Danh sách xét còn trống; hãy bấm “Xét” để lập danh sách trước khi trình.")
        if not _plan(rnd).empty:
            raise ValidationError(
                "Kết quả cuối năm của học sinh đã thay đổi sau lần xét gần nhất; hãy bấm “Xét” lại trước khi trình."
            )
        issuer, problem = _current_issuer(rnd)
        if problem:
            raise ValidationError(problem)
        fields = _use_issuer(rnd, issuer)
        rnd.status = RoundStatus.PROPOSED
        rnd.proposed_at, rnd.proposed_by = timezone.now(), actor.user
        rnd._change_reason = "Trình công nhận tốt nghiệp"
        rnd.save(update_fields=["status", "proposed_at", "proposed_by", *fields])
    return rnd


def return_round(actor, rnd: GraduationRound, note: str) -> GraduationRound:
    """ "Trả lại": the decider sends a proposed round back to the school as a draft, saying why (``note``). The
    proposal is undone (``proposed_at``/``proposed_by`` cleared: the next "Trình" records its own), and the reason
    is added to the round's note ("Trả lại dd/mm/yyyy: …"), the school's own note kept above it."""
    note = nfc(note or "")
    with transaction.atomic(), acting_here(actor):
        rnd = _lock(rnd)
        issuer, problem = _current_issuer(rnd)
        fields = [] if problem else _use_issuer(rnd, issuer)
        if not (_decides_without_issuer(actor, rnd) if problem else may_decide(actor, rnd)):
            raise PermissionDenied(MSG_NOT_DECIDER)
        if rnd.status != RoundStatus.PROPOSED:
            raise ValidationError("Chỉ trả lại được đợt xét đang trình công nhận.")
        if not note:
            raise ValidationError({"note": "Hãy ghi lý do trả lại để nhà trường chỉnh sửa."})
        line = f"Trả lại {_date_text(timezone.localdate())}: {note}"
        rnd.note = f"{rnd.note.rstrip()}\n{line}" if rnd.note.strip() else line
        rnd.status, rnd.proposed_at, rnd.proposed_by = RoundStatus.DRAFT, None, None
        rnd._change_reason = _reason(f"Trả lại: {note}")
        rnd.save(update_fields=["status", "note", "proposed_at", "proposed_by", *fields])
    return rnd


def _decision_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date) or value in (None, ""):
        return value or None
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(str(value).strip(), fmt).date()
        except ValueError:
            continue
    raise ValidationError({"decision_date": "Ngày ký quyết định phải theo dạng dd/mm/yyyy."})


def _earliest_decision(rnd: GraduationRound) -> tuple[dt.date, str]:
    """The earliest date a decision on ``rnd`` may bear, and what it is in words: a THCS round is decided on what
    the school proposed (not before the proposal's day), a THPT round on the exam's results (not before their
    publication's day)."""
    if rnd.level == GraduationLevel.THCS:
        when = rnd.proposed_at or rnd.created_at
        return timezone.localdate(when), "nhà trường trình công nhận"
    when = rnd.exam.results_publish_at if rnd.exam_id and rnd.exam.results_publish_at else rnd.created_at
    return timezone.localdate(when), "công bố kết quả kỳ thi"


def default_signer(rnd: GraduationRound) -> str:
    """The signer the issuer's configuration suggests ("Giám đốc Nguyễn Văn A"), or ""."""
    if rnd.issuer_id is None:
        return ""
    return nfc(f"{rnd.issuer.signer_title} {rnd.issuer.signer_name}")


def decide(
    actor, rnd: GraduationRound, *, decision_number: str, decision_date, decision_signer: str = ""
) -> GraduationRound:
    """ "Công nhận": record the recognition decision (number, date — not in the future, not before the proposal's
    day (THCS) or the results' publication (THPT) —, signer, by default the issuer's). THCS: a proposed round;
    THPT: a draft round with entries. The issuer is looked up again first (``_current_issuer``). Afterwards
    nothing in the round changes; the register issues the diplomas of its recognised entries."""
    with transaction.atomic(), acting_here(actor):
        rnd = _lock(rnd)
        if rnd.status == RoundStatus.DECIDED:
            if not may_decide(actor, rnd):
                raise PermissionDenied(MSG_NOT_DECIDER)
            raise ValidationError(f"Đợt xét đã có quyết định công nhận số {rnd.decision_number}.")
        issuer, problem = _current_issuer(rnd)
        if problem:
            if not _decides_without_issuer(actor, rnd):
                raise PermissionDenied(MSG_NOT_DECIDER)
            raise ValidationError(problem)
        fields = _use_issuer(rnd, issuer)
        if not may_decide(actor, rnd):
            raise PermissionDenied(MSG_NOT_DECIDER)
        if rnd.level == GraduationLevel.THCS:
            if rnd.status != RoundStatus.PROPOSED:
                raise ValidationError("Nhà trường chưa trình công nhận đợt xét này.")
            problems = council_problems(rnd)
            if problems:
                raise ValidationError(["Hội đồng xét chưa đủ điều kiện:", *problems])
        else:
            if not GraduationEntry.objects.filter(round=rnd).exists():
                raise ValidationError("Danh sách xét còn trống; hãy bấm “Xét” để lập danh sách trước khi công nhận.")
            if not _plan(rnd).empty:
                raise ValidationError(
                    "Kết quả thi hoặc điểm trung bình các năm học đã thay đổi (ví dụ sau phúc khảo) từ lần xét gần "
                    "nhất; hãy bấm “Xét” lại trước khi công nhận."
                )
        errors: dict[str, str] = {}
        number = nfc(decision_number or "")
        if not number:
            errors["decision_number"] = "Chưa nhập số quyết định công nhận tốt nghiệp."
        elif len(number) > 60:
            errors["decision_number"] = "Số quyết định dài quá 60 ký tự."
        try:
            date = _decision_date(decision_date)
        except ValidationError as error:
            errors.update({k: v[0] for k, v in error.message_dict.items()})
            date = None
        if date is None and "decision_date" not in errors:
            errors["decision_date"] = "Chưa nhập ngày ký quyết định."
        elif date is not None and date > timezone.localdate():
            errors["decision_date"] = "Ngày ký quyết định không được sau ngày hôm nay."
        elif date is not None and date < (earliest := _earliest_decision(rnd))[0]:
            errors["decision_date"] = (
                f"Ngày ký quyết định không được trước ngày {earliest[1]} ({_date_text(earliest[0])})."
            )
        signer = nfc(decision_signer or "") or default_signer(rnd)
        if not signer:
            errors["decision_signer"] = "Chưa nhập người ký quyết định (chức danh và họ tên)."
        elif len(signer) > 255:
            errors["decision_signer"] = "Người ký quyết định dài quá 255 ký tự."
        if errors:
            raise ValidationError(errors)
        rnd.decision_number, rnd.decision_date, rnd.decision_signer = number, date, signer
        rnd.status = RoundStatus.DECIDED
        rnd.decided_at, rnd.decided_by = timezone.now(), actor.user
        rnd._change_reason = _reason(f"Công nhận tốt nghiệp theo quyết định số {number} ngày {_date_text(date)}")
        rnd.save(
            update_fields=[
                "decision_number",
                "decision_date",
                "decision_signer",
                "status",
                "decided_at",
                "decided_by",
                *fields,
            ]
        )
    return rnd


# --- reading --------------------------------------------------------------------------------------------------------


def entries_for(actor, rnd: GraduationRound) -> QuerySet:
    """The round's entries ``actor`` may read (a school reads its own learners of a round run above it), in the
    printed order: school, class, Vietnamese name order."""
    return (
        visible_to(actor, GraduationEntry)
        .filter(round=rnd)
        .select_related("school")
        .order_by("school__name", "class_name", "sort_key", "pk")
    )


def council_of(actor, rnd: GraduationRound) -> list[GraduationCouncilMember]:
    """The round's council as the door shows it to ``actor``, in order."""
    return list(
        visible_to(actor, GraduationCouncilMember).filter(round=rnd).select_related("user").order_by("order", "pk")
    )
