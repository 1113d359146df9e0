"""The exam board (issue 7, acceptance 1; ARCHITECTURE.md "Some boards cut across the tree"):
who sits on it, who changes it, a marker never on the secretariat, seats deactivated and never
deleted, and what a member sees."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from exams.models import BoardMember, BoardRole, ExamKind, Mark, MarkRound, Script, ScriptKey
from exams.services import setup as services
from sms.accounts.actors import Actor
from sms.accounts.roles import Role
from sms.accounts.scoping import visible_to
from sms.audit.models import AuditEvent
from tests.makers import exams as makers
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
        (BoardRole.CHAIR, BoardRole.MARKER, False),  # the chair reads every mark
        (BoardRole.MARKER, BoardRole.CHAIR, False),
        (BoardRole.CHAIR, BoardRole.SECRETARIAT, False),
        (BoardRole.SECRETARIAT, BoardRole.CHAIR, False),
        (BoardRole.MARKER, BoardRole.INVIGILATOR, True),
        (BoardRole.SECRETARIAT, BoardRole.INVIGILATOR, True),
        (BoardRole.CHAIR, BoardRole.INVIGILATOR, True),
        (BoardRole.MARKER, BoardRole.MARKER, False),  # the same seat twice
    ],
)
def test_chair_secretariat_and_marker_are_never_one_person(world, phong_exam, first, second, allowed):
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


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (BoardRole.MARKER, BoardRole.SECRETARIAT),
        (BoardRole.SECRETARIAT, BoardRole.MARKER),
        (BoardRole.CHAIR, BoardRole.MARKER),
        (BoardRole.SECRETARIAT, BoardRole.CHAIR),
    ],
)
def test_a_relieved_seat_still_conflicts(world, phong_exam, first, second):
    """A former secretary knows the codes: relieving them does not make them a marker (and a
    former marker who saw the scripts never joins the secretariat)."""
    phong1 = actor(world.members["phong1_admin"])
    teacher = world.a.m(Role.TEACHER).user
    seat = services.add_member(phong1, phong_exam, teacher, first)
    services.deactivate_member(phong1, seat, "Chuyển nhiệm vụ")
    with pytest.raises(ValidationError) as caught:
        services.add_member(phong1, phong_exam, teacher, second)
    assert "đã từng là" in caught.value.message_dict["role"][0]
    assert not BoardMember.objects.filter(exam=phong_exam, user=teacher, role=second).exists()


def test_a_reactivated_seat_is_checked_against_every_seat_ever_held(world, phong_exam):
    phong1 = actor(world.members["phong1_admin"])
    teacher = world.a.m(Role.TEACHER).user
    marker = services.add_member(phong1, phong_exam, teacher, BoardRole.MARKER)
    services.deactivate_member(phong1, marker, "Chuyển sang ban thư ký")
    with pytest.raises(ValidationError):
        services.add_member(phong1, phong_exam, teacher, BoardRole.SECRETARIAT)
    # a clash written before these rules (straight to the table) still blocks the way back
    BoardMember.objects.create(
        exam=phong_exam, user=teacher, role=BoardRole.SECRETARIAT, home_unit=world.a.school, is_active=False
    )
    with pytest.raises(ValidationError):
        services.reactivate_member(phong1, marker)
    assert services.add_member(phong1, phong_exam, teacher, BoardRole.INVIGILATOR).is_active  # no clash


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


# --- who may seat whom (the secretariat reads the code → candidate mapping) ---------------------------------------


@pytest.mark.parametrize("role", [BoardRole.SECRETARIAT, BoardRole.CHAIR])
@pytest.mark.parametrize("who", ["so_staff", "chair"])
def test_an_organiser_who_is_not_an_admin_or_the_chair_cannot_seat_the_secretariat_or_chair(world, so_exam, who, role):
    exam, chair = so_exam
    if role == BoardRole.CHAIR:  # a free chair seat, so only the permission is at stake
        services.deactivate_member(actor(world.members["so_admin"]), BoardMember.objects.get(exam=exam, role=role))
    acting = chair if who == "chair" else world.members["so_staff"]
    teacher = world.a.m(Role.TEACHER).user
    with pytest.raises(PermissionDenied):
        services.add_member(actor(acting), exam, teacher, role)
    # the API answers the same: 403, nothing seated
    response = api_client(acting).post(
        f"/api/exams/exams/{exam.pk}/board/", {"user": teacher.pk, "role": role}, format="json"
    )
    assert response.status_code == 403
    assert not BoardMember.objects.filter(exam=exam, user=teacher).exists()
    # markers and invigilators they still seat
    assert services.add_member(actor(acting), exam, teacher, BoardRole.INVIGILATOR).is_active


@pytest.mark.parametrize("role", list(BoardRole))
@pytest.mark.parametrize("who", ["so_admin", "so_staff"])
def test_nobody_seats_themselves(world, so_exam, who, role):
    exam, _chair = so_exam
    if role == BoardRole.CHAIR:
        services.deactivate_member(actor(world.members["so_admin"]), BoardMember.objects.get(exam=exam, role=role))
    membership = world.members[who]
    with pytest.raises(PermissionDenied):
        services.add_member(actor(membership), exam, membership.user, role)
    response = api_client(membership).post(
        f"/api/exams/exams/{exam.pk}/board/", {"user": membership.user.pk, "role": role}, format="json"
    )
    assert response.status_code == 403
    assert not BoardMember.objects.filter(exam=exam, user=membership.user).exists()


def test_the_chair_neither_seats_themselves_nor_the_secretariat_and_never_reads_the_mapping(world, so_exam):
    exam, chair = so_exam
    client = api_client(chair)
    for role in ("secretariat", "marker", "invigilator"):
        response = client.post(
            f"/api/exams/exams/{exam.pk}/board/", {"user": chair.user.pk, "role": role}, format="json"
        )
        assert response.status_code == 403, role
    assert list(BoardMember.objects.filter(exam=exam, user=chair.user).values_list("role", flat=True)) == ["chair"]
    candidate = makers.candidate(world.a, of=exam)
    script = Script.objects.create(exam_subject=exam.subjects.first(), code="778899")
    ScriptKey.objects.create(script=script, candidate=candidate)
    assert not visible_to(actor(chair), ScriptKey).exists()
    assert not visible_to(actor(world.members["so_staff"]), ScriptKey).exists()


def test_only_an_admin_relieves_or_restores_the_secretariat(world, so_exam):
    exam, chair = so_exam
    so_admin = actor(world.members["so_admin"])
    secretary = services.add_member(so_admin, exam, world.b.m(Role.TEACHER).user, BoardRole.SECRETARIAT)
    with pytest.raises(PermissionDenied):
        services.deactivate_member(actor(chair), secretary, "Đổi người")
    services.deactivate_member(so_admin, secretary, "Đổi người")
    with pytest.raises(PermissionDenied):
        services.reactivate_member(actor(chair), secretary)
    with pytest.raises(PermissionDenied):
        services.reactivate_member(actor(world.members["so_staff"]), secretary)
    assert services.reactivate_member(so_admin, secretary).is_active
    # an admin of a Phòng under the Sở does not run the Sở's exam
    with pytest.raises(PermissionDenied):
        services.add_member(actor(world.members["phong1_admin"]), exam, world.a.m(Role.CLERK).user, "secretariat")


def test_an_admin_cannot_restore_their_own_seat(world, phong_exam):
    phong1 = world.members["phong1_admin"]
    so_admin = actor(world.members["so_admin"])
    seat = services.add_member(so_admin, phong_exam, phong1.user, BoardRole.SECRETARIAT)
    services.deactivate_member(so_admin, seat, "Thôi")
    with pytest.raises(PermissionDenied):
        services.reactivate_member(actor(phong1), seat)
    assert not BoardMember.objects.get(pk=seat.pk).is_active


def test_every_board_change_is_an_audit_event(world, so_exam):
    exam, chair = so_exam
    so_admin = actor(world.members["so_admin"])
    events = AuditEvent.objects.filter(kind=services.BOARD_EVENT)
    chair_seat = BoardMember.objects.get(exam=exam, role=BoardRole.CHAIR)
    assert events.filter(object_id=str(chair_seat.pk), user=so_admin.user).count() == 1  # the fixture's seat
    secretary = services.add_member(so_admin, exam, world.b.m(Role.TEACHER).user, BoardRole.SECRETARIAT)
    services.deactivate_member(so_admin, secretary, "Ốm")
    services.reactivate_member(so_admin, secretary)
    rows = list(events.filter(object_id=str(secretary.pk)).order_by("pk"))
    assert [r.detail.split(":")[0] for r in rows] == ["Phân công", "Thôi nhiệm vụ (Ốm)", "Làm nhiệm vụ trở lại"]
    assert all(r.user == so_admin.user and r.unit == exam.unit for r in rows)
    assert all(r.object_type == "exams.BoardMember" for r in rows)
    # the HTML page records the same, with the request's path
    client = web_client(world.members["so_admin"])
    client.post(reverse("exams:boardmember-deactivate", kwargs={"pk": secretary.pk}), {"reason": "Bận"})
    last = events.filter(object_id=str(secretary.pk)).latest("pk")
    assert last.detail.startswith("Thôi nhiệm vụ (Bận)") and last.path.endswith("/thoi-nhiem-vu/")
    # a refused change records nothing
    before = events.count()
    with pytest.raises(PermissionDenied):
        services.add_member(actor(chair), exam, world.a.m(Role.TEACHER).user, BoardRole.SECRETARIAT)
    assert events.count() == before


def test_the_board_page_offers_each_person_only_the_seats_they_may_give(world, so_exam):
    exam, chair = so_exam
    url = reverse("exams:exam-board", kwargs={"pk": exam.pk})
    form = web_client(chair).get(url).context["form"]
    assert {value for value, _ in form.fields["role"].choices} == {BoardRole.MARKER, BoardRole.INVIGILATOR}
    assert not form.fields["person"].queryset.filter(user=chair.user).exists()
    admin_form = web_client(world.members["so_admin"]).get(url).context["form"]
    assert {value for value, _ in admin_form.fields["role"].choices} == set(BoardRole.values)
    response = web_client(chair).post(url, {"person": world.a.m(Role.TEACHER).pk, "role": BoardRole.SECRETARIAT})
    assert response.status_code == 400
    assert not BoardMember.objects.filter(exam=exam, role=BoardRole.SECRETARIAT).exists()
