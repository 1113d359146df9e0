"""The public diploma lookup (Circular 53/2012 Art. 14.9; TT21/2019) and the check page of a printed diploma.

``portal:diploma-lookup`` — ``/cong/van-bang/tra-cuu/`` (its route is added to ``exams.portal.portal_urlpatterns``):
anyone — an employer, a school, the holder — checks whether a diploma is genuine, by

- the serial number (số hiệu) alone: TT21/2019 makes the issuance data public so a paper can be checked, so the
  serial opens the diploma without a second secret (store kind "diploma-serial", ``need_secret`` off); or
- the holder's full name (typed with or without diacritics) and date of birth: store kind "diploma-name", key
  ``sms.text.search_key(name)``, opened only by the birth date — namesakes born on other days are not shown, and
  several diplomas of one person (THCS, then THPT) are all listed.

It is a ``StoredLookup`` (``sms.portal.lookups``): one indexed query on the store that
``exams.services.portal_diplomas`` keeps in step with the register, sessionless, identifiers in the POST body only,
throttled per IP and per identifier (misses only: the serial, or the name key), every lookup logged without the
birth date, a wrong birth date answered exactly like an unknown name. It shows what the diploma prints (holder,
birth date and place, sex, type, graduation year, serial, entry number, issuer, signer, issue date and place) and its
status: valid; corrected (each correction's decision and which items it corrected); revoked (the decision and the
reason) — a revoked diploma stays findable, as revoked. JSON: ``{"found": true, "result": {"items": [payload…]}}``
with the payload of ``exams.services.portal_diplomas.payload`` (ISO dates).

The QR code printed on a diploma and on a copy from the register opens ``portal:document-check`` with a token of
kind "diploma" (``documents.register`` below): the page describes the diploma from the same store, status included,
and answers like an unknown code once the diploma is gone from the store or the token revoked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import path

from sms.portal import documents, store
from sms.portal.lookups import StoredLookup
from sms.text import nfc

from . import rules
from .services import portal_diplomas as published
from .services.portal_diplomas import NAME_KIND, SERIAL_KIND, name_key, serial_key

TITLE = "Tra cứu văn bằng"
INTRO = (
    "Kiểm tra văn bằng tốt nghiệp trung học cơ sở, trung học phổ thông và giấy chứng nhận hoàn thành chương trình "
    "giáo dục phổ thông do các cơ quan trong tỉnh cấp: nhập số hiệu in trên văn bằng, hoặc họ và tên cùng ngày sinh "
    "của người được cấp."
)
NAME_MAX_LENGTH = 150

MSG_NEITHER = "Nhập số hiệu văn bằng, hoặc nhập cả họ và tên và ngày sinh của người được cấp."
MSG_NAME_MISSING = "Nhập họ và tên của người được cấp để tra cứu cùng ngày sinh."
MSG_BIRTH_DATE_MISSING = "Nhập ngày sinh của người được cấp để tra cứu theo họ và tên."
MSG_BAD_SERIAL = (
    "Số hiệu văn bằng chỉ gồm chữ cái không dấu, chữ số, dấu cách và các dấu “.”, “/”, “-” (tối đa 30 ký tự)."
)
MSG_BAD_NAME = f"Họ và tên phải có chữ cái và dài tối đa {NAME_MAX_LENGTH} ký tự."
MSG_BAD_DATE = "Ngày sinh phải có dạng dd/mm/yyyy, ví dụ 04/03/2011."


# --- the form -------------------------------------------------------------------------------------------------------


class DiplomaLookupForm(forms.Form):
    """By serial, or by full name and date of birth. The serial arrives already trimmed and upper-cased by the lookup
    base (it is the base's identifier field); a serial given wins over the name."""

    serial = forms.CharField(
        label="Số hiệu văn bằng",
        required=False,
        help_text="In trên văn bằng, ví dụ A 0012345.",
        widget=forms.TextInput(attrs={"maxlength": 30, "autocomplete": "off", "spellcheck": "false"}),
    )
    full_name = forms.CharField(
        label="Họ và tên",
        required=False,
        help_text="Có thể gõ không dấu, ví dụ “nguyen van an”.",
        widget=forms.TextInput(attrs={"maxlength": NAME_MAX_LENGTH, "autocomplete": "off"}),
    )
    birth_date = forms.CharField(
        label="Ngày sinh (dd/mm/yyyy)",
        required=False,
        widget=forms.TextInput(attrs={"maxlength": 10, "placeholder": "dd/mm/yyyy", "inputmode": "numeric"}),
    )

    @property
    def groups(self):
        """The two ways to look up, each in its own fieldset (``exams/portal/_fields.html``)."""
        return [
            ("Cách 1: theo số hiệu văn bằng", [self["serial"]]),
            ("Cách 2: theo họ và tên và ngày sinh", [self["full_name"], self["birth_date"]]),
        ]

    def clean_serial(self) -> str:
        value = self.cleaned_data.get("serial") or ""
        if not value.strip():
            return ""
        try:
            return rules.normalise_serial(value)
        except ValueError:
            raise ValidationError(MSG_BAD_SERIAL) from None

    def clean_full_name(self) -> str:
        value = " ".join(nfc(self.cleaned_data.get("full_name") or "").split())
        if value and (len(value) > NAME_MAX_LENGTH or not any(ch.isalpha() for ch in value)):
            raise ValidationError(MSG_BAD_NAME)
        return value

    def clean_birth_date(self) -> dt.date | None:
        value = (self.cleaned_data.get("birth_date") or "").strip()
        if not value:
            return None
        born = store.parse_date(value)
        if born is None:
            raise ValidationError(MSG_BAD_DATE)
        return born

    def clean(self):
        data = super().clean()
        if data.get("serial") or "serial" in self.errors:
            return data  # by serial (name and date, if any, are not needed)
        name, born = data.get("full_name"), data.get("birth_date")
        if "full_name" in self.errors or "birth_date" in self.errors:
            return data
        if not name and not born:
            self.add_error("serial", MSG_NEITHER)
        elif not name:
            self.add_error("full_name", MSG_NAME_MISSING)
        elif not born:
            self.add_error("birth_date", MSG_BIRTH_DATE_MISSING)
        return data


# --- what a diploma shows -------------------------------------------------------------------------------------------


def _date(iso: str | None) -> str:
    return dt.date.fromisoformat(iso).strftime("%d/%m/%Y") if iso else "—"


def present(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A stored diploma as the pages show it: heading, status, (label, value) rows in the order of the diploma, and
    notes for its corrections and its revocation (Vietnamese, dd/mm/yyyy)."""
    rows = [
        ("Loại văn bằng", payload["kind_display"]),
        ("Họ và tên", payload["full_name"]),
        ("Ngày sinh", _date(payload["birth_date"])),
        ("Nơi sinh", payload["birthplace"] or "—"),
        ("Giới tính", payload["sex_display"]),
        ("Năm tốt nghiệp", str(payload["graduation_year"])),
        ("Số hiệu", payload["serial"]),
        ("Số vào sổ gốc cấp văn bằng", payload["entry_label"]),
        ("Cơ quan cấp", payload["issuer"]),
        ("Người ký", f"{payload['signer_title']} {payload['signer_name']}".strip()),
        ("Ngày cấp", _date(payload["issued_on"])),
        ("Nơi cấp", payload["place"] or "—"),
        ("Tình trạng", payload["status_display"]),
    ]
    notes = [
        f"Đã chỉnh sửa theo quyết định số {c['decision_number']} ngày {_date(c['decision_date'])}: "
        f"{', '.join(c['fields_display'])}. Thông tin trên là nội dung văn bằng sau chỉnh sửa."
        for c in payload.get("corrections") or []
    ]
    revocation = payload.get("revocation")
    if revocation:
        notes.append(
            f"Văn bằng đã bị thu hồi theo quyết định số {revocation['decision_number']} ngày "
            f"{_date(revocation['decision_date'])}. Lý do: {revocation['reason_display']}. "
            "Văn bằng này không còn giá trị sử dụng."
        )
    elif payload["status"] == "revoked":
        notes.append("Văn bằng đã bị thu hồi và không còn giá trị sử dụng.")
    return {
        "heading": f"{payload['kind_display']} số hiệu {payload['serial']}",
        "serial": payload["serial"],
        "status": payload["status"],
        "status_label": payload["status_display"],
        "rows": rows,
        "notes": notes,
    }


# --- the lookup -----------------------------------------------------------------------------------------------------


class DiplomaLookup(StoredLookup):
    """Tra cứu văn bằng: by serial (no second secret) or by name + date of birth (see the module docstring)."""

    kind = "diploma"
    title = TITLE
    intro = INTRO
    form_class = DiplomaLookupForm
    identifier_field = "serial"
    template_name = "exams/portal/diploma_lookup.html"

    def identifier_of(self, data: Mapping[str, Any]) -> str:
        """Throttled and logged: the serial, or — by name — the name's key (never the birth date)."""
        return data.get("serial") or name_key(data.get("full_name") or "")

    def store_query(self, data: Mapping[str, Any]) -> tuple[str, str, Any, bool] | None:
        """By serial: the serial's item, no second secret. By name: the items under the name's key that
        the birth date opens."""
        if data.get("serial"):
            return (SERIAL_KIND, serial_key(data["serial"]), None, False)
        key = name_key(data.get("full_name") or "")
        return (NAME_KIND, key, data.get("birth_date"), True) if key else None

    def result_rows(self, result: list[store.Hit]) -> list[tuple[str, Any]]:
        return [row for hit in result for row in present(hit.payload)["rows"]]

    def hit(self, request: HttpRequest, result: list[store.Hit], as_json: bool) -> HttpResponse:
        if as_json:
            return super().hit(request, result, as_json)
        return self.page(
            request, form=self.form_class(), found=True, result=result, diplomas=[present(h.payload) for h in result]
        )


# --- the check page of a printed diploma (QR code) ------------------------------------------------------------------


def describe_diploma(ref: str) -> documents.Check | None:
    """What the QR code of a diploma (or of a copy from its register) shows now: the diploma as the portal publishes
    it, status included; None when it is no longer in the store."""
    hit = store.get(SERIAL_KIND, ref)
    if hit is None:
        return None
    shown = present(hit.payload)
    return documents.Check(
        heading=shown["heading"],
        status=shown["status"],
        status_label=shown["status_label"],
        rows=shown["rows"],
        notes=shown["notes"],
        data=dict(hit.payload),
    )


documents.register(published.DOCUMENT_KIND, title="Kiểm tra văn bằng", describe=describe_diploma)
store.register_builder(SERIAL_KIND, published.build_serial)
store.register_builder(NAME_KIND, published.build_name)

portal_urlpatterns: list = [path("van-bang/tra-cuu/", DiplomaLookup.as_view(), name="diploma-lookup")]
