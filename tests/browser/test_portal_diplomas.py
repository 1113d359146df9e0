"""The diploma lookup embedded in the department's portal (an iframe on the portal's own origin), in headless
Chromium: an employer checks a diploma by its serial, and by the holder's name and date of birth, using the
keyboard only; a revoked diploma says so; a page on another origin cannot frame the lookup."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache

from exams.services import register as services
from tests.exams.test_register import actor, decided_round, entry, issue, phong_issuer
from tests.world import build_world

pytestmark = pytest.mark.browser

PATH = "/cong/van-bang/tra-cuu/"


@pytest.fixture
def register():
    """Phòng 1 has issued THCS diplomas to three graduates of school A; the last one was revoked since."""
    cache.clear()
    world = build_world()
    issuer = phong_issuer(world)
    round_ = decided_round(issuer, world.a.school)
    entry(round_, world.a.school, "Nguyễn Văn An", birth_date=dt.date(2011, 3, 4))
    entry(round_, world.a.school, "Nguyễn Văn An", "9A2", birth_date=dt.date(2011, 9, 9))
    entry(round_, world.a.school, "Trần Thị Bình", birth_date=dt.date(2011, 5, 6))
    diplomas = {d.full_name + d.birth_date.isoformat(): d for d in issue(world, issuer, first_serial="A 0000001")}
    services.revoke(
        actor(world, "p1_staff"), diplomas["Trần Thị Bình2011-05-06"], reason="lent",
        decision_number="52/QĐ-UBND", decision_date=dt.date(2026, 11, 2), decision_signer="Chủ tịch Lê Văn Chủ Tịch",
    )  # fmt: skip
    yield diplomas
    cache.clear()


def submit(frame, field) -> None:
    """Press Enter in ``field`` (the keyboard, not the mouse) and wait for the frame's new page."""
    with frame.expect_navigation():
        field.press("Enter")


def test_an_employer_checks_a_diploma_by_its_serial_inside_the_portal(portal_frame, register):
    page, frame = portal_frame(PATH)
    assert frame.get_by_role("heading", level=1).inner_text() == "Tra cứu văn bằng"
    serial = frame.get_by_label("Số hiệu văn bằng")
    serial.focus()
    page.keyboard.type(register["Nguyễn Văn An2011-03-04"].serial.lower())
    submit(frame, serial)

    result = frame.get_by_role("region", name="Bằng tốt nghiệp trung học cơ sở số hiệu A 0000001")
    assert result.get_by_text("Tình trạng: Có hiệu lực").is_visible()
    table = result.get_by_role("table")
    assert table.get_by_role("row", name="Họ và tên Nguyễn Văn An").is_visible()
    assert table.get_by_role("row", name="Ngày sinh 04/03/2011").is_visible()
    assert table.get_by_role("row", name="Số vào sổ gốc cấp văn bằng 00001/THCS/2026").is_visible()
    # the form is there again, empty, for the next check
    assert frame.get_by_label("Số hiệu văn bằng").input_value() == ""

    # a revoked diploma answers as revoked, with the decision
    frame.get_by_label("Số hiệu văn bằng").fill(register["Trần Thị Bình2011-05-06"].serial)
    submit(frame, frame.get_by_label("Số hiệu văn bằng"))
    assert frame.get_by_text("Tình trạng: Đã thu hồi").is_visible()
    assert frame.get_by_text("Văn bằng đã bị thu hồi theo quyết định số 52/QĐ-UBND ngày 02/11/2026.").is_visible()


def test_the_holder_is_found_by_name_and_birth_date_and_a_namesake_is_not(portal_frame, register):
    page, frame = portal_frame(PATH)
    frame.get_by_label("Họ và tên").fill("nguyen van an")  # typed without diacritics
    birth = frame.get_by_label("Ngày sinh (dd/mm/yyyy)")
    birth.fill("04/03/2011")
    submit(frame, birth)
    regions = frame.get_by_role("region")
    assert regions.count() == 1
    assert regions.first.get_by_role("row", name="Họ và tên Nguyễn Văn An").is_visible()
    assert frame.get_by_text("09/09/2011").count() == 0  # the namesake born on another day

    # a wrong date: the same answer as an unknown person, and nothing typed is shown back
    frame.get_by_label("Họ và tên").fill("Nguyễn Văn An")
    frame.get_by_label("Ngày sinh (dd/mm/yyyy)").fill("05/03/2011")
    submit(frame, frame.get_by_label("Ngày sinh (dd/mm/yyyy)"))
    assert frame.get_by_text("Không tìm thấy thông tin phù hợp.").is_visible()
    assert frame.get_by_role("region").count() == 0

    # half a form: the error names the missing field and links to it
    frame.get_by_label("Họ và tên").fill("Nguyễn Văn An")
    submit(frame, frame.get_by_label("Họ và tên"))
    alert = frame.get_by_role("alert")
    link = alert.get_by_role("link", name="Ngày sinh (dd/mm/yyyy): Nhập ngày sinh của người được cấp")
    link.click()
    assert frame.evaluate("document.activeElement.id") == "id_birth_date"


def test_a_page_on_another_origin_cannot_frame_the_lookup(portal_frame, register):
    page, frame = portal_frame(PATH, origin="http://not-the-portal.test")
    assert frame.locator("form").count() == 0
    assert frame.get_by_label("Số hiệu văn bằng").count() == 0
