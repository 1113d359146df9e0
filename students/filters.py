"""FilterSets of learner records, shared by the HTML lists and the API (one definition each).

Choices of related rows come through the door (``_visible``), so a filter never offers, nor
confirms the existence of, another school's class or learner.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone

from sms.org.catalogue import ETHNIC_CHOICES
from sms.org.filters import SchoolFilterMixin, SearchFilterMixin, _visible
from sms.org.models import SchoolClass, SchoolYear, Subject
from sms.text import search_key

from .models import (
    Enrolment,
    Exemption,
    ExemptionKind,
    Guardian,
    MovementKind,
    Relation,
    Sex,
    Student,
    StudentMovement,
    StudentStatus,
)

GRADE_CHOICES = [(g, f"Khối {g}") for g in range(1, 13)]


def _open_enrolments():
    today = timezone.localdate()
    return Enrolment.objects.filter(Q(left_on__isnull=True) | Q(left_on__gt=today))


class StudentFilter(SchoolFilterMixin, SearchFilterMixin):
    """``q`` finds a learner by name without diacritics or by learner code; ``school_class``
    and ``grade`` by the class they are in now (the current school year)."""

    q = django_filters.CharFilter(label="Họ tên hoặc mã định danh", method="filter_q")
    school_class = django_filters.ModelChoiceFilter(
        label="Lớp", queryset=_visible(SchoolClass), method="filter_school_class"
    )
    grade = django_filters.TypedChoiceFilter(label="Khối", choices=GRADE_CHOICES, coerce=int, method="filter_grade")
    status = django_filters.ChoiceFilter(label="Tình trạng", choices=StudentStatus.choices)
    sex = django_filters.ChoiceFilter(label="Giới tính", choices=Sex.choices)
    ethnicity = django_filters.ChoiceFilter(label="Dân tộc", choices=ETHNIC_CHOICES)

    class Meta:
        model = Student
        fields = ["q", "school", "school_class", "grade", "status", "sex", "ethnicity"]

    def filter_school_class(self, queryset, name, value: int):
        if not value:
            return queryset
        return queryset.filter(pk__in=_open_enrolments().filter(school_class=value).values("student_id"))

    def filter_grade(self, queryset, name, value: int):
        if not value:
            return queryset
        current = _open_enrolments().filter(school_year__is_current=True, school_class__grade=value)
        return queryset.filter(pk__in=current.values("student_id"))


class GuardianFilter(django_filters.FilterSet):
    student = django_filters.ModelChoiceFilter(label="Học sinh", queryset=_visible(Student))
    relation = django_filters.ChoiceFilter(label="Quan hệ", choices=Relation.choices)

    class Meta:
        model = Guardian
        fields = ["student", "relation"]


class MovementFilter(SchoolFilterMixin):
    """``kind=transfer`` at a school is its list of learners who moved away (“Đã chuyển đi”)."""

    q = django_filters.CharFilter(label="Họ tên hoặc mã định danh", method="filter_q")
    kind = django_filters.ChoiceFilter(label="Loại", choices=MovementKind.choices)
    effective_from = django_filters.DateFilter(label="Từ ngày", field_name="effective_on", lookup_expr="gte")
    effective_to = django_filters.DateFilter(label="Đến ngày", field_name="effective_on", lookup_expr="lte")

    class Meta:
        model = StudentMovement
        fields = ["q", "school", "kind", "effective_from", "effective_to"]

    def filter_q(self, queryset, name, value):
        key = search_key(value)
        return queryset.filter(student__search_key__contains=key) if key else queryset


class EnrolmentFilter(SchoolFilterMixin):
    student = django_filters.ModelChoiceFilter(label="Học sinh", queryset=_visible(Student))
    school_year = django_filters.ModelChoiceFilter(label="Năm học", queryset=_visible(SchoolYear))
    school_class = django_filters.ModelChoiceFilter(label="Lớp", queryset=_visible(SchoolClass))
    grade = django_filters.TypedChoiceFilter(
        label="Khối", choices=GRADE_CHOICES, coerce=int, field_name="school_class__grade"
    )
    current = django_filters.BooleanFilter(label="Đang học trong lớp", method="filter_current")

    class Meta:
        model = Enrolment
        fields = ["school", "student", "school_year", "school_class", "grade", "current"]

    def filter_current(self, queryset, name, value):
        if value is None:
            return queryset
        today = timezone.localdate()
        still = Q(left_on__isnull=True) | Q(left_on__gt=today)
        return queryset.filter(still) if value else queryset.exclude(still)


class ExemptionFilter(SchoolFilterMixin):
    student = django_filters.ModelChoiceFilter(
        label="Học sinh", queryset=_visible(Student), field_name="enrolment__student"
    )
    enrolment = django_filters.ModelChoiceFilter(label="Năm học của học sinh", queryset=_visible(Enrolment))
    school_year = django_filters.ModelChoiceFilter(
        label="Năm học", queryset=_visible(SchoolYear), field_name="enrolment__school_year"
    )
    subject = django_filters.ModelChoiceFilter(label="Môn học", queryset=_visible(Subject))
    kind = django_filters.ChoiceFilter(label="Loại", choices=ExemptionKind.choices)

    class Meta:
        model = Exemption
        fields = ["school", "student", "enrolment", "school_year", "subject", "kind", "semester"]
