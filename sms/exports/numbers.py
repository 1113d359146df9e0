"""Vietnamese number and date formatting for exports (xlsx, PDF), where templates' l10n does not reach."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal


def vn_decimal(value: Decimal | float | int | None, places: int = 1) -> str:
    """8.5 → "8,5"; rounded half-up (how schools round) to ``places`` decimals; None → ""."""
    if value is None:
        return ""
    quantum = Decimal(1).scaleb(-places)
    number = Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    return f"{number:f}".replace(".", ",")


def vn_money(value: int | None) -> str:
    """Đồng as an integer with dots between thousands: 1250000 → "1.250.000"."""
    return "" if value is None else f"{int(value):,}".replace(",", ".")


def vn_date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""
