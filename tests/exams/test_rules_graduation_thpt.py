"""The THPT graduation score (``exams.rules.graduation_score``, ``graduation_formula``) and the choice of the four
tests it counts (``exams.services.graduation_thpt.formula_tests``, ``subject_key``), table-driven, with the
worked examples computed by hand in the comments. Pure functions: no database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exams import rules
from exams.services.graduation_thpt import formula_tests, subject_key

D = Decimal
AVG_2025 = {10: "7.0", 11: "7.5", 12: "8.0"}  # record (7.0×1 + 7.5×2 + 8.0×3)/6 = 46/6 = 7.666… → 7.67


def _d(values):
    return [None if v is None else D(v) for v in values]


# --- the formula by the exam's calendar year ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exam_year", "first_year", "exam_share", "weights", "bonus_counts"),
    [
        (2020, 2020, D("0.7"), {12: 1}, True),
        (2023, 2020, D("0.7"), {12: 1}, True),
        (2024, 2020, D("0.7"), {12: 1}, True),  # the last exam of TT15/2020
        (2025, 2025, D("0.5"), {10: 1, 11: 2, 12: 3}, False),  # TT24/2024 from the 2025 exam
        (2031, 2025, D("0.5"), {10: 1, 11: 2, 12: 3}, False),
    ],
)
def test_the_formula_follows_the_exam_year(exam_year, first_year, exam_share, weights, bonus_counts):
    formula = rules.graduation_formula(exam_year)
    assert (formula.first_year, formula.exam_share, dict(formula.record_weights), formula.bonus_counts) == (
        first_year,
        exam_share,
        weights,
        bonus_counts,
    )
    assert (formula.tests, formula.pass_mark, formula.fail_at) == (4, D("5.0"), D("1.0"))


def test_no_formula_before_2020():
    with pytest.raises(ValueError, match="2019"):
        rules.graduation_formula(2019)


# --- the graduation score -----------------------------------------------------------------------------------------

SCORES = [
    # (id, exam year, tests, year averages, priority, bonus, score, record, recognised, reasons)
    #
    # 2025: exam mean (6+7+5+8)/4 = 6.5; record 7.67 (AVG_2025);
    # 0.5×6.5 + 0.5×7.67 + 0.25 = 3.25 + 3.835 + 0.25 = 7.335 → 7.34 (half up)
    ("2025 worked example", 2025, ["6", "7", "5", "8"], AVG_2025, "0.25", "0", "7.34", "7.67", True, ()),
    # the 2025 formula has no bonus points: the same candidate with 1.0 bonus still has 7.34
    ("2025 bonus ignored", 2025, ["6", "7", "5", "8"], AVG_2025, "0.25", "1.0", "7.34", "7.67", True, ()),
    # a test of 1.0 fails whatever the score: mean (1+9+9+9)/4 = 7.0; record 8.0; 0.5×7 + 0.5×8 = 7.50
    ("2025 a test of 1.0", 2025, ["1", "9", "9", "9"], {10: 8, 11: 8, 12: 8}, "0", "0", "7.50", "8.00", False,
     ("fail_mark",)),
    # 1.25 is above the bar: mean (1.25+9+9+9)/4 = 7.0625; 0.5×7.0625 + 0.5×8 = 7.53125 → 7.53
    ("2025 a test of 1.25", 2025, ["1.25", "9", "9", "9"], {10: 8, 11: 8, 12: 8}, "0", "0", "7.53", "8.00", True,
     ()),
    # below 5: mean (3+4+4+5)/4 = 4.0; record 5.0; 0.5×4 + 0.5×5 = 4.50
    ("2025 below 5", 2025, ["3", "4", "4", "5"], {10: 5, 11: 5, 12: 5}, "0", "0", "4.50", "5.00", False,
     ("below",)),
    # exactly 5.00 passes
    ("2025 exactly 5", 2025, ["5", "5", "5", "5"], {10: 5, 11: 5, 12: 5}, "0", "0", "5.00", "5.00", True, ()),
    # priority lifts over the bar: 4.50 + 0.5 = 5.00
    ("2025 priority lifts", 2025, ["3", "4", "4", "5"], {10: 5, 11: 5, 12: 5}, "0.5", "0", "5.00", "5.00", True,
     ()),
    # half up, not half even: mean 6.25, record 7.00: 3.125 + 3.5 = 6.625 → 6.63
    ("2025 half up", 2025, ["6", "6", "6", "7"], {10: 7, 11: 7, 12: 7}, "0", "0", "6.63", "7.00", True, ()),
    # a missing test: no score, not recognised
    ("2025 missing test", 2025, ["6", "7", "5", None], AVG_2025, "0", "0", None, "7.67", False, ("absent",)),
    # no grade-10 average: no record, no score
    ("2025 no record", 2025, ["6", "7", "5", "8"], {11: 7, 12: 8}, "0", "0", None, None, False, ("no_record",)),
    # 2024 (TT15/2020): [(6+7+5+8 + 2 bonus)/4 × 7 + 8.0 × 3]/10 + 0.25 = (7×7 + 24)/10 + 0.25 = 7.30 + 0.25 = 7.55
    ("2024 with bonus", 2024, ["6", "7", "5", "8"], {12: "8.0"}, "0.25", "2", "7.55", "8.00", True, ()),
    # the same without bonus: (6.5×7 + 24)/10 = (45.5 + 24)/10 = 6.95; + 0.25 = 7.20
    ("2024 without bonus", 2024, ["6", "7", "5", "8"], {12: "8.0"}, "0.25", "0", "7.20", "8.00", True, ()),
    # 2024 reads grade 12 only: grades 10 and 11 missing is no problem
    ("2024 grade 12 only", 2024, ["5", "5", "5", "5"], {12: "5.0"}, "0", "0", "5.00", "5.00", True, ()),
    # 2024 below: (4×7 + 5×3)/10 = 4.30
    ("2024 below 5", 2024, ["4", "4", "4", "4"], {12: 5}, "0", "0", "4.30", "5.00", False, ("below",)),
    # 2020, the first exam of the formula: (8×7 + 6×3)/10 = 7.40
    ("2020", 2020, ["8", "8", "8", "8"], {12: 6}, "0", "0", "7.40", "6.00", True, ()),
    # several reasons at once: absent and a test of 0.5, no record
    ("2025 all wrong", 2025, [None, "0.5", "5", "5"], {}, "0", "0", None, None, False,
     ("absent", "fail_mark", "no_record")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("exam_year", "tests", "averages", "priority", "bonus", "score", "record", "recognised", "reasons"),
    [case[1:] for case in SCORES],
    ids=[case[0] for case in SCORES],
)
def test_graduation_score(exam_year, tests, averages, priority, bonus, score, record, recognised, reasons):
    result = rules.graduation_score(
        exam_year, _d(tests), year_averages={g: D(str(v)) for g, v in averages.items()}, priority=priority, bonus=bonus
    )
    assert result.score == (None if score is None else D(score))
    assert result.record_average == (None if record is None else D(record))
    assert result.verdict.recognised is recognised
    assert result.verdict.reasons == reasons
    assert result.verdict.may_retry is False


def test_the_formula_counts_four_tests():
    with pytest.raises(ValueError, match="4 tests"):
        rules.graduation_score(2025, _d(["6", "7", "5"]), year_averages=AVG_2025)


# --- which four tests (configuration of the graduation module) ---------------------------------------------------


@pytest.mark.parametrize(
    ("code", "name", "key"),
    [
        ("toan", "Toán", "toan"),
        ("ngu-van", "Ngữ văn", "ngu-van"),
        ("van", "", "ngu-van"),
        ("ly", "", "vat-li"),
        ("m7", "Vật lý", "vat-li"),  # the name, with the other spelling
        ("GDKTPL", "", "gd-ktpl"),
        ("m9", "Tiếng Trung Quốc", "tieng-trung"),
        ("gdcd", "Giáo dục công dân", "gdcd"),
        ("qp", "Giáo dục quốc phòng và an ninh", ""),  # not a test the formula counts
    ],
)
def test_subject_key(code, name, key):
    assert subject_key(code, name) == key


FORMULA_TESTS = [
    # (id, exam year, {subject: score or None (absent)}, the four tests, the parts read)
    ("2025 two electives", 2027, {"toan": "6", "ngu-van": "7", "tieng-anh": "8", "vat-li": "5"},
     ["6", "7", "8", "5"], ["6", "7", "8", "5"]),
    ("2025 one elective", 2027, {"toan": "6", "ngu-van": "7", "lich-su": "5"}, ["6", "7", "5", None],
     ["6", "7", "5"]),
    ("2025 absent elective", 2027, {"toan": "6", "ngu-van": "7", "lich-su": None, "dia-li": "4"},
     ["6", "7", None, "4"], ["6", "7", "4"]),
    ("2025 no Toán", 2027, {"ngu-van": "7", "tin-hoc": "9", "dia-li": "4"}, [None, "7", "9", "4"],
     ["7", "9", "4"]),
    # KHTN = mean of Vật lí, Hóa học, Sinh học: (6+7+8)/3 = 7
    ("2024 KHTN", 2024, {"toan": "6", "ngu-van": "7", "tieng-anh": "8", "vat-li": "6", "hoa-hoc": "7",
                         "sinh-hoc": "8"}, ["6", "7", "8", "7"], ["6", "7", "8", "6", "7", "8"]),
    # a component registered but missed: the combined test is missing
    ("2024 KHXH part absent", 2024, {"toan": "6", "ngu-van": "7", "tieng-anh": "8", "lich-su": "6",
                                     "dia-li": None, "gdcd": "8"}, ["6", "7", "8", None], ["6", "7", "8", "6", "8"]),
    # GDTX-like combined test of two parts: (5+6)/2 = 5.5
    ("2024 two parts", 2024, {"toan": "6", "ngu-van": "7", "tieng-anh": "8", "lich-su": "5", "dia-li": "6"},
     ["6", "7", "8", "5.5"], ["6", "7", "8", "5", "6"]),
    # both combined tests: the one with more parts sat (KHTN, three) even if KHXH's mean is higher
    ("2024 both", 2024, {"toan": "6", "ngu-van": "7", "tieng-anh": "8", "vat-li": "3", "hoa-hoc": "3",
                         "sinh-hoc": "3", "lich-su": "9", "dia-li": "9"}, ["6", "7", "8", "3"],
     ["6", "7", "8", "3", "3", "3"]),
    # a component of 1.0 hides in the mean (1+8+9)/3 = 6, but it is among the parts (the ≤ 1.0 check)
    ("2024 component of 1", 2024, {"toan": "6", "ngu-van": "7", "tieng-phap": "8", "vat-li": "1", "hoa-hoc": "8",
                                   "sinh-hoc": "9"}, ["6", "7", "8", "6"], ["6", "7", "8", "1", "8", "9"]),
    ("2024 no language", 2024, {"toan": "6", "ngu-van": "7", "lich-su": "6", "dia-li": "6", "gdcd": "6"},
     ["6", "7", None, "6"], ["6", "7", "6", "6", "6"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("exam_year", "sat", "tests", "parts"),
    [case[1:] for case in FORMULA_TESTS],
    ids=[case[0] for case in FORMULA_TESTS],
)
def test_formula_tests(exam_year, sat, tests, parts):
    got_tests, got_parts = formula_tests(exam_year, {k: None if v is None else D(v) for k, v in sat.items()})
    assert got_tests == _d(tests)
    assert got_parts == _d(parts)
