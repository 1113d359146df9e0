"""The exam board cuts across the unit tree (ARCHITECTURE.md, "Tenancy"): who reaches which
exam rows through the door, before and after publication.

The Sở runs the exam. Its board: a Sở staff member as chair, school A's principal as
secretariat, school A's teacher and school B's teacher as markers. Candidates come from
schools A and B. The Sở's admin and the Phòng staff are organisers but not on the board.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from exams.models import (
    BoardMember,
    BoardRole,
    Candidate,
    CandidateScore,
    Exam,
    ExamKind,
    ExamSubject,
    Mark,
    MarkRound,
    Script,
    ScriptKey,
)
from sms.accounts.actors import Actor
from sms.accounts.roles import Role
from sms.accounts.scoping import can, visible_to
from tests.world import World, grant, make_user


def actor(membership) -> Actor:
    return Actor(membership.user, membership)


@pytest.fixture
def exam_world(world: World):
    exam = Exam.objects.create(unit=world.so, kind=ExamKind.ADMISSION_10, name="Tuyển sinh lớp 10", start_year=2026)
    toan = ExamSubject.objects.create(exam=exam, code="toan", name="Toán", duration_minutes=120)
    chair = grant(make_user("chair"), world.so, Role.SO_STAFF)
    seats = {
        "chair": BoardMember.objects.create(exam=exam, user=chair.user, role=BoardRole.CHAIR, home_unit=world.so),
        "secretariat": BoardMember.objects.create(
            exam=exam, user=world.a.m(Role.PRINCIPAL).user, role=BoardRole.SECRETARIAT, home_unit=world.a.school
        ),
        "marker_a": BoardMember.objects.create(
            exam=exam, user=world.a.m(Role.TEACHER).user, role=BoardRole.MARKER, home_unit=world.a.school
        ),
        "marker_b": BoardMember.objects.create(
            exam=exam, user=world.b.m(Role.TEACHER).user, role=BoardRole.MARKER, home_unit=world.b.school
        ),
    }
    from_a = Candidate.objects.create(
        exam=exam, school=world.a.school, number="010001", full_name="Lê Văn A", birth_date=dt.date(2011, 5, 1), sex="M"
    )
    from_b = Candidate.objects.create(
        exam=exam, school=world.b.school, number="010002", full_name="Hà Thị B", birth_date=dt.date(2011, 6, 1), sex="F"
    )
    script = Script.objects.create(exam_subject=toan, code="481516")
    ScriptKey.objects.create(script=script, candidate=from_a)
    Mark.objects.create(script=script, marker=seats["marker_a"], round=MarkRound.FIRST, score=Decimal("7.5"))
    Mark.objects.create(script=script, marker=seats["marker_b"], round=MarkRound.SECOND, score=Decimal("7.0"))
    other = Script.objects.create(exam_subject=toan, code="234200")
    ScriptKey.objects.create(script=other, candidate=from_b)
    Mark.objects.create(script=other, marker=seats["marker_b"], round=MarkRound.FIRST)
    score = CandidateScore.objects.create(candidate=from_a, exam_subject=toan, score=Decimal("7.25"))
    people = {
        "chair": chair,
        "secretariat": world.a.m(Role.PRINCIPAL),
        "marker_a": world.a.m(Role.TEACHER),
        "marker_b": world.b.m(Role.TEACHER),
        "so_admin": world.members["so_admin"],
        "so_staff": world.members["so_staff"],
        "phong1_admin": world.members["phong1_admin"],
        "b_principal": world.b.m(Role.PRINCIPAL),
        "a_teacher2": world.a.members["teacher2"],
    }
    return exam, people, {"script": script, "other": other, "score": score, "from_a": from_a, "from_b": from_b}


def seen(membership, model) -> int:
    return visible_to(actor(membership), model).count()


# who: (exams, scripts, keys, marks, scores before publication)
BEFORE = {
    "chair": (1, 2, 0, 3, 1),
    "secretariat": (1, 2, 2, 3, 1),
    "marker_a": (1, 1, 0, 1, 0),
    "marker_b": (1, 2, 0, 2, 0),
    "so_admin": (1, 0, 0, 0, 0),
    "so_staff": (1, 0, 0, 0, 0),
    "phong1_admin": (1, 0, 0, 0, 0),
    "b_principal": (1, 0, 0, 0, 0),
    "a_teacher2": (1, 0, 0, 0, 0),
}


@pytest.mark.parametrize("who", sorted(BEFORE))
def test_before_publication_only_the_board_sees_marks_and_only_the_secretariat_the_codes(exam_world, who):
    _exam, people, _rows = exam_world
    m = people[who]
    assert (
        seen(m, Exam),
        seen(m, Script),
        seen(m, ScriptKey),
        seen(m, Mark),
        seen(m, CandidateScore),
    ) == BEFORE[who]


# who: scores seen once published (the organisers all; a school its own candidates)
AFTER = {
    "chair": 1,
    "so_admin": 1,
    "so_staff": 1,
    "phong1_admin": 1,  # school A is in Phòng 1
    "b_principal": 0,  # the score is of A's candidate
    "marker_a": 0,
    "a_teacher2": 0,
}


@pytest.mark.parametrize("who", sorted(AFTER))
def test_after_publication_scores_reach_organisers_and_the_candidates_school(exam_world, who):
    exam, people, _rows = exam_world
    exam.results_publish_at = timezone.now() - dt.timedelta(minutes=1)
    exam.save()
    assert seen(people[who], CandidateScore) == AFTER[who]
    # marks and the mapping stay with the board
    assert seen(people[who], ScriptKey) == 0


def test_a_publication_time_in_the_future_still_hides_the_scores(exam_world):
    exam, people, _rows = exam_world
    exam.results_publish_at = timezone.now() + dt.timedelta(hours=2)
    exam.save()
    assert seen(people["so_admin"], CandidateScore) == 0


def test_a_marker_writes_only_their_own_marks(exam_world):
    _exam, people, rows = exam_world
    marker_a = actor(people["marker_a"])
    mine = Mark.objects.get(script=rows["script"], round=MarkRound.FIRST)
    theirs = Mark.objects.get(script=rows["script"], round=MarkRound.SECOND)
    assert can(marker_a, "change", mine)
    assert not can(marker_a, "change", theirs)
    assert not can(actor(people["chair"]), "change", mine)


def test_a_deactivated_member_loses_the_boards_reach(exam_world):
    _exam, people, _rows = exam_world
    BoardMember.objects.filter(user=people["secretariat"].user).update(is_active=False)
    assert seen(people["secretariat"], ScriptKey) == 0
    assert seen(people["secretariat"], Script) == 0


def test_the_board_seat_works_whatever_membership_the_member_acts_in(exam_world, world):
    """The grant follows the person, as the board's appointment does."""
    _exam, people, _rows = exam_world
    other_school = grant(people["marker_a"].user, world.b.school, Role.TEACHER)
    assert seen(other_school, Script) == 1


def test_learners_never_reach_board_rows(exam_world, world):
    _exam, _people, _rows = exam_world
    for role in (Role.STUDENT, Role.PARENT):
        m = world.a.m(role)
        assert (seen(m, Script), seen(m, ScriptKey), seen(m, Mark), seen(m, CandidateScore)) == (0, 0, 0, 0)


def test_schools_read_their_own_candidates_only(exam_world):
    _exam, people, rows = exam_world
    assert set(visible_to(actor(people["b_principal"]), Candidate)) == {rows["from_b"]}
    # A's principal is also the secretariat: the whole exam
    assert visible_to(actor(people["secretariat"]), Candidate).count() == 2
    # the Sở's organisers: all of them
    assert visible_to(actor(people["so_staff"]), Candidate).count() == 2


def test_a_school_changes_its_candidates_only_until_numbers_are_given(exam_world, world):
    exam, people, rows = exam_world
    b = actor(people["b_principal"])
    assert not can(b, "change", rows["from_b"])  # numbered already
    fresh = Candidate.objects.create(
        exam=exam, school=world.b.school, full_name="Mới Đăng Ký", birth_date=dt.date(2011, 1, 2), sex="M"
    )
    assert can(b, "change", fresh)
    assert not can(actor(world.b.m(Role.TEACHER)), "change", fresh)


def test_a_learner_reaches_their_own_candidacy_in_the_sos_exam_and_scores_only_once_published(exam_world, world):
    """The exam is the Sở's, outside the student's unit path: the grant reaches it."""
    from students.models import Guardian
    from tests.makers.students import student as make_student

    exam, _people, rows = exam_world
    learner = make_student(world.a)
    student_m = world.a.m(Role.STUDENT)
    learner.user = student_m.user
    learner.save()
    parent_m = world.a.m(Role.PARENT)
    Guardian.objects.create(student=learner, relation="mother", full_name="Mẹ", user=parent_m.user)
    rows["from_a"].student = learner
    rows["from_a"].save()
    for m in (student_m, parent_m):
        assert list(visible_to(actor(m), Candidate)) == [rows["from_a"]]
        assert list(visible_to(actor(m), Exam)) == [exam]
        assert seen(m, CandidateScore) == 0
        assert not can(actor(m), "change", rows["from_a"])
    exam.results_publish_at = timezone.now() - dt.timedelta(seconds=1)
    exam.save()
    for m in (student_m, parent_m):
        assert list(visible_to(actor(m), CandidateScore)) == [rows["score"]]
    # another school's student reaches nothing
    assert seen(world.b.m(Role.STUDENT), Candidate) == 0


def test_a_board_seat_reaches_nothing_while_its_holder_acts_as_a_parent(exam_world, world):
    _exam, people, _rows = exam_world
    as_parent = grant(people["secretariat"].user, world.a.school, Role.PARENT)
    assert (seen(as_parent, Script), seen(as_parent, ScriptKey), seen(as_parent, Mark)) == (0, 0, 0)


def test_markers_read_no_candidate_and_invigilators_only_their_rooms(exam_world, world):
    from exams.models import Room, Site

    exam, people, rows = exam_world
    assert seen(people["marker_a"], Candidate) == 0
    watcher = grant(make_user("watcher"), world.b.school, Role.TEACHER)
    seat = BoardMember.objects.create(
        exam=exam, user=watcher.user, role=BoardRole.INVIGILATOR, home_unit=world.b.school
    )
    assert seen(watcher, Candidate) == 0
    site = Site.objects.create(exam=exam, code="D1", name="Điểm thi 1")
    room = Room.objects.create(site=site, number=1, invigilator_2=seat)
    rows["from_a"].room = room
    rows["from_a"].save()
    assert list(visible_to(actor(watcher), Candidate)) == [rows["from_a"]]
    seat.is_active = False
    seat.save()
    assert seen(watcher, Candidate) == 0


def test_a_relieved_invigilator_no_longer_reads_the_room(exam_world, world):
    from exams.models import Room, Site

    exam, _people, _rows = exam_world
    watcher = grant(make_user("watcher2"), world.b.school, Role.TEACHER)
    seat = BoardMember.objects.create(
        exam=exam, user=watcher.user, role=BoardRole.INVIGILATOR, home_unit=world.b.school
    )
    site = Site.objects.create(exam=exam, code="D9", name="Điểm thi 9")
    Room.objects.create(site=site, number=1, invigilator_1=seat)
    assert seen(watcher, Room) == 1
    seat.is_active = False
    seat.save()
    assert seen(watcher, Room) == 0
