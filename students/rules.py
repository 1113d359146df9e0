"""The grading circulars of module (a) as pure functions on plain values (no ORM, no request, no settings).

Circulars (abbreviations used in every docstring below):

- TT22/2021 = Thông tư 22/2021/TT-BGDĐT, assessment of lower- and upper-secondary students (GDPT 2018 programme);
- TT27/2020 = Thông tư 27/2020/TT-BGDĐT, assessment of primary students (GDPT 2018 programme);
- TT58/2011 = Thông tư 58/2011/TT-BGDĐT, the former secondary rules, amended by TT26/2020 = Thông tư 26/2020/TT-BGDĐT
  (from 2020–21: TT22's formula and score counts, TT58's classification);
- TT30/2014 = Thông tư 30/2014/TT-BGDĐT amended by TT22/2016 = Thông tư 22/2016/TT-BGDĐT, the former primary rules.

Arithmetic is ``Decimal`` only (a ``float`` argument is a ``TypeError``) and every average is rounded half-up to one
decimal from the exact rational value: ``round(8.25, 1)`` is 8.2 in binary floating point, the circulars want 8.3.

Interpretations this module had to choose are marked "Interpretation" in the docstrings: TT22 Art. 9.3 (the
single-subject adjustment), TT58 Art. 13.3 (its four adjustments), the order of summer training and re-tests, and
the legacy column layouts. Exempted subjects (and subjects of a student with disabilities assessed against an
individual plan) are simply left out of the mappings by the caller.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

from django.db.models import TextChoices

# --- rule sets: which circular applies to a school year and a grade -------------------------------


class RuleSet(TextChoices):
    TT22 = "tt22", "Thông tư 22/2021"
    TT27 = "tt27", "Thông tư 27/2020"
    TT26 = "tt26", "Thông tư 58/2011 (sửa đổi bởi Thông tư 26/2020)"
    TT58 = "tt58", "Thông tư 58/2011"
    TT30 = "tt30", "Thông tư 30/2014 (sửa đổi bởi Thông tư 22/2016)"
    NONE = "none", "Không đánh giá bằng điểm"


#: first school year (by its first calendar year) in which TT22/2021 applies to each secondary grade
#: (TT22/2021 Art. 2 of the issuing circular)
TT22_FROM: dict[int, int] = {6: 2021, 7: 2022, 10: 2022, 8: 2023, 11: 2023, 9: 2024, 12: 2024}
#: first school year in which TT27/2020 applies to each primary grade (TT27 Art. 2: grade 1 in 2020–21, +1 a year)
TT27_FROM: dict[int, int] = {grade: 2019 + grade for grade in range(1, 6)}
#: TT26/2020 amended TT58/2011 from the 2020–21 school year
TT26_FROM = 2020

PRIMARY_RULE_SETS = frozenset({RuleSet.TT27, RuleSet.TT30})
SECONDARY_RULE_SETS = frozenset({RuleSet.TT22, RuleSet.TT26, RuleSet.TT58})


def rule_set_for(start_year: int, grade: int) -> RuleSet:
    """The rule set of a school year (``start_year`` 2024 = 2024–2025) and a grade.

    - TT22/2021 Art. 2 (rollout, in the issuing circular): grade 6 from 2021–22; 7 and 10 from 2022–23; 8 and 11
      from 2023–24; 9 and 12 from 2024–25. Before that a secondary grade uses TT58/2011, with TT26/2020's
      amendments from 2020–21 (``TT26``), plain ``TT58`` before.
    - TT27/2020 Art. 2 (rollout): grade 1 from 2020–21 … grade 5 from 2024–25. Before that a primary grade uses
      TT30/2014 as amended by TT22/2016 (the years before TT30, 2014–15, are not modelled and also get ``TT30``).
    - Any grade outside 1..12 (preschool, no grade) gets ``NONE``.
    """
    if isinstance(grade, bool) or not isinstance(grade, int) or not 1 <= grade <= 12:
        return RuleSet.NONE
    if grade <= 5:
        return RuleSet.TT27 if start_year >= TT27_FROM[grade] else RuleSet.TT30
    if start_year >= TT22_FROM[grade]:
        return RuleSet.TT22
    return RuleSet.TT26 if start_year >= TT26_FROM else RuleSet.TT58


def is_primary(rule_set: RuleSet | str) -> bool:
    """True for the primary rule sets (TT27/2020, TT30/2014 amended by TT22/2016), whose results are levels."""
    return RuleSet(rule_set) in PRIMARY_RULE_SETS


# --- numbers and rounding -------------------------------------------------------------------------

TENTH = Decimal("0.1")
ZERO, FIVE, TEN = Decimal(0), Decimal(5), Decimal(10)


def _decimal(value: Decimal | int, what: str = "value") -> Decimal:
    """``value`` as a finite Decimal; floats are refused (the circulars' rounding cannot survive binary floats)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{what} must be a Decimal or an int, not {type(value).__name__}")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{what} must be a finite number, not {value}")
    return number


def _score(value: Decimal | int, what: str = "score") -> Decimal:
    """A value on the 10-point scale (0 ≤ value ≤ 10)."""
    number = _decimal(value, what)
    if not ZERO <= number <= TEN:
        raise ValueError(f"{what} {value} is not on the 10-point scale")
    return number


def round1(value: Decimal) -> Decimal:
    """Half-up to one decimal (TT22/2021 Art. 9.1: averages are rounded to one decimal; the same rule in
    TT58/2011 Art. 11). ``round1(Decimal("8.25")) == Decimal("8.3")`` where ``round(8.25, 1) == 8.2``."""
    return _decimal(value).quantize(TENTH, rounding=ROUND_HALF_UP)


def _ratio1(numerator: Decimal, denominator: int) -> Decimal:
    """``numerator / denominator`` rounded half-up to one decimal, exactly (no 28-digit division in between)."""
    if denominator <= 0:
        raise ValueError("nothing to average")
    with localcontext() as context:
        context.prec = 200
        tenths, remainder = divmod(numerator * 10, denominator)
        if 2 * remainder >= denominator:
            tenths += 1
        return (tenths / 10).quantize(TENTH)


def regular_score_count(periods_per_year: int) -> int:
    """Regular scores (ĐĐGtx) per semester, TT22/2021 Art. 7 (and TT26/2020 amending TT58/2011): ≤ 35 periods a
    year → 2, 36–70 → 3, > 70 → 4."""
    if isinstance(periods_per_year, bool) or not isinstance(periods_per_year, int) or periods_per_year < 0:
        raise ValueError(f"periods per year must be a non-negative integer, not {periods_per_year!r}")
    if periods_per_year <= 35:
        return 2
    if periods_per_year <= 70:
        return 3
    return 4


def legacy_regular_score_count(periods_per_year: int) -> int:
    """Regular tests (KTtx) per semester before 2020–21, TT58/2011 Art. 9 (minimums by weekly periods over 35
    weeks): ≤ 1 period a week (≤ 35 a year) → 2; more than 1 and under 3 a week (36–104) → 3; 3 or more (≥ 105) → 4.
    The circular sets minimums; the grade book offers exactly this many columns."""
    if isinstance(periods_per_year, bool) or not isinstance(periods_per_year, int) or periods_per_year < 0:
        raise ValueError(f"periods per year must be a non-negative integer, not {periods_per_year!r}")
    if periods_per_year <= 35:
        return 2
    if periods_per_year < 105:
        return 3
    return 4


# --- grade-book cells: parsing what a teacher types -------------------------------------------------


class CellKind(TextChoices):
    SCORE = "score", "Điểm (0–10, một chữ số thập phân)"
    COMMENT = "comment", "Nhận xét (Đ/CĐ)"
    LEVEL = "level", "Mức đạt được (T/H/C)"
    TEST = "test", "Điểm bài kiểm tra định kỳ (số nguyên 0–10)"


class CellError(ValueError):
    """A cell the teacher typed cannot be stored; ``message`` is a Vietnamese sentence (the caller prefixes the
    student and the column)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


PASSED, NOT_PASSED = "Đ", "CĐ"  # canonical comment cells (TT22/2021 Art. 7: Đạt / Chưa đạt)

MSG_SCORE_INVALID = "Điểm không hợp lệ: hãy nhập một số từ 0 đến 10, ví dụ 8 hoặc 8,5."
MSG_SCORE_RANGE = "Điểm phải từ 0 đến 10."
MSG_SCORE_DECIMALS = "Điểm chỉ được có một chữ số thập phân."
MSG_TEST = "Điểm bài kiểm tra định kỳ phải là số nguyên từ 0 đến 10."
MSG_COMMENT = "Nhận xét phải là Đ (Đạt) hoặc CĐ (Chưa đạt)."
MSG_LEVEL = "Mức đánh giá phải là T (Hoàn thành tốt), H (Hoàn thành) hoặc C (Chưa hoàn thành)."

# ASCII digits only (``\d`` would accept Arabic-Indic and other digits that Decimal() happily parses)
_NUMBER = re.compile(r"(-?)([0-9]+)(?:[.,]([0-9]+))?", re.ASCII)
_CANONICAL_NUMBER = re.compile(r"(?:[0-9]|10)(?:\.[0-9])?", re.ASCII)
_COMMENT_WORDS = {
    "đ": PASSED,
    "d": PASSED,
    "đạt": PASSED,
    "dat": PASSED,
    "cđ": NOT_PASSED,
    "cd": NOT_PASSED,
    "chưa đạt": NOT_PASSED,
    "chua dat": NOT_PASSED,
}


def _number_text(text: str) -> str:
    """Numeric input, NFKC-normalised (full-width "８,５" → "8,5"; NBSP → space) and stripped."""
    return unicodedata.normalize("NFKC", text).strip()


def _parse_score(text: str) -> str:
    match = _NUMBER.fullmatch(_number_text(text))
    if not match:
        raise CellError(MSG_SCORE_INVALID)
    sign, whole, fraction = match.groups()
    fraction = (fraction or "").rstrip("0")
    value = Decimal(f"{whole}.{fraction or '0'}")
    if sign or value > TEN:
        raise CellError(MSG_SCORE_RANGE)
    if len(fraction) > 1:
        raise CellError(MSG_SCORE_DECIMALS)
    return f"{int(whole)}.{fraction}" if fraction else str(int(whole))


def _parse_test(text: str) -> str:
    match = _NUMBER.fullmatch(_number_text(text))
    if not match:
        raise CellError(MSG_TEST)
    sign, whole, fraction = match.groups()
    if sign or (fraction or "").rstrip("0") or int(whole) > 10:
        raise CellError(MSG_TEST)
    return str(int(whole))


def _parse_comment(text: str) -> str:
    # U+00D0/U+00F0 (Icelandic eth) look exactly like Đ/đ and come out of some legacy Vietnamese encodings
    words = unicodedata.normalize("NFC", text).replace("Ð", "Đ").replace("ð", "đ").casefold().split()
    try:
        return _COMMENT_WORDS[" ".join(words)]
    except KeyError:
        raise CellError(MSG_COMMENT) from None


def _parse_level(text: str) -> str:
    level = _number_text(text).upper()
    if level not in PrimaryLevel.values:
        raise CellError(MSG_LEVEL)
    return level


def parse_cell(kind: CellKind | str, text: str | None) -> str | None:
    """What a teacher typed in a grade-book cell → the canonical stored string, or None for a blank cell.

    - SCORE (TT22/2021 Art. 6–7: 10-point scale, at most one decimal): "8", "8,5", "8.5", " 9,0 " → "8", "8.5",
      "8.5", "9"; a trailing zero decimal is dropped and "." is the stored separator. Full-width digits are
      NFKC-normalised ("８,５" → "8.5"); other scripts' digits, signs, exponents and NaN are refused.
    - COMMENT (TT22/2021 Art. 6–7: Đạt / Chưa đạt): "Đ", "d", "Đạt" … → "Đ"; "CĐ", "cd", "Chưa đạt" … → "CĐ"
      (NFC or NFD input, any case, with or without diacritics).
    - LEVEL (TT27/2020 Art. 6; TT30/2014 Art. 10 as amended by TT22/2016): T/H/C in either case → upper case.
    - TEST (TT27/2020 Art. 7; TT30/2014 Art. 10 as amended by TT22/2016: integer marks): "0".."10" ("7,0" → "7").

    Raises ``CellError`` with a Vietnamese ``message``.
    """
    kind = CellKind(kind)
    if text is None or not text.strip():
        return None
    if kind == CellKind.SCORE:
        return _parse_score(text)
    if kind == CellKind.TEST:
        return _parse_test(text)
    if kind == CellKind.COMMENT:
        return _parse_comment(text)
    return _parse_level(text)


def cell_number(value: str) -> Decimal:
    """A canonical SCORE or TEST cell ("8", "8.5", "10") as a Decimal (TT22/2021 Art. 6–7; TT27/2020 Art. 7).
    Anything else (a comma, two decimals, out of range) is a ``ValueError``: pass typed text through
    ``parse_cell`` first."""
    if not isinstance(value, str) or not _CANONICAL_NUMBER.fullmatch(value) or Decimal(value) > TEN:
        raise ValueError(f"not a canonical score cell: {value!r}")
    return Decimal(value)


# --- grade-book columns ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a subject's semester sheet in the mark book."""

    key: str
    label: str
    kind: CellKind
    weight: int  # 1 regular, 2 mid-term / định kỳ, 3 end-of-term; 0 for primary levels and tests
    required: bool  # needed for the semester result to be computable


#: TT27/2020 Art. 6 (and TT30/2014 Art. 10 as amended by TT22/2016): subjects with an end-of-semester-I and an
#: end-of-year test
PRIMARY_TESTED_SUBJECTS: frozenset[str] = frozenset(
    {"tieng-viet", "toan", "ngoai-ngu-1", "ls-dl-tieu-hoc", "khoa-hoc", "tin-hoc-cong-nghe"}
)
#: … and, in grades 4 and 5 only, also a mid-semester test
PRIMARY_MIDTERM_TESTED_SUBJECTS: frozenset[str] = frozenset({"tieng-viet", "toan"})
PRIMARY_MIDTERM_TESTED_GRADES = frozenset({4, 5})

ASSESSMENTS = ("scored", "comment")  # org.Assessment values


def sheet_columns(
    rule_set: RuleSet | str,
    *,
    assessment: str,
    periods_per_year: int,
    grade: int,
    subject_code: str,
    semester: int,
) -> tuple[Column, ...]:
    """The columns of one subject's sheet for one semester, in display order.

    - TT22/2021 Art. 6–7 and TT26/2020 (amending TT58/2011 Art. 9): ``tx1``..``txN`` (N = ``regular_score_count``,
      weight 1), ``gk`` (weight 2), ``ck`` (weight 3), all required; SCORE cells for a scored subject, COMMENT cells
      (Đ/CĐ) for a comment-only one.
    - TT58/2011 Art. 9 (before 2020–21) — Interpretation: ``tx1``..``txN`` (N = ``legacy_regular_score_count``,
      weight 1), ``dk1`` and ``dk2`` (1-period tests, weight 2; ``dk2`` optional because the number of định kỳ tests
      came from each subject's plan), ``ck`` (the semester test, weight 3).
    - TT27/2020 Art. 6 and TT30/2014 Art. 10 (as amended by TT22/2016): ``level_gk``, ``level_ck`` (T/H/C, required)
      for every subject; ``test_ck`` (integer test, required) for ``PRIMARY_TESTED_SUBJECTS``; ``test_gk`` (not
      required: it feeds no result) for Tiếng Việt and Toán in grades 4–5. ``assessment`` plays no part in primary.
    - ``NONE``: no columns.
    """
    rule_set = RuleSet(rule_set)
    if assessment not in ASSESSMENTS:
        raise ValueError(f"assessment must be one of {ASSESSMENTS}, not {assessment!r}")
    if semester not in (1, 2):
        raise ValueError(f"semester must be 1 or 2, not {semester!r}")
    if rule_set == RuleSet.NONE:
        return ()
    if rule_set in PRIMARY_RULE_SETS:
        columns = [
            Column("level_gk", "Mức GK", CellKind.LEVEL, 0, True),
            Column("level_ck", "Mức CK", CellKind.LEVEL, 0, True),
        ]
        if grade in PRIMARY_MIDTERM_TESTED_GRADES and subject_code in PRIMARY_MIDTERM_TESTED_SUBJECTS:
            columns.append(Column("test_gk", "KTĐK GK", CellKind.TEST, 0, False))
        if subject_code in PRIMARY_TESTED_SUBJECTS:
            columns.append(Column("test_ck", "KTĐK CK", CellKind.TEST, 0, True))
        return tuple(columns)
    kind = CellKind.SCORE if assessment == "scored" else CellKind.COMMENT
    if rule_set == RuleSet.TT58:
        count = legacy_regular_score_count(periods_per_year)
        return (
            *(Column(f"tx{i}", f"KTtx{i}", kind, 1, True) for i in range(1, count + 1)),
            Column("dk1", "KTđk1", kind, 2, True),
            Column("dk2", "KTđk2", kind, 2, False),
            Column("ck", "KThk", kind, 3, True),
        )
    count = regular_score_count(periods_per_year)
    return (
        *(Column(f"tx{i}", f"ĐĐGtx{i}", kind, 1, True) for i in range(1, count + 1)),
        Column("gk", "ĐĐGgk", kind, 2, True),
        Column("ck", "ĐĐGck", kind, 3, True),
    )


def missing_cells(columns: Sequence[Column], cells: Mapping[str, str | None]) -> tuple[str, ...]:
    """Keys of the required columns still blank (TT22/2021 Art. 6–7: a missed assessment is made up, else it counts
    as 0 / Chưa đạt — the grade book shows these as "chưa đủ")."""
    return tuple(c.key for c in columns if c.required and not (cells.get(c.key) or "").strip())


# --- subject averages (ĐTBmhk, ĐTBmcn) -------------------------------------------------------------


def semester_average(regular: Sequence[Decimal], midterms: Sequence[Decimal], final: Decimal) -> Decimal:
    """ĐTBmhk = (ΣĐĐGtx + 2·ΣĐĐGgk + 3·ĐĐGck) / (nĐĐGtx + 2·nĐĐGgk + 3), rounded half-up (TT22/2021 Art. 9.1; with
    one ĐĐGgk the denominator is nĐĐGtx + 5). With the 1-period tests as ``midterms`` it is TT58/2011 Art. 11's
    (ΣKTtx + 2·ΣKTđk + 3·KThk) / (nKTtx + 2·nKTđk + 3)."""
    regular = [_score(v, "regular score") for v in regular]
    midterms = [_score(v, "mid-term score") for v in midterms]
    final = _score(final, "end-of-term score")
    total = sum(regular, ZERO) + 2 * sum(midterms, ZERO) + 3 * final
    return _ratio1(total, len(regular) + 2 * len(midterms) + 3)


def year_average(sem1: Decimal | None, sem2: Decimal) -> Decimal:
    """ĐTBmcn = (ĐTBmhkI + 2·ĐTBmhkII) / 3 from the rounded semester averages (TT22/2021 Art. 9.1; TT58/2011
    Art. 11). The semester averages are rounded first, so unrounded input gives the same result as rounded input.

    Interpretation: ``sem1`` None (a subject taught only in semester II) → the semester II average is the year's.
    """
    sem2 = round1(_score(sem2, "semester II average"))
    if sem1 is None:
        return sem2
    sem1 = round1(_score(sem1, "semester I average"))
    return _ratio1(sem1 + 2 * sem2, 3)


def _score_cells(columns: Sequence[Column], cells: Mapping[str, str | None]) -> Iterable[tuple[Column, str | None]]:
    for column in columns:
        if column.kind == CellKind.SCORE:
            value = cells.get(column.key)
            yield column, (value.strip() or None) if isinstance(value, str) else value


def semester_average_from_cells(columns: Sequence[Column], cells: Mapping[str, str | None]) -> Decimal | None:
    """ĐTBmhk from a scored sheet's canonical cells (TT22/2021 Art. 9.1; TT58/2011 Art. 11): weight-1 columns are
    the regular scores, weight 2 the mid-term / định kỳ scores, weight 3 the end-of-term score. None while a required
    cell is blank; a blank optional cell (TT58's ``dk2``) is left out of the formula."""
    regular: list[Decimal] = []
    midterms: list[Decimal] = []
    finals: list[Decimal] = []
    by_weight = {1: regular, 2: midterms, 3: finals}
    score_columns = list(_score_cells(columns, cells))
    if [c.weight for c, _ in score_columns].count(3) != 1:
        raise ValueError("a scored sheet has exactly one end-of-term score column")
    for column, value in score_columns:
        if value is None:
            if column.required:
                return None
            continue
        if column.weight not in by_weight:
            raise ValueError(f"column {column.key} has weight {column.weight}")
        by_weight[column.weight].append(cell_number(value))
    return semester_average(regular, midterms, finals[0])


def comment_result(columns: Sequence[Column], cells: Mapping[str, str | None]) -> bool | None:
    """A comment-only subject's semester result (TT22/2021 Art. 9.1, point for comment subjects): True = Đạt when
    every required assessment was done and all of them (optional ones entered too) are Đ; False = Chưa đạt
    otherwise, including a required assessment still blank (TT22/2021 Art. 6–7: a missed assessment not made up
    is Chưa đạt); None when nothing has been entered yet. Use ``missing_cells`` to tell "incomplete" apart."""
    entered: list[str] = []
    complete = True
    for column in columns:
        if column.kind != CellKind.COMMENT:
            continue
        value = parse_cell(CellKind.COMMENT, cells.get(column.key))
        if value is None:
            complete = complete and not column.required
        else:
            entered.append(value)
    if not entered:
        return None
    return complete and all(value == PASSED for value in entered)


def year_comment_result(sem1: bool | None, sem2: bool | None) -> bool | None:
    """A comment-only subject's year result is the semester II result (TT22/2021 Art. 9.1); ``sem1`` is ignored."""
    return sem2


# --- TT22/2021: learning result, conduct, promotion, titles ----------------------------------------


class Level(TextChoices):
    GOOD = "tot", "Tốt"
    FAIR = "kha", "Khá"
    PASS = "dat", "Đạt"
    FAIL = "chua_dat", "Chưa đạt"


LEVEL_RANK: dict[str, int] = {Level.FAIL: 0, Level.PASS: 1, Level.FAIR: 2, Level.GOOD: 3}
LEVELS_BY_RANK: tuple[Level, ...] = (Level.FAIL, Level.PASS, Level.FAIR, Level.GOOD)
#: TT22/2021 Art. 9.2: how many scored subjects must reach a bar
SUBJECTS_AT_BAR = 6


def _check_results(scored: Mapping[str, Decimal], comments: Mapping[str, bool]) -> None:
    both = set(scored) & set(comments)
    if both:
        raise ValueError(f"subjects both scored and comment-only: {sorted(both)}")
    for key, value in scored.items():
        _score(value, f"average of {key}")
    for key, value in comments.items():
        if not isinstance(value, bool):
            raise TypeError(f"comment result of {key} must be True (Đạt) or False (Chưa đạt), not {value!r}")


def _tt22_level(scores: Sequence[Decimal], comments: Sequence[bool]) -> Level:
    """The Art. 9.2 table, before any adjustment."""
    all_passed = all(comments)
    lowest = min(scores, default=TEN)

    def at_least(bar: str) -> int:
        return sum(score >= Decimal(bar) for score in scores)

    if all_passed and lowest >= Decimal("6.5") and at_least("8.0") >= SUBJECTS_AT_BAR:
        return Level.GOOD
    if all_passed and lowest >= FIVE and at_least("6.5") >= SUBJECTS_AT_BAR:
        return Level.FAIR
    if comments.count(False) <= 1 and at_least("5.0") >= SUBJECTS_AT_BAR and lowest >= Decimal("3.5"):
        return Level.PASS
    return Level.FAIL


def learning_level_explained(
    scored: Mapping[str, Decimal], comments: Mapping[str, bool]
) -> tuple[Level, Level, str | None]:
    """(final level, level before the Art. 9.3 adjustment, subject key that triggered the raise or None).

    TT22/2021 Art. 9.2, per semester (from ĐTBmhk) and per year (from ĐTBmcn) — ``scored`` maps subject keys to
    averages, ``comments`` maps comment-only subjects to True (Đạt) / False (Chưa đạt):
    - Tốt: all comments Đạt; every score ≥ 6.5 and at least 6 ≥ 8.0;
    - Khá: all comments Đạt; every score ≥ 5.0 and at least 6 ≥ 6.5;
    - Đạt: at most one comment Chưa đạt; at least 6 scores ≥ 5.0 and none < 3.5;
    - Chưa đạt: otherwise.

    Art. 9.3 raises a result that is two levels or more below Tốt or Khá "only because of one single subject" to the
    next level up. Interpretation (ours, following public implementations; the circular leaves the computation
    open): for each subject in turn (sorted keys), compute the level from the other subjects alone — same bars,
    counts over the remaining subjects; if the best of those is at least two levels above the computed level, raise
    the computed level by exactly one. The reported subject is the first one giving that best level.

    Exempted subjects are absent from the mappings (the caller's job), so they count towards no bar.
    """
    _check_results(scored, comments)
    scores = list(scored.values())
    computed = _tt22_level(scores, list(comments.values()))
    if LEVEL_RANK[computed] >= LEVEL_RANK[Level.FAIR]:
        return computed, computed, None  # nothing lies two levels above Khá or Tốt
    # Leaving one subject out moves each "≥ bar" count by at most one, the lowest score only
    # when the one left out is the lowest, and the Chưa đạt count by at most one: the
    # leave-one-out levels come from counts taken once (a whole school's year results call
    # this thousands of times).
    n80, n65, n50 = (sum(v >= bar for v in scores) for bar in _BARS)
    fails = sum(not v for v in comments.values())
    ordered = sorted(scores)
    lowest = ordered[0] if ordered else TEN
    second = ordered[1] if len(ordered) > 1 else TEN
    best, trigger = computed, None
    for key in sorted([*scored, *comments]):
        if key in scored:
            v = scored[key]
            level = _level_from_counts(
                n80 - (v >= _BARS[0]),
                n65 - (v >= _BARS[1]),
                n50 - (v >= _BARS[2]),
                second if v == lowest else lowest,
                fails,
            )
        else:
            level = _level_from_counts(n80, n65, n50, lowest, fails - (not comments[key]))
        if LEVEL_RANK[level] > LEVEL_RANK[best]:
            best, trigger = level, key
    if LEVEL_RANK[best] - LEVEL_RANK[computed] >= 2:
        return LEVELS_BY_RANK[LEVEL_RANK[computed] + 1], computed, trigger
    return computed, computed, None


_BARS = (Decimal("8.0"), Decimal("6.5"), Decimal("5.0"))


def _level_from_counts(n80: int, n65: int, n50: int, lowest: Decimal, fails: int) -> Level:
    """The Art. 9.2 table from counts already taken (see ``_tt22_level``)."""
    if fails == 0 and lowest >= Decimal("6.5") and n80 >= SUBJECTS_AT_BAR:
        return Level.GOOD
    if fails == 0 and lowest >= FIVE and n65 >= SUBJECTS_AT_BAR:
        return Level.FAIR
    if fails <= 1 and n50 >= SUBJECTS_AT_BAR and lowest >= Decimal("3.5"):
        return Level.PASS
    return Level.FAIL


def learning_level(scored: Mapping[str, Decimal], comments: Mapping[str, bool]) -> Level:
    """The learning result (kết quả học tập) of TT22/2021 Art. 9.2 with the Art. 9.3 adjustment (our
    interpretation: see ``learning_level_explained``)."""
    return learning_level_explained(scored, comments)[0]


def year_conduct(sem1: Level, sem2: Level) -> Level:
    """The year's conduct (kết quả rèn luyện cả năm), TT22/2021 Art. 8:

    - Tốt: II Tốt and I ≥ Khá;
    - Khá: II Khá and I ≥ Đạt; II Đạt and I Tốt; II Tốt and I Đạt or Chưa đạt;
    - Đạt: II Đạt and I Khá, Đạt or Chưa đạt; II Khá and I Chưa đạt;
    - Chưa đạt: II Chưa đạt.
    """
    first, second = LEVEL_RANK[Level(sem1)], LEVEL_RANK[Level(sem2)]
    good, fair, passed = LEVEL_RANK[Level.GOOD], LEVEL_RANK[Level.FAIR], LEVEL_RANK[Level.PASS]
    if second == good:
        return Level.GOOD if first >= fair else Level.FAIR
    if second == fair:
        return Level.FAIR if first >= passed else Level.PASS
    if second == passed:
        return Level.FAIR if first == good else Level.PASS
    return Level.FAIL


class Outcome(TextChoices):
    PROMOTED = "len_lop", "Được lên lớp"
    COMPLETED = "hoan_thanh", "Hoàn thành chương trình"
    SUMMER_TRAINING = "ren_luyen_he", "Rèn luyện trong kỳ nghỉ hè"
    RETEST = "kiem_tra_lai", "Kiểm tra lại"
    REPEAT = "o_lai", "Ở lại lớp"


#: TT22/2021 Art. 12–14: more than 45 sessions absent in the year (excused or not) → repeats the grade
ABSENCE_LIMIT = 45
#: the last grade of each level: completing it "completes the programme" instead of going up
FINAL_GRADES = frozenset({5, 9, 12})


def promotion(
    conduct: Level, learning: Level, absences: int, *, final_grade: bool = False, after_summer: bool = False
) -> Outcome:
    """The end-of-year outcome, TT22/2021 Art. 12–14, checked in this order:

    1. absences > 45 sessions (excused or not) → REPEAT (Art. 12);
    2. year conduct Chưa đạt → SUMMER_TRAINING (summer conduct training), or REPEAT when ``after_summer`` (the
       re-assessed conduct is still Chưa đạt);
    3. year learning Chưa đạt → RETEST (summer re-tests), or REPEAT when ``after_summer`` (still Chưa đạt after the
       re-tests);
    4. otherwise PROMOTED, or COMPLETED for the last grade of a level (``final_grade``: 5, 9, 12).

    Interpretation: conduct comes before learning, since re-tests are for students whose conduct is ≥ Đạt;
    a student failing both is sent to summer training first. After the summer call again with
    ``after_summer=True`` and the re-assessed conduct and the learning level recomputed with ``apply_retests``.
    """
    conduct, learning = Level(conduct), Level(learning)
    if isinstance(absences, bool) or not isinstance(absences, int) or absences < 0:
        raise ValueError(f"absences must be a non-negative integer, not {absences!r}")
    if absences > ABSENCE_LIMIT:
        return Outcome.REPEAT
    if conduct == Level.FAIL:
        return Outcome.REPEAT if after_summer else Outcome.SUMMER_TRAINING
    if learning == Level.FAIL:
        return Outcome.REPEAT if after_summer else Outcome.RETEST
    return Outcome.COMPLETED if final_grade else Outcome.PROMOTED


def retest_subjects(scored_year: Mapping[str, Decimal], comments_year: Mapping[str, bool]) -> list[str]:
    """Subjects a student may re-test in the summer (TT22/2021 Art. 12–14): scored subjects with ĐTBmcn < 5.0 and
    comment-only subjects Chưa đạt, sorted by key. The student chooses among them; the school organises the tests."""
    _check_results(scored_year, comments_year)
    failed = [key for key, value in scored_year.items() if value < FIVE]
    failed += [key for key, value in comments_year.items() if not value]
    return sorted(failed)


def apply_retests(
    scored_year: Mapping[str, Decimal],
    comments_year: Mapping[str, bool],
    retest_scored: Mapping[str, Decimal],
    retest_comments: Mapping[str, bool],
) -> tuple[dict[str, Decimal], dict[str, bool]]:
    """The year results after summer re-tests (TT22/2021 Art. 12–14): each re-test result replaces that subject's year
    result (even when lower); recompute the level with ``learning_level``. Re-testing a subject that was not
    failed, or one the student does not take, is a ``ValueError``."""
    eligible = set(retest_subjects(scored_year, comments_year))
    _check_results(retest_scored, retest_comments)
    for key in [*retest_scored, *retest_comments]:
        if key not in eligible:
            raise ValueError(f"{key} was not failed: it cannot be re-tested")
    for key in retest_scored:
        if key not in scored_year:
            raise ValueError(f"{key} is not a scored subject of this student")
    for key in retest_comments:
        if key not in comments_year:
            raise ValueError(f"{key} is not a comment-only subject of this student")
    return {**scored_year, **retest_scored}, {**comments_year, **retest_comments}


class Title(TextChoices):
    EXCELLENT = "xuat_sac", "Học sinh Xuất sắc"
    GOOD = "gioi", "Học sinh Giỏi"


def title(conduct: Level, learning: Level, scored_year: Mapping[str, Decimal]) -> Title | None:
    """The year's title, TT22/2021 Art. 15: Học sinh Xuất sắc = conduct Tốt, learning Tốt and at least 6 scored
    subjects with ĐTBmcn ≥ 9.0; Học sinh Giỏi = conduct Tốt and learning Tốt; otherwise none."""
    if Level(conduct) != Level.GOOD or Level(learning) != Level.GOOD:
        return None
    nines = sum(_score(v, f"average of {k}") >= Decimal("9.0") for k, v in scored_year.items())
    return Title.EXCELLENT if nines >= SUBJECTS_AT_BAR else Title.GOOD


# --- primary: TT27/2020 (and TT30/2014 as amended by TT22/2016) ------------------------------------


class PrimaryLevel(TextChoices):
    GOOD = "T", "Hoàn thành tốt"
    DONE = "H", "Hoàn thành"
    NOT_DONE = "C", "Chưa hoàn thành"


class QualityLevel(TextChoices):
    GOOD = "tot", "Tốt"
    PASS = "dat", "Đạt"
    EFFORT = "can_co_gang", "Cần cố gắng"


#: TT27/2020 Art. 6 (the five qualities of the GDPT 2018 programme)
QUALITIES: tuple[tuple[str, str], ...] = (
    ("yeu_nuoc", "Yêu nước"),
    ("nhan_ai", "Nhân ái"),
    ("cham_chi", "Chăm chỉ"),
    ("trung_thuc", "Trung thực"),
    ("trach_nhiem", "Trách nhiệm"),
)
GENERAL_COMPETENCIES: tuple[tuple[str, str], ...] = (
    ("tu_chu_tu_hoc", "Tự chủ và tự học"),
    ("giao_tiep_hop_tac", "Giao tiếp và hợp tác"),
    ("giai_quyet_van_de", "Giải quyết vấn đề và sáng tạo"),
)
SPECIAL_COMPETENCIES: tuple[tuple[str, str], ...] = (
    ("ngon_ngu", "Ngôn ngữ"),
    ("tinh_toan", "Tính toán"),
    ("khoa_hoc", "Khoa học"),
    ("cong_nghe", "Công nghệ"),
    ("tin_hoc", "Tin học"),
    ("tham_mi", "Thẩm mĩ"),
    ("the_chat", "Thể chất"),
)
#: TT27/2020 Art. 7 (levels Tốt / Đạt / Cần cố gắng): general then special competencies
COMPETENCIES: tuple[tuple[str, str], ...] = GENERAL_COMPETENCIES + SPECIAL_COMPETENCIES
#: TT30/2014 Art. 5 as amended by TT22/2016: the former four qualities and three competencies, for old records
LEGACY_QUALITIES: tuple[tuple[str, str], ...] = (
    ("cham_hoc_cham_lam", "Chăm học, chăm làm"),
    ("tu_tin_trach_nhiem", "Tự tin, trách nhiệm"),
    ("trung_thuc_ki_luat", "Trung thực, kỉ luật"),
    ("doan_ket_yeu_thuong", "Đoàn kết, yêu thương"),
)
LEGACY_COMPETENCIES: tuple[tuple[str, str], ...] = (
    ("tu_phuc_vu_tu_quan", "Tự phục vụ, tự quản"),
    ("hop_tac", "Hợp tác"),
    ("tu_hoc_giai_quyet_van_de", "Tự học và giải quyết vấn đề"),
)


def qualities_for(rule_set: RuleSet | str) -> tuple[tuple[str, str], ...]:
    """The qualities then competencies assessed under a primary rule set (TT27/2020 Art. 6–7; TT30/2014 Art. 5 as
    amended by TT22/2016); () for the others."""
    rule_set = RuleSet(rule_set)
    if rule_set == RuleSet.TT27:
        return QUALITIES + COMPETENCIES
    if rule_set == RuleSet.TT30:
        return LEGACY_QUALITIES + LEGACY_COMPETENCIES
    return ()


class PrimaryResult(TextChoices):
    EXCELLENT = "htxs", "Hoàn thành xuất sắc"
    GOOD = "htt", "Hoàn thành tốt"
    DONE = "ht", "Hoàn thành"
    NOT_DONE = "cht", "Chưa hoàn thành"


def _test_mark(key: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise ValueError(f"test mark of {key} must be an integer from 0 to 10, not {value!r}")
    return value


def primary_year_result(
    subjects: Mapping[str, str], qualities: Mapping[str, str], tests: Mapping[str, int]
) -> PrimaryResult:
    """The end-of-year result of a primary student, TT27/2020 Art. 13 (TT30/2014 Art. 10 as amended by TT22/2016 gives
    the same four results). ``subjects``: subject → T/H/C at the end of the year; ``qualities``: every quality and
    competency → tot/dat/can_co_gang; ``tests``: tested subject → end-of-year test mark (integer 0–10).

    - Hoàn thành xuất sắc: every subject T; every quality and competency Tốt; every test ≥ 9;
    - Hoàn thành tốt: every subject T; every quality and competency Tốt; every test ≥ 7;
    - Hoàn thành: every subject T or H; every quality and competency Tốt or Đạt; every test ≥ 5;
    - Chưa hoàn thành: otherwise.
    """
    if not subjects:
        raise ValueError("no subject results")
    levels = {PrimaryLevel(v) for v in subjects.values()}
    quality_levels = {QualityLevel(v) for v in qualities.values()}
    marks = [_test_mark(k, v) for k, v in tests.items()]
    lowest = min(marks, default=10)
    if levels == {PrimaryLevel.GOOD} and quality_levels <= {QualityLevel.GOOD}:
        if lowest >= 9:
            return PrimaryResult.EXCELLENT
        if lowest >= 7:
            return PrimaryResult.GOOD
    if PrimaryLevel.NOT_DONE not in levels and QualityLevel.EFFORT not in quality_levels and lowest >= 5:
        return PrimaryResult.DONE
    return PrimaryResult.NOT_DONE


def primary_completes_grade(result: PrimaryResult | str) -> bool:
    """Hoàn thành xuất sắc, Hoàn thành tốt and Hoàn thành complete the grade (TT27/2020 Art. 13; TT30/2014
    Art. 10 as amended by TT22/2016); Chưa hoàn thành does not (the school helps the student and re-assesses)."""
    return PrimaryResult(result) != PrimaryResult.NOT_DONE


def primary_title(result: PrimaryResult | str) -> Title | None:
    """Học sinh Xuất sắc for Hoàn thành xuất sắc (TT27/2020 Art. 14). The other title, Học sinh tiêu biểu
    (Art. 14: Hoàn thành tốt plus an outstanding subject or clear progress), is voted by the class and is not
    computed."""
    return Title.EXCELLENT if PrimaryResult(result) == PrimaryResult.EXCELLENT else None


# --- legacy secondary: TT58/2011 (amended by TT26/2020) --------------------------------------------


class LegacyConduct(TextChoices):
    GOOD = "tot", "Tốt"
    FAIR = "kha", "Khá"
    AVERAGE = "tb", "Trung bình"
    WEAK = "yeu", "Yếu"


class LegacyLearning(TextChoices):
    GOOD = "gioi", "Giỏi"
    FAIR = "kha", "Khá"
    AVERAGE = "tb", "Trung bình"
    WEAK = "yeu", "Yếu"
    POOR = "kem", "Kém"


#: TT58/2011 Art. 13.1: (level, overall average ≥, Toán or Ngữ văn ≥, no subject below, comments all Đ)
LEGACY_TABLE: tuple[tuple[LegacyLearning, Decimal, Decimal | None, Decimal, bool], ...] = (
    (LegacyLearning.GOOD, Decimal("8.0"), Decimal("8.0"), Decimal("6.5"), True),
    (LegacyLearning.FAIR, Decimal("6.5"), Decimal("6.5"), Decimal("5.0"), True),
    (LegacyLearning.AVERAGE, Decimal("5.0"), Decimal("5.0"), Decimal("3.5"), True),
    (LegacyLearning.WEAK, Decimal("3.5"), None, Decimal("2.0"), False),
)
#: TT58/2011 Art. 13.3: (level the overall average reaches, level computed) → adjusted level
LEGACY_ADJUSTMENTS: dict[tuple[LegacyLearning, LegacyLearning], LegacyLearning] = {
    (LegacyLearning.GOOD, LegacyLearning.AVERAGE): LegacyLearning.FAIR,
    (LegacyLearning.GOOD, LegacyLearning.WEAK): LegacyLearning.AVERAGE,
    (LegacyLearning.FAIR, LegacyLearning.WEAK): LegacyLearning.AVERAGE,
    (LegacyLearning.FAIR, LegacyLearning.POOR): LegacyLearning.WEAK,
}


def legacy_overall_average(scored: Mapping[str, Decimal]) -> Decimal:
    """ĐTBhk / ĐTBcn: the plain mean of the scored subjects' averages, rounded half-up (TT58/2011 Art. 12, without
    subject coefficients)."""
    if not scored:
        raise ValueError("no scored subject")
    values = [_score(v, f"average of {k}") for k, v in scored.items()]
    return _ratio1(sum(values, ZERO), len(values))


def _legacy_core_ok(scored: Mapping[str, Decimal], core: Sequence[str], bar: Decimal | None) -> bool:
    if bar is None or not core:
        return True
    return any(scored[key] >= bar for key in core if key in scored)


def _legacy_level(scored: Mapping[str, Decimal], comments: Mapping[str, bool], core: Sequence[str]) -> LegacyLearning:
    average = legacy_overall_average(scored)
    lowest = min(scored.values())
    for level, average_bar, core_bar, floor, needs_comments in LEGACY_TABLE:
        if (
            average >= average_bar
            and _legacy_core_ok(scored, core, core_bar)
            and lowest >= floor
            and (all(comments.values()) or not needs_comments)
        ):
            return level
    return LegacyLearning.POOR


def legacy_learning(
    scored: Mapping[str, Decimal], comments: Mapping[str, bool], *, core: Sequence[str] = ("toan", "ngu-van")
) -> LegacyLearning:
    """Học lực of TT58/2011 Art. 13 (classification kept by TT26/2020), per semester or year.

    Art. 13.1 table — overall average (``legacy_overall_average``), one of the ``core`` subjects (Toán, Ngữ văn),
    lowest subject average, comment subjects:
    - Giỏi: ≥ 8.0, a core subject ≥ 8.0, none below 6.5, all Đ;
    - Khá: ≥ 6.5, a core subject ≥ 6.5, none below 5.0, all Đ;
    - Trung bình: ≥ 5.0, a core subject ≥ 5.0, none below 3.5, all Đ;
    - Yếu: ≥ 3.5, none below 2.0; Kém: otherwise.

    Art. 13.3 adjustments when the overall average reaches Giỏi or Khá but "the result of one single subject" pulls
    the level down: Giỏi→Trung bình becomes Khá; Giỏi→Yếu becomes Trung bình; Khá→Yếu becomes Trung bình; Khá→Kém
    becomes Yếu. Interpretation: the overall average reaches the level's bar, its core-subject condition holds, and
    exactly one subject misses the level's other conditions (a scored subject below its floor, or a comment subject
    Chưa đạt); Giỏi is tried first, then Khá. The specialised-class condition (môn chuyên) is not modelled.
    ``core=()`` drops the core-subject condition; otherwise at least one core subject must be present.
    """
    _check_results(scored, comments)
    if not scored:
        raise ValueError("no scored subject")
    if core and not any(key in scored for key in core):
        raise ValueError(f"none of the core subjects {tuple(core)} is present")
    computed = _legacy_level(scored, comments, core)
    average = legacy_overall_average(scored)
    for level, average_bar, core_bar, floor, _ in LEGACY_TABLE[:2]:
        if (level, computed) not in LEGACY_ADJUSTMENTS:
            continue
        if average < average_bar or not _legacy_core_ok(scored, core, core_bar):
            continue
        draggers = [k for k, v in scored.items() if v < floor] + [k for k, v in comments.items() if not v]
        if len(draggers) == 1:
            return LEGACY_ADJUSTMENTS[(level, computed)]
    return computed
