"""The portal's announcements (Circular 53/2012 Art. 17.5): an Atom feed and a page of the exams' application
windows, timetables and publication dates — public, sessionless, cacheable; a school's own competition stays out."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from exams.models import Exam, ExamKind, ExamSubject

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def exams(world):
    now = timezone.now()
    year = timezone.localtime(now).year
    admission = Exam.objects.create(
        unit=world.so, kind=ExamKind.ADMISSION_10, name="Tuyển sinh lớp 10 năm học mới", start_year=year - 1
    )
    ExamSubject.objects.create(
        exam=admission,
        code="toan",
        name="Toán",
        duration_minutes=120,
        order=1,
        starts_at=dt.datetime(year, 6, 2, 7, 30, tzinfo=dt.timezone(dt.timedelta(hours=7))),
    )
    intake = Exam.objects.create(
        unit=world.a.school,
        kind=ExamKind.INTAKE_6,
        name="Tuyển sinh lớp 6 trực tuyến",
        start_year=year - 1,
        accepts_online=True,
        applications_open_at=now - dt.timedelta(days=1),
        applications_close_at=now + dt.timedelta(days=9),
    )
    published = Exam.objects.create(
        unit=world.phong1,
        kind=ExamKind.GIFTED,
        name="Thi học sinh giỏi cấp huyện",
        start_year=year - 1,
        results_publish_at=now - dt.timedelta(hours=2),
    )
    internal = Exam.objects.create(
        unit=world.b.school,
        kind=ExamKind.GIFTED,
        name="Thi học sinh giỏi cấp trường nội bộ",
        start_year=year - 1,
        results_publish_at=now - dt.timedelta(hours=1),
    )
    return admission, intake, published, internal


def test_the_feed_is_atom_with_every_public_announcement(exams):
    admission, intake, published, internal = exams
    response = Client().get(reverse("portal:announcements-feed"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    assert response["Cache-Control"] == "public, max-age=300"
    assert "sessionid" not in response.cookies
    root = ET.fromstring(response.content)
    entries = {e.findtext(f"{ATOM}id"): e for e in root.findall(f"{ATOM}entry")}
    assert set(entries) == {
        f"exam-{admission.pk}-timetable",
        f"exam-{intake.pk}-applications",
        f"exam-{published.pk}-results",
    }
    timetable = entries[f"exam-{admission.pk}-timetable"]
    assert timetable.findtext(f"{ATOM}title") == "Lịch thi: Tuyển sinh lớp 10 năm học mới"
    assert "Toán: 07:30 ngày 02/06/" in timetable.findtext(f"{ATOM}summary")
    assert entries[f"exam-{published.pk}-results"].findtext(f"{ATOM}title").startswith("Đã công bố kết quả")
    # newest first: the results published two hours ago come after the announcements made just now
    assert root.findall(f"{ATOM}entry")[-1].findtext(f"{ATOM}id") == f"exam-{published.pk}-results"
    assert internal.name not in response.content.decode()


def test_a_scheduled_publication_is_announced_as_a_schedule(exams, world):
    admission = exams[0]
    Exam.objects.filter(pk=admission.pk).update(results_publish_at=timezone.now() + dt.timedelta(days=3))
    body = Client().get(reverse("portal:announcements-feed")).content.decode()
    assert "Lịch công bố kết quả: Tuyển sinh lớp 10 năm học mới" in body


def test_the_page_lists_them_and_links_the_feed(exams, django_assert_max_num_queries):
    client = Client()
    with django_assert_max_num_queries(3):
        response = client.get(reverse("portal:announcements"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'type="application/atom+xml"' in html and reverse("portal:announcements-feed") in html
    assert "Nhận hồ sơ trực tuyến: Tuyển sinh lớp 6 trực tuyến" in html
    assert "Thi học sinh giỏi cấp trường nội bộ" not in html
    assert response["Cache-Control"] == "public, max-age=300"


def test_only_reads_are_answered():
    assert Client().post(reverse("portal:announcements-feed")).status_code == 405
    assert Client().post(reverse("portal:announcements")).status_code == 405
