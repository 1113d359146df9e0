"""Read-side helpers of module (e) that every area uses: who the actor is to an exam.

Rows themselves always come through ``visible_to``; these answer the questions a page asks
before it offers an action (may this person organise the exam? are they its secretariat?).
"""

from __future__ import annotations

from sms.accounts.scoping import can

from .models import ORGANISERS, BoardMember, BoardRole, Exam


def board_roles(actor, exam: Exam) -> frozenset[str]:
    """The board roles the actor's user holds on ``exam`` (empty when none)."""
    if actor is None:
        return frozenset()
    return frozenset(
        BoardMember.objects.filter(exam=exam, user=actor.user, is_active=True).values_list("role", flat=True)
    )


def board_seat(actor, exam: Exam, role: str) -> BoardMember | None:
    """The actor's active seat of ``role`` on ``exam``, if any."""
    if actor is None:
        return None
    return BoardMember.objects.filter(exam=exam, user=actor.user, role=role, is_active=True).first()


def is_secretariat(actor, exam: Exam) -> bool:
    return BoardRole.SECRETARIAT in board_roles(actor, exam)


def is_chair(actor, exam: Exam) -> bool:
    return BoardRole.CHAIR in board_roles(actor, exam)


def may_organise(actor, exam: Exam) -> bool:
    """Whether the actor may change the exam's setup: its organisers (admins and Sở/Phòng
    staff of the owner's subtree) and its board's chair and secretariat (through the door)."""
    return can(actor, "change", exam)


def is_organiser(actor, exam: Exam) -> bool:
    """The actor organises ``exam`` by their role: an admin or Sở/Phòng staff member acting in
    the exam's owner or a unit above it (a board seat does not make an organiser)."""
    if actor is None or getattr(actor, "membership", None) is None or actor.role not in ORGANISERS:
        return False
    return exam.unit.path.startswith(actor.unit.path)


# --- part 2: graduation and diplomas ---------------------------------------------------------------------------


def issuer_for(school, kind: str, *, when=None):
    """The active issuer of diplomas of ``kind`` for the graduates of ``school`` (an ``org.Unit``): among the
    issuers that list ``kind``, the one whose coverage — the units in ``covers``, or its own unit when ``covers``
    is empty — is the deepest ancestor-or-self of the school. None when the deployment configured none. Who issues
    which type is configuration (exams-diplomas.md: THPT by the Sở's director, THCS by the commune chair or the
    Phòng's head, the completion certificate by the principal)."""
    from .models import Issuer

    if school is None:
        return None
    best, best_depth = None, -1
    for issuer in Issuer.objects.filter(is_active=True).select_related("unit").prefetch_related("covers"):
        if kind not in (issuer.kinds or []):
            continue
        for unit in list(issuer.covers.all()) or [issuer.unit]:
            if school.path.startswith(unit.path) and len(unit.path) > best_depth:
                best, best_depth = issuer, len(unit.path)
    return best


def may_keep_register(actor, issuer) -> bool:
    """Whether ``actor`` keeps ``issuer``'s register (issues, corrects, copies, revokes): a registrar role acting in
    the issuer's keeping unit or a unit above it."""
    from .models import REGISTRARS

    if actor is None or getattr(actor, "membership", None) is None or actor.role not in REGISTRARS:
        return False
    return issuer.unit.path.startswith(actor.unit.path)
