"""FilterSets of the staff pages, shared by the HTML lists and the API (one definition)."""

from __future__ import annotations

import datetime as dt

import django_filters
from django.db.models import Q
from django.utils import timezone

from sms.org.filters import SchoolFilterMixin, SearchFilterMixin, _visible
from sms.org.models import Subject

from . import catalogue
from .models import (
    MovementKind,
    Position,
    QualificationLevel,
    StaffMovement,
    StaffRecord,
    StaffStatus,
    SubjectGroup,
)

#: age bands of the staff statistics and filters: (key, label, lowest age, highest age)
AGE_BANDS: tuple[tuple[str, str, int | None, int | None], ...] = (
    ("u30", "Dưới 30 tuổi", None, 29),
    ("30_39", "Từ 30 đến 39 tuổi", 30, 39),
    ("40_49", "Từ 40 đến 49 tuổi", 40, 49),
    ("50p", "Từ 50 tuổi trở lên", 50, None),
)
AGE_BAND_CHOICES = [(key, label) for key, label, _, _ in AGE_BANDS]


def years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29/02 in a year that has none
        return day.replace(year=day.year - years, day=28)


def age_band_q(key: str, today: dt.date | None = None, field: str = "birth_date") -> Q:
    """Rows whose age on ``today`` lies in the band ``key`` (age = full years since birth)."""
    today = today or timezone.localdate()
    for band, _, low, high in AGE_BANDS:
        if band != key:
            continue
        q = Q(**{f"{field}__isnull": False})
        if low is not None:  # at least ``low`` years old: born on or before today − low years
            q &= Q(**{f"{field}__lte": years_before(today, low)})
        if high is not None:  # younger than high + 1: born after today − (high + 1) years
            q &= Q(**{f"{field}__gt": years_before(today, high + 1)})
        return q
    raise ValueError(key)


class StaffFilter(SchoolFilterMixin, SearchFilterMixin):
    position = django_filters.ChoiceFilter(label="Chức vụ", choices=Position.choices)
    subject_group = django_filters.ModelChoiceFilter(label="Tổ chuyên môn", queryset=_visible(SubjectGroup))
    subject = django_filters.ModelChoiceFilter(label="Môn dạy", queryset=_visible(Subject), field_name="subjects")
    qualification_level = django_filters.ChoiceFilter(label="Trình độ đào tạo", choices=QualificationLevel.choices)
    rank_code = django_filters.ChoiceFilter(label="Hạng chức danh", choices=catalogue.RANK_CHOICES)
    status = django_filters.ChoiceFilter(label="Tình trạng", choices=StaffStatus.choices)
    age_band = django_filters.ChoiceFilter(label="Độ tuổi", choices=AGE_BAND_CHOICES, method="filter_age_band")

    class Meta:
        model = StaffRecord
        fields = ["school", "position", "subject_group", "subject", "qualification_level", "rank_code", "status"]

    def filter_age_band(self, queryset, name, value):
        return queryset.filter(age_band_q(value)) if value else queryset


class SubjectGroupFilter(SchoolFilterMixin):
    name = django_filters.CharFilter(label="Tên tổ", lookup_expr="icontains")

    class Meta:
        model = SubjectGroup
        fields = ["school", "name"]


class MovementFilter(SchoolFilterMixin):
    kind = django_filters.ChoiceFilter(label="Loại", choices=MovementKind.choices)
    staff = django_filters.ModelChoiceFilter(label="Cán bộ", queryset=_visible(StaffRecord))

    class Meta:
        model = StaffMovement
        fields = ["school", "kind", "staff"]
