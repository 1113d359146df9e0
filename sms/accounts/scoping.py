"""The scoping door: ``visible_to(actor, model, action)`` — the only way to data.

Each model that reaches a user declares how it reaches its unit with a class attribute::

    class SchoolClass(models.Model):
        school = models.ForeignKey("org.Unit", ...)
        scope = Scope(unit="school")

and, where it matters, how a teacher's assignments or a learner narrow it further::

        scope = Scope(unit="school", narrow={Role.PARENT: lambda actor: Q(student__guardians__user=actor.user)})

The door then picks the path by the actor's role: a Sở sees its whole tree, a Phòng its
subtree, a school itself; roles the model does not list see nothing (deny by default). A
model without a ``scope`` cannot be queried through the door at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Q, QuerySet

from .roles import ADMIN_ROLES, LEARNER_ROLES, STAFF_ROLES, UnitKind

if TYPE_CHECKING:
    from .actors import Actor

Action = Literal["view", "add", "change", "delete"]
ACTIONS: tuple[Action, ...] = ("view", "add", "change", "delete")
#: HTTP method → action, as NetBox's ``restrict()`` maps them
METHOD_ACTIONS: dict[str, Action] = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


@dataclass(frozen=True)
class Scope:
    """How rows of a model belong to a unit, and who may do what with them.

    ``unit``: ORM path from the model to its owning ``org.Unit`` ("" for the Unit model).
    ``readers`` / ``writers``: roles that may view / add-change-delete rows of units in their
    subtree. ``narrow``: per-role extra condition (a teacher's assignments, a parent's
    children); a learner role (student, parent) sees nothing unless narrowed.
    ``inherited``: rows owned by a unit are also readable by members of the units under it
    (a Sở's catalogue read by its schools); writes stay with the owner's subtree.
    ``grant``: ``fn(actor, action) -> Q | None``, rows reached across the unit tree on purpose
    (ARCHITECTURE.md, "Some boards cut across the tree"): an exam board member reaches their
    exam's rows whatever unit they act in; a learner reaches their own candidacy in an exam
    run by a unit above another school. Its rows are added to the unit path's for any role,
    whether or not the role is in ``readers``/``writers``: the function decides per role and
    returns ``None`` to grant nothing.
    """

    unit: str
    readers: frozenset[str] = STAFF_ROLES
    writers: frozenset[str] = ADMIN_ROLES
    narrow: Mapping[str, Callable[[Actor], Q]] = field(default_factory=dict)
    inherited: bool = False
    grant: Callable[[Actor, Action], Q | None] | None = None

    def __post_init__(self) -> None:
        if self.unit == "" and self.inherited:
            raise ImproperlyConfigured("the Unit model itself cannot be inherited")

    def unit_lookup(self, suffix: str) -> str:
        return f"{self.unit}__{suffix}" if self.unit else suffix

    def roles_for(self, action: Action) -> frozenset[str]:
        return self.readers if action == "view" else self.writers


def scope_of(model: type[models.Model]) -> Scope:
    scope = getattr(model, "scope", None)
    if not isinstance(scope, Scope):
        raise ImproperlyConfigured(f"{model._meta.label} declares no Scope; it cannot be reached through visible_to().")
    return scope


def unit_q(actor: Actor, scope: Scope, *, inherited_reads: bool = False) -> Q:
    """Rows whose unit lies in the actor's subtree (and, for inherited reads, above it)."""
    unit = actor.unit
    if unit.kind in (UnitKind.SCHOOL, UnitKind.CENTRE):
        # Schools and centres are leaves: equality on the foreign key, no join.
        q = Q(**{scope.unit_lookup("id") if not scope.unit else f"{scope.unit}_id": unit.pk})
    else:
        q = Q(**{scope.unit_lookup("path__startswith"): unit.path})
    if inherited_reads:
        ancestors = [pk for pk in actor.ancestor_ids if pk != unit.pk]
        if ancestors:
            q |= Q(**{scope.unit_lookup("id") if not scope.unit else f"{scope.unit}_id__in": ancestors})
    return q


def visible_to(
    actor: Actor | None,
    model_or_queryset: type[models.Model] | QuerySet,
    action: Action = "view",
) -> QuerySet:
    """The rows of a model (or of a queryset) that ``actor`` may ``action``.

    Deny by default: no actor, a role the model does not list, or a learner role the model
    does not narrow for, all give an empty queryset.
    """
    if isinstance(model_or_queryset, QuerySet):
        qs, model = model_or_queryset, model_or_queryset.model
    else:
        model = model_or_queryset
        qs = model._default_manager.all()
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if actor is None or getattr(actor, "membership", None) is None:
        return qs.none()
    scope = scope_of(model)
    role = actor.role
    q: Q | None = None
    if role in scope.roles_for(action) and not (role in LEARNER_ROLES and role not in scope.narrow):
        q = unit_q(actor, scope, inherited_reads=scope.inherited and action == "view")
        narrow = scope.narrow.get(role)
        if narrow is not None:
            q &= narrow(actor)
    if scope.grant is not None:
        granted = scope.grant(actor, action)
        if granted is not None:
            q = granted if q is None else (q | granted)
    return qs.none() if q is None else qs.filter(q)


def units_for(
    actor: Actor | None, model: type[models.Model], action: Action = "add", *, include_closed: bool = False
) -> QuerySet:
    """The units under which ``actor`` may ``action`` rows of ``model``.

    Serializer and form fields that pick a row's owning unit take their choices from here,
    so nobody can create a row in, or move a row into, a unit outside their reach. Closed
    (abolished) units are left out: nobody creates rows under a unit that no longer exists.
    ``include_closed`` keeps them, for questions about the past ("did this person only ever
    work inside my reach?" — a school merged into one of mine still counts as mine).
    """
    from sms.org.models import Unit

    qs = Unit.objects.all() if include_closed else Unit.objects.filter(is_active=True)
    if actor is None or getattr(actor, "membership", None) is None:
        return qs.none()
    scope = scope_of(model)
    if actor.role not in scope.roles_for(action) or actor.role in LEARNER_ROLES:
        return qs.none()
    if actor.unit.kind in (UnitKind.SCHOOL, UnitKind.CENTRE):
        return qs.filter(pk=actor.unit_id)
    return qs.filter(path__startswith=actor.unit.path)


def people_in(units: QuerySet) -> QuerySet:
    """People holding an active membership in one of ``units`` — the choices of every field
    that picks a person (a homeroom teacher, a grantee), with ``units`` from ``units_for``."""
    from .models import User

    return User.objects.filter(memberships__unit__in=units, memberships__is_active=True).distinct()


def can(actor: Actor | None, action: Action, obj: models.Model) -> bool:
    """Whether the door lets ``actor`` ``action`` this one object (one query)."""
    if obj.pk is None:
        return False
    return visible_to(actor, type(obj), action).filter(pk=obj.pk).exists()


def get_visible_or_404(actor: Actor | None, model_or_queryset, pk, action: Action = "view"):
    """One object through the door: "does not exist" and "not yours" are the same 404."""
    from django.http import Http404

    qs = visible_to(actor, model_or_queryset, action)
    try:
        return qs.get(pk=int(str(pk)))
    except (ValueError, TypeError, OverflowError, qs.model.DoesNotExist):
        raise Http404("Không tìm thấy.") from None


def scoped_models() -> Iterable[type[models.Model]]:
    """Every installed model that declares a Scope (used by the cross-tenant suite)."""
    from django.apps import apps

    return [m for m in apps.get_models() if isinstance(getattr(m, "scope", None), Scope)]
