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
