"""Object rules (django-rules predicates) on the actor: ``sms_rules.test_rule(name, actor, obj)``.

The scoping door decides which rows an actor reaches; these rules answer finer questions
about one object it already reached ("is this actor the homeroom teacher of this class?").
Predicates take the actor, not the user, so the active membership is always what counts.
"""

from __future__ import annotations

import rules

from .roles import ADMIN_ROLES, OVERSIGHT_ROLES, Role

sms_rules = rules.RuleSet()


@rules.predicate
def is_unit_admin(actor, obj=None) -> bool:
    return actor is not None and actor.role in ADMIN_ROLES


@rules.predicate
def is_oversight(actor, obj=None) -> bool:
    return actor is not None and actor.role in OVERSIGHT_ROLES


@rules.predicate
def is_principal(actor, obj=None) -> bool:
    return actor is not None and actor.role == Role.PRINCIPAL


@rules.predicate
def is_homeroom_teacher(actor, school_class) -> bool:
    """The actor teaches in the class's school and is its homeroom teacher (GVCN)."""
    return (
        actor is not None
        and school_class is not None
        and actor.role == Role.TEACHER
        and actor.unit_id == school_class.school_id
        and school_class.homeroom_teacher_id == actor.user.pk
    )


sms_rules.add_rule("org.manage_structure", is_unit_admin)
sms_rules.add_rule("org.view_class_details", is_unit_admin | is_oversight | is_homeroom_teacher)


def test_rule(name: str, actor, obj=None) -> bool:
    return sms_rules.test_rule(name, actor, obj)
