"""The grade book in headless Chromium: the assigned teacher opens a sheet, fills it with the
keyboard, pastes a block and a column copied from Excel, saves; loses the connection, edits,
reloads and resends the kept cells; logs in again in place when the session has ended; submits.
The homeroom teacher checks, the principal approves and locks. And the grid on a 360-px phone."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from sms.accounts.roles import Role
from students.models import Enrolment, SaveBatch, Score, ScoreSheet, SheetStatus, Student
from teachers.models import Position, StaffRecord, TeachingAssignment
from tests.world import build_world

from .test_journeys import log_in

pytestmark = pytest.mark.browser

NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em"]
KEYS = ["tx1", "tx2", "tx3", "tx4", "gk", "ck"]


def school_with_a_class():
    """School A of the test world: teacher2 (Trần Thị Bình) teaches Toán in 6A1 in semester I;
    ``teacher`` is the homeroom teacher; five learners."""
    world = build_world()
    side = world.a
    user = side.m("teacher2").user
    staff = StaffRecord.objects.create(
        school=side.school, user=user, full_name=user.full_name, position=Position.TEACHER
    )
    semester = side.year.semesters.get(number=1)
    TeachingAssignment.objects.create(
        school=side.school, semester=semester, school_class=side.klass, subject=side.subject, teacher=staff
    )
    learners = []
    for n, name in enumerate(NAMES, start=1):
        student = Student.objects.create(
            school=side.school, learner_code=f"79000000{n:02d}", full_name=name, birth_date=dt.date(2014, 1, n), sex="M"
        )
        learners.append(
            Enrolment.objects.create(
                school=side.school, student=student, school_year=side.year, school_class=side.klass
            )
        )
    return world, side, learners


def focused(page) -> str:
    return page.evaluate("document.activeElement.getAttribute('aria-label') || ''")


def cell(page, name: str, column_label: str):
    return page.get_by_label(f"{name} – {column_label}", exact=True)


def paste(page, text: str) -> None:
    """What Excel puts on the clipboard, pasted into the focused cell."""
    page.evaluate(
        """(text) => {
            const data = new DataTransfer();
            data.setData('text/plain', text);
            const event = new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true});
            document.activeElement.dispatchEvent(event);
        }""",
        text,
    )


def stored(sheet) -> dict:
    return {(s.enrolment.student.full_name, s.column): s.value for s in Score.objects.filter(sheet=sheet)}


def status_says(page, pattern: str) -> None:
    status = page.locator("#gb-status")
    status.filter(has_text=re.compile(pattern)).wait_for()


def test_teacher_fills_saves_survives_offline_and_relogin_then_sheet_is_approved(open_page):
    world, side, learners = school_with_a_class()
    page = open_page()
    log_in(page, side.m("teacher2").user.username)

    # the sheet list: the assignment is not opened yet
    page.goto("/hoc-sinh/diem/")
    row = page.get_by_role("row").filter(has_text="Toán")
    assert "Chưa mở" in row.inner_text()
    with page.expect_navigation():
        row.get_by_role("button", name=re.compile("Mở bảng điểm")).click()
    sheet = ScoreSheet.objects.get(school_class=side.klass, subject=side.subject)
    assert page.url.endswith(sheet.get_absolute_url())
    assert page.get_by_role("heading", level=1).inner_text() == "Bảng điểm Toán – lớp 6A1"
    assert page.locator("caption").first.inner_text().startswith("Toán – lớp 6A1")

    # keyboard: type, Enter moves down, Shift+Enter up, arrows move sideways and up/down
    cell(page, "Nguyễn Văn An", "ĐĐGtx1").click()
    for value in ("8,5", "7", "9", "6,5", "10"):
        page.keyboard.type(value)
        page.keyboard.press("Enter")
    assert focused(page) == "Hoàng Văn Em – ĐĐGtx1"  # the last row stays put
    page.keyboard.press("Shift+Enter")
    assert focused(page) == "Phạm Thị Dung – ĐĐGtx1"
    page.keyboard.press("ArrowRight")  # the caret ends the text: on to the next column
    assert focused(page) == "Phạm Thị Dung – ĐĐGtx2"
    for _ in range(3):
        page.keyboard.press("ArrowUp")
    assert focused(page) == "Nguyễn Văn An – ĐĐGtx2"
    # an invalid value is marked at once with the Vietnamese message
    page.keyboard.type("11")
    assert cell(page, "Nguyễn Văn An", "ĐĐGtx2").get_attribute("aria-invalid") == "true"
    assert "Điểm phải từ 0 đến 10." in page.locator("#gb-cell-info").inner_text()

    # a block copied from Excel (tabs, newlines, decimal commas, the trailing newline)
    page.keyboard.press("Control+a")
    paste(page, "7,5\t8\t6\n5\t5,5\t6\n9\t9\t9,5\n4\t6\t7\n8\t8\t8\n")
    assert cell(page, "Nguyễn Văn An", "ĐĐGtx2").get_attribute("aria-invalid") is None
    assert cell(page, "Lê Văn Cường", "ĐĐGtx4").input_value() == "9,5"
    # and a column into ĐĐGgk
    cell(page, "Nguyễn Văn An", "ĐĐGgk").focus()
    paste(page, "6,2\n7\n8\n5\n9\n")
    assert cell(page, "Hoàng Văn Em", "ĐĐGgk").input_value() == "9"
    # ĐĐGck by keyboard, all but An's
    cell(page, "Trần Thị Bình", "ĐĐGck").click()
    for value in ("6", "8", "5,5", "9"):
        page.keyboard.type(value)
        page.keyboard.press("Enter")
    assert page.locator("td.gb-dirty").count() == 29  # changed and not saved yet: marked

    page.get_by_role("button", name="Lưu", exact=True).click()
    status_says(page, r"Đã lưu 29 ô")
    assert page.locator("td.gb-dirty").count() == 0
    values = stored(sheet)
    assert values[("Nguyễn Văn An", "tx1")] == "8.5" and values[("Lê Văn Cường", "tx4")] == "9.5"
    assert values[("Hoàng Văn Em", "gk")] == "9" and len(values) == 29
    # who changed a cell last is shown for the focused cell
    cell(page, "Nguyễn Văn An", "ĐĐGtx1").focus()
    assert "Sửa lần cuối: Trần Thị Bình" in page.locator("#gb-cell-info").inner_text()

    # the connection drops: the save fails, the cell is kept in the browser
    page.context.set_offline(True)
    cell(page, "Nguyễn Văn An", "ĐĐGck").fill("5,2")
    page.get_by_role("button", name="Lưu", exact=True).click()
    status_says(page, r"Không gửi được")
    assert page.get_by_role("button", name="Gửi lại").first.is_visible()
    page.context.set_offline(False)
    page.reload()
    restore = page.get_by_role("region", name="Ô chưa lưu từ lần trước")
    assert "Có 1 ô chưa lưu từ lần trước" in restore.inner_text()
    assert cell(page, "Nguyễn Văn An", "ĐĐGck").input_value() == "5,2"
    restore.get_by_role("button", name="Gửi lại").click()
    status_says(page, r"Đã lưu 1 ô")
    assert stored(sheet)[("Nguyễn Văn An", "ck")] == "5.2"
    assert Score.history.filter(sheet_id=sheet.pk, column="ck", enrolment_id=learners[0].pk).count() == 1
    # the semester average appears at once: (8,5 + 7,5 + 8 + 6 + 2 × 6,2 + 3 × 5,2) / 9 = 6,44… → 6,4
    assert page.locator(f'td[data-result="{learners[0].pk}"]').inner_text() == "6,4"

    # the session ends (cookies gone): saving asks to log in again, in the page, then resends
    page.context.clear_cookies()
    cell(page, "Trần Thị Bình", "ĐĐGtx1").fill("7,5")
    page.get_by_role("button", name="Lưu", exact=True).click()
    dialog = page.get_by_role("dialog", name="Phiên làm việc đã hết hạn")
    dialog.wait_for()
    dialog.get_by_label("Mật khẩu").fill("Mật-khẩu-đủ-dài-1")
    dialog.get_by_role("button", name="Đăng nhập và gửi lại").click()
    status_says(page, r"Đã lưu 1 ô")
    assert stored(sheet)[("Trần Thị Bình", "tx1")] == "7.5"
    assert SaveBatch.objects.filter(sheet=sheet).count() == 3

    # submit: the workflow's button on the same page
    page.reload()
    with page.expect_navigation():
        page.get_by_role("button", name="Gửi bảng điểm").click()
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.SUBMITTED
    assert page.locator("#sheet-status").inner_text() == sheet.get_status_display()
    assert page.locator("input.gb-cell").count() == 0  # no more typing

    # the homeroom teacher checks it
    homeroom = open_page()
    log_in(homeroom, side.m(Role.TEACHER).user.username)
    homeroom.goto(sheet.get_absolute_url())
    assert homeroom.locator("input.gb-cell").count() == 0
    with homeroom.expect_navigation():
        homeroom.get_by_role("button", name="Xác nhận đã kiểm tra").click()
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.CHECKED

    # the principal approves and locks it
    principal = open_page()
    log_in(principal, side.m(Role.PRINCIPAL).user.username)
    principal.goto("/hoc-sinh/diem/")
    with principal.expect_navigation():
        principal.get_by_role("link", name=re.compile("Xem bảng điểm")).first.click()
    with principal.expect_navigation():
        principal.get_by_role("button", name="Duyệt và khoá bảng điểm").click()
    sheet.refresh_from_db()
    assert sheet.status == SheetStatus.APPROVED
    assert "duyệt" in principal.locator("#sheet-status").inner_text().lower()


def test_grid_on_a_360_px_phone_scrolls_sideways_with_the_name_in_view(open_page):
    world, side, learners = school_with_a_class()
    page = open_page(360, 740)
    log_in(page, side.m("teacher2").user.username)
    page.goto("/hoc-sinh/diem/")
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Mở bảng điểm")).first.click()
    widths = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1] == 360, widths
    wrap = page.locator("#gb-wrap")
    assert wrap.evaluate("el => el.scrollWidth > el.clientWidth")
    # walk right to the last column with the keyboard: the grid scrolls, the name stays visible
    cell(page, "Nguyễn Văn An", "ĐĐGtx1").click()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    assert focused(page) == "Nguyễn Văn An – ĐĐGck"
    assert wrap.evaluate("el => el.scrollLeft") > 0
    name = page.get_by_role("rowheader", name="Nguyễn Văn An")
    box, frame = name.bounding_box(), wrap.bounding_box()
    assert box["x"] >= frame["x"] - 1 and box["x"] + box["width"] <= frame["x"] + frame["width"]
    target = cell(page, "Nguyễn Văn An", "ĐĐGck").bounding_box()
    assert target["x"] + target["width"] <= 361


def open_the_sheet(page, side) -> ScoreSheet:
    page.goto("/hoc-sinh/diem/")
    row = page.get_by_role("row").filter(has_text="Toán")
    with page.expect_navigation():
        row.get_by_role("button", name=re.compile("Mở bảng điểm")).click()
    return ScoreSheet.objects.get(school_class=side.klass, subject=side.subject)


def test_conflict_is_announced_not_invalid_and_lu_overwrites(open_page):
    world, side, learners = school_with_a_class()
    page = open_page()
    log_in(page, side.m("teacher2").user.username)
    sheet = open_the_sheet(page, side)
    # the same cell saved elsewhere meanwhile
    Score.objects.create(school=side.school, sheet=sheet, enrolment=learners[0], column="tx1", value="5")
    an = cell(page, "Nguyễn Văn An", "ĐĐGtx1")
    an.fill("8")
    page.get_by_role("button", name="Lưu", exact=True).click()
    status_says(page, r"người khác sửa")
    # a conflict, described to screen readers, but not invalid: Lưu must not refuse it
    assert an.get_attribute("aria-invalid") is None
    note = page.locator(f"#{an.get_attribute('aria-describedby')}")
    assert "đã sửa thành 5" in note.inner_text() and "ghi đè" in note.inner_text()
    page.get_by_role("button", name="Lưu", exact=True).click()
    status_says(page, r"Đã lưu 1 ô")
    assert stored(sheet) == {("Nguyễn Văn An", "tx1"): "8"}
    assert an.get_attribute("aria-describedby") is None

    # a cell the server found already holding the value: later edits start from it (no false 409)
    Score.objects.create(school=side.school, sheet=sheet, enrolment=learners[1], column="tx1", value="7")
    binh = cell(page, "Trần Thị Bình", "ĐĐGtx1")
    binh.fill("7")
    page.get_by_role("button", name="Lưu", exact=True).click()
    status_says(page, r"Đã lưu 0 ô")
    binh.fill("6")
    page.get_by_role("button", name="Lưu", exact=True).click()
    status_says(page, r"Đã lưu 1 ô")
    assert stored(sheet)[("Trần Thị Bình", "tx1")] == "6"


def test_two_tabs_keep_each_others_unsaved_cells(open_page):
    world, side, learners = school_with_a_class()
    page = open_page()
    log_in(page, side.m("teacher2").user.username)
    sheet = open_the_sheet(page, side)
    other = page.context.new_page()
    other.goto(sheet.get_absolute_url())
    cell(page, "Nguyễn Văn An", "ĐĐGtx1").fill("8")
    cell(other, "Trần Thị Bình", "ĐĐGtx1").fill("7")
    # each tab wrote only its own cell: both are kept, and each tab shows the other's
    kept = page.evaluate("Object.keys(JSON.parse(Object.values(localStorage)[0]).pending).length")
    assert kept == 2
    assert cell(page, "Trần Thị Bình", "ĐĐGtx1").input_value() == "7"
    # the other tab saves: both cells saved once, the first tab learns the stored values
    other.get_by_role("button", name="Lưu", exact=True).click()
    status_says(other, r"Đã lưu 2 ô")
    assert stored(sheet) == {("Nguyễn Văn An", "tx1"): "8", ("Trần Thị Bình", "tx1"): "7"}
    page.wait_for_function("!document.querySelector('.gb-dirty')")
    # a later edit in the first tab starts from the saved value: no conflict
    cell(page, "Nguyễn Văn An", "ĐĐGtx1").fill("9")
    page.get_by_role("button", name="Lưu", exact=True).click()
    status_says(page, r"Đã lưu 1 ô")
    assert stored(sheet)[("Nguyễn Văn An", "tx1")] == "9"


def test_relogin_as_another_user_sends_nothing(open_page):
    from django.contrib.sessions.models import Session

    world, side, learners = school_with_a_class()
    page = open_page()
    log_in(page, side.m("teacher2").user.username)
    sheet = open_the_sheet(page, side)
    Session.objects.all().delete()
    cell(page, "Nguyễn Văn An", "ĐĐGtx1").fill("8")
    page.get_by_role("button", name="Lưu", exact=True).click()
    dialog = page.get_by_role("dialog", name="Phiên làm việc đã hết hạn")
    dialog.wait_for()
    dialog.get_by_label("Tên đăng nhập hoặc hộp thư công vụ").fill(side.m(Role.PRINCIPAL).user.username)
    dialog.get_by_label("Mật khẩu").fill("Mật-khẩu-đủ-dài-1")
    dialog.get_by_role("button", name="Đăng nhập và gửi lại").click()
    page.locator("#gb-login-error").filter(has_text="tài khoản khác").wait_for()
    assert dialog.is_visible()
    assert stored(sheet) == {}
    assert not SaveBatch.objects.exists()
    assert cell(page, "Nguyễn Văn An", "ĐĐGtx1").input_value() == "8"
