"""Tests for sms.text: NFC normalisation, search keys and Vietnamese sort keys."""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sms.text import nfc, search_key, sort_key, sort_key_max_length, split_vietnamese_name


def nfd(value: str) -> str:
    return unicodedata.normalize("NFD", value)


# --------------------------------------------------------------------------- nfc


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ""),
        ("", ""),
        ("   ", ""),
        ("Nguyễn Văn An", "Nguyễn Văn An"),
        (nfd("Nguyễn Văn An"), "Nguyễn Văn An"),
        ("  Nguyễn   Văn\tAn \n", "Nguyễn Văn An"),
        ("Lê\u00a0Thị\u3000Ánh", "Lê Thị Ánh"),
        ("Ho\u0300a", "H\u00f2a"),
        ("Hoa\u0300", "Ho\u00e0"),
    ],
)
def test_nfc(raw: str | None, expected: str) -> None:
    result = nfc(raw)
    assert result == expected
    assert unicodedata.is_normalized("NFC", result)


# --------------------------------------------------------------------------- search_key


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ""),
        ("", ""),
        ("Nguyễn Văn An", "nguyen van an"),
        ("Đặng Thị Ánh", "dang thi anh"),
        ("ĐẶNG THỊ ÁNH", "dang thi anh"),
        (nfd("Đặng Thị Ánh"), "dang thi anh"),
        ("  Trương   Ưu\tƠn ", "truong uu on"),
        ("Lưu Thị Ngọc Hương", "luu thi ngoc huong"),
        ("Bùi Xuân Phái", "bui xuan phai"),
        ("Trường THCS Lê Quý Đôn", "truong thcs le quy don"),
        ("Ðoàn", "doan"),  # U+00D0 eth typed instead of Đ
        ("\ufeffAn", "an"),
    ],
)
def test_search_key(raw: str | None, expected: str) -> None:
    assert search_key(raw) == expected


@pytest.mark.parametrize(
    ("needle", "haystack"),
    [
        ("nguyen", "Nguyễn Văn An"),
        ("Nguyễn", "nguyen van an"),
        ("van an", "Nguyễn Văn An"),
        ("đặng", "Đặng Thị Ánh"),
        ("dang", nfd("Đặng Thị Ánh")),
    ],
)
def test_search_key_substring(needle: str, haystack: str) -> None:
    assert search_key(needle) in search_key(haystack)


# --------------------------------------------------------------------------- split_vietnamese_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ("", "")),
        ("", ("", "")),
        ("An", ("", "An")),
        ("  An  ", ("", "An")),
        ("Nguyễn Văn An", ("Nguyễn Văn", "An")),
        ("  Nguyễn   Thị  Minh\tKhai ", ("Nguyễn Thị Minh", "Khai")),
        (nfd("Đặng Thị Ánh"), ("Đặng Thị", "Ánh")),
    ],
)
def test_split_vietnamese_name(raw: str | None, expected: tuple[str, str]) -> None:
    assert split_vietnamese_name(raw) == expected


# --------------------------------------------------------------------------- sort_key


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        # alphabet order
        ("Đức", "Yến"),
        ("Dũng", "Đức"),
        ("Dzung", "Đan"),
        ("Az", "Ă"),
        ("Ăn", "Âu"),
        ("Ắt", "B"),
        ("Oz", "Ô"),
        ("Ôn", "Ơ"),
        ("Ợ", "P"),
        ("Uy", "Ư"),
        ("Uyên", "Ưng"),
        ("Ưu", "V"),
        ("Ey", "Ê"),
        ("Êm", "Fa"),
        ("Fa", "Ga"),
        ("Ivy", "Jan"),
        ("Jan", "Kim"),
        ("Vy", "Wen"),
        ("Wen", "Xuân"),
        ("Yến", "Zan"),
        # other characters < digits < letters
        ("'A", "1A"),
        ("-A", "0A"),
        ("A-B", "A1"),
        ("1A", "AA"),
        ("A9", "AA"),
        # a prefix sorts first, tones are only a tie-breaker
        ("An", "Anh"),
        ("Anh", "Ánh"),
        ("Ánh", "Ăn"),
        ("Ánh", "Ba"),
        ("Hạ", "Hai"),
        # tone order: ngang < huyền < hỏi < ngã < sắc < nặng
        ("Ha", "Hà"),
        ("Hà", "Hả"),
        ("Hả", "Hã"),
        ("Hã", "Há"),
        ("Há", "Hạ"),
        # given name first, then family and middle names
        ("Nguyễn Văn An", "Trần Thị Bình"),
        ("Lê Văn An", "Nguyễn Văn An"),
        ("Vũ An", "An Văn Bình"),
        ("An", "Lê An"),
        ("Lê An", "Lê Văn An"),
        ("Le Van An", "Lean An"),
        ("Lê Thị Hà", "Lê Thị Hạ"),
        ("Bùi Thị Hạ", "Đặng Thu Hà"),  # family name decides before the given name's tone
        ("Lệ An", "Lê Án"),  # the given name's tone decides before the family name's tone
        ("Lê An", "Lệ An"),
        ("Nguyễn Văn An", "Nguyễn Văn Anh"),
    ],
)
def test_sort_key_order(lower: str, higher: str) -> None:
    assert sort_key(lower) < sort_key(higher)
    assert sort_key(nfd(lower)) < sort_key(nfd(higher))
    assert sort_key(lower.upper()) < sort_key(higher.lower())


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Nguyễn Văn An", nfd("Nguyễn Văn An")),
        ("Đặng Thị Ánh", nfd("Đặng Thị Ánh")),
        ("nguyễn văn an", "NGUYỄN VĂN AN"),
        ("  Lê   Văn\tAn ", "Lê Văn An"),
        ("\ufeffLê Văn An", "Lê Văn An"),
        ("Ðặng Thu Hà", "Đặng Thu Hà"),
        ("Hoà", "Hòa"),  # old and new tone placement
        ("Thuỷ", "Thủy"),
        (None, ""),
    ],
)
def test_sort_key_equal(one: str | None, other: str) -> None:
    assert sort_key(one) == sort_key(other)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        (None, "000001"),
        ("An", "2037000001"),
        ("Ánh", "20373100000501"),
        ("Lê Án", "203700352800050101"),
        # given "an" | rest "nguyen" 01 "van" | tones: an=(), nguyễn=(ngã), văn=()
        ("Nguyễn Văn An", "".join(["2037", "00", "373046512837", "01", "482137", "00", "01", "0401", "01"])),
    ],
)
def test_sort_key_encoding_is_stable(name: str | None, key: str) -> None:
    """Keys are stored in the database, so the encoding must not change silently."""
    assert sort_key(name) == key


def test_sort_key_class_list() -> None:
    expected = [
        "Lê Thị An",
        "Nguyễn Văn An",
        "Đỗ Ngọc Anh",
        "Đỗ Ngọc Ánh",
        "Ngô Quang Anh",
        "Trịnh Gia Ân",
        "Trần Thị Bình",
        "Hoàng Văn Dũng",
        "Phạm Minh Đức",
        "Bùi Thị Hạ",
        "Đặng Thu Hà",
        "Phan Đăng Khoa",
        "Vũ Thị Yến",
    ]
    shuffled = expected[:]
    for seed in range(5):
        random.Random(seed).shuffle(shuffled)
        assert sorted(shuffled, key=sort_key) == expected
        assert sorted((nfd(name) for name in shuffled), key=sort_key) == [nfd(name) for name in expected]
    assert sorted(reversed(expected), key=sort_key) == expected


@pytest.mark.parametrize(
    "name",
    [
        "",
        "A",
        "Nguyễn Văn An",
        nfd("Đặng Thị Ánh"),
        "a\u0301\u0301\u0301",
        "Ṍ" * 10,
        "한국어 이름",
        "x " * 20,
    ],
)
def test_sort_key_is_digits_and_bounded(name: str) -> None:
    key = sort_key(name)
    assert key.isascii()
    assert key.isdigit()
    assert len(key) % 2 == 0
    assert len(key) <= sort_key_max_length(len(name)) <= 6 * len(name) + 10


# --------------------------------------------------------------------------- properties

REF_ALPHABET = [
    "a", "ă", "â", "b", "c", "d", "đ", "e", "ê", "f", "g", "h", "i", "j", "k", "l", "m",
    "n", "o", "ô", "ơ", "p", "q", "r", "s", "t", "u", "ư", "v", "w", "x", "y", "z",
]  # fmt: skip
TONE_MARKS = ["", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"]  # ngang huyền hỏi ngã sắc nặng
GEN_CHARS = "aăâbdđeêfgoôơuưyz09-'"
ASCII_FOLD = str.maketrans("ăâđêôơư", "aadeoou")


@dataclass(frozen=True)
class Word:
    letters: tuple[str, ...]  # lower-case base letters
    tone: int  # 0 (ngang) .. 5 (nặng)
    tone_at: int  # index of the letter carrying the tone mark
    upper: tuple[bool, ...]

    def render(self) -> str:
        return "".join(
            (letter.upper() if up else letter) + (TONE_MARKS[self.tone] if i == self.tone_at else "")
            for i, (letter, up) in enumerate(zip(self.letters, self.upper, strict=True))
        )


@dataclass(frozen=True)
class Name:
    words: tuple[Word, ...]
    form: str
    separator: str

    @property
    def text(self) -> str:
        return unicodedata.normalize(self.form, self.separator.join(w.render() for w in self.words))


@st.composite
def words(draw: st.DrawFn) -> Word:
    letters = draw(st.lists(st.sampled_from(GEN_CHARS), min_size=1, max_size=4))
    return Word(
        letters=tuple(letters),
        tone=draw(st.integers(0, 5)),
        tone_at=draw(st.integers(0, len(letters) - 1)),
        upper=tuple(draw(st.lists(st.booleans(), min_size=len(letters), max_size=len(letters)))),
    )


names = st.builds(
    Name,
    words=st.lists(words(), min_size=1, max_size=4).map(tuple),
    form=st.sampled_from(["NFC", "NFD"]),
    separator=st.sampled_from([" ", "  ", "\t"]),
)


def ref_char(char: str) -> tuple[int, int]:
    if char in REF_ALPHABET:
        return (2, REF_ALPHABET.index(char))
    if char.isdigit():
        return (1, int(char))
    return (0, 0)


def ref_key(name: Name) -> tuple:
    """Reference order built from the structure, not the string: given, rest, tones."""
    primary = [tuple(ref_char(c) for c in w.letters) for w in name.words]
    tones = [w.tone for w in name.words]
    return (primary[-1], tuple(primary[:-1]), (tones[-1], *tones[:-1]))


@settings(max_examples=300, deadline=None)
@given(st.lists(names, max_size=12))
def test_sort_key_matches_reference_sort(generated: list[Name]) -> None:
    texts = [n.text for n in generated]
    by_reference = [n.text for n in sorted(generated, key=ref_key)]
    assert sorted(texts, key=sort_key) == by_reference
    for text in texts:
        assert sort_key(text).isdigit()


@settings(max_examples=300, deadline=None)
@given(names, names)
def test_sort_key_pairwise_matches_reference(a: Name, b: Name) -> None:
    ka, kb = sort_key(a.text), sort_key(b.text)
    ra, rb = ref_key(a), ref_key(b)
    assert (ka < kb, ka == kb) == (ra < rb, ra == rb)


@given(names)
def test_search_key_on_vietnamese_names(name: Name) -> None:
    key = search_key(name.text)
    assert key.isascii()
    assert search_key(key) == key
    assert key == " ".join("".join(w.letters).translate(ASCII_FOLD) for w in name.words)


@given(st.text())
def test_properties_on_arbitrary_text(value: str) -> None:
    assert nfc(nfc(value)) == nfc(value)
    key = sort_key(value)
    assert key.isascii()
    assert key.isdigit()
    assert len(key) <= sort_key_max_length(len(value))
    assert sort_key(nfd(value)) == key
    assert search_key(nfd(value)) == search_key(value)
    assert search_key(value) == search_key(value).strip()
