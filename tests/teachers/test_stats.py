"""Staff statistics for a school, a Phòng and the Sở: counts per school, constant queries."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from sms.accounts.roles import Role
from teachers.models import Evaluation, StaffRecord
from teachers.views.staff import staff_stats
from tests.world import api_client, web_client

pytestmark = pytest.mark.django_db
URL = "/giao-vien/can-bo/thong-ke/"


def person(side, name, **extra):
    return StaffRecord.objects.create(school=side.school, full_name=name, **extra)


@pytest.fixture
def staffed(world):
    today = dt.date.today()
    person(
        world.a,
        "Giáo viên A1",
        qualification_level="dai_hoc",
        rank_code="V.07.04.31",
        birth_date=dt.date(today.year - 25, 1, 1),
    )
    person(
        world.a,
        "Giáo viên A2",
        qualification_level="thac_si",
        rank_code="V.07.04.31",
        birth_date=dt.date(today.year - 45, 1, 1),
    )
    retired = person(world.a, "Đã nghỉ hưu", qualification_level="dai_hoc", status="retired")
    b1 = person(world.b, "Giáo viên B1", qualification_level="dai_hoc", birth_date=dt.date(today.year - 55, 1, 1))
    b1.subjects.add(world.b.subject)
    Evaluation.objects.create(school=world.b.school, school_year=world.b.year, staff=b1, final_level="kha")
    return retired


def table(tables, title):
    return next(t for t in tables if t["title"].startswith(title))


def counts(tab, school, key):
    index = [c["key"] for c in tab["columns"]].index(key)
    return next(r["counts"][index] for r in tab["rows"] if r["school"] == school.pk)


def test_so_sees_every_school_and_phong_only_its_own(world, staffed):
    data = api_client(world.members["so_admin"]).get("/api/teachers/staff/stats/").json()
    assert {s["code"] for s in data["schools"]} == {"C2A", "C2B"}
    qual = table(data["tables"], "Theo trình độ")
    assert counts(qual, world.a.school, "dai_hoc") == 1  # the retired one is not counted
    assert counts(qual, world.a.school, "thac_si") == 1
    assert counts(qual, world.b.school, "dai_hoc") == 1
    assert qual["total"] == 3
    age = table(data["tables"], "Theo độ tuổi")
    assert counts(age, world.a.school, "u30") == 1 and counts(age, world.a.school, "40_49") == 1
    assert counts(age, world.b.school, "50p") == 1
    assert counts(table(data["tables"], "Theo hạng"), world.a.school, "V.07.04.31") == 2
    assert counts(table(data["tables"], "Theo môn dạy"), world.b.school, "Toán") == 1
    assert counts(table(data["tables"], "Xếp loại"), world.b.school, "kha") == 1

    phong = api_client(world.members["phong1_admin"]).get("/api/teachers/staff/stats/").json()
    assert [s["code"] for s in phong["schools"]] == ["C2A"]
    assert table(phong["tables"], "Theo trình độ")["total"] == 2


def test_page_and_xlsx(world, staffed):
    client = web_client(world.members["phong1_admin"])
    page = client.get(URL).content.decode()
    assert "Trường THCS An Bình" in page and "Trường THCS Bắc Sơn" not in page and "Thạc sĩ" in page
    response = client.get(URL, {"format": "xlsx"})
    content = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert values[1][0] == "Trường THCS An Bình" and values[-1][0] == "Tổng cộng" and values[-1][-1] == 2


def test_teacher_gets_no_statistics(world, staffed):
    assert web_client(world.a.m(Role.TEACHER)).get(URL).status_code == 403
    assert api_client(world.a.m(Role.TEACHER)).get("/api/teachers/staff/stats/").status_code == 403


def test_queries_do_not_grow_with_staff(world, staffed):
    actor = world.actor(world.members["so_admin"])
    with CaptureQueriesContext(connection) as few:
        staff_stats(actor)
    for n in range(15):
        person(world.a if n % 2 else world.b, f"Thêm {n}", qualification_level="cao_dang", rank_code="V.07.04.32")
    with CaptureQueriesContext(connection) as many:
        staff_stats(actor)
    assert len(many) == len(few) <= 10
