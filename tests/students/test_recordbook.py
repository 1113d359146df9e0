"""The record book (học bạ) as a PDF: identity block, each year's table, only approved values, corrections
struck through with who corrected them, earlier schools' years, who may download it, the class's books in
one background job, and a query count that does not grow with the class."""

from __future__ import annotations

import io
from decimal import Decimal

import pypdf
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sms.accounts.roles import Role
from sms.audit.models import AuditEvent, EventKind
from sms.jobs.models import Job, JobStatus
from sms.org.models import SchoolClass
from sms.org.services import create_school_year
from students import rules
from students.jobs_recordbook import RECORD_BOOKS_JOB, class_record_books
from students.models import (
    Enrolment,
    Guardian,
    HomeroomAssessment,
    Period,
    ResultStatus,
    SubjectResult,
    TermResult,
)
from students.reports import recordbook
from students.services import results as service
from teachers.selectors import teacher_name_of
from tests.world import api_client, web_client

from . import test_results as R
from .test_workflow_setup import assign as assign_teacher

PRINCIPAL_NAME = "Phạm Văn Hiệu"


def actor(membership):
    return R.actor(membership)


def _principal(side):
    user = side.m(Role.PRINCIPAL).user
    user.full_name = PRINCIPAL_NAME
    user.save()
    return actor(side.m(Role.PRINCIPAL))


def _learner(side, subjects, name="Nguyễn Thị Hương", *, user=None, sem1=7.5, sem2=8.5):
    enrolment = R.enrol(side, name=name, user=user)
    R.fill(enrolment, subjects, sem1, sem2)
    R.conduct(enrolment, "kha", "tot", comment="Chăm ngoan, tiến bộ rõ.")
    return enrolment


def _approve(side, *periods):
    principal = _principal(side)
    for period in periods:
        service.approve_results(principal, side.klass, period)


@pytest.fixture
def year(world):
    """School A's 6A1 with the whole TT22 plan, Toán taught by teacher2's staff record, and one learner
    linked to the student and parent accounts whose year is computed and approved."""
    side = world.a
    subjects = R.plan(side)
    R.assign(side, side.klass, subjects["toan"], side.m("teacher2"))
    enrolment = _learner(side, subjects, user=side.m(Role.STUDENT).user)
    student = enrolment.student
    student.register_number = "0123/2026"
    student.birthplace = "Ninh Bình"
    student.address = "Số 12, đường Trần Hưng Đạo"
    student.save()
    Guardian.objects.create(student=student, relation="mother", full_name="Trần Thị Lan", user=side.m(Role.PARENT).user)
    Guardian.objects.create(student=student, relation="father", full_name="Nguyễn Văn Hùng")
    R.compute(side)
    return side, subjects, enrolment


def text_of(data: bytes) -> str:
    """The PDF's text, whitespace (line breaks inside table cells) folded to single spaces."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def pages_of(data: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(data)).pages)


def download(membership, student) -> bytes:
    response = web_client(membership).get(reverse("students:recordbook-pdf", kwargs={"pk": student.pk}))
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    return response.content


# --- what the book prints -----------------------------------------------------------------------------------


def test_identity_block_and_an_approved_year(world, year):
    side, subjects, enrolment = year
    _approve(side, Period.SEMESTER_1, Period.SEMESTER_2, Period.YEAR)
    text = text_of(download(side.m(Role.PRINCIPAL), enrolment.student))
    today = timezone.localdate().strftime("%d/%m/%Y")
    for expected in (
        "HỌC BẠ",
        "Nguyễn Thị Hương",
        "01/01/2013",  # date of birth, dd/mm/yyyy
        "Ninh Bình",
        "Kinh",
        "Số 12, đường Trần Hưng Đạo",
        "Mẹ: Trần Thị Lan",
        "Cha: Nguyễn Văn Hùng",
        "0123/2026",  # số đăng bộ
        enrolment.student.learner_code,
        "Năm học 2026-2027 – Lớp 6A1 – Trường THCS An Bình",
        "7,5",  # ĐTBmhk I with a decimal comma
        "8,5",
        "8,2",  # ĐTBmcn = (7,5 + 2 × 8,5) / 3 = 8,1666… → 8,2
        teacher_name_of(side.year.semesters.get(number=2).pk, side.klass.pk, subjects["toan"].pk),  # signature column
        "Kết quả rèn luyện",
        "Học sinh Giỏi",
        "Được lên lớp",
        "Chăm ngoan, tiến bộ rõ.",
        f"Đã duyệt – {PRINCIPAL_NAME}, {today}",
    ):
        assert expected in text, expected
    assert "Chưa duyệt" not in text
    assert "8.2" not in text


def test_year_and_semester_levels_are_labelled(world, year):
    side, subjects, enrolment = year
    _approve(side, Period.SEMESTER_1, Period.SEMESTER_2, Period.YEAR)
    book = recordbook.learner_books([enrolment.student.pk])[0]
    (one,) = book.years
    assert (one.terms[Period.SEMESTER_1].learning, one.terms[Period.YEAR].conduct) == ("kha", "tot")
    text = text_of(download(side.m(Role.PRINCIPAL), enrolment.student))
    assert "Học kỳ I Khá Khá 0" in text  # learning Khá, conduct Khá, no session missed in semester I
    assert "Cả năm Tốt Tốt 0" in text


def test_unapproved_period_prints_not_approved(world, year):
    side, subjects, enrolment = year
    _approve(side, Period.SEMESTER_1)
    text = text_of(download(side.m(Role.PRINCIPAL), enrolment.student))
    assert "7,5" in text  # semester I is approved
    assert "Chưa duyệt" in text
    assert "8,2" not in text and "Học sinh Giỏi" not in text  # the year is not


def test_a_correction_shows_old_and_new_value_and_who(world, year):
    side, subjects, enrolment = year
    _approve(side, Period.SEMESTER_1, Period.SEMESTER_2, Period.YEAR)
    # reopened (as an unlock does), semester II Toán corrected, recomputed and approved again
    reopened = [Period.SEMESTER_2, Period.YEAR]
    TermResult.objects.filter(enrolment=enrolment, period__in=reopened).update(status=ResultStatus.COMPUTED)
    SubjectResult.objects.filter(enrolment=enrolment, period__in=reopened).update(status=ResultStatus.COMPUTED)
    SubjectResult.objects.filter(enrolment=enrolment, subject=subjects["toan"], period=Period.SEMESTER_2).update(
        average=Decimal("9.5")
    )
    R.compute(side)
    _approve(side, Period.SEMESTER_2, Period.YEAR)
    text = text_of(download(side.m(Role.PRINCIPAL), enrolment.student))
    today = timezone.localdate().strftime("%d/%m/%Y")
    # Toán: semester II 8,5 → 9,5; year 8,2 → 8,8 ((7,5 + 19) / 3 = 8,83…)
    squeezed = text.replace(" ", "")  # a cell may wrap anywhere
    assert f"Toán7,58,59,5(sửa:{PRINCIPAL_NAME},{today})".replace(" ", "") in squeezed
    assert f"8,28,8(sửa:{PRINCIPAL_NAME},{today})".replace(" ", "") in squeezed
    assert "Chưa duyệt" not in text
    book = recordbook.learner_books([enrolment.student.pk])[0]
    fixes = book.corrections[(enrolment.pk, subjects["toan"].pk, Period.YEAR, "average")]
    assert recordbook._marked("8,8", fixes).startswith("<strike>8,2</strike> 8,8 (sửa: ")


def test_years_at_an_earlier_school_travel_with_the_learner(world, year):
    """A learner who came from school B last year: A's book prints B's approved year, and B's unapproved
    semester says so."""
    side, subjects, enrolment = year
    _approve(side, Period.SEMESTER_1, Period.SEMESTER_2, Period.YEAR)
    b = world.b
    last_year = create_school_year(b.school, 2025)
    klass = SchoolClass.objects.create(school=b.school, school_year=last_year, grade=6, name="6B3")
    old = Enrolment.objects.create(
        school=b.school, student=enrolment.student, school_year=last_year, school_class=klass
    )
    SubjectResult.objects.create(
        school=b.school, enrolment=old, subject=b.subject, period=Period.YEAR, average=Decimal("6.4"),
        status=ResultStatus.APPROVED,
    )  # fmt: skip
    TermResult.objects.create(
        school=b.school, enrolment=old, period=Period.YEAR, rule_set=rules.RuleSet.TT22, learning="dat",
        conduct="kha", outcome="len_lop", status=ResultStatus.APPROVED,
    )  # fmt: skip
    text = text_of(download(side.m(Role.PRINCIPAL), enrolment.student))
    assert "Năm học 2025-2026 – Lớp 6B3 – Trường THCS Bắc Sơn" in text
    assert "6,4" in text
    assert text.index("2025-2026") < text.index("2026-2027")  # oldest year first
    # B's principal no longer reaches the learner (now at A): the book is not theirs to print
    response = web_client(b.m(Role.PRINCIPAL)).get(
        reverse("students:recordbook-pdf", kwargs={"pk": enrolment.student.pk})
    )
    assert response.status_code == 404


# --- who may download it ------------------------------------------------------------------------------


def test_parent_and_student_get_their_own_book_and_nothing_else(world, year):
    side, subjects, enrolment = year
    _approve(side, Period.SEMESTER_1, Period.SEMESTER_2, Period.YEAR)
    other = _learner(side, subjects, name="Lê Văn Cường")
    for role in (Role.PARENT, Role.STUDENT):
        assert "8,2" in text_of(download(side.m(role), enrolment.student))
        client = web_client(side.m(role))
        response = client.get(reverse("students:recordbook-pdf", kwargs={"pk": other.student.pk}))
        assert response.status_code == 404
    api = api_client(side.m(Role.PARENT))
    response = api.get(reverse("api:student-record-book", kwargs={"pk": enrolment.student.pk}))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert api.get(reverse("api:student-record-book", kwargs={"pk": other.student.pk})).status_code == 404


def test_another_schools_learner_is_404_and_a_clerk_is_refused(world, year):
    side, subjects, enrolment = year
    theirs = R.enrol(world.b)
    for client, pk in (
        (web_client(side.m(Role.PRINCIPAL)), theirs.student.pk),
        (web_client(world.members["phong1_admin"]), theirs.student.pk),
    ):
        assert client.get(reverse("students:recordbook-pdf", kwargs={"pk": pk})).status_code == 404
    response = api_client(side.m(Role.PRINCIPAL)).get(
        reverse("api:student-record-book", kwargs={"pk": theirs.student.pk})
    )
    assert response.status_code == 404
    clerk = web_client(side.m(Role.CLERK))
    assert clerk.get(reverse("students:recordbook-pdf", kwargs={"pk": enrolment.student.pk})).status_code == 403


def test_each_download_is_logged_as_a_read(world, year):
    side, subjects, enrolment = year
    download(side.m(Role.PRINCIPAL), enrolment.student)
    event = AuditEvent.objects.get(kind=EventKind.RECORD_READ, object_id=str(enrolment.student.pk))
    assert (event.user, event.unit) == (side.m(Role.PRINCIPAL).user, side.school)


# --- the class, in the background ---------------------------------------------------------------------------


def test_class_job_one_pdf_with_every_learner(world, year, django_capture_on_commit_callbacks):
    side, subjects, enrolment = year
    for name in ("Lê Văn Cường", "Phạm Thị Dung"):
        _learner(side, subjects, name=name)
    R.compute(side)
    _approve(side, Period.SEMESTER_1, Period.SEMESTER_2, Period.YEAR)
    client = web_client(side.m(Role.TEACHER))  # the homeroom teacher
    page = client.get(reverse("students:recordbook-class", kwargs={"pk": side.klass.pk}))
    assert page.status_code == 200 and "In học bạ cả lớp (3 học sinh)" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("students:recordbook-class", kwargs={"pk": side.klass.pk}))
    job = Job.objects.get(kind=RECORD_BOOKS_JOB)
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert job.status == JobStatus.SUCCEEDED and job.progress == 100, job.error
    data = job.output.file.read()
    text = text_of(data)
    for name in ("Nguyễn Thị Hương", "Lê Văn Cường", "Phạm Thị Dung"):
        assert name in text
    reader = pypdf.PdfReader(io.BytesIO(data))
    firsts = [i for i, page in enumerate(reader.pages) if "HỌC BẠ" in page.extract_text()]
    assert len(firsts) == 3 and firsts[0] == 0  # each learner starts a page
    # and numbers its own pages, its name in the footer
    texts = [page.extract_text() for page in reader.pages]
    assert [i for i, t in enumerate(texts) if "Trang 1/" in t] == firsts
    for first in firsts:
        name = texts[first].split("Học sinh: ", 1)[1].split("\n", 1)[0]
        assert f"Học bạ – {name}" in texts[first]
    # every learner's book printed is logged as a read by the homeroom teacher, at the school
    reads = AuditEvent.objects.filter(kind=EventKind.RECORD_READ, user=side.m(Role.TEACHER).user)
    assert reads.count() == 3 and {e.unit for e in reads} == {side.school}


def test_only_the_homeroom_teacher_prints_a_learners_book(world, year):
    """The book holds every subject and year: a subject teacher of the class (teacher2 teaches Toán in 6A1)
    does not read it; the homeroom teacher does."""
    side, subjects, enrolment = year
    url = reverse("students:recordbook-pdf", kwargs={"pk": enrolment.student.pk})
    assert web_client(side.m("teacher2")).get(url).status_code == 404
    assert "Nguyễn Thị Hương" in text_of(download(side.m(Role.TEACHER), enrolment.student))


def test_class_job_only_for_leaders_and_the_homeroom_teacher(world, year, django_capture_on_commit_callbacks):
    side, subjects, enrolment = year
    url = reverse("students:recordbook-class", kwargs={"pk": side.klass.pk})
    other_teacher = web_client(side.m("teacher2"))
    assert "In học bạ cả lớp" not in other_teacher.get(url).content.decode()
    assert other_teacher.post(url).status_code == 403
    assert web_client(side.m(Role.PARENT)).get(url).status_code == 404
    assert web_client(world.b.m(Role.PRINCIPAL)).post(url).status_code == 404
    api = api_client(side.m(Role.SCHOOL_ADMIN))
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(reverse("api:class-record-books", kwargs={"pk": side.klass.pk}))
    assert response.status_code == 202, response.content
    assert Job.objects.get(pk=response.json()["id"]).status == JobStatus.SUCCEEDED
    assert (
        api_client(side.m("teacher2")).post(reverse("api:class-record-books", kwargs={"pk": side.klass.pk})).status_code
        == 403
    )
    assert not Job.objects.filter(created_by=side.m("teacher2").user).exists()


# --- a constant number of queries ---------------------------------------------------------------------------


def _class(side, size: int, name: str) -> SchoolClass:
    klass = SchoolClass.objects.create(school=side.school, school_year=side.year, grade=6, name=name,
                                       homeroom_teacher=side.m(Role.TEACHER).user)  # fmt: skip
    subjects = R.plan(side, klass)
    for number in (1, 2):
        assign_teacher(side, side.m("teacher2"), R.semester(klass, number), klass, subjects["ngu-van"])
    for i in range(size):
        enrolment = R.enrol(side, klass)
        R.fill(enrolment, subjects, 6.0 + i % 4, 7.0)
        R.conduct(enrolment, comment="Ngoan")
        Guardian.objects.create(student=enrolment.student, relation="mother", full_name=f"Mẹ {i}")
    R.compute(side, klass)
    principal = _principal(side)
    for period in (Period.SEMESTER_1, Period.SEMESTER_2, Period.YEAR):
        service.approve_results(principal, klass, period)
    return klass


def test_class_job_queries_do_not_grow_with_the_class(world):
    side = world.a
    small, large = _class(side, 3, "6C1"), _class(side, 12, "6C2")
    membership = side.m(Role.PRINCIPAL)
    counts = []
    for klass, size in ((small, 3), (large, 12)):
        job = Job.objects.create(
            unit=side.school, membership=membership, created_by=membership.user, kind=RECORD_BOOKS_JOB,
            title="In học bạ", params={"school_class": klass.pk},
        )  # fmt: skip
        with CaptureQueriesContext(connection) as queries:
            output = class_record_books(job, actor(membership), school_class=klass.pk)
        counts.append(len(queries))
        assert text_of(output.data).count("HỌC BẠ") == size
    assert counts[0] == counts[1], counts
    assert counts[0] <= 60, counts


def test_learner_books_reads_only_the_given_learners(world, year):
    side, subjects, enrolment = year
    theirs = R.enrol(world.b)
    books = recordbook.learner_books([enrolment.student.pk])
    assert [b.student for b in books] == [enrolment.student]
    assert all(y.enrolment.student_id == enrolment.student.pk for y in books[0].years)
    assert theirs.student not in [b.student for b in books]
    assert not recordbook.readable_students(actor(side.m(Role.PRINCIPAL))).filter(pk=theirs.student.pk).exists()
    assert not recordbook.readable_students(actor(side.m(Role.CLERK))).exists()


def test_primary_year_prints_levels_tests_and_qualities(world):
    from sms.org.rules import SchoolType
    from tests.world import make_school

    side = make_school(world.phong1, "C1A", "Trường Tiểu học An Bình", SchoolType.C1)
    klass = side.klass
    subjects = R.plan(side, klass, scored=["toan", "tieng-viet"], comment=["dao-duc"])
    enrolment = R.enrol(side, klass, name="Đỗ Minh Khang")
    R._primary_marks(enrolment, subjects, level="T", test=10, quality="tot")
    R.compute(side, klass)
    HomeroomAssessment.objects.filter(enrolment=enrolment).update(approved=True)
    principal = actor(side.m(Role.PRINCIPAL))
    service.approve_results(principal, klass, Period.YEAR)
    SubjectResult.objects.filter(enrolment=enrolment).update(status=ResultStatus.APPROVED)
    text = text_of(download(side.m(Role.PRINCIPAL), enrolment.student))
    assert "T (10)" in text
    assert "Hoàn thành xuất sắc" in text
    assert "Yêu nước" in text and "Tốt" in text
    assert "Thông tư 27/2020" in text


def test_legacy_year_prints_hoc_luc_and_hanh_kiem(world):
    side = world.a
    old_year = create_school_year(side.school, 2019)
    klass = SchoolClass.objects.create(school=side.school, school_year=old_year, grade=6, name="6A9")
    enrolment = Enrolment.objects.create(
        school=side.school, student=R.enrol(side).student, school_year=old_year, school_class=klass
    )
    TermResult.objects.create(
        school=side.school, enrolment=enrolment, period=Period.YEAR, rule_set=rules.RuleSet.TT58, learning="gioi",
        conduct="tot", status=ResultStatus.APPROVED,
    )  # fmt: skip
    text = text_of(download(side.m(Role.PRINCIPAL), enrolment.student))
    assert "Học lực" in text and "Hạnh kiểm" in text and "Giỏi" in text
