"""The registry of the eight information systems (Circular 53/2012/TT-BGDĐT, Art. 15.1).

``sms`` imports no module app, so each module registers itself from its
``AppConfig.ready()``::

    register_module(Module(key="library", letter="d", title=..., short_title=..., roles=...,
                           url_name="library:index", description=...))

and, as its pages land, adds them with ``register_page("library", ModulePage(...))``. The
navigation, the module landing pages and the dashboards read only this registry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured

from sms.accounts.roles import OVERSIGHT_ROLES, SCHOOL_LEVEL_KINDS

if TYPE_CHECKING:
    from sms.accounts.actors import Actor

#: the order of the points of Art. 15.1 (Vietnamese alphabet: đ after d)
LETTERS = ("a", "b", "c", "d", "đ", "e", "g", "h")


@dataclass(frozen=True)
class ModulePage:
    """One page a module offers, shown on its landing page to the roles listed."""

    title: str
    url_name: str
    roles: frozenset[str]
    description: str = ""


@dataclass(frozen=True)
class Module:
    """One information system of Art. 15.1.

    ``roles``: the roles that use the module (the others get a 403 on its landing page and
    do not see it in the navigation). ``school_types``: when set, school-level roles see the
    module only in schools or centres of these types (Sở/Phòng roles are not restricted).
    ``roles_note`` says, in Vietnamese, why these roles; ``covers`` lists what the module
    manages (from the circular and the domain notes).
    """

    key: str
    letter: str
    title: str
    short_title: str
    roles: frozenset[str]
    url_name: str
    description: str
    covers: tuple[str, ...] = ()
    legal_basis: str = ""
    roles_note: str = ""
    school_types: frozenset[str] | None = None
    pages: list[ModulePage] = field(default_factory=list, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.letter not in LETTERS:
            raise ImproperlyConfigured(f"module {self.key}: letter {self.letter!r} is not a point of Art. 15.1")

    @property
    def order(self) -> int:
        return LETTERS.index(self.letter)

    def allows(self, actor: Actor | None) -> bool:
        """Whether the actor's role (at the actor's unit) may use this module."""
        if actor is None or getattr(actor, "membership", None) is None:
            return False
        if actor.role not in self.roles:
            return False
        if self.school_types is not None and actor.role not in OVERSIGHT_ROLES:
            unit = actor.unit
            return unit.kind in SCHOOL_LEVEL_KINDS and unit.school_type in self.school_types
        return True

    def pages_for(self, actor: Actor | None) -> list[ModulePage]:
        if not self.allows(actor):
            return []
        return [p for p in self.pages if actor.role in p.roles]


_registry: dict[str, Module] = {}


def register_module(module: Module) -> Module:
    """Add a module (idempotent for the same key and descriptor; a clash is an error)."""
    existing = _registry.get(module.key)
    if existing is not None:
        if existing == module:
            return existing
        raise ImproperlyConfigured(f"module {module.key!r} is registered twice with different descriptors")
    if any(m.letter == module.letter for m in _registry.values()):
        raise ImproperlyConfigured(f"letter {module.letter!r} of Art. 15.1 is already taken")
    _registry[module.key] = module
    return module


def register_page(module_key: str, page: ModulePage) -> None:
    """A module announces one of its pages (shown on its landing page to ``page.roles``)."""
    module = get_module(module_key)
    if all(p.url_name != page.url_name for p in module.pages):
        module.pages.append(page)


def get_module(key: str) -> Module:
    try:
        return _registry[key]
    except KeyError:
        raise ImproperlyConfigured(f"no module {key!r} is registered") from None


def all_modules() -> list[Module]:
    return sorted(_registry.values(), key=lambda m: m.order)


def modules_for(actor: Actor | None) -> list[Module]:
    """The modules the actor's role may use, in the order of Art. 15.1."""
    return [m for m in all_modules() if m.allows(actor)]


def roles(*names: Iterable[str] | str) -> frozenset[str]:
    """``roles(Role.TEACHER, ADMIN_ROLES, ...)``: a frozenset from roles and sets of roles."""
    out: set[str] = set()
    for n in names:
        if isinstance(n, str):
            out.add(n)
        else:
            out.update(n)
    return frozenset(out)
