"""Import of a past original register: dry run listing every bad row, all or nothing, idempotent on the serial,
conflicting content refused, the counter raised so new issues continue after the imported numbers.

Phòng 1 keeps the register of the THCS diplomas of its schools (school A is under it); its staff keep it.
"""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from exams.models import Diploma, DiplomaKind, Issuer, RegisterCounter
from exams.register_import import RegisterImporter, kind_of, parse_entry
from exams.services import register as services
from sms.accounts.roles import Role
from sms.imports import Status
from tests.world import World, api_client, web_client

HEADERS = [c.header for c in RegisterImporter.columns]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


def keeper(world: World):
    return world.actor(world.members["phong1_staff"])


def phong_issuer(world: World, **extra) -> Issuer:
    values = dict(
        unit=world.phong1,
        name="Trưởng phòng GD&ĐT Một",
        signer_title="Trưởng phòng",
        signer_name="Lê Văn Trưởng",
        kinds=[DiplomaKind.THCS, DiplomaKind.COMPLETION],
    )
    values.update(extra)
    return Issuer.objects.create(**values)


def row(n: int, **extra) -> dict:
    values = {
        "Số vào sổ": n,
        "Số hiệu": f"A {n:07d}",
        "Loại văn bằng": "THCS",
        "Năm cấp": 2019,
        "Họ và tên": f"Người Học Số {n}",
        "Ngày sinh": "04/03/2004",
        "Nơi sinh": "Xã Đồng Tâm",
        "Giới tính": "Nữ",
        "Dân tộc": "Kinh",
        "Nơi học": "Trường THCS An Bình",
        "Năm tốt nghiệp": 2019,
        "Số quyết định": "120/QĐ-PGDĐT",
        "Ngày quyết định": "20/06/2019",
        "Ngày cấp": "15/07/2019",
        "Chức danh người ký": "Trưởng phòng",
        "Họ tên người ký": "Trần Văn Cũ",
    }
    values.update(extra)
    return values


def workbook(rows: list[dict], headers: list[str] = HEADERS) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for values in rows:
        sheet.append([values.get(h) for h in headers])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def preview(world, issuer, rows, **kwargs):
    return RegisterImporter(keeper(world), issuer=issuer).preview(workbook(rows, **kwargs))


def confirm(world, issuer, rows, who="phong1_staff"):
    """The HTML flow: upload (dry run), then confirm; returns (preview response, confirm response)."""
    client = web_client(world.members[who])
    url = reverse("exams:issuer-register-import", kwargs={"pk": issuer.pk})
    upload = SimpleUploadedFile("so-goc.xlsx", workbook(rows))
    checked = client.post(url, {"file": upload})
    stored = checked.context["upload"] if checked.context and "upload" in checked.context else None
    done = client.post(url, {"confirm": "1", "upload": stored.pk}) if stored is not None else None
    return checked, done


# --- reading cells ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (123, (123, None, None)),
        (123.0, (123, None, None)),
        ("00123", (123, None, None)),
        ("00123/THPT/2019", (123, "THPT", 2019)),
        (" 7 / cnht / 2020 ", (7, "CNHT", 2020)),
    ],
)
def test_entry_numbers_are_read_as_a_number_or_a_full_label(value, expected):
    assert parse_entry(value) == expected


@pytest.mark.parametrize("value", ["", "0", "abc", "12/THPT", "12/THPT/19", "-3", "00123/BS THPT/2019x"])
def test_bad_entry_numbers_are_refused(value):
    with pytest.raises(ValueError):
        parse_entry(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("thcs", "thcs"),
        ("THPT", "thpt"),
        ("completion", "completion"),
        ("CNHT", "completion"),
        ("Bằng tốt nghiệp trung học cơ sở", "thcs"),
        ("bang tot nghiep trung hoc pho thong", "thpt"),
        ("Bằng tốt nghiệp THCS", "thcs"),
        ("Giấy chứng nhận hoàn thành chương trình giáo dục phổ thông", "completion"),
        ("Bằng đại học", None),
    ],
)
def test_diploma_types_are_read_by_code_or_vietnamese_name(value, expected):
    assert kind_of(value) == expected


# --- the dry run --------------------------------------------------------------------------------------------------


def test_the_dry_run_lists_every_bad_row_by_row_and_column_and_writes_nothing(world):
    issuer = phong_issuer(world)
    rows = [
        row(1),
        row(2, **{"Ngày sinh": "31/02/2004"}),
        row(3, **{"Giới tính": "Khác", "Loại văn bằng": "Bằng đại học"}),
        row(4, **{"Số hiệu": "A 0000001"}),  # the serial of row 2 of the sheet
        row(5, **{"Số vào sổ": 1}),  # the entry number of row 2 of the sheet
        row(6, **{"Số vào sổ": "00006/THCS/2018"}),
        row(7, **{"Ngày cấp": "15/07/2019", "Ngày quyết định": "20/08/2019"}),
        row(8, **{"Năm tốt nghiệp": "hai nghìn"}),
        row(9, **{"Họ và tên": "", "Số hiệu": "số hiệu sai!"}),
        row(10, **{"Loại văn bằng": "THPT"}),  # not issued by this issuer
        row(11),
    ]
    result = preview(world, issuer, rows)
    assert not result.ok
    errors = {r.number: r.errors for r in result.rows}
    assert errors[2] == []
    assert errors[3] == ["Dòng 3, cột “Ngày sinh”: “31/02/2004” không phải ngày (dd/mm/yyyy)."]
    assert "Dòng 4, cột “Loại văn bằng”: “Bằng đại học” không phải loại văn bằng (THCS, THPT, CNHT)." in errors[4]
    assert "Dòng 4, cột “Giới tính”: “Khác” không hợp lệ: ghi Nam hoặc Nữ." in errors[4]
    assert errors[5] == ["Dòng 5, cột “Số hiệu”: số hiệu A 0000001 trùng với dòng 2."]
    assert errors[6] == ["Dòng 6, cột “Số vào sổ”: số vào sổ 00001/THCS/2019 trùng với dòng 2."]
    assert errors[7] == ["Dòng 7, cột “Năm cấp”: năm cấp 2019 khác năm 2018 trong số vào sổ."]
    assert errors[8] == ["Dòng 8, cột “Ngày cấp”: ngày cấp không được trước ngày ký quyết định công nhận tốt nghiệp."]
    assert errors[9] == ["Dòng 9, cột “Năm tốt nghiệp”: “hai nghìn” không phải năm (ví dụ 2019)."]
    assert "Dòng 10, cột “Họ và tên”: chưa ghi họ và tên." in errors[10]
    assert any(e.startswith("Dòng 10, cột “Số hiệu”: số hiệu “SỐ HIỆU SAI!” không hợp lệ") for e in errors[10])
    assert errors[11] == [
        "Dòng 11, cột “Loại văn bằng”: Trưởng phòng GD&ĐT Một không cấp bằng tốt nghiệp trung học phổ thông."
    ]
    assert errors[12] == []
    assert result.count(Status.NEW) == 2 and result.count(Status.ERROR) == 9
    assert not Diploma.objects.exists() and not RegisterCounter.objects.exists()


def test_missing_columns_are_named(world):
    result = preview(
        world, phong_issuer(world), [row(1)], headers=[h for h in HEADERS if h not in ("Số hiệu", "Ngày cấp")]
    )
    assert result.errors == ["Tệp thiếu cột: “Số hiệu”, “Ngày cấp”."]


def test_excel_dates_labels_and_vietnamese_type_names_are_accepted(world):
    issuer = phong_issuer(world)
    rows = [
        row(
            1,
            **{
                "Số vào sổ": "00001/CNHT/2019",
                "Loại văn bằng": "Giấy chứng nhận hoàn thành chương trình giáo dục phổ thông",
                "Năm cấp": None,
                "Ngày sinh": dt.datetime(2004, 3, 4),
                "Ngày cấp": dt.datetime(2019, 7, 15),
                "Giới tính": "nam",
                "Dân tộc": None,
            },
        )
    ]
    result = preview(world, issuer, rows)
    assert result.ok, [r.errors for r in result.rows]
    data = result.rows[0].data
    assert (data["kind"], data["year"], data["entry_number"], data["birth_date"], data["sex"], data["ethnicity"]) == (
        "completion",
        2019,
        1,
        dt.date(2004, 3, 4),
        "M",
        "Kinh",
    )
    assert data["school_id"] == world.a.school.pk  # "Nơi học" names a school of the issuer's subtree


# --- the confirm --------------------------------------------------------------------------------------------------


def test_confirm_writes_every_row_marks_them_imported_and_attributes_the_history(world):
    issuer = phong_issuer(world)
    checked, done = confirm(
        world,
        issuer,
        [row(n) for n in (1, 2, 3)]
        + [row(7, **{"Năm cấp": 2020, "Ngày cấp": "01/08/2020", "Ngày quyết định": "01/07/2020"})],
    )
    assert checked.status_code == 200 and "Xác nhận lưu" in checked.content.decode()
    assert done.status_code == 200
    assert "Đã ghi vào sổ 4 văn bằng; 0 dòng đã có trong sổ, không đổi." in done.content.decode()
    diplomas = list(Diploma.objects.filter(issuer=issuer).order_by("year", "entry_number"))
    assert [d.entry_label for d in diplomas] == [
        "00001/THCS/2019",
        "00002/THCS/2019",
        "00003/THCS/2019",
        "00007/THCS/2020",
    ]
    first = diplomas[0]
    assert first.imported and first.serial == "A 0000001" and first.full_name == "Người Học Số 1"
    assert first.birth_date == dt.date(2004, 3, 4) and first.sex == "F" and first.school == world.a.school
    assert (first.signer_title, first.signer_name) == ("Trưởng phòng", "Trần Văn Cũ")
    assert first.search_key == "nguoi hoc so 1"
    record = first.history.get()
    assert record.history_user == world.members["phong1_staff"].user
    assert record.history_membership_id == world.members["phong1_staff"].pk
    assert record.history_change_reason == "Nhập từ sổ gốc cũ"


def test_the_counter_is_raised_so_new_issues_continue_after_the_imported_numbers(world):
    issuer = phong_issuer(world)
    confirm(
        world,
        issuer,
        [
            row(
                n,
                **{"Năm cấp": 2026, "Ngày cấp": "15/07/2026", "Ngày quyết định": "20/06/2026", "Năm tốt nghiệp": 2026},
            )
            for n in (3, 41)
        ],
    )
    assert RegisterCounter.objects.get(issuer=issuer, kind="thcs", year=2026, book="original").last_number == 41
    new = services.issue_one(
        keeper(world),
        issuer,
        kind="thcs",
        serial="Z 0000001",
        issued_on=dt.date(2026, 8, 1),
        graduation_year=2026,
        decision_number="1/QĐ",
        decision_date=dt.date(2026, 7, 1),
        school_name="Trường THCS An Bình",
        full_name="Người Cấp Mới",
        birth_date=dt.date(2011, 1, 1),
        sex="M",
    )
    assert new.entry_label == "00042/THCS/2026"


def test_a_file_with_one_bad_row_writes_nothing(world):
    issuer = phong_issuer(world)
    checked, done = confirm(world, issuer, [row(1), row(2, **{"Giới tính": ""})])
    assert checked.status_code == 200 and done is not None
    assert "Dòng 3, cột “Giới tính”: chưa ghi giới tính." in checked.content.decode()
    assert "Xác nhận lưu" not in checked.content.decode()
    assert done.status_code == 400  # a forged confirm of a bad file
    assert "Chưa lưu gì" in done.content.decode()
    assert not Diploma.objects.exists() and not RegisterCounter.objects.exists()


def test_importing_the_same_file_twice_changes_nothing(world):
    issuer = phong_issuer(world)
    rows = [row(n) for n in range(1, 6)]
    confirm(world, issuer, rows)
    history = Diploma.history.count()
    counter = RegisterCounter.objects.get().last_number
    checked, done = confirm(world, issuer, rows)
    assert "Không đổi: 5" in checked.content.decode()
    assert "Đã ghi vào sổ 0 văn bằng; 5 dòng đã có trong sổ, không đổi." in done.content.decode()
    assert Diploma.objects.count() == 5 and Diploma.history.count() == history
    assert RegisterCounter.objects.get().last_number == counter


def test_a_serial_already_in_the_book_with_other_content_is_refused(world):
    issuer = phong_issuer(world)
    confirm(world, issuer, [row(1), row(2)])
    result = preview(
        world, issuer, [row(1, **{"Họ và tên": "Tên Khác"}), row(2, **{"Ngày sinh": "05/03/2004"}), row(3)]
    )
    errors = {r.number: r.errors for r in result.rows}
    assert errors[2] == [
        "Dòng 2, cột “Số hiệu”: số hiệu A 0000001 đã có trong sổ với nội dung khác (khác ở: Họ và tên) — dùng "
        "chức năng chỉnh sửa văn bằng."
    ]
    assert "khác ở: Ngày sinh" in errors[3][0]
    assert errors[4] == []
    assert not result.ok


def test_an_entry_number_given_to_another_serial_is_refused(world):
    issuer = phong_issuer(world)
    confirm(world, issuer, [row(1)])
    result = preview(world, issuer, [row(1, **{"Số hiệu": "A 9999999"})])
    assert result.rows[0].errors == [
        "Dòng 2, cột “Số vào sổ”: số vào sổ 00001/THCS/2019 đã được ghi cho văn bằng số hiệu A 0000001."
    ]


def test_a_serial_of_another_issuer_is_refused_without_naming_it(world):
    other = Issuer.objects.create(
        unit=world.phong2, name="Trưởng phòng GD&ĐT Hai", signer_title="Trưởng phòng", signer_name="X", kinds=["thcs"]
    )
    Diploma.objects.create(
        issuer=other, kind="thcs", year=2019, entry_number=5, serial="A 0000001", full_name="Người Phòng Hai",
        birth_date=dt.date(2004, 1, 1), sex="M", graduation_year=2019, issued_on=dt.date(2019, 7, 1),
        signer_title="Trưởng phòng", signer_name="X",
    )  # fmt: skip
    result = preview(world, phong_issuer(world), [row(1)])
    (message,) = result.rows[0].errors
    assert message == (
        "Dòng 2, cột “Số hiệu”: số hiệu A 0000001 đã được dùng cho bằng tốt nghiệp trung học cơ sở trong sổ gốc của "
        "cơ quan cấp khác."
    )
    assert "Người Phòng Hai" not in message and "Hai" not in message


def test_an_exported_book_with_corrections_and_revocations_imports_back_unchanged(world):
    issuer = phong_issuer(world)
    rows = [row(n) for n in (1, 2, 3)]
    confirm(world, issuer, rows)
    first, second, _ = Diploma.objects.order_by("entry_number")
    services.correct(
        keeper(world),
        first,
        ground="civil_status",
        values={"full_name": "Người Học Đã Đổi Tên"},
        reason="Cải chính hộ tịch",
        decision_number="3/QĐ",
        decision_date=dt.date(2026, 1, 5),
        dossier=[("request", SimpleUploadedFile("don.pdf", PDF, content_type="application/pdf"))],
    )
    services.revoke(
        keeper(world),
        second,
        reason="lent",
        decision_number="4/QĐ",
        decision_date=dt.date(2026, 2, 1),
        decision_signer="Trưởng phòng Lê Văn Trưởng",
    )
    # the original file again: the corrected entry matches its content before the correction
    again = preview(world, issuer, rows)
    assert again.ok and again.count(Status.UNCHANGED) == 3
    notes = {r.number: " ".join(r.notes) for r in again.rows}
    assert "Văn bằng đã được chỉnh sửa sau khi vào sổ." in notes[2]
    assert "Văn bằng đã bị thu hồi." in notes[3]
    # the register's own export: the entries as they are now
    exported = web_client(world.members["phong1_staff"]).get(
        reverse("exams:issuer-register-xlsx", kwargs={"pk": issuer.pk}) + "?loai=thcs&nam=2019"
    )
    history = Diploma.history.count()
    result = RegisterImporter(keeper(world), issuer=issuer).preview(exported.content)
    assert result.ok, [r.errors for r in result.rows]
    assert result.count(Status.UNCHANGED) == 3
    client = web_client(world.members["phong1_staff"])
    url = reverse("exams:issuer-register-import", kwargs={"pk": issuer.pk})
    checked = client.post(url, {"file": SimpleUploadedFile("xuat.xlsx", exported.content)})
    client.post(url, {"confirm": "1", "upload": checked.context["upload"].pk})
    assert Diploma.history.count() == history


# --- who, the template, the API -----------------------------------------------------------------------------------


def test_only_the_keepers_import(world):
    issuer = phong_issuer(world)
    url = reverse("exams:issuer-register-import", kwargs={"pk": issuer.pk})
    assert web_client(world.members["phong1_staff"]).get(url).status_code == 200
    refused = web_client(world.a.m(Role.PRINCIPAL)).get(url)  # reads the Phòng's issuer, does not keep its register
    assert refused.status_code == 403 and "Chỉ cán bộ quản lý sổ gốc" in refused.content.decode()
    assert web_client(world.b.m(Role.PRINCIPAL)).get(url).status_code == 404
    upload = SimpleUploadedFile("so-goc.xlsx", workbook([row(1)]))
    assert web_client(world.b.m(Role.PRINCIPAL)).post(url, {"file": upload}).status_code == 404
    result = RegisterImporter(world.actor(world.a.m(Role.PRINCIPAL)), issuer=issuer).preview(workbook([row(1)]))
    assert result.errors and not Diploma.objects.exists()


def test_the_template_has_the_columns_and_a_guide(world):
    issuer = phong_issuer(world)
    response = web_client(world.members["phong1_staff"]).get(
        reverse("exams:issuer-register-template", kwargs={"pk": issuer.pk})
    )
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert [c.value for c in book["Sổ gốc"][1]] == HEADERS
    guide = [r for r in book["Hướng dẫn"].iter_rows(values_only=True)]
    assert guide[15][:2] == ("Chức danh người ký", "Có")
    assert any(
        r[2] == "Bằng tốt nghiệp trung học cơ sở, Giấy chứng nhận hoàn thành chương trình giáo dục phổ thông"
        for r in guide
    )


def test_the_api_dry_run_and_confirm(world):
    issuer = phong_issuer(world)
    client = api_client(world.members["phong1_staff"])
    url = reverse("api:issuer-register-import", kwargs={"pk": issuer.pk})

    def post(rows, **data):
        return client.post(url, {"file": SimpleUploadedFile("so-goc.xlsx", workbook(rows)), **data}, format="multipart")

    bad = post([row(1), row(2, **{"Ngày cấp": "x"})], dry_run="false")
    assert bad.status_code == 400
    body = bad.json()
    assert body["saved"] is False and body["counts"]["error"] == 1
    assert body["rows"][1]["column_errors"] == {"Ngày cấp": ["“x” không phải ngày (dd/mm/yyyy)."]}
    assert not Diploma.objects.exists()
    dry = post([row(1), row(2)])
    assert dry.status_code == 200 and dry.json()["dry_run"] is True and dry.json()["saved"] is False
    assert not Diploma.objects.exists()
    saved = post([row(1), row(2)], dry_run="false")
    assert saved.status_code == 200
    assert saved.json()["result"] == {
        "created": 2,
        "unchanged": 0,
        "books": [{"kind": "thcs", "kind_display": "Bằng tốt nghiệp trung học cơ sở", "year": 2019, "last_number": 2}],
    }
    again = post([row(1), row(2)], dry_run="false")
    assert again.json()["counts"]["unchanged"] == 2 and again.json()["result"]["created"] == 0
    refused = api_client(world.a.m(Role.PRINCIPAL)).post(
        url, {"file": SimpleUploadedFile("so-goc.xlsx", workbook([row(3)]))}, format="multipart"
    )
    assert refused.status_code == 403
    foreign = api_client(world.b.m(Role.PRINCIPAL)).post(url, {}, format="multipart")
    assert foreign.status_code == 404
