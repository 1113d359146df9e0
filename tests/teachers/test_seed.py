"""``manage.py seed_demo`` gives the Teachers module staff, assignments, evaluations and training."""

from __future__ import annotations

import unicodedata
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, F

from sms.accounts.actors import Actor
from sms.accounts.models import Membership
from sms.accounts.roles import Role
from sms.org.models import SchoolClass, SubjectPlan, Unit
from teachers.models import (
    CriterionRating,
    Evaluation,
    EvaluationStage,
    Position,
    StaffRecord,
    SubjectGroup,
    TeachingAssignment,
    TrainingPlan,
)
from teachers.selectors import can_enter_grades

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo() -> None:
    call_command("seed_demo", "--skip", "students-grades", stdout=StringIO(), stderr=StringIO())


def test_every_teacher_and_principal_of_a_school_with_grades_has_one_staff_record(demo):
    schools = [u for u in Unit.objects.filter(kind__in=["school", "centre"]) if u.grades]
    members = Membership.objects.filter(unit__in=schools, role__in=[Role.TEACHER, Role.PRINCIPAL])
    assert members.exists()
    users = set(members.values_list("user_id", flat=True))
    assert set(StaffRecord.objects.values_list("user_id", flat=True)) == users
    # the principal who also teaches is one person: one record, as principal
    shared = members.values("user_id").annotate(n=Count("id")).filter(n=2)
    assert shared.count() == 1
    assert StaffRecord.objects.get(user_id=shared[0]["user_id"]).position == Position.PRINCIPAL
    for record in StaffRecord.objects.all():
        assert unicodedata.is_normalized("NFC", record.full_name)
        assert record.full_name == record.user.full_name
        assert record.birth_date and len(record.personal_id) == 12 and record.rank_code
        assert record.email.endswith(".edu.vn")
    assert SubjectGroup.objects.filter(leader__isnull=False).exists()


def test_assignments_cover_every_class_and_subject_plan_in_both_semesters(demo):
    assigned = Counter(TeachingAssignment.objects.values_list("school_class_id", "subject_id").order_by())
    expected = 0
    for klass in SchoolClass.objects.filter(school_year__is_current=True):
        for subject_id in SubjectPlan.objects.filter(school_year=klass.school_year, grade=klass.grade).values_list(
            "subject_id", flat=True
        ):
            expected += 1
            assert assigned[(klass.pk, subject_id)] == 2, (klass, subject_id)
    assert expected > 100
    assert sum(assigned.values()) == 2 * expected
    # the teacher is of the class's school
    assert not TeachingAssignment.objects.exclude(teacher__school_id=F("school_id")).exists()


def test_an_assigned_demo_teacher_may_enter_grades(demo):
    a = TeachingAssignment.objects.select_related("teacher__user", "semester").first()
    membership = Membership.objects.get(user=a.teacher.user, unit_id=a.school_id, role=Role.TEACHER)
    assert can_enter_grades(Actor(membership.user, membership), a.school_class, a.subject, a.semester)


def test_last_year_evaluations_are_decided_with_fifteen_varied_criteria(demo):
    teachers = StaffRecord.objects.filter(position=Position.TEACHER)
    evaluations = Evaluation.objects.filter(school_year__start_year=2025)
    assert evaluations.count() == teachers.count() > 0
    assert not evaluations.exclude(stage=EvaluationStage.DECIDED).exists()
    assert not evaluations.filter(final_level="").exists()
    assert len(set(evaluations.values_list("final_level", flat=True))) >= 3
    assert CriterionRating.objects.count() == 15 * evaluations.count()
    assert len(set(CriterionRating.objects.values_list("final_rating", flat=True))) >= 3
    assert TrainingPlan.objects.filter(school_year__start_year=2025, score1__isnull=False).count() == teachers.count()


def test_decided_levels_follow_the_criteria(demo):
    from teachers.rules import overall_level

    for evaluation in Evaluation.objects.prefetch_related("ratings")[:40]:
        finals = {r.criterion: r.final_rating for r in evaluation.ratings.all()}
        assert evaluation.final_level == overall_level(finals)
