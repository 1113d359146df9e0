"""The UI shell: navigation by role, module landing pages, the layout's landmarks, the
dashboards (through the door) and the rule that nothing is loaded from another host."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from sms.accounts.roles import Role
from sms.org.models import SchoolClass
from sms.org.rules import SchoolType
from sms.shell.modules import LETTERS, ModulePage, all_modules, get_module
from tests.world import grant, make_school, make_user, web_client


def page(membership, url="/"):
    response = web_client(membership).get(url)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def nav_of(html: str) -> str:
    match = re.search(r'<nav class="site-nav" aria-label="Điều hướng chính">(.*?)</nav>', html, re.S)
    assert match, "no main navigation"
    return match.group(1)


def nav_labels(html: str) -> set[str]:
    return set(re.findall(r"<a [^>]*>([^<]+)</a>", nav_of(html)))


# --- navigation ------------------------------------------------------------------------------


def test_teacher_sees_the_students_module_but_not_the_activity_log(world):
    labels = nav_labels(page(world.a.m(Role.TEACHER)))
    assert {"Học sinh", "Thư viện", "Lớp", "Tác vụ nền", "Đổi mật khẩu"} <= labels
    assert "Nhật ký hoạt động" not in labels
    assert "Tài khoản" not in labels
    assert "Văn bản" not in labels  # documents are for clerks and leaders


def test_parent_sees_no_organisation_or_admin_links(world):
    labels = nav_labels(page(world.a.m(Role.PARENT)))
    assert labels.isdisjoint(
        {"Đơn vị", "Lớp", "Môn học", "Năm học", "Địa bàn", "Tài khoản", "Nhật ký hoạt động", "API"}
    )
    assert labels.isdisjoint({"Tác vụ nền", "Thư viện", "Giáo viên", "Thiết bị"})
    assert {"Trang chủ", "Học sinh", "Thi, tuyển sinh", "Đổi mật khẩu"} <= labels


def test_so_admin_sees_accounts_activity_and_every_module(world):
    html = page(world.members["so_admin"])
    labels = nav_labels(html)
    assert {"Tài khoản", "Nhật ký hoạt động", "Đơn vị", "Địa bàn", "API"} <= labels
    assert {m.short_title for m in all_modules()} <= labels
    assert f'href="{reverse("password-change")}"' in html


def test_so_staff_sees_the_activity_log_but_not_accounts(world):
    labels = nav_labels(page(world.members["so_staff"]))
    assert "Nhật ký hoạt động" in labels
    assert "Tài khoản" not in labels


def test_clerk_sees_documents_only_among_modules(world):
    html = page(world.a.m(Role.CLERK))
    modules_in_nav = nav_labels(html) & {m.short_title for m in all_modules()}
    assert modules_in_nav == {"Văn bản"}


def test_current_page_is_marked_in_the_navigation(world):
    nav = nav_of(page(world.a.m(Role.TEACHER), "/thu-vien/"))
    current = re.findall(r'<a href="([^"]+)"[^>]*aria-current="page"', nav)
    assert current == ["/thu-vien/"]
    nav = nav_of(page(world.a.m(Role.TEACHER), "/"))
    assert re.findall(r'<a href="([^"]+)"[^>]*aria-current="page"', nav) == ["/"]


# --- modules -----------------------------------------------------------------------------------


def test_the_eight_modules_of_article_15_are_registered_in_order():
    modules = all_modules()
    assert [m.letter for m in modules] == list(LETTERS)
    assert [m.key for m in modules] == [
        "students",
        "teachers",
        "equipment",
        "library",
        "documents",
        "exams",
        "accreditation",
        "literacy",
    ]
    for m in modules:
        assert reverse(m.url_name).startswith("/")


@pytest.mark.parametrize(
    ("who", "url", "status"),
    [
        ("parent", "/van-ban/", 403),
        ("clerk", "/hoc-sinh/", 403),
        ("student", "/thiet-bi/", 403),
        ("teacher", "/van-ban/", 403),
        ("clerk", "/van-ban/", 200),
        ("parent", "/hoc-sinh/", 200),
        ("student", "/thu-vien/", 200),
    ],
)
def test_module_landing_page_refuses_roles_it_does_not_serve(world, who, url, status):
    response = web_client(world.a.m(who)).get(url)
    assert response.status_code == status
    if status == 403:
        assert "Vai trò hiện tại của bạn không sử dụng phân hệ này" in response.content.decode()


def test_literacy_is_for_primary_and_lower_secondary_leaders_not_upper_secondary(world):
    c3 = make_school(world.phong1, "C3X", "Trường THPT Xuân Trường", SchoolType.C3)
    assert web_client(c3.m(Role.PRINCIPAL)).get("/pho-cap/").status_code == 403
    assert "Phổ cập, xóa mù chữ" not in nav_labels(page(c3.m(Role.PRINCIPAL)))
    assert web_client(world.a.m(Role.PRINCIPAL)).get("/pho-cap/").status_code == 200  # THCS
    assert web_client(world.members["phong1_staff"]).get("/pho-cap/").status_code == 200


def test_landing_page_describes_the_module_and_is_honest_about_missing_pages(world):
    html = page(world.a.m(Role.TEACHER), "/thu-vien/")
    assert "<h1>Hệ thống quản lý thư viện điện tử</h1>" in html
    assert "Điều 15 khoản 1 điểm d" in html
    assert "chưa có chức năng nào dành cho vai trò của bạn" in html


def test_pages_a_module_registers_appear_for_their_roles_only(world):
    module = get_module("library")
    entry = ModulePage("Danh sách lớp mượn sách", "org:schoolclass-list", frozenset({Role.TEACHER}))
    module.pages.append(entry)
    try:
        teacher = page(world.a.m(Role.TEACHER), "/thu-vien/")
        assert f'<a href="{reverse("org:schoolclass-list")}">Danh sách lớp mượn sách</a>' in teacher
        principal = page(world.a.m(Role.PRINCIPAL), "/thu-vien/")
        assert "Danh sách lớp mượn sách" not in principal
    finally:
        module.pages.remove(entry)


# --- layout and accessibility ------------------------------------------------------------------


def test_layout_has_landmarks_skip_link_and_a_labelled_unit_switcher(world):
    html = page(world.a.m(Role.TEACHER))
    body = html[html.index("<body>") :]
    first_link = re.search(r"<a [^>]*>", body).group(0)
    assert 'class="skip-link" href="#main"' in first_link
    assert '<header class="site-header">' in html
    assert '<nav class="site-nav" aria-label="Điều hướng chính">' in html
    assert '<main id="main" tabindex="-1">' in html
    assert '<footer class="site-footer">' in html
    assert '<label for="membership-select">Đơn vị làm việc</label>' in html
    assert 'id="membership-select"' in html
    assert 'aria-controls="site-nav-lists"' in html and 'id="site-nav-lists"' in html
    assert html.count("<h1>") == 1


def test_messages_are_announced(world):
    membership = world.a.m(Role.TEACHER)
    client = web_client(membership)
    response = client.post(reverse("switch-unit"), {"membership": membership.pk, "next": "/"}, follow=True)
    assert 'role="status">Bạn đang làm việc với vai trò' in response.content.decode()
    response = client.post(reverse("switch-unit"), {"membership": world.b.m(Role.TEACHER).pk, "next": "/"}, follow=True)
    assert 'role="alert">Không tìm thấy vai trò này' in response.content.decode()


def _relative_luminance(hex_colour: str) -> float:
    hex_colour = hex_colour.lstrip("#")
    if len(hex_colour) == 3:
        hex_colour = "".join(c * 2 for c in hex_colour)
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_relative_luminance(a), _relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_text_colours_meet_wcag_aa_contrast():
    css = (Path(settings.BASE_DIR) / "sms/static/sms/app.css").read_text()
    root = re.search(r":root\s*{(.*?)}", css, re.S).group(1)
    colours = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{3,6})", root))
    pairs = [
        ("ink", "bg"),
        ("muted", "bg"),
        ("brand", "bg"),
        ("err", "bg"),
        ("ok", "bg"),
        ("ink", "note-bg"),
        ("ink", "msg-bg"),
        ("brand", "msg-bg"),
    ]
    for fg, bg in pairs:
        assert contrast(colours[fg], colours[bg]) >= 4.5, (fg, bg, contrast(colours[fg], colours[bg]))
    assert contrast("#ffffff", colours["brand"]) >= 4.5
    assert contrast("#ffffff", colours["brand-dark"]) >= 4.5
    # the focus ring (yellow) stands out from the header it is drawn on (non-text: 3:1)
    assert contrast(colours["focus"], colours["brand"]) >= 3
    assert contrast("#0b0c0c", colours["bg"]) >= 3
    assert contrast(colours["muted"], "#ffffff") >= 4.5


# --- nothing from another host ------------------------------------------------------------------

EXTERNAL = re.compile(r"""(?:src|href|action|url\()\s*=?\s*["']?\s*(?:https?:)?//(?!testserver\b|localhost\b)""", re.I)
ANY_URL = re.compile(r"https?://[^\s\"'<>)]+", re.I)


def test_no_page_loads_or_links_anything_from_another_host(world, client):
    urls = ["/", *(reverse(m.url_name) for m in all_modules())]
    pages = [client.get(reverse("login")).content.decode()]
    for membership in (world.members["so_admin"], world.a.m(Role.PRINCIPAL), world.a.m(Role.PARENT)):
        c = web_client(membership)
        for url in urls:
            response = c.get(url)
            assert response.status_code in (200, 403)
            pages.append(response.content.decode())
    for html in pages:
        assert not EXTERNAL.search(html), EXTERNAL.search(html).group(0)
        assert not ANY_URL.search(html), ANY_URL.search(html).group(0)


def test_no_static_file_of_the_project_points_to_another_host():
    roots = [Path(settings.BASE_DIR) / "sms/static"]
    roots += [Path(settings.BASE_DIR) / m / "static" for m in (mod.key for mod in all_modules())]
    files = [f for root in roots if root.exists() for f in root.rglob("*") if f.is_file()]
    assert any(f.name == "app.css" for f in files)
    for f in files:
        text = f.read_text(errors="ignore")
        assert not ANY_URL.search(text), (f, ANY_URL.search(text).group(0))
        assert not re.search(r"""(?:src|href)\s*=\s*["']//|url\(\s*["']?//|@import""", text), f


# --- dashboards --------------------------------------------------------------------------------


def test_principal_sees_only_their_own_school_on_the_dashboard(world):
    SchoolClass.objects.create(school=world.b.school, school_year=world.b.year, grade=world.b.klass.grade, name="6B9")
    for i in range(3):
        grant(make_user(f"extra{i}.c2b"), world.b.school, Role.TEACHER)
    html = page(world.a.m(Role.PRINCIPAL))
    assert "Trường THCS An Bình" in html
    assert "Trường THCS Bắc Sơn" not in html
    assert "<dt>Số lớp</dt><dd>1</dd>" in html
    assert '<th scope="row">Giáo viên</th><td>2</td>' in html
    assert "<dt>Năm học</dt><dd>2026-2027</dd>" in html
    html_b = page(world.b.m(Role.SCHOOL_ADMIN))
    assert "<dt>Số lớp</dt><dd>2</dd>" in html_b
    assert '<th scope="row">Giáo viên</th><td>5</td>' in html_b


def test_oversight_dashboard_counts_the_schools_and_accounts_of_its_subtree(world):
    so = page(world.members["so_admin"])
    assert '<th scope="row">Trung học cơ sở</th><td>2</td>' in so
    phong1 = page(world.members["phong1_admin"])
    assert '<th scope="row">Trung học cơ sở</th><td>1</td>' in phong1
    # school A's seven accounts and the two at Phòng 1
    assert "1 trường và trung tâm đang hoạt động; 9 tài khoản đang hoạt động." in phong1


def test_teacher_sees_their_homeroom_class(world):
    html = page(world.a.m(Role.TEACHER))
    klass = world.a.klass
    assert f'<a href="{reverse("org:schoolclass-detail", kwargs={"pk": klass.pk})}">Lớp {klass.name}</a>' in html
    other = page(world.a.m("teacher2"))
    assert "Năm học này bạn không chủ nhiệm lớp nào." in other


def test_student_gets_a_friendly_page_with_their_modules(world):
    html = page(world.a.m(Role.STUDENT))
    assert "Đây là những phần bạn có thể xem" in html
    assert 'href="/thu-vien/"' in html
    assert "Nhà trường" not in html and "Tài khoản đang hoạt động" not in html


def test_user_without_membership_is_told_so(client, db):
    user = make_user("lonely")
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    html = client.get("/").content.decode()
    assert "chưa được gán vai trò tại đơn vị nào" in html
    assert 'class="site-nav"' not in html


@pytest.mark.parametrize(
    ("who", "queries"),
    [
        ("so_admin", 6),
        ("phong1_staff", 6),
        ("principal", 8),
        ("teacher", 5),
        ("clerk", 4),
        ("parent", 4),
    ],
)
def test_home_query_count_is_pinned_per_role(world, who, queries, django_assert_num_queries):
    membership = world.members.get(who) or world.a.m(who)
    client = web_client(membership)
    client.get("/")  # warm the session's last-seen stamp
    # session, user, actor, the switcher's memberships; then each widget's own queries
    with django_assert_num_queries(queries):
        assert client.get("/").status_code == 200
