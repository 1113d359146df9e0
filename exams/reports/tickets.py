"""Admission tickets (thẻ dự thi) and room lists (danh sách phòng thi) as PDF
(exams-diplomas.md, "Running an exam": sites, rooms and seat lists printed; admission tickets
printed as PDF). A ticket carries the candidate's lookup code (``Candidate.lookup_code``), the
second secret the public scores lookup accepts instead of the date of birth
(``exams.portal_scores``).

Both take rows the caller already reached through the door; every string goes through
``sms.exports.pdf`` (NFC, the packaged Vietnamese font).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.utils import timezone
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, TableStyle

from sms.exports import pdf

from ..models import Candidate, Exam, ExamSubject, Room

#: tickets per page when several are printed on one sheet (each about a third of an A4 page)
TICKETS_PER_PAGE = 3


def _day(value) -> str:
    return value.strftime("%d/%m/%Y") if value else "—"


def _sitting(subject: ExamSubject) -> tuple[str, str]:
    if subject.starts_at is None:
        return "—", "—"
    local = timezone.localtime(subject.starts_at)
    return local.strftime("%d/%m/%Y"), local.strftime("%H:%M")


def _school_of(candidate: Candidate) -> str:
    if candidate.school_id:
        return candidate.school.name
    return candidate.school_name or "Thí sinh tự do"


def subjects_of(exam: Exam) -> list[ExamSubject]:
    return list(ExamSubject.objects.filter(exam=exam).order_by("order", "starts_at", "pk"))


def _ticket(doc: pdf.Document, exam: Exam, candidate: Candidate, subjects: Sequence[ExamSubject]) -> list:
    styles = doc.styles
    room = candidate.room
    site = room.site if room is not None else None
    place = "Chưa xếp phòng"
    if site is not None:
        place = site.name + (f" – {site.address}" if site.address else "")
    room_text = "—"
    if room is not None:
        room_text = f"Phòng {room.number:02d}" + (f" ({room.location})" if room.location else "")
    school = _school_of(candidate) + (f" – lớp {candidate.class_name}" if candidate.class_name else "")
    rows = [
        ["Số báo danh", candidate.number or "—", "Ngày sinh", _day(candidate.birth_date)],
        ["Họ và tên", candidate.full_name, "Phòng thi", room_text],
        ["Trường", school, "", ""],
        ["Điểm thi", place, "", ""],
        ["Mã tra cứu", candidate.lookup_code, "", ""],
    ]
    identity = doc.make_table(rows, header=False, col_widths=[1.3, 3, 1.2, 2])
    identity.setStyle(TableStyle([("SPAN", (1, r), (3, r)) for r in (2, 3, 4)]))
    flowables = [
        Paragraph(pdf.text(f"{exam.unit.name.upper()} – {exam.name}"), styles["centre"]),
        Paragraph(pdf.text("THẺ DỰ THI"), styles["title"]),
        identity,
    ]
    if subjects:
        timetable = [["Môn thi", "Ngày thi", "Giờ bắt đầu", "Thời gian làm bài"]]
        for s in subjects:
            day, hour = _sitting(s)
            timetable.append([s.name, day, hour, f"{s.duration_minutes} phút"])
        flowables += [Spacer(1, 1.5 * mm), doc.make_table(timetable, col_widths=[3, 2, 2, 2])]
    flowables.append(
        Paragraph(
            pdf.text(
                "Thí sinh mang thẻ này và giấy tờ tùy thân có ảnh khi dự thi. Khi kết quả được công bố, tra cứu "
                "điểm thi trên cổng thông tin bằng số báo danh và ngày sinh hoặc mã tra cứu in trên thẻ này; "
                "giữ kín mã tra cứu."
            ),
            styles["small"],
        )
    )
    return flowables


def admission_tickets(exam: Exam, candidates: Iterable[Candidate], *, one_per_page: bool = False) -> bytes:
    """Tickets for ``candidates`` (with room, site and school loaded), in the given order:
    three to a page, or one a page."""
    candidates = list(candidates)
    subjects = subjects_of(exam)
    doc = pdf.Document(f"Thẻ dự thi – {exam.name}", author=exam.unit.name)
    if not candidates:
        doc.paragraph("Chưa có thí sinh nào có số báo danh.")
    for index, candidate in enumerate(candidates):
        if index:
            if one_per_page or index % TICKETS_PER_PAGE == 0:
                doc.page_break()
            else:
                doc.spacer(3)
                doc.paragraph("- " * 50, "small")
                doc.spacer(1)
        doc.keep_together(_ticket(doc, exam, candidate, subjects))
    return doc.build()


def room_lists(exam: Exam, rooms: Iterable[Room], seated: dict[int, list[Candidate]]) -> bytes:
    """A list per room (one part each, its own page numbers): seat, number, name, date of
    birth, school, and a signature column for each subject sitting; then the count and the two
    invigilators' signatures. ``seated``: room id → its candidates in seat order."""
    subjects = subjects_of(exam)
    doc = pdf.Document(f"Danh sách phòng thi – {exam.name}", author=exam.unit.name)
    rooms = list(rooms)
    if not rooms:
        doc.paragraph("Chưa có phòng thi nào.")
    for index, room in enumerate(rooms):
        if index:
            doc.page_break()
        site = room.site
        doc.start_part(f"{site.name} – Phòng {room.number:02d}")
        doc.paragraph(exam.unit.name.upper(), "centre")
        doc.title_block("DANH SÁCH THÍ SINH PHÒNG THI")
        doc.paragraph(exam.name, "centre")
        doc.paragraph(
            f"Điểm thi: {site.name}"
            + (f" – {site.address}" if site.address else "")
            + f". Phòng thi số {room.number:02d}"
            + (f" ({room.location})" if room.location else "")
            + "."
        )
        header = ["STT", "Số báo danh", "Họ và tên", "Ngày sinh", "Trường"]
        header += [f"Ký tên – {s.name}" for s in subjects] or ["Ký tên"]
        rows = [header]
        people = seated.get(room.pk, [])
        for c in people:
            name = c.full_name + (" (đã rút hồ sơ)" if c.withdrawn else "")
            rows.append([c.seat or "", c.number, name, _day(c.birth_date), _school_of(c)] + [""] * (len(header) - 5))
        widths = [1, 2, 5, 2.4, 4] + [2.2] * (len(header) - 5)
        doc.table(rows, col_widths=widths)
        doc.spacer(4)
        doc.paragraph(f"Số thí sinh trong phòng: {len(people)}.")
        staff = [m for m in (room.invigilator_1, room.invigilator_2) if m is not None]
        names = [m.full_name or str(m.user) for m in staff] + [""] * (2 - len(staff))
        doc.table(
            [
                ["Cán bộ coi thi 1 (ký, ghi rõ họ tên)", "Cán bộ coi thi 2 (ký, ghi rõ họ tên)"],
                ["", ""],
                names,
            ],
            col_widths=[1, 1],
            repeat_header=False,
        )
    return doc.build()
