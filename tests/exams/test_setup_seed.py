"""The demo exams (``exams/seed.py``): what the other areas' demo data builds on."""

from __future__ import annotations

import pytest
from django.utils import timezone

from exams.models import BoardMember, BoardRole, Exam, ExamKind, PointRule, Quota
from exams.seed import seed_exams
from sms.accounts.actors import Actor
from sms.accounts.models import Membership
from sms.accounts.scoping import visible_to
from sms.accounts.seed import seed_accounts
from sms.org.seed import seed_org
from sms.seeding import SeedContext, registered

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo() -> SeedContext:
    ctx = SeedContext(schools=9, students=50)
    seed_org(ctx)
    seed_accounts(ctx)
    seed_exams(ctx)
    return ctx


def test_the_seeder_is_registered_after_the_learners():
    names = [name for name, _ in registered()]
    assert names.index("exams") > names.index("students")


def test_demo_exams(demo, django_assert_max_num_queries):
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


def test_printed_logins_reach_the_exam(demo):
    logins = {username: role for username, role, _unit in demo.logins}
    chair = next(u for u, r in logins.items() if r.startswith("Chủ tịch"))
    marker = next(u for u, r in logins.items() if r.startswith("Cán bộ chấm thi"))
    admission = Exam.objects.get(kind=ExamKind.ADMISSION_10)
    for username in (chair, marker):
        membership = Membership.objects.select_related("user", "unit").filter(user__username=username).first()
        assert visible_to(Actor(membership.user, membership), Exam).filter(pk=admission.pk).exists()
