"""Login policy end to end: one login field, lockout per (account, IP), passwords, idle timeout,
forced change of an initial password, and the password change page."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse

from sms.accounts.middleware import IDLE_KEY
from sms.accounts.models import ApiToken
from sms.accounts.roles import Role
from sms.audit.models import AuditEvent, EventKind
from tests.world import web_client

PASSWORD = "Mật-khẩu-đủ-dài-1"
LOGIN = "/tai-khoan/dang-nhap/"


@pytest.fixture
def teacher(world):
    user = world.a.m(Role.TEACHER).user
    user.email = "an.nv@c2a.edu.vn"
    user.save()
    return user


def login(username, password, ip="10.0.0.1", **extra):
    client = Client(REMOTE_ADDR=ip, **extra)
    response = client.post(LOGIN, {"username": username, "password": password})
    return client, response


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- one login field ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["teacher.c2a", "TEACHER.C2A", "an.nv@c2a.edu.vn", "An.NV@C2A.edu.vn"])
def test_login_by_username_or_email_case_insensitive(teacher, name):
    client, response = login(name, PASSWORD)
    assert response.status_code == 302
    assert logged_in(client)


def test_wrong_password_gives_vietnamese_message(teacher):
    client, response = login("teacher.c2a", "sai-mat-khau-roi")
    assert response.status_code == 200
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in response.content.decode()
    assert not logged_in(client)


# --- lockout per (account, IP) ------------------------------------------------------------------------


def fail(username, ip, times, **extra):
    for _ in range(times):
        login(username, "sai-mat-khau-roi", ip=ip, **extra)


def test_lockout_after_limit_even_with_right_password(teacher, settings):
    fail("teacher.c2a", "10.0.0.1", settings.AXES_FAILURE_LIMIT)
    client, response = login("teacher.c2a", PASSWORD, ip="10.0.0.1")
    assert response.status_code == 429
    assert "Tạm khoá đăng nhập" in response.content.decode()
    assert not logged_in(client)


def test_same_account_from_another_ip_still_logs_in(teacher, settings):
    """A whole school behind one NAT, or someone who knows a published e-mail, cannot lock
    the teacher out everywhere."""
    fail("an.nv@c2a.edu.vn", "203.0.113.9", settings.AXES_FAILURE_LIMIT + 2)
    client, response = login("teacher.c2a", PASSWORD, ip="10.0.0.1")
    assert response.status_code == 302 and logged_in(client)


def test_another_account_from_the_locked_ip_still_logs_in(world, teacher, settings):
    fail("teacher.c2a", "10.0.0.1", settings.AXES_FAILURE_LIMIT)
    client, response = login("teacher2.c2a", PASSWORD, ip="10.0.0.1")
    assert response.status_code == 302 and logged_in(client)


def test_failures_by_email_and_username_count_together(teacher, settings):
    limit = settings.AXES_FAILURE_LIMIT
    fail("an.nv@c2a.edu.vn", "10.0.0.1", limit - 1)
    fail("TEACHER.c2a", "10.0.0.1", 1)
    _, response = login("teacher.c2a", PASSWORD, ip="10.0.0.1")
    assert response.status_code == 429
    _, response = login("an.nv@c2a.edu.vn", PASSWORD, ip="10.0.0.1")
    assert response.status_code == 429


def test_successful_login_resets_the_count(teacher, settings):
    limit = settings.AXES_FAILURE_LIMIT
    fail("teacher.c2a", "10.0.0.1", limit - 1)
    client, response = login("teacher.c2a", PASSWORD, ip="10.0.0.1")
    assert response.status_code == 302
    fail("teacher.c2a", "10.0.0.1", limit - 1)
    client, response = login("teacher.c2a", PASSWORD, ip="10.0.0.1")
    assert response.status_code == 302 and logged_in(client)


def test_lockout_behind_a_trusted_proxy_uses_the_forwarded_client(teacher, settings):
    settings.SMS_TRUSTED_PROXY_COUNT = 1
    proxy = "192.0.2.1"
    # The attacker forges different left-hand entries each time; the proxy appends the real one.
    for n in range(settings.AXES_FAILURE_LIMIT):
        login("teacher.c2a", "sai-mat-khau-roi", ip=proxy, HTTP_X_FORWARDED_FOR=f"1.1.1.{n}, 198.51.100.7")
    _, response = login("teacher.c2a", PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR="9.9.9.9, 198.51.100.7")
    assert response.status_code == 429
    # The same proxy forwarding another client: not locked.
    client, response = login("teacher.c2a", PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert response.status_code == 302 and logged_in(client)


# --- passwords (OWASP ASVS L2) -------------------------------------------------------------------------


def change(client, old, new):
    return client.post(reverse("password-change"), {"old_password": old, "new_password1": new, "new_password2": new})


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("ngan-7c", "Mật khẩu quá ngắn: cần ít nhất 8 ký tự."),
        ("matkhau123", "quá phổ biến"),
        ("Password1", "quá phổ biến"),
        ("12345678", "quá phổ biến"),
        ("Matkhau@2024", "quá phổ biến"),
        ("x" * 100 + "ạ" * 29, "dài quá 128 ký tự"),
    ],
)
def test_bad_passwords_refused_in_vietnamese(teacher, new, message):
    client = web_client(teacher.memberships.first())
    response = change(client, PASSWORD, new)
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert "This password" not in body
    teacher.refresh_from_db()
    assert teacher.check_password(PASSWORD)


def test_long_vietnamese_passphrase_accepted_and_session_kept(teacher):
    client = web_client(teacher.memberships.first())
    new = "Đường lên Sa Pa mùa đông năm ấy lạnh lắm"
    response = change(client, PASSWORD, new)
    assert response.status_code == 302
    teacher.refresh_from_db()
    assert teacher.check_password(new)
    assert client.get("/").status_code == 200  # still logged in
    assert AuditEvent.objects.filter(kind=EventKind.PASSWORD_CHANGED, user=teacher).exists()


def test_wrong_current_password_refused(teacher):
    client = web_client(teacher.memberships.first())
    response = change(client, "khong-phai-mat-khau", "Đường lên Sa Pa mùa đông")
    assert "Mật khẩu hiện tại không đúng" in response.content.decode()


def test_no_forced_rotation_for_an_old_password(world, teacher):
    """A password set years ago is not a reason to change it (NIST SP 800-63B 5.1.1.2): the
    login lands on the dashboard. A temporary password, by contrast, is sent to the change page."""
    from django.utils import timezone

    long_ago = timezone.now().replace(year=2015)
    type(teacher).objects.filter(pk=teacher.pk).update(date_joined=long_ago, last_login=long_ago)
    client, response = login("teacher.c2a", PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    page = client.get(reverse("home"))
    assert page.status_code == 200 and "home.html" in [t.name for t in page.templates]
    assert client.get(reverse("org:schoolclass-list")).status_code == 200

    other = world.a.m("teacher2").user
    type(other).objects.filter(pk=other.pk).update(date_joined=long_ago, must_change_password=True)
    client, _ = login(other.username, PASSWORD)
    assert client.get(reverse("home"))["Location"].startswith(reverse("password-change"))


# --- idle timeout ------------------------------------------------------------------------------------------


def _set_last_seen(client, seconds_ago):
    session = client.session
    session[IDLE_KEY] = int(time.time()) - seconds_ago
    session.save()


def test_idle_session_is_logged_out_with_a_message(teacher, settings):
    client = web_client(teacher.memberships.first())
    client.get("/")
    _set_last_seen(client, settings.SESSION_IDLE_TIMEOUT + 5)
    response = client.get("/", follow=True)
    assert response.redirect_chain and LOGIN in response.redirect_chain[-1][0]
    assert "Phiên làm việc đã hết hạn vì lâu không thao tác" in response.content.decode()
    assert not logged_in(client)


def test_active_session_is_kept(teacher, settings):
    client = web_client(teacher.memberships.first())
    client.get("/")
    _set_last_seen(client, settings.SESSION_IDLE_TIMEOUT - 60)
    assert client.get("/").status_code == 200
    assert logged_in(client)


# --- initial or reset password must be changed first ------------------------------------------------------------


def test_must_change_password_goes_to_the_change_page_first(world, teacher):
    teacher.must_change_password = True
    teacher.save()
    client, response = login("teacher.c2a", PASSWORD)
    assert response.status_code == 302
    response = client.get(reverse("org:schoolclass-list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("password-change"))
    assert client.post(reverse("org:subject-create"), {}).status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200 and "mật khẩu tạm thời" in page.content.decode()
    # The API through the session is closed too; a token-less user gets a clear refusal.
    assert client.get("/api/me/").status_code == 403
    response = client.post(
        reverse("password-change") + "?next=/to-chuc/lop/",
        {
            "old_password": PASSWORD,
            "new_password1": "Đường lên Sa Pa mùa đông",
            "new_password2": "Đường lên Sa Pa mùa đông",
            "next": "/to-chuc/lop/",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/to-chuc/lop/"
    teacher.refresh_from_db()
    assert not teacher.must_change_password
    assert client.get(reverse("org:schoolclass-list")).status_code == 200


def test_logout_is_open_while_a_change_is_required(teacher):
    teacher.must_change_password = True
    teacher.save()
    client, _ = login("teacher.c2a", PASSWORD)
    client.post(reverse("logout"))
    assert not logged_in(client)


def test_api_token_is_not_blocked_by_the_change_requirement(teacher):
    """Tokens are bound to a membership and issued by the person; the flag guards the web session."""
    membership = teacher.memberships.first()
    _, raw = ApiToken.issue(membership, "t")
    teacher.must_change_password = True
    teacher.save()
    client = Client(HTTP_AUTHORIZATION=f"Token {raw}")
    assert client.get("/api/me/").status_code == 200
