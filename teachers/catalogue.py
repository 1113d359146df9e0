"""Catalogues of module (b): school levels, professional ranks (hạng chức danh nghề nghiệp).

Ranks and codes: Thông tư 01/2021 (mầm non), 02/2021 (tiểu học), 03/2021 (THCS) and 04/2021
(THPT) /TT-BGDĐT — hạng I, II, III per level, each with its code.
"""

from __future__ import annotations

from sms.mail import is_private_mailbox  # noqa: F401  (re-exported for the records' checks)
from sms.org.catalogue import ETHNIC_GROUPS  # noqa: F401

PRESCHOOL, PRIMARY, LOWER, UPPER = "mam_non", "tieu_hoc", "thcs", "thpt"
LEVEL_CHOICES = [
    (PRESCHOOL, "Mầm non"),
    (PRIMARY, "Tiểu học"),
    (LOWER, "Trung học cơ sở"),
    (UPPER, "Trung học phổ thông"),
]

#: (code, level, rank) — rank 1 is the highest (hạng I)
RANKS: tuple[tuple[str, str, int], ...] = (
    ("V.07.02.24", PRESCHOOL, 1),
    ("V.07.02.25", PRESCHOOL, 2),
    ("V.07.02.26", PRESCHOOL, 3),
    ("V.07.03.27", PRIMARY, 1),
    ("V.07.03.28", PRIMARY, 2),
    ("V.07.03.29", PRIMARY, 3),
    ("V.07.04.30", LOWER, 1),
    ("V.07.04.31", LOWER, 2),
    ("V.07.04.32", LOWER, 3),
    ("V.07.05.13", UPPER, 1),
    ("V.07.05.14", UPPER, 2),
    ("V.07.05.15", UPPER, 3),
)
_LEVEL_NAMES = dict(LEVEL_CHOICES)
_ROMAN = {1: "I", 2: "II", 3: "III"}


def rank_label(code: str, level: str, rank: int) -> str:
    return f"Giáo viên {_LEVEL_NAMES[level].lower()} hạng {_ROMAN[rank]} ({code})"


RANK_CHOICES = [(code, rank_label(code, level, rank)) for code, level, rank in RANKS]
RANK_BY_CODE = {code: (level, rank) for code, level, rank in RANKS}
