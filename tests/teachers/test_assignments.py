"""Teaching assignments: who writes them, what the form offers, and who may enter grades."""

from __future__ import annotations

import pytest

from sms.accounts.roles import Role
from sms.org.models import SchoolClass, Subject
from teachers.models import Position, StaffRecord, TeachingAssignment
from teachers.selectors import assignment_for, assignments_of, can_enter_grades, staff_for_user
from tests.world import api_client, web_client

pytestmark = pytest.mark.django_db


def record(side, key, position=Position.TEACHER) -> StaffRecord:
    user = side.m(key).user
    return StaffRecord.objects.create(school=side.school, user=user, full_name=user.full_name, position=position)


@pytest.fixture
def a(world):
    """School A: teacher2 teaches Toán in the class whose homeroom teacher is ``teacher``."""
    side = world.a
    side.staff = {
        "teacher": record(side, Role.TEACHER),
        "teacher2": record(side, "teacher2"),
        "principal": record(side, Role.PRINCIPAL, Position.PRINCIPAL),
    }
    side.sem1, side.sem2 = side.year.semesters.order_by("number")
    side.assignment = TeachingAssignment.objects.create(
        school=side.school,
        semester=side.sem1,
        school_class=side.klass,
        subject=side.subject,
        teacher=side.staff["teacher2"],
    )
    return side


def form_data(side, teacher=None, klass=None, subject=None, semester=None):
    return {
        "semester": (semester or side.sem2).pk,
        "school_class": (klass or side.klass).pk,
        "subject": (subject or side.subject).pk,
        "teacher": (teacher or side.staff["teacher"]).pk,
    }


# --- who writes -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, allowed",
    [
        (Role.PRINCIPAL, True),
        (Role.SCHOOL_ADMIN, True),
        ("phong1_admin", True),
        (Role.TEACHER, False),
        (Role.CLERK, False),
    ],
)
def test_only_admins_create_assignments(world, a, who, allowed):
    membership = world.members[who] if who == "phong1_admin" else a.m(who)
    response = web_client(membership).post("/giao-vien/phan-cong/them/", form_data(a))
    created = TeachingAssignment.objects.filter(semester=a.sem2, school_class=a.klass, subject=a.subject)
    if allowed:
        assert response.status_code == 302
        row = created.get()
        assert row.school == a.school and row.teacher == a.staff["teacher"]
    else:
        assert response.status_code == 403
        assert not created.exists()


def test_teacher_reads_every_assignment_of_the_school_but_cannot_change_one(a):
    client = web_client(a.m(Role.TEACHER))
    page = client.get("/giao-vien/phan-cong/").content.decode()
    assert a.assignment.get_absolute_url() in page
    assert a.staff["teacher2"].full_name in page
    # the homeroom teacher of the class is shown
    assert a.m(Role.TEACHER).user.full_name in page
    assert "Thêm phân công" not in page
    response = client.post(f"/giao-vien/phan-cong/{a.assignment.pk}/sua/", form_data(a, teacher=a.staff["teacher"]))
    assert response.status_code == 403
    a.assignment.refresh_from_db()
    assert a.assignment.teacher == a.staff["teacher2"]


def test_the_same_class_subject_and_semester_has_one_teacher(a):
    response = web_client(a.m(Role.PRINCIPAL)).post(
        "/giao-vien/phan-cong/them/", form_data(a, semester=a.sem1, teacher=a.staff["teacher"])
    )
    assert response.status_code == 200
    assert TeachingAssignment.objects.filter(semester=a.sem1).count() == 1


# --- the form offers only the actor's school ----------------------------------------------------------


def test_form_choices_are_the_actors_school(world, a):
    b = world.b
    b_teacher = record(b, Role.TEACHER)
    form = web_client(a.m(Role.PRINCIPAL)).get("/giao-vien/phan-cong/them/").context["form"]
    teachers = set(form.fields["teacher"].queryset)
    assert a.staff["teacher2"] in teachers and b_teacher not in teachers
    assert set(form.fields["school_class"].queryset) == {a.klass}
    assert set(form.fields["subject"].queryset) == {a.subject}
    assert set(form.fields["semester"].queryset) == set(a.year.semesters.all())


@pytest.mark.parametrize("foreign", ["teacher", "klass", "subject", "semester"])
def test_other_schools_rows_are_refused(world, a, foreign):
    b = world.b
    b.staff = {"teacher": record(b, Role.TEACHER)}
    b.sem2 = b.year.semesters.get(number=2)
    mixed = {
        "teacher": b.staff["teacher"] if foreign == "teacher" else None,
        "klass": b.klass if foreign == "klass" else None,
        "subject": b.subject if foreign == "subject" else None,
        "semester": b.sem2 if foreign == "semester" else None,
    }
    response = web_client(a.m(Role.PRINCIPAL)).post("/giao-vien/phan-cong/them/", form_data(a, **mixed))
    assert response.status_code == 200
    assert "Lựa chọn không hợp lệ" in response.content.decode() or "Hãy chọn" in response.content.decode()
    assert TeachingAssignment.objects.count() == 1


def test_a_teacher_who_left_is_not_offered(a):
    a.staff["teacher"].status = "transferred"
    a.staff["teacher"].save()
    form = web_client(a.m(Role.PRINCIPAL)).get("/giao-vien/phan-cong/them/").context["form"]
    assert set(form.fields["teacher"].queryset) == {a.staff["teacher2"], a.staff["principal"]}


def test_api_create_takes_the_school_from_the_class_and_refuses_teachers(a):
    payload = form_data(a)
    assert api_client(a.m(Role.TEACHER)).post("/api/teachers/assignments/", payload, format="json").status_code == 403
    response = api_client(a.m(Role.PRINCIPAL)).post("/api/teachers/assignments/", payload, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["school"] == a.school.pk
    listed = api_client(a.m(Role.TEACHER)).get(f"/api/teachers/assignments/?semester={a.sem1.pk}").json()
    assert [row["teacher_name"] for row in listed["results"]] == [a.staff["teacher2"].full_name]


def test_list_filters_by_teacher(a):
    TeachingAssignment.objects.create(
        school=a.school, semester=a.sem2, school_class=a.klass, subject=a.subject, teacher=a.staff["teacher"]
    )
    page = web_client(a.m(Role.PRINCIPAL)).get(f"/giao-vien/phan-cong/?teacher={a.staff['teacher'].pk}")
    assert page.context["page_obj"].paginator.count == 1


# --- who may enter grades ----------------------------------------------------------------------------


def test_can_enter_grades_matrix(world, a):
    other_subject = Subject.objects.create(school=a.school, code="van", name="Ngữ văn", assessment="scored")
    other_class = SchoolClass.objects.create(school=a.school, school_year=a.year, grade=a.klass.grade, name="6A2")
    cases = [
        # (actor, class, subject, semester, expected)
        (a.m("teacher2"), a.klass, a.subject, a.sem1, True),  # the assigned teacher
        (a.m(Role.TEACHER), a.klass, a.subject, a.sem1, False),  # the homeroom teacher of the class
        (a.m(Role.PRINCIPAL), a.klass, a.subject, a.sem1, False),  # the principal
        (a.m(Role.SCHOOL_ADMIN), a.klass, a.subject, a.sem1, False),
        (a.m("teacher2"), a.klass, a.subject, a.sem2, False),  # another semester
        (a.m("teacher2"), a.klass, other_subject, a.sem1, False),  # another subject
        (a.m("teacher2"), other_class, a.subject, a.sem1, False),  # another class
        (world.b.m(Role.TEACHER), a.klass, a.subject, a.sem1, False),  # another school
        (a.m(Role.STUDENT), a.klass, a.subject, a.sem1, False),
    ]
    for membership, klass, subject, semester, expected in cases:
        actor = world.actor(membership)
        assert can_enter_grades(actor, klass, subject, semester) is expected, (membership.user.username, expected)
    assert can_enter_grades(None, a.klass, a.subject, a.sem1) is False


def test_a_principal_who_also_teaches_enters_grades_only_as_teacher(world, a):
    from tests.world import grant

    principal = a.m(Role.PRINCIPAL)
    TeachingAssignment.objects.filter(pk=a.assignment.pk).update(teacher=a.staff["principal"])
    as_teacher = grant(principal.user, a.school, Role.TEACHER)
    assert can_enter_grades(world.actor(as_teacher), a.klass, a.subject, a.sem1) is True
    assert can_enter_grades(world.actor(principal), a.klass, a.subject, a.sem1) is False


def test_selectors(world, a):
    teacher2 = world.actor(a.m("teacher2"))
    assert assignment_for(teacher2, a.klass, a.subject, a.sem1) == a.assignment
    assert assignment_for(world.actor(a.m(Role.TEACHER)), a.klass, a.subject, a.sem1) is None
    assert list(assignments_of(teacher2)) == [a.assignment]
    assert list(assignments_of(teacher2, a.sem2)) == []
    assert staff_for_user(a.m("teacher2").user) == a.staff["teacher2"]
    assert staff_for_user(a.m(Role.CLERK).user) is None
