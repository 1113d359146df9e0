"""The regulations of module (b) as pure functions (no ORM, no request).

- Teaching norms: Thông tư 05/2025/TT-BGDĐT (định mức tiết dạy).
- Professional-standard evaluation: Thông tư 20/2018/TT-BGDĐT (added by the evaluation work).
- In-service training: Thông tư 19/2019/TT-BGDĐT (added by the training work).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from .catalogue import LOWER, PRESCHOOL, PRIMARY, UPPER

# --- teaching norms (Thông tư 05/2025/TT-BGDĐT) --------------------------------------------------

#: weekly periods of a teacher by level; ethnic boarding schools (phổ thông dân tộc nội trú) lower
TEACHER_WEEKLY = {PRIMARY: Decimal(23), LOWER: Decimal(19), UPPER: Decimal(17)}
BOARDING_TEACHER_WEEKLY = {PRIMARY: Decimal(21), LOWER: Decimal(17), UPPER: Decimal(15)}
#: weekly periods of school leaders, whatever the level
LEADER_WEEKLY = {"principal": Decimal(2), "vice_principal": Decimal(4)}
#: teaching weeks a year (35 for every level of general education)
TEACHING_WEEKS = 35

LEVEL_OF_GRADE = {**dict.fromkeys(range(1, 6), PRIMARY), **dict.fromkeys(range(6, 10), LOWER),
                  **dict.fromkeys(range(10, 13), UPPER)}  # fmt: skip


def level_of_grade(grade: int) -> str:
    """The school level a grade belongs to (1–5 tiểu học, 6–9 THCS, 10–12 THPT)."""
    try:
        return LEVEL_OF_GRADE[grade]
    except KeyError:
        raise ValueError(f"grade {grade} is not a grade of general education") from None


def default_weekly_norm(level: str, position: str, *, boarding: bool = False) -> Decimal | None:
    """The weekly norm of Thông tư 05/2025 for a level and position; None where the circular
    sets none (preschool, non-teaching staff)."""
    if position in LEADER_WEEKLY:
        return LEADER_WEEKLY[position] if level != PRESCHOOL else None
    if position != "teacher" or level == PRESCHOOL:
        return None
    table = BOARDING_TEACHER_WEEKLY if boarding else TEACHER_WEEKLY
    return table.get(level)


def annual_norm(weekly: Decimal, weeks: int = TEACHING_WEEKS) -> Decimal:
    """Annual norm = weekly norm × teaching weeks."""
    return Decimal(weekly) * weeks


def weekly_periods(periods_per_year: int | Decimal, weeks: int = TEACHING_WEEKS) -> Decimal:
    """A subject plan's periods a year as periods a week, to one decimal, half-up."""
    return (Decimal(periods_per_year) / weeks).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


OVER, UNDER, BALANCED, NO_NORM = "over", "under", "balanced", "no_norm"
LOAD_LABELS = {OVER: "Vượt định mức", UNDER: "Thiếu định mức", BALANCED: "Đủ định mức", NO_NORM: "Không có định mức"}


def load_status(assigned_weekly: Decimal, norm_weekly: Decimal | None) -> tuple[str, Decimal | None]:
    """Over- or under-load: (status, difference in periods a week; positive = over)."""
    if norm_weekly is None:
        return NO_NORM, None
    difference = Decimal(assigned_weekly) - Decimal(norm_weekly)
    if difference > 0:
        return OVER, difference
    if difference < 0:
        return UNDER, difference
    return BALANCED, Decimal(0)
