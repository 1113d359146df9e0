"""Bulk accounts from xlsx (dry-run preview, one-transaction confirm, login slips) and password reset."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook
from pypdf import PdfReader

from sms.accounts.models import ApiToken, Membership, User
from sms.accounts.resources import EMAIL, NAME, PERSONAL_ID, PHONE, ROLE, UNIT, USERNAME
from sms.accounts.roles import Role
from sms.audit.models import AuditEvent, EventKind
from sms.files.models import StoredFile
from tests.world import web_client

HEADERS = [NAME, USERNAME, EMAIL, PERSONAL_ID, PHONE, UNIT, ROLE]
IMPORT = "/tai-khoan/nhap/"


def sheet(*rows) -> io.BytesIO:
    book = Workbook()
    ws = book.active
    ws.append(HEADERS)
    for row in rows:
        ws.append(list(row))
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    data.name = "tai-khoan.xlsx"
    return data


GOOD = [
    ("Nguyễn Văn Đức", "", "duc.nv@c2a.edu.vn", "001203004005", "0912 345 678", "C2A", "Giáo viên"),
    ("Trần Thị Mai", "mai.tt", "", "", "", "C2A", "Văn thư"),
    ("Lê Văn Hùng", "", "", "", "", "c2a", "teacher"),
]


def upload(client, *rows):
    return client.post(IMPORT, {"file": sheet(*rows)})


def confirm(client, response):
    return client.post(IMPORT, {"confirm": "1", "upload": response.context["upload"].pk})


def slips_text(stored: StoredFile) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(stored.read_bytes())).pages)


@pytest.fixture
def principal(world):
    return web_client(world.a.m(Role.PRINCIPAL))


def test_template_has_every_column(world, principal):
    response = principal.get(reverse("account-import-template"))
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [c.value for c in ws[1]] == HEADERS


def test_dry_run_lists_every_bad_row_and_saves_nothing(world, principal):
    users, memberships = User.objects.count(), Membership.objects.count()
    response = upload(
        principal,
        GOOD[0],
        ("", "", "", "", "", "C2A", "Giáo viên"),  # row 3: no name
        ("Phạm Văn Bình", "", "binh@gmail.com", "12345", "", "C2A", "Giáo viên"),  # row 4: mail, ID
        ("Hoàng Thị Lan", "", "", "", "", "C2A", "Phi công"),  # row 5: no such role
        ("Vũ Văn Tâm", "", "", "", "", "KHONGCO", "Giáo viên"),  # row 6: no such unit
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Dòng 3, cột “Họ và tên”" in body
    assert "Dòng 4, cột “Hộp thư công vụ”" in body and "Dòng 4, cột “Số định danh cá nhân”" in body
    assert "Dòng 5, cột “Vai trò”" in body
    assert "Dòng 6, cột “Mã đơn vị”" in body
    assert "Dòng 2," not in body
    assert "Xác nhận lưu" not in body
    assert (User.objects.count(), Membership.objects.count()) == (users, memberships)


def test_confirm_creates_accounts_and_slips_for_new_ones(world, principal):
    preview = upload(principal, *GOOD)
    assert preview.context["preview"].ok
    assert not User.objects.filter(username="mai.tt").exists()  # the dry run wrote nothing
    response = confirm(principal, preview)
    assert response.status_code == 200
    duc = User.objects.get(personal_id="001203004005")
    assert duc.username == "ducnv.c2a" and duc.must_change_password and duc.email == "duc.nv@c2a.edu.vn"
    assert Membership.objects.filter(user=duc, unit=world.a.school, role=Role.TEACHER).exists()
    assert Membership.objects.filter(user__username="mai.tt", role=Role.CLERK).exists()
    assert Membership.objects.filter(user__username="hunglv.c2a", role=Role.TEACHER).exists()
    stored = response.context["slips_file"]
    assert stored.private and stored.expires_at and stored.uploaded_by == world.a.m(Role.PRINCIPAL).user
    assert stored.get_absolute_url() in response.content.decode()  # linked from the result page
    text = slips_text(stored)
    for username in ("ducnv.c2a", "mai.tt", "hunglv.c2a"):
        assert username in text
    assert "đổi mật khẩu khi đăng nhập lần đầu" in text
    assert AuditEvent.objects.filter(kind=EventKind.ACCOUNTS_CREATED, user=world.a.m(Role.PRINCIPAL).user).exists()


def test_slip_password_logs_in_and_must_be_changed(world, principal):
    response = confirm(principal, upload(principal, GOOD[1]))
    text = slips_text(response.context["slips_file"])
    password = text.split("Mật khẩu tạm thời")[1].split()[0]
    client = Client()
    assert client.post("/tai-khoan/dang-nhap/", {"username": "mai.tt", "password": password}).status_code == 302
    assert client.get("/").url.startswith(reverse("password-change"))
    assert_stored_nowhere_in_clear(password)


def assert_stored_nowhere_in_clear(secret: str) -> None:
    """The raw secret appears in no text column of any table (users, their history, files,
    audit events, jobs…): only its hash is kept, and the slip PDF on disk."""
    from django.apps import apps
    from django.db import models

    assert len(secret) >= 12
    found = []
    for model in apps.get_models():
        if not model._meta.managed or model._meta.proxy:
            continue
        columns = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.FileField)
        ]
        if columns:
            for row in model._default_manager.values_list(*columns):
                found += [(model._meta.label, v) for v in row if v and secret in str(v)]
    assert not found


def test_a_bad_row_blocks_the_whole_confirm(world, principal):
    good_preview = upload(principal, *GOOD)
    # The same upload id, but the file on disk cannot change: build a bad one and confirm it.
    bad_preview = upload(principal, *GOOD, ("Vũ Văn Tâm", "", "", "", "", "C2B", "Giáo viên"))
    assert not bad_preview.context["preview"].ok
    users = User.objects.count()
    response = confirm(principal, bad_preview)
    assert response.status_code == 400
    assert "Dòng 5, cột “Mã đơn vị”" in response.content.decode()
    assert User.objects.count() == users
    assert good_preview.context["preview"].ok


def test_running_the_same_file_twice_changes_nothing(world, principal):
    confirm(principal, upload(principal, *GOOD))
    users, memberships = User.objects.count(), Membership.objects.count()
    again = upload(principal, *GOOD)
    assert [r.status for r in again.context["preview"].rows] == ["unchanged"] * 3
    response = confirm(principal, again)
    assert response.status_code == 200 and "slips_file" not in response.context
    assert (User.objects.count(), Membership.objects.count()) == (users, memberships)


def test_existing_person_gets_a_role_not_a_second_account(world, principal):
    teacher = world.a.m(Role.TEACHER).user
    teacher.personal_id = "038090001234"
    teacher.save()
    response = confirm(principal, upload(principal, (teacher.full_name, "", "", "038090001234", "", "C2A", "Văn thư")))
    assert response.status_code == 200
    assert User.objects.filter(personal_id="038090001234").count() == 1
    assert Membership.objects.filter(user=teacher, role=Role.CLERK).exists()
    assert "slips_file" not in response.context  # no new password for an existing person
    assert teacher.__class__.objects.get(pk=teacher.pk).check_password("Mật-khẩu-đủ-dài-1")


def test_out_of_subtree_unit_reads_like_an_unknown_one(world, principal):
    response = upload(principal, GOOD[0], ("Vũ Văn Tâm", "", "", "", "", "C2B", "Giáo viên"))
    unknown = upload(principal, GOOD[0], ("Vũ Văn Tâm", "", "", "", "", "ZZZ", "Giáo viên"))
    foreign_error = response.context["preview"].rows[1].errors
    unknown_error = unknown.context["preview"].rows[1].errors
    assert foreign_error == [e.replace("ZZZ", "C2B") for e in unknown_error]
    assert "không tìm thấy" in foreign_error[0]


def test_principal_cannot_create_a_so_admin(world, principal):
    response = upload(principal, ("Đỗ Văn Sở", "", "", "", "", "SO", "Quản trị Sở"))
    assert "Dòng 2, cột “Mã đơn vị”" in response.content.decode()
    response = upload(principal, ("Đỗ Văn Sở", "", "", "", "", "C2A", "Quản trị Sở"))
    assert "Dòng 2, cột “Vai trò”: bạn không thể cấp vai trò “Quản trị Sở”" in response.content.decode()
    assert not User.objects.filter(full_name="Đỗ Văn Sở").exists()


def test_phong_admin_creates_a_school_account_in_its_subtree(world):
    client = web_client(world.members["phong1_admin"])
    school = world.a.school
    response = confirm(client, upload(client, (school.name, "", "", "", "", "C2A", "Quản trị nhà trường")))
    assert response.status_code == 200
    assert Membership.objects.filter(user__username="quantri.c2a", unit=school, role=Role.SCHOOL_ADMIN).exists()


def test_teacher_cannot_import(world):
    client = web_client(world.a.m(Role.TEACHER))
    assert client.get(IMPORT).status_code == 403
    assert upload(client, *GOOD).status_code == 403


@pytest.mark.parametrize("other", [Role.SCHOOL_ADMIN, "phong1_admin", "so_admin"])
def test_confirm_of_someone_elses_upload_is_404(world, principal, other):
    """Admins of the same school and above it may import too, but not the principal's file."""
    preview = upload(principal, *GOOD)
    membership = world.a.m(other) if other == Role.SCHOOL_ADMIN else world.members[other]
    response = web_client(membership).post(IMPORT, {"confirm": "1", "upload": preview.context["upload"].pk})
    assert response.status_code == 404
    assert not User.objects.filter(username="mai.tt").exists()


# --- account pages and password reset -------------------------------------------------------------------


def test_account_list_filters_by_name_without_diacritics(world, principal):
    response = principal.get(reverse("account-list"), {"q": "tran thi binh"})
    assert response.status_code == 200
    names = [m.user.username for m in response.context["object_list"]]
    assert names == ["teacher2.c2a"]


def test_reset_gives_a_working_temporary_password(world, principal):
    membership = world.a.m(Role.TEACHER)
    ApiToken.issue(membership, "cũ")
    response = principal.post(reverse("account-reset", kwargs={"pk": membership.pk}))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "teacher.c2a" in text
    password = text.split("Mật khẩu tạm thời")[1].split()[0]
    user = membership.user
    user.refresh_from_db()
    assert user.must_change_password and user.check_password(password)
    assert not ApiToken.objects.usable().filter(membership__user=user).exists()
    assert AuditEvent.objects.filter(kind=EventKind.PASSWORD_RESET, object_id=str(user.pk)).exists()


def test_reset_of_a_foreign_person_is_404(world, principal):
    foreign = world.b.m(Role.TEACHER)
    response = principal.post(reverse("account-reset", kwargs={"pk": foreign.pk}))
    assert response.status_code == 404
    foreign.user.refresh_from_db()
    assert foreign.user.check_password("Mật-khẩu-đủ-dài-1") and not foreign.user.must_change_password


def test_nobody_resets_a_person_above_their_rank(world):
    """The principal also teaches: the school admin may grant and end that teacher role, but a
    reset through it would take over the principal's account, so the rank check refuses."""
    client = web_client(world.a.m(Role.SCHOOL_ADMIN))
    principal = world.a.m(Role.PRINCIPAL)
    teaching = Membership.objects.create(user=principal.user, unit=world.a.school, role=Role.TEACHER)
    response = client.post(reverse("account-reset", kwargs={"pk": teaching.pk}))
    assert response.status_code == 403
    principal.user.refresh_from_db()
    assert not principal.user.must_change_password and principal.user.check_password("Mật-khẩu-đủ-dài-1")
    page = client.get(teaching.get_absolute_url()).content.decode()
    assert reverse("account-reset", kwargs={"pk": teaching.pk}) not in page
    # Once the principal role has ended, the teacher role is an ordinary one: the reset works.
    Membership.objects.filter(pk=principal.pk).update(is_active=False)
    assert client.post(reverse("account-reset", kwargs={"pk": teaching.pk})).status_code == 200


def test_one_person_with_two_roles_in_one_file_gets_one_account(world):
    client = web_client(world.members["phong1_admin"])
    rows = [
        ("Ngô Thị Hạnh", "", "", "036085001111", "", "C2A", "Hiệu trưởng"),
        ("Ngô Thị Hạnh", "", "", "036085001111", "", "C2A", "Giáo viên"),
        ("Ngô Thị Hạnh", "", "", "036085001111", "", "C2A", "Giáo viên"),  # a real repeat
    ]
    response = upload(client, *rows)
    bad = response.context["preview"].bad_rows
    assert [r.number for r in bad] == [4] and "trùng với dòng 3" in bad[0].errors[0]
    response = confirm(client, upload(client, *rows[:2]))
    assert response.status_code == 200
    person = User.objects.get(personal_id="036085001111")
    assert set(person.memberships.values_list("role", flat=True)) == {Role.PRINCIPAL, Role.TEACHER}
    assert slips_text(response.context["slips_file"]).count(person.username) == 1
    again = upload(client, *rows[:2])
    assert [r.status for r in again.context["preview"].rows] == ["unchanged", "unchanged"]


def test_a_file_named_xlsx_that_is_not_a_workbook_is_refused_and_not_kept(world, principal):
    fake = io.BytesIO(b"Ho va ten,Ma don vi\nNguyen Van A,C2A\n")
    fake.name = "tai-khoan.xlsx"
    response = principal.post(IMPORT, {"file": fake})
    assert response.status_code in (200, 400)
    assert "không phải là tệp XLSX hợp lệ" in response.content.decode()
    assert not StoredFile.objects.filter(purpose="import").exists()
