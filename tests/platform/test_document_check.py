"""QR codes on printed documents (sms.portal.documents): the token, the public check page it
opens, revoking a printed code, the list of printed codes, and the QR flowable itself.

The document kind here ("test-paper") is registered by the test, standing in for a record
book or a diploma: ``describe(ref)`` says what its check page shows now, or None.
"""

from __future__ import annotations

import hashlib
import io
import re
from urllib.parse import urlsplit

import pypdf
import pytest
from django.core import checks
from django.core.cache import cache
from django.template.loader import render_to_string
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from sms.accounts.roles import Role
from sms.exports import pdf
from sms.portal import documents
from sms.portal.apps import check_public_url
from sms.portal.lookups import MSG_THROTTLED
from sms.portal.models import DocumentToken, LookupLog
from sms.portal.public import PUBLIC_ROUTE_NAMES
from tests.factories import MAKERS
from tests.world import web_client

PORTAL = "https://sgd.thunghiem.edu.vn"
PUBLIC_URL = "https://tracuu.sogd.thunghiem.edu.vn"
PATH = "/cong/kiem-tra/"
KIND = "test-paper"
IP = "203.0.113.5"

CHECKS = {
    "1": documents.Check(
        heading="Giấy chứng nhận thử số GCN-001",
        status="corrected",
        status_label="Còn hiệu lực (đã đính chính)",
        rows=[("Họ và tên", "Nguyễn Thị Hương"), ("Ngày sinh", "03/02/2010"), ("Số hiệu", "GCN-001")],
        notes=["Đã đính chính ngày sinh ngày 01/06/2026."],
        data={"ho_ten": "Nguyễn Thị Hương", "ngay_sinh": "2010-02-03", "so_hieu": "GCN-001"},
    ),
    "2": documents.Check(heading="Giấy chứng nhận thử số GCN-002", status="valid", status_label="Còn hiệu lực"),
    "gone": None,  # the document is no longer published: nothing to show
}


@pytest.fixture(autouse=True)
def _clean(settings):
    cache.clear()
    settings.PORTAL_ORIGINS = [PORTAL, "https://thunghiem.edu.vn"]
    settings.PORTAL_RATE_PER_IP = 60
    settings.SMS_TRUSTED_PROXY_COUNT = 0
    settings.PORTAL_PUBLIC_URL = PUBLIC_URL + "/"
    yield
    cache.clear()


@pytest.fixture
def described():
    """The test kind, registered for the test only; the refs ``describe`` was asked about."""
    calls: list[str] = []

    def describe(ref):
        calls.append(ref)
        return CHECKS.get(ref)

    documents.register(KIND, title="Kiểm tra giấy chứng nhận thử", describe=describe)
    yield calls
    documents._KINDS.pop(KIND, None)


def issue(side, ref="1", *, kind=KIND, label="Giấy chứng nhận thử, bản in 1", actor=None) -> str:
    return documents.issue_token(kind, ref, unit_id=side.school.pk, actor=actor, label=label)


def check(client, token, *, ip=IP, **extra):
    return client.get(PATH, {"ma": token}, REMOTE_ADDR=ip, **extra)


def check_json(client, token, *, ip=IP, **extra):
    return check(client, token, ip=ip, HTTP_ACCEPT="application/json", **extra)


def row_of(token) -> DocumentToken:
    return DocumentToken.objects.get(digest=hashlib.sha256(token.encode()).hexdigest())


def vary(response) -> set[str]:
    return {v.strip().lower() for v in response.get("Vary", "").split(",") if v.strip()}


# --- issuing ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_issuing_stores_only_the_digest_of_the_token(world):
    principal = world.actor(world.a.m(Role.PRINCIPAL))
    first = issue(world.a, actor=principal)
    second = issue(world.a)  # another printing of the same document
    assert first != second
    assert re.fullmatch(r"[A-Za-z0-9_-]{22,}", first)  # 128 random bits, URL-safe
    row = row_of(first)
    label = "Giấy chứng nhận thử, bản in 1"
    assert (row.kind, row.ref, row.unit_id, row.label) == (KIND, "1", world.a.school.pk, label)
    assert row.created_by == principal.user and row.revoked_at is None
    assert row_of(second).created_by is None
    for token_row in DocumentToken.objects.all():
        for field in DocumentToken._meta.concrete_fields:
            value = str(field.value_from_object(token_row))
            assert first not in value and second not in value, field.name


@pytest.mark.django_db
@pytest.mark.parametrize("public_url", [PUBLIC_URL, PUBLIC_URL + "/", f" {PUBLIC_URL}/ "])
def test_the_qr_code_carries_the_public_check_url(settings, public_url):
    settings.PORTAL_PUBLIC_URL = public_url
    assert documents.check_url("abc_DEF-123") == f"{PUBLIC_URL}/cong/kiem-tra/?ma=abc_DEF-123"


@pytest.mark.django_db
def test_issue_tokens_mints_many_in_one_insert(world, described, django_assert_num_queries):
    principal = world.actor(world.a.m(Role.PRINCIPAL))
    items = [(str(n), world.a.school.pk, f"Bản in số {n}") for n in range(1, 41)]
    with django_assert_num_queries(1):
        tokens = documents.issue_tokens(KIND, items, actor=principal)
    assert len(set(tokens)) == 40
    for token, (ref, unit_id, label) in zip(tokens, items, strict=True):
        row = documents.resolve(token)
        assert (row.ref, row.unit_id, row.label, row.created_by) == (ref, unit_id, label, principal.user)
    with django_assert_num_queries(0):
        assert documents.issue_tokens(KIND, [], actor=principal) == []
    assert check(Client(), tokens[0]).status_code == 200


# --- the check page ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_check_page_shows_the_described_document(world, described):
    token = issue(world.a)
    url = urlsplit(documents.check_url(token))
    assert f"{url.scheme}://{url.netloc}" == PUBLIC_URL
    response = Client().get(f"{url.path}?{url.query}", REMOTE_ADDR=IP)  # what a phone opens
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert '<html lang="vi">' in page and '<main id="main"' in page
    assert "<h1>Kiểm tra giấy chứng nhận thử</h1>" in page
    assert "<strong>Tình trạng:</strong> Còn hiệu lực (đã đính chính)" in page
    assert "<caption>Giấy chứng nhận thử số GCN-001</caption>" in page
    assert '<tr><th scope="row">Họ và tên</th><td>Nguyễn Thị Hương</td></tr>' in page
    assert '<tr><th scope="row">Ngày sinh</th><td>03/02/2010</td></tr>' in page
    assert "Đã đính chính ngày sinh ngày 01/06/2026." in page
    assert token not in page
    assert described == ["1"]

    as_json = check_json(Client(), token)
    assert as_json.status_code == 200
    assert as_json.json() == {
        "found": True,
        "status": "corrected",
        "status_label": "Còn hiệu lực (đã đính chính)",
        "heading": "Giấy chứng nhận thử số GCN-001",
        "data": {"ho_ten": "Nguyễn Thị Hương", "ngay_sinh": "2010-02-03", "so_hieu": "GCN-001"},
        "notes": ["Đã đính chính ngày sinh ngày 01/06/2026."],
    }
    assert "Nguyễn Thị Hương".encode() in as_json.content  # UTF-8, not \\u escapes
    assert Client().get(PATH, {"ma": token, "format": "json"}, REMOTE_ADDR=IP).json()["found"] is True


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed",
    ["{token}", "  {token}\n", f"{PUBLIC_URL}/cong/kiem-tra/?ma={{token}}", "?ma={token}"],
    ids=["code", "code-with-spaces", "whole-url-pasted", "query-pasted"],
)
def test_the_code_is_found_however_it_is_typed_into_the_form(world, described, typed):
    token = issue(world.a)
    assert check(Client(), typed.format(token=token)).status_code == 200


@pytest.mark.django_db
def test_without_a_code_the_page_is_a_form_to_type_it(world, described):
    for response in (Client().get(PATH, REMOTE_ADDR=IP), check(Client(), "   ")):
        assert response.status_code == 200
        page = response.content.decode()
        assert "<h1>Kiểm tra giấy tờ</h1>" in page
        assert f'<form class="portal-form" method="get" action="{PATH}">' in page
        assert '<label for="id_ma">Mã kiểm tra:</label>' in page
        assert 'name="ma" id="id_ma" required' in page
        assert 'aria-describedby="id_ma_helptext"' in page
        assert 'role="alert"' not in page
    described_form = Client().get(PATH, HTTP_ACCEPT="application/json", REMOTE_ADDR=IP).json()
    assert described_form["method"] == "GET"
    assert [(f["name"], f["label"], f["required"]) for f in described_form["fields"]] == [("ma", "Mã kiểm tra", True)]
    assert not LookupLog.objects.exists()  # nothing was looked up
    assert described == []


@pytest.mark.django_db
def test_unknown_revoked_and_undescribed_codes_answer_exactly_alike(world, described):
    principal = world.actor(world.a.m(Role.PRINCIPAL))
    revoked = issue(world.a)
    documents.revoke(principal, row_of(revoked))
    codes = {
        "unknown": "dGhpcyBpcyBub3QgYSB0b2tlbg",
        "revoked": revoked,
        "no-longer-described": issue(world.a, "gone"),
        "kind-not-registered": issue(world.a, kind="test-unregistered"),
        "too-long": "x" * 65,
    }
    for send in (check, check_json):
        answers = {name: send(Client(), code) for name, code in codes.items()}
        first = answers["unknown"]
        assert first.status_code == 404
        for name, response in answers.items():
            assert response.status_code == 404, name
            assert response.content == first.content, name
            assert dict(response.headers) == dict(first.headers), name
            assert codes[name] not in response.content.decode(), name  # what was typed is not echoed
    page = check(Client(), "x").content.decode()
    assert documents.MSG_UNKNOWN in page and 'role="alert"' in page
    assert '<label for="id_ma">Mã kiểm tra:</label>' in page  # type the code again
    assert check_json(Client(), "x").json() == {"found": False, "message": documents.MSG_UNKNOWN}
    # a revoked code does not spoil the document's other printings
    assert check(Client(), issue(world.a)).status_code == 200


@pytest.mark.django_db
def test_check_answers_carry_the_public_headers_whoever_asks(world, described):
    token = issue(world.a)
    logged_in = web_client(world.a.m(Role.TEACHER))
    responses = {
        "found": check(Client(), token, HTTP_ORIGIN=PORTAL),
        "found-logged-in": check(logged_in, token),
        "unknown": check(Client(), "khong-co"),
        "unknown-json": check_json(logged_in, "khong-co"),
        "form": Client().get(PATH),
        "form-json": Client().get(PATH, HTTP_ACCEPT="application/json"),
    }
    for name, response in responses.items():
        assert not response.cookies, name
        assert "Set-Cookie" not in str(response.headers), name
        assert "cookie" not in vary(response), name
        directives = {d.strip() for d in response["Cache-Control"].split(",")}
        assert {"no-store", "private"} <= directives, name
        assert response["Referrer-Policy"] == "no-referrer", name
        assert f"frame-ancestors 'self' {PORTAL} https://thunghiem.edu.vn" in response["Content-Security-Policy"]
        assert "X-Frame-Options" not in response.headers, name
        assert response["X-Robots-Tag"] == "noindex, nofollow", name
    assert responses["found"]["Access-Control-Allow-Origin"] == PORTAL
    refused = check(Client(), token, HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in refused.headers


@pytest.mark.django_db
def test_per_ip_throttle_answers_429_in_vietnamese(settings, world, described):
    settings.PORTAL_RATE_PER_IP = 3
    token = issue(world.a)
    client = Client()
    # guessing counts: two unknown codes and one real one use up the minute
    assert check(client, "doan-1").status_code == 404
    assert check(client, "doan-2").status_code == 404
    assert check(client, token).status_code == 200
    calls = len(described)

    refused = check(client, token)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    page = refused.content.decode()
    assert MSG_THROTTLED.format(minutes=1) in page
    assert 'role="alert"' in page
    assert "Nguyễn Thị Hương" not in page
    as_json = check_json(client, token)
    assert as_json.status_code == 429
    assert as_json.json() == {"found": False, "throttled": True, "message": MSG_THROTTLED.format(minutes=1)}
    assert as_json["Cache-Control"] and "no-store" in as_json["Cache-Control"]
    assert len(described) == calls  # nothing was looked up
    assert LookupLog.objects.filter(kind="document-check", throttled=True, identifier="", ip=IP).count() == 2
    # another address is not affected
    assert check(client, token, ip="198.51.100.20").status_code == 200


@pytest.mark.django_db
def test_every_check_is_logged_as_the_document_never_the_token(world, described):
    found = issue(world.a)
    revoked = issue(world.a, "2")
    documents.revoke(world.actor(world.a.m(Role.PRINCIPAL)), row_of(revoked))
    check(Client(), found, ip="198.51.100.1")
    check(Client(), "khong-co", ip="198.51.100.2")
    check_json(Client(), revoked, ip="198.51.100.3")
    rows = list(LookupLog.objects.order_by("pk"))
    assert [(r.kind, r.identifier, r.found, r.throttled, r.ip, r.unit_id) for r in rows] == [
        ("document-check", f"{KIND}:1", True, False, "198.51.100.1", world.a.school.pk),
        ("document-check", "", False, False, "198.51.100.2", None),
        ("document-check", "", False, False, "198.51.100.3", None),
    ]
    for row in rows:
        for field in LookupLog._meta.concrete_fields:
            value = str(field.value_from_object(row))
            assert found not in value and revoked not in value, field.name


# --- revoking a printed code ---------------------------------------------------------------------------


def revoke_url(token) -> str:
    return reverse("document-token-revoke", kwargs={"pk": row_of(token).pk})


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("a_principal", True),
        ("a_school_admin", True),
        ("phong1_admin", True),  # the office above school A
        ("a_teacher", False),
        ("a_clerk", False),
        ("so_staff", False),  # reads the codes, may not revoke them
        ("b_principal", False),
        ("phong2_admin", False),
    ],
)
def test_who_may_revoke_a_printed_code(world, described, who, allowed):
    membership = {
        "a_principal": world.a.m(Role.PRINCIPAL),
        "a_school_admin": world.a.m(Role.SCHOOL_ADMIN),
        "a_teacher": world.a.m(Role.TEACHER),
        "a_clerk": world.a.m(Role.CLERK),
        "b_principal": world.b.m(Role.PRINCIPAL),
        "phong1_admin": world.members["phong1_admin"],
        "phong2_admin": world.members["phong2_admin"],
        "so_staff": world.members["so_staff"],
    }[who]
    token = issue(world.a)
    response = web_client(membership).post(revoke_url(token), {"next": "/to-chuc/"})
    row = row_of(token)
    if allowed:
        assert response.status_code == 302 and response["Location"] == "/to-chuc/"
        assert row.revoked_at is not None and row.revoked_by == membership.user
        assert check(Client(), token).status_code == 404
    else:
        # another unit's code is not there at all; a code the role may only read is refused
        assert response.status_code in (403, 404)
        if who in ("b_principal", "phong2_admin"):
            assert response.status_code == 404
        assert row.revoked_at is None
        assert check(Client(), token).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("next_url", "lands"),
    [
        ("/to-chuc/", "/to-chuc/"),
        ("/hoc-sinh/1/?tab=hoc-ba", "/hoc-sinh/1/?tab=hoc-ba"),
        ("", "home"),
        ("https://evil.example/", "home"),
        ("//evil.example/x", "home"),
        ("javascript:alert(1)", "home"),
        ("/\\evil.example", "home"),
    ],
)
def test_revoke_goes_back_to_a_safe_next_only(world, described, next_url, lands):
    token = issue(world.a)
    response = web_client(world.a.m(Role.PRINCIPAL)).post(revoke_url(token), {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == (reverse("home") if lands == "home" else lands)
    assert row_of(token).revoked_at is not None


@pytest.mark.django_db
def test_revoke_is_a_signed_in_csrf_checked_post(world, described):
    token = issue(world.a)
    url = revoke_url(token)
    anonymous = Client().post(url)
    assert anonymous.status_code == 302 and "/tai-khoan/dang-nhap/" in anonymous["Location"]
    principal = web_client(world.a.m(Role.PRINCIPAL))
    assert principal.get(url).status_code == 405
    principal.handler.enforce_csrf_checks = True
    assert principal.post(url).status_code == 403  # no CSRF token: a forged form cannot revoke
    assert row_of(token).revoked_at is None


@pytest.mark.django_db
def test_revoking_twice_keeps_the_first_revocation(world, described):
    token = issue(world.a)
    row = documents.revoke(world.actor(world.a.m(Role.PRINCIPAL)), row_of(token))
    first = row.revoked_at
    documents.revoke(world.actor(world.a.m(Role.SCHOOL_ADMIN)), row_of(token))
    again = row_of(token)
    assert again.revoked_at == first and again.revoked_by == world.a.m(Role.PRINCIPAL).user


def test_the_cross_tenant_suite_covers_the_revoke_route(world):
    from tests.security.routes import object_routes

    (route,) = [r for r in object_routes() if r.name == "document-token-revoke"]
    assert route.model is DocumentToken
    assert route.kwargs == ["pk"]
    assert route.methods == {"POST"}
    made = MAKERS[DocumentToken](world.b)
    assert made.unit_id == world.b.school.pk and made.revoked_at is None
    assert "portal:document-check" in PUBLIC_ROUTE_NAMES
    assert "document-token-revoke" not in PUBLIC_ROUTE_NAMES


# --- the list of printed codes on a document's page ------------------------------------------------------


def render_tokens(actor, *, can_revoke: bool, ref="1") -> str:
    return render_to_string(
        "portal/_document_tokens.html",
        {
            "tokens": documents.tokens_for(actor, KIND, ref),
            "next": "/hoc-sinh/1/",
            "can_revoke_tokens": can_revoke,
            "csrf_token": "csrf-thu",
        },
    )


def local(value) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")


@pytest.mark.django_db
def test_the_printed_codes_partial_lists_them_with_a_revoke_button_when_allowed(world, described):
    principal = world.actor(world.a.m(Role.PRINCIPAL))
    active = row_of(issue(world.a, label="Bản in cho phụ huynh", actor=principal))
    revoked = row_of(issue(world.a, label="Bản in bị mất"))
    documents.revoke(principal, revoked)
    issue(world.a, "2", label="Giấy khác")  # another document: not listed

    page = render_tokens(principal, can_revoke=True)
    assert '<section aria-labelledby="qr-tokens-title"' in page
    assert '<h2 id="qr-tokens-title">Mã QR kiểm tra đã in</h2>' in page
    assert '<th scope="col">Bản in</th>' in page
    assert '<th scope="row">Bản in cho phụ huynh</th>' in page
    assert f"<td>{local(active.created_at)}</td>" in page
    assert f"<td>{principal.user}</td>" in page
    assert "<td>Đang dùng</td>" in page
    revoked_on = timezone.localtime(revoked.revoked_at).strftime("%d/%m/%Y")
    assert f"<td>Đã thu hồi {revoked_on} ({principal.user})</td>" in page
    assert "Giấy khác" not in page
    # one button, for the active code, named after its printing for screen readers
    assert page.count("<form ") == 1
    assert f'action="{reverse("document-token-revoke", kwargs={"pk": active.pk})}"' in page
    assert '<input type="hidden" name="next" value="/hoc-sinh/1/">' in page
    assert 'name="csrfmiddlewaretoken" value="csrf-thu"' in page
    assert 'Thu hồi mã<span class="visually-hidden"> của bản in Bản in cho phụ huynh</span></button>' in page

    read_only = render_tokens(principal, can_revoke=False)
    assert '<th scope="row">Bản in cho phụ huynh</th>' in read_only
    assert "<form" not in read_only and "Thu hồi mã" not in read_only

    assert "Chưa in bản nào có mã QR." in render_tokens(principal, can_revoke=True, ref="khong-co")


@pytest.mark.django_db
def test_printed_codes_are_listed_through_the_door(world):
    issue(world.a)
    seen = {
        who: documents.tokens_for(world.actor(m), KIND, "1").count()
        for who, m in {
            "a_principal": world.a.m(Role.PRINCIPAL),
            "phong1_admin": world.members["phong1_admin"],
            "so_staff": world.members["so_staff"],
            "a_teacher": world.a.m(Role.TEACHER),
            "b_principal": world.b.m(Role.PRINCIPAL),
            "phong2_admin": world.members["phong2_admin"],
        }.items()
    }
    assert seen == {
        "a_principal": 1,
        "phong1_admin": 1,
        "so_staff": 1,
        "a_teacher": 0,
        "b_principal": 0,
        "phong2_admin": 0,
    }


# --- the QR code on the PDF ------------------------------------------------------------------------------


def qr_values(flowable) -> list[str]:
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing

    found = []
    for row in flowable._cellvalues:
        for cell in row:
            if isinstance(cell, Drawing):
                found += [item.value for item in cell.contents if isinstance(item, QrCodeWidget)]
    return found


@pytest.mark.parametrize(
    "public_url",
    [PUBLIC_URL, "https://tracuu.sogiaoducvadaotao.tinhthunghiem.gov.vn/cong-thong-tin"],
    ids=["usual", "long-address"],
)
def test_qr_code_builds_into_a_pdf_with_the_url_readable_under_it(settings, public_url):
    settings.PORTAL_PUBLIC_URL = public_url
    url = documents.check_url("Ab12_cd-EF34gh56IJ78kl")
    flowable = pdf.qr_code(url, caption="Quét mã QR hoặc nhập địa chỉ dưới đây để kiểm tra học bạ")
    assert qr_values(flowable) == [url]

    doc = pdf.Document("Học bạ")
    doc.paragraph("Học bạ của Nguyễn Thị Hương")
    doc.keep_together([flowable])
    page = pypdf.PdfReader(io.BytesIO(doc.build())).pages[0]
    lines = [line.strip() for line in page.extract_text().splitlines()]
    assert url in lines  # on one line, so it can be read back and typed in
    assert "Quét mã QR hoặc nhập địa chỉ dưới đây để kiểm tra học bạ" in lines
    links = [a.get_object()["/A"].get("/URI") for a in page.get("/Annots", [])]
    assert url in links  # and a link, for a PDF opened on a screen


def test_qr_code_without_caption_still_prints_the_url_once():
    url = "https://tracuu.sogd.thunghiem.edu.vn/cong/kiem-tra/?ma=Ab12_cd-EF34gh56IJ78kl"
    for flowable in (pdf.qr_code(url), pdf.qr_code(url, caption=url)):
        doc = pdf.Document("Văn bằng")
        doc.keep_together([flowable])
        text = pypdf.PdfReader(io.BytesIO(doc.build())).pages[0].extract_text()
        assert text.count(url) == 1


# --- the deployment check ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("public_url", "warns"),
    [
        ("https://tracuu.sogd.thunghiem.edu.vn", False),
        ("HTTPS://TRACUU.SOGD.THUNGHIEM.EDU.VN/", False),
        ("http://127.0.0.1:8000", True),
        ("http://tracuu.sogd.thunghiem.edu.vn", True),
        ("https://", True),
        ("tracuu.sogd.thunghiem.edu.vn", True),
        ("", True),
        (None, True),
    ],
)
def test_deploy_check_warns_when_the_public_url_is_not_https(public_url, warns):
    with override_settings(PORTAL_PUBLIC_URL=public_url):
        found = check_public_url()
    assert [w.id for w in found] == (["portal.W001"] if warns else [])
    if warns:
        assert isinstance(found[0], checks.Warning)
        assert "PORTAL_PUBLIC_URL" in found[0].msg


def test_the_public_url_check_runs_with_deploy_only():
    from django.core.checks.registry import registry

    assert check_public_url in registry.get_checks(include_deployment_checks=True)
    assert check_public_url not in registry.get_checks(include_deployment_checks=False)
    with override_settings(PORTAL_PUBLIC_URL="http://127.0.0.1:8000"):
        ids = {m.id for m in checks.run_checks(include_deployment_checks=True, tags=[checks.Tags.security])}
    assert "portal.W001" in ids
