"""The API side of marks from Excel and of the code → candidate list (acceptance point 6: "xlsx
import of marks … dry run, per-row errors, idempotent; API for all of it").

``POST /api/exams/subjects/<pk>/import-marks/`` runs ``exams.marks_import.MarksImporter``: the dry
run writes nothing and lists every row with its errors by column, the confirm writes in one
transaction or (any bad row) nothing, the same file twice changes nothing. The template carries
codes only; ``keys/`` (bảng ghép phách) is the secretariat's alone. Anyone else who can read the
subject gets a 403, anyone who cannot a 404.
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from exams.marks_import import CODE, MARKER, SCORE
from exams.models import Exam, Mark, MarkRound, Script, ScriptKey, ScriptStatus
from exams.services import marking
from sms.exports import xlsx
from tests.world import api_client

from .test_marking import build_marking, enter, ready

D = Decimal


@pytest.fixture
def mk(world):
    m = build_marking(world)
    ready(m, absent=[m.candidates[3]])
    return m


def _book(rows, headers=(CODE, SCORE, MARKER)) -> bytes:
    book = xlsx.Workbook()
    sheet = book.sheet("Điểm chấm", list(headers))
    for row in rows:
        sheet.row(row)
    return book.save()


def _import_url(subject) -> str:
    return f"/api/exams/subjects/{subject.pk}/import-marks/"


def _post(client, subject, data: bytes, *, round_="1", dry_run=True):
    upload = SimpleUploadedFile("diem.xlsx", data, content_type=xlsx.CONTENT_TYPE)
    return client.post(
        _import_url(subject),
        {"file": upload, "round": round_, "dry_run": "true" if dry_run else "false"},
        format="multipart",
    )


def _round(mk, round_=MarkRound.FIRST):
    return list(
        Mark.objects.filter(script__exam_subject=mk.essay, round=round_)
        .select_related("script", "marker__user")
        .order_by("script__code")
    )


def _scores():
    return sorted((m.pk, m.score) for m in Mark.objects.all())


# --- dry run, confirm, twice ------------------------------------------------------------------------------


def test_dry_run_lists_every_row_with_errors_by_column_and_writes_nothing(mk):
    marks = _round(mk)
    absent_code = mk.script_of(mk.candidates[3]).code
    data = _book(
        [
            [marks[0].script.code, "7,5", marks[0].marker.user.username],
            ["999999", "5", ""],
            [marks[1].script.code, "10,5", ""],
            [marks[0].script.code, "6", ""],
            [marks[2].script.code, "6", "nguoi.khac"],
            [absent_code, "5", ""],
        ]
    )
    history = Mark.history.count()
    response = _post(api_client(mk.people["secretariat"]), mk.essay, data)
    assert response.status_code == 400
    body = response.json()
    assert body["dry_run"] is True and body["ok"] is False and body["saved"] is False
    assert body["result"] is None
    assert body["counts"] == {"new": 1, "updated": 0, "unchanged": 0, "error": 5}
    rows = {r["row"]: r for r in body["rows"]}
    assert sorted(rows) == [2, 3, 4, 5, 6, 7]
    assert rows[2]["status"] == "new" and rows[2]["errors"] == [] and rows[2]["status_display"] == "Thêm mới"
    assert rows[3]["column_errors"] == {CODE: ["môn Ngữ văn không có bài thi số phách 999999."]}
    assert list(rows[4]["column_errors"]) == [SCORE]
    assert "điểm phải từ 0 đến 10" in rows[4]["column_errors"][SCORE][0]
    assert rows[5]["column_errors"] == {CODE: [f"số phách {marks[0].script.code} đã có ở dòng 2."]}
    assert list(rows[6]["column_errors"]) == [MARKER]
    assert list(rows[7]["column_errors"]) == [CODE]
    assert rows[7]["status_display"] == "Lỗi"
    # every row error also in the flat list, each naming its Excel row and column
    assert len(body["errors"]) == 5
    assert "Dòng 3, cột “Số phách”: môn Ngữ văn không có bài thi số phách 999999." in body["errors"]
    assert not Mark.objects.filter(score__isnull=False).exists()
    assert Mark.history.count() == history


def test_a_clean_dry_run_previews_and_writes_nothing(mk):
    data = _book([[m.script.code, "6,5", ""] for m in _round(mk)])
    response = _post(api_client(mk.people["secretariat"]), mk.essay, data)
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True and body["saved"] is False and body["result"] is None
    assert body["counts"]["new"] == 3
    assert not Mark.objects.filter(score__isnull=False).exists()


def test_confirm_with_a_bad_row_answers_every_error_and_writes_nothing(mk):
    marks = _round(mk)
    data = _book(
        [
            [marks[0].script.code, "7", ""],
            [marks[1].script.code, "abc", ""],
            ["000000", "5", ""],
        ]
    )
    history = Mark.history.count()
    response = _post(api_client(mk.people["secretariat"]), mk.essay, data, dry_run=False)
    assert response.status_code == 400
    body = response.json()
    assert body["saved"] is False and body["result"] is None
    assert body["errors"] == [
        "Dòng 3, cột “Điểm”: “abc” không phải là điểm (ví dụ 6,75).",
        "Dòng 4, cột “Số phách”: môn Ngữ văn không có bài thi số phách 000000.",
    ]
    assert not Mark.objects.filter(score__isnull=False).exists()
    assert Mark.history.count() == history


def test_confirm_writes_in_one_go_and_the_same_file_twice_changes_nothing(mk, django_assert_max_num_queries):
    marks = _round(mk)
    data = _book([[m.script.code, "6,5", m.marker.user.username] for m in marks])
    client = api_client(mk.people["secretariat"])
    with django_assert_max_num_queries(60):
        response = _post(client, mk.essay, data, dry_run=False)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["ok"] is True and body["saved"] is True
    assert body["result"] == {"saved": 3, "unchanged": 0}
    assert set(Mark.objects.filter(round=MarkRound.FIRST).values_list("score", flat=True)) == {D("6.50")}
    entered = Mark.history.filter(score=D("6.50")).first()
    assert entered.history_user_id == mk.people["secretariat"].user.pk

    before, history = _scores(), Mark.history.count()
    again = _post(client, mk.essay, data, dry_run=False)
    assert again.status_code == 200
    assert again.json()["counts"]["unchanged"] == 3
    assert again.json()["result"] == {"saved": 0, "unchanged": 3}
    assert _scores() == before
    assert Mark.history.count() == history


def test_round_two_from_the_api_reconciles_the_scripts(mk):
    for m in _round(mk):
        enter(mk, m.script, MarkRound.FIRST, "6")
    data = _book([[m.script.code, "6.5", ""] for m in _round(mk, MarkRound.SECOND)])
    response = _post(api_client(mk.people["secretariat"]), mk.essay, data, round_="2", dry_run=False)
    assert response.status_code == 200, response.json()
    assert response.json()["result"]["saved"] == 3
    assert Script.objects.filter(status=ScriptStatus.FINAL, final_score=D("6.25")).count() == 3


@pytest.mark.parametrize(
    ("round_", "field"),
    [("3", "round"), ("joint", "round"), ("", "round")],
)
def test_only_rounds_one_and_two_are_imported(mk, round_, field):
    data = _book([[m.script.code, "5", ""] for m in _round(mk)])
    response = _post(api_client(mk.people["secretariat"]), mk.essay, data, round_=round_)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Mark.objects.filter(score__isnull=False).exists()


def test_a_single_marked_subject_and_a_matched_one_refuse_the_file(mk):
    ready(mk, mk.quiz)
    client = api_client(mk.people["secretariat"])
    quiz = _book([["000001", "5", ""]])
    refused = _post(client, mk.quiz, quiz, round_="2", dry_run=False)
    assert refused.status_code == 400
    assert refused.json()["errors"] == ["Môn Tiếng Anh chỉ chấm một lần."]

    for m in Mark.objects.filter(script__exam_subject=mk.essay).select_related("script"):
        enter(mk, m.script, m.round, "5")
    marking.match(mk.actor("secretariat"), mk.essay)
    before = _scores()
    response = _post(client, mk.essay, _book([[m.script.code, "9", ""] for m in _round(mk)]), dry_run=False)
    assert response.status_code == 400
    assert response.json()["errors"] == ["Môn Ngữ văn đã ghép phách: điểm chấm đã khoá."]
    assert _scores() == before


def test_a_file_that_is_not_a_workbook_is_a_400(mk):
    upload = SimpleUploadedFile("diem.xlsx", b"not a workbook", content_type=xlsx.CONTENT_TYPE)
    response = api_client(mk.people["secretariat"]).post(
        _import_url(mk.essay), {"file": upload, "round": "1"}, format="multipart"
    )
    assert response.status_code == 400


# --- who may -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["chair", "m1", "m3", "so_admin", "so_staff"])
def test_the_chair_markers_and_organisers_are_refused_everything(mk, who):
    client = api_client(mk.people[who])
    data = _book([[m.script.code, "9", ""] for m in _round(mk)])
    response = _post(client, mk.essay, data, dry_run=False)
    assert response.status_code == 403
    assert response.json()["detail"] == "Chỉ thư ký hội đồng thi mới nhập điểm chấm từ tệp."
    assert client.get(f"/api/exams/subjects/{mk.essay.pk}/marks-template/?round=1").status_code == 403
    keys = client.get(f"/api/exams/subjects/{mk.essay.pk}/keys/")
    assert keys.status_code == 403
    assert keys.json()["detail"] == "Chỉ thư ký hội đồng thi mới xem được bảng ghép phách."
    assert not Mark.objects.filter(score__isnull=False).exists()


@pytest.mark.parametrize("who", ["phong2_admin", "phong1_admin"])
def test_an_admin_who_reads_the_exam_but_is_not_its_secretariat_gets_403(mk, world, who):
    """A Sở exam is read down the tree (``inherited``): a Phòng admin reads its subjects, so the
    refusal is a 403, exactly as the HTML keys page answers."""
    client = api_client(world.members[who])
    assert client.get(f"/api/exams/subjects/{mk.essay.pk}/keys/").status_code == 403
    assert _post(client, mk.essay, _book([["000001", "9", ""]]), dry_run=False).status_code == 403


def test_a_phong_2_admin_gets_404_for_a_phong_1_exam(mk, world):
    Exam.objects.filter(pk=mk.exam.pk).update(unit=world.phong1)
    client = api_client(world.members["phong2_admin"])
    data = _book([[m.script.code, "9", ""] for m in _round(mk)])
    assert _post(client, mk.essay, data, dry_run=False).status_code == 404
    assert client.get(f"/api/exams/subjects/{mk.essay.pk}/marks-template/?round=1").status_code == 404
    missing = client.get("/api/exams/subjects/999999999/keys/")
    foreign = client.get(f"/api/exams/subjects/{mk.essay.pk}/keys/")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    assert not Mark.objects.filter(score__isnull=False).exists()
    # the secretariat (a school of Phòng 1, on the board) still works
    secretariat = api_client(mk.people["secretariat"])
    assert len(secretariat.get(f"/api/exams/subjects/{mk.essay.pk}/keys/").json()) == 4
    assert _post(secretariat, mk.essay, data, dry_run=False).status_code == 200


# --- the template and the keys --------------------------------------------------------------------------------


def test_the_template_carries_the_codes_and_nothing_about_candidates(mk):
    client = api_client(mk.people["secretariat"])
    response = client.get(f"/api/exams/subjects/{mk.essay.pk}/marks-template/?round=1")
    assert response.status_code == 200
    assert response["Content-Type"] == xlsx.CONTENT_TYPE
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = [tuple(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == (CODE, SCORE, MARKER)
    marks = _round(mk)
    assert {r[0] for r in rows[1:]} == {m.script.code for m in marks}
    assert {r[2] for r in rows[1:]} == {m.marker.user.username for m in marks}
    text = str([tuple(r) for ws in load_workbook(io.BytesIO(response.content)) for r in ws.iter_rows(values_only=True)])
    assert not any(c.full_name in text or c.number in text for c in mk.candidates)

    second = client.get(f"/api/exams/subjects/{mk.essay.pk}/marks-template/?round=2")
    rows2 = list(load_workbook(io.BytesIO(second.content)).worksheets[0].iter_rows(values_only=True))
    assert {r[2] for r in rows2[1:]} == {m.marker.user.username for m in _round(mk, MarkRound.SECOND)}
    assert client.get(f"/api/exams/subjects/{mk.essay.pk}/marks-template/?round=3").status_code == 400


def test_the_template_filled_in_imports_as_is(mk):
    client = api_client(mk.people["secretariat"])
    template = client.get(f"/api/exams/subjects/{mk.essay.pk}/marks-template/?round=1").content
    book = load_workbook(io.BytesIO(template))
    sheet = book.worksheets[0]
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row=row, column=2).value = "8,25"
    out = io.BytesIO()
    book.save(out)
    response = _post(client, mk.essay, out.getvalue(), dry_run=False)
    assert response.status_code == 200, response.json()
    assert response.json()["result"] == {"saved": 3, "unchanged": 0}


def test_keys_list_each_code_with_its_candidate_for_the_secretariat(mk, django_assert_max_num_queries):
    client = api_client(mk.people["secretariat"])
    with django_assert_max_num_queries(25):
        response = client.get(f"/api/exams/subjects/{mk.essay.pk}/keys/")
    assert response.status_code == 200
    body = response.json()
    expected = sorted(
        (k.candidate.number, k.script.code, k.candidate_id, k.candidate.full_name)
        for k in ScriptKey.objects.filter(script__exam_subject=mk.essay).select_related("script", "candidate")
    )
    assert [(r["number"], r["code"], r["candidate"], r["full_name"]) for r in body] == expected
    assert len(body) == 4
    absent = mk.script_of(mk.candidates[3])
    assert {r["code"]: r["absent"] for r in body}[absent.code] is True
    assert sum(r["absent"] for r in body) == 1
    # another subject's keys are not mixed in
    ready(mk, mk.quiz)
    assert len(client.get(f"/api/exams/subjects/{mk.essay.pk}/keys/").json()) == 4
