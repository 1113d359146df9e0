"""The original register on paper (PDF) and in Excel, the copy from the register, and who may print them.

Phòng 1 keeps the register of the THCS diplomas of its schools (school A is under it); its staff keep it. Diplomas are
issued, corrected, copied and revoked through ``exams.services.register`` (the register's own services).
"""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pypdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from exams.models import Diploma, DiplomaKind, Issuer
from exams.services import register as services
from sms.accounts.roles import Role
from tests.world import World, api_client, web_client

ISSUED = dt.date(2026, 7, 15)
DECISION = dt.date(2026, 6, 30)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def keeper(world: World):
    return world.actor(world.members["phong1_staff"])


def phong_issuer(world: World, **extra) -> Issuer:
    values = dict(
        unit=world.phong1,
        name="Chủ tịch UBND xã Đồng Tâm",
        signer_title="Chủ tịch",
        signer_name="Lê Văn Chủ Tịch",
        place_name="Đồng Tâm",
        kinds=[DiplomaKind.THCS],
    )
    values.update(extra)
    return Issuer.objects.create(**values)


def issue(world, issuer, n: int, *, issued_on=ISSUED, serial_from: int = 1, name="Học Sinh") -> list[Diploma]:
    return [
        services.issue_one(
            keeper(world),
            issuer,
            kind=DiplomaKind.THCS,
            serial=f"B {serial_from + i:07d}",
            issued_on=issued_on,
            graduation_year=issued_on.year,
            decision_number="15/QĐ-UBND",
            decision_date=DECISION if issued_on == ISSUED else issued_on - dt.timedelta(days=15),
            school=world.a.school.pk,
            full_name=f"{name} Thứ {serial_from + i:02d}",
            birth_date=dt.date(2011, 3, 4),
            birthplace="Xã Đồng Tâm",
            sex="F",
            ethnicity="Tày",
        )
        for i in range(n)
    ]


def correct(world, diploma, **values):
    return services.correct(
        keeper(world),
        diploma,
        ground="civil_status",
        values=values,
        reason="Cải chính hộ tịch",
        decision_number="7/QĐ-UBND",
        decision_date=dt.date(2026, 10, 2),
        dossier=[("request", SimpleUploadedFile("don.pdf", PDF, content_type="application/pdf"))],
    )


def copy(world, diploma, **extra):
    args = dict(
        requester_name=diploma.full_name,
        relation="holder",
        requester_id_number="001211012345",
        quantity=2,
        issued_on=dt.date(2026, 9, 1),
    )
    args.update(extra)
    return services.issue_copy(keeper(world), diploma, **args)


def revoke(world, diploma):
    return services.revoke(
        keeper(world),
        diploma,
        reason="fraud",
        decision_number="9/QĐ-UBND",
        decision_date=dt.date(2026, 10, 20),
        decision_signer="Chủ tịch Lê Văn Chủ Tịch",
    )


@pytest.fixture
def book(world):
    """Four THCS diplomas of 2026: one corrected, one copied then revoked, one copied; one of 2025."""
    issuer = phong_issuer(world)
    first, second, third, fourth = issue(world, issuer, 4)
    correct(world, first, full_name="Học Sinh Thứ Nhất")
    copy(world, second)
    revoke(world, second)
    copy(world, third, quantity=1)
    (old,) = issue(world, issuer, 1, issued_on=dt.date(2025, 8, 1), serial_from=50, name="Người Năm Trước")
    return issuer


def pdf_url(issuer, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("exams:issuer-register-pdf", kwargs={"pk": issuer.pk}) + (f"?{query}" if query else "")


def xlsx_url(issuer, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("exams:issuer-register-xlsx", kwargs={"pk": issuer.pk}) + (f"?{query}" if query else "")


# --- the PDF ------------------------------------------------------------------------------------------------------


def test_the_register_pdf_lists_the_book_with_its_notes(world, book):
    response = web_client(world.members["phong1_staff"]).get(pdf_url(book, loai="thcs", nam=2026))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    page = reader.pages[0]
    assert page.mediabox.width > page.mediabox.height  # A4 landscape
    text = pdf_text(response.content)
    assert "SỔ GỐC CẤP BẰNG TỐT NGHIỆP TRUNG HỌC CƠ SỞ" in text
    assert "Năm 2026" in text and "CHỦ TỊCH UBND XÃ ĐỒNG TÂM" in text
    for n in (1, 2, 3, 4):
        assert f"0000{n}/THCS/2026" in text
    assert "Học Sinh Thứ Nhất" in text  # the entry as corrected
    assert "Học Sinh Thứ 02" in text and "Học Sinh Thứ 04" in text
    assert "Người Năm Trước" not in text  # another year's book
    assert "04/03/2011" in text and "Trường THCS An Bình" in text and "B 0000003" in text
    assert "15/QĐ-UBND, ngày 30/06/2026" in text and "15/07/2026" in text
    assert "Đã chỉnh sửa theo QĐ 7/QĐ-UBND ngày 02/10/2026: họ tên Học Sinh Thứ 01 thành Học Sinh Thứ Nhất" in text
    assert "ĐÃ THU HỒI theo QĐ 9/QĐ-UBND ngày 20/10/2026" in text
    assert "Cấp bản sao số 00001/BS-THCS/2026 ngày 01/09/2026 (2 bản)" in text
    assert "Cấp bản sao số 00002/BS-THCS/2026 ngày 01/09/2026" in text
    assert "4 văn bằng" not in text and "Số văn bằng ghi vào sổ: 4, trong đó 1 đã thu hồi." in text
    assert "Trang 1/" in text
    assert "Lê Văn Chủ Tịch" in text and "NGƯỜI LẬP SỔ" in text


def test_the_default_book_is_the_last_year_of_the_first_type(world, book):
    text = pdf_text(web_client(world.members["phong1_staff"]).get(pdf_url(book)).content)
    assert "Năm 2026" in text and "00004/THCS/2026" in text


def test_an_earlier_year_and_an_empty_year_print_their_own_book(world, book):
    client = web_client(world.members["phong1_staff"])
    text = pdf_text(client.get(pdf_url(book, loai="thcs", nam=2025)).content)
    assert "Người Năm Trước Thứ 50" in text and "00001/THCS/2025" in text and "Học Sinh" not in text
    empty = client.get(pdf_url(book, loai="thcs", nam=2020))
    assert empty.status_code == 200
    assert "Chưa có văn bằng nào được ghi vào sổ trong năm này." in pdf_text(empty.content)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"loai": "thpt"}, "Loại văn bằng không hợp lệ hoặc sổ gốc của cơ quan này không có loại văn bằng đó."),
        ({"loai": "xyz"}, "Loại văn bằng không hợp lệ"),
        ({"nam": "hai"}, "Năm cấp “hai” không hợp lệ"),
        ({"nam": "20261"}, "Năm cấp “20261” không hợp lệ"),
    ],
)
def test_a_book_that_cannot_exist_is_a_clear_400(world, book, params, message):
    response = web_client(world.members["phong1_staff"]).get(pdf_url(book, **params))
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_pdf_costs_the_same_queries_for_2_and_10_entries(world):
    issuer = phong_issuer(world)
    diplomas = issue(world, issuer, 2)
    copy(world, diplomas[0])
    correct(world, diplomas[1], full_name="Tên Mới")
    client = web_client(world.members["phong1_staff"])
    url = pdf_url(issuer, loai="thcs", nam=2026)
    client.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = count()
    more = issue(world, issuer, 8, serial_from=20)
    for d in more[:4]:
        copy(world, d)
    for d in more[4:]:
        correct(world, d, full_name=f"{d.full_name} Sửa")
    assert count() == few


# --- the xlsx -----------------------------------------------------------------------------------------------------


def test_the_register_xlsx_has_a_row_per_diploma_and_the_copy_book(world, book):
    response = web_client(world.members["phong1_staff"]).get(xlsx_url(book, loai="thcs", nam=2026))
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Sổ gốc", "Sổ cấp bản sao", "Thông tin"]
    rows = list(workbook["Sổ gốc"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[:6] == ("Số vào sổ", "Số hiệu", "Loại văn bằng", "Năm cấp", "Họ và tên", "Ngày sinh")
    by_entry = {r[0]: dict(zip(header, r, strict=True)) for r in body}
    assert sorted(by_entry) == [f"0000{n}/THCS/2026" for n in (1, 2, 3, 4)]
    first = by_entry["00001/THCS/2026"]
    assert first["Họ và tên"] == "Học Sinh Thứ Nhất"
    assert first["Ngày sinh"].date() == dt.date(2011, 3, 4)
    assert first["Giới tính"] == "Nữ" and first["Dân tộc"] == "Tày" and first["Nơi học"] == "Trường THCS An Bình"
    assert first["Năm tốt nghiệp"] == 2026 and first["Số quyết định"] == "15/QĐ-UBND"
    assert first["Tình trạng"] == "Có hiệu lực, đã chỉnh sửa"
    assert "Đã chỉnh sửa theo QĐ 7/QĐ-UBND" in first["Chỉnh sửa, bản sao, thu hồi"]
    revoked = by_entry["00002/THCS/2026"]
    assert revoked["Tình trạng"] == "Đã thu hồi"
    assert "ĐÃ THU HỒI theo QĐ 9/QĐ-UBND ngày 20/10/2026" in revoked["Chỉnh sửa, bản sao, thu hồi"]
    copies = list(workbook["Sổ cấp bản sao"].iter_rows(values_only=True))
    assert [c[0] for c in copies[1:]] == ["00001/BS-THCS/2026", "00002/BS-THCS/2026"]
    first_copy = dict(zip(copies[0], copies[1], strict=True))
    assert first_copy["Số hiệu văn bằng"] == "B 0000002" and first_copy["Số bản"] == 2
    assert first_copy["Quan hệ với người được cấp"] == "Người được cấp văn bằng"
    assert "ĐÃ THU HỒI" in first_copy["Ghi chú"]


# --- who ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["exams:issuer-register-pdf", "exams:issuer-register-xlsx"])
@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("phong1_staff", 200),
        ("phong1_admin", 200),
        ("so_staff", 200),  # a registrar above the keeping unit
        ("a_principal", 403),  # reads the Phòng's issuer (inherited) but does not keep its register
        ("a_teacher", 403),
        ("b_principal", 404),  # another Phòng's school: the issuer is not there at all
        ("phong2_admin", 404),
        ("a_student", 404),
    ],
)
def test_who_may_print_and_export_the_register(world, book, name, who, expected):
    members = {
        "phong1_staff": world.members["phong1_staff"],
        "phong1_admin": world.members["phong1_admin"],
        "so_staff": world.members["so_staff"],
        "phong2_admin": world.members["phong2_admin"],
        "a_principal": world.a.m(Role.PRINCIPAL),
        "a_teacher": world.a.m(Role.TEACHER),
        "a_student": world.a.m(Role.STUDENT),
        "b_principal": world.b.m(Role.PRINCIPAL),
    }
    response = web_client(members[who]).get(reverse(name, kwargs={"pk": book.pk}))
    assert response.status_code == expected
    if expected == 403:
        assert "Chỉ cán bộ quản lý sổ gốc" in response.content.decode()


def test_school_b_staff_cannot_export_school_a_register(world):
    """A school that keeps its own register (a principal's completion certificates): another school gets 404."""
    issuer = Issuer.objects.create(
        unit=world.a.school,
        name="Hiệu trưởng Trường THCS An Bình",
        signer_title="Hiệu trưởng",
        signer_name="Phạm Thị Hiệu",
        kinds=[DiplomaKind.THCS],
    )
    principal = world.actor(world.a.m(Role.PRINCIPAL))
    services.issue_one(
        principal,
        issuer,
        kind=DiplomaKind.THCS,
        serial="C 0000001",
        issued_on=ISSUED,
        graduation_year=2026,
        decision_number="1/QĐ",
        decision_date=DECISION,
        school_name="Trường THCS An Bình",
        full_name="Đỗ Thị Riêng",
        birth_date=dt.date(2011, 1, 1),
        sex="F",
    )
    assert "Đỗ Thị Riêng" in pdf_text(web_client(world.a.m(Role.PRINCIPAL)).get(pdf_url(issuer)).content)
    for membership in (world.b.m(Role.PRINCIPAL), world.b.m(Role.TEACHER), world.b.m(Role.SCHOOL_ADMIN)):
        for name in ("exams:issuer-register-pdf", "exams:issuer-register-xlsx", "exams:issuer-register-template"):
            assert web_client(membership).get(reverse(name, kwargs={"pk": issuer.pk})).status_code == 404
        response = api_client(membership).get(reverse("api:issuer-register-xlsx", kwargs={"pk": issuer.pk}))
        assert response.status_code == 404


# --- the copy from the register -----------------------------------------------------------------------------------


def test_a_copy_prints_the_register_content_and_its_number(world):
    issuer = phong_issuer(world)
    (diploma,) = issue(world, issuer, 1)
    correct(world, diploma, full_name="Học Sinh Đã Sửa Tên")
    diploma.refresh_from_db()
    made = copy(world, diploma)
    response = web_client(world.members["phong1_staff"]).get(reverse("exams:diplomacopy-pdf", kwargs={"pk": made.pk}))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "BẢN SAO TỪ SỔ GỐC" in text and "BẰNG TỐT NGHIỆP TRUNG HỌC CƠ SỞ" in text
    assert "Học Sinh Đã Sửa Tên" in text and "04/03/2011" in text and "B 0000001" in text
    assert "00001/THCS/2026" in text and "Số vào sổ cấp bản sao: 00001/BS-THCS/2026" in text
    assert "Cấp ngày 01/09/2026, 2 bản" in text
    assert "họ tên Học Sinh Thứ 01 thành Học Sinh Đã Sửa Tên" in text
    assert "CHỦ TỊCH" in text and "Lê Văn Chủ Tịch" in text and "ngày 01 tháng 09 năm 2026" in text
    assert "THU HỒI" not in text


def test_a_copy_made_before_the_revocation_prints_under_the_revocation(world):
    issuer = phong_issuer(world)
    (diploma,) = issue(world, issuer, 1)
    made = copy(world, diploma)
    revoke(world, diploma)
    response = web_client(world.members["phong1_staff"]).get(reverse("exams:diplomacopy-pdf", kwargs={"pk": made.pk}))
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "VĂN BẰNG ĐÃ BỊ THU HỒI" in text
    assert "ĐÃ THU HỒI theo QĐ 9/QĐ-UBND ngày 20/10/2026" in text
    assert "không còn giá trị sử dụng" in text
    api = api_client(world.members["phong1_staff"]).get(reverse("api:diplomacopy-pdf", kwargs={"pk": made.pk}))
    assert api.status_code == 200 and "VĂN BẰNG ĐÃ BỊ THU HỒI" in pdf_text(api.content)


def test_only_the_keepers_print_a_copy(world):
    issuer = phong_issuer(world)
    (diploma,) = issue(world, issuer, 1)
    made = copy(world, diploma)
    url = reverse("exams:diplomacopy-pdf", kwargs={"pk": made.pk})
    # the holder's school reads the copy (the door's grant) but does not keep the register
    response = web_client(world.a.m(Role.PRINCIPAL)).get(url)
    assert response.status_code == 403
    assert "Chỉ cán bộ quản lý sổ gốc" in response.content.decode()
    assert web_client(world.b.m(Role.PRINCIPAL)).get(url).status_code == 404
    assert web_client(world.members["phong2_admin"]).get(url).status_code == 404
    assert web_client(world.members["so_staff"]).get(url).status_code == 200


# --- the registrars' page -----------------------------------------------------------------------------------------


def test_the_books_page_lists_each_book_with_its_links(world, book):
    response = web_client(world.members["phong1_staff"]).get(reverse("exams:register-books"))
    assert response.status_code == 200
    html = response.content.decode()
    assert book.get_absolute_url() in html
    assert pdf_url(book, loai="thcs", nam=2026) in html.replace("&amp;", "&")
    assert xlsx_url(book, loai="thcs", nam=2025) in html.replace("&amp;", "&")
    assert reverse("exams:issuer-register-import", kwargs={"pk": book.pk}) in html
    assert '<label for="nam-' in html and '<label for="loai-' in html
    # a school's principal does not keep the Phòng's register: nothing to print there
    other = web_client(world.a.m(Role.PRINCIPAL)).get(reverse("exams:register-books")).content.decode()
    assert book.get_absolute_url() not in other
    assert "Bạn chưa quản lý sổ gốc của cơ quan cấp văn bằng nào." in other


def test_the_books_page_is_on_the_module_page_for_registrars(world):
    html = web_client(world.members["phong1_staff"]).get(reverse("exams:index")).content.decode()
    assert reverse("exams:register-books") in html
    teacher = web_client(world.a.m(Role.TEACHER)).get(reverse("exams:index")).content.decode()
    assert reverse("exams:register-books") not in teacher


def test_the_books_page_costs_the_same_queries_for_2_and_10_books(world):
    client = web_client(world.members["phong1_staff"])
    url = reverse("exams:register-books")
    first = phong_issuer(world)
    issue(world, first, 1)
    issue(world, first, 1, issued_on=dt.date(2025, 7, 1), serial_from=30)
    client.get(url)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = count()
    second = phong_issuer(world, name="Trưởng phòng GD&ĐT Một", kinds=[DiplomaKind.THCS, DiplomaKind.COMPLETION])
    for year in range(2018, 2025):
        issue(world, first, 1, issued_on=dt.date(year, 7, 1), serial_from=100 + year)
    issue(world, second, 1, issued_on=dt.date(2024, 7, 1), serial_from=900)
    assert count() == few


# --- the API ------------------------------------------------------------------------------------------------------


def test_the_api_serves_the_same_documents(world, book):
    client = api_client(world.members["phong1_staff"])
    response = client.get(reverse("api:issuer-register-pdf", kwargs={"pk": book.pk}), {"kind": "thcs", "year": 2026})
    assert response.status_code == 200 and "00004/THCS/2026" in pdf_text(response.content)
    response = client.get(reverse("api:issuer-register-xlsx", kwargs={"pk": book.pk}), {"year": 2025})
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert [r[0] for r in workbook["Sổ gốc"].iter_rows(min_row=2, values_only=True)] == ["00001/THCS/2025"]
    bad = client.get(reverse("api:issuer-register-pdf", kwargs={"pk": book.pk}), {"year": "x"})
    assert bad.status_code == 400 and "Năm cấp “x” không hợp lệ" in bad.json()["errors"]["year"][0]
    refused = api_client(world.a.m(Role.PRINCIPAL)).get(reverse("api:issuer-register-pdf", kwargs={"pk": book.pk}))
    assert refused.status_code == 403 and "Chỉ cán bộ quản lý sổ gốc" in refused.json()["detail"]
    assert (
        api_client(world.b.m(Role.PRINCIPAL))
        .get(reverse("api:issuer-register-pdf", kwargs={"pk": book.pk}))
        .status_code
        == 404
    )
