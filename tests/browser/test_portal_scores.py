"""The exam-scores lookup embedded in the department's portal, in headless Chromium at phone width: choose the
exam, type the candidate number and the date of birth, submit from the keyboard, read the published marks and the
admission outcome inside the iframe; a wrong date reads "not found"; another site may not frame the page."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from exams.services import admission, publication
from tests.exams.test_admission import build_round
from tests.world import build_world

pytestmark = pytest.mark.browser

PATH = "/cong/diem-thi/"


@pytest.fixture
def published():
    cache.clear()
    world = build_world()
    r = build_round(world)
    admission.run_allocation(world.actor(r.chair), r.exam)
    publication.schedule_publication(world.actor(r.chair), r.exam)
    yield r
    cache.clear()


def test_scores_lookup_inside_the_portal_at_phone_width(portal_frame, published):
    r = published
    page, frame = portal_frame(PATH)
    assert frame.get_by_role("heading", level=1).inner_text() == "Tra cứu điểm thi"
    frame.get_by_role("combobox", name="Kỳ thi").select_option(label=f"{r.exam.name} – {r.exam.unit.name}")
    frame.get_by_role("textbox", name="Số báo danh").fill("ts007")
    secret = frame.get_by_role("textbox", name="Ngày sinh hoặc mã tra cứu")
    secret.fill("07/01/2011")
    with frame.expect_navigation():
        secret.press("Enter")  # submitted from the keyboard

    assert frame.get_by_role("heading", level=2).first.inner_text() == "Kết quả tra cứu"
    assert frame.get_by_role("heading", level=3).inner_text() == "Thí Sinh C7 – số báo danh TS007"
    scores = frame.get_by_role("table", name="Điểm thi")
    assert scores.get_by_role("row", name="Toán (hệ số 2) 4,5").count() == 1
    assert scores.get_by_role("row", name="Ngữ văn 5").count() == 1
    outcome = frame.get_by_role("table", name="Kết quả tuyển sinh")
    assert outcome.get_by_role("row", name="Điểm ưu tiên 1").count() == 1
    assert outcome.get_by_role("row", name="Điểm xét tuyển 15").count() == 1
    assert outcome.get_by_role("row", name="Kết quả Không trúng tuyển").count() == 1
    # a phone-width page: nothing wider than the iframe
    assert frame.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")

    # the form is offered again, empty; a wrong date of birth reads "not found"
    frame.get_by_role("combobox", name="Kỳ thi").select_option(label=f"{r.exam.name} – {r.exam.unit.name}")
    frame.get_by_role("textbox", name="Số báo danh").fill("TS001")
    frame.get_by_role("textbox", name="Ngày sinh hoặc mã tra cứu").fill("02/02/2012")
    with frame.expect_navigation():
        frame.get_by_role("button", name="Tra cứu").click()
    assert "Không tìm thấy thông tin phù hợp" in frame.locator(".portal-result").inner_text()
    assert frame.get_by_role("heading", name="Kết quả tra cứu").count() == 0

    # the lookup code of the admission ticket opens it too
    frame.get_by_role("combobox", name="Kỳ thi").select_option(label=f"{r.exam.name} – {r.exam.unit.name}")
    frame.get_by_role("textbox", name="Số báo danh").fill("TS001")
    frame.get_by_role("textbox", name="Ngày sinh hoặc mã tra cứu").fill(r.c["c1"].lookup_code)
    with frame.expect_navigation():
        frame.get_by_role("button", name="Tra cứu").click()
    outcome = frame.get_by_role("table", name="Kết quả tuyển sinh")
    assert outcome.get_by_role("row", name="Trúng tuyển vào Trường THPT Xuân Hoà").count() == 1
    assert "Chúc mừng thí sinh đã trúng tuyển" in frame.locator(".portal-status").inner_text()


def test_another_site_may_not_frame_the_lookup(portal_frame, published):
    page, frame = portal_frame(PATH, origin="http://trang-khac.test")
    # the browser refuses to show it (``frame-ancestors``): an error page instead of the form
    assert frame.locator("#id_number").count() == 0
    assert frame.url.startswith("chrome-error://")
    assert "ERR_BLOCKED_BY_RESPONSE" in frame.content()
    # while the portal's own origin is served the same page
    page, frame = portal_frame(PATH)
    assert frame.locator("#id_number").count() == 1
