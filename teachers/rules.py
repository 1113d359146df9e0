"""The regulations of module (b) as pure functions (no ORM, no request).

- Teaching norms: Thông tư 05/2025/TT-BGDĐT (định mức tiết dạy).
- Professional-standard evaluation: Thông tư 20/2018/TT-BGDĐT (added by the evaluation work).
- In-service training: Thông tư 19/2019/TT-BGDĐT (added by the training work).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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


# --- professional-standard evaluation (Thông tư 20/2018/TT-BGDĐT) -------------------------------

#: the levels of a criterion and of the whole evaluation, lowest first (teachers.models.Rating)
NOT_MET, MET, FAIR, GOOD = "chua_dat", "dat", "kha", "tot"
RATING_RANK = {NOT_MET: 0, MET: 1, FAIR: 2, GOOD: 3}
#: the 15 criteria, and which belong to each of the 5 standards
CRITERIA = tuple(range(1, 16))
STANDARD_CRITERIA = {1: (1, 2), 2: (3, 4, 5, 6, 7), 3: (8, 9, 10), 4: (11, 12, 13), 5: (14, 15)}
#: "at least 2/3 of the criteria" = 10 of 15
TWO_THIRDS = 10


def overall_level(ratings: Mapping[int, str]) -> str:
    """The overall level of Thông tư 20/2018, Art. 5 from the 15 criteria's ratings.

    - Tốt: every criterion ≥ Khá, at least 2/3 at Tốt, the criteria of standard 2 at Tốt;
    - Khá: every criterion ≥ Đạt, at least 2/3 ≥ Khá, the criteria of standard 2 ≥ Khá;
    - Đạt: every criterion ≥ Đạt;
    - Chưa đạt: any criterion Chưa đạt.
    Every one of the 15 criteria must be rated (ValueError otherwise).
    """
    unknown = set(ratings) - set(CRITERIA)
    if unknown:
        raise ValueError(f"unknown criteria: {sorted(unknown)}")
    missing = [c for c in CRITERIA if not ratings.get(c)]
    if missing:
        raise ValueError(f"criteria not rated: {missing}")
    bad = {c: r for c, r in ratings.items() if r not in RATING_RANK}
    if bad:
        raise ValueError(f"unknown ratings: {bad}")
    ranks = [RATING_RANK[ratings[c]] for c in CRITERIA]
    standard2 = [RATING_RANK[ratings[c]] for c in STANDARD_CRITERIA[2]]
    if min(ranks) < RATING_RANK[MET]:
        return NOT_MET
    good = sum(r == RATING_RANK[GOOD] for r in ranks)
    fair_or_better = sum(r >= RATING_RANK[FAIR] for r in ranks)
    if min(ranks) >= RATING_RANK[FAIR] and good >= TWO_THIRDS and min(standard2) == RATING_RANK[GOOD]:
        return GOOD
    if fair_or_better >= TWO_THIRDS and min(standard2) >= RATING_RANK[FAIR]:
        return FAIR
    return MET


# --- in-service training (Thông tư 19/2019/TT-BGDĐT) --------------------------------------------

#: periods a year (content 1 ~40, content 2 ~40, content 3 40) and the pass mark on a 10-point scale
TRAINING_PERIODS_PER_YEAR = 120
TRAINING_PASS_SCORE = Decimal(5)
COMPLETED, NOT_COMPLETED, PENDING = "completed", "not_completed", "pending"
TRAINING_LABELS = {COMPLETED: "Hoàn thành", NOT_COMPLETED: "Không hoàn thành", PENDING: "Chưa có kết quả"}


def training_result(periods: Sequence[int], scores: Sequence[Decimal | int | float | None]) -> str:
    """A year's BDTX result: "pending" while a content's test score is missing; "completed"
    when the three contents total ≥ 120 periods and every score is ≥ 5; else "not_completed"."""
    if len(periods) != 3 or len(scores) != 3:
        raise ValueError("three contents: three period counts and three scores")
    if any(p is None or p < 0 for p in periods):
        raise ValueError("periods must be non-negative")
    for score in scores:
        if score is not None and not (0 <= Decimal(str(score)) <= 10):
            raise ValueError(f"score {score} is not on the 10-point scale")
    if any(score is None for score in scores):
        return PENDING
    passed = all(Decimal(str(score)) >= TRAINING_PASS_SCORE for score in scores)
    return COMPLETED if sum(periods) >= TRAINING_PERIODS_PER_YEAR and passed else NOT_COMPLETED
