"""The rules of module (e) — exams and admissions — as pure functions on plain values (no ORM, no request,
no settings: ``Decimal``, dataclasses and typing only).

Sources cited in the docstrings below:

- DOMAIN = /work/shared/domain/exams-diplomas.md, "(e) Exams, admissions and diplomas" (the project's domain
  notes: "Grade-10 admission", "Running an exam");
- TT30/2024 = Thông tư 30/2024/TT-BGDĐT, Quy chế tuyển sinh trung học cơ sở và trung học phổ thông (grade-10
  admission: admission score, priority and bonus points, direct admission, allocation by choices);
- MARKING PRACTICE = the usual practice of Vietnamese exam boards for double marking (chấm hai vòng độc lập,
  chấm lần ba / đối thoại when the two marks differ by more than the allowed threshold).

The regulation texts are not on disk: where a function relies on our knowledge of the circular or of the
practice rather than on the domain notes, its docstring says "Our reading".

Arithmetic is ``Decimal`` only: a ``float`` argument is a ``TypeError`` (``0.1 + 0.2`` is not 0.3 in binary
floating point, and half-up rounding of marks such as 6.125 must be exact). Scores are out of 10 unless an
``ExamSubject`` says otherwise; the services check marks against the subject's maximum, not this module.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, NamedTuple

__all__ = [
    "COPY_REQUESTERS",
    "CORRECTABLE_FIELDS",
    "CORRECTION_GROUNDS",
    "DEFAULT_POINT_RULES",
    "DIPLOMA_CODES",
    "GRADUATION_FORMULAS",
    "REVOCATION_REASONS",
    "THCS_REASONS",
    "THPT_REASONS",
    "GraduationFormula",
    "GraduationScore",
    "GraduationVerdict",
    "copy_request_problem",
    "council_problems",
    "entry_label",
    "graduation_formula",
    "graduation_score",
    "issue_date_problem",
    "issue_deadline",
    "next_round_number",
    "normalise_serial",
    "serial_sequence",
    "thcs_graduation",
    "TIE_BREAKS",
    "Allocation",
    "Applicant",
    "InvigilatorShortage",
    "PointRuleDefault",
    "Reconciliation",
    "admission_score",
    "after_appeal",
    "allocate",
    "assign_invigilators",
    "candidate_numbers",
    "conduct_rank",
    "disqualification",
    "format_decimal",
    "learning_rank",
    "new_codes",
    "reconcile",
    "round_half_up",
    "round_to_step",
    "single",
    "split_rooms",
    "tie_break_label",
    "to_decimal",
    "validate_tie_breaks",
]

ZERO = Decimal(0)
SCORE_STEP = Decimal("0.25")
#: admission scores are kept to two decimals (Quota.cut_off, Candidate.admission_score: decimal_places=2)
SCORE_PLACES = 2


# --- numbers ------------------------------------------------------------------------------------------------


def to_decimal(value: Any, name: str = "value") -> Decimal:
    """``value`` as a ``Decimal``: a Decimal, an int or a string ("7.5", "7,5" with the Vietnamese decimal comma,
    surrounding spaces allowed). A float or a bool is a ``TypeError``; an unreadable string a ``ValueError``."""
    if isinstance(value, (bool, float)):
        raise TypeError(f"{name} must be a Decimal, an int or a string, not {type(value).__name__} ({value!r})")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", ".")
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{name}: {value!r} is not a number") from None
    else:
        raise TypeError(f"{name} must be a Decimal, an int or a string, not {type(value).__name__} ({value!r})")
    if not result.is_finite():
        raise ValueError(f"{name}: {value!r} is not a finite number")
    return result


def _optional_decimal(value: Any, name: str) -> Decimal | None:
    return None if value is None else to_decimal(value, name)


def round_to_step(value: Decimal, step: Decimal = SCORE_STEP) -> Decimal:
    """``value`` rounded half-up to a multiple of ``step`` (0.25 by default: the marks of an exam are given in
    quarter points, MARKING PRACTICE). 6.125 → 6.25, 6.124 → 6.00, 7.375 → 7.50. The result carries the step's
    decimal places ("6.00", not "6"). Exact: computed on Decimals, a float is a ``TypeError``; a step ≤ 0 a
    ``ValueError``. Half-up means away from zero on a tie, which is "up" for marks (never negative)."""
    value = to_decimal(value, "value")
    step = to_decimal(step, "step")
    if step <= 0:
        raise ValueError(f"step must be positive, not {step}")
    multiples = (value / step).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    result = multiples * step
    exponent = min(step.as_tuple().exponent, 0)
    return result.quantize(Decimal(1).scaleb(exponent))


def round_half_up(value: Decimal, places: int = SCORE_PLACES) -> Decimal:
    """``value`` rounded half-up to ``places`` decimals (admission scores and cut-offs: two decimals)."""
    value = to_decimal(value, "value")
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def format_decimal(value: Decimal | None) -> str:
    """A number as Vietnamese users read it: decimal comma ("7,50"); "—" for None. For messages built here;
    templates use the project's filters."""
    if value is None:
        return "—"
    return str(value).replace(".", ",")


# --- priority, bonus and direct admission (TT30/2024; DOMAIN "Grade-10 admission") -------------------------


class PointRuleDefault(NamedTuple):
    """A default line of an exam's priority / bonus / direct-admission table (``exams.PointRule``)."""

    kind: str  # "priority" | "bonus" | "direct"
    code: str
    label: str
    points: Decimal


#: The default table an admission exam starts with (the organisers edit it per round: it is configuration).
#: DOMAIN "Grade-10 admission": priority groups 1–3 (+2.0 / +1.5 / +1.0), bonus for a provincial prize in a
#: contest that also runs nationally (first +1.5, second +1.0, third +0.5), and the direct-admission
#: categories (no points: they are placed before anyone is ranked). The labels' wording is our reading of
#: TT30/2024 (Art. 14 for priority, the direct-admission article for the categories).
DEFAULT_POINT_RULES: tuple[PointRuleDefault, ...] = (
    PointRuleDefault(
        "priority",
        "ut1",
        "Nhóm đối tượng 1: con liệt sĩ; con thương binh, con bệnh binh, con của người hưởng chính sách như "
        "thương binh bị suy giảm khả năng lao động từ 81% trở lên",
        Decimal("2.0"),
    ),
    PointRuleDefault(
        "priority",
        "ut2",
        "Nhóm đối tượng 2: con của Anh hùng lực lượng vũ trang, Anh hùng lao động, Bà mẹ Việt Nam anh hùng; "
        "con thương binh, con bệnh binh, con của người hưởng chính sách như thương binh bị suy giảm khả năng "
        "lao động dưới 81%",
        Decimal("1.5"),
    ),
    PointRuleDefault(
        "priority",
        "ut3",
        "Nhóm đối tượng 3: người dân tộc thiểu số hoặc có cha hoặc mẹ là người dân tộc thiểu số; người học "
        "đang sinh sống, học tập ở vùng có điều kiện kinh tế - xã hội đặc biệt khó khăn",
        Decimal("1.0"),
    ),
    PointRuleDefault(
        "bonus",
        "kk1",
        "Đạt giải nhất cấp tỉnh cuộc thi có tổ chức ở cấp quốc gia",
        Decimal("1.5"),
    ),
    PointRuleDefault(
        "bonus",
        "kk2",
        "Đạt giải nhì cấp tỉnh cuộc thi có tổ chức ở cấp quốc gia",
        Decimal("1.0"),
    ),
    PointRuleDefault(
        "bonus",
        "kk3",
        "Đạt giải ba cấp tỉnh cuộc thi có tổ chức ở cấp quốc gia",
        Decimal("0.5"),
    ),
    PointRuleDefault(
        "direct",
        "td_dtnt",
        "Học sinh tốt nghiệp THCS tại trường phổ thông dân tộc nội trú",
        Decimal("0"),
    ),
    PointRuleDefault(
        "direct",
        "td_dtrin",
        "Học sinh là người dân tộc rất ít người",
        Decimal("0"),
    ),
    PointRuleDefault(
        "direct",
        "td_khuyet_tat",
        "Học sinh khuyết tật",
        Decimal("0"),
    ),
    PointRuleDefault(
        "direct",
        "td_giai_qg",
        "Học sinh đạt giải cấp quốc gia, quốc tế",
        Decimal("0"),
    ),
)


# --- double marking (DOMAIN "Running an exam"; MARKING PRACTICE) -------------------------------------------

PENDING, FINAL, DISPUTED = "pending", "final", "disputed"


@dataclass(frozen=True)
class Reconciliation:
    """The state of a script's mark: ``status`` "pending" (a mark is missing), "final" (``score`` set) or
    "disputed" (the two marks differ by more than the threshold; a third mark or a joint decision is needed).
    ``reason`` explains it in Vietnamese; ``method`` says how a final score was reached ("mean", "joint",
    "third_mean", "third", "single"; "" otherwise)."""

    status: str
    score: Decimal | None
    reason: str
    method: str = ""

    @property
    def is_final(self) -> bool:
        return self.status == FINAL


def reconcile(
    first: Decimal | None,
    second: Decimal | None,
    *,
    threshold: Decimal,
    third: Decimal | None = None,
    joint: Decimal | None = None,
    step: Decimal = SCORE_STEP,
) -> Reconciliation:
    """Reconcile the two independent marks of a double-marked script (DOMAIN "Running an exam": "essays are
    marked twice independently; when the two marks differ by more than the configured threshold, a third mark
    or a joint decision resolves it; every mark is kept").

    - ``first`` or ``second`` missing → pending;
    - ``|first − second| ≤ threshold`` (equal to the threshold included) → final = their mean rounded half-up
      to ``step`` (6.0 and 6.25 → 6.125 → 6.25); ``third``/``joint`` are then not consulted;
    - otherwise disputed, until:
      * a ``joint`` score — the two markers' agreed decision (đối thoại) — which is final (rounded to the
        step); it wins over a third mark when both are given (the joint decision is the last word);
      * a ``third`` mark — our reading of MARKING PRACTICE: take whichever of first/second is closer to the
        third; when that difference is within the threshold, final = the mean of the third and that mark
        (rounded to the step), else the third mark itself. When the third is exactly half-way between the
        two (equally close to both), the mean of the third with either is ambiguous: we take the third mark
        itself (it is then also the mean of all three).

    Marks outside 0..max are refused by the services, not here. Float arguments are a ``TypeError``."""
    first = _optional_decimal(first, "first")
    second = _optional_decimal(second, "second")
    third = _optional_decimal(third, "third")
    joint = _optional_decimal(joint, "joint")
    threshold = to_decimal(threshold, "threshold")
    if threshold < 0:
        raise ValueError(f"threshold must not be negative, not {threshold}")
    if first is None or second is None:
        missing = " và ".join(label for label, mark in (("lần chấm 1", first), ("lần chấm 2", second)) if mark is None)
        return Reconciliation(PENDING, None, f"Chưa có điểm {missing}.")
    gap = abs(first - second)
    if gap <= threshold:
        return Reconciliation(
            FINAL,
            round_to_step((first + second) / 2, step),
            f"Hai lần chấm lệch {format_decimal(gap)}, trong mức cho phép {format_decimal(threshold)}: "
            "lấy trung bình cộng.",
            "mean",
        )
    over = f"Hai lần chấm lệch {format_decimal(gap)}, quá mức cho phép {format_decimal(threshold)}"
    if joint is not None:
        return Reconciliation(FINAL, round_to_step(joint, step), f"{over}: lấy điểm thống nhất sau đối thoại.", "joint")
    if third is not None:
        to_first, to_second = abs(third - first), abs(third - second)
        if to_first == to_second:
            return Reconciliation(
                FINAL,
                round_to_step(third, step),
                f"{over}: điểm chấm lần 3 cách đều hai lần chấm, lấy điểm chấm lần 3.",
                "third",
            )
        closest, which = (first, 1) if to_first < to_second else (second, 2)
        if abs(third - closest) <= threshold:
            return Reconciliation(
                FINAL,
                round_to_step((third + closest) / 2, step),
                f"{over}: lấy trung bình cộng của lần chấm 3 và lần chấm {which} (gần nhất, trong mức cho phép).",
                "third_mean",
            )
        return Reconciliation(
            FINAL,
            round_to_step(third, step),
            f"{over}: lần chấm 3 lệch cả hai lần chấm quá mức cho phép, lấy điểm chấm lần 3.",
            "third",
        )
    return Reconciliation(DISPUTED, None, f"{over}: cần chấm lần 3 hoặc đối thoại thống nhất điểm.")


def single(first: Decimal | None) -> Reconciliation:
    """A subject not double-marked (e.g. a multiple-choice test): its one mark is final as entered (not
    rounded: a machine-marked test may use another step); pending while missing."""
    first = _optional_decimal(first, "first")
    if first is None:
        return Reconciliation(PENDING, None, "Chưa có điểm chấm.")
    return Reconciliation(FINAL, first, "Môn chấm một lần.", "single")


# --- admission score and disqualification (TT30/2024; DOMAIN "Grade-10 admission") -------------------------


def admission_score(
    test_scores: Mapping[str, Decimal | None],
    coefficients: Mapping[str, Decimal],
    *,
    priority: Decimal = ZERO,
    bonus: Decimal = ZERO,
    review: Decimal | None = None,
) -> Decimal | None:
    """The admission score (điểm xét tuyển), rounded half-up to two decimals.

    DOMAIN "Grade-10 admission": "Admission score = sum of the test scores (each out of 10) + priority points
    + bonus points. Coefficients … are set by each Sở". So: Σ score × coefficient (``coefficients`` keyed like
    ``test_scores``; a subject without a coefficient counts ×1 — our reading, coefficient 1 being the
    default of TT30/2024) + ``priority`` + ``bonus`` (+ ``review``, the review score of a review or combined
    admission). With no tests at all (admission by review) it is review + priority + bonus, and None without
    a review score. None as soon as a test score is missing (not yet final, or absent: see
    ``disqualification``). ``priority``/``bonus`` None count as 0."""
    total = ZERO
    for code, score in test_scores.items():
        if score is None:
            return None
        coefficient = coefficients.get(code)
        coefficient = Decimal(1) if coefficient is None else to_decimal(coefficient, f"coefficient of {code}")
        total += to_decimal(score, f"score of {code}") * coefficient
    review = _optional_decimal(review, "review")
    if not test_scores and review is None:
        return None
    if review is not None:
        total += review
    total += _optional_decimal(priority, "priority") or ZERO
    total += _optional_decimal(bonus, "bonus") or ZERO
    return round_half_up(total)


def disqualification(test_scores: Mapping[str, Decimal | None]) -> str | None:
    """Why a candidate admitted by exam cannot be admitted, or None. Our reading of TT30/2024 (admission by
    exam): a candidate absent from a test (``None`` here: the caller passes None only for an absence, not for a
    mark still being entered) or with a 0 in any test is not admitted. Names the subjects by the codes (or
    names) given, in the mapping's order: "vắng thi môn Toán", "bị điểm 0 môn Ngữ văn, Anh", both joined by
    "; " when both apply."""
    absent = [code for code, score in test_scores.items() if score is None]
    zero = [code for code, score in test_scores.items() if score is not None and to_decimal(score, code) == 0]
    parts = []
    if absent:
        parts.append("vắng thi môn " + ", ".join(str(code) for code in absent))
    if zero:
        parts.append("bị điểm 0 môn " + ", ".join(str(code) for code in zero))
    return "; ".join(parts) or None


# --- allocation by choices (TT30/2024; DOMAIN "Grade-10 admission") ----------------------------------------

#: Tie-break criteria an admission round may list, in order (``Exam.tie_breaks``). "subject:<code>" is a
#: family: "subject:toan" compares the scores of the test coded "toan".
TIE_BREAKS: dict[str, str] = {
    "grade9_average": "Điểm trung bình môn cả năm lớp 9 (cao hơn xếp trước)",
    "grade9_conduct": "Kết quả rèn luyện (hạnh kiểm) cả năm lớp 9 (tốt hơn xếp trước)",
    "grade9_learning": "Kết quả học tập (học lực) cả năm lớp 9 (tốt hơn xếp trước)",
    "priority": "Điểm ưu tiên (nhiều hơn xếp trước)",
    "subject:<code>": "Điểm bài thi một môn, ví dụ subject:toan (cao hơn xếp trước)",
}
SUBJECT_PREFIX = "subject:"
_SUBJECT_CODE = re.compile(r"^subject:[\w.\-]+$")


def tie_break_label(key: str) -> str:
    """The Vietnamese label of a tie-break key ("subject:toan" → "Điểm bài thi môn toan")."""
    if key in TIE_BREAKS and key != "subject:<code>":
        return TIE_BREAKS[key]
    if _SUBJECT_CODE.match(key or ""):
        return f"Điểm bài thi môn {key[len(SUBJECT_PREFIX) :]}"
    raise ValueError(f"Tiêu chí xét khi bằng điểm không hợp lệ: {key!r}")


def validate_tie_breaks(tie_breaks: Iterable[str]) -> tuple[str, ...]:
    """The tie-breaks as a tuple, or a ``ValueError`` naming every unknown key (Vietnamese message)."""
    keys = tuple(tie_breaks)
    unknown = [
        key
        for key in keys
        if not isinstance(key, str) or not ((key in TIE_BREAKS and key != "subject:<code>") or _SUBJECT_CODE.match(key))
    ]
    if unknown:
        raise ValueError(
            "Tiêu chí xét khi bằng điểm không hợp lệ: "
            + ", ".join(repr(key) for key in unknown)
            + ". Dùng grade9_average, grade9_conduct, grade9_learning, priority hoặc subject:<mã môn>."
        )
    return keys


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFC", text).strip().casefold()
    text = text.replace("đ", "d")
    text = "".join(ch for ch in unicodedata.normalize("NFD", text) if unicodedata.category(ch) != "Mn")
    return re.sub(r"[\s_\-]+", " ", text)


#: conduct levels, best = highest: TT22/2021 Art. 8 (Tốt, Khá, Đạt, Chưa đạt) and the legacy hạnh kiểm of
#: TT58/2011 (Tốt, Khá, Trung bình, Yếu), with their short forms and the students app's stored codes
_CONDUCT_RANK: dict[str, int] = {
    "t": 3,
    "tot": 3,
    "k": 2,
    "kha": 2,
    "d": 1,
    "dat": 1,
    "tb": 1,
    "trung binh": 1,
    "cd": 0,
    "chua dat": 0,
    "y": 0,
    "yeu": 0,
}


def conduct_rank(value: str) -> int:
    """The rank of a grade-9 conduct level, higher = better: Tốt (T) 3 > Khá (K) 2 > Đạt (Đ) / Trung bình (TB) 1
    > Chưa đạt (CĐ) / Yếu 0. Accepts labels, short forms and stored codes ("tot", "chua_dat"), any case; an
    unknown level is a ``ValueError``. TT22/2021 and the legacy scale are compared on one ladder (our reading:
    a round mixes the two only for repeaters)."""
    key = _fold(str(value))
    if key not in _CONDUCT_RANK:
        raise ValueError(f"Kết quả rèn luyện không hợp lệ: {value!r}")
    return _CONDUCT_RANK[key]


#: learning results, best = highest: TT22/2021 Art. 9 (Tốt, Khá, Đạt, Chưa đạt) and the legacy học lực of
#: TT58/2011 (Giỏi, Khá, Trung bình, Yếu, Kém), with short forms and the students app's stored codes
_LEARNING_RANK: dict[str, int] = {
    "t": 3,
    "tot": 3,
    "g": 3,
    "gioi": 3,
    "k": 2,
    "kha": 2,
    "d": 1,
    "dat": 1,
    "tb": 1,
    "trung binh": 1,
    "cd": 0,
    "chua dat": 0,
    "y": 0,
    "yeu": 0,
    "kem": -1,
}


def learning_rank(value: str) -> int:
    """The rank of a grade-9 learning result, higher = better: Tốt / Giỏi 3 > Khá 2 > Đạt / Trung bình 1 >
    Chưa đạt / Yếu 0 > Kém -1 (one ladder for TT22/2021 and the legacy scale: our reading). Accepts labels,
    short forms and stored codes ("gioi", "chua_dat"); an unknown level is a ``ValueError``."""
    key = _fold(str(value))
    if key not in _LEARNING_RANK:
        raise ValueError(f"Kết quả học tập không hợp lệ: {value!r}")
    return _LEARNING_RANK[key]


@dataclass(frozen=True)
class Applicant:
    """One applicant to an allocation. ``key`` identifies it (a candidate id…); ``score`` is the admission
    score (None: not ranked); ``choices`` the school ids by choice rank (nguyện vọng 1, 2, …); ``direct_to`` a
    school of direct admission; ``tie_values`` the values of the round's tie-breaks, keyed like them
    ("grade9_average": Decimal or str, "grade9_conduct": "T"/"Tốt"…, "priority": points,
    "subject:toan": score); ``excluded`` a reason never to place the applicant (e.g. ``disqualification``)."""

    key: Hashable
    score: Decimal | None
    choices: tuple[int, ...]
    direct_to: int | None = None
    tie_values: Mapping[str, object] = field(default_factory=dict, hash=False)
    excluded: str | None = None


@dataclass
class Allocation:
    """The result of ``allocate``.

    - ``placements``: key → (school id, choice rank; 0 = direct admission), for every placed applicant;
    - ``cut_offs``: school id → the lowest score admitted on a choice (direct admissions not counted), None
      when nobody was admitted on a choice; every school of ``quotas`` (and of a direct admission) is a key;
    - ``admitted``: school id → how many were placed there (direct admissions included);
    - ``reasons``: key → why an UNPLACED applicant was not admitted (Vietnamese); placed keys never appear;
    - ``over_quota``: school id → the keys admitted beyond the quota because they tied the last place on
      score and on every tie-break (never a random pick);
    - ``notes``: key → a Vietnamese note for a placed applicant worth explaining (admitted over quota)."""

    placements: dict[Hashable, tuple[int, int]] = field(default_factory=dict)
    cut_offs: dict[int, Decimal | None] = field(default_factory=dict)
    admitted: dict[int, int] = field(default_factory=dict)
    reasons: dict[Hashable, str] = field(default_factory=dict)
    over_quota: dict[int, list[Hashable]] = field(default_factory=dict)
    notes: dict[Hashable, str] = field(default_factory=dict)


_MISSING = (1,)  # sorts after any (0, value)


def _tie_component(applicant: Applicant, key: str) -> tuple:
    """One tie-break as an ascending sort component: better first, missing last."""
    raw = applicant.tie_values.get(key) if applicant.tie_values else None
    if isinstance(raw, str) and not raw.strip():
        raw = None
    if key == "priority" and raw is None:
        raw = ZERO  # no priority is a value: 0 points
    if raw is None:
        return _MISSING
    try:
        if key == "grade9_conduct":
            return (0, -conduct_rank(raw))
        if key == "grade9_learning":
            return (0, -learning_rank(raw))
        if isinstance(raw, float):  # a JSONField number: read through its shortest repr ("8.2")
            raw = str(raw)
        return (0, -to_decimal(raw, key))
    except (TypeError, ValueError) as error:
        raise ValueError(f"Thí sinh {applicant.key}: giá trị {key} không hợp lệ ({raw!r}): {error}") from None


def _margin(margins: Sequence[Decimal], rank: int) -> Decimal:
    """The margin over the cut-off of choice ``rank`` (1-based); a rank beyond the list repeats its last
    value (our reading: a Sở that sets +1.5 for NV2 means it for NV3 too unless it says otherwise)."""
    if not margins:
        return ZERO
    return margins[min(rank, len(margins)) - 1]


def allocate(
    applicants: Iterable[Applicant],
    quotas: Mapping[int, int],
    *,
    margins: Sequence[Decimal] = (),
    tie_breaks: Sequence[str] = (),
) -> Allocation:
    """Place applicants in schools by score and choices (DOMAIN "Grade-10 admission": "candidates sorted by
    score, each placed in the highest choice whose quota and cut-off allow; cut-offs published with the
    results"; example configuration "the second needs +1.5 over the school's cut-off; tie-break by grade-9
    year average, then grade-9 conduct"; TT30/2024 leaves choices, margins and tie-breaks to the Sở).

    The algorithm (our reading, deterministic, no random pick ever):

    a) Direct admissions (``direct_to``) are placed first, at rank 0, and use up places of their school
       (even beyond its quota: direct admission is a right).
    b) Excluded applicants (``excluded`` set, or ``score`` None) are never placed; the reason is kept.
    c) First choices: per school, its first-choice applicants ordered by score (higher first) then the
       ``tie_breaks`` in order; the school admits them while places remain. If the last place is contested by
       applicants equal on score AND on every tie-break, all of them are admitted, over quota (listed in
       ``over_quota``/``notes``). The school's cut-off = the lowest score admitted on first choice (None if
       nobody).
    d) Then choice ranks k = 2..n in turn: the applicants still unplaced, by score then tie-breaks, each
       placed at their rank-k school when it still has places and score ≥ cut-off + ``margins[k-1]`` (the
       cut-off as it stood when rank k began). A school with no cut-off yet takes rank-k applicants on score
       alone, in score order, while places remain. Full ties on the last place are admitted as in c) (only
       ties within the same rank: an earlier rank always comes first). After each rank the cut-off of each
       school is recomputed as the lowest score admitted on any choice.
    e) ``reasons[key]`` says in Vietnamese why each unplaced applicant was not admitted, choice by choice.

    ``margins`` index 0 = first choice (normally 0; the first choice is decided by quota alone so it is not
    applied); a rank beyond the list repeats the last margin. Values: Decimal, int or str. ``tie_breaks``:
    keys of ``TIE_BREAKS`` ("grade9_average", "grade9_conduct", "grade9_learning", "priority",
    "subject:<code>"); an unknown key
    is a ``ValueError`` naming it. A missing tie value sorts last (a missing "priority" counts as 0 points).
    Schools absent from ``quotas`` have no places."""
    applicants = list(applicants)
    tie_breaks = validate_tie_breaks(tie_breaks)
    margins = tuple(to_decimal(margin, "margin") for margin in margins)
    keys = [applicant.key for applicant in applicants]
    if len(set(keys)) != len(keys):
        raise ValueError("Mỗi thí sinh chỉ được xét một lần (trùng khoá).")

    places: dict[int, int] = {school: int(count) for school, count in quotas.items()}
    result = Allocation()
    for school in places:
        result.admitted[school] = 0
        result.cut_offs[school] = None
    scored: dict[int, list[Decimal]] = {school: [] for school in places}  # scores admitted on a choice

    def admit(applicant: Applicant, school: int, rank: int) -> None:
        result.placements[applicant.key] = (school, rank)
        result.admitted[school] = result.admitted.get(school, 0) + 1
        result.cut_offs.setdefault(school, None)
        if rank:
            scored.setdefault(school, []).append(scores[applicant.key])

    def remaining(school: int) -> int:
        return places.get(school, 0) - result.admitted.get(school, 0)

    # a) direct admissions
    for applicant in applicants:
        if applicant.direct_to is not None:
            admit(applicant, applicant.direct_to, 0)

    # b) who can be ranked at all
    failures: dict[Hashable, list[tuple[str, int, Any]]] = {}
    scores: dict[Hashable, Decimal] = {}
    ranked: list[Applicant] = []
    for applicant in applicants:
        if applicant.key in result.placements:
            continue
        if applicant.excluded:
            result.reasons[applicant.key] = f"Không xét tuyển: {applicant.excluded}"
            continue
        if applicant.score is None:
            result.reasons[applicant.key] = "Không xét tuyển: chưa có điểm xét tuyển."
            continue
        if not applicant.choices:
            result.reasons[applicant.key] = "Không có nguyện vọng nào."
            continue
        scores[applicant.key] = to_decimal(applicant.score, f"score of {applicant.key}")
        ranked.append(applicant)
        failures[applicant.key] = []

    def sort_key(applicant: Applicant) -> tuple:
        return (-scores[applicant.key], *(_tie_component(applicant, key) for key in tie_breaks))

    sort_keys = {applicant.key: sort_key(applicant) for applicant in ranked}
    order = sorted(ranked, key=lambda a: sort_keys[a.key])  # stable: input order among full ties

    def over(applicant: Applicant, school: int, rank: int) -> None:
        result.over_quota.setdefault(school, []).append(applicant.key)
        result.notes[applicant.key] = (
            f"Trúng tuyển NV{rank} vượt chỉ tiêu: bằng điểm và bằng mọi tiêu chí phụ với thí sinh cuối cùng "
            "trúng tuyển, không thể loại ngẫu nhiên."
        )

    def no_places_reason(school: int) -> str:
        if places.get(school, 0) <= 0:
            return "trường không có chỉ tiêu tuyển"
        return "trường đã đủ chỉ tiêu"

    # c) first choices, school by school
    by_school: dict[int, list[Applicant]] = {}
    for applicant in order:
        by_school.setdefault(applicant.choices[0], []).append(applicant)
    for school, queue in by_school.items():
        last_key = None
        for applicant in queue:
            key = sort_keys[applicant.key]
            if remaining(school) > 0:
                admit(applicant, school, 1)
                last_key = key
            elif last_key is not None and key == last_key:
                admit(applicant, school, 1)
                over(applicant, school, 1)
            else:
                failures[applicant.key].append(("full", school, None))
    for school, admitted_scores in scored.items():
        result.cut_offs[school] = min(admitted_scores) if admitted_scores else None

    # d) choices 2..n
    depth = max((len(applicant.choices) for applicant in ranked), default=0)
    for rank in range(2, depth + 1):
        cut_offs = dict(result.cut_offs)
        margin = _margin(margins, rank)
        last_keys: dict[int, tuple] = {}
        for applicant in order:
            if applicant.key in result.placements or len(applicant.choices) < rank:
                continue
            school = applicant.choices[rank - 1]
            key = sort_keys[applicant.key]
            cut_off = cut_offs.get(school)
            if cut_off is not None and scores[applicant.key] < cut_off + margin:
                failures[applicant.key].append(("score", school, (cut_off, margin)))
            elif remaining(school) > 0:
                admit(applicant, school, rank)
                last_keys[school] = key
            elif last_keys.get(school) == key:
                admit(applicant, school, rank)
                over(applicant, school, rank)
            else:
                failures[applicant.key].append(("full", school, None))
        for school, admitted_scores in scored.items():
            result.cut_offs[school] = min(admitted_scores) if admitted_scores else None

    # e) reasons of the unplaced
    for applicant in ranked:
        if applicant.key in result.placements:
            continue
        score = scores[applicant.key]
        parts = []
        for rank, (kind, school, data) in enumerate(failures[applicant.key], start=1):
            if kind == "score":
                cut_off, margin = data
                needed = cut_off + margin
                detail = f"cần ít nhất {format_decimal(needed)} (điểm chuẩn {format_decimal(cut_off)}"
                detail += f" + {format_decimal(margin)})" if margin else ")"
                parts.append(f"NV{rank}: không đủ điểm, {detail}")
            else:
                text = no_places_reason(school)
                cut_off = result.cut_offs.get(school)
                if cut_off is not None and places.get(school, 0) > 0:
                    if score < cut_off:
                        text = f"không đủ điểm chuẩn (điểm chuẩn {format_decimal(cut_off)})"
                    elif score == cut_off and rank == 1:
                        text = (
                            f"bằng điểm chuẩn {format_decimal(cut_off)} nhưng xếp sau theo tiêu chí phụ, "
                            "trường đã đủ chỉ tiêu"
                        )
                parts.append(f"NV{rank}: {text}")
        result.reasons[applicant.key] = (
            f"Không trúng tuyển (điểm xét tuyển {format_decimal(score)}). " + "; ".join(parts) + "."
        )
    return result


def after_appeal(
    score: Decimal | None,
    choices: Sequence[Hashable],
    cut_offs: Mapping[Hashable, Decimal | None],
    margins: Sequence[Decimal] = (),
    current_rank: int | None = None,
) -> int | None:
    """The choice rank (1-based) a candidate is admitted to after an appeal (phúc khảo) changed their admission
    score once the results are published, or None when their outcome stays as it is.

    ``score``: the admission score recomputed after the appeal (None: still disqualified — absent, a 0 — or
    incomplete); ``choices``: the candidate's schools in rank order; ``cut_offs``: the published cut-off of each
    school (None: the school admitted nobody on a choice, so it has no cut-off); ``margins``: the round's margins
    as ``allocate`` reads them; ``current_rank``: the rank of the place the candidate holds (0: direct
    admission; None: not admitted).

    Our reading of Vietnamese practice (TT30/2024 leaves the appeal calendar and its consequences to the Sở;
    DOMAIN "Running an exam": "the changed mark keeps the history"; Sở announcements speak of "trúng tuyển sau
    phúc khảo"):

    - an appeal never takes away a place already won: a lowered score (even a 0) keeps the place;
    - the published cut-offs are final: the allocation is not run again and nobody else is moved;
    - if the new score reaches the published cut-off of a choice ranked higher than the one held (any choice
      when not admitted) plus that rank's margin (the margin is not applied to the first choice, as in
      ``allocate``), the candidate is admitted at the highest such choice, over the school's quota;
      reaching means ≥: a score exactly at cut-off + margin is admitted (the tie-breaks that may have ranked
      an equal score below the last place are not applied again after publication);
    - a school without a published cut-off admits nobody after appeal (there is no published bar to reach);
    - a direct admission (rank 0) is already the first choice: nothing changes."""
    if score is None or current_rank == 0:
        return None
    score = to_decimal(score, "score")
    margins = tuple(to_decimal(margin, "margin") for margin in margins)
    better = len(choices) if current_rank is None else min(current_rank - 1, len(choices))
    for rank in range(1, better + 1):
        cut_off = cut_offs.get(choices[rank - 1])
        if cut_off is None:
            continue
        needed = to_decimal(cut_off, "cut-off") + (_margin(margins, rank) if rank > 1 else ZERO)
        if score >= needed:
            return rank
    return None


# --- candidate numbers, rooms, invigilators, anonymous codes (DOMAIN "Running an exam") --------------------


def candidate_numbers(count: int, *, prefix: str = "", start: int = 1, width: int | None = None) -> list[str]:
    """``count`` consecutive candidate numbers (số báo danh, unique in the exam: DOMAIN "Running an exam"):
    ``prefix`` + the number zero-padded to ``width`` digits (default: the digits of the largest number, so
    they sort as text). ``candidate_numbers(3, prefix="TS", start=9)`` → ["TS09", "TS10", "TS11"]. A width too
    small for the largest number is a ``ValueError``."""
    if count < 0 or start < 0:
        raise ValueError("count and start must not be negative")
    if count == 0:
        return []
    last = start + count - 1
    needed = len(str(last))
    if width is None:
        width = needed
    elif width < needed:
        raise ValueError(f"Số báo danh {last} cần {needed} chữ số, nhiều hơn độ dài {width} đã chọn.")
    return [f"{prefix}{number:0{width}d}" for number in range(start, last + 1)]


def split_rooms(count: int, capacity: int) -> list[int]:
    """Room sizes for ``count`` candidates, as few rooms as ``capacity`` allows (DOMAIN: at most 24 a room),
    balanced so sizes differ by at most one, larger rooms first: 50 at 24 → [17, 17, 16]; 0 → []."""
    if capacity < 1:
        raise ValueError("Sức chứa phòng thi phải từ 1 trở lên.")
    if count < 0:
        raise ValueError("count must not be negative")
    if count == 0:
        return []
    rooms = -(-count // capacity)
    base, extra = divmod(count, rooms)
    return [base + 1] * extra + [base] * (rooms - extra)


class InvigilatorShortage(ValueError):
    """Not enough eligible invigilators; ``room_index`` is the 0-based index of the first room that cannot be
    staffed, ``message`` a Vietnamese explanation."""

    def __init__(self, message: str, room_index: int | None = None):
        super().__init__(message)
        self.message = message
        self.room_index = room_index


def assign_invigilators(
    rooms: Sequence[frozenset[int]],
    invigilators: Sequence[tuple[int, int]],
    per_room: int = 2,
) -> list[tuple[int, ...]]:
    """Two invigilators a room (DOMAIN "Running an exam"), none from a school whose candidates sit in the room
    (our reading of the usual rule: a teacher does not watch their own students), each invigilator in at most
    one room.

    ``rooms``: for each room, the set of school (unit) ids of its candidates; ``invigilators``: (member id, home
    unit id) in order of preference (a repeated member id counts once). Returns, for each room, the tuple of
    its ``per_room`` member ids (in the order of ``invigilators``). A maximum bipartite matching (augmenting
    paths, rooms in order) finds an assignment whenever one exists, where a greedy pick can fail. Raises
    ``InvigilatorShortage`` naming the first room (1-based in the message) that cannot be staffed."""
    if per_room < 0:
        raise ValueError("per_room must not be negative")
    members: list[tuple[int, int]] = []
    seen: set[int] = set()
    for member, home in invigilators:
        if member not in seen:
            seen.add(member)
            members.append((member, home))
    room_sets = [frozenset(room) for room in rooms]
    eligible = [[i for i, (_, home) in enumerate(members) if home not in room] for room in room_sets]
    slots = [r for r in range(len(room_sets)) for _ in range(per_room)]
    owner: dict[int, int] = {}  # member index -> slot index

    def augment(start: int) -> bool:
        # iterative DFS for an augmenting path from slot ``start`` (deep chains must not hit the recursion limit)
        for i in eligible[slots[start]]:  # fast path: a free eligible member
            if i not in owner:
                owner[i] = start
                return True
        visited: set[int] = set()
        parent: dict[int, tuple[int | None, int]] = {}  # member index -> (previous member, slot)
        stack: list[tuple[int, int | None]] = [(start, None)]
        while stack:
            slot, via = stack.pop()
            for i in eligible[slots[slot]]:
                if i in visited:
                    continue
                visited.add(i)
                parent[i] = (via, slot)
                if i not in owner:
                    # flip the path back to the start
                    member: int | None = i
                    while member is not None:
                        previous, at_slot = parent[member]
                        owner[member] = at_slot
                        member = previous
                    return True
                stack.append((owner[i], i))
        return False

    for index, room in enumerate(slots):
        if not augment(index):
            count = len(eligible[room])
            raise InvigilatorShortage(
                f"Không đủ cán bộ coi thi: phòng thứ {room + 1} cần {per_room} người không thuộc trường có thí "
                f"sinh trong phòng (có {count} người phù hợp, sau khi đã xếp các phòng trước còn thiếu).",
                room_index=room,
            )
    assigned: list[list[int]] = [[] for _ in room_sets]
    for i in sorted(owner):
        assigned[slots[owner[i]]].append(members[i][0])
    return [tuple(room) for room in assigned]


def new_codes(count: int, rng, *, width: int = 6, exclude: Collection[str] = ()) -> list[str]:
    """``count`` unique random anonymous codes (số phách: DOMAIN "Running an exam"), ``width`` zero-padded
    digits, drawn from ``rng`` (a ``random.Random``; pass ``secrets.SystemRandom()`` in production) and
    different from ``exclude`` (codes already given in the exam). ``ValueError`` when not enough codes exist."""
    if count < 0:
        raise ValueError("count must not be negative")
    space = 10**width
    taken = {code for code in exclude if len(code) == width and code.isdigit()}
    if count > space - len(taken):
        raise ValueError(f"Không đủ mã {width} chữ số cho {count} bài thi.")
    if not taken:
        return [f"{number:0{width}d}" for number in rng.sample(range(space), count)]
    codes: list[str] = []
    chosen = set(taken)
    while len(codes) < count:
        code = f"{rng.randrange(space):0{width}d}"
        if code not in chosen:
            chosen.add(code)
            codes.append(code)
    return codes


# === part 2: graduation and diplomas ========================================================================
#
# Sources, in addition to those at the top of this module:
#
# - TT31/2023 = Thông tư 31/2023/TT-BGDĐT, Quy chế xét công nhận tốt nghiệp trung học cơ sở (DOMAIN "Diplomas
#   and certificates": by review of grade-9 results, at most two rounds a year, no classification, a council of
#   at least seven members);
# - TT22/2021 = Thông tư 22/2021/TT-BGDĐT, đánh giá học sinh THCS và THPT, Art. 12–14 (completing the programme:
#   conduct and learning at least Đạt, at most 45 sessions absent), as the students module computes it;
# - TT15/2020 = Thông tư 15/2020/TT-BGDĐT, Quy chế thi tốt nghiệp THPT (amended by TT05/2021), the graduation score
#   of the exams held 2020–2024; TT24/2024 = Thông tư 24/2024/TT-BGDĐT, the regulation from the 2025 exam on;
# - TT21/2019 = Thông tư 21/2019/TT-BGDĐT, Quy chế quản lý bằng tốt nghiệp THCS, THPT, văn bằng giáo dục đại học
#   và chứng chỉ (the original register, entry numbers, corrections, copies from the register, revocation);
#   DOMAIN quotes its rules: entry numbers consecutive within a calendar year per diploma type, each number on
#   exactly one diploma, issue within 75 days of the graduation decision.


THCS_DIPLOMA = "thcs"
THPT_DIPLOMA = "thpt"
COMPLETION_CERTIFICATE = "completion"
#: the short codes that tell the types apart in an entry number (TT21/2019: "phân biệt được số vào sổ gốc của
#: từng loại văn bằng, năm cấp")
DIPLOMA_CODES = {THCS_DIPLOMA: "THCS", THPT_DIPLOMA: "THPT", COMPLETION_CERTIFICATE: "CNHT"}

GRADUATION_ROUNDS_PER_YEAR = 2  # TT31/2023 (DOMAIN): at most two rounds a year
COUNCIL_MIN_MEMBERS = 7  # TT31/2023 (DOMAIN): a council of at least seven members
ISSUE_DEADLINE_DAYS = 75  # TT21/2019 as amended (DOMAIN): issue within 75 days of the graduation decision
ABSENCE_LIMIT = 45  # TT22/2021 Art. 12: more than 45 sessions absent in the year → the grade is not completed


# --- THCS graduation by review (TT31/2023) ---------------------------------------------------------------------

#: why a learner is not recognised as a THCS graduate (codes kept on the entry, texts printed on the list)
THCS_REASONS = {
    "no_result": "Chưa có kết quả cả năm lớp 9 đã được phê duyệt",
    "absences": "Nghỉ học quá 45 buổi trong năm học lớp 9",
    "conduct": "Kết quả rèn luyện cả năm chưa đạt",
    "learning": "Kết quả học tập cả năm chưa đạt",
    "pending": "Đang rèn luyện trong hè hoặc chờ kiểm tra lại (xét ở đợt sau)",
    "repeat": "Không hoàn thành chương trình lớp 9 (ở lại lớp)",
    "council": "Hội đồng xét không công nhận (xem ghi chú)",
}

# the year outcomes of the students module (students.rules.Outcome), by value
_COMPLETED = frozenset({"hoan_thanh", "len_lop"})
_PENDING = frozenset({"ren_luyen_he", "kiem_tra_lai"})
_FAIL_LEVELS = frozenset({"chua_dat", "cd", "kem", "yeu", "k", "y"})


@dataclass(frozen=True)
class GraduationVerdict:
    """The council's computed proposal for one learner: ``recognised``, else the ``reasons`` (codes of
    ``THCS_REASONS`` or ``THPT_REASONS``), and whether a later round may still recognise them (``may_retry``)."""

    recognised: bool
    reasons: tuple[str, ...] = ()
    may_retry: bool = False


def thcs_graduation(
    outcome: str | None, *, learning: str = "", conduct: str = "", absences: int = 0
) -> GraduationVerdict:
    """TT31/2023: a learner who completed the grade-9 programme is recognised as a THCS graduate. Completion is the
    approved year outcome the students module computed under TT22/2021 Art. 12–14 ("hoan_thanh"; "len_lop" read the
    same for grade 9). ``outcome`` None means no approved year result. A learner still in summer training or
    awaiting re-tests is not recognised now and may be in the second round; one who must repeat is told why:
    absences over 45, conduct or learning Chưa đạt. ``learning`` and ``conduct`` are level codes
    (students.rules.Level or the legacy TT58 codes)."""
    if isinstance(absences, bool) or not isinstance(absences, int) or absences < 0:
        raise ValueError(f"absences must be a non-negative integer, not {absences!r}")
    if not outcome:
        return GraduationVerdict(False, ("no_result",), may_retry=True)
    if outcome in _COMPLETED:
        return GraduationVerdict(True)
    reasons = []
    if absences > ABSENCE_LIMIT:
        reasons.append("absences")
    if (conduct or "").lower() in _FAIL_LEVELS:
        reasons.append("conduct")
    if (learning or "").lower() in _FAIL_LEVELS:
        reasons.append("learning")
    if outcome in _PENDING:
        return GraduationVerdict(False, ("pending", *reasons), may_retry=True)
    return GraduationVerdict(False, tuple(reasons) or ("repeat",))


#: the roles of a graduation council (TT31/2023)
COUNCIL_ROLES = {"chair": "Chủ tịch", "vice_chair": "Phó Chủ tịch", "secretary": "Thư ký", "member": "Ủy viên"}


def council_problems(roles: Sequence[str]) -> list[str]:
    """What keeps a graduation council from deciding (TT31/2023, DOMAIN): at least seven members, exactly one
    chair, at least one secretary. Vietnamese messages, empty when the council is complete."""
    problems = []
    unknown = sorted({r for r in roles if r not in COUNCIL_ROLES})
    if unknown:
        problems.append(f"Vai trò không hợp lệ trong hội đồng: {', '.join(unknown)}.")
    if len(roles) < COUNCIL_MIN_MEMBERS:
        have = len(roles)
        problems.append(f"Hội đồng xét tốt nghiệp phải có ít nhất {COUNCIL_MIN_MEMBERS} thành viên (hiện có {have}).")
    chairs = sum(1 for r in roles if r == "chair")
    if chairs != 1:
        problems.append(f"Hội đồng phải có đúng một Chủ tịch (hiện có {chairs}).")
    if not any(r == "secretary" for r in roles):
        problems.append("Hội đồng phải có Thư ký.")
    return problems


def next_round_number(existing: Collection[int]) -> int:
    """The number of a school's next graduation round in a school year: 1, then 2; a third is a ``ValueError``
    (TT31/2023: at most two rounds a year)."""
    number = max(existing, default=0) + 1
    if number > GRADUATION_ROUNDS_PER_YEAR:
        raise ValueError(
            f"Mỗi năm học chỉ được tổ chức tối đa {GRADUATION_ROUNDS_PER_YEAR} đợt xét công nhận tốt nghiệp."
        )
    return number


# --- THPT graduation from the exam (TT15/2020, TT24/2024) -------------------------------------------------------

THPT_REASONS = {
    "absent": "Vắng thi hoặc thiếu điểm bài thi/môn thi",
    "fail_mark": "Có bài thi/môn thi đạt từ 1,0 điểm trở xuống",
    "below": "Điểm xét tốt nghiệp dưới 5,0",
    "no_record": "Thiếu điểm trung bình cả năm học cần cho điểm xét tốt nghiệp",
    "council": "Không đủ điều kiện công nhận tốt nghiệp (xem ghi chú)",
}


@dataclass(frozen=True)
class GraduationFormula:
    """How the graduation score (điểm xét tốt nghiệp, ĐXTN) is computed for the exams of ``first_year`` until the
    next formula: ``exam_share`` of the mean of the ``tests`` test scores (plus bonus points, where the formula
    still has them), ``1 - exam_share`` of the weighted mean of the year averages ``record_weights`` {grade:
    weight}; then priority points. Pass: ĐXTN ≥ ``pass_mark`` and no test ≤ ``fail_at``."""

    first_year: int
    source: str
    tests: int
    exam_share: Decimal
    record_weights: Mapping[int, int]
    bonus_counts: bool
    pass_mark: Decimal = Decimal("5.0")
    fail_at: Decimal = Decimal("1.0")


#: the formulas by the calendar year of the exam, newest last (rule sets change between school years)
GRADUATION_FORMULAS = (
    GraduationFormula(
        2020,
        "TT15/2020 (sửa đổi bởi TT05/2021): ĐXTN = [(tổng điểm 4 bài thi + tổng điểm khuyến khích)/4 × 7 + ĐTB cả năm "
        "lớp 12 × 3]/10 + điểm ưu tiên",
        tests=4,
        exam_share=Decimal("0.7"),
        record_weights={12: 1},
        bonus_counts=True,
    ),
    GraduationFormula(
        2025,
        "TT24/2024: ĐXTN = (tổng điểm 4 môn thi/4) × 50% + ĐTB các năm học (lớp 10 × 1, lớp 11 × 2, lớp 12 × 3)/6 "
        "× 50% + điểm ưu tiên",
        tests=4,
        exam_share=Decimal("0.5"),
        record_weights={10: 1, 11: 2, 12: 3},
        bonus_counts=False,
    ),
)


def graduation_formula(exam_year: int) -> GraduationFormula:
    """The formula of the exam held in calendar year ``exam_year`` (``ValueError`` before 2020)."""
    chosen = None
    for formula in GRADUATION_FORMULAS:
        if formula.first_year <= exam_year:
            chosen = formula
    if chosen is None:
        raise ValueError(f"Chưa có công thức điểm xét tốt nghiệp cho kỳ thi năm {exam_year}.")
    return chosen


@dataclass(frozen=True)
class GraduationScore:
    """A THPT candidate's graduation score (None when it cannot be computed) and verdict."""

    score: Decimal | None
    record_average: Decimal | None
    verdict: GraduationVerdict


def graduation_score(
    exam_year: int,
    tests: Sequence[Any],
    *,
    year_averages: Mapping[int, Any],
    priority: Any = ZERO,
    bonus: Any = ZERO,
) -> GraduationScore:
    """The graduation score of a candidate of the exam of ``exam_year`` and whether they graduate.

    ``tests``: the scores of the tests (bài thi / môn thi) the formula counts, None for a test missed (a combined
    test counts as the mean of its parts, computed by the caller); ``year_averages``: {grade: the approved year
    average}; ``priority`` and ``bonus``: points. The year-record mean is rounded half-up to two decimals, and so
    is ĐXTN (TT24/2024; TT15/2020 the same). Not recognised: a test missing ("absent"), a test ≤ 1.0
    ("fail_mark"), ĐXTN < 5.0 ("below"), a year average missing ("no_record")."""
    formula = graduation_formula(exam_year)
    if len(tests) != formula.tests:
        raise ValueError(f"the {formula.first_year} formula counts {formula.tests} tests, not {len(tests)}")
    scores = [_optional_decimal(t, "test") for t in tests]
    priority = to_decimal(priority, "priority")
    bonus = to_decimal(bonus, "bonus") if formula.bonus_counts else ZERO
    reasons: list[str] = []
    if any(s is None for s in scores):
        reasons.append("absent")
    if any(s is not None and s <= formula.fail_at for s in scores):
        reasons.append("fail_mark")
    averages = {
        grade: _optional_decimal(year_averages.get(grade), f"grade {grade} average") for grade in formula.record_weights
    }
    record = None
    if any(v is None for v in averages.values()):
        reasons.append("no_record")
    else:
        weight = sum(formula.record_weights.values())
        record = round_half_up(sum(averages[g] * w for g, w in formula.record_weights.items()) / weight)
    score = None
    if record is not None and not any(s is None for s in scores):
        exam_part = (sum(scores, ZERO) + bonus) / formula.tests
        score = round_half_up(exam_part * formula.exam_share + record * (1 - formula.exam_share) + priority)
        if score < formula.pass_mark:
            reasons.append("below")
    return GraduationScore(score, record, GraduationVerdict(not reasons, tuple(reasons)))


# --- the original register (TT21/2019) -------------------------------------------------------------------------


def entry_label(kind: str, year: int, number: int, *, book: str = "original") -> str:
    """The entry number (số vào sổ gốc) as printed: "00123/THPT/2026"; a copy from the register (bản sao)
    "00007/BS-THPT/2026". Consecutive from 1 within a calendar year and a diploma type (TT21/2019, DOMAIN); the type
    code and the year keep the numbers of different types and years apart."""
    if number < 1:
        raise ValueError("entry numbers start at 1")
    code = DIPLOMA_CODES[kind]
    return f"{number:05d}/{'BS-' if book == 'copy' else ''}{code}/{year}"


_SERIAL_CHARS = re.compile(r"^[A-Z0-9][A-Z0-9 ./\-]{0,29}$")
_TRAILING_DIGITS = re.compile(r"^(.*?)(\d+)$")


def normalise_serial(text: Any) -> str:
    """A serial number (số hiệu, printed on the blank) as stored: NFC, upper case, inner spaces collapsed. Letters
    A–Z, digits, space, ".", "/", "-"; 1–30 characters. ``ValueError`` with a Vietnamese message otherwise."""
    value = " ".join(unicodedata.normalize("NFC", str(text or "")).upper().split())
    if not value:
        raise ValueError("Chưa nhập số hiệu văn bằng.")
    if not _SERIAL_CHARS.match(value):
        raise ValueError(
            f"Số hiệu “{value}” không hợp lệ: chỉ gồm chữ cái không dấu, chữ số, dấu cách, “.”, “/”, “-” (≤ 30 ký tự)."
        )
    return value


def serial_sequence(first: Any, count: int) -> list[str]:
    """``count`` serial numbers from ``first`` on, as the blanks are filled in order: the trailing digits count up,
    keeping their width ("A 0099" → "A 0099", "A 0100", …). ``ValueError`` when ``first`` does not end in digits or
    the digits would overflow their width."""
    first = normalise_serial(first)
    if count < 0:
        raise ValueError("count must not be negative")
    match = _TRAILING_DIGITS.match(first)
    if not match:
        raise ValueError(f"Số hiệu đầu tiên “{first}” phải kết thúc bằng chữ số để đánh số liên tiếp.")
    head, digits = match.groups()
    start, width = int(digits), len(digits)
    if start + count - 1 >= 10**width:
        raise ValueError(f"Dãy số hiệu từ “{first}” vượt quá {width} chữ số với {count} văn bằng.")
    return [f"{head}{start + i:0{width}d}" for i in range(count)]


def issue_deadline(decision_date):
    """The last day to issue the diplomas of a graduation decision signed on ``decision_date`` (TT21/2019 as
    amended, DOMAIN: within 75 days)."""
    import datetime as _dt

    return decision_date + _dt.timedelta(days=ISSUE_DEADLINE_DAYS)


def issue_date_problem(decision_date, issued_on) -> str | None:
    """Why a diploma cannot carry ``issued_on`` for a decision of ``decision_date`` (None: it can). Issuing late is
    allowed — the deadline is the issuer's duty, shown as overdue — but not before the decision."""
    if decision_date is not None and issued_on < decision_date:
        return "Ngày cấp không được trước ngày ký quyết định công nhận tốt nghiệp."
    return None


#: who may ask for a copy from the original register (TT21/2019, chapter on copies): the holder, their legal or
#: authorised representative, and — only when the holder has died — their relatives and heirs
COPY_REQUESTERS = {
    "holder": "Người được cấp văn bằng",
    "representative": "Người đại diện theo pháp luật hoặc theo ủy quyền",
    "parent": "Cha, mẹ",
    "child": "Con",
    "spouse": "Vợ, chồng",
    "sibling": "Anh, chị, em ruột",
    "heir": "Người thừa kế khác",
}
_RELATIVES = frozenset({"parent", "child", "spouse", "sibling", "heir"})


def copy_request_problem(relation: str, *, holder_deceased: bool, authorisation: bool) -> str | None:
    """Why a copy cannot be issued to this requester (None: it can): a representative shows an authorisation or
    the legal basis; relatives and heirs only when the holder has died (TT21/2019)."""
    if relation not in COPY_REQUESTERS:
        return "Quan hệ với người được cấp văn bằng không hợp lệ."
    if relation == "representative" and not authorisation:
        return "Người đại diện phải xuất trình giấy ủy quyền hoặc căn cứ đại diện theo pháp luật."
    if relation in _RELATIVES and not holder_deceased:
        return "Người thân chỉ được yêu cầu cấp bản sao khi người được cấp văn bằng đã chết."
    return None


#: why a diploma is revoked (TT21/2019; DOMAIN: fraud, ineligible holder, altered, lent, issuer error)
REVOCATION_REASONS = {
    "fraud": "Gian lận trong học tập, thi cử, tuyển sinh hoặc trong việc làm hồ sơ để được cấp văn bằng",
    "ineligible": "Cấp cho người không đủ điều kiện",
    "no_authority": "Do người không có thẩm quyền cấp",
    "altered": "Bị tẩy xóa, sửa chữa",
    "lent": "Để cho người khác sử dụng",
    "issuer_error": "Do lỗi của cơ quan có thẩm quyền cấp văn bằng",
}

#: the grounds for correcting a diploma's content (TT21/2019): a change of civil status, or the issuer's mistake
CORRECTION_GROUNDS = {
    "civil_status": "Thay đổi, cải chính hộ tịch, xác định lại dân tộc, bổ sung hộ tịch",
    "issuer_error": "Ghi sai do lỗi của cơ quan cấp văn bằng",
}
#: the holder's data a correction may change (what the diploma prints)
CORRECTABLE_FIELDS = ("full_name", "birth_date", "birthplace", "sex", "ethnicity")
