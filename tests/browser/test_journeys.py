"""User journeys in headless Chromium, one test each: log in, switch unit by keyboard and log
out; a locked-out login; the home page on a 360-px-wide phone."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from sms.accounts.roles import Role
from tests.world import build_world, grant

pytestmark = pytest.mark.browser

PASSWORD = "Mật-khẩu-đủ-dài-1"  # the password tests.world gives every account


def log_in(page, username: str, password: str = PASSWORD):
    page.goto("/tai-khoan/dang-nhap/")
    page.get_by_label("Tên đăng nhập hoặc hộp thư công vụ").fill(username)
    page.get_by_label("Mật khẩu", exact=True).fill(password)
    with page.expect_response(lambda r: r.request.method == "POST") as response:
        page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()
    return response.value


def tab_to(page, predicate_js: str, limit: int = 60) -> None:
    """Press Tab until the focused element satisfies ``predicate_js`` (keyboard-only use)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return !!({predicate_js}); }})()"):
            return
    raise AssertionError(f"never reached by Tab: {predicate_js}")


def test_log_in_switch_unit_by_keyboard_and_log_out(open_page):
    world = build_world()
    principal = world.a.m(Role.PRINCIPAL)
    grant(principal.user, world.b.school, Role.TEACHER)  # also teaches at school B
    page = open_page()

    log_in(page, principal.user.username)
    assert page.get_by_role("heading", level=1).inner_text().startswith("Xin chào")
    lead = page.locator(".lead")
    assert "Hiệu trưởng / Giám đốc" in lead.inner_text()
    assert "Trường THCS An Bình" in lead.inner_text()
    assert page.get_by_role("heading", name="Nhà trường").is_visible()

    # the unit switcher, keyboard only: Tab to it, pick the other membership, Tab to the button
    tab_to(page, "el.id === 'membership-select'")
    page.keyboard.press("ArrowDown")
    assert "Trường THCS Bắc Sơn" in page.eval_on_selector("#membership-select", "s => s.options[s.selectedIndex].text")
    tab_to(page, "el.tagName === 'BUTTON' && el.textContent.trim() === 'Chuyển'", limit=3)
    with page.expect_navigation():
        page.keyboard.press("Enter")

    status = page.get_by_role("status")
    assert "Bạn đang làm việc với vai trò" in status.inner_text()
    lead = page.locator(".lead").inner_text()
    assert "Giáo viên" in lead and "Trường THCS Bắc Sơn" in lead
    assert page.get_by_role("heading", name="Lớp chủ nhiệm").is_visible()
    assert page.get_by_role("heading", name="Nhà trường").count() == 0
    nav = page.get_by_role("navigation", name="Điều hướng chính")
    assert nav.get_by_role("link", name="Nhật ký hoạt động").count() == 0

    with page.expect_navigation():
        page.get_by_role("button", name="Đăng xuất").click()
    assert "/tai-khoan/dang-nhap/" in page.url
    page.goto("/")
    assert "/tai-khoan/dang-nhap/" in page.url
    assert page.get_by_role("heading", level=1).inner_text() == "Đăng nhập"


def test_locked_out_login_shows_the_vietnamese_lockout_page(open_page):
    world = build_world()
    teacher = world.a.m(Role.TEACHER).user
    page = open_page()

    limit = settings.AXES_FAILURE_LIMIT
    statuses = [log_in(page, teacher.username, "sai-mat-khau").status for _ in range(limit)]
    # the form comes back with an error until the limit-th wrong password locks the account
    assert statuses == [200] * (limit - 1) + [429]
    assert page.get_by_role("heading", level=1).inner_text() == "Tạm khoá đăng nhập"

    # now even the right password is refused, with the lockout page and HTTP 429
    response = log_in(page, teacher.username)
    assert response.status == 429
    assert page.get_by_role("heading", level=1).inner_text() == "Tạm khoá đăng nhập"
    alert = page.get_by_role("alert").inner_text()
    assert f"đăng nhập sai {settings.AXES_FAILURE_LIMIT} lần" in alert
    assert re.search(r"thử lại sau \d+ phút", alert)
    page.goto("/")
    assert "/tai-khoan/dang-nhap/" in page.url  # not logged in


def test_home_on_a_360_px_phone_has_no_horizontal_scroll_and_a_reachable_menu(open_page):
    world = build_world()
    teacher = world.a.m(Role.TEACHER)
    page = open_page(360, 740)
    log_in(page, teacher.user.username)

    def no_horizontal_scroll():
        widths = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1] == 360, widths

    no_horizontal_scroll()
    toggle = page.get_by_role("button", name="Danh mục")
    assert toggle.is_visible()
    assert toggle.get_attribute("aria-expanded") == "false"
    nav = page.get_by_role("navigation", name="Điều hướng chính")
    students = nav.get_by_role("link", name="Học sinh")
    assert not students.is_visible()

    # keyboard: skip link first, then on to the menu button, open it, walk into the menu
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    tab_to(page, "el.classList.contains('nav-toggle')")
    page.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true"
    assert students.is_visible()
    assert page.evaluate("document.activeElement.textContent") == "Trang chủ"
    no_horizontal_scroll()
    switcher = page.get_by_label("Đơn vị làm việc")
    assert switcher.is_visible()
    box = switcher.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360

    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not students.is_visible()

    toggle.click()
    with page.expect_navigation():
        students.click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Hệ thống quản lý hồ sơ")
    no_horizontal_scroll()
