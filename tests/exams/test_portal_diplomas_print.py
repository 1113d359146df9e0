"""A printed diploma (and a copy from the register) carries a QR code whose URL opens the diploma's public check page:
anyone holding the paper can verify it. Each printing mints its own token (stored hashed), listed on the diploma's
page, where the keeping unit's leaders revoke it; a revoked token answers like an unknown code.

Phòng 1 keeps the register of the THCS diplomas of school A; its staff print, its admin also revokes codes.
"""

from __future__ import annotations

import io
import re

import pypdf
import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from exams.models import Issuer
from exams.services import register as services
from sms.accounts.roles import Role
from sms.portal.documents import MSG_UNKNOWN
from sms.portal.models import DocumentToken, LookupLog
from tests.world import api_client, web_client

from .test_register import actor, correct, decided_round, entry, issue, phong_issuer, revoke

PORTAL = "https://sgd.thunghiem.edu.vn"
CHECK = re.compile(re.escape(PORTAL) + r"/cong/kiem-tra/\?ma=([A-Za-z0-9_-]{16,64})")


@pytest.fixture(autouse=True)
def _portal(settings):
    cache.clear()
    settings.PORTAL_PUBLIC_URL = PORTAL
    settings.PORTAL_RATE_PER_IP = 60
    yield
    cache.clear()


def one_diploma(world, name="Nguyễn Văn An", *, issuer=None, school=None, serial="A 0000001"):
    issuer = issuer or phong_issuer(world)
    school = school or world.a.school
    entry(decided_round(issuer, school), school, name)
    who = "p2_admin" if issuer.unit_id == world.phong2.pk else "p1_staff"
    (diploma,) = issue(world, issuer, who=who, first_serial=serial)
    return diploma


def pdf_text(content: bytes) -> tuple[str, pypdf.PdfReader]:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages), reader


def print_diploma(world, diploma, who="phong1_staff"):
    return web_client(world.members[who]).post(reverse("exams:diploma-pdf", kwargs={"pk": diploma.pk}))


def check_page(path_and_query: str, **extra):
    return Client().get(path_and_query, REMOTE_ADDR="203.0.113.5", **extra)


def local(url: str) -> str:
    return url.removeprefix(PORTAL)


# --- the diploma's PDF ----------------------------------------------------------------------------------------------


def test_the_printed_diploma_carries_its_check_url_and_opening_it_shows_the_diploma(world):
    diploma = one_diploma(world)
    response = print_diploma(world, diploma)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "van-bang-thcs-a-0000001.pdf" in response["Content-Disposition"]
    text, reader = pdf_text(response.content)
    page = reader.pages[0]
    assert len(reader.pages) == 1 and page.mediabox.width > page.mediabox.height  # A4 landscape
    for printed in (
        "BẰNG TỐT NGHIỆP TRUNG HỌC CƠ SỞ",
        "CHỦ TỊCH UBND XÃ ĐỒNG TÂM",
        "Công nhận tốt nghiệp trung học cơ sở",
        "Nguyễn Văn An",
        "04/03/2011",
        "Tày",
        "Trường THCS An Bình",
        "Số hiệu: A 0000001",
        "Số vào sổ gốc cấp văn bằng: 00001/THCS/2026",
        "Đồng Tâm, ngày 15 tháng 07 năm 2026",
        "Lê Văn Chủ Tịch",
    ):
        assert printed in text, printed
    fonts = {str(f["/BaseFont"]) for f in page["/Resources"]["/Font"].values()}
    # the text is in the packaged font, embedded
    assert any("Roboto-Regular" in f for f in fonts) and any("Roboto-Bold" in f for f in fonts), fonts

    match = CHECK.search(text)
    assert match, text  # the URL is printed as text, on one line
    token = match.group(1)
    row = DocumentToken.objects.get(kind="diploma", ref=str(diploma.pk))
    assert row.digest != token and token not in row.digest  # only the digest is stored
    assert row.unit_id == world.phong1.pk  # the issuer's register-keeping unit
    assert row.label == f"Văn bằng A 0000001 – in {timezone.localdate():%d/%m/%Y}"
    assert row.created_by == world.members["phong1_staff"].user

    opened = check_page(local(match.group(0)))
    assert opened.status_code == 200
    html = opened.content.decode()
    assert "<h1>Kiểm tra văn bằng</h1>" in html
    assert "<strong>Tình trạng:</strong> Có hiệu lực" in html
    assert '<th scope="row">Họ và tên</th><td>Nguyễn Văn An</td>' in html
    assert '<th scope="row">Số hiệu</th><td>A 0000001</td>' in html
    assert "Tày" not in html  # the portal shows what it publishes, not the register
    as_json = check_page(local(match.group(0)), HTTP_ACCEPT="application/json").json()
    assert (as_json["found"], as_json["status"], as_json["data"]["serial"]) == (True, "valid", "A 0000001")
    log = LookupLog.objects.filter(kind="document-check").latest("pk")
    assert log.identifier == f"diploma:{diploma.pk}" and token not in log.identifier


def test_each_printing_has_its_own_code_and_a_revoked_one_answers_like_an_unknown_code(world):
    diploma = one_diploma(world)
    first = CHECK.search(pdf_text(print_diploma(world, diploma).content)[0]).group(0)
    second = CHECK.search(pdf_text(print_diploma(world, diploma).content)[0]).group(0)
    assert first != second
    lost = DocumentToken.objects.filter(kind="diploma", ref=str(diploma.pk)).order_by("pk").first()
    detail = reverse("exams:diploma-detail", kwargs={"pk": diploma.pk})
    revoked = web_client(world.members["phong1_admin"]).post(
        reverse("document-token-revoke", kwargs={"pk": lost.pk}), {"next": detail}
    )
    assert revoked.status_code == 302 and revoked["Location"] == detail
    unknown = check_page("/cong/kiem-tra/?ma=KhongPhaiMaThatAAAAAAA")
    answer = check_page(local(first))
    assert answer.status_code == unknown.status_code == 404
    assert answer.content == unknown.content
    assert MSG_UNKNOWN in answer.content.decode()
    assert check_page(local(second)).status_code == 200  # the other printing still checks


def test_the_check_page_follows_the_register_corrected_then_revoked(world):
    diploma = one_diploma(world, "Nguyễn Văn Anh Cũ")
    url = local(CHECK.search(pdf_text(print_diploma(world, diploma).content)[0]).group(0))
    correct(world, diploma, {"full_name": "Nguyễn Văn Anh"})
    html = check_page(url).content.decode()
    assert "<strong>Tình trạng:</strong> Có hiệu lực, đã chỉnh sửa" in html
    assert "<td>Nguyễn Văn Anh</td>" in html and "Cũ" not in html
    assert "Đã chỉnh sửa theo quyết định số 7/QĐ-UBND ngày 02/10/2026: họ và tên." in html
    revoke(world, diploma)
    html = check_page(url).content.decode()
    assert "portal-status--revoked" in html and "<strong>Tình trạng:</strong> Đã thu hồi" in html
    assert "Văn bằng đã bị thu hồi theo quyết định số 99/QĐ-UBND ngày 01/11/2026." in html


def test_a_revoked_diploma_is_not_printed_again(world):
    diploma = one_diploma(world)
    revoke(world, diploma)
    client = web_client(world.members["phong1_staff"])
    response = client.post(reverse("exams:diploma-pdf", kwargs={"pk": diploma.pk}), follow=True)
    assert response.redirect_chain[-1][0] == reverse("exams:diploma-detail", kwargs={"pk": diploma.pk})
    html = response.content.decode()
    assert "Văn bằng đã bị thu hồi: không in lại văn bằng này." in html
    assert "In văn bằng (PDF, có mã QR kiểm tra)" not in html
    assert not DocumentToken.objects.exists()


# --- the copy from the register --------------------------------------------------------------------------------------


def test_the_copy_from_the_register_carries_the_diplomas_check_url(world):
    diploma = one_diploma(world)
    copy = services.issue_copy(
        actor(world, "p1_staff"), diploma, requester_name="Nguyễn Văn An", relation="holder",
        requester_id_number="001211000001",
    )  # fmt: skip
    html_pdf = web_client(world.members["phong1_staff"]).get(reverse("exams:diplomacopy-pdf", kwargs={"pk": copy.pk}))
    api_pdf = api_client(world.members["phong1_staff"]).get(reverse("api:diplomacopy-pdf", kwargs={"pk": copy.pk}))
    for response in (html_pdf, api_pdf):
        assert response.status_code == 200
        text = pdf_text(response.content)[0]
        assert "BẢN SAO TỪ SỔ GỐC" in text
        html = check_page(local(CHECK.search(text).group(0))).content.decode()
        assert '<th scope="row">Số hiệu</th><td>A 0000001</td>' in html
    labels = sorted(DocumentToken.objects.filter(kind="diploma", ref=str(diploma.pk)).values_list("label", flat=True))
    assert labels == [f"Bản sao {copy.number_label} – văn bằng A 0000001 – in {timezone.localdate():%d/%m/%Y}"] * 2


# --- the diploma's page lists its printed codes ---------------------------------------------------------------------


def test_the_diploma_page_has_the_print_button_and_lists_printed_codes_revocable_by_leaders(world):
    diploma = one_diploma(world)
    print_diploma(world, diploma)
    url = reverse("exams:diploma-detail", kwargs={"pk": diploma.pk})
    label = f"Văn bằng A 0000001 – in {timezone.localdate():%d/%m/%Y}"

    admin = web_client(world.members["phong1_admin"]).get(url).content.decode()
    assert f'action="{reverse("exams:diploma-pdf", kwargs={"pk": diploma.pk})}"' in admin
    assert "In văn bằng (PDF, có mã QR kiểm tra)" in admin
    assert "Mã QR kiểm tra đã in" in admin and f'<th scope="row">{label}</th>' in admin
    token = DocumentToken.objects.get(kind="diploma")
    assert f'action="{reverse("document-token-revoke", kwargs={"pk": token.pk})}"' in admin

    staff = web_client(world.members["phong1_staff"]).get(url).content.decode()
    assert f'<th scope="row">{label}</th>' in staff  # keeps the register …
    assert "Thu hồi mã" not in staff  # … but revoking a printed code is for the keeping unit's leaders

    school = web_client(world.a.m(Role.PRINCIPAL)).get(url)
    assert school.status_code == 200  # the holder's school reads the diploma …
    assert "Mã QR kiểm tra đã in" not in school.content.decode()  # … not its printed codes
    assert "In văn bằng" not in school.content.decode()


# --- who prints -----------------------------------------------------------------------------------------------------


def test_another_issuers_diploma_is_404_and_a_reader_who_does_not_keep_the_register_403(world):
    theirs_issuer = Issuer.objects.create(
        unit=world.phong2, name="Chủ tịch UBND xã Bắc Sơn", signer_title="Chủ tịch", signer_name="Hà Văn Bắc",
        kinds=["thcs"],
    )  # fmt: skip
    theirs = one_diploma(world, "Phạm Thị Bắc", issuer=theirs_issuer, school=world.b.school, serial="B 0000001")
    for who in ("phong1_staff", "phong1_admin"):
        assert print_diploma(world, theirs, who).status_code == 404
    ours = one_diploma(world)
    refused = web_client(world.a.m(Role.PRINCIPAL)).post(reverse("exams:diploma-pdf", kwargs={"pk": ours.pk}))
    assert refused.status_code == 403
    assert "Chỉ cán bộ quản lý sổ gốc" in refused.content.decode()
    keeper = web_client(world.members["phong1_staff"])
    assert keeper.get(reverse("exams:diploma-pdf", kwargs={"pk": ours.pk})).status_code == 405  # printing is a POST
    assert not DocumentToken.objects.exists()
    assert print_diploma(world, ours).status_code == 200
    assert DocumentToken.objects.count() == 1  # minted by the keeper's printing only
