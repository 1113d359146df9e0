"""The graduation API (/api/exams/graduation-*): the same services as the pages, through the door."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from exams.models import GraduationCouncilMember, GraduationEntry, GraduationLevel, GraduationRound, RoundStatus
from exams.services import graduation as services
from sms.accounts.roles import Role
from tests.world import api_client

from .test_graduation import SEVEN, build_grad_world, proposed_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def gw(world):
    return build_grad_world(world)


ROUNDS = "/api/exams/graduation-rounds/"
COUNCIL = "/api/exams/graduation-council/"
ENTRIES = "/api/exams/graduation-entries/"


def test_a_thcs_round_through_the_api(gw):
    school = api_client(gw.world.a.m(Role.PRINCIPAL))
    response = school.post(ROUNDS, {"level": GraduationLevel.THCS}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    rid = body["id"]
    assert (body["status"], body["number"], body["start_year"], body["issuer"]) == (
        RoundStatus.DRAFT,
        1,
        gw.world.a.year.start_year,
        gw.issuer.pk,
    )
    assert body["actions"] == {"review": True, "propose": True, "decide": False, "send_back": False, "edit": True}
    assert len(body["council_problems"]) == 3

    for i, role in enumerate(SEVEN):
        response = school.post(COUNCIL, {"round": rid, "full_name": f"Thành Viên {i}", "role": role}, format="json")
        assert response.status_code == 201, response.json()
    response = school.post(f"{ROUNDS}{rid}/review/", format="json")
    assert response.status_code == 200
    assert {k: response.json()[k] for k in ("entries", "recognised", "not_recognised", "added")} == {
        "entries": 5,
        "recognised": 2,
        "not_recognised": 3,
        "added": 5,
    }

    rows = school.get(ENTRIES, {"round": rid, "recognised": "false"}).json()["results"]
    texts = {row["full_name"]: row["reason_texts"] for row in rows}
    assert texts["Phạm Thị Dung"] == ["Nghỉ học quá 45 buổi trong năm học lớp 9"]
    assert set(texts) == {"Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Em"}
    an = GraduationEntry.objects.get(round_id=rid, full_name="Ngô Quang An")
    response = school.post(f"{ENTRIES}{an.pk}/exclude/", {"note": ""}, format="json")
    assert response.status_code == 400 and "note" in response.json()["errors"]
    response = school.post(f"{ENTRIES}{an.pk}/exclude/", {"note": "Thiếu hồ sơ"}, format="json")
    assert response.status_code == 200
    assert (response.json()["recognised"], response.json()["reasons"]) == (False, ["council"])
    response = school.post(f"{ENTRIES}{an.pk}/include/", format="json")
    assert response.json()["recognised"] is True

    response = school.post(f"{ROUNDS}{rid}/propose/", format="json")
    assert response.status_code == 200 and response.json()["status"] == RoundStatus.PROPOSED
    response = school.post(f"{ROUNDS}{rid}/decide/", {"decision_number": "1", "decision_date": "2026-06-01"})
    assert response.status_code == 403  # the Phòng keeps the issuer's register

    phong = api_client(gw.world.members["phong1_staff"])
    response = phong.post(f"{ROUNDS}{rid}/decide/", {"decision_number": "", "decision_date": None}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"decision_number", "decision_date"}
    today = timezone.localdate()
    response = phong.post(
        f"{ROUNDS}{rid}/decide/", {"decision_number": "15/QĐ-PGDĐT", "decision_date": today.isoformat()}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["decision_number"], body["decision_date"], body["decision_signer"]) == (
        RoundStatus.DECIDED,
        "15/QĐ-PGDĐT",
        today.isoformat(),
        "Trưởng phòng Lê Văn Trưởng",
    )
    assert body["summary"]["recognised"] == 2

    # frozen
    assert school.post(f"{ROUNDS}{rid}/review/", format="json").status_code == 400
    member = GraduationCouncilMember.objects.filter(round_id=rid).first()
    assert school.delete(f"{COUNCIL}{member.pk}/").status_code == 400
    assert GraduationCouncilMember.objects.filter(pk=member.pk).exists()


def test_an_incomplete_council_is_a_400_naming_the_problem(gw):
    school = api_client(gw.world.a.m(Role.PRINCIPAL))
    rid = school.post(ROUNDS, {"level": GraduationLevel.THCS}, format="json").json()["id"]
    school.post(f"{ROUNDS}{rid}/review/", format="json")
    response = school.post(f"{ROUNDS}{rid}/propose/", format="json")
    assert response.status_code == 400
    messages = response.json()["errors"]["non_field_errors"]
    assert "Hội đồng xét tốt nghiệp phải có ít nhất 7 thành viên (hiện có 0)." in messages


def test_the_phong_sends_a_round_back_with_a_note(gw):
    rnd = proposed_round(gw)
    phong = api_client(gw.world.members["phong1_staff"])
    assert phong.post(f"{ROUNDS}{rnd.pk}/return/", {"note": ""}, format="json").status_code == 400
    response = phong.post(f"{ROUNDS}{rnd.pk}/return/", {"note": "Bổ sung hồ sơ"}, format="json")
    assert response.status_code == 200
    today = timezone.localdate().strftime("%d/%m/%Y")
    body = response.json()
    assert (body["status"], body["note"], body["proposed_at"]) == (
        RoundStatus.DRAFT,
        f"Trả lại {today}: Bổ sung hồ sơ",
        None,
    )


@pytest.mark.parametrize("who", ["phong2_admin", "b_principal"])
def test_another_branch_gets_404_everywhere(gw, who):
    rnd = proposed_round(gw)
    entry = GraduationEntry.objects.filter(round=rnd).first()
    member = GraduationCouncilMember.objects.filter(round=rnd).first()
    client = api_client(gw.world.members.get(who) or gw.world.b.m(Role.PRINCIPAL))
    assert client.get(f"{ROUNDS}{rnd.pk}/").status_code == 404
    assert (
        client.post(f"{ROUNDS}{rnd.pk}/decide/", {"decision_number": "1", "decision_date": "2026-06-01"}).status_code
        == 404
    )
    assert client.post(f"{ENTRIES}{entry.pk}/exclude/", {"note": "x"}).status_code == 404
    assert client.patch(f"{COUNCIL}{member.pk}/", {"full_name": "X"}, format="json").status_code == 404
    assert client.get(ENTRIES, {"round": rnd.pk}).status_code == 400  # a round they do not see is no choice
    assert not {r["id"] for r in client.get(ENTRIES).json()["results"]} & {entry.pk}
    assert rnd.pk not in {r["id"] for r in client.get(ROUNDS).json()["results"]}


def test_a_council_member_never_moves_to_another_round(gw):
    rnd = services.create_round(gw.principal, level=GraduationLevel.THCS)
    other = GraduationRound.objects.create(
        unit=gw.world.a.school, level=GraduationLevel.THCS, start_year=2020, number=1
    )
    member = services.add_council_member(gw.principal, rnd, full_name="Lý Văn Một", role="chair")
    school = api_client(gw.world.a.m(Role.PRINCIPAL))
    response = school.patch(f"{COUNCIL}{member.pk}/", {"round": other.pk, "position": "Hiệu trưởng"}, format="json")
    assert response.status_code == 200
    member.refresh_from_db()
    assert (member.round_id, member.position) == (rnd.pk, "Hiệu trưởng")


def test_a_learner_reads_the_own_entry_through_the_api_once_decided(gw):
    an = gw.learners["Ngô Quang An"]
    an.user = gw.world.a.m(Role.STUDENT).user
    an.save()
    rnd = proposed_round(gw)
    learner = api_client(gw.world.a.m(Role.STUDENT))
    assert learner.get(ENTRIES).json()["results"] == []
    services.decide(gw.phong1_staff, rnd, decision_number="15/QĐ", decision_date=timezone.localdate())
    rows = learner.get(ENTRIES).json()["results"]
    assert [(r["full_name"], r["recognised"]) for r in rows] == [("Ngô Quang An", True)]
    assert learner.get(f"{ROUNDS}{rnd.pk}/").status_code == 404


def test_the_entries_list_does_not_query_per_entry(gw):
    rnd = services.create_round(gw.principal, level=GraduationLevel.THCS)
    services.review(gw.principal, rnd)  # five entries
    client = api_client(gw.world.members["phong1_staff"])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(ENTRIES, {"round": rnd.pk})
        assert response.status_code == 200
        return len(queries)

    count()  # the token's first use is recorded once
    five = count()
    for n in range(10):
        GraduationEntry.objects.create(
            round=rnd, school=gw.world.a.school, full_name=f"Thêm {n}", birth_date=timezone.localdate(), sex="F"
        )
    assert count() == five
