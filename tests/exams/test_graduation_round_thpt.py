"""THPT graduation from the exam: the Sở's round over a published graduation exam (its entries from
``exams.services.graduation_thpt.thpt_entries``), reviewed and decided by the Sở without a "propose" step; a school
reads its own candidates' entries, a learner their own once decided.

The exam of the 2026–2027 school year is held in 2027: the TT24/2024 formula (four tests: Toán, Ngữ văn and two
electives; the year averages of grades 10, 11, 12 weighted 1, 2, 3)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from exams import rules
from exams.models import (
    Candidate,
    CandidateScore,
    Exam,
    ExamKind,
    ExamSubject,
    GraduationEntry,
    GraduationLevel,
    GraduationRound,
    Issuer,
    RoundStatus,
)
from exams.services import graduation as services
from sms.accounts.actors import Actor
from sms.accounts.roles import Role
from sms.accounts.scoping import visible_to
from sms.org.models import SchoolClass, SchoolYear, Subject
from sms.org.rules import SchoolType
from sms.org.services import create_school_year
from students.models import Enrolment, Period, ResultStatus, Student, SubjectResult
from tests.world import SchoolSide, api_client, make_school, web_client

SUBJECTS = [("toan", "Toán"), ("ngu-van", "Ngữ văn"), ("vat-li", "Vật lí"), ("lich-su", "Lịch sử")]


def actor(membership) -> Actor:
    return Actor(membership.user, membership)


@dataclass
class ThptWorld:
    world: object
    upper: SchoolSide  # a THPT school under Phòng 1
    exam: Exam
    issuer: Issuer
    candidates: dict[str, Candidate] = field(default_factory=dict)
    students: dict[str, Student] = field(default_factory=dict)

    @property
    def so_staff(self) -> Actor:
        return actor(self.world.members["so_staff"])


def _learner_with_record(side: SchoolSide, name: str, n: int, averages: dict[int, str]) -> Student:
    """A learner of ``side`` enrolled in grades 10, 11, 12 in 2024, 2025, 2026, with one approved year subject
    average per grade (the mean ``year_averages`` reads)."""
    student = Student.objects.create(
        school=side.school,
        learner_code=f"{9000 + n:010d}",
        personal_id=f"{9000 + n:012d}",
        full_name=name,
        birth_date=dt.date(2008, 4, n),
        sex="F" if " Thị " in name else "M",
        birthplace="Hà Nam",
    )
    subject = Subject.objects.get_or_create(
        school=side.school, code="toan-thpt", defaults={"name": "Toán", "assessment": "scored"}
    )[0]
    for grade, year in ((10, 2024), (11, 2025), (12, 2026)):
        school_year = SchoolYear.objects.get(school=side.school, start_year=year)
        klass = SchoolClass.objects.get_or_create(
            school=side.school, school_year=school_year, grade=grade, name=f"{grade}A1"
        )[0]
        enrolment = Enrolment.objects.create(
            school=side.school, student=student, school_year=school_year, school_class=klass
        )
        SubjectResult.objects.create(
            school=side.school,
            enrolment=enrolment,
            subject=subject,
            period=Period.YEAR,
            average=Decimal(averages[grade]),
            status=ResultStatus.APPROVED,
        )
    return student


def _candidate(exam, name: str, number: str, scores: dict[str, str | None], *, student=None, school=None):
    c = Candidate.objects.create(
        exam=exam,
        number=number,
        student=student,
        school=school,
        school_name="" if school else "Thí sinh tự do",
        full_name=name,
        birth_date=student.birth_date if student else dt.date(2006, 1, 1),
        sex="F" if " Thị " in name else "M",
        class_name="12A1" if student else "",
        personal_id=student.personal_id if student else "",
    )
    subjects = {s.code: s for s in ExamSubject.objects.filter(exam=exam)}
    for code, value in scores.items():
        CandidateScore.objects.create(
            candidate=c,
            exam_subject=subjects[code],
            score=None if value is None else Decimal(value),
            absent=value is None,
            matched_at=timezone.now(),
        )
    return c


@pytest.fixture
def tw(world) -> ThptWorld:
    upper = make_school(world.phong1, "C3A", "Trường THPT An Phú", SchoolType.C3)
    create_school_year(upper.school, 2024)
    create_school_year(upper.school, 2025)
    exam = Exam.objects.create(
        unit=world.so, kind=ExamKind.GRADUATION, name="Thi tốt nghiệp THPT năm 2027", start_year=2026, grade=12
    )
    for order, (code, name) in enumerate(SUBJECTS):
        ExamSubject.objects.create(exam=exam, code=code, name=name, duration_minutes=90, order=order)
    issuer = Issuer.objects.create(
        unit=world.so,
        name="Giám đốc Sở Giáo dục và Đào tạo tỉnh Thử Nghiệm",
        signer_title="Giám đốc",
        signer_name="Nguyễn Văn Giám Đốc",
        kinds=[rules.THPT_DIPLOMA],
    )
    t = ThptWorld(world=world, upper=upper, exam=exam, issuer=issuer)
    t.students["pass"] = _learner_with_record(upper, "Đặng Văn Đỗ", 1, {10: "7.0", 11: "7.5", 12: "8.0"})
    t.students["fail"] = _learner_with_record(upper, "Bùi Thị Trượt", 2, {10: "6.0", 11: "6.0", 12: "6.0"})
    t.candidates["pass"] = _candidate(
        exam,
        "Đặng Văn Đỗ",
        "010001",
        {"toan": "8", "ngu-van": "7", "vat-li": "6", "lich-su": "7"},
        student=t.students["pass"],
        school=upper.school,
    )
    t.candidates["fail"] = _candidate(
        exam,
        "Bùi Thị Trượt",
        "010002",
        {"toan": "1", "ngu-van": "7", "vat-li": "6", "lich-su": "7"},
        student=t.students["fail"],
        school=upper.school,
    )
    t.candidates["free"] = _candidate(
        exam, "Lê Văn Tự Do", "010003", {"toan": "9", "ngu-van": "8", "vat-li": "8", "lich-su": "8"}
    )
    return t


def publish(exam) -> None:
    exam.results_publish_at = timezone.now() - dt.timedelta(minutes=5)
    exam.save(update_fields=["results_publish_at"])


def test_the_so_recognises_graduates_from_the_published_exam_without_a_proposal(tw):
    so = tw.so_staff
    with pytest.raises(ValidationError) as error:
        services.create_round(so, level=GraduationLevel.THPT, exam=tw.exam)
    assert "exam" in error.value.message_dict  # not published yet
    publish(tw.exam)
    with pytest.raises(PermissionDenied):
        services.create_round(actor(tw.upper.m(Role.PRINCIPAL)), level=GraduationLevel.THPT, exam=tw.exam)

    rnd = services.create_round(so, level=GraduationLevel.THPT, exam=tw.exam)
    assert (rnd.unit, rnd.start_year, rnd.number, rnd.exam, rnd.issuer) == (
        tw.world.so,
        2026,
        1,
        tw.exam,
        tw.issuer,
    )
    counts = services.review(so, rnd)
    assert (counts["entries"], counts["recognised"], counts["not_recognised"]) == (3, 1, 2)
    entries = {e.candidate_id: e for e in GraduationEntry.objects.filter(round=rnd)}
    passed = entries[tw.candidates["pass"].pk]
    # worked example: tests 8, 7, 6, 7 → mean 7.0; record (7.0 + 2×7.5 + 3×8.0)/6 = 7.67; 0.5×7.0 + 0.5×7.67 = 7.335
    assert (passed.recognised, passed.record_average, passed.graduation_score) == (
        True,
        Decimal("7.67"),
        Decimal("7.34"),
    )
    assert (passed.student, passed.school, passed.class_name) == (tw.students["pass"], tw.upper.school, "12A1")
    assert entries[tw.candidates["fail"].pk].reasons == ["fail_mark"]
    free = entries[tw.candidates["free"].pk]
    assert (free.recognised, free.reasons, free.school_name) == (False, ["no_record"], "Thí sinh tự do")

    # reviewing again changes nothing
    assert services.review(so, rnd)["updated"] == 0
    with pytest.raises(ValidationError, match="không qua bước trình"):
        services.propose(so, rnd)
    assert services.actions_for(so, rnd).decide
    rnd = services.decide(so, rnd, decision_number="120/QĐ-SGDĐT", decision_date=timezone.localdate())
    assert (rnd.status, rnd.decision_signer) == (RoundStatus.DECIDED, "Giám đốc Nguyễn Văn Giám Đốc")


def test_a_school_reads_only_its_own_candidates_entries_and_a_learner_their_own_once_decided(tw):
    publish(tw.exam)
    rnd = services.create_round(tw.so_staff, level=GraduationLevel.THPT, exam=tw.exam)
    services.review(tw.so_staff, rnd)
    upper_principal = actor(tw.upper.m(Role.PRINCIPAL))
    assert visible_to(upper_principal, GraduationEntry).filter(round=rnd).count() == 2
    assert visible_to(actor(tw.world.a.m(Role.PRINCIPAL)), GraduationEntry).filter(round=rnd).count() == 0
    assert not services.actions_for(upper_principal, rnd).review

    page = web_client(tw.upper.m(Role.PRINCIPAL)).get(reverse("exams:round-detail", kwargs={"pk": rnd.pk}))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Đặng Văn Đỗ" in body and "Lê Văn Tự Do" not in body and "Xét lại" not in body

    student = tw.students["pass"]
    student.user = tw.upper.m(Role.STUDENT).user
    student.save()
    learner = api_client(tw.upper.m(Role.STUDENT))
    assert learner.get("/api/exams/graduation-entries/").json()["results"] == []
    services.decide(tw.so_staff, rnd, decision_number="120/QĐ", decision_date=timezone.localdate())
    rows = learner.get("/api/exams/graduation-entries/").json()["results"]
    assert [(r["full_name"], r["recognised"], r["graduation_score"]) for r in rows] == [("Đặng Văn Đỗ", True, "7.34")]


def test_the_so_round_page_and_lists_show_the_graduation_score(tw):
    publish(tw.exam)
    rnd = services.create_round(tw.so_staff, level=GraduationLevel.THPT, exam=tw.exam)
    services.review(tw.so_staff, rnd)
    client = web_client(tw.world.members["so_staff"])
    body = client.get(reverse("exams:round-detail", kwargs={"pk": rnd.pk})).content.decode()
    for text in (
        "Điểm xét tốt nghiệp",
        "7,34",
        "Trường THPT An Phú",
        "Thí sinh tự do",
        "Công nhận tốt nghiệp</legend>",
    ):
        assert text in body, text
    assert "Trình công nhận</button>" not in body  # the Sở decides directly
    entry = GraduationEntry.objects.get(round=rnd, candidate=tw.candidates["fail"])
    body = client.get(entry.get_absolute_url()).content.decode()
    assert "Có bài thi/môn thi đạt từ 1,0 điểm trở xuống" in body and "Toán" in body
    response = client.get(reverse("exams:round-pdf", kwargs={"pk": rnd.pk}))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


def test_only_a_graduation_exam_opens_a_thpt_round(tw):
    gifted = Exam.objects.create(unit=tw.world.so, kind=ExamKind.GIFTED, name="HSG", start_year=2026)
    gifted.results_publish_at = timezone.now() - dt.timedelta(minutes=1)
    gifted.save()
    with pytest.raises(ValidationError) as error:
        services.create_round(tw.so_staff, level=GraduationLevel.THPT, exam=gifted)
    assert "exam" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.create_round(tw.so_staff, level=GraduationLevel.THPT)
    assert "exam" in error.value.message_dict


def test_an_appeal_after_the_review_asks_for_a_new_review_before_the_decision(tw):
    publish(tw.exam)
    rnd = services.create_round(tw.so_staff, level=GraduationLevel.THPT, exam=tw.exam)
    services.review(tw.so_staff, rnd)
    score = CandidateScore.objects.get(candidate=tw.candidates["fail"], exam_subject__code="toan")
    score.score = Decimal("5.5")  # the appeal council's new mark
    score.save()
    with pytest.raises(ValidationError, match="hãy bấm “Xét” lại"):
        services.decide(tw.so_staff, rnd, decision_number="120/QĐ", decision_date=timezone.localdate())
    assert services.review(tw.so_staff, rnd)["updated"] == 1
    assert GraduationEntry.objects.get(round=rnd, candidate=tw.candidates["fail"]).recognised
    services.decide(tw.so_staff, rnd, decision_number="120/QĐ", decision_date=timezone.localdate())


def test_the_so_opens_a_thpt_round_from_the_form(tw):
    publish(tw.exam)
    client = web_client(tw.world.members["so_staff"])
    page = client.get(reverse("exams:round-create")).content.decode()
    assert tw.exam.name in page  # the graduation exams the Sở sees
    response = client.post(reverse("exams:round-create"), {"level": GraduationLevel.THPT, "exam": tw.exam.pk})
    assert response.status_code == 302
    rnd = tw.exam.graduation_rounds.get()
    assert (rnd.unit, rnd.level, rnd.start_year) == (tw.world.so, GraduationLevel.THPT, 2026)
    response = client.post(reverse("exams:round-create"), {"level": GraduationLevel.THPT, "exam": tw.exam.pk})
    assert "Đợt 1 năm học 2026–2027 chưa có quyết định công nhận" in response.content.decode()
    assert tw.exam.graduation_rounds.count() == 1


# --- review's refusals and warnings -------------------------------------------------------------------------------


def _entries_written(rnd) -> int:
    return GraduationEntry.objects.filter(round=rnd).count()


def test_an_exam_held_before_2020_is_refused_with_a_message_not_a_crash(tw):
    old = Exam.objects.create(
        unit=tw.world.so, kind=ExamKind.GRADUATION, name="Thi THPT quốc gia 2019", start_year=2018, grade=12
    )
    publish(old)
    with pytest.raises(ValidationError) as error:
        services.create_round(tw.so_staff, level=GraduationLevel.THPT, exam=old)
    assert "từ năm 2020" in error.value.message_dict["exam"][0]
    # a round over such an exam (opened before the check existed): the review refuses, the page shows why
    rnd = GraduationRound.objects.create(
        unit=tw.world.so, level=GraduationLevel.THPT, start_year=2018, exam=old, issuer=tw.issuer
    )
    with pytest.raises(ValidationError) as error:
        services.review(tw.so_staff, rnd)
    assert "năm 2019" in error.value.message_dict["exam"][0]
    page = web_client(tw.world.members["so_staff"]).post(
        reverse("exams:round-review", kwargs={"pk": rnd.pk}), follow=True
    )
    assert page.status_code == 200 and "từ năm 2020" in page.content.decode()
    response = api_client(tw.world.members["so_staff"]).post(f"/api/exams/graduation-rounds/{rnd.pk}/review/")
    assert response.status_code == 400 and "từ năm 2020" in str(response.json())


def test_another_sos_exam_is_not_found(tw):
    from sms.accounts.models import Membership
    from sms.org.models import Unit
    from tests.world import make_user

    publish(tw.exam)
    so2 = Unit.objects.create(kind="so", code="SO2", name="Sở Giáo dục và Đào tạo tỉnh Bên Cạnh")
    stranger = Membership.objects.create(user=make_user("so2.staff"), unit=so2, role=Role.SO_STAFF)
    with pytest.raises(ValidationError) as error:  # as for an exam number that does not exist: nothing leaks
        services.create_round(actor(stranger), level=GraduationLevel.THPT, exam=tw.exam.pk)
    assert error.value.message_dict == {"exam": ["Không tìm thấy kỳ thi."]}
    response = api_client(stranger).post(
        "/api/exams/graduation-rounds/", {"level": GraduationLevel.THPT, "exam": tw.exam.pk}, format="json"
    )
    assert response.status_code == 400
    assert not tw.exam.graduation_rounds.exists()


def test_a_subject_the_formula_cannot_count_stops_the_review_before_anything_is_written(tw):
    publish(tw.exam)
    rnd = services.create_round(tw.so_staff, level=GraduationLevel.THPT, exam=tw.exam)
    ExamSubject.objects.create(exam=tw.exam, code="qp", name="Giáo dục quốc phòng", duration_minutes=45, order=9)
    ExamSubject.objects.create(exam=tw.exam, code="gdcd", name="Giáo dục công dân", duration_minutes=50, order=10)
    with pytest.raises(ValidationError) as error:
        services.review(tw.so_staff, rnd)
    (message,) = error.value.messages
    assert "Giáo dục quốc phòng (mã “qp”)" in message and "Giáo dục công dân (mã “gdcd”)" in message  # not in 2027
    assert _entries_written(rnd) == 0
    ExamSubject.objects.filter(exam=tw.exam, code__in=["qp", "gdcd"]).delete()
    assert services.review(tw.so_staff, rnd)["entries"] == 3


def test_a_candidate_with_more_than_two_electives_stops_the_review_and_is_named(tw):
    publish(tw.exam)
    rnd = services.create_round(tw.so_staff, level=GraduationLevel.THPT, exam=tw.exam)
    services.review(tw.so_staff, rnd)
    before = {e.pk: e.graduation_score for e in GraduationEntry.objects.filter(round=rnd)}
    # a third elective stored by another way than the intake (which refuses it): not silently cut to two
    hoa = ExamSubject.objects.create(exam=tw.exam, code="hoa-hoc", name="Hóa học", duration_minutes=50, order=5)
    CandidateScore.objects.create(candidate=tw.candidates["pass"], exam_subject=hoa, score=Decimal("2"))
    with pytest.raises(ValidationError) as error:
        services.review(tw.so_staff, rnd)
    (message,) = error.value.messages
    assert "quá 2 môn tự chọn" in message and "số báo danh 010001." in message
    assert "010002" not in message
    assert {e.pk: e.graduation_score for e in GraduationEntry.objects.filter(round=rnd)} == before


def test_without_a_priority_table_the_round_warns_that_priority_points_are_zero(tw):
    from exams.models import PointRule

    publish(tw.exam)
    rnd = services.create_round(tw.so_staff, level=GraduationLevel.THPT, exam=tw.exam)
    counts = services.review(tw.so_staff, rnd)
    assert counts["warnings"] == [services.MSG_NO_PRIORITY]
    assert "điểm ưu tiên của mọi thí sinh được tính bằng 0" in services.MSG_NO_PRIORITY
    client = web_client(tw.world.members["so_staff"])
    response = client.post(reverse("exams:round-review", kwargs={"pk": rnd.pk}), follow=True)
    body = response.content.decode()
    assert body.count("điểm ưu tiên của mọi thí sinh được tính bằng 0") == 2  # the message and the round's notes
    assert "Lưu ý trước khi công nhận" in body
    api = api_client(tw.world.members["so_staff"])
    assert api.post(f"/api/exams/graduation-rounds/{rnd.pk}/review/").json()["warnings"] == [services.MSG_NO_PRIORITY]
    assert api.get(f"/api/exams/graduation-rounds/{rnd.pk}/").json()["warnings"] == [services.MSG_NO_PRIORITY]

    PointRule.objects.create(exam=tw.exam, kind=PointRule.Kind.PRIORITY, code="kv1", label="Khu vực 1", points="0.25")
    assert services.review(tw.so_staff, rnd)["warnings"] == []
    body = client.get(reverse("exams:round-detail", kwargs={"pk": rnd.pk})).content.decode()
    assert "Lưu ý trước khi công nhận" not in body


def test_a_thpt_decision_is_not_dated_before_the_publication(tw):
    Exam.objects.filter(pk=tw.exam.pk).update(results_publish_at=timezone.now() - dt.timedelta(days=10))
    tw.exam.refresh_from_db()
    rnd = services.create_round(tw.so_staff, level=GraduationLevel.THPT, exam=tw.exam)
    services.review(tw.so_staff, rnd)
    published_on = timezone.localdate(tw.exam.results_publish_at)
    with pytest.raises(ValidationError) as error:
        services.decide(tw.so_staff, rnd, decision_number="120/QĐ", decision_date=published_on - dt.timedelta(days=1))
    assert error.value.message_dict == {
        "decision_date": [f"Ngày ký quyết định không được trước ngày công bố kết quả kỳ thi ({published_on:%d/%m/%Y})."]
    }
    rnd = services.decide(tw.so_staff, rnd, decision_number="120/QĐ", decision_date=published_on)
    assert rnd.status == RoundStatus.DECIDED
