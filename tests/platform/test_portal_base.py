"""The public lookup base (sms.portal): sessionless, throttled, logged, embeddable only by the portal.

The lookup under test (tests/portal_testurls.py) finds a unit by code + phone number, as the
real ones will find a learner by code + date of birth.
"""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.test import Client

from sms.accounts.roles import Role
from sms.accounts.scoping import visible_to
from sms.portal.models import LookupLog
from sms.portal.throttle import identifier_key, normalise_identifier
from tests.portal_testurls import UnitLookup
from tests.world import web_client

pytestmark = pytest.mark.urls("tests.portal_testurls")

URL = "/tra-cuu-thu/don-vi/"
PHONE = "0912 345 678"
PORTAL = "https://sgd.thunghiem.edu.vn"


@pytest.fixture(autouse=True)
def _clean(settings):
    cache.clear()
    UnitLookup.calls.clear()
    settings.PORTAL_ORIGINS = [PORTAL, "https://thunghiem.edu.vn"]
    settings.PORTAL_RATE_PER_IP = 60
    settings.PORTAL_MISSES_PER_IDENTIFIER = 10
    settings.SMS_TRUSTED_PROXY_COUNT = 0
    yield
    cache.clear()


@pytest.fixture
def school(world):
    unit = world.a.school
    unit.phone = PHONE
    unit.save()
    return unit


def post(client, data, *, ip="203.0.113.5", **extra):
    return client.post(URL, data, REMOTE_ADDR=ip, **extra)


def post_json(client, data, *, ip="203.0.113.5", **extra):
    return client.post(URL, json.dumps(data), content_type="application/json", REMOTE_ADDR=ip, **extra)


def vary(response) -> set[str]:
    return {v.strip().lower() for v in response.get("Vary", "").split(",") if v.strip()}


# --- sessionless, no CSRF -------------------------------------------------------------------


def test_form_page_is_a_standalone_accessible_page(db):
    response = Client().get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="vi">' in html
    assert "<h1>Tra cứu đơn vị</h1>" in html
    assert '<label for="id_code">Mã đơn vị:</label>' in html
    assert 'aria-live="polite"' in html
    assert "sms/portal.css" in html
    assert "site-nav" not in html  # not the application's chrome
    assert "Set-Cookie" not in str(response.headers)
    assert not response.cookies


@pytest.mark.django_db
def test_lookup_needs_no_csrf_token_and_sets_no_cookie(school):
    client = Client(enforce_csrf_checks=True)
    response = post(client, {"code": school.code, "phone": PHONE})
    assert response.status_code == 200
    assert "Trường THCS An Bình" in response.content.decode()
    assert not response.cookies
    assert "cookie" not in vary(response)


@pytest.mark.django_db
def test_logged_in_visitor_gets_no_session_cookie_or_vary_cookie(world, school):
    """Even with a session (a teacher who is also logged in), the answer is the public one."""
    client = web_client(world.a.m(Role.TEACHER))
    for response in (client.get(URL), post(client, {"code": school.code, "phone": PHONE})):
        assert response.status_code == 200
        assert not response.cookies, response.cookies
        assert "cookie" not in vary(response)


# --- what comes back --------------------------------------------------------------------------


@pytest.mark.django_db
def test_json_when_asked_html_otherwise(school):
    client = Client()
    as_json = post_json(client, {"code": school.code, "phone": PHONE})
    assert as_json["Content-Type"].startswith("application/json")
    assert as_json.json() == {"found": True, "result": {"code": "C2A", "name": "Trường THCS An Bình"}}
    # Vietnamese as UTF-8, not \u escapes
    assert "Trường THCS An Bình".encode() in as_json.content

    by_accept = post(client, {"code": school.code, "phone": PHONE}, HTTP_ACCEPT="application/json")
    assert by_accept.json()["found"] is True

    by_format = client.post(URL + "?format=json", {"code": school.code, "phone": PHONE}, REMOTE_ADDR="203.0.113.5")
    assert by_format.json()["found"] is True

    html = post(client, {"code": school.code, "phone": PHONE}, HTTP_ACCEPT="text/html,application/xhtml+xml")
    assert html["Content-Type"].startswith("text/html")
    page = html.content.decode()
    assert '<th scope="row">Tên đơn vị</th><td>Trường THCS An Bình</td>' in page
    assert "<caption>" in page


@pytest.mark.django_db
def test_every_answer_is_uncacheable(school):
    client = Client()
    responses = [
        client.get(URL),
        post(client, {"code": school.code, "phone": PHONE}),
        post(client, {"code": "KHONG-CO", "phone": PHONE}),
        post_json(client, {"code": ""}),
    ]
    for response in responses:
        directives = {d.strip() for d in response["Cache-Control"].split(",")}
        assert {"no-store", "private"} <= directives, response["Cache-Control"]


@pytest.mark.django_db
def test_invalid_input_shows_an_error_summary(db):
    client = Client()
    response = post(client, {"code": "C2A"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'role="alert"' in page
    assert '<a href="#id_phone">Số điện thoại: ' in page
    assert 'aria-invalid="true"' in page
    assert 'aria-describedby="id_phone-error"' in page
    data = post_json(client, {"code": "C2A"}).json()
    assert data["found"] is False and "phone" in data["errors"]
    # nested JSON values are refused, not fed to the form
    assert post_json(client, {"code": ["C2A"], "phone": PHONE}).status_code == 400
    assert UnitLookup.calls == []


@pytest.mark.django_db
def test_identifiers_are_never_read_from_the_query_string(school):
    client = Client()
    query = f"?code={school.code}&phone={PHONE.replace(' ', '+')}"
    response = client.post(URL + query, {}, REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 400
    assert UnitLookup.calls == []
    page = client.get(URL + query).content.decode()
    assert school.code not in page and "0912" not in page  # the form is not pre-filled from the URL
    assert not LookupLog.objects.filter(identifier=school.code).exists()


@pytest.mark.django_db
def test_identifier_is_normalised_before_lookup(school):
    response = post_json(Client(), {"code": "  c2a ", "phone": PHONE})
    assert response.json()["found"] is True
    assert UnitLookup.calls[-1]["code"] == "C2A"


def test_identifier_normalisation_is_nfc_trimmed_and_case_blind():
    decomposed = "  nguye\u0302\u0303n   van "  # typed on a Mac: e + circumflex + tilde
    assert normalise_identifier(decomposed, "upper") == "NGUYỄN VAN"
    assert normalise_identifier(decomposed, "lower") == "nguyễn van"
    assert normalise_identifier(" AbC ", None) == "AbC"
    assert identifier_key("k", "ABC") == identifier_key("k", normalise_identifier("abc ", "upper"))
    assert identifier_key("k", "ABC") != identifier_key("other", "ABC")
    assert "ABC" not in identifier_key("k", "ABC")


# --- a miss is one answer ---------------------------------------------------------------------


@pytest.mark.django_db
def test_wrong_secret_answers_exactly_like_an_unknown_identifier(school):
    client = Client()
    for send in (post, post_json):
        wrong_secret = send(client, {"code": school.code, "phone": "0999 999 999"})
        unknown_id = send(client, {"code": "KHONG-TON-TAI", "phone": "0999 999 999"})
        assert wrong_secret.status_code == unknown_id.status_code == 200
        assert wrong_secret.content == unknown_id.content
        assert dict(wrong_secret.headers) == dict(unknown_id.headers)
        assert "Không tìm thấy thông tin phù hợp" in wrong_secret.content.decode()
        # nothing typed is echoed back
        assert "0999" not in wrong_secret.content.decode()
        assert school.code not in wrong_secret.content.decode()


# --- the log ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_lookup_is_logged_without_the_secret(school):
    client = Client()
    post(client, {"code": " c2a", "phone": PHONE}, ip="198.51.100.7")
    post_json(client, {"code": "c2a", "phone": "0123 000 111"}, ip="198.51.100.8")
    rows = list(LookupLog.objects.order_by("pk"))
    assert [(r.kind, r.identifier, r.found, r.throttled, r.ip) for r in rows] == [
        ("test-unit", "C2A", True, False, "198.51.100.7"),
        ("test-unit", "C2A", False, False, "198.51.100.8"),
    ]
    assert rows[0].unit_id == school.pk and rows[1].unit_id is None
    for row in rows:
        for field in LookupLog._meta.concrete_fields:
            value = str(field.value_from_object(row))
            assert "0912" not in value and "345 678" not in value and "0123" not in value, field.name


@pytest.mark.django_db
def test_the_log_is_read_through_the_door_by_the_department_only(world, school):
    post(Client(), {"code": school.code, "phone": PHONE})
    assert visible_to(world.actor(world.members["so_admin"]), LookupLog).count() == 1
    assert visible_to(world.actor(world.members["so_staff"]), LookupLog).count() == 1
    assert not visible_to(world.actor(world.a.m(Role.PRINCIPAL)), LookupLog).exists()
    assert not visible_to(world.actor(world.members["phong1_admin"]), LookupLog).exists()
    assert not visible_to(world.actor(world.members["so_admin"]), LookupLog, "change").exists()


# --- throttling -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_per_ip_limit_answers_429_in_vietnamese_without_looking_up(settings, school):
    settings.PORTAL_RATE_PER_IP = 3
    client = Client()
    for _ in range(3):
        assert post(client, {"code": school.code, "phone": PHONE}).status_code == 200
    calls = len(UnitLookup.calls)
    refused = post(client, {"code": school.code, "phone": PHONE})
    assert refused.status_code == 429
    assert "Bạn đã tra cứu quá nhiều lần. Vui lòng thử lại sau 1 phút." in refused.content.decode()
    assert 'role="alert"' in refused.content.decode()
    assert 1 <= int(refused["Retry-After"]) <= 60
    as_json = post_json(client, {"code": school.code, "phone": PHONE})
    assert as_json.status_code == 429 and as_json.json()["message"].startswith("Bạn đã tra cứu quá nhiều lần")
    assert len(UnitLookup.calls) == calls  # the lookup never ran
    assert LookupLog.objects.filter(throttled=True).count() == 2
    # another address is not affected
    assert post(client, {"code": school.code, "phone": PHONE}, ip="203.0.113.99").status_code == 200


@pytest.mark.django_db
def test_hits_never_count_against_an_identifier(settings, school):
    settings.PORTAL_MISSES_PER_IDENTIFIER = 2
    client = Client()
    for _ in range(6):
        assert post_json(client, {"code": school.code, "phone": PHONE}).json()["found"] is True


@pytest.mark.django_db
def test_misses_block_an_identifier_from_any_address(settings, school):
    """Guessing one school's secret from many addresses behind the proxy is capped."""
    settings.PORTAL_MISSES_PER_IDENTIFIER = 2
    settings.SMS_TRUSTED_PROXY_COUNT = 1
    client = Client()

    def guess(code, phone, n):
        return post_json(client, {"code": code, "phone": phone}, ip="10.0.0.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")

    assert guess("c2a ", "000", 1).json()["found"] is False
    assert guess("C2A", "111", 2).json()["found"] is False  # same identifier after normalisation
    calls = len(UnitLookup.calls)
    blocked = guess("C2A", PHONE, 3)  # even the right secret, from a third address
    assert blocked.status_code == 429
    assert "Vui lòng thử lại sau" in blocked.json()["message"]
    assert 1 <= int(blocked["Retry-After"]) <= 3600
    assert len(UnitLookup.calls) == calls
    assert LookupLog.objects.filter(identifier="C2A", throttled=True, ip="198.51.100.3").count() == 1
    # other identifiers are untouched
    assert guess("C2B", "000", 4).status_code == 200


def test_guesses_in_flight_at_once_cannot_overrun_the_cap(settings):
    """Each attempt takes its place before the lookup runs: with 15 guesses in flight at
    the same moment only the cap passes, and a hit gives its place back."""
    from sms.portal import throttle

    settings.PORTAL_MISSES_PER_IDENTIFIER = 10
    verdicts = [throttle.reserve_attempt("test-unit", "C2A").allowed for _ in range(15)]
    assert verdicts.count(True) == 10
    cache.clear()
    for _ in range(10):
        assert throttle.reserve_attempt("test-unit", "C2A").allowed
    throttle.release_attempt("test-unit", "C2A")  # one of them was a hit
    assert throttle.misses("test-unit", "C2A") == 9
    assert throttle.reserve_attempt("test-unit", "C2A").allowed
    assert not throttle.reserve_attempt("test-unit", "C2A").allowed


@pytest.mark.django_db
def test_ipv6_clients_are_counted_per_64_network(settings, school):
    settings.PORTAL_RATE_PER_IP = 2
    client = Client()
    assert post(client, {"code": school.code, "phone": PHONE}, ip="2001:db8:1:2::1").status_code == 200
    assert post(client, {"code": school.code, "phone": PHONE}, ip="2001:db8:1:2::ffff").status_code == 200
    # a fresh address in the same /64 is the same subscriber
    assert post(client, {"code": school.code, "phone": PHONE}, ip="2001:db8:1:2:abcd::9").status_code == 429
    assert post(client, {"code": school.code, "phone": PHONE}, ip="2001:db8:1:3::1").status_code == 200


# --- embedding and CORS -----------------------------------------------------------------------


@pytest.mark.django_db
def test_only_the_portal_origins_may_embed(school):
    response = Client().get(URL)
    csp = response["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {PORTAL} https://thunghiem.edu.vn" in csp
    assert "X-Frame-Options" not in response.headers
    assert "X-Frame-Options" not in post(Client(), {"code": school.code, "phone": PHONE}).headers


def test_other_pages_still_refuse_framing(db, client):
    """Lifting X-Frame-Options is for lookup views only."""
    response = client.get("/khong-phai-tra-cuu/")
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_cors_answers_only_the_configured_origins(school):
    client = Client()
    data = {"code": school.code, "phone": PHONE}
    allowed = post_json(client, data, HTTP_ORIGIN=PORTAL)
    assert allowed["Access-Control-Allow-Origin"] == PORTAL
    assert "origin" in vary(allowed)
    assert "Access-Control-Allow-Credentials" not in allowed.headers

    other = post_json(client, data, HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in other.headers
    assert "origin" in vary(other)

    preflight = client.options(
        URL,
        HTTP_ORIGIN=PORTAL,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == PORTAL
    assert "POST" in preflight["Access-Control-Allow-Methods"]
    assert "content-type" in preflight["Access-Control-Allow-Headers"].lower()

    refused = client.options(URL, HTTP_ORIGIN="https://evil.example", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert not any(h.lower().startswith("access-control-") for h in refused.headers)
    assert UnitLookup.calls == [data | {"code": "C2A"}] * 2
