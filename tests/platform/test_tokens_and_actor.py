"""API tokens, the actor they carry, the unit switcher, login, and the membership grant API."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from sms.accounts.actors import SESSION_KEY
from sms.accounts.models import ApiToken, Membership, User
from sms.accounts.roles import Role
from tests.world import World, api_client, grant, make_user, web_client

pytestmark = pytest.mark.django_db

VIETNAMESE = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]")


def is_vietnamese(text: str) -> bool:
    return bool(VIETNAMESE.search(str(text).lower()))


def token_client(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


def class_ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# --------------------------------------------------------------------------- ApiToken.issue


def test_issued_key_is_stored_only_as_its_hash(world: World) -> None:
    token, raw = ApiToken.issue(world.a.m(Role.TEACHER), "Sổ điểm")
    assert len(raw) >= 32
    stored = ApiToken.objects.get(pk=token.pk)
    for field in ApiToken._meta.concrete_fields:
        assert raw not in str(getattr(stored, field.attname)), field.name
    assert re.fullmatch(r"[0-9a-f]{64}", stored.key_hash)
    assert stored.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw.startswith(stored.prefix) and len(stored.prefix) < len(raw)
    assert ApiToken.find(raw) == stored
    assert ApiToken.find(raw + "x") is None


def test_each_issue_gives_a_new_key(world: World) -> None:
    membership = world.a.m(Role.TEACHER)
    keys = {ApiToken.issue(membership, "x")[1] for _ in range(5)}
    assert len(keys) == 5


# --------------------------------------------------------------------------- refused tokens


def _expire(token: ApiToken, membership: Membership) -> None:
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))


def _revoke(token: ApiToken, membership: Membership) -> None:
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())


def _end_membership(token: ApiToken, membership: Membership) -> None:
    Membership.objects.filter(pk=membership.pk).update(is_active=False)


def _deactivate_user(token: ApiToken, membership: Membership) -> None:
    User.objects.filter(pk=membership.user_id).update(is_active=False)


def _dissolve_unit(token: ApiToken, membership: Membership) -> None:
    type(membership.unit).objects.filter(pk=membership.unit_id).update(is_active=False)


@pytest.mark.parametrize(
    "spoil",
    [_expire, _revoke, _end_membership, _deactivate_user, _dissolve_unit],
    ids=["expired", "revoked", "membership-ended", "user-inactive", "unit-dissolved"],
)
def test_unusable_token_is_401_with_vietnamese_detail(world: World, spoil) -> None:
    membership = world.a.m(Role.TEACHER)
    token, raw = ApiToken.issue(membership, "test")
    client = token_client(raw)
    assert client.get("/api/org/classes/").status_code == 200  # it worked before

    spoil(token, membership)
    response = client.get("/api/org/classes/")
    assert response.status_code == 401
    body = response.json()
    assert is_vietnamese(body["detail"]), body
    assert "results" not in body
    assert response["WWW-Authenticate"] == "Token"


def test_token_of_a_membership_past_its_end_date_is_refused(world: World) -> None:
    membership = world.a.m(Role.TEACHER)
    client = api_client(membership)
    Membership.objects.filter(pk=membership.pk).update(ends_on=timezone.localdate() - dt.timedelta(days=1))
    assert client.get("/api/org/classes/").status_code == 401


@pytest.mark.parametrize("header", ["Token", "Token a b", "Token nonsense", "token " + "x" * 43])
def test_malformed_or_unknown_token_is_401(world: World, header: str) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/org/classes/")
    assert response.status_code == 401
    assert is_vietnamese(response.json()["detail"])


# --------------------------------------------------------------------------- the token's actor


@pytest.fixture
def two_schools_teacher(world: World) -> tuple[Membership, Membership]:
    """One person teaching at A and at B (A is their default: it sorts first)."""
    user = make_user("gv.hai.truong", "Lê Văn Hai")
    return grant(user, world.a.school, Role.TEACHER), grant(user, world.b.school, Role.TEACHER)


@pytest.mark.parametrize("side", ["a", "b"])
def test_a_token_acts_as_its_own_membership(world: World, two_schools_teacher, side: str) -> None:
    at_a, at_b = two_schools_teacher
    membership, school = (at_a, world.a) if side == "a" else (at_b, world.b)
    client = api_client(membership)

    assert class_ids(client.get("/api/org/classes/")) == {school.klass.pk}
    me = client.get("/api/me/").json()
    assert me["membership"] == membership.pk
    assert me["unit"] == school.school.pk
    assert me["role"] == Role.TEACHER
    assert me["username"] == "gv.hai.truong"


def test_token_membership_wins_over_the_session_unit(world: World, two_schools_teacher) -> None:
    """A browser session acting at A does not change what a B-bound token reaches."""
    at_a, at_b = two_schools_teacher
    assert class_ids(web_client(at_a).get("/api/org/classes/")) == {world.a.klass.pk}
    assert class_ids(api_client(at_b).get("/api/org/classes/")) == {world.b.klass.pk}


# --------------------------------------------------------------------------- tokens API


def test_create_token_returns_the_key_once(world: World) -> None:
    membership = world.a.m(Role.TEACHER)
    client = api_client(membership)
    response = client.post("/api/tokens/", {"name": "Đồng bộ sổ điểm"}, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    raw = created["key"]
    assert raw and created["name"] == "Đồng bộ sổ điểm"
    token = ApiToken.objects.get(pk=created["id"])
    assert token.membership == membership
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()

    # the key works and acts in the membership it was created in
    assert token_client(raw).get("/api/me/").json()["membership"] == membership.pk

    # ... and is never shown again
    for url in ("/api/tokens/", f"/api/tokens/{token.pk}/"):
        again = client.get(url)
        assert again.status_code == 200
        assert raw not in again.content.decode()
    listed = client.get("/api/tokens/").json()["results"]
    assert {row["id"] for row in listed} >= {token.pk}
    assert all(not row.get("key") for row in listed)


def test_revoked_token_is_unusable(world: World) -> None:
    client = api_client(world.a.m(Role.TEACHER))
    created = client.post("/api/tokens/", {"name": "tạm"}, format="json").json()
    second = token_client(created["key"])
    assert second.get("/api/me/").status_code == 200

    response = client.post(f"/api/tokens/{created['id']}/revoke/")
    assert response.status_code == 200
    assert response.json()["revoked_at"]
    assert second.get("/api/me/").status_code == 401
    assert client.get("/api/me/").status_code == 200  # the other token is untouched


@pytest.mark.parametrize(("asked", "expected"), [(3650, 30), (31, 30), (7, 7), (None, 30)])
def test_token_days_are_capped(world: World, settings, asked: int | None, expected: int) -> None:
    settings.SMS_API_TOKEN_DAYS = 30
    client = api_client(world.a.m(Role.TEACHER))
    payload = {"name": "hạn"} if asked is None else {"name": "hạn", "days": asked}
    before = timezone.now()
    response = client.post("/api/tokens/", payload, format="json")
    assert response.status_code == 201, response.content
    expires = parse_datetime(response.json()["expires_at"])
    assert before + dt.timedelta(days=expected) <= expires <= timezone.now() + dt.timedelta(days=expected)


def test_someone_elses_token_is_invisible(world: World) -> None:
    mine = api_client(world.a.m(Role.TEACHER))
    their_token, their_raw = ApiToken.issue(world.a.m("teacher2"), "của người khác")

    assert their_token.pk not in {row["id"] for row in mine.get("/api/tokens/").json()["results"]}
    assert mine.get(f"/api/tokens/{their_token.pk}/").status_code == 404
    assert mine.post(f"/api/tokens/{their_token.pk}/revoke/").status_code == 404
    assert token_client(their_raw).get("/api/me/").status_code == 200


# --------------------------------------------------------------------------- unit switcher (HTML)

CLASS_LIST = "/to-chuc/lop/"
SWITCH = "/tai-khoan/don-vi-lam-viec/"


def class_link(klass) -> str:
    return f'href="/to-chuc/lop/{klass.pk}/"'


def shows_only(page, world: World, side: str) -> None:
    assert page.status_code == 200
    html = page.content.decode()
    shown, hidden = (world.a, world.b) if side == "a" else (world.b, world.a)
    assert class_link(shown.klass) in html
    assert class_link(hidden.klass) not in html


def test_switching_to_another_own_membership(world: World, two_schools_teacher) -> None:
    at_a, at_b = two_schools_teacher
    client = web_client(at_a)
    shows_only(client.get(CLASS_LIST), world, "a")

    response = client.post(SWITCH, {"membership": at_b.pk, "next": CLASS_LIST})
    assert response.status_code == 302
    assert response["Location"] == CLASS_LIST
    assert client.session[SESSION_KEY] == at_b.pk
    page = client.get(CLASS_LIST)
    shows_only(page, world, "b")
    assert "Bạn đang làm việc với vai trò" in page.content.decode()
    shows_only(client.get(CLASS_LIST), world, "b")  # and it stays


@pytest.mark.parametrize("target", ["someone-else", "ended-own", "missing", "garbage", "empty"])
def test_switching_to_a_membership_that_is_not_yours_is_refused(world: World, two_schools_teacher, target) -> None:
    at_a, at_b = two_schools_teacher
    if target == "ended-own":
        Membership.objects.filter(pk=at_b.pk).update(is_active=False)
    membership_id = {
        "someone-else": world.b.m(Role.PRINCIPAL).pk,
        "ended-own": at_b.pk,
        "missing": Membership.objects.order_by("-pk").first().pk + 100,
        "garbage": "abc",
        "empty": "",
    }[target]
    client = web_client(at_a)
    response = client.post(SWITCH, {"membership": membership_id, "next": CLASS_LIST})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == at_a.pk
    page = client.get(CLASS_LIST)
    shows_only(page, world, "a")
    assert "Không tìm thấy vai trò này trong tài khoản của bạn." in page.content.decode()


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "http://evil.example/to-chuc/lop/", "https:evil.example"]
)
def test_switcher_refuses_open_redirects(world: World, two_schools_teacher, next_url: str) -> None:
    at_a, at_b = two_schools_teacher
    client = web_client(at_a)
    response = client.post(SWITCH, {"membership": at_b.pk, "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_switcher_accepts_only_post(world: World, two_schools_teacher) -> None:
    at_a, at_b = two_schools_teacher
    client = web_client(at_a)
    assert client.get(SWITCH, {"membership": at_b.pk}).status_code == 405
    assert client.session[SESSION_KEY] == at_a.pk


# --------------------------------------------------------------------------- login

LOGIN = "/tai-khoan/dang-nhap/"
PASSWORD = "Mật-khẩu-đủ-dài-2"
WRONG_LOGIN = "Tên đăng nhập hoặc mật khẩu không đúng"


@pytest.fixture
def person(db) -> User:
    return User.objects.create_user(
        username="thay.minh", email="Minh.Tran@ThcsAnBinh.edu.vn", password=PASSWORD, full_name="Trần Văn Minh"
    )


@pytest.mark.parametrize(
    "login_name",
    ["thay.minh", "THAY.Minh", "minh.tran@thcsanbinh.edu.vn", "MINH.TRAN@ThcsAnBinh.EDU.VN"],
)
def test_login_with_username_or_official_email(person: User, login_name: str) -> None:
    client = Client()
    response = client.post(LOGIN, {"username": login_name, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    assert int(client.session["_auth_user_id"]) == person.pk


@pytest.mark.parametrize(
    ("login_name", "password"),
    [("thay.minh", "sai-mật-khẩu-1"), ("minh.tran@thcsanbinh.edu.vn", PASSWORD.upper()), ("khong.co", PASSWORD)],
)
def test_wrong_login_shows_a_vietnamese_error(person: User, login_name: str, password: str) -> None:
    client = Client()
    response = client.post(LOGIN, {"username": login_name, "password": password})
    assert response.status_code == 200
    assert WRONG_LOGIN in response.content.decode()
    assert "_auth_user_id" not in client.session


# --------------------------------------------------------------------------- membership grant API


def test_principal_grants_a_teacher_role(world: World) -> None:
    principal = world.a.m(Role.PRINCIPAL)
    clerk = world.a.m(Role.CLERK).user
    response = api_client(principal).post(
        "/api/memberships/", {"user": clerk.pk, "unit": world.a.school.pk, "role": Role.TEACHER}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    granted = Membership.objects.get(pk=body["id"])
    assert (granted.user, granted.unit, granted.role, granted.is_active) == (clerk, world.a.school, Role.TEACHER, True)
    assert granted.granted_by == principal.user
    assert body["granted_by"] == principal.user.pk
    # the new role is usable at once: the clerk can now act as a teacher of A
    assert class_ids(api_client(granted).get("/api/org/classes/")) == {world.a.klass.pk}


def test_principal_cannot_grant_above_their_rank(world: World) -> None:
    clerk = world.a.m(Role.CLERK).user
    response = api_client(world.a.m(Role.PRINCIPAL)).post(
        "/api/memberships/", {"user": clerk.pk, "unit": world.a.school.pk, "role": Role.SO_ADMIN}, format="json"
    )
    assert response.status_code in (400, 403), response.content
    body = response.json()
    messages = [body["detail"], *[m for msgs in body.get("errors", {}).values() for m in msgs]]
    assert any(is_vietnamese(m) and ("Quản trị Sở" in m or "vai trò" in m.lower()) for m in messages), body
    assert not Membership.objects.filter(user=clerk, role=Role.SO_ADMIN).exists()


def test_principal_cannot_grant_outside_their_school(world: World) -> None:
    clerk = world.a.m(Role.CLERK).user
    response = api_client(world.a.m(Role.PRINCIPAL)).post(
        "/api/memberships/", {"user": clerk.pk, "unit": world.b.school.pk, "role": Role.TEACHER}, format="json"
    )
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert "unit" in errors
    assert all(is_vietnamese(m) for m in errors["unit"])
    assert not Membership.objects.filter(user=clerk, unit=world.b.school).exists()


def test_ending_a_membership_keeps_the_row(world: World) -> None:
    target = world.a.m("teacher2")
    their_client = api_client(target)
    assert their_client.get("/api/me/").status_code == 200

    response = api_client(world.a.m(Role.PRINCIPAL)).post(f"/api/memberships/{target.pk}/end/")
    assert response.status_code == 200, response.content
    assert response.json()["is_active"] is False
    ended = Membership.objects.get(pk=target.pk)
    assert ended.is_active is False
    assert ended.ends_on == timezone.localdate()
    assert their_client.get("/api/me/").status_code == 401  # its tokens stop working


def test_ending_another_schools_membership_is_404(world: World) -> None:
    target = world.b.m(Role.TEACHER)
    response = api_client(world.a.m(Role.PRINCIPAL)).post(f"/api/memberships/{target.pk}/end/")
    assert response.status_code == 404
    assert Membership.objects.get(pk=target.pk).is_active is True


def test_an_ended_membership_can_be_granted_again(world: World) -> None:
    """The clerk (still clerk of A, so pickable) was a teacher; the role is ended, then given back."""
    principal = api_client(world.a.m(Role.PRINCIPAL))
    clerk = world.a.m(Role.CLERK).user
    payload = {"user": clerk.pk, "unit": world.a.school.pk, "role": Role.TEACHER}
    first = principal.post("/api/memberships/", payload, format="json")
    assert first.status_code == 201, first.content
    assert principal.post(f"/api/memberships/{first.json()['id']}/end/").status_code == 200

    again = principal.post("/api/memberships/", payload, format="json")
    assert again.status_code == 201, again.content
    assert again.json()["id"] == first.json()["id"]
    assert Membership.objects.get(pk=first.json()["id"]).is_active is True
