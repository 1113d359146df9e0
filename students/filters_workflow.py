"""FilterSets of the workflow and homeroom area (unlock requests, deadlines, publications,
conduct, absences), shared by the HTML lists and the API."""

from __future__ import annotations

import django_filters

from sms.org.filters import SchoolFilterMixin, _visible
from sms.org.models import SchoolClass, SchoolYear, Semester

from .models import Absence, EntryDeadline, HomeroomAssessment, Publication, UnlockRequest


class UnlockFilter(SchoolFilterMixin):
    semester = django_filters.ModelChoiceFilter(
        label="Học kỳ", queryset=_visible(Semester, "school_year"), field_name="sheet__semester"
    )
    school_class = django_filters.ModelChoiceFilter(
        label="Lớp", queryset=_visible(SchoolClass), field_name="sheet__school_class"
    )

    class Meta:
        model = UnlockRequest
        fields = ["school", "status", "semester", "school_class"]


class DeadlineFilter(SchoolFilterMixin):
    school_year = django_filters.ModelChoiceFilter(
        label="Năm học", queryset=_visible(SchoolYear), field_name="semester__school_year"
    )
    semester = django_filters.ModelChoiceFilter(label="Học kỳ", queryset=_visible(Semester, "school_year"))

    class Meta:
        model = EntryDeadline
        fields = ["school", "school_year", "semester", "grade"]


class PublicationFilter(SchoolFilterMixin):
    school_year = django_filters.ModelChoiceFilter(label="Năm học", queryset=_visible(SchoolYear))
    withdrawn = django_filters.BooleanFilter(label="Đã thu hồi", method="filter_withdrawn")

    class Meta:
        model = Publication
        fields = ["school", "school_year", "period", "grade", "withdrawn"]

    def filter_withdrawn(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(withdrawn_at__isnull=not value)


class HomeroomFilter(SchoolFilterMixin):
    semester = django_filters.ModelChoiceFilter(label="Học kỳ", queryset=_visible(Semester, "school_year"))
    school_class = django_filters.ModelChoiceFilter(
        label="Lớp", queryset=_visible(SchoolClass), field_name="enrolment__school_class"
    )
    enrolment = django_filters.NumberFilter(label="Mã học sinh trong lớp", field_name="enrolment_id")

    class Meta:
        model = HomeroomAssessment
        fields = ["school", "semester", "school_class", "enrolment", "conduct", "approved"]


class AbsenceFilter(SchoolFilterMixin):
    school_class = django_filters.ModelChoiceFilter(
        label="Lớp", queryset=_visible(SchoolClass), field_name="enrolment__school_class"
    )
    day_from = django_filters.DateFilter(label="Từ ngày", field_name="day", lookup_expr="gte")
    day_to = django_filters.DateFilter(label="Đến ngày", field_name="day", lookup_expr="lte")
    enrolment = django_filters.NumberFilter(label="Mã học sinh trong lớp", field_name="enrolment_id")

    class Meta:
        model = Absence
        fields = ["school", "school_class", "enrolment", "day", "day_from", "day_to", "excused"]
