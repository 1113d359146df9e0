"""The published-results lookup of the public portal (Circular 53/2012 Art. 14.7; students/portal.py and
students/services/portal.py): only what a school published and approved is found, a wrong second secret
answers like an unknown learner code, the printed lookup code works until it is reissued, enumeration and
guessing are throttled, the log never holds a secret, the store matches the tables after every flow, and a
lookup costs the same queries whatever the size of the province."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sms.accounts.roles import Role
from sms.audit.history import bulk_create_with_history
from sms.org.models import SchoolClass, Subject
from sms.org.rules import SchoolType
from sms.portal import store, throttle
from sms.portal.models import LookupLog, PublishedRecord
from students.models import (
    Enrolment,
    HomeroomAssessment,
    Period,
    ResultStatus,
    ScoreSheet,
    SheetStatus,
    Student,
    SubjectResult,
)
from students.services import portal as published
from students.services import records
from students.services import results as service
from students.services import workflow as wf
from tests.makers.students import sheet as make_sheet
from tests.world import build_world, make_school, web_client

from . import test_results as R

URL = "/cong/ket-qua-hoc-tap/"
BIRTH = dt.date(2012, 11, 17)
BIRTH_TYPED = "17/11/2012"
WRONG_BIRTH = "18/11/2012"
IP = "203.0.113.10"


@pytest.fixture(autouse=True)
def _portal(settings):
    cache.clear()
    settings.PORTAL_RATE_PER_IP = 1000
    settings.PORTAL_MISSES_PER_IDENTIFIER = 1000
    settings.PORTAL_ORIGINS = ["https://sgd.thunghiem.edu.vn"]
    settings.SMS_TRUSTED_PROXY_COUNT = 0
    yield
    cache.clear()


def principal_of(side):
    return R.actor(side.m(Role.PRINCIPAL))


def learners(side, n: int = 1, *, klass=None, birth: dt.date = BIRTH, sem1=7.5, sem2=8.5) -> list[Enrolment]:
    """``n`` learners of the class with every subject of the TT22 plan filled (``sem1``/``sem2`` in every
    scored subject, Đạt in the others), conduct Khá then Tốt, and the class's results computed. Written in
    bulk: a 50-learner class is set up in a blink."""
    klass = klass or side.klass
    subjects = R.plan(side, klass)
    students = bulk_create_with_history(
        [
            Student(
                school=side.school,
                learner_code=f"{side.school.pk:03d}{next(R._n):07d}",
                full_name=f"Học Sinh Tra Cứu {index + 1}",
                birth_date=birth,
                sex="F",
            )
            for index in range(n)
        ],
        Student,
    )
    enrolments = Enrolment.objects.bulk_create(
        Enrolment(school=side.school, student=s, school_year=klass.school_year, school_class=klass) for s in students
    )
    semesters = {number: R.semester(klass, number) for number in (1, 2)}
    results, homeroom = [], []
    for e in enrolments:
        for period, value in ((Period.SEMESTER_1, sem1), (Period.SEMESTER_2, sem2)):
            for subject in subjects.values():
                scored = subject.assessment == "scored"
                results.append(
                    SubjectResult(
                        school=side.school, enrolment=e, subject=subject, period=period,
                        average=Decimal(str(value)) if scored else None, passed=None if scored else True,
                    )
                )  # fmt: skip
        for number, conduct in ((1, "kha"), (2, "tot")):
            homeroom.append(
                HomeroomAssessment(school=side.school, enrolment=e, semester=semesters[number], conduct=conduct)
            )
    SubjectResult.objects.bulk_create(results)
    HomeroomAssessment.objects.bulk_create(homeroom)
    R.compute(side, klass)
    return list(Enrolment.objects.filter(pk__in=[e.pk for e in enrolments]).select_related("student").order_by("pk"))


def approve(side, *periods, klass=None):
    for period in periods:
        service.approve_results(principal_of(side), klass or side.klass, period)


def look(code: str, secret: str, *, ip: str = IP, as_json: bool = True, **extra):
    if as_json:
        body = json.dumps({"learner_code": code, "secret": secret})
        return Client().post(URL, body, content_type="application/json", REMOTE_ADDR=ip, **extra)
    return Client().post(URL, {"learner_code": code, "secret": secret}, REMOTE_ADDR=ip, **extra)


def items(code: str, secret: str = BIRTH_TYPED, **kwargs) -> list[dict] | None:
    answer = look(code, secret, **kwargs).json()
    return answer["result"]["items"] if answer["found"] else None


def assert_store_matches_tables():
    """``manage.py portal_rebuild --check`` finds no difference (it raises when it does)."""
    assert store.differences(published.KIND) == {"missing": 0, "stale": 0, "stray": 0}
    call_command("portal_rebuild", published.KIND, "--check", stdout=open("/dev/null", "w"))  # noqa: SIM115


# --- what is published -----------------------------------------------------------------------------------


def _approved_sheet(side, period_number=1) -> ScoreSheet:
    """An approved grade-book sheet of the class's Toán for a semester (to unlock later)."""
    sheet = make_sheet(side)
    sheet.subject = R.plan(side)["toan"]
    sheet.semester = side.year.semesters.get(number=period_number)
    sheet.status = SheetStatus.APPROVED
    sheet.save()
    return sheet


def _reopen(side, sheet):
    request = wf.request_unlock(R.actor(side.m(Role.TEACHER)), sheet, "Nhập nhầm điểm kiểm tra giữa kỳ")
    wf.decide_unlock(principal_of(side), request, grant=True)


@dataclass(frozen=True)
class Case:
    name: str
    steps: Callable  # (side) -> None, after the learner's semester I is computed
    found: bool
    scores: bool = False


def _publish(side, period=Period.SEMESTER_1, **kwargs):
    return wf.publish(principal_of(side), side.year, period, **kwargs)


CASES = [
    Case("not published", lambda side: approve(side, Period.SEMESTER_1), found=False),
    Case("published, results not approved", lambda side: _publish(side), found=False),
    Case("published and approved", lambda side: (approve(side, Period.SEMESTER_1), _publish(side)), True, True),
    Case("approved after publishing", lambda side: (_publish(side), approve(side, Period.SEMESTER_1)), True, True),
    Case(
        "published then withdrawn",
        lambda side: (approve(side, Period.SEMESTER_1), wf.withdraw(principal_of(side), _publish(side))),
        found=False,
    ),
    Case(
        "another grade's publication",
        lambda side: (approve(side, Period.SEMESTER_1), _publish(side, grade=7)),
        found=False,
    ),
    Case(
        "this grade's publication",
        lambda side: (approve(side, Period.SEMESTER_1), _publish(side, grade=6)),
        found=True,
        scores=True,
    ),
    Case(
        "another period published",
        lambda side: (approve(side, Period.SEMESTER_1), _publish(side, Period.SEMESTER_2)),
        found=False,
    ),
    Case(
        "reopened after publication",
        lambda side: (
            (sheet := _approved_sheet(side)),
            approve(side, Period.SEMESTER_1),
            _publish(side),
            _reopen(side, sheet),
        ),
        found=False,
    ),
    Case(
        "published without the subjects' results",
        lambda side: (approve(side, Period.SEMESTER_1), _publish(side, include_scores=False)),
        found=True,
        scores=False,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_only_published_approved_results_are_found(world, case):
    side = world.a
    (enrolment,) = learners(side)
    case.steps(side)
    assert_store_matches_tables()
    code = enrolment.student.learner_code
    found = items(code)
    if not case.found:
        assert found is None
        page = look(code, BIRTH_TYPED, as_json=False).content.decode()
        assert "Không tìm thấy thông tin phù hợp" in page and enrolment.student.full_name not in page
        return
    (item,) = found
    assert (item["name"], item["school"], item["class"], item["period"]) == (
        enrolment.student.full_name,
        "Trường THCS An Bình",
        "6A1",
        "hk1",
    )
    assert item["learning"] == {"code": "kha", "label": "Khá"}  # every subject 7,5 in semester I
    assert item["conduct"] == {"code": "kha", "label": "Khá"}
    assert item["include_scores"] is case.scores
    page = look(code, BIRTH_TYPED, as_json=False).content.decode()
    assert "Học kỳ I – năm học 2026-2027" in page and "Kết quả rèn luyện" in page
    if case.scores:
        toan = next(s for s in item["subjects"] if s["code"] == "toan")
        assert toan["average"] == "7.5"  # JSON: decimals as strings
        assert len(item["subjects"]) == 10
        assert "Kết quả từng môn học" in page
        assert '<th scope="row">Toán</th><td>7,5</td>' in page  # HTML: decimal comma
        assert '<th scope="row">Giáo dục thể chất</th><td>Đạt</td>' in page
    else:
        assert item["subjects"] == []
        assert "Kết quả từng môn học" not in page and "7,5" not in page
        assert "không công bố kết quả từng môn học" in page


def test_the_year_shows_promotion_and_title_and_every_published_period(world):
    side = world.a
    (enrolment,) = learners(side, sem1=9, sem2=9)
    approve(side, Period.SEMESTER_1, Period.SEMESTER_2, Period.YEAR)
    for period in (Period.SEMESTER_1, Period.YEAR):
        _publish(side, period)
    found = items(enrolment.student.learner_code)
    assert [i["period"] for i in found] == ["cn", "hk1"]  # the year first; semester II is not published
    year = found[0]
    assert year["outcome"] == {"code": "len_lop", "label": "Được lên lớp"}
    assert year["learning"]["label"] == "Tốt" and year["conduct"]["label"] == "Tốt"
    assert year["title"] is not None
    page = look(enrolment.student.learner_code, BIRTH_TYPED, as_json=False).content.decode()
    assert "Cả năm – năm học 2026-2027" in page and "Được lên lớp" in page and "Danh hiệu" in page
    assert '<th scope="row">Toán</th><td>9,0</td>' in page
    assert_store_matches_tables()


def test_other_learners_and_schools_are_never_mixed_in(world):
    a_one, a_two = learners(world.a, 2)
    (b_one,) = learners(world.b)
    approve(world.a, Period.SEMESTER_1)
    _publish(world.a)
    assert items(a_two.student.learner_code) and items(a_one.student.learner_code)
    assert items(b_one.student.learner_code) is None  # school B published nothing
    (item,) = items(a_one.student.learner_code)
    assert item["name"] == a_one.student.full_name
    row = PublishedRecord.objects.get(kind=published.KIND, key=a_one.student.learner_code)
    assert row.unit_id == world.a.school.pk and row.ref == f"{a_one.pk}/hk1"
    assert BIRTH.isoformat() not in json.dumps(row.payload) and a_one.student.lookup_code not in json.dumps(row.payload)
    assert BIRTH.isoformat() not in json.dumps(row.secrets)  # only digests


def test_a_primary_semester_shows_its_approved_subject_levels_only_with_the_scores(world):
    """TT27 keeps no semester result: a published primary semester is its subjects' approved levels."""
    side = make_school(world.phong1, "C1A", "Trường Tiểu học An Bình", SchoolType.C1)
    subjects = R.plan(side, scored=["toan", "tieng-viet"], comment=["dao-duc"])
    enrolment = R.enrol(side)
    Student.objects.filter(pk=enrolment.student_id).update(birth_date=BIRTH)
    for code, subject in subjects.items():
        level, test = ("T", 9) if code != "dao-duc" else ("H", None)
        R.result(enrolment, subject, Period.SEMESTER_1, level=level, test_score=test, status=ResultStatus.APPROVED)
    code = enrolment.student.learner_code
    publication = _publish(side, include_scores=False)
    assert items(code) is None  # nothing else to show, and the levels are not published
    wf.withdraw(principal_of(side), publication)
    _publish(side)
    (item,) = items(code)
    assert item["primary"] is True and item["learning"] is None and item["class"] == "1A1"
    toan = next(s for s in item["subjects"] if s["code"] == "toan")
    assert toan["level"] == {"code": "T", "label": "Hoàn thành tốt"} and toan["test_score"] == 9
    page = look(code, BIRTH_TYPED, as_json=False).content.decode()
    assert '<th scope="row">Toán</th><td>Hoàn thành tốt (điểm kiểm tra 9)</td>' in page
    assert '<th scope="row">Đạo đức</th><td>Hoàn thành</td>' in page
    assert_store_matches_tables()


# --- one answer for every miss -----------------------------------------------------------------------


def test_wrong_birth_date_and_unknown_code_give_identical_bytes(world):
    (enrolment,) = learners(world.a)
    approve(world.a, Period.SEMESTER_1)
    _publish(world.a)
    code = enrolment.student.learner_code
    unknown = "9" * len(code)
    for as_json in (True, False):
        wrong = look(code, WRONG_BIRTH, as_json=as_json)
        nobody = look(unknown, WRONG_BIRTH, as_json=as_json)
        wrong_code = look(code, "ABCDEFGH", as_json=as_json)
        assert wrong.status_code == nobody.status_code == wrong_code.status_code == 200
        assert wrong.content == nobody.content == wrong_code.content
        assert dict(wrong.headers) == dict(nobody.headers)
        assert code.encode() not in wrong.content and b"18/11" not in wrong.content
    assert look(code, BIRTH_TYPED).json()["found"] is True
    assert look(code, "2012-11-17").json()["found"] is True  # ISO is the same date
    assert look(code, " 17/11/2012 ").json()["found"] is True


def test_invalid_input_is_refused_before_any_lookup(world):
    response = look("12ab", "hôm qua", as_json=False)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Mã định danh học sinh chỉ gồm chữ số" in page and "ngày/tháng/năm" in page
    assert 'aria-invalid="true"' in page
    data = look("0123456789", "31/02/2012").json()  # no such day, and not a lookup code
    assert set(data["errors"]) == {"secret"}
    assert not LookupLog.objects.exists()  # nothing looked up, nothing counted against an identifier


def test_the_form_is_described_and_accessible(db):
    described = Client().get(URL, HTTP_ACCEPT="application/json").json()
    assert described["kind"] == "student-results" and described["method"] == "POST"
    assert [(f["name"], f["label"]) for f in described["fields"]] == [
        ("learner_code", "Mã định danh học sinh"),
        ("secret", "Ngày sinh hoặc mã tra cứu"),
    ]
    assert all(f["help"] for f in described["fields"])
    page = Client().get(URL).content.decode()
    assert '<html lang="vi">' in page and "<main" in page and "<h1>Tra cứu kết quả học tập</h1>" in page
    assert '<label for="id_learner_code">Mã định danh học sinh:</label>' in page
    assert '<label for="id_secret">Ngày sinh hoặc mã tra cứu:</label>' in page
    assert 'inputmode="numeric"' in page and 'autocomplete="off"' in page
    assert 'aria-describedby="id_secret_helptext"' in page


# --- the printed lookup code ---------------------------------------------------------------------------


def test_lookup_code_opens_the_results_and_stops_when_reissued(world):
    side = world.a
    (enrolment,) = learners(side)
    approve(side, Period.SEMESTER_1)
    _publish(side)
    student = enrolment.student
    old = student.lookup_code
    assert items(student.learner_code, old)
    assert items(student.learner_code, old.lower())  # typed in lower case
    assert items(student.learner_code, f"{old[:4]} {old[4:]}")  # with a space

    # only the current school's leaders reissue it, from the learner's page
    url = reverse("students:student-lookup-code", kwargs={"pk": student.pk})
    assert web_client(world.b.m(Role.PRINCIPAL)).post(url).status_code == 404
    web_client(side.m(Role.TEACHER)).post(url)
    student.refresh_from_db()
    assert student.lookup_code == old
    response = web_client(side.m(Role.SCHOOL_ADMIN)).post(url)
    assert response.status_code == 302
    student.refresh_from_db()
    assert student.lookup_code != old and len(student.lookup_code) == 8

    assert items(student.learner_code, old) is None  # the printed code stops at once
    assert items(student.learner_code, student.lookup_code)
    assert items(student.learner_code, BIRTH_TYPED)  # the birth date still works
    history = list(Student.history.filter(id=student.pk).order_by("history_date").values_list("lookup_code", flat=True))
    assert old in history and history[-1] == student.lookup_code
    assert_store_matches_tables()


def test_detail_page_offers_the_reissue_to_the_school_leaders_only(world):
    (enrolment,) = learners(world.a)
    student = enrolment.student
    url = student.get_absolute_url()
    page = web_client(world.a.m(Role.PRINCIPAL)).get(url).content.decode()
    assert "Cấp lại mã tra cứu" in page and student.lookup_code in page
    assert "Mã QR kiểm tra đã in" in page
    teacher = web_client(world.a.m(Role.TEACHER)).get(url).content.decode()
    assert "Cấp lại mã tra cứu" not in teacher and student.lookup_code not in teacher
    assert "Mã QR kiểm tra đã in" not in teacher
    phong = web_client(world.members["phong1_admin"]).get(url).content.decode()
    assert "Mã QR kiểm tra đã in" in phong and "Cấp lại mã tra cứu" not in phong


# --- throttling and the log ----------------------------------------------------------------------------


def test_enumerating_learner_codes_from_one_address_gets_429(world, settings):
    settings.PORTAL_RATE_PER_IP = 5
    (enrolment,) = learners(world.a)
    approve(world.a, Period.SEMESTER_1)
    _publish(world.a)
    base = int(enrolment.student.learner_code)
    answers = [look(str(base + n).zfill(10), BIRTH_TYPED) for n in range(1, 6)]
    assert [a.status_code for a in answers] == [200] * 5
    refused = look(enrolment.student.learner_code, BIRTH_TYPED)
    assert refused.status_code == 429
    assert refused.json()["message"] == "Bạn đã tra cứu quá nhiều lần. Vui lòng thử lại sau 1 phút."
    html = look(str(base + 9).zfill(10), BIRTH_TYPED, as_json=False)
    assert html.status_code == 429 and "Bạn đã tra cứu quá nhiều lần" in html.content.decode()
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert look(enrolment.student.learner_code, BIRTH_TYPED, ip="198.51.100.1").json()["found"] is True


def test_misses_on_one_learner_code_are_capped_while_hits_never_count(world, settings):
    settings.PORTAL_MISSES_PER_IDENTIFIER = 3
    (enrolment,) = learners(world.a)
    approve(world.a, Period.SEMESTER_1)
    _publish(world.a)
    code = enrolment.student.learner_code
    for n in range(10):  # the learner looks their result up again and again
        assert look(code, BIRTH_TYPED, ip=f"198.51.100.{n}").json()["found"] is True
    assert throttle.misses(published.KIND, code) == 0
    for n in range(3):  # somebody guesses birth dates, from three addresses
        assert look(code, f"0{n + 1}/01/2012", ip=f"192.0.2.{n}").json()["found"] is False
    blocked = look(code, BIRTH_TYPED, ip="192.0.2.99")  # even the right date, from a fourth address
    assert blocked.status_code == 429 and blocked.json()["throttled"] is True
    assert look("9" * len(code), BIRTH_TYPED, ip="192.0.2.99").status_code == 200  # other codes are not blocked
    assert throttle.misses(published.KIND, code) == 4  # the refused attempt kept its place


def test_the_log_never_holds_the_birth_date_or_the_lookup_code(world):
    (enrolment,) = learners(world.a)
    approve(world.a, Period.SEMESTER_1)
    _publish(world.a)
    student = enrolment.student
    look(student.learner_code, BIRTH_TYPED)
    look(student.learner_code, student.lookup_code)
    look(student.learner_code, WRONG_BIRTH)
    look(student.learner_code, student.lookup_code, as_json=False)
    rows = list(LookupLog.objects.filter(kind=published.KIND).order_by("pk"))
    assert [(r.identifier, r.found) for r in rows] == [
        (student.learner_code, True),
        (student.learner_code, True),
        (student.learner_code, False),
        (student.learner_code, True),
    ]
    assert rows[0].unit_id == world.a.school.pk
    for row in rows:
        for field in LookupLog._meta.concrete_fields:
            value = str(field.value_from_object(row))
            for secret in ("17/11", "2012-11-17", "11/2012", "18/11", student.lookup_code):
                assert secret not in value, (field.name, secret)


# --- the store follows every flow ------------------------------------------------------------------------


def test_identity_changes_reach_the_store_in_the_same_transaction(world):
    side = world.a
    (enrolment,) = learners(side)
    approve(side, Period.SEMESTER_1)
    _publish(side)
    student = Student.objects.get(pk=enrolment.student_id)
    student.full_name = "Nguyễn Thị Hương Giang"
    student.birth_date = dt.date(2012, 12, 1)
    records.save_student(principal_of(side), student)
    assert_store_matches_tables()
    assert items(student.learner_code) is None  # the old birth date no longer opens it
    (item,) = items(student.learner_code, "01/12/2012")
    assert item["name"] == "Nguyễn Thị Hương Giang"


def test_the_class_list_import_updates_a_published_learner_in_the_same_transaction(world):
    from .test_import import confirm, row, sheet, upload

    side = world.a
    (enrolment,) = learners(side)
    approve(side, Period.SEMESTER_1)
    _publish(side)
    client = web_client(side.m(Role.PRINCIPAL))
    data = sheet([row(**{"Mã định danh": enrolment.student.learner_code, "Họ và tên": "Vũ Thị Ngọc Ánh",
                          "Ngày sinh": "02/02/2012", "Lớp": "6A1"})])  # fmt: skip
    preview = upload(client, data, side.year)
    assert preview.context["preview"].count("updated") == 1
    assert "Cập nhật: 1" in confirm(client, preview).content.decode()
    assert_store_matches_tables()
    assert items(enrolment.student.learner_code) is None
    (item,) = items(enrolment.student.learner_code, "02/02/2012")
    assert item["name"] == "Vũ Thị Ngọc Ánh"


def test_a_transfer_keeps_the_old_school_results_published(world):
    side = world.a
    (enrolment,) = learners(side)
    approve(side, Period.SEMESTER_1)
    _publish(side)
    records.transfer(principal_of(side), enrolment.student, world.b.school, dt.date(2027, 1, 20), "Theo gia đình")
    assert_store_matches_tables()
    (item,) = items(enrolment.student.learner_code)
    assert item["school"] == "Trường THCS An Bình"


def test_a_class_change_moves_the_learner_out_of_a_grade_publication(world):
    side = world.a
    (enrolment,) = learners(side)
    approve(side, Period.SEMESTER_1)
    _publish(side, grade=6)
    assert items(enrolment.student.learner_code)
    seventh = SchoolClass.objects.create(school=side.school, school_year=side.year, grade=7, name="7A1")
    records.change_class(principal_of(side), enrolment, seventh)
    assert_store_matches_tables()
    assert items(enrolment.student.learner_code) is None


def test_summer_retest_on_a_published_year_updates_the_store(world):
    side = world.a
    (enrolment,) = learners(side, sem1=4, sem2=4)  # Chưa đạt: re-tests
    approve(side, Period.SEMESTER_1, Period.SEMESTER_2, Period.YEAR)
    _publish(side, Period.YEAR)
    (before,) = items(enrolment.student.learner_code)
    assert before["outcome"]["code"] == "kiem_tra_lai"
    subject = Subject.objects.get(pk=service.retest_subjects_for(enrolment)[0].id)
    service.record_retest(principal_of(side), enrolment, subject, "8")
    assert_store_matches_tables()
    (after,) = items(enrolment.student.learner_code)
    retested = next(s for s in after["subjects"] if s["code"] == subject.code)
    assert retested["retest_average"] == "8.0"


def test_rebuild_restores_the_store(world):
    side = world.a
    learners(side, 3)
    approve(side, Period.SEMESTER_1)
    _publish(side)
    PublishedRecord.objects.filter(kind=published.KIND).delete()
    with pytest.raises(CommandError):
        call_command("portal_rebuild", published.KIND, "--check", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("portal_rebuild", published.KIND, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert PublishedRecord.objects.filter(kind=published.KIND).count() == 3
    assert_store_matches_tables()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
def test_publishing_while_the_class_is_approved_leaves_no_gap_in_the_store(transactional_db):
    """A principal publishes while the same class's results are being approved in another transaction: each
    transaction alone sees nothing to write (the other's change is not committed yet). The store stays exact
    because the second waits for the first's lock on the school year and then reads what it committed."""
    world = build_world()
    (enrolment,) = learners(world.a)
    approving = threading.Event()
    errors: list[BaseException] = []

    def approve_and_linger():
        try:
            with transaction.atomic():
                approve(world.a, Period.SEMESTER_1)
                approving.set()
                time.sleep(1.5)  # still not committed while the other publishes
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
            approving.set()
        finally:
            connections.close_all()

    def publish():
        try:
            approving.wait(10)
            _publish(world.a)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve_and_linger), threading.Thread(target=publish)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert not errors, errors
    assert_store_matches_tables()
    assert items(enrolment.student.learner_code)


# --- cost ------------------------------------------------------------------------------------------------


def _queries(fn) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return [q["sql"] for q in captured.captured_queries]


def test_publishing_costs_the_same_queries_for_5_and_50_learners(world):
    learners(world.a, 5)
    learners(world.b, 50)
    approve(world.a, Period.SEMESTER_1)
    approve(world.b, Period.SEMESTER_1)
    small = _queries(lambda: _publish(world.a))
    large = _queries(lambda: _publish(world.b))
    assert len(small) == len(large), (len(small), len(large))
    assert PublishedRecord.objects.filter(kind=published.KIND, unit=world.b.school).count() == 50
    writes = [q for q in large if "portal_publishedrecord" in q and q.startswith(("INSERT", "DELETE"))]
    assert len(writes) == 2  # one DELETE of the refs, one INSERT of the rows
    assert len(large) <= 15


def test_approving_a_class_costs_the_same_queries_for_5_and_50_learners(world):
    learners(world.a, 5)
    learners(world.b, 50)
    _publish(world.a)
    _publish(world.b)
    small = _queries(lambda: approve(world.a, Period.SEMESTER_1))
    large = _queries(lambda: approve(world.b, Period.SEMESTER_1))
    if connection.vendor == "postgresql":
        assert len(small) == len(large)
    else:
        # SQLite splits the approval's own bulk updates by its 999-parameter limit; the store's part stays equal
        def store_part(sqls):
            return [q for q in sqls if "portal_publishedrecord" in q]

        assert len(store_part(small)) == len(store_part(large)) > 0
    assert_store_matches_tables()


def test_a_lookup_is_one_query_on_the_store_whatever_the_data(world):
    side = world.a
    (first,) = learners(side)
    approve(side, Period.SEMESTER_1)
    _publish(side)
    code = first.student.learner_code
    small = _queries(lambda: look(code, BIRTH_TYPED))
    others = learners(world.b, 40)
    approve(world.b, Period.SEMESTER_1, Period.SEMESTER_2, Period.YEAR)
    for period in (Period.SEMESTER_1, Period.SEMESTER_2, Period.YEAR):
        _publish(world.b, period)
    assert PublishedRecord.objects.filter(kind=published.KIND).count() == 1 + 40 * 3
    large = _queries(lambda: look(code, BIRTH_TYPED))
    assert len(small) == len(large)
    reads = [q for q in large if q.startswith("SELECT")]
    assert len(reads) == 1 and "portal_publishedrecord" in reads[0]  # the store, one indexed query
    assert not any("students_" in q for q in large)  # never the module's tables
    assert items(others[0].student.learner_code) and len(items(others[0].student.learner_code)) == 3
