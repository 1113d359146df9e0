"""The demo-data seeder registry.

Each app registers its seeder from its AppConfig.ready(); ``manage.py seed_demo`` runs them
in order with one shared context, so a module seeder finds the schools, years and accounts
the platform seeders made before it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SeedContext:
    """What seeders share: the size asked for, a seeded random generator, and results."""

    schools: int = 9
    students: int = 1200
    classes_per_grade: int = 2
    password: str = "Demo@2026"
    seed: int = 2026
    random: random.Random = field(init=False)
    data: dict[str, Any] = field(default_factory=dict)
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (username, role label, unit)

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)


Seeder = Callable[[SeedContext], None]
_registry: dict[str, tuple[int, Seeder]] = {}


def register(name: str, seeder: Seeder, order: int = 100) -> None:
    """Register an app's seeder; lower ``order`` runs first (platform 10–30, modules 100+)."""
    _registry[name] = (order, seeder)


def registered() -> list[tuple[str, Seeder]]:
    return [(name, fn) for name, (order, fn) in sorted(_registry.items(), key=lambda item: (item[1][0], item[0]))]


def run_all(
    ctx: SeedContext, log: Callable[[str], None] = lambda _msg: None, *, skip: Collection[str] = ()
) -> SeedContext:
    """Run every registered seeder in order, but those named in ``skip`` (a quicker province for
    tests that do not look at them; the ones after still run)."""
    unknown = set(skip) - set(_registry)
    if unknown:
        raise ValueError(f"no seeder named {', '.join(sorted(unknown))}")
    for name, seeder in registered():
        if name in skip:
            continue
        log(f"seeding {name}…")
        seeder(ctx)
    return ctx


#: functions listing extra demo logins read from the database: (username, what they do, unit)
_login_notes: list[Callable[[], list[tuple[str, str, str]]]] = []


def register_login_notes(fn: Callable[[], list[tuple[str, str, str]]]) -> None:
    """A module lists demo accounts worth trying for what they do beyond their role (an exam
    board's chair or marker); ``seed_demo`` prints them with the demo logins, on every run."""
    if fn not in _login_notes:
        _login_notes.append(fn)


def login_notes() -> list[tuple[str, str, str]]:
    return [row for fn in _login_notes for row in fn()]


#: functions listing public lookups worth trying in the demo: (path, what to type)
_public_notes: list[Callable[[], list[tuple[str, str]]]] = []


def register_public_notes(fn: Callable[[], list[tuple[str, str]]]) -> None:
    """A module lists a public lookup of the demo that finds something (a learner code and birth
    date with published results, a diploma serial); ``seed_demo`` prints them after the logins."""
    if fn not in _public_notes:
        _public_notes.append(fn)


def public_notes() -> list[tuple[str, str]]:
    return [row for fn in _public_notes for row in fn()]
