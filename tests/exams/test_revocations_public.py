"""Revocations published (TT21/2019): a public, sessionless, cacheable list of revoked diplomas — never a valid one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from exams.models import Diploma, DiplomaKind, DiplomaRevocation, Issuer
from exams.services import register as services
from sms.portal.public import PUBLIC_ROUTE_NAMES
from tests.world import World

URL = "/cong/van-bang/thu-hoi/"


@pytest.fixture(autouse=True)
def _clean(settings):
    cache.clear()
    settings.PORTAL_RATE_PER_IP = 60
    settings.SMS_TRUSTED_PROXY_COUNT = 0
    yield
    cache.clear()


def so_issuer(world: World) -> Issuer:
    return Issuer.objects.create(
        unit=world.so,
        name="Giám đốc Sở GD&ĐT tỉnh Thử Nghiệm",
        signer_title="Giám đốc",
        signer_name="Nguyễn Văn Giám Đốc",
        kinds=[DiplomaKind.THPT],
    )


def diploma(issuer, n: int, *, name: str | None = None) -> Diploma:
    return Diploma.objects.create(
        issuer=issuer,
        kind=DiplomaKind.THPT,
        year=2024,
        entry_number=n,
        serial=f"T {n:07d}",
        full_name=name or f"Người Được Cấp {n}",
        birth_date=dt.date(2006, 5, n % 28 + 1),
        sex="M",
        school_name="Trường THPT Thử Nghiệm",
        graduation_year=2024,
        issued_on=dt.date(2024, 8, 1),
        signer_title="Giám đốc",
        signer_name="Nguyễn Văn Giám Đốc",
    )


def revoke(world, d: Diploma, *, on=dt.date(2026, 3, 2), number="12/QĐ-SGDĐT", reason="fraud"):
    return services.revoke(
        world.actor(world.members["so_staff"]),
        d,
        reason=reason,
        decision_number=number,
        decision_date=on,
        decision_signer="Giám đốc Nguyễn Văn Giám Đốc",
    )


@pytest.fixture
def published(world):
    issuer = so_issuer(world)
    revoked = diploma(issuer, 1, name="Trần Thị Thu Hồi")
    revoke(world, revoked, reason="ineligible")
    valid = diploma(issuer, 2, name="Lê Văn Hợp Lệ")
    return revoked, valid


def test_the_route_is_public_and_listed(world):
    assert "portal:diploma-revocations" in PUBLIC_ROUTE_NAMES
    assert reverse("portal:diploma-revocations") == URL


def test_anyone_sees_a_revoked_diploma_and_never_a_valid_one(published):
    revoked, valid = published
    response = Client().get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Trần Thị Thu Hồi",
        "T 0000001",
        "00001/THPT/2024",
        "Bằng tốt nghiệp trung học phổ thông",
        "Giám đốc Sở GD&amp;ĐT tỉnh Thử Nghiệm",
        "Số 12/QĐ-SGDĐT ngày 02/03/2026",
        "Cấp cho người không đủ điều kiện",
        revoked.birth_date.strftime("%d/%m/%Y"),
        "1 văn bằng bị thu hồi",
    ):
        assert text in html, text
    assert "Lê Văn Hợp Lệ" not in html and valid.serial not in html
    assert '<label for="id_q">' in html and 'lang="vi"' in html


def test_it_is_sessionless_and_publicly_cacheable(published):
    response = Client().get(URL)
    assert "Set-Cookie" not in response and not response.cookies
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert directives == {"public", "max-age=300"}
    vary = {v.strip().lower() for v in response["Vary"].split(",")}
    assert {"accept", "origin"} <= vary and "cookie" not in vary
    assert "frame-ancestors" in response["Content-Security-Policy"]
    assert Client().post(URL, {"q": "x"}).status_code == 405


def test_search_by_name_without_diacritics_or_by_serial(world, published):
    issuer = Issuer.objects.get()
    other = diploma(issuer, 3, name="Phạm Văn Khác")
    revoke(world, other, on=dt.date(2026, 1, 5), number="3/QĐ-SGDĐT", reason="altered")
    client = Client()
    by_name = client.get(URL, {"q": "tran thi thu"}).content.decode()
    assert "Trần Thị Thu Hồi" in by_name and "Phạm Văn Khác" not in by_name
    assert "Kết quả tìm “tran thi thu”: 1 văn bằng" in by_name
    by_serial = client.get(URL, {"q": "t 0000003"}).content.decode()
    assert "Phạm Văn Khác" in by_serial and "Trần Thị Thu Hồi" not in by_serial
    valid = client.get(URL, {"q": "Lê Văn Hợp Lệ"}).content.decode()
    assert "<dl>" not in valid  # the name typed is echoed in the heading, but no diploma is listed
    assert "Không có văn bằng bị thu hồi nào khớp" in valid and "T 0000002" not in valid


def test_the_json_form_for_the_portal(published):
    revoked, _ = published
    response = Client().get(URL, {"format": "json"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["count"] == 1 and body["page"] == 1 and body["next"] is None
    assert body["results"] == [
        {
            "kind": "thpt",
            "kind_display": "Bằng tốt nghiệp trung học phổ thông",
            "serial": "T 0000001",
            "entry_label": "00001/THPT/2024",
            "full_name": "Trần Thị Thu Hồi",
            "birth_date": revoked.birth_date.isoformat(),
            "issuer": "Giám đốc Sở GD&ĐT tỉnh Thử Nghiệm",
            "decision_number": "12/QĐ-SGDĐT",
            "decision_date": "2026-03-02",
            "reason": "ineligible",
            "reason_display": "Cấp cho người không đủ điều kiện",
        }
    ]
    by_accept = Client().get(URL, HTTP_ACCEPT="application/json")
    assert by_accept.json()["count"] == 1
    assert by_accept["Cache-Control"] == "public, max-age=300"


def test_newest_decision_first_twenty_a_page(world):
    issuer = so_issuer(world)
    start = dt.date(2025, 1, 1)
    for n in range(1, 26):
        d = diploma(issuer, n)
        DiplomaRevocation.objects.create(
            diploma=d,
            reason="fraud",
            decision_number=f"{n}/QĐ",
            decision_date=start + dt.timedelta(days=n),
            decision_signer="Giám đốc",
        )
        Diploma.objects.filter(pk=d.pk).update(status="revoked")
    first = Client().get(URL, {"format": "json"}).json()
    assert first["count"] == 25 and first["pages"] == 2
    assert [r["decision_number"] for r in first["results"]][:3] == ["25/QĐ", "24/QĐ", "23/QĐ"]
    assert len(first["results"]) == 20
    second = Client().get(first["next"]).json()
    assert [r["decision_number"] for r in second["results"]] == ["5/QĐ", "4/QĐ", "3/QĐ", "2/QĐ", "1/QĐ"]
    page = Client().get(URL, {"trang": 2}).content.decode()
    assert "Trang 2/2" in page and 'rel="prev"' in page and "Người Được Cấp 5" in page


def test_the_list_costs_the_same_queries_for_2_and_10_revocations(world):
    issuer = so_issuer(world)
    for n in (1, 2):
        revoke(world, diploma(issuer, n))
    client = Client()

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured)

    few = count()
    for n in range(3, 11):
        revoke(world, diploma(issuer, n))
    assert count() == few


def test_searching_counts_against_the_portal_budget(settings, published):
    settings.PORTAL_RATE_PER_IP = 2
    client = Client()
    assert client.get(URL, {"q": "tran"}, REMOTE_ADDR="203.0.113.9").status_code == 200
    assert client.get(URL, {"q": "tran"}, REMOTE_ADDR="203.0.113.9").status_code == 200
    refused = client.get(URL, {"q": "tran"}, REMOTE_ADDR="203.0.113.9")
    assert refused.status_code == 429 and refused["Retry-After"]
    assert "no-store" in refused["Cache-Control"]
    assert "Bạn đã tra cứu quá nhiều lần" in refused.content.decode()
    assert client.get(URL, REMOTE_ADDR="203.0.113.9").status_code == 200  # the plain list is not a lookup
