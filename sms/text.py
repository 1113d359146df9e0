"""Vietnamese text helpers: normalisation, search keys and sort keys.

All text is stored in Unicode NFC (TCVN 6909:2001 dựng sẵn).  ``search_key``
gives a diacritic- and case-free key for ``LIKE``/``contains`` look-ups and
``sort_key`` gives a digits-only key that sorts names the way Vietnamese
schools list pupils (given name first) under *any* database collation.

Sort key encoding (every code is exactly two ASCII digits)::

    key   = GIVEN "00" REST "00" TONES
    GIVEN = letter codes of the given name (the last word)
    REST  = family and middle words, each as letter codes, joined by "01"
    TONES = for each word (given name first, then the rest in order):
            the codes of its tone marks, then "01"

Letter codes: "02" any other character (punctuation, hyphen, apostrophe,
non-Vietnamese letters), "10".."19" decimal digits 0-9, "20".."52" the
letters a ă â b c d đ e ê f g h i j k l m n o ô ơ p q r s t u ư v w x y z.
Tone codes: "02" huyền, "03" hỏi, "04" ngã, "05" sắc, "06" nặng; no tone
(ngang) writes nothing, so the "01" word terminator sorts it first.  Because
the separators are smaller than every code they follow, shorter words sort
before longer words they prefix ("An" < "Anh"), and tones only break ties
between names that are otherwise identical ("Anh" < "Ánh" < "Ba").  The key
is at most ``4 * len(name) + 8`` characters (see ``sort_key_max_length``).
"""

from __future__ import annotations

import unicodedata

__all__ = [
    "SORT_KEY_MAX_LENGTH_FACTOR",
    "SORT_KEY_MAX_LENGTH_OFFSET",
    "nfc",
    "search_key",
    "sort_key",
    "sort_key_max_length",
    "split_vietnamese_name",
]

#: ``len(sort_key(name)) <= FACTOR * len(name) + OFFSET`` for every string.
SORT_KEY_MAX_LENGTH_FACTOR = 4
SORT_KEY_MAX_LENGTH_OFFSET = 8

_GIVEN_END = "00"
_REST_END = "00"
_WORD_SEP = "01"
_TONE_WORD_END = "01"
_OTHER_CODE = 2
_DIGIT_BASE = 10
_LETTER_BASE = 20

_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_LETTER_CODE: dict[str, int] = {letter: _LETTER_BASE + i for i, letter in enumerate(_ALPHABET)}
# U+00F0 "ð" (eth) is commonly typed instead of "đ" (U+0111).
_LETTER_CODE["ð"] = _LETTER_CODE["đ"]

_BREVE, _CIRCUMFLEX, _HORN = "\u0306", "\u0302", "\u031b"
_MODIFIED: dict[tuple[str, str], str] = {
    ("a", _BREVE): "ă",
    ("a", _CIRCUMFLEX): "â",
    ("e", _CIRCUMFLEX): "ê",
    ("o", _CIRCUMFLEX): "ô",
    ("o", _HORN): "ơ",
    ("u", _HORN): "ư",
}
# ngang (0) < huyền < hỏi < ngã < sắc < nặng
_TONES: dict[str, int] = {
    "\u0300": 1,  # huyền (grave)
    "\u0309": 2,  # hỏi (hook above)
    "\u0303": 3,  # ngã (tilde)
    "\u0301": 4,  # sắc (acute)
    "\u0323": 5,  # nặng (dot below)
}


def nfc(value: str | None) -> str:
    """Return *value* in NFC with whitespace trimmed and inner runs collapsed; None gives ""."""
    if value is None:
        return ""
    return " ".join(unicodedata.normalize("NFC", value).split())


def search_key(value: str | None) -> str:
    """Return a lower-case key without diacritics ("Đặng Thị Ánh" -> "dang thi anh")."""
    text = nfc(value).lower().replace("đ", "d").replace("ð", "d")
    text = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Mn", "Cf"))
    return " ".join(text.split())


def split_vietnamese_name(full_name: str | None) -> tuple[str, str]:
    """Split a full name into (family and middle names, given name); one word gives ("", word)."""
    family_and_middle, _, given = nfc(full_name).rpartition(" ")
    return family_and_middle, given


def sort_key_max_length(name_length: int) -> int:
    """Return the longest ``sort_key`` a name of *name_length* characters can produce."""
    return SORT_KEY_MAX_LENGTH_FACTOR * max(name_length, 0) + SORT_KEY_MAX_LENGTH_OFFSET


def _encode_cluster(chars: str) -> tuple[int, int]:
    """Return (letter code, tone) for a base character followed by its combining marks."""
    base, marks = chars[0], chars[1:]
    letter, tone = base, 0
    for mark in marks:
        if tone == 0 and mark in _TONES:
            tone = _TONES[mark]
        elif letter == base:
            letter = _MODIFIED.get((base, mark), letter)
    code = _LETTER_CODE.get(letter)
    if code is None:
        digit = unicodedata.decimal(letter, None)
        code = _OTHER_CODE if digit is None else _DIGIT_BASE + digit
    return code, tone


def _encode_word(word: str) -> list[tuple[int, int]]:
    """Return (letter code, tone) for each character of a lower-case word, marks attached."""
    clusters: list[str] = []
    for ch in word:
        if clusters and unicodedata.category(ch)[0] == "M":
            clusters[-1] += ch
        else:
            clusters.append(unicodedata.normalize("NFD", ch))
    return [_encode_cluster(cluster) for cluster in clusters]


def _letters(word: list[tuple[int, int]]) -> str:
    return "".join(f"{code:02d}" for code, _ in word)


def sort_key(full_name: str | None) -> str:
    """Return a digits-only key sorting names by given name, then family/middle names, then tones.

    Letters follow the Vietnamese alphabet (a ă â b c d đ e ê f g h i j k l m n
    o ô ơ p q r s t u ư v w x y z); other characters < digits < letters; case is
    ignored; tones (ngang < huyền < hỏi < ngã < sắc < nặng) only break ties.
    Invisible format characters (zero-width space, BOM, soft hyphen) are ignored.
    The key has at most ``4 * len(full_name) + 8`` characters and, being plain
    ASCII digits, sorts identically under every database collation.
    """
    text = "".join(ch for ch in nfc(full_name) if unicodedata.category(ch) != "Cf")
    words = [_encode_word(word) for word in text.lower().split()]
    given, rest = (words[-1], words[:-1]) if words else ([], [])
    parts = [_letters(given), _GIVEN_END, _WORD_SEP.join(_letters(word) for word in rest), _REST_END]
    for word in (given, *rest):
        parts.extend(f"{tone + 1:02d}" for _, tone in word if tone)
        parts.append(_TONE_WORD_END)
    return "".join(parts)


def midsentence(label) -> str:
    """A label inside a sentence: its first letter in lower case, the rest as is — "Học kỳ I"
    becomes "học kỳ I" (``str.lower`` would print "học kỳ i"), "Cả năm" becomes "cả năm"."""
    text = "" if label is None else str(label)
    return text[:1].lower() + text[1:]


def text_key(text: str | None) -> list[str]:
    """Vietnamese alphabetical order of a name that is not a person's (a school, a class, a
    subject): word by word, from the first (``sort_key`` puts a person's given name first)."""
    return [sort_key(word) for word in nfc(text).split()]


#: the largest primary key a database integer column holds (bigint)
MAX_ID = 2**63 - 1


def as_id(value, *, strip: bool = False) -> int | None:
    """A primary key from what a client sent: an int, or a string of ASCII digits, in 1..MAX_ID;
    None otherwise. ``str.isdigit`` also takes "²" (which ``int`` refuses) and ``int`` takes
    "١٢", so neither alone is a check. ``strip``: surrounding spaces are forgiven."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value <= MAX_ID else None
    text = str(value).strip() if strip else str(value)
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
