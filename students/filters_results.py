"""FilterSets of the results lists (term results, subject results), shared by the API and any HTML list."""

from __future__ import annotations

import django_filters

from sms.org.filters import SchoolFilterMixin, _visible
from sms.org.models import SchoolClass, SchoolYear, Subject

from .models import Period, ResultStatus, SubjectResult, TermResult


class _ResultFilter(SchoolFilterMixin):
    school_year = django_filters.ModelChoiceFilter(
        label="Năm học", field_name="enrolment__school_year", queryset=_visible(SchoolYear)
    )
    school_class = django_filters.ModelChoiceFilter(
        label="Lớp", field_name="enrolment__school_class", queryset=_visible(SchoolClass)
    )
    enrolment = django_filters.NumberFilter(label="Học sinh trong lớp (mã)", field_name="enrolment_id")
    period = django_filters.ChoiceFilter(label="Kỳ", choices=Period.choices)
    status = django_filters.ChoiceFilter(label="Trạng thái", choices=ResultStatus.choices)


class TermResultFilter(_ResultFilter):
    class Meta:
        model = TermResult
        fields = ["school", "school_year", "school_class", "enrolment", "period", "status", "outcome", "title"]


class SubjectResultFilter(_ResultFilter):
    subject = django_filters.ModelChoiceFilter(label="Môn học", queryset=_visible(Subject))

    class Meta:
        model = SubjectResult
        fields = ["school", "school_year", "school_class", "enrolment", "subject", "period", "status"]
