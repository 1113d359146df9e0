"""Class lists from Excel: dry run naming every bad row, confirm all-or-nothing, upsert on the
learner code, idempotent, a foreign learner code refused without naming its school."""

from __future__ import annotations

import datetime as dt
import io
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from sms.accounts.models import User
from sms.accounts.roles import Role
from sms.exports import xlsx
from sms.org.models import SchoolClass
from sms.org.services import create_school_year
from students.models import Enrolment, Guardian, Student
from students.resources import FOREIGN_CODE, ClassListImporter
from tests.makers.students import student
from tests.world import web_client

pytestmark = pytest.mark.django_db
URL = "/hoc-sinh/nhap-danh-sach-lop/"
HEADERS = [c.header for c in ClassListImporter.columns]


def sheet(rows: list[dict]) -> bytes:
    book = xlsx.Workbook()
    s = book.sheet("Danh sách lớp", HEADERS)
    for row in rows:
        s.row([row.get(h, "") for h in HEADERS])
    return book.save()


def row(n: int = 1, **values) -> dict:
    base = {
        "Mã định danh": f"37000000{n:02d}",
        "Số định danh cá nhân": f"0372140000{n:02d}",
        "Họ và tên": f"Nguyễn Văn Học {n}",
        "Ngày sinh": "15/03/2014",
        "Giới tính": "Nam",
        "Dân tộc": "Kinh",
        "Nơi sinh": "Ninh Bình",
        "Địa chỉ": "Xóm 2",
        "Lớp": "6A1",
        "Họ tên cha": "Nguyễn Văn Hùng",
        "SĐT cha": "0912345678",
        "Họ tên mẹ": "Trần Thị Lan",
        "SĐT mẹ": "0987654321",
    }
    base.update(values)
    return base


def upload(client, data: bytes, year):
    return client.post(
        URL,
        {"school_year": year.pk, "file": SimpleUploadedFile("lop.xlsx", data, content_type=xlsx.CONTENT_TYPE)},
    )


def confirm(client, response):
    return client.post(URL, {"confirm": "1", "upload": response.context["upload"].pk})


def history_rows() -> int:
    return Student.history.count() + Enrolment.history.count() + Guardian.history.count()


@pytest.fixture
def principal(world):
    return web_client(world.a.m(Role.PRINCIPAL))


def test_the_upload_form_offers_the_open_years_of_the_school(world, principal):
    page = principal.get(URL).content.decode()
    assert 'for="id_school_year"' in page and world.a.year.name in page
    assert world.b.school.name not in page
    assert web_client(world.a.m(Role.TEACHER)).get(URL).status_code == 403


def test_dry_run_lists_every_bad_row_with_row_column_and_message_and_writes_nothing(world, principal):
    theirs = student(world.b)
    data = sheet(
        [
            row(1),
            row(2, **{"Số định danh cá nhân": "12345", "Ngày sinh": "2014-03-15"}),
            row(3, **{"Giới tính": "Khác", "Dân tộc": "Klingon", "Lớp": "6A9"}),
            row(4, **{"Mã định danh": theirs.learner_code}),
            row(5, **{"Mã định danh": "3700000001", "Số định danh cá nhân": ""}),
            row(6, **{"Họ và tên": "", "SĐT mẹ": "abc", "Họ tên cha": "", "SĐT cha": "0912000000"}),
        ]
    )
    response = upload(principal, data, world.a.year)
    assert response.status_code == 200
    body = response.content.decode()
    for expected in (
        "Dòng 3, cột “Số định danh cá nhân”: số định danh cá nhân phải gồm đúng 12 chữ số.",
        "Dòng 3, cột “Ngày sinh”: “2014-03-15” không phải ngày dạng dd/mm/yyyy.",
        "Dòng 4, cột “Giới tính”",
        "Dòng 4, cột “Dân tộc”: “Klingon” không có trong danh mục 54 dân tộc.",
        "Dòng 4, cột “Lớp”: năm học 2026",
        f"Dòng 5, cột “Mã định danh”: {FOREIGN_CODE}",
        "Dòng 6, cột “Mã định danh”: trùng mã định danh với dòng 2.",
        "Dòng 7, cột “Họ và tên”: chưa có họ và tên.",
        "Dòng 7, cột “SĐT mẹ”",
        "Dòng 7, cột “Họ tên cha”: có số điện thoại nhưng chưa có họ tên.",
    ):
        assert expected in body, expected
    assert world.b.school.name not in body  # the foreign code's school is not revealed
    assert len(response.context["preview"].bad_rows) == 5
    assert "Xác nhận lưu" not in body
    assert not Student.objects.filter(school=world.a.school).exists() and not Guardian.objects.exists()
    # a confirm forced anyway writes nothing either
    response = confirm(principal, response)
    assert response.status_code == 400 and "Chưa lưu gì" in response.content.decode()
    assert not Student.objects.filter(school=world.a.school).exists()


def test_confirm_writes_learners_classes_and_parents_then_twice_changes_nothing(world, principal):
    other = SchoolClass.objects.create(school=world.a.school, school_year=world.a.year, grade=6, name="6A2")
    data = sheet([row(1), row(2, **{"Lớp": "6a2", "Giới tính": "Nữ", "Họ tên cha": "", "SĐT cha": ""})])
    preview = upload(principal, data, world.a.year)
    assert preview.context["preview"].ok and preview.context["preview"].count("new") == 2
    assert not Student.objects.exists()  # the preview writes nothing
    result = confirm(principal, preview)
    assert result.status_code == 200 and "Thêm mới: 2" in result.content.decode()
    one, two = Student.objects.order_by("learner_code")
    assert (one.school, one.full_name, one.birth_date, one.sex) == (
        world.a.school,
        "Nguyễn Văn Học 1",
        dt.date(2014, 3, 15),
        "M",
    )
    assert one.search_key and one.sort_key  # the derived keys bulk writes skip
    assert Enrolment.objects.get(student=one).school_class == world.a.klass
    assert Enrolment.objects.get(student=two).school_class == other
    assert sorted(Guardian.objects.filter(student=one).values_list("relation", "phone")) == [
        ("father", "0912345678"),
        ("mother", "0987654321"),
    ]
    assert Guardian.objects.filter(student=two).count() == 1
    history = history_rows()
    assert Student.history.filter(history_user=world.a.m(Role.PRINCIPAL).user).count() == 2

    again = upload(principal, data, world.a.year)
    assert again.context["preview"].count("unchanged") == 2
    confirm(principal, again)
    assert history_rows() == history  # same file twice: no change, no new history
    assert Student.objects.count() == 2 and Enrolment.objects.count() == 2 and Guardian.objects.count() == 3


def test_a_known_code_updates_corrections_and_moves_class_with_history(world, principal):
    other = SchoolClass.objects.create(school=world.a.school, school_year=world.a.year, grade=6, name="6A2")
    confirm(principal, upload(principal, sheet([row(1)]), world.a.year))
    s = Student.objects.get()
    corrected = row(1, **{"Họ và tên": "Nguyễn Văn Học Một", "Ngày sinh": "16/03/2014", "Lớp": "6A2", "SĐT mẹ": ""})
    preview = upload(principal, sheet([corrected]), world.a.year)
    (checked,) = preview.context["preview"].rows
    assert checked.status == "updated" and "Chuyển lớp 6A1 → 6A2." in checked.notes
    confirm(principal, preview)
    s.refresh_from_db()
    assert (s.learner_code, s.full_name, s.birth_date) == ("3700000001", "Nguyễn Văn Học Một", dt.date(2014, 3, 16))
    assert s.history.count() == 2 and s.history.first().history_user == world.a.m(Role.PRINCIPAL).user
    e = Enrolment.objects.get(student=s)
    assert e.school_class == other and e.history.count() == 2
    assert Guardian.objects.get(student=s, relation="mother").phone == "0987654321"  # blank keeps what is stored


def test_confirm_is_all_or_nothing_when_the_data_changed_since_the_preview(world, principal):
    preview = upload(principal, sheet([row(1), row(2), row(3)]), world.a.year)
    assert preview.context["preview"].ok
    # Meanwhile another school records a learner with the second row's code.
    clash = student(world.b)
    Student.objects.filter(pk=clash.pk).update(learner_code="3700000002")
    response = confirm(principal, preview)
    assert response.status_code == 400 and "Chưa lưu gì" in response.content.decode()
    assert not Student.objects.filter(school=world.a.school).exists()
    assert not Enrolment.objects.exists() and not Guardian.objects.exists()


def test_excel_dates_and_numbers_are_read_and_classes_are_those_of_the_chosen_year(world, principal):
    last_year = create_school_year(world.a.school, 2025)
    SchoolClass.objects.create(school=world.a.school, school_year=last_year, grade=6, name="6B")
    data = sheet(
        [
            row(1, **{"Ngày sinh": dt.date(2014, 3, 15), "Mã định danh": 3700000001, "SĐT cha": 912345678}),
            row(2, **{"Lớp": "6B"}),
        ]
    )
    preview = upload(principal, data, world.a.year)
    first, second = preview.context["preview"].rows
    assert first.ok and first.data["birth_date"] == dt.date(2014, 3, 15)
    assert first.data["parents"][0][2] == "0912345678"
    assert "năm học 2026" in second.errors[0] and "6B" in second.errors[0]


def test_the_template_has_the_headers_and_one_example_row(world, principal):
    response = principal.get(f"{URL}mau.xlsx")
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [c.value for c in ws[1]] == HEADERS
    example = [c.value for c in ws[2]]
    assert example[0] == "3712345678" and example[HEADERS.index("Lớp")] == "6A1"
    assert all(c.value in (None, "") for c in ws[3])


def test_a_class_change_is_refused_once_scored_in_a_running_semester(world, principal):
    """The import follows the class-change rule: no move in the middle of a semester once the
    learner has scores in their class (the semester result would be split)."""
    from students import rules
    from students.models import Score, ScoreSheet

    SchoolClass.objects.create(school=world.a.school, school_year=world.a.year, grade=6, name="6A2")
    confirm(principal, upload(principal, sheet([row(1)]), world.a.year))
    e = Enrolment.objects.get()
    semester = world.a.year.semesters.get(number=1)
    semester.ends_on = dt.date.today() + dt.timedelta(days=30)
    semester.save()
    columns = rules.sheet_columns(
        rules.RuleSet.TT22, assessment="scored", periods_per_year=140, grade=6, subject_code="toan", semester=1
    )
    the_sheet = ScoreSheet.objects.create(
        school=world.a.school, semester=semester, school_class=e.school_class, subject=world.a.subject,
        rule_set=rules.RuleSet.TT22, columns=ScoreSheet.freeze_columns(columns),
    )  # fmt: skip
    Score.objects.create(school=world.a.school, sheet=the_sheet, enrolment=e, column="tx1", value="8")
    preview = upload(principal, sheet([row(1, **{"Lớp": "6A2"})]), world.a.year)
    (checked,) = preview.context["preview"].rows
    assert any("đã có điểm ở lớp 6A1" in message for message in checked.errors), checked
    e.refresh_from_db()
    assert e.school_class.name == "6A1"


class _Table(HTMLParser):
    """The preview page's table as the reader meets it: the column headers, then each body row's
    class, cells' text and whether a cell holds an error mark (``span.field-error``)."""

    def __init__(self, html: str):
        super().__init__()
        self.headers: list[str] = []
        self.rows: list[dict] = []
        self._part, self._cell, self._marked = "", None, False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("thead", "tbody"):
            self._part = tag
        elif tag == "tr" and self._part == "tbody":
            self.rows.append({"class": attrs.get("class"), "cells": [], "marked": []})
        elif tag in ("th", "td") and self._part:
            self._cell, self._marked = [], False
        elif tag == "span" and "field-error" in (attrs.get("class") or "") and self._cell is not None:
            self._marked = True

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            if self._part == "thead":
                self.headers.append(text)
            else:
                self.rows[-1]["cells"].append(text)
                self.rows[-1]["marked"].append(self._marked)
            self._cell = None
        elif tag in ("thead", "tbody"):
            self._part = ""


def test_the_preview_table_shows_each_cell_under_its_header_and_every_bad_row_marked(world, principal):
    rows = [row(n) for n in range(1, 13)]
    rows[1].update({"Số định danh cá nhân": "12345"})  # Excel row 3
    rows[4].update({"Giới tính": "Khác", "Lớp": "6A9"})  # row 6: two mistakes
    rows[6].update({"Họ tên cha": "", "SĐT cha": ""})  # row 8: fine, blank optional cells
    rows[10].update({"SĐT mẹ": "abc"})  # row 12
    response = upload(principal, sheet(rows), world.a.year)
    assert response.status_code == 200
    body = response.content.decode()
    table = _Table(body)
    assert table.headers == ["Dòng", "Kết quả", *HEADERS, "Ghi chú"]
    shown = [dict(zip(table.headers, r["cells"], strict=True)) | {"class": r["class"]} for r in table.rows]
    assert [int(r["Dòng"]) for r in shown] == list(range(2, 14))  # every row, in the file's order
    bad = {3, 6, 12}
    for r, marks in zip(shown, (r["marked"] for r in table.rows), strict=True):
        n = int(r["Dòng"])
        expected = rows[n - 2]
        assert [r[h] for h in HEADERS] == [expected[h] for h in HEADERS], n  # each value under its own header
        if n in bad:
            assert (r["class"], r["Kết quả"], marks[-1]) == ("status-error", "Lỗi", True), n
            assert r["Ghi chú"].startswith(f"Dòng {n}, cột"), r["Ghi chú"]
        else:
            assert (r["class"], r["Kết quả"], any(marks)) == ("status-new", "Thêm mới", False), n
    assert shown[6]["Họ tên cha"] == shown[6]["SĐT cha"] == "" and shown[6]["Họ tên mẹ"] == "Trần Thị Lan"
    # the alert above the table names every mistake of every bad row
    alert = body.split('role="alert"', 1)[1].split("</div>", 1)[0]
    assert "Có 3 dòng lỗi" in alert
    assert alert.count("<li>") == 4
    for message in (
        "Dòng 3, cột “Số định danh cá nhân”",
        "Dòng 6, cột “Giới tính”",
        "Dòng 6, cột “Lớp”",
        "Dòng 12, cột “SĐT mẹ”",
    ):
        assert message in alert, message
    assert "Xác nhận lưu" not in body


def confirm_statements(client, data: bytes, year) -> int:
    """The statements one confirm sends (the whole request), after a clean dry run."""
    preview = upload(client, data, year)
    assert preview.context["preview"].ok, preview.context["preview"].bad_rows
    with CaptureQueriesContext(connection) as queries:
        response = confirm(client, preview)
    assert response.status_code == 200, response.content.decode()
    return len(queries)


def test_the_confirm_sends_as_many_statements_for_20_new_learners_as_for_3(world, principal):
    few = confirm_statements(principal, sheet([row(n) for n in range(1, 4)]), world.a.year)
    many = confirm_statements(principal, sheet([row(n) for n in range(4, 24)]), world.a.year)
    assert many == few
    assert Student.objects.filter(school=world.a.school).count() == 23
    assert Enrolment.objects.filter(school_class=world.a.klass).count() == 23
    assert Student.history.filter(learner_code="3700000023").count() == 1


def test_the_confirm_sends_as_many_statements_to_update_20_learners_as_3(world, principal):
    """Known learners (with their accounts) corrected and moved to another class: the statements do not grow
    with the rows either, and every change is written."""
    SchoolClass.objects.create(school=world.a.school, school_year=world.a.year, grade=6, name="6A2")
    confirm(principal, upload(principal, sheet([row(n) for n in range(1, 24)]), world.a.year))
    for s in Student.objects.filter(school=world.a.school):
        s.user = User.objects.create_user(username=f"hs{s.learner_code}", password=None, full_name=s.full_name)
        s.save(update_fields=["user"])

    def corrected(numbers):
        return sheet([row(n, **{"Họ và tên": f"Nguyễn Văn Học Số {n}", "Lớp": "6A2"}) for n in numbers])

    few = confirm_statements(principal, corrected(range(1, 4)), world.a.year)
    many = confirm_statements(principal, corrected(range(4, 24)), world.a.year)
    assert many == few
    moved = Enrolment.objects.filter(school_class__name="6A2", student__full_name__startswith="Nguyễn Văn Học Số ")
    assert moved.count() == 23
    assert Student.history.filter(learner_code="3700000023").count() == 3  # created, account linked, corrected
