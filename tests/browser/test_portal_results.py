"""The published-results lookup embedded in the department's portal, in headless Chromium at phone width: type
the learner code and the date of birth, submit from the keyboard, read the published term inside the iframe
(decimal commas, per-subject results); the printed lookup code opens it too; a wrong date reads "not found";
another site may not frame the page."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from sms.accounts.roles import Role
from students.models import Period
from students.services import workflow as wf
from tests.students.test_portal_results import BIRTH_TYPED, approve, learners
from tests.world import build_world

pytestmark = pytest.mark.browser

PATH = "/cong/ket-qua-hoc-tap/"


@pytest.fixture
def published():
    """School A's 6A1 with one learner whose semester I is approved and published with the subjects' results."""
    cache.clear()
    world = build_world()
    (enrolment,) = learners(world.a, sem1=8.5)
    approve(world.a, Period.SEMESTER_1)
    wf.publish(world.actor(world.a.m(Role.PRINCIPAL)), world.a.year, Period.SEMESTER_1)
    yield enrolment.student
    cache.clear()


def test_results_lookup_inside_the_portal_at_phone_width(portal_frame, published):
    student = published
    page, frame = portal_frame(PATH)
    assert frame.get_by_role("heading", level=1).inner_text() == "Tra cứu kết quả học tập"
    frame.get_by_role("textbox", name="Mã định danh học sinh").fill(student.learner_code)
    secret = frame.get_by_role("textbox", name="Ngày sinh hoặc mã tra cứu")
    secret.fill(BIRTH_TYPED)
    with frame.expect_navigation():
        secret.press("Enter")  # submitted from the keyboard

    assert frame.get_by_role("heading", level=2).first.inner_text() == "Kết quả tra cứu"
    assert frame.get_by_role("heading", level=3).inner_text() == "Học kỳ I – năm học 2026-2027"
    overall = frame.get_by_role("table", name="Kết quả chung – Học kỳ I – năm học 2026-2027")
    assert overall.get_by_role("row", name=f"Học sinh {student.full_name}").count() == 1
    assert overall.get_by_role("row", name="Lớp 6A1").count() == 1
    assert overall.get_by_role("row", name="Kết quả học tập Tốt").count() == 1
    assert overall.get_by_role("row", name="Kết quả rèn luyện Khá").count() == 1
    subjects = frame.get_by_role("table", name="Kết quả từng môn học – Học kỳ I – năm học 2026-2027")
    assert subjects.get_by_role("row", name="Toán 8,5").count() == 1
    assert subjects.get_by_role("row", name="Giáo dục thể chất Đạt").count() == 1
    # a phone-width page: nothing wider than the iframe
    assert frame.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    # what was typed is not kept in the form
    assert frame.get_by_role("textbox", name="Ngày sinh hoặc mã tra cứu").input_value() == ""

    # a wrong date of birth reads "not found"
    frame.get_by_role("textbox", name="Mã định danh học sinh").fill(student.learner_code)
    frame.get_by_role("textbox", name="Ngày sinh hoặc mã tra cứu").fill("01/01/2012")
    with frame.expect_navigation():
        frame.get_by_role("button", name="Tra cứu").click()
    assert "Không tìm thấy thông tin phù hợp" in frame.locator(".portal-result").inner_text()
    assert frame.get_by_role("heading", name="Kết quả tra cứu").count() == 0

    # the lookup code printed on the record book opens it too, typed in lower case
    frame.get_by_role("textbox", name="Mã định danh học sinh").fill(student.learner_code)
    frame.get_by_role("textbox", name="Ngày sinh hoặc mã tra cứu").fill(student.lookup_code.lower())
    with frame.expect_navigation():
        frame.get_by_role("button", name="Tra cứu").click()
    assert frame.get_by_role("heading", level=3).inner_text() == "Học kỳ I – năm học 2026-2027"


def test_another_site_may_not_frame_the_lookup(portal_frame, published):
    page, frame = portal_frame(PATH, origin="http://trang-khac.test")
    # the browser refuses to show it (``frame-ancestors``): an error page instead of the form
    assert frame.locator("#id_learner_code").count() == 0
    assert frame.url.startswith("chrome-error://")
    assert "ERR_BLOCKED_BY_RESPONSE" in frame.content()
    # while the portal's own origin is served the same page
    page, frame = portal_frame(PATH)
    assert frame.locator("#id_learner_code").count() == 1
