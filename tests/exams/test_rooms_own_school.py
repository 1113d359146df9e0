"""A school's own competition is watched by its own teachers: the own-school rule keeps
teachers from their pupils where schools compete, and inside one school nobody else could."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from exams.models import BoardMember, BoardRole, Room
from exams.services import rooms as services
from sms.accounts.actors import Actor
from sms.accounts.roles import Role
from tests.makers import exams as makers
from tests.world import grant, make_user


def _exam_with_a_room(side, owner):
    exam = makers.exam(side, unit=owner)
    site = makers.site(side, of=exam)
    room = Room.objects.create(site=site, number=1)
    for n in range(3):
        makers.candidate(side, of=exam, number=f"{n + 1:06d}", room=room, seat=n + 1)
    for n in range(2):
        teacher = grant(make_user(f"coithi{owner.pk}{n}"), side.school, Role.TEACHER)
        BoardMember.objects.create(exam=exam, user=teacher.user, role=BoardRole.INVIGILATOR, home_unit=side.school)
    return exam, room


def test_the_schools_own_teachers_watch_its_own_competition(world):
    exam, room = _exam_with_a_room(world.a, world.a.school)
    principal = world.a.m(Role.PRINCIPAL)
    assert services.assign_invigilators(Actor(principal.user, principal), exam)
    room.refresh_from_db()
    assert room.invigilator_1_id and room.invigilator_2_id


def test_where_schools_compete_nobody_watches_their_own_pupils(world):
    exam, room = _exam_with_a_room(world.a, world.so)
    so_admin = world.members["so_admin"]
    with pytest.raises(ValidationError):
        services.assign_invigilators(Actor(so_admin.user, so_admin), exam)
    room.refresh_from_db()
    assert (room.invigilator_1_id, room.invigilator_2_id) == (None, None)
