"""students.rules: the grading circulars (TT22/2021, TT27/2020, TT58/2011 + TT26/2020, TT30/2014 + TT22/2016)
at every boundary. Pure tests: no database."""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from fractions import Fraction
from math import floor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from students.rules import (
    ABSENCE_LIMIT,
    COMPETENCIES,
    PRIMARY_TESTED_SUBJECTS,
    QUALITIES,
    CellError,
    CellKind,
    Column,
    LegacyConduct,
    LegacyLearning,
    Level,
    Outcome,
    PrimaryLevel,
    PrimaryResult,
    QualityLevel,
    RuleSet,
    Title,
    apply_retests,
    cell_number,
    comment_result,
    learning_level,
    learning_level_explained,
    legacy_learning,
    legacy_overall_average,
    legacy_regular_score_count,
    missing_cells,
    parse_cell,
    primary_completes_grade,
    primary_title,
    primary_year_result,
    promotion,
    qualities_for,
    regular_score_count,
    retest_subjects,
    round1,
    rule_set_for,
    semester_average,
    semester_average_from_cells,
    sheet_columns,
    title,
    year_average,
    year_comment_result,
    year_conduct,
)

D = Decimal
G, K, P, F = Level.GOOD, Level.FAIR, Level.PASS, Level.FAIL


def scores(*values: str, prefix: str = "m") -> dict[str, Decimal]:
    """Scored subjects m1, m2, … with the given averages."""
    return {f"{prefix}{i}": D(v) for i, v in enumerate(values, start=1)}


def exact_half_up(value: Fraction) -> Decimal:
    """The reference rounding: exact rational, half-up to one decimal."""
    return D(floor(value * 10 + Fraction(1, 2))).scaleb(-1)


# --- rule sets ------------------------------------------------------------------------------------

TT22_YEARS = {6: 2021, 7: 2022, 10: 2022, 8: 2023, 11: 2023, 9: 2024, 12: 2024}


@pytest.mark.parametrize(
    ("start_year", "grade", "expected"),
    [
        # TT22: each secondary grade on both sides of its first year
        *[(year, grade, RuleSet.TT22) for grade, year in TT22_YEARS.items()],
        *[(year - 1, grade, RuleSet.TT26) for grade, year in TT22_YEARS.items()],
        # TT27: grade g from 2019 + g
        *[(2019 + grade, grade, RuleSet.TT27) for grade in range(1, 6)],
        *[(2018 + grade, grade, RuleSet.TT30) for grade in range(1, 6)],
        # TT26 amended TT58 from 2020–21
        (2020, 6, RuleSet.TT26),
        (2019, 6, RuleSet.TT58),
        (2019, 12, RuleSet.TT58),
        (2020, 12, RuleSet.TT26),
        (2011, 9, RuleSet.TT58),
        (2014, 3, RuleSet.TT30),
        (2030, 12, RuleSet.TT22),
        (2030, 1, RuleSet.TT27),
        # no grade
        (2024, 0, RuleSet.NONE),
        (2024, 13, RuleSet.NONE),
        (2024, -1, RuleSet.NONE),
    ],
)
def test_rule_set_for(start_year, grade, expected):
    assert rule_set_for(start_year, grade) == expected


def test_rule_set_labels():
    assert RuleSet.TT26.label == "Thông tư 58/2011 (sửa đổi bởi Thông tư 26/2020)"
    assert RuleSet("none") == RuleSet.NONE


# --- rounding and counts --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("8.25"), D("8.3")),  # round(8.25, 1) == 8.2 in binary floats
        (D("8.24999"), D("8.2")),
        (D("5.4875"), D("5.5")),
        (D("2.675"), D("2.7")),
        (D("0.05"), D("0.1")),
        (D(7), D("7.0")),
        (7, D("7.0")),
        (D("10"), D("10.0")),
    ],
)
def test_round1_is_half_up(value, expected):
    assert round1(value) == expected
    assert str(round1(value)) == str(expected)


def test_floats_are_refused():
    with pytest.raises(TypeError):
        round1(8.25)
    with pytest.raises(TypeError):
        semester_average([8.0, 7.0], [6.0], 5.0)
    with pytest.raises(TypeError):
        year_average(D("7"), 8.5)


@pytest.mark.parametrize(
    ("periods", "expected"),
    [(0, 2), (1, 2), (35, 2), (36, 3), (52, 3), (70, 3), (71, 4), (105, 4), (175, 4)],
)
def test_regular_score_count(periods, expected):
    assert regular_score_count(periods) == expected


@pytest.mark.parametrize(("periods", "expected"), [(35, 2), (36, 3), (70, 3), (71, 3), (104, 3), (105, 4)])
def test_legacy_regular_score_count_follows_tt58_weekly_minimums(periods, expected):
    assert legacy_regular_score_count(periods) == expected


@pytest.mark.parametrize("periods", [-1, 35.0, "35", True])
def test_regular_score_count_rejects_non_counts(periods):
    with pytest.raises(ValueError):
        regular_score_count(periods)


# --- parsing cells --------------------------------------------------------------------------------

NFD = "NFD"


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        (CellKind.SCORE, "8", "8"),
        (CellKind.SCORE, "8,5", "8.5"),
        (CellKind.SCORE, "8.5", "8.5"),
        (CellKind.SCORE, " 9,0 ", "9"),
        (CellKind.SCORE, "10", "10"),
        (CellKind.SCORE, "10,0", "10"),
        (CellKind.SCORE, "0", "0"),
        (CellKind.SCORE, "0,5", "0.5"),
        (CellKind.SCORE, "08", "8"),
        (CellKind.SCORE, "8,50", "8.5"),  # one significant decimal
        (CellKind.SCORE, "\u00a07,5\t", "7.5"),  # non-breaking space from a spreadsheet
        # our choice: full-width digits and comma are NFKC-normalised, not refused
        (CellKind.SCORE, "８", "8"),
        (CellKind.SCORE, "８，５", "8.5"),
        ("score", "6,5", "6.5"),  # the kind may be the plain string value
        (CellKind.SCORE, None, None),
        (CellKind.SCORE, "", None),
        (CellKind.SCORE, "   ", None),
        (CellKind.COMMENT, "Đ", "Đ"),
        (CellKind.COMMENT, "đ", "Đ"),
        (CellKind.COMMENT, "d", "Đ"),
        (CellKind.COMMENT, "D", "Đ"),
        (CellKind.COMMENT, "Đạt", "Đ"),
        (CellKind.COMMENT, "đạt", "Đ"),
        (CellKind.COMMENT, unicodedata.normalize(NFD, "Đạt"), "Đ"),
        (CellKind.COMMENT, " ĐẠT ", "Đ"),
        (CellKind.COMMENT, "dat", "Đ"),
        (CellKind.COMMENT, "Ð", "Đ"),  # U+00D0, the look-alike eth
        (CellKind.COMMENT, "CĐ", "CĐ"),
        (CellKind.COMMENT, "cđ", "CĐ"),
        (CellKind.COMMENT, "cd", "CĐ"),
        (CellKind.COMMENT, "CD", "CĐ"),
        (CellKind.COMMENT, "Cđ", "CĐ"),
        (CellKind.COMMENT, "Chưa đạt", "CĐ"),
        (CellKind.COMMENT, unicodedata.normalize(NFD, "Chưa đạt"), "CĐ"),
        (CellKind.COMMENT, "chưa  đạt", "CĐ"),
        (CellKind.COMMENT, "chua dat", "CĐ"),
        (CellKind.COMMENT, " ", None),
        (CellKind.LEVEL, "T", "T"),
        (CellKind.LEVEL, "t", "T"),
        (CellKind.LEVEL, "H", "H"),
        (CellKind.LEVEL, " h ", "H"),
        (CellKind.LEVEL, "C", "C"),
        (CellKind.LEVEL, "c", "C"),
        (CellKind.LEVEL, None, None),
        (CellKind.TEST, "0", "0"),
        (CellKind.TEST, "7", "7"),
        (CellKind.TEST, "10", "10"),
        (CellKind.TEST, " 9 ", "9"),
        (CellKind.TEST, "7,0", "7"),
        (CellKind.TEST, "７", "7"),
        (CellKind.TEST, "", None),
    ],
)
def test_parse_cell_accepts(kind, text, expected):
    assert parse_cell(kind, text) == expected


SCORE_INVALID = "Điểm không hợp lệ: hãy nhập một số từ 0 đến 10, ví dụ 8 hoặc 8,5."
SCORE_RANGE = "Điểm phải từ 0 đến 10."
SCORE_DECIMALS = "Điểm chỉ được có một chữ số thập phân."
TEST_MESSAGE = "Điểm bài kiểm tra định kỳ phải là số nguyên từ 0 đến 10."
COMMENT_MESSAGE = "Nhận xét phải là Đ (Đạt) hoặc CĐ (Chưa đạt)."
LEVEL_MESSAGE = "Mức đánh giá phải là T (Hoàn thành tốt), H (Hoàn thành) hoặc C (Chưa hoàn thành)."


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        (CellKind.SCORE, "8,25", SCORE_DECIMALS),
        (CellKind.SCORE, "9.75", SCORE_DECIMALS),
        (CellKind.SCORE, "11", SCORE_RANGE),
        (CellKind.SCORE, "10,5", SCORE_RANGE),
        (CellKind.SCORE, "10.1", SCORE_RANGE),
        (CellKind.SCORE, "-1", SCORE_RANGE),
        (CellKind.SCORE, "-0,5", SCORE_RANGE),
        (CellKind.SCORE, "abc", SCORE_INVALID),
        (CellKind.SCORE, "NaN", SCORE_INVALID),
        (CellKind.SCORE, "Infinity", SCORE_INVALID),
        (CellKind.SCORE, "1e1", SCORE_INVALID),
        (CellKind.SCORE, "+8", SCORE_INVALID),
        (CellKind.SCORE, "8.", SCORE_INVALID),
        (CellKind.SCORE, ",5", SCORE_INVALID),
        (CellKind.SCORE, "8,5,1", SCORE_INVALID),
        (CellKind.SCORE, "8 5", SCORE_INVALID),
        (CellKind.SCORE, "٨", SCORE_INVALID),  # Arabic-Indic eight: Decimal() would accept it
        (CellKind.SCORE, "Đ", SCORE_INVALID),
        (CellKind.TEST, "7,5", TEST_MESSAGE),
        (CellKind.TEST, "7.5", TEST_MESSAGE),
        (CellKind.TEST, "11", TEST_MESSAGE),
        (CellKind.TEST, "-1", TEST_MESSAGE),
        (CellKind.TEST, "abc", TEST_MESSAGE),
        (CellKind.TEST, "T", TEST_MESSAGE),
        (CellKind.COMMENT, "X", COMMENT_MESSAGE),
        (CellKind.COMMENT, "8", COMMENT_MESSAGE),
        (CellKind.COMMENT, "Đạt tốt", COMMENT_MESSAGE),
        (CellKind.COMMENT, "C", COMMENT_MESSAGE),
        (CellKind.LEVEL, "A", LEVEL_MESSAGE),
        (CellKind.LEVEL, "TH", LEVEL_MESSAGE),
        (CellKind.LEVEL, "Đ", LEVEL_MESSAGE),
        (CellKind.LEVEL, "8", LEVEL_MESSAGE),
    ],
)
def test_parse_cell_rejects(kind, text, message):
    with pytest.raises(CellError) as excinfo:
        parse_cell(kind, text)
    assert excinfo.value.message == message
    assert isinstance(excinfo.value, ValueError)
    assert unicodedata.is_normalized("NFC", message)


def test_parse_cell_unknown_kind():
    with pytest.raises(ValueError):
        parse_cell("grade", "8")


@pytest.mark.parametrize(("value", "expected"), [("8", D(8)), ("8.5", D("8.5")), ("0", D(0)), ("10", D(10))])
def test_cell_number(value, expected):
    assert cell_number(value) == expected


@pytest.mark.parametrize("value", ["8,5", "8.25", "11", "10.5", "-1", "", " 8", "NaN", "８"])
def test_cell_number_wants_canonical_cells(value):
    with pytest.raises(ValueError):
        cell_number(value)


# --- sheet columns --------------------------------------------------------------------------------


def columns_of(rule_set, assessment="scored", periods=70, grade=7, subject="toan", semester=1):
    return sheet_columns(
        rule_set,
        assessment=assessment,
        periods_per_year=periods,
        grade=grade,
        subject_code=subject,
        semester=semester,
    )


def shape(columns):
    return [(c.key, c.label, c.kind, c.weight, c.required) for c in columns]


S, CM, LV, TS = CellKind.SCORE, CellKind.COMMENT, CellKind.LEVEL, CellKind.TEST


def test_tt22_scored_sheet():
    assert shape(columns_of(RuleSet.TT22, periods=35)) == [
        ("tx1", "ĐĐGtx1", S, 1, True),
        ("tx2", "ĐĐGtx2", S, 1, True),
        ("gk", "ĐĐGgk", S, 2, True),
        ("ck", "ĐĐGck", S, 3, True),
    ]


@pytest.mark.parametrize(("periods", "regular"), [(35, 2), (36, 3), (70, 3), (71, 4)])
@pytest.mark.parametrize("rule_set", [RuleSet.TT22, RuleSet.TT26, "tt22"])
def test_tt22_and_tt26_regular_columns_follow_periods(rule_set, periods, regular):
    keys = [c.key for c in columns_of(rule_set, periods=periods, semester=2)]
    assert keys == [f"tx{i}" for i in range(1, regular + 1)] + ["gk", "ck"]


def test_tt22_comment_sheet_has_the_same_keys_as_comments():
    columns = columns_of(RuleSet.TT22, assessment="comment", periods=70, subject="gdtc")
    assert [c.key for c in columns] == ["tx1", "tx2", "tx3", "gk", "ck"]
    assert {c.kind for c in columns} == {CellKind.COMMENT}
    assert all(c.required for c in columns)


def test_tt58_scored_sheet():
    assert shape(columns_of(RuleSet.TT58, periods=105)) == [
        ("tx1", "KTtx1", S, 1, True),
        ("tx2", "KTtx2", S, 1, True),
        ("tx3", "KTtx3", S, 1, True),
        ("tx4", "KTtx4", S, 1, True),
        ("dk1", "KTđk1", S, 2, True),
        ("dk2", "KTđk2", S, 2, False),
        ("ck", "KThk", S, 3, True),
    ]
    assert [c.key for c in columns_of(RuleSet.TT58, periods=104)][:4] == ["tx1", "tx2", "tx3", "dk1"]


@pytest.mark.parametrize("rule_set", [RuleSet.TT27, RuleSet.TT30])
@pytest.mark.parametrize(
    ("grade", "subject", "expected"),
    [
        (4, "toan", ["level_gk", "level_ck", "test_gk", "test_ck"]),
        (5, "tieng-viet", ["level_gk", "level_ck", "test_gk", "test_ck"]),
        (3, "toan", ["level_gk", "level_ck", "test_ck"]),  # mid-term tests only in grades 4–5
        (1, "tieng-viet", ["level_gk", "level_ck", "test_ck"]),
        (5, "khoa-hoc", ["level_gk", "level_ck", "test_ck"]),
        (4, "ls-dl-tieu-hoc", ["level_gk", "level_ck", "test_ck"]),
        (3, "ngoai-ngu-1", ["level_gk", "level_ck", "test_ck"]),
        (3, "tin-hoc-cong-nghe", ["level_gk", "level_ck", "test_ck"]),
        (4, "dao-duc", ["level_gk", "level_ck"]),
        (2, "gdtc", ["level_gk", "level_ck"]),
    ],
)
def test_primary_sheets(rule_set, grade, subject, expected):
    for semester in (1, 2):
        columns = columns_of(rule_set, assessment="comment", grade=grade, subject=subject, semester=semester)
        assert [c.key for c in columns] == expected


def test_primary_column_details():
    columns = {c.key: c for c in columns_of(RuleSet.TT27, grade=4, subject="toan")}
    assert columns["level_gk"] == Column("level_gk", "Mức GK", CellKind.LEVEL, 0, True)
    assert columns["level_ck"] == Column("level_ck", "Mức CK", CellKind.LEVEL, 0, True)
    assert columns["test_gk"] == Column("test_gk", "KTĐK GK", CellKind.TEST, 0, False)
    assert columns["test_ck"] == Column("test_ck", "KTĐK CK", CellKind.TEST, 0, True)
    assert set(PRIMARY_TESTED_SUBJECTS) == {
        "tieng-viet",
        "toan",
        "ngoai-ngu-1",
        "ls-dl-tieu-hoc",
        "khoa-hoc",
        "tin-hoc-cong-nghe",
    }


def test_no_grade_no_columns():
    assert columns_of(RuleSet.NONE) == ()


@pytest.mark.parametrize(("assessment", "semester"), [("points", 1), ("scored", 3), ("scored", 0)])
def test_sheet_columns_rejects_bad_arguments(assessment, semester):
    with pytest.raises(ValueError):
        columns_of(RuleSet.TT22, assessment=assessment, semester=semester)


def test_columns_are_frozen():
    column = columns_of(RuleSet.TT22)[0]
    with pytest.raises(AttributeError):
        column.weight = 5


# --- subject averages -----------------------------------------------------------------------------


def test_semester_average_worked_example():
    # ĐĐGtx 5.9, 5.1, 4.9; ĐĐGgk 6.2; ĐĐGck 5.2 → 43.9 / 8 = 5.4875 → 5.5
    assert semester_average([D("5.9"), D("5.1"), D("4.9")], [D("6.2")], D("5.2")) == D("5.5")


@pytest.mark.parametrize(
    ("regular", "midterms", "final", "expected"),
    [
        # 66.0 / 8 = 8.25 exactly: half-up gives 8.3 where round(66.0 / 8, 1) == 8.2
        (["8", "8", "8"], ["8.4"], "8.4", "8.3"),
        # 9.2 / 8 = 1.15 exactly; the double nearest 1.15 is below it, round() gives 1.1
        (["0", "0", "0"], ["1.0"], "2.4", "1.2"),
        (["10", "10"], ["10"], "10", "10.0"),
        (["0", "0"], ["0"], "0", "0.0"),
        (["7", "8"], ["6"], "9", "7.7"),  # 54 / 7 = 7.714…
        (["7", "8", "9", "10"], ["6"], "5", "6.8"),  # 61 / 9 = 6.777…
        # TT58: two định kỳ tests → denominator n + 2·2 + 3
        (["8", "7", "9"], ["6", "8"], "7", "7.3"),  # 73 / 10
        (["8", "7", "9"], ["6"], "7", "7.1"),  # 57 / 8 = 7.125
        (["6"], [], "7", "6.8"),  # 27 / 4 = 6.75
    ],
)
def test_semester_average(regular, midterms, final, expected):
    result = semester_average([D(v) for v in regular], [D(v) for v in midterms], D(final))
    assert result == D(expected)
    assert result.as_tuple().exponent == -1


def test_the_float_trap_is_real():
    """The cases above really differ in binary floating point (this is what the module guards against)."""
    assert round(66.0 / 8, 1) == 8.2
    assert round(9.2 / 8, 1) == 1.1


@pytest.mark.parametrize(
    ("regular", "midterms", "final"),
    [([D("10.5")], [D(5)], D(5)), ([D(5)], [D(-1)], D(5)), ([D(5)], [D(5)], D("NaN"))],
)
def test_semester_average_rejects_off_scale(regular, midterms, final):
    with pytest.raises(ValueError):
        semester_average(regular, midterms, final)


one_decimal = st.integers(min_value=0, max_value=100).map(lambda n: D(n).scaleb(-1))


@given(
    regular=st.lists(one_decimal, max_size=6),
    midterms=st.lists(one_decimal, max_size=3),
    final=one_decimal,
)
def test_semester_average_property(regular, midterms, final):
    result = semester_average(regular, midterms, final)
    entered = [*regular, *midterms, final]
    assert min(entered) <= result <= max(entered)
    exact = Fraction(sum(regular, D(0)) + 2 * sum(midterms, D(0)) + 3 * final) / (len(regular) + 2 * len(midterms) + 3)
    assert result == exact_half_up(exact)


@pytest.mark.parametrize(
    ("sem1", "sem2", "expected"),
    [
        ("8.3", "8.0", "8.1"),  # 24.3 / 3
        ("5.0", "5.0", "5.0"),
        ("4.8", "5.1", "5.0"),  # 15.0 / 3
        ("4.7", "5.1", "5.0"),  # 14.9 / 3 = 4.966…
        ("4.6", "5.1", "4.9"),  # 14.8 / 3 = 4.933…
        ("10", "0", "3.3"),
        ("0", "10", "6.7"),
        (None, "7.4", "7.4"),  # a subject taught only in semester II
        (None, "7", "7.0"),
    ],
)
def test_year_average(sem1, sem2, expected):
    assert year_average(None if sem1 is None else D(sem1), D(sem2)) == D(expected)


def test_year_average_uses_the_rounded_semester_averages():
    # semester I exactly 8.25 (66.0 / 8): rounded half-up to 8.3 before the year average
    assert year_average(D("8.25"), D("3.3")) == year_average(D("8.3"), D("3.3")) == D("5.0")


def test_year_average_float_trap_crosses_the_retest_bar():
    """Semester I: ĐĐGtx 8, 8, 8; ĐĐGgk 8.4; ĐĐGck 8.4 → 66.0 / 8 = 8.25 → 8.3; semester II 3.3.

    In floats the semester average rounds to 8.2 and the year to 4.9 — below 5.0, a re-test; half-up gives 5.0."""
    sem1 = semester_average([D(8), D(8), D(8)], [D("8.4")], D("8.4"))
    assert sem1 == D("8.3")
    assert year_average(sem1, D("3.3")) == D("5.0")
    float_sem1 = round((8 + 8 + 8 + 2 * 8.4 + 3 * 8.4) / 8, 1)
    assert float_sem1 == 8.2
    assert round((float_sem1 + 2 * 3.3) / 3, 1) == 4.9


def test_year_average_is_exact_for_every_pair_of_semester_averages():
    """(I + 2·II) / 3 of one-decimal values is k/30: never an exact .x5 tie, and always the exact half-up value."""
    for first in range(101):
        for second in range(101):
            sem1, sem2 = D(first).scaleb(-1), D(second).scaleb(-1)
            assert year_average(sem1, sem2) == exact_half_up((Fraction(sem1) + 2 * Fraction(sem2)) / 3)


# --- averages and comment results from the grade-book cells ----------------------------------------

TT22_70 = columns_of(RuleSet.TT22, periods=70)  # tx1..tx3, gk, ck
TT58_70 = columns_of(RuleSet.TT58, periods=70)  # tx1..tx3, dk1, dk2 (optional), ck
WORKED = {"tx1": "5.9", "tx2": "5.1", "tx3": "4.9", "gk": "6.2", "ck": "5.2"}


@pytest.mark.parametrize(
    ("columns", "cells", "expected"),
    [
        (TT22_70, WORKED, D("5.5")),
        (TT22_70, {**WORKED, "tx2": None}, None),
        (TT22_70, {**WORKED, "tx2": "  "}, None),
        (TT22_70, {k: v for k, v in WORKED.items() if k != "ck"}, None),
        (TT22_70, {**WORKED, "extra": "1"}, D("5.5")),  # cells of no column are ignored
        (TT58_70, {"tx1": "8", "tx2": "7", "tx3": "9", "dk1": "6", "dk2": None, "ck": "7"}, D("7.1")),
        (TT58_70, {"tx1": "8", "tx2": "7", "tx3": "9", "dk1": "6", "dk2": "8", "ck": "7"}, D("7.3")),
        (TT58_70, {"tx1": "8", "tx2": "7", "tx3": "9", "dk2": "8", "ck": "7"}, None),  # dk1 is required
    ],
)
def test_semester_average_from_cells(columns, cells, expected):
    assert semester_average_from_cells(columns, cells) == expected


def test_semester_average_from_cells_needs_a_scored_sheet():
    with pytest.raises(ValueError):
        semester_average_from_cells(columns_of(RuleSet.TT22, assessment="comment"), {"ck": "Đ"})
    with pytest.raises(ValueError):
        semester_average_from_cells(TT22_70, {**WORKED, "gk": "6,2"})  # not a canonical cell


COMMENTS_70 = columns_of(RuleSet.TT22, assessment="comment", periods=70, subject="gdtc")
ALL_PASSED = dict.fromkeys(["tx1", "tx2", "tx3", "gk", "ck"], "Đ")


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (ALL_PASSED, True),
        ({**ALL_PASSED, "tx2": "CĐ"}, False),
        ({**ALL_PASSED, "ck": "CĐ"}, False),
        ({**ALL_PASSED, "gk": None}, False),  # a required assessment missing → Chưa đạt
        ({"tx1": "Đ"}, False),
        ({"tx1": "CĐ"}, False),
        ({}, None),
        (dict.fromkeys(ALL_PASSED, None), None),
        (dict.fromkeys(ALL_PASSED, " "), None),
        ({**ALL_PASSED, "tx1": "đạt", "gk": unicodedata.normalize(NFD, "Đạt")}, True),
    ],
)
def test_comment_result(cells, expected):
    assert comment_result(COMMENTS_70, cells) is expected


def test_comment_result_optional_column():
    columns = columns_of(RuleSet.TT58, assessment="comment", periods=35)  # tx1, tx2, dk1, dk2 (optional), ck
    cells = {"tx1": "Đ", "tx2": "Đ", "dk1": "Đ", "ck": "Đ"}
    assert comment_result(columns, cells) is True
    assert comment_result(columns, {**cells, "dk2": "CĐ"}) is False


def test_missing_cells():
    assert missing_cells(COMMENTS_70, {"tx1": "Đ", "tx3": " "}) == ("tx2", "tx3", "gk", "ck")
    assert missing_cells(TT22_70, WORKED) == ()
    assert missing_cells(TT58_70, {"tx1": "8", "tx2": "7", "tx3": "9", "dk1": "6", "ck": "7"}) == ()


@pytest.mark.parametrize(("sem1", "sem2"), [(True, True), (False, True), (True, False), (None, None)])
def test_year_comment_result_is_semester_two(sem1, sem2):
    assert year_comment_result(sem1, sem2) is sem2


# --- TT22 learning result -------------------------------------------------------------------------

ALL_D = {"gdtc": True, "hdtn": True, "gddp": True}


@pytest.mark.parametrize(
    ("scored", "comments", "expected"),
    [
        # Tốt: every score ≥ 6.5, at least 6 ≥ 8.0, every comment Đạt
        (scores(*["8.0"] * 6, "6.5", "6.5"), ALL_D, G),
        (scores(*["8.0"] * 6), {}, G),  # exactly 6 subjects at the bar
        (scores(*["8.0"] * 5, "7.9", "7.9", "7.9"), ALL_D, K),  # only 5 ≥ 8.0
        (scores(*["10"] * 5, "7.9"), ALL_D, K),  # 7.9 / 8.0 edge
        (scores(*["8.0"] * 6, "6.4"), ALL_D, K),  # 6.4 / 6.5 edge
        # Khá: every score ≥ 5.0, at least 6 ≥ 6.5
        (scores(*["6.5"] * 6, "5.0"), ALL_D, K),
        (scores(*["6.5"] * 5, "6.4", "6.4"), ALL_D, P),  # only 5 ≥ 6.5
        (scores(*["6.5"] * 6, "4.9"), ALL_D, P),  # 4.9 / 5.0 edge (removing it gives only Khá: one level)
        # Đạt: at least 6 ≥ 5.0, none < 3.5, at most one comment Chưa đạt
        (scores(*["5.0"] * 6, "3.5"), ALL_D, P),
        (scores(*["5.0"] * 6, "3.4"), ALL_D, F),  # 3.4 / 3.5 edge
        (scores(*["5.0"] * 6), ALL_D, P),
        (scores(*["5.0"] * 5, "4.9", "4.9"), ALL_D, F),  # only 5 ≥ 5.0
        (scores(*["5.0"] * 6), {**ALL_D, "gdtc": False}, P),  # one Chưa đạt allowed
        (scores(*["5.0"] * 6), {"gdtc": False, "hdtn": False}, F),
        # 5 subjects can reach no bar, whatever the scores
        (scores(*["10"] * 5), ALL_D, F),
        ({}, {}, F),
    ],
)
def test_learning_level_table(scored, comments, expected):
    assert learning_level(scored, comments) == expected


@pytest.mark.parametrize(
    ("scored", "comments", "expected"),
    [
        # raised: Tốt without "toan", but Chưa đạt with it (3.0 < 3.5) → three levels → raised one, to Đạt
        ({**scores(*["9.0"] * 7), "toan": D("3.0")}, ALL_D, (P, F, "toan")),
        # raised: Tốt without "toan", Đạt with it (4.0 < 5.0) → two levels → Khá
        ({**scores(*["8.5"] * 7), "toan": D("4.0")}, ALL_D, (K, P, "toan")),
        # raised: one comment subject Chưa đạt drops Tốt to Đạt → Khá, the comment subject reported
        (scores(*["9.0"] * 6), {**ALL_D, "gdtc": False}, (K, P, "gdtc")),
        # one level below: Khá with the subject, Tốt without → not raised
        ({**scores(*["8.5"] * 7), "toan": D("6.0")}, ALL_D, (K, K, None)),
        (scores(*["6.5"] * 6), {**ALL_D, "gdtc": False}, (P, P, None)),
        # removing the dragging subject gives only one level better (Khá, 5 at 8.0) → not raised
        ({**scores(*["8.0"] * 5, "7.0"), "toan": D("4.5")}, ALL_D, (P, P, None)),
        # counts over the remaining subjects: without "toan" only 5 subjects are left → no better level
        ({**scores(*["9.0"] * 5), "toan": D("3.0")}, ALL_D, (F, F, None)),
        # two subjects drag the level down: removing either one still leaves a score below 3.5 → not raised
        ({**scores(*["9.0"] * 6), "toan": D("3.0"), "van": D("3.0")}, ALL_D, (F, F, None)),
        # two comment subjects Chưa đạt: removing one leaves Đạt (one level) → not raised
        (scores(*["9.0"] * 6), {"gdtc": False, "hdtn": False}, (F, F, None)),
        # no adjustment needed
        (scores(*["9.0"] * 6), ALL_D, (G, G, None)),
    ],
)
def test_learning_level_art_9_3_adjustment(scored, comments, expected):
    assert learning_level_explained(scored, comments) == expected
    assert learning_level(scored, comments) == expected[0]


def test_exempted_subject_changes_the_counts():
    """An exemption is the subject's absence from the mappings: it counts towards no bar."""
    scored = scores(*["8.0"] * 6, "7.0", "7.0")
    assert learning_level(scored, ALL_D) == G
    exempted = {k: v for k, v in scored.items() if k != "m1"}  # 5 subjects ≥ 8.0 left
    assert learning_level(exempted, ALL_D) == K
    dragging = {**scored, "cong-nghe": D("6.4")}
    assert learning_level(dragging, ALL_D) == K
    assert learning_level(scored, ALL_D) == G  # exempted from "cong-nghe"
    assert learning_level(scored, {**ALL_D, "gdtc": False}) == K  # raised from Đạt by Art. 9.3
    assert learning_level(scored, {"hdtn": True, "gddp": True}) == G  # exempted from "gdtc"


@pytest.mark.parametrize(
    ("scored", "comments", "error"),
    [
        ({"m1": D("10.1")}, {}, ValueError),
        ({"m1": D(-1)}, {}, ValueError),
        ({"m1": 8.0}, {}, TypeError),
        ({}, {"gdtc": "Đ"}, TypeError),
        ({"gdtc": D(8)}, {"gdtc": True}, ValueError),  # a subject cannot be both
    ],
)
def test_learning_level_rejects_bad_input(scored, comments, error):
    with pytest.raises(error):
        learning_level(scored, comments)


# --- conduct, promotion, re-tests, titles ---------------------------------------------------------


@pytest.mark.parametrize(
    ("sem1", "sem2", "expected"),
    [
        (G, G, G),
        (K, G, G),
        (P, G, K),
        (F, G, K),
        (G, K, K),
        (K, K, K),
        (P, K, K),
        (F, K, P),
        (G, P, K),
        (K, P, P),
        (P, P, P),
        (F, P, P),
        (G, F, F),
        (K, F, F),
        (P, F, F),
        (F, F, F),
    ],
)
def test_year_conduct_all_sixteen_pairs(sem1, sem2, expected):
    assert year_conduct(sem1, sem2) == expected
    assert year_conduct(sem1.value, sem2.value) == expected  # stored strings work too


def test_year_conduct_rejects_unknown_levels():
    with pytest.raises(ValueError):
        year_conduct("xuat_sac", G)


@pytest.mark.parametrize(
    ("conduct", "learning", "absences", "kwargs", "expected"),
    [
        (G, G, 0, {}, Outcome.PROMOTED),
        (P, P, 45, {}, Outcome.PROMOTED),  # 45 sessions is still allowed
        (P, P, 46, {}, Outcome.REPEAT),
        (G, G, 46, {}, Outcome.REPEAT),
        (G, G, 45, {"final_grade": True}, Outcome.COMPLETED),
        (G, G, 46, {"final_grade": True}, Outcome.REPEAT),
        (F, G, 0, {}, Outcome.SUMMER_TRAINING),
        (F, G, 0, {"after_summer": True}, Outcome.REPEAT),
        (G, F, 0, {}, Outcome.RETEST),
        (G, F, 0, {"after_summer": True}, Outcome.REPEAT),
        (F, F, 0, {}, Outcome.SUMMER_TRAINING),  # conduct training comes before re-tests
        (F, F, 46, {}, Outcome.REPEAT),  # absences first
        (P, P, 0, {"after_summer": True}, Outcome.PROMOTED),  # passed after the summer
        (P, P, 0, {"after_summer": True, "final_grade": True}, Outcome.COMPLETED),
        (K, P, 0, {"final_grade": True}, Outcome.COMPLETED),
    ],
)
def test_promotion(conduct, learning, absences, kwargs, expected):
    assert promotion(conduct, learning, absences, **kwargs) == expected


def test_promotion_rejects_bad_absences():
    assert ABSENCE_LIMIT == 45
    with pytest.raises(ValueError):
        promotion(G, G, -1)
    with pytest.raises(ValueError):
        promotion(G, G, 4.5)


def test_retest_subjects():
    scored = {"toan": D("4.9"), "van": D("5.0"), "ly": D("3.0"), "hoa": D("9")}
    comments = {"gdtc": False, "hdtn": True}
    assert retest_subjects(scored, comments) == ["gdtc", "ly", "toan"]
    assert retest_subjects({"toan": D("5.0")}, {"gdtc": True}) == []


def test_apply_retests_and_recompute():
    scored = {**scores(*["6.0"] * 6), "toan": D("3.4")}
    comments = {"gdtc": False, "hdtn": True}
    assert learning_level(scored, comments) == F
    assert retest_subjects(scored, comments) == ["gdtc", "toan"]
    new_scored, new_comments = apply_retests(scored, comments, {"toan": D("5.0")}, {"gdtc": True})
    assert new_scored == {**scored, "toan": D("5.0")}
    assert new_comments == {"gdtc": True, "hdtn": True}
    assert learning_level(new_scored, new_comments) == P
    assert scored["toan"] == D("3.4")  # the inputs are not changed
    # a lower re-test result still replaces the year result
    assert apply_retests(scored, comments, {"toan": D("2.0")}, {})[0]["toan"] == D("2.0")


@pytest.mark.parametrize(
    ("retest_scored", "retest_comments"),
    [
        ({"m1": D(7)}, {}),  # m1 was not failed
        ({}, {"hdtn": True}),  # hdtn was Đạt
        ({"ly": D(7)}, {}),  # not a subject of the student
        ({"gdtc": D(7)}, {}),  # a comment subject re-tested with a score
    ],
)
def test_apply_retests_rejects_subjects_not_failed(retest_scored, retest_comments):
    scored = {**scores(*["6.0"] * 6), "toan": D("3.4")}
    with pytest.raises(ValueError):
        apply_retests(scored, {"gdtc": False, "hdtn": True}, retest_scored, retest_comments)


@pytest.mark.parametrize(
    ("conduct", "learning", "scored", "expected"),
    [
        (G, G, scores(*["9.0"] * 6), Title.EXCELLENT),
        (G, G, scores(*["9.0"] * 6, "6.5"), Title.EXCELLENT),
        (G, G, scores(*["9.0"] * 5, "8.9"), Title.GOOD),  # 8.9 / 9.0 edge: 5 at 9.0
        (G, G, scores(*["9.0"] * 5, "8.0", "8.0"), Title.GOOD),
        (K, G, scores(*["10"] * 8), None),
        (G, K, scores(*["10"] * 8), None),
        (P, P, scores(*["10"] * 8), None),
    ],
)
def test_title(conduct, learning, scored, expected):
    assert title(conduct, learning, scored) == expected


# --- primary --------------------------------------------------------------------------------------

T_ALL = {"tieng-viet": "T", "toan": "T", "dao-duc": "T", "gdtc": "T"}
QUALITY_KEYS = [key for key, _ in QUALITIES + COMPETENCIES]
TOT_ALL = dict.fromkeys(QUALITY_KEYS, "tot")


def marks(tv: int, toan: int) -> dict[str, int]:
    return {"tieng-viet": tv, "toan": toan}


@pytest.mark.parametrize(
    ("subjects", "qualities", "tests", "expected"),
    [
        # Hoàn thành xuất sắc: all T, all Tốt, tests ≥ 9
        (T_ALL, TOT_ALL, marks(9, 10), PrimaryResult.EXCELLENT),
        (T_ALL, TOT_ALL, marks(10, 10), PrimaryResult.EXCELLENT),
        (T_ALL, TOT_ALL, {}, PrimaryResult.EXCELLENT),  # no tested subject
        # Hoàn thành tốt: all T, all Tốt, tests ≥ 7 (test 8 vs 9)
        (T_ALL, TOT_ALL, marks(8, 10), PrimaryResult.GOOD),
        (T_ALL, TOT_ALL, marks(7, 9), PrimaryResult.GOOD),
        # Hoàn thành: T or H, Tốt or Đạt, tests ≥ 5 (test 6 vs 7)
        (T_ALL, TOT_ALL, marks(6, 10), PrimaryResult.DONE),
        (T_ALL, TOT_ALL, marks(5, 5), PrimaryResult.DONE),
        (T_ALL, {**TOT_ALL, "trung_thuc": "dat"}, marks(10, 10), PrimaryResult.DONE),  # one quality Đạt
        (T_ALL, {**TOT_ALL, "tin_hoc": "dat"}, marks(10, 10), PrimaryResult.DONE),  # one competency Đạt
        ({**T_ALL, "gdtc": "H"}, TOT_ALL, marks(10, 10), PrimaryResult.DONE),
        (dict.fromkeys(T_ALL, "H"), dict.fromkeys(QUALITY_KEYS, "dat"), marks(5, 5), PrimaryResult.DONE),
        # Chưa hoàn thành (test 4 vs 5)
        (T_ALL, TOT_ALL, marks(4, 10), PrimaryResult.NOT_DONE),
        (T_ALL, TOT_ALL, marks(10, 0), PrimaryResult.NOT_DONE),
        ({**T_ALL, "toan": "C"}, TOT_ALL, marks(10, 10), PrimaryResult.NOT_DONE),
        (T_ALL, {**TOT_ALL, "cham_chi": "can_co_gang"}, marks(10, 10), PrimaryResult.NOT_DONE),
        (T_ALL, {**TOT_ALL, "the_chat": "can_co_gang"}, marks(10, 10), PrimaryResult.NOT_DONE),
    ],
)
def test_primary_year_result(subjects, qualities, tests, expected):
    assert primary_year_result(subjects, qualities, tests) == expected


def test_primary_year_result_takes_enum_members():
    subjects = dict.fromkeys(T_ALL, PrimaryLevel.GOOD)
    qualities = dict.fromkeys(QUALITY_KEYS, QualityLevel.GOOD)
    assert primary_year_result(subjects, qualities, marks(9, 9)) == PrimaryResult.EXCELLENT


@pytest.mark.parametrize(
    ("subjects", "qualities", "tests"),
    [
        ({}, TOT_ALL, {}),
        ({"toan": "X"}, TOT_ALL, {}),
        (T_ALL, {"yeu_nuoc": "kha"}, {}),
        (T_ALL, TOT_ALL, {"toan": 11}),
        (T_ALL, TOT_ALL, {"toan": -1}),
        (T_ALL, TOT_ALL, {"toan": 7.5}),
        (T_ALL, TOT_ALL, {"toan": D(7)}),
    ],
)
def test_primary_year_result_rejects_bad_input(subjects, qualities, tests):
    with pytest.raises(ValueError):
        primary_year_result(subjects, qualities, tests)


@pytest.mark.parametrize(
    ("result", "completes", "expected_title"),
    [
        (PrimaryResult.EXCELLENT, True, Title.EXCELLENT),
        (PrimaryResult.GOOD, True, None),  # "Học sinh tiêu biểu" is a class vote, not computed
        (PrimaryResult.DONE, True, None),
        (PrimaryResult.NOT_DONE, False, None),
        ("htxs", True, Title.EXCELLENT),
    ],
)
def test_primary_completion_and_title(result, completes, expected_title):
    assert primary_completes_grade(result) is completes
    assert primary_title(result) == expected_title


def test_qualities_and_competencies():
    assert [key for key, _ in QUALITIES] == ["yeu_nuoc", "nhan_ai", "cham_chi", "trung_thuc", "trach_nhiem"]
    assert [key for key, _ in COMPETENCIES] == [
        "tu_chu_tu_hoc",
        "giao_tiep_hop_tac",
        "giai_quyet_van_de",
        "ngon_ngu",
        "tinh_toan",
        "khoa_hoc",
        "cong_nghe",
        "tin_hoc",
        "tham_mi",
        "the_chat",
    ]
    assert qualities_for(RuleSet.TT27) == QUALITIES + COMPETENCIES
    assert len(qualities_for(RuleSet.TT30)) == 7  # 4 former qualities + 3 former competencies
    assert qualities_for(RuleSet.TT22) == ()


# --- legacy secondary (TT58/2011, TT26/2020) -------------------------------------------------------

Gi, Kh, Tb, Ye, Ke = (
    LegacyLearning.GOOD,
    LegacyLearning.FAIR,
    LegacyLearning.AVERAGE,
    LegacyLearning.WEAK,
    LegacyLearning.POOR,
)


def legacy(toan: str, van: str, *others: str) -> dict[str, Decimal]:
    return {"toan": D(toan), "ngu-van": D(van), **scores(*others)}


@pytest.mark.parametrize(
    ("scored", "expected"),
    [
        ({"a": D("8.0"), "b": D("8.5")}, D("8.3")),  # 8.25 half-up
        ({"a": D("5"), "b": D("6"), "c": D("6")}, D("5.7")),
        ({"a": D("7.4")}, D("7.4")),
    ],
)
def test_legacy_overall_average(scored, expected):
    assert legacy_overall_average(scored) == expected


def test_legacy_overall_average_needs_subjects():
    with pytest.raises(ValueError):
        legacy_overall_average({})


PASS_ALL = {"the-duc": True, "am-nhac": True}


@pytest.mark.parametrize(
    ("scored", "comments", "expected"),
    [
        # Giỏi: average ≥ 8.0, Toán or Ngữ văn ≥ 8.0, none below 6.5, comments all Đ
        (legacy("8.0", "8.0", "8.0", "8.0"), PASS_ALL, Gi),
        (legacy("9.0", "6.5", "8.5", "8.0"), PASS_ALL, Gi),  # one core subject is enough; 6.5 allowed
        (legacy("8.0", "8.0", "8.0", "7.8"), PASS_ALL, Gi),  # average 31.8 / 4 = 7.95 → 8.0 (rounded first)
        (legacy("7.9", "7.9", "7.9", "7.9"), PASS_ALL, Kh),  # average 7.9
        (legacy("7.9", "7.9", "9.0", "9.0"), PASS_ALL, Kh),  # average 8.45 but no core subject ≥ 8.0
        (legacy("9.0", "9.0", "9.0", "6.4"), PASS_ALL, Kh),  # 6.4 below the Giỏi floor: no adjustment
        # Khá: ≥ 6.5, core ≥ 6.5, none below 5.0
        (legacy("7.0", "7.0", "7.0", "5.0"), {}, Kh),  # average 6.5, 5.0 allowed
        (legacy("7.0", "7.0", "7.0", "4.9"), {}, Tb),  # 4.9 / 5.0 edge; Khá→Trung bình is not adjusted
        (legacy("6.5", "6.5", "6.5", "5.0"), {}, Tb),  # average 6.125 → 6.1
        (legacy("6.5", "6.5", "6.5", "6.5"), {}, Kh),
        (legacy("6.4", "6.4", "7.0", "7.0"), {}, Tb),  # average 6.7 but no core ≥ 6.5
        (legacy("6.4", "6.4", "6.4", "6.4"), {}, Tb),
        # Trung bình: ≥ 5.0, core ≥ 5.0, none below 3.5
        (legacy("5.0", "5.0", "5.0", "5.0"), PASS_ALL, Tb),
        (legacy("5.0", "4.0", "5.5", "5.5"), PASS_ALL, Tb),
        (legacy("4.9", "4.9", "4.9", "4.9"), PASS_ALL, Ye),
        (legacy("4.9", "4.9", "6.0", "6.0"), PASS_ALL, Ye),  # no core subject ≥ 5.0
        (legacy("5.5", "5.5", "5.5", "3.4"), PASS_ALL, Ye),  # 3.4 / 3.5 edge
        (legacy("5.5", "5.5", "5.5", "5.5"), {"the-duc": False}, Ye),  # comment CĐ (average only Trung bình)
        # Yếu: ≥ 3.5, none below 2.0; else Kém
        (legacy("3.5", "3.5", "3.5", "3.5"), {}, Ye),
        (legacy("3.4", "3.4", "3.4", "3.4"), {}, Ke),
        (legacy("5.0", "5.0", "5.0", "1.9"), {}, Ke),  # average 4.2, a subject below 2.0
        (legacy("5.0", "5.0", "5.0", "2.0"), {}, Ye),
    ],
)
def test_legacy_learning_table(scored, comments, expected):
    assert legacy_learning(scored, comments) == expected


def test_legacy_average_edge_is_rounded_first():
    # 31.8 / 4 = 7.95 → 8.0: the rounded average reaches Giỏi
    assert legacy_overall_average(legacy("8.0", "8.0", "8.0", "7.8")) == D("8.0")


@pytest.mark.parametrize(
    ("scored", "comments", "expected"),
    [
        # (a) Giỏi average, one subject between 3.5 and 5.0 → Trung bình → Khá
        (legacy("9.5", "9.5", "9.5", "9.5", "9.5", "9.5", "4.0"), PASS_ALL, Kh),
        # (b) Giỏi average, one subject between 2.0 and 3.5 → Yếu → Trung bình
        (legacy("9.5", "9.5", "9.5", "9.5", "9.5", "9.5", "3.0"), PASS_ALL, Tb),
        # (b) Giỏi scores, one comment subject CĐ → Yếu → Trung bình
        (legacy("9.5", "9.5", "9.5", "9.5"), {**PASS_ALL, "the-duc": False}, Tb),
        # (c) Khá average, one subject between 2.0 and 3.5 → Yếu → Trung bình
        (legacy("7.5", "7.5", "7.5", "7.5", "7.5", "7.5", "3.0"), PASS_ALL, Tb),
        # (d) Khá average, one subject below 2.0 → Kém → Yếu
        (legacy("7.5", "7.5", "7.5", "7.5", "7.5", "7.5", "1.5"), PASS_ALL, Ye),
        # Giỏi average, one subject below 2.0: Giỏi→Kém has no rule, Khá→Kém does → Yếu
        (legacy("9.5", "9.5", "9.5", "9.5", "9.5", "9.5", "1.5"), PASS_ALL, Ye),
    ],
)
def test_legacy_learning_adjustments(scored, comments, expected):
    assert legacy_learning(scored, comments) == expected


@pytest.mark.parametrize(
    ("scored", "comments", "expected"),
    [
        # two subjects drag: no adjustment
        (legacy("9.5", "9.5", "9.5", "9.5", "9.5", "9.5", "4.0", "4.0"), PASS_ALL, Tb),
        (legacy("9.5", "9.5", "9.5", "9.5", "9.5", "9.5", "4.0"), {"the-duc": False}, Ye),
        # Giỏi average but neither core subject ≥ 8.0: only the Khá rule could apply, and Khá→Trung bình has none
        (legacy("7.9", "7.9", "9.5", "9.5", "9.5", "9.5", "4.0"), PASS_ALL, Tb),
        # Khá→Trung bình is not adjusted
        (legacy("7.5", "7.5", "7.5", "7.5", "7.5", "7.5", "4.0"), PASS_ALL, Tb),
        # the average reaches only Trung bình: nothing to adjust
        (legacy("5.5", "5.5", "5.5", "5.5", "3.0"), PASS_ALL, Ye),
    ],
)
def test_legacy_learning_not_adjusted(scored, comments, expected):
    assert legacy_learning(scored, comments) == expected


def test_legacy_core_subjects():
    scored = scores("8.0", "8.0", "8.0")
    with pytest.raises(ValueError):
        legacy_learning(scored, {})  # neither Toán nor Ngữ văn
    assert legacy_learning(scored, {}, core=()) == Gi
    assert legacy_learning({**scored, "toan": D("8.0")}, {}) == Gi  # Ngữ văn absent, Toán enough
    assert legacy_learning(scored, {}, core=("m1",)) == Gi


def test_legacy_conduct_labels():
    assert LegacyConduct.AVERAGE.label == "Trung bình"
    assert LegacyLearning.POOR.label == "Kém"


# --- labels ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "choices",
    [
        RuleSet,
        CellKind,
        Level,
        Outcome,
        Title,
        PrimaryLevel,
        QualityLevel,
        PrimaryResult,
        LegacyConduct,
        LegacyLearning,
    ],
)
def test_labels_are_nfc(choices):
    for label in choices.labels:
        assert unicodedata.is_normalized("NFC", label)


def test_quality_and_column_labels_are_nfc():
    labels = [label for _, label in QUALITIES + COMPETENCIES + qualities_for(RuleSet.TT30)]
    labels += [c.label for c in columns_of(RuleSet.TT58) + columns_of(RuleSet.TT22) + columns_of(RuleSet.TT27)]
    assert all(unicodedata.is_normalized("NFC", label) for label in labels)


# --- the fast Art. 9.3 search agrees with the plain one ---------------------------------------------


def _explained_plainly(scored, comments):
    """Art. 9.3 as the docstring states it: the level of the others, each subject left out in turn."""
    from students.rules import LEVEL_RANK, LEVELS_BY_RANK, _tt22_level

    computed = _tt22_level(list(scored.values()), list(comments.values()))
    best, trigger = computed, None
    for key in sorted([*scored, *comments]):
        level = _tt22_level([v for k, v in scored.items() if k != key], [v for k, v in comments.items() if k != key])
        if LEVEL_RANK[level] > LEVEL_RANK[best]:
            best, trigger = level, key
    if LEVEL_RANK[best] - LEVEL_RANK[computed] >= 2:
        return LEVELS_BY_RANK[LEVEL_RANK[computed] + 1], computed, trigger
    return computed, computed, None


_tenths = st.integers(min_value=0, max_value=100).map(lambda n: Decimal(n) / 10)


@settings(max_examples=400, deadline=None)
@given(
    scored=st.lists(_tenths, min_size=0, max_size=11),
    comments=st.lists(st.booleans(), min_size=0, max_size=5),
)
def test_fast_adjustment_search_matches_the_plain_one(scored, comments):
    scored_map = {f"s{i:02d}": v for i, v in enumerate(scored)}
    comment_map = {f"c{i:02d}": v for i, v in enumerate(comments)}
    assert learning_level_explained(scored_map, comment_map) == _explained_plainly(scored_map, comment_map)
