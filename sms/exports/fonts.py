"""The Vietnamese font for PDFs: Roboto, installed from PyPI (the ``font-roboto`` package).

Roboto covers every Vietnamese letter with its tone marks (Latin Extended Additional), so
text is drawn from precomposed glyphs; reportlab embeds a subset with a ToUnicode map, so
the text can be searched and copied out of the PDF. Registered once per process.
"""

from __future__ import annotations

import os
from functools import cache

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FAMILY = "Roboto"
BOLD = "Roboto-Bold"
ITALIC = "Roboto-Italic"
BOLD_ITALIC = "Roboto-BoldItalic"


def font_directory() -> str:
    import font_roboto

    return font_roboto.font_directory


@cache
def register() -> str:
    """Register the family with reportlab (idempotent) and return its name."""
    directory = font_directory()
    for name, filename in (
        (FAMILY, "Roboto-Regular.ttf"),
        (BOLD, "Roboto-Bold.ttf"),
        (ITALIC, "Roboto-Italic.ttf"),
        (BOLD_ITALIC, "Roboto-BoldItalic.ttf"),
    ):
        pdfmetrics.registerFont(TTFont(name, os.path.join(directory, filename)))
    addMapping(FAMILY, 0, 0, FAMILY)
    addMapping(FAMILY, 1, 0, BOLD)
    addMapping(FAMILY, 0, 1, ITALIC)
    addMapping(FAMILY, 1, 1, BOLD_ITALIC)
    return FAMILY
