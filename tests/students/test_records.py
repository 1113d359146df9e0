"""Learner records on the pages: create, edit, validation in Vietnamese, the immutable learner
code, reads logged, guardians and exemptions on the record, the list and its filters, the
class pages and enrolment."""

from __future__ import annotations

import datetime as dt
import io
import unicodedata

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from sms.accounts.roles import Role
from sms.audit.models import AuditEvent, EventKind
from sms.org.models import AdministrativeArea, AreaLevel, SchoolClass, Subject
from students.models import Enrolment, Exemption, Guardian, Student
from students.resources import ClassListImporter
from students.services import records as services
from tests.makers.students import enrolment, student
from tests.world import web_client

pytestmark = pytest.mark.django_db

CREATE = "/hoc-sinh/ho-so/them/"
LIST = "/hoc-sinh/ho-so/"


def detail(s) -> str:
    return f"/hoc-sinh/ho-so/{s.pk}/"


def commune(world) -> AdministrativeArea:
    return AdministrativeArea.objects.get(code="99-1")


def form_data(world, **values) -> dict:
    data = {
        "learner_code": "3700000001",
        "personal_id": "037214000001",
        "full_name": unicodedata.normalize("NFD", "Nguyễn Thị Hương"),
        "birth_date": "15/03/2014",
        "sex": "F",
        "ethnicity": "Mường",
        "birthplace": "Ninh Bình",
        "address_area": commune(world).pk,
        "address": "Số 12, đường Trần Hưng Đạo",
        "disability_note": "",
        "user": "",
    }
    data.update(values)
    return data


# --- create and edit ------------------------------------------------------------------------------------


def test_principal_creates_a_record_stored_nfc_at_their_school_with_history(world):
    principal = world.a.m(Role.PRINCIPAL)
    response = web_client(principal).post(CREATE, form_data(world))
    s = Student.objects.get(learner_code="3700000001")
    assert response.status_code == 302 and response["Location"] == detail(s)
    assert s.school == world.a.school
    assert s.full_name == "Nguyễn Thị Hương" and unicodedata.is_normalized("NFC", s.full_name)
    assert (s.personal_id, s.birth_date, s.ethnicity, s.address_area) == (
        "037214000001",
        dt.date(2014, 3, 15),
        "Mường",
        commune(world),
    )
    (created,) = s.history.all()
    assert (created.history_user, created.history_membership_id) == (principal.user, principal.pk)


def test_bad_input_is_named_in_vietnamese_and_nothing_is_saved(world):
    client = web_client(world.a.m(Role.PRINCIPAL))
    response = client.post(
        CREATE,
        form_data(world, learner_code="MS-01", personal_id="12345", birth_date="2014-15-03", ethnicity="Klingon"),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "chỉ gồm chữ số" in errors["learner_code"][0]
    assert errors["personal_id"] == ["Số định danh cá nhân gồm đúng 12 chữ số."]
    assert "birth_date" in errors and "ethnicity" in errors
    assert not Student.objects.exists()


def test_a_learner_code_or_personal_id_in_use_at_another_school_is_refused_without_naming_it(world):
    theirs = student(world.b)
    theirs.personal_id = "001214000777"
    theirs.save()
    client = web_client(world.a.m(Role.PRINCIPAL))
    response = client.post(CREATE, form_data(world, learner_code=theirs.learner_code, personal_id="001214000777"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["learner_code"] == [services.CODE_TAKEN]
    assert errors["personal_id"] == [services.PID_TAKEN]
    assert world.b.school.name not in response.content.decode()
    assert Student.objects.count() == 1


def test_the_edit_form_does_not_offer_the_learner_code_and_the_model_refuses_a_change(world):
    s = student(world.a)
    code = s.learner_code
    client = web_client(world.a.m(Role.PRINCIPAL))
    page = client.get(f"/hoc-sinh/ho-so/{s.pk}/sua/").content.decode()
    assert 'name="learner_code"' not in page and code in page
    response = client.post(
        f"/hoc-sinh/ho-so/{s.pk}/sua/",
        form_data(world, learner_code="9999999999", personal_id="", full_name="Học Sinh Đã Sửa Tên"),
    )
    assert response.status_code == 302
    s.refresh_from_db()
    assert (s.learner_code, s.full_name) == (code, "Học Sinh Đã Sửa Tên")
    assert s.history.count() == 2

    s.learner_code = "1234567890"
    with pytest.raises(ValidationError, match="không được thay đổi"):
        s.save()


def test_an_address_area_no_longer_valid_cannot_be_chosen(world):
    merged = AdministrativeArea.objects.create(
        code="99-0",
        name="Xã Cũ",
        level=AreaLevel.COMMUNE,
        parent=world.province,
        owner=world.so,
        valid_to=dt.date(2025, 7, 1),
    )
    client = web_client(world.a.m(Role.PRINCIPAL))
    response = client.post(CREATE, form_data(world, address_area=merged.pk))
    assert response.status_code == 200 and "address_area" in response.context["form"].errors
    with pytest.raises(ValidationError) as error:
        services.save_student(
            world.actor(world.a.m(Role.PRINCIPAL)),
            Student(
                school=world.a.school,
                learner_code="3700000002",
                full_name="Lê Văn Nam",
                birth_date=dt.date(2014, 1, 1),
                sex="M",
                address_area=merged,
            ),
        )
    assert "còn hiệu lực" in str(error.value)
    assert not Student.objects.exists()


@pytest.mark.parametrize("role", [Role.TEACHER, Role.CLERK])
def test_only_the_schools_leaders_write_records(world, role):
    s = student(world.a)
    client = web_client(world.a.m(role))
    assert client.post(CREATE, form_data(world)).status_code == 403
    assert client.post(f"/hoc-sinh/ho-so/{s.pk}/sua/", form_data(world)).status_code in (403, 404)
    assert Student.objects.count() == 1


# --- reading ----------------------------------------------------------------------------------------------


def test_each_staff_read_of_a_record_is_logged_at_the_learners_school(world):
    s = student(world.a)
    reader = world.members["phong1_staff"]
    response = web_client(reader).get(detail(s))
    assert response.status_code == 200 and s.full_name in response.content.decode()
    (read,) = AuditEvent.objects.filter(kind=EventKind.RECORD_READ)
    assert (read.membership, read.unit, read.object_id) == (reader, world.a.school, str(s.pk))


def test_a_teacher_reads_the_learners_of_their_classes_only(world):
    mine = enrolment(world.a)  # in the homeroom class of world.a's teacher
    other_class = SchoolClass.objects.create(school=world.a.school, school_year=world.a.year, grade=6, name="6A2")
    theirs = Enrolment.objects.create(
        school=world.a.school, student=student(world.a), school_year=world.a.year, school_class=other_class
    )
    client = web_client(world.a.m(Role.TEACHER))
    assert client.get(detail(mine.student)).status_code == 200
    assert client.get(detail(theirs.student)).status_code == 404
    listed = client.get(LIST).content.decode()
    assert mine.student.full_name in listed and theirs.student.full_name not in listed


def test_the_list_finds_names_without_diacritics_and_codes_and_filters_by_class(world):
    client = web_client(world.a.m(Role.PRINCIPAL))
    client.post(CREATE, form_data(world))
    huong = Student.objects.get()
    other = student(world.a)
    services.enrol(world.actor(world.a.m(Role.PRINCIPAL)), huong, world.a.klass)
    for query in ("nguyen thi huong", "NGUYEN THI HUONG", "3700000001", "huong"):
        page = client.get(LIST, {"q": query}).content.decode()
        assert huong.get_absolute_url() in page and other.get_absolute_url() not in page, query
    page = client.get(LIST, {"school_class": world.a.klass.pk}).content.decode()
    assert huong.get_absolute_url() in page and other.get_absolute_url() not in page
    page = client.get(LIST, {"grade": 6}).content.decode()
    assert huong.get_absolute_url() in page and world.a.klass.name in page
    # another school's class is not a choice (and lists nothing)
    assert client.get(LIST, {"school_class": world.b.klass.pk}).context["object_list"].count() == 0


def test_phong_reads_the_learners_of_its_schools_only_and_filters_by_school(world):
    a, b = student(world.a), student(world.b)
    client = web_client(world.members["phong1_admin"])
    page = client.get(LIST, {"school": world.a.school.pk}).content.decode()
    assert a.get_absolute_url() in page and b.get_absolute_url() not in page
    assert client.get(detail(b)).status_code == 404


def test_the_filtered_list_exports_as_xlsx(world):
    s = student(world.a)
    response = web_client(world.a.m(Role.PRINCIPAL)).get("/hoc-sinh/ho-so/xuat.xlsx")
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert ws.cell(2, 1).value == s.learner_code and ws.cell(2, 2).value == s.full_name


# --- guardians on the record -----------------------------------------------------------------------------


def test_guardians_are_added_edited_and_removed_inline_on_the_record(world):
    s = student(world.a)
    client = web_client(world.a.m(Role.PRINCIPAL))
    page = client.get(detail(s)).content.decode()
    assert 'for="id_new-full_name"' in page  # the add form is on the page, labelled
    response = client.post(
        f"/hoc-sinh/ho-so/{s.pk}/cha-me/them/",
        {
            "new-relation": "mother",
            "new-full_name": "Trần Thị Lan",
            "new-phone": "0987654321",
            "new-birth_year": "1985",
        },
    )
    assert response.status_code == 302 and response["Location"] == detail(s)
    g = Guardian.objects.get(student=s)
    assert (g.full_name, g.phone, g.birth_year) == ("Trần Thị Lan", "0987654321", 1985)
    page = client.get(detail(s)).content.decode()
    assert "Trần Thị Lan" in page and f'for="id_g{g.pk}-phone"' in page

    response = client.post(
        f"/hoc-sinh/cha-me/{g.pk}/sua/",
        {f"g{g.pk}-relation": "mother", f"g{g.pk}-full_name": "Trần Thị Lan", f"g{g.pk}-phone": "0912000111"},
    )
    assert response.status_code == 302
    g.refresh_from_db()
    assert g.phone == "0912000111"
    bad = client.post(f"/hoc-sinh/cha-me/{g.pk}/sua/", {f"g{g.pk}-relation": "uncle", f"g{g.pk}-full_name": ""})
    assert bad.status_code == 200 and {"relation", "full_name"} <= set(bad.context["form"].errors)

    assert client.post(f"/hoc-sinh/cha-me/{g.pk}/xoa/").status_code == 302
    assert not Guardian.objects.exists()
    assert Guardian.history.filter(id=g.pk).count() == 3  # added, edited, removed


def test_a_guardians_page_is_a_logged_read_and_a_stranger_gets_404(world):
    g = Guardian.objects.create(student=student(world.a), relation="father", full_name="Lê Văn Hùng")
    assert web_client(world.a.m(Role.PRINCIPAL)).get(f"/hoc-sinh/cha-me/{g.pk}/").status_code == 200
    assert AuditEvent.objects.filter(kind=EventKind.RECORD_READ, object_id=str(g.pk)).exists()
    assert web_client(world.b.m(Role.PRINCIPAL)).get(f"/hoc-sinh/cha-me/{g.pk}/").status_code == 404


# --- enrolment and exemptions ------------------------------------------------------------------------------------


def test_enrol_then_move_class_within_the_year_keeps_one_row_with_history(world):
    s = student(world.a)
    other = SchoolClass.objects.create(school=world.a.school, school_year=world.a.year, grade=6, name="6A2")
    client = web_client(world.a.m(Role.PRINCIPAL))
    response = client.post(f"/hoc-sinh/ho-so/{s.pk}/xep-lop/", {"school_class": world.a.klass.pk})
    assert response.status_code == 302
    e = Enrolment.objects.get(student=s)
    assert (e.school_class, e.school) == (world.a.klass, world.a.school)
    response = client.post(f"/hoc-sinh/nam-hoc-cua-hoc-sinh/{e.pk}/chuyen-lop/", {"school_class": other.pk})
    assert response.status_code == 302
    e = Enrolment.objects.get(student=s)
    assert e.school_class == other and e.history.count() == 2
    # enrolling again in the same year is a move as well, never a second row
    client.post(f"/hoc-sinh/ho-so/{s.pk}/xep-lop/", {"school_class": world.a.klass.pk})
    assert Enrolment.objects.filter(student=s).count() == 1
    # another school's class is not a choice
    response = client.post(f"/hoc-sinh/ho-so/{s.pk}/xep-lop/", {"school_class": world.b.klass.pk})
    assert response.status_code == 200 and "school_class" in response.context["form"].errors


def test_exemptions_are_listed_added_and_edited_on_the_learners_year(world):
    e = enrolment(world.a)
    gdtc = Subject.objects.create(school=world.a.school, code="gdtc", name="Giáo dục thể chất", assessment="comment")
    client = web_client(world.a.m(Role.PRINCIPAL))
    page = client.get(f"/hoc-sinh/nam-hoc-cua-hoc-sinh/{e.pk}/").content.decode()
    assert 'for="id_new-subject"' in page and "Giáo dục thể chất" in page
    response = client.post(
        f"/hoc-sinh/nam-hoc-cua-hoc-sinh/{e.pk}/mien/them/",
        {"new-subject": gdtc.pk, "new-kind": "exempt", "new-semester": "", "new-reason": "Sức khoẻ: hen phế quản"},
    )
    assert response.status_code == 302
    x = Exemption.objects.get()
    assert (x.enrolment, x.school, x.subject, x.semester) == (e, world.a.school, gdtc, None)
    page = client.get(detail(e.student)).content.decode()
    assert "Giáo dục thể chất" in page and x.get_absolute_url() in page
    response = client.post(
        f"/hoc-sinh/mien/{x.pk}/sua/", {"subject": gdtc.pk, "kind": "iep", "semester": "2", "reason": "KHGD cá nhân"}
    )
    assert response.status_code == 302
    x.refresh_from_db()
    assert (x.kind, x.semester) == ("iep", 2)
    # another school's subject cannot be picked, and a reason is required
    response = client.post(
        f"/hoc-sinh/nam-hoc-cua-hoc-sinh/{e.pk}/mien/them/",
        {"new-subject": world.b.subject.pk, "new-kind": "exempt", "new-reason": ""},
    )
    assert response.status_code == 200 and {"subject", "reason"} <= set(response.context["form"].errors)
    assert Exemption.objects.count() == 1


# --- classes ------------------------------------------------------------------------------------------------------


def test_the_class_page_lists_the_roster_in_name_order_with_counts_and_links(world):
    klass = world.a.klass
    for name, sex in (("Trần Văn Bình", "M"), ("Lê Thị An", "F"), ("Phạm Thị Yến", "F")):
        s = student(world.a)
        s.full_name, s.sex = name, sex
        s.save()
        Enrolment.objects.create(school=world.a.school, student=s, school_year=world.a.year, school_class=klass)
    gone = enrolment(world.a)
    gone.left_on = dt.date(2026, 10, 1)
    gone.save()
    response = web_client(world.a.m(Role.TEACHER)).get(f"/hoc-sinh/lop/{klass.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("Lê Thị An") < page.index("Trần Văn Bình") < page.index("Phạm Thị Yến")  # by given name
    assert "nam 1, nữ 2" in page and world.a.m(Role.TEACHER).user.full_name in page
    assert response.context["left"] == [gone]
    assert f"/hoc-sinh/lop/{klass.pk}/xuat.xlsx" in page
    assert web_client(world.a.m(Role.STUDENT)).get(f"/hoc-sinh/lop/{klass.pk}/").status_code == 404
    classes = web_client(world.a.m(Role.PRINCIPAL)).get("/hoc-sinh/lop/").content.decode()
    assert f"/hoc-sinh/lop/{klass.pk}/" in classes and f"/hoc-sinh/lop/{world.b.klass.pk}/" not in classes


def test_the_class_list_exports_in_the_import_columns(world):
    e = enrolment(world.a)
    Guardian.objects.create(student=e.student, relation="mother", full_name="Lê Thị Mai", phone="0912345678")
    response = web_client(world.a.m(Role.PRINCIPAL)).get(f"/hoc-sinh/lop/{world.a.klass.pk}/xuat.xlsx")
    ws = load_workbook(io.BytesIO(response.content)).worksheets[0]
    headers = [c.value for c in ws[1]]
    assert headers == [c.header for c in ClassListImporter.columns]
    row = dict(zip(headers, [c.value for c in ws[2]], strict=True))
    assert row["Mã định danh"] == e.student.learner_code and row["Lớp"] == world.a.klass.name
    assert (row["Họ tên mẹ"], row["SĐT mẹ"]) == ("Lê Thị Mai", "0912345678")


def test_last_years_teacher_no_longer_reads_the_record_nor_the_family(world):
    """A teacher reads the personal record (address, family) of the learners of their classes of
    the current year only; last year's class still shows them in its own list (enrolments)."""
    from sms.accounts.scoping import visible_to
    from sms.org.services import create_school_year

    a = world.a
    old_year = create_school_year(a.school, 2025, make_current=False)
    old_class = SchoolClass.objects.create(
        school=a.school, school_year=old_year, grade=a.klass.grade, name="6B", homeroom_teacher=a.m("teacher2").user
    )
    s = student(a)
    old = Enrolment.objects.create(school=a.school, student=s, school_year=old_year, school_class=old_class)
    Enrolment.objects.create(school=a.school, student=s, school_year=a.year, school_class=a.klass)
    mother = Guardian.objects.create(student=s, relation="mother", full_name="Lê Thị Mai", phone="0912345678")
    last_year = world.actor(a.m("teacher2"))
    this_year = world.actor(a.m(Role.TEACHER))  # homeroom teacher of the current class
    assert not visible_to(last_year, Student).filter(pk=s.pk).exists()
    assert not visible_to(last_year, Guardian).filter(pk=mother.pk).exists()
    assert visible_to(last_year, Enrolment).filter(pk=old.pk).exists()
    assert visible_to(this_year, Student).filter(pk=s.pk).exists()
    assert visible_to(this_year, Guardian).filter(pk=mother.pk).exists()
    assert web_client(a.m("teacher2")).get(s.get_absolute_url()).status_code == 404


def test_an_exemption_takes_the_learner_out_of_the_sheets_semester_result(world):
    """Adding (or moving) an exemption recomputes that learner's semester result in the grade
    book, so nothing stale is left for the year results."""
    from students import rules
    from students.models import Score, ScoreSheet, SubjectResult
    from students.services.gradebook import refresh_sheet_results

    a = world.a
    e = enrolment(a)
    semester = a.year.semesters.get(number=1)
    columns = rules.sheet_columns(
        rules.RuleSet.TT22, assessment="scored", periods_per_year=140, grade=6, subject_code="toan", semester=1
    )
    sheet = ScoreSheet.objects.create(
        school=a.school, semester=semester, school_class=a.klass, subject=a.subject,
        rule_set=rules.RuleSet.TT22, columns=ScoreSheet.freeze_columns(columns),
    )  # fmt: skip
    for key in ("tx1", "tx2", "tx3", "tx4", "gk", "ck"):
        Score.objects.create(school=a.school, sheet=sheet, enrolment=e, column=key, value="8")
    refresh_sheet_results(sheet)
    result = SubjectResult.objects.get(enrolment=e, subject=a.subject)
    assert (result.average, result.excluded) == (8, False)
    principal = world.actor(a.m(Role.PRINCIPAL))
    services.save_exemption(principal, Exemption(enrolment=e, subject=a.subject, reason="Sức khoẻ"))
    result.refresh_from_db()
    assert result.excluded is True
