"""UI follow-ups of the exams module: the staff see possible duplicate applications (on the
application's page and as a marker in the list), and an invigilator reaches the rooms they watch
from "Việc của tôi trong hội đồng thi" and from their seat's page.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from exams.models import Application, BoardMember, BoardRole, Exam, ExamKind, Room, Site
from exams.services import applications as services
from sms.accounts.roles import Role
from tests.world import grant, make_user, web_client

PID = "001215000123"

# --- possible duplicate applications ----------------------------------------------------------------------


def online_exam(unit, name="Tuyển sinh lớp 6 năm học 2026-2027") -> Exam:
    now = timezone.now()
    return Exam.objects.create(
        unit=unit,
        kind=ExamKind.INTAKE_6,
        name=name,
        start_year=2026,
        accepts_online=True,
        applications_open_at=now - dt.timedelta(days=1),
        applications_close_at=now + dt.timedelta(days=10),
    )


def apply(exam, full_name, *, personal_id="", birth=dt.date(2015, 9, 5)) -> Application:
    return Application.objects.create(
        exam=exam,
        full_name=full_name,
        birth_date=birth,
        sex="M",
        personal_id=personal_id,
        address="Thôn Đông",
        guardian_name="Phụ Huynh",
        phone="0912345678",
    )


@pytest.fixture
def applications(world):
    exam = online_exam(world.phong1)
    first = apply(exam, "Nguyễn Văn An", personal_id=PID)
    # the same personal id under another name: a partial match, accepted and flagged
    second = apply(exam, "Trần Thị Cúc", personal_id=PID)
    unrelated = apply(exam, "Lê Văn Dũng", personal_id="001215000999", birth=dt.date(2015, 1, 2))
    # another Phòng's exam, the same person: never a match for phong1's staff
    elsewhere = apply(online_exam(world.phong2, "Tuyển sinh lớp 6 Phòng Hai"), "Nguyễn Văn An", personal_id=PID)
    return {"exam": exam, "first": first, "second": second, "unrelated": unrelated, "elsewhere": elsewhere}


def test_the_detail_page_names_the_possible_duplicate_and_why(world, applications):
    first, second = applications["first"], applications["second"]
    client = web_client(world.members["phong1_admin"])
    html = client.get(second.get_absolute_url()).content.decode()
    assert "Có thể trùng với hồ sơ" in html
    assert f'href="{first.get_absolute_url()}"' in html and first.reference in html
    assert services.SAME_PID in html
    assert applications["elsewhere"].reference not in html
    html = client.get(first.get_absolute_url()).content.decode()
    assert second.reference in html and "Có thể trùng với hồ sơ" in html
    html = client.get(applications["unrelated"].get_absolute_url()).content.decode()
    assert "Có thể trùng" not in html


def test_an_outsiders_application_is_not_flagged(world, applications):
    elsewhere = applications["elsewhere"]
    client = web_client(world.members["phong2_admin"])
    response = client.get(elsewhere.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "Có thể trùng" not in html
    assert applications["first"].reference not in html and applications["second"].reference not in html
    # and phong1's application stays a 404 for them
    assert client.get(applications["first"].get_absolute_url()).status_code == 404


def row_of(html: str, reference: str) -> str:
    start = html.index(f">{reference}</a>")
    return html[start : html.index("</tr>", start)]


def test_the_list_marks_the_rows_that_may_be_duplicates(world, applications):
    first, second = applications["first"], applications["second"]
    client = web_client(world.members["phong1_admin"])
    html = client.get(reverse("exams:exam-applications", kwargs={"pk": applications["exam"].pk})).content.decode()
    assert "có thể trùng hồ sơ" in row_of(html, first.reference) and second.reference in row_of(html, first.reference)
    assert first.reference in row_of(html, second.reference)
    assert "có thể trùng" not in row_of(html, applications["unrelated"].reference)
    # the outsider's list of their own exam marks nothing
    outsider = web_client(world.members["phong2_admin"])
    exam2 = applications["elsewhere"].exam
    html = outsider.get(reverse("exams:exam-applications", kwargs={"pk": exam2.pk})).content.decode()
    assert applications["elsewhere"].reference in html and "có thể trùng" not in html


# --- an invigilator's rooms ---------------------------------------------------------------------------------


def seat(exam, home, name, role=BoardRole.INVIGILATOR) -> BoardMember:
    user = make_user(full_name=name)
    return BoardMember.objects.create(exam=exam, user=user, role=role, home_unit=home, full_name=name)


@pytest.fixture
def invigilation(world):
    exam = Exam.objects.create(unit=world.so, kind=ExamKind.GIFTED, name="Thi học sinh giỏi tỉnh", start_year=2026)
    site = Site.objects.create(exam=exam, code="D1", name="Điểm thi Trường THCS Bắc Sơn", address="Số 1 Lê Lợi")
    mine_1, mine_2 = seat(exam, world.b.school, "Giám Thị B1"), seat(exam, world.b.school, "Giám Thị B2")
    other_1, other_2 = seat(exam, world.a.school, "Giám Thị A1"), seat(exam, world.a.school, "Giám Thị A2")
    mine = Room.objects.create(site=site, number=3, location="Nhà A", invigilator_1=mine_1, invigilator_2=mine_2)
    other = Room.objects.create(site=site, number=4, invigilator_1=other_1, invigilator_2=other_2)
    membership = grant(mine_2.user, world.b.school, Role.TEACHER)
    return {"exam": exam, "site": site, "seat": mine_2, "mine": mine, "other": other, "membership": membership}


def test_an_invigilator_reaches_their_room_from_my_board(world, invigilation):
    client = web_client(invigilation["membership"])
    html = client.get(reverse("exams:my-board")).content.decode()
    mine, other = invigilation["mine"], invigilation["other"]
    assert "Phòng coi thi của tôi" in html
    assert reverse("exams:room-detail", kwargs={"pk": mine.pk}) in html
    assert reverse("exams:room-list-pdf", kwargs={"pk": mine.pk}) in html
    assert "Phòng 03" in html and "Điểm thi Trường THCS Bắc Sơn" in html and "Nhà A" in html
    assert reverse("exams:room-detail", kwargs={"pk": other.pk}) not in html
    assert reverse("exams:room-list-pdf", kwargs={"pk": other.pk}) not in html
    # the links open
    assert client.get(reverse("exams:room-detail", kwargs={"pk": mine.pk})).status_code == 200
    assert client.get(reverse("exams:room-detail", kwargs={"pk": other.pk})).status_code == 404


def test_someone_without_an_invigilator_seat_sees_no_rooms_section(world, invigilation):
    chair = seat(invigilation["exam"], world.a.school, "Chủ Tịch", role=BoardRole.CHAIR)
    html = web_client(grant(chair.user, world.a.school, Role.TEACHER)).get(reverse("exams:my-board")).content.decode()
    assert "Phòng coi thi của tôi" not in html


def test_my_board_queries_do_not_grow_with_seats_and_rooms(world, invigilation):
    client = web_client(invigilation["membership"])
    url = reverse("exams:my-board")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    # a second exam: another seat for the same person, two more rooms
    user = invigilation["seat"].user
    exam = Exam.objects.create(
        unit=world.so, kind=ExamKind.GIFTED, name="Thi học sinh giỏi tỉnh lần hai", start_year=2026
    )
    more = BoardMember.objects.create(
        exam=exam, user=user, role=BoardRole.INVIGILATOR, home_unit=world.b.school, full_name=user.full_name
    )
    site = Site.objects.create(exam=exam, code="D9", name="Điểm thi số 9")
    for number in (1, 2):
        Room.objects.create(site=site, number=number, invigilator_1=more)
    with CaptureQueriesContext(connection) as many:
        html = client.get(url).content.decode()
    assert "Thi học sinh giỏi tỉnh lần hai" in html and "Điểm thi số 9" in html
    for room in Room.objects.filter(site=site):
        assert reverse("exams:room-list-pdf", kwargs={"pk": room.pk}) in html
    assert len(many) == len(one)


def test_the_seat_page_of_an_invigilator_links_their_room(world, invigilation):
    client = web_client(world.members["so_admin"])
    html = client.get(invigilation["seat"].get_absolute_url()).content.decode()
    assert "Phòng coi thi" in html
    assert reverse("exams:room-detail", kwargs={"pk": invigilation["mine"].pk}) in html
    assert reverse("exams:room-list-pdf", kwargs={"pk": invigilation["mine"].pk}) in html
    assert reverse("exams:room-detail", kwargs={"pk": invigilation["other"].pk}) not in html
