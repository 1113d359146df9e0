"""Results of an exam as xlsx (the results table) and PDF (the admitted, school by school).

DOMAIN (/work/shared/domain/exams-diplomas.md): "Results: published at a set time";
"cut-offs published with the results". Both documents take what
``exams.services.publication.results_for`` already gave the actor (rows through the door, the
outcome only where it may be read); nothing here queries rows of its own.
"""

from __future__ import annotations

from decimal import Decimal

from sms.exports import pdf, xlsx
from sms.exports.numbers import vn_date, vn_decimal

from ..models import AdmissionStatus, Candidate, Quota
from ..services.publication import Results


def _school(candidate: Candidate) -> str:
    if candidate.school_id:
        return candidate.school.name
    return candidate.school_name or "Thí sinh tự do"


def _score_text(score) -> str:
    if score is None:
        return ""
    if score.absent:
        return "Vắng"
    return score.score


def results_xlsx(results: Results) -> bytes:
    """One row per candidate: number, name, birth date, school, each subject's score ("Vắng"
    when absent), then — where the outcome may be read — the priority and bonus points, the
    admission score, the outcome and the school admitted to."""
    exam = results.exam
    columns = [("Số báo danh", 12), ("Họ và tên", 28), ("Ngày sinh", 12), ("Trường đang học", 30)]
    columns += [(s.name, 10) for s in results.subjects]
    with_outcome = results.outcome_visible and exam.is_admission
    if with_outcome:
        columns += [
            ("Điểm ưu tiên", 10),
            ("Điểm khuyến khích", 12),
            ("Điểm xét tuyển", 10),
            ("Kết quả", 18),
            ("Trúng tuyển vào", 30),
            ("Nguyện vọng", 10),
        ]
    book = xlsx.Workbook()
    sheet = book.sheet("Kết quả thi", columns)
    for row in results.rows:
        c = row.candidate
        values = [c.number, c.full_name, c.birth_date, _school(c)]
        values += [_score_text(s) for s in row.scores]
        if with_outcome:
            values += [
                c.priority.points if c.priority_id else None,
                c.bonus.points if c.bonus_id else None,
                c.admission_score,
                c.get_admission_status_display(),
                c.admitted_to.name if c.admitted_to_id else "",
                "Tuyển thẳng" if c.admission_status == AdmissionStatus.DIRECT else (c.admitted_choice or ""),
            ]
        sheet.row(values)
    return book.save()


def admitted_pdf(exam, groups: list[tuple[str, list[Candidate]]], quotas: list[Quota]) -> bytes:
    """ "Danh sách trúng tuyển": one part per school (its own page numbers), with its quota and
    cut-off, the admitted ordered by admission score."""
    doc = pdf.Document(f"Danh sách trúng tuyển – {exam.name}")
    by_name = {q.school.name: q for q in quotas}
    if not groups:
        doc.title_block("DANH SÁCH TRÚNG TUYỂN")
        doc.paragraph(exam.name, "centre")
        doc.paragraph("Chưa có thí sinh trúng tuyển.")
    for index, (school, rows) in enumerate(groups):
        if index:
            doc.page_break()
        doc.start_part(school)
        doc.title_block("DANH SÁCH TRÚNG TUYỂN")
        doc.paragraph(exam.name, "centre")
        doc.paragraph(f"Trường: {school}", "centre")
        quota = by_name.get(school)
        if quota is not None:
            cut = vn_decimal(quota.cut_off, 2) if quota.cut_off is not None else "—"
            doc.paragraph(f"Chỉ tiêu: {quota.places} – Trúng tuyển: {len(rows)} – Điểm chuẩn: {cut}", "centre")
        doc.spacer()
        table = [["STT", "Số báo danh", "Họ và tên", "Ngày sinh", "Trường đang học", "Điểm xét tuyển", "Diện"]]
        for n, c in enumerate(rows, start=1):
            table.append(
                [
                    str(n),
                    c.number or "—",
                    c.full_name,
                    vn_date(c.birth_date),
                    _school(c),
                    vn_decimal(c.admission_score, 2) if c.admission_score is not None else "—",
                    "Tuyển thẳng" if c.admission_status == AdmissionStatus.DIRECT else f"NV{c.admitted_choice}",
                ]
            )
        doc.table(table, col_widths=[6, 14, 30, 14, 30, 12, 12])
    return doc.build()


def decimal_or_blank(value: Decimal | None) -> str:
    return "" if value is None else vn_decimal(value, 2)
