"""The activity log's FilterSet, shared by the HTML page and the API list."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from sms.accounts.actors import actor_from_request
from sms.accounts.scoping import visible_to
from sms.org.models import Unit
from sms.text import nfc, search_key

from .models import AuditEvent, EventKind

DATE_INPUTS = ["%d/%m/%Y", "%Y-%m-%d"]


def _units(request):
    return visible_to(actor_from_request(request) if request else None, Unit).order_by("path")


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class AuditEventFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label="Sự kiện", choices=EventKind.choices, empty_label="Tất cả")
    user = django_filters.CharFilter(label="Người dùng", method="filter_user")
    date_from = django_filters.DateFilter(
        label="Từ ngày",
        method="filter_date_from",
        input_formats=DATE_INPUTS,
        widget=forms.DateInput(attrs={"placeholder": "dd/mm/yyyy"}, format="%d/%m/%Y"),
    )
    date_to = django_filters.DateFilter(
        label="Đến ngày",
        method="filter_date_to",
        input_formats=DATE_INPUTS,
        widget=forms.DateInput(attrs={"placeholder": "dd/mm/yyyy"}, format="%d/%m/%Y"),
    )
    unit = django_filters.ModelChoiceFilter(
        label="Đơn vị (mọi cấp)", queryset=_units, method="filter_unit", empty_label="Tất cả"
    )

    class Meta:
        model = AuditEvent
        fields = ["kind", "user", "date_from", "date_to", "unit"]

    def filter_user(self, queryset, name, value):
        """By name or login, ignoring diacritics and case; also the name tried at a failed login."""
        text = nfc(value or "").strip()
        if not text:
            return queryset
        key = search_key(text)
        q = Q(username__icontains=text) | Q(user__username__icontains=text)
        if key:
            q |= Q(user__search_key__contains=key)
        return queryset.filter(q)

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(at__gte=_day_start(value)) if value else queryset

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(at__lt=_day_start(value + dt.timedelta(days=1))) if value else queryset

    def filter_unit(self, queryset, name, value):
        return queryset.filter(unit__path__startswith=value.path) if value else queryset
