"""Setting an exam up (issue 7, acceptance 1): kinds and owners, defaults per kind, the
timetable, what is fixed once candidates or scripts exist, the points table, and the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from exams import rules
from exams.models import Exam, ExamKind, ExamSubject, PointRule, Script
from exams.services import setup as services
from sms.accounts.actors import Actor
from sms.accounts.roles import Role, UnitKind
from sms.org.models import Unit
from sms.org.rules import SchoolType
from tests.makers import exams as makers
from tests.world import api_client, web_client

pytestmark = pytest.mark.django_db


def actor(membership) -> Actor:
    return Actor(membership.user, membership)


def so_admin(world) -> Actor:
    return actor(world.members["so_admin"])


def at(hour: int, minute: int = 0, day: int = 2) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2027, 6, day, hour, minute))


# --- who may run which kind ----------------------------------------------------------------------------


@pytest.fixture
def owners(world):
    primary = Unit.objects.create(
        kind=UnitKind.SCHOOL,
        school_type=SchoolType.C1,
        code="C1X",
        name="Trường Tiểu học Xuân Hoà",
        parent=world.phong1,
    )
    centre = Unit.objects.create(
        kind=UnitKind.CENTRE, school_type=SchoolType.TX, code="TXA", name="Trung tâm GDNN-GDTX Một", parent=world.so
    )
    return {"so": world.so, "phong": world.phong1, "thcs": world.a.school, "tieu_hoc": primary, "centre": centre}


KINDS_BY_OWNER = [
    # kind, owner, allowed
    (ExamKind.ADMISSION_10, "so", True),
    (ExamKind.ADMISSION_10, "phong", False),
    (ExamKind.ADMISSION_10, "thcs", False),
    (ExamKind.INTAKE_1, "so", True),
    (ExamKind.INTAKE_1, "phong", True),
    (ExamKind.INTAKE_1, "tieu_hoc", True),
    (ExamKind.INTAKE_1, "thcs", False),  # a THCS does not teach grade 1
    (ExamKind.INTAKE_6, "phong", True),
    (ExamKind.INTAKE_6, "thcs", True),
    (ExamKind.INTAKE_6, "tieu_hoc", False),
    (ExamKind.INTAKE_6, "centre", False),
    (ExamKind.GIFTED, "so", True),
    (ExamKind.GIFTED, "phong", True),
    (ExamKind.GIFTED, "thcs", True),
    (ExamKind.GIFTED, "centre", True),
    (ExamKind.VOCATIONAL, "so", True),
    (ExamKind.VOCATIONAL, "phong", True),
    (ExamKind.VOCATIONAL, "centre", True),
    (ExamKind.VOCATIONAL, "thcs", False),
]


@pytest.mark.parametrize(("kind", "owner", "allowed"), KINDS_BY_OWNER)
def test_kinds_and_owners(world, owners, kind, owner, allowed):
    fields = dict(unit=owners[owner], kind=kind, name="Kỳ thi thử", start_year=2026)
    if allowed:
        exam = services.create_exam(so_admin(world), **fields)
        assert exam.unit == owners[owner] and exam.kind == kind
    else:
        with pytest.raises(ValidationError) as caught:
            services.create_exam(so_admin(world), **fields)
        assert "unit" in caught.value.message_dict
        assert not Exam.objects.exists()


def test_an_organiser_creates_only_within_their_reach(world):
    phong1 = actor(world.members["phong1_admin"])
    exam = services.create_exam(phong1, kind=ExamKind.GIFTED, name="HSG cấp huyện", start_year=2026)
    assert exam.unit == world.phong1  # the actor's own unit by default
    with pytest.raises(ValidationError) as caught:
        services.create_exam(phong1, unit=world.b.school, kind=ExamKind.GIFTED, name="HSG", start_year=2026)
    assert "phạm vi" in caught.value.message_dict["unit"][0]
    with pytest.raises(PermissionDenied):
        services.create_exam(actor(world.a.m(Role.TEACHER)), kind=ExamKind.GIFTED, name="HSG", start_year=2026)


# --- defaults per kind -------------------------------------------------------------------------------------


def test_grade_10_admission_starts_from_the_circular(world):
    exam = services.create_exam(
        so_admin(world), unit=world.so, kind=ExamKind.ADMISSION_10, name="Tuyển sinh lớp 10", start_year=2026
    )
    subjects = [(s.name, s.duration_minutes, s.coefficient, s.double_marked) for s in exam.subjects.all()]
    assert subjects == [
        ("Toán", 120, Decimal("1.0"), True),
        ("Ngữ văn", 120, Decimal("1.0"), True),
        ("Tiếng Anh", 60, Decimal("1.0"), False),  # multiple choice: marked once
    ]
    assert (exam.grade, exam.choices_allowed, exam.choice_margins, exam.tie_breaks, exam.room_capacity) == (
        9,
        3,
        ["0", "1.5", "3"],
        ["grade9_average", "grade9_conduct"],
        24,
    )
    table = {(r.kind, r.code, r.points) for r in exam.point_rules.all()}
    assert table == {(d.kind, d.code, d.points) for d in rules.DEFAULT_POINT_RULES}
    assert ("priority", "ut1", Decimal("2.00")) in table and ("bonus", "kk3", Decimal("0.50")) in table
    # history says who set it up
    assert exam.history.get().history_user == world.members["so_admin"].user


@pytest.mark.parametrize(
    ("kind", "owner", "choices", "rules_copied"),
    [
        (ExamKind.INTAKE_6, "phong1", 2, True),
        (ExamKind.INTAKE_1, "phong1", 2, True),
        (ExamKind.GIFTED, "so", 1, False),
        (ExamKind.VOCATIONAL, "so", 1, False),
    ],
)
def test_other_kinds_defaults(world, kind, owner, choices, rules_copied):
    unit = world.so if owner == "so" else world.phong1
    exam = services.create_exam(so_admin(world), unit=unit, kind=kind, name="Kỳ thi", start_year=2026)
    assert exam.subjects.count() == 0
    assert exam.choices_allowed == choices
    assert exam.point_rules.exists() is rules_copied


def test_review_intake_has_no_subjects_and_at_most_two_choices(world):
    exam = services.create_exam(
        so_admin(world), unit=world.phong1, kind=ExamKind.INTAKE_6, name="Tuyển sinh lớp 6", start_year=2026
    )
    with pytest.raises(ValidationError) as caught:
        services.add_subject(so_admin(world), exam, name="Toán", duration_minutes=90)
    assert "xét tuyển" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        services.update_exam(so_admin(world), exam, choices_allowed=3)
    assert "tối đa 2 nguyện vọng" in caught.value.message_dict["choices_allowed"][0]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"room_capacity": 30}, "room_capacity"),
        ({"choice_margins": "0; 1,5; 3; 4"}, "choice_margins"),
        ({"choice_margins": "0; một"}, "choice_margins"),
        ({"tie_breaks": ["grade9_average", "grade9_average"]}, "tie_breaks"),
        ({"tie_breaks": ["subject:hoa"]}, "tie_breaks"),
        ({"tie_breaks": ["may_man"]}, "tie_breaks"),
        ({"accepts_online": True}, "applications_open_at"),
        ({"start_year": 1990}, "start_year"),
    ],
)
def test_configuration_is_checked_by_field(world, changes, field):
    exam = services.create_exam(
        so_admin(world), unit=world.so, kind=ExamKind.ADMISSION_10, name="Tuyển sinh lớp 10", start_year=2026
    )
    with pytest.raises(ValidationError) as caught:
        services.update_exam(so_admin(world), exam, **changes)
    assert field in caught.value.message_dict


def test_configuration_accepts_decimal_commas_and_subject_tie_breaks(world):
    exam = services.create_exam(
        so_admin(world), unit=world.so, kind=ExamKind.ADMISSION_10, name="Tuyển sinh lớp 10", start_year=2026
    )
    exam = services.update_exam(
        so_admin(world), exam, choice_margins="0; 1,5; 2,25", tie_breaks=["subject:toan", "grade9_average"]
    )
    exam.refresh_from_db()
    assert exam.choice_margins == ["0", "1.5", "2.25"]
    assert exam.tie_breaks == ["subject:toan", "grade9_average"]


def test_online_window_only_for_admissions(world):
    now = timezone.now()
    window = dict(accepts_online=True, applications_open_at=now, applications_close_at=now + dt.timedelta(days=5))
    with pytest.raises(ValidationError) as caught:
        services.create_exam(
            so_admin(world), unit=world.so, kind=ExamKind.GIFTED, name="HSG", start_year=2026, **window
        )
    assert "accepts_online" in caught.value.message_dict
    exam = services.create_exam(
        so_admin(world), unit=world.phong1, kind=ExamKind.INTAKE_6, name="Lớp 6", start_year=2026, **window
    )
    assert exam.window_open()


# --- the timetable ------------------------------------------------------------------------------------------


@pytest.fixture
def gifted(world):
    return services.create_exam(
        so_admin(world),
        unit=world.so,
        kind=ExamKind.GIFTED,
        name="Thi HSG cấp tỉnh",
        start_year=2026,
        subjects=[{"code": "toan", "name": "Toán", "duration_minutes": 120, "starts_at": at(7, 30)}],
    )


@pytest.mark.parametrize(
    ("starts", "overlaps"),
    [
        (at(7, 30), True),  # the same sitting
        (at(9, 0), True),  # starts while Toán runs (7:30–9:30)
        (at(6, 0), True),  # still writing at 7:30
        (at(9, 30), False),  # right after
        (at(5, 30), False),  # ends at 7:30
        (at(8, 0, day=3), False),  # another day
        (None, False),  # not scheduled yet
    ],
)
def test_two_subjects_of_one_exam_do_not_overlap(world, gifted, starts, overlaps):
    fields = dict(code="van", name="Ngữ văn", duration_minutes=120, starts_at=starts)
    if overlaps:
        with pytest.raises(ValidationError) as caught:
            services.add_subject(so_admin(world), gifted, **fields)
        assert "Trùng giờ với môn Toán" in caught.value.message_dict["starts_at"][0]
        assert gifted.subjects.count() == 1
    else:
        subject = services.add_subject(so_admin(world), gifted, **fields)
        assert subject.exam == gifted and subject.order == 2


def test_moving_a_subject_onto_another_is_refused_and_codes_are_unique(world, gifted):
    van = services.add_subject(so_admin(world), gifted, code="van", name="Ngữ văn", duration_minutes=90)
    with pytest.raises(ValidationError) as caught:
        services.update_subject(so_admin(world), van, starts_at=at(8, 0))
    assert "starts_at" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.update_subject(so_admin(world), van, code="toan")
    assert "đã có trong kỳ thi" in caught.value.message_dict["code"][0]
    # a code is made from the name when left blank
    english = services.add_subject(so_admin(world), gifted, name="Tiếng Anh", duration_minutes=60)
    assert english.code == "tieng-anh"


# --- fixed once candidates or scripts exist -----------------------------------------------------------------------


def test_kind_and_owner_are_fixed_once_candidates_exist(world):
    exam = services.create_exam(so_admin(world), unit=world.phong1, kind=ExamKind.GIFTED, name="HSG", start_year=2026)
    services.update_exam(so_admin(world), exam, unit=world.a.school)  # no candidates yet: fine
    makers.candidate(world.a, of=exam)
    with pytest.raises(ValidationError) as caught:
        services.update_exam(so_admin(world), exam, kind=ExamKind.VOCATIONAL)
    assert "đã có thí sinh" in caught.value.message_dict["kind"][0]
    with pytest.raises(ValidationError):
        services.update_exam(so_admin(world), exam, unit=world.phong1)
    exam.refresh_from_db()
    assert (exam.kind, exam.unit) == (ExamKind.GIFTED, world.a.school)
    assert services.update_exam(so_admin(world), exam, name="HSG cấp trường").name == "HSG cấp trường"


def test_subjects_are_fixed_once_marking_started(world, gifted):
    toan = gifted.subjects.get()
    Script.objects.create(exam_subject=toan, code="000123")
    with pytest.raises(ValidationError) as caught:
        services.update_subject(so_admin(world), toan, coefficient="2")
    assert "coefficient" in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.add_subject(so_admin(world), gifted, name="Tin học", duration_minutes=90)
    with pytest.raises(ValidationError):
        services.remove_subject(so_admin(world), toan)
    # the name and the room details stay editable
    assert services.update_subject(so_admin(world), toan, name="Toán học").name == "Toán học"
    assert ExamSubject.objects.filter(pk=toan.pk, coefficient=Decimal("1.0")).exists()


def test_the_threshold_between_two_markings_is_fixed_once_marking_started(world, gifted):
    services.update_exam(so_admin(world), gifted, mark_threshold="1,5")  # before marking: fine
    toan = gifted.subjects.get()
    Script.objects.create(exam_subject=toan, code="000124")
    with pytest.raises(ValidationError) as caught:
        services.update_exam(so_admin(world), gifted, mark_threshold="2")
    assert "không đổi chênh lệch tối đa giữa hai lần chấm" in caught.value.message_dict["mark_threshold"][0]
    # the same value written differently, and the other fields, still go through
    assert services.update_exam(so_admin(world), gifted, mark_threshold="1.50", name="HSG (sửa)").name == "HSG (sửa)"
    response = api_client(world.members["so_admin"]).patch(
        f"/api/exams/exams/{gifted.pk}/", {"mark_threshold": "3"}, format="json"
    )
    assert response.status_code == 400 and "mark_threshold" in response.json()["errors"]
    gifted.refresh_from_db()
    assert gifted.mark_threshold == Decimal("1.5")
    with pytest.raises(ValidationError) as caught:  # double marking was already fixed per subject
        services.update_subject(so_admin(world), toan, double_marked=not toan.double_marked)
    assert "double_marked" in caught.value.message_dict


def test_a_subject_nobody_sat_is_removed_with_history(world, gifted):
    van = services.add_subject(so_admin(world), gifted, code="van", name="Ngữ văn", duration_minutes=90)
    services.remove_subject(so_admin(world), van)
    assert not ExamSubject.objects.filter(pk=van.pk).exists()
    assert ExamSubject.history.filter(id=van.pk, history_type="-").exists()


def test_the_chair_edits_the_exam_but_an_outsider_does_not(world, gifted):
    teacher = world.a.m(Role.TEACHER)
    makers.board_member(world.a, of=gifted, role="chair", user=teacher.user)
    assert services.update_exam(actor(teacher), gifted, mark_threshold="1,5").mark_threshold == Decimal("1.5")
    with pytest.raises(PermissionDenied):  # school A's principal reads the Sở's exam, does not change it
        services.update_exam(actor(world.a.m(Role.PRINCIPAL)), gifted, name="Đổi tên")
    from django.http import Http404

    school_exam = makers.exam(world.b)
    with pytest.raises(Http404):  # another school's exam: not found
        services.update_exam(actor(world.a.m(Role.PRINCIPAL)), school_exam, name="Đổi tên")


# --- the points table -----------------------------------------------------------------------------------------


@pytest.fixture
def admission(world):
    return services.create_exam(
        so_admin(world), unit=world.so, kind=ExamKind.ADMISSION_10, name="Tuyển sinh lớp 10", start_year=2026
    )


def test_points_table_edit_add_remove(world, admission):
    ut1 = admission.point_rules.get(code="ut1")
    services.update_point_rule(so_admin(world), ut1, points="2,5", label="Nhóm 1 (sửa)")
    ut1.refresh_from_db()
    assert (ut1.points, ut1.label) == (Decimal("2.5"), "Nhóm 1 (sửa)")
    extra = services.add_point_rule(
        so_admin(world), admission, kind="bonus", code="kk-tdtt", label="Giải thể thao cấp tỉnh", points="0,5"
    )
    assert extra.points == Decimal("0.5")
    direct = services.add_point_rule(so_admin(world), admission, kind="direct", code="td-khac", label="Khác", points=3)
    assert direct.points == 0  # direct admission adds no points
    with pytest.raises(ValidationError) as caught:
        services.add_point_rule(so_admin(world), admission, kind="bonus", code="kk1", label="Trùng", points=1)
    assert "kk1" in caught.value.message_dict["code"][0]
    with pytest.raises(ValidationError) as caught:
        services.add_point_rule(so_admin(world), admission, kind="bonus", code="kk9", label="Quá", points=12)
    assert "points" in caught.value.message_dict
    services.remove_point_rule(so_admin(world), extra)
    assert not PointRule.objects.filter(pk=extra.pk).exists()


def test_a_used_point_rule_is_kept(world, admission):
    ut3 = admission.point_rules.get(code="ut3")
    makers.candidate(world.a, of=admission, priority=ut3)
    with pytest.raises(ValidationError) as caught:
        services.remove_point_rule(so_admin(world), ut3)
    assert "đang được thí sinh" in caught.value.message_dict["point_rule"][0]
    with pytest.raises(ValidationError):
        services.update_point_rule(so_admin(world), ut3, code="ut3b")
    services.update_point_rule(so_admin(world), ut3, points="1.25")  # before publication: fine
    admission.results_publish_at = timezone.now() - dt.timedelta(hours=1)
    admission.save()
    with pytest.raises(ValidationError) as caught:
        services.update_point_rule(so_admin(world), ut3, points="1.5")
    assert "công bố" in caught.value.message_dict["points"][0]


def test_only_organisers_edit_the_points_table(world, admission):
    teacher = world.a.m(Role.TEACHER)
    makers.board_member(world.a, of=admission, role="chair", user=teacher.user)
    with pytest.raises(PermissionDenied):
        services.add_point_rule(actor(teacher), admission, kind="bonus", code="x", label="X", points=1)
    with pytest.raises(PermissionDenied):
        services.add_point_rule(actor(world.members["phong1_admin"]), admission, kind="bonus", code="x", label="X")


# --- pages ---------------------------------------------------------------------------------------------------------


def test_exam_list_filters_and_inherited_exams(world, admission, django_assert_max_num_queries):
    own = makers.exam(world.a, name="HSG cấp trường An Bình")
    makers.exam(world.b, name="HSG cấp trường Bắc Sơn")
    for i in range(5):
        makers.exam(world.a, name=f"HSG số {i}")
    client = web_client(world.a.m(Role.PRINCIPAL))
    with django_assert_max_num_queries(14):
        response = client.get(reverse("exams:exam-list"))
    body = response.content.decode()
    assert response.status_code == 200
    assert admission.name in body and own.name in body  # the Sở's exam through ``inherited``
    assert "Bắc Sơn" not in body

    def listed(**query) -> set[str]:
        body = client.get(reverse("exams:exam-list"), query).content.decode()
        return {name for name, exam in (("admission", admission), ("own", own)) if exam.get_absolute_url() in body}

    assert listed(kind=ExamKind.ADMISSION_10) == {"admission"}
    assert listed(q="an binh") == {"own"}  # without diacritics
    assert listed(unit=world.so.pk) == {"admission"}
    assert listed(start_year=2025) == set()


def test_exam_page_shows_timetable_points_board_and_area_links(world, admission, django_assert_max_num_queries):
    makers.board_member(world.a, of=admission, role="marker", user=world.a.m(Role.TEACHER).user)
    client = web_client(world.members["so_admin"])
    with django_assert_max_num_queries(25):
        response = client.get(admission.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    for text in ("Toán", "Ngữ văn", "Tiếng Anh", "120 phút", "+2", "+1,5", "Cán bộ chấm thi", "Hội đồng thi"):
        assert text in body, text
    assert "NV2: +1,5" in body  # decimal comma
    assert reverse("exams:exam-board", kwargs={"pk": admission.pk}) in body  # exam_pages link


def test_create_and_edit_an_exam_through_the_form(world):
    client = web_client(world.members["phong1_admin"])
    response = client.post(
        reverse("exams:exam-create"),
        {"unit": world.phong1.pk, "kind": ExamKind.INTAKE_6, "name": "Tuyển sinh lớp 6", "start_year": 2026},
    )
    exam = Exam.objects.get()
    assert response.status_code == 302 and response["Location"] == exam.get_absolute_url()
    assert (exam.choices_allowed, exam.grade) == (2, 5)
    response = client.post(
        reverse("exams:exam-create"),
        {"unit": world.phong1.pk, "kind": ExamKind.ADMISSION_10, "name": "Lớp 10", "start_year": 2026},
    )
    assert response.status_code == 200
    assert "chỉ do Sở GD&amp;ĐT tổ chức" in response.content.decode()
    response = client.post(
        reverse("exams:exam-update", kwargs={"pk": exam.pk}),
        {
            "unit": world.phong1.pk,
            "kind": ExamKind.INTAKE_6,
            "name": "Tuyển sinh lớp 6 (sửa)",
            "start_year": 2026,
            "choices_allowed": 1,
            "choice_margins": "0",
            "mark_threshold": "0,5",
            "accepts_online": "on",
            "applications_open_at": "01/06/2027 07:00",
            "applications_close_at": "15/06/2027 17:00",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    exam.refresh_from_db()
    assert (exam.name, exam.choices_allowed, exam.mark_threshold) == ("Tuyển sinh lớp 6 (sửa)", 1, Decimal("0.5"))
    assert timezone.localtime(exam.applications_open_at).strftime("%d/%m/%Y %H:%M") == "01/06/2027 07:00"


def test_a_teacher_cannot_open_the_create_form(world):
    assert web_client(world.a.m(Role.TEACHER)).get(reverse("exams:exam-create")).status_code == 403


def test_subject_and_point_rule_pages(world, admission):
    client = web_client(world.members["so_admin"])
    response = client.post(
        reverse("exams:examsubject-create", kwargs={"pk": admission.pk}),
        {"name": "Lịch sử", "duration_minutes": 60, "coefficient": "1", "max_score": "10", "starts_at": ""},
    )
    assert response.status_code == 302
    subject = admission.subjects.get(code="lich-su")
    assert client.get(subject.get_absolute_url()).status_code == 200
    response = client.post(
        reverse("exams:examsubject-update", kwargs={"pk": subject.pk}),
        {"code": "lich-su", "name": "Lịch sử", "duration_minutes": 90, "coefficient": "1,5", "max_score": "10"},
    )
    assert response.status_code == 302
    subject.refresh_from_db()
    assert (subject.duration_minutes, subject.coefficient) == (90, Decimal("1.5"))
    assert client.post(reverse("exams:examsubject-delete", kwargs={"pk": subject.pk})).status_code == 302
    assert not admission.subjects.filter(code="lich-su").exists()

    rule = admission.point_rules.get(code="kk1")
    assert "Đạt giải nhất" in client.get(rule.get_absolute_url()).content.decode()
    response = client.post(
        reverse("exams:pointrule-update", kwargs={"pk": rule.pk}),
        {"kind": "bonus", "code": "kk1", "label": rule.label, "points": "1,75"},
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.points == Decimal("1.75")
    response = client.post(
        reverse("exams:pointrule-create", kwargs={"pk": admission.pk}),
        {"kind": "priority", "code": "ut4", "label": "Nhóm 4", "points": "0,5"},
    )
    assert response.status_code == 302 and admission.point_rules.filter(code="ut4").exists()
    # school A's principal reads the Sở's table but may not add to it
    principal = web_client(world.a.m(Role.PRINCIPAL))
    response = principal.post(
        reverse("exams:pointrule-create", kwargs={"pk": admission.pk}),
        {"kind": "priority", "code": "ut5", "label": "Nhóm 5", "points": "0,5"},
    )
    assert response.status_code == 200 and not admission.point_rules.filter(code="ut5").exists()
    assert "Chỉ đơn vị tổ chức" in response.content.decode()
