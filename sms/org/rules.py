"""Rules of Circular 53/2012/TT-BGDĐT on units: school types and official domains.

Pure functions on plain values; no ORM.
"""

from __future__ import annotations

import re
import unicodedata

from django.db import models


class SchoolType(models.TextChoices):
    """Art. 3.4: codes for schools (C…) and centres (TX, TH, TN, TNT, TC, TK)."""

    C0 = "C0", "Mầm non"
    C1 = "C1", "Tiểu học"
    C2 = "C2", "Trung học cơ sở"
    C3 = "C3", "Trung học phổ thông"
    C12 = "C12", "Tiểu học và THCS"
    C23 = "C23", "THCS và THPT"
    C123 = "C123", "Tiểu học, THCS và THPT"
    TX = "TX", "Trung tâm GDTX"
    TH = "TH", "Trung tâm tin học"
    TN = "TN", "Trung tâm ngoại ngữ"
    TNT = "TNT", "Trung tâm ngoại ngữ – tin học"
    TC = "TC", "Trung tâm học tập cộng đồng"
    TK = "TK", "Trung tâm KTTH-HN"


#: centres (the rest are schools)
CENTRE_TYPES = frozenset({SchoolType.TX, SchoolType.TH, SchoolType.TN, SchoolType.TNT, SchoolType.TC, SchoolType.TK})

_GRADES: dict[str, tuple[int, ...]] = {
    SchoolType.C0: (),  # nhà trẻ and mẫu giáo: age groups, no grade book
    SchoolType.C1: tuple(range(1, 6)),
    SchoolType.C2: tuple(range(6, 10)),
    SchoolType.C3: tuple(range(10, 13)),
    SchoolType.C12: tuple(range(1, 10)),
    SchoolType.C23: tuple(range(6, 13)),
    SchoolType.C123: tuple(range(1, 13)),
    # GDTX centres teach the THCS and THPT continuing-education programmes
    SchoolType.TX: tuple(range(6, 13)),
    SchoolType.TH: (),
    SchoolType.TN: (),
    SchoolType.TNT: (),
    SchoolType.TC: (),
    SchoolType.TK: (),
}


def grades_for(school_type: str) -> tuple[int, ...]:
    """The grades (khối lớp 1–12) a school or centre of this type teaches (Art. 3.4)."""
    return _GRADES.get(school_type, ())


def level_of_grade(grade: int) -> str:
    """The level a grade belongs to: primary (1–5), lower (6–9) or upper secondary (10–12)."""
    if 1 <= grade <= 5:
        return "primary"
    if 6 <= grade <= 9:
        return "lower_secondary"
    if 10 <= grade <= 12:
        return "upper_secondary"
    raise ValueError(f"grade {grade} is not 1–12")


def ascii_slug(text: str) -> str:
    """Vietnamese text without diacritics, lower case, letters and digits only ("Trần Phú" → "tranphu")."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if unicodedata.category(c) != "Mn").lower()
    return re.sub(r"[^a-z0-9]", "", text)


_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_SCHOOL_CODE = r"(?:c0|c1|c2|c3|c12|c23|c123|tx|th|tn|tnt|tc|tk)"


def domain_warning(kind: str, domain: str) -> str | None:
    """Check an official domain against the forms of Art. 3 and Art. 13; a warning or None.

    A Sở: ``ten-tinh.edu.vn``. A Phòng: ``ten-huyen.edu.vn`` or ``tenhuyen-tentinh.edu.vn``.
    A school or centre: ``C3tranphu-hanoi.edu.vn`` or ``C3tranphu.hanoi.edu.vn`` (type
    code first), or a member site ``ten-truong.ten-tinh.edu.vn``. The forms are advice, so a
    different domain is accepted with a warning; one that is not under ``edu.vn`` or not a
    valid host name is warned about too.
    """
    domain = (domain or "").strip().lower()
    if not domain:
        return None
    if not re.fullmatch(rf"(?:{_LABEL}\.)+edu\.vn", domain):
        return "Tên miền chính thức phải là tên miền hợp lệ dưới .edu.vn (Thông tư 53/2012, Điều 3)."
    labels = domain[: -len(".edu.vn")].split(".")
    if kind == "so":
        ok = len(labels) == 1
        form = "ten-tinh.edu.vn"
    elif kind == "phong":
        ok = len(labels) == 1
        form = "ten-huyen.edu.vn hoặc tenhuyen-tentinh.edu.vn"
    else:
        ok = (len(labels) == 1 and re.fullmatch(rf"{_SCHOOL_CODE}[a-z0-9]+-{_LABEL}", labels[0]) is not None) or (
            len(labels) == 2
        )
        form = "C3tentruong-tentinh.edu.vn, C3tentruong.tentinh.edu.vn hoặc ten-truong.ten-tinh.edu.vn"
    if ok:
        return None
    return f"Tên miền không theo dạng khuyến nghị của Thông tư 53/2012, Điều 3: {form}."
