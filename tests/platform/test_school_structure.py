"""Each school's structure: years and semesters, classes, subjects and subject plans, the catalogue."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from sms.accounts.models import Membership, User
from sms.accounts.roles import Role, UnitKind
from sms.org.models import SchoolClass, SchoolYear, Semester, Subject, SubjectPlan, Unit
from sms.org.rules import SchoolType
from sms.org.services import create_school_year, install_subject_catalogue, set_current_year

pytestmark = pytest.mark.django_db


def make_school(parent: Unit, school_type: str, code: str) -> Unit:
    kind = UnitKind.CENTRE if school_type in {"TX", "TH", "TN", "TNT", "TC", "TK"} else UnitKind.SCHOOL
    return Unit.objects.create(kind=kind, school_type=school_type, code=code, name=f"Trường {code}", parent=parent)


# --------------------------------------------------------------------------- years and semesters


@pytest.mark.parametrize(
    ("kwargs", "starts_on", "ends_on", "semester2_starts_on"),
    [
        ({}, dt.date(2027, 9, 5), dt.date(2028, 5, 31), dt.date(2028, 1, 12)),
        (
            {
                "starts_on": dt.date(2027, 8, 25),
                "ends_on": dt.date(2028, 6, 10),
                "semester2_starts_on": dt.date(2028, 1, 5),
            },
            dt.date(2027, 8, 25),
            dt.date(2028, 6, 10),
            dt.date(2028, 1, 5),
        ),
    ],
)
def test_create_school_year_gives_two_semesters_covering_the_year(
    world, kwargs, starts_on, ends_on, semester2_starts_on
) -> None:
    year = create_school_year(world.a.school, 2027, **kwargs)
    year = SchoolYear.objects.get(pk=year.pk)
    assert (year.starts_on, year.ends_on, year.name) == (starts_on, ends_on, "2027-2028")
    first, second = Semester.objects.filter(school_year=year).order_by("number")
    assert [first.number, second.number] == [1, 2]
    assert first.school_id == second.school_id == world.a.school.pk
    # together they cover the year, day for day, without overlap or gap
    assert first.starts_on == year.starts_on
    assert first.ends_on + dt.timedelta(days=1) == second.starts_on == semester2_starts_on
    assert second.ends_on == year.ends_on
    assert not year.is_current  # not current unless asked


def test_create_school_year_refuses_bad_dates_and_leaves_nothing(world) -> None:
    count = SchoolYear.objects.count()
    with pytest.raises(ValidationError):
        create_school_year(world.a.school, 2027, starts_on=dt.date(2028, 9, 5))  # not in 2027
    with pytest.raises(ValidationError):
        # semester II starting after the year ends
        create_school_year(world.a.school, 2027, semester2_starts_on=dt.date(2028, 7, 1))
    assert SchoolYear.objects.count() == count
    assert not Semester.objects.filter(school_year__start_year=2027).exists()


def test_create_school_year_refuses_the_same_year_twice(world) -> None:
    with pytest.raises(ValidationError):
        create_school_year(world.a.school, 2026)
    assert SchoolYear.objects.filter(school=world.a.school, start_year=2026).count() == 1


def test_a_centre_without_grades_has_no_school_year(world) -> None:
    centre = make_school(world.so, SchoolType.TH, "THTIN")
    with pytest.raises(ValidationError) as exc:
        create_school_year(centre, 2026)
    assert "school" in exc.value.message_dict


def _current(school: Unit) -> list[int]:
    return list(SchoolYear.objects.filter(school=school, is_current=True).values_list("start_year", flat=True))


def test_set_current_year_leaves_exactly_one_current_year_per_school(world) -> None:
    assert _current(world.a.school) == [2026]
    y2027 = create_school_year(world.a.school, 2027)
    y2025 = create_school_year(world.a.school, 2025)

    set_current_year(y2027)
    assert _current(world.a.school) == [2027]
    set_current_year(y2025)
    assert _current(world.a.school) == [2025]
    set_current_year(y2025)  # again: still one
    assert _current(world.a.school) == [2025]
    # the other school's current year is not touched
    assert _current(world.b.school) == [2026]

    create_school_year(world.a.school, 2028, make_current=True)
    assert _current(world.a.school) == [2028]


def test_database_refuses_a_second_current_year(world) -> None:
    other = create_school_year(world.a.school, 2027)
    with pytest.raises(IntegrityError), transaction.atomic():
        SchoolYear.objects.filter(pk=other.pk).update(is_current=True)
    assert _current(world.a.school) == [2026]
    # a current year at another school is fine
    assert _current(world.b.school) == [2026]


# --------------------------------------------------------------------------- classes


@pytest.mark.parametrize(
    ("school_type", "grade", "ok", "allowed"),
    [
        (SchoolType.C2, 6, True, None),
        (SchoolType.C2, 9, True, None),
        (SchoolType.C2, 5, False, "6, 7, 8, 9"),
        (SchoolType.C2, 10, False, "6, 7, 8, 9"),
        (SchoolType.C1, 1, True, None),
        (SchoolType.C1, 6, False, "1, 2, 3, 4, 5"),
        (SchoolType.C3, 9, False, "10, 11, 12"),
        (SchoolType.C12, 9, True, None),
        (SchoolType.C12, 10, False, "1, 2, 3, 4, 5, 6, 7, 8, 9"),
        (SchoolType.TX, 12, True, None),
        (SchoolType.TX, 5, False, "6, 7, 8, 9, 10, 11, 12"),
    ],
)
def test_class_grade_must_be_one_the_school_teaches(world, school_type, grade, ok, allowed) -> None:
    school = make_school(world.phong1, school_type, f"{school_type}X")
    year = create_school_year(school, 2026)
    klass = SchoolClass(school=school, school_year=year, grade=grade, name=f"{grade}A9")
    if ok:
        klass.full_clean()
        return
    with pytest.raises(ValidationError) as exc:
        klass.full_clean()
    message = " ".join(exc.value.message_dict["grade"])
    assert allowed in message
    assert school_type in message


def test_class_of_a_school_year_of_another_school_is_refused(world) -> None:
    klass = SchoolClass(school=world.a.school, school_year=world.b.year, grade=6, name="6A9")
    with pytest.raises(ValidationError) as exc:
        klass.full_clean()
    assert "school_year" in exc.value.message_dict


def _user(username: str) -> User:
    return User.objects.create_user(username=username, password="Mật-khẩu-đủ-dài-1", full_name="Lê Thị Hoa")


@pytest.mark.parametrize(
    ("setup", "ok"),
    [
        ("teacher_of_a", True),
        ("principal_of_a", True),
        ("school_admin_of_a", True),
        ("teacher_of_b", False),
        ("no_membership", False),
        ("clerk_of_a", False),
        ("student_of_a", False),
        ("parent_of_a", False),
        ("ended_teacher_of_a", False),
        ("past_teacher_of_a", False),
        ("phong1_admin", False),
    ],
)
def test_homeroom_teacher_must_teach_at_the_school(world, setup: str, ok: bool) -> None:
    a, b = world.a, world.b
    teacher = {
        "teacher_of_a": lambda: a.m(Role.TEACHER).user,
        "principal_of_a": lambda: a.m(Role.PRINCIPAL).user,
        "school_admin_of_a": lambda: a.m(Role.SCHOOL_ADMIN).user,
        "teacher_of_b": lambda: b.m(Role.TEACHER).user,
        "no_membership": lambda: _user("nobody"),
        "clerk_of_a": lambda: a.m(Role.CLERK).user,
        "student_of_a": lambda: a.m(Role.STUDENT).user,
        "parent_of_a": lambda: a.m(Role.PARENT).user,
        "ended_teacher_of_a": lambda: (
            Membership.objects.create(user=_user("ended"), unit=a.school, role=Role.TEACHER, is_active=False).user
        ),
        "past_teacher_of_a": lambda: (
            Membership.objects.create(
                user=_user("past"),
                unit=a.school,
                role=Role.TEACHER,
                starts_on=dt.date(2020, 9, 1),
                ends_on=dt.date(2021, 5, 31),
            ).user
        ),
        "phong1_admin": lambda: world.members["phong1_admin"].user,
    }[setup]()
    klass = SchoolClass(school=a.school, school_year=a.year, grade=6, name="6A9", homeroom_teacher=teacher)
    if ok:
        klass.full_clean()
        klass.save()
        return
    with pytest.raises(ValidationError) as exc:
        klass.full_clean()
    assert exc.value.message_dict["homeroom_teacher"] == ["Giáo viên chủ nhiệm phải là giáo viên của trường."]


def test_class_names_are_unique_within_a_year(world) -> None:
    klass = SchoolClass(school=world.a.school, school_year=world.a.year, grade=6, name=world.a.klass.name)
    with pytest.raises(ValidationError):
        klass.full_clean()
    # the same name in the other school is fine
    SchoolClass(school=world.b.school, school_year=world.b.year, grade=7, name="7A1").full_clean()


# --------------------------------------------------------------------------- subjects and plans


def test_subject_plan_refuses_a_subject_of_another_school(world) -> None:
    plan = SubjectPlan(
        school=world.a.school, school_year=world.a.year, grade=7, subject=world.b.subject, periods_per_year=140
    )
    with pytest.raises(ValidationError) as exc:
        plan.full_clean()
    assert "subject" in exc.value.message_dict


def test_subject_plan_refuses_a_year_of_another_school(world) -> None:
    plan = SubjectPlan(
        school=world.a.school, school_year=world.b.year, grade=7, subject=world.a.subject, periods_per_year=140
    )
    with pytest.raises(ValidationError) as exc:
        plan.full_clean()
    assert "school_year" in exc.value.message_dict


@pytest.mark.parametrize(
    ("grade", "periods", "field"),
    [
        (7, 0, "periods_per_year"),
        (7, 501, "periods_per_year"),
        (10, 140, "grade"),
        (5, 140, "grade"),
        (7, 1, None),
        (7, 500, None),
        (9, 140, None),
    ],
)
def test_subject_plan_periods_and_grade(world, grade: int, periods: int, field: str | None) -> None:
    plan = SubjectPlan(
        school=world.a.school, school_year=world.a.year, grade=grade, subject=world.a.subject, periods_per_year=periods
    )
    if field is None:
        plan.full_clean()
        plan.save()
        return
    with pytest.raises(ValidationError) as exc:
        plan.full_clean()
    assert field in exc.value.message_dict


def test_database_refuses_a_subject_plan_of_zero_periods(world) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        SubjectPlan.objects.create(
            school=world.a.school, school_year=world.a.year, grade=7, subject=world.a.subject, periods_per_year=0
        )


def test_a_subject_belongs_to_a_school_not_a_phong(world) -> None:
    subject = Subject(school=world.phong1, code="toan", name="Toán", assessment="scored")
    with pytest.raises(ValidationError) as exc:
        subject.full_clean()
    assert "school" in exc.value.message_dict


# --------------------------------------------------------------------------- the subject catalogue


@pytest.fixture
def schools(world) -> dict[str, tuple[Unit, SchoolYear]]:
    out = {}
    for school_type in (SchoolType.C1, SchoolType.C2, SchoolType.C3):
        school = make_school(world.phong1, school_type, f"{school_type}CAT")
        out[school_type] = (school, create_school_year(school, 2026, make_current=True))
    return out


@pytest.mark.parametrize(
    ("school_type", "has", "has_not"),
    [
        (
            SchoolType.C1,
            {"tieng-viet", "toan", "dao-duc", "tnxh", "khoa-hoc", "tin-hoc-cong-nghe", "ngoai-ngu-1", "hdtn"},
            {"ngu-van", "khtn", "gdqp", "gdcd", "lich-su", "vat-li"},
        ),
        (
            SchoolType.C2,
            {"ngu-van", "toan", "khtn", "cong-nghe", "tin-hoc", "gdcd", "ls-dl", "ngoai-ngu-1", "gddp"},
            {"tieng-viet", "dao-duc", "tnxh", "gdqp", "vat-li", "hoa-hoc", "gdktpl"},
        ),
        (
            SchoolType.C3,
            {"ngu-van", "toan", "gdqp", "lich-su", "vat-li", "hoa-hoc", "sinh-hoc", "dia-li", "gdktpl", "cong-nghe"},
            {"tieng-viet", "dao-duc", "khtn", "ls-dl", "gdcd", "tnxh"},
        ),
    ],
)
def test_catalogue_gives_the_subjects_of_the_school_levels(schools, school_type, has: set, has_not: set) -> None:
    school, year = schools[school_type]
    returned = install_subject_catalogue(school, year)
    codes = set(Subject.objects.filter(school=school).values_list("code", flat=True))
    assert {s.code for s in returned} == codes
    assert has <= codes
    assert not (has_not & codes)
    # plans exist only for the grades the school teaches
    assert set(SubjectPlan.objects.filter(school=school).values_list("grade", flat=True)) == set(school.grades)


@pytest.mark.parametrize(
    ("school_type", "code", "grade", "periods"),
    [
        (SchoolType.C1, "tieng-viet", 1, 420),
        (SchoolType.C1, "tieng-viet", 2, 350),
        (SchoolType.C1, "toan", 1, 105),
        (SchoolType.C1, "toan", 5, 175),
        (SchoolType.C1, "ngoai-ngu-1", 3, 140),
        (SchoolType.C2, "khtn", 6, 140),
        (SchoolType.C2, "cong-nghe", 6, 35),
        (SchoolType.C2, "cong-nghe", 7, 35),
        (SchoolType.C2, "cong-nghe", 8, 52),
        (SchoolType.C2, "cong-nghe", 9, 52),
        (SchoolType.C2, "ngu-van", 6, 140),
        (SchoolType.C3, "ngu-van", 10, 105),
        (SchoolType.C3, "gdqp", 12, 35),
        (SchoolType.C3, "cong-nghe", 10, 70),
    ],
)
def test_catalogue_periods_per_year(schools, school_type, code: str, grade: int, periods: int) -> None:
    school, year = schools[school_type]
    install_subject_catalogue(school, year)
    plan = SubjectPlan.objects.get(school=school, school_year=year, subject__code=code, grade=grade)
    assert plan.periods_per_year == periods


@pytest.mark.parametrize(
    ("school_type", "code", "grade"),
    [
        (SchoolType.C1, "ngoai-ngu-1", 1),  # English from grade 3
        (SchoolType.C1, "khoa-hoc", 3),  # science from grade 4
        (SchoolType.C1, "tnxh", 4),
    ],
)
def test_catalogue_has_no_plan_where_the_programme_has_no_subject(schools, school_type, code, grade) -> None:
    school, year = schools[school_type]
    install_subject_catalogue(school, year)
    assert not SubjectPlan.objects.filter(school=school, subject__code=code, grade=grade).exists()


@pytest.mark.parametrize("school_type", [SchoolType.C1, SchoolType.C2, SchoolType.C3])
def test_catalogue_twice_changes_nothing(schools, school_type) -> None:
    school, year = schools[school_type]
    install_subject_catalogue(school, year)
    subjects = sorted(Subject.objects.filter(school=school).values_list("pk", "code", "name"))
    plans = sorted(
        SubjectPlan.objects.filter(school=school).values_list("pk", "grade", "subject_id", "periods_per_year")
    )
    assert subjects and plans

    install_subject_catalogue(school, year)

    assert sorted(Subject.objects.filter(school=school).values_list("pk", "code", "name")) == subjects
    assert (
        sorted(SubjectPlan.objects.filter(school=school).values_list("pk", "grade", "subject_id", "periods_per_year"))
        == plans
    )


def test_catalogue_keeps_a_school_edited_subject_and_plan(world) -> None:
    # School A already has "toan" with a plan of 140 for grade 6; an edit is kept.
    SubjectPlan.objects.filter(pk=world.a.plan.pk).update(periods_per_year=150)
    Subject.objects.filter(pk=world.a.subject.pk).update(name="Toán học")
    install_subject_catalogue(world.a.school, world.a.year)
    assert Subject.objects.filter(school=world.a.school, code="toan").count() == 1
    assert Subject.objects.get(pk=world.a.subject.pk).name == "Toán học"
    assert SubjectPlan.objects.get(pk=world.a.plan.pk).periods_per_year == 150
    # the catalogue does not reach school B
    assert list(Subject.objects.filter(school=world.b.school).values_list("code", flat=True)) == ["toan"]


def test_catalogue_without_a_year_gives_subjects_but_no_plans(schools) -> None:
    school, _ = schools[SchoolType.C2]
    subjects = install_subject_catalogue(school)
    assert "khtn" in {s.code for s in subjects}
    assert not SubjectPlan.objects.filter(school=school).exists()
