"""What every API client (and the HTML lists beside it) can count on: errors, filters, pages,
the OpenAPI document, a fixed number of queries per list, Vietnamese dates, 403 versus 404."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from sms.accounts.roles import Role, UnitKind
from sms.org.models import SchoolClass, Unit
from sms.org.rules import SchoolType
from sms.org.services import create_school_year
from tests.world import World, api_client, grant, make_user, web_client

pytestmark = pytest.mark.django_db

CLASSES = "/api/org/classes/"


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# --------------------------------------------------------------------------- error format


def test_validation_error_format(world: World) -> None:
    response = api_client(world.a.m(Role.PRINCIPAL)).post(
        CLASSES, {"school_year": world.a.year.pk, "grade": 5, "name": "5A1"}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "code", "errors"}
    assert body["detail"] == "Dữ liệu không hợp lệ."
    assert body["code"] == "invalid"
    assert list(body["errors"]) == ["grade"]
    (message,) = body["errors"]["grade"]
    assert "6, 7, 8, 9" in message
    assert "khối" in message
    assert not SchoolClass.objects.filter(name="5A1").exists()


def test_missing_fields_are_reported_per_field_in_vietnamese(world: World) -> None:
    response = api_client(world.a.m(Role.PRINCIPAL)).post(CLASSES, {}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {"school_year", "grade", "name"} <= set(errors)
    assert errors["school_year"] == ["Trường này là bắt buộc."]
    for messages in errors.values():
        assert all(isinstance(m, str) and "required" not in m.lower() for m in messages)


@pytest.mark.parametrize("url", [CLASSES, "/api/org/units/", "/api/memberships/", "/api/me/", "/api/tokens/"])
def test_unauthenticated_is_401_in_vietnamese(world: World, url: str) -> None:
    response = APIClient().get(url)
    assert response.status_code == 401
    assert response.json() == {"detail": "Bạn cần đăng nhập.", "code": "not_authenticated"}


@pytest.mark.parametrize("which", ["other-subtree", "not-existing"])
def test_not_found_format(world: World, which: str) -> None:
    pk = world.b.klass.pk if which == "other-subtree" else SchoolClass.objects.order_by("-pk").first().pk + 1000
    response = api_client(world.a.m(Role.PRINCIPAL)).get(f"{CLASSES}{pk}/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Không tìm thấy.", "code": "not_found"}


def test_relation_to_a_foreign_row_is_a_vietnamese_error(world: World) -> None:
    response = api_client(world.a.m(Role.PRINCIPAL)).post(
        CLASSES, {"school_year": world.b.year.pk, "grade": 6, "name": "6A9"}, format="json"
    )
    assert response.status_code == 400
    (message,) = response.json()["errors"]["school_year"]
    assert "Không tìm thấy đối tượng" in message
    assert not SchoolClass.objects.filter(name="6A9").exists()


def test_wrong_id_type_is_a_vietnamese_error(world: World) -> None:
    response = api_client(world.a.m(Role.PRINCIPAL)).post(
        CLASSES, {"school_year": {"id": 1}, "grade": 6, "name": "6A9"}, format="json"
    )
    assert response.status_code == 400
    (message,) = response.json()["errors"]["school_year"]
    assert message.startswith("Mã đối tượng phải là số")


# --------------------------------------------------------------------------- filters


@pytest.fixture
def a_classes(world: World) -> dict[str, SchoolClass]:
    """A: 6A1 (2026, the world's), 7A1 (2026), and 6A1 of an older year (2025)."""
    old_year = create_school_year(world.a.school, 2025)
    return {
        "6A1": world.a.klass,
        "7A1": SchoolClass.objects.create(school=world.a.school, school_year=world.a.year, grade=7, name="7A1"),
        "old 6A1": SchoolClass.objects.create(school=world.a.school, school_year=old_year, grade=6, name="6A1"),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"6A1", "7A1", "old 6A1"}),
        ("grade=6", {"6A1", "old 6A1"}),
        ("grade=7", {"7A1"}),
        ("grade=9", set()),
        ("school_year=<2026>", {"6A1", "7A1"}),
        ("school_year=<2025>", {"old 6A1"}),
        ("school_year=<2026>&grade=6", {"6A1"}),
    ],
)
def test_class_filters(world: World, a_classes, query: str, expected: set[str]) -> None:
    old_year = a_classes["old 6A1"].school_year
    query = query.replace("<2026>", str(world.a.year.pk)).replace("<2025>", str(old_year.pk))
    got = ids(api_client(world.a.m(Role.PRINCIPAL)).get(f"{CLASSES}?{query}"))
    assert got == {a_classes[name].pk for name in expected}


def test_html_list_uses_the_same_filters(world: World, a_classes) -> None:
    html = web_client(world.a.m(Role.PRINCIPAL)).get("/to-chuc/lop/?grade=7").content.decode()
    assert f'href="/to-chuc/lop/{a_classes["7A1"].pk}/"' in html
    assert f'href="/to-chuc/lop/{a_classes["6A1"].pk}/"' not in html


@pytest.mark.parametrize(
    ("who", "q", "expected"),
    [
        ("so_admin", "bac son", {"B"}),
        ("so_admin", "BẮC SƠN", {"B"}),
        ("so_admin", "Ba\u0306c So\u031bn", {"B"}),  # decomposed (NFD) input
        ("so_admin", "  bắc   sơn ", {"B"}),
        ("so_admin", "an binh", {"A"}),
        ("so_admin", "truong thcs", {"A", "B"}),
        ("so_admin", "phong gd", {"phong1", "phong2"}),
        ("a_principal", "bac son", set()),
        ("phong1_admin", "truong", {"A"}),
    ],
)
def test_unit_search_ignores_diacritics_and_case(world: World, who: str, q: str, expected: set[str]) -> None:
    membership = world.members[who] if who in world.members else world.a.m(Role.PRINCIPAL)
    response = api_client(membership).get("/api/org/units/", {"q": q})
    names = {
        world.a.school.name: "A",
        world.b.school.name: "B",
        world.phong1.name: "phong1",
        world.phong2.name: "phong2",
        world.so.name: "so",
    }
    assert response.status_code == 200
    assert {names[row["name"]] for row in response.json()["results"]} == expected


@pytest.mark.parametrize(
    "query", ["school=<B school>", "school_year=<B year>", "homeroom_teacher=<B teacher>", "school=<B school>&grade=6"]
)
def test_filter_choices_of_another_subtree_never_reveal_its_rows(world: World, query: str) -> None:
    query = (
        query.replace("<B school>", str(world.b.school.pk))
        .replace("<B year>", str(world.b.year.pk))
        .replace("<B teacher>", str(world.b.m(Role.TEACHER).user_id))
    )
    response = api_client(world.a.m(Role.PRINCIPAL)).get(f"{CLASSES}?{query}")
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert ids(response) == set()
    else:
        assert response.json()["code"] == "invalid"
    assert str(world.b.klass.pk) not in re.findall(r'"id":\s*(\d+)', response.content.decode())

    html = web_client(world.a.m(Role.PRINCIPAL)).get(f"/to-chuc/lop/?{query}").content.decode()
    assert f'href="/to-chuc/lop/{world.b.klass.pk}/"' not in html


# --------------------------------------------------------------------------- pagination


def add_classes(world: World, count: int, *, with_teachers: bool = False) -> None:
    """``count`` more grade-6 classes in A's current year (each with its own new GVCN if asked)."""
    start = SchoolClass.objects.filter(school=world.a.school).count()
    rows = []
    for i in range(start, start + count):
        teacher = None
        if with_teachers:
            teacher = make_user(f"gvcn{i}.c2a", f"Giáo Viên {i}")
            grant(teacher, world.a.school, Role.TEACHER)
        rows.append(
            SchoolClass(
                school=world.a.school, school_year=world.a.year, grade=6, name=f"6K{i:03d}", homeroom_teacher=teacher
            )
        )
    SchoolClass.objects.bulk_create(rows)


def test_page_size_is_capped_at_500(world: World) -> None:
    add_classes(world, 505)
    client = api_client(world.a.m(Role.PRINCIPAL))
    body = client.get(CLASSES, {"page_size": 1000}).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 506
    assert len(body["results"]) == 500
    assert "page=2" in body["next"]
    assert body["previous"] is None
    rest = client.get(body["next"]).json()
    assert len(rest["results"]) == 6
    assert rest["next"] is None and rest["previous"]
    assert {r["id"] for r in body["results"]}.isdisjoint({r["id"] for r in rest["results"]})


def test_default_page_and_links(world: World) -> None:
    add_classes(world, 59)
    client = api_client(world.a.m(Role.PRINCIPAL))
    first = client.get(CLASSES).json()
    assert (first["count"], len(first["results"])) == (60, 50)
    small = client.get(CLASSES, {"page_size": 2, "page": 2}).json()
    assert len(small["results"]) == 2
    assert "page=3" in small["next"] and "page_size=2" in small["next"]
    assert small["previous"]


def test_page_out_of_range_is_a_vietnamese_404(world: World) -> None:
    response = api_client(world.a.m(Role.PRINCIPAL)).get(CLASSES, {"page": 99})
    assert response.status_code == 404
    assert response.json() == {"detail": "Trang không hợp lệ.", "code": "not_found"}


# --------------------------------------------------------------------------- OpenAPI


def test_openapi_document(world: World) -> None:
    response = web_client(world.a.m(Role.TEACHER)).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/org/classes/" in schema["paths"]
    assert "/api/org/classes/{id}/" in schema["paths"]
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_openapi_needs_a_login(world: World) -> None:
    assert APIClient().get("/api/schema/").status_code in (401, 403)


ATTRIBUTE = re.compile(r"""\b(src|href)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)


def test_api_docs_use_only_local_static_files(world: World) -> None:
    response = web_client(world.a.m(Role.TEACHER)).get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    references = ATTRIBUTE.findall(html)
    assert references
    for attribute, url in references:
        assert not re.match(r"(https?:)?//", url, re.IGNORECASE), f"{attribute}={url}"
    scripts = [url for attribute, url in references if attribute.lower() == "src" and url.endswith(".js")]
    assert any("swagger-ui" in url for url in scripts), scripts
    static_prefix = "/" + settings.STATIC_URL.lstrip("/")
    for url in scripts + [url for _, url in references if url.startswith(static_prefix)]:
        assert url.startswith(static_prefix), url
        assert finders.find(url.removeprefix(static_prefix)), f"missing static file {url}"


# --------------------------------------------------------------------------- query counts


def count_queries(call: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code == 200, getattr(response, "content", b"")[:300]
    return len(captured)


LISTS = [
    ("api", CLASSES),
    ("api", "/api/org/units/"),
    ("api", "/api/memberships/"),
    ("api", "/api/org/school-years/"),
    ("api", "/api/tokens/"),
    ("html", "/to-chuc/lop/"),
    ("html", "/to-chuc/nam-hoc/{year}/"),
]


@pytest.mark.parametrize(("kind", "url"), LISTS)
def test_list_queries_do_not_grow_with_rows(world: World, kind: str, url: str) -> None:
    """5 and 50 classes in A (each extra class with its own GVCN, who is also a member of A)."""
    url = url.format(year=world.a.year.pk)
    principal = world.a.m(Role.PRINCIPAL)
    client = api_client(principal) if kind == "api" else web_client(principal)
    add_classes(world, 4, with_teachers=True)
    client.get(url)  # warm up: session, first use of the token
    with_5 = count_queries(lambda: client.get(url))
    add_classes(world, 45, with_teachers=True)
    response = client.get(url)
    with_50 = count_queries(lambda: client.get(url))

    assert SchoolClass.objects.filter(school=world.a.school).count() == 50
    if url == CLASSES:
        assert response.json()["count"] == 50
    if kind == "html":
        assert response.content.decode().count('href="/to-chuc/lop/') >= 50
    assert with_50 == with_5, f"{url}: {with_5} queries with 5 classes, {with_50} with 50"


def test_unit_list_queries_do_not_grow_with_units(world: World) -> None:
    client = api_client(world.members["phong1_admin"])

    def add_schools(count: int) -> None:
        for _ in range(count):
            n = Unit.objects.count()
            Unit.objects.create(
                kind=UnitKind.SCHOOL,
                school_type=SchoolType.C1,
                code=f"C1X{n}",
                name=f"Trường Tiểu học số {n}",
                parent=world.phong1,
            )

    client.get("/api/org/units/")
    add_schools(3)
    with_5 = count_queries(lambda: client.get("/api/org/units/"))
    add_schools(45)
    assert client.get("/api/org/units/").json()["count"] == 50
    assert count_queries(lambda: client.get("/api/org/units/")) == with_5


# --------------------------------------------------------------------------- dates in HTML


def test_school_year_page_shows_dates_day_first(world: World) -> None:
    year = create_school_year(
        world.a.school,
        2027,
        starts_on=dt.date(2027, 9, 6),
        ends_on=dt.date(2028, 5, 31),
        semester2_starts_on=dt.date(2028, 1, 3),
    )
    html = web_client(world.a.m(Role.TEACHER)).get(f"/to-chuc/nam-hoc/{year.pk}/").content.decode()
    # Semester I: 06/09/2027 – 02/01/2028; semester II: 03/01/2028 – 31/05/2028
    items = re.findall(r"<li>(Học kỳ [I]+): (\S+) – (\S+)</li>", html)
    assert items == [("Học kỳ I", "06/09/2027", "02/01/2028"), ("Học kỳ II", "03/01/2028", "31/05/2028")]
    assert "09/06/2027" not in html and "2027-09-06" not in html


def test_world_school_year_page(world: World) -> None:
    html = web_client(world.a.m(Role.PRINCIPAL)).get(f"/to-chuc/nam-hoc/{world.a.year.pk}/").content.decode()
    assert "Học kỳ I: 05/09/2026 – 11/01/2027" in html
    assert "Học kỳ II: 12/01/2027 – 31/05/2027" in html


# --------------------------------------------------------------------------- 403 versus 404


@pytest.mark.parametrize("method", ["patch", "put", "delete"])
def test_visible_but_not_writable_is_403_and_invisible_is_404(world: World, method: str) -> None:
    teacher = api_client(world.a.m(Role.TEACHER))
    payload = {"school_year": world.a.year.pk, "grade": 6, "name": "6Z9"}

    mine = getattr(teacher, method)(f"{CLASSES}{world.a.klass.pk}/", payload, format="json")
    assert mine.status_code == 403
    assert mine.json() == {"detail": "Bạn không có quyền thực hiện thao tác này.", "code": "permission_denied"}

    theirs = getattr(teacher, method)(f"{CLASSES}{world.b.klass.pk}/", payload, format="json")
    assert theirs.status_code == 404
    assert theirs.json() == {"detail": "Không tìm thấy.", "code": "not_found"}

    for klass in (world.a.klass, world.b.klass):
        stored = SchoolClass.objects.get(pk=klass.pk)
        assert stored.name == klass.name


def test_writer_may_change_the_same_class(world: World) -> None:
    response = api_client(world.a.m(Role.PRINCIPAL)).patch(
        f"{CLASSES}{world.a.klass.pk}/", {"name": "6A2"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert SchoolClass.objects.get(pk=world.a.klass.pk).name == "6A2"
