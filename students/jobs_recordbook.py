"""Background jobs of module (a): the record books (học bạ) of a whole class as one PDF (issue 6).

The job prints, as the actor who queued it, the record book of every learner of the class that the Student
door shows them (students.reports.recordbook), one learner per page run, in Vietnamese name order.
Progress is reported at fixed steps (read, laid out, built), so the job's queries do not grow per learner.
Each book carries the QR code of its own new token, all minted in one INSERT (``recordbook.check_urls``).
"""

from __future__ import annotations

from sms.accounts.roles import Role
from sms.accounts.scoping import visible_to
from sms.audit.services import record_reads
from sms.jobs.registry import JobError, JobOutput, register_job
from sms.org.models import SchoolClass

RECORD_BOOKS_JOB = "students.record_books"
#: the roles that may queue it; a teacher only for the class they are homeroom teacher of (checked inside)
RECORD_BOOK_PRINTERS = frozenset({Role.PRINCIPAL, Role.SCHOOL_ADMIN, Role.TEACHER})
MSG_NOT_PRINTER = "Chỉ hiệu trưởng, quản trị nhà trường hoặc giáo viên chủ nhiệm của lớp in được học bạ của lớp."


def may_print_class(actor, school_class) -> bool:
    """The school's principal or administrator, or the class's homeroom teacher, acting at its school."""
    if actor is None or getattr(actor, "membership", None) is None or actor.unit_id != school_class.school_id:
        return False
    if actor.role in (Role.PRINCIPAL, Role.SCHOOL_ADMIN):
        return True
    return actor.role == Role.TEACHER and school_class.homeroom_teacher_id == actor.user.pk


def class_student_ids(actor, school_class) -> list[int]:
    """The learners of the class whose record book the actor may print, in Vietnamese name order."""
    from .models import Enrolment
    from .reports.recordbook import readable_students

    in_class = visible_to(actor, Enrolment).filter(school_class=school_class).values("student_id")
    return list(
        readable_students(actor).filter(pk__in=in_class).order_by("sort_key", "pk").values_list("pk", flat=True)
    )


@register_job(RECORD_BOOKS_JOB, title="In học bạ của lớp (PDF)", roles=RECORD_BOOK_PRINTERS)
def class_record_books(job, actor, school_class: int) -> JobOutput:
    """Every learner's record book of ``school_class`` (an id the actor reaches) in one PDF."""
    from .reports import recordbook

    klass = visible_to(actor, SchoolClass).filter(pk=school_class).select_related("school_year", "school").first()
    if klass is None:
        raise JobError("Không tìm thấy lớp.")
    if not may_print_class(actor, klass):
        raise JobError(MSG_NOT_PRINTER)
    ids = class_student_ids(actor, klass)
    if not ids:
        raise JobError(f"Lớp {klass.name} chưa có học sinh nào để in học bạ.")
    job.set_progress(5, f"Đang đọc dữ liệu học bạ của {len(ids)} học sinh lớp {klass.name}.")
    books = recordbook.learner_books(ids)
    record_reads(actor, [book.student for book in books], detail=f"In học bạ lớp {klass.name}")
    urls = recordbook.check_urls(actor, [book.student for book in books])  # one INSERT for the class
    job.set_progress(30, f"Đang dựng {len(books)} học bạ.")
    data = recordbook.render(books, title=f"Học bạ lớp {klass.name} – năm học {klass.school_year}",
                             author=klass.school.name, urls=urls)  # fmt: skip
    job.set_progress(95, f"Đã dựng xong {len(books)} học bạ.")
    return JobOutput(data, f"Học bạ lớp {klass.name} {klass.school_year}.pdf", "application/pdf")
