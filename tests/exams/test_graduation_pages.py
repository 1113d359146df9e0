"""The graduation pages (``exams/views/graduation.py``): a THCS round run from the browser, who sees which button,
another unit's round is a 404, the lists as PDF and xlsx, the learner's own result, and pinned query counts."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pypdf
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from exams.models import GraduationCouncilMember, GraduationEntry, GraduationLevel, GraduationRound, RoundStatus
from exams.services import graduation as services
from sms.accounts.roles import Role
from students.models import Guardian
from tests.world import web_client

from .test_graduation import SEVEN, build_grad_world, proposed_round, seat_council

pytestmark = pytest.mark.django_db


@pytest.fixture
def gw(world):
    return build_grad_world(world)


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def detail_url(rnd) -> str:
    return reverse("exams:round-detail", kwargs={"pk": rnd.pk})


def test_a_school_runs_its_round_from_the_pages_and_the_phong_decides(gw):
    principal = web_client(gw.world.a.m(Role.PRINCIPAL))
    page = principal.get(reverse("exams:round-create"))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="level"' in body and 'name="exam"' not in body  # a school opens THCS rounds only
    response = principal.post(reverse("exams:round-create"), {"level": GraduationLevel.THCS, "start_year": ""})
    rnd = GraduationRound.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(rnd)
    assert rnd.start_year == gw.world.a.year.start_year

    add = reverse("exams:round-council-add", kwargs={"pk": rnd.pk})
    for i, role in enumerate(SEVEN):
        response = principal.post(add, {"full_name": f"Giáo Viên {i}", "position": "Giáo viên", "role": role})
        assert response.status_code == 302, response.content.decode()[:2000]
    assert GraduationCouncilMember.objects.filter(round=rnd).count() == 7
    response = principal.post(reverse("exams:round-review", kwargs={"pk": rnd.pk}))
    assert response.status_code == 302

    body = principal.get(detail_url(rnd)).content.decode()
    for text in (
        "Ngô Quang An",
        "Phạm Thị Dung",
        "Nghỉ học quá 45 buổi trong năm học lớp 9",
        "Chưa có kết quả cả năm lớp 9 đã được phê duyệt",
        "Trưởng phòng Phòng GD&amp;ĐT Một",  # the issuer
        "Trình công nhận",
        "Hội đồng đủ điều kiện",
    ):
        assert text in body, text
    an = GraduationEntry.objects.get(round=rnd, full_name="Ngô Quang An")
    response = principal.post(reverse("exams:entry-exclude", kwargs={"pk": an.pk}), {"note": "Thiếu hồ sơ"})
    assert response.status_code == 302
    an.refresh_from_db()
    assert (an.excluded, an.note) == (True, "Thiếu hồ sơ")
    assert "Hội đồng xét không công nhận (xem ghi chú)" in principal.get(detail_url(rnd)).content.decode()
    principal.post(reverse("exams:round-propose", kwargs={"pk": rnd.pk}))
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.PROPOSED
    assert "Công nhận tốt nghiệp</legend>" not in principal.get(detail_url(rnd)).content.decode()

    phong = web_client(gw.world.members["phong1_staff"])
    assert "chờ bạn công nhận" in phong.get(reverse("exams:round-list")).content.decode()
    body = phong.get(detail_url(rnd)).content.decode()
    assert "Công nhận tốt nghiệp</legend>" in body and "Trả lại nhà trường</legend>" in body
    today = timezone.localdate()
    response = phong.post(
        reverse("exams:round-decide", kwargs={"pk": rnd.pk}),
        {"decision_number": "15/QĐ-PGDĐT", "decision_date": today.strftime("%d/%m/%Y"), "decision_signer": ""},
    )
    assert response.status_code == 302
    rnd.refresh_from_db()
    assert (rnd.status, rnd.decision_date, rnd.decision_signer) == (
        RoundStatus.DECIDED,
        today,
        "Trưởng phòng Lê Văn Trưởng",
    )
    body = principal.get(detail_url(rnd)).content.decode()
    assert f"Số 15/QĐ-PGDĐT ngày {today:%d/%m/%Y}" in body
    assert "Không công nhận</button>" not in body and ">Xét lại<" not in body  # frozen: no actions left


def test_a_bad_decision_is_shown_on_the_form_and_nothing_is_saved(gw):
    rnd = proposed_round(gw)
    phong = web_client(gw.world.members["phong1_staff"])
    response = phong.post(
        reverse("exams:round-decide", kwargs={"pk": rnd.pk}),
        {"decision_number": "", "decision_date": "31/02/2026"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Số quyết định công nhận tốt nghiệp" in body and 'role="alert"' in body
    future = (timezone.localdate() + dt.timedelta(days=3)).strftime("%d/%m/%Y")
    response = phong.post(
        reverse("exams:round-decide", kwargs={"pk": rnd.pk}), {"decision_number": "1/QĐ", "decision_date": future}
    )
    assert response.status_code == 400
    assert "Ngày ký quyết định không được sau ngày hôm nay." in response.content.decode()
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.PROPOSED


def test_the_school_cannot_decide_its_own_round_and_a_teacher_cannot_open_one(gw):
    rnd = proposed_round(gw)
    principal = web_client(gw.world.a.m(Role.PRINCIPAL))
    response = principal.post(
        reverse("exams:round-decide", kwargs={"pk": rnd.pk}),
        {"decision_number": "1/QĐ", "decision_date": timezone.localdate().strftime("%d/%m/%Y")},
    )
    assert response.status_code == 400
    assert "Chỉ đơn vị giữ sổ gốc" in response.content.decode()
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.PROPOSED
    assert web_client(gw.world.a.m(Role.TEACHER)).get(reverse("exams:round-create")).status_code == 403
    # a teacher of the school reads the round, without actions
    body = web_client(gw.world.a.m(Role.TEACHER)).get(detail_url(rnd)).content.decode()
    assert "Ngô Quang An" in body and "Trình công nhận</button>" not in body and "Thêm thành viên" not in body


@pytest.mark.parametrize("who", ["phong2_admin", "b_principal"])
def test_another_branch_gets_404_for_the_round_its_entries_and_its_actions(gw, who):
    rnd = proposed_round(gw)
    entry = GraduationEntry.objects.filter(round=rnd).first()
    membership = gw.world.members.get(who) or gw.world.b.m(Role.PRINCIPAL)
    client = web_client(membership)
    for url in (
        detail_url(rnd),
        reverse("exams:round-decide", kwargs={"pk": rnd.pk}),
        reverse("exams:round-pdf", kwargs={"pk": rnd.pk}),
        reverse("exams:entry-detail", kwargs={"pk": entry.pk}),
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(
        reverse("exams:round-decide", kwargs={"pk": rnd.pk}),
        {"decision_number": "1", "decision_date": timezone.localdate().strftime("%d/%m/%Y")},
    )
    assert response.status_code == 404
    assert client.post(reverse("exams:entry-exclude", kwargs={"pk": entry.pk}), {"note": "x"}).status_code == 404
    assert GraduationRound.objects.get(pk=rnd.pk).status == RoundStatus.PROPOSED


def test_without_an_issuer_the_round_page_says_so(gw):
    gw.issuer.delete()
    rnd = services.create_round(gw.principal, level=GraduationLevel.THCS)
    body = web_client(gw.world.a.m(Role.PRINCIPAL)).get(detail_url(rnd)).content.decode()
    assert "Chưa cấu hình cơ quan cấp bằng THCS cho Trường THCS An Bình" in body


def test_the_lists_print_names_reasons_and_the_decision(gw):
    rnd = proposed_round(gw)
    services.return_round(gw.phong1_staff, rnd, "Bổ sung")
    an = GraduationEntry.objects.get(round=rnd, full_name="Ngô Quang An")
    services.exclude_entry(gw.principal, an, "Đang bị truy cứu trách nhiệm hình sự")
    services.propose(gw.principal, rnd)
    services.decide(gw.phong1_staff, rnd, decision_number="15/QĐ-PGDĐT", decision_date=timezone.localdate())
    client = web_client(gw.world.a.m(Role.PRINCIPAL))

    response = client.get(reverse("exams:round-pdf", kwargs={"pk": rnd.pk}))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in (
        "DANH SÁCH CÔNG NHẬN TỐT NGHIỆP TRUNG HỌC CƠ SỞ",
        "DANH SÁCH KHÔNG ĐƯỢC CÔNG NHẬN TỐT NGHIỆP TRUNG HỌC CƠ SỞ",
        "Quyết định số 15/QĐ-PGDĐT",
        "Trần Thị Bình",
        "Phạm Thị Dung",
        "Nghỉ học quá 45 buổi",
        "Đang bị truy cứu trách nhiệm hình sự",
    ):
        assert expected in text, expected
    recognised_part, refused_part = text.split("DANH SÁCH KHÔNG ĐƯỢC CÔNG NHẬN")
    assert "Trần Thị Bình" in recognised_part and "Ngô Quang An" not in recognised_part
    assert "Ngô Quang An" in refused_part

    response = client.get(reverse("exams:round-xlsx", kwargs={"pk": rnd.pk}))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Đợt xét", "Được công nhận", "Không được công nhận"]
    info = {row[0]: row[1] for row in book["Đợt xét"].iter_rows(min_row=2, values_only=True)}
    assert (info["Số quyết định công nhận"], info["Được công nhận"], info["Không được công nhận"]) == (
        "15/QĐ-PGDĐT",
        1,
        4,
    )
    recognised = [row[1] for row in book["Được công nhận"].iter_rows(min_row=2, values_only=True)]
    assert recognised == ["Trần Thị Bình"]
    refused = {row[1]: row[-2] for row in book["Không được công nhận"].iter_rows(min_row=2, values_only=True)}
    assert refused["Phạm Thị Dung"] == "Nghỉ học quá 45 buổi trong năm học lớp 9"
    assert "Đang bị truy cứu trách nhiệm hình sự" in refused["Ngô Quang An"]


def test_a_draft_list_is_titled_as_a_proposal(gw):
    rnd = services.create_round(gw.principal, level=GraduationLevel.THCS)
    services.review(gw.principal, rnd)
    response = web_client(gw.world.a.m(Role.PRINCIPAL)).get(reverse("exams:round-pdf", kwargs={"pk": rnd.pk}))
    text = pdf_text(response.content)
    assert "DANH SÁCH ĐỀ NGHỊ CÔNG NHẬN TỐT NGHIỆP TRUNG HỌC CƠ SỞ" in text and "Dự thảo" in text


def test_a_learner_and_a_parent_see_the_own_result_only_once_decided(gw):
    w = gw.world
    an = gw.learners["Ngô Quang An"]
    an.user = w.a.m(Role.STUDENT).user
    an.save()
    Guardian.objects.create(student=an, relation="mother", full_name="Mẹ An", user=w.a.m(Role.PARENT).user)
    rnd = proposed_round(gw)
    mine = GraduationEntry.objects.get(round=rnd, student=an)
    other = GraduationEntry.objects.get(round=rnd, full_name="Phạm Thị Dung")
    for role in (Role.STUDENT, Role.PARENT):
        client = web_client(w.a.m(role))
        assert client.get(reverse("exams:entry-detail", kwargs={"pk": mine.pk})).status_code == 404
        assert "Ngô Quang An" not in client.get(reverse("exams:my-graduation")).content.decode()
    services.decide(gw.phong1_staff, rnd, decision_number="15/QĐ", decision_date=timezone.localdate())
    for role in (Role.STUDENT, Role.PARENT):
        client = web_client(w.a.m(role))
        body = client.get(reverse("exams:my-graduation")).content.decode()
        assert "Ngô Quang An" in body and "Được công nhận tốt nghiệp" in body and "Số 15/QĐ" in body
        response = client.get(reverse("exams:entry-detail", kwargs={"pk": mine.pk}))
        assert response.status_code == 200
        assert "Lịch sử thay đổi" not in response.content.decode()  # the history is for staff
        assert client.get(reverse("exams:entry-detail", kwargs={"pk": other.pk})).status_code == 404
        assert client.get(detail_url(rnd)).status_code == 404


def test_an_entry_page_shows_what_was_read_the_verdict_and_the_history(gw):
    rnd = services.create_round(gw.principal, level=GraduationLevel.THCS)
    services.review(gw.principal, rnd)
    dung = GraduationEntry.objects.get(round=rnd, full_name="Phạm Thị Dung")
    body = web_client(gw.world.a.m(Role.PRINCIPAL)).get(dung.get_absolute_url()).content.decode()
    for text in ("Ở lại lớp", "Đạt", "Khá", "50", "Không được công nhận tốt nghiệp", "Nghỉ học quá 45 buổi"):
        assert text in body, text
    assert "Lịch sử thay đổi" in body and "Xét công nhận tốt nghiệp" in body


def test_the_exam_page_link_leads_to_its_rounds(gw):
    from exams.models import Exam, ExamKind

    exam = Exam.objects.create(unit=gw.world.so, kind=ExamKind.GRADUATION, name="Thi tốt nghiệp THPT", start_year=2026)
    client = web_client(gw.world.members["so_admin"])
    response = client.get(reverse("exams:exam-graduation", kwargs={"pk": exam.pk}))
    assert response.status_code == 302 and response["Location"] == f"{reverse('exams:round-list')}?exam={exam.pk}"
    assert (
        reverse("exams:exam-graduation", kwargs={"pk": exam.pk}) in client.get(exam.get_absolute_url()).content.decode()
    )
    gifted = Exam.objects.create(unit=gw.world.so, kind=ExamKind.GIFTED, name="HSG", start_year=2026)
    assert client.get(reverse("exams:exam-graduation", kwargs={"pk": gifted.pk})).status_code == 404


# --- query counts ------------------------------------------------------------------------------------------------


def _count(client, url) -> int:
    client.get(url)  # the first request of a session also touches the session and the login
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_round_list_does_not_query_per_round(gw, django_assert_max_num_queries):
    client = web_client(gw.world.members["phong1_staff"])
    url = reverse("exams:round-list")

    def rounds(n: int) -> None:
        start = 2000 + GraduationRound.objects.count()
        for i in range(n):
            GraduationRound.objects.create(
                unit=gw.world.a.school,
                level=GraduationLevel.THCS,
                start_year=start + i,
                number=1,
                issuer=gw.issuer,
                status=RoundStatus.PROPOSED,
            )

    rounds(2)
    two = _count(client, url)
    rounds(8)
    assert _count(client, url) == two
    with django_assert_max_num_queries(14):
        client.get(url)


def test_the_entries_table_does_not_query_per_entry(gw, django_assert_max_num_queries):
    rnd = services.create_round(gw.principal, level=GraduationLevel.THCS)
    seat_council(gw.principal, rnd)
    client = web_client(gw.world.a.m(Role.PRINCIPAL))

    def entries(n: int) -> None:
        for i in range(n):
            GraduationEntry.objects.create(
                round=rnd,
                school=gw.world.a.school,
                class_name="9A2",
                full_name=f"Học Sinh Số {GraduationEntry.objects.count() + i}",
                birth_date=dt.date(2011, 1, 2),
                sex="M",
                recognised=i % 2 == 0,
                reasons=[] if i % 2 == 0 else ["absences"],
            )

    entries(2)
    two = _count(client, detail_url(rnd))
    entries(8)
    assert _count(client, detail_url(rnd)) == two
    with django_assert_max_num_queries(22):
        client.get(detail_url(rnd))


def test_the_round_list_caption_counts_the_rounds(gw):
    client = web_client(gw.world.members["phong1_staff"])
    assert "<caption>0 đợt xét</caption>" in client.get(reverse("exams:round-list")).content.decode()
    for i in range(3):
        GraduationRound.objects.create(
            unit=gw.world.a.school, level=GraduationLevel.THCS, start_year=2020 + i, number=1, issuer=gw.issuer
        )
    body = client.get(reverse("exams:round-list")).content.decode()
    assert "<caption>3 đợt xét</caption>" in body
    filtered = client.get(reverse("exams:round-list"), {"start_year": 2021}).content.decode()
    assert "<caption>1 đợt xét</caption>" in filtered
