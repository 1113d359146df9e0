"""Candidates of an exam (issue 7, acceptance 2 and 6): registration from the students module
(grade, idempotence, who may register whom, until numbers are given), candidates by hand,
choices, withdrawal, candidate numbers, the xlsx import (dry run, errors named, twice = no
change, all or nothing), the pages and the API.

The Sở runs a grade-10 admission (grade 9 learners); schools A (Phòng 1) and B (Phòng 2) each
have a grade-9 class of three learners besides the world's grade-6 class.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from exams.models import (
    BoardMember,
    BoardRole,
    Candidate,
    CandidateSource,
    Choice,
    Exam,
    ExamKind,
    ExamSubject,
    PointRule,
    Quota,
)
from exams.resources import CandidateImporter
from exams.services import candidates as services
from sms.accounts.actors import Actor
from sms.accounts.roles import Role
from sms.org.models import SchoolClass
from students.models import Enrolment, Guardian, Period, ResultStatus, Student, SubjectResult, TermResult
from students.rules import RuleSet
from tests.world import World, api_client, web_client

NAMES_A = ["Trần Văn Bình", "Nguyễn Thị An", "Lê Minh An"]
NAMES_B = ["Phạm Thu Hà", "Đỗ Văn Đức", "Vũ Thị Yến"]


def actor(membership) -> Actor:
    return Actor(membership.user, membership)


@dataclass
class ExamWorld:
    world: World
    exam: Exam
    classes: dict = field(default_factory=dict)
    learners: dict = field(default_factory=dict)

    def actor(self, key: str) -> Actor:
        w = self.world
        table = {
            "so_admin": w.members["so_admin"],
            "so_staff": w.members["so_staff"],
            "phong1_admin": w.members["phong1_admin"],
            "a_principal": w.a.m(Role.PRINCIPAL),
            "b_principal": w.b.m(Role.PRINCIPAL),
            "a_teacher": w.a.m(Role.TEACHER),
            "a_teacher2": w.a.members["teacher2"],
        }
        return actor(table[key])


def grade9(side, names: list[str], *, n0: int) -> tuple[SchoolClass, list[Student]]:
    klass = SchoolClass.objects.create(school=side.school, school_year=side.year, grade=9, name="9A1")
    students = []
    for i, name in enumerate(names):
        s = Student.objects.create(
            school=side.school,
            learner_code=f"{n0 + i:010d}",
            personal_id=f"{n0 + i:012d}",
            full_name=name,
            birth_date=dt.date(2011, 3, 1 + i),
            sex="F" if "Thị" in name or "Thu" in name else "M",
            ethnicity="Kinh",
            birthplace="Ninh Bình",
        )
        Enrolment.objects.create(school=side.school, student=s, school_year=side.year, school_class=klass)
        students.append(s)
    return klass, students


@pytest.fixture
def ew(world) -> ExamWorld:
    exam = Exam.objects.create(
        unit=world.so, kind=ExamKind.ADMISSION_10, name="Tuyển sinh lớp 10 năm 2026", start_year=2026, grade=9
    )
    ExamSubject.objects.create(exam=exam, code="toan", name="Toán", duration_minutes=120)
    e = ExamWorld(world=world, exam=exam)
    e.classes["a"], e.learners["a"] = grade9(world.a, NAMES_A, n0=100)
    e.classes["b"], e.learners["b"] = grade9(world.b, NAMES_B, n0=200)
    return e


def approve_year(student: Student, *, average: list[str], conduct: str = "tot", learning: str = "kha") -> None:
    enrolment = Enrolment.objects.get(student=student)
    TermResult.objects.create(
        school=enrolment.school,
        enrolment=enrolment,
        period=Period.YEAR,
        rule_set=RuleSet.TT22,
        learning=learning,
        conduct=conduct,
        status=ResultStatus.APPROVED,
    )
    from sms.org.models import Subject

    for i, value in enumerate(average):
        subject = Subject.objects.create(
            school=enrolment.school, code=f"m{student.pk}-{i}", name=f"Môn {i}", assessment="scored"
        )
        SubjectResult.objects.create(
            school=enrolment.school,
            enrolment=enrolment,
            subject=subject,
            period=Period.YEAR,
            average=Decimal(value),
            status=ResultStatus.APPROVED,
        )


# --- registration from the students module ---------------------------------------------------------------


def test_organiser_registers_current_learners_copying_identity_and_tie_breaks(ew):
    first = ew.learners["a"][0]
    approve_year(first, average=["8.0", "9.0", "8.5"], conduct="tot")
    result = services.register_students(ew.actor("so_admin"), ew.exam, school_ids=[ew.world.a.school.pk])
    assert result == {"registered": 3, "skipped": 0}
    c = Candidate.objects.get(exam=ew.exam, student=first)
    assert (c.full_name, c.birth_date, c.sex, c.personal_id, c.class_name, c.school_id, c.source) == (
        first.full_name,
        first.birth_date,
        first.sex,
        first.personal_id,
        "9A1",
        ew.world.a.school.pk,
        CandidateSource.STUDENTS,
    )
    assert c.tie_break_values == {"grade9_average": "8.50", "grade9_conduct": "tot", "grade9_learning": "kha"}
    # no approved year result: no tie-break values at all
    assert Candidate.objects.get(exam=ew.exam, student=ew.learners["a"][1]).tie_break_values == {}
    history = Candidate.history.filter(exam_id=ew.exam.pk)
    assert history.count() == 3 and {h.history_user_id for h in history} == {ew.actor("so_admin").user.pk}


def test_registration_is_idempotent(ew):
    so = ew.actor("so_admin")
    services.register_students(so, ew.exam, school_ids=[ew.world.a.school.pk])
    again = services.register_students(so, ew.exam, school_ids=[ew.world.a.school.pk, ew.world.b.school.pk])
    assert again == {"registered": 3, "skipped": 3}
    assert Candidate.objects.filter(exam=ew.exam).count() == 6


def test_only_learners_of_the_exams_grade(ew):
    so = ew.actor("so_admin")
    grade6 = Student.objects.create(
        school=ew.world.a.school, learner_code="9990000001", full_name="Học Sinh Lớp Sáu",
        birth_date=dt.date(2014, 1, 1), sex="M",
    )  # fmt: skip
    Enrolment.objects.create(
        school=ew.world.a.school, student=grade6, school_year=ew.world.a.year, school_class=ew.world.a.klass
    )
    # the grade-6 class of school A: named explicitly, it is refused with the grade in the message
    with pytest.raises(ValidationError, match="khối 9"):
        services.register_students(so, ew.exam, class_ids=[ew.world.a.klass.pk])
    # a whole school: only its grade-9 learners
    assert services.register_students(so, ew.exam, school_ids=[ew.world.a.school.pk])["registered"] == 3
    assert not Candidate.objects.filter(student=grade6).exists()


def test_a_phong_registers_its_own_schools_only(ew):
    w = ew.world
    phong_exam = Exam.objects.create(unit=w.phong1, kind=ExamKind.GIFTED, name="HSG huyện", start_year=2026, grade=9)
    p1 = ew.actor("phong1_admin")
    with pytest.raises(ValidationError, match="ngoài phạm vi"):
        services.register_students(p1, phong_exam, school_ids=[w.b.school.pk])
    with pytest.raises(ValidationError):
        services.register_students(p1, phong_exam, class_ids=[ew.classes["b"].pk])
    assert services.register_students(p1, phong_exam, school_ids=[w.a.school.pk])["registered"] == 3
    # and a Phòng does not organise the Sở's exam
    with pytest.raises(PermissionDenied):
        services.register_students(p1, ew.exam, school_ids=[w.a.school.pk])
    assert not Candidate.objects.filter(exam=ew.exam).exists()


def test_a_principal_registers_own_learners_until_numbers_are_given(ew):
    w = ew.world
    principal = ew.actor("a_principal")
    with pytest.raises(ValidationError):
        services.register_students(principal, ew.exam, school_ids=[w.a.school.pk, w.b.school.pk])
    with pytest.raises(ValidationError):
        services.register_students(principal, ew.exam, class_ids=[ew.classes["b"].pk])
    assert services.register_students(principal, ew.exam, school_ids=[w.a.school.pk])["registered"] == 3
    assert set(Candidate.objects.filter(exam=ew.exam).values_list("school_id", flat=True)) == {w.a.school.pk}
    # a teacher is no registrar
    with pytest.raises(PermissionDenied):
        services.register_students(ew.actor("a_teacher"), ew.exam, school_ids=[w.a.school.pk])
    services.assign_numbers(ew.actor("so_admin"), ew.exam)
    with pytest.raises(ValidationError, match="đánh số báo danh"):
        services.register_students(ew.actor("b_principal"), ew.exam, school_ids=[w.b.school.pk])
    # organisers still register late candidates, numbered after the others
    assert services.register_students(ew.actor("so_admin"), ew.exam, school_ids=[w.b.school.pk])["registered"] == 3


# --- by hand, choices, withdrawal -------------------------------------------------------------------------------


def test_free_candidate_by_hand_with_claims_and_choices(ew):
    w = ew.world
    so = ew.actor("so_admin")
    ut1 = PointRule.objects.create(exam=ew.exam, kind="priority", code="ut1", label="Nhóm 1", points=Decimal("2"))
    Quota.objects.create(exam=ew.exam, school=w.a.school, places=40)
    c = services.save_candidate(
        so,
        ew.exam,
        {
            "full_name": "  Hoàng   Văn Tự  Do ",
            "birth_date": "05/06/2011",
            "sex": "M",
            "school_name": "Trường THCS Ngoài Tỉnh",
            "priority": "ut1",
            "choices": [w.a.school.pk],
        },
    )
    assert (c.full_name, c.school_id, c.school_name, c.priority_id, c.source) == (
        "Hoàng Văn Tự Do",
        None,
        "Trường THCS Ngoài Tỉnh",
        ut1.pk,
        CandidateSource.MANUAL,
    )
    assert list(c.choices.values_list("rank", "school_id")) == [(1, w.a.school.pk)]
    with pytest.raises(ValidationError) as caught:
        services.save_candidate(
            so, ew.exam, {"full_name": "", "birth_date": "31/02/2011", "sex": "X", "priority": "kk9", "school": w.so.pk}
        )
    assert set(caught.value.message_dict) == {"full_name", "birth_date", "sex", "priority", "school"}


def test_personal_id_once_per_exam(ew):
    so = ew.actor("so_admin")
    data = {"full_name": "Mai Anh", "birth_date": dt.date(2011, 1, 1), "sex": "F", "personal_id": "037211000001"}
    services.save_candidate(so, ew.exam, data)
    with pytest.raises(ValidationError, match="đã có trong kỳ thi"):
        services.save_candidate(so, ew.exam, {**data, "full_name": "Mai Anh Khác"})


def test_a_principal_adds_own_school_only(ew):
    data = {"full_name": "Lý Văn Tám", "birth_date": dt.date(2011, 1, 1), "sex": "M"}
    with pytest.raises(ValidationError, match="trường mình"):
        services.save_candidate(ew.actor("a_principal"), ew.exam, {**data, "school": ew.world.b.school.pk})
    c = services.save_candidate(ew.actor("a_principal"), ew.exam, {**data, "school": ew.world.a.school.pk})
    assert c.school_id == ew.world.a.school.pk


@pytest.mark.parametrize(
    "picks, message",
    [
        (["a", "b", "a"], "một nguyện vọng"),
        (["a", "b", "phong", "so"], "tối đa 3"),
        (["a", "phong"], "Phòng GD&ĐT Một: chưa có chỉ tiêu"),
    ],
)
def test_choices_are_checked(ew, picks, message):
    w = ew.world
    units = {"a": w.a.school, "b": w.b.school, "so": w.so, "phong": w.phong1}
    for key in ("a", "b"):
        Quota.objects.create(exam=ew.exam, school=units[key], places=10)
    candidate = services.save_candidate(
        ew.actor("so_admin"), ew.exam, {"full_name": "Cao Văn Nam", "birth_date": dt.date(2011, 1, 1), "sex": "M"}
    )
    with pytest.raises(ValidationError, match=message):
        services.set_choices(ew.actor("so_admin"), candidate, [units[k].pk for k in picks])
    assert not Choice.objects.filter(candidate=candidate).exists()


def test_withdraw_deletes_before_numbering_and_keeps_after(ew):
    so = ew.actor("so_admin")
    services.register_students(so, ew.exam, school_ids=[ew.world.a.school.pk])
    first, second = Candidate.objects.filter(exam=ew.exam)[:2]
    assert services.withdraw(so, first) == "deleted"
    assert not Candidate.objects.filter(pk=first.pk).exists()
    services.assign_numbers(so, ew.exam)
    second.refresh_from_db()
    assert services.withdraw(so, second, reason="Chuyển tỉnh") == "withdrawn"
    second.refresh_from_db()
    assert second.withdrawn and second.number


# --- numbers -----------------------------------------------------------------------------------------------


def test_numbers_follow_vietnamese_name_order_and_continue(ew):
    so = ew.actor("so_admin")
    ew.exam.number_prefix = "TS"
    ew.exam.save()
    services.register_students(so, ew.exam, school_ids=[ew.world.a.school.pk])
    assert services.assign_numbers(so, ew.exam) == {"numbered": 3, "kept": 0}
    numbered = dict(Candidate.objects.filter(exam=ew.exam).values_list("full_name", "number"))
    # given name first: the two "An" before "Bình", and between them the family names (Lê before Nguyễn)
    assert numbered == {"Lê Minh An": "TS000001", "Nguyễn Thị An": "TS000002", "Trần Văn Bình": "TS000003"}
    services.register_students(so, ew.exam, school_ids=[ew.world.b.school.pk])
    assert services.assign_numbers(so, ew.exam) == {"numbered": 3, "kept": 3}
    numbers = list(Candidate.objects.filter(exam=ew.exam).order_by("number").values_list("number", flat=True))
    assert numbers == [f"TS{n:06d}" for n in range(1, 7)]
    assert dict(Candidate.objects.filter(exam=ew.exam).values_list("full_name", "number"))["Lê Minh An"] == "TS000001"
    assert services.assign_numbers(so, ew.exam) == {"numbered": 0, "kept": 6}


def test_numbers_by_the_secretariat_not_by_a_plain_teacher(ew):
    services.register_students(ew.actor("so_admin"), ew.exam, school_ids=[ew.world.a.school.pk])
    with pytest.raises(PermissionDenied):
        services.assign_numbers(ew.actor("a_teacher"), ew.exam)
    BoardMember.objects.create(
        exam=ew.exam, user=ew.world.a.m(Role.TEACHER).user, role=BoardRole.SECRETARIAT, home_unit=ew.world.a.school
    )
    assert services.assign_numbers(ew.actor("a_teacher"), ew.exam)["numbered"] == 3
    assert Candidate.objects.filter(exam=ew.exam, number="").count() == 0


# --- the xlsx import ---------------------------------------------------------------------------------------------


def workbook(rows: list[list], headers: list[str] | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(
        headers
        or ["Họ và tên", "Ngày sinh", "Giới tính", "Số định danh", "Dân tộc", "Nơi sinh", "Trường", "Lớp",
            "Đối tượng ưu tiên", "Khuyến khích", "NV1", "NV2", "NV3"]
    )  # fmt: skip
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def sheet_rows(ew):
    w = ew.world
    PointRule.objects.create(exam=ew.exam, kind="priority", code="ut3", label="Nhóm 3", points=Decimal("1"))
    Quota.objects.create(exam=ew.exam, school=w.a.school, places=40)
    Quota.objects.create(exam=ew.exam, school=w.b.school, places=40)
    return [
        [
            "Nguyễn Văn Một",
            "01/02/2011",
            "Nam",
            "037211000101",
            "Kinh",
            "Hà Nam",
            "C2A",
            "9A1",
            "ut3",
            "",
            "C2A",
            "C2B",
        ],
        ["Trần Thị Hai", "02/02/2011", "Nữ", "", "Tày", "", "Trường THCS Tự Do", "", "", "", "C2B"],
        ["Lê Văn Ba", dt.datetime(2011, 2, 3), "nam", "", "", "", "C2B", "9A1", "", "", ""],
    ]


def test_import_dry_run_writes_nothing_and_confirm_is_idempotent(ew, sheet_rows):
    so = ew.actor("so_admin")
    data = workbook(sheet_rows)
    preview = CandidateImporter(so, exam=ew.exam).preview(data)
    assert preview.ok and preview.counts["Thêm mới"] == 3
    assert not Candidate.objects.exists()
    importer = CandidateImporter(so, exam=ew.exam)
    importer.apply(importer.preview(data))
    one = Candidate.objects.get(personal_id="037211000101")
    assert (one.school_id, one.priority.code, one.source) == (ew.world.a.school.pk, "ut3", CandidateSource.IMPORT)
    assert list(one.choices.values_list("school_id", flat=True)) == [ew.world.a.school.pk, ew.world.b.school.pk]
    free = Candidate.objects.get(full_name="Trần Thị Hai")
    assert (free.school_id, free.school_name, free.ethnicity) == (None, "Trường THCS Tự Do", "Tày")
    history = Candidate.history.count()
    again = CandidateImporter(so, exam=ew.exam).preview(data)
    assert again.counts["Không đổi"] == 3
    importer = CandidateImporter(so, exam=ew.exam)
    importer.apply(importer.preview(data))
    assert Candidate.objects.count() == 3 and Candidate.history.count() == history
    # a corrected name on the row with a personal id updates that candidate
    sheet_rows[0][0] = "Nguyễn Văn Mốt"
    changed = CandidateImporter(so, exam=ew.exam).preview(workbook(sheet_rows))
    assert changed.counts["Cập nhật"] == 1 and changed.counts["Không đổi"] == 2


@pytest.mark.parametrize(
    "column, value, message",
    [
        (1, "2011-31-12", "Dòng 2, cột “Ngày sinh”"),
        (2, "Khác", "Dòng 2, cột “Giới tính”"),
        (3, "12345", "Dòng 2, cột “Số định danh”: số định danh cá nhân phải gồm đúng 12 chữ số"),
        (8, "ut9", "Dòng 2, cột “Đối tượng ưu tiên”: mã “ut9”"),
        (10, "C2B", "Dòng 2, cột “NV2”: Trường THCS Bắc Sơn đã được chọn"),  # NV1 = NV2
        (0, "", "Dòng 2, cột “Họ và tên”"),
    ],
)
def test_import_names_bad_rows(ew, sheet_rows, column, value, message):
    sheet_rows[0][column] = value
    if column == 10:
        sheet_rows[0][11] = "C2B"
    preview = CandidateImporter(ew.actor("so_admin"), exam=ew.exam).preview(workbook(sheet_rows))
    assert not preview.ok
    assert any(message in e for r in preview.bad_rows for e in r.errors), [r.errors for r in preview.bad_rows]


def test_import_a_school_without_quota_or_out_of_reach(ew, sheet_rows):
    w = ew.world
    phong_exam = Exam.objects.create(unit=w.phong1, kind=ExamKind.INTAKE_6, name="Tuyển sinh lớp 6", start_year=2026)
    Quota.objects.create(exam=phong_exam, school=w.a.school, places=40)
    rows = [["Hà Văn Năm", "01/01/2014", "Nam", "", "", "", "C2B", "", "", "", "C2A", ""]]
    preview = CandidateImporter(ew.actor("so_admin"), exam=phong_exam).preview(workbook(rows))
    errors = [e for r in preview.bad_rows for e in r.errors]
    assert any("cột “Trường”: trường mã “C2B” không thuộc phạm vi" in e for e in errors), errors


def test_import_confirm_page_all_or_nothing(ew, sheet_rows):
    client = web_client(ew.world.members["so_admin"])
    url = reverse("exams:exam-candidate-import", kwargs={"pk": ew.exam.pk})
    assert client.get(url).status_code == 200
    template = client.get(reverse("exams:exam-candidate-template", kwargs={"pk": ew.exam.pk}))
    headers = [c.value for c in next(openpyxl.load_workbook(io.BytesIO(template.content)).active.iter_rows())]
    assert headers[-3:] == ["NV1", "NV2", "NV3"]
    bad = [*sheet_rows, ["Sai Ngày", "99/99/2011", "Nam"]]
    response = client.post(url, {"file": _upload(workbook(bad))})
    assert response.status_code == 200 and "Dòng 5, cột “Ngày sinh”" in response.content.decode()
    upload = response.context["upload"]
    response = client.post(url, {"confirm": "1", "upload": upload.pk})
    assert response.status_code == 400 and "Chưa lưu gì" in response.content.decode()
    assert not Candidate.objects.exists()
    response = client.post(url, {"file": _upload(workbook(sheet_rows))})
    response = client.post(url, {"confirm": "1", "upload": response.context["upload"].pk})
    assert response.status_code == 200 and Candidate.objects.filter(exam=ew.exam).count() == 3


def _upload(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(
        "thi-sinh.xlsx", data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def test_import_api_dry_run_and_rollback(ew, sheet_rows):
    client = api_client(ew.world.members["so_admin"])
    url = reverse("api:exams-import-candidates", kwargs={"pk": ew.exam.pk})
    response = client.post(url, {"file": _upload(workbook(sheet_rows))}, format="multipart")
    assert response.status_code == 200 and response.json()["counts"]["new"] == 3 and not Candidate.objects.exists()
    bad = [*sheet_rows, ["", "01/01/2011", "Nam"]]
    response = client.post(url, {"file": _upload(workbook(bad)), "dry_run": "false"}, format="multipart")
    assert response.status_code == 400 and not Candidate.objects.exists()
    assert "Dòng 5, cột “Họ và tên”: chưa có họ và tên." in response.json()["errors"]
    response = client.post(url, {"file": _upload(workbook(sheet_rows)), "dry_run": "false"}, format="multipart")
    assert response.status_code == 200 and response.json()["saved"] and Candidate.objects.count() == 3
    # a school principal does not import
    principal = api_client(ew.world.a.m(Role.PRINCIPAL))
    assert principal.post(url, {"file": _upload(workbook(sheet_rows))}, format="multipart").status_code == 403


# --- pages and API ----------------------------------------------------------------------------------------------


def test_candidate_list_page_filters_and_constant_queries(ew, django_assert_max_num_queries):
    so = ew.actor("so_admin")
    services.register_students(so, ew.exam, school_ids=[ew.world.a.school.pk, ew.world.b.school.pk])
    services.assign_numbers(so, ew.exam)
    client = web_client(ew.world.members["so_admin"])
    url = reverse("exams:exam-candidates", kwargs={"pk": ew.exam.pk})
    with django_assert_max_num_queries(20):
        response = client.get(url)
    assert response.status_code == 200 and response.context["page_obj"].paginator.count == 6
    for n in range(20):
        services.save_candidate(
            so, ew.exam, {"full_name": f"Thí Sinh Thêm {n}", "birth_date": dt.date(2011, 1, 1), "sex": "M"}
        )
    with django_assert_max_num_queries(20):
        assert client.get(url).status_code == 200
    found = client.get(url, {"q": "nguyen thi an"}).context["object_list"]
    assert [c.full_name for c in found] == ["Nguyễn Thị An"]
    by_school = client.get(url, {"school": ew.world.b.school.pk}).context["object_list"]
    assert {c.school_id for c in by_school} == {ew.world.b.school.pk}
    # school A's principal sees the Sở's exam, and only school A's candidates in it
    mine = web_client(ew.world.a.m(Role.PRINCIPAL)).get(url).context["object_list"]
    assert {c.school_id for c in mine} == {ew.world.a.school.pk}


def test_pages_answer(ew):
    so = ew.actor("so_admin")
    services.register_students(so, ew.exam, school_ids=[ew.world.a.school.pk])
    c = Candidate.objects.filter(exam=ew.exam).first()
    client = web_client(ew.world.members["so_admin"])
    for name, pk in (
        ("exams:candidate-detail", c.pk),
        ("exams:candidate-update", c.pk),
        ("exams:exam-candidate-create", ew.exam.pk),
        ("exams:exam-register-students", ew.exam.pk),
    ):
        assert client.get(reverse(name, kwargs={"pk": pk})).status_code == 200, name
    response = client.post(
        reverse("exams:exam-register-students", kwargs={"pk": ew.exam.pk}), {"schools": [ew.world.b.school.pk]}
    )
    assert response.status_code == 302 and Candidate.objects.filter(exam=ew.exam).count() == 6
    response = client.post(
        reverse("exams:candidate-update", kwargs={"pk": c.pk}),
        {"full_name": "Tên Đã Sửa", "birth_date": "01/01/2011", "sex": "M", "school": ew.world.a.school.pk},
    )
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.full_name == "Tên Đã Sửa"
    response = client.post(reverse("exams:exam-assign-numbers", kwargs={"pk": ew.exam.pk}))
    assert response.status_code == 302 and not Candidate.objects.filter(exam=ew.exam, number="").exists()
    # a teacher of school A is no organiser: the number button is refused
    teacher = web_client(ew.world.a.m(Role.TEACHER))
    assert teacher.post(reverse("exams:exam-assign-numbers", kwargs={"pk": ew.exam.pk})).status_code == 403


def test_api_create_by_secretariat_and_list_by_exam(ew):
    w = ew.world
    BoardMember.objects.create(
        exam=ew.exam, user=w.a.m(Role.TEACHER).user, role=BoardRole.SECRETARIAT, home_unit=w.a.school
    )
    client = api_client(w.a.m(Role.TEACHER))
    response = client.post(
        reverse("api:candidate-list"),
        {
            "exam": ew.exam.pk,
            "full_name": "Đinh Văn Mới",
            "birth_date": "2011-04-05",
            "sex": "M",
            "school": w.b.school.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    assert (
        client.patch(reverse("api:candidate-detail", kwargs={"pk": pk}), {"class_name": "9A2"}, format="json").json()[
            "class_name"
        ]
        == "9A2"
    )
    listed = client.get(reverse("api:candidate-list"), {"exam": ew.exam.pk}).json()["results"]
    assert [r["full_name"] for r in listed] == ["Đinh Văn Mới"]
    # the same teacher without the seat: refused
    BoardMember.objects.filter(exam=ew.exam).update(is_active=False)
    response = client.post(
        reverse("api:candidate-list"),
        {"exam": ew.exam.pk, "full_name": "Khác", "birth_date": "2011-04-05", "sex": "M"},
        format="json",
    )
    assert response.status_code == 403


def test_api_register_and_number(ew):
    client = api_client(ew.world.members["so_admin"])
    url = reverse("api:exams-register-students", kwargs={"pk": ew.exam.pk})
    assert client.post(url, {"class_ids": [ew.classes["a"].pk]}, format="json").json() == {
        "registered": 3,
        "skipped": 0,
    }
    response = client.post(url, {"class_ids": [ew.classes["b"].pk, 10**9]}, format="json")
    assert response.status_code == 400 and "phạm vi" in str(response.json()["errors"])
    numbers = client.post(reverse("api:exams-assign-numbers", kwargs={"pk": ew.exam.pk}))
    assert numbers.json() == {"numbered": 3, "kept": 0}


def test_a_learner_downloads_their_own_ticket_only(ew):
    import pypdf

    w = ew.world
    so = ew.actor("so_admin")
    mine = ew.learners["a"][0]
    mine.user = w.a.m(Role.STUDENT).user
    mine.save()
    Guardian.objects.create(student=mine, relation="mother", full_name="Mẹ", user=w.a.m(Role.PARENT).user)
    services.register_students(so, ew.exam, school_ids=[w.a.school.pk])
    services.assign_numbers(so, ew.exam)
    own = Candidate.objects.get(exam=ew.exam, student=mine)
    other = Candidate.objects.filter(exam=ew.exam).exclude(pk=own.pk).first()
    for membership in (w.a.m(Role.STUDENT), w.a.m(Role.PARENT)):
        client = web_client(membership)
        response = client.get(reverse("exams:candidate-ticket", kwargs={"pk": own.pk}))
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        text = pypdf.PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
        assert own.number in text and "THẺ DỰ THI" in text
        assert client.get(reverse("exams:candidate-ticket", kwargs={"pk": other.pk})).status_code == 404
        assert api_client(membership).get(reverse("api:candidate-ticket", kwargs={"pk": other.pk})).status_code == 404
        # no staff page of the exam for learners
        assert client.get(reverse("exams:exam-candidates", kwargs={"pk": ew.exam.pk})).status_code == 404


def test_school_principal_prints_own_schools_tickets(ew):
    import pypdf

    w = ew.world
    so = ew.actor("so_admin")
    services.register_students(so, ew.exam, school_ids=[w.a.school.pk, w.b.school.pk])
    services.assign_numbers(so, ew.exam)
    response = web_client(w.a.m(Role.PRINCIPAL)).get(reverse("exams:exam-tickets", kwargs={"pk": ew.exam.pk}))
    assert response.status_code == 200
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(response.content)).pages)
    for name in NAMES_A:
        assert name in text
    for name in NAMES_B:
        assert name not in text
    assert (
        web_client(w.a.m(Role.TEACHER)).get(reverse("exams:exam-tickets", kwargs={"pk": ew.exam.pk})).status_code == 403
    )


# --- malformed ids never make a 500; counts only through the door --------------------------------------------

#: "²" and "١" pass ``str.isdigit`` (and ``int("١")`` is 1): only ASCII digits are ids
BAD_IDS = ["²", "١", "1.5", "-1", "0", "1²", "99999999999999999999"]


@pytest.fixture
def numbered(ew):
    so = ew.actor("so_admin")
    services.register_students(so, ew.exam, school_ids=[ew.world.a.school.pk, ew.world.b.school.pk])
    services.assign_numbers(so, ew.exam)
    return ew


@pytest.mark.parametrize("value", BAD_IDS)
@pytest.mark.parametrize("param", ["exam", "school", "room"])
def test_api_list_filter_with_a_malformed_id_matches_nothing(numbered, param, value):
    client = api_client(numbered.world.members["so_admin"])
    response = client.get(reverse("api:candidate-list"), {param: value})
    assert response.status_code == 200
    assert response.json()["results"] == []
    # a well-formed id still filters, an empty one is no filter
    assert len(client.get(reverse("api:candidate-list"), {"exam": numbered.exam.pk}).json()["results"]) == 6
    assert len(client.get(reverse("api:candidate-list"), {param: ""}).json()["results"]) == 6


@pytest.mark.parametrize("value", BAD_IDS)
@pytest.mark.parametrize("param", ["school", "site", "room"])
def test_tickets_with_a_malformed_id_are_a_400(numbered, param, value):
    membership = numbered.world.members["so_admin"]
    api = api_client(membership).get(reverse("api:exams-tickets", kwargs={"pk": numbered.exam.pk}), {param: value})
    assert api.status_code == 400 and param in api.json()["errors"]
    page = web_client(membership).get(reverse("exams:exam-tickets", kwargs={"pk": numbered.exam.pk}), {param: value})
    assert page.status_code == 400


@pytest.mark.parametrize("value", BAD_IDS)
def test_pages_and_ticket_with_malformed_ids_never_fail(numbered, value):
    membership = numbered.world.members["so_admin"]
    url = reverse("exams:exam-candidates", kwargs={"pk": numbered.exam.pk})
    client = web_client(membership)
    for param in ("school", "room"):
        assert client.get(url, {param: value}).status_code == 200
    assert client.get(url, {"page": value}).status_code in (200, 404)
    ticket = f"{reverse('api:candidate-list')}{value}/ticket/"
    assert api_client(membership).get(ticket).status_code == 404


def test_numbered_count_on_the_candidates_page_is_only_what_the_door_shows(numbered):
    url = reverse("exams:exam-candidates", kwargs={"pk": numbered.exam.pk})
    organiser = web_client(numbered.world.members["so_admin"]).get(url).context
    assert (organiser["numbered"], organiser["total"]) == (6, 6)
    assert "6/6 thí sinh đã có số báo danh" in web_client(numbered.world.members["so_admin"]).get(url).content.decode()
    principal = web_client(numbered.world.a.m(Role.PRINCIPAL)).get(url).context
    assert principal["numbered"] == 3 and principal["total"] is None  # school A's three only
