"""The exam pages that list every candidate of an exam, a page at a time (the shared pager,
sms/_pager.html): the results page (``exams:exam-results``) and the code table
(``exams:examsubject-keys``). A user reaches page 2, the filters stay in the page links, the
xlsx still has every row, and the page's queries do not grow with the exam (a province's
20,000 candidates took 14–40 s to render on one page)."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from openpyxl import load_workbook

from exams.models import (
    AdmissionStatus,
    BoardMember,
    BoardRole,
    Candidate,
    CandidateScore,
    Choice,
    Exam,
    ExamKind,
    ExamSubject,
    Quota,
)
from exams.services import admission
from exams.views import admission as admission_views
from exams.views import marking as marking_views
from sms.accounts.roles import Role
from tests.world import web_client

from .test_admission import build_round, thpt
from .test_marking import build_marking, ready

pytestmark = pytest.mark.django_db

D = Decimal


def results_url(exam) -> str:
    return reverse("exams:exam-results", kwargs={"pk": exam.pk})


def xlsx_url(exam) -> str:
    return reverse("exams:exam-results-xlsx", kwargs={"pk": exam.pk})


def allocated(world):
    r = build_round(world)
    admission.run_allocation(world.actor(r.chair), r.exam)
    return r


def shown(r, html: str) -> set[str]:
    """The keys (c1…c9) of the round's candidates whose row is on the page."""
    return {key for key, c in r.c.items() if f">{c.full_name}<" in html}


def xlsx_numbers(content: bytes) -> list:
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    return [row[0] for row in rows[1:]]


# --- the results page ----------------------------------------------------------------------------------------


def test_the_board_pages_through_every_candidate_with_their_notes(world, monkeypatch):
    monkeypatch.setattr(admission_views.ExamResults, "paginate_by", 4)
    r = allocated(world)
    client = web_client(r.chair)
    listed = {key for key, c in r.c.items() if not c.withdrawn}  # c1…c9 (c10 withdrawn)
    reasons = admission.explanations(world.actor(r.chair), r.exam)
    assert reasons, "control: the round has outcomes to explain"

    first = client.get(results_url(r.exam)).content.decode()
    assert 'aria-label="Phân trang"' in first and "Trang 1/3" in first
    assert "Kết quả thi (9 thí sinh, trang 1/3)" in first
    assert 'href="?page=2"' in first and "Trang sau" in first and "Trang trước" not in first
    second = client.get(results_url(r.exam), {"page": 2}).content.decode()
    assert "Trang 2/3" in second and 'href="?page=1"' in second and 'href="?page=3"' in second
    last = client.get(results_url(r.exam), {"page": 3}).content.decode()
    pages = [shown(r, html) for html in (first, second, last)]
    assert [len(p) for p in pages] == [4, 4, 1]
    assert set().union(*pages) == listed and not pages[0] & pages[1]
    # each row's note is on the page that shows the row (worked out for that page's rows)
    for html, keys in zip((first, second, last), pages, strict=True):
        for key in keys:
            note = reasons.get(r.c[key].pk)
            if note:
                assert escape(note) in html, (key, note)
    # a page number out of range or not a number: the last or the first page, not an error
    assert shown(r, client.get(results_url(r.exam), {"page": 99}).content.decode()) == pages[2]
    assert shown(r, client.get(results_url(r.exam), {"page": "x"}).content.decode()) == pages[0]


def test_the_filters_stay_in_the_page_links(world, monkeypatch):
    monkeypatch.setattr(admission_views.ExamResults, "paginate_by", 3)
    r = allocated(world)
    client = web_client(r.chair)
    b = world.b.school.pk
    b_side = {key for key, c in r.c.items() if c.school_id == b and not c.withdrawn}  # c2, c4, c6, c8
    assert len(b_side) == 4

    first = client.get(results_url(r.exam), {"school": b}).content.decode()
    assert "Kết quả thi (4 thí sinh, trang 1/2)" in first
    assert f'href="?school={b}&amp;page=2"' in first
    second = client.get(results_url(r.exam), {"school": b, "page": 2}).content.decode()
    assert f'href="?school={b}&amp;page=1"' in second and "page=2&amp;page" not in second
    assert shown(r, first) | shown(r, second) == b_side
    # the selected school stays selected, and the xlsx link carries the filter, not the page
    assert f'<option value="{b}" selected>' in second
    assert f'href="{xlsx_url(r.exam)}?school={b}"' in second

    # two filters at once
    admitted = {
        key for key in b_side if Candidate.objects.get(pk=r.c[key].pk).admission_status == AdmissionStatus.ADMITTED
    }
    assert admitted and admitted != b_side, "control: B has admitted candidates and others"
    params = {"school": b, "outcome": AdmissionStatus.ADMITTED}
    html = client.get(results_url(r.exam), params).content.decode()
    assert shown(r, html) == admitted
    assert f'<option value="{AdmissionStatus.ADMITTED}" selected>' in html


def test_the_xlsx_has_every_row_whatever_the_page(world, monkeypatch):
    monkeypatch.setattr(admission_views.ExamResults, "paginate_by", 2)
    r = allocated(world)
    client = web_client(r.chair)
    page = client.get(results_url(r.exam)).content.decode()
    assert "Trang 1/5" in page and "Tải bảng kết quả (Excel, tất cả 9 thí sinh)" in page
    everything = xlsx_numbers(client.get(xlsx_url(r.exam), {"page": 3}).content)
    assert len(everything) == 9
    assert set(everything) == {c.number or None for c in r.c.values() if not c.withdrawn}
    b = world.b.school.pk
    filtered = xlsx_numbers(client.get(xlsx_url(r.exam), {"school": b, "page": 2}).content)
    assert sorted(filtered) == sorted(c.number for c in r.c.values() if c.school_id == b and not c.withdrawn)


def test_a_school_reads_its_own_candidates_page_by_page_after_publication(world, monkeypatch):
    monkeypatch.setattr(admission_views.ExamResults, "paginate_by", 2)
    r = allocated(world)
    Exam.objects.filter(pk=r.exam.pk).update(results_publish_at=timezone.now() - dt.timedelta(minutes=1))
    client = web_client(world.b.m(Role.PRINCIPAL))
    first = client.get(results_url(r.exam)).content.decode()
    second = client.get(results_url(r.exam), {"page": 2}).content.decode()
    ours = {key for key, c in r.c.items() if c.school_id == world.b.school.pk and not c.withdrawn}
    assert "Kết quả thi (4 thí sinh, trang 1/2)" in first
    assert shown(r, first) | shown(r, second) == ours
    # the school filter offers the schools of the rows the principal reads: their own
    assert re.findall(r'<option value="(\d+)"', first.split('id="loc-truong"')[1].split("</select>")[0]) == [
        str(world.b.school.pk)
    ]


def test_nobody_outside_the_board_pages_through_unpublished_results(world, monkeypatch):
    monkeypatch.setattr(admission_views.ExamResults, "paginate_by", 2)
    r = allocated(world)
    for membership in (world.members["so_staff"], world.a.m(Role.PRINCIPAL)):
        html = web_client(membership).get(results_url(r.exam), {"page": 2}).content.decode()
        assert shown(r, html) == set() and "Kết quả thi (0 thí sinh)" in html
        assert 'aria-label="Phân trang"' not in html and "Tải bảng kết quả" not in html


# --- the same queries for 5 candidates and 60 ----------------------------------------------------------------


def exam_with(world, n: int, chair) -> Exam:
    """An admission exam of the Sở with ``n`` candidates, scored in two subjects, one choice each,
    allocated (so the board's page explains the outcomes)."""
    exam = Exam.objects.create(
        unit=world.so,
        kind=ExamKind.ADMISSION_10,
        name=f"Tuyển sinh lớp 10 ({n} thí sinh)",
        start_year=2026,
        grade=9,
        choices_allowed=2,
        choice_margins=["0"],
        tie_breaks=[],
    )
    school = thpt(world, f"C3N{n}", f"Trường THPT Số {n}")
    toan = ExamSubject.objects.create(exam=exam, code="toan", name="Toán", duration_minutes=120)
    van = ExamSubject.objects.create(exam=exam, code="van", name="Ngữ văn", duration_minutes=120, order=1)
    BoardMember.objects.create(exam=exam, user=chair.user, role=BoardRole.CHAIR, home_unit=world.a.school)
    Quota.objects.create(exam=exam, school=school, places=max(1, n // 2))
    for i in range(n):
        side = world.a if i % 2 else world.b
        c = Candidate.objects.create(
            exam=exam,
            number=f"N{n:02d}{i:03d}",
            school=side.school,
            full_name=f"Thí Sinh Số {i}",
            birth_date=dt.date(2011, 1, 1) + dt.timedelta(days=i),
            sex="F",
        )
        Choice.objects.create(candidate=c, rank=1, school=school)
        CandidateScore.objects.create(candidate=c, exam_subject=toan, score=D(5 + i % 5))
        CandidateScore.objects.create(candidate=c, exam_subject=van, score=D(4 + i % 6))
    admission.run_allocation(world.actor(chair), exam)
    return exam


def counted(client, url) -> tuple[int, str]:
    client.get(url)  # a first request fills what a session fills once
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_the_results_page_costs_the_same_queries_for_5_candidates_and_60(world, monkeypatch):
    monkeypatch.setattr(admission_views.ExamResults, "paginate_by", 10)
    chair = world.a.m(Role.TEACHER)
    few, many = exam_with(world, 5, chair), exam_with(world, 60, chair)
    b = world.b.school.pk
    for membership, published in ((chair, False), (world.members["so_staff"], True), (world.b.m(Role.PRINCIPAL), True)):
        if published:
            Exam.objects.filter(pk__in=[few.pk, many.pk]).update(
                results_publish_at=timezone.now() - dt.timedelta(minutes=1)
            )
        client = web_client(membership)
        for query in ("", f"?school={b}&page=2"):
            small, small_html = counted(client, results_url(few) + query)
            big, big_html = counted(client, results_url(many) + query)
            assert small == big, f"{membership}: {small} queries for 5 candidates but {big} for 60 ({query!r})"
            assert big <= 25, big
            assert big_html.count("Thí Sinh Số") == 10  # a full page of the 60
        total = 30 if membership.role == Role.PRINCIPAL else 60
        html = client.get(results_url(many)).content.decode()
        assert f"Kết quả thi ({total} thí sinh, trang 1/{total // 10})" in html


# --- the code table (bảng ghép phách) ----------------------------------------------------------------------


def test_the_code_table_is_paged_and_searched(world, monkeypatch):
    monkeypatch.setattr(marking_views.SubjectKeys, "paginate_by", 2)
    mk = build_marking(world, candidates=5)
    ready(mk)
    client = web_client(mk.people["secretariat"])
    url = reverse("exams:examsubject-keys", kwargs={"pk": mk.essay.pk})
    pages = [client.get(url, {"page": n}).content.decode() for n in (1, 2, 3)]
    assert "5 bài thi, trang 1/3" in pages[0] and 'href="?page=2"' in pages[0]
    for number, candidate in enumerate(mk.candidates):  # by candidate number, two a page
        on = [i for i, html in enumerate(pages) if f">{candidate.full_name}<" in html]
        assert on == [number // 2], (candidate.number, on)
    # the search keeps to the matching scripts and stays in the page links
    prefix = mk.candidates[0].number[:3]  # every number here starts with it
    found = client.get(url, {"q": prefix}).content.decode()
    assert f"5 bài thi khớp “{prefix}”, trang 1/3" in found and f'href="?q={prefix}&amp;page=2"' in found
    one = mk.candidates[3]
    found = client.get(url, {"q": one.number}).content.decode()
    assert f">{one.full_name}<" in found and "1 bài thi khớp" in found and 'aria-label="Phân trang"' not in found
    script = mk.script_of(one)
    assert f">{one.full_name}<" in client.get(url, {"q": script.code}).content.decode()
    assert "Không có bài thi nào khớp" in client.get(url, {"q": "khong-co"}).content.decode()


def test_the_code_table_costs_the_same_queries_for_a_few_scripts_and_many(world):
    small = build_marking(world, candidates=3)
    ready(small)
    few, _ = counted(
        web_client(small.people["secretariat"]), reverse("exams:examsubject-keys", kwargs={"pk": small.essay.pk})
    )
    for i in range(3, marking_views.KEYS_PER_PAGE + 5):
        Candidate.objects.create(
            exam=small.exam,
            school=world.a.school,
            number=f"02{i:04d}",
            full_name=f"Thí Sinh Thêm {i}",
            birth_date=dt.date(2011, 1, 1),
            sex="M",
        )
    from exams.services import marking

    marking.make_scripts(small.actor("secretariat"), small.essay)
    many, html = counted(
        web_client(small.people["secretariat"]), reverse("exams:examsubject-keys", kwargs={"pk": small.essay.pk})
    )
    assert few == many and f"{marking_views.KEYS_PER_PAGE + 5} bài thi, trang 1/2" in html
