"""Results published at a set time (exams-diplomas.md, "Results: published at a set time"):
refused until complete, visible to the board only before the moment, to the organisers, the
schools and the learners after it; cancelled only before it; the results table and lists."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from exams.models import AdmissionStatus, Candidate, CandidateScore, Exam, Quota
from exams.services import admission
from exams.services import publication as services
from sms.accounts.roles import Role
from sms.audit.models import AuditEvent
from tests.makers.students import student as make_student
from tests.world import api_client, web_client

from .test_admission import build_round, thpt

D = Decimal
FUTURE = dt.timedelta(days=2)


def allocated(world):
    r = build_round(world)
    admission.run_allocation(world.actor(r.chair), r.exam)
    return r


def publish_at(exam: Exam, when) -> None:
    """Move the moment without the service (no time machine installed): the door compares it with now()."""
    Exam.objects.filter(pk=exam.pk).update(results_publish_at=when)
    exam.refresh_from_db()


# --- scheduling -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_refused_while_a_subject_is_unmatched(world):
    r = allocated(world)
    CandidateScore.objects.filter(candidate=r.c["c2"], exam_subject=r.van).delete()
    with pytest.raises(ValidationError) as error:
        services.schedule_publication(world.actor(r.chair), r.exam, timezone.now() + FUTURE)
    assert "Môn Ngữ văn: còn 1 thí sinh chưa có điểm (chưa ghép phách)." in error.value.messages
    r.exam.refresh_from_db()
    assert r.exam.results_publish_at is None


@pytest.mark.django_db
def test_refused_until_the_allocation_is_current(world):
    r = build_round(world)
    chair = world.actor(r.chair)
    with pytest.raises(ValidationError) as error:
        services.schedule_publication(chair, r.exam)
    assert "Chưa chạy xét tuyển." in error.value.messages

    admission.run_allocation(chair, r.exam)
    # a quota changed after the run changes the outcome: the run is stale
    Quota.objects.filter(pk=r.quotas["X"].pk).update(places=3)
    with pytest.raises(ValidationError) as error:
        services.schedule_publication(chair, r.exam)
    assert any("hãy chạy xét tuyển lại" in m for m in error.value.messages)

    admission.run_allocation(chair, r.exam)
    exam = services.schedule_publication(chair, r.exam, timezone.now() + FUTURE)
    assert exam.results_publish_at > timezone.now() and exam.published_by == r.chair.user
    event = AuditEvent.objects.get(kind=services.RESULTS_PUBLISHED, object_id=str(exam.pk))
    assert event.user == r.chair.user and "Công bố kết quả lúc" in event.detail


@pytest.mark.django_db
def test_who_may_publish_and_when(world):
    r = allocated(world)
    with pytest.raises(PermissionDenied):
        services.schedule_publication(world.actor(r.secretariat), r.exam)
    with pytest.raises(PermissionDenied):
        services.schedule_publication(world.actor(world.a.m(Role.PRINCIPAL)), r.exam)
    so_staff = world.actor(world.members["so_staff"])
    with pytest.raises(ValidationError) as error:
        services.schedule_publication(so_staff, r.exam, timezone.now() - dt.timedelta(hours=1))
    assert "quá khứ" in error.value.message_dict["at"][0]
    exam = services.schedule_publication(so_staff, r.exam)  # now
    assert exam.is_published()


@pytest.mark.django_db
def test_cancel_before_the_moment_but_not_after(world):
    r = allocated(world)
    chair = world.actor(r.chair)
    services.schedule_publication(chair, r.exam, timezone.now() + FUTURE)
    exam = services.cancel_publication(chair, r.exam)
    assert exam.results_publish_at is None and exam.published_by is None
    assert AuditEvent.objects.filter(kind=services.PUBLICATION_CANCELLED, object_id=str(exam.pk)).exists()
    # unfrozen again: quotas may change, the allocation may run
    admission.set_quota(world.actor(world.members["so_admin"]), r.exam, r.x, 2)

    with pytest.raises(ValidationError):
        services.cancel_publication(chair, r.exam)  # nothing scheduled
    services.schedule_publication(chair, r.exam)
    publish_at(r.exam, timezone.now() - dt.timedelta(minutes=5))
    with pytest.raises(ValidationError) as error:
        services.cancel_publication(chair, r.exam)
    assert "không thể huỷ" in error.value.messages[0]
    with pytest.raises(ValidationError):
        services.schedule_publication(chair, r.exam, timezone.now() + FUTURE)  # already published
    with pytest.raises(ValidationError):
        admission.set_quota(world.actor(world.members["so_admin"]), r.exam, r.x, 9)  # frozen


@pytest.mark.django_db
def test_publication_page_states_and_actions(world):
    r = allocated(world)
    client = web_client(r.chair)
    url = reverse("exams:exam-publication", kwargs={"pk": r.exam.pk})
    assert "Chưa hẹn công bố kết quả" in client.get(url).content.decode()

    when = timezone.localtime(timezone.now() + FUTURE).replace(second=0, microsecond=0)
    response = client.post(url, {"at": when.strftime("%d/%m/%Y %H:%M")}, follow=True)
    page = response.content.decode()
    assert f"Sẽ công bố lúc {when:%d/%m/%Y %H:%M}" in page
    assert "Huỷ lịch công bố" in page

    response = client.post(reverse("exams:exam-publication-cancel", kwargs={"pk": r.exam.pk}), follow=True)
    assert "Đã huỷ lịch công bố kết quả." in response.content.decode()

    client.post(url, {"at": ""})
    page = client.get(url).content.decode()
    assert "Đã công bố lúc" in page and "Huỷ lịch công bố" not in page

    # a refusal is shown on the form
    other = build_round_without_scores(world)
    page = (
        web_client(world.members["so_admin"])
        .post(reverse("exams:exam-publication", kwargs={"pk": other.pk}), {"at": ""})
        .content.decode()
    )
    assert "Chưa công bố được kết quả:" in page


def build_round_without_scores(world) -> Exam:
    exam = Exam.objects.create(unit=world.so, kind="gifted", name="Học sinh giỏi tỉnh", start_year=2026)
    exam.subjects.create(code="toan", name="Toán", duration_minutes=150)
    Candidate.objects.create(
        exam=exam, number="HSG01", school=world.a.school, full_name="Lê Chi", birth_date=dt.date(2011, 1, 1), sex="F"
    )
    return exam


# --- who sees what, before and after the moment ---------------------------------------------------------


def _learner_round(world):
    r = allocated(world)
    learner = make_student(world.a)
    learner.user = world.a.m(Role.STUDENT).user
    learner.save()
    Candidate.objects.filter(pk=r.c["c1"].pk).update(student=learner)
    return r


@pytest.mark.django_db
def test_scheduled_results_are_hidden_until_the_moment(world):
    r = _learner_round(world)
    services.schedule_publication(world.actor(r.chair), r.exam, timezone.now() + FUTURE)
    results = reverse("exams:exam-results", kwargs={"pk": r.exam.pk})
    mine = reverse("exams:my-results")
    c1 = r.c["c1"]  # school A's candidate, the student's own
    c2 = r.c["c2"]  # school B's candidate
    so_staff = world.members["so_staff"]  # Sở staff, not on the board
    principal = world.a.m(Role.PRINCIPAL)
    student = world.a.m(Role.STUDENT)

    def seen(membership) -> set[str]:
        page = web_client(membership).get(results).content.decode()
        return {c.full_name for c in r.c.values() if c.full_name + "<" in page}

    # before: the board sees everything, nobody else anything
    assert seen(r.chair) >= {c1.full_name, c2.full_name}
    for membership in (so_staff, principal, student):
        assert seen(membership) == set(), membership
        assert api_client(membership).get(f"/api/exams/exams/{r.exam.pk}/results/").json() == []
    for membership in (so_staff, principal, student):
        assert api_client(membership).get(f"/api/exams/scores/?exam={r.exam.pk}").json()["results"] == []
    assert "Trúng tuyển" not in web_client(student).get(mine).content.decode()
    quota = web_client(so_staff).get(r.quotas["X"].get_absolute_url()).content.decode()
    assert "Chưa công bố" in quota

    # after: the Sở sees every candidate, the principal their own school's, the student their own
    publish_at(r.exam, timezone.now() - dt.timedelta(seconds=1))
    assert seen(so_staff) >= {c1.full_name, c2.full_name}
    assert c1.full_name in seen(principal) and c2.full_name not in seen(principal)
    assert seen(student) == {c1.full_name}
    rows = api_client(principal).get(f"/api/exams/exams/{r.exam.pk}/results/").json()
    assert {row["number"] for row in rows} == {
        c.number for c in r.c.values() if c.school_id == world.a.school.pk and not c.withdrawn
    }
    assert next(row for row in rows if row["candidate"] == c1.pk)["admission_status"] == AdmissionStatus.ADMITTED
    quota = web_client(so_staff).get(r.quotas["X"].get_absolute_url()).content.decode()
    assert "Chưa công bố" not in quota


@pytest.mark.django_db
def test_the_student_sees_their_own_results_after_the_moment(world):
    r = _learner_round(world)
    services.schedule_publication(world.actor(r.chair), r.exam, timezone.now() + FUTURE)
    student = world.a.m(Role.STUDENT)
    mine = reverse("exams:my-results")
    page = web_client(student).get(mine).content.decode()
    assert "Sẽ công bố lúc" in page and "Kết quả chưa được công bố." in page and "Trúng tuyển" not in page
    assert api_client(student).get(f"/api/exams/scores/?exam={r.exam.pk}").json()["results"] == []

    publish_at(r.exam, timezone.now() - dt.timedelta(seconds=1))
    page = web_client(student).get(mine).content.decode()
    assert "Đã công bố lúc" in page and "Trúng tuyển" in page and "Trường THPT Xuân Hoà" in page
    assert r.c["c2"].full_name not in page
    scores = api_client(student).get(f"/api/exams/scores/?exam={r.exam.pk}").json()["results"]
    assert {s["candidate"] for s in scores} == {r.c["c1"].pk}


@pytest.mark.django_db
def test_results_page_filters_by_school_and_outcome(world):
    r = allocated(world)
    url = reverse("exams:exam-results", kwargs={"pk": r.exam.pk})
    client = web_client(r.chair)
    page = client.get(url, {"school": world.b.school.pk}).content.decode()
    assert r.c["c2"].full_name in page and r.c["c1"].full_name not in page
    page = client.get(url, {"outcome": AdmissionStatus.ABSENT}).content.decode()
    assert r.c["c8"].full_name in page and r.c["c1"].full_name not in page


@pytest.mark.django_db
def test_results_xlsx_content(world):
    r = allocated(world)
    response = web_client(r.chair).get(reverse("exams:exam-results-xlsx", kwargs={"pk": r.exam.pk}))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "Số báo danh",
        "Họ và tên",
        "Ngày sinh",
        "Trường đang học",
        "Toán",
        "Ngữ văn",
        "Điểm ưu tiên",
        "Điểm khuyến khích",
        "Điểm xét tuyển",
        "Kết quả",
        "Trúng tuyển vào",
        "Nguyện vọng",
    )
    by_number = {row[0]: row for row in rows[1:]}
    assert by_number["TS001"][1] == "Thí Sinh C1"
    assert by_number["TS001"][4:6] == (9, 9)
    assert by_number["TS001"][8:] == (27, "Trúng tuyển", "Trường THPT Xuân Hoà", 1)
    assert by_number["TS007"][6] == 1 and by_number["TS007"][9] == "Không trúng tuyển"
    assert by_number["TS008"][5] == "Vắng" and by_number["TS008"][9] == "Vắng thi"
    assert by_number[None][9] == "Tuyển thẳng" and by_number[None][11] == "Tuyển thẳng"
    assert "TS099" not in by_number  # withdrawn
    assert AuditEvent.objects.filter(kind="export", object_id=str(r.exam.pk)).exists()

    # a Sở staff member not on the board gets an empty table before publication
    response = web_client(world.members["so_staff"]).get(reverse("exams:exam-results-xlsx", kwargs={"pk": r.exam.pk}))
    assert len(list(load_workbook(io.BytesIO(response.content)).active.iter_rows())) == 1


@pytest.mark.django_db
def test_admitted_pdf_per_school(world):
    r = allocated(world)
    response = web_client(r.chair).get(reverse("exams:exam-admitted-pdf", kwargs={"pk": r.exam.pk}))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


@pytest.mark.django_db
def test_candidate_score_detail_shows_history_to_its_readers(world):
    r = allocated(world)
    score = CandidateScore.objects.get(candidate=r.c["c1"], exam_subject=r.toan)
    url = reverse("exams:candidatescore-detail", kwargs={"pk": score.pk})
    page = web_client(r.chair).get(url).content.decode()
    assert "Lịch sử thay đổi" in page and "Thí Sinh C1" in page
    assert web_client(world.members["so_staff"]).get(url).status_code == 404  # unpublished
    publish_at(r.exam, timezone.now() - dt.timedelta(minutes=1))
    assert web_client(world.members["so_staff"]).get(url).status_code == 200


@pytest.mark.django_db
def test_results_page_query_count_does_not_grow_with_candidates(world, django_assert_max_num_queries):
    r = allocated(world)
    publish_at(r.exam, timezone.now() - dt.timedelta(minutes=1))
    url = reverse("exams:exam-results", kwargs={"pk": r.exam.pk})
    client = web_client(world.members["so_staff"])
    client.get(url)
    school = thpt(world, "C3W", "Trường THPT Woa")
    for n in range(30):
        c = Candidate.objects.create(
            exam=r.exam,
            number=f"TS{200 + n}",
            school=world.b.school,
            full_name=f"Thí Sinh Thêm {n}",
            birth_date=dt.date(2011, 5, 1),
            sex="M",
            admission_status=AdmissionStatus.ADMITTED,
            admitted_to=school,
            admitted_choice=1,
            admission_score=D("20"),
        )
        CandidateScore.objects.create(candidate=c, exam_subject=r.toan, score=D("8"))
        CandidateScore.objects.create(candidate=c, exam_subject=r.van, score=D("4"))
    with django_assert_max_num_queries(20):
        response = client.get(url)
    assert response.content.decode().count("Thí Sinh Thêm") == 30
