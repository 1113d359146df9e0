"""Results pages and API: what the principal, the homeroom teacher, Phòng staff, a learner and their parent
see and may do; another school's class or learner is a 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sms.accounts.roles import Role
from sms.exports import xlsx
from sms.jobs.models import Job, JobStatus
from students.models import (
    Exemption,
    Guardian,
    Period,
    ResultStatus,
    Score,
    ScoreSheet,
    SheetStatus,
    SubjectResult,
    TermResult,
)
from students.services import results as service
from tests.world import api_client, web_client

from .test_results import (
    SCORED,
    _failing,
    _sheet,
    actor,
    compute,
    conduct,
    enrol,
    fill,
    plan,
    term,
)


def class_url(klass, name="students:class-results"):
    return reverse(name, kwargs={"pk": klass.pk})


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- the class page -----------------------------------------------------------------------------------


def test_class_page_shows_results_with_decimal_commas_and_the_adjustment(world):
    side = world.a
    subjects = plan(side)
    enrolment = enrol(side, name="Nguyễn Văn An")
    fill(enrolment, subjects, {**dict.fromkeys(SCORED, 8.5), "tin-hoc": 3.0})
    conduct(enrolment)
    compute(side)
    html = page(web_client(side.m(Role.PRINCIPAL)).get(class_url(side.klass) + "?ky=hk1"))
    assert "Nguyễn Văn An" in html
    assert "<td>8,5</td>" in html and "<td>3,0</td>" in html
    assert "Điều chỉnh theo Điều 9.3 (môn Tin học): từ Chưa đạt" in html
    assert "<caption>" in html
    assert "Tính kết quả" in html and "Duyệt kết quả" in html


def test_class_page_export(world):
    side = world.a
    subjects = plan(side, scored=["toan"], comment=["gdtc"])
    enrolment = enrol(side, name="Nguyễn Văn An")
    fill(enrolment, subjects, 7.5)
    conduct(enrolment)
    compute(side)
    response = web_client(side.m(Role.PRINCIPAL)).get(class_url(side.klass) + "?ky=cn&format=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"] == xlsx.CONTENT_TYPE
    rows = [values for _, values in xlsx.read_rows(response.content)]
    assert rows[0]["Họ và tên"] == "Nguyễn Văn An"
    assert rows[0]["Toán"] == "7,5"
    assert rows[0]["Giáo dục thể chất"] == "Đ"
    assert rows[0]["Rèn luyện"] == "Tốt"


def test_homeroom_teacher_computes_the_class_other_teachers_do_not(world):
    side = world.a
    plan(side, scored=["toan"], comment=[])
    enrol(side)
    url = class_url(side.klass, "students:class-results-compute")
    response = web_client(side.m(Role.TEACHER)).post(url, {"ky": "cn"}, follow=True)
    assert "Đã tính kết quả của 1 học sinh (1 lớp)" in page(response)
    assert TermResult.objects.filter(period=Period.YEAR).count() == 1
    assert web_client(side.m("teacher2")).post(url, {"ky": "cn"}).status_code == 403
    assert web_client(side.m(Role.CLERK)).get(class_url(side.klass)).status_code == 403


def test_approve_button(world):
    side = world.a
    subjects = plan(side, scored=["toan"], comment=[])
    enrolment = enrol(side)
    fill(enrolment, subjects, 8.0)
    conduct(enrolment)
    _sheet(side, subjects["toan"], 2, SheetStatus.SUBMITTED)
    url = class_url(side.klass, "students:class-results-approve")
    client = web_client(side.m(Role.PRINCIPAL))
    assert "Còn bảng điểm chưa duyệt: Toán." in page(client.post(url, {"ky": "hk2"}, follow=True))
    ScoreSheet.objects.update(status=SheetStatus.APPROVED)
    html = page(client.post(url, {"ky": "hk2"}, follow=True))
    assert "Đã duyệt kết quả học kỳ II của 1 học sinh" in html
    assert term(enrolment, Period.SEMESTER_2).status == ResultStatus.APPROVED
    assert web_client(side.m(Role.SCHOOL_ADMIN)).post(url, {"ky": "cn"}).status_code == 403


# --- another school ---------------------------------------------------------------------------------------


def test_another_schools_class_and_learner_are_404(world):
    b = world.b
    plan(b, scored=["toan"], comment=[])
    b_enrolment = enrol(b)
    compute(b)
    for membership in (world.a.m(Role.PRINCIPAL), world.members["phong1_admin"]):
        client = web_client(membership)
        assert client.get(class_url(b.klass)).status_code == 404
        assert client.post(class_url(b.klass, "students:class-results-compute")).status_code == 404
        assert client.post(class_url(b.klass, "students:class-results-approve")).status_code == 404
        assert client.get(reverse("students:enrolment-results", kwargs={"pk": b_enrolment.pk})).status_code == 404
        api = api_client(membership)
        assert api.post(f"/api/students/classes/{b.klass.pk}/results/compute/").status_code == 404
        assert api.post(f"/api/students/classes/{b.klass.pk}/results/approve/", {"period": "cn"}).status_code == 404
        listed = api.get("/api/students/term-results/?page_size=500").json()["results"]
        assert not any(row["enrolment"] == b_enrolment.pk for row in listed)
    assert TermResult.objects.filter(enrolment=b_enrolment, status=ResultStatus.APPROVED).count() == 0


# --- one learner --------------------------------------------------------------------------------------------


def _linked(world):
    side = world.a
    subjects = plan(side, scored=["toan"], comment=[])
    enrolment = enrol(side, name="Lê Văn Cường", user=side.m(Role.STUDENT).user)
    Guardian.objects.create(
        student=enrolment.student, relation="mother", full_name="Lê Thị Mai", user=side.m(Role.PARENT).user
    )
    fill(enrolment, subjects, 8.0)
    conduct(enrolment)
    compute(side)
    return side, subjects, enrolment


def test_learner_sees_scores_once_submitted_and_results_once_approved(world):
    side, subjects, enrolment = _linked(world)
    sheet = _sheet(side, subjects["toan"], 1, SheetStatus.DRAFT)
    Score.objects.create(school=side.school, sheet=sheet, enrolment=enrolment, column="tx1", value="7.5")
    url = reverse("students:enrolment-results", kwargs={"pk": enrolment.pk})
    for role in (Role.STUDENT, Role.PARENT):
        html = page(web_client(side.m(role)).get(url))
        assert "ĐĐGtx1: 7,5" not in html
        assert "Chưa tính" in html  # no result shown before approval
        assert "8,0" not in html
    ScoreSheet.objects.filter(pk=sheet.pk).update(status=SheetStatus.SUBMITTED)
    assert "ĐĐGtx1: 7,5" in page(web_client(side.m(Role.STUDENT)).get(url))
    ScoreSheet.objects.update(status=SheetStatus.APPROVED)
    service.approve_results(actor(side.m(Role.PRINCIPAL)), side.klass, Period.YEAR)
    for role in (Role.STUDENT, Role.PARENT):
        html = page(web_client(side.m(role)).get(url))
        assert "8,0" in html and "Hiệu trưởng đã duyệt" in html
        rows = api_client(side.m(role)).get("/api/students/term-results/").json()["results"]
        assert [r["period"] for r in rows] == ["cn"]


def test_staff_reads_of_a_learners_results_are_logged(world):
    from sms.audit.models import AuditEvent

    side, subjects, enrolment = _linked(world)
    url = reverse("students:enrolment-results", kwargs={"pk": enrolment.pk})
    page(web_client(side.m(Role.PRINCIPAL)).get(url))
    reads = AuditEvent.objects.filter(kind="read", object_type="students.Enrolment", object_id=str(enrolment.pk))
    assert list(reads.values_list("username", flat=True)) == [side.m(Role.PRINCIPAL).user.username]


def test_my_results_lists_only_own_years(world):
    side, subjects, enrolment = _linked(world)
    other = enrol(side, name="Người Khác")
    html = page(web_client(side.m(Role.PARENT)).get(reverse("students:my-results")))
    assert reverse("students:enrolment-results", kwargs={"pk": enrolment.pk}) in html
    assert reverse("students:enrolment-results", kwargs={"pk": other.pk}) not in html
    assert "Chưa công bố" in html
    assert web_client(side.m(Role.TEACHER)).get(reverse("students:my-results")).status_code == 403
    assert web_client(world.b.m(Role.STUDENT)).get(reverse("students:my-results")).status_code == 200


def test_retest_form_for_the_principal(world):
    side = world.a
    subjects, enrolment = _failing(side)
    url = reverse("students:enrolment-results", kwargs={"pk": enrolment.pk})
    html = page(web_client(side.m(Role.PRINCIPAL)).get(url))
    assert "Ghi kết quả kiểm tra lại" in html
    assert 'for="retest-value"' in html
    assert "Ghi kết quả kiểm tra lại" not in page(web_client(side.m(Role.TEACHER)).get(url))
    post = reverse("students:enrolment-retest", kwargs={"pk": enrolment.pk})
    client = web_client(side.m(Role.PRINCIPAL))
    html = page(client.post(post, {"subject": subjects["toan"].pk, "value": "abc"}, follow=True))
    assert "Điểm kiểm tra lại môn Toán" in html
    html = page(client.post(post, {"subject": subjects["toan"].pk, "value": "6,5"}, follow=True))
    assert "Đã ghi kết quả kiểm tra lại môn Toán." in html
    assert SubjectResult.objects.get(enrolment=enrolment, subject=subjects["toan"], period="cn").retest_average == 6.5
    assert (
        web_client(side.m(Role.TEACHER)).post(post, {"subject": subjects["ngu-van"].pk, "value": "7"}).status_code
        == 403
    )


def test_summer_conduct_form_for_the_homeroom_teacher(world):
    side = world.a
    subjects = plan(side, scored=["toan"], comment=[])
    enrolment = enrol(side)
    fill(enrolment, subjects, 7.0)
    conduct(enrolment, "dat", "chua_dat")
    compute(side)
    url = reverse("students:enrolment-results", kwargs={"pk": enrolment.pk})
    assert "Kết quả rèn luyện sau hè" in page(web_client(side.m(Role.TEACHER)).get(url))
    post = reverse("students:enrolment-summer-conduct", kwargs={"pk": enrolment.pk})
    html = page(web_client(side.m(Role.TEACHER)).post(post, {"level": "kha"}, follow=True))
    assert "Đã ghi kết quả rèn luyện sau hè." in html
    assert term(enrolment).conduct_after_summer == "kha"


def test_manual_learning_form_for_the_principal(world):
    side = world.a
    subjects = plan(side)
    enrolment = enrol(side)
    fill(enrolment, subjects, 7.0)
    conduct(enrolment)
    Exemption.objects.create(school=side.school, enrolment=enrolment, subject=subjects["toan"], kind="iep", reason="x")
    compute(side)
    url = reverse("students:enrolment-results", kwargs={"pk": enrolment.pk})
    html = page(web_client(side.m(Role.PRINCIPAL)).get(url))
    assert "Hiệu trưởng xác định kết quả cả năm" in html
    assert service.IEP_MISSING in html
    post = reverse("students:enrolment-manual-learning", kwargs={"pk": enrolment.pk})
    client = web_client(side.m(Role.PRINCIPAL))
    assert "Hãy ghi lý do" in page(client.post(post, {"period": "cn", "level": "kha", "reason": ""}, follow=True))
    page(client.post(post, {"period": "cn", "level": "kha", "reason": "Theo kế hoạch cá nhân"}, follow=True))
    assert term(enrolment).final_learning == "kha"


# --- statistics and the background job --------------------------------------------------------------------


def test_school_statistics_per_class_and_per_school(world):
    side = world.a
    subjects = plan(side)
    for scores in (8.0, 8.0, 6.5):
        enrolment = enrol(side)
        fill(enrolment, subjects, scores)
        conduct(enrolment)
    compute(side)
    b_subjects = plan(world.b)
    b_enrolment = enrol(world.b)
    fill(b_enrolment, b_subjects, 7.0)
    conduct(b_enrolment)
    compute(world.b)
    html = page(web_client(side.m(Role.PRINCIPAL)).get(reverse("students:school-results") + "?nam=2026&ky=cn"))
    assert class_url(side.klass) in html
    assert "Tính kết quả toàn trường" in html
    assert "<td>2</td>" in html  # two learners Tốt
    assert "Cộng khối 6" in html
    phong = page(web_client(world.members["phong1_admin"]).get(reverse("students:school-results") + "?ky=cn"))
    assert side.school.name in phong and world.b.school.name not in phong.split("</form>")[-1]
    so = page(web_client(world.members["so_staff"]).get(reverse("students:school-results") + "?ky=cn"))
    assert world.b.school.name in so.split("</form>")[-1]
    assert web_client(side.m(Role.STUDENT)).get(reverse("students:school-results")).status_code == 403


def test_whole_school_job(world, django_capture_on_commit_callbacks):
    side = world.a
    subjects = plan(side, scored=["toan"], comment=[])
    enrolment = enrol(side)
    fill(enrolment, subjects, 7.0)
    url = reverse("students:school-results")
    assert web_client(side.m(Role.TEACHER)).post(url, {"school_year": side.year.pk}).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = web_client(side.m(Role.PRINCIPAL)).post(url, {"school_year": side.year.pk})
    job = Job.objects.get(kind="students.year_results")
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.title == "Tính kết quả cả năm học của trường"
    assert term(enrolment).missing == ["Chưa có kết quả rèn luyện HK I", "Chưa có kết quả rèn luyện HK II"]
    # another school's year is not the principal's to compute
    with django_capture_on_commit_callbacks(execute=True):
        web_client(side.m(Role.PRINCIPAL)).post(url, {"school_year": world.b.year.pk})
    assert Job.objects.count() == 1


# --- the API ---------------------------------------------------------------------------------------------


def test_api_compute_filter_and_approve(world):
    side = world.a
    subjects = plan(side, scored=["toan"], comment=[])
    enrolment = enrol(side)
    fill(enrolment, subjects, 8.0)
    conduct(enrolment)
    _sheet(side, subjects["toan"], 1, SheetStatus.CHECKED)
    api = api_client(side.m(Role.PRINCIPAL))
    reply = api.post(f"/api/students/classes/{side.klass.pk}/results/compute/")
    assert reply.status_code == 200 and reply.json()["learners"] == 1
    rows = api.get(f"/api/students/term-results/?school_class={side.klass.pk}&period=hk1").json()["results"]
    assert [(r["enrolment"], r["period"], r["conduct"]) for r in rows] == [(enrolment.pk, "hk1", "tot")]
    year = api.get(f"/api/students/subject-results/?school_class={side.klass.pk}&period=cn").json()["results"]
    assert [r["average"] for r in year] == ["8.0"]
    refused = api.post(f"/api/students/classes/{side.klass.pk}/results/approve/", {"period": "hk1"}, format="json")
    assert refused.status_code == 400
    assert "Còn bảng điểm chưa duyệt: Toán." in str(refused.json())
    ScoreSheet.objects.update(status=SheetStatus.APPROVED)
    done = api.post(f"/api/students/classes/{side.klass.pk}/results/approve/", {"period": "hk1"}, format="json")
    assert done.json() == {"approved": 1, "period": "hk1"}
    teacher = api_client(side.m("teacher2"))
    assert teacher.post(f"/api/students/classes/{side.klass.pk}/results/compute/").status_code == 403


@pytest.mark.parametrize("period", ["hk1", "hk2", "cn"])
def test_class_page_each_period(world, period):
    side = world.a
    subjects = plan(side, scored=["toan"], comment=["gdtc"])
    enrolment = enrol(side)
    fill(enrolment, subjects, 6.0, 9.0)
    conduct(enrolment)
    compute(side)
    html = page(web_client(side.m(Role.TEACHER)).get(class_url(side.klass) + f"?ky={period}"))
    assert {"hk1": "<td>6,0</td>", "hk2": "<td>9,0</td>", "cn": "<td>8,0</td>"}[period] in html


def test_primary_class_page(world):
    from students.models import Period as P

    from .test_results import _primary, _primary_marks, result

    side, klass, subjects = _primary(world)
    enrolment = enrol(side, klass, name="Đỗ Minh Khang")
    _primary_marks(enrolment, subjects)
    for subject in subjects.values():
        result(enrolment, subject, P.SEMESTER_1, level="H")
    compute(side, klass)
    client = web_client(side.m(Role.PRINCIPAL))
    first = page(client.get(class_url(klass) + "?ky=hk1"))
    assert "<td>H</td>" in first and "Kết quả học tập</th>" not in first
    year = page(client.get(class_url(klass) + "?ky=cn"))
    assert "<td>T (10)</td>" in year and "Hoàn thành xuất sắc" in year and "Học sinh Xuất sắc" in year
    assert "Thông tư 27/2020" in year


def test_learning_after_retest_on_the_pages_and_in_the_statistics(world):
    side = world.a
    subjects, enrolment = _failing(side)
    principal = actor(side.m(Role.PRINCIPAL))
    service.record_retest(principal, enrolment, subjects["toan"], "6,5")
    service.record_retest(principal, enrolment, subjects["ngu-van"], "5")
    client = web_client(side.m(Role.PRINCIPAL))
    assert "Sau kiểm tra lại: Đạt" in page(client.get(class_url(side.klass) + "?ky=cn"))
    url = reverse("students:enrolment-results", kwargs={"pk": enrolment.pk})
    assert "Sau kiểm tra lại: Đạt" in page(client.get(url))
    response = client.get(reverse("students:school-results") + "?nam=2026&ky=cn")
    learning = next(t for t in response.context["tables"] if t["key"] == "learning")
    assert [value for value, _ in learning["columns"]] == ["dat"]  # counted at its re-assessed level
    assert learning["totals"] == [1]


def test_my_results_show_a_semester_once_approved_before_the_year(world):
    """In January a family sees semester I's results (approved), while the year's are not out."""
    side, subjects, enrolment = _linked(world)
    url = reverse("students:my-results")
    assert page(web_client(side.m(Role.PARENT)).get(url)).count("Chưa công bố") == 3
    ScoreSheet.objects.filter(semester__number=1).update(status=SheetStatus.APPROVED)
    service.approve_results(actor(side.m(Role.PRINCIPAL)), side.klass, Period.SEMESTER_1)
    for role in (Role.STUDENT, Role.PARENT):
        html = page(web_client(side.m(role)).get(url))
        assert "Học tập:" in html and "rèn luyện: Tốt" in html
        assert html.count("Chưa công bố") == 2  # semester II and the year
