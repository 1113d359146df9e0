"""The demo exams (``exams/seed.py``): what the other areas' demo data builds on, each exam at a
different step of its flow, all written through the services as the demo accounts."""

from __future__ import annotations

import pytest
from django.utils import timezone

from exams.models import (
    Application,
    ApplicationStatus,
    BoardMember,
    BoardRole,
    Candidate,
    CandidateScore,
    Exam,
    ExamKind,
    Mark,
    MarkRound,
    PointRule,
    Quota,
    Room,
    Script,
    ScriptStatus,
)
from exams.seed import seed_exams
from sms.accounts.actors import Actor
from sms.accounts.models import Membership
from sms.accounts.scoping import visible_to
from sms.accounts.seed import seed_accounts, unit_slug
from sms.org.seed import seed_org
from sms.seeding import SeedContext, registered
from students.models import Enrolment, StudentStatus
from students.seed import seed_students

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings, tmp_path) -> SeedContext:
    settings.MEDIA_ROOT = tmp_path / "media"  # the applications' birth certificates
    ctx = SeedContext(schools=9, students=400)
    seed_org(ctx)
    seed_accounts(ctx)
    seed_students(ctx)
    seed_exams(ctx)
    return ctx


def as_user(username: str) -> Actor:
    membership = Membership.objects.select_related("user", "unit").filter(user__username=username).first()
    return Actor(membership.user, membership)


def test_the_seeder_is_registered_after_the_learners():
    names = [name for name, _ in registered()]
    assert names.index("exams") > names.index("students")


def test_demo_exams(demo):
    admission = Exam.objects.get(kind=ExamKind.ADMISSION_10)
    assert admission.unit.kind == "so"
    assert [s.code for s in admission.subjects.all()] == ["toan", "ngu-van", "tieng-anh"]
    assert all(s.starts_at for s in admission.subjects.all())
    assert PointRule.objects.filter(exam=admission).count() >= 6
    upper = [s for s in demo.data["schools"] if 10 in s.grades]
    assert set(Quota.objects.filter(exam=admission).values_list("school_id", flat=True)) == {s.pk for s in upper}
    roles = set(BoardMember.objects.filter(exam=admission).values_list("role", flat=True))
    assert roles == set(BoardRole.values)
    homes = set(
        BoardMember.objects.filter(exam=admission).exclude(role=BoardRole.CHAIR).values_list("home_unit", flat=True)
    )
    assert len(homes) >= 3  # teachers of several schools
    intake = Exam.objects.get(kind=ExamKind.INTAKE_6)
    assert intake.unit.kind == "phong" and intake.window_open(timezone.now())
    assert Exam.objects.filter(kind=ExamKind.GIFTED, unit__kind="school").exists()
    assert demo.data["exams"]["admission_10"] == admission


def test_quotas_are_set_through_the_service_with_history(demo):
    quotas = Quota.objects.all()
    assert quotas.count() >= 2
    history = Quota.history.filter(history_type="+")
    assert history.count() == quotas.count()
    assert all(h.history_user is not None and h.history_change_reason == "Giao chỉ tiêu" for h in history)


def test_the_gifted_competition_is_marked_and_published(demo):
    gifted = Exam.objects.get(kind=ExamKind.GIFTED)
    roles = sorted(BoardMember.objects.filter(exam=gifted).values_list("role", flat=True))
    assert roles.count(BoardRole.CHAIR) == 1
    assert roles.count(BoardRole.SECRETARIAT) == 1
    assert roles.count(BoardRole.INVIGILATOR) == 2
    assert roles.count(BoardRole.MARKER) == 3
    candidates = Candidate.objects.filter(exam=gifted)
    count = candidates.count()
    assert count >= 5
    assert not candidates.filter(number="").exists()
    assert not candidates.filter(room__isnull=True).exists()
    subjects = gifted.subjects.count()
    scripts = Script.objects.filter(exam_subject__exam=gifted)
    assert scripts.count() == count * subjects
    assert set(scripts.values_list("status", flat=True)) == {ScriptStatus.FINAL}
    marks = Mark.objects.filter(script__exam_subject__exam=gifted)
    assert not marks.filter(score__isnull=True).exists()
    assert marks.filter(round=MarkRound.THIRD).count() == 1  # the one disputed pair, settled
    assert marks.count() == 2 * count * subjects + 1
    assert CandidateScore.objects.filter(exam_subject__exam=gifted).count() == count * subjects
    assert gifted.is_published()

    # the school's demo learner sat it: the learner, the parent and the principal read the scores
    host = gifted.unit
    learner = candidates.get(student__user__username=f"hs.{unit_slug(host)}")
    for username in (f"hs.{unit_slug(host)}", f"ph.{unit_slug(host)}"):
        seen = visible_to(as_user(username), CandidateScore).filter(exam_subject__exam=gifted)
        assert set(seen.values_list("candidate_id", flat=True)) == {learner.pk}
        assert seen.count() == subjects
    principal = visible_to(as_user(f"ht.{unit_slug(host)}"), CandidateScore).filter(exam_subject__exam=gifted)
    assert principal.count() == count * subjects


def test_the_admission_is_being_marked(demo):
    admission = Exam.objects.get(kind=ExamKind.ADMISSION_10)
    grade9 = Enrolment.objects.filter(
        school_year__is_current=True,
        school_class__grade=9,
        left_on__isnull=True,
        student__status=StudentStatus.STUDYING,
    )
    candidates = Candidate.objects.filter(exam=admission)
    assert candidates.count() == grade9.count() > 0
    assert all(c.number.startswith("10") for c in candidates)
    assert not candidates.filter(room__isnull=True).exists()
    rooms = Room.objects.filter(site__exam=admission).select_related("invigilator_1", "invigilator_2")
    assert rooms.count() >= 2
    for room in rooms:
        schools = set(room.candidates.values_list("school_id", flat=True))
        assert room.candidates.count() <= 24
        assert room.invigilator_1 and room.invigilator_2
        assert {room.invigilator_1.home_unit_id, room.invigilator_2.home_unit_id}.isdisjoint(schools)
    toan = admission.subjects.get(code="toan")
    scripts = Script.objects.filter(exam_subject__exam=admission)
    assert scripts.count() == scripts.filter(exam_subject=toan).count() == candidates.count()
    marks = Mark.objects.filter(script__exam_subject=toan)
    assert marks.count() == 2 * candidates.count()
    assert 0 < marks.filter(score__isnull=False).count() < marks.count()
    assert not CandidateScore.objects.filter(exam_subject__exam=admission).exists()
    assert admission.results_publish_at is None

    # the printed marker has their own scripts waiting
    logins = {username: role for username, role, _unit in demo.logins}
    marker = next(u for u, r in logins.items() if r.startswith("Cán bộ chấm thi"))
    waiting = visible_to(as_user(marker), Mark, "change").filter(script__exam_subject=toan, score__isnull=True)
    assert waiting.exists()


def test_the_intake_has_a_board_and_online_applications(demo):
    intake = Exam.objects.get(kind=ExamKind.INTAKE_6)
    roles = set(BoardMember.objects.filter(exam=intake).values_list("role", flat=True))
    assert roles == {BoardRole.CHAIR, BoardRole.SECRETARIAT}
    applications = Application.objects.filter(exam=intake)
    assert applications.count() == 3
    back = applications.get(status=ApplicationStatus.NEEDS_CHANGES)
    assert back.staff_note and back.reviewed_by.username.startswith("pgd.")
    assert applications.filter(status=ApplicationStatus.SUBMITTED).count() == 2
    for application in applications:
        (document,) = application.documents.all()
        assert document.kind == "birth"
        assert document.file.read_bytes().startswith(b"%PDF-")
        assert application.choices  # the receiving schools, in order


def test_printed_logins_reach_the_exam(demo):
    logins = {username: role for username, role, _unit in demo.logins}
    chair = next(u for u, r in logins.items() if r.startswith("Chủ tịch"))
    marker = next(u for u, r in logins.items() if r.startswith("Cán bộ chấm thi"))
    admission = Exam.objects.get(kind=ExamKind.ADMISSION_10)
    for username in (chair, marker):
        membership = Membership.objects.select_related("user", "unit").filter(user__username=username).first()
        assert visible_to(Actor(membership.user, membership), Exam).filter(pk=admission.pk).exists()
