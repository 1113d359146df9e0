"""The register's pages and API as a clerk and a reader use them: the awaiting list and the batch issue, the register
list with its filters, a diploma's page (corrections, copies, revocation, history), the dossier's files, issuers,
learners' own diplomas; pinned query counts for the register list and the awaiting list."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from exams.models import Diploma, DiplomaCopy, DiplomaCorrection, DiplomaKind, DossierFile, GraduationEntry, Issuer
from exams.services import register as services
from sms.accounts.roles import Role
from students.models import Student
from tests.world import api_client, web_client

from .test_register import PDF, actor, decided_round, graduates, issue, phong_issuer


def keeper_client(world):
    return web_client(world.members["phong1_staff"])


@pytest.fixture
def register(world):
    issuer = phong_issuer(world)
    round_ = decided_round(issuer, world.a.school)
    graduates(round_, world.a.school, 3)
    return issuer


def revoke(world, diploma):
    return services.revoke(
        actor(world, "p1_staff"),
        diploma,
        reason="altered",
        decision_number="99/QĐ-UBND",
        decision_date=dt.date(2026, 11, 1),
        decision_signer="Chủ tịch Lê Văn Chủ Tịch",
    )


# --- awaiting and the batch issue -------------------------------------------------------------------------------------


def test_the_awaiting_page_flags_overdue_and_issues_the_ticked(world, register):
    url = reverse("exams:issuer-awaiting", kwargs={"pk": register.pk})
    client = keeper_client(world)
    page = client.get(url).content.decode()
    assert "Học Sinh Thứ 01" in page and "Học Sinh Thứ 03" in page
    assert "13/09/2026" in page and "quá hạn" in page  # 30/06/2026 + 75 days, long past
    ticked = list(GraduationEntry.objects.order_by("sort_key").values_list("pk", flat=True)[:2])
    response = client.post(
        url, {"kind": "thcs", "entries": ticked, "issued_on": "15/07/2026", "first_serial": "A 0000101"}
    )
    assert response.status_code == 302 and response["Location"].startswith(reverse("exams:diploma-list"))
    issued = list(Diploma.objects.order_by("entry_number").values_list("entry_number", "serial", "issued_on"))
    assert issued == [(1, "A 0000101", dt.date(2026, 7, 15)), (2, "A 0000102", dt.date(2026, 7, 15))]
    page = client.get(url).content.decode()
    assert "Học Sinh Thứ 03" in page and "Học Sinh Thứ 01" not in page


def test_a_serial_clash_on_the_page_names_the_serial_and_issues_nothing(world, register):
    other = phong_issuer(world, unit=world.phong2, name="Xã khác")
    Diploma.objects.create(
        issuer=other, kind="thcs", year=2026, entry_number=1, serial="A 0000003", full_name="Người Khác",
        birth_date=dt.date(2010, 1, 1), sex="M", graduation_year=2025, issued_on=dt.date(2026, 1, 5),
        signer_title="Chủ tịch", signer_name="X",
    )  # fmt: skip
    url = reverse("exams:issuer-awaiting", kwargs={"pk": register.pk})
    entries = list(GraduationEntry.objects.values_list("pk", flat=True))
    response = keeper_client(world).post(
        url, {"kind": "thcs", "entries": entries, "issued_on": "15/07/2026", "first_serial": "A 0000001"}
    )
    assert response.status_code == 200
    assert "Số hiệu A 0000003 đã được dùng" in response.content.decode()
    assert Diploma.objects.filter(issuer=register).count() == 0


def test_the_awaiting_page_is_for_the_keepers(world, register):
    url = reverse("exams:issuer-awaiting", kwargs={"pk": register.pk})
    assert web_client(world.a.m(Role.TEACHER)).get(url).status_code == 403  # reads the issuer, keeps nothing
    assert web_client(world.a.m(Role.PRINCIPAL)).get(url).status_code == 403
    assert web_client(world.b.m(Role.PRINCIPAL)).get(url).status_code == 404
    assert web_client(world.members["so_admin"]).get(url).status_code == 200


@pytest.mark.parametrize("count", [2, 10])
def test_the_awaiting_page_costs_the_same_for_2_and_10_graduates(world, count, django_assert_max_num_queries):
    issuer = phong_issuer(world)
    graduates(decided_round(issuer, world.a.school), world.a.school, count)
    client = keeper_client(world)
    url = reverse("exams:issuer-awaiting", kwargs={"pk": issuer.pk})
    client.get(url)  # warm the session
    with django_assert_max_num_queries(6):
        response = client.get(url)
    assert response.content.decode().count('name="entries"') == count


@pytest.mark.parametrize("count", [2, 10])
def test_the_register_list_costs_the_same_for_2_and_10_diplomas(world, count, django_assert_max_num_queries):
    issuer = phong_issuer(world)
    graduates(decided_round(issuer, world.a.school), world.a.school, count)
    issue(world, issuer)
    revoke(world, Diploma.objects.first())
    client = keeper_client(world)
    url = reverse("exams:diploma-list")
    client.get(url)
    with django_assert_max_num_queries(10):
        response = client.get(url)
    assert response.content.decode().count("/THCS/2026") == count


# --- the register list ------------------------------------------------------------------------------------------------


def test_the_register_list_filters_by_name_without_diacritics_serial_and_status(world, register):
    issue(world, register, first_serial="TN 0000001")
    diplomas = list(Diploma.objects.order_by("entry_number"))
    diplomas[0].full_name = "Nguyễn Văn Đạt"
    diplomas[0].save()
    revoke(world, diplomas[2])
    client = keeper_client(world)
    url = reverse("exams:diploma-list")

    def listed(**query):
        page = client.get(url, query).content.decode()
        return [d.serial for d in diplomas if d.get_absolute_url() in page]

    assert listed(q="nguyen van dat") == ["TN 0000001"]
    assert listed(q="tn 0000002") == ["TN 0000002"]
    assert listed(status="revoked") == ["TN 0000003"]
    assert listed(issuer=register.pk, kind="thcs", year=2026) == ["TN 0000001", "TN 0000002", "TN 0000003"]
    assert listed(year=2025) == []
    page = client.get(url, {"status": "revoked"}).content.decode()
    assert "Đã thu hồi" in page


# --- a revoked diploma ------------------------------------------------------------------------------------------------


def test_a_revoked_diploma_shows_as_revoked_and_cannot_be_copied_or_corrected(world, register):
    issue(world, register)
    diploma = Diploma.objects.order_by("entry_number").first()
    revoke(world, diploma)
    client = keeper_client(world)
    page = client.get(diploma.get_absolute_url()).content.decode()
    assert "VĂN BẰNG ĐÃ BỊ THU HỒI" in page and "99/QĐ-UBND" in page and "Bị tẩy xóa, sửa chữa" in page
    assert reverse("exams:diploma-copy", kwargs={"pk": diploma.pk}) not in page  # no actions offered
    # the copy and correction pages send the clerk back with the reason
    copy_url = reverse("exams:diploma-copy", kwargs={"pk": diploma.pk})
    response = client.get(copy_url, follow=True)
    assert "Văn bằng đã bị thu hồi, không thể cấp bản sao." in response.content.decode()
    response = client.post(
        copy_url,
        {
            "requester_name": "X",
            "relation": "holder",
            "requester_id_number": "1",
            "quantity": 1,
            "issued_on": "02/11/2026",
        },
    )
    assert "đã bị thu hồi" in response.content.decode() and not DiplomaCopy.objects.exists()
    # the API says so too
    api = api_client(world.members["phong1_staff"])
    body = api.get(f"/api/exams/diplomas/{diploma.pk}/").json()
    assert (body["status"], body["revoked"], body["revocation"]["decision_number"]) == ("revoked", True, "99/QĐ-UBND")
    assert [d["id"] for d in api.get("/api/exams/diplomas/", {"status": "revoked"}).json()["results"]] == [diploma.pk]
    refused = api.post(
        f"/api/exams/diplomas/{diploma.pk}/copy/",
        {"requester_name": "X", "relation": "holder", "requester_id_number": "1"},
        format="json",
    )
    assert refused.status_code == 400
    refused = api.post(
        f"/api/exams/diplomas/{diploma.pk}/correct/",
        {
            "ground": "issuer_error",
            "full_name": "Tên Khác",
            "reason": "Sai",
            "decision_number": "1",
            "decision_date": "2026-11-02",
            "dossier": [SimpleUploadedFile("don.pdf", PDF, "application/pdf")],
        },
        format="multipart",
    )
    assert refused.status_code == 400 and not DiplomaCorrection.objects.exists()


def test_revoking_on_the_page(world, register):
    issue(world, register)
    diploma = Diploma.objects.order_by("entry_number").first()
    url = reverse("exams:diploma-revoke", kwargs={"pk": diploma.pk})
    client = keeper_client(world)
    assert "Chủ tịch Lê Văn Chủ Tịch" in client.get(url).content.decode()  # the signer offered
    response = client.post(
        url,
        {
            "reason": "lent",
            "detail": "Cho người khác mượn",
            "decision_number": "5/QĐ",
            "decision_date": "01/11/2026",
            "decision_signer": "Chủ tịch Lê Văn Chủ Tịch",
        },
    )
    assert response.status_code == 302
    diploma.refresh_from_db()
    assert diploma.is_revoked
    assert web_client(world.a.m(Role.TEACHER)).get(url).status_code == 403


# --- corrections, copies, the dossier ---------------------------------------------------------------------------------


def test_a_correction_on_the_page_shows_old_and_new_and_its_dossier(world, register):
    issue(world, register)
    diploma = Diploma.objects.order_by("entry_number").first()
    client = keeper_client(world)
    url = reverse("exams:diploma-correct", kwargs={"pk": diploma.pk})
    assert 'value="Học Sinh Thứ 01"' in client.get(url).content.decode()  # today's values offered
    response = client.post(
        url,
        {
            "ground": "civil_status",
            "full_name": "Học Sinh Thứ Nhất",
            "birth_date": "04/03/2011",
            "birthplace": "Xã Đồng Tâm",
            "sex": "F",
            "ethnicity": "Tày",
            "reason": "Cải chính hộ tịch",
            "decision_number": "7/QĐ-UBND",
            "decision_date": "02/10/2026",
            "dossier_request": SimpleUploadedFile("don.pdf", PDF, "application/pdf"),
        },
    )
    assert response.status_code == 302
    correction = DiplomaCorrection.objects.get()
    assert correction.changes == {"full_name": ["Học Sinh Thứ 01", "Học Sinh Thứ Nhất"]}
    page = client.get(diploma.get_absolute_url()).content.decode()
    assert "Họ và tên: Học Sinh Thứ 01 → Học Sinh Thứ Nhất" in page  # the correction
    assert "Có hiệu lực, đã chỉnh sửa" in page
    assert "Chỉnh sửa theo QĐ 7/QĐ-UBND ngày 02/10/2026" in page  # the history's reason
    dossier = DossierFile.objects.get()
    assert dossier.get_absolute_url() in page
    download = client.get(dossier.get_absolute_url())
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    # the holder's school reads the diploma but not the dossier; another school nothing
    school = web_client(world.a.m(Role.PRINCIPAL))
    assert school.get(diploma.get_absolute_url()).status_code == 200
    assert school.get(dossier.get_absolute_url()).status_code == 404
    assert web_client(world.b.m(Role.PRINCIPAL)).get(diploma.get_absolute_url()).status_code == 404


def test_a_correction_without_a_dossier_is_refused_on_the_page(world, register):
    issue(world, register)
    diploma = Diploma.objects.order_by("entry_number").first()
    response = keeper_client(world).post(
        reverse("exams:diploma-correct", kwargs={"pk": diploma.pk}),
        {
            "ground": "issuer_error",
            "full_name": "Tên Mới",
            "birth_date": "04/03/2011",
            "sex": "F",
            "ethnicity": "Tày",
            "reason": "Ghi sai",
            "decision_number": "7",
            "decision_date": "02/10/2026",
        },
    )
    assert response.status_code == 200 and "Cần ít nhất một tệp hồ sơ" in response.content.decode()
    diploma.refresh_from_db()
    assert diploma.full_name == "Học Sinh Thứ 01"


def test_corrections_and_copies_through_the_api(world, register):
    issue(world, register)
    diploma = Diploma.objects.order_by("entry_number").first()
    api = api_client(world.members["phong1_staff"])
    response = api.post(
        f"/api/exams/diplomas/{diploma.pk}/correct/",
        {
            "ground": "issuer_error",
            "birthplace": "Xã Tân Lập",
            "reason": "Ghi sai nơi sinh",
            "decision_number": "8/QĐ",
            "decision_date": "2026-10-05",
            "dossier": [
                SimpleUploadedFile("don.pdf", PDF, "application/pdf"),
                SimpleUploadedFile("cccd.pdf", PDF, "application/pdf"),
            ],
            "dossier_kind": ["request", "identity"],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["changes"] == {"birthplace": ["Xã Đồng Tâm", "Xã Tân Lập"]}
    assert sorted(f["kind"] for f in body["dossier"]) == ["identity", "request"]
    listed = api.get("/api/exams/diploma-corrections/", {"diploma": diploma.pk}).json()["results"]
    assert [c["id"] for c in listed] == [body["id"]] and len(listed[0]["dossier"]) == 2
    # the holder's school reads the correction but not its dossier
    school = api_client(world.a.m(Role.PRINCIPAL)).get("/api/exams/diploma-corrections/").json()["results"]
    assert [(c["id"], c["dossier"]) for c in school] == [(body["id"], [])]
    copy = api.post(
        f"/api/exams/diplomas/{diploma.pk}/copy/",
        {"requester_name": "Bố", "relation": "parent", "requester_id_number": "0012", "holder_deceased": False},
        format="json",
    )
    assert copy.status_code == 400 and "relation" in copy.json()["errors"]  # relatives only after the holder's death
    copy = api.post(
        f"/api/exams/diplomas/{diploma.pk}/copy/",
        {"requester_name": diploma.full_name, "relation": "holder", "requester_id_number": "0012", "quantity": 2},
        format="json",
    )
    assert copy.status_code == 201 and copy.json()["number_label"].startswith("00001/BS-THCS/")


def test_issuing_through_the_api(world, register):
    api = api_client(world.members["phong1_staff"])
    waiting = api.get(f"/api/exams/issuers/{register.pk}/awaiting/", {"kind": "thcs"}).json()
    assert len(waiting) == 3 and all(row["overdue"] for row in waiting)
    response = api.post(
        "/api/exams/diplomas/issue-batch/",
        {
            "issuer": register.pk,
            "kind": "thcs",
            "entries": [waiting[0]["entry"]],
            "issued_on": "2026-07-15",
            "first_serial": "A 0000001",
        },
        format="json",
    )
    assert response.status_code == 201 and [d["entry_label"] for d in response.json()] == ["00001/THCS/2026"]
    response = api.post(
        "/api/exams/diplomas/issue-batch/",
        {"issuer": register.pk, "kind": "thcs", "issued_on": "2026-07-15", "first_serial": "A 0000002"},
        format="json",
    )  # no entries: everyone still waiting
    assert [d["entry_label"] for d in response.json()] == ["00002/THCS/2026", "00003/THCS/2026"]
    response = api.post(
        "/api/exams/diplomas/issue-one/",
        {
            "issuer": register.pk,
            "kind": "thcs",
            "full_name": "Người Thi Lại",
            "birth_date": "2009-02-03",
            "sex": "M",
            "school_name": "Trường THCS Cũ",
            "graduation_year": 2024,
            "decision_number": "3/QĐ",
            "decision_date": "2024-06-30",
            "serial": "A 0000002",
            "issued_on": "2026-11-02",
        },
        format="json",
    )
    assert response.status_code == 400  # the serial is taken
    assert (
        api_client(world.a.m(Role.PRINCIPAL))
        .post(
            "/api/exams/diplomas/issue-batch/",
            {"issuer": register.pk, "kind": "thcs", "issued_on": "2026-07-15", "first_serial": "A 0000009"},
            format="json",
        )
        .status_code
        == 403
    )  # the school reads the Phòng's issuer but does not keep its register
    assert (
        api_client(world.b.m(Role.PRINCIPAL))
        .post(
            "/api/exams/diplomas/issue-batch/",
            {"issuer": register.pk, "kind": "thcs", "issued_on": "2026-07-15", "first_serial": "A 0000009"},
            format="json",
        )
        .status_code
        == 404
    )
    assert Diploma.objects.count() == 3


# --- learners ---------------------------------------------------------------------------------------------------------


def test_learners_read_their_own_diploma_only(world, register):
    learner = Student.objects.create(
        school=world.a.school,
        learner_code="A000000009",
        full_name="Học Sinh Thứ 01",
        birth_date=dt.date(2011, 3, 4),
        sex="F",
        user=world.a.m(Role.STUDENT).user,
    )
    GraduationEntry.objects.filter(full_name="Học Sinh Thứ 01").update(student=learner)
    issue(world, register)
    mine = Diploma.objects.get(student=learner)
    revoke(world, Diploma.objects.exclude(pk=mine.pk).first())
    student = world.a.m(Role.STUDENT)
    body = api_client(student).get("/api/exams/diplomas/").json()["results"]
    assert [d["id"] for d in body] == [mine.pk]
    page = web_client(student).get(reverse("exams:my-diplomas")).content.decode()
    assert mine.get_absolute_url() in page and mine.serial in page
    assert web_client(student).get(mine.get_absolute_url()).status_code == 200
    other = Diploma.objects.exclude(pk=mine.pk).first()
    assert web_client(student).get(other.get_absolute_url()).status_code == 404


# --- issuers ----------------------------------------------------------------------------------------------------------


def test_an_admin_adds_an_issuer_on_the_page_and_staff_only_read_it(world):
    client = web_client(world.members["phong1_admin"])
    response = client.post(
        reverse("exams:issuer-create"),
        {
            "unit": world.phong1.pk,
            "name": "Chủ tịch UBND xã Đồng Tâm",
            "signer_title": "Chủ tịch",
            "signer_name": "Lê Văn Chủ Tịch",
            "place_name": "Đồng Tâm",
            "kinds": ["thcs"],
            "covers": [world.a.school.pk],
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    issuer = Issuer.objects.get()
    assert issuer.kinds == [DiplomaKind.THCS] and list(issuer.covers.all()) == [world.a.school]
    page = client.get(issuer.get_absolute_url()).content.decode()
    assert "Trường THCS An Bình" in page and reverse("exams:issuer-update", kwargs={"pk": issuer.pk}) in page
    staff = web_client(world.members["phong1_staff"])
    page = staff.get(issuer.get_absolute_url()).content.decode()
    assert reverse("exams:issuer-update", kwargs={"pk": issuer.pk}) not in page
    assert reverse("exams:issuer-awaiting", kwargs={"pk": issuer.pk}) in page  # staff keep the register
    assert staff.get(reverse("exams:issuer-update", kwargs={"pk": issuer.pk})).status_code == 403
    # the keeping unit never changes on edit; a signer change keeps a history row
    client.post(
        reverse("exams:issuer-update", kwargs={"pk": issuer.pk}),
        {
            "unit": world.phong2.pk,
            "name": issuer.name,
            "signer_title": "Chủ tịch",
            "signer_name": "Hà Thị Mới",
            "kinds": ["thcs"],
            "is_active": "on",
        },
    )
    issuer.refresh_from_db()
    assert (issuer.unit, issuer.signer_name) == (world.phong1, "Hà Thị Mới")
    assert issuer.history.count() == 2


def test_the_module_lists_the_register_pages_for_registrars(world):
    page = web_client(world.members["phong1_staff"]).get(reverse("exams:index")).content.decode()
    assert reverse("exams:diploma-list") in page and reverse("exams:issuer-list") in page
    page = web_client(world.a.m(Role.TEACHER)).get(reverse("exams:index")).content.decode()
    assert reverse("exams:diploma-list") not in page


def test_issuing_one_by_hand_on_the_page(world, register):
    client = keeper_client(world)
    listing = client.get(reverse("exams:issuer-list")).content.decode()
    assert reverse("exams:issuer-awaiting", kwargs={"pk": register.pk}) in listing
    url = reverse("exams:issuer-issue-one", kwargs={"pk": register.pk})
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "kind": "thcs",
            "full_name": "Người Tốt Nghiệp Cũ",
            "birth_date": "02/01/1995",
            "sex": "M",
            "ethnicity": "Kinh",
            "nationality": "Việt Nam",
            "school_name": "Trường THCS Cũ",
            "graduation_year": 2010,
            "decision_number": "45/QĐ-PGD",
            "decision_date": "20/06/2010",
            "serial": "A 0012345",
            "issued_on": "02/11/2026",
        },
    )
    diploma = Diploma.objects.get()
    assert response.status_code == 302 and response["Location"] == diploma.get_absolute_url()
    assert (diploma.entry_label, diploma.school_name, diploma.decision_date) == (
        "00001/THCS/2026",
        "Trường THCS Cũ",
        dt.date(2010, 6, 20),
    )
    refused = client.post(url, {"kind": "thcs", "serial": "A 0012345"})
    assert refused.status_code == 200 and Diploma.objects.count() == 1
