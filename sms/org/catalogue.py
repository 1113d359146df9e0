"""The subject catalogue of the 2018 general-education programme (Thông tư 32/2018/TT-BGDĐT),
with the yearly periods schools start from. A school edits its own copy; this is only the default.

Each entry: (code, name, assessment, {grade: periods per year}).
"""

from __future__ import annotations

S, C = "scored", "comment"


def _grades(grades, periods):
    return {g: periods for g in grades}


PRIMARY = range(1, 6)
LOWER = range(6, 10)
UPPER = range(10, 13)

SUBJECTS: list[tuple[str, str, str, dict[int, int]]] = [
    ("tieng-viet", "Tiếng Việt", S, {1: 420, 2: 350, 3: 245, 4: 245, 5: 245}),
    (
        "toan",
        "Toán",
        S,
        {**_grades([1], 105), **_grades([2, 3, 4, 5], 175), **_grades(LOWER, 140), **_grades(UPPER, 105)},
    ),
    ("dao-duc", "Đạo đức", C, _grades(PRIMARY, 35)),
    ("tnxh", "Tự nhiên và Xã hội", C, {1: 70, 2: 70, 3: 70}),
    ("khoa-hoc", "Khoa học", S, {4: 70, 5: 70}),
    ("ls-dl-tieu-hoc", "Lịch sử và Địa lí", S, {4: 70, 5: 70}),
    ("tin-hoc-cong-nghe", "Tin học và Công nghệ", S, {3: 70, 4: 70, 5: 70}),
    (
        "ngoai-ngu-1",
        "Ngoại ngữ 1 (Tiếng Anh)",
        S,
        {3: 140, 4: 140, 5: 140, **_grades(LOWER, 105), **_grades(UPPER, 105)},
    ),
    ("gdtc", "Giáo dục thể chất", C, {**_grades(PRIMARY, 70), **_grades(LOWER, 70), **_grades(UPPER, 70)}),
    ("nghe-thuat", "Nghệ thuật (Âm nhạc, Mĩ thuật)", C, {**_grades(PRIMARY, 70), **_grades(LOWER, 70)}),
    (
        "hdtn",
        "Hoạt động trải nghiệm, hướng nghiệp",
        C,
        {**_grades(PRIMARY, 105), **_grades(LOWER, 105), **_grades(UPPER, 105)},
    ),
    ("ngu-van", "Ngữ văn", S, {**_grades(LOWER, 140), **_grades(UPPER, 105)}),
    ("gdcd", "Giáo dục công dân", S, _grades(LOWER, 35)),
    ("ls-dl", "Lịch sử và Địa lí", S, _grades(LOWER, 105)),
    ("khtn", "Khoa học tự nhiên", S, _grades(LOWER, 140)),
    ("cong-nghe", "Công nghệ", S, {6: 35, 7: 35, 8: 52, 9: 52, **_grades(UPPER, 70)}),
    ("tin-hoc", "Tin học", S, {**_grades(LOWER, 35), **_grades(UPPER, 70)}),
    ("gddp", "Nội dung giáo dục của địa phương", C, {**_grades(LOWER, 35), **_grades(UPPER, 35)}),
    ("lich-su", "Lịch sử", S, _grades(UPPER, 52)),
    ("gdqp", "Giáo dục quốc phòng và an ninh", S, _grades(UPPER, 35)),
    ("vat-li", "Vật lí", S, _grades(UPPER, 70)),
    ("hoa-hoc", "Hoá học", S, _grades(UPPER, 70)),
    ("sinh-hoc", "Sinh học", S, _grades(UPPER, 70)),
    ("dia-li", "Địa lí", S, _grades(UPPER, 70)),
    ("gdktpl", "Giáo dục kinh tế và pháp luật", S, _grades(UPPER, 70)),
]


#: The 54 ethnic groups of Viet Nam (Danh mục các dân tộc Việt Nam, General Statistics Office,
#: Decision 121-TCTK/PPCĐ of 2 March 1979), in its order; names as schools write them.
ETHNIC_GROUPS: tuple[str, ...] = (
    "Kinh", "Tày", "Thái", "Hoa", "Khmer", "Mường", "Nùng", "Mông", "Dao", "Gia Rai",
    "Ngái", "Ê Đê", "Ba Na", "Xơ Đăng", "Sán Chay", "Cơ Ho", "Chăm", "Sán Dìu", "Hrê", "Mnông",
    "Ra Glai", "Xtiêng", "Bru-Vân Kiều", "Thổ", "Giáy", "Cơ Tu", "Gié Triêng", "Mạ", "Khơ Mú", "Co",
    "Tà Ôi", "Chơ Ro", "Kháng", "Xinh Mun", "Hà Nhì", "Chu Ru", "Lào", "La Chí", "La Ha", "Phù Lá",
    "La Hủ", "Lự", "Lô Lô", "Chứt", "Mảng", "Pà Thẻn", "Cơ Lao", "Cống", "Bố Y", "Si La",
    "Pu Péo", "Brâu", "Ơ Đu", "Rơ Măm",
)  # fmt: skip
ETHNIC_CHOICES = [(name, name) for name in ETHNIC_GROUPS]


#: the order the programme lists subjects in (grading.md "Calendar and subjects"; the record book
#: and the mark book print them so): by catalogue code; other subjects follow, by name
PROGRAMME_ORDER: tuple[str, ...] = (
    "tieng-viet",
    "ngu-van",
    "toan",
    "ngoai-ngu-1",
    "dao-duc",
    "gdcd",
    "tnxh",
    "khoa-hoc",
    "lich-su",
    "dia-li",
    "ls-dl-tieu-hoc",
    "ls-dl",
    "gdktpl",
    "vat-li",
    "hoa-hoc",
    "sinh-hoc",
    "khtn",
    "cong-nghe",
    "tin-hoc",
    "tin-hoc-cong-nghe",
    "gdtc",
    "gdqp",
    "nghe-thuat",
    "hdtn",
    "gddp",
)
_PROGRAMME_RANK = {code: n for n, code in enumerate(PROGRAMME_ORDER)}


def programme_order(code: str, name: str) -> tuple:
    """Sort key of a subject in the programme's order (unknown codes last, in Vietnamese name order)."""
    from sms.text import text_key

    return (_PROGRAMME_RANK.get(code, len(PROGRAMME_ORDER)), text_key(name))
