"""The demo seeder of learner records: NFC names, one class a year, parents, movements,
exemptions, the demo accounts linked, and the same data for the same seed."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import Counter

import pytest

from sms.accounts.actors import Actor
from sms.accounts.models import Membership
from sms.accounts.roles import Role
from sms.accounts.seed import seed_accounts, unit_slug
from sms.org.models import SchoolClass
from sms.org.seed import CURRENT_YEAR, seed_org
from sms.seeding import SeedContext
from students.models import (
    Enrolment,
    Exemption,
    Guardian,
    MovementKind,
    Student,
    StudentMovement,
    StudentStatus,
)
from students.seed import seed_students

pytestmark = pytest.mark.django_db
SIZE = 400


def context() -> SeedContext:
    return SeedContext(schools=9, students=SIZE)


@pytest.fixture
def demo() -> SeedContext:
    ctx = context()
    seed_org(ctx)
    seed_accounts(ctx)
    seed_students(ctx)
    return ctx


def fingerprint() -> list[tuple]:
    """The seeded learners without database ids."""
    return sorted(
        (
            s.learner_code,
            s.personal_id,
            s.full_name,
            s.birth_date,
            s.sex,
            s.ethnicity,
            s.address,
            s.status,
            s.school.code,
            tuple(sorted((e.school_class.name, e.school_year.start_year, e.left_on) for e in s.enrolments.all())),
            tuple(sorted((g.relation, g.full_name, g.phone) for g in s.guardians.all())),
        )
        for s in Student.objects.select_related("school").prefetch_related(
            "enrolments__school_class", "enrolments__school_year", "guardians"
        )
    )


def test_every_class_of_the_year_gets_learners_of_the_right_age(demo):
    classes = list(SchoolClass.objects.filter(school_year__start_year=CURRENT_YEAR))
    per_class = demo.data["students_per_class"]
    assert per_class == round(SIZE / len(classes))
    sizes = Counter(
        Enrolment.objects.filter(school_year__start_year=CURRENT_YEAR).values_list("school_class_id", flat=True)
    )
    assert set(sizes) == {c.pk for c in classes}
    assert all(n == per_class for n in sizes.values())
    for e in Enrolment.objects.filter(school_year__start_year=CURRENT_YEAR).select_related("student", "school_class"):
        assert e.student.birth_date.year == CURRENT_YEAR - 5 - e.school_class.grade
    # last year: grade − 1, where the school teaches it; never two classes in one year
    last = Enrolment.objects.filter(school_year__start_year=CURRENT_YEAR - 1).select_related("school_class", "student")
    assert last.exists()
    for e in last:
        now = Enrolment.objects.get(student=e.student, school_year__start_year=CURRENT_YEAR)
        assert e.school_class.grade == now.school_class.grade - 1


def test_records_are_nfc_with_valid_identifiers_addresses_and_parents(demo):
    students = list(Student.objects.select_related("address_area"))
    assert len({s.learner_code for s in students}) == len(students)
    assert len({s.personal_id for s in students}) == len(students)
    for s in students:
        assert unicodedata.is_normalized("NFC", s.full_name) and len(s.full_name.split()) >= 3
        assert len(s.learner_code) == 10 and len(s.personal_id) == 12 and s.personal_id.isdigit()
        assert s.address_area is not None and s.address_area.is_valid_on(dt.date.today())
        s.full_clean(validate_unique=False, validate_constraints=False)
    parents = Counter(Guardian.objects.values_list("student_id", flat=True))
    assert set(parents) == {s.pk for s in students}
    assert set(parents.values()) <= {1, 2}
    for g in Guardian.objects.filter(relation="father").select_related("student")[:50]:
        assert g.full_name.split()[0] == g.student.full_name.split()[0] or g.user_id  # shares the family name
    assert Counter(s.ethnicity for s in students).most_common(1)[0][0] == "Kinh"


def test_transfers_drop_outs_and_exemptions(demo):
    transfers = StudentMovement.objects.filter(kind=MovementKind.TRANSFER).select_related("student")
    assert transfers.exists()
    for m in transfers:
        assert m.to_school_id == m.student.school_id != m.school_id
        old = Enrolment.objects.get(student=m.student, school=m.school)
        assert old.left_on == m.effective_on and old.school_year.start_year == CURRENT_YEAR - 1
    dropped = Student.objects.filter(status=StudentStatus.DROPPED)
    assert dropped.exists()
    for s in dropped:
        assert StudentMovement.objects.filter(student=s, kind=MovementKind.DROP_OUT, school=s.school).exists()
        assert Enrolment.objects.get(student=s, school_year__start_year=CURRENT_YEAR).left_on is not None
    exemptions = Exemption.objects.select_related("subject", "enrolment")
    assert exemptions.filter(subject__code="gdtc").exists()
    assert all(x.school_id == x.enrolment.school_id == x.subject.school_id for x in exemptions)


def test_the_demo_student_and_parent_accounts_see_their_own_records(demo):
    for school in [s for s in demo.data["schools"] if s.grades]:
        slug = unit_slug(school)
        pupil = Membership.objects.get(user__username=f"hs.{slug}", role=Role.STUDENT)
        parent = Membership.objects.get(user__username=f"ph.{slug}", role=Role.PARENT)
        own = Student.objects.get(user=pupil.user)
        assert own.school == school and own.full_name == pupil.user.full_name
        assert Enrolment.objects.filter(student=own, school_year__is_current=True).exists()
        guardian = Guardian.objects.get(user=parent.user)
        assert guardian.student == own and guardian.full_name == parent.user.full_name
        # the door's narrowing for learners reaches exactly this learner's rows
        student_q = Student.scope.narrow[Role.STUDENT](Actor(pupil.user, pupil))
        parent_q = Student.scope.narrow[Role.PARENT](Actor(parent.user, parent))
        assert list(Student.objects.filter(student_q)) == list(Student.objects.filter(parent_q)) == [own]


def test_the_same_seed_gives_the_same_learners(demo):
    first = fingerprint()
    Exemption.objects.all().delete()
    StudentMovement.objects.all().delete()
    Enrolment.objects.all().delete()
    Guardian.objects.all().delete()
    Student.objects.all().delete()
    again = context()
    again.data.update(schools=demo.data["schools"])
    seed_students(again)  # last year's classes now exist: they are reused
    assert fingerprint() == first
