"""FilterSets of module (e), shared by the API and the HTML list pages (one definition, as
NetBox does). The rows themselves already come through the door; a filter only narrows them."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from sms.accounts.actors import actor_from_request
from sms.accounts.scoping import visible_to
from sms.org.filters import _visible
from sms.org.models import Unit
from sms.text import search_key

from .models import BoardMember, BoardRole, Exam, ExamKind, ExamSubject, PointRule


def _exams(request):
    return visible_to(actor_from_request(request) if request else None, Exam).select_related("unit")


def _owners(request):
    """Units that own an exam the actor sees: their own subtree and the units above it (the Sở's
    and Phòng's exams a school reads through ``inherited``)."""
    actor = actor_from_request(request) if request else None
    if actor is None or getattr(actor, "membership", None) is None:
        return Unit.objects.none()
    return Unit.objects.filter(pk__in=visible_to(actor, Exam).values("unit_id")).order_by("path")


class ExamFilter(django_filters.FilterSet):
    """Exams by kind, school year (its starting year) and owning unit, and by name."""

    q = django_filters.CharFilter(label="Tên kỳ thi", method="filter_q")
    kind = django_filters.ChoiceFilter(label="Loại kỳ thi", choices=ExamKind.choices)
    start_year = django_filters.NumberFilter(label="Năm học (năm bắt đầu)")
    unit = django_filters.ModelChoiceFilter(label="Đơn vị tổ chức", queryset=_owners)

    class Meta:
        model = Exam
        fields = ["q", "kind", "start_year", "unit"]

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        key = search_key(value)
        if not key:
            return queryset
        # Exams are few (tens a year per unit); the name is matched without diacritics in Python
        # so PostgreSQL and SQLite agree.
        ids = [pk for pk, exam_name in queryset.values_list("pk", "name") if key in search_key(exam_name)]
        return queryset.filter(pk__in=ids)


class ExamSubjectFilter(django_filters.FilterSet):
    exam = django_filters.ModelChoiceFilter(label="Kỳ thi", queryset=_exams)

    class Meta:
        model = ExamSubject
        fields = ["exam", "code"]


class BoardMemberFilter(django_filters.FilterSet):
    exam = django_filters.ModelChoiceFilter(label="Kỳ thi", queryset=_exams)
    role = django_filters.ChoiceFilter(label="Nhiệm vụ", choices=BoardRole.choices)
    home_unit = django_filters.ModelChoiceFilter(label="Đơn vị công tác", queryset=_visible(Unit))

    class Meta:
        model = BoardMember
        fields = ["exam", "role", "home_unit", "is_active"]


class PointRuleFilter(django_filters.FilterSet):
    exam = django_filters.ModelChoiceFilter(label="Kỳ thi", queryset=_exams)
    kind = django_filters.ChoiceFilter(label="Loại", choices=PointRule.Kind.choices)

    class Meta:
        model = PointRule
        fields = ["exam", "kind", "code"]
