"""Vietnamese formats: dd/mm/yyyy dates and decimal commas in the UI (sms/formats/vi), and in exports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.utils import formats, translation

from sms.exports.numbers import vn_date, vn_decimal, vn_money


@pytest.fixture(autouse=True)
def _vi():
    with translation.override("vi"):
        yield


# --------------------------------------------------------------------------- dates shown


@pytest.mark.parametrize(
    ("value", "format_name", "shown"),
    [
        (dt.date(2026, 11, 23), "SHORT_DATE_FORMAT", "23/11/2026"),
        (dt.date(2026, 11, 23), "DATE_FORMAT", "23/11/2026"),
        (dt.date(2026, 9, 5), "SHORT_DATE_FORMAT", "05/09/2026"),
        (dt.date(2026, 9, 5), "YEAR_MONTH_FORMAT", "09/2026"),
        (dt.date(2026, 9, 5), "MONTH_DAY_FORMAT", "05/09"),
    ],
)
def test_date_format(value: dt.date, format_name: str, shown: str) -> None:
    assert formats.date_format(value, format_name) == shown


def test_datetime_and_time_format() -> None:
    moment = dt.datetime(2026, 9, 5, 7, 30)
    assert formats.date_format(moment, "SHORT_DATETIME_FORMAT") == "07:30 05/09/2026"
    assert formats.time_format(dt.time(14, 5)) == "14:05"


def test_templates_show_dates_day_first() -> None:
    rendered = Template("{{ day }}|{{ day|date:'SHORT_DATE_FORMAT' }}").render(Context({"day": dt.date(2026, 9, 5)}))
    assert rendered == "05/09/2026|05/09/2026"


def test_week_starts_on_monday() -> None:
    assert formats.get_format("FIRST_DAY_OF_WEEK") == 1


# --------------------------------------------------------------------------- dates parsed


@pytest.mark.parametrize(
    ("typed", "parsed"),
    [
        ("05/09/2026", dt.date(2026, 9, 5)),  # 5 September, not 9 May
        ("5/9/2026", dt.date(2026, 9, 5)),
        ("23/11/2026", dt.date(2026, 11, 23)),
        ("01/02/2026", dt.date(2026, 2, 1)),
        ("05-09-2026", dt.date(2026, 9, 5)),
        ("05.09.2026", dt.date(2026, 9, 5)),
        ("2026-09-05", dt.date(2026, 9, 5)),  # ISO, as <input type="date"> sends
        ("29/02/2028", dt.date(2028, 2, 29)),
    ],
)
def test_date_field_parses_day_first(typed: str, parsed: dt.date) -> None:
    assert forms.DateField().clean(typed) == parsed


@pytest.mark.parametrize("typed", ["13/13/2026", "32/01/2026", "29/02/2026", "09/05", "2026/09/05", "hôm nay"])
def test_date_field_refuses_impossible_dates(typed: str) -> None:
    with pytest.raises(ValidationError):
        forms.DateField().clean(typed)


def test_date_field_refuses_a_month_first_date_that_cannot_be_day_first() -> None:
    # "11/23/2026" is 23 November month-first; day-first it has no month 23
    with pytest.raises(ValidationError):
        forms.DateField().clean("11/23/2026")


@pytest.mark.parametrize(
    ("typed", "parsed"),
    [
        ("05/09/2026 07:30", dt.datetime(2026, 9, 5, 7, 30)),
        ("07:30 05/09/2026", dt.datetime(2026, 9, 5, 7, 30)),
        ("2026-09-05 07:30", dt.datetime(2026, 9, 5, 7, 30)),
    ],
)
def test_datetime_field_parses_day_first(typed: str, parsed: dt.datetime) -> None:
    value = forms.DateTimeField().clean(typed)
    assert value.replace(tzinfo=None) == parsed


def test_date_widget_shows_the_value_day_first() -> None:
    html = forms.DateField(initial=dt.date(2026, 9, 5)).widget.render("ngay", dt.date(2026, 9, 5))
    assert 'value="05/09/2026"' in html


# --------------------------------------------------------------------------- decimals


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("8.5"), "8,5"),
        (Decimal("10.0"), "10,0"),
        (Decimal("0.25"), "0,25"),
        (6.5, "6,5"),
    ],
)
def test_localize_uses_a_decimal_comma(value, shown: str) -> None:
    assert formats.localize(value, use_l10n=True) == shown


def test_number_format_groups_thousands_with_dots() -> None:
    assert formats.number_format(1250000, force_grouping=True) == "1.250.000"
    assert formats.number_format(Decimal("1234.5"), decimal_pos=1, force_grouping=True) == "1.234,5"


@pytest.mark.parametrize(
    ("typed", "parsed"),
    [
        ("8,5", Decimal("8.5")),
        ("10", Decimal("10")),
        ("0,25", Decimal("0.25")),
        ("7,0", Decimal("7.0")),
    ],
)
def test_localized_decimal_field_parses_a_comma(typed: str, parsed: Decimal) -> None:
    assert forms.DecimalField(localize=True, max_digits=4, decimal_places=2).clean(typed) == parsed


def test_localized_decimal_field_shows_a_comma() -> None:
    field = forms.DecimalField(localize=True, max_digits=3, decimal_places=1)
    assert 'value="8,5"' in field.widget.render("diem", field.prepare_value(Decimal("8.5")))


# --------------------------------------------------------------------------- exports


@pytest.mark.parametrize(
    ("value", "places", "shown"),
    [
        (Decimal("8.25"), 1, "8,3"),  # half-up, the way schools round (not banker's 8,2)
        (8.25, 1, "8,3"),  # a float: its shortest repr, not its binary expansion
        (Decimal("8.35"), 1, "8,4"),
        (Decimal("6.449"), 1, "6,4"),  # no double rounding through 6,45
        (Decimal("6.45"), 1, "6,5"),
        (Decimal("8.5"), 1, "8,5"),
        (Decimal("10"), 1, "10,0"),
        (7, 1, "7,0"),
        (0, 1, "0,0"),
        (Decimal("9.999"), 1, "10,0"),
        (2.675, 2, "2,68"),
        (Decimal("6.666"), 2, "6,67"),
        (Decimal("4.5"), 0, "5"),
        (Decimal("-0.25"), 1, "-0,3"),
        (None, 1, ""),
    ],
)
def test_vn_decimal(value, places: int, shown: str) -> None:
    assert vn_decimal(value, places) == shown


def test_vn_decimal_defaults_to_one_place() -> None:
    assert vn_decimal(Decimal("8.25")) == "8,3"
    assert vn_decimal(None) == ""


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (1250000, "1.250.000"),
        (1000, "1.000"),
        (999, "999"),
        (0, "0"),
        (1_000_000_000, "1.000.000.000"),
        (-1250000, "-1.250.000"),
        (None, ""),
    ],
)
def test_vn_money(value, shown: str) -> None:
    assert vn_money(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (dt.date(2026, 9, 5), "05/09/2026"),
        (dt.date(2026, 11, 23), "23/11/2026"),
        (dt.datetime(2026, 1, 2, 23, 59), "02/01/2026"),
        (None, ""),
    ],
)
def test_vn_date(value, shown: str) -> None:
    assert vn_date(value) == shown


def test_export_and_ui_agree_on_dates_and_scores() -> None:
    day = dt.date(2026, 11, 23)
    assert vn_date(day) == formats.date_format(day, "SHORT_DATE_FORMAT")
    assert vn_decimal(Decimal("8.5")) == formats.localize(Decimal("8.5"), use_l10n=True)
