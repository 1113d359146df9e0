"""Bulk accounts from Excel (Circular 53/2012, Art. 15.3): one account per school and per staff member.

The importer plugs into :mod:`sms.imports` (upload → dry-run preview → confirm in one
transaction). A row names a person and the role they get at a unit of the admin's subtree.

Matching (upsert on natural keys, so the same file twice changes nothing):

1. the 12-digit personal ID, else
2. the username, else
3. (neither given) a person of the same full name who already holds a role at that unit
   under a username generated the same way — so a re-run finds them again.

An existing person gets the role added, never a second account, and their details are not
overwritten. Only a person the admin fully administers is matched: every role they hold or
held is at a unit in the admin's reach (``units_for``), or they hold none, and they are not
an operator. A personal ID or username of anybody else is an error that names neither the
person, their username nor their unit ("đề nghị Sở GD&ĐT xử lý"), so an import can neither
attach nor reveal a person of another school. New people get a generated username
when none is given (given name + initials + "." + unit code, all without diacritics,
unique) and a temporary password printed only on the login slips.

Official e-mail only (Circular 53/2012, Art. 4): a public mailbox (Gmail, Yahoo, …) is
refused, not merely warned about, because the address becomes a login name.

Why not a django-import-export ``ModelResource``: one row here writes two models (a user and
a membership) plus a one-time password, and every row is checked against the actor's grant
rules and subtree; import-export's dry run would perform those writes (and password hashing)
and roll them back. The preview here writes nothing; the confirm re-checks and writes in one
transaction, together with the login slips file, and re-reads the written memberships
through the door before committing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from sms.imports import Column, Importer, Preview, RowResult, Status
from sms.imports import cell_text as _text
from sms.mail import is_private_mailbox
from sms.text import search_key

from .models import Membership, User
from .roles import Role, can_grant, role_allowed_at
from .scoping import units_for, visible_to
from .slips import Slip, build_slips, temporary_password

NAME = "Họ và tên"
USERNAME = "Tên đăng nhập"
EMAIL = "Hộp thư công vụ"
PERSONAL_ID = "Số định danh cá nhân"
PHONE = "Điện thoại"
UNIT = "Mã đơn vị"
ROLE = "Vai trò"

NAME_MAX = User._meta.get_field("full_name").max_length
EMAIL_MAX = User._meta.get_field("email").max_length
OUTSIDE_REACH = "ngoài phạm vi bạn quản lý; đề nghị Sở GD&ĐT xử lý."

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,149}$")
PHONE_RE = re.compile(r"^\+?[0-9 .\-]{8,20}$")


def _role_lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for role in Role:
        table[role.value] = role.value
        label = search_key(role.label)
        table[label] = role.value
        for part in role.label.split("/"):
            table[search_key(part)] = role.value
    return table


ROLE_LOOKUP = _role_lookup()


def _slug(value: str) -> str:
    return re.sub(r"[^a-z0-9]", "", search_key(value))


def username_base(full_name: str, unit) -> str:
    """ "Nguyễn Văn Đức" at unit C2A → ``ducnv.c2a``; a unit's own account → ``quantri.c2a``."""
    code = _slug(unit.code) or str(unit.pk)
    if search_key(full_name) == search_key(unit.name):
        return f"quantri.{code}"
    words = [w for w in (_slug(w) for w in search_key(full_name).split()) if w]
    if not words:
        return f"nguoidung.{code}"
    return f"{words[-1]}{''.join(w[0] for w in words[:-1])}.{code}"


def _personal_id(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        # Excel drops the leading zeros of a number (the province code 001…); put them back.
        return str(value).zfill(12)
    return re.sub(r"[\s.]", "", _text(value))


@dataclass
class ImportResult:
    slips: list[Slip] = field(default_factory=list)
    users_created: int = 0
    memberships: int = 0


class AccountImporter(Importer):
    title = "Tạo tài khoản hàng loạt từ tệp Excel"
    template_filename = "mau-tao-tai-khoan.xlsx"
    sheet_title = "Tài khoản"
    columns = [
        Column(NAME, required=True, width=28, help="Họ và tên đầy đủ, có dấu. Tài khoản của đơn vị: ghi tên đơn vị."),
        Column(
            USERNAME,
            width=20,
            help="Không bắt buộc. Để trống thì hệ thống tạo từ tên không dấu và mã đơn vị (ví dụ ducnv.c2a).",
        ),
        Column(EMAIL, width=28, help="Không bắt buộc. Chỉ hộp thư công vụ (…edu.vn), không dùng Gmail, Yahoo…"),
        Column(PERSONAL_ID, width=20, text=True, help="Không bắt buộc; đúng 12 chữ số. Dùng để nhận ra người đã có."),
        Column(PHONE, width=16, text=True, help="Không bắt buộc."),
        Column(UNIT, required=True, width=14, help="Mã đơn vị trong phạm vi bạn quản lý."),
        Column(
            ROLE,
            required=True,
            width=24,
            help="Tên vai trò (ví dụ Giáo viên, Văn thư, Quản trị nhà trường) hoặc mã vai trò.",
        ),
    ]

    # --- checking (no writes) ---------------------------------------------------------------------

    def check(self, rows: list[RowResult]) -> None:
        codes = {_text(r.values.get(UNIT)) for r in rows} - {""}
        reachable = units_for(self.actor, Membership, "add").filter(
            Q(code__in=codes) | Q(code__in={c.upper() for c in codes})
        )
        units = {u.code.upper(): u for u in reachable}
        pids = {_personal_id(r.values.get(PERSONAL_ID)) for r in rows} - {""}
        names = {_text(r.values.get(USERNAME)).lower() for r in rows} - {""}
        by_pid = {u.personal_id: u for u in User.objects.filter(personal_id__in=pids)} if pids else {}
        by_username = (
            {u.username.lower(): u for u in User.objects.annotate(lname=Lower("username")).filter(lname__in=names)}
            if names
            else {}
        )
        # People outside the admin's reach are never matched, and nothing about them is shown.
        self._outside_users = self.outside_reach()
        found = {u.pk for u in (*by_pid.values(), *by_username.values())}
        outside = set(self._outside_users.filter(pk__in=found).values_list("pk", flat=True)) if found else set()
        self._outside_pids = {k for k, u in by_pid.items() if u.pk in outside}
        self._outside_usernames = {k for k, u in by_username.items() if u.pk in outside}
        by_pid = {k: u for k, u in by_pid.items() if u.pk not in outside}
        by_username = {k: u for k, u in by_username.items() if u.pk not in outside}
        seen: dict[tuple, int] = {}
        self._new_people: dict[int, str] = {}  # row number → name key, for rows creating a person
        self._pending: dict[int, dict] = {}  # row number → the data of the person that row creates
        taken_usernames: set[str] = set()
        matched_ids: set[int] = set()
        for row in rows:
            self.check_row(row, units, by_pid, by_username, seen, taken_usernames, matched_ids)

    def outside_reach(self):
        """People the actor does not fully administer: operators, and anybody who holds or held
        a role at a unit outside ``units_for(actor, Membership, "add")`` (closed units of the
        admin's subtree count as inside: their staff moved on to the admin's other units)."""
        reach = units_for(self.actor, Membership, "add", include_closed=True)
        elsewhere = Membership.objects.exclude(unit__in=reach).values("user_id")
        return User.objects.filter(Q(is_staff=True) | Q(is_superuser=True) | Q(pk__in=elsewhere))

    def check_row(self, row, units, by_pid, by_username, seen, taken_usernames, matched_ids) -> None:
        values = row.values
        name = _text(values.get(NAME))
        username = _text(values.get(USERNAME)).lower()
        email = _text(values.get(EMAIL)).lower()
        pid = _personal_id(values.get(PERSONAL_ID))
        phone = _text(values.get(PHONE))
        code = _text(values.get(UNIT))
        role_text = _text(values.get(ROLE))

        if not name:
            row.error(NAME, "chưa có họ và tên.")
        elif len(name) > NAME_MAX:
            row.error(NAME, f"họ và tên dài quá {NAME_MAX} ký tự (hiện có {len(name)}).")
        unit = None
        if not code:
            row.error(UNIT, "chưa có mã đơn vị.")
        else:
            unit = units.get(code.upper())
            if unit is None:
                # Same words for a code that does not exist and one outside the subtree.
                row.error(UNIT, f"không tìm thấy đơn vị có mã “{code}” trong phạm vi bạn quản lý.")
        role = None
        if not role_text:
            row.error(ROLE, "chưa có vai trò.")
        else:
            role = ROLE_LOOKUP.get(search_key(role_text)) or ROLE_LOOKUP.get(role_text.lower())
            if role is None:
                row.error(ROLE, f"không có vai trò “{role_text}”.")
            elif not can_grant(self.actor.role, role):
                row.error(ROLE, f"bạn không thể cấp vai trò “{Role(role).label}” (cao hơn vai trò của bạn).")
            elif unit is not None and not role_allowed_at(role, unit.kind):
                row.error(ROLE, f"vai trò “{Role(role).label}” không dùng cho {unit.get_kind_display()} “{unit.code}”.")
        if pid and not re.fullmatch(r"\d{12}", pid):
            row.error(PERSONAL_ID, "số định danh cá nhân phải gồm đúng 12 chữ số.")
            pid = ""
        if username and ("@" in username or not USERNAME_RE.match(username)):
            row.error(
                USERNAME,
                "chỉ dùng chữ không dấu, chữ số, dấu chấm, gạch dưới hoặc gạch ngang (3–150 ký tự).",
            )
            username = ""
        if len(email) > EMAIL_MAX:
            row.error(EMAIL, f"địa chỉ thư dài quá {EMAIL_MAX} ký tự.")
            email = ""
        if email:
            try:
                validate_email(email)
            except ValidationError:
                row.error(EMAIL, f"“{email}” không phải địa chỉ thư hợp lệ.")
                email = ""
            else:
                if is_private_mailbox(email):
                    row.error(EMAIL, "chỉ dùng hộp thư công vụ (Thông tư 53/2012, Điều 4), không dùng Gmail, Yahoo…")
                    email = ""
        if phone and not PHONE_RE.match(phone):
            row.error(PHONE, f"“{phone}” không phải số điện thoại hợp lệ.")
        # Somebody outside the admin's reach: one neutral answer, naming nobody.
        if pid in self._outside_pids:
            row.error(PERSONAL_ID, f"số định danh này đã được dùng cho một tài khoản {OUTSIDE_REACH}")
            pid = ""
        if username in self._outside_usernames:
            row.error(USERNAME, f"tên đăng nhập này đã được dùng cho một tài khoản {OUTSIDE_REACH}")
            username = ""

        # Repeats inside the file: the same personal ID or username again is the same person
        # taking a second role (a principal who also teaches), when the name agrees.
        existing = (by_pid.get(pid) if pid else None) or (by_username.get(username) if username else None)
        same_existing = existing is not None and search_key(existing.full_name) == search_key(name)
        linked = None
        for kind, value, column in (("pid", pid, PERSONAL_ID), ("username", username, USERNAME)):
            first = seen.get((kind, value)) if value else None
            if first is None:
                if value:
                    seen[(kind, value)] = row.number
            elif self._new_people.get(first) == search_key(name) and linked in (None, first):
                linked = first
            elif not same_existing:
                row.error(column, f"trùng với dòng {first}.")
        if email:
            first = seen.get(("email", email))
            if first is None:
                seen[("email", email)] = row.number
            elif linked != first and not (same_existing and existing.email == email):
                row.error(EMAIL, f"trùng với dòng {first}.")
        if linked is not None:
            first_pid = self._pending[linked]["personal_id"]
            if pid and pid != first_pid:
                row.error(
                    PERSONAL_ID,
                    f"cùng người ở dòng {linked} (cùng tên đăng nhập, họ tên) nhưng khác số định danh; "
                    "mỗi người chỉ có một số định danh.",
                )
            if row.errors:
                return
            key = ("pending", linked, unit.pk, role)
            if key in seen:
                row.error(None, f"trùng với dòng {seen[key]}.")
                return
            seen[key] = row.number
            row.status = Status.NEW
            row.notes.append(f"Cùng người ở dòng {linked}: thêm vai trò, dùng chung tài khoản.")
            if username and username != self._pending[linked]["username"]:
                row.notes.append(f"Dùng tên đăng nhập “{self._pending[linked]['username']}” như dòng {linked}.")
            row.data = {**self._pending[linked], "unit": unit, "role": role, "same_as": linked}
            return

        # Who is this?
        user = None
        if pid:
            user = by_pid.get(pid)
            if user is not None and name and search_key(user.full_name) != search_key(name):
                row.error(PERSONAL_ID, "số định danh này đã thuộc về một người có họ tên khác.")
                user = None
        if user is None and username and not row.errors:
            candidate = by_username.get(username)
            if candidate is not None:
                other_id = bool(pid and candidate.personal_id and candidate.personal_id != pid)
                other_name = bool(name and search_key(candidate.full_name) != search_key(name))
                if other_id or other_name:
                    row.error(USERNAME, f"tên đăng nhập “{username}” đã có người dùng.")
                else:
                    user = candidate
            elif User.objects.filter(email__iexact=username).exists():
                row.error(USERNAME, f"tên đăng nhập “{username}” đã có người dùng.")
        if user is None and not pid and not username and unit is not None and name and not row.errors:
            base = username_base(name, unit)
            key = search_key(name)
            for candidate in (
                User.objects.filter(memberships__unit=unit, username__startswith=base)
                .exclude(pk__in=matched_ids)
                .exclude(pk__in=self._outside_users.values("pk"))
                .distinct()
                .order_by("pk")
            ):
                if search_key(candidate.full_name) == key and re.fullmatch(
                    re.escape(base) + r"\d*", candidate.username
                ):
                    user = candidate
                    break
        if user is not None:
            matched_ids.add(user.pk)
            if email:
                seen[("email-user", email)] = user.pk
            if username and user.username.lower() != username:
                row.notes.append(f"Người này đã có tài khoản “{user.username}”; giữ tên đăng nhập đó.")
        if email:
            owner = User.objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).first()
            if owner is not None and (user is None or owner.pk != user.pk):
                row.error(EMAIL, "hộp thư này đã là của một tài khoản khác.")

        if row.errors:
            return
        if user is None:
            if username in taken_usernames:
                row.error(USERNAME, f"tên đăng nhập “{username}” trùng với tên tạo cho một dòng phía trên.")
                return
            username = username or self.unique_username(username_base(name, unit), taken_usernames)
            taken_usernames.add(username)
            self.check_model(row, username=username, full_name=name, email=email, personal_id=pid, phone=phone)
            if row.errors:
                return
            row.status = Status.NEW
        else:
            username = user.username
            key = ("membership", user.pk, unit.pk, role)
            if key in seen:
                row.error(None, f"trùng với dòng {seen[key]}.")
                return
            seen[key] = row.number
            # The membership's own state decides, exactly as ``grant_membership`` would: a role
            # held now (and not ended) is left as it is, with no write and no history row.
            held = Membership.objects.filter(user=user, unit=unit, role=role, is_active=True).filter(
                Q(ends_on__isnull=True) | Q(ends_on__gte=timezone.localdate())
            )
            if held.exists():
                row.status = Status.UNCHANGED
            else:
                row.status = Status.UPDATED
                row.notes.append("Người đã có tài khoản: chỉ thêm vai trò, không đổi mật khẩu.")
        row.data = {
            "user": user,
            "username": username,
            "full_name": name,
            "email": email,
            "personal_id": pid,
            "phone": phone,
            "unit": unit,
            "role": role,
        }
        if user is None:
            self._new_people[row.number] = search_key(name)
            self._pending[row.number] = row.data
            seen[("pending", row.number, unit.pk, role)] = row.number

    @staticmethod
    def check_model(row, **fields) -> None:
        """Every field limit of the user model (lengths, validators) in the preview, so the
        confirm never meets one for the first time while writing. Uniqueness (personal ID,
        username, e-mail) is checked above, against the whole province; a race lost between
        preview and confirm is caught by the confirm's transaction ("Chưa lưu gì")."""
        columns = {"username": USERNAME, "full_name": NAME, "email": EMAIL, "personal_id": PERSONAL_ID, "phone": PHONE}
        try:
            User(**fields).full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                for message in messages:
                    row.error(columns.get(name), message[:1].lower() + message[1:])

    @staticmethod
    def unique_username(base: str, taken: set[str]) -> str:
        candidate, n = base, 1
        while (
            candidate in taken
            or User.objects.filter(Q(username__iexact=candidate) | Q(email__iexact=candidate)).exists()
        ):
            n += 1
            candidate = f"{base}{n}"
        return candidate

    # --- writing (one transaction, by the flow) -------------------------------------------------------

    def apply(self, preview: Preview) -> ImportResult:
        from sms.audit.services import EventKind, record

        from .services import grant_membership

        result = ImportResult()
        written: list[int] = []
        created: dict[int, User] = {}  # row number → the person that row created
        for row in preview.rows:
            if row.status == Status.UNCHANGED:
                continue
            data = row.data
            user, password = data["user"], None
            if data.get("same_as"):
                user = created[data["same_as"]]
            elif user is None:
                password = temporary_password()
                user = User(
                    username=data["username"],
                    full_name=data["full_name"],
                    email=data["email"],
                    personal_id=data["personal_id"],
                    phone=data["phone"],
                    must_change_password=True,
                )
                user.set_password(password)
                user.full_clean()
                user.save()
                created[row.number] = user
                result.users_created += 1
            membership = grant_membership(self.actor, user=user, unit=data["unit"], role=data["role"])
            written.append(membership.pk)
            result.memberships += 1
            if password:
                result.slips.append(
                    Slip(user.full_name, data["unit"].name, Role(data["role"]).label, user.username, password)
                )
        # Re-read what was written through the door: any mismatch rolls everything back.
        if visible_to(self.actor, Membership).filter(pk__in=written).count() != len(written):
            raise PermissionDenied("Dữ liệu ghi ra nằm ngoài phạm vi bạn quản lý; không lưu gì.")
        if written:
            record(
                EventKind.ACCOUNTS_CREATED,
                request=self.request,
                actor=self.actor,
                detail=f"{result.users_created} tài khoản mới, {result.memberships} vai trò được cấp từ tệp Excel.",
            )
        return result

    def finish(self, result: ImportResult, preview: Preview) -> dict:
        """Print the new accounts' slips into a private file of the admin, kept 24 hours and
        readable by that admin alone. Runs inside the confirm's transaction: if the slips
        cannot be stored, no account is created either."""
        if not result.slips:
            return {}
        from sms.files.models import StoredFile

        stored = StoredFile.store(
            unit=self.actor.unit,
            uploaded_by=self.actor.user,
            content=build_slips(result.slips, site=login_address(self.request)),
            name=f"phieu-dang-nhap-{timezone.localtime():%Y%m%d-%H%M}.pdf",
            purpose="login-slips",
            content_type="application/pdf",
            private=True,
            max_bytes=0,
            expires_at=timezone.now() + timedelta(hours=24),
        )
        try:
            url = stored.get_absolute_url()
        except NoReverseMatch:  # the download route is not installed
            url = ""
        return {"slips_file": stored, "slips_url": url}


def login_address(request) -> str:
    path = reverse("login")
    return request.build_absolute_uri(path) if request is not None else path
