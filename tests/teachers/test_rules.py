"""Thông tư 20/2018 overall level and Thông tư 19/2019 BDTX result, at every boundary."""

from __future__ import annotations

from decimal import Decimal

import pytest

from teachers.rules import overall_level, training_result

C, D, K, T = "chua_dat", "dat", "kha", "tot"
STANDARD2 = (3, 4, 5, 6, 7)
OTHERS = (1, 2, 8, 9, 10, 11, 12, 13, 14, 15)


def sheet(default: str, **overrides: str) -> dict[int, str]:
    """15 criteria at ``default``; ``c3="tot"`` sets criterion 3."""
    ratings = dict.fromkeys(range(1, 16), default)
    for key, value in overrides.items():
        ratings[int(key[1:])] = value
    return ratings


def with_counts(standard2: str, others: list[str]) -> dict[int, str]:
    ratings = dict.fromkeys(STANDARD2, standard2)
    ratings.update(zip(OTHERS, others, strict=True))
    return ratings


@pytest.mark.parametrize(
    ("ratings", "expected"),
    [
        # Tốt: all ≥ Khá, ≥ 10 at Tốt, standard 2 at Tốt
        (sheet(T), T),
        (with_counts(T, [T] * 5 + [K] * 5), T),  # exactly 10 at Tốt
        (with_counts(T, [T] * 4 + [K] * 6), K),  # 9 at Tốt: one short → Khá
        (sheet(T, c3=K), K),  # one standard-2 criterion only Khá → not Tốt
        (sheet(T, c7=K), K),
        (sheet(T, c1=D), K),  # one criterion below Khá → not Tốt (still ≥ 10 at ≥ Khá)
        (sheet(T, c15=D), K),
        # Khá: all ≥ Đạt, ≥ 10 at ≥ Khá, standard 2 ≥ Khá
        (sheet(K), K),
        (with_counts(K, [K] * 5 + [D] * 5), K),  # exactly 10 at ≥ Khá
        (with_counts(K, [K] * 4 + [D] * 6), D),  # 9 at ≥ Khá → Đạt
        (with_counts(T, [T] * 4 + [D] * 6), D),  # 9 at ≥ Khá even though many Tốt → Đạt
        (sheet(K, c5=D), D),  # a standard-2 criterion only Đạt → not Khá
        (sheet(T, c4=D), D),
        # Đạt: all ≥ Đạt
        (sheet(D), D),
        (sheet(D, c3=T, c4=T), D),
        # Chưa đạt: any criterion Chưa đạt, whatever the others
        (sheet(T, c1=C), C),
        (sheet(T, c15=C), C),
        (sheet(D, c6=C), C),
        (sheet(C), C),
    ],
)
def test_overall_level(ratings, expected):
    assert overall_level(ratings) == expected


@pytest.mark.parametrize(
    "ratings",
    [
        {},
        {c: T for c in range(1, 15)},  # criterion 15 missing
        sheet(T, c8=""),  # a blank is not a rating
        {**sheet(T), 16: T},  # no criterion 16
        sheet(T, c2="xuat_sac"),  # not a level of the circular
    ],
)
def test_overall_level_needs_all_fifteen_valid_ratings(ratings):
    with pytest.raises(ValueError):
        overall_level(ratings)


FULL = (40, 40, 40)


@pytest.mark.parametrize(
    ("periods", "scores", "expected"),
    [
        (FULL, (5, 5, 5), "completed"),  # pass mark exactly 5
        (FULL, (10, 10, 10), "completed"),
        (FULL, (Decimal("4.9"), 5, 5), "not_completed"),
        (FULL, (5, 5, Decimal("4.9")), "not_completed"),
        (FULL, (0, 10, 10), "not_completed"),
        ((40, 40, 39), (8, 8, 8), "not_completed"),  # 119 periods
        ((45, 35, 40), (8, 8, 8), "completed"),  # contents 1–2 are "about" 40: the total counts
        ((50, 40, 40), (8, 8, 8), "completed"),
        (FULL, (None, 8, 8), "pending"),
        (FULL, (8, 8, None), "pending"),
        ((0, 0, 0), (None, None, None), "pending"),
    ],
)
def test_training_result(periods, scores, expected):
    assert training_result(periods, scores) == expected


@pytest.mark.parametrize(
    ("periods", "scores"),
    [(FULL, (11, 5, 5)), (FULL, (-1, 5, 5)), ((40, 40), (5, 5)), ((40, -1, 40), (5, 5, 5))],
)
def test_training_result_rejects_impossible_input(periods, scores):
    with pytest.raises(ValueError):
        training_result(periods, scores)
