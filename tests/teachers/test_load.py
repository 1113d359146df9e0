"""The load report against Thông tư 05/2025 norms (defaults and a Sở/Phòng override)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from sms.accounts.roles import Role
from sms.org.models import Subject, SubjectPlan
from teachers import rules
from teachers.load import load_report
from teachers.models import Position, StaffRecord, TeachingAssignment, TeachingNorm
from tests.world import api_client, make_user, web_client

pytestmark = pytest.mark.django_db

_n = iter(range(1, 10**6))


def teacher(side, position=Position.TEACHER, name="Lê Thị Hoa") -> StaffRecord:
    return StaffRecord.objects.create(
        school=side.school, user=make_user(full_name=name), full_name=name, position=position
    )


def assign(side, staff, periods: list[int], semester=None, grade=None) -> None:
    """One class-subject a year of ``periods`` periods each, given to ``staff``."""
    semester = semester or side.year.semesters.get(number=1)
    grade = grade or side.klass.grade
    for count in periods:
        n = next(_n)
        subject = Subject.objects.create(school=side.school, code=f"m{n}", name=f"Môn {n}", assessment="scored")
        SubjectPlan.objects.create(
            school=side.school, school_year=side.year, grade=grade, subject=subject, periods_per_year=count
        )
        TeachingAssignment.objects.create(
            school=side.school, semester=semester, school_class=side.klass, subject=subject, teacher=staff
        )


def norm(unit, periods, position=Position.TEACHER, level="thcs"):
    return TeachingNorm.objects.create(unit=unit, level=level, position=position, periods_per_week=periods)


# (case, position, periods a year of each assigned class-subject, overrides {unit key: periods},
#  expected norm, status, difference, source)
CASES = [
    ("exactly the THCS norm", Position.TEACHER, [140, 140, 140, 140, 105], {}, "19", "balanced", "0", "Thông tư"),
    ("three over", Position.TEACHER, [140, 140, 140, 140, 105, 105], {}, "19", "over", "3.0", "Thông tư"),
    ("one class only", Position.TEACHER, [140], {}, "19", "under", "-15.0", "Thông tư"),
    ("nothing assigned", Position.TEACHER, [], {}, "19", "under", "-19", "Thông tư"),
    ("rounded half-up a week", Position.TEACHER, [52], {}, "19", "under", "-17.5", "Thông tư"),
    ("principal 2", Position.PRINCIPAL, [70], {}, "2", "balanced", "0", "Thông tư"),
    ("vice-principal 4", Position.VICE_PRINCIPAL, [70], {}, "4", "under", "-2.0", "Thông tư"),
    ("Sở override", Position.TEACHER, [140, 140, 140, 140, 105], {"so": 16}, "16.0", "over", "3.0", "Sở"),
    (
        "Phòng nearer than Sở",
        Position.TEACHER,
        [140] * 4 + [105],
        {"so": 16, "phong1": 18},
        "18.0",
        "over",
        "1.0",
        "Một",
    ),
    (
        "own school nearest",
        Position.TEACHER,
        [140] * 4 + [105],
        {"phong1": 18, "school": 20},
        "20.0",
        "under",
        "-1.0",
        "An Bình",
    ),
    (
        "another Phòng's norm ignored",
        Position.TEACHER,
        [140] * 4 + [105],
        {"phong2": 10},
        "19",
        "balanced",
        "0",
        "Thông tư",
    ),
    (
        "override for principals only",
        Position.TEACHER,
        [140] * 4 + [105],
        {"so_principal": 1},
        "19",
        "balanced",
        "0",
        "Thông tư",
    ),
]


@pytest.mark.parametrize(
    "position, periods, overrides, expected_norm, status, difference, source",
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_load_against_norms(world, position, periods, overrides, expected_norm, status, difference, source):
    units = {"so": world.so, "phong1": world.phong1, "phong2": world.phong2, "school": world.a.school}
    for key, value in overrides.items():
        if key == "so_principal":
            norm(world.so, value, position=Position.PRINCIPAL)
        else:
            norm(units[key], value)
    staff = teacher(world.a, position)
    assign(world.a, staff, periods)
    semester = world.a.year.semesters.select_related("school").get(number=1)
    (row,) = [r for r in load_report(world.actor(world.a.m(Role.PRINCIPAL)), semester) if r.staff == staff]
    assert row.assigned == sum((rules.weekly_periods(p) for p in periods), Decimal(0))
    assert row.norm == Decimal(expected_norm)
    assert (row.status, row.difference) == (status, Decimal(difference))
    assert source in row.norm_source


def test_primary_level_from_the_classes_taught(world):
    from sms.org.rules import SchoolType
    from tests.world import make_school

    side = make_school(world.phong1, "C1X", "Trường Tiểu học Xuân Hòa", SchoolType.C1)
    staff = teacher(side)
    assign(side, staff, [420, 175, 105, 70])  # Tiếng Việt 12 + Toán 5 + 3 + 2 = 22 a week
    (row,) = load_report(world.actor(side.m(Role.PRINCIPAL)), side.year.semesters.get(number=1))
    assert (row.level, row.norm, row.status, row.difference) == ("tieu_hoc", Decimal(23), "under", Decimal(-1))


def test_other_semester_and_other_school_do_not_count(world):
    staff = teacher(world.a)
    assign(world.a, staff, [140], semester=world.a.year.semesters.get(number=2))
    other = teacher(world.b)
    assign(world.b, other, [140])
    rows = load_report(world.actor(world.a.m(Role.PRINCIPAL)), world.a.year.semesters.get(number=1))
    assert [(r.staff, r.assigned) for r in rows] == [(staff, Decimal(0))]


def test_non_teaching_staff_have_no_norm_and_leavers_are_left_out(world):
    clerk = teacher(world.a, Position.STAFF, name="Phạm Văn Kế")
    gone = teacher(world.a, name="Hồ Văn Đi")
    gone.status = "retired"
    gone.save()
    assert load_report(world.actor(world.a.m(Role.PRINCIPAL)), world.a.year.semesters.get(number=1)) == []
    assign(world.a, clerk, [35])
    (row,) = load_report(world.actor(world.a.m(Role.PRINCIPAL)), world.a.year.semesters.get(number=1))
    assert (row.staff, row.status, row.norm) == (clerk, "no_norm", None)


def _queries(world, teachers: int) -> int:
    for _ in range(teachers):
        staff = teacher(world.a, name=f"Giáo Viên {next(_n)}")
        assign(world.a, staff, [140, 105])
    semester = world.a.year.semesters.select_related("school").get(number=1)
    actor = world.actor(world.a.m(Role.PRINCIPAL))
    with CaptureQueriesContext(connection) as ctx:
        rows = load_report(actor, semester)
    assert len(rows) >= teachers
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_teachers(world):
    norm(world.so, 18)
    few = _queries(world, 2)
    many = few and _queries(world, 25)
    assert few == many == 5


# --- the pages -----------------------------------------------------------------------------------------


def test_page_shows_over_and_under_with_decimal_comma(world):
    busy, idle = teacher(world.a, name="Bùi Văn Bận"), teacher(world.a, name="Đỗ Thị Rảnh")
    assign(world.a, busy, [140] * 5 + [52])
    assign(world.a, idle, [52])
    page = web_client(world.a.m(Role.TEACHER)).get("/giao-vien/dinh-muc-tiet-day/").content.decode()
    assert "Vượt định mức" in page and "Thiếu định mức" in page
    assert "21,5" in page and "+2,5" in page and "-17,5" in page


def test_oversight_picks_a_school_and_never_reaches_another_subtree(world):
    staff = teacher(world.b, name="Vũ Văn Bắc")
    assign(world.b, staff, [140])
    semester = world.b.year.semesters.get(number=1)
    client = web_client(world.members["phong1_admin"])
    page = client.get(f"/giao-vien/dinh-muc-tiet-day/?school={world.b.school.pk}&semester={semester.pk}")
    assert page.status_code == 200 and "Vũ Văn Bắc" not in page.content.decode()
    so = web_client(world.members["so_staff"])
    page = so.get(f"/giao-vien/dinh-muc-tiet-day/?school={world.b.school.pk}&semester={semester.pk}")
    assert "Vũ Văn Bắc" in page.content.decode()
    response = api_client(world.members["phong1_admin"]).get(f"/api/teachers/assignments/load/?semester={semester.pk}")
    assert response.status_code == 404


def test_xlsx_export(world):
    staff = teacher(world.a, name="Ngô Thị Xuân")
    assign(world.a, staff, [140] * 5 + [105])
    semester = world.a.year.semesters.get(number=1)
    response = web_client(world.a.m(Role.PRINCIPAL)).get(
        f"/giao-vien/dinh-muc-tiet-day/?semester={semester.pk}&format=xlsx"
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Họ và tên"
    (row,) = [r for r in rows[1:] if r[0] == "Ngô Thị Xuân"]
    assert row[4:8] == (23, 19, 4, "Vượt định mức")


def test_api_load_report(world):
    staff = teacher(world.a, name="Ngô Thị Xuân")
    assign(world.a, staff, [140])
    semester = world.a.year.semesters.get(number=1)
    data = api_client(world.a.m(Role.TEACHER)).get(f"/api/teachers/assignments/load/?semester={semester.pk}").json()
    (row,) = data["results"]
    assert (row["assigned_weekly"], row["norm_weekly"], row["difference"], row["status"]) == (
        "4.0",
        "19",
        "-15.0",
        "under",
    )


# --- norms --------------------------------------------------------------------------------------------------


NORM_FORM = {"level": "thcs", "position": "teacher", "periods_per_week": "17,5", "teaching_weeks": 35}


@pytest.mark.parametrize(
    "who, unit, created",
    [
        ("so_admin", "so", True),
        ("phong1_admin", "phong1", True),
        ("phong1_admin", "phong2", False),  # not in its subtree
        ("so_staff", "so", False),  # reads only
    ],
)
def test_norms_are_set_by_so_and_phong_admins(world, who, unit, created):
    units = {"so": world.so, "phong1": world.phong1, "phong2": world.phong2}
    response = web_client(world.members[who]).post("/giao-vien/dinh-muc/them/", {**NORM_FORM, "unit": units[unit].pk})
    assert TeachingNorm.objects.filter(unit=units[unit]).exists() is created
    assert response.status_code == (302 if created else 403 if who == "so_staff" else 200)
    if created:
        assert TeachingNorm.objects.get().periods_per_week == Decimal("17.5")


def test_principal_cannot_set_norms_but_reads_the_inherited_ones(world):
    norm(world.so, 18)
    client = web_client(world.a.m(Role.PRINCIPAL))
    assert client.post("/giao-vien/dinh-muc/them/", {**NORM_FORM, "unit": world.a.school.pk}).status_code == 403
    page = client.get("/giao-vien/dinh-muc/").content.decode()
    assert world.so.name in page
