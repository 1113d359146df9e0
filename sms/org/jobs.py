"""Background jobs of the school structure: the class structure as a spreadsheet."""

from __future__ import annotations

from django.utils import timezone

from sms.accounts.scoping import visible_to
from sms.exports import xlsx
from sms.jobs.registry import JobOutput, register_job

from .models import SchoolClass


@register_job("org.classes_xlsx", title="Xuất cơ cấu lớp học (xlsx)")
def export_classes(job, actor, current_only: bool = False) -> JobOutput:
    """Every class the actor reaches (school, year, grade, class, homeroom teacher)."""
    classes = visible_to(actor, SchoolClass).select_related("school", "school_year", "homeroom_teacher")
    if current_only:
        classes = classes.filter(school_year__is_current=True)
    classes = classes.order_by("school__path", "-school_year__start_year", "grade", "name")
    total = classes.count()
    book = xlsx.Workbook()
    sheet = book.sheet(
        "Cơ cấu lớp học",
        [("Trường", 40), ("Mã trường", 12), ("Năm học", 12), ("Khối", 8), ("Lớp", 10), ("Giáo viên chủ nhiệm", 30)],
    )
    for done, klass in enumerate(classes.iterator(chunk_size=500), start=1):
        teacher = klass.homeroom_teacher
        sheet.row(
            [
                klass.school.name,
                klass.school.code,
                klass.school_year.name,
                klass.grade,
                klass.name,
                str(teacher) if teacher else "",
            ]
        )
        if done % 500 == 0:
            job.set_progress(done * 95 // total, f"Đã ghi {done}/{total} lớp.")
    job.set_progress(95, f"Đã ghi {total} lớp, đang lưu tệp.")
    filename = f"Cơ cấu lớp học {timezone.localdate():%d-%m-%Y}.xlsx"
    return JobOutput(book.save(), filename, xlsx.CONTENT_TYPE)
