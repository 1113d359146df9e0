"""The public diploma lookup (Circular 53/2012 Art. 14.9; TT21/2019): by serial alone, or by name + date of birth,
answered from the portal's store that the register's services keep in step in the same transaction.

Phòng 1 keeps the register of the THCS diplomas of its schools (school A is under it); its staff issue, correct and
revoke through ``exams.services.register``, exactly as the pages do. Every answer here is read through the HTTP
route ``/cong/van-bang/tra-cuu/`` a portal calls.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from exams import rules
from exams.models import Diploma, DiplomaKind, GraduationRound, Issuer
from exams.portal_diplomas import MSG_BAD_DATE, MSG_BAD_SERIAL, MSG_BIRTH_DATE_MISSING, MSG_NAME_MISSING, MSG_NEITHER
from exams.services import portal_diplomas
from exams.services import register as services
from sms.portal.lookups import MSG_NOT_FOUND
from sms.portal.models import LookupLog, PublishedRecord

from .test_register import actor, correct, decided_round, entry, issue, phong_issuer, revoke

URL = "/cong/van-bang/tra-cuu/"
BORN = dt.date(2011, 3, 4)
#: what the portal shows of a diploma: what the diploma prints, and its status — nothing else
PUBLIC_KEYS = {
    "kind",
    "kind_display",
    "serial",
    "entry_label",
    "full_name",
    "birth_date",
    "birthplace",
    "sex",
    "sex_display",
    "graduation_year",
    "issuer",
    "signer_title",
    "signer_name",
    "issued_on",
    "place",
    "status",
    "status_display",
    "corrections",
    "revocation",
}


@pytest.fixture(autouse=True)
def _clean(settings):
    cache.clear()
    settings.PORTAL_RATE_PER_IP = 60
    settings.PORTAL_MISSES_PER_IDENTIFIER = 10
    settings.SMS_TRUSTED_PROXY_COUNT = 0
    yield
    cache.clear()


def post(data, *, ip="203.0.113.5", **extra):
    return Client().post(URL, data, REMOTE_ADDR=ip, **extra)


def post_json(data, *, ip="203.0.113.5", **extra):
    return Client().post(URL, json.dumps(data), content_type="application/json", REMOTE_ADDR=ip, **extra)


def issued(world, people, *, first_serial="A 0000001", issuer=None, school=None):
    """Issue THCS diplomas to ``people`` [(name, birth date)] through the register's batch issue."""
    issuer = issuer or phong_issuer(world)
    school = school or world.a.school
    round_ = decided_round(issuer, school, start_year=2025 - GraduationRound.objects.filter(unit=school).count())
    for name, born in people:
        entry(round_, school, name, birth_date=born)
    return issue(world, issuer, first_serial=first_serial)


def check_store_clean() -> None:
    """``manage.py portal_rebuild --check`` for the diploma kinds (raises when the store differs from the tables)."""
    call_command("portal_rebuild", *portal_diplomas.KINDS, "--check")


def items(response) -> list[dict]:
    body = response.json()
    assert body["found"] is True, body
    return body["result"]["items"]


# --- by serial ------------------------------------------------------------------------------------------------------


def test_the_serial_alone_opens_the_diploma_with_only_what_it_prints(world):
    (diploma,) = issued(world, [("Nguyễn Văn An", BORN)])
    [item] = items(post_json({"serial": "  a   0000001 "}))  # typed in lower case with extra spaces
    assert set(item) == PUBLIC_KEYS
    assert item == {
        "kind": "thcs",
        "kind_display": "Bằng tốt nghiệp trung học cơ sở",
        "serial": "A 0000001",
        "entry_label": "00001/THCS/2026",
        "full_name": "Nguyễn Văn An",
        "birth_date": "2011-03-04",
        "birthplace": "Xã Đồng Tâm",
        "sex": "F",
        "sex_display": "Nữ",
        "graduation_year": 2026,
        "issuer": "Chủ tịch UBND xã Đồng Tâm",
        "signer_title": "Chủ tịch",
        "signer_name": "Lê Văn Chủ Tịch",
        "issued_on": "2026-07-15",
        "place": "Đồng Tâm",
        "status": "valid",
        "status_display": "Có hiệu lực",
        "corrections": [],
        "revocation": None,
    }
    page = post({"serial": "A 0000001"}, HTTP_ACCEPT="text/html").content.decode()
    for label, value in [
        ("Họ và tên", "Nguyễn Văn An"),
        ("Ngày sinh", "04/03/2011"),
        ("Số hiệu", "A 0000001"),
        ("Số vào sổ gốc cấp văn bằng", "00001/THCS/2026"),
        ("Ngày cấp", "15/07/2026"),
        ("Người ký", "Chủ tịch Lê Văn Chủ Tịch"),
        ("Tình trạng", "Có hiệu lực"),
    ]:
        assert f'<th scope="row">{label}</th><td>{value}</td>' in page
    # the register's private data stays in the register
    for private in (diploma.personal_id, "Tày", diploma.decision_number, world.a.school.name):
        assert private not in page


def test_an_unknown_serial_is_a_miss(world):
    issued(world, [("Nguyễn Văn An", BORN)])
    response = post_json({"serial": "A 0000999"})
    assert response.status_code == 200
    assert response.json() == {"found": False, "message": MSG_NOT_FOUND}


# --- by name and date of birth --------------------------------------------------------------------------------------


def test_name_and_birth_date_list_every_diploma_of_the_person_and_no_namesake(world):
    issued(world, [("Nguyễn Văn An", BORN), ("Nguyễn Văn An", dt.date(2011, 9, 9)), ("Trần Thị Bình", BORN)])
    so_issuer = Issuer.objects.create(
        unit=world.so, name="Giám đốc Sở GD&ĐT", signer_title="Giám đốc", signer_name="Phạm Văn Giám Đốc",
        place_name="Thử Nghiệm", kinds=[DiplomaKind.THPT],
    )  # fmt: skip
    services.issue_one(
        actor(world, "so_staff"), so_issuer, kind=DiplomaKind.THPT, serial="B 0000777", issued_on=dt.date(2026, 8, 1),
        graduation_year=2026, decision_number="15/QĐ-SGDĐT", decision_date=dt.date(2026, 7, 20),
        school_name="Trường THPT Xuân Hoà", full_name="Nguyễn Văn An", birth_date=BORN, sex="M",
    )  # fmt: skip
    # typed without diacritics and in another case: the same person
    found = items(post_json({"full_name": "nguyen  VAN an", "birth_date": "04/03/2011"}))
    assert sorted((i["kind"], i["serial"], i["birth_date"]) for i in found) == [
        ("thcs", "A 0000001", "2011-03-04"),
        ("thpt", "B 0000777", "2011-03-04"),
    ]
    # ISO dates are accepted from a JSON client; the namesake born on another day is not shown
    other = items(post_json({"full_name": "Nguyễn Văn An", "birth_date": "2011-09-09"}))
    assert [(i["serial"], i["birth_date"]) for i in other] == [("A 0000002", "2011-09-09")]
    page = post({"full_name": "Nguyễn Văn An", "birth_date": "04/03/2011"}).content.decode()
    assert "Tìm thấy 2 văn bằng." in page and "09/09/2011" not in page


def test_a_wrong_birth_date_answers_exactly_like_an_unknown_name(world):
    issued(world, [("Nguyễn Văn An", BORN)])
    for send in (post, post_json):
        wrong_date = send({"full_name": "Nguyễn Văn An", "birth_date": "05/03/2011"})
        unknown = send({"full_name": "Lê Không Có", "birth_date": "05/03/2011"})
        assert wrong_date.status_code == unknown.status_code == 200
        assert wrong_date.content == unknown.content
        assert dict(wrong_date.headers) == dict(unknown.headers)
        body = wrong_date.content.decode()
        assert MSG_NOT_FOUND in (json.loads(body)["message"] if send is post_json else body)
        assert "05/03/2011" not in body and "Nguyễn Văn An" not in body  # nothing typed is echoed


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "serial", MSG_NEITHER),
        ({"serial": "  ", "full_name": "", "birth_date": ""}, "serial", MSG_NEITHER),
        ({"full_name": "Nguyễn Văn An"}, "birth_date", MSG_BIRTH_DATE_MISSING),
        ({"birth_date": "04/03/2011"}, "full_name", MSG_NAME_MISSING),
        ({"serial": "Số hiệu có dấu"}, "serial", MSG_BAD_SERIAL),
        ({"full_name": "Nguyễn Văn An", "birth_date": "31/02/2011"}, "birth_date", MSG_BAD_DATE),
        ({"full_name": "Nguyễn Văn An", "birth_date": "2011"}, "birth_date", MSG_BAD_DATE),
    ],
)
def test_an_incomplete_form_gets_a_clear_vietnamese_error_on_the_field(world, data, field, message):
    as_json = post_json(data)
    assert as_json.status_code == 400
    assert as_json.json()["errors"] == {field: [message]}
    page = post(data)
    assert page.status_code == 400
    html = page.content.decode()
    assert f'<a href="#id_{field}">' in html and message in html
    assert 'aria-invalid="true"' in html
    assert not LookupLog.objects.exists()  # nothing was looked up


def test_the_form_page_is_accessible_and_describes_itself_as_json(db):
    page = Client().get(URL)
    html = page.content.decode()
    assert page.status_code == 200 and '<html lang="vi">' in html
    assert "<legend><strong>Cách 1: theo số hiệu văn bằng</strong></legend>" in html
    assert "<legend><strong>Cách 2: theo họ và tên và ngày sinh</strong></legend>" in html
    for field, label in (("serial", "Số hiệu văn bằng"), ("full_name", "Họ và tên"), ("birth_date", "Ngày sinh")):
        assert f'<label for="id_{field}">{label}' in html
    described = Client().get(URL, HTTP_ACCEPT="application/json").json()
    assert described["kind"] == "diploma" and described["method"] == "POST"
    assert [f["name"] for f in described["fields"]] == ["serial", "full_name", "birth_date"]


# --- corrected, revoked ---------------------------------------------------------------------------------------------


def test_a_corrected_diploma_shows_the_new_data_and_what_was_corrected_never_the_old(world):
    (diploma,) = issued(world, [("Nguyễn Văn Anh Cũ", BORN)])
    correct(world, diploma, {"full_name": "Nguyễn Văn Anh", "birth_date": dt.date(2011, 3, 5)})
    [item] = items(post_json({"serial": diploma.serial}))
    assert (item["full_name"], item["birth_date"], item["status"]) == ("Nguyễn Văn Anh", "2011-03-05", "corrected")
    assert item["corrections"] == [
        {
            "decision_number": "7/QĐ-UBND",
            "decision_date": "2026-10-02",
            "fields": ["full_name", "birth_date"],
            "fields_display": ["họ và tên", "ngày sinh"],
        }
    ]
    assert "Cũ" not in json.dumps(item, ensure_ascii=False) and "2011-03-04" not in json.dumps(item)
    # found by the new name and date; the old ones open nothing any more
    assert items(post_json({"full_name": "Nguyễn Văn Anh", "birth_date": "05/03/2011"}))[0]["serial"] == "A 0000001"
    assert post_json({"full_name": "Nguyễn Văn Anh Cũ", "birth_date": "04/03/2011"}).json()["found"] is False
    page = post({"serial": diploma.serial}).content.decode()
    assert "<strong>Tình trạng:</strong> Có hiệu lực, đã chỉnh sửa" in page
    assert "Đã chỉnh sửa theo quyết định số 7/QĐ-UBND ngày 02/10/2026: họ và tên, ngày sinh." in page
    check_store_clean()


def test_a_revoked_diploma_stays_findable_as_revoked(world):
    (diploma,) = issued(world, [("Nguyễn Văn An", BORN)])
    revoke(world, diploma)
    for data in ({"serial": diploma.serial}, {"full_name": "Nguyen Van An", "birth_date": "04/03/2011"}):
        [item] = items(post_json(data))
        assert item["status"] == "revoked" and item["status_display"] == "Đã thu hồi"
        assert item["revocation"] == {
            "decision_number": "99/QĐ-UBND",
            "decision_date": "2026-11-01",
            "reason": "fraud",
            "reason_display": rules.REVOCATION_REASONS["fraud"],
        }
    page = post({"serial": diploma.serial}).content.decode()
    assert 'class="portal-status portal-status--revoked"><strong>Tình trạng:</strong> Đã thu hồi' in page
    assert "Văn bằng đã bị thu hồi theo quyết định số 99/QĐ-UBND ngày 01/11/2026." in page
    assert "Dùng học bạ giả" not in page  # the decision's own text is not published, only the reason
    check_store_clean()


def test_the_issuers_new_name_and_place_reach_the_portal_in_the_same_change(world):
    (diploma,) = issued(world, [("Nguyễn Văn An", BORN)])
    issuer = diploma.issuer
    services.update_issuer(
        actor(world, "p1_admin"), issuer, name="Chủ tịch UBND phường Đồng Tâm", place_name="Ninh Bình"
    )
    [item] = items(post_json({"serial": diploma.serial}))
    assert (item["issuer"], item["place"]) == ("Chủ tịch UBND phường Đồng Tâm", "Ninh Bình")
    assert (item["signer_title"], item["signer_name"]) == ("Chủ tịch", "Lê Văn Chủ Tịch")  # as issued
    check_store_clean()


# --- the store follows every flow -----------------------------------------------------------------------------------


def test_portal_rebuild_check_is_clean_after_every_flow_and_catches_a_change_behind_its_back(world):
    diplomas = issued(world, [("Nguyễn Văn An", BORN), ("Trần Thị Bình", BORN), ("Lê Văn Cường", BORN)])
    check_store_clean()
    by_hand = services.issue_one(
        actor(world, "p1_staff"), diplomas[0].issuer, kind=DiplomaKind.THCS, serial="C 0000001",
        issued_on=dt.date(2026, 8, 1), graduation_year=2019, decision_number="3/QĐ-UBND",
        decision_date=dt.date(2019, 6, 20), school_name="Trường THCS Cũ", full_name="Đỗ Văn Cũ",
        birth_date=dt.date(2004, 1, 2), sex="M",
    )  # fmt: skip
    check_store_clean()
    correct(world, diplomas[1], {"birthplace": "Hà Nội"})
    revoke(world, diplomas[2])
    services.issue_copy(
        actor(world, "p1_staff"), diplomas[0], requester_name="Nguyễn Văn An", relation="holder",
        requester_id_number="001211000001",
    )  # fmt: skip
    check_store_clean()
    assert PublishedRecord.objects.filter(kind="diploma-serial").count() == 4
    assert PublishedRecord.objects.filter(kind="diploma-name").count() == 4
    assert items(post_json({"serial": by_hand.serial}))[0]["full_name"] == "Đỗ Văn Cũ"

    # an edit that skips the services leaves the store stale, and the check says so
    Diploma.objects.filter(pk=diplomas[0].pk).update(birthplace="Nơi khác")
    with pytest.raises(CommandError):
        check_store_clean()
    call_command("portal_rebuild", *portal_diplomas.KINDS)
    check_store_clean()
    assert items(post_json({"serial": diplomas[0].serial}))[0]["birthplace"] == "Nơi khác"


def test_an_imported_past_register_is_public_in_the_same_transaction(world):
    from .test_register_import import confirm, row
    from .test_register_import import phong_issuer as import_issuer

    issuer = import_issuer(world)
    checked, done = confirm(world, issuer, [row(1), row(2, **{"Họ và tên": "Hoàng Thị Nhập"})])
    assert done is not None and done.status_code == 200, checked.content.decode()[:2000]
    [item] = items(post_json({"serial": "A 0000002"}))
    assert (item["full_name"], item["entry_label"], item["issued_on"]) == (
        "Hoàng Thị Nhập",
        "00002/THCS/2019",
        "2019-07-15",
    )
    assert items(post_json({"full_name": "hoang thi nhap", "birth_date": "04/03/2004"}))[0]["serial"] == "A 0000002"
    check_store_clean()
    # importing the same book again changes nothing, in the register or on the portal
    confirm(world, issuer, [row(1), row(2, **{"Họ và tên": "Hoàng Thị Nhập"})])
    assert PublishedRecord.objects.filter(kind="diploma-serial").count() == 2
    check_store_clean()


def test_a_failed_issue_publishes_nothing(world):
    issuer = phong_issuer(world)
    issued(world, [("Nguyễn Văn An", BORN)], issuer=issuer)
    round_ = decided_round(issuer, world.a.school, number=2)
    entry(round_, world.a.school, "Trần Thị Bình")
    with pytest.raises(ValidationError, match="đã được dùng"):
        issue(world, issuer, first_serial="A 0000001")  # the serial is taken: nothing is issued
    assert post_json({"full_name": "Trần Thị Bình", "birth_date": "04/03/2011"}).json()["found"] is False
    assert PublishedRecord.objects.filter(kind="diploma-name").count() == 1


def _issue_queries(world, count: int, serial_head: str, start_year: int) -> tuple[int, int]:
    """(queries of the whole batch issue, queries of its store write) for ``count`` graduates of a new issuer."""
    issuer = phong_issuer(world, name=f"Chủ tịch UBND xã {serial_head}")
    round_ = decided_round(issuer, world.a.school, start_year=start_year)
    for i in range(count):
        entry(round_, world.a.school, f"Học Sinh {serial_head} {i:03d}")
    keeper = actor(world, "p1_staff")
    entries = [r.entry for r in services.awaiting(keeper, issuer, "thcs")]
    with CaptureQueriesContext(connection) as whole:
        created = services.issue_batch(
            keeper, issuer, "thcs", entries, issued_on=dt.date(2026, 7, 15), first_serial=f"{serial_head} 0000001"
        )
    with CaptureQueriesContext(connection) as store_write:
        assert portal_diplomas.publish(created) == count
    return len(whole), len(store_write)


def test_the_store_write_of_a_batch_is_a_constant_number_of_queries(world):
    small = _issue_queries(world, 5, "D", 2025)
    large = _issue_queries(world, 50, "E", 2024)
    assert small[1] == large[1], (small, large)  # the store write
    if connection.vendor == "postgresql":  # SQLite splits the register's own bulk INSERT by its parameter limit
        assert small[0] == large[0], (small, large)  # the whole issue
    assert PublishedRecord.objects.filter(kind="diploma-serial").count() == 55


# --- abuse: throttling and the log ----------------------------------------------------------------------------------


def test_serial_enumeration_from_one_address_is_refused_with_429(world, settings):
    settings.PORTAL_RATE_PER_IP = 5
    issued(world, [("Nguyễn Văn An", BORN)])
    for n in range(5):
        assert post_json({"serial": f"A {n + 100:07d}"}).json()["found"] is False
    refused = post_json({"serial": "A 0000001"})  # even a real serial: the address has spent its minute
    assert refused.status_code == 429
    assert refused.json()["message"] == "Bạn đã tra cứu quá nhiều lần. Vui lòng thử lại sau 1 phút."
    assert 1 <= int(refused["Retry-After"]) <= 60
    page = post({"serial": "A 0000001"})
    assert page.status_code == 429 and 'role="alert"' in page.content.decode()
    assert LookupLog.objects.filter(kind="diploma", throttled=True).count() == 2
    assert post_json({"serial": "A 0000001"}, ip="198.51.100.20").json()["found"] is True  # another address


def test_misses_on_one_name_are_capped_from_any_address_and_hits_never_count(world, settings):
    settings.PORTAL_MISSES_PER_IDENTIFIER = 3
    (diploma,) = issued(world, [("Nguyễn Văn An", BORN)])
    # the holder and employers look it up again and again: hits never count
    for n in range(6):
        assert post_json({"full_name": "Nguyễn Văn An", "birth_date": "04/03/2011"}, ip=f"198.51.100.{n}").json()[
            "found"
        ]
        assert post_json({"serial": diploma.serial}, ip=f"198.51.100.{n}").json()["found"]
    # guessing the birth date from three addresses spends the name's misses
    for n, guess in enumerate(("01/01/2011", "02/01/2011", "03/01/2011")):
        assert (
            post_json({"full_name": "nguyen van an", "birth_date": guess}, ip=f"192.0.2.{n}").json()["found"] is False
        )
    blocked = post_json({"full_name": "Nguyễn Văn An", "birth_date": "04/03/2011"}, ip="192.0.2.99")
    assert blocked.status_code == 429
    assert blocked.json()["message"].startswith("Bạn đã tra cứu quá nhiều lần. Vui lòng thử lại sau")
    assert 1 <= int(blocked["Retry-After"]) <= 3600
    # the serial and other names are other identifiers
    assert post_json({"serial": diploma.serial}, ip="192.0.2.99").json()["found"] is True
    assert post_json({"full_name": "Trần Thị Bình", "birth_date": "04/03/2011"}).status_code == 200


def test_every_lookup_is_logged_without_the_birth_date(world):
    (diploma,) = issued(world, [("Nguyễn Văn An", BORN)])
    post_json({"full_name": "Nguyễn Văn An", "birth_date": "04/03/2011"}, ip="198.51.100.7")
    post({"full_name": "nguyen van an", "birth_date": "2011-03-05"}, ip="198.51.100.8")
    post({"serial": "a 0000001"}, ip="198.51.100.9")
    post_json({"serial": "A 0000404"}, ip="198.51.100.10")
    rows = list(LookupLog.objects.order_by("pk"))
    assert [(r.kind, r.identifier, r.found, r.throttled, r.ip) for r in rows] == [
        ("diploma", "NGUYEN VAN AN", True, False, "198.51.100.7"),
        ("diploma", "NGUYEN VAN AN", False, False, "198.51.100.8"),
        ("diploma", "A 0000001", True, False, "198.51.100.9"),
        ("diploma", "A 0000404", False, False, "198.51.100.10"),
    ]
    assert [r.unit_id for r in rows] == [world.phong1.pk, None, world.phong1.pk, None]
    for row in rows:
        for field in LookupLog._meta.concrete_fields:
            value = str(field.value_from_object(row))
            assert "2011" not in value and "03/" not in value and "04/" not in value, (field.name, value)
    assert diploma.birth_date == BORN


def test_answers_are_uncacheable_and_embeddable_only_by_the_portal(world, settings):
    settings.PORTAL_ORIGINS = ["https://sgd.thunghiem.edu.vn"]
    issued(world, [("Nguyễn Văn An", BORN)])
    for response in (Client().get(URL), post({"serial": "A 0000001"}), post({"serial": "A 0000002"})):
        assert {"no-store", "private"} <= {d.strip() for d in response["Cache-Control"].split(",")}
        assert "frame-ancestors 'self' https://sgd.thunghiem.edu.vn" in response["Content-Security-Policy"]
        assert not response.cookies


# --- one indexed query, whatever the size -------------------------------------------------------------------------


def _lookup_queries(data) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = post_json(data)
    assert response.json()["found"] is True
    return [q["sql"] for q in queries.captured_queries]


def test_a_lookup_costs_the_same_queries_for_one_diploma_and_for_many(world):
    issuer = phong_issuer(world)
    issued(world, [("Nguyễn Văn An", BORN)], issuer=issuer)
    small = [_lookup_queries({"serial": "A 0000001"}), _lookup_queries({"full_name": "Nguyễn Văn An",
                                                                       "birth_date": "04/03/2011"})]  # fmt: skip
    # sixty more diplomas, twenty of them namesakes born on other days
    people = [(f"Người Học {i:02d}", BORN) for i in range(40)]
    people += [("Nguyễn Văn An", dt.date(2010, 1, 1) + dt.timedelta(days=i)) for i in range(20)]
    issued(world, people, issuer=issuer, first_serial="A 0001000")
    large = [_lookup_queries({"serial": "A 0000001"}), _lookup_queries({"full_name": "Nguyễn Văn An",
                                                                       "birth_date": "04/03/2011"})]  # fmt: skip
    for few, many in zip(small, large, strict=True):
        assert len(few) == len(many), (few, many)
        # one indexed read of the store, no read of the register's tables
        assert sum('FROM "portal_publishedrecord"' in q for q in many) == 1
        assert not any('"exams_' in q for q in many)
    assert reverse("portal:diploma-lookup") == URL
