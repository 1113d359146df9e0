"""Professional-standard evaluation (Thông tư 20/2018): the workflow, its locks, who may act,
what each person sees, evidence files and the summary."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sms.accounts.roles import Role
from teachers import services
from teachers.models import CriterionRating, Evaluation, EvaluationStage, Position, StaffRecord, SubjectGroup
from tests.world import api_client, web_client

pytestmark = pytest.mark.django_db

ALL_GOOD = dict.fromkeys(range(1, 16), "tot")
ALL_MET = dict.fromkeys(range(1, 16), "dat")
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def record(side, key, position=Position.TEACHER, group=None) -> StaffRecord:
    user = side.m(key).user
    return StaffRecord.objects.create(
        school=side.school, user=user, full_name=user.full_name, position=position, subject_group=group
    )


@pytest.fixture
def a(world):
    """School A: ``teacher`` is in the Toán group that ``teacher2`` leads."""
    side = world.a
    leader = record(side, "teacher2")
    side.group = SubjectGroup.objects.create(school=side.school, name="Tổ Toán", leader=leader)
    leader.subject_group = side.group
    leader.save()
    side.teacher = record(side, Role.TEACHER, group=side.group)
    side.principal_record = record(side, Role.PRINCIPAL, Position.PRINCIPAL)
    side.actors = {
        key: world.actor(side.m(key)) for key in (Role.TEACHER, "teacher2", Role.PRINCIPAL, Role.SCHOOL_ADMIN)
    }
    return side


def started(a) -> Evaluation:
    return services.start_self_assessment(a.actors[Role.TEACHER], a.year)


def submitted(a, ratings=ALL_GOOD) -> Evaluation:
    ev = started(a)
    services.save_self_ratings(a.actors[Role.TEACHER], ev, ratings, {1: "Không vi phạm quy định"})
    return services.submit_self_assessment(a.actors[Role.TEACHER], ev)


def commented(a) -> Evaluation:
    return services.group_comment(a.actors["teacher2"], submitted(a), "Tổ thống nhất.", {3: "kha"})


def test_full_workflow_levels_follow_the_rules(a):
    ev = started(a)
    assert ev.stage == EvaluationStage.DRAFT and ev.ratings.count() == 15
    assert services.start_self_assessment(a.actors[Role.TEACHER], a.year).pk == ev.pk  # reopened, not duplicated

    ev = submitted(a)
    assert (ev.stage, ev.self_level) == (EvaluationStage.SELF_ASSESSED, "tot")
    assert ev.ratings.get(criterion=1).evidence_note == "Không vi phạm quy định"

    ev = services.group_comment(a.actors["teacher2"], ev, "Tổ thống nhất.", {3: "kha"})
    assert ev.stage == EvaluationStage.GROUP_COMMENTED and ev.group_comment == "Tổ thống nhất."
    assert ev.group_level == ""  # the group rated one criterion only: no proposed level

    final = {**ALL_GOOD, 4: "kha"}  # a standard-2 criterion at Khá: Khá overall
    ev = services.decide(a.actors[Role.PRINCIPAL], ev, final, "Đồng ý.")
    assert (ev.stage, ev.final_level) == (EvaluationStage.DECIDED, "kha")
    assert ev.decided_by == a.m(Role.PRINCIPAL).user and ev.decided_at is not None
    assert ev.history.count() >= 4  # each step kept in the row history


def test_submit_needs_all_fifteen_criteria(a):
    ev = started(a)
    services.save_self_ratings(a.actors[Role.TEACHER], ev, {c: "kha" for c in range(1, 15)})
    with pytest.raises(ValidationError, match="Chưa tự đánh giá các tiêu chí: 15"):
        services.submit_self_assessment(a.actors[Role.TEACHER], ev)


@pytest.mark.parametrize("criterion, rating", [(16, "tot"), (3, "xuat_sac")])
def test_invalid_ratings_are_refused(a, criterion, rating):
    with pytest.raises(ValidationError):
        services.save_self_ratings(a.actors[Role.TEACHER], started(a), {criterion: rating})


def test_stage_order_is_enforced(a):
    ev = started(a)
    with pytest.raises(ValidationError, match="đã nộp phiếu tự đánh giá"):
        services.group_comment(a.actors["teacher2"], ev, "Sớm quá")
    with pytest.raises(ValidationError, match="sau khi tổ chuyên môn"):
        services.decide(a.actors[Role.PRINCIPAL], ev, ALL_GOOD)
    services.save_self_ratings(a.actors[Role.TEACHER], ev, ALL_GOOD)
    services.submit_self_assessment(a.actors[Role.TEACHER], ev)
    with pytest.raises(ValidationError, match="Phiếu đã nộp"):
        services.save_self_ratings(a.actors[Role.TEACHER], ev, ALL_MET)
    with pytest.raises(ValidationError, match="sau khi tổ chuyên môn"):
        services.decide(a.actors[Role.PRINCIPAL], ev, ALL_GOOD)


def test_a_decided_evaluation_is_locked(a):
    ev = services.decide(a.actors[Role.PRINCIPAL], commented(a), ALL_MET)
    rating = ev.ratings.get(criterion=2)
    for attempt in (
        lambda: services.save_self_ratings(a.actors[Role.TEACHER], ev, ALL_GOOD),
        lambda: services.submit_self_assessment(a.actors[Role.TEACHER], ev),
        lambda: services.group_comment(a.actors["teacher2"], ev, "Sửa lại"),
        lambda: services.decide(a.actors[Role.PRINCIPAL], ev, ALL_GOOD),
        lambda: services.attach_evidence(
            a.actors[Role.TEACHER], rating, SimpleUploadedFile("mc.pdf", PDF, "application/pdf")
        ),
    ):
        with pytest.raises(ValidationError, match="đã được hiệu trưởng quyết định"):
            attempt()
    ev.refresh_from_db()
    assert ev.final_level == "dat"


def test_decide_needs_every_final_rating(a):
    ev = commented(a)
    with pytest.raises(ValidationError, match="Chưa xếp mức các tiêu chí: 15"):
        services.decide(a.actors[Role.PRINCIPAL], ev, {c: "tot" for c in range(1, 15)})


def test_who_may_act(a, world):
    ev = submitted(a)
    # only the teacher writes their own self-assessment
    with pytest.raises(PermissionDenied):
        services.save_self_ratings(a.actors["teacher2"], ev, ALL_MET)
    # a teacher who does not lead the group may not comment; neither may the teacher on their own sheet
    a.group.leader = a.principal_record
    a.group.save()
    with pytest.raises(PermissionDenied):
        services.group_comment(a.actors["teacher2"], ev, "Không phải tổ trưởng")
    with pytest.raises(PermissionDenied):
        services.group_comment(a.actors[Role.TEACHER], ev, "Tự góp ý")
    # a school admin may comment for the group; only the principal decides
    ev = services.group_comment(a.actors[Role.SCHOOL_ADMIN], ev, "Thay mặt tổ.")
    for key in (Role.SCHOOL_ADMIN, "teacher2"):
        with pytest.raises(PermissionDenied):
            services.decide(a.actors[key], ev, ALL_GOOD)
    # another school's principal cannot reach it at all
    with pytest.raises(PermissionDenied):
        services.decide(world.actor(world.b.m(Role.PRINCIPAL)), ev, ALL_GOOD)
    assert services.decide(a.actors[Role.PRINCIPAL], ev, ALL_GOOD).final_level == "tot"


def test_comment_is_required(a):
    with pytest.raises(ValidationError):
        services.group_comment(a.actors["teacher2"], submitted(a), "   ")


def test_a_teacher_sees_own_and_group_led_sheets_only(a, world):
    own = started(a)
    other = record(world.a, Role.CLERK)  # a staff member outside the group, with their own sheet
    other_ev = Evaluation.objects.create(school=a.school, school_year=a.year, staff=other)

    def listed(key):
        response = web_client(a.m(key)).get(reverse("teachers:evaluation-list"))
        assert response.status_code == 200
        return response.content.decode()

    teacher_page = listed(Role.TEACHER)
    assert own.get_absolute_url() in teacher_page and other_ev.get_absolute_url() not in teacher_page
    leader_page = listed("teacher2")  # leads the group the teacher belongs to
    assert own.get_absolute_url() in leader_page and other_ev.get_absolute_url() not in leader_page
    principal_page = listed(Role.PRINCIPAL)
    assert own.get_absolute_url() in principal_page and other_ev.get_absolute_url() in principal_page
    assert web_client(a.m(Role.TEACHER)).get(other_ev.get_absolute_url()).status_code == 404
    assert web_client(a.m(Role.CLERK)).get(reverse("teachers:evaluation-list")).status_code == 403
    ids = {row["id"] for row in api_client(a.m(Role.TEACHER)).get("/api/teachers/evaluations/").json()["results"]}
    assert ids == {own.pk}


def test_html_workflow_and_detail_shows_the_criteria(a):
    teacher = web_client(a.m(Role.TEACHER))
    response = teacher.post(reverse("teachers:evaluation-start"), {"school_year": a.year.pk})
    ev = Evaluation.objects.get(staff=a.teacher)
    assert response.status_code == 302 and response["Location"] == ev.get_absolute_url()
    page = teacher.get(ev.get_absolute_url()).content.decode()
    assert "Tiêu chuẩn 2. Phát triển chuyên môn, nghiệp vụ" in page
    assert "15. Ứng dụng công nghệ thông tin" in page and 'name="self_15"' in page

    data = {f"self_{c}": "kha" for c in range(1, 16)} | {"note_3": "Giáo án", "submit": "1"}
    teacher.post(reverse("teachers:evaluation-self", kwargs={"pk": ev.pk}), data)
    ev.refresh_from_db()
    assert (ev.stage, ev.self_level) == (EvaluationStage.SELF_ASSESSED, "kha")
    assert 'name="self_1"' not in teacher.get(ev.get_absolute_url()).content.decode()  # no longer editable

    leader = web_client(a.m("teacher2"))
    assert 'name="comment"' in leader.get(ev.get_absolute_url()).content.decode()
    leader.post(reverse("teachers:evaluation-comment", kwargs={"pk": ev.pk}), {"comment": "Đạt yêu cầu."})
    principal = web_client(a.m(Role.PRINCIPAL))
    decision = {f"final_{c}": "dat" for c in range(1, 16)} | {"comment": "Đạt"}
    principal.post(reverse("teachers:evaluation-decide", kwargs={"pk": ev.pk}), decision)
    ev.refresh_from_db()
    assert (ev.stage, ev.final_level) == (EvaluationStage.DECIDED, "dat")
    assert "đã khoá" in principal.get(ev.get_absolute_url()).content.decode()


def test_a_refused_step_shows_the_reason(a):
    ev = started(a)
    client = web_client(a.m(Role.TEACHER))
    response = client.post(reverse("teachers:evaluation-self", kwargs={"pk": ev.pk}), {"submit": "1"}, follow=True)
    assert "Chưa tự đánh giá các tiêu chí" in response.content.decode()
    # a clerk does not reach evaluations; the group leader reads the sheet but cannot write it
    assert (
        web_client(a.m(Role.CLERK)).post(reverse("teachers:evaluation-self", kwargs={"pk": ev.pk})).status_code == 404
    )
    response = web_client(a.m("teacher2")).post(
        reverse("teachers:evaluation-self", kwargs={"pk": ev.pk}), {"self_1": "dat"}
    )
    assert response.status_code == 403
    ev.refresh_from_db()
    assert ev.ratings.get(criterion=1).self_rating == ""
    assert ev.stage == EvaluationStage.DRAFT


def test_evidence_upload_and_download(a, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ev = started(a)
    rating = ev.ratings.get(criterion=5)
    teacher = web_client(a.m(Role.TEACHER))
    upload_url = reverse("teachers:rating-evidence-upload", kwargs={"pk": rating.pk})
    bad = SimpleUploadedFile("mc.pdf", b"not a pdf", "application/pdf")
    response = teacher.post(upload_url, {"evidence": bad}, follow=True)
    assert "mc.pdf" in response.content.decode()
    rating.refresh_from_db()
    assert not rating.evidence

    teacher.post(upload_url, {"evidence": SimpleUploadedFile("giao-an.pdf", PDF, "application/pdf")})
    rating.refresh_from_db()
    assert rating.evidence
    url = reverse("teachers:rating-evidence", kwargs={"pk": rating.pk})
    response = teacher.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF-")
    assert web_client(a.m(Role.PRINCIPAL)).get(url).status_code == 200
    assert web_client(world.b.m(Role.PRINCIPAL)).get(url).status_code == 404
    # the principal reads but does not upload the teacher's evidence
    web_client(a.m(Role.PRINCIPAL)).post(
        upload_url, {"evidence": SimpleUploadedFile("khac.pdf", PDF, "application/pdf")}
    )
    rating.refresh_from_db()
    assert rating.evidence.name.endswith("giao-an.pdf")


def test_api_steps(a):
    teacher = api_client(a.m(Role.TEACHER))
    response = teacher.post("/api/teachers/evaluations/start/", {"school_year": a.year.pk}, format="json")
    assert response.status_code == 201
    pk = response.json()["id"]
    ratings = {str(c): "tot" for c in range(1, 16)}
    response = teacher.post(f"/api/teachers/evaluations/{pk}/self-ratings/", {"ratings": ratings}, format="json")
    assert response.status_code == 200
    assert teacher.post(f"/api/teachers/evaluations/{pk}/submit/").json()["self_level"] == "tot"
    response = api_client(a.m(Role.PRINCIPAL)).post(
        f"/api/teachers/evaluations/{pk}/decide/", {"ratings": ratings}, format="json"
    )
    assert response.status_code == 400  # the group has not commented yet
    assert "tổ chuyên môn" in str(response.json())
    leader = api_client(a.m("teacher2"))
    response = leader.post(f"/api/teachers/evaluations/{pk}/comment/", {"comment": "Tốt."}, format="json")
    assert response.json()["stage"] == "group_commented"
    response = api_client(a.m(Role.PRINCIPAL)).post(
        f"/api/teachers/evaluations/{pk}/decide/", {"ratings": ratings, "comment": "Tốt"}, format="json"
    )
    assert response.json()["final_level"] == "tot"
    rows = api_client(a.m(Role.PRINCIPAL)).get("/api/teachers/criterion-ratings/?page_size=50").json()["results"]
    assert {r["criterion"] for r in rows if r["evaluation"] == pk} == set(range(1, 16))
    assert CriterionRating.objects.filter(evaluation_id=pk, final_rating="tot").count() == 15


def _decided(side, world, key, level):
    user = side.m(key).user
    staff = StaffRecord.objects.create(school=side.school, user=user, full_name=user.full_name)
    return Evaluation.objects.create(
        school=side.school, school_year=side.year, staff=staff, stage=EvaluationStage.DECIDED, final_level=level
    )


def test_summary_counts_per_level_per_school(a, world):
    _decided(a, world, Role.CLERK, "tot")
    _decided(a, world, Role.SCHOOL_ADMIN, "kha")
    started(a)  # not decided yet
    _decided(world.b, world, Role.TEACHER, "dat")
    url = reverse("teachers:evaluation-summary")

    def rows(membership):
        response = web_client(membership).get(url)
        assert response.status_code == 200
        return response.content.decode()

    page = rows(a.m(Role.PRINCIPAL))
    assert "Trường THCS An Bình" in page and "Trường THCS Bắc Sơn" not in page
    assert (
        "<td>0</td><td>0</td><td>1</td><td>1</td><td>1</td><td>3</td>" in page
    )  # Chưa đạt, Đạt, Khá, Tốt, pending, total
    so_page = rows(world.members["so_admin"])
    assert "Trường THCS An Bình" in so_page and "Trường THCS Bắc Sơn" in so_page
    assert "<td>0</td><td>1</td><td>0</td><td>0</td><td>0</td><td>1</td>" in so_page
    phong_page = rows(world.members["phong1_admin"])
    assert "Trường THCS Bắc Sơn" not in phong_page
    assert web_client(a.m(Role.TEACHER)).get(url).status_code == 403


def test_review_a_principal_never_decides_their_own_evaluation(world):
    """Thông tư 20/2018: the principal's own evaluation is decided by the level above."""
    from django.core.exceptions import PermissionDenied as DjangoPermissionDenied

    from sms.accounts.actors import Actor
    from teachers import services
    from teachers.models import Evaluation, EvaluationStage, Rating, StaffRecord

    principal = world.a.m(Role.PRINCIPAL)
    staff = StaffRecord.objects.create(school=world.a.school, user=principal.user, full_name="Hiệu Trưởng A")
    evaluation = Evaluation.objects.create(
        school=world.a.school, school_year=world.a.year, staff=staff, stage=EvaluationStage.GROUP_COMMENTED
    )
    with pytest.raises(DjangoPermissionDenied):
        services.decide(Actor(principal.user, principal), evaluation, dict.fromkeys(range(1, 16), Rating.GOOD), "")
    evaluation.refresh_from_db()
    assert evaluation.final_level == ""


def test_review_no_self_assessment_at_a_school_where_the_person_has_no_record(world):
    from django.core.exceptions import ValidationError as DjangoValidationError

    from sms.accounts.actors import Actor
    from teachers import services
    from teachers.models import Evaluation, StaffRecord

    teacher = world.a.m(Role.TEACHER)
    StaffRecord.objects.create(school=world.b.school, user=teacher.user, full_name="Giáo Viên Chuyển")
    with pytest.raises(DjangoValidationError):
        services.start_self_assessment(Actor(teacher.user, teacher), world.a.year)
    assert not Evaluation.objects.exists()
