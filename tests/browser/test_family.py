"""A parent on a phone (issue 6, point 6): logs in on a 390 × 844 window, opens the child's page from the
family entry page and reads the semester averages with a decimal comma; the page never scrolls sideways."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from sms.accounts.roles import Role
from students.models import Absence, Period
from students.services import results as results_service
from tests.students.test_families import linked
from tests.students.test_results import actor
from tests.world import build_world

from .test_journeys import log_in

pytestmark = pytest.mark.browser

NO_SIDEWAYS_SCROLL = "() => [document.documentElement.scrollWidth, window.innerWidth]"


def test_a_parent_reads_the_childs_averages_on_a_phone(open_page):
    world = build_world()
    side, subjects, enrolment = linked(world, scored=("toan", "ngu-van", "khtn"))
    Absence.objects.create(
        school=side.school, enrolment=enrolment, day=dt.date(2026, 10, 5), sessions=1, excused=False, reason="Ốm"
    )
    results_service.approve_results(actor(side.m(Role.PRINCIPAL)), side.klass, Period.SEMESTER_1)

    page = open_page(390, 844)
    log_in(page, side.m(Role.PARENT).user.username)
    page.goto("/hoc-sinh/cua-toi/")
    widths = page.evaluate(NO_SIDEWAYS_SCROLL)
    assert widths[0] <= widths[1], widths
    link = page.get_by_role("link", name=re.compile("Xem điểm, trung bình"))
    box = link.bounding_box()
    assert box["height"] >= 44  # a large tap target
    with page.expect_navigation():
        link.click()

    assert page.get_by_role("heading", level=1).inner_text() == "Lê Văn Cường"
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Khoa học tự nhiên"))
    average = row.locator('td[data-label="Trung bình HK I"]')
    assert average.inner_text().strip() == "8,0" and average.is_visible()
    summary = page.get_by_role("region", name="Học kỳ I", exact=True)
    assert "Tốt" in summary.inner_text()
    assert "05/10/2026" in page.get_by_role("table", name="Các ngày nghỉ học").inner_text()
    widths = page.evaluate(NO_SIDEWAYS_SCROLL)
    assert widths[0] <= widths[1], f"the page scrolls sideways on a phone: {widths}"
    # every average is inside the window, not cut off to the right
    for average in page.locator(".average").all():
        box = average.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
