"""The THPT graduation exam, the Sở's part: the kind's setup (owner, defaults, subjects), registration of the
current grade-12 learners, rooms and tickets as for other kinds, and ``thpt_entries`` — the graduation entries a
THPT round reads — on a world with real enrolments, approved year results and scores taken in.

A THPT school (under Phòng 1) has learners with grade-10, -11 and -12 enrolments (2024, 2025, 2026) and approved
year subject averages; the Sở's graduation exam of the school year 2026–2027 is held in 2027 (the 2025 formula).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from exams.models import Candidate, Exam, ExamKind, GraduationLevel, GraduationRound, PointRule
from exams.services import candidates as candidate_services
from exams.services import graduation_thpt as services
from exams.services import rooms as room_services
from exams.services import setup
from sms.accounts.actors import Actor
from sms.org.models import SchoolClass, Subject
from sms.org.rules import SchoolType
from sms.org.services import create_school_year
from students.models import Enrolment, Period, ResultStatus, Student, SubjectResult
from tests.world import make_school, web_client

pytestmark = pytest.mark.django_db

D = Decimal


def actor(membership) -> Actor:
    return Actor(membership.user, membership)


class Thpt:
    """A THPT school with classes 10A1 (2024), 11A1 (2025), 12A1 (2026, current) and a few scored subjects."""

    def __init__(self, world, code="C3A", name="Trường THPT An Bình"):
        self.side = make_school(world.phong1, code, name, SchoolType.C3)
        self.school = self.side.school
        years = {2024: create_school_year(self.school, 2024), 2025: create_school_year(self.school, 2025)}
        years[2026] = self.side.year
        self.classes = {
            grade: SchoolClass.objects.create(
                school=self.school, school_year=years[2014 + grade], grade=grade, name=f"{grade}A1"
            )
            for grade in (10, 11, 12)
        }
        self.subjects = [
            Subject.objects.create(school=self.school, code=f"mh{i}", name=f"Môn {i}", assessment="scored")
            for i in range(3)
        ]
        self.n = 0

    def learner(self, name: str, averages: dict[int, list[str]], *, grades=(10, 11, 12)) -> Student:
        """A learner enrolled in ``grades`` (the last one current), with approved year averages per grade."""
        self.n += 1
        student = Student.objects.create(
            school=self.school,
            learner_code=f"{self.school.pk % 1000:03d}{self.n:07d}",
            personal_id=f"{self.school.pk % 1000:03d}{self.n:09d}",
            full_name=name,
            birth_date=dt.date(2009, 1, 1) + dt.timedelta(days=self.n),
            sex="F" if "Thị" in name or "Thu" in name else "M",
            ethnicity="Kinh",
            birthplace="Ninh Bình",
        )
        for grade in grades:
            klass = self.classes[grade]
            enrolment = Enrolment.objects.create(
                school=self.school, student=student, school_year=klass.school_year, school_class=klass
            )
            for subject, value in zip(self.subjects, averages.get(grade, []), strict=False):
                SubjectResult.objects.create(
                    school=self.school,
                    enrolment=enrolment,
                    subject=subject,
                    period=Period.YEAR,
                    average=D(value),
                    status=ResultStatus.APPROVED,
                )
        return student


def graduation_exam(world, **extra) -> Exam:
    fields = dict(unit=world.so, kind=ExamKind.GRADUATION, name="Thi tốt nghiệp THPT năm 2027", start_year=2026)
    fields.update(extra)
    return setup.create_exam(actor(world.members["so_admin"]), **fields)


def subject_ids(exam) -> dict[str, int]:
    return dict(exam.subjects.values_list("code", "pk"))


def take_in(world, exam, by_student: dict, *, key="student") -> None:
    """Scores through the intake service: {student or candidate: {code: "7.25" or "V"}}."""
    ids = subject_ids(exam)
    results = {}
    for who, scores in by_student.items():
        candidate = Candidate.objects.get(exam=exam, **{key: who})
        results[candidate.pk] = {ids[code]: (None, True) if v == "V" else (v, False) for code, v in scores.items()}
    services.record_results(actor(world.members["so_admin"]), exam, results)


def publish(exam) -> None:
    # Publication itself (exams.services.publication) is part 1's; here the moment is simply past.
    Exam.objects.filter(pk=exam.pk).update(results_publish_at=timezone.now() - dt.timedelta(hours=1))


def thpt_round(world, exam) -> GraduationRound:
    return GraduationRound.objects.create(unit=world.so, level=GraduationLevel.THPT, start_year=2026, exam=exam)


# --- the kind: owner, defaults, subjects --------------------------------------------------------------------------


def test_the_so_creates_a_graduation_exam_with_the_2025_defaults(world):
    exam = graduation_exam(world)
    assert (exam.grade, exam.choices_allowed, exam.choice_margins, exam.tie_breaks, exam.room_capacity) == (
        12,
        1,
        [],
        [],
        24,
    )
    subjects = list(exam.subjects.order_by("order").values_list("code", "name", "duration_minutes"))
    assert subjects[:2] == [("toan", "Toán", 90), ("ngu-van", "Ngữ văn", 120)]
    names = {name for _code, name, _minutes in subjects}
    assert {
        "Tiếng Anh",
        "Vật lí",
        "Hóa học",
        "Sinh học",
        "Lịch sử",
        "Địa lí",
        "Giáo dục kinh tế và pháp luật",
        "Tin học",
        "Công nghệ (định hướng Công nghiệp)",
        "Công nghệ (định hướng Nông nghiệp)",
    } <= names
    # every elective is 50 minutes, and the graduation module knows every default subject
    assert {m for code, _n, m in subjects if code not in ("toan", "ngu-van")} == {50}
    assert all(services.subject_key(code, name) for code, name, _m in subjects)
    assert not exam.point_rules.exists()  # the Sở enters its own priority lines


@pytest.mark.parametrize("owner", ["phong1", "school"])
def test_only_a_so_runs_the_graduation_exam(world, owner):
    unit = world.phong1 if owner == "phong1" else world.a.school
    with pytest.raises(ValidationError) as caught:
        graduation_exam(world, unit=unit)
    assert "Sở" in caught.value.message_dict["unit"][0]
    assert not Exam.objects.filter(kind=ExamKind.GRADUATION).exists()


def test_a_graduation_room_holds_at_most_24(world):
    exam = graduation_exam(world)
    with pytest.raises(ValidationError) as caught:
        setup.update_exam(actor(world.members["so_admin"]), exam, room_capacity=30)
    assert "tốt nghiệp THPT có tối đa 24" in caught.value.message_dict["room_capacity"][0]


# --- candidates from the current grade-12 learners, rooms and tickets ---------------------------------------------


def test_registration_takes_the_current_grade_12_learners(world):
    thpt = Thpt(world)
    seniors = [thpt.learner(n, {}) for n in ("Ngô Quang An", "Trần Thị Bình", "Lê Minh Châu")]
    junior = thpt.learner("Phạm Văn Dũng", {}, grades=(10,))  # in 10A1 of 2024: not a current learner
    sophomore = thpt.learner("Vũ Thị Én", {}, grades=(11,))
    exam = graduation_exam(world)
    so = actor(world.members["so_admin"])
    assert candidate_services.register_students(so, exam, school_ids=[thpt.school.pk, world.a.school.pk]) == {
        "registered": 3,
        "skipped": 0,
    }
    registered = Candidate.objects.filter(exam=exam)
    assert set(registered.values_list("student_id", flat=True)) == {s.pk for s in seniors}
    assert set(registered.values_list("class_name", flat=True)) == {"12A1"}
    assert not registered.filter(student__in=[junior, sophomore]).exists()
    # idempotent, and numbers, sites, rooms and tickets work as for any exam
    assert candidate_services.register_students(so, exam, school_ids=[thpt.school.pk])["skipped"] == 3
    assert candidate_services.assign_numbers(so, exam)["numbered"] == 3
    room_services.save_site(so, exam, {"code": "D1", "name": "Điểm thi THPT An Bình", "host": thpt.school.pk})
    room_services.place_candidates(so, exam)
    assert not Candidate.objects.filter(exam=exam, room__isnull=True).exists()
    response = web_client(world.members["so_admin"]).get(reverse("exams:exam-tickets", kwargs={"pk": exam.pk}))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"


# --- thpt_entries ------------------------------------------------------------------------------------------------


@pytest.fixture
def graduation(world):
    """The exam with five registered learners, a free candidate, a withdrawn one, and their scores."""
    thpt = Thpt(world)
    people = {
        # grade averages: 10 = mean(6.5, 7.5) = 7.0, 11 = 7.5, 12 = mean(8.0, 8.0) = 8.0
        "an": thpt.learner("Ngô Quang An", {10: ["6.5", "7.5"], 11: ["7.5"], 12: ["8.0", "8.0"]}),
        "binh": thpt.learner("Trần Thị Bình", {10: ["8.0"], 11: ["8.0"], 12: ["8.0"]}),
        "chau": thpt.learner("Lê Minh Châu", {10: ["6.0"], 11: ["6.0"], 12: ["6.0"]}),
        # joined in grade 11: no grade-10 year average anywhere
        "dung": thpt.learner("Phạm Thu Dung", {11: ["8.0"], 12: ["8.0"]}, grades=(11, 12)),
        "em": thpt.learner("Vũ Văn Em", {10: ["5.0"], 11: ["5.0"], 12: ["5.0"]}),
        "gia": thpt.learner("Đỗ Văn Gia", {10: ["9.0"], 11: ["9.0"], 12: ["9.0"]}),
    }
    exam = graduation_exam(world)
    so = actor(world.members["so_admin"])
    candidate_services.register_students(so, exam, school_ids=[thpt.school.pk])
    free = candidate_services.save_candidate(
        so,
        exam,
        {
            "full_name": "Hoàng Văn Tự",
            "birth_date": dt.date(2005, 4, 2),
            "sex": "M",
            "school_name": "Thí sinh tự do",
        },
    )
    candidate_services.assign_numbers(so, exam)
    candidate_services.withdraw(so, Candidate.objects.get(exam=exam, student=people["gia"]), reason="Chuyển trường")
    priority = setup.add_point_rule(
        so, exam, kind=PointRule.Kind.PRIORITY, code="kv1", label="Khu vực 1", points="0.25"
    )
    Candidate.objects.filter(exam=exam, student=people["an"]).update(priority=priority)
    take_in(
        world,
        exam,
        {
            people["an"]: {"toan": "6", "ngu-van": "7", "tieng-anh": "8", "vat-li": "5"},
            people["binh"]: {"toan": "1", "ngu-van": "9", "hoa-hoc": "9", "sinh-hoc": "9"},
            people["chau"]: {"toan": "5", "ngu-van": "5", "lich-su": "V", "dia-li": "6"},
            people["dung"]: {"toan": "8", "ngu-van": "8", "tin-hoc": "8", "dia-li": "8"},
            people["em"]: {"toan": "3", "ngu-van": "4", "tieng-anh": "4", "dia-li": "5"},
        },
    )
    take_in(world, exam, {free.pk: {"toan": "9", "ngu-van": "9", "lich-su": "9", "dia-li": "9"}}, key="pk")
    publish(exam)
    return {"exam": exam, "people": people, "free": free, "thpt": thpt}


EXPECTED = {
    # name: (record, score, recognised, reasons, tests)
    # 0.5 × (6+7+8+5)/4 + 0.5 × (7.0 + 2×7.5 + 3×8.0)/6 + 0.25 = 3.25 + 0.5 × 7.67 + 0.25 = 7.335 → 7.34
    "Ngô Quang An": ("7.67", "7.34", True, [],
                      [("toan", "6.00"), ("ngu-van", "7.00"), ("tieng-anh", "8.00"), ("vat-li", "5.00")]),
    # a test of 1.0: 0.5 × 7.0 + 0.5 × 8.0 = 7.50, not recognised
    "Trần Thị Bình": ("8.00", "7.50", False, ["fail_mark"],
                      [("toan", "1.00"), ("ngu-van", "9.00"), ("hoa-hoc", "9.00"), ("sinh-hoc", "9.00")]),
    # absent from Lịch sử: a missing test, no score
    "Lê Minh Châu": ("6.00", None, False, ["absent"],
                     [("toan", "5.00"), ("ngu-van", "5.00"), ("lich-su", None), ("dia-li", "6.00")]),
    # no grade-10 average: no record
    "Phạm Thu Dung": (None, None, False, ["no_record"],
                      [("toan", "8.00"), ("ngu-van", "8.00"), ("dia-li", "8.00"), ("tin-hoc", "8.00")]),
    # 0.5 × (3+4+4+5)/4 + 0.5 × 5.0 = 2.0 + 2.5 = 4.50 < 5
    "Vũ Văn Em": ("5.00", "4.50", False, ["below"],
                  [("toan", "3.00"), ("ngu-van", "4.00"), ("tieng-anh", "4.00"), ("dia-li", "5.00")]),
    # a free candidate: no learner record in the system
    "Hoàng Văn Tự": (None, None, False, ["no_record"],
                     [("toan", "9.00"), ("ngu-van", "9.00"), ("lich-su", "9.00"), ("dia-li", "9.00")]),
}  # fmt: skip


def test_thpt_entries_score_every_candidate(world, graduation):
    entries = services.thpt_entries(thpt_round(world, graduation["exam"]))
    by_name = {e["full_name"]: e for e in entries}
    assert set(by_name) == set(EXPECTED)  # the withdrawn candidate is left out
    for name, (record, score, recognised, reasons, tests) in EXPECTED.items():
        e = by_name[name]
        got = (e["record_average"], e["graduation_score"], e["recognised"], e["reasons"], e["may_retry"])
        want = (None if record is None else D(record), None if score is None else D(score), recognised, reasons, False)
        assert got == want, name
        assert [(t["subject"], t["score"]) for t in e["tests"]] == tests, name
    an = by_name["Ngô Quang An"]
    student = graduation["people"]["an"]
    assert an["student"] == student and an["school"] == graduation["thpt"].school
    assert an["candidate"] == Candidate.objects.get(exam=graduation["exam"], student=student)
    assert (an["class_name"], an["birth_date"], an["sex"], an["personal_id"], an["birthplace"], an["ethnicity"]) == (
        "12A1",
        student.birth_date,
        "M",
        student.personal_id,
        "Ninh Bình",
        "Kinh",
    )
    free = by_name["Hoàng Văn Tự"]
    assert (free["student"], free["school"], free["school_name"]) == (None, None, "Thí sinh tự do")
    # every key is a field of GraduationEntry, so the review can store the dicts as they are
    from exams.models import GraduationEntry

    fields = {f.name for f in GraduationEntry._meta.get_fields()}
    assert set(an) <= fields


def test_the_2024_formula_uses_the_combined_test_and_bonus(world):
    """An exam of the school year 2023–2024 (held in 2024): Toán, Ngữ văn, Ngoại ngữ and KHTN, grade-12 average."""
    thpt = Thpt(world)
    learner = thpt.learner("Ngô Quang An", {12: ["8.0"]}, grades=(12,))
    exam = graduation_exam(world, start_year=2023, name="Thi tốt nghiệp THPT năm 2024", subjects=[])
    so = actor(world.members["so_admin"])
    for i, (code, name) in enumerate(
        [("toan", "Toán"), ("ngu-van", "Ngữ văn"), ("tieng-anh", "Tiếng Anh"), ("vat-li", "Vật lí"),
         ("hoa-hoc", "Hóa học"), ("sinh-hoc", "Sinh học")],
        start=1,
    ):  # fmt: skip
        setup.add_subject(so, exam, code=code, name=name, duration_minutes=50, order=i)
    candidate_services.register_students(so, exam, student_ids=[learner.pk])
    candidate_services.assign_numbers(so, exam)
    bonus = setup.add_point_rule(so, exam, kind=PointRule.Kind.BONUS, code="nghe", label="Nghề loại giỏi", points="2")
    Candidate.objects.filter(exam=exam).update(bonus=bonus)
    take_in(
        world,
        exam,
        {learner: {"toan": "6", "ngu-van": "7", "tieng-anh": "5", "vat-li": "7", "hoa-hoc": "8", "sinh-hoc": "9"}},
    )
    publish(exam)
    (entry,) = services.thpt_entries(thpt_round(world, exam))
    # KHTN = (7+8+9)/3 = 8; [(6+7+5+8 + 2)/4 × 7 + 8.0 × 3]/10 = (7 × 7 + 24)/10 = 7.30
    assert (entry["record_average"], entry["graduation_score"], entry["recognised"]) == (D("8.00"), D("7.30"), True)


def test_a_round_of_another_exam_kind_is_refused(world):
    exam = Exam.objects.create(unit=world.so, kind=ExamKind.GIFTED, name="HSG tỉnh", start_year=2026)
    with pytest.raises(ValueError):
        services.thpt_entries(thpt_round(world, exam))


def test_thpt_entries_queries_do_not_grow_with_the_candidates(world):
    thpt = Thpt(world)
    exam = graduation_exam(world)
    so = actor(world.members["so_admin"])

    def add(count: int) -> None:
        people = [thpt.learner(f"Học Sinh {thpt.n + 1:03d}", {g: ["7.0", "8.0"] for g in (10, 11, 12)})
                  for _ in range(count)]  # fmt: skip
        candidate_services.register_students(so, exam, student_ids=[p.pk for p in people])
        candidate_services.assign_numbers(so, exam)
        take_in(world, exam, {p: {"toan": "7", "ngu-van": "7", "vat-li": "7", "lich-su": "7"} for p in people})

    the_round = thpt_round(world, exam)
    counts = []
    for count in (3, 9):
        add(count)
        the_round = GraduationRound.objects.get(pk=the_round.pk)
        with CaptureQueriesContext(connection) as queries:
            entries = services.thpt_entries(the_round)
        counts.append((len(entries), len(queries)))
    assert [n for n, _q in counts] == [3, 12]
    assert counts[0][1] == counts[1][1] <= 6, counts
    assert all(e["graduation_score"] == D("7.25") for e in entries)  # 0.5 × 7 + 0.5 × 7.5 = 7.25
