"""Families (issue 6, point 3): accounts for learners and their parents, created in bulk per
class with printed login slips, passwords reissued, and the family's own view of a child.

Accounts
--------
``plan_accounts`` (the preview, no writes) and ``create_accounts`` (the confirm, one
transaction) look at the learners currently enrolled in a class:

* a learner without an account gets one (``Student.user``, role STUDENT at the school);
* a guardian without an account gets one (``Guardian.user``, role PARENT at the school). Two
  guardian rows with the same name and phone (a mother of two learners of the school) are
  one person: ONE account linked to both rows — and when a sibling's row at the school is
  already linked to an account, the new row is linked to that account (no second password);
* a guardian without a name or a phone is skipped, with the reason, so the school completes
  the record first (the phone is how the school tells two namesakes apart).

Usernames are deterministic, unique and readable: ``hs`` + the learner code for a learner
(``hs3700000001``), ``cha``/``me``/``gh`` + the learner code of the (first) child for a
parent (``me3700000001``); a name already taken gets ``.2``, ``.3``…

Passwords: a temporary password per new account, ``must_change_password`` set (the login
middleware forces the change at the first login). The password exists in clear only on the
login slips: one PDF kept as a private ``StoredFile`` (purpose ``login-slips``) of the person
who ran the action, readable by nobody else (not the school's other admins, not Phòng/Sở)
and expiring after 24 hours, like the bulk account import (sms.accounts.resources).

Password hashing is slow on purpose (PBKDF2, about 0.3–0.7 s an account on one core): a
class of ≈45 learners and ≈80 guardians takes a minute or more, so the pages and the API
run the confirm as a background job (students.jobs_families) when more than
``INLINE_LIMIT`` passwords are to be made. The job does NOT return its slips as the job's
output: a Job row is readable by every admin of the subtree and job outputs live 30 days;
the job stores the private, 24-hour slips file itself.

The family view
---------------
``child_record`` gathers, through ``visible_to(actor, …)`` only, what a learner or parent sees
of one child for one school year: individual scores (from submission), semester and year
averages/levels (from approval), conduct, absences (totals and days), outcome and title.
A fixed number of queries, whatever the number of subjects, scores or days.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from sms.accounts.models import Membership, User
from sms.accounts.roles import LEARNER_ROLES, Role
from sms.accounts.scoping import can, visible_to
from sms.accounts.slips import Slip, build_slips, temporary_password
from sms.audit.history import acting_as
from sms.org.catalogue import programme_order
from sms.text import search_key

from .. import rules
from ..models import (
    Absence,
    Enrolment,
    Guardian,
    HomeroomAssessment,
    Period,
    Relation,
    Score,
    Student,
    StudentStatus,
    SubjectResult,
    TermResult,
)
from . import results as results_service

#: who creates and reissues family accounts: the school's leaders, for their own school
MANAGERS = frozenset({Role.PRINCIPAL, Role.SCHOOL_ADMIN})
#: at most this many passwords are made inside the request; more go to a background job
INLINE_LIMIT = 4
SLIPS_PURPOSE = "login-slips"
SLIPS_HOURS = 24

NEW = "new"
LINK = "link"
EXISTING = "existing"
SKIPPED = "skipped"

STUDENT_PREFIX = "hs"
PARENT_PREFIX = {Relation.FATHER: "cha", Relation.MOTHER: "me", Relation.GUARDIAN: "gh"}

NOT_MANAGER = (
    "Chỉ hiệu trưởng hoặc quản trị nhà trường tạo và cấp lại tài khoản cho học sinh và cha mẹ của trường mình."
)
LINK_NOTE = "Đã có tài khoản (cha mẹ của học sinh khác của trường): chỉ liên kết thêm, không đổi mật khẩu."
NOT_LEARNER = "Trang này dành cho học sinh và cha mẹ học sinh."


# --- who may -----------------------------------------------------------------------------------------------


def may_manage(actor, school_class) -> bool:
    return (
        actor is not None
        and actor.role in MANAGERS
        and school_class.school_id == actor.unit_id
        and can(actor, "change", school_class)
    )


def check_manager(actor, school_class) -> None:
    if not may_manage(actor, school_class):
        raise PermissionDenied(NOT_MANAGER)


# --- planning (no writes) -------------------------------------------------------------------------------


@dataclass
class Account:
    """One account of the plan: to create (NEW), to link a guardian row to (LINK), already there
    (EXISTING, perhaps missing its role at the school), or not made (SKIPPED, with the reason)."""

    kind: str  # Role.STUDENT or Role.PARENT
    status: str
    full_name: str
    relation: str  # "Học sinh", "Cha", "Mẹ", "Người giám hộ"
    learners: list[str]  # the learners the account is (or will be) linked to
    username: str = ""
    phone: str = ""
    note: str = ""
    student_ids: list[int] = field(default_factory=list)
    guardian_ids: list[int] = field(default_factory=list)  # rows to link (NEW, LINK)
    user_id: int | None = None
    needs_membership: bool = False

    @property
    def role_label(self) -> str:
        return Role(self.kind).label


@dataclass
class Plan:
    school_class: object
    accounts: list[Account]

    def of(self, status: str) -> list[Account]:
        return [a for a in self.accounts if a.status == status]

    @property
    def new(self) -> list[Account]:
        return self.of(NEW)

    @property
    def linked(self) -> list[Account]:
        return self.of(LINK)

    @property
    def existing(self) -> list[Account]:
        return self.of(EXISTING)

    @property
    def skipped(self) -> list[Account]:
        return self.of(SKIPPED)

    @property
    def memberships_missing(self) -> list[Account]:
        return [a for a in self.existing if a.needs_membership]

    def counts(self) -> dict:
        return {
            "new_students": sum(1 for a in self.new if a.kind == Role.STUDENT),
            "new_parents": sum(1 for a in self.new if a.kind == Role.PARENT),
            "linked": len(self.linked),
            "existing": len(self.existing),
            "memberships_missing": len(self.memberships_missing),
            "skipped": len(self.skipped),
        }

    @property
    def has_work(self) -> bool:
        return bool(self.new or self.linked or self.memberships_missing)


def phone_key(phone: str) -> str:
    """Digits of a phone number, +84… read as 0…: "0912 345 678" and "+84912345678" are one."""
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("84") and len(digits) >= 11:
        digits = "0" + digits[2:]
    return digits


def person_key(full_name: str, phone: str) -> tuple[str, str]:
    return (search_key(full_name or ""), phone_key(phone))


def current_enrolments(actor, school_class):
    """The learners in the class now (not left), through the door, in class-list order."""
    today = timezone.localdate()
    return (
        visible_to(actor, Enrolment)
        .filter(school_class=school_class)
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=today))
        .select_related("student")
        .order_by("student__sort_key", "student_id")
    )


def _skip_reason(guardian: Guardian) -> str:
    missing = []
    if not (guardian.full_name or "").strip():
        missing.append("họ và tên")
    if not phone_key(guardian.phone):
        missing.append("số điện thoại")
    if not missing:
        return ""
    who = guardian.get_relation_display().lower()
    return f"Chưa có {' và '.join(missing)} của {who}: hãy bổ sung hồ sơ học sinh trước."


def plan_accounts(actor, school_class) -> Plan:
    """Who gets an account, who has one, who is skipped and why — nothing is written."""
    check_manager(actor, school_class)
    enrolments = list(current_enrolments(actor, school_class))
    students = [e.student for e in enrolments]
    student_ids = [s.pk for s in students]
    by_student = {s.pk: s for s in students}
    guardians = list(
        visible_to(actor, Guardian).filter(student_id__in=student_ids).order_by("student_id", "relation", "pk")
    )
    order = {pk: i for i, pk in enumerate(student_ids)}
    guardians.sort(key=lambda g: (order[g.student_id], g.relation, g.pk))

    # The same person elsewhere in the school (a sibling in another class): rows with the same name.
    names = {g.full_name for g in guardians if not _skip_reason(g)}
    elsewhere = (
        list(
            visible_to(actor, Guardian)
            .filter(student__school_id=actor.unit_id, student__status=StudentStatus.STUDYING, full_name__in=names)
            .exclude(student_id__in=student_ids)
            .select_related("student", "user")
            .order_by("student__sort_key", "pk")
        )
        if names
        else []
    )
    users = {g.user_id: g.user for g in elsewhere if g.user_id}
    linked_user_ids = {s.user_id for s in students if s.user_id} | {g.user_id for g in guardians if g.user_id}
    if linked_user_ids - set(users):
        users.update({u.pk: u for u in User.objects.filter(pk__in=linked_user_ids - set(users))})
    holding = set(
        visible_to(actor, Membership)
        .active()
        .filter(unit_id=actor.unit_id, role__in=[Role.STUDENT, Role.PARENT], user_id__in=linked_user_ids | set(users))
        .values_list("user_id", "role")
    )

    accounts: list[Account] = []
    for student in students:
        account = Account(
            kind=Role.STUDENT,
            status=NEW,
            full_name=student.full_name,
            relation="Học sinh",
            learners=[student.full_name],
            student_ids=[student.pk],
        )
        if student.user_id:
            account.status = EXISTING
            account.user_id = student.user_id
            account.username = users[student.user_id].username
            account.needs_membership = (student.user_id, Role.STUDENT) not in holding
        else:
            account.username = f"{STUDENT_PREFIX}{student.learner_code}"
        accounts.append(account)

    groups: dict[tuple, list[Guardian]] = defaultdict(list)
    for guardian in guardians:
        reason = _skip_reason(guardian)
        if guardian.user_id:
            groups[("user", guardian.user_id)].append(guardian)
        elif reason:
            accounts.append(
                Account(
                    kind=Role.PARENT,
                    status=SKIPPED,
                    full_name=guardian.full_name or "(chưa có họ tên)",
                    relation=guardian.get_relation_display(),
                    learners=[by_student[guardian.student_id].full_name],
                    phone=guardian.phone,
                    note=reason,
                )
            )
        else:
            groups[person_key(guardian.full_name, guardian.phone)].append(guardian)
    others: dict[tuple, list[Guardian]] = defaultdict(list)
    # a row of this class already linked (a twin's, a sibling's) counts as the person's account too
    for guardian in [*elsewhere, *(g for g in guardians if g.user_id)]:
        if phone_key(guardian.phone):
            others[person_key(guardian.full_name, guardian.phone)].append(guardian)

    for key, rows in groups.items():
        first = rows[0]
        learners = list(dict.fromkeys(by_student[g.student_id].full_name for g in rows))
        relation = first.get_relation_display()
        if key[0] == "user":
            user_id = key[1]
            accounts.append(
                Account(
                    kind=Role.PARENT,
                    status=EXISTING,
                    full_name=first.full_name,
                    relation=relation,
                    learners=learners,
                    username=users[user_id].username,
                    phone=first.phone,
                    user_id=user_id,
                    needs_membership=(user_id, Role.PARENT) not in holding,
                )
            )
            continue
        siblings = others.get(key, [])
        with_user = sorted({g.user_id for g in siblings if g.user_id})
        if with_user:
            user = users[with_user[0]]
            accounts.append(
                Account(
                    kind=Role.PARENT,
                    status=LINK,
                    full_name=first.full_name,
                    relation=relation,
                    learners=learners,
                    username=user.username,
                    phone=first.phone,
                    note=LINK_NOTE,
                    guardian_ids=[g.pk for g in rows],
                    user_id=user.pk,
                    needs_membership=(user.pk, Role.PARENT) not in holding,
                )
            )
            continue
        rows = rows + [g for g in siblings if not g.user_id]
        learners = list(dict.fromkeys([*learners, *(g.student.full_name for g in siblings if not g.user_id)]))
        codes = sorted(by_student[g.student_id].learner_code for g in rows if g.student_id in by_student)
        note = ""
        if len(learners) > 1:
            note = f"Một tài khoản cho {len(learners)} học sinh (cùng họ tên và số điện thoại)."
        accounts.append(
            Account(
                kind=Role.PARENT,
                status=NEW,
                full_name=first.full_name,
                relation=relation,
                learners=learners,
                username=f"{PARENT_PREFIX.get(first.relation, 'ph')}{codes[0]}",
                phone=first.phone,
                note=note,
                guardian_ids=[g.pk for g in rows],
            )
        )
    _reserve_usernames([a for a in accounts if a.status == NEW])
    return Plan(school_class=school_class, accounts=accounts)


def _taken(candidates: set[str]) -> set[str]:
    if not candidates:
        return set()
    lowered = {c.lower() for c in candidates}
    found = User.objects.annotate(lname=Lower("username"), lmail=Lower("email")).filter(
        Q(lname__in=lowered) | Q(lmail__in=lowered)
    )
    return {n for pair in found.values_list("lname", "lmail") for n in pair if n in lowered}


def _reserve_usernames(accounts: list[Account]) -> None:
    """Make every planned username unique (in the plan and in the whole system): ``.2``, ``.3``…"""
    taken = _taken({a.username for a in accounts})
    used: set[str] = set()
    for account in accounts:
        base, n = account.username, 1
        candidate = base
        while candidate in taken or candidate in used:
            n += 1
            candidate = f"{base}.{n}"
            if candidate not in used:
                taken |= _taken({candidate})
        account.username = candidate
        used.add(candidate)


# --- writing ----------------------------------------------------------------------------------------------


@dataclass
class Result:
    created_students: int = 0
    created_parents: int = 0
    linked: int = 0
    memberships: int = 0
    reissued: int = 0
    slips_file: object = None

    @property
    def slips_url(self) -> str:
        return self.slips_file.get_absolute_url() if self.slips_file is not None else ""

    def as_dict(self) -> dict:
        return {
            "created_students": self.created_students,
            "created_parents": self.created_parents,
            "linked": self.linked,
            "memberships": self.memberships,
            "reissued": self.reissued,
            "slips_url": self.slips_url,
        }

    @property
    def message(self) -> str:
        parts = []
        if self.created_students or self.created_parents:
            parts.append(
                f"Đã tạo {self.created_students} tài khoản học sinh và {self.created_parents} tài khoản cha mẹ"
            )
        if self.linked:
            parts.append(f"liên kết {self.linked} cha mẹ với tài khoản đã có")
        if self.reissued:
            parts.append(f"Đã cấp lại mật khẩu cho {self.reissued} tài khoản")
        if not parts:
            parts.append("Không có tài khoản nào cần tạo")
        text = "; ".join(parts) + "."
        if self.slips_file is not None:
            text += " Hãy tải phiếu đăng nhập ngay: tệp chỉ bạn tải được và tự xoá sau 24 giờ."
        return text


def _slip_place(school_class) -> str:
    return f"{school_class.school.name} – lớp {school_class.name} ({school_class.school_year})"


def _slip_role(account: Account) -> str:
    if account.kind == Role.STUDENT:
        return "Học sinh"
    return f"{Role.PARENT.label}: {account.relation} của học sinh {', '.join(account.learners)}"


def _store_slips(actor, school_class, slips: list[Slip], site: str, title: str):
    from sms.files.models import StoredFile

    return StoredFile.store(
        unit=actor.unit,
        uploaded_by=actor.user,
        content=build_slips(slips, site=site, title=title),
        name=f"phieu-dang-nhap-lop-{school_class.name}-{timezone.localtime():%Y%m%d-%H%M%S}.pdf",
        purpose=SLIPS_PURPOSE,
        content_type="application/pdf",
        private=True,
        max_bytes=0,
        expires_at=timezone.now() + timedelta(hours=SLIPS_HOURS),
    )


def _check_written(actor, written: list[int]) -> None:
    """Re-read what was written through the door (NetBox's bulk re-read): any mismatch rolls back."""
    if written and visible_to(actor, Membership).filter(pk__in=written).count() != len(set(written)):
        raise PermissionDenied("Dữ liệu ghi ra nằm ngoài phạm vi bạn quản lý; không lưu gì.")


def create_accounts(
    actor, school_class, *, site: str, request=None, progress: Callable[[int, int], None] | None = None
) -> Result:
    """Create the accounts of ``plan_accounts`` (re-planned here, inside the transaction), link them,
    grant the roles, print the slips into a private 24-hour file of the actor. All or nothing."""
    from sms.accounts.services import grant_membership
    from sms.audit.services import EventKind, record

    result = Result()
    with transaction.atomic(), acting_as(actor):
        plan = plan_accounts(actor, school_class)
        # Lock the rows the plan links, so two confirms of the same class cannot both create.
        student_ids = [pk for a in plan.new for pk in a.student_ids]
        guardian_ids = [pk for a in (*plan.new, *plan.linked) for pk in a.guardian_ids]
        students = {s.pk: s for s in Student.objects.select_for_update().filter(pk__in=student_ids)}
        guardians = {g.pk: g for g in Guardian.objects.select_for_update().filter(pk__in=guardian_ids)}
        if any(s.user_id for s in students.values()) or any(g.user_id for g in guardians.values()):
            raise ValidationError("Danh sách vừa thay đổi (có tài khoản vừa được tạo): hãy xem lại trước khi xác nhận.")
        slips: list[Slip] = []
        written: list[int] = []
        place = _slip_place(school_class)
        total = len(plan.new)
        for index, account in enumerate(plan.new, start=1):
            password = temporary_password()
            user = User(
                username=account.username,
                full_name=account.full_name,
                phone=account.phone,
                must_change_password=True,
            )
            user.set_password(password)
            user.save()
            written.append(grant_membership(actor, user=user, unit=actor.unit, role=account.kind).pk)
            for pk in account.student_ids:
                student = students[pk]
                student.user = user
                student.save(update_fields=["user"])
            for pk in account.guardian_ids:
                guardian = guardians[pk]
                guardian.user = user
                guardian.save(update_fields=["user"])
            if account.kind == Role.STUDENT:
                result.created_students += 1
            else:
                result.created_parents += 1
            slips.append(Slip(account.full_name, place, _slip_role(account), user.username, password))
            if progress is not None:
                progress(index, total)
        for account in plan.linked:
            user = User.objects.get(pk=account.user_id)
            for pk in account.guardian_ids:
                guardian = guardians[pk]
                guardian.user = user
                guardian.save(update_fields=["user"])
            written.append(grant_membership(actor, user=user, unit=actor.unit, role=account.kind).pk)
            result.linked += 1
        for account in plan.memberships_missing:
            user = User.objects.get(pk=account.user_id)
            written.append(grant_membership(actor, user=user, unit=actor.unit, role=account.kind).pk)
            result.memberships += 1
        _check_written(actor, written)
        if slips:
            title = f"Phiếu đăng nhập – lớp {school_class.name}"
            result.slips_file = _store_slips(actor, school_class, slips, site, title)
        if plan.has_work:
            record(
                EventKind.ACCOUNTS_CREATED,
                request=request,
                actor=actor,
                obj=school_class,
                detail=(
                    f"Lớp {school_class.name}: {result.created_students} tài khoản học sinh, "
                    f"{result.created_parents} tài khoản cha mẹ mới; {result.linked} liên kết với tài khoản đã có; "
                    f"{result.memberships} vai trò được cấp thêm."
                )[:500],
            )
    return result


# --- reissue ----------------------------------------------------------------------------------------------


@dataclass
class Holder:
    """An account of the class that may get a new temporary password."""

    key: str  # "s<student id>" or "g<guardian id>"
    kind: str
    full_name: str
    relation: str
    learner: str
    username: str
    user_id: int


def holders(actor, school_class) -> list[Holder]:
    """The accounts of the class's current learners and of their guardians (one line per account)."""
    check_manager(actor, school_class)
    enrolments = list(current_enrolments(actor, school_class).select_related("student__user"))
    students = [e.student for e in enrolments]
    found: list[Holder] = []
    for student in students:
        if student.user_id:
            found.append(
                Holder(
                    f"s{student.pk}",
                    Role.STUDENT,
                    student.full_name,
                    "Học sinh",
                    student.full_name,
                    student.user.username,
                    student.user_id,
                )  # fmt: skip
            )
    guardians = (
        visible_to(actor, Guardian)
        .filter(student__in=[s.pk for s in students], user__isnull=False)
        .select_related("user", "student")
        .order_by("student__sort_key", "relation", "pk")
    )
    seen: set[int] = set()
    for g in guardians:
        if g.user_id in seen:
            continue
        seen.add(g.user_id)
        found.append(
            Holder(
                f"g{g.pk}",
                Role.PARENT,
                g.full_name,
                g.get_relation_display(),
                g.student.full_name,
                g.user.username,
                g.user_id,
            )  # fmt: skip
        )
    return found


def pick_holders(actor, school_class, keys) -> list[Holder]:
    """The chosen accounts; a key that is not one of the class's accounts is an error naming it."""
    available = {h.key: h for h in holders(actor, school_class)}
    chosen, unknown = [], []
    for key in dict.fromkeys(str(k) for k in keys):
        if key in available:
            chosen.append(available[key])
        else:
            unknown.append(key)
    if unknown:
        raise ValidationError(
            {"accounts": f"Không tìm thấy tài khoản “{', '.join(unknown)[:100]}” trong lớp {school_class.name}."}
        )
    if not chosen:
        raise ValidationError({"accounts": "Hãy chọn ít nhất một tài khoản để cấp lại mật khẩu."})
    return list({h.user_id: h for h in chosen}.values())


def reissue_passwords(
    actor, school_class, keys, *, site: str, request=None, progress: Callable[[int, int], None] | None = None
) -> Result:
    """New temporary passwords (and slips) for chosen accounts of the class ("cấp lại mật khẩu").
    Each person must be one the actor may reset (sms.accounts.services.check_can_reset: nobody
    holding a role outside the school or above the actor). All or nothing."""
    from sms.accounts.services import reset_password
    from sms.audit.services import EventKind, record

    result = Result()
    with transaction.atomic(), acting_as(actor):
        chosen = pick_holders(actor, school_class, keys)
        held = visible_to(actor, Membership).active()
        held = held.filter(unit_id=actor.unit_id, role__in=[Role.STUDENT, Role.PARENT])
        memberships = {
            (m.user_id, m.role): m
            for m in held.filter(user_id__in=[h.user_id for h in chosen]).select_related("user", "unit")
        }
        slips: list[Slip] = []
        place = _slip_place(school_class)
        for index, holder in enumerate(chosen, start=1):
            membership = memberships.get((holder.user_id, holder.kind))
            if membership is None:
                raise ValidationError(
                    f"{holder.full_name} ({holder.username}) chưa có vai trò {Role(holder.kind).label.lower()} tại "
                    "trường: hãy tạo tài khoản cho lớp trước."
                )
            try:
                password = reset_password(actor, membership)
            except (PermissionDenied, ValidationError) as exc:
                text = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
                raise ValidationError(f"{holder.full_name} ({holder.username}): {text}") from None
            record(
                EventKind.PASSWORD_RESET,
                request=request,
                actor=actor,
                obj=membership.user,
                detail=f"Cấp lại mật khẩu cho {holder.full_name} ({holder.relation}, lớp {school_class.name})"[:500],
            )
            account = Account(
                kind=holder.kind,
                status=NEW,
                full_name=holder.full_name,
                relation=holder.relation,
                learners=[holder.learner],
            )
            slips.append(Slip(holder.full_name, place, _slip_role(account), holder.username, password))
            result.reissued += 1
            if progress is not None:
                progress(index, len(chosen))
        title = f"Phiếu đăng nhập (cấp lại) – lớp {school_class.name}"
        result.slips_file = _store_slips(actor, school_class, slips, site, title)
    return result


def my_slips(actor):
    """The actor's own login-slip files that have not expired (no one else's, whatever the role)."""
    from sms.files.models import StoredFile

    return (
        visible_to(actor, StoredFile)
        .filter(purpose=SLIPS_PURPOSE, uploaded_by=actor.user, unit_id=actor.unit_id, expires_at__gt=timezone.now())
        .order_by("-created_at", "-pk")
    )


# --- the family view ------------------------------------------------------------------------------------


def check_learner(actor) -> None:
    if actor is None or actor.role not in LEARNER_ROLES:
        raise PermissionDenied(NOT_LEARNER)


def children(actor):
    """The learner themself, or a parent's children, through the door."""
    check_learner(actor)
    return visible_to(actor, Student).order_by("sort_key", "pk")


TERM_PERIODS = (Period.SEMESTER_1, Period.SEMESTER_2, Period.YEAR)
PERIOD_LABELS = dict(Period.choices)


def _decimal(value) -> str | None:
    return None if value is None else str(Decimal(value).quantize(Decimal("0.1")))


def _result_data(row: SubjectResult | None, subject, *, primary: bool, excluded: bool | None = None) -> dict | None:
    if row is None:
        return None
    return {
        "average": _decimal(row.average),
        "passed": row.passed,
        "level": row.level,
        "test_score": row.test_score,
        "retest_average": _decimal(row.retest_average),
        "retest_passed": row.retest_passed,
        "excluded": row.excluded if excluded is None else excluded,
        "text": results_service.cell_text(row, subject.assessment, primary=primary, excluded=excluded),
    }


def child_record(actor, student: Student, start_year: int | None = None) -> dict:
    """One child's school year as the family sees it (``start_year`` picks the year; default the latest).

    Every row comes through ``visible_to(actor, …)``: a learner or parent gets scores once the sheet
    is submitted, averages and results once approved (the models' scopes say so). Nine queries,
    whatever the number of subjects, scores or days absent."""
    check_learner(actor)
    enrolments = list(
        visible_to(actor, Enrolment)
        .filter(student=student)
        .select_related("school_class", "school_year", "school")
        .order_by("-school_year__start_year", "-pk")
    )
    years = [
        {
            "start_year": e.school_year.start_year,
            "label": str(e.school_year),
            "school_class": e.school_class.name,
            "school": e.school.name,
            "enrolment": e.pk,
        }
        for e in enrolments
    ]
    chosen = next((e for e in enrolments if e.school_year.start_year == start_year), None)
    chosen = chosen or (enrolments[0] if enrolments else None)
    data = {
        "student": {"id": student.pk, "full_name": student.full_name, "learner_code": student.learner_code},
        "years": years,
        "year": None,
        "primary": False,
        "subjects": [],
        "terms": [],
        "absences": {"sessions": 0, "excused": 0, "unexcused": 0, "days": []},
        "comments": [],
    }
    if chosen is None:
        return data
    klass, year = chosen.school_class, chosen.school_year
    rule_set = rules.rule_set_for(year.start_year, klass.grade)
    primary = rules.is_primary(rule_set)
    data["year"] = next(y for y in years if y["enrolment"] == chosen.pk)
    data["primary"] = primary
    data["rule_set"] = rules.RuleSet(rule_set).label

    scores = (
        visible_to(actor, Score)
        .filter(enrolment=chosen)
        .exclude(value="")
        .select_related("sheet__semester", "sheet__subject")
        .order_by("sheet__subject_id", "sheet__semester__number")
    )
    subject_rows = visible_to(actor, SubjectResult).filter(enrolment=chosen).select_related("subject")
    terms = {t.period: t for t in visible_to(actor, TermResult).filter(enrolment=chosen)}
    exempt = results_service.exempted([chosen.pk])

    subjects: dict[int, object] = {}
    cells: dict[tuple, list] = defaultdict(list)
    for score in scores:
        sheet = score.sheet
        subjects.setdefault(sheet.subject_id, sheet.subject)
        order = [c["key"] for c in sheet.columns]
        labels = {c["key"]: c["label"] for c in sheet.columns}
        position = order.index(score.column) if score.column in order else len(order)
        cells[(sheet.subject_id, sheet.semester.number)].append(
            (
                position,
                {
                    "column": score.column,
                    "label": labels.get(score.column, score.column),
                    "value": score.value,
                    "text": score.value.replace(".", ","),
                },
            )
        )
    by_subject: dict[tuple, SubjectResult] = {}
    for row in subject_rows:
        subjects.setdefault(row.subject_id, row.subject)
        by_subject[(row.subject_id, row.period)] = row
    for subject in sorted(subjects.values(), key=lambda s: (programme_order(s.code, s.name), s.pk)):
        line = {"id": subject.pk, "name": subject.name, "assessment": subject.assessment, "semesters": []}
        for number, period in ((1, Period.SEMESTER_1), (2, Period.SEMESTER_2)):
            line["semesters"].append(
                {
                    "number": number,
                    "period": period,
                    "label": PERIOD_LABELS[period],
                    "short": results_service.PERIOD_LABELS[period],
                    "scores": [c for _, c in sorted(cells.get((subject.pk, number), []), key=lambda x: x[0])],
                    "result": _result_data(
                        by_subject.get((subject.pk, period)),
                        subject,
                        primary=primary,
                        excluded=(chosen.pk, subject.pk, period) in exempt,
                    ),
                }
            )
        line["year"] = _result_data(by_subject.get((subject.pk, Period.YEAR)), subject, primary=primary)
        data["subjects"].append(line)

    names = {s.code: s.name for s in subjects.values()}
    for period in (Period.YEAR,) if primary else TERM_PERIODS:
        term = terms.get(period)
        texts = results_service.term_texts(term, names) if term is not None else None
        data["terms"].append(
            {
                "period": period,
                "label": PERIOD_LABELS[period],
                "published": term is not None,
                "learning": texts["learning"] if texts else "",
                "note": texts["note"] if texts else "",
                "after_retest": texts["after_retest"] if texts else "",
                "conduct": texts["conduct"] if texts else "",
                "absences": term.absences if term is not None else None,
                "absences_excused": term.absences_excused if term is not None else None,
                "outcome": texts["outcome"] if texts else "",
                "title": texts["title"] if texts else "",
            }
        )

    days = list(visible_to(actor, Absence).filter(enrolment=chosen).order_by("day", "pk"))
    sessions = sum(a.sessions for a in days)
    excused = sum(a.sessions for a in days if a.excused)
    data["absences"] = {
        "sessions": sessions,
        "excused": excused,
        "unexcused": sessions - excused,
        "days": [{"day": a.day, "sessions": a.sessions, "excused": a.excused, "reason": a.reason} for a in days],
    }
    data["comments"] = [
        {"semester": h.semester.number, "label": f"Học kỳ {'I' * h.semester.number}", "comment": h.comment}
        for h in visible_to(actor, HomeroomAssessment)
        .filter(enrolment=chosen)
        .exclude(comment="")
        .select_related("semester")
        .order_by("semester__number")
    ]
    return data


def years_overview(actor) -> list[dict]:
    """Every child the door shows with each of their years and the published period results (the
    entry page's and the API list's data): three queries, whatever the number of children."""
    kids = list(children(actor))
    enrolments = list(
        visible_to(actor, Enrolment)
        .filter(student__in=[k.pk for k in kids])
        .select_related("school_class", "school_year", "school")
        .order_by("-school_year__start_year", "-pk")
    )
    terms = {
        (t.enrolment_id, t.period): t
        for t in visible_to(actor, TermResult).filter(enrolment_id__in=[e.pk for e in enrolments])
    }
    by_child: dict[int, list] = defaultdict(list)
    for e in enrolments:
        periods = {}
        for period in TERM_PERIODS:
            term = terms.get((e.pk, period))
            if term is not None:
                texts = results_service.term_texts(term)
                periods[period] = {k: texts[k] for k in ("learning", "conduct", "outcome", "title")}
        by_child[e.student_id].append(
            {
                "start_year": e.school_year.start_year,
                "label": str(e.school_year),
                "school_class": e.school_class.name,
                "school": e.school.name,
                "enrolment": e.pk,
                "results": periods,
            }
        )
    return [
        {"id": k.pk, "full_name": k.full_name, "learner_code": k.learner_code, "years": by_child.get(k.pk, [])}
        for k in kids
    ]


__all__ = [
    "INLINE_LIMIT",
    "MANAGERS",
    "Account",
    "Plan",
    "Result",
    "child_record",
    "children",
    "create_accounts",
    "holders",
    "may_manage",
    "my_slips",
    "plan_accounts",
    "reissue_passwords",
    "years_overview",
]
