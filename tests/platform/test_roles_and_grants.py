"""Roles: where each may be held, who may grant what, and the grant / end services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from sms.accounts.actors import actor_for_membership_id
from sms.accounts.models import ApiToken, Membership, User
from sms.accounts.roles import ADMIN_ROLES, ROLE_RANK, Role, UnitKind, can_grant, role_allowed_at
from sms.accounts.services import end_membership, grant_membership
from sms.org.models import Unit

SO, PHONG, SCHOOL, CENTRE = UnitKind.SO, UnitKind.PHONG, UnitKind.SCHOOL, UnitKind.CENTRE
SCHOOL_ROLES = [
    Role.PRINCIPAL,
    Role.SCHOOL_ADMIN,
    Role.TEACHER,
    Role.CLERK,
    Role.LIBRARIAN,
    Role.EQUIPMENT_OFFICER,
    Role.STUDENT,
    Role.PARENT,
]
WHERE: dict[str, set[str]] = {
    Role.SO_ADMIN: {SO},
    Role.SO_STAFF: {SO},
    Role.PHONG_ADMIN: {PHONG},
    Role.PHONG_STAFF: {PHONG},
    **{role: {SCHOOL, CENTRE} for role in SCHOOL_ROLES},
}


# --------------------------------------------------------------------------- role_allowed_at


def test_every_role_has_a_place() -> None:
    assert set(WHERE) == set(Role)
    assert set(ROLE_RANK) == set(Role)


@pytest.mark.parametrize("kind", list(UnitKind))
@pytest.mark.parametrize("role", list(Role))
def test_role_allowed_at(role: str, kind: str) -> None:
    assert role_allowed_at(role, kind) is (kind in WHERE[role])


@pytest.mark.parametrize("role", ["", "admin", "superuser", "PRINCIPAL"])
def test_unknown_role_is_allowed_nowhere(role: str) -> None:
    assert not any(role_allowed_at(role, kind) for kind in UnitKind)


# --------------------------------------------------------------------------- can_grant

GRANT_TABLE = [
    # a Sở admin can grant anything
    *[(Role.SO_ADMIN, role, True) for role in Role],
    # a Phòng admin: everything but the Sở admin
    (Role.PHONG_ADMIN, Role.SO_ADMIN, False),
    (Role.PHONG_ADMIN, Role.PHONG_ADMIN, True),
    (Role.PHONG_ADMIN, Role.PRINCIPAL, True),
    (Role.PHONG_ADMIN, Role.TEACHER, True),
    # a principal: never a Sở or Phòng admin; a teacher, a school admin, another principal yes
    (Role.PRINCIPAL, Role.SO_ADMIN, False),
    (Role.PRINCIPAL, Role.PHONG_ADMIN, False),
    (Role.PRINCIPAL, Role.PRINCIPAL, True),
    (Role.PRINCIPAL, Role.SCHOOL_ADMIN, True),
    (Role.PRINCIPAL, Role.TEACHER, True),
    (Role.PRINCIPAL, Role.CLERK, True),
    (Role.PRINCIPAL, Role.STUDENT, True),
    (Role.PRINCIPAL, Role.PARENT, True),
    # a school admin: not a principal (above them)
    (Role.SCHOOL_ADMIN, Role.SO_ADMIN, False),
    (Role.SCHOOL_ADMIN, Role.PHONG_ADMIN, False),
    (Role.SCHOOL_ADMIN, Role.PRINCIPAL, False),
    (Role.SCHOOL_ADMIN, Role.SCHOOL_ADMIN, True),
    (Role.SCHOOL_ADMIN, Role.TEACHER, True),
    (Role.SCHOOL_ADMIN, Role.LIBRARIAN, True),
    (Role.SCHOOL_ADMIN, Role.EQUIPMENT_OFFICER, True),
    # roles that administer nothing grant nothing, not even themselves or a lower role
    *[(granter, role, False) for granter in sorted(set(Role) - ADMIN_ROLES) for role in Role],
]


@pytest.mark.parametrize(("granter", "role", "allowed"), GRANT_TABLE)
def test_can_grant(granter: str, role: str, allowed: bool) -> None:
    assert can_grant(granter, role) is allowed


@pytest.mark.parametrize("granter", sorted(ADMIN_ROLES))
def test_nobody_grants_above_their_own_rank(granter: str) -> None:
    for role in Role:
        if ROLE_RANK[role] > ROLE_RANK[granter]:
            assert not can_grant(granter, role), f"{granter} could grant {role}"


# --------------------------------------------------------------------------- grant_membership


@pytest.fixture
def newcomer(db) -> User:
    return User.objects.create_user(username="moi", password="Mật-khẩu-đủ-dài-1", full_name="Phạm Minh Châu")


def _granter(world, who: str):
    return {
        "principal_a": world.a.m(Role.PRINCIPAL),
        "school_admin_a": world.a.m(Role.SCHOOL_ADMIN),
        "teacher_a": world.a.m(Role.TEACHER),
        "clerk_a": world.a.m(Role.CLERK),
        "phong1_admin": world.members["phong1_admin"],
        "phong1_staff": world.members["phong1_staff"],
        "so_admin": world.members["so_admin"],
        "so_staff": world.members["so_staff"],
    }[who]


def _unit(world, where: str) -> Unit:
    return {"a": world.a.school, "b": world.b.school, "phong1": world.phong1, "phong2": world.phong2, "so": world.so}[
        where
    ]


@pytest.mark.parametrize(
    ("who", "where", "role"),
    [
        ("principal_a", "a", Role.TEACHER),
        ("principal_a", "a", Role.SCHOOL_ADMIN),
        ("principal_a", "a", Role.STUDENT),
        ("school_admin_a", "a", Role.TEACHER),
        ("school_admin_a", "a", Role.LIBRARIAN),
        ("phong1_admin", "a", Role.PRINCIPAL),
        ("phong1_admin", "phong1", Role.PHONG_STAFF),
        ("so_admin", "b", Role.PRINCIPAL),
        ("so_admin", "phong2", Role.PHONG_ADMIN),
        ("so_admin", "so", Role.SO_ADMIN),
    ],
)
def test_grant_membership_within_reach(world, newcomer, who: str, where: str, role: str) -> None:
    granter = _granter(world, who)
    unit = _unit(world, where)
    membership = grant_membership(world.actor(granter), user=newcomer, unit=unit, role=role)
    stored = Membership.objects.get(pk=membership.pk)
    assert (stored.user, stored.unit, stored.role) == (newcomer, unit, role)
    assert stored.granted_by == granter.user
    assert stored.is_active and stored.ends_on is None
    assert stored.starts_on == timezone.localdate()
    # the newcomer can now act in it
    actor = actor_for_membership_id(stored.pk, newcomer)
    assert actor is not None and actor.unit_id == unit.pk and actor.role == role


NOT_FOUND = "Không tìm thấy đơn vị này trong phạm vi bạn quản lý."


@pytest.mark.parametrize(
    ("who", "where", "role"),
    [
        ("principal_a", "b", Role.TEACHER),  # another school
        ("principal_a", "phong1", Role.PHONG_STAFF),  # the Phòng above
        ("school_admin_a", "b", Role.TEACHER),
        ("phong1_admin", "b", Role.PRINCIPAL),  # a school of the other Phòng
        ("phong1_admin", "phong2", Role.PHONG_STAFF),
        ("phong1_admin", "so", Role.SO_STAFF),  # the Sở above
        # staff and school roles that administer nothing reach no unit
        ("teacher_a", "a", Role.STUDENT),
        ("clerk_a", "a", Role.CLERK),
        ("phong1_staff", "a", Role.TEACHER),
        ("so_staff", "a", Role.TEACHER),
    ],
)
def test_grant_outside_reach_is_refused_as_not_found(world, newcomer, who: str, where: str, role: str) -> None:
    actor = world.actor(_granter(world, who))
    with pytest.raises(ValidationError) as exc:
        grant_membership(actor, user=newcomer, unit=_unit(world, where), role=role)
    assert exc.value.message_dict == {"unit": [NOT_FOUND]}
    assert not Membership.objects.filter(user=newcomer).exists()


@pytest.mark.parametrize("who", ["principal_a", "phong1_admin"])
def test_another_units_school_and_a_nonexistent_unit_get_the_same_answer(world, newcomer, who: str) -> None:
    actor = world.actor(_granter(world, who))
    with pytest.raises(ValidationError) as other:
        grant_membership(actor, user=newcomer, unit=world.b.school, role=Role.TEACHER)
    missing = Unit(pk=Unit.objects.order_by("-pk").first().pk + 1000, kind=UnitKind.SCHOOL, school_type="C2")
    with pytest.raises(ValidationError) as nonexistent:
        grant_membership(actor, user=newcomer, unit=missing, role=Role.TEACHER)
    assert other.value.message_dict == nonexistent.value.message_dict
    assert "unit" in other.value.message_dict


@pytest.mark.parametrize(
    ("who", "where", "role"),
    [
        ("school_admin_a", "a", Role.PRINCIPAL),
        ("principal_a", "a", Role.PHONG_ADMIN),
        ("principal_a", "a", Role.SO_ADMIN),
        ("phong1_admin", "phong1", Role.SO_ADMIN),
    ],
)
def test_grant_above_own_rank_is_denied(world, newcomer, who: str, where: str, role: str) -> None:
    actor = world.actor(_granter(world, who))
    with pytest.raises(PermissionDenied):
        grant_membership(actor, user=newcomer, unit=_unit(world, where), role=role)
    assert not Membership.objects.filter(user=newcomer).exists()


@pytest.mark.parametrize(
    ("who", "where", "role"),
    [
        ("so_admin", "phong1", Role.PRINCIPAL),  # a principal belongs to a school
        ("so_admin", "so", Role.TEACHER),
        ("so_admin", "a", Role.PHONG_STAFF),  # Phòng staff belong to a Phòng
        ("so_admin", "a", Role.SO_ADMIN),
        ("phong1_admin", "a", Role.PHONG_ADMIN),
        ("principal_a", "a", Role.SO_STAFF),  # within rank, wrong kind of unit
    ],
)
def test_role_that_does_not_fit_the_unit_kind_is_refused(world, newcomer, who: str, where: str, role: str) -> None:
    actor = world.actor(_granter(world, who))
    with pytest.raises(ValidationError) as exc:
        grant_membership(actor, user=newcomer, unit=_unit(world, where), role=role)
    assert "role" in exc.value.message_dict
    assert not Membership.objects.filter(user=newcomer).exists()


def test_granting_an_ended_membership_again_reactivates_the_same_row(world, newcomer) -> None:
    principal = world.actor(world.a.m(Role.PRINCIPAL))
    first = grant_membership(principal, user=newcomer, unit=world.a.school, role=Role.TEACHER)
    end_membership(principal, first)
    again = grant_membership(principal, user=newcomer, unit=world.a.school, role=Role.TEACHER)
    assert again.pk == first.pk
    stored = Membership.objects.get(pk=first.pk)
    assert stored.is_active and stored.ends_on is None
    assert Membership.objects.filter(user=newcomer).count() == 1
    assert actor_for_membership_id(first.pk, newcomer) is not None


# --------------------------------------------------------------------------- end_membership


def test_end_membership_keeps_the_row_and_revokes_its_tokens(world) -> None:
    principal = world.actor(world.a.m(Role.PRINCIPAL))
    target = world.a.m("teacher2")
    token, raw = ApiToken.issue(target, "điện thoại")
    other_token, other_raw = ApiToken.issue(world.a.m(Role.TEACHER), "khác")
    assert ApiToken.find(raw) == token

    ended = end_membership(principal, target)

    stored = Membership.objects.get(pk=target.pk)  # never deleted
    assert ended.pk == stored.pk
    assert stored.is_active is False
    assert stored.ends_on == timezone.localdate()
    assert not Membership.objects.active().filter(pk=target.pk).exists()
    assert actor_for_membership_id(target.pk, target.user) is None
    # its token no longer works; another membership's token still does
    assert ApiToken.find(raw) is None
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert ApiToken.find(other_raw) == other_token
    # history keeps who held what
    assert stored.history.latest().is_active is False


def test_end_membership_refuses_the_actors_own_active_membership(world) -> None:
    membership = world.a.m(Role.PRINCIPAL)
    with pytest.raises(ValidationError):
        end_membership(world.actor(membership), membership)
    assert Membership.objects.get(pk=membership.pk).is_active


def test_end_membership_of_a_principal_who_also_teaches_keeps_the_other_role(world) -> None:
    principal = world.a.m(Role.PRINCIPAL)
    teaching = Membership.objects.create(user=principal.user, unit=world.a.school, role=Role.TEACHER)
    end_membership(world.actor(principal), teaching)  # not the membership acted in: allowed
    assert not Membership.objects.get(pk=teaching.pk).is_active
    assert Membership.objects.get(pk=principal.pk).is_active


@pytest.mark.parametrize(
    ("who", "target", "error"),
    [
        ("principal_b", "teacher_a", ValidationError),  # another school: not found
        ("phong2_admin", "teacher_a", ValidationError),
        ("school_admin_a", "principal_a", PermissionDenied),  # above their rank
        ("teacher_a", "teacher2_a", ValidationError),  # a teacher administers nothing
    ],
)
def test_end_membership_outside_reach_is_refused(world, who: str, target: str, error) -> None:
    memberships = {
        "principal_b": world.b.m(Role.PRINCIPAL),
        "phong2_admin": world.members["phong2_admin"],
        "school_admin_a": world.a.m(Role.SCHOOL_ADMIN),
        "teacher_a": world.a.m(Role.TEACHER),
        "principal_a": world.a.m(Role.PRINCIPAL),
        "teacher2_a": world.a.m("teacher2"),
    }
    with pytest.raises(error):
        end_membership(world.actor(memberships[who]), memberships[target])
    stored = Membership.objects.get(pk=memberships[target].pk)
    assert stored.is_active and stored.ends_on is None


def test_an_ended_membership_is_not_active_even_before_its_end_date_passes(world) -> None:
    # ended today: the row is inactive at once, not at midnight
    principal = world.actor(world.a.m(Role.PRINCIPAL))
    end_membership(principal, world.a.m(Role.CLERK))
    assert not Membership.objects.active().filter(pk=world.a.m(Role.CLERK).pk).exists()
    # a membership with a past end date is not active either, even if the flag is still set
    Membership.objects.filter(pk=world.a.m(Role.TEACHER).pk).update(ends_on=timezone.localdate() - dt.timedelta(days=1))
    assert not Membership.objects.active().filter(pk=world.a.m(Role.TEACHER).pk).exists()
