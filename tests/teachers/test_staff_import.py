"""The sector's xlsx staff list: dry run with every bad row, upsert, idempotent, export round trip."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from sms.accounts.models import User
from sms.accounts.roles import Role
from sms.exports import xlsx
from teachers.models import StaffRecord, SubjectGroup
from teachers.resources import StaffImporter
from tests.makers.teachers import staff
from tests.world import web_client

pytestmark = pytest.mark.django_db
URL = "/giao-vien/can-bo/nhap/"
HEADERS = [c.header for c in StaffImporter.columns]


def sheet(rows: list[dict]) -> bytes:
    book = xlsx.Workbook()
    s = book.sheet("Cán bộ", HEADERS)
    for row in rows:
        s.row([row.get(h, "") for h in HEADERS])
    return book.save()


def row(**values) -> dict:
    base = {
        "Mã cán bộ": "GV01",
        "Họ và tên": "Hoàng Thị Mai",
        "Ngày sinh": "15/03/1988",
        "Giới tính": "Nữ",
        "Dân tộc": "Kinh",
        "Số định danh cá nhân": "001188000123",
        "Hộp thư công vụ": "maiht@c2a.edu.vn",
        "Chức vụ": "Giáo viên",
        "Tổ chuyên môn": "Tổ Toán",
        "Trình độ đào tạo": "Đại học",
        "Chuyên ngành": "Sư phạm Toán",
        "Hạng chức danh": "V.07.04.31",
        "Loại hình": "Biên chế",
        "Ngày vào ngành": "01/09/2010",
    }
    base.update(values)
    return base


def upload(client, data: bytes):
    return client.post(URL, {"file": SimpleUploadedFile("ds.xlsx", data, content_type=xlsx.CONTENT_TYPE)})


def confirm(client, response):
    return client.post(URL, {"confirm": "1", "upload": response.context["upload"].pk})


@pytest.fixture
def principal(world):
    SubjectGroup.objects.create(school=world.a.school, name="Tổ Toán")
    return web_client(world.a.m(Role.PRINCIPAL))


def test_dry_run_lists_every_bad_row_in_vietnamese_and_writes_nothing(world, principal):
    data = sheet(
        [
            row(),
            row(**{"Mã cán bộ": "GV02", "Số định danh cá nhân": "12345", "Ngày sinh": "1988-03-15"}),
            row(**{"Mã cán bộ": "GV03", "Số định danh cá nhân": "", "Tổ chuyên môn": "Tổ Không Có"}),
            row(**{"Mã cán bộ": "GV04", "Số định danh cá nhân": "001188000123", "Hạng chức danh": "V.99"}),
            row(**{"Mã cán bộ": "GV05", "Số định danh cá nhân": "", "Mã đơn vị": "C2B", "Tổ chuyên môn": ""}),
            row(**{"Mã cán bộ": "GV06", "Số định danh cá nhân": "", "Hộp thư công vụ": "x@gmail.com"}),
        ]
    )
    response = upload(principal, data)
    assert response.status_code == 200
    body = response.content.decode()
    for message in [
        "Dòng 3, cột “Số định danh cá nhân”: số định danh cá nhân phải gồm đúng 12 chữ số.",
        "Dòng 3, cột “Ngày sinh”",
        "Dòng 4, cột “Tổ chuyên môn”: trường chưa có tổ chuyên môn “Tổ Không Có”",
        "Dòng 5, cột “Số định danh cá nhân”: trùng với dòng 2.",
        "Dòng 5, cột “Hạng chức danh”",
        "Dòng 6, cột “Mã đơn vị”: không tìm thấy trường có mã “C2B”",
        "Dòng 7, cột “Hộp thư công vụ”",
    ]:
        assert message in body, message
    assert not StaffRecord.objects.exists()
    response = confirm(principal, response)
    assert response.status_code == 400 and "Chưa lưu gì" in response.content.decode()
    assert not StaffRecord.objects.exists()


def test_import_upserts_and_a_second_run_changes_nothing(world, principal):
    data = sheet([row(), row(**{"Mã cán bộ": "GV02", "Họ và tên": "Lý Văn Nam", "Số định danh cá nhân": ""})])
    confirm(principal, upload(principal, data))
    mai = StaffRecord.objects.get(personal_id="001188000123")
    assert mai.school == world.a.school and mai.subject_group.name == "Tổ Toán"
    assert mai.birth_date == dt.date(1988, 3, 15) and mai.rank_code == "V.07.04.31" and mai.sex == "F"
    assert StaffRecord.objects.count() == 2
    history = StaffRecord.history.count()

    again = upload(principal, data)
    assert "Không đổi: 2" in again.content.decode()
    result = confirm(principal, again)
    assert result.status_code == 200
    assert StaffRecord.history.count() == history  # nothing written, no history row

    changed = sheet(
        [
            row(**{"Điện thoại": "0912 345 678"}),
            row(**{"Mã cán bộ": "GV02", "Họ và tên": "Lý Văn Nam Anh", "Số định danh cá nhân": ""}),
        ]
    )
    preview = upload(principal, changed)
    assert "Cập nhật: 2" in preview.content.decode()
    confirm(principal, preview)
    assert StaffRecord.objects.count() == 2
    assert StaffRecord.objects.get(pk=mai.pk).phone == "0912 345 678"
    assert StaffRecord.objects.filter(staff_code="GV02", full_name="Lý Văn Nam Anh").exists()


def test_a_person_of_another_school_is_neither_matched_nor_revealed(world, principal):
    theirs = staff(world.b)
    theirs.personal_id = "001188000999"
    theirs.save()
    response = upload(principal, sheet([row(**{"Số định danh cá nhân": "001188000999"})]))
    body = response.content.decode()
    assert "ngoài phạm vi bạn quản lý" in body and theirs.full_name not in body
    confirm(principal, response)
    theirs.refresh_from_db()
    assert theirs.school == world.b.school and theirs.full_name != "Hoàng Thị Mai"


def test_phong_imports_into_a_school_of_its_subtree_by_code(world):
    SubjectGroup.objects.create(school=world.a.school, name="Tổ Toán")
    client = web_client(world.members["phong1_admin"])
    response = upload(
        client,
        sheet([row(**{"Mã đơn vị": "C2A"}), row(**{"Mã cán bộ": "GV9", "Số định danh cá nhân": "", "Mã đơn vị": ""})]),
    )
    assert "Dòng 3, cột “Mã đơn vị”: chưa ghi mã trường." in response.content.decode()


def test_template_and_export_round_trip(world, principal):
    assert principal.get(URL + "mau.xlsx").status_code == 200
    confirm(
        principal,
        upload(
            principal,
            sheet(
                [
                    row(),
                    row(
                        **{
                            "Mã cán bộ": "GV02",
                            "Họ và tên": "Lý Văn Nam",
                            "Số định danh cá nhân": "",
                            "Trình độ đào tạo": "Thạc sĩ",
                        }
                    ),
                ]
            ),
        ),
    )
    staff(world.b)
    response = principal.get("/giao-vien/can-bo/xuat.xlsx", {"qualification_level": "thac_si"})
    assert response.status_code == 200
    rows = list(xlsx.read_rows(b"".join(response.streaming_content) if response.streaming else response.content))
    assert [r["Họ và tên"] for _, r in rows] == ["Lý Văn Nam"]
    everything = principal.get("/giao-vien/can-bo/xuat.xlsx")
    content = b"".join(everything.streaming_content) if everything.streaming else everything.content
    book = load_workbook(io.BytesIO(content))
    assert book.active.max_row == 3  # header + A's two people, not B's
    again = upload(principal, content)
    assert "Không đổi: 2" in again.content.decode()


def confirm_statements(client, data: bytes) -> int:
    preview = upload(client, data)
    assert preview.context["preview"].ok, preview.context["preview"].bad_rows
    with CaptureQueriesContext(connection) as queries:
        assert confirm(client, preview).status_code == 200
    return len(queries)


def test_the_confirm_sends_two_statements_per_person_and_no_check_per_row(world, principal):
    """Each person is written with its history row (2 statements); their school and subject group
    were found once for the whole file by the dry run, not read again per row."""

    def people(numbers, **values):
        person = {"Mã cán bộ": "GV{:02d}", "Họ và tên": "Người Số {}", "Số định danh cá nhân": "0011880001{:02d}"}
        return sheet([row(**{k: v.format(n) for k, v in person.items()}, **values) for n in numbers])

    few = confirm_statements(principal, people(range(1, 4)))
    many = confirm_statements(principal, people(range(4, 10)))
    assert many - few == 2 * 3
    group = SubjectGroup.objects.get(school=world.a.school, name="Tổ Toán")
    assert StaffRecord.objects.filter(school=world.a.school, subject_group=group).count() == 9
    # known people with accounts, updated
    for record in StaffRecord.objects.all():
        record.user = User.objects.create_user(username=f"cb{record.staff_code}", password=None, full_name="x")
        record.save(update_fields=["user"])
    few = confirm_statements(principal, people(range(1, 4), **{"Điện thoại": "0912345678"}))
    many = confirm_statements(principal, people(range(4, 10), **{"Điện thoại": "0912345678"}))
    assert many - few == 2 * 3
    assert StaffRecord.objects.filter(phone="0912345678", user__isnull=False).count() == 9
