"""Attendance per day: sessions absent, excused or not; 0 removes the day; who may record;
totals per semester and year and the 45-session limit of TT22/2021 Art. 12 (issue 5, acceptance 5)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sms.accounts.roles import Role
from students.models import Absence
from students.services.homeroom import absence_totals, save_attendance
from students.services.workflow import WorkflowError
from tests.makers import students as makers
from tests.world import api_client, web_client

from .test_workflow_setup import build_book

DAY = dt.date(2026, 10, 5)


@pytest.fixture
def book(world):
    return build_book(world, learners=3)


def test_record_change_and_remove_an_absence_with_history(book):
    actor = book.actor("homeroom")
    learner = book.learner
    rows = [{"enrolment": learner.pk, "sessions": 2, "excused": True, "reason": "Ốm"}]
    assert save_attendance(actor, book.side.klass, DAY, rows) == {"created": 1, "updated": 0, "deleted": 0}
    absence = Absence.objects.get()
    assert (absence.sessions, absence.excused, absence.reason, absence.recorded_by) == (2, True, "Ốm", actor.user)
    rows = [{"enrolment": learner.pk, "sessions": "1", "excused": False, "reason": ""}]
    assert save_attendance(actor, book.side.klass, DAY, rows) == {"created": 0, "updated": 1, "deleted": 0}
    assert save_attendance(actor, book.side.klass, DAY, rows) == {"created": 0, "updated": 0, "deleted": 0}
    rows = [{"enrolment": learner.pk, "sessions": 0}]
    assert save_attendance(actor, book.side.klass, DAY, rows) == {"created": 0, "updated": 0, "deleted": 1}
    assert not Absence.objects.exists()
    history = list(
        Absence.history.filter(id=absence.pk).order_by("history_date").values_list("history_type", "sessions")
    )
    assert history == [("+", 2), ("~", 1), ("-", 1)]
    removal = Absence.history.get(id=absence.pk, history_type="-")
    assert removal.history_user == actor.user and removal.history_membership_id == actor.membership.pk


def test_future_days_and_days_outside_the_year_are_refused(book):
    actor = book.actor("homeroom")
    rows = [{"enrolment": book.learner.pk, "sessions": 1}]
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(WorkflowError, match="chưa tới"):
        save_attendance(actor, book.side.klass, tomorrow, rows)
    with pytest.raises(WorkflowError, match="ngoài năm học"):
        save_attendance(actor, book.side.klass, dt.date(2026, 8, 20), rows)
    assert not Absence.objects.exists()


def test_a_day_before_the_learner_joined_is_refused(book):
    late = makers.enrolment(book.side)
    late.enrolled_on = dt.date(2026, 11, 2)
    late.save()
    with pytest.raises(WorkflowError, match="không học ở lớp vào ngày 05/10/2026"):
        save_attendance(book.actor("homeroom"), book.side.klass, DAY, [{"enrolment": late.pk, "sessions": 1}])


def test_bad_sessions_name_the_row_and_nothing_is_saved(book):
    first, second = book.enrolments[:2]
    with pytest.raises(WorkflowError) as caught:
        save_attendance(
            book.actor("homeroom"),
            book.side.klass,
            DAY,
            [{"enrolment": first.pk, "sessions": 1}, {"enrolment": second.pk, "sessions": 3}],
        )
    assert "Dòng 2" in caught.value.message and second.student.full_name in caught.value.message
    assert "số buổi nghỉ" in caught.value.message
    assert not Absence.objects.exists()


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("homeroom", True),
        ("principal", True),
        ("school_admin", True),
        ("subject_teacher", False),
        ("clerk", False),
        ("other_principal", False),
        ("parent", False),
    ],
)
def test_who_records_attendance(book, who, allowed):
    rows = [{"enrolment": book.learner.pk, "sessions": 1}]
    if allowed:
        save_attendance(book.actor(who), book.side.klass, DAY, rows)
        assert Absence.objects.get().recorded_by == book.actor(who).user
    else:
        with pytest.raises(WorkflowError) as caught:
            save_attendance(book.actor(who), book.side.klass, DAY, rows)
        assert caught.value.status == 403
        assert not Absence.objects.exists()


def test_saving_takes_a_constant_number_of_queries(book):
    actor, klass = book.actor("homeroom"), book.side.klass
    more = [makers.enrolment(book.side) for _ in range(9)]

    def rows(enrolments, sessions):
        return [{"enrolment": e.pk, "sessions": sessions, "excused": True} for e in enrolments]

    counts = []
    for enrolments in (book.enrolments[:1], book.enrolments[1:] + more):
        for sessions in (2, 1, 0):
            with CaptureQueriesContext(connection) as queries:
                save_attendance(actor, klass, DAY, rows(enrolments, sessions))
            counts.append(len(queries))
    assert counts[:3] == counts[3:]


def test_totals_count_both_kinds_in_one_query(book, django_assert_num_queries):
    first, second, third = book.enrolments
    school = book.side.school
    Absence.objects.bulk_create(
        [
            Absence(school=school, enrolment=first, day=dt.date(2026, 10, 5), sessions=2, excused=True),
            Absence(school=school, enrolment=first, day=dt.date(2026, 10, 6), sessions=1, excused=False),
            Absence(school=school, enrolment=first, day=dt.date(2027, 2, 1), sessions=1, excused=False),
            Absence(school=school, enrolment=second, day=dt.date(2026, 10, 5), sessions=1, excused=True),
        ]
    )
    with django_assert_num_queries(1):
        totals = absence_totals(book.enrolments, book.side.year)
    assert totals == {first.pk: (4, 2), second.pk: (1, 1), third.pk: (0, 0)}
    semester1 = book.semester
    assert absence_totals([first], book.side.year, start=semester1.starts_on, end=semester1.ends_on) == {
        first.pk: (3, 2)
    }


def _absent_days(book, enrolment, sessions_total):
    days, day = [], dt.date(2026, 9, 7)
    left = sessions_total
    while left > 0:
        if day.weekday() < 5:
            n = min(2, left)
            days.append(Absence(school=book.side.school, enrolment=enrolment, day=day, sessions=n, excused=day.day % 2))
            left -= n
        day += dt.timedelta(days=1)
    Absence.objects.bulk_create(days)


def test_the_page_flags_more_than_45_sessions(book):
    over, at_limit, _ = book.enrolments
    _absent_days(book, over, 46)
    _absent_days(book, at_limit, 45)
    url = reverse("students:class-attendance", kwargs={"pk": book.side.klass.pk}) + "?ngay=05/10/2026"
    response = web_client(book.side.m(Role.TEACHER)).get(url)
    page = response.content.decode()
    warning = "Nghỉ quá 45 buổi: không đủ điều kiện lên lớp (Điều 12, Thông tư 22/2021)"
    assert page.count(warning) == 2  # the notice above the table and the learner's row
    assert "1 học sinh: " + warning in page
    rows = response.context["summary"]
    flags = {r["enrolment"].pk: (r["year_total"], r["over"]) for r in rows}
    assert flags[over.pk] == (46, True) and flags[at_limit.pk] == (45, False)


def test_the_attendance_page_saves_a_day(book):
    url = reverse("students:class-attendance", kwargs={"pk": book.side.klass.pk})
    homeroom = web_client(book.side.m(Role.TEACHER))
    page = homeroom.get(url + "?ngay=05/10/2026").content.decode()
    first = book.learner
    assert f'name="sessions_{first.pk}"' in page and "05/10/2026" in page
    assert f'aria-label="Số buổi nghỉ của {first.student.full_name}"' in page
    data = {"ngay": "05/10/2026"}
    for e in book.enrolments:
        data[f"sessions_{e.pk}"] = "0"
        data[f"reason_{e.pk}"] = ""
    data[f"sessions_{first.pk}"] = "2"
    data[f"excused_{first.pk}"] = "1"
    data[f"reason_{first.pk}"] = "Sốt"
    response = homeroom.post(url, data, follow=True)
    assert "Đã lưu chuyên cần ngày 05/10/2026 (1 thay đổi)" in response.content.decode()
    absence = Absence.objects.get()
    assert (absence.day, absence.sessions, absence.excused, absence.reason) == (DAY, 2, True, "Sốt")
    data[f"sessions_{first.pk}"] = "5"
    response = homeroom.post(url, data)
    assert response.status_code == 400 and "Dòng 1" in response.content.decode()
    page = homeroom.get(url + "?ngay=31/02/2026").content.decode()
    assert "không hợp lệ" in page


def test_who_sees_the_attendance_page(book):
    url = reverse("students:class-attendance", kwargs={"pk": book.side.klass.pk}) + "?ngay=05/10/2026"
    principal_page = web_client(book.side.m(Role.PRINCIPAL)).get(url).content.decode()
    assert 'name="sessions_' in principal_page  # the principal may record too
    phong = web_client(book.world.members["phong1_admin"]).get(url)
    assert phong.status_code == 200 and 'name="sessions_' not in phong.content.decode()
    assert web_client(book.side.m("teacher2")).get(url).status_code == 403
    assert web_client(book.side.m(Role.STUDENT)).get(url).status_code == 404
    assert web_client(book.world.b.m(Role.PRINCIPAL)).get(url).status_code == 404


def test_learners_see_their_own_absences(book):
    save_attendance(
        book.actor("homeroom"),
        book.side.klass,
        DAY,
        [{"enrolment": e.pk, "sessions": 1, "reason": "Ốm"} for e in book.enrolments],
    )
    mine = Absence.objects.get(enrolment=book.learner)
    other = Absence.objects.exclude(enrolment=book.learner).first()
    for role in (Role.STUDENT, Role.PARENT):
        client = web_client(book.side.m(role))
        response = client.get(mine.get_absolute_url())
        assert response.status_code == 200 and "Lịch sử thay đổi" not in response.content.decode()
        assert client.get(other.get_absolute_url()).status_code == 404
    staff_page = web_client(book.side.m(Role.TEACHER)).get(mine.get_absolute_url()).content.decode()
    assert "Lịch sử thay đổi" in staff_page


def test_api_bulk_save(book):
    url = f"/api/students/classes/{book.side.klass.pk}/attendance/"
    body = {"day": "2026-10-05", "rows": [{"enrolment": book.learner.pk, "sessions": 2, "excused": True}]}
    response = api_client(book.side.m(Role.TEACHER)).post(url, body, format="json")
    assert response.status_code == 200 and response.json() == {"created": 1, "updated": 0, "deleted": 0}
    future = {**body, "day": (timezone.localdate() + dt.timedelta(days=2)).isoformat()}
    response = api_client(book.side.m(Role.TEACHER)).post(url, future, format="json")
    assert response.status_code == 400 and "chưa tới" in response.json()["detail"]
    assert api_client(book.side.m("teacher2")).post(url, body, format="json").status_code == 403
    assert api_client(book.world.b.m(Role.PRINCIPAL)).post(url, body, format="json").status_code == 404
    listing = api_client(book.side.m(Role.STUDENT)).get("/api/students/absences/").json()
    assert [row["enrolment"] for row in listing["results"]] == [book.learner.pk]
