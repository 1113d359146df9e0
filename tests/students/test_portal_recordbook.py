"""The record book's QR code (issue 9 point 3): every printing (one learner, or the class's job) carries the
learner's lookup code and a QR code of its own random token with the check URL under it; the URL opens a
public page saying what the school's records hold (identity, the approved year results); a revoked token, a
made-up one and a learner who no longer exists all answer the same; the school's leaders list and revoke the
printed codes on the learner's page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sms.accounts.roles import Role
from sms.jobs.models import Job
from sms.portal import documents
from sms.portal.models import DocumentToken, LookupLog
from students.jobs_recordbook import RECORD_BOOKS_JOB, class_record_books
from students.models import Correction, Period, Student
from students.reports import recordbook
from tests.world import web_client

from .test_portal_results import BIRTH, approve, learners
from .test_recordbook import text_of

PUBLIC = "https://tracuu.sgd.test"
CHECK_URL = re.compile(re.escape(PUBLIC) + r"/cong/kiem-tra/\?ma=([A-Za-z0-9_-]{16,})")


@pytest.fixture(autouse=True)
def _portal(settings):
    cache.clear()
    settings.PORTAL_PUBLIC_URL = PUBLIC
    settings.PORTAL_RATE_PER_IP = 1000
    yield
    cache.clear()


def download(membership, student) -> bytes:
    response = web_client(membership).get(reverse("students:recordbook-pdf", kwargs={"pk": student.pk}))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return response.content


def check(token: str, *, as_json: bool = False):
    path = reverse("portal:document-check") + f"?ma={token}"
    return Client().get(path, HTTP_ACCEPT="application/json" if as_json else "text/html", REMOTE_ADDR="203.0.113.7")


def test_the_printed_book_carries_the_lookup_code_and_a_check_url_that_opens_its_page(world):
    side = world.a
    (enrolment,) = learners(side, sem1=9, sem2=9)
    approve(side, Period.SEMESTER_1, Period.SEMESTER_2, Period.YEAR)
    student = enrolment.student
    text = text_of(download(side.m(Role.PRINCIPAL), student))
    assert f"Mã tra cứu kết quả {student.lookup_code}" in text
    (token,) = CHECK_URL.findall(text)  # the URL under the QR code, on one line, readable back

    row = DocumentToken.objects.get()
    assert (row.kind, row.ref, row.unit_id, row.created_by) == (
        "record-book",
        str(student.pk),
        side.school.pk,
        side.m(Role.PRINCIPAL).user,
    )
    assert row.label == f"Học bạ {student.full_name} – in {timezone.localdate():%d/%m/%Y}"
    assert row.digest == documents.digest(token) and token not in str(row.__dict__)  # only the digest is kept

    page = check(token)
    assert page.status_code == 200
    html = page.content.decode()
    for expected in (
        "Kiểm tra học bạ",
        f"Học bạ của {student.full_name}",
        BIRTH.strftime("%d/%m/%Y"),
        "Trường THCS An Bình",
        "Năm học 2026-2027",
        "Lớp 6A1",
        "Kết quả học tập: Tốt",
        "Được lên lớp",
        "Hợp lệ",
    ):
        assert expected in html, expected
    assert student.lookup_code not in html
    data = check(token, as_json=True).json()
    assert data["found"] is True and data["status"] == "valid"
    assert data["data"]["learner"] == {
        "name": student.full_name,
        "birth_date": BIRTH.isoformat(),
        "school": "Trường THCS An Bình",
    }
    assert data["data"]["years"][0]["learning"] == "Tốt" and data["data"]["years"][0]["approved"] is True
    log = LookupLog.objects.filter(kind="document-check").last()
    assert log.found and log.identifier == f"record-book:{student.pk}" and token not in log.identifier


def test_each_printing_has_its_own_token_and_a_revoked_one_answers_like_an_unknown_one(world):
    side = world.a
    (enrolment,) = learners(side)
    student = enrolment.student
    first = CHECK_URL.findall(text_of(download(side.m(Role.PRINCIPAL), student)))[0]
    second = CHECK_URL.findall(text_of(download(side.m(Role.TEACHER), student)))[0]  # the homeroom teacher
    assert first != second and DocumentToken.objects.count() == 2

    # the school's leaders see both printings on the learner's page and revoke one
    page = web_client(side.m(Role.PRINCIPAL)).get(student.get_absolute_url()).content.decode()
    assert page.count(f'<th scope="row">Học bạ {student.full_name} – in') == 2 and "Thu hồi mã" in page
    revoked = DocumentToken.objects.get(digest=documents.digest(first))
    revoke = reverse("document-token-revoke", kwargs={"pk": revoked.pk})
    assert web_client(world.b.m(Role.PRINCIPAL)).post(revoke).status_code == 404
    assert web_client(side.m(Role.TEACHER)).post(revoke).status_code in (403, 404)
    response = web_client(side.m(Role.PRINCIPAL)).post(revoke, {"next": student.get_absolute_url()})
    assert response.status_code == 302 and response["Location"] == student.get_absolute_url()

    unknown = check("x" * len(first))
    gone = check(first)
    assert gone.status_code == unknown.status_code == 404
    assert gone.content == unknown.content
    assert "không hợp lệ hoặc đã bị thu hồi" in gone.content.decode()
    assert check(first, as_json=True).json() == check("y" * len(first), as_json=True).json()
    assert check(second).status_code == 200  # the other printing still checks


def test_only_approved_year_results_are_shown_and_a_correction_is_noted(world):
    side = world.a
    (enrolment,) = learners(side)
    approve(side, Period.SEMESTER_1)  # the year is not approved yet
    (url,) = recordbook.check_urls(None, [enrolment.student]).values()
    token = url.split("?ma=")[1]
    html = check(token).content.decode()
    assert "Lớp 6A1" in html and "Chưa duyệt kết quả cả năm" in html and "Kết quả học tập:" not in html
    Correction.objects.create(
        school=side.school, enrolment=enrolment, period=Period.YEAR, field="learning", old_value="Khá",
        new_value="Tốt",
    )  # fmt: skip
    data = check(token, as_json=True).json()
    assert data["status"] == "corrected" and data["data"]["corrections"] == 1
    assert any("đã được sửa sau khi hiệu trưởng duyệt" in note for note in data["notes"])


def test_a_learner_who_no_longer_exists_answers_like_an_unknown_code(world):
    student = Student.objects.create(
        school=world.a.school, learner_code="0999000111", full_name="Đỗ Văn Tạm", birth_date=dt.date(2013, 3, 3),
        sex="M",
    )  # fmt: skip
    (url,) = recordbook.check_urls(None, [student]).values()
    token = url.split("?ma=")[1]
    assert check(token).status_code == 200
    student.delete()
    assert check(token).content == check("z" * len(token)).content


def test_the_class_job_prints_every_book_with_its_own_code_from_one_insert(world):
    side = world.a
    enrolments = learners(side, 3)
    approve(side, Period.SEMESTER_1, Period.SEMESTER_2, Period.YEAR)
    membership = side.m(Role.PRINCIPAL)
    job = Job.objects.create(
        unit=side.school, membership=membership, created_by=membership.user, kind=RECORD_BOOKS_JOB,
        title="In học bạ", params={"school_class": side.klass.pk},
    )  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        output = class_record_books(job, world.actor(membership), school_class=side.klass.pk)
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "portal_documenttoken"')]
    assert len(inserts) == 1
    text = text_of(output.data)
    tokens = CHECK_URL.findall(text)
    assert len(set(tokens)) == 3 and DocumentToken.objects.count() == 3
    for enrolment in enrolments:
        assert f"Mã tra cứu kết quả {enrolment.student.lookup_code}" in text
    names = {check(token, as_json=True).json()["data"]["learner"]["name"] for token in tokens}
    assert names == {e.student.full_name for e in enrolments}
