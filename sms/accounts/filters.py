"""FilterSets for the account pages (memberships of the admin's subtree)."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from sms.text import search_key

from .actors import actor_from_request
from .models import Membership
from .roles import Role
from .scoping import visible_to


def _units(request):
    from sms.org.models import Unit

    return visible_to(actor_from_request(request) if request else None, Unit)


class AccountFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Họ tên hoặc tên đăng nhập", method="filter_q")
    unit = django_filters.ModelChoiceFilter(label="Đơn vị (kể cả cấp dưới)", queryset=_units, method="filter_unit")
    role = django_filters.ChoiceFilter(label="Vai trò", choices=Role.choices)
    is_active = django_filters.BooleanFilter(label="Còn hiệu lực")

    class Meta:
        model = Membership
        fields = ["q", "unit", "role", "is_active"]

    def filter_q(self, queryset, name, value):
        key = search_key(value)
        if not key:
            return queryset
        return queryset.filter(Q(user__search_key__contains=key) | Q(user__username__icontains=value.strip()))

    def filter_unit(self, queryset, name, value):
        return queryset.filter(unit__path__startswith=value.path) if value else queryset
