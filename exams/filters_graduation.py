"""FilterSets of the graduation rounds, shared by the API and the HTML list pages (one definition, as NetBox does).
The rows already come through the door; a filter only narrows them."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from sms.accounts.actors import actor_from_request
from sms.accounts.scoping import visible_to
from sms.org.models import Unit
from sms.text import search_key

from .models import (
    Exam,
    ExamKind,
    GraduationCouncilMember,
    GraduationEntry,
    GraduationLevel,
    GraduationRound,
    RoundStatus,
)


def _actor(request):
    return actor_from_request(request) if request else None


def _round_units(request):
    """Units that run a round the actor sees (their own subtree, and the Sở above a school for THPT)."""
    actor = _actor(request)
    if actor is None or getattr(actor, "membership", None) is None:
        return Unit.objects.none()
    return Unit.objects.filter(pk__in=visible_to(actor, GraduationRound).values("unit_id")).order_by("path")


def _graduation_exams(request):
    return visible_to(_actor(request), Exam).filter(kind=ExamKind.GRADUATION).order_by("-start_year", "name")


def _rounds(request):
    return visible_to(_actor(request), GraduationRound).select_related("unit")


def _entry_schools(request):
    actor = _actor(request)
    if actor is None or getattr(actor, "membership", None) is None:
        return Unit.objects.none()
    return Unit.objects.filter(pk__in=visible_to(actor, GraduationEntry).values("school_id")).order_by("name")


class GraduationRoundFilter(django_filters.FilterSet):
    """Rounds by school year, level, status, running unit and exam."""

    start_year = django_filters.NumberFilter(label="Năm học (năm bắt đầu)")
    level = django_filters.ChoiceFilter(label="Cấp", choices=GraduationLevel.choices)
    status = django_filters.ChoiceFilter(label="Trạng thái", choices=RoundStatus.choices)
    unit = django_filters.ModelChoiceFilter(label="Đơn vị xét", queryset=_round_units)
    exam = django_filters.ModelChoiceFilter(label="Kỳ thi tốt nghiệp", queryset=_graduation_exams)

    class Meta:
        model = GraduationRound
        fields = ["start_year", "level", "status", "unit", "exam"]


class GraduationEntryFilter(django_filters.FilterSet):
    """Entries by round, school, verdict, the council's exclusion, and by name (without diacritics)."""

    round = django_filters.ModelChoiceFilter(label="Đợt xét", queryset=_rounds)
    school = django_filters.ModelChoiceFilter(label="Trường", queryset=_entry_schools)
    recognised = django_filters.BooleanFilter(label="Được công nhận tốt nghiệp")
    excluded = django_filters.BooleanFilter(label="Hội đồng không công nhận")
    q = django_filters.CharFilter(label="Họ và tên", method="filter_q")

    class Meta:
        model = GraduationEntry
        fields = ["round", "school", "recognised", "excluded", "q"]

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        key = search_key(value)
        return queryset.filter(search_key__contains=key) if key else queryset


class GraduationCouncilMemberFilter(django_filters.FilterSet):
    round = django_filters.ModelChoiceFilter(label="Đợt xét", queryset=_rounds)

    class Meta:
        model = GraduationCouncilMember
        fields = ["round", "role"]
