"""Account takeover paths closed: a bulk import that attaches people from outside the
admin's reach, a password reset of someone the admin does not fully administer, login slips
readable by other admins, and a confirm that crashes half-way (accounts without slips)."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from sms.accounts import resources
from sms.accounts.models import Membership, User
from sms.accounts.resources import AccountImporter
from sms.accounts.roles import Role
from sms.audit.models import AuditEvent
from sms.files.models import StoredFile
from tests.platform.test_bulk_accounts import IMPORT, upload
from tests.world import grant, make_user, web_client

OUTSIDE = "ngoài phạm vi bạn quản lý"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def confirm(client, response):
    return client.post(IMPORT, {"confirm": "1", "upload": response.context["upload"].pk})


@pytest.fixture
def principal(world):
    return web_client(world.a.m(Role.PRINCIPAL))


@pytest.fixture
def foreigner(world):
    """B's teacher, with details the admin of A must never see."""
    user = world.b.m(Role.TEACHER).user
    user.full_name = "Phạm Thị Xa"
    user.personal_id = "031190007777"
    user.email = "xa.pt@c2b.edu.vn"
    user.phone = "0988 777 666"
    user.save()
    return user


def assert_no_leak(response, user):
    body = response.content.decode()
    for secret in (user.username, user.full_name, user.email, user.phone, user.memberships.first().unit.name):
        assert secret not in body, secret


# --- 1. bulk import never attaches a person from outside the admin's reach ---------------------------------


def test_import_refuses_a_foreign_personal_id_without_naming_anyone(world, principal, foreigner):
    memberships = Membership.objects.count()
    response = upload(principal, (foreigner.full_name, "", "", foreigner.personal_id, "", "C2A", "Văn thư"))
    row = response.context["preview"].rows[0]
    assert row.status == "error"
    assert row.errors == [
        "Dòng 2, cột “Số định danh cá nhân”: số định danh này đã được dùng cho một tài khoản "
        "ngoài phạm vi bạn quản lý; đề nghị Sở GD&ĐT xử lý."
    ]
    assert "Xác nhận lưu" not in response.content.decode()
    assert confirm(principal, response).status_code == 400
    assert Membership.objects.count() == memberships
    assert not Membership.objects.filter(user=foreigner, unit=world.a.school).exists()


def test_import_with_another_name_on_a_foreign_id_does_not_reveal_the_owner(world, principal, foreigner):
    response = upload(principal, ("Lê Văn Khác", "", "", foreigner.personal_id, "", "C2A", "Giáo viên"))
    row = response.context["preview"].rows[0]
    assert row.status == "error" and OUTSIDE in row.errors[0]
    assert "họ tên khác" not in response.content.decode()
    assert_no_leak(response, foreigner)


def test_import_refuses_a_foreign_username_without_naming_anyone(world, principal, foreigner):
    response = upload(principal, (foreigner.full_name, foreigner.username, "", "", "", "C2A", "Giáo viên"))
    row = response.context["preview"].rows[0]
    assert row.status == "error"
    assert row.errors[0].startswith("Dòng 2, cột “Tên đăng nhập”:") and OUTSIDE in row.errors[0]
    other = upload(principal, ("Lê Văn Khác", foreigner.username, "", "", "", "C2A", "Giáo viên"))
    assert OUTSIDE in other.context["preview"].rows[0].errors[0]
    assert foreigner.full_name not in other.content.decode()
    assert not Membership.objects.filter(user=foreigner, unit=world.a.school).exists()


def test_import_refuses_a_person_who_also_holds_a_role_outside(world, principal):
    """A Sở staff member with a teaching role in A: A may not attach (and then see) them again."""
    so_staff = world.members["so_staff"].user
    so_staff.personal_id = "001080000001"
    so_staff.save()
    grant(so_staff, world.a.school, Role.TEACHER)
    response = upload(principal, (so_staff.full_name, "", "", "001080000001", "", "C2A", "Văn thư"))
    assert OUTSIDE in response.context["preview"].rows[0].errors[0]


def test_import_refuses_a_person_whose_only_role_elsewhere_has_ended(world, principal, foreigner):
    Membership.objects.filter(user=foreigner).update(is_active=False, ends_on=date(2025, 6, 30))
    response = upload(principal, (foreigner.full_name, "", "", foreigner.personal_id, "", "C2A", "Giáo viên"))
    assert OUTSIDE in response.context["preview"].rows[0].errors[0]


def test_import_matches_a_person_inside_the_reach_or_without_any_role(world, principal):
    loner = make_user("loner.x", full_name="Đinh Văn Lẻ")
    loner.personal_id = "001099000123"
    loner.save()
    response = upload(principal, ("Đinh Văn Lẻ", "", "", "001099000123", "", "C2A", "Giáo viên"))
    assert response.context["preview"].ok
    assert confirm(principal, response).status_code == 200
    assert Membership.objects.filter(user=loner, unit=world.a.school, role=Role.TEACHER).exists()

    phong = web_client(world.members["phong1_admin"])
    teacher = world.a.m(Role.TEACHER).user
    response = upload(phong, (teacher.full_name, teacher.username, "", "", "", "C2A", "Văn thư"))
    assert response.context["preview"].ok


# --- 2. password reset only of people the admin fully administers --------------------------------------------


def reset(client, membership):
    return client.post(reverse("account-reset", kwargs={"pk": membership.pk}))


def untouched(user) -> bool:
    user.refresh_from_db()
    return user.check_password("Mật-khẩu-đủ-dài-1") and not user.must_change_password


def test_reset_refused_for_so_staff_with_an_extra_role_in_the_school(world, principal):
    so_staff = world.members["so_staff"].user
    extra = grant(so_staff, world.a.school, Role.TEACHER)
    assert reset(principal, extra).status_code == 403
    assert untouched(so_staff)


def test_reset_refused_for_another_schools_principal_teaching_here(world, principal):
    other = world.b.m(Role.PRINCIPAL).user
    extra = grant(other, world.a.school, Role.TEACHER)
    assert reset(principal, extra).status_code == 403
    assert untouched(other)
    page = principal.get(extra.get_absolute_url()).content.decode()
    assert reverse("account-reset", kwargs={"pk": extra.pk}) not in page


def test_reset_refused_for_a_teacher_who_moved_to_another_school(world, principal):
    mover = world.b.m(Role.TEACHER).user
    old = Membership.objects.create(
        user=mover,
        unit=world.a.school,
        role=Role.TEACHER,
        starts_on=date(2020, 9, 1),
        ends_on=date(2025, 6, 30),
        is_active=False,
    )
    assert reset(principal, old).status_code == 403
    assert untouched(mover)


@pytest.mark.parametrize("flag", ["is_staff", "is_superuser"])
def test_reset_refused_for_an_operator_account(world, principal, flag):
    operator = make_user("operator.x")
    setattr(operator, flag, True)
    operator.save()
    membership = grant(operator, world.a.school, Role.TEACHER)
    assert reset(principal, membership).status_code == 403
    assert untouched(operator)


def test_reset_still_works_for_a_teacher_of_the_school(world, principal):
    membership = world.a.m(Role.TEACHER)
    response = reset(principal, membership)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_reset_of_an_outside_teacher_is_404_even_for_a_phong(world):
    client = web_client(world.members["phong1_admin"])
    foreign = world.b.m(Role.TEACHER)
    assert reset(client, foreign).status_code == 404
    assert untouched(foreign.user)


# --- 3. login slips are readable by their uploader only ------------------------------------------------------


def test_login_slips_are_readable_only_by_the_admin_who_made_them(world, principal):
    response = confirm(principal, upload(principal, ("Trần Thị Mai", "mai.tt", "", "", "", "C2A", "Văn thư")))
    stored = response.context["slips_file"]
    url = stored.get_absolute_url()
    assert principal.get(url).status_code == 200
    for key in (Role.SCHOOL_ADMIN, Role.TEACHER, Role.CLERK):
        assert web_client(world.a.m(key)).get(url).status_code == 404, key
    for key in ("phong1_admin", "so_admin", "so_staff", "phong1_staff"):
        client = web_client(world.members[key])
        assert client.get(url).status_code == 404, key
        assert client.get(f"/api/files/{stored.pk}/download/").status_code == 404, key
        assert stored.pk not in {row["id"] for row in client.get("/api/files/").json()["results"]}, key


# --- 4. the confirm never crashes half-way -----------------------------------------------------------------------


def test_a_too_long_name_is_named_in_the_preview(world, principal):
    users = User.objects.count()
    response = upload(principal, ("Nguyễn " + "a" * 192, "", "", "", "", "C2A", "Giáo viên"))
    row = response.context["preview"].rows[0]
    assert row.status == "error" and row.errors[0].startswith("Dòng 2, cột “Họ và tên”:")
    assert "150" in row.errors[0]
    assert confirm(principal, response).status_code == 400
    assert User.objects.count() == users


def test_too_long_email_is_named_in_the_preview(world, principal):
    email = "a" * 60 + "@" + ("b" * 60 + ".") * 4 + "edu.vn"
    response = upload(principal, ("Trần Thị Mai", "mai.tt", email, "", "", "C2A", "Văn thư"))
    row = response.context["preview"].rows[0]
    assert row.status == "error" and "Hộp thư công vụ" in " ".join(row.errors)


def test_a_race_on_the_same_username_says_nothing_was_saved(world, principal, monkeypatch):
    """Another admin takes the username between the check and the write."""
    preview = upload(
        principal,
        ("Lê Văn Hùng", "", "", "", "", "C2A", "Giáo viên"),
        ("Trần Thị Mai", "mai.tt", "", "", "", "C2A", "Văn thư"),
    )
    assert preview.context["preview"].ok
    original = AccountImporter.check

    def check_then_race(self, rows):
        original(self, rows)
        User.objects.create_user(username="mai.tt", password="x-Mật-khẩu-dài-2")

    monkeypatch.setattr(AccountImporter, "check", check_then_race)
    response = confirm(principal, preview)
    assert response.status_code in (200, 400)
    assert "Chưa lưu gì" in response.content.decode()
    assert not User.objects.filter(username="hunglv.c2a").exists()


def test_an_integrity_error_while_writing_says_nothing_was_saved(world, principal, monkeypatch):
    preview = upload(principal, ("Lê Văn Hùng", "", "", "", "", "C2A", "Giáo viên"))

    def boom(*args, **kwargs):
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr("sms.accounts.services.grant_membership", boom)
    response = confirm(principal, preview)
    assert response.status_code in (200, 400)
    assert "Chưa lưu gì" in response.content.decode()
    assert not User.objects.filter(username="hunglv.c2a").exists()


def test_no_account_exists_without_its_slip(world, principal, monkeypatch):
    preview = upload(principal, ("Lê Văn Hùng", "", "", "", "", "C2A", "Giáo viên"))

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(resources, "build_slips", broken)
    response = confirm(principal, preview)
    assert response.status_code in (200, 400)
    assert "Chưa lưu gì" in response.content.decode()
    assert not User.objects.filter(username="hunglv.c2a").exists()
    assert not StoredFile.objects.filter(purpose="login-slips").exists()


def test_confirm_of_an_expired_upload_is_404(world, principal):
    preview = upload(principal, ("Lê Văn Hùng", "", "", "", "", "C2A", "Giáo viên"))
    StoredFile.objects.filter(pk=preview.context["upload"].pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert confirm(principal, preview).status_code == 404
    assert not User.objects.filter(username="hunglv.c2a").exists()


# --- 5. re-import idempotency ------------------------------------------------------------------------------


def test_two_rows_one_username_two_personal_ids_is_an_error(world, principal):
    response = upload(
        principal,
        ("Ngô Thị Hạnh", "hanh.nt", "", "036085001111", "", "C2A", "Giáo viên"),
        ("Ngô Thị Hạnh", "hanh.nt", "", "036085002222", "", "C2A", "Văn thư"),
    )
    rows = response.context["preview"].rows
    assert rows[0].ok and not rows[1].ok
    assert rows[1].errors[0].startswith("Dòng 3, cột “Số định danh cá nhân”:")


# --- 6. closed units, and a re-run that writes nothing ------------------------------------------------------------


def test_nobody_imports_into_a_closed_unit(world):
    client = web_client(world.members["phong1_admin"])
    world.a.school.is_active = False
    world.a.school.save()
    response = upload(client, ("Lê Văn Hùng", "", "", "", "", "C2A", "Giáo viên"))
    row = response.context["preview"].rows[0]
    assert row.status == "error" and row.errors[0].startswith("Dòng 2, cột “Mã đơn vị”:")


def test_staff_of_a_school_closed_in_a_merger_can_be_taken_on_by_a_school_of_the_same_phong(world):
    """The Phòng merged school A into another of its schools: A's teachers, whose only roles
    were at A, are still the Phòng's own people, not strangers."""
    from sms.org.models import Unit

    teacher = world.a.m(Role.TEACHER)
    teacher.user.personal_id = "001203009999"
    teacher.user.save()
    world.a.school.is_active = False
    world.a.school.save()
    Membership.objects.filter(unit=world.a.school).update(is_active=False, ends_on=date(2025, 6, 30))
    merged = Unit.objects.create(
        kind=world.a.school.kind,
        school_type=world.a.school.school_type,
        code="C2AM",
        name="Trường THCS An Bình Mới",
        parent=world.phong1,
    )
    client = web_client(world.members["phong1_admin"])
    response = upload(client, (teacher.user.full_name, "", "", "001203009999", "", "C2AM", "Giáo viên"))
    row = response.context["preview"].rows[0]
    assert row.status == "updated", row.errors  # the same person, a new role
    assert confirm(client, response).status_code == 200
    assert Membership.objects.filter(user=teacher.user, unit=merged, role=Role.TEACHER, is_active=True).exists()
    assert User.objects.filter(personal_id="001203009999").count() == 1


def test_rerun_over_an_existing_role_is_unchanged_and_writes_no_history(world, principal):
    teacher = world.a.m(Role.TEACHER)
    teacher.ends_on = timezone.localdate() + timedelta(days=300)
    teacher.save()
    history = Membership.history.count()
    response = upload(principal, (teacher.user.full_name, teacher.user.username, "", "", "", "C2A", "Giáo viên"))
    assert [r.status for r in response.context["preview"].rows] == ["unchanged"]
    assert confirm(principal, response).status_code == 200
    assert Membership.history.count() == history
    teacher.refresh_from_db()
    assert teacher.ends_on is not None


# --- 7. the temporary password is nowhere but on the slip -----------------------------------------------------


def test_temporary_password_is_stored_nowhere_in_clear(world, principal):
    from pypdf import PdfReader

    response = confirm(principal, upload(principal, ("Trần Thị Mai", "mai.tt", "", "", "", "C2A", "Văn thư")))
    stored = response.context["slips_file"]
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(stored.read_bytes())).pages)
    password = text.split("Mật khẩu tạm thời")[1].split()[0]
    assert len(password) >= 12
    user = User.objects.get(username="mai.tt")
    assert user.check_password(password) and password not in user.password
    texts = []
    for row in StoredFile.objects.values():
        texts += [str(v) for v in row.values()]
    for row in AuditEvent.objects.values():
        texts += [str(v) for v in row.values()]
    for row in Membership.history.values():
        texts += [str(v) for v in row.values()]
    for row in User.objects.values():
        texts += [str(v) for v in row.values()]
    assert not [t for t in texts if password in t]
    assert stored.private and stored.uploaded_by == world.a.m(Role.PRINCIPAL).user
    assert web_client(world.a.m(Role.SCHOOL_ADMIN)).get(stored.get_absolute_url()).status_code == 404
