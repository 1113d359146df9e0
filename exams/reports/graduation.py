"""A graduation round's lists as PDF and xlsx: "Danh sách đề nghị / công nhận tốt nghiệp" (the recognised) and
"Danh sách không được công nhận tốt nghiệp" (with the reasons), and — once decided — the decision they rest on.

DOMAIN (/work/shared/domain/exams-diplomas.md): THCS graduation by review (TT31/2023), "no classification": the
lists carry no grade. Both documents take the entries the caller already read through the door (a school printing
a Sở's round prints its own learners); nothing here queries rows of its own.
"""

from __future__ import annotations

from sms.exports import pdf, xlsx
from sms.exports.numbers import vn_date, vn_decimal

from .. import rules
from ..models import GraduationEntry, GraduationLevel, GraduationRound, RoundStatus


def reason_texts(entry: GraduationEntry, level: str) -> list[str]:
    """The reasons as printed, the council's note after its reason."""
    table = rules.THPT_REASONS if level == GraduationLevel.THPT else rules.THCS_REASONS
    texts = [table.get(code, code) for code in entry.reasons]
    if entry.note:
        texts.append(f"Ghi chú của hội đồng: {entry.note}")
    return texts


def school_of(entry: GraduationEntry) -> str:
    if entry.school_id:
        return entry.school.name
    return entry.school_name or "Thí sinh tự do"


def level_word(rnd: GraduationRound) -> str:
    return "TRUNG HỌC CƠ SỞ" if rnd.level == GraduationLevel.THCS else "TRUNG HỌC PHỔ THÔNG"


def recognised_title(rnd: GraduationRound) -> str:
    if rnd.status == RoundStatus.DECIDED:
        return f"DANH SÁCH CÔNG NHẬN TỐT NGHIỆP {level_word(rnd)}"
    return f"DANH SÁCH ĐỀ NGHỊ CÔNG NHẬN TỐT NGHIỆP {level_word(rnd)}"


def refused_title(rnd: GraduationRound) -> str:
    return f"DANH SÁCH KHÔNG ĐƯỢC CÔNG NHẬN TỐT NGHIỆP {level_word(rnd)}"


def round_lines(rnd: GraduationRound) -> list[str]:
    """The round in words, under each title: who ran it, which year and round, and the decision (or its state)."""
    lines = [
        f"{rnd.unit.name} – năm học {rnd.start_year}–{rnd.start_year + 1}, đợt {rnd.number}",
    ]
    if rnd.exam_id:
        lines.append(f"Kỳ thi: {rnd.exam.name}")
    if rnd.status == RoundStatus.DECIDED:
        lines.append(
            f"(Kèm theo Quyết định số {rnd.decision_number} ngày {vn_date(rnd.decision_date)} "
            f"của {rnd.decision_signer})"
        )
    elif rnd.status == RoundStatus.PROPOSED:
        lines.append("(Đã trình công nhận, chưa có quyết định)")
    else:
        lines.append("(Dự thảo: đợt xét chưa trình công nhận)")
    return lines


def _many_schools(entries: list[GraduationEntry]) -> bool:
    return len({(e.school_id, e.school_name) for e in entries}) > 1


def _split(entries) -> tuple[list[GraduationEntry], list[GraduationEntry]]:
    entries = list(entries)
    return [e for e in entries if e.recognised], [e for e in entries if not e.recognised]


def round_pdf(rnd: GraduationRound, entries, *, chair: str = "") -> bytes:
    """Two parts, each with its own page numbers: the recognised (proposed, or recognised once decided) and the
    not recognised with the reasons; the round's decision under each title, a signature line at the end of each."""
    recognised, refused = _split(entries)
    thpt = rnd.level == GraduationLevel.THPT
    with_school = thpt or _many_schools([*recognised, *refused])
    doc = pdf.Document(f"Danh sách xét công nhận tốt nghiệp – {rnd}")

    def header(title: str, label: str) -> None:
        doc.start_part(label)
        doc.title_block(title)
        for line in round_lines(rnd):
            doc.paragraph(line, "centre")
        doc.spacer()

    def footer(count: int) -> None:
        doc.spacer()
        doc.paragraph(f"Danh sách có {count} người.")
        if rnd.status == RoundStatus.DECIDED:
            doc.paragraph(f"Người ký quyết định: {rnd.decision_signer}")
        elif chair:
            doc.paragraph(f"Chủ tịch hội đồng xét công nhận tốt nghiệp: {chair}")

    header(recognised_title(rnd), "Danh sách công nhận tốt nghiệp")
    head = ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Dân tộc", "Nơi sinh", "Lớp"]
    widths = [6, 30, 14, 10, 10, 22, 10]
    if with_school:
        head.append("Trường")
        widths.append(26)
    if thpt:
        head.append("Điểm xét tốt nghiệp")
        widths.append(12)
    table = [head]
    for n, e in enumerate(recognised, start=1):
        row = [str(n), e.full_name, vn_date(e.birth_date), e.get_sex_display(), e.ethnicity, e.birthplace, e.class_name]
        if with_school:
            row.append(school_of(e))
        if thpt:
            row.append(vn_decimal(e.graduation_score, 2) if e.graduation_score is not None else "")
        table.append(row)
    if recognised:
        doc.table(table, col_widths=widths)
    else:
        doc.paragraph("Không có người nào.")
    footer(len(recognised))

    doc.page_break()
    header(refused_title(rnd), "Danh sách không được công nhận tốt nghiệp")
    head = ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Lớp"]
    widths = [6, 28, 14, 9, 10]
    if with_school:
        head.append("Trường")
        widths.append(24)
    head += ["Lý do không được công nhận", "Được xét đợt sau"]
    widths += [40, 11]
    table = [head]
    for n, e in enumerate(refused, start=1):
        row = [str(n), e.full_name, vn_date(e.birth_date), e.get_sex_display(), e.class_name]
        if with_school:
            row.append(school_of(e))
        row += ["; ".join(reason_texts(e, rnd.level)), "Có" if e.may_retry else "Không"]
        table.append(row)
    if refused:
        doc.table(table, col_widths=widths)
    else:
        doc.paragraph("Không có người nào.")
    footer(len(refused))
    return doc.build()


def round_xlsx(rnd: GraduationRound, entries) -> bytes:
    """Three sheets: the round (unit, year, round, state, decision, counts), the recognised, the not recognised
    with the reasons."""
    recognised, refused = _split(entries)
    thpt = rnd.level == GraduationLevel.THPT
    book = xlsx.Workbook()
    info = book.sheet("Đợt xét", [("Mục", 28), ("Nội dung", 70)])
    info.rows(
        [
            ("Đơn vị xét", rnd.unit.name),
            ("Cấp", rnd.get_level_display()),
            ("Năm học", f"{rnd.start_year}–{rnd.start_year + 1}"),
            ("Đợt", rnd.number),
            ("Kỳ thi", rnd.exam.name if rnd.exam_id else ""),
            ("Trạng thái", rnd.get_status_display()),
            ("Số quyết định công nhận", rnd.decision_number),
            ("Ngày ký quyết định", rnd.decision_date),
            ("Người ký quyết định", rnd.decision_signer),
            ("Được công nhận", len(recognised)),
            ("Không được công nhận", len(refused)),
        ]
    )
    base = [
        ("STT", 6),
        ("Họ và tên", 28),
        ("Ngày sinh", 12),
        ("Giới tính", 9),
        ("Dân tộc", 10),
        ("Nơi sinh", 24),
        ("Số định danh cá nhân", 16),
        ("Lớp", 8),
        ("Trường", 30),
    ]
    extra = [("Điểm xét tốt nghiệp", 12)] if thpt else []

    def identity(n: int, e: GraduationEntry) -> list:
        return [
            n,
            e.full_name,
            e.birth_date,
            e.get_sex_display(),
            e.ethnicity,
            e.birthplace,
            e.personal_id,
            e.class_name,
            school_of(e),
        ]

    sheet = book.sheet("Được công nhận", base + extra)
    for n, e in enumerate(recognised, start=1):
        sheet.row(identity(n, e) + ([e.graduation_score] if thpt else []))
    sheet = book.sheet(
        "Không được công nhận", base + extra + [("Lý do không được công nhận", 60), ("Được xét đợt sau", 10)]
    )
    for n, e in enumerate(refused, start=1):
        sheet.row(
            identity(n, e)
            + ([e.graduation_score] if thpt else [])
            + ["; ".join(reason_texts(e, rnd.level)), e.may_retry]
        )
    return book.save()
