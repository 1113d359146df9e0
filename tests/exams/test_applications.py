"""The public online application (Circular 53/2012 Art. 14.3c, level 3–4): the form inside its
window, files checked for type and size, duplicates and double clicks, the status lookup, the
correction asked for, the result once published; and the staff's review (exams/portal.py,
exams/services/applications.py, exams/views/applications.py, exams/api/applications.py).

Phòng 1 runs a grade-6 intake by review; schools A and C (both under Phòng 1) have quotas.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from exams.models import (
    AdmissionStatus,
    Application,
    ApplicationDocument,
    ApplicationStatus,
    BoardMember,
    BoardRole,
    Candidate,
    CandidateScore,
    CandidateSource,
    Exam,
    ExamKind,
    ExamSubject,
    PointRule,
    Quota,
)
from exams.services import applications as services
from exams.views import exam_pages
from sms.accounts.actors import Actor
from sms.accounts.roles import Role, UnitKind
from sms.accounts.scoping import visible_to
from sms.files.models import StoredFile
from sms.org.models import Unit
from sms.org.rules import SchoolType
from sms.portal.models import LookupLog
from tests.world import api_client, web_client

FORM = "/cong/tuyen-sinh/nop-ho-so/"
LIST = "/cong/tuyen-sinh/"
STATUS = "/cong/tuyen-sinh/tra-cuu/"
EDIT = "/cong/tuyen-sinh/bo-sung/"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


def actor(membership) -> Actor:
    return Actor(membership.user, membership)


def pdf(name="khai-sinh.pdf", data=PDF):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PORTAL_RATE_PER_IP = 60
    settings.PORTAL_MISSES_PER_IDENTIFIER = 10
    settings.SMS_TRUSTED_PROXY_COUNT = 0
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def intake(world):
    now = timezone.now()
    school_c = Unit.objects.create(
        kind=UnitKind.SCHOOL, school_type=SchoolType.C2, code="C2C", name="Trường THCS Cẩm Phú", parent=world.phong1
    )
    exam = Exam.objects.create(
        unit=world.phong1,
        kind=ExamKind.INTAKE_6,
        name="Tuyển sinh lớp 6 năm học 2026-2027",
        start_year=2026,
        choices_allowed=2,
        accepts_online=True,
        applications_open_at=now - dt.timedelta(days=1),
        applications_close_at=now + dt.timedelta(days=10),
    )
    Quota.objects.create(exam=exam, school=world.a.school, places=120)
    Quota.objects.create(exam=exam, school=school_c, places=90)
    rules = {
        "ut1": PointRule.objects.create(
            exam=exam, kind=PointRule.Kind.PRIORITY, code="ut1", label="Con liệt sĩ", points=Decimal("2")
        ),
        "kk1": PointRule.objects.create(
            exam=exam, kind=PointRule.Kind.BONUS, code="kk1", label="Giải nhất cấp tỉnh", points=Decimal("1.5")
        ),
        "td": PointRule.objects.create(
            exam=exam, kind=PointRule.Kind.DIRECT, code="td_khuyet_tat", label="Học sinh khuyết tật"
        ),
    }
    secretary = world.a.m("teacher2")
    BoardMember.objects.create(
        exam=exam, user=secretary.user, role=BoardRole.SECRETARIAT, home_unit=world.a.school, full_name="Thư Ký"
    )
    chair = world.a.m(Role.TEACHER)
    BoardMember.objects.create(
        exam=exam, user=chair.user, role=BoardRole.CHAIR, home_unit=world.a.school, full_name="Chủ Tịch"
    )
    return {"exam": exam, "school_c": school_c, "rules": rules, "secretary": secretary, "chair": chair}


def form_data(intake, **extra) -> dict:
    data = {
        "ky_thi": intake["exam"].pk,
        "full_name": "Nguyễn Văn An",
        "birth_date": "05/09/2015",
        "sex": "M",
        "personal_id": "",
        "ethnicity": "Kinh",
        "birthplace": "Tỉnh Thử Nghiệm",
        "address": "Thôn Đông, xã Đồng Tâm",
        "previous_school": "Trường Tiểu học Đồng Tâm",
        "guardian_name": "Nguyễn Văn Bình",
        "phone": "0912 345 678",
        "email": "",
        "choice_1": str(intake["school_c"].pk),
        "choice_2": "",
        "submit_key": "key-1",
    }
    data.update(extra)
    return data


def post_form(data, files=None, *, ip="203.0.113.7", client=None):
    payload = dict(data)
    payload.update(files if files is not None else {"doc_birth": pdf()})
    return (client or Client()).post(f"{FORM}?ky_thi={data['ky_thi']}", payload, REMOTE_ADDR=ip)


def submitted(intake, **extra) -> Application:
    response = post_form(form_data(intake, **extra))
    assert response.status_code == 200, response.content.decode()[:2000]
    return Application.objects.get(submit_key=extra.get("submit_key", "key-1"))


def lookup(reference, birth, *, ip="198.51.100.9", json_=False):
    data = {"reference": reference, "birth_date": birth}
    if json_:
        return Client().post(STATUS, json.dumps(data), content_type="application/json", REMOTE_ADDR=ip)
    return Client().post(STATUS, data, REMOTE_ADDR=ip)


# --- the public list and the window -------------------------------------------------------------------


def test_list_shows_open_exams_with_their_dates_and_greys_the_others(intake, world):
    now = timezone.now()
    Exam.objects.create(
        unit=world.so,
        kind=ExamKind.ADMISSION_10,
        name="Tuyển sinh lớp 10 sắp mở",
        start_year=2026,
        accepts_online=True,
        applications_open_at=now + dt.timedelta(days=5),
        applications_close_at=now + dt.timedelta(days=20),
    )
    Exam.objects.create(
        unit=world.so,
        kind=ExamKind.INTAKE_1,
        name="Tuyển sinh lớp 1 đã đóng",
        start_year=2026,
        accepts_online=True,
        applications_open_at=now - dt.timedelta(days=20),
        applications_close_at=now - dt.timedelta(days=5),
    )
    response = Client().get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    exam = intake["exam"]
    assert f'href="{FORM}?ky_thi={exam.pk}"' in html
    assert timezone.localtime(exam.applications_close_at).strftime("%H:%M %d/%m/%Y") in html
    upcoming, closed = html.index("Sắp nhận hồ sơ"), html.index("Đã hết hạn nộp hồ sơ")
    assert html.index("Tuyển sinh lớp 10 sắp mở") > upcoming
    assert html.index("Tuyển sinh lớp 1 đã đóng") > closed
    assert html.count("?ky_thi=") == 1  # only the open exam takes applications
    assert not response.cookies and "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    ("opens", "closes", "says"),
    [
        (dt.timedelta(days=1), dt.timedelta(days=5), "chưa mở nhận hồ sơ"),
        (-dt.timedelta(days=5), -dt.timedelta(minutes=1), "Đã hết hạn nộp hồ sơ"),
    ],
    ids=["before", "after"],
)
def test_outside_the_window_no_form_and_a_post_is_refused(intake, opens, closes, says):
    exam = intake["exam"]
    now = timezone.now()
    exam.applications_open_at, exam.applications_close_at = now + opens, now + closes
    exam.save()
    page = Client().get(FORM, {"ky_thi": exam.pk})
    assert page.status_code == 200
    assert says in page.content.decode()
    assert 'name="full_name"' not in page.content.decode()

    response = post_form(form_data(intake))  # a valid form, but the server's clock says closed
    assert response.status_code == 400
    assert says in response.content.decode()
    assert not Application.objects.exists() and not StoredFile.objects.exists()


def test_inside_the_window_the_form_asks_for_what_the_exam_needs(intake):
    response = Client().get(FORM, {"ky_thi": intake["exam"].pk})
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        'name="full_name"',
        'name="choice_1"',
        'name="choice_2"',
        'name="priority_claim"',
        'name="bonus_claim"',
        'name="doc_birth"',
        'name="doc_priority"',
        'name="doc_photo"',
        'enctype="multipart/form-data"',
        "Giấy khai sinh (bắt buộc)",
        "Trường THCS Cẩm Phú",
        "Con liệt sĩ",
        "Học sinh khuyết tật",
        '<option value="Mường">Mường</option>',
    ):
        assert text in html, text
    assert 'name="choice_3"' not in html  # the exam allows two choices
    assert 'name="submit_key"' in html


def test_unknown_or_offline_exam_is_a_404_page(intake, world):
    offline = Exam.objects.create(unit=world.phong1, kind=ExamKind.GIFTED, name="HSG", start_year=2026)
    for value in ("999999", "abc", str(offline.pk), "²", "١", "1.5", "-1", f"{intake['exam'].pk}²"):
        assert Client().get(FORM, {"ky_thi": value}).status_code == 404, value
    assert Client().get(FORM).status_code == 302


# --- submitting ---------------------------------------------------------------------------------------------


def test_submit_saves_the_application_its_files_and_history(intake):
    data = form_data(intake, full_name="Nguye\u0302\u0303n  Văn An", personal_id="001215000123")
    data["priority_claim"] = str(intake["rules"]["ut1"].pk)
    data["choice_2"] = str(intake["exam"].quotas.get(school__code="C2A").school_id)
    response = post_form(data, {"doc_birth": pdf(), "doc_priority": pdf("con-liet-si.pdf")})
    assert response.status_code == 200
    application = Application.objects.get()
    html = response.content.decode()
    assert application.reference in html and "Cần giữ lại" in html and STATUS in html
    assert application.full_name == "Nguyễn Văn An"  # NFC, spaces collapsed
    assert application.phone == "0912345678"
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.choices == [intake["school_c"].pk, intake["exam"].quotas.get(school__code="C2A").school_id]
    assert application.priority_claim == intake["rules"]["ut1"]
    documents = {d.kind: d.file for d in application.documents.select_related("file")}
    assert set(documents) == {ApplicationDocument.Kind.BIRTH, ApplicationDocument.Kind.PRIORITY}
    stored = documents[ApplicationDocument.Kind.BIRTH]
    assert (stored.unit, stored.uploaded_by, stored.private, stored.purpose) == (
        intake["exam"].unit,
        None,
        True,
        "exam-application",
    )
    assert stored.content_type == "application/pdf" and stored.read_bytes() == PDF
    (record,) = application.history.all()
    assert record.history_user is None and record.history_ip == "203.0.113.7"
    assert not response.cookies


def test_a_double_click_makes_one_application(intake):
    first = post_form(form_data(intake))
    second = post_form(form_data(intake))
    assert first.status_code == second.status_code == 200
    application = Application.objects.get()
    assert application.reference in first.content.decode() and application.reference in second.content.decode()
    assert StoredFile.objects.count() == 1


def test_a_reused_submit_key_for_another_person_is_refused(intake):
    submitted(intake)
    response = post_form(form_data(intake, full_name="Trần Thị Cúc", birth_date="01/01/2015", phone="0987654321"))
    assert response.status_code == 400
    assert "tải lại trang" in response.content.decode()
    assert Application.objects.count() == 1


PID = "001215000123"


@pytest.mark.parametrize(
    "second",
    [
        {"personal_id": PID},
        {"personal_id": PID, "full_name": "nguyen van AN", "phone": "0987654321", "address": "Nơi khác"},
        {"personal_id": "0012 1500 0123", "full_name": "Nguyễn  Văn Ân"},  # typed with spaces / other marks
    ],
    ids=["same", "same-person-other-contact", "same-person-other-typing"],
)
def test_the_same_person_is_refused_without_saying_what_matched(intake, second):
    first = submitted(intake, personal_id=PID)
    response = post_form(form_data(intake, submit_key="key-2", **second))
    assert response.status_code == 400
    html = response.content.decode()
    assert "đã có hồ sơ" in html and "tra cứu" in html
    # neither the field that matched nor the earlier reference
    for leak in ("định danh cá nhân (", "trùng", first.reference, "họ tên, ngày sinh"):
        assert leak not in html, leak
    assert Application.objects.count() == 1


@pytest.mark.parametrize(
    ("second", "why"),
    [
        # a stranger typing someone's personal id (or a typo) does not block them, nor learn anything
        ({"personal_id": PID, "full_name": "Trần Thị Cúc", "sex": "F"}, services.SAME_PID),
        ({"personal_id": PID, "birth_date": "06/09/2015"}, services.SAME_PID),
        # name and date of birth (and even the phone), no personal id: twins, namesakes…
        ({"personal_id": "", "full_name": "nguyen van an", "phone": "+84 912 345 678"}, services.SAME_NAME_DOB),
        ({"personal_id": "001215000999"}, services.SAME_NAME_DOB),
    ],
    ids=["pid-other-name", "pid-other-birth", "name-dob-phone", "name-dob-other-pid"],
)
def test_a_partial_match_is_accepted_and_flagged_for_the_staff(intake, world, second, why, django_assert_num_queries):
    first = submitted(intake, personal_id=PID)
    response = post_form(form_data(intake, submit_key="key-2", **second))
    assert response.status_code == 200, response.content.decode()[:2000]
    html = response.content.decode()
    assert first.reference not in html and "trùng" not in html
    new = Application.objects.get(submit_key="key-2")
    assert new.status == ApplicationStatus.SUBMITTED
    # the staff see both: on each application, the other one and why
    staff = visible_to(actor(world.members["phong1_admin"]), Application)
    assert [(a.pk, reason) for a, reason in services.possible_duplicates(new, staff)] == [(first.pk, why)]
    assert [(a.pk, reason) for a, reason in services.possible_duplicates(first, staff)] == [(new.pk, why)]
    assert first.reference in new.history.get().history_change_reason  # the note on the staff page's history
    # the whole list in one query
    page = list(staff.filter(exam=intake["exam"]))
    with django_assert_num_queries(1):
        flags = services.duplicates_of(page, staff)
    assert set(flags) == {first.pk, new.pk}
    # someone who does not see the exam's applications learns nothing from it
    outsider = visible_to(actor(world.members["phong2_admin"]), Application)
    assert services.possible_duplicates(new, outsider) == []


def test_an_unrelated_application_is_not_flagged(intake, world):
    first = submitted(intake, personal_id=PID)
    other = submitted(intake, submit_key="key-2", personal_id="001215000999", full_name="Lê Văn Dũng")
    staff = visible_to(actor(world.members["phong1_admin"]), Application)
    assert services.possible_duplicates(first, staff) == [] and services.possible_duplicates(other, staff) == []
    assert other.history.get().history_change_reason == "Nộp hồ sơ trực tuyến"


def test_a_double_click_still_gives_the_first_application_back(intake):
    first = submitted(intake, personal_id=PID)
    again = post_form(form_data(intake, personal_id=PID))  # the same submit key
    assert again.status_code == 200 and first.reference in again.content.decode()
    assert Application.objects.count() == 1


def test_a_correction_matching_another_live_application_is_refused_generically(intake, world):
    first = submitted(intake, personal_id=PID)
    second = submitted(intake, submit_key="key-2", personal_id=PID, full_name="Trần Thị Cúc", sex="F")
    services.needs_changes(actor(world.members["phong1_admin"]), second, "Sửa họ tên")
    data = {k: v for k, v in form_data(intake, personal_id=PID).items() if k != "submit_key"}
    response = Client().post(EDIT, {**data, "token": services.edit_token(second)})
    assert response.status_code == 400
    html = response.content.decode()
    assert "đã có hồ sơ" in html and first.reference not in html
    second.refresh_from_db()
    assert (second.full_name, second.status) == ("Trần Thị Cúc", ApplicationStatus.NEEDS_CHANGES)


def test_a_rejected_application_does_not_block_a_new_one(intake, world):
    application = submitted(intake)
    services.reject(actor(world.members["phong1_admin"]), application, "Sai thông tin")
    assert post_form(form_data(intake, submit_key="key-2")).status_code == 200
    assert Application.objects.count() == 2


@pytest.mark.parametrize(
    ("files", "field", "message"),
    [
        ({"doc_birth": pdf("khai-sinh.pdf", EXE)}, "doc_birth", "không phải là tệp PDF hợp lệ"),
        (
            {"doc_birth": pdf("khai-sinh.pdf", PDF + b"0" * (5 * 1024 * 1024))},
            "doc_birth",
            "vượt quá giới hạn 5 MB",
        ),
        (
            {"doc_birth": pdf(), "doc_photo": SimpleUploadedFile("anh.gif", b"GIF89a" + b"\x00" * 20)},
            "doc_photo",
            "không thuộc loại được phép (chỉ nhận PDF, JPG, PNG)",
        ),
        ({"doc_birth": SimpleUploadedFile("khai-sinh.png", PDF)}, "doc_birth", "không phải là tệp PNG hợp lệ"),
        ({}, "doc_birth", "chưa chọn tệp"),
    ],
    ids=["exe-named-pdf", "too-large", "wrong-type", "pdf-named-png", "missing"],
)
def test_a_bad_file_names_its_field_and_nothing_is_saved(intake, settings, files, field, message):
    data = form_data(intake)
    response = post_form(data, {"doc_birth": pdf(), **files} if field != "doc_birth" else files)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    label = "Giấy khai sinh" if field == "doc_birth" else "Ảnh chân dung"
    assert f"{label}:" in html and f'href="#id_{field}"' in html and f'id="id_{field}-error"' in html
    assert not Application.objects.exists() and not StoredFile.objects.exists()
    assert not (settings.MEDIA_ROOT).exists() or not any(p.is_file() for p in settings.MEDIA_ROOT.rglob("*"))


def test_all_files_together_at_most_15_mb(intake):
    big = PDF + b"0" * (4 * 1024 * 1024)
    files = {
        "doc_birth": pdf("a.pdf", big),
        "doc_residence": pdf("b.pdf", big),
        "doc_transcript": pdf("c.pdf", big),
        "doc_photo": SimpleUploadedFile("d.png", PNG + b"0" * (4 * 1024 * 1024)),
    }
    response = post_form(form_data(intake), files)
    assert response.status_code == 400
    assert "vượt quá giới hạn 15 MB" in response.content.decode()
    assert not Application.objects.exists() and not StoredFile.objects.exists()


def test_a_claim_needs_its_proof(intake):
    data = form_data(intake, bonus_claim=str(intake["rules"]["kk1"].pk))
    response = post_form(data)
    assert response.status_code == 400
    assert "Minh chứng ưu tiên, khuyến khích: bắt buộc" in response.content.decode()
    assert not Application.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"full_name": ""}, "full_name", "Chưa nhập họ và tên"),
        ({"birth_date": "2015-13-40"}, "birth_date", "dd/mm/yyyy"),
        ({"birth_date": "09/05/2099"}, "birth_date", "không hợp lệ"),
        ({"sex": ""}, "sex", "Nam hoặc Nữ"),
        ({"personal_id": "12345678901"}, "personal_id", "đúng 12 chữ số"),
        ({"personal_id": "١٢٣٤٥٦٧٨٩٠١٢"}, "personal_id", "đúng 12 chữ số"),  # Arabic-Indic digits
        ({"personal_id": "00121500012²"}, "personal_id", "đúng 12 chữ số"),
        ({"phone": "٠٩١٢٣٤٥٦٧٨"}, "phone", "10 chữ số"),
        ({"choice_1": "²"}, "choice_1", "vọng 1"),
        ({"phone": "0212345678"}, "phone", "bắt đầu bằng 03, 05, 07, 08 hoặc 09"),
        ({"phone": "091234567"}, "phone", "10 chữ số"),
        ({"email": "khong-phai-thu"}, "email", "không hợp lệ"),
        ({"ethnicity": "Không rõ"}, "ethnicity", "danh mục"),
        ({"choice_1": "", "choice_2": ""}, "choice_1", "ít nhất nguyện vọng 1"),
        ({"choice_2": "SAME"}, "choice_2", "đã chọn ở nguyện vọng trước"),
        ({"choice_1": "", "choice_2": "C"}, "choice_2", "không bỏ trống nguyện vọng trước"),
        ({"choice_1": "NOQUOTA"}, "choice_1", "không có chỉ tiêu"),
        ({"priority_claim": "KK1"}, "priority_claim", "không có trong bảng"),
    ],
)
def test_field_rules_name_the_field(intake, world, changes, field, message):
    values = {
        "SAME": str(intake["school_c"].pk),
        "C": str(intake["school_c"].pk),
        "NOQUOTA": str(world.b.school.pk),
        "KK1": str(intake["rules"]["kk1"].pk),
    }
    data = {k: values.get(v, v) for k, v in form_data(intake, **changes).items()}
    with pytest.raises(services.ValidationError) as caught:
        services.clean_application(intake["exam"], data)
    assert field in caught.value.message_dict
    assert message in " ".join(caught.value.message_dict[field])


def test_a_non_admission_exam_takes_no_choices(intake, world):
    now = timezone.now()
    gifted = Exam.objects.create(
        unit=world.phong1,
        kind=ExamKind.GIFTED,
        name="HSG",
        start_year=2026,
        accepts_online=True,
        applications_open_at=now - dt.timedelta(hours=1),
        applications_close_at=now + dt.timedelta(hours=1),
    )
    with pytest.raises(services.ValidationError) as caught:
        services.clean_application(gifted, {**form_data(intake), "choice_1": str(world.a.school.pk)})
    assert "không xét nguyện vọng" in caught.value.message_dict["choice_1"][0]


def test_posts_are_throttled_per_ip(intake, settings):
    settings.PORTAL_RATE_PER_IP = 2
    assert post_form(form_data(intake, submit_key="k1")).status_code == 200
    assert post_form(form_data(intake, submit_key="k1")).status_code == 200
    third = post_form(form_data(intake, submit_key="k3", personal_id="001215000999"))
    assert third.status_code == 429 and int(third["Retry-After"]) > 0
    assert "quá nhiều lần" in third.content.decode()
    # another IP is not throttled (a namesake without a personal id is accepted, flagged for the staff)
    assert post_form(form_data(intake, submit_key="k3"), ip="203.0.113.99").status_code == 200


# --- the status lookup -----------------------------------------------------------------------------------------


def test_status_lookup_hit_shows_status_and_documents(intake):
    application = submitted(intake)
    response = lookup(application.reference.lower(), "05/09/2015")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Đã nộp, chờ xét" in html and "khai-sinh.pdf" in html and "Trường THCS Cẩm Phú" in html
    assert "Số báo danh" not in html and 'name="token"' not in html
    assert not response.cookies
    log = LookupLog.objects.get()
    assert (log.kind, log.identifier, log.found, log.unit_id) == (
        "exam-application",
        application.reference,
        True,
        intake["exam"].unit_id,
    )


def test_status_lookup_answers_json(intake):
    application = submitted(intake)
    body = lookup(application.reference, "05/09/2015", json_=True).json()
    assert body["found"] is True
    result = body["result"]
    assert result["status"] == "submitted" and result["status_display"] == "Đã nộp, chờ xét"
    assert result["documents"] == [{"kind": "birth", "kind_display": "Giấy khai sinh", "name": "khai-sinh.pdf"}]
    assert result["result"] is None and "phone" not in result


def test_status_lookup_miss_is_one_answer_and_misses_are_throttled(intake, settings):
    application = submitted(intake)
    settings.PORTAL_MISSES_PER_IDENTIFIER = 2
    wrong_dob = lookup(application.reference, "06/09/2015")
    unknown = lookup("HSXXXXXXXXXX", "05/09/2015")
    assert wrong_dob.status_code == unknown.status_code == 200
    assert wrong_dob.content == unknown.content
    assert "Đã nộp" not in wrong_dob.content.decode()
    assert lookup(application.reference, "07/09/2015").status_code == 200  # second miss
    throttled = lookup(application.reference, "05/09/2015")  # even the right secret, now
    assert throttled.status_code == 429


# --- the correction asked for ------------------------------------------------------------------------------------


def test_needs_changes_then_the_applicant_fixes_and_resubmits(intake, world):
    application = submitted(intake)
    services.needs_changes(actor(world.members["phong1_admin"]), application, "Ảnh giấy khai sinh bị mờ")
    page = lookup(application.reference, "05/09/2015").content.decode()
    assert "Cần bổ sung: Ảnh giấy khai sinh bị mờ" in page
    token = page.split('name="token" value="')[1].split('"')[0]
    data = form_data(intake, token=token, address="Thôn Tây, xã Đồng Tâm")
    data.pop("submit_key")
    response = Client().post(EDIT, {**data, "doc_birth": pdf("khai-sinh-ro.pdf")}, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 200, response.content.decode()[:1500]
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.address == "Thôn Tây, xã Đồng Tâm"
    assert sorted(d.file.name for d in application.documents.all()) == ["khai-sinh-ro.pdf", "khai-sinh.pdf"]
    reasons = list(application.history.order_by("history_date").values_list("history_change_reason", flat=True))
    assert reasons == ["Nộp hồ sơ trực tuyến", "Yêu cầu bổ sung", "Người nộp bổ sung hồ sơ"]
    # the token cannot be replayed once the application is back with the staff
    again = Client().post(EDIT, data)
    assert again.status_code == 400 and "Đã nộp, chờ xét" in again.content.decode()


def test_the_correction_follows_the_same_rules(intake, world):
    application = submitted(intake)
    services.needs_changes(actor(world.members["phong1_admin"]), application, "Bổ sung")
    token = services.edit_token(application)
    data = {**form_data(intake, token=token, phone="123"), "doc_photo": pdf("anh.pdf", EXE)}
    response = Client().post(EDIT, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "bắt đầu bằng 03" in html and "Ảnh chân dung:" in html
    application.refresh_from_db()
    assert application.status == ApplicationStatus.NEEDS_CHANGES and application.phone == "0912345678"
    assert application.documents.count() == 1


def test_a_forged_or_expired_token_opens_nothing(intake, world, settings):
    application = submitted(intake)
    services.needs_changes(actor(world.members["phong1_admin"]), application, "Bổ sung")
    forged = services.edit_token(application)[:-2] + "xx"
    assert Client().post(EDIT, {**form_data(intake), "token": forged}).status_code == 403
    assert services.from_edit_token(services.edit_token(application), max_age=-1) is None
    assert Client().get(EDIT).status_code == 302


# --- the staff's review ----------------------------------------------------------------------------------------


def test_accept_makes_the_candidate_with_choices_once(intake, world):
    data = form_data(
        intake,
        personal_id="001215000123",
        priority_claim=str(intake["rules"]["td"].pk),
        bonus_claim=str(intake["rules"]["kk1"].pk),
        choice_2=str(world.a.school.pk),
    )
    assert post_form(data, {"doc_birth": pdf(), "doc_priority": pdf("giai.pdf")}).status_code == 200
    application = Application.objects.get()
    reviewer = actor(world.members["phong1_staff"])
    candidate = services.accept(reviewer, application)
    assert services.accept(reviewer, application) == candidate  # idempotent
    assert Candidate.objects.count() == 1
    assert candidate.source == CandidateSource.ONLINE
    assert (candidate.full_name, candidate.birth_date, candidate.personal_id, candidate.school_name) == (
        "Nguyễn Văn An",
        dt.date(2015, 9, 5),
        "001215000123",
        "Trường Tiểu học Đồng Tâm",
    )
    assert candidate.direct == intake["rules"]["td"] and candidate.bonus == intake["rules"]["kk1"]
    assert candidate.priority is None and candidate.school is None
    assert [(c.rank, c.school_id) for c in candidate.choices.all()] == [
        (1, intake["school_c"].pk),
        (2, world.a.school.pk),
    ]
    application.refresh_from_db()
    assert application.status == ApplicationStatus.ACCEPTED and application.candidate == candidate
    assert application.reviewed_by == reviewer.user


def test_review_rules(intake, world):
    application = submitted(intake)
    admin = actor(world.members["phong1_admin"])
    with pytest.raises(services.ValidationError) as caught:
        services.needs_changes(admin, application, "  ")
    assert "note" in caught.value.message_dict
    services.reject(admin, application, "Không đúng đối tượng")
    with pytest.raises(services.ValidationError):
        services.accept(admin, application)
    assert not Candidate.objects.exists()
    # the chair reads but does not review; a teacher off the board does not even read
    with pytest.raises(services.PermissionDenied):
        services.reject(actor(intake["chair"]), application, "x")


def test_accept_refuses_a_personal_id_already_a_candidate(intake, world):
    Candidate.objects.create(
        exam=intake["exam"], full_name="Khác", birth_date=dt.date(2015, 1, 1), sex="F", personal_id="001215000123"
    )
    application = submitted(intake, personal_id="001215000123")
    with pytest.raises(services.ValidationError) as caught:
        services.accept(actor(world.members["phong1_admin"]), application)
    assert "personal_id" in caught.value.message_dict
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED and Candidate.objects.count() == 1


def test_the_result_is_answered_only_after_publication(intake, world):
    application = submitted(intake)
    candidate = services.accept(actor(intake["secretary"]), application)
    subject = ExamSubject.objects.create(exam=intake["exam"], code="toan", name="Toán", duration_minutes=90)
    CandidateScore.objects.create(candidate=candidate, exam_subject=subject, score=Decimal("7.25"))
    Candidate.objects.filter(pk=candidate.pk).update(
        number="060001",
        admission_status=AdmissionStatus.ADMITTED,
        admitted_to=intake["school_c"],
        admitted_choice=1,
    )
    before = lookup(application.reference, "05/09/2015").content.decode()
    assert "Hồ sơ hợp lệ" in before and "060001" not in before and "7,25" not in before
    assert lookup(application.reference, "05/09/2015", json_=True).json()["result"]["result"] is None

    exam = intake["exam"]
    exam.results_publish_at = timezone.now() - dt.timedelta(minutes=1)
    exam.save()
    after = lookup(application.reference, "05/09/2015").content.decode()
    assert "060001" in after and "Điểm Toán" in after and "7,25" in after
    assert "Trúng tuyển" in after and "Trường THCS Cẩm Phú (nguyện vọng 1)" in after
    result = lookup(application.reference, "05/09/2015", json_=True).json()["result"]["result"]
    assert result["number"] == "060001" and result["scores"][0]["score"] == "7.25"
    assert result["admission_status"] == "admitted" and result["admitted_to"] == "Trường THCS Cẩm Phú"


# --- staff pages and the door -------------------------------------------------------------------------------------


def test_staff_list_filters_and_searches(intake, world, django_assert_max_num_queries):
    first = submitted(intake)
    second = submitted(
        intake, submit_key="key-2", full_name="Trần Thị Đào", birth_date="01/02/2015", phone="0987654321"
    )
    services.needs_changes(actor(world.members["phong1_admin"]), second, "Bổ sung")
    client = web_client(world.members["phong1_admin"])
    url = reverse("exams:exam-applications", kwargs={"pk": intake["exam"].pk})
    with django_assert_max_num_queries(14):
        html = client.get(url).content.decode()
    assert first.reference in html and second.reference in html
    html = client.get(url, {"status": "needs_changes"}).content.decode()
    assert second.reference in html and first.reference not in html
    html = client.get(url, {"q": "tran thi dao"}).content.decode()
    assert second.reference in html and first.reference not in html
    html = client.get(url, {"q": first.reference.lower()}).content.decode()
    assert first.reference in html and second.reference not in html


def test_list_query_count_does_not_grow(intake, world, django_assert_max_num_queries):
    for n in range(12):
        Application.objects.create(
            exam=intake["exam"],
            full_name=f"Người Số {n}",
            birth_date=dt.date(2015, 1, 1),
            sex="F",
            address="x",
            guardian_name="y",
            phone="0912345678",
        )
    client = web_client(world.members["phong1_admin"])
    with django_assert_max_num_queries(14):
        assert client.get(reverse("exams:exam-applications", kwargs={"pk": intake["exam"].pk})).status_code == 200
    api = api_client(world.members["phong1_admin"])
    with django_assert_max_num_queries(12):
        body = api.get("/api/exams/applications/", {"exam": intake["exam"].pk}).json()
    assert body["count"] == 12


def test_detail_page_reviews_through_the_html_forms(intake, world):
    application = submitted(intake)
    client = web_client(world.members["phong1_admin"])
    detail = client.get(application.get_absolute_url())
    html = detail.content.decode()
    assert detail.status_code == 200
    assert application.documents.get().get_absolute_url() in html and "Chấp nhận hồ sơ" in html
    response = client.post(reverse("exams:application-needs-changes", kwargs={"pk": application.pk}), {"note": ""})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    client.post(reverse("exams:application-accept", kwargs={"pk": application.pk}), {"note": ""})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.ACCEPTED and application.candidate is not None


def test_the_exam_page_links_to_the_applications_for_who_may_see_them(intake, world):
    exam = intake["exam"]
    labels = lambda m: [label for label, _ in exam_pages(actor(m), exam)]  # noqa: E731
    assert "Hồ sơ trực tuyến" in labels(world.members["phong1_admin"])
    assert "Hồ sơ trực tuyến" in labels(intake["secretary"])
    assert "Hồ sơ trực tuyến" not in labels(world.a.m("clerk"))
    assert "Hồ sơ trực tuyến" not in labels(world.members["phong2_admin"])


def test_another_subtree_gets_404_and_anonymous_cannot_download(intake, world):
    application = submitted(intake)
    document = application.documents.get()
    outsider = web_client(world.members["phong2_admin"])
    for url in (
        application.get_absolute_url(),
        document.get_absolute_url(),
        reverse("exams:exam-applications", kwargs={"pk": intake["exam"].pk}),
    ):
        assert outsider.get(url).status_code == 404, url
    for name in ("application-accept", "application-needs-changes", "application-reject"):
        assert outsider.post(reverse(f"exams:{name}", kwargs={"pk": application.pk}), {"note": "x"}).status_code == 404
    api = api_client(world.members["phong2_admin"])
    assert api.get(f"/api/exams/applications/{application.pk}/").status_code == 404
    assert api.post(f"/api/exams/applications/{application.pk}/accept/", {}, format="json").status_code == 404
    # a teacher of school A who is not on the board reads nothing either
    assert web_client(world.a.m("clerk")).get(document.get_absolute_url()).status_code == 404

    anonymous = Client().get(document.get_absolute_url())
    assert anonymous.status_code == 302 and "/tai-khoan/dang-nhap/" in anonymous["Location"]
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED

    download = web_client(world.members["phong1_admin"]).get(document.get_absolute_url())
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PDF


def test_api_review_by_the_secretariat_not_the_chair(intake, world):
    application = submitted(intake)
    chair = api_client(intake["chair"])
    assert chair.get(f"/api/exams/applications/{application.pk}/").status_code == 200
    refused = chair.post(f"/api/exams/applications/{application.pk}/accept/", {}, format="json")
    assert refused.status_code == 403
    secretary = api_client(intake["secretary"])
    body = secretary.post(
        f"/api/exams/applications/{application.pk}/needs-changes/", {"note": "Thiếu học bạ"}, format="json"
    ).json()
    assert body["status"] == "needs_changes" and body["staff_note"] == "Thiếu học bạ"
    bad = secretary.post(f"/api/exams/applications/{application.pk}/reject/", {"note": ""}, format="json")
    assert bad.status_code == 400 and "note" in bad.json()["errors"]
    accepted = secretary.post(f"/api/exams/applications/{application.pk}/accept/", {}, format="json").json()
    assert accepted["status"] == "accepted" and accepted["candidate"] is not None
    listed = secretary.get("/api/exams/applications/", {"status": "accepted"}).json()
    assert [row["reference"] for row in listed["results"]] == [application.reference]
    assert listed["results"][0]["documents"][0]["download_url"].endswith(f"/{application.documents.get().pk}/")


def test_no_board_seat_no_reach(intake, world):
    application = submitted(intake)
    api = api_client(world.a.m(Role.PRINCIPAL))  # an admin of school A, under Phòng 1, not the organiser
    assert api.get(f"/api/exams/applications/{application.pk}/").status_code == 404


def test_a_correction_asked_for_is_taken_after_the_window_closed(intake, world):
    application = submitted(intake)
    services.needs_changes(actor(world.members["phong1_admin"]), application, "Sửa địa chỉ")
    exam = intake["exam"]
    exam.applications_close_at = timezone.now() - dt.timedelta(minutes=1)
    exam.save()
    data = {k: v for k, v in form_data(intake, address="Thôn Bắc").items() if k != "submit_key"}
    response = Client().post(EDIT, {**data, "token": services.edit_token(application)})
    assert response.status_code == 200
    application.refresh_from_db()
    assert (application.status, application.address) == (ApplicationStatus.SUBMITTED, "Thôn Bắc")
    # while a new application is refused
    assert post_form(form_data(intake, submit_key="key-9", personal_id="001215000777")).status_code == 400
