"""Password rules beyond Django's validators (OWASP ASVS 4.0 L2, V2.1).

No composition rules and no forced rotation; long passphrases of any characters are welcome
up to 128 characters; passwords known from breaches, and their obvious variants (a common
word with digits or punctuation appended, Vietnamese without diacritics), are refused.
"""

from __future__ import annotations

import re

from django.contrib.auth import password_validation
from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError

from sms.text import search_key

#: passwords seen in breaches of Vietnamese sites and services that the English-language
#: common list misses (compared after lower-casing and removing diacritics)
VIETNAMESE_BREACHED = frozenset(
    {
        "matkhau",
        "matkhau123",
        "anhyeuem",
        "emyeuanh",
        "yeuem",
        "yeuanh",
        "iloveyou",
        "vietnam",
        "vietnam123",
        "hanoi",
        "saigon",
        "giaovien",
        "hocsinh",
        "truonghoc",
        "nhatruong",
        "thaygiao",
        "cogiao",
        "hieutruong",
        "quantri",
        "admin123",
        "abc123",
        "qwerty123",
        "123456789",
        "1234567890",
        "12345678",
        "11111111",
        "88888888",
        "66666666",
        "99999999",
        "anhyeuemnhieu",
        "tinhyeu",
        "hanhphuc",
        "conyeu",
        "giadinh",
        "demo@2026",
    }
)

_TRAILING = re.compile(r"[\d\W_]+$")


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's minimum length, with its message in Vietnamese (the ``vi`` catalogue lacks
    the plural form, so Django's own message comes out in English)."""

    def get_error_message(self):
        return f"Mật khẩu quá ngắn: cần ít nhất {self.min_length} ký tự."

    def get_help_text(self):
        return f"Mật khẩu có ít nhất {self.min_length} ký tự (nên dùng một câu dễ nhớ, có dấu cũng được)."


class MaximumLengthValidator:
    """Refuse passwords longer than ``max_length`` (ASVS 2.1.2 allows 64+ and caps at 128)."""

    def __init__(self, max_length: int = 128):
        self.max_length = max_length

    def validate(self, password, user=None):
        if len(password) > self.max_length:
            raise ValidationError(
                f"Mật khẩu dài quá {self.max_length} ký tự.", code="password_too_long", params={"max": self.max_length}
            )

    def get_help_text(self):
        return f"Mật khẩu không dài quá {self.max_length} ký tự."


class BreachedPasswordValidator:
    """Refuse passwords known from breaches and their trivial variants.

    Django's CommonPasswordValidator checks the exact password against 20,000 breached
    passwords; this one also checks it with diacritics removed and with digits or
    punctuation stripped from the end ("Matkhau@2024", "anhyeuem123"), against the same list
    and a list of Vietnamese ones.
    """

    def __init__(self):
        self.common = CommonPasswordValidator().passwords

    def _variants(self, password: str) -> set[str]:
        plain = search_key(password).replace(" ", "")
        lowered = password.lower().strip()
        return {lowered, plain, _TRAILING.sub("", lowered), _TRAILING.sub("", plain)} - {""}

    def validate(self, password, user=None):
        for variant in self._variants(password):
            if variant in VIETNAMESE_BREACHED or (variant in self.common and len(variant) >= 4):
                raise ValidationError(
                    "Mật khẩu này quá phổ biến hoặc đã bị lộ trong các vụ rò rỉ dữ liệu; hãy chọn mật khẩu khác.",
                    code="password_breached",
                )

    def get_help_text(self):
        return "Không dùng mật khẩu phổ biến hoặc đã bị lộ (kể cả khi thêm số hay ký tự ở cuối)."
