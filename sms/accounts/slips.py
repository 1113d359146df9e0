"""Login slips: cut-out slips on A4 with a person's username and temporary password.

The temporary password exists in clear only in memory and on the slip; the database keeps
its hash. A reset's slip goes straight back to the admin's browser and is not kept; a bulk
import's slips are one PDF kept as a private ``StoredFile`` for 24 hours (then purged),
readable only by the admin who ran the import — no other admin, Phòng or Sở included.
Several slips fit on one page, each kept whole and separated by a cut line.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

from sms.exports import pdf

#: no 0/O, 1/l/I: easy to read off paper and type
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def temporary_password(groups: int = 3, size: int = 4) -> str:
    """A random, readable temporary password, e.g. ``k7mp-x3rt-9qaz`` (about 59 bits)."""
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(size)) for _ in range(groups))


@dataclass(frozen=True)
class Slip:
    full_name: str
    unit: str
    role: str
    username: str
    password: str


def build_slips(slips: list[Slip], *, site: str, title: str = "Phiếu thông tin đăng nhập") -> bytes:
    """One PDF with every slip; about four slips per A4 page, each kept whole."""
    doc = pdf.Document(title)
    styles = doc.styles
    for slip in slips:
        rows = [
            [pdf.Paragraph(pdf.text(title.upper()), styles["cell_bold"]), ""],
            ["Họ và tên", slip.full_name],
            ["Đơn vị", slip.unit],
            ["Vai trò", slip.role],
            ["Địa chỉ đăng nhập", site],
            ["Tên đăng nhập", slip.username],
            ["Mật khẩu tạm thời", slip.password],
            [
                pdf.Paragraph(
                    pdf.text(
                        "Hãy đổi mật khẩu khi đăng nhập lần đầu. Giữ phiếu này kín đáo và huỷ sau khi đã đổi mật khẩu."
                    ),
                    styles["small"],
                ),
                "",
            ],
        ]
        cells = [
            [
                c if not isinstance(c, str) else pdf.Paragraph(pdf.text(c), styles["cell_bold" if i == 0 else "cell"])
                for i, c in enumerate(row)
            ]
            for row in rows
        ]
        table = Table(cells, colWidths=[doc.width * 0.3, doc.width * 0.7])
        table.setStyle(
            TableStyle(
                [
                    ("BOX", (0, 0), (-1, -1), 0.8, colors.black),
                    ("SPAN", (0, 0), (-1, 0)),
                    ("SPAN", (0, -1), (-1, -1)),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.grey),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ]
            )
        )
        cut = Table([[""]], colWidths=[doc.width], rowHeights=[4])
        cut.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.5, colors.grey, None, (3, 3))]))
        doc.story.append(KeepTogether([table, Spacer(1, 6), cut, Spacer(1, 10)]))
    return doc.build()
