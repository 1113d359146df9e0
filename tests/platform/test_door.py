"""The scoping door (sms.accounts.scoping): who reaches which rows, with which query.

World: Sở ─┬─ Phòng 1 ── school A
           └─ Phòng 2 ── school B
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404

from sms.accounts.actors import Actor, actor_for_membership_id
from sms.accounts.models import Membership
from sms.accounts.permissions import test_rule as rule_holds
from sms.accounts.roles import Role, UnitKind
from sms.accounts.scoping import can, get_visible_or_404, units_for, visible_to
from sms.org.models import AdministrativeArea, AreaLevel, SchoolClass, Unit
from sms.org.rules import SchoolType
from sms.org.services import create_school_year
from tests.world import World, grant, make_user

pytestmark = pytest.mark.django_db

# Who acts: a name in the tables below → the membership in the test world.
ACTORS: dict[str, Callable[[World], Membership]] = {
    "so_admin": lambda w: w.members["so_admin"],
    "so_staff": lambda w: w.members["so_staff"],
    "phong1_admin": lambda w: w.members["phong1_admin"],
    "phong1_staff": lambda w: w.members["phong1_staff"],
    "phong2_admin": lambda w: w.members["phong2_admin"],
    "a_principal": lambda w: w.a.m(Role.PRINCIPAL),
    "a_school_admin": lambda w: w.a.m(Role.SCHOOL_ADMIN),
    "a_teacher": lambda w: w.a.m(Role.TEACHER),
    "a_teacher2": lambda w: w.a.m("teacher2"),
    "a_clerk": lambda w: w.a.m(Role.CLERK),
    "a_student": lambda w: w.a.m(Role.STUDENT),
    "a_parent": lambda w: w.a.m(Role.PARENT),
}


def actor(world: World, name: str) -> Actor:
    """The actor as a request would build it (fresh from the database, not the fixture's objects)."""
    built = actor_for_membership_id(ACTORS[name](world).pk)
    assert built is not None
    return built


def class_names(world: World, classes) -> set[str]:
    """Name the world's two classes "a" and "b" (any other class by its name)."""
    names = {world.a.klass.pk: "a", world.b.klass.pk: "b"}
    return {names.get(c.pk, c.name) for c in classes}


def unit_names(world: World, units) -> set[str]:
    names = {
        world.so.pk: "so",
        world.phong1.pk: "phong1",
        world.phong2.pk: "phong2",
        world.a.school.pk: "A",
        world.b.school.pk: "B",
    }
    return {names.get(u.pk, u.name) for u in units}


# --------------------------------------------------------------------------- reads, by role

CLASS_TABLE = [
    ("so_admin", {"a", "b"}),
    ("so_staff", {"a", "b"}),
    ("phong1_admin", {"a"}),
    ("phong1_staff", {"a"}),
    ("phong2_admin", {"b"}),
    ("a_principal", {"a"}),
    ("a_teacher", {"a"}),
    ("a_student", set()),
    ("a_parent", set()),
]


@pytest.mark.parametrize(("who", "expected"), CLASS_TABLE)
def test_visible_classes(world: World, who: str, expected: set[str]) -> None:
    assert class_names(world, visible_to(actor(world, who), SchoolClass)) == expected


UNIT_TABLE = [
    ("so_admin", {"so", "phong1", "phong2", "A", "B"}),
    ("so_staff", {"so", "phong1", "phong2", "A", "B"}),
    ("phong1_admin", {"phong1", "A"}),
    ("phong1_staff", {"phong1", "A"}),
    ("phong2_admin", {"phong2", "B"}),
    ("a_principal", {"A"}),
    ("a_teacher", {"A"}),
    ("a_student", set()),
    ("a_parent", set()),
]


@pytest.mark.parametrize(("who", "expected"), UNIT_TABLE)
def test_visible_units(world: World, who: str, expected: set[str]) -> None:
    assert unit_names(world, visible_to(actor(world, who), Unit)) == expected


def test_a_queryset_passed_to_the_door_is_narrowed_not_widened(world: World) -> None:
    everything = SchoolClass.objects.all()
    narrowed = visible_to(actor(world, "phong1_admin"), everything)
    assert class_names(world, narrowed) == {"a"}
    # and a filter already on the queryset stays
    assert not visible_to(actor(world, "so_admin"), everything.filter(school=world.b.school)).filter(
        pk=world.a.klass.pk
    )


# --------------------------------------------------------------------------- writes, by role

WRITE_TABLE = [
    ("a_principal", True),
    ("a_school_admin", True),
    ("phong1_admin", True),
    ("so_admin", True),
    ("a_teacher", False),
    ("a_clerk", False),
    ("phong1_staff", False),
    ("so_staff", False),
    ("a_student", False),
    ("a_parent", False),
]


@pytest.mark.parametrize("action", ["change", "add", "delete"])
@pytest.mark.parametrize(("who", "may_write"), WRITE_TABLE)
def test_who_may_write_classes(world: World, who: str, may_write: bool, action: str) -> None:
    writable = visible_to(actor(world, who), SchoolClass, action)
    assert class_names(world, writable) == ({"a", "b"} if who == "so_admin" else {"a"} if may_write else set())
    assert can(actor(world, who), action, world.a.klass) is may_write
    # reading is never what is refused here (except to learners)
    assert can(actor(world, who), "view", world.a.klass) is (who not in ("a_student", "a_parent"))


def test_writers_of_one_subtree_cannot_write_another(world: World) -> None:
    for who in ("a_principal", "phong1_admin"):
        assert not can(actor(world, who), "change", world.b.klass)
        assert not can(actor(world, who), "view", world.b.klass)


def test_can_refuses_an_unsaved_object(world: World) -> None:
    unsaved = SchoolClass(school=world.a.school, school_year=world.a.year, grade=6, name="6A9")
    assert can(actor(world, "so_admin"), "view", unsaved) is False


def test_unknown_action_is_an_error(world: World) -> None:
    with pytest.raises(ValueError):
        visible_to(actor(world, "so_admin"), SchoolClass, "approve")


UNITS_FOR_TABLE = [
    ("so_admin", {"so", "phong1", "phong2", "A", "B"}),
    ("phong1_admin", {"phong1", "A"}),
    ("a_principal", {"A"}),
    ("a_school_admin", {"A"}),
    ("a_teacher", set()),
    ("phong1_staff", set()),
    ("a_student", set()),
]


@pytest.mark.parametrize(("who", "expected"), UNITS_FOR_TABLE)
def test_units_for_creating_classes(world: World, who: str, expected: set[str]) -> None:
    assert unit_names(world, units_for(actor(world, who), SchoolClass, "add")) == expected


def test_units_for_nobody_is_empty(world: World) -> None:
    assert not units_for(None, SchoolClass).exists()


# --------------------------------------------------------------------------- inherited catalogues


def make_area(code: str, owner: Unit, parent: AdministrativeArea | None = None) -> AdministrativeArea:
    return AdministrativeArea.objects.create(
        code=code, name=f"Thôn {code}", level=AreaLevel.VILLAGE, owner=owner, parent=parent
    )


def test_school_reads_the_provinces_areas_but_cannot_change_them(world: World) -> None:
    principal = actor(world, "a_principal")
    province_areas = set(AdministrativeArea.objects.filter(owner=world.so).values_list("pk", flat=True))
    assert len(province_areas) == 2  # the province and its commune

    visible = set(visible_to(principal, AdministrativeArea).values_list("pk", flat=True))
    assert province_areas <= visible
    assert not visible_to(principal, AdministrativeArea, "change").filter(pk__in=province_areas).exists()
    assert not can(principal, "change", world.province)
    # the owner's side can change them: writes stay with the owner's subtree
    assert can(actor(world, "so_admin"), "change", world.province)


def test_areas_of_another_subtree_are_not_inherited(world: World) -> None:
    own = make_area("A-1", world.a.school)
    above = make_area("P1-1", world.phong1)
    other_school = make_area("B-1", world.b.school)
    other_phong = make_area("P2-1", world.phong2)

    visible = set(visible_to(actor(world, "a_principal"), AdministrativeArea))
    assert {own, above, world.province} <= visible
    assert other_school not in visible
    assert other_phong not in visible
    # the Sở sees everything in its tree, including what a school owns
    assert {own, above, other_school, other_phong} <= set(visible_to(actor(world, "so_admin"), AdministrativeArea))


def test_a_writer_below_the_owner_only_reads_the_owners_areas(world: World) -> None:
    """Inherited reads do not become writes, even for a role that may write areas."""
    sub_so = Unit.objects.create(kind=UnitKind.SO, code="SO-X", name="Sở trực thuộc", parent=world.so)
    sub_admin = actor_for_membership_id(grant(make_user(), sub_so, Role.SO_ADMIN).pk)
    own = make_area("SOX-1", sub_so)

    assert world.province in set(visible_to(sub_admin, AdministrativeArea))
    writable = set(visible_to(sub_admin, AdministrativeArea, "change"))
    assert own in writable
    assert world.province not in writable


# --------------------------------------------------------------------------- deny by default


def test_no_actor_sees_nothing(world: World) -> None:
    assert not visible_to(None, SchoolClass).exists()
    assert not visible_to(None, Unit).exists()
    assert not can(None, "view", world.a.klass)


def test_a_membership_less_actor_sees_nothing(world: World) -> None:
    assert not visible_to(Actor(world.a.m(Role.PRINCIPAL).user, None), SchoolClass).exists()


def test_a_model_without_scope_cannot_go_through_the_door(world: World) -> None:
    with pytest.raises(ImproperlyConfigured):
        visible_to(actor(world, "so_admin"), ContentType)
    with pytest.raises(ImproperlyConfigured):
        units_for(actor(world, "so_admin"), ContentType)


# --------------------------------------------------------------------------- query shape


def test_school_level_filter_is_an_equality_without_join(world: World) -> None:
    qs = visible_to(actor(world, "a_principal"), SchoolClass).order_by()
    sql = str(qs.query)
    assert "org_unit" not in sql
    assert f'"org_schoolclass"."school_id" = {world.a.school.pk}' in sql


def test_school_level_class_list_has_no_join_to_units(world: World) -> None:
    assert "org_unit" not in str(visible_to(actor(world, "a_principal"), SchoolClass).query)


def test_phong_level_filter_is_a_path_prefix(world: World) -> None:
    sql = str(visible_to(actor(world, "phong1_admin"), SchoolClass).query)
    assert "LIKE" in sql.upper()
    assert world.phong1.path in sql


@pytest.mark.parametrize("who", ["a_principal", "phong1_admin", "so_admin"])
def test_one_query_to_evaluate(world: World, who: str, django_assert_num_queries) -> None:
    someone = actor(world, who)
    with django_assert_num_queries(1):
        rows = list(visible_to(someone, SchoolClass))
    assert rows


def test_inherited_reads_cost_one_query(world: World, django_assert_num_queries) -> None:
    principal = actor(world, "a_principal")
    with django_assert_num_queries(1):
        rows = list(visible_to(principal, AdministrativeArea))
    assert world.province in rows


# --------------------------------------------------------------------------- depth


def test_depth_independence(world: World) -> None:
    """Sở → Phòng X → sub-Phòng Y → school C: every level above sees C's class, a sibling does not."""
    phong_x = Unit.objects.create(kind=UnitKind.PHONG, code="PX", name="Phòng X", parent=world.so)
    phong_y = Unit.objects.create(kind=UnitKind.PHONG, code="PY", name="Phòng Y", parent=phong_x)
    school_c = Unit.objects.create(
        kind=UnitKind.SCHOOL, school_type=SchoolType.C2, code="C2C", name="Trường THCS C", parent=phong_y
    )
    year = create_school_year(school_c, 2026, make_current=True)
    klass = SchoolClass.objects.create(school=school_c, school_year=year, grade=6, name="6C1")

    def admin_of(unit: Unit, role: str) -> Actor:
        return actor_for_membership_id(grant(make_user(), unit, role).pk)

    sees = {
        "sở": actor(world, "so_admin"),
        "phòng X": admin_of(phong_x, Role.PHONG_ADMIN),
        "sub-phòng Y": admin_of(phong_y, Role.PHONG_STAFF),
        "school C": admin_of(school_c, Role.PRINCIPAL),
    }
    blind = {
        "sibling phòng 1": actor(world, "phong1_admin"),
        "sibling phòng 2": actor(world, "phong2_admin"),
        "school A": actor(world, "a_principal"),
    }
    for name, someone in sees.items():
        assert klass in set(visible_to(someone, SchoolClass)), name
    for name, someone in blind.items():
        assert klass not in set(visible_to(someone, SchoolClass)), name
    # sub-Phòng Y sees C's subtree only, not its parent's other schools
    assert class_names(world, visible_to(sees["sub-phòng Y"], SchoolClass)) == {"6C1"}


# --------------------------------------------------------------------------- one object


@pytest.mark.parametrize(
    "pk",
    [
        pytest.param("b_class", id="another-subtree"),
        "abc",
        "99999999999999999999",
        "-1",
        "",
        "1.5",
        None,
        pytest.param("missing", id="not-existing"),
    ],
)
def test_get_visible_or_404_refuses(world: World, pk) -> None:
    if pk == "b_class":
        pk = world.b.klass.pk
    elif pk == "missing":
        pk = SchoolClass.objects.order_by("-pk").first().pk + 1000
    with pytest.raises(Http404):
        get_visible_or_404(actor(world, "a_principal"), SchoolClass, pk)


@pytest.mark.parametrize("pk_type", [int, str])
def test_get_visible_or_404_returns_a_visible_object(world: World, pk_type) -> None:
    found = get_visible_or_404(actor(world, "a_principal"), SchoolClass, pk_type(world.a.klass.pk))
    assert found == world.a.klass


def test_get_visible_or_404_checks_the_action(world: World) -> None:
    assert get_visible_or_404(actor(world, "a_teacher"), SchoolClass, world.a.klass.pk) == world.a.klass
    with pytest.raises(Http404):
        get_visible_or_404(actor(world, "a_teacher"), SchoolClass, world.a.klass.pk, "change")


# --------------------------------------------------------------------------- object rules

RULE_TABLE = [
    ("a_teacher", True),  # the homeroom teacher (GVCN) of A's class
    ("a_teacher2", False),  # another teacher of A
    ("a_principal", True),
    ("a_school_admin", True),
    ("phong1_staff", True),
    ("a_clerk", False),
    ("a_student", False),
    ("a_parent", False),
]


@pytest.mark.parametrize(("who", "expected"), RULE_TABLE)
def test_view_class_details_rule(world: World, who: str, expected: bool) -> None:
    assert rule_holds("org.view_class_details", actor(world, who), world.a.klass) is expected


def test_homeroom_rule_follows_the_membership_not_the_person(world: World) -> None:
    """The GVCN of A's class, acting as a teacher at B, is not A's homeroom teacher there."""
    gvcn = world.a.m(Role.TEACHER).user
    at_b = actor_for_membership_id(grant(gvcn, world.b.school, Role.TEACHER).pk)
    assert not rule_holds("org.view_class_details", at_b, world.a.klass)
    assert not rule_holds("org.view_class_details", None, world.a.klass)
