"""The exam board (issue 7, acceptance 1; ARCHITECTURE.md "Some boards cut across the tree"):
who sits on it, who changes it, a marker never on the secretariat, seats deactivated and never
deleted, and what a member sees."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from exams.models import BoardMember, BoardRole, ExamKind, Mark, MarkRound, Script
from exams.services import setup as services
from sms.accounts.actors import Actor
from sms.accounts.roles import Role
from sms.accounts.scoping import visible_to
from tests.world import api_client, grant, make_user, web_client

pytestmark = pytest.mark.django_db


def actor(membership) -> Actor:
    return Actor(membership.user, membership)


@pytest.fixture
def so_exam(world):
    """The Sở's grade-10 admission; a Sở specialist chairs its board."""
    so_admin = actor(world.members["so_admin"])
    exam = services.create_exam(
        so_admin, unit=world.so, kind=ExamKind.ADMISSION_10, name="Tuyển sinh lớp 10", start_year=2026
    )
    chair = grant(make_user("chu.tich", "Phạm Văn Chủ"), world.so, Role.SO_STAFF)
    services.add_member(so_admin, exam, chair.user, BoardRole.CHAIR)
    return exam, chair


@pytest.fixture
def phong_exam(world):
    return services.create_exam(
        actor(world.members["phong1_admin"]), kind=ExamKind.GIFTED, name="HSG cấp huyện", start_year=2026
    )


def test_people_of_the_whole_subtree_sit_on_a_so_board(world, so_exam):
    exam, chair = so_exam
    so_admin = actor(world.members["so_admin"])
    from_a = services.add_member(so_admin, exam, world.a.m(Role.TEACHER).user, BoardRole.MARKER)
    from_b = services.add_member(so_admin, exam, world.b.m(Role.TEACHER).user, BoardRole.INVIGILATOR)
    assert (from_a.home_unit, from_b.home_unit) == (world.a.school, world.b.school)
    assert from_a.full_name == world.a.m(Role.TEACHER).user.full_name
    # one person, several seats (a marker who also invigilates)
    services.add_member(so_admin, exam, world.a.m(Role.TEACHER).user, BoardRole.INVIGILATOR)
    assert BoardMember.objects.filter(exam=exam, user=world.a.m(Role.TEACHER).user).count() == 2
    assert from_a.history.get().history_user == so_admin.user


def test_only_people_of_the_owners_subtree(world, phong_exam):
    phong1 = actor(world.members["phong1_admin"])
    with pytest.raises(ValidationError) as caught:  # school B is under Phòng 2
        services.add_member(phong1, phong_exam, world.b.m(Role.TEACHER).user, BoardRole.MARKER)
    assert "không có vai trò đang hiệu lực" in caught.value.message_dict["user"][0]
    with pytest.raises(ValidationError):  # an account without any membership
        services.add_member(phong1, phong_exam, make_user("khong.vai.tro"), BoardRole.MARKER)
    with pytest.raises(ValidationError):  # learners are not staff
        services.add_member(phong1, phong_exam, world.a.m(Role.STUDENT).user, BoardRole.INVIGILATOR)
    with pytest.raises(ValidationError):  # the home unit must be one of theirs
        services.add_member(phong1, phong_exam, world.a.m(Role.TEACHER).user, BoardRole.MARKER, home_unit=world.phong1)


@pytest.mark.parametrize(
    ("first", "second", "allowed"),
    [
        (BoardRole.MARKER, BoardRole.SECRETARIAT, False),
        (BoardRole.SECRETARIAT, BoardRole.MARKER, False),
        (BoardRole.MARKER, BoardRole.INVIGILATOR, True),
        (BoardRole.SECRETARIAT, BoardRole.INVIGILATOR, True),
        (BoardRole.CHAIR, BoardRole.MARKER, True),
        (BoardRole.MARKER, BoardRole.MARKER, False),  # the same seat twice
    ],
)
def test_a_marker_is_never_on_the_secretariat(world, phong_exam, first, second, allowed):
    phong1 = actor(world.members["phong1_admin"])
    teacher = world.a.m(Role.TEACHER).user
    services.add_member(phong1, phong_exam, teacher, first)
    if allowed:
        services.add_member(phong1, phong_exam, teacher, second)
    else:
        with pytest.raises(ValidationError) as caught:
            services.add_member(phong1, phong_exam, teacher, second)
        assert "role" in caught.value.message_dict
        assert BoardMember.objects.filter(exam=phong_exam, user=teacher).count() == 1


def test_a_relieved_marker_may_join_the_secretariat_but_not_come_back_as_marker(world, phong_exam):
    phong1 = actor(world.members["phong1_admin"])
    teacher = world.a.m(Role.TEACHER).user
    marker = services.add_member(phong1, phong_exam, teacher, BoardRole.MARKER)
    services.deactivate_member(phong1, marker, "Chuyển sang ban thư ký")
    services.add_member(phong1, phong_exam, teacher, BoardRole.SECRETARIAT)
    with pytest.raises(ValidationError):
        services.reactivate_member(phong1, marker)


def test_one_chair(world, so_exam):
    exam, _chair = so_exam
    with pytest.raises(ValidationError) as caught:
        services.add_member(actor(world.members["so_admin"]), exam, world.members["so_staff"].user, BoardRole.CHAIR)
    assert "đã có chủ tịch" in caught.value.message_dict["role"][0]


def test_deactivate_never_deletes_and_marks_keep_their_marker(world, so_exam):
    exam, chair = so_exam
    so_admin = actor(world.members["so_admin"])
    marker = services.add_member(so_admin, exam, world.a.m(Role.TEACHER).user, BoardRole.MARKER)
    script = Script.objects.create(exam_subject=exam.subjects.first(), code="112233")
    mark = Mark.objects.create(script=script, marker=marker, round=MarkRound.FIRST, score=Decimal("6.5"))
    assert services.member_in_use(marker)
    services.deactivate_member(actor(chair), marker, "Ốm")  # the chair changes the board
    marker.refresh_from_db()
    assert marker.is_active is False
    mark.refresh_from_db()
    assert mark.marker_id == marker.pk and mark.score == Decimal("6.5")
    record = marker.history.first()
    assert (record.history_user, record.history_change_reason) == (chair.user, "Ốm")
    with pytest.raises(ValidationError):
        services.deactivate_member(so_admin, marker)
    services.reactivate_member(so_admin, marker)
    marker.refresh_from_db()
    assert marker.is_active
    # through the page: a POST relieves, nothing is deleted
    client = web_client(world.members["so_admin"])
    response = client.post(reverse("exams:boardmember-deactivate", kwargs={"pk": marker.pk}), {"reason": "Bận"})
    assert response.status_code == 302
    assert BoardMember.objects.filter(pk=marker.pk, is_active=False).exists()


def test_who_changes_the_board(world, so_exam):
    exam, chair = so_exam
    teacher_a = world.a.m(Role.TEACHER)
    marker = services.add_member(actor(chair), exam, teacher_a.user, BoardRole.MARKER)  # the chair may
    with pytest.raises(PermissionDenied):  # a marker may not
        services.add_member(actor(teacher_a), exam, world.b.m(Role.TEACHER).user, BoardRole.MARKER)
    with pytest.raises(PermissionDenied):  # Phòng 1 reads the Sở's exam (inherited) but does not run it
        services.add_member(actor(world.members["phong1_admin"]), exam, world.a.m(Role.CLERK).user, "invigilator")
    with pytest.raises(PermissionDenied):  # a member cannot relieve themselves
        services.deactivate_member(actor(teacher_a), marker)


def test_a_phong_admin_of_another_subtree_gets_404(world, phong_exam):
    phong2 = world.members["phong2_admin"]
    with pytest.raises(Http404):
        services.add_member(actor(phong2), phong_exam, world.a.m(Role.TEACHER).user, BoardRole.MARKER)
    client = web_client(phong2)
    membership = world.a.m(Role.TEACHER)
    url = reverse("exams:exam-board", kwargs={"pk": phong_exam.pk})
    assert client.get(url).status_code == 404
    assert client.post(url, {"person": membership.pk, "role": BoardRole.MARKER}).status_code == 404
    response = api_client(phong2).post(
        f"/api/exams/exams/{phong_exam.pk}/board/", {"user": membership.user.pk, "role": "marker"}, format="json"
    )
    assert response.status_code == 404
    assert not BoardMember.objects.filter(exam=phong_exam).exists()


def test_board_page_seats_a_person(world, phong_exam, django_assert_max_num_queries):
    client = web_client(world.members["phong1_admin"])
    url = reverse("exams:exam-board", kwargs={"pk": phong_exam.pk})
    with django_assert_max_num_queries(20):
        response = client.get(url, {"q": "tran thi binh"})  # teacher2 of school A, without diacritics
    body = response.content.decode()
    assert response.status_code == 200 and "Trần Thị Bình" in body
    membership = world.a.members["teacher2"]
    response = client.post(url, {"person": membership.pk, "role": BoardRole.SECRETARIAT})
    assert response.status_code == 302
    seat = BoardMember.objects.get(exam=phong_exam)
    assert (seat.user, seat.role, seat.home_unit) == (membership.user, BoardRole.SECRETARIAT, world.a.school)
    response = client.post(url, {"person": membership.pk, "role": BoardRole.MARKER})
    assert response.status_code == 400
    assert "ban thư ký" in response.content.decode()


def test_a_marker_from_school_a_sees_the_so_exam_but_not_the_board(world, so_exam):
    exam, chair = so_exam
    so_admin = actor(world.members["so_admin"])
    teacher_a = world.a.m(Role.TEACHER)
    services.add_member(so_admin, exam, teacher_a.user, BoardRole.MARKER)
    colleague = services.add_member(so_admin, exam, world.b.m(Role.TEACHER).user, BoardRole.MARKER)
    colleague.full_name = "Đồng Nghiệp Trường Bắc"
    colleague.save()
    client = web_client(teacher_a)
    body = client.get(exam.get_absolute_url()).content.decode()
    assert exam.name in body
    assert "Phạm Văn Chủ" not in body and "Đồng Nghiệp Trường Bắc" not in body
    board = client.get(reverse("exams:exam-board", kwargs={"pk": exam.pk})).content.decode()
    assert "Đồng Nghiệp Trường Bắc" not in board and "Phân công thành viên" not in board
    seats = api_client(teacher_a).get("/api/exams/board/").json()["results"]
    assert [(s["user"], s["role"]) for s in seats] == [(teacher_a.user.pk, "marker")]
    # the chair sees the whole board
    rows = api_client(chair).get(f"/api/exams/board/?exam={exam.pk}").json()["results"]
    assert len(rows) == 3


def test_a_so_specialist_not_on_the_board_sees_no_marks(world, so_exam):
    exam, chair = so_exam
    marker = services.add_member(actor(world.members["so_admin"]), exam, world.a.m(Role.TEACHER).user, BoardRole.MARKER)
    script = Script.objects.create(exam_subject=exam.subjects.first(), code="445566")
    Mark.objects.create(script=script, marker=marker, round=MarkRound.FIRST, score=Decimal("8"))
    outsider = actor(world.members["so_staff"])
    assert visible_to(outsider, exam.__class__).filter(pk=exam.pk).exists()  # reads the exam
    assert not visible_to(outsider, Mark).exists() and not visible_to(outsider, Script).exists()
    assert visible_to(actor(chair), Mark).count() == 1  # the chair does
    assert visible_to(actor(world.a.m(Role.TEACHER)), Mark).count() == 1  # and the marker their own


def test_my_board_page_lists_my_seats_in_any_unit(world, so_exam, phong_exam):
    exam, _chair = so_exam
    teacher_a = world.a.m(Role.TEACHER)
    services.add_member(actor(world.members["so_admin"]), exam, teacher_a.user, BoardRole.INVIGILATOR)
    services.add_member(actor(world.members["phong1_admin"]), phong_exam, teacher_a.user, BoardRole.MARKER)
    body = web_client(teacher_a).get(reverse("exams:my-board")).content.decode()
    assert exam.name in body and phong_exam.name in body
    assert "Cán bộ coi thi" in body and "Cán bộ chấm thi" in body
    other = web_client(world.b.m(Role.TEACHER)).get(reverse("exams:my-board")).content.decode()
    assert exam.name not in other and "chưa được phân công" in other
    # the module's landing page offers it
    landing = web_client(teacher_a).get(reverse("exams:index")).content.decode()
    assert reverse("exams:my-board") in landing and reverse("exams:exam-list") in landing
