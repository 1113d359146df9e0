"""The register after review: who may configure which issuer, one completion certificate per learner, books of a type
the issuer no longer issues, exports in the audit log, the copy's requester papers for keepers only, bounded ids,
no back-dated entries, the school of a diploma issued by hand, the history of an issuer's coverage, the copy's own
signer, list captions, and the API's issue response in a constant number of queries.

The world of ``test_register``: Phòng 1 keeps the THCS register of its schools (school A); school X (THPT, under the
Sở) gets THPT diplomas from the Sở and completion certificates from its principal.
"""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pypdf
import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from exams.models import Diploma, DiplomaCopy, GraduationLevel, Issuer
from exams.register_import import RegisterImporter
from exams.services import register as services
from sms.accounts.roles import Role
from sms.audit.models import AuditEvent, EventKind
from sms.imports import Status
from students.models import Student
from tests.world import api_client, grant, make_user, web_client

from .test_register import (
    DECISION,
    ISSUED,
    actor,
    decided_round,
    entry,
    graduates,
    issue,
    one_diploma,
    phong_issuer,
    thpt_setup,
)


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def by_hand(world, issuer, *, who="p1_staff", **change) -> Diploma:
    values = dict(
        kind="thcs", serial="H 0000001", issued_on=ISSUED, graduation_year=2026, decision_number="45/QĐ",
        decision_date=DECISION, school_name="Trường THCS Cũ", full_name="Người Nhập Tay",
        birth_date=dt.date(2011, 1, 2), sex="F",
    )  # fmt: skip
    values.update(change)
    return services.issue_one(actor(world, who), issuer, **values)


def copy_of(world, diploma, issued_on, **extra):
    values = dict(requester_name="Người Yêu Cầu", relation="holder", requester_id_number="001089012345")
    values.update(extra)
    return services.issue_copy(actor(world, "p1_staff"), diploma, issued_on=issued_on, **values)


# --- 0. a school keeps only the register of its completion certificates -----------------------------------------------


@pytest.mark.parametrize(
    ("who", "unit", "kinds"),
    [
        ("a_principal", "a", ["thcs"]),  # the principal would recognise and issue their own graduates' diplomas
        ("a_school_admin", "a", ["completion", "thpt"]),
        ("p1_admin", "a", ["thcs"]),  # the Phòng's admin cannot put a THCS register in a school either
    ],
)
def test_a_school_cannot_keep_a_thcs_or_thpt_register(world, who, unit, kinds):
    with pytest.raises(ValidationError) as refused:
        services.create_issuer(
            actor(world, who),
            unit=getattr(world, unit).school,
            name="Hiệu trưởng",
            signer_title="Hiệu trưởng",
            signer_name="Hà Văn Hiệu",
            kinds=kinds,
        )
    assert "kinds" in refused.value.message_dict
    assert "chỉ giữ sổ gốc cấp giấy chứng nhận hoàn thành" in refused.value.message_dict["kinds"][0]
    assert not Issuer.objects.exists()


def test_a_school_keeps_its_completion_register_and_cannot_widen_it(world):
    principal = actor(world, "a_principal")
    own = services.create_issuer(
        principal,
        unit=world.a.school,
        name="Hiệu trưởng",
        signer_title="Hiệu trưởng",
        signer_name="Hà Văn Hiệu",
        kinds=["completion"],
    )
    with pytest.raises(ValidationError) as refused:
        services.update_issuer(principal, own, kinds=["completion", "thcs"])
    assert "kinds" in refused.value.message_dict
    own.refresh_from_db()
    assert own.kinds == ["completion"]
    # the Phòng keeps THCS registers
    phong = services.create_issuer(
        actor(world, "p1_admin"),
        unit=world.phong1,
        name="Trưởng phòng",
        signer_title="Trưởng phòng",
        signer_name="A",
        kinds=["thcs"],
    )
    assert phong.kinds == ["thcs"]


def test_the_api_names_the_kinds_when_a_school_asks_for_a_thpt_register(world):
    response = api_client(world.a.m(Role.PRINCIPAL)).post(
        "/api/exams/issuers/",
        {
            "unit": world.a.school.pk,
            "name": "Hiệu trưởng",
            "signer_title": "Hiệu trưởng",
            "signer_name": "Hà Văn Hiệu",
            "kinds": ["thpt"],
        },
        format="json",
    )
    assert response.status_code == 400
    assert "chỉ giữ sổ gốc cấp giấy chứng nhận hoàn thành" in response.json()["errors"]["kinds"][0]
    assert not Issuer.objects.exists()


# --- 1. the dossier: keepers only, each download logged ---------------------------------------------------------------


def test_a_dossier_download_is_logged_and_its_links_show_to_keepers_only(world):
    diploma = one_diploma(world)
    from .test_register import correct

    correction = correct(world, diploma, {"full_name": "Học Sinh Thứ Một"})
    dossier = correction.dossier.order_by("kind").first()
    url = reverse("exams:dossierfile-download", kwargs={"pk": dossier.pk})
    response = web_client(world.members["phong1_staff"]).get(url)
    assert response.status_code == 200
    event = AuditEvent.objects.get(kind=EventKind.RECORD_READ, object_type="exams.DossierFile")
    assert event.object_id == str(dossier.pk) and event.unit == world.phong1
    assert event.user == world.members["phong1_staff"].user
    # the keeper sees the dossier's links on the diploma's page; the holder's school reads the page without them
    keeper_page = web_client(world.members["phong1_staff"]).get(diploma.get_absolute_url()).content.decode()
    assert url in keeper_page and ">Hồ sơ</th>" in keeper_page
    school_page = web_client(world.a.m(Role.PRINCIPAL)).get(diploma.get_absolute_url()).content.decode()
    assert "Học Sinh Thứ Một" in school_page
    assert url not in school_page and ">Hồ sơ</th>" not in school_page
    assert web_client(world.a.m(Role.PRINCIPAL)).get(url).status_code == 404


# --- 2. the requester's identity papers in the API --------------------------------------------------------------------


def test_the_api_gives_a_copys_requester_papers_to_keepers_only(world):
    diploma = one_diploma(world)
    copy_of(world, diploma, dt.date(2026, 11, 2), relation="representative", authorisation="Giấy ủy quyền số 12")
    keeper = api_client(world.members["phong1_staff"]).get("/api/exams/diploma-copies/").json()["results"]
    assert keeper[0]["requester_id_number"] == "001089012345"
    assert keeper[0]["authorisation"] == "Giấy ủy quyền số 12"
    for member in (world.a.m(Role.PRINCIPAL), world.a.m(Role.TEACHER)):
        body = api_client(member).get("/api/exams/diploma-copies/").json()["results"]
        assert [c["number_label"] for c in body] == ["00001/BS-THCS/2026"]
        assert "requester_id_number" not in body[0] and "authorisation" not in body[0]
        one = api_client(member).get(f"/api/exams/diploma-copies/{body[0]['id']}/").json()
        assert "requester_id_number" not in one and "authorisation" not in one


# --- 3. exports in the audit log --------------------------------------------------------------------------------------


def _exports():
    return list(AuditEvent.objects.filter(kind=EventKind.EXPORT).order_by("pk").values_list("detail", flat=True))


def test_every_export_of_the_register_is_logged_with_the_issuer_book_and_year(world):
    diploma = one_diploma(world)
    copy = copy_of(world, diploma, dt.date(2026, 11, 2))
    issuer = diploma.issuer
    pk = {"pk": issuer.pk}
    book = "?loai=thcs&nam=2026"
    web = web_client(world.members["phong1_staff"])
    api = api_client(world.members["phong1_staff"])
    responses = [
        web.get(reverse("exams:issuer-register-pdf", kwargs=pk) + book),
        web.get(reverse("exams:issuer-register-xlsx", kwargs=pk) + book),
        web.get(reverse("exams:issuer-register-template", kwargs=pk)),
        web.get(reverse("exams:diplomacopy-pdf", kwargs={"pk": copy.pk})),
        api.get(f"/api/exams/issuers/{issuer.pk}/register/pdf/?kind=thcs&year=2026"),
        api.get(f"/api/exams/issuers/{issuer.pk}/register/xlsx/?kind=thcs&year=2026"),
        api.get(f"/api/exams/issuers/{issuer.pk}/register/import-template/"),
        api.get(f"/api/exams/diploma-copies/{copy.pk}/pdf/"),
    ]
    assert [r.status_code for r in responses] == [200] * 8
    details = _exports()
    assert len(details) == 8
    book_name = "Sổ gốc cấp bằng tốt nghiệp trung học cơ sở năm 2026 – Chủ tịch UBND xã Đồng Tâm"
    assert details[0] == details[4] == f"{book_name} (PDF)"
    assert details[1] == details[5] == f"{book_name} (xlsx, kèm sổ cấp bản sao)"
    assert details[2] == details[6] == "Mẫu nhập sổ gốc cấp văn bằng – Chủ tịch UBND xã Đồng Tâm (xlsx)"
    assert details[3] == details[7]
    assert "00001/BS-THCS/2026" in details[3] and "năm 2026" in details[3] and issuer.name in details[3]
    events = AuditEvent.objects.filter(kind=EventKind.EXPORT)
    assert set(events.values_list("user", flat=True)) == {world.members["phong1_staff"].user.pk}


def test_a_refused_export_is_not_logged_as_one(world):
    issuer = one_diploma(world).issuer
    url = reverse("exams:issuer-register-pdf", kwargs={"pk": issuer.pk})
    assert web_client(world.b.m(Role.PRINCIPAL)).get(url).status_code == 404
    assert web_client(world.a.m(Role.TEACHER)).get(url).status_code == 403
    assert _exports() == []


# --- 4. one completion certificate per learner ------------------------------------------------------------------------


def _principal_of(school):
    return grant(make_user(f"principal.{school.code.lower()}"), school, Role.PRINCIPAL)


def test_a_learner_not_recognised_in_two_thpt_rounds_gets_one_certificate(world):
    t = thpt_setup(world)
    learner = Student.objects.create(
        school=t["x"], learner_code="X000000001", full_name="Trần Thị Trượt", birth_date=dt.date(2011, 3, 4), sex="F"
    )
    t["failed"].student = learner
    t["failed"].save()
    second = decided_round(
        t["so_issuer"], t["x"], level=GraduationLevel.THPT, exam=t["round"].exam, unit=world.so, number=2,
        decision_date=dt.date(2026, 7, 20),
    )  # fmt: skip
    again = entry(
        second, t["x"], "Trần Thị Trượt", "12A1", recognised=False, reasons=["below"], student=learner,
        personal_id=t["failed"].personal_id,
    )  # fmt: skip
    principal = world.actor(_principal_of(t["x"]))
    # one line for the learner: the latest round's
    assert [r.entry for r in services.awaiting(principal, t["x_issuer"], "completion")] == [again]
    # both entries ticked at once: refused, nothing issued
    with pytest.raises(ValidationError) as refused:
        services.issue_batch(
            principal, t["x_issuer"], "completion", [t["failed"], again], issued_on=ISSUED, first_serial="CN 001"
        )
    assert "Trần Thị Trượt" in refused.value.message_dict["entries"][0]
    assert not Diploma.objects.exists()
    (certificate,) = services.issue_batch(
        principal, t["x_issuer"], "completion", [again], issued_on=dt.date(2026, 7, 25), first_serial="CN 001"
    )
    assert certificate.student == learner
    # the first round's entry no longer waits: a second certificate is refused
    assert services.awaiting(principal, t["x_issuer"], "completion") == []
    with pytest.raises(ValidationError, match="không còn trong danh sách chờ cấp"):
        services.issue_batch(
            principal, t["x_issuer"], "completion", [t["failed"]], issued_on=dt.date(2026, 7, 25), first_serial="CN 9"
        )
    assert Diploma.objects.filter(kind="completion").count() == 1


def test_a_learner_who_graduated_in_a_later_round_gets_no_certificate(world):
    t = thpt_setup(world)
    second = decided_round(
        t["so_issuer"], t["x"], level=GraduationLevel.THPT, exam=t["round"].exam, unit=world.so, number=2,
        decision_date=dt.date(2026, 7, 20),
    )  # fmt: skip
    # a free candidate (no student row): the same person by personal id and birth date
    entry(second, t["x"], "Trần Thị Trượt", "12A1", personal_id=t["failed"].personal_id)
    principal = world.actor(_principal_of(t["x"]))
    assert services.awaiting(principal, t["x_issuer"], "completion") == []


def test_a_holder_of_a_thpt_diploma_issued_by_hand_gets_no_certificate(world):
    t = thpt_setup(world)
    principal = world.actor(_principal_of(t["x"]))
    assert [r.entry for r in services.awaiting(principal, t["x_issuer"], "completion")] == [t["failed"]]
    services.issue_one(
        actor(world, "so_staff"),
        t["so_issuer"],
        kind="thpt",
        serial="TN 0000777",
        issued_on=ISSUED,
        graduation_year=2026,
        decision_number="9/QĐ-SGDĐT",
        decision_date=DECISION,
        school_name="Trường THPT ngoài tỉnh",
        full_name="Trần Thị Trượt",
        birth_date=t["failed"].birth_date,
        sex="F",
        personal_id=t["failed"].personal_id,
    )
    assert services.awaiting(principal, t["x_issuer"], "completion") == []


# --- 5. books of a type the issuer no longer issues ---------------------------------------------------------------


@pytest.fixture
def moved(world):
    """The Phòng issued THCS diplomas in 2025; since then the commune chair issues them and the Phòng only keeps
    certificates of completion."""
    issuer = phong_issuer(world, name="Trưởng phòng GD&ĐT Một", kinds=["thcs"])
    graduates(
        decided_round(issuer, world.a.school, start_year=2024, decision_date=dt.date(2025, 6, 25)), world.a.school, 2
    )
    issue(world, issuer, issued_on=dt.date(2025, 7, 10))
    services.update_issuer(actor(world, "p1_admin"), issuer, kinds=["completion"])
    issuer.refresh_from_db()
    return issuer


def test_a_past_type_s_books_still_print_and_export(world, moved):
    web = web_client(world.members["phong1_staff"])
    pdf = web.get(reverse("exams:issuer-register-pdf", kwargs={"pk": moved.pk}) + "?loai=thcs&nam=2025")
    assert pdf.status_code == 200
    text = pdf_text(pdf.content)
    assert "00001/THCS/2025" in text and "Học Sinh Thứ 02" in text
    xlsx = web.get(reverse("exams:issuer-register-xlsx", kwargs={"pk": moved.pk}) + "?loai=thcs&nam=2025")
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content))["Sổ gốc"]
    assert [c.value for c in sheet["A"]][1:] == ["00001/THCS/2025", "00002/THCS/2025"]
    api = api_client(world.members["phong1_staff"])
    assert api.get(f"/api/exams/issuers/{moved.pk}/register/pdf/?kind=thcs&year=2025").status_code == 200
    # a type it never issued is still refused
    assert web.get(reverse("exams:issuer-register-pdf", kwargs={"pk": moved.pk}) + "?loai=thpt").status_code == 400
    # the books page lists the past book and offers its type for any other year
    page = web.get(reverse("exams:register-books")).content.decode()
    assert "?loai=thcs&amp;nam=2025" in page
    assert '<option value="thcs">' in page and '<option value="completion">' in page


def _row(n, year, kind="THCS"):
    return {
        "Số vào sổ": n, "Số hiệu": f"P {n:07d}", "Loại văn bằng": kind, "Năm cấp": year,
        "Họ và tên": f"Người Học Số {n}", "Ngày sinh": "04/03/2004", "Giới tính": "Nữ", "Nơi học": "Trường THCS Cũ",
        "Năm tốt nghiệp": year, "Số quyết định": "120/QĐ", "Ngày quyết định": f"20/06/{year}",
        "Ngày cấp": f"15/07/{year}", "Chức danh người ký": "Trưởng phòng", "Họ tên người ký": "Trần Văn Cũ",
    }  # fmt: skip


def _workbook(rows) -> bytes:
    headers = [c.header for c in RegisterImporter.columns]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for values in rows:
        sheet.append([values.get(h) for h in headers])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_import_takes_a_past_type_for_the_years_before_this_one(world, moved):
    importer = RegisterImporter(actor(world, "p1_staff"), issuer=moved)
    checked = importer.preview(_workbook([_row(1, 2019), _row(1, 2026)]))
    first, second = checked.rows
    assert first.status == Status.NEW, first.errors
    assert second.status == Status.ERROR
    assert "không còn cấp bằng tốt nghiệp trung học cơ sở" in " ".join(second.errors)
    assert "trước năm 2026" in " ".join(second.errors)
    # a type it never issued stays an error whatever the year
    never = importer.preview(_workbook([_row(2, 2019, kind="THPT")])).rows[0]
    assert never.status == Status.ERROR and "không cấp bằng tốt nghiệp trung học phổ thông" in " ".join(never.errors)


# --- 6. list captions -------------------------------------------------------------------------------------------------


def test_the_list_captions_count_the_rows(world):
    issuer = phong_issuer(world)
    phong_issuer(world, name="Trưởng phòng GD&ĐT Một")
    graduates(decided_round(issuer, world.a.school), world.a.school, 3)
    issue(world, issuer)
    web = web_client(world.members["phong1_staff"])
    assert "<caption>3 văn bằng</caption>" in web.get(reverse("exams:diploma-list")).content.decode()
    assert "<caption>2 cơ quan cấp văn bằng</caption>" in web.get(reverse("exams:issuer-list")).content.decode()
    filtered = web.get(reverse("exams:diploma-list") + "?q=thu 02").content.decode()
    assert "<caption>1 văn bằng</caption>" in filtered


# --- 7. edge inputs ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["²", "١٢", "99999999999999999999", "-1"])
def test_odd_entry_ids_on_the_awaiting_page_are_ignored(world, value):
    issuer = phong_issuer(world)
    graduates(decided_round(issuer, world.a.school), world.a.school, 1)
    response = web_client(world.members["phong1_staff"]).post(
        reverse("exams:issuer-awaiting", kwargs={"pk": issuer.pk}),
        {"kind": "thcs", "entries": [value], "issued_on": "15/07/2026", "first_serial": "A 1"},
    )
    assert response.status_code == 200
    assert "Chưa chọn người học nào" in response.content.decode()
    assert not Diploma.objects.exists()


@pytest.mark.parametrize("value", [0, -3, 2**31, 10**20])
def test_out_of_range_entry_ids_in_the_api_are_a_400(world, value):
    issuer = phong_issuer(world)
    graduates(decided_round(issuer, world.a.school), world.a.school, 1)
    response = api_client(world.members["phong1_staff"]).post(
        "/api/exams/diplomas/issue-batch/",
        {"issuer": issuer.pk, "kind": "thcs", "entries": [value], "issued_on": "2026-07-15", "first_serial": "A 1"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"]["entries"] == [f"Mã người học không hợp lệ: {value}."]
    assert not Diploma.objects.exists()


@pytest.mark.parametrize(
    ("url", "query", "field"),
    [
        ("/api/exams/diplomas/", "year=1e30", "year"),
        ("/api/exams/diplomas/", "year=99999", "year"),
        ("/api/exams/diploma-copies/", "diploma=99999999999999999999", "diploma"),
        ("/api/exams/diploma-copies/", "year=2026.5", "year"),
        ("/api/exams/diploma-corrections/", "issuer=-1", "issuer"),
        ("/api/exams/diploma-revocations/", "diploma=1e300", "diploma"),
        ("/api/exams/issuers/", "unit=99999999999999999999", "unit"),
    ],
)
def test_out_of_range_filters_are_a_400_naming_the_filter(world, url, query, field):
    response = api_client(world.members["phong1_staff"]).get(f"{url}?{query}")
    assert response.status_code == 400 and field in response.json()["errors"]


def test_an_out_of_range_year_on_the_register_page_lists_nothing(world):
    issuer = phong_issuer(world)
    graduates(decided_round(issuer, world.a.school), world.a.school, 1)
    issue(world, issuer)
    response = web_client(world.members["phong1_staff"]).get(reverse("exams:diploma-list") + "?year=1e30")
    assert response.status_code == 200
    assert "<caption>0 văn bằng</caption>" in response.content.decode()


# --- 8. no back-dated entries -----------------------------------------------------------------------------------------


def test_an_issue_dated_before_the_books_last_entry_is_refused(world):
    issuer = phong_issuer(world)
    graduates(decided_round(issuer, world.a.school), world.a.school, 1)
    issue(world, issuer, issued_on=dt.date(2026, 8, 20))
    with pytest.raises(ValidationError) as refused:
        by_hand(world, issuer, issued_on=dt.date(2026, 8, 10))
    message = refused.value.message_dict["issued_on"][0]
    assert "20/08/2026" in message and "10/08/2026" in message
    graduates(decided_round(issuer, world.a.school, number=2), world.a.school, 1, class_name="9A2")
    with pytest.raises(ValidationError) as refused:
        issue(world, issuer, issued_on=dt.date(2026, 8, 19), first_serial="A 0000050")
    assert "20/08/2026" in refused.value.message_dict["issued_on"][0]
    assert Diploma.objects.count() == 1
    # the same day, a later day, or another year's book: fine
    assert by_hand(world, issuer, issued_on=dt.date(2026, 8, 20)).entry_number == 2
    last_year = by_hand(
        world, issuer, serial="H 0000002", issued_on=dt.date(2025, 12, 1), graduation_year=2025,
        decision_date=dt.date(2025, 6, 20),
    )  # fmt: skip
    assert last_year.entry_label == "00001/THCS/2025"


def test_a_copy_dated_before_the_copy_books_last_is_refused(world):
    diploma = one_diploma(world)
    copy_of(world, diploma, dt.date(2026, 9, 1))
    with pytest.raises(ValidationError) as refused:
        copy_of(world, diploma, dt.date(2026, 8, 1))
    message = refused.value.message_dict["issued_on"][0]
    assert "01/09/2026" in message and "sổ cấp bản sao" in message
    assert DiplomaCopy.objects.count() == 1
    assert copy_of(world, diploma, dt.date(2026, 9, 1)).number_label == "00002/BS-THCS/2026"


def test_an_imported_past_register_is_not_held_to_the_order_of_dates(world):
    issuer = phong_issuer(world)
    by_hand(world, issuer, issued_on=dt.date(2026, 9, 1))
    importer = RegisterImporter(actor(world, "p1_staff"), issuer=issuer)
    earlier = dict(_row(7, 2026), **{"Ngày cấp": "15/07/2026"})
    checked = importer.preview(_workbook([earlier]))
    assert checked.ok, checked.rows[0].errors


# --- 10. the API's issue response -------------------------------------------------------------------------------------


def _issue_batch_queries(world, size: int) -> int:
    issuer = phong_issuer(world, name=f"Xã số {size}")
    round_ = decided_round(issuer, world.a.school, number=1 if size == 2 else 2)
    entries = [entry(round_, world.a.school, f"Người {size} Số {i:02d}", personal_id="") for i in range(size)]
    api = api_client(world.members["phong1_staff"])
    body = {
        "issuer": issuer.pk,
        "kind": "thcs",
        "entries": [e.pk for e in entries],
        "issued_on": "2026-07-15",
        "first_serial": f"S{size} 0000001",
    }
    with CaptureQueriesContext(connection) as queries:
        response = api.post("/api/exams/diplomas/issue-batch/", body, format="json")
    assert response.status_code == 201 and len(response.json()) == size
    assert all(d["revocation"] is None and d["issuer_name"] == issuer.name for d in response.json())
    return len(queries)


def test_the_api_issue_batch_answers_in_the_same_number_of_queries_for_2_and_10(world):
    assert _issue_batch_queries(world, 2) == _issue_batch_queries(world, 10)


# --- 11. the history of an issuer's coverage --------------------------------------------------------------------------


def test_a_change_of_coverage_is_named_in_the_issuers_history(world):
    admin = actor(world, "p1_admin")
    issuer = services.create_issuer(
        admin, unit=world.phong1, name="Trưởng phòng", signer_title="Trưởng phòng", signer_name="A", kinds=["thcs"]
    )
    services.update_issuer(admin, issuer, covers=[world.a.school])
    latest = issuer.history.order_by("-history_id").first()
    assert latest.history_user == admin.user
    assert latest.history_change_reason == (
        f"Sửa cơ quan cấp văn bằng: phạm vi cấp đơn vị giữ sổ và các đơn vị trực thuộc → {world.a.school.name}"
    )
    services.update_issuer(admin, issuer, covers=[])
    latest = issuer.history.order_by("-history_id").first()
    assert latest.history_change_reason.startswith(f"Sửa cơ quan cấp văn bằng: phạm vi cấp {world.a.school.name} → ")
    # the signer alone: no word about the coverage
    services.update_issuer(admin, issuer, signer_name="B", covers=[])
    assert issuer.history.order_by("-history_id").first().history_change_reason == "Sửa cơ quan cấp văn bằng"


# --- 12. the school of a diploma issued by hand -----------------------------------------------------------------------


@pytest.mark.parametrize("school", ["phong1", "b", "so"])
def test_issue_one_takes_only_a_school_inside_the_issuers_coverage(world, school):
    issuer = phong_issuer(world)
    unit = {"phong1": world.phong1, "b": world.b.school, "so": world.so}[school]
    with pytest.raises(ValidationError) as refused:
        by_hand(world, issuer, who="so_staff", school=unit.pk)
    assert "school" in refused.value.message_dict
    assert not Diploma.objects.exists()
    assert by_hand(world, issuer, who="so_staff", school=world.a.school.pk).school == world.a.school


def test_issue_one_follows_the_issuers_covers(world):
    issuer = phong_issuer(world, unit=world.so, name="Giám đốc Sở")
    issuer.covers.set([world.phong2])
    with pytest.raises(ValidationError) as refused:
        by_hand(world, issuer, who="so_staff", school=world.a.school.pk)
    assert "không phải trường thuộc phạm vi cấp" in refused.value.message_dict["school"][0]
    assert by_hand(world, issuer, who="so_staff", school=world.b.school.pk).school == world.b.school


# --- the copy's own signer ----------------------------------------------------------------------------------------


def test_a_copy_keeps_and_prints_the_signer_of_its_day(world):
    diploma = one_diploma(world)
    copy = copy_of(world, diploma, dt.date(2026, 11, 2))
    assert (copy.signer_title, copy.signer_name) == ("Chủ tịch", "Lê Văn Chủ Tịch")
    services.update_issuer(actor(world, "p1_admin"), diploma.issuer, signer_title="Phó Chủ tịch", signer_name="Hà Mới")
    url = reverse("exams:diplomacopy-pdf", kwargs={"pk": copy.pk})
    text = pdf_text(web_client(world.members["phong1_staff"]).get(url).content)
    assert "Hà Mới" not in text and "PHÓ CHỦ TỊCH" not in text
    # a copy recorded before the signer was kept prints the issuer's current one
    DiplomaCopy.objects.filter(pk=copy.pk).update(signer_title="", signer_name="")
    text = pdf_text(web_client(world.members["phong1_staff"]).get(url).content)
    assert "Hà Mới" in text and "PHÓ CHỦ TỊCH" in text
    body = api_client(world.members["phong1_staff"]).get(f"/api/exams/diploma-copies/{copy.pk}/").json()
    assert (body["signer_title"], body["signer_name"]) == ("", "")
