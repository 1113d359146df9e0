"""Background jobs of module (a): the whole school's year results ("Tính kết quả cả năm học của trường").

The job runs ``students.services.results.compute_results`` for every class of the school year as the
actor who queued it, and returns a spreadsheet of the learners whose year result is still blocked
(what is missing), so the school knows what to complete.
"""

from __future__ import annotations

from django.utils import timezone

from sms.accounts.roles import Role
from sms.accounts.scoping import visible_to
from sms.exports import xlsx
from sms.jobs.registry import JobError, JobOutput, register_job
from sms.org.models import SchoolYear

COMPUTE_JOB = "students.year_results"


@register_job(COMPUTE_JOB, title="Tính kết quả cả năm học của trường", roles={Role.PRINCIPAL, Role.SCHOOL_ADMIN})
def compute_school_results(job, actor, school_year: int) -> JobOutput:
    """Compute every class of ``school_year`` (an id the actor reaches, at the actor's own school)."""
    from .models import Enrolment
    from .services.results import compute_results

    year = visible_to(actor, SchoolYear).filter(pk=school_year, school_id=actor.unit_id).first()
    if year is None:
        raise JobError("Không tìm thấy năm học của trường.")
    job.set_progress(5, f"Đang tính kết quả năm học {year}.")
    summary = compute_results(actor, year)
    job.set_progress(90, summary.message)
    book = xlsx.Workbook()
    sheet = book.sheet("Tóm tắt", [("Nội dung", 100)])
    sheet.row([f"Năm học {year}: {summary.message}"])
    if summary.missing:
        rows = (
            visible_to(actor, Enrolment)
            .filter(pk__in=list(summary.missing))
            .select_related("student", "school_class")
            .order_by("school_class__grade", "school_class__name", "student__sort_key")
        )
        detail = book.sheet("Còn thiếu", [("Lớp", 10), ("Họ và tên", 28), ("Mã định danh", 14), ("Còn thiếu", 90)])
        for enrolment in rows:
            detail.row(
                [
                    enrolment.school_class.name,
                    enrolment.student.full_name,
                    enrolment.student.learner_code,
                    "; ".join(summary.missing[enrolment.pk]),
                ]
            )
    filename = f"Kết quả cả năm {year} {timezone.localdate():%d-%m-%Y}.xlsx"
    return JobOutput(book.save(), filename, xlsx.CONTENT_TYPE)
