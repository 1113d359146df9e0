"""Sites, rooms, seat lists, invigilators, and the tickets and room lists as PDF (issue 7,
acceptance 3): at most ``room_capacity`` a room, balanced (50 → 17/17/16), seats in number
order, placements kept on a re-run, nothing moves once scripts exist; two invigilators a room,
none from a school whose candidates sit in it; the pages and the API.
"""

from __future__ import annotations

import datetime as dt
import io

import pypdf
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from exams.models import BoardMember, BoardRole, Candidate, Exam, ExamKind, ExamSubject, Room, Script, Site
from exams.services import candidates as candidate_services
from exams.services import rooms as services
from sms.accounts.actors import Actor
from sms.accounts.roles import Role
from tests.world import api_client, make_user, web_client


def actor(membership) -> Actor:
    return Actor(membership.user, membership)


@pytest.fixture
def exam(world):
    exam = Exam.objects.create(unit=world.so, kind=ExamKind.GIFTED, name="Thi học sinh giỏi tỉnh", start_year=2026)
    ExamSubject.objects.create(
        exam=exam,
        code="toan",
        name="Toán",
        duration_minutes=150,
        starts_at=dt.datetime(2026, 6, 2, 7, 30, tzinfo=dt.UTC),
    )
    ExamSubject.objects.create(exam=exam, code="van", name="Ngữ văn", duration_minutes=120, order=2)
    return exam


def candidates(exam, side, count: int, *, start: int = 1, numbered: bool = True) -> list[Candidate]:
    rows = []
    for n in range(start, start + count):
        rows.append(
            Candidate.objects.create(
                exam=exam,
                school=side.school,
                number=f"{n:04d}" if numbered else "",
                full_name=f"Thí Sinh {n:03d}",
                birth_date=dt.date(2011, 1, 1) + dt.timedelta(days=n),
                sex="M",
            )
        )
    return rows


def site(exam, code="D1", host=None) -> Site:
    return Site.objects.create(exam=exam, code=code, name=f"Điểm thi {code}", address="Số 1 Lê Lợi", host=host)


@pytest.fixture
def so(world):
    return actor(world.members["so_admin"])


def sizes(exam) -> list[tuple[str, int, int]]:
    return [
        (r.site.code, r.number, r.candidates.count())
        for r in Room.objects.filter(site__exam=exam).select_related("site").order_by("site__code", "number")
    ]


# --- placing ------------------------------------------------------------------------------------------------


def test_fifty_candidates_make_three_balanced_rooms_seated_in_number_order(world, exam, so):
    candidates(exam, world.a, 50)
    Candidate.objects.create(exam=exam, number="", full_name="Chưa Có Số", birth_date=dt.date(2011, 1, 1), sex="F")
    site(exam)
    result = services.place_candidates(so, exam)
    assert result == {"placed": 50, "rooms_created": 3, "unnumbered": 1, "cleared": 0}
    assert sizes(exam) == [("D1", 1, 17), ("D1", 2, 17), ("D1", 3, 16)]
    first = Room.objects.get(site__exam=exam, number=1)
    seated = list(first.candidates.order_by("seat").values_list("seat", "number"))
    assert seated == [(i, f"{i:04d}") for i in range(1, 18)]
    assert Room.objects.get(site__exam=exam, number=2).candidates.order_by("seat").first().number == "0018"
    assert Candidate.history.filter(room__isnull=False).count() == 50


@pytest.mark.parametrize(
    "count, capacity, expected",
    [(24, 24, [24]), (25, 24, [13, 12]), (7, 3, [3, 2, 2]), (1, 24, [1])],
)
def test_no_room_above_capacity(world, exam, so, count, capacity, expected):
    exam.room_capacity = capacity
    exam.save()
    candidates(exam, world.a, count)
    site(exam)
    services.place_candidates(so, exam)
    assert [n for _, _, n in sizes(exam)] == expected


def test_rooms_shared_between_sites_and_existing_rooms_used_first(world, exam, so):
    candidates(exam, world.a, 60)
    one, two = site(exam, "D1"), site(exam, "D2")
    Room.objects.create(site=two, number=5, location="Nhà A", capacity=10)
    services.place_candidates(so, exam)
    # 60 at 24 → three rooms of 20; the existing room (capacity 10) takes 10 and one more room the rest
    result = sizes(exam)
    assert sum(n for *_, n in result) == 60
    assert all(n <= 24 for *_, n in result)
    assert ("D2", 5, 10) in result
    assert {code for code, *_ in result} == {"D1", "D2"}
    assert Room.objects.filter(site=one).exists()


def test_rerun_keeps_placements_and_seats_newcomers_reset_starts_again(world, exam, so):
    candidates(exam, world.a, 30)
    site(exam)
    services.place_candidates(so, exam)
    before = dict(Candidate.objects.values_list("number", "room_id"))
    candidates(exam, world.b, 4, start=31)
    result = services.place_candidates(so, exam)
    assert result["placed"] == 4 and result["rooms_created"] == 0
    after = dict(Candidate.objects.values_list("number", "room_id"))
    assert all(after[n] == room for n, room in before.items())
    assert sorted(n for *_, n in sizes(exam)) == [15, 19]  # the newcomers top up the rooms below capacity
    assert services.place_candidates(so, exam)["placed"] == 0
    reset = services.place_candidates(so, exam, reset=True)
    assert reset["cleared"] == 34 and reset["placed"] == 34
    assert [n for *_, n in sizes(exam)] == [17, 17]


def test_nothing_moves_once_scripts_exist(world, exam, so):
    candidates(exam, world.a, 5)
    site(exam)
    Script.objects.create(exam_subject=exam.subjects.first(), code="123456")
    with pytest.raises(ValidationError, match="đã có bài thi"):
        services.place_candidates(so, exam)


def test_placing_needs_a_site_and_an_organiser(world, exam, so):
    candidates(exam, world.a, 5)
    with pytest.raises(ValidationError, match="Chưa có điểm thi"):
        services.place_candidates(so, exam)
    site(exam)
    with pytest.raises(PermissionDenied):
        services.place_candidates(actor(world.a.m(Role.PRINCIPAL)), exam)


# --- invigilators ----------------------------------------------------------------------------------------------


def invigilator(exam, home, name) -> BoardMember:
    user = make_user(full_name=name)
    return BoardMember.objects.create(exam=exam, user=user, role=BoardRole.INVIGILATOR, home_unit=home, full_name=name)


@pytest.fixture
def two_rooms(world, exam, so):
    """Room 1 holds school A's candidates, room 2 school B's."""
    candidates(exam, world.a, 20)
    candidates(exam, world.b, 20, start=21)
    site(exam)
    services.place_candidates(so, exam)
    return list(Room.objects.filter(site__exam=exam).order_by("number"))


def test_two_invigilators_a_room_none_from_its_schools(world, exam, so, two_rooms):
    people = [
        invigilator(exam, world.a.school, "Giám Thị A1"),
        invigilator(exam, world.a.school, "Giám Thị A2"),
        invigilator(exam, world.b.school, "Giám Thị B1"),
        invigilator(exam, world.b.school, "Giám Thị B2"),
    ]
    assert services.assign_invigilators(so, exam) == {"rooms": 2, "changed": 2}
    homes = {}
    for room in Room.objects.filter(site__exam=exam).select_related("invigilator_1", "invigilator_2"):
        pair = (room.invigilator_1, room.invigilator_2)
        assert None not in pair and pair[0] != pair[1]
        schools = set(room.candidates.values_list("school_id", flat=True))
        assert not {m.home_unit_id for m in pair} & schools
        homes[room.number] = {m.home_unit_id for m in pair}
    assert homes == {1: {world.b.school.pk}, 2: {world.a.school.pk}}
    assert len({p.pk for p in people}) == 4


def test_shortage_is_explained_and_changes_nothing(world, exam, so, two_rooms):
    invigilator(exam, world.a.school, "Giám Thị A1")
    invigilator(exam, world.a.school, "Giám Thị A2")
    invigilator(exam, world.b.school, "Giám Thị B1")
    with pytest.raises(ValidationError) as caught:
        services.assign_invigilators(so, exam)
    assert "phòng" in " ".join(caught.value.messages).lower()
    assert not Room.objects.filter(invigilator_1__isnull=False).exists()


def test_manual_change_checks_the_same_rule(world, exam, so, two_rooms):
    room_a = two_rooms[0]
    a1 = invigilator(exam, world.a.school, "Giám Thị A1")
    b1 = invigilator(exam, world.b.school, "Giám Thị B1")
    b2 = invigilator(exam, world.b.school, "Giám Thị B2")
    with pytest.raises(ValidationError) as caught:
        services.set_room_invigilators(so, room_a, a1.pk, b1.pk)
    assert caught.value.message_dict["invigilator_1"] == [
        "Giám Thị A1 công tác tại Trường THCS An Bình, trường có thí sinh trong phòng này: "
        "không được coi thi phòng này."
    ]
    with pytest.raises(ValidationError, match="hai người khác nhau"):
        services.set_room_invigilators(so, room_a, b1, b1)
    services.set_room_invigilators(so, room_a, b1, b2)
    room_a.refresh_from_db()
    assert (room_a.invigilator_1_id, room_a.invigilator_2_id) == (b1.pk, b2.pk)
    staff = invigilator(exam, world.so, "Chuyên Viên Sở")
    services.set_room_invigilators(so, room_a, staff, b2)
    with pytest.raises(ValidationError, match="Chuyên Viên Sở đang coi thi Phòng 01"):
        services.set_room_invigilators(so, two_rooms[1], None, staff)


# --- PDFs ------------------------------------------------------------------------------------------------------


def pdf_text(content: bytes) -> tuple[int, str]:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return len(reader.pages), " ".join(" ".join(p.extract_text() for p in reader.pages).split())


def test_tickets_and_room_lists(world, exam, so, two_rooms):
    client = web_client(world.members["so_admin"])
    response = client.get(reverse("exams:exam-tickets", kwargs={"pk": exam.pk}))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pages, text = pdf_text(response.content)
    assert pages == 14  # 40 tickets, three to a page
    for needle in (
        "THẺ DỰ THI",
        "Thí Sinh 001",
        "0001",
        "Điểm thi D1",
        "Số 1 Lê Lợi",
        "Phòng 01",
        "Ngữ văn",
        "150 phút",
    ):
        assert needle in text, needle
    one_each = client.get(
        reverse("exams:exam-tickets", kwargs={"pk": exam.pk}), {"one_per_page": 1, "room": two_rooms[1].pk}
    )
    assert pdf_text(one_each.content)[0] == 20
    site_lists = client.get(reverse("exams:site-room-lists", kwargs={"pk": two_rooms[0].site_id}))
    pages, text = pdf_text(site_lists.content)
    assert "DANH SÁCH THÍ SINH PHÒNG THI" in text and "Ký tên – Toán" in text and "Ký tên – Ngữ văn" in text
    assert "Điểm thi D1 – Phòng 01" in text and "Điểm thi D1 – Phòng 02" in text
    assert "Số thí sinh trong phòng: 20." in text
    single = client.get(reverse("exams:room-list-pdf", kwargs={"pk": two_rooms[0].pk}))
    assert "Thí Sinh 020" in pdf_text(single.content)[1] and "Thí Sinh 021" not in pdf_text(single.content)[1]


def test_an_invigilator_reads_their_room_list_only(world, exam, so, two_rooms):
    b1 = invigilator(exam, world.b.school, "Giám Thị B1")
    b2 = invigilator(exam, world.b.school, "Giám Thị B2")
    services.set_room_invigilators(so, two_rooms[0], b1, b2)
    from tests.world import grant

    membership = grant(b1.user, world.b.school, Role.TEACHER)
    client = web_client(membership)
    assert client.get(reverse("exams:room-list-pdf", kwargs={"pk": two_rooms[0].pk})).status_code == 200
    assert client.get(reverse("exams:room-list-pdf", kwargs={"pk": two_rooms[1].pk})).status_code == 404


# --- pages and API ----------------------------------------------------------------------------------------------


def test_pages_answer_and_place_from_the_page(world, exam, so):
    candidates(exam, world.a, 30)
    client = web_client(world.members["so_admin"])
    response = client.post(
        reverse("exams:exam-site-create", kwargs={"pk": exam.pk}), {"code": "d1", "host": world.a.school.pk}
    )
    assert response.status_code == 302
    created = Site.objects.get(exam=exam)
    assert (created.code, created.name) == ("D1", world.a.school.name)
    response = client.post(reverse("exams:exam-place-candidates", kwargs={"pk": exam.pk}), {})
    assert response.status_code == 302 and sizes(exam) == [("D1", 1, 15), ("D1", 2, 15)]
    room = Room.objects.filter(site__exam=exam).first()
    for name, pk in (
        ("exams:exam-rooms", exam.pk),
        ("exams:exam-invigilators", exam.pk),
        ("exams:site-detail", created.pk),
        ("exams:room-detail", room.pk),
    ):
        assert client.get(reverse(name, kwargs={"pk": pk})).status_code == 200, name
    response = client.post(
        reverse("exams:site-detail", kwargs={"pk": created.pk}), {"action": "room", "location": "Tầng 2"}
    )
    assert response.status_code == 302 and Room.objects.filter(site=created, number=3, location="Tầng 2").exists()
    # a teacher of school A sees no rooms page of the Sở's exam
    assert (
        web_client(world.a.m(Role.TEACHER)).get(reverse("exams:exam-rooms", kwargs={"pk": exam.pk})).status_code == 403
    )


def test_secretariat_sets_up_rooms_through_the_api(world, exam):
    BoardMember.objects.create(
        exam=exam, user=world.a.m(Role.TEACHER).user, role=BoardRole.SECRETARIAT, home_unit=world.a.school
    )
    candidates(exam, world.b, 10)
    client = api_client(world.a.m(Role.TEACHER))
    response = client.post(
        reverse("api:site-list"), {"exam": exam.pk, "code": "B1", "host": world.b.school.pk}, format="json"
    )
    assert response.status_code == 201, response.json()
    site_id = response.json()["id"]
    response = client.post(reverse("api:exams-place-candidates", kwargs={"pk": exam.pk}), {}, format="json")
    assert response.json()["placed"] == 10
    room = Room.objects.get(site_id=site_id)
    detail = client.get(reverse("api:room-detail", kwargs={"pk": room.pk})).json()
    assert [s["seat"] for s in detail["seats"]] == list(range(1, 11))
    invigilator(exam, world.a.school, "Giám Thị A1")
    invigilator(exam, world.a.school, "Giám Thị A2")
    assert client.post(reverse("api:exams-assign-invigilators", kwargs={"pk": exam.pk})).json() == {
        "rooms": 1,
        "changed": 1,
    }
    pdf = client.get(reverse("api:room-list-pdf", kwargs={"pk": room.pk}))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    # another school's teacher, not on the board: no site to see
    other = api_client(world.b.m(Role.TEACHER))
    assert other.get(reverse("api:site-detail", kwargs={"pk": site_id})).status_code == 404


def test_room_list_api_constant_queries(world, exam, so, django_assert_max_num_queries):
    candidates(exam, world.a, 100)
    site(exam)
    site(exam, "D2")
    services.place_candidates(so, exam)
    client = api_client(world.members["so_admin"])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("api:room-list"), {"exam": exam.pk})
    assert response.json()["count"] == 5
    with django_assert_max_num_queries(12):
        response = client.get(reverse("api:candidate-list"), {"exam": exam.pk, "page_size": 100})
    assert len(response.json()["results"]) == 100
    assert candidate_services.may_manage(so, exam)
