"""exams.rules: the rules of module (e) at their boundaries — rounding of marks, double-marking reconciliation,
the admission score (TT30/2024; the domain file's example configuration), disqualification, allocation by
choices with margins and tie-breaks, candidate numbers, rooms, invigilators and anonymous codes.

Pure tests: no database."""

from __future__ import annotations

import itertools
import random
import unicodedata
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exams.rules import (
    DEFAULT_POINT_RULES,
    TIE_BREAKS,
    Applicant,
    InvigilatorShortage,
    admission_score,
    allocate,
    assign_invigilators,
    candidate_numbers,
    conduct_rank,
    disqualification,
    learning_rank,
    new_codes,
    reconcile,
    round_half_up,
    round_to_step,
    single,
    split_rooms,
    tie_break_label,
    to_decimal,
    validate_tie_breaks,
)

D = Decimal
POINTS = {rule.code: rule.points for rule in DEFAULT_POINT_RULES}


# --- the default priority / bonus / direct table ------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "kind", "points"),
    [
        ("ut1", "priority", D("2.0")),
        ("ut2", "priority", D("1.5")),
        ("ut3", "priority", D("1.0")),
        ("kk1", "bonus", D("1.5")),
        ("kk2", "bonus", D("1.0")),
        ("kk3", "bonus", D("0.5")),
        ("td_dtnt", "direct", D("0")),
        ("td_dtrin", "direct", D("0")),
        ("td_khuyet_tat", "direct", D("0")),
        ("td_giai_qg", "direct", D("0")),
    ],
)
def test_default_point_rules(code, kind, points):
    (rule,) = [rule for rule in DEFAULT_POINT_RULES if rule.code == code]
    assert (rule.kind, rule.points) == (kind, points)
    assert isinstance(rule.points, Decimal)
    assert rule.label and unicodedata.is_normalized("NFC", rule.label)


def test_default_point_rules_are_unique_and_fit_the_model():
    codes = [rule.code for rule in DEFAULT_POINT_RULES]
    assert len(codes) == len(set(codes)) == 10
    assert all(len(rule.code) <= 30 and len(rule.label) <= 255 for rule in DEFAULT_POINT_RULES)
    assert {rule.kind for rule in DEFAULT_POINT_RULES} == {"priority", "bonus", "direct"}


# --- rounding ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "step", "expected"),
    [
        ("6.125", "0.25", "6.25"),  # half-up: exactly half-way goes up
        ("6.124", "0.25", "6.00"),
        ("6.375", "0.25", "6.50"),
        ("6.374", "0.25", "6.25"),
        ("5.13", "0.25", "5.25"),
        ("5.1", "0.25", "5.00"),
        ("9.875", "0.25", "10.00"),
        ("0.125", "0.25", "0.25"),
        ("0", "0.25", "0.00"),
        ("7", "0.25", "7.00"),
        ("6.25", "0.5", "6.5"),
        ("6.24", "0.5", "6.0"),
        ("6.25", "0.1", "6.3"),  # where binary floats say 6.2
        ("6.5", "1", "7"),
        ("8.05", "0.1", "8.1"),
    ],
)
def test_round_to_step(value, step, expected):
    result = round_to_step(D(value), D(step))
    assert result == D(expected)
    assert str(result) == expected  # carries the step's places


def test_round_to_step_default_is_a_quarter():
    assert round_to_step(D("7.125")) == D("7.25")


@pytest.mark.parametrize(
    ("value", "expected"), [("7.125", "7.13"), ("7.124", "7.12"), ("8.005", "8.01"), ("9", "9.00")]
)
def test_round_half_up_two_places(value, expected):
    assert str(round_half_up(D(value))) == expected


@pytest.mark.parametrize("call", [lambda: round_to_step(6.125), lambda: round_to_step(D("6"), 0.25)])
def test_float_is_refused(call):
    with pytest.raises(TypeError):
        call()


@pytest.mark.parametrize("step", ["0", "-0.25"])
def test_step_must_be_positive(step):
    with pytest.raises(ValueError):
        round_to_step(D("6"), D(step))


@pytest.mark.parametrize(("raw", "expected"), [("7,5", "7.5"), (" 8.25 ", "8.25"), (7, "7"), (D("6.5"), "6.5")])
def test_to_decimal_reads_the_decimal_comma(raw, expected):
    assert to_decimal(raw) == D(expected)


@pytest.mark.parametrize("raw", ["abc", "", "NaN", "Infinity"])
def test_to_decimal_refuses_garbage(raw):
    with pytest.raises(ValueError):
        to_decimal(raw)


# --- double marking ---------------------------------------------------------------------------------------

T1 = D("1")


@pytest.mark.parametrize(
    ("first", "second", "extra", "status", "score", "method"),
    [
        # pending while a mark is missing
        (None, "6", {}, "pending", None, ""),
        ("6", None, {}, "pending", None, ""),
        (None, None, {}, "pending", None, ""),
        # within the threshold: the mean, rounded half-up to the quarter
        ("6", "6.25", {}, "final", "6.25", "mean"),  # 6.125 → 6.25
        ("6.25", "6.5", {}, "final", "6.50", "mean"),  # 6.375 → 6.50
        ("7", "7", {}, "final", "7.00", "mean"),
        ("6", "7", {}, "final", "6.50", "mean"),  # exactly the threshold is still within it
        ("6", "6.5", {"third": "9"}, "final", "6.25", "mean"),  # a third mark is not consulted then
        # over the threshold: disputed until a third mark or a joint decision
        ("5", "6.25", {}, "disputed", None, ""),
        ("4", "7", {}, "disputed", None, ""),
        ("4", "7", {"third": "4.5"}, "final", "4.25", "third_mean"),  # closer to the first, within 1
        ("4", "7", {"third": "6.5"}, "final", "6.75", "third_mean"),  # closer to the second, within 1
        ("4", "7", {"third": "8"}, "final", "7.50", "third_mean"),  # 1 away from the second: within
        ("3", "7", {"third": "5.5"}, "final", "5.50", "third"),  # closest (7) is 1.5 away: the third itself
        ("2", "8", {"third": "4.25"}, "final", "4.25", "third"),  # far from both
        ("2", "8", {"third": "5"}, "final", "5.00", "third"),  # half-way: the third (= mean of the three)
        ("4", "7", {"joint": "6"}, "final", "6.00", "joint"),
        ("4", "7", {"third": "4.5", "joint": "6"}, "final", "6.00", "joint"),  # the joint decision wins
    ],
)
def test_reconcile(first, second, extra, status, score, method):
    extra = {name: D(value) for name, value in extra.items()}
    result = reconcile(
        None if first is None else D(first), None if second is None else D(second), threshold=T1, **extra
    )
    assert result.status == status
    assert result.score == (None if score is None else D(score))
    assert result.method == method
    assert result.reason  # always explained
    assert result.is_final == (status == "final")


@pytest.mark.parametrize(
    ("threshold", "second", "status"), [("0", "7", "final"), ("0", "7.25", "disputed"), ("0.5", "7.5", "final")]
)
def test_reconcile_threshold_boundaries(threshold, second, status):
    assert reconcile(D("7"), D(second), threshold=D(threshold)).status == status


def test_reconcile_reason_is_vietnamese_and_names_the_gap():
    result = reconcile(D("4"), D("7"), threshold=T1)
    assert "lệch 3" in result.reason and "chấm lần 3" in result.reason


def test_reconcile_refuses_floats():
    with pytest.raises(TypeError):
        reconcile(6.0, D("6"), threshold=T1)
    with pytest.raises(TypeError):
        reconcile(D("6"), D("6"), threshold=1.0)


@pytest.mark.parametrize(("mark", "status", "score"), [(None, "pending", None), ("8.4", "final", "8.4")])
def test_single(mark, status, score):
    result = single(None if mark is None else D(mark))
    assert (result.status, result.score) == (status, None if score is None else D(score))


# --- admission score --------------------------------------------------------------------------------------

EXAMPLE = {"toan": D("8"), "van": D("7.5"), "anh": D("9")}


@pytest.mark.parametrize(
    ("scores", "coefficients", "extra", "expected"),
    [
        # the domain file's example: Toán×1, Ngữ văn×1, a third subject; priority group 1 +2.0; first prize +1.5
        (
            EXAMPLE,
            {"toan": D(1), "van": D(1), "anh": D(1)},
            {"priority": POINTS["ut1"], "bonus": POINTS["kk1"]},
            "28.00",
        ),
        (EXAMPLE, {}, {}, "24.50"),  # no coefficient given: ×1
        (EXAMPLE, {"toan": D(2), "van": D(2)}, {}, "40.00"),
        (EXAMPLE, {"toan": "2", "van": "2"}, {"priority": POINTS["ut3"]}, "41.00"),  # coefficients may be str
        (EXAMPLE, {}, {"priority": POINTS["ut2"], "bonus": POINTS["kk3"]}, "26.50"),
        ({"toan": D("8.25"), "van": D("6.75")}, {"toan": D("1.5")}, {}, "19.13"),  # 12.375 + 6.75 = 19.125
        ({"toan": D("8"), "van": None}, {}, {"priority": D(2)}, None),  # a test score missing
        ({}, {}, {"review": D("8.25"), "priority": D(1)}, "9.25"),  # by review only
        ({}, {}, {"priority": D(1)}, None),  # by review, no review score yet
        ({"toan": D("8")}, {}, {"review": D("7")}, "15.00"),  # combined
        ({"toan": D("0")}, {}, {}, "0.00"),  # a zero is a score (disqualification says the rest)
    ],
)
def test_admission_score(scores, coefficients, extra, expected):
    assert admission_score(scores, coefficients, **extra) == (None if expected is None else D(expected))


def test_admission_score_refuses_floats():
    with pytest.raises(TypeError):
        admission_score({"toan": 8.0}, {})


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ({"toan": D("8"), "van": D("0.25")}, None),
        ({"toan": None, "van": D("7")}, "vắng thi môn toan"),
        ({"toan": D("6"), "van": D("0")}, "bị điểm 0 môn van"),
        ({"toan": D("6"), "van": D("0.00")}, "bị điểm 0 môn van"),
        ({"Toán": None, "Ngữ văn": None, "Anh": D("5")}, "vắng thi môn Toán, Ngữ văn"),
        ({"toan": None, "van": D("0"), "anh": D("0")}, "vắng thi môn toan; bị điểm 0 môn van, anh"),
        ({}, None),
    ],
)
def test_disqualification(scores, expected):
    assert disqualification(scores) == expected


# --- allocation -------------------------------------------------------------------------------------------

AVG_CONDUCT = ("grade9_average", "grade9_conduct")


def person(key, score, *choices, direct_to=None, excluded=None, **tie_values):
    return Applicant(
        key=key,
        score=None if score is None else D(score),
        choices=tuple(choices),
        direct_to=direct_to,
        tie_values=tie_values,
        excluded=excluded,
    )


def test_ties_broken_by_grade9_average_then_conduct():
    people = [
        person("A", "25", 1),
        person("B", "24", 1, grade9_average="8.5", grade9_conduct="K"),
        person("C", "24", 1, grade9_average="8.5", grade9_conduct="T"),
        person("D", "24", 1, grade9_average=D("9.0"), grade9_conduct="K"),
        person("E", "23", 1, grade9_average="9.9", grade9_conduct="T"),
    ]
    result = allocate(people, {1: 3}, tie_breaks=AVG_CONDUCT)
    assert set(result.placements) == {"A", "C", "D"}
    assert result.cut_offs[1] == D("24")
    assert result.admitted[1] == 3 and not result.over_quota
    assert "xếp sau theo tiêu chí phụ" in result.reasons["B"]
    assert "không đủ điểm chuẩn" in result.reasons["E"]


@pytest.mark.parametrize(
    ("better", "worse"),
    [("T", "K"), ("K", "Đ"), ("Đ", "CĐ"), ("Tốt", "Khá"), ("Khá", "TB"), ("Trung bình", "Yếu"), ("tot", "chua_dat")],
)
def test_conduct_ladder(better, worse):
    assert conduct_rank(better) > conduct_rank(worse)
    people = [person("worse", "20", 1, grade9_conduct=worse), person("better", "20", 1, grade9_conduct=better)]
    assert set(allocate(people, {1: 1}, tie_breaks=["grade9_conduct"]).placements) == {"better"}


@pytest.mark.parametrize(
    ("better", "worse"),
    [("Tốt", "Khá"), ("gioi", "kha"), ("Khá", "Đạt"), ("TB", "Yếu"), ("chua_dat", "Kém"), ("Giỏi", "Trung bình")],
)
def test_learning_ladder(better, worse):
    assert learning_rank(better) > learning_rank(worse)
    people = [person("worse", "20", 1, grade9_learning=worse), person("better", "20", 1, grade9_learning=better)]
    assert set(allocate(people, {1: 1}, tie_breaks=["grade9_learning"]).placements) == {"better"}


def test_unknown_conduct_is_refused():
    with pytest.raises(ValueError, match="rèn luyện"):
        conduct_rank("Xuất sắc")


def test_full_tie_at_the_boundary_is_admitted_over_quota():
    people = [
        person("A", "25", 1),
        person("B", "24", 1, grade9_average="8", grade9_conduct="T"),
        person("C", "24", 1, grade9_average="8.0", grade9_conduct="Tốt"),  # the same values, written otherwise
        person("D", "24", 1, grade9_average="7.9", grade9_conduct="T"),
    ]
    result = allocate(people, {1: 2}, tie_breaks=AVG_CONDUCT)
    assert set(result.placements) == {"A", "B", "C"}
    assert result.admitted[1] == 3
    assert result.over_quota == {1: ["C"]}
    assert "vượt chỉ tiêu" in result.notes["C"]
    assert "D" in result.reasons and "C" not in result.reasons


def test_equal_scores_without_tie_breaks_are_full_ties():
    people = [person(key, "20", 1) for key in "ABC"] + [person("Z", "19", 1)]
    result = allocate(people, {1: 2})
    assert set(result.placements) == {"A", "B", "C"}
    assert result.over_quota == {1: ["C"]}


def test_missing_tie_value_sorts_last():
    people = [person("none", "20", 1), person("low", "20", 1, grade9_average="5")]
    assert set(allocate(people, {1: 1}, tie_breaks=["grade9_average"]).placements) == {"low"}


def test_missing_priority_counts_as_none_and_more_priority_wins():
    people = [person("none", "20", 1), person("ut3", "20", 1, priority="1.0")]
    assert set(allocate(people, {1: 1}, tie_breaks=["priority"]).placements) == {"ut3"}
    # a JSON float tie value is read through its repr
    people = [person("a", "20", 1, **{"subject:toan": 8.5}), person("b", "20", 1, **{"subject:toan": "8,75"})]
    assert set(allocate(people, {1: 1}, tie_breaks=["subject:toan"]).placements) == {"b"}


def test_second_choice_needs_the_margin_over_the_cut_off():
    # school 1 is full with a 30; school 2's first choice sets its cut-off at 20; school 2 has room left
    people = [
        person("top", "30", 1),
        person("first2", "20", 2),
        person("under", "21.25", 1, 2),  # 20 + 1.5 = 21.5 needed
        person("exact", "21.5", 1, 2),
        person("over", "22", 1, 2),
    ]
    result = allocate(people, {1: 1, 2: 4}, margins=[D(0), D("1.5")])
    assert result.placements == {"top": (1, 1), "first2": (2, 1), "exact": (2, 2), "over": (2, 2)}
    assert "NV2: không đủ điểm, cần ít nhất 21,5 (điểm chuẩn 20 + 1,5)" in result.reasons["under"]
    assert result.reasons["under"].startswith("Không trúng tuyển (điểm xét tuyển 21,25). NV1:")
    assert result.cut_offs == {1: D("30"), 2: D("20")}


def test_margins_may_be_strings_and_floats_are_refused():
    people = [person("a", "20", 2), person("b", "21.5", 1, 2)]
    assert allocate(people, {1: 0, 2: 2}, margins=["0", "1,5"]).placements["b"] == (2, 2)
    with pytest.raises(TypeError):
        allocate(people, {1: 0, 2: 2}, margins=[0.0, 1.5])


def test_higher_choice_wins_over_a_better_score_on_a_later_choice():
    # "first" chose school 1 first; "star" has more points but put school 1 second: first choices go first
    people = [person("star", "28", 2, 1), person("first", "20", 1), person("rival", "29", 2)]
    result = allocate(people, {1: 1, 2: 1})
    assert result.placements == {"rival": (2, 1), "first": (1, 1)}
    assert "star" in result.reasons


def test_direct_admission_uses_a_place():
    people = [person("direct", None, direct_to=1), person("A", "25", 1), person("B", "24", 1)]
    result = allocate(people, {1: 2})
    assert result.placements == {"direct": (1, 0), "A": (1, 1)}
    assert result.admitted[1] == 2
    assert result.cut_offs[1] == D("25")  # direct admissions have no score and set no cut-off
    assert "không đủ điểm chuẩn (điểm chuẩn 25)" in result.reasons["B"]


def test_direct_admissions_beyond_the_quota_leave_no_place():
    people = [person("d1", None, direct_to=1), person("d2", "10", 1, direct_to=1), person("A", "30", 1)]
    result = allocate(people, {1: 1})
    assert result.placements == {"d1": (1, 0), "d2": (1, 0)}
    assert result.cut_offs[1] is None
    assert "đã đủ chỉ tiêu" in result.reasons["A"]


@pytest.mark.parametrize(
    ("who", "reason"),
    [
        (person("X", "30", 1, excluded="vắng thi môn toan"), "Không xét tuyển: vắng thi môn toan"),
        (person("X", None, 1), "chưa có điểm xét tuyển"),
        (person("X", "30"), "Không có nguyện vọng"),
    ],
)
def test_excluded_applicants_are_never_placed(who, reason):
    result = allocate([who, person("A", "10", 1)], {1: 1})
    assert result.placements == {"A": (1, 1)}
    assert reason in result.reasons["X"]


def test_school_with_no_first_choice_applicants_takes_later_choices_in_score_order():
    people = [
        person("top", "30", 1),
        person("p15", "15", 1, 3),
        person("p13", "13", 1, 3),
        person("p14", "14", 1, 3),
    ]
    result = allocate(people, {1: 1, 3: 2}, margins=[D(0), D("1.5")])
    assert result.placements == {"top": (1, 1), "p15": (3, 2), "p14": (3, 2)}
    assert result.cut_offs[3] == D("14")  # recomputed after the rank
    assert "NV2: không đủ điểm chuẩn (điểm chuẩn 14)" in result.reasons["p13"]  # the published cut-off


def test_third_choice():
    people = [
        person("a1", "30", 1),
        person("b1", "20", 2),
        person("c1", "18", 3),
        # school 1 full, school 2 needs 21.5, school 3 (cut-off 18) needs 18 + 3
        person("x", "21", 1, 2, 3),
        person("y", "22", 1, 2, 3),
        person("z", "20", 1, 2, 3),
    ]
    result = allocate(people, {1: 1, 2: 2, 3: 5}, margins=["0", "1.5", "3"])
    assert result.placements["y"] == (2, 2)
    assert result.placements["x"] == (3, 3)
    assert "z" not in result.placements
    assert result.reasons["z"].count("NV") == 3
    assert "NV3: không đủ điểm, cần ít nhất 21 (điểm chuẩn 18 + 3)" in result.reasons["z"]
    # without a third margin the second one repeats
    result = allocate(people, {1: 1, 2: 2, 3: 5}, margins=["0", "1.5"])
    assert result.placements["x"] == (3, 3) and result.placements["z"] == (3, 3)


def test_full_tie_on_a_later_choice_is_admitted_over_quota():
    people = [person("a", "30", 1), person("b", "20", 1, 2), person("c", "20", 1, 2), person("d", "19", 1, 2)]
    result = allocate(people, {1: 1, 2: 1})
    assert result.placements == {"a": (1, 1), "b": (2, 2), "c": (2, 2)}
    assert result.over_quota == {2: ["c"]}


def test_school_without_quota_admits_nobody():
    result = allocate([person("a", "30", 9)], {1: 1})
    assert result.placements == {}
    assert "không có chỉ tiêu" in result.reasons["a"]
    assert result.cut_offs == {1: None} and result.admitted == {1: 0}


def test_unknown_tie_breaks_are_named():
    with pytest.raises(ValueError) as raised:
        allocate([], {}, tie_breaks=["grade9_average", "luck", "subject:"])
    assert "'luck'" in str(raised.value) and "'subject:'" in str(raised.value)
    assert "grade9_average" not in str(raised.value).split(".")[0]


def test_duplicate_keys_are_refused():
    with pytest.raises(ValueError):
        allocate([person("a", "1", 1), person("a", "2", 1)], {1: 1})


def test_bad_tie_value_names_the_applicant():
    with pytest.raises(ValueError, match="Thí sinh a"):
        allocate(
            [person("a", "1", 1, grade9_average="tám"), person("b", "1", 1)], {1: 1}, tie_breaks=["grade9_average"]
        )


@pytest.mark.parametrize(
    ("key", "valid"),
    [
        ("grade9_average", True),
        ("grade9_conduct", True),
        ("grade9_learning", True),
        ("priority", True),
        ("subject:toan", True),
        ("subject:ngu-van", True),
        ("subject:", False),
        ("subject:<code>", False),
        ("random", False),
    ],
)
def test_tie_break_keys(key, valid):
    if valid:
        assert validate_tie_breaks([key]) == (key,)
        assert tie_break_label(key)
    else:
        with pytest.raises(ValueError):
            validate_tie_breaks([key])
    assert set(TIE_BREAKS) >= {"grade9_average", "grade9_conduct", "priority"}


# allocation properties ------------------------------------------------------------------------------------

SCHOOLS = (1, 2, 3, 4)


@st.composite
def rounds(draw):
    quotas = {school: draw(st.integers(0, 4)) for school in SCHOOLS}
    people = []
    for index in range(draw(st.integers(0, 25))):
        choices = tuple(draw(st.lists(st.sampled_from(SCHOOLS), min_size=0, max_size=3, unique=True)))
        direct_to = draw(st.sampled_from(SCHOOLS)) if draw(st.integers(0, 12)) == 0 else None
        score = draw(st.one_of(st.none(), st.sampled_from([D(n) / 2 for n in range(20, 31)])))
        excluded = "bị điểm 0 môn toan" if draw(st.integers(0, 15)) == 0 else None
        tie_values = {}
        if draw(st.booleans()):
            tie_values["grade9_average"] = draw(st.sampled_from(["7.5", "8", "8.5"]))
        if draw(st.booleans()):
            tie_values["grade9_conduct"] = draw(st.sampled_from(["T", "K", "Đ"]))
        people.append(Applicant(index, score, choices, direct_to, tie_values, excluded))
    margins = draw(st.sampled_from([(), (D(0), D("1.5")), (D(0), D(1), D(2))]))
    tie_breaks = draw(st.sampled_from([(), ("grade9_average",), AVG_CONDUCT]))
    return people, quotas, margins, tie_breaks


def _tie_signature(applicant: Applicant, tie_breaks) -> tuple:
    values = []
    for key in tie_breaks:
        raw = applicant.tie_values.get(key)
        if raw is None:
            values.append(None)
        elif key == "grade9_conduct":
            values.append(conduct_rank(raw))
        else:
            values.append(D(raw))
    return (applicant.score, *values)


@settings(max_examples=300, deadline=None)
@given(rounds())
def test_allocation_properties(case):
    people, quotas, margins, tie_breaks = case
    result = allocate(people, quotas, margins=margins, tie_breaks=tie_breaks)
    by_key = {applicant.key: applicant for applicant in people}

    # everyone is either placed or told why not, never both
    assert set(result.placements) | set(result.reasons) == set(by_key)
    assert not set(result.placements) & set(result.reasons)

    for key, (school, rank) in result.placements.items():
        applicant = by_key[key]
        if applicant.direct_to is not None:
            assert (school, rank) == (applicant.direct_to, 0)
            continue
        assert applicant.excluded is None and applicant.score is not None
        assert applicant.choices[rank - 1] == school
        # every applicant placed on a choice reaches the school's published cut-off
        assert result.cut_offs[school] is not None and applicant.score >= result.cut_offs[school]

    for school, quota in quotas.items():
        direct = sum(1 for a in people if a.direct_to == school)
        on_choice = result.admitted[school] - direct
        # quotas hold, except for full ties on the last place (listed) and direct admissions (a right)
        assert on_choice <= max(quota - direct, 0) + len(result.over_quota.get(school, []))
        placed_scores = [by_key[k].score for k, (s, rank) in result.placements.items() if s == school and rank > 0]
        assert result.cut_offs[school] == (min(placed_scores) if placed_scores else None)

    # an applicant admitted beyond the quota ties (score and every tie-break) someone admitted within it
    for school, keys in result.over_quota.items():
        rank = result.placements[keys[0]][1]
        within = [k for k, place in result.placements.items() if place == (school, rank) and k not in keys]
        signatures = {_tie_signature(by_key[k], tie_breaks) for k in within}
        for key in keys:
            assert result.placements[key] == (school, rank)
            assert _tie_signature(by_key[key], tie_breaks) in signatures

    # a higher score is never turned away from a school in favour of a lower one at the same choice rank
    for key, (school, rank) in result.placements.items():
        if rank == 0:
            continue
        for other in people:
            if other.key == key or other.score is None or other.excluded or other.direct_to is not None:
                continue
            placed = result.placements.get(other.key)
            reached = len(other.choices) >= rank and (placed is None or placed[1] >= rank)
            if reached and other.choices[rank - 1] == school and placed != (school, rank):
                assert other.score <= by_key[key].score


# --- candidate numbers, rooms, invigilators, codes ----------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "options", "expected"),
    [
        (3, {"prefix": "TS", "start": 9}, ["TS09", "TS10", "TS11"]),
        (0, {}, []),
        (3, {}, ["1", "2", "3"]),
        (2, {"width": 6}, ["000001", "000002"]),
        (2, {"prefix": "A", "start": 99}, ["A099", "A100"]),
    ],
)
def test_candidate_numbers(count, options, expected):
    assert candidate_numbers(count, **options) == expected


def test_candidate_numbers_sort_as_text_and_refuse_a_short_width():
    numbers = candidate_numbers(120, prefix="HN")
    assert numbers == sorted(numbers) and len(set(numbers)) == 120 and numbers[-1] == "HN120"
    with pytest.raises(ValueError):
        candidate_numbers(100, width=2)


@pytest.mark.parametrize(
    ("count", "capacity", "expected"),
    [
        (50, 24, [17, 17, 16]),
        (0, 24, []),
        (1, 24, [1]),
        (24, 24, [24]),
        (25, 24, [13, 12]),
        (48, 24, [24, 24]),
        (7, 3, [3, 2, 2]),
    ],
)
def test_split_rooms(count, capacity, expected):
    assert split_rooms(count, capacity) == expected


@given(st.integers(0, 2000), st.integers(1, 60))
def test_split_rooms_properties(count, capacity):
    sizes = split_rooms(count, capacity)
    assert sum(sizes) == count
    assert len(sizes) == -(-count // capacity)
    if sizes:
        assert max(sizes) <= capacity and max(sizes) - min(sizes) <= 1


def test_split_rooms_refuses_no_capacity():
    with pytest.raises(ValueError):
        split_rooms(10, 0)


def _valid(rooms, invigilators, per_room, assignment):
    home = dict(invigilators)
    used = [member for room in assignment for member in room]
    return (
        len(assignment) == len(rooms)
        and all(len(room) == per_room for room in assignment)
        and len(used) == len(set(used))
        and all(home[m] not in schools for schools, room in zip(rooms, assignment, strict=True) for m in room)
    )


@pytest.mark.parametrize(
    ("rooms", "invigilators", "per_room"),
    [
        ([frozenset({1}), frozenset({2})], [(10, 2), (11, 2), (12, 1), (13, 3)], 2),
        # greedy (first eligible in order) gives 30 and 31 to the first room and strands the second
        ([frozenset({1}), frozenset({2})], [(30, 3), (31, 3), (20, 2), (21, 2)], 2),
        ([frozenset({1}), frozenset({2})], [(30, 3), (20, 2)], 1),
        ([frozenset({1}), frozenset({1, 2, 3})], [(20, 2), (30, 3), (40, 4), (50, 5)], 2),
        ([frozenset(), frozenset()], [], 0),
        ([], [(1, 1)], 2),
    ],
)
def test_assign_invigilators_feasible(rooms, invigilators, per_room):
    assignment = assign_invigilators(rooms, invigilators, per_room)
    assert _valid(rooms, invigilators, per_room, assignment)


def test_matching_beats_greedy_in_a_known_case():
    assert assign_invigilators([frozenset({1}), frozenset({2})], [(30, 3), (31, 3), (20, 2), (21, 2)]) == [
        (20, 21),
        (30, 31),
    ]


@pytest.mark.parametrize(
    ("rooms", "invigilators", "room_index"),
    [
        ([frozenset({1, 2})], [(10, 1), (11, 2), (12, 1)], 0),  # everyone watches their own school
        ([frozenset({1}), frozenset({1, 2, 3})], [(20, 2), (30, 3), (40, 4)], 1),  # the second room lacks one
        ([frozenset({1})] * 3, [(i, 2) for i in range(5)], 2),  # five people for six seats
    ],
)
def test_assign_invigilators_shortage(rooms, invigilators, room_index):
    with pytest.raises(InvigilatorShortage) as raised:
        assign_invigilators(rooms, invigilators)
    assert raised.value.room_index == room_index
    assert f"phòng thứ {room_index + 1}" in str(raised.value)
    assert str(raised.value).startswith("Không đủ cán bộ coi thi")
    assert isinstance(raised.value, ValueError)


def test_a_repeated_invigilator_counts_once():
    with pytest.raises(InvigilatorShortage):
        assign_invigilators([frozenset({1})], [(7, 2), (7, 2)])


def _brute_force_feasible(rooms, invigilators, per_room):
    seats = [index for index in range(len(rooms)) for _ in range(per_room)]
    for chosen in itertools.permutations(invigilators, len(seats)):
        if all(home not in rooms[seat] for seat, (_, home) in zip(seats, chosen, strict=True)):
            return True
    return False


@settings(max_examples=200, deadline=None)
@given(
    rooms=st.lists(st.frozensets(st.integers(1, 4), max_size=3), max_size=3),
    homes=st.lists(st.integers(1, 4), max_size=6),
    per_room=st.integers(1, 2),
)
def test_assign_invigilators_finds_one_whenever_one_exists(rooms, homes, per_room):
    invigilators = [(100 + index, home) for index, home in enumerate(homes)]
    feasible = _brute_force_feasible(rooms, invigilators, per_room)
    if feasible:
        assert _valid(rooms, invigilators, per_room, assign_invigilators(rooms, invigilators, per_room))
    else:
        with pytest.raises(InvigilatorShortage):
            assign_invigilators(rooms, invigilators, per_room)


def test_assign_invigilators_scales_to_a_province():
    rng = random.Random(7)
    rooms = [frozenset(rng.sample(range(100), 3)) for _ in range(800)]
    invigilators = [(index, index % 100) for index in range(1700)]
    assignment = assign_invigilators(rooms, invigilators)
    assert _valid(rooms, invigilators, 2, assignment)


@pytest.mark.parametrize(("count", "width"), [(0, 6), (1, 6), (500, 6), (10, 1), (100, 2)])
def test_new_codes(count, width):
    codes = new_codes(count, random.Random(1), width=width)
    assert len(codes) == len(set(codes)) == count
    assert all(len(code) == width and code.isdigit() for code in codes)


def test_new_codes_are_reproducible_from_the_rng_and_avoid_taken_ones():
    assert new_codes(5, random.Random(3)) == new_codes(5, random.Random(3))
    taken = [str(n) for n in range(9)]  # width 1: only "9" is left
    assert new_codes(1, random.Random(3), width=1, exclude=taken) == ["9"]
    with pytest.raises(ValueError):
        new_codes(2, random.Random(3), width=1, exclude=taken)
    with pytest.raises(ValueError):
        new_codes(11, random.Random(3), width=1)


# --- after an appeal (phúc khảo) once the results are published ---------------------------------------------

X, Y, Z = 1, 2, 3
PUBLISHED = {X: D("24"), Y: D("18"), Z: None}  # Z admitted nobody on a choice: no cut-off


@pytest.mark.parametrize(
    ("score", "choices", "current_rank", "expected"),
    [
        # holding NV2 at Y, raised to X's cut-off or above: moves up to NV1
        ("25", (X, Y), 2, 1),
        ("24", (X, Y), 2, 1),  # exactly at the cut-off of NV1 (no margin on NV1)
        # raised but still below X's cut-off: unchanged
        ("23.75", (X, Y), 2, None),
        # lowered (or anything) while holding NV1: keeps the place, nothing better exists
        ("10", (X, Y), 1, None),
        ("30", (X, Y), 1, None),
        # lowered while holding NV2: keeps the place
        ("12", (X, Y), 2, None),
        # not admitted: NV1 missed, NV2 needs Y's 18 + 1,5
        ("19.5", (X, Y), None, 2),  # exactly at cut-off + margin
        ("19.25", (X, Y), None, None),
        ("24", (X, Y), None, 1),
        # a school with no published cut-off admits nobody after appeal; the next choice is tried
        ("20", (Z, Y), None, 2),
        ("30", (Z,), None, None),
        # still disqualified (a 0, absent): nothing changes
        (None, (X, Y), None, None),
        # direct admission: nothing better than it
        ("30", (X, Y), 0, None),
        # no choices
        ("30", (), None, None),
    ],
)
def test_after_appeal(score, choices, current_rank, expected):
    from exams.rules import after_appeal

    value = None if score is None else D(score)
    assert after_appeal(value, choices, PUBLISHED, (D("0"), D("1.5")), current_rank) == expected


def test_after_appeal_margin_repeats_for_later_ranks_and_is_decimal_only():
    from exams.rules import after_appeal

    cut_offs = {X: D("24"), Y: D("18"), Z: D("15")}
    # NV3 at Z repeats the last margin (+1,5): 16,5 reaches it, 16,25 does not
    assert after_appeal(D("16.5"), (X, Y, Z), cut_offs, ("0", "1.5"), None) == 3
    assert after_appeal(D("16.25"), (X, Y, Z), cut_offs, ("0", "1.5"), None) is None
    # holding NV3, raised to NV2's bar: moves to NV2, not further
    assert after_appeal(D("19.5"), (X, Y, Z), cut_offs, ("0", "1.5"), 3) == 2
    with pytest.raises(TypeError):
        after_appeal(19.5, (X, Y), cut_offs, (), None)
