"""FilterSets of the diploma register, shared by the API and the HTML pages. Rows come through the door; a filter only
narrows them, and its choices (issuers, schools) are what the door shows the actor."""

from __future__ import annotations

import contextlib

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from sms.accounts.actors import actor_from_request
from sms.accounts.scoping import visible_to
from sms.org.models import Unit
from sms.text import search_key

from . import rules
from .models import Diploma, DiplomaCopy, DiplomaCorrection, DiplomaKind, DiplomaRevocation, DiplomaStatus, Issuer

#: the largest id or number a filter passes to the database (its integer columns)
INT_MAX = 2**31 - 1


class IntegerFilter(django_filters.NumberFilter):
    """A whole number within the database's integer range (an id, a year): "1e30", "²" or a 30-digit number is a
    form error naming the filter (a 400 in the API), never a query."""

    field_class = forms.IntegerField

    def __init__(self, *args, min_value: int = 1, max_value: int = INT_MAX, **kwargs):
        super().__init__(*args, min_value=min_value, max_value=max_value, **kwargs)


def _actor(request):
    return actor_from_request(request) if request is not None else None


def _issuers(request):
    return visible_to(_actor(request), Issuer).select_related("unit")


def _schools(request):
    """Schools that hold a diploma the actor sees (few per register; one query)."""
    actor = _actor(request)
    if actor is None or getattr(actor, "membership", None) is None:
        return Unit.objects.none()
    return Unit.objects.filter(pk__in=visible_to(actor, Diploma).values("school_id")).order_by("name", "pk")


class DiplomaFilter(django_filters.FilterSet):
    """The register (sổ gốc) by issuer, diploma type, calendar year of issue, status and school, and by the holder's
    name without diacritics ("nguyen van an" finds "Nguyễn Văn An") or the serial number."""

    q = django_filters.CharFilter(label="Họ tên hoặc số hiệu", method="filter_q")
    issuer = django_filters.ModelChoiceFilter(label="Cơ quan cấp", queryset=_issuers)
    kind = django_filters.ChoiceFilter(label="Loại văn bằng", choices=DiplomaKind.choices)
    year = IntegerFilter(label="Năm cấp", max_value=9999)
    status = django_filters.ChoiceFilter(label="Tình trạng", choices=DiplomaStatus.choices)
    school = django_filters.ModelChoiceFilter(label="Trường", queryset=_schools)

    class Meta:
        model = Diploma
        fields = ["q", "issuer", "kind", "year", "status", "school"]

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        key = search_key(value)
        if not key:
            return queryset
        condition = Q(search_key__contains=key)
        with contextlib.suppress(ValueError):  # not a well-formed serial: the name alone
            condition |= Q(serial=rules.normalise_serial(value))
        return queryset.filter(condition)


class IssuerFilter(django_filters.FilterSet):
    kind = django_filters.CharFilter(label="Loại văn bằng", method="filter_kind")
    unit = IntegerFilter(label="Đơn vị giữ sổ gốc", field_name="unit_id")
    is_active = django_filters.BooleanFilter(label="Đang cấp")

    class Meta:
        model = Issuer
        fields = ["kind", "unit", "is_active"]

    def filter_kind(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # ``kinds`` is a short JSON list; matched in Python so PostgreSQL and SQLite agree
        ids = [pk for pk, kinds in queryset.values_list("pk", "kinds") if value in (kinds or [])]
        return queryset.filter(pk__in=ids)


class DiplomaPartFilter(django_filters.FilterSet):
    """Corrections, copies, revocations: by diploma and by issuer."""

    diploma = IntegerFilter(label="Văn bằng", field_name="diploma_id")
    issuer = IntegerFilter(label="Cơ quan cấp", field_name="diploma__issuer_id")


class DiplomaCorrectionFilter(DiplomaPartFilter):
    class Meta:
        model = DiplomaCorrection
        fields = ["diploma", "issuer"]


class DiplomaCopyFilter(DiplomaPartFilter):
    year = IntegerFilter(label="Năm cấp bản sao", max_value=9999)

    class Meta:
        model = DiplomaCopy
        fields = ["diploma", "issuer", "year"]


class DiplomaRevocationFilter(DiplomaPartFilter):
    class Meta:
        model = DiplomaRevocation
        fields = ["diploma", "issuer"]
