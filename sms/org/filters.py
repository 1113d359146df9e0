"""FilterSets shared by the API and the HTML list pages (one definition, as NetBox does)."""

from __future__ import annotations

import django_filters

from sms.accounts.actors import actor_from_request
from sms.accounts.scoping import visible_to
from sms.text import search_key

from .models import AdministrativeArea, SchoolClass, SchoolYear, Subject, SubjectPlan, Unit


def _visible(model, *related):
    """A filter's choices: the rows of ``model`` the requesting actor may see (the scoping door),
    with ``related`` read along (what the choices' labels print: a semester's label names its year)."""

    def queryset(request):
        rows = visible_to(actor_from_request(request) if request else None, model)
        return rows.select_related(*related) if related else rows

    return queryset


class SearchFilterMixin(django_filters.FilterSet):
    """``q``: diacritic- and case-free search on the model's ``search_key`` (or name)."""

    q = django_filters.CharFilter(label="Tìm kiếm", method="filter_q")

    def filter_q(self, queryset, name, value):
        key = search_key(value)
        if not key:
            return queryset
        field = "search_key" if hasattr(queryset.model, "search_key") else "name__icontains"
        return queryset.filter(**{f"{field}__contains" if field == "search_key" else field: key})


class SchoolFilterMixin(django_filters.FilterSet):
    """The tenant filter every school-owned list gets: pick a school among those you reach."""

    school = django_filters.ModelChoiceFilter(label="Trường", queryset=_visible(Unit))


class UnitFilter(SearchFilterMixin):
    parent = django_filters.ModelChoiceFilter(label="Đơn vị cấp trên", queryset=_visible(Unit))
    within = django_filters.ModelChoiceFilter(label="Thuộc (mọi cấp)", queryset=_visible(Unit), method="filter_within")

    class Meta:
        model = Unit
        fields = ["kind", "school_type", "parent", "is_active"]

    def filter_within(self, queryset, name, value: int):
        return queryset.filter(path__startswith=value.path) if value else queryset


class AreaFilter(SearchFilterMixin):
    parent = django_filters.ModelChoiceFilter(label="Thuộc", queryset=_visible(AdministrativeArea))
    valid_on = django_filters.DateFilter(label="Còn hiệu lực vào ngày", method="filter_valid_on")

    class Meta:
        model = AdministrativeArea
        fields = ["level", "parent"]

    def filter_valid_on(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=value)).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=value)
        )


class SchoolYearFilter(SchoolFilterMixin):
    class Meta:
        model = SchoolYear
        fields = ["school", "start_year", "is_current"]


class SchoolClassFilter(SchoolFilterMixin):
    school_year = django_filters.ModelChoiceFilter(label="Năm học", queryset=_visible(SchoolYear))
    name = django_filters.CharFilter(label="Tên lớp", lookup_expr="icontains")

    class Meta:
        model = SchoolClass
        fields = ["school", "school_year", "grade", "homeroom_teacher"]


class SubjectFilter(SchoolFilterMixin, SearchFilterMixin):
    class Meta:
        model = Subject
        fields = ["school", "assessment", "is_active"]


class SubjectPlanFilter(SchoolFilterMixin):
    school_year = django_filters.ModelChoiceFilter(label="Năm học", queryset=_visible(SchoolYear))
    subject = django_filters.ModelChoiceFilter(label="Môn học", queryset=_visible(Subject))

    class Meta:
        model = SubjectPlan
        fields = ["school", "school_year", "grade", "subject"]
