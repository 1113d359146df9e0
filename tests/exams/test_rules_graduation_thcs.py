"""The THCS graduation rules of ``exams.rules`` (TT31/2023, TT22/2021 Art. 12–14), table-driven, with worked
examples: who is recognised from the approved grade-9 year result, what keeps a council from deciding, and how
rounds are numbered."""

from __future__ import annotations

import pytest

from exams import rules
from exams.rules import GraduationVerdict

# (outcome, learning, conduct, absences) -> verdict. The outcome is the approved year result the students module
# computed (TT22/2021 Art. 12–14); None: no approved year result.
THCS_CASES = [
    # completed the grade-9 programme: recognised, whatever the levels (no classification under TT31/2023)
    (("hoan_thanh", "tot", "tot", 0), GraduationVerdict(True)),
    (("hoan_thanh", "dat", "dat", 45), GraduationVerdict(True)),
    # "len_lop" is read the same for grade 9
    (("len_lop", "kha", "tot", 3), GraduationVerdict(True)),
    # no approved year result yet: not now, may be reviewed in the next round
    ((None, "", "", 0), GraduationVerdict(False, ("no_result",), may_retry=True)),
    (("", "", "", 0), GraduationVerdict(False, ("no_result",), may_retry=True)),
    # summer conduct training: not now, round 2 may recognise them; the failing level is named too
    (("ren_luyen_he", "dat", "chua_dat", 2), GraduationVerdict(False, ("pending", "conduct"), may_retry=True)),
    # re-tests pending, learning Chưa đạt
    (("kiem_tra_lai", "chua_dat", "kha", 0), GraduationVerdict(False, ("pending", "learning"), may_retry=True)),
    # repeats the grade: 46 sessions absent (one over the limit of 45)
    (("o_lai", "kha", "tot", 46), GraduationVerdict(False, ("absences",))),
    # repeats: conduct and learning both Chưa đạt, absences at the limit do not count
    (("o_lai", "chua_dat", "chua_dat", 45), GraduationVerdict(False, ("conduct", "learning"))),
    # repeats for all three reasons
    (("o_lai", "chua_dat", "chua_dat", 60), GraduationVerdict(False, ("absences", "conduct", "learning"))),
    # legacy TT58 codes: học lực Kém, hạnh kiểm Yếu
    (("o_lai", "k", "y", 0), GraduationVerdict(False, ("conduct", "learning"))),
    # repeats with no reason the review can read: "repeat"
    (("o_lai", "dat", "dat", 0), GraduationVerdict(False, ("repeat",))),
]


@pytest.mark.parametrize(("given", "expected"), THCS_CASES, ids=[str(c[0]) for c in THCS_CASES])
def test_thcs_graduation(given, expected):
    outcome, learning, conduct, absences = given
    assert rules.thcs_graduation(outcome, learning=learning, conduct=conduct, absences=absences) == expected


@pytest.mark.parametrize("absences", [-1, 2.5, "3", True, None])
def test_thcs_graduation_refuses_impossible_absences(absences):
    with pytest.raises(ValueError):
        rules.thcs_graduation("hoan_thanh", absences=absences)


def test_every_thcs_reason_has_a_printed_text():
    codes = set()
    for given, _expected in THCS_CASES:
        outcome, learning, conduct, absences = given
        codes |= set(rules.thcs_graduation(outcome, learning=learning, conduct=conduct, absences=absences).reasons)
    assert codes <= set(rules.THCS_REASONS)
    assert "council" in rules.THCS_REASONS  # the council's own exclusion


SEVEN = ["chair", "vice_chair", "secretary", "member", "member", "member", "member"]

# roles -> the problems (Vietnamese) that keep the council from deciding
COUNCIL_CASES = [
    # worked example: a chair, a vice chair, a secretary and four members = 7: complete
    (SEVEN, []),
    # eight with two vice chairs: complete
    ([*SEVEN, "vice_chair"], []),
    # six: one short
    (SEVEN[:-1], ["Hội đồng xét tốt nghiệp phải có ít nhất 7 thành viên (hiện có 6)."]),
    # nobody yet: every problem at once
    (
        [],
        [
            "Hội đồng xét tốt nghiệp phải có ít nhất 7 thành viên (hiện có 0).",
            "Hội đồng phải có đúng một Chủ tịch (hiện có 0).",
            "Hội đồng phải có Thư ký.",
        ],
    ),
    # two chairs
    (["chair", *SEVEN], ["Hội đồng phải có đúng một Chủ tịch (hiện có 2)."]),
    # seven without a secretary
    (["chair", "vice_chair", *["member"] * 5], ["Hội đồng phải có Thư ký."]),
    # an unknown role is named
    ([*SEVEN, "treasurer"], ["Vai trò không hợp lệ trong hội đồng: treasurer."]),
]


@pytest.mark.parametrize(("roles", "problems"), COUNCIL_CASES, ids=[f"{len(c[0])}-members" for c in COUNCIL_CASES])
def test_council_problems(roles, problems):
    assert rules.council_problems(roles) == problems


@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        ([], 1),  # the first round of the year
        ([1], 2),  # the second, once the first exists (the service also waits for its decision)
        ((1,), 2),
    ],
)
def test_next_round_number(existing, expected):
    assert rules.next_round_number(existing) == expected


@pytest.mark.parametrize("existing", [[1, 2], [2], [1, 2, 3]])
def test_a_third_round_is_refused(existing):
    with pytest.raises(ValueError, match="tối đa 2 đợt"):
        rules.next_round_number(existing)
