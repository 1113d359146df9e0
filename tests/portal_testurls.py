"""A test-only URLconf: lookups built on ``sms.portal.lookups``.

``UnitLookup`` finds a unit by its code (the public identifier) and its phone number (the second
secret), standing in for "a learner by code and date of birth". ``StoredItemsLookup`` answers from
the precomputed store (kind "test-stored"): a code and a birth date, as a module's lookup does.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import path

from sms.org.models import Unit
from sms.portal.lookups import LookupView, StoredLookup


class UnitLookupForm(forms.Form):
    code = forms.CharField(label="Mã đơn vị", max_length=32)
    phone = forms.CharField(label="Số điện thoại", max_length=30)


class UnitLookup(LookupView):
    kind = "test-unit"
    title = "Tra cứu đơn vị"
    intro = "Nhập mã đơn vị và số điện thoại."
    form_class = UnitLookupForm
    identifier_field = "code"
    identifier_case = "upper"

    #: every lookup that ran, so tests can prove a throttled request never reached it
    calls: list[dict] = []

    def lookup(self, data):
        type(self).calls.append(dict(data))
        unit = Unit.objects.filter(code__iexact=data["code"], is_active=True).first()
        if unit is None or not unit.phone or unit.phone != data["phone"].strip():
            return None
        return unit

    def result_data(self, unit):
        return {"code": unit.code, "name": unit.name}

    def result_rows(self, unit):
        return [("Mã đơn vị", unit.code), ("Tên đơn vị", unit.name)]

    def log_unit_id(self, data, unit):
        return unit.pk if unit is not None else None


class StoredItemsForm(forms.Form):
    code = forms.CharField(label="Mã", max_length=32)
    birth = forms.CharField(label="Ngày sinh", max_length=20)


class StoredItemsLookup(StoredLookup):
    kind = store_kind = "test-stored"
    title = "Tra cứu thử từ kho công bố"
    form_class = StoredItemsForm
    identifier_field = "code"
    secret_field = "birth"


@login_not_required
def plain_page(request):
    """A public page that is not a lookup: it keeps the project's X-Frame-Options: DENY."""
    return HttpResponse("<p>Trang khác</p>")


urlpatterns = [
    path("khong-phai-tra-cuu/", plain_page, name="plain-page"),
    path("tra-cuu-thu/don-vi/", UnitLookup.as_view(), name="test-unit-lookup"),
    path("tra-cuu-thu/kho/", StoredItemsLookup.as_view(), name="test-stored-lookup"),
]
