"""Once results are scheduled for publication (even for a later time) the candidate list is
frozen: the allocation checked when scheduling is the one published."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from exams.models import Candidate, Exam, ExamKind
from exams.services import candidates as services
from sms.accounts.actors import Actor
from tests.makers.exams import candidate


@pytest.fixture
def scheduled(world):
    exam = Exam.objects.create(unit=world.so, kind=ExamKind.ADMISSION_10, name="Tuyển sinh lớp 10", start_year=2026)
    one = candidate(world.a, of=exam, number="000001")
    exam.results_publish_at = timezone.now() + dt.timedelta(days=2)
    exam.save()
    so_admin = world.members["so_admin"]
    return exam, one, Actor(so_admin.user, so_admin)


def test_no_candidate_is_added_changed_or_withdrawn_after_scheduling(scheduled, world):
    exam, one, so = scheduled
    data = {"full_name": "Đến Muộn", "birth_date": dt.date(2011, 2, 3), "sex": "M", "school": world.a.school.pk}
    with pytest.raises(ValidationError, match="lên lịch công bố"):
        services.save_candidate(so, exam, data)
    with pytest.raises(ValidationError, match="lên lịch công bố"):
        services.withdraw(so, one)
    with pytest.raises(ValidationError, match="lên lịch công bố"):
        services.set_choices(so, one, [world.a.school.pk])
    with pytest.raises(ValidationError, match="lên lịch công bố"):
        services.assign_numbers(so, exam)
    one.refresh_from_db()
    assert (Candidate.objects.filter(exam=exam).count(), one.withdrawn) == (1, False)


def test_cancelling_the_schedule_unfreezes_the_list(scheduled):
    exam, one, so = scheduled
    exam.results_publish_at = None
    exam.save()
    assert services.withdraw(so, one) == "withdrawn"
