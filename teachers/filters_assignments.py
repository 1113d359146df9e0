"""FilterSets of teaching assignments and norms, shared by the HTML lists and the API."""

from __future__ import annotations

import django_filters

from sms.org.filters import SchoolFilterMixin, _visible
from sms.org.models import SchoolClass, SchoolYear, Semester, Subject

from .models import StaffRecord, TeachingAssignment, TeachingNorm


class AssignmentFilter(SchoolFilterMixin):
    school_year = django_filters.ModelChoiceFilter(
        label="Năm học", queryset=_visible(SchoolYear), field_name="semester__school_year"
    )
    semester = django_filters.ModelChoiceFilter(label="Học kỳ", queryset=_visible(Semester, "school_year"))
    school_class = django_filters.ModelChoiceFilter(label="Lớp", queryset=_visible(SchoolClass))
    subject = django_filters.ModelChoiceFilter(label="Môn học", queryset=_visible(Subject))
    teacher = django_filters.ModelChoiceFilter(label="Giáo viên", queryset=_visible(StaffRecord))

    class Meta:
        model = TeachingAssignment
        fields = ["school", "school_year", "semester", "school_class", "subject", "teacher"]


class NormFilter(django_filters.FilterSet):
    class Meta:
        model = TeachingNorm
        fields = ["level", "position", "boarding"]
