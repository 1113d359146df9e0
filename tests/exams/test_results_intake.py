"""Results intake of the graduation exam (nhập kết quả thi): the preview names every bad row and column, the
confirm writes all or nothing, the same file twice changes nothing, who may take results in, refused after
publication, the pages and the API.

The Sở's graduation exam (default 2025 subjects) has five numbered candidates, the fifth withdrawn; school A's
second teacher is its secretariat and school B's teacher its chair.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from exams.models import BoardRole, Candidate, CandidateScore, Exam, ExamKind, Script
from exams.results_intake import ResultsImporter
from exams.services import graduation_thpt as services
from exams.services import setup
from sms.accounts.actors import Actor
from sms.accounts.models import Membership
from sms.accounts.roles import Role, UnitKind
from sms.files.models import StoredFile
from sms.imports import Status
from sms.org.models import Unit
from tests.world import api_client, make_user, web_client

pytestmark = pytest.mark.django_db

D = Decimal
HEAD = ["Số báo danh", "Họ và tên", "Toán", "Ngữ văn", "Tiếng Anh", "Vật lí", "Hóa học", "Lịch sử"]
GOOD = [
    ["000001", "Lê Văn An", 6, "7,5", 8.25, "5", None, None],
    ["000002", "Hà Thị Bình", "9", 8, None, None, "V", "6.75"],
    ["000003", "Đỗ Văn Cường", 5, 5, "vắng", None, None, 4],
]


def actor(membership) -> Actor:
    return Actor(membership.user, membership)


def sheet(rows, head=HEAD) -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(head)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(data: bytes, name: str = "ket-qua.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(
        name, data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


class Intake:
    def __init__(self, world):
        self.world = world
        so = actor(world.members["so_admin"])
        self.exam = setup.create_exam(
            so, unit=world.so, kind=ExamKind.GRADUATION, name="Thi tốt nghiệp THPT năm 2027", start_year=2026
        )
        self.chair = world.b.m(Role.TEACHER)  # a chair who is not an organiser by role
        setup.add_member(so, self.exam, self.chair.user, BoardRole.CHAIR)
        self.secretary = world.a.members["teacher2"]
        setup.add_member(so, self.exam, self.secretary.user, BoardRole.SECRETARIAT)
        self.candidates = {}
        for n, name in enumerate(["Lê Văn An", "Hà Thị Bình", "Đỗ Văn Cường", "Vũ Thị Dung", "Phan Văn Em"], 1):
            number = f"{n:06d}"
            self.candidates[number] = Candidate.objects.create(
                exam=self.exam,
                number=number,
                school=world.a.school,
                full_name=name,
                birth_date=dt.date(2009, 1, n),
                sex="F" if "Thị" in name else "M",
                withdrawn=n == 5,
            )
        self.subjects = dict(self.exam.subjects.values_list("code", "pk"))

    def actor(self, key: str) -> Actor:
        table = {
            "so_admin": self.world.members["so_admin"],
            "so_staff": self.world.members["so_staff"],
            "phong1_admin": self.world.members["phong1_admin"],
            "a_principal": self.world.a.m(Role.PRINCIPAL),
            "secretary": self.secretary,
            "chair": self.chair,
        }
        return actor(table[key])

    def preview(self, data: bytes, who: str = "so_admin"):
        return ResultsImporter(self.actor(who), exam=self.exam).preview(data)

    def stored(self) -> dict[tuple[str, str], tuple]:
        codes = {pk: code for code, pk in self.subjects.items()}
        return {
            (s.candidate.number, codes[s.exam_subject_id]): (s.score, s.absent)
            for s in CandidateScore.objects.filter(candidate__exam=self.exam).select_related("candidate")
        }


@pytest.fixture
def intake(world) -> Intake:
    return Intake(world)


def other_so_staff():
    so2 = Unit.objects.create(kind=UnitKind.SO, code="SO2", name="Sở Giáo dục và Đào tạo tỉnh Bên Cạnh")
    return Membership.objects.create(user=make_user("so2.staff"), unit=so2, role=Role.SO_STAFF)


def publish(exam) -> None:
    Exam.objects.filter(pk=exam.pk).update(results_publish_at=timezone.now() - dt.timedelta(minutes=5))
    exam.refresh_from_db()


# --- the preview ---------------------------------------------------------------------------------------------------


def test_the_preview_names_every_bad_row_and_column_and_writes_nothing(intake):
    head = [*HEAD, "Giáo dục quốc phòng"]
    rows = [
        ["000001", "Lê Văn An", 6, 7, 8, 5, None, None, None],  # row 2: fine
        ["999999", "Không Có", 6, 7, None, None, None, None, None],  # row 3
        ["000005", "Phan Văn Em", 6, 7, None, None, None, None, None],  # row 4: withdrawn
        ["000002", "Hà Thị Bình", "11", "abc", None, None, None, None, None],  # row 5
        ["000001", "Lê Văn An", 6, 7, None, None, None, None, None],  # row 6: number again
        ["000003", "Đỗ Văn Cường", "7.123", 7, None, None, None, None, None],  # row 7
        ["000004", "Vũ Thị Dung", 6, 7, 5, 6, 7, None, None],  # row 8: three electives
        [None, "Không Số", 6, 7, None, None, None, None, None],  # row 9
        ["000002", "Hà Thị Bình", -1, 7, None, None, None, None, None],  # row 10: again, and below 0
    ]
    preview = intake.preview(sheet(rows, head))
    assert not preview.ok
    assert preview.errors == [
        "Dòng 1, cột “Giáo dục quốc phòng”: không phải môn thi của kỳ thi (các môn nhập điểm: "
        + ", ".join(intake.exam.subjects.order_by("order").values_list("name", flat=True))
        + ")."
    ]
    errors = [e for r in preview.bad_rows for e in r.errors]
    assert errors == [
        "Dòng 3, cột “Số báo danh”: kỳ thi không có thí sinh số báo danh 999999.",
        "Dòng 4, cột “Số báo danh”: thí sinh số báo danh 000005 đã rút hồ sơ, không nhập điểm.",
        "Dòng 5, cột “Toán”: điểm phải từ 0 đến 10, tối đa hai chữ số thập phân (ví dụ 7,25).",
        "Dòng 5, cột “Ngữ văn”: “abc” không phải là điểm (ví dụ 7,25) hoặc V (vắng thi).",
        "Dòng 6, cột “Số báo danh”: số báo danh 000001 đã có ở dòng 2.",
        "Dòng 7, cột “Toán”: điểm phải từ 0 đến 10, tối đa hai chữ số thập phân (ví dụ 7,25).",
        "Dòng 8: thí sinh chỉ dự thi 2 môn tự chọn ngoài Toán và Ngữ văn, tệp ghi 3 môn (Tiếng Anh, Vật lí, Hóa học).",
        "Dòng 9, cột “Số báo danh”: chưa ghi số báo danh.",
        "Dòng 10, cột “Số báo danh”: số báo danh 000002 đã có ở dòng 5.",
        "Dòng 10, cột “Toán”: điểm phải từ 0 đến 10, tối đa hai chữ số thập phân (ví dụ 7,25).",
    ]
    assert [r.number for r in preview.rows if r.ok] == [2]
    assert not CandidateScore.objects.exists()


def test_numbers_made_digits_headers_by_code_and_absent_words(intake):
    head = ["Số báo danh", "TOAN", "ngữ văn", "tieng-anh", "lich su"]
    rows = [[1, 6, 7, "v", 5], [2.0, "6,25", "7.75", "Vắng thi", "VẮNG"]]  # Excel made the numbers digits
    preview = intake.preview(sheet(rows, head))
    assert preview.ok, [e for r in preview.rows for e in r.errors] + preview.errors
    assert [r.status for r in preview.rows] == [Status.NEW, Status.NEW]
    ResultsImporter(intake.actor("so_admin"), exam=intake.exam).apply(preview)
    assert intake.stored() == {
        ("000001", "toan"): (D("6.00"), False),
        ("000001", "ngu-van"): (D("7.00"), False),
        ("000001", "tieng-anh"): (None, True),
        ("000001", "lich-su"): (D("5.00"), False),
        ("000002", "toan"): (D("6.25"), False),
        ("000002", "ngu-van"): (D("7.75"), False),
        ("000002", "tieng-anh"): (None, True),
        ("000002", "lich-su"): (None, True),
    }


def test_a_file_without_subject_columns_is_refused(intake):
    preview = intake.preview(sheet([["000001", "Lê Văn An"]], ["Số báo danh", "Họ và tên"]))
    assert not preview.ok and preview.errors[0].startswith("Tệp không có cột môn thi nào")
    missing = intake.preview(sheet([["Lê Văn An", 7]], ["Họ và tên", "Toán"]))
    assert missing.errors == ["Tệp thiếu cột: “Số báo danh”."]


def test_the_preview_reads_in_a_bounded_number_of_queries(intake):
    counts = []
    for size in (2, 4):
        rows = [[number, "", 6, 7, 8, 5, None, None] for number in list(intake.candidates)[:size]]
        with CaptureQueriesContext(connection) as queries:
            preview = intake.preview(sheet(rows))
        assert len(preview.rows) == size
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


# --- the confirm: all or nothing, idempotent ----------------------------------------------------------------------


def test_confirm_writes_everything_or_nothing_through_the_pages(intake):
    client = web_client(intake.world.members["so_admin"])
    url = reverse("exams:exam-results-intake", kwargs={"pk": intake.exam.pk})
    page = client.get(url)
    assert page.status_code == 200
    assert reverse("exams:exam-results-intake-template", kwargs={"pk": intake.exam.pk}) in page.content.decode()
    # a file with one bad row: the preview shows the error and no confirm button
    bad = [*GOOD, ["000004", "Vũ Thị Dung", "12", 5, None, None, None, None]]
    response = client.post(url, {"file": upload(sheet(bad))})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Dòng 5, cột “Toán”: điểm phải từ 0 đến 10" in body and 'name="confirm"' not in body
    # a confirm forced anyway writes nothing
    stored = StoredFile.objects.filter(purpose="import").latest("pk")
    response = client.post(url, {"confirm": "1", "upload": stored.pk})
    assert response.status_code == 400 and "Chưa lưu gì" in response.content.decode()
    assert not CandidateScore.objects.exists()
    # the good file: previewed, confirmed, everything written with history naming the actor
    response = client.post(url, {"file": upload(sheet(GOOD))})
    assert 'name="confirm"' in response.content.decode()
    stored = StoredFile.objects.filter(purpose="import").latest("pk")
    response = client.post(url, {"confirm": "1", "upload": stored.pk})
    assert response.status_code == 200, response.content.decode()[:2000]
    # the Sở's admin is not on the board: the result says how many scores the file gave, nothing of what was stored
    assert "Đã ghi nhận 12 điểm trong tệp" in response.content.decode()
    assert "điểm mới" not in response.content.decode()
    assert intake.stored() == {
        ("000001", "toan"): (D("6.00"), False),
        ("000001", "ngu-van"): (D("7.50"), False),
        ("000001", "tieng-anh"): (D("8.25"), False),
        ("000001", "vat-li"): (D("5.00"), False),
        ("000002", "toan"): (D("9.00"), False),
        ("000002", "ngu-van"): (D("8.00"), False),
        ("000002", "hoa-hoc"): (None, True),
        ("000002", "lich-su"): (D("6.75"), False),
        ("000003", "toan"): (D("5.00"), False),
        ("000003", "ngu-van"): (D("5.00"), False),
        ("000003", "tieng-anh"): (None, True),
        ("000003", "lich-su"): (D("4.00"), False),
    }
    history = CandidateScore.history.filter(candidate__exam=intake.exam)
    assert history.count() == 12
    assert set(history.values_list("history_user_id", flat=True)) == {intake.world.members["so_admin"].user_id}


def test_the_same_file_twice_changes_nothing_and_a_blank_keeps_the_score(intake):
    who = intake.actor("secretary")  # the board's secretariat reads the stored scores: the preview compares
    importer = ResultsImporter(who, exam=intake.exam)
    assert importer.apply(importer.preview(sheet(GOOD)))["saved"] == 12
    history = CandidateScore.history.filter(candidate__exam=intake.exam)
    before, stored = history.count(), intake.stored()
    again = importer.preview(sheet(GOOD))
    assert again.ok and [r.status for r in again.rows] == [Status.UNCHANGED] * 3
    assert importer.apply(again)["saved"] == 0
    assert history.count() == before and intake.stored() == stored
    # one changed score, one blank cell: only the changed score is written; the blank keeps what is stored
    changed = [["000001", "Lê Văn An", 6, "7,75", None, "5", None, None]]
    preview = importer.preview(sheet(changed))
    (row,) = preview.rows
    assert row.status == Status.UPDATED and row.notes == ["Để trống, giữ điểm đã có: Tiếng Anh."]
    assert importer.apply(preview) == {
        "created": 0,
        "updated": 1,
        "unchanged": 0,
        "saved": 1,
        "rows_unchanged": 0,
        "compared": True,
    }
    assert history.count() == before + 1
    assert intake.stored()[("000001", "ngu-van")] == (D("7.75"), False)
    assert intake.stored()[("000001", "tieng-anh")] == (D("8.25"), False)


def test_the_service_refuses_a_bad_batch_whole(intake):
    who = intake.actor("so_admin")
    ids, c = intake.subjects, intake.candidates
    with pytest.raises(ValidationError) as caught:
        services.record_results(
            who,
            intake.exam,
            {
                c["000001"].pk: {ids["toan"]: ("7", False)},
                c["000002"].pk: {ids["toan"]: ("10.5", False)},
                c["000005"].pk: {ids["toan"]: ("5", False)},
            },
        )
    assert caught.value.messages == [
        "Thí sinh số báo danh 000005 đã rút hồ sơ, không nhập điểm.",
        "Số báo danh 000002, môn Toán: điểm phải từ 0 đến 10, tối đa hai chữ số thập phân (ví dụ 7,25).",
    ]
    assert not CandidateScore.objects.exists()


def test_a_subject_marked_by_the_board_is_not_taken_in(intake):
    toan = intake.exam.subjects.get(code="toan")
    Script.objects.create(exam_subject=toan, code="123456")
    preview = intake.preview(sheet(GOOD))
    assert preview.errors == [
        "Dòng 1, cột “Toán”: môn Toán chấm tại hội đồng thi, điểm lấy từ ghép phách, không nhập từ tệp. Hãy bỏ cột này."
    ]
    template = openpyxl.load_workbook(
        io.BytesIO(ResultsImporter(intake.actor("so_admin"), exam=intake.exam).template())
    )
    assert "Toán" not in [c.value for c in template.active[1]]
    with pytest.raises(ValidationError, match="ghép phách"):
        services.record_results(
            intake.actor("so_admin"), intake.exam, {intake.candidates["000001"].pk: {toan.pk: ("7", False)}}
        )


# --- when and who ------------------------------------------------------------------------------------------------


def test_refused_after_publication(intake):
    publish(intake.exam)
    preview = intake.preview(sheet(GOOD))
    assert len(preview.errors) == 1 and "đã công bố" in preview.errors[0] and "phúc khảo" in preview.errors[0]
    with pytest.raises(ValidationError, match="phúc khảo"):
        services.record_results(
            intake.actor("so_admin"),
            intake.exam,
            {intake.candidates["000001"].pk: {intake.subjects["toan"]: ("7", False)}},
        )
    page = web_client(intake.world.members["so_admin"]).get(
        reverse("exams:exam-results-intake", kwargs={"pk": intake.exam.pk})
    )
    assert page.status_code == 200 and "phúc khảo" in page.content.decode()
    assert 'type="file"' not in page.content.decode()
    response = api_client(intake.world.members["so_admin"]).post(
        f"/api/exams/exams/{intake.exam.pk}/results-import/", {"file": upload(sheet(GOOD))}, format="multipart"
    )
    assert response.status_code == 400 and "phúc khảo" in response.json()["errors"][0]
    assert not CandidateScore.objects.exists()


@pytest.mark.parametrize("who", ["so_admin", "so_staff", "secretary"])
def test_organisers_and_the_secretariat_take_results_in(intake, who):
    result = services.record_results(
        intake.actor(who), intake.exam, {intake.candidates["000001"].pk: {intake.subjects["toan"]: ("7,25", False)}}
    )
    assert result == {"created": 1, "updated": 0, "unchanged": 0}
    score = CandidateScore.objects.get()
    assert score.history.get().history_user == intake.actor(who).user


@pytest.mark.parametrize("who", ["a_principal", "chair", "phong1_admin"])
def test_others_who_see_the_exam_are_refused(intake, who):
    batch = {intake.candidates["000001"].pk: {intake.subjects["toan"]: ("7", False)}}
    with pytest.raises(PermissionDenied):
        services.record_results(intake.actor(who), intake.exam, batch)
    membership = intake.actor(who).membership
    url = reverse("exams:exam-results-intake", kwargs={"pk": intake.exam.pk})
    assert web_client(membership).get(url).status_code == 403
    template = reverse("exams:exam-results-intake-template", kwargs={"pk": intake.exam.pk})
    assert web_client(membership).get(template).status_code == 403
    response = api_client(membership).post(
        f"/api/exams/exams/{intake.exam.pk}/results-import/", {"file": upload(sheet(GOOD))}, format="multipart"
    )
    assert response.status_code == 403
    assert not CandidateScore.objects.exists()


def test_another_sos_staff_get_a_404(intake):
    stranger = other_so_staff()
    with pytest.raises(Http404):
        services.record_results(
            actor(stranger), intake.exam, {intake.candidates["000001"].pk: {intake.subjects["toan"]: ("7", False)}}
        )
    assert (
        web_client(stranger).get(reverse("exams:exam-results-intake", kwargs={"pk": intake.exam.pk})).status_code == 404
    )
    response = api_client(stranger).post(
        f"/api/exams/exams/{intake.exam.pk}/results-import/", {"file": upload(sheet(GOOD))}, format="multipart"
    )
    assert response.status_code == 404
    assert api_client(stranger).get(f"/api/exams/exams/{intake.exam.pk}/results-template/").status_code == 404


def test_another_kind_of_exam_is_refused(world):
    so = world.members["so_admin"]
    exam = Exam.objects.create(unit=world.so, kind=ExamKind.ADMISSION_10, name="Tuyển sinh lớp 10", start_year=2026)
    assert services.intake_refusal(actor(so), exam) == services.MSG_WRONG_KIND
    page = web_client(so).get(reverse("exams:exam-results-intake", kwargs={"pk": exam.pk}))
    assert page.status_code == 200 and services.MSG_WRONG_KIND in page.content.decode()
    detail = web_client(so).get(exam.get_absolute_url()).content.decode()
    assert reverse("exams:exam-results-intake", kwargs={"pk": exam.pk}) not in detail


def test_the_exam_page_links_the_intake_for_who_may_use_it(intake):
    link = reverse("exams:exam-results-intake", kwargs={"pk": intake.exam.pk})
    assert link in web_client(intake.world.members["so_admin"]).get(intake.exam.get_absolute_url()).content.decode()
    principal = web_client(intake.world.a.m(Role.PRINCIPAL)).get(intake.exam.get_absolute_url())
    assert principal.status_code == 200 and link not in principal.content.decode()


# --- the template and the API --------------------------------------------------------------------------------------


def test_the_template_lists_the_numbered_candidates(intake):
    response = web_client(intake.world.members["so_admin"]).get(
        reverse("exams:exam-results-intake-template", kwargs={"pk": intake.exam.pk})
    )
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:5] == ("Số báo danh", "Họ và tên", "Ngày sinh", "Toán", "Ngữ văn")
    assert [r[0] for r in rows[1:]] == ["000001", "000002", "000003", "000004"]  # not the withdrawn one
    assert "Hướng dẫn" in book.sheetnames
    # the template as downloaded, filled in, is read back
    filled = openpyxl.load_workbook(io.BytesIO(response.content))
    filled.active["D2"], filled.active["E2"] = 7, 8
    buffer = io.BytesIO()
    filled.save(buffer)
    preview = intake.preview(buffer.getvalue())
    assert preview.ok and [r.status for r in preview.rows] == [Status.NEW] + [Status.UNCHANGED] * 3


def test_the_api_dry_run_then_confirm(intake):
    client = api_client(intake.secretary)
    url = f"/api/exams/exams/{intake.exam.pk}/results-import/"
    dry = client.post(url, {"file": upload(sheet(GOOD))}, format="multipart")
    assert dry.status_code == 200, dry.json()
    body = dry.json()
    assert (body["dry_run"], body["ok"], body["saved"], body["result"], body["compared"]) == (
        True,
        True,
        False,
        None,
        True,
    )
    assert body["counts"] == {"new": 3, "updated": 0, "unchanged": 0, "error": 0}
    assert body["subjects"]["Toán"] == "toan" and [r["number"] for r in body["rows"]] == ["000001", "000002", "000003"]
    assert not CandidateScore.objects.exists()
    wrong = sheet([["000009", "", "x", 5, None, None, None, None]])
    bad = client.post(url, {"file": upload(wrong), "dry_run": "false"}, format="multipart")
    assert bad.status_code == 400
    (row,) = bad.json()["rows"]
    assert row["column_errors"] == {
        "Số báo danh": ["kỳ thi không có thí sinh số báo danh 000009."],
        "Toán": ["“x” không phải là điểm (ví dụ 7,25) hoặc V (vắng thi)."],
    }
    assert not CandidateScore.objects.exists()
    done = client.post(url, {"file": upload(sheet(GOOD)), "dry_run": "false"}, format="multipart")
    assert done.status_code == 200 and done.json()["result"] == {
        "created": 12,
        "updated": 0,
        "saved": 12,
        "rows_unchanged": 0,
    }
    again = client.post(url, {"file": upload(sheet(GOOD)), "dry_run": "false"}, format="multipart")
    assert again.json()["counts"]["unchanged"] == 3 and again.json()["result"]["saved"] == 0
    assert CandidateScore.history.filter(candidate__exam=intake.exam).count() == 12
    template = client.get(f"/api/exams/exams/{intake.exam.pk}/results-template/")
    assert template.status_code == 200
    assert re.search(r"ket-qua-thi-\d+\.xlsx", template["Content-Disposition"])


def test_a_vocational_exam_takes_results_in_too(world):
    """Thi nghề phổ thông (a Phòng's): the practical part is marked at the centres; no elective limit."""
    phong = actor(world.members["phong1_admin"])
    exam = setup.create_exam(phong, kind=ExamKind.VOCATIONAL, name="Thi nghề phổ thông 2027", start_year=2026)
    setup.add_subject(phong, exam, code="ly-thuyet", name="Lý thuyết", duration_minutes=45, order=1)
    setup.add_subject(phong, exam, code="thuc-hanh", name="Thực hành", duration_minutes=120, order=2)
    Candidate.objects.create(
        exam=exam, number="N001", school=world.a.school, full_name="Lê Văn An", birth_date=dt.date(2011, 1, 1), sex="M"
    )
    preview = ResultsImporter(phong, exam=exam).preview(
        sheet([["n001", "8,5", 9]], ["Số báo danh", "Lý thuyết", "thuc-hanh"])
    )
    assert preview.ok, preview.errors + [e for r in preview.rows for e in r.errors]
    assert ResultsImporter(phong, exam=exam).apply(preview)["saved"] == 2
    assert sorted(CandidateScore.objects.filter(candidate__exam=exam).values_list("score", flat=True)) == [
        D("8.50"),
        D("9.00"),
    ]


# --- the publication scheduled, electives across files, who sees the stored scores ---------------------------------


def test_refused_once_the_publication_is_scheduled(intake):
    when = timezone.now() + dt.timedelta(days=2)
    Exam.objects.filter(pk=intake.exam.pk).update(results_publish_at=when)
    intake.exam.refresh_from_db()
    text = f"Kỳ thi đã hẹn công bố kết quả lúc {timezone.localtime(when):%H:%M %d/%m/%Y}; hãy huỷ lịch công bố"
    assert services.intake_refusal(intake.actor("so_admin"), intake.exam).startswith(text)
    preview = intake.preview(sheet(GOOD), "secretary")
    assert len(preview.errors) == 1 and preview.errors[0].startswith(text)
    with pytest.raises(ValidationError, match="hãy huỷ lịch công bố trước khi nhập kết quả thi"):
        services.record_results(
            intake.actor("secretary"),
            intake.exam,
            {intake.candidates["000001"].pk: {intake.subjects["toan"]: ("7", False)}},
        )
    page = web_client(intake.world.members["so_admin"]).get(
        reverse("exams:exam-results-intake", kwargs={"pk": intake.exam.pk})
    )
    assert "hãy huỷ lịch công bố" in page.content.decode() and 'type="file"' not in page.content.decode()
    response = api_client(intake.world.members["so_admin"]).post(
        f"/api/exams/exams/{intake.exam.pk}/results-import/", {"file": upload(sheet(GOOD))}, format="multipart"
    )
    assert response.status_code == 400 and "hãy huỷ lịch công bố" in response.json()["errors"][0]
    assert not CandidateScore.objects.exists()
    # the schedule cancelled: open again
    Exam.objects.filter(pk=intake.exam.pk).update(results_publish_at=None)
    intake.exam.refresh_from_db()
    assert intake.preview(sheet(GOOD), "secretary").ok


def test_a_later_file_cannot_add_a_third_elective(intake):
    importer = ResultsImporter(intake.actor("secretary"), exam=intake.exam)
    importer.apply(importer.preview(sheet(GOOD)))  # 000001: Tiếng Anh and Vật lí
    head = ["Số báo danh", "Hóa học"]
    preview = intake.preview(sheet([["000001", 6], ["000002", None]], head), "secretary")
    assert [e for r in preview.bad_rows for e in r.errors] == [
        "Dòng 2: thí sinh chỉ dự thi 2 môn tự chọn ngoài Toán và Ngữ văn, tệp ghi Hóa học và đã nhập trước đó "
        "Tiếng Anh, Vật lí: cộng lại 3 môn."
    ]
    # a correction of an elective already taken in is fine
    assert intake.preview(sheet([["000001", "7,5"]], ["Số báo danh", "Vật lí"]), "secretary").ok
    # the service checks again (another caller than the file)
    ids, c = intake.subjects, intake.candidates
    with pytest.raises(ValidationError) as caught:
        services.record_results(
            intake.actor("so_admin"),
            intake.exam,
            {c["000001"].pk: {ids["hoa-hoc"]: ("6", False)}, c["000004"].pk: {ids["toan"]: ("6", False)}},
        )
    assert caught.value.messages == [
        "Số báo danh 000001: thí sinh chỉ dự thi 2 môn tự chọn ngoài Toán và Ngữ văn, tệp ghi Hóa học và đã nhập "
        "trước đó Tiếng Anh, Vật lí: cộng lại 3 môn."
    ]
    assert not CandidateScore.objects.filter(exam_subject_id=ids["hoa-hoc"], candidate=c["000001"]).exists()
    assert not CandidateScore.objects.filter(candidate=c["000004"]).exists()


def test_an_organiser_off_the_board_previews_blind(intake):
    """Unpublished scores are the board's: the Sở's admin takes results in, but the preview does not compare with
    what is stored — "Sẽ ghi" for every row with a score, no "Không đổi"/"Cập nhật", no stored score named."""
    secretary = ResultsImporter(intake.actor("secretary"), exam=intake.exam)
    secretary.apply(secretary.preview(sheet(GOOD)))
    history = CandidateScore.history.filter(candidate__exam=intake.exam).count()
    changed = [["000001", "Lê Văn An", 6, "7,75", None, "5", None, None], *GOOD[1:]]

    seen = intake.preview(sheet(changed), "secretary")
    assert [r.status for r in seen.rows] == [Status.UPDATED, Status.UNCHANGED, Status.UNCHANGED]
    assert seen.rows[0].notes == ["Để trống, giữ điểm đã có: Tiếng Anh."]

    blind = intake.preview(sheet(changed), "so_admin")
    assert blind.ok and not blind.compared
    assert [r.status for r in blind.rows] == [Status.NEW] * 3
    assert [r.shown_status for r in blind.rows] == ["Sẽ ghi"] * 3
    assert all(not r.notes for r in blind.rows)
    assert blind.summary == [("Sẽ ghi", 3), ("Không có điểm", 0), ("Lỗi", 0)]

    client = web_client(intake.world.members["so_admin"])
    url = reverse("exams:exam-results-intake", kwargs={"pk": intake.exam.pk})
    body = client.post(url, {"file": upload(sheet(changed))}).content.decode()
    assert "Sẽ ghi" in body and "Không đổi" not in body and "Cập nhật" not in body and "giữ điểm đã có" not in body
    stored = StoredFile.objects.filter(purpose="import").latest("pk")
    body = client.post(url, {"confirm": "1", "upload": stored.pk}).content.decode()
    assert "Đã ghi nhận 11 điểm trong tệp" in body and "điểm thay đổi" not in body  # 3 + 4 + 4 cells
    # only the changed score was written: equal values still make no history
    assert CandidateScore.history.filter(candidate__exam=intake.exam).count() == history + 1
    assert intake.stored()[("000001", "ngu-van")] == (D("7.75"), False)

    api = api_client(intake.world.members["so_admin"])
    done = api.post(
        f"/api/exams/exams/{intake.exam.pk}/results-import/",
        {"file": upload(sheet(changed)), "dry_run": "false"},
        format="multipart",
    ).json()
    assert done["compared"] is False
    assert done["counts"] == {"new": 3, "updated": 0, "unchanged": 0, "error": 0}
    assert {r["status_display"] for r in done["rows"]} == {"Sẽ ghi"}
    assert done["result"] == {"created": None, "updated": None, "saved": 11, "rows_unchanged": 0}
