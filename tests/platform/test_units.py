"""The management-unit tree and the administrative-area tree (sms.org.models, sms.org.services.move_unit)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from sms.accounts.actors import Actor
from sms.accounts.models import Membership, User
from sms.accounts.roles import Role, UnitKind
from sms.accounts.scoping import visible_to
from sms.org.models import AdministrativeArea, AreaLevel, Unit, UnitMove
from sms.org.rules import SchoolType
from sms.org.services import move_unit

pytestmark = pytest.mark.django_db


def actor_at(unit: Unit, role: str, username: str) -> Actor:
    user = User.objects.create_user(username=username, password="Mật-khẩu-đủ-dài-1", full_name="Nguyễn Văn An")
    return Actor(user, Membership.objects.create(user=user, unit=unit, role=role))


@dataclass
class Tree:
    """Sở ─┬─ Phòng 1 ── Phòng 1x ── school S (4 levels)
    │            └─ school T
    └─ Phòng 2 ── school U
    """

    so: Unit
    p1: Unit
    p1x: Unit
    s: Unit
    t: Unit
    p2: Unit
    u: Unit

    def fresh(self, name: str) -> Unit:
        return Unit.objects.get(pk=getattr(self, name).pk)


@pytest.fixture
def tree() -> Tree:
    so = Unit.objects.create(kind=UnitKind.SO, code="SO", name="Sở GD&ĐT Thử")
    p1 = Unit.objects.create(kind=UnitKind.PHONG, code="P1", name="Phòng Một", parent=so)
    p1x = Unit.objects.create(kind=UnitKind.PHONG, code="P1X", name="Phòng Một X", parent=p1)
    s = Unit.objects.create(kind=UnitKind.SCHOOL, school_type=SchoolType.C1, code="S", name="Trường S", parent=p1x)
    t = Unit.objects.create(kind=UnitKind.SCHOOL, school_type=SchoolType.C2, code="T", name="Trường T", parent=p1)
    p2 = Unit.objects.create(kind=UnitKind.PHONG, code="P2", name="Phòng Hai", parent=so)
    u = Unit.objects.create(kind=UnitKind.CENTRE, school_type=SchoolType.TX, code="U", name="Trung tâm U", parent=p2)
    return Tree(so=so, p1=p1, p1x=p1x, s=s, t=t, p2=p2, u=u)


def paths(*units: Unit) -> dict[str, tuple[str, int]]:
    return {u.code: (u.path, u.depth) for u in Unit.objects.filter(pk__in=[x.pk for x in units])}


# --------------------------------------------------------------------------- the materialised path


def test_paths_and_depths_follow_the_tree(tree: Tree) -> None:
    assert tree.fresh("so").path == f"{tree.so.pk}/"
    assert tree.fresh("s").path == f"{tree.so.pk}/{tree.p1.pk}/{tree.p1x.pk}/{tree.s.pk}/"
    assert [tree.fresh(n).depth for n in ("so", "p1", "p1x", "s", "t", "p2", "u")] == [0, 1, 2, 3, 2, 1, 2]
    assert list(tree.fresh("s").ancestors()) == [tree.so, tree.p1, tree.p1x]
    assert list(tree.fresh("s").ancestors(include_self=True))[-1] == tree.s


@pytest.mark.parametrize(
    ("root", "beneath"),
    [
        ("so", {"p1", "p1x", "s", "t", "p2", "u"}),
        ("p1", {"p1x", "s", "t"}),
        ("p1x", {"s"}),
        ("p2", {"u"}),
        ("s", set()),
    ],
)
def test_a_subtree_is_one_query_at_any_depth(tree: Tree, django_assert_num_queries, root: str, beneath: set) -> None:
    unit = tree.fresh(root)
    with django_assert_num_queries(1):
        found = list(unit.descendants())
    assert {u.pk for u in found} == {getattr(tree, n).pk for n in beneath | {root}}
    with django_assert_num_queries(1):
        strict = list(unit.descendants(include_self=False))
    assert {u.pk for u in strict} == {getattr(tree, n).pk for n in beneath}


def test_a_subtree_does_not_catch_units_whose_id_starts_with_the_same_digits() -> None:
    # Phòng with id N and Phòng with id N0: the path "…/N/" must not match "…/N0/".
    so = Unit.objects.create(kind=UnitKind.SO, code="SO", name="Sở")
    short = Unit.objects.create(kind=UnitKind.PHONG, code="SHORT", name="Phòng ngắn", parent=so)
    # the id N0, given explicitly (as an import from an older system does)
    long = Unit(pk=short.pk * 10, kind=UnitKind.PHONG, code="LONG", name="Phòng dài", parent=so)
    long.save()
    assert str(long.pk).startswith(str(short.pk)), "the test needs an id that extends another"
    school = Unit.objects.create(
        kind=UnitKind.SCHOOL, school_type=SchoolType.C2, code="X", name="Trường X", parent=long
    )
    assert set(short.descendants().values_list("code", flat=True)) == {"SHORT"}
    assert set(long.descendants().values_list("code", flat=True)) == {"LONG", "X"}
    assert school.path == f"{so.pk}/{long.pk}/{school.pk}/"


def test_a_unit_created_with_a_given_id_gets_its_path(tree: Tree) -> None:
    pk = Unit.objects.order_by("-pk").first().pk + 100
    phong = Unit(pk=pk, kind=UnitKind.PHONG, code="PID", name="Phòng nhập từ hệ thống cũ", parent=tree.so)
    phong.save()
    stored = Unit.objects.get(pk=pk)
    assert (stored.path, stored.depth) == (f"{tree.so.pk}/{pk}/", 1)
    assert list(stored.descendants().values_list("pk", flat=True)) == [pk]


def test_history_of_a_new_unit_records_its_place(tree: Tree) -> None:
    created = tree.s.history.earliest()
    assert created.history_type == "+"
    assert (created.path, created.depth) == (tree.fresh("s").path, 3)
    then = Unit.history.as_of(timezone.now())
    assert set(then.filter(path__startswith=tree.fresh("p1").path).values_list("code", flat=True)) == {
        "P1",
        "P1X",
        "S",
        "T",
    }


# --------------------------------------------------------------------------- move_unit


def test_move_rewrites_the_whole_subtree_and_keeps_history(tree: Tree) -> None:
    admin = actor_at(tree.so, Role.SO_ADMIN, "so.admin")
    old_path = tree.fresh("p1x").path
    history_before = tree.p1x.history.count()

    move = move_unit(admin, tree.p1x, tree.p2, reason="Sáp nhập Phòng")

    p2, p1x, s = tree.fresh("p2"), tree.fresh("p1x"), tree.fresh("s")
    assert p1x.parent_id == tree.p2.pk
    assert (p1x.path, p1x.depth) == (f"{p2.path}{p1x.pk}/", 2)
    assert (s.path, s.depth) == (f"{p2.path}{p1x.pk}/{s.pk}/", 3)
    assert s.parent_id == p1x.pk  # the school stays under its own Phòng
    # everything else is untouched
    assert paths(tree.t, tree.u, tree.p1) == {
        "T": (f"{tree.so.pk}/{tree.p1.pk}/{tree.t.pk}/", 2),
        "U": (f"{tree.so.pk}/{tree.p2.pk}/{tree.u.pk}/", 2),
        "P1": (f"{tree.so.pk}/{tree.p1.pk}/", 1),
    }
    # the subtree answers follow the move
    assert set(tree.fresh("p1").descendants().values_list("code", flat=True)) == {"P1", "T"}
    assert set(p2.descendants().values_list("code", flat=True)) == {"P2", "U", "P1X", "S"}

    stored = UnitMove.objects.get()
    assert stored == move
    assert (stored.unit_id, stored.from_parent_id, stored.to_parent_id) == (tree.p1x.pk, tree.p1.pk, tree.p2.pk)
    assert (stored.old_path, stored.new_path) == (old_path, p1x.path)
    assert stored.moved_by == admin.user
    assert stored.reason == "Sáp nhập Phòng"

    assert tree.p1x.history.count() == history_before + 1
    latest = tree.p1x.history.latest()
    assert latest.parent_id == tree.p2.pk
    assert latest.path == p1x.path


def test_move_up_a_level_decreases_depths(tree: Tree) -> None:
    # a Phòng abolished: its school goes straight to the Sở
    move = move_unit(None, tree.p1x, tree.so)
    p1x, s = tree.fresh("p1x"), tree.fresh("s")
    assert (p1x.path, p1x.depth) == (f"{tree.so.pk}/{p1x.pk}/", 1)
    assert (s.path, s.depth) == (f"{tree.so.pk}/{p1x.pk}/{s.pk}/", 2)
    assert move.moved_by is None  # an operator's command-line move


def test_after_a_move_the_old_phong_loses_sight_and_the_new_one_gains_it(tree: Tree) -> None:
    p1_staff = actor_at(tree.p1, Role.PHONG_STAFF, "p1.staff")
    p2_staff = actor_at(tree.p2, Role.PHONG_STAFF, "p2.staff")
    assert visible_to(p1_staff, Unit).filter(pk=tree.s.pk).exists()
    assert not visible_to(p2_staff, Unit).filter(pk=tree.s.pk).exists()

    move_unit(actor_at(tree.so, Role.SO_ADMIN, "so.admin"), tree.s, tree.p2)

    p1_staff = Actor(p1_staff.user, Membership.objects.get(pk=p1_staff.membership.pk))
    p2_staff = Actor(p2_staff.user, Membership.objects.get(pk=p2_staff.membership.pk))
    assert not visible_to(p1_staff, Unit).filter(pk=tree.s.pk).exists()
    assert visible_to(p2_staff, Unit).filter(pk=tree.s.pk).exists()


@pytest.mark.parametrize(
    ("unit", "new_parent", "field"),
    [
        ("p1", "p1", "parent"),  # under itself
        ("p1", "p1x", "parent"),  # under its child
        ("p1", "s", "parent"),  # under its grandchild (a school, too)
        ("so", "p2", "parent"),  # the root under its child
        ("p1x", "t", "parent"),  # under a school
        ("p2", "u", "parent"),  # under a centre
        ("s", "t", "parent"),  # a school under a school
    ],
)
def test_move_refused_and_nothing_changes(tree: Tree, unit: str, new_parent: str, field: str) -> None:
    before = {u.pk: (u.path, u.depth, u.parent_id) for u in Unit.objects.all()}
    with pytest.raises(ValidationError) as exc:
        move_unit(None, getattr(tree, unit), getattr(tree, new_parent))
    assert field in exc.value.message_dict
    assert {u.pk: (u.path, u.depth, u.parent_id) for u in Unit.objects.all()} == before
    assert not UnitMove.objects.exists()


def test_phong_admin_moves_within_its_own_subtree(tree: Tree) -> None:
    admin = actor_at(tree.p1, Role.PHONG_ADMIN, "p1.admin")
    move_unit(admin, tree.s, tree.p1)
    assert tree.fresh("s").path == f"{tree.so.pk}/{tree.p1.pk}/{tree.s.pk}/"
    assert UnitMove.objects.get().moved_by == admin.user


@pytest.mark.parametrize("unit", ["u", "p2"])
def test_phong_admin_cannot_move_a_unit_of_another_phong(tree: Tree, unit: str) -> None:
    admin = actor_at(tree.p1, Role.PHONG_ADMIN, "p1.admin")
    with pytest.raises(Http404):
        move_unit(admin, getattr(tree, unit), tree.p1)
    assert tree.fresh(unit).parent_id == getattr(tree, unit).parent_id
    assert not UnitMove.objects.exists()


@pytest.mark.parametrize("new_parent", ["p2", "so"])
def test_phong_admin_cannot_move_into_a_unit_outside_its_subtree(tree: Tree, new_parent: str) -> None:
    admin = actor_at(tree.p1, Role.PHONG_ADMIN, "p1.admin")
    with pytest.raises(ValidationError) as exc:
        move_unit(admin, tree.t, getattr(tree, new_parent))
    assert "parent" in exc.value.message_dict
    assert tree.fresh("t").parent_id == tree.p1.pk
    assert not UnitMove.objects.exists()


@pytest.mark.parametrize(
    ("unit", "role"),
    [
        ("so", Role.SO_STAFF),
        ("p1", Role.PHONG_STAFF),
        ("t", Role.PRINCIPAL),
        ("t", Role.SCHOOL_ADMIN),
        ("t", Role.TEACHER),
    ],
)
def test_only_so_and_phong_admins_move_units(tree: Tree, unit: str, role: str) -> None:
    actor = actor_at(getattr(tree, unit), role, f"{role}.x")
    with pytest.raises(Http404):
        move_unit(actor, tree.t, tree.p1x)
    assert tree.fresh("t").parent_id == tree.p1.pk


def test_world_phong_admin_cannot_move_school_b(world) -> None:
    actor = world.actor(world.members["phong1_admin"])
    with pytest.raises(Http404):
        move_unit(actor, world.b.school, world.phong1)
    with pytest.raises(ValidationError):
        move_unit(actor, world.a.school, world.phong2)
    assert Unit.objects.get(pk=world.a.school.pk).parent_id == world.phong1.pk
    assert Unit.objects.get(pk=world.b.school.pk).parent_id == world.phong2.pk


# --------------------------------------------------------------------------- Unit.clean


def _unit(kind: str, school_type: str = "", parent: str | None = "so", **extra) -> dict:
    return {"kind": kind, "school_type": school_type, "parent": parent, **extra}


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (_unit(UnitKind.SCHOOL, "", "p1"), "school_type"),  # a school needs a type
        (_unit(UnitKind.CENTRE, "", "so"), "school_type"),
        (_unit(UnitKind.PHONG, SchoolType.C1, "so"), "school_type"),  # a Phòng has none
        (_unit(UnitKind.SO, SchoolType.C3, None), "school_type"),  # nor a Sở
        (_unit(UnitKind.SCHOOL, SchoolType.TX, "so"), "school_type"),  # a TX centre is a centre
        (_unit(UnitKind.SCHOOL, SchoolType.TNT, "so"), "school_type"),
        (_unit(UnitKind.CENTRE, SchoolType.C2, "so"), "school_type"),  # a C2 school is not a centre
        (_unit(UnitKind.PHONG, "", None), "parent"),  # only a Sở has no parent
        (_unit(UnitKind.SCHOOL, SchoolType.C2, None), "parent"),
        (_unit(UnitKind.CENTRE, SchoolType.TX, None), "parent"),
        (_unit(UnitKind.SCHOOL, SchoolType.C2, "t"), "parent"),  # nothing under a school
        (_unit(UnitKind.PHONG, "", "u"), "parent"),  # nothing under a centre
    ],
)
def test_unit_clean_refuses(tree: Tree, spec: dict, field: str) -> None:
    spec = dict(spec)
    parent = getattr(tree, spec.pop("parent")) if spec["parent"] else None
    spec.pop("parent", None)
    unit = Unit(code="NEW", name="Đơn vị mới", parent=parent, **spec)
    with pytest.raises(ValidationError) as exc:
        unit.full_clean()
    assert field in exc.value.message_dict


@pytest.mark.parametrize(
    "spec",
    [
        _unit(UnitKind.SO, "", None),
        _unit(UnitKind.PHONG, "", "so"),
        _unit(UnitKind.PHONG, "", "p1"),  # a Phòng under a Phòng: the depth is data
        _unit(UnitKind.SCHOOL, SchoolType.C2, "p1x"),
        _unit(UnitKind.SCHOOL, SchoolType.C3, "so"),  # a school straight under the Sở (two tiers)
        _unit(UnitKind.SCHOOL, SchoolType.C0, "p1"),
        _unit(UnitKind.CENTRE, SchoolType.TX, "so"),
        _unit(UnitKind.CENTRE, SchoolType.TC, "p2"),
    ],
)
def test_unit_clean_accepts(tree: Tree, spec: dict) -> None:
    spec = dict(spec)
    parent = getattr(tree, spec.pop("parent")) if spec["parent"] else None
    spec.pop("parent", None)
    unit = Unit(code="NEW", name="Đơn vị mới", parent=parent, **spec)
    unit.full_clean()
    unit.save()
    assert unit.depth == (parent.depth + 1 if parent else 0)


def test_unit_clean_stores_names_in_nfc(tree: Tree) -> None:
    unit = Unit(
        kind=UnitKind.PHONG, code="NFD", name=unicodedata.normalize("NFD", "Phòng Giáo dục Hoà Bình"), parent=tree.so
    )
    unit.full_clean()
    unit.save()
    stored = Unit.objects.get(pk=unit.pk)
    assert stored.name == "Phòng Giáo dục Hoà Bình"
    assert unicodedata.is_normalized("NFC", stored.name)


def test_database_refuses_a_school_type_on_a_phong(tree: Tree) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Unit.objects.create(kind=UnitKind.PHONG, school_type=SchoolType.C1, code="BAD", name="Sai", parent=tree.so)


# --------------------------------------------------------------------------- administrative areas


@pytest.fixture
def areas(tree: Tree) -> dict[str, AdministrativeArea]:
    province = AdministrativeArea.objects.create(code="37", name="Tỉnh Thử", level=AreaLevel.PROVINCE, owner=tree.so)
    district = AdministrativeArea.objects.create(
        code="37-GV",
        name="Huyện Gia Viễn",
        level=AreaLevel.DISTRICT,
        parent=province,
        owner=tree.so,
        valid_to=dt.date(2025, 7, 1),
    )
    new = AdministrativeArea.objects.create(
        code="37-1",
        name="Xã Gia Viễn",
        level=AreaLevel.COMMUNE,
        parent=province,
        owner=tree.so,
        valid_from=dt.date(2025, 7, 1),
    )
    old = AdministrativeArea.objects.create(
        code="37-2",
        name="Xã Gia Phương",
        level=AreaLevel.COMMUNE,
        parent=district,
        owner=tree.so,
        valid_to=dt.date(2025, 7, 1),
        successor=new,
    )
    return {"province": province, "district": district, "new": new, "old": old}


@pytest.mark.parametrize(
    ("area", "day", "valid"),
    [
        ("province", dt.date(1990, 1, 1), True),
        ("province", dt.date(2030, 1, 1), True),
        ("new", dt.date(2025, 6, 30), False),
        ("new", dt.date(2025, 7, 1), True),  # valid from the first day
        ("new", dt.date(2026, 1, 1), True),
        ("old", dt.date(2025, 6, 30), True),
        ("old", dt.date(2025, 7, 1), False),  # valid_to is the first day it no longer exists
        ("district", dt.date(2025, 6, 30), True),
        ("district", dt.date(2025, 7, 1), False),
    ],
)
def test_area_is_valid_on(areas, area: str, day: dt.date, valid: bool) -> None:
    assert areas[area].is_valid_on(day) is valid


def test_a_merged_commune_points_to_its_successor(areas) -> None:
    old, new = areas["old"], areas["new"]
    assert AdministrativeArea.objects.get(pk=old.pk).successor == new
    assert list(new.merged.all()) == [old]
    # on any day exactly one of the two exists
    for day in (dt.date(2025, 6, 30), dt.date(2025, 7, 1)):
        assert old.is_valid_on(day) != new.is_valid_on(day)
    # the old row is kept, with its place in the old tree
    assert old.path == f"{areas['province'].path}{areas['district'].pk}/{old.pk}/"
    assert old.depth == 2


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "ok"),
    [
        (dt.date(2025, 7, 1), dt.date(2025, 7, 2), True),
        (None, dt.date(2025, 7, 1), True),
        (dt.date(2025, 7, 1), None, True),
        (dt.date(2025, 7, 1), dt.date(2025, 7, 1), False),
        (dt.date(2025, 7, 1), dt.date(2025, 6, 30), False),
    ],
)
def test_area_valid_to_after_valid_from(areas, valid_from, valid_to, ok: bool) -> None:
    area = AdministrativeArea(
        code="37-9",
        name="Xã Mới",
        level=AreaLevel.COMMUNE,
        parent=areas["province"],
        owner=areas["province"].owner,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    if ok:
        area.full_clean()
        area.save()
        return
    with pytest.raises(ValidationError) as exc:
        area.full_clean()
    assert "valid_to" in exc.value.message_dict
    # and the database refuses it too
    with pytest.raises(IntegrityError), transaction.atomic():
        area.save()


def test_area_parent_must_belong_to_the_same_catalogue(tree: Tree, areas) -> None:
    other = Unit.objects.create(kind=UnitKind.SO, code="SO2", name="Sở khác")
    area = AdministrativeArea(code="99-1", name="Xã Lạ", level=AreaLevel.COMMUNE, parent=areas["province"], owner=other)
    with pytest.raises(ValidationError) as exc:
        area.full_clean()
    assert "parent" in exc.value.message_dict
