"""Marks from Excel by code (acceptance point 6): the template lists the codes given (no
candidate data), the dry run writes nothing and names each bad row and column, the confirm
writes in one transaction, the same file twice changes nothing, and a matched subject refuses."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from exams.marks_import import CODE, MARKER, SCORE, MarksImporter
from exams.models import Mark, MarkRound, Script, ScriptStatus
from exams.services import marking
from sms.exports import xlsx
from tests.world import web_client

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


def _url(mk, round_="1"):
    return reverse("exams:examsubject-marks-import", kwargs={"pk": mk.essay.pk}) + f"?lan={round_}"


def _upload(client, url, data: bytes):
    upload = SimpleUploadedFile("diem.xlsx", data, content_type=xlsx.CONTENT_TYPE)
    return client.post(url, {"file": upload})


def _round1(mk):
    return list(
        Mark.objects.filter(script__exam_subject=mk.essay, round=MarkRound.FIRST)
        .select_related("script", "marker__user")
        .order_by("script__code")
    )


def test_the_template_lists_the_codes_given_and_nothing_about_candidates(mk):
    client = web_client(mk.people["secretariat"])
    response = client.get(reverse("exams:examsubject-marks-template", kwargs={"pk": mk.essay.pk}) + "?lan=1")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = [tuple(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == (CODE, SCORE, MARKER)
    assert {r[0] for r in rows[1:]} == {m.script.code for m in _round1(mk)}
    assert {r[2] for r in rows[1:]} == {m.marker.user.username for m in _round1(mk)}
    text = str(rows)
    assert not any(c.full_name in text or c.number in text for c in mk.candidates)
    assert (
        web_client(mk.people["m1"])
        .get(reverse("exams:examsubject-marks-template", kwargs={"pk": mk.essay.pk}))
        .status_code
        == 403
    )


def test_dry_run_names_bad_rows_and_writes_nothing(mk):
    marks = _round1(mk)
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
    client = web_client(mk.people["secretariat"])
    response = _upload(client, _url(mk), data)
    assert response.status_code == 200
    html = response.content.decode()
    for expected in (
        "Dòng 3, cột “Số phách”: môn Ngữ văn không có bài thi số phách 999999.",
        "Dòng 4, cột “Điểm”: điểm phải từ 0 đến 10",
        f"Dòng 5, cột “Số phách”: số phách {marks[0].script.code} đã có ở dòng 2.",
        "Dòng 6, cột “Cán bộ chấm”",
        "Dòng 7, cột “Số phách”",
    ):
        assert expected in html, expected
    assert "Xác nhận lưu" not in html
    assert not Mark.objects.filter(score__isnull=False).exists()


def test_confirm_writes_once_and_the_same_file_twice_changes_nothing(mk):
    marks = _round1(mk)
    data = _book([[m.script.code, "6,5", m.marker.user.username] for m in marks])
    client = web_client(mk.people["secretariat"])
    preview = _upload(client, _url(mk), data)
    assert "Xác nhận lưu" in preview.content.decode()
    assert not Mark.objects.filter(score__isnull=False).exists()
    upload_id = preview.context["upload"].pk
    done = client.post(_url(mk), {"confirm": "1", "upload": upload_id, "lan": "1"})
    assert done.status_code == 200, done.content.decode()[:2000]
    assert "Đã lưu 3 điểm" in done.content.decode()
    assert set(Mark.objects.filter(round=MarkRound.FIRST).values_list("score", flat=True)) == {D("6.50")}
    history = Mark.history.count()
    again = _upload(client, _url(mk), data)
    assert "Không đổi: 3" in again.content.decode()
    client.post(_url(mk), {"confirm": "1", "upload": again.context["upload"].pk, "lan": "1"})
    assert Mark.history.count() == history
    entered = Mark.history.filter(score=D("6.50")).first()
    assert entered.history_user_id == mk.people["secretariat"].user.pk


def test_importing_round_two_reconciles_the_scripts(mk):
    for m in _round1(mk):
        enter(mk, m.script, MarkRound.FIRST, "6")
    second = Mark.objects.filter(round=MarkRound.SECOND).select_related("script")
    importer = MarksImporter(mk.actor("secretariat"), exam_subject=mk.essay, round_=MarkRound.SECOND)
    preview = importer.preview(_book([[m.script.code, "6.5", ""] for m in second]))
    assert preview.ok and preview.count("new") == 3
    importer.apply(preview)
    assert Script.objects.filter(status=ScriptStatus.FINAL, final_score=D("6.25")).count() == 3


def test_import_is_refused_once_matched_or_by_anyone_but_the_secretariat(mk):
    for m in Mark.objects.filter(script__exam_subject=mk.essay).select_related("script"):
        enter(mk, m.script, m.round, "5")
    marking.match(mk.actor("secretariat"), mk.essay)
    importer = MarksImporter(mk.actor("secretariat"), exam_subject=mk.essay, round_=MarkRound.FIRST)
    preview = importer.preview(_book([[m.script.code, "9", ""] for m in _round1(mk)]))
    assert preview.errors == ["Môn Ngữ văn đã ghép phách: điểm chấm đã khoá."]
    assert web_client(mk.people["chair"]).get(_url(mk)).status_code == 403
    assert web_client(mk.people["m1"]).get(_url(mk)).status_code == 403
