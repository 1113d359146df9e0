"""``manage.py seed_demo``: the demo province a newcomer logs into."""

from __future__ import annotations

import unicodedata
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from sms.accounts.models import Membership, User
from sms.accounts.roles import Role, UnitKind, role_allowed_at
from sms.org.models import AdministrativeArea, SchoolClass, SchoolYear, Subject, SubjectPlan, Unit
from sms.org.rules import SchoolType
from sms.org.seed import DEMO_SCHOOLS, school_code

pytestmark = pytest.mark.django_db

SCHOOL_KINDS = [UnitKind.SCHOOL, UnitKind.CENTRE]


def seed(*args: str) -> str:
    """The demo province without the grade book (tests/students/test_seed_grades.py covers it):
    these tests look at units, areas, accounts and classes, and seed the province twenty times."""
    out = StringIO()
    call_command("seed_demo", "--skip", "students-grades", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def demo() -> str:
    return seed()


def names() -> list[str]:
    return sorted(User.objects.values_list("full_name", flat=True))


# --------------------------------------------------------------------------- the province


def test_one_so_two_phong_and_schools_of_every_common_type(demo: str) -> None:
    kinds = Counter(Unit.objects.values_list("kind", flat=True))
    assert kinds[UnitKind.SO] == 1
    assert kinds[UnitKind.PHONG] == 2
    assert kinds[UnitKind.SCHOOL] + kinds[UnitKind.CENTRE] >= 8
    types = set(Unit.objects.filter(kind__in=SCHOOL_KINDS).values_list("school_type", flat=True))
    assert {SchoolType.C1, SchoolType.C2, SchoolType.C3, SchoolType.C12, SchoolType.C23, SchoolType.TX} <= types
    # the TX centre is a centre, the rest are schools
    assert set(Unit.objects.filter(kind=UnitKind.CENTRE).values_list("school_type", flat=True)) == {SchoolType.TX}
    assert "Demo province loaded" in demo


def test_every_unit_is_valid_and_in_one_tree(demo: str) -> None:
    so = Unit.objects.get(kind=UnitKind.SO)
    assert set(so.descendants().values_list("pk", flat=True)) == set(Unit.objects.values_list("pk", flat=True))
    for unit in Unit.objects.all():
        unit.full_clean()
        assert unit.path == "".join(f"{pk}/" for pk in [*unit.ancestors().values_list("pk", flat=True), unit.pk])
        assert unit.domain_warning is None, (unit.name, unit.edu_domain)
    # schools hang both under the Phòng and straight under the Sở (two-tier provinces)
    parents = set(Unit.objects.filter(kind__in=SCHOOL_KINDS).values_list("parent__kind", flat=True))
    assert parents == {UnitKind.SO, UnitKind.PHONG}


def test_areas_keep_a_merged_commune_with_its_successor(demo: str) -> None:
    merged = AdministrativeArea.objects.exclude(successor=None)
    assert merged.exists()
    for area in merged:
        assert area.valid_to is not None
        assert not area.is_valid_on(area.valid_to)
        assert area.successor.is_valid_on(area.valid_to)


# --------------------------------------------------------------------------- accounts


def test_every_role_has_an_active_membership(demo: str) -> None:
    held = set(Membership.objects.active().values_list("role", flat=True))
    assert held == set(Role)


def test_every_membership_fits_its_unit(demo: str) -> None:
    for membership in Membership.objects.select_related("unit"):
        assert role_allowed_at(membership.role, membership.unit.kind), membership


def test_every_school_has_a_principal_and_teachers(demo: str) -> None:
    for school in Unit.objects.filter(kind__in=SCHOOL_KINDS):
        roles = Counter(Membership.objects.active().filter(unit=school).values_list("role", flat=True))
        assert roles[Role.PRINCIPAL] == 1, school
        assert roles[Role.TEACHER] >= 4, school


def test_full_names_are_nfc_vietnamese_names(demo: str) -> None:
    users = list(User.objects.all())
    assert len(users) > 50
    for user in users:
        assert unicodedata.is_normalized("NFC", user.full_name), user.username
        assert len(user.full_name.split()) >= 3, user.full_name
    # names are varied, not one name for everyone
    assert len({u.full_name for u in users}) > len(users) // 3


def test_usernames_are_ascii_and_unique(demo: str) -> None:
    usernames = list(User.objects.values_list("username", flat=True))
    assert len(usernames) == len(set(usernames))
    assert all(u.isascii() and u == u.lower() for u in usernames)


def test_demo_accounts_log_in_with_the_demo_password(demo: str) -> None:
    user = User.objects.get(username="so.admin")
    assert user.check_password("Demo@2026")
    assert "so.admin" in demo  # the logins are printed for the newcomer


def test_search_and_sort_keys_are_filled_for_bulk_created_users(demo: str) -> None:
    from sms.text import search_key, sort_key

    for user in User.objects.all():
        assert user.search_key == search_key(user.full_name)
        assert user.sort_key == sort_key(user.full_name)


# --------------------------------------------------------------------------- school structure


def test_every_school_with_grades_has_one_current_year_and_taught_classes(demo: str) -> None:
    schools = [s for s in Unit.objects.filter(kind__in=SCHOOL_KINDS) if s.grades]
    assert len(schools) >= 7
    for school in schools:
        current = SchoolYear.objects.filter(school=school, is_current=True)
        assert current.count() == 1, school
        year = current.get()
        assert year.semesters.count() == 2
        classes = list(SchoolClass.objects.filter(school=school, school_year=year))
        assert {c.grade for c in classes} == set(school.grades), school
        for klass in classes:
            assert klass.homeroom_teacher is not None, klass
            assert (
                Membership.objects.active().filter(user=klass.homeroom_teacher, unit=school, role=Role.TEACHER).exists()
            ), klass
            klass.full_clean()  # grade, same school, homeroom teacher: every rule holds
        assert Subject.objects.filter(school=school).exists()
        assert SubjectPlan.objects.filter(school_year=year).exists()


def test_a_homeroom_teacher_has_one_class(demo: str) -> None:
    teachers = Counter(
        SchoolClass.objects.filter(school_year__is_current=True).values_list("homeroom_teacher", flat=True)
    )
    assert teachers and max(teachers.values()) == 1


def test_schools_without_grades_have_no_classes(demo: str) -> None:
    for school in Unit.objects.filter(kind__in=SCHOOL_KINDS):
        if not school.grades:
            assert not SchoolClass.objects.filter(school=school).exists()


# --------------------------------------------------------------------------- options


@pytest.mark.parametrize("count", [9, 15])
def test_schools_option(count: int) -> None:
    seed("--schools", str(count))
    assert Unit.objects.filter(kind__in=SCHOOL_KINDS).count() == count
    codes = list(Unit.objects.values_list("code", flat=True))
    assert len(codes) == len(set(codes))


def test_second_run_refuses_without_if_empty(demo: str) -> None:
    units = Unit.objects.count()
    users = User.objects.count()
    with pytest.raises(SystemExit) as exc:
        seed()
    assert exc.value.code not in (0, None)
    assert (Unit.objects.count(), User.objects.count()) == (units, users)


def test_second_run_with_if_empty_changes_nothing(demo: str) -> None:
    units = Unit.objects.count()
    users = User.objects.count()
    out = seed("--if-empty")
    assert "already loaded" in out
    assert (Unit.objects.count(), User.objects.count()) == (units, users)


def _run_and_roll_back(*args: str) -> list[str]:
    """Seed inside a transaction, read the names, roll everything back."""
    with transaction.atomic():
        seed(*args)
        found = names()
        transaction.set_rollback(True)
    assert not Unit.objects.exists()
    return found


def test_the_same_seed_gives_the_same_province() -> None:
    first = _run_and_roll_back("--seed", "7")
    second = _run_and_roll_back("--seed", "7")
    assert first == second
    assert len(first) > 50
    other = _run_and_roll_back("--seed", "8")
    assert other != first


@pytest.mark.django_db(transaction=True)
def test_the_same_seed_gives_the_same_names_after_a_flush() -> None:
    seed("--seed", "11", "--schools", "9")
    first = names()
    call_command("flush", "--no-input")
    assert not Unit.objects.exists()
    seed("--seed", "11", "--schools", "9")
    assert names() == first


# --------------------------------------------------------------------------- codes (Art. 8)


@pytest.mark.parametrize(
    ("school_type", "name", "code"),
    [
        (SchoolType.C3, "Trường THPT Lương Văn Tụy", "C3luongvantuy"),
        (SchoolType.C1, "Trường Tiểu học Đinh Tiên Hoàng", "C1dinhtienhoang"),
        (SchoolType.C2, "Trường THCS Trương Hán Siêu", "C2truonghansieu"),
        (SchoolType.C12, "Trường Tiểu học và THCS Gia Hưng", "C12giahung"),
        (SchoolType.TX, "Trung tâm GDNN-GDTX Gia Viễn", "TXgiavien"),
        (SchoolType.C0, "Trường Mầm non Hoa Sen", "C0hoasen"),
        (SchoolType.C3, "Trường THPT Gia Viễn A", "C3giaviena"),
    ],
)
def test_school_code_is_type_and_name_without_prefix(school_type: str, name: str, code: str) -> None:
    assert school_code(school_type, name) == code


def test_c23_school_code_drops_its_whole_prefix() -> None:
    assert school_code(SchoolType.C23, "Trường THCS và THPT Đinh Bộ Lĩnh") == "C23dinhbolinh"


def test_demo_school_codes_are_unique() -> None:
    codes = [school_code(t, n) for t, n, *_ in DEMO_SCHOOLS]
    assert len(codes) == len(set(codes))


def test_skip_names_a_seeder_or_refuses() -> None:
    out, err = StringIO(), StringIO()
    with pytest.raises(SystemExit):
        call_command("seed_demo", "--skip", "no-such-seeder", stdout=out, stderr=err)
    assert "no seeder named no-such-seeder" in err.getvalue()
    assert not Unit.objects.exists()
