"""Appeals (phúc khảo, acceptance point 4): filed after publication within the window, marked by
markers who did not mark the script, decided by reconciling the appeal marks; the score changes
with history (old and new kept), and the original marks stay frozen."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from exams.models import Appeal, AppealStatus, CandidateScore, Choice, Mark, MarkRound, Quota
from exams.services import admission, appeals, marking
from sms.accounts.roles import Role
from students.models import Guardian
from tests.makers import students as student_makers
from tests.world import api_client, web_client

from .test_marking import build_marking, enter, ready

D = Decimal


@pytest.fixture
def mk(world):
    """Essay marked 5 and 5.5 by m1/m3 or m2/m4, matched, published an hour ago."""
    m = build_marking(world)
    for script in ready(m):
        enter(m, script, MarkRound.FIRST, "5")
        enter(m, script, MarkRound.SECOND, "5.5")
    marking.match(m.actor("secretariat"), m.essay)
    m.publish()
    return m


def score_of(mk, index=0) -> CandidateScore:
    return CandidateScore.objects.get(candidate=mk.candidates[index], exam_subject=mk.essay)


def new_markers(mk, score):
    """Two markers who did not mark the script of ``score``."""
    script = mk.script_of(score.candidate)
    earlier = set(script.marks.values_list("marker__user_id", flat=True))
    return [mk.seat(w) for w in ("m1", "m2", "m3", "m4") if mk.seat(w).user_id not in earlier]


def who_holds(mk, mark) -> str:
    return next(k for k, s in mk.seats.items() if s.pk == mark.marker_id)


def test_an_appeal_changes_the_score_with_history(mk):
    score = score_of(mk)
    assert score.score == D("5.25")
    appeal = appeals.file_appeal(mk.actor("so_admin"), score, "Thí sinh đề nghị chấm lại")
    assert (appeal.status, appeal.old_score) == (AppealStatus.PENDING, D("5.25"))
    first, second = new_markers(mk, score)
    appeals.assign_appeal_markers(mk.actor("secretariat"), appeal, first, second)
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.MARKING
    for mark in Mark.objects.filter(round__in=(MarkRound.APPEAL_1, MarkRound.APPEAL_2)):
        marking.enter_marks(mk.actor(who_holds(mk, mark)), {mark.pk: "7"})
    appeals.decide_appeal(mk.actor("chair"), appeal)
    appeal.refresh_from_db()
    score.refresh_from_db()
    assert (appeal.status, appeal.old_score, appeal.new_score) == (AppealStatus.DECIDED, D("5.25"), D("7.00"))
    assert score.score == D("7.00")
    history = list(score.history.order_by("history_date", "history_id").values_list("score", flat=True))
    assert history == [D("5.25"), D("7.00")]
    assert score.history.latest("history_date").history_change_reason == f"Phúc khảo (đơn số {appeal.pk})"
    with pytest.raises(ValidationError, match="đã có đơn phúc khảo"):
        appeals.file_appeal(mk.actor("so_admin"), score, "Lần nữa")


@pytest.mark.parametrize("round_", [MarkRound.FIRST, MarkRound.SECOND])
def test_appeal_markers_must_not_have_marked_the_script(mk, round_):
    score = score_of(mk)
    appeal = appeals.file_appeal(mk.actor("secretariat"), score)
    earlier = Mark.objects.get(script=mk.script_of(score.candidate), round=round_).marker
    fresh = new_markers(mk, score)[0]
    with pytest.raises(ValidationError) as caught:
        appeals.assign_appeal_markers(mk.actor("secretariat"), appeal, fresh, earlier)
    assert "đã chấm bài này" in " ".join(caught.value.messages)
    with pytest.raises(ValidationError, match="hai người khác nhau"):
        appeals.assign_appeal_markers(mk.actor("secretariat"), appeal, fresh, fresh)
    with pytest.raises(PermissionDenied):
        appeals.assign_appeal_markers(mk.actor("m1"), appeal, *new_markers(mk, score))
    assert not Mark.objects.filter(round__startswith="appeal").exists()


def test_disputed_appeal_marks_need_a_joint_score(mk):
    score = score_of(mk, 1)
    appeal = appeals.file_appeal(mk.actor("so_admin"), score)
    appeals.assign_appeal_markers(mk.actor("secretariat"), appeal, *new_markers(mk, score))
    marks = list(Mark.objects.filter(round__startswith="appeal").order_by("round"))
    with pytest.raises(ValidationError, match="Chưa đủ điểm chấm phúc khảo"):
        appeals.decide_appeal(mk.actor("secretariat"), appeal)
    marking.enter_marks(mk.actor(who_holds(mk, marks[0])), {marks[0].pk: "3"})
    marking.enter_marks(mk.actor(who_holds(mk, marks[1])), {marks[1].pk: "8"})
    with pytest.raises(ValidationError, match="điểm thống nhất"):
        appeals.decide_appeal(mk.actor("secretariat"), appeal)
    appeals.decide_appeal(mk.actor("secretariat"), appeal, joint="6,5")
    score.refresh_from_db()
    assert score.score == D("6.50")
    assert Mark.objects.get(round=MarkRound.APPEAL_JOINT).marker == mk.seat("secretariat")
    with pytest.raises(ValidationError, match="không còn ở bước chấm phúc khảo"):
        marking.enter_marks(mk.actor(who_holds(mk, marks[0])), {marks[0].pk: "4"})


def test_after_publication_only_appeal_rounds_take_marks(mk):
    score = score_of(mk)
    appeal = appeals.file_appeal(mk.actor("so_admin"), score)
    appeals.assign_appeal_markers(mk.actor("secretariat"), appeal, *new_markers(mk, score))
    original = Mark.objects.filter(script=mk.script_of(score.candidate), round=MarkRound.FIRST).get()
    with pytest.raises(ValidationError, match="đã công bố"):
        marking.enter_marks(mk.actor(who_holds(mk, original)), {original.pk: "9"})
    appeal_mark = Mark.objects.filter(round=MarkRound.APPEAL_1).get()
    assert marking.enter_marks(mk.actor(who_holds(mk, appeal_mark)), {appeal_mark.pk: "6"})["saved"] == 1


def test_appeals_are_filed_only_after_publication_within_the_window(world):
    m = build_marking(world)
    for script in ready(m):
        enter(m, script, MarkRound.FIRST, "5")
        enter(m, script, MarkRound.SECOND, "5")
    marking.match(m.actor("secretariat"), m.essay)
    score = score_of(m)
    with pytest.raises(PermissionDenied):  # an organiser does not even see an unpublished score
        appeals.file_appeal(m.actor("so_admin"), score)
    with pytest.raises(ValidationError, match="chưa công bố"):
        appeals.file_appeal(m.actor("secretariat"), score)
    m.publish(hours_ago=24 * appeals.APPEAL_WINDOW.days + 1)
    with pytest.raises(ValidationError, match="hết hạn"):
        appeals.file_appeal(m.actor("secretariat"), score)
    with pytest.raises(PermissionDenied):
        appeals.file_appeal(m.actor("m1"), score)
    assert not Appeal.objects.exists()


def test_a_parent_files_an_appeal_for_their_child(mk, world):
    learner = student_makers.student(world.a)
    candidate = mk.candidates[0]
    candidate.student = learner
    candidate.save()
    parent = world.a.m(Role.PARENT)
    Guardian.objects.create(student=learner, relation="mother", full_name="Mẹ Thí Sinh", user=parent.user)
    score = score_of(mk)
    client = api_client(parent)
    listed = client.get("/api/exams/appeals/").json()["count"]
    assert listed == 0
    response = client.post("/api/exams/appeals/", {"score": score.pk, "reason": "Con tôi xin phúc khảo"}, format="json")
    assert response.status_code == 201, response.json()
    assert client.get("/api/exams/appeals/").json()["count"] == 1
    other = score_of(mk, 1)
    foreign = client.post("/api/exams/appeals/", {"score": other.pk}, format="json")
    assert foreign.status_code == 400
    assert Appeal.objects.count() == 1


def test_the_appeal_pages(mk):
    score = score_of(mk)
    organiser = web_client(mk.people["so_admin"])
    form = reverse("exams:candidatescore-appeal", kwargs={"pk": score.pk})
    assert organiser.get(form).status_code == 200
    response = organiser.post(form, {"reason": "Theo đơn của thí sinh"})
    appeal = Appeal.objects.get()
    assert response.status_code == 302 and response["Location"] == appeal.get_absolute_url()
    listed = organiser.get(reverse("exams:appeal-list") + f"?exam={mk.exam.pk}").content.decode()
    assert appeal.get_absolute_url() in listed
    secretariat = web_client(mk.people["secretariat"])
    page = secretariat.get(appeal.get_absolute_url()).content.decode()
    assert "Phân công chấm phúc khảo" in page and mk.script_of(score.candidate).code in page
    first, second = new_markers(mk, score)
    secretariat.post(appeal.get_absolute_url(), {"action": "assign", "marker_1": first.pk, "marker_2": second.pk})
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.MARKING
    for mark in Mark.objects.filter(round__startswith="appeal"):
        marker = web_client(mk.people[who_holds(mk, mark)])
        mine = marker.get(reverse("exams:my-scripts")).content.decode()
        assert mark.script.code in mine and score.candidate.full_name not in mine
        marker.post(reverse("exams:my-scripts"), {f"score_{mark.pk}": "6"})
    secretariat.post(appeal.get_absolute_url(), {"action": "decide", "joint": ""})
    appeal.refresh_from_db()
    assert (appeal.status, appeal.new_score) == (AppealStatus.DECIDED, D("6.00"))
    page = secretariat.get(appeal.get_absolute_url()).content.decode()
    assert "5,25 → 6,00" in page
    chair_page = web_client(mk.people["chair"]).get(appeal.get_absolute_url()).content.decode()
    assert mk.script_of(score.candidate).code not in chair_page


def test_an_appeal_window_is_ten_days(mk):
    assert dt.timedelta(days=10) == appeals.APPEAL_WINDOW
    assert appeals.appeal_deadline(mk.exam) == mk.exam.results_publish_at + dt.timedelta(days=10)


# --- the appeal changes the published admission result (rules.after_appeal) -----------------------------


def build_admission(world, essay: dict | None = None):
    """Four candidates, published: Ngữ văn 5,25 each (5 and 5,5) unless ``essay`` says otherwise
    (index -> the two marks), Tiếng Anh 5 / 8 / 7 / 6; all choose X then Y; X has 1 place, Y 2;
    NV2 needs +1 over the cut-off. Allocation: c1 13,25 → X (NV1, cut-off 13,25); c2 12,25 and
    c3 11,25 → Y (NV2, cut-off 11,25); c0 10,25 not admitted."""
    from tests.exams.test_admission import thpt

    m = build_marking(world)
    m.exam.choices_allowed, m.exam.choice_margins = 2, ["0", "1"]
    m.exam.save()
    ready(m)
    for i, candidate in enumerate(m.candidates):
        first, second = (essay or {}).get(i, ("5", "5.5"))
        enter(m, m.script_of(candidate), MarkRound.FIRST, first)
        enter(m, m.script_of(candidate), MarkRound.SECOND, second)
    marking.match(m.actor("secretariat"), m.essay)
    x, y = thpt(world, "C3X", "Trường THPT Xuân Hoà"), thpt(world, "C3Y", "Trường THPT Yên Lạc")
    m.quotas = {"X": Quota.objects.create(exam=m.exam, school=x, places=1)}
    m.quotas["Y"] = Quota.objects.create(exam=m.exam, school=y, places=2)
    for candidate, quiz in zip(m.candidates, ("5", "8", "7", "6"), strict=True):
        CandidateScore.objects.create(candidate=candidate, exam_subject=m.quiz, score=D(quiz))
        Choice.objects.create(candidate=candidate, rank=1, school=x)
        Choice.objects.create(candidate=candidate, rank=2, school=y)
    admission.run_allocation(m.actor("chair"), m.exam)
    m.publish()
    return m


def appeal_to(m, index: int, value: str):
    """An appeal of candidate ``index``'s Ngữ văn, both appeal markers giving ``value``."""
    score = score_of(m, index)
    appeal = appeals.file_appeal(m.actor("so_admin"), score, "Theo đơn của thí sinh")
    appeals.assign_appeal_markers(m.actor("secretariat"), appeal, *new_markers(m, score))
    for mark in Mark.objects.filter(script=m.script_of(score.candidate), round__startswith="appeal"):
        marking.enter_marks(m.actor(who_holds(m, mark)), {mark.pk: value})
    return appeals.decide_appeal(m.actor("chair"), appeal)


def placed(candidate) -> tuple:
    candidate.refresh_from_db()
    school = candidate.admitted_to.code if candidate.admitted_to_id else None
    return candidate.admission_status, school, candidate.admitted_choice, candidate.admission_score


def counts(m) -> dict:
    rows = Quota.objects.filter(pk__in=[q.pk for q in m.quotas.values()]).values_list("pk", "admitted", "cut_off")
    found = {pk: (admitted, cut_off) for pk, admitted, cut_off in rows}
    return {k: found[q.pk] for k, q in m.quotas.items()}


PUBLISHED = {"X": (1, D("13.25")), "Y": (2, D("11.25"))}


@pytest.mark.parametrize(
    ("index", "value", "expected", "quotas", "reason"),
    [
        # not admitted, raised to 12,5 ≥ Y's 11,25 + 1: admitted at NV2 over quota
        (0, "7.5", ("admitted", "C3Y", 2, D("12.50")), {"X": 1, "Y": 3}, "trúng tuyển NV2 sau phúc khảo"),
        # not admitted, raised to exactly cut-off + margin (12,25)
        (0, "7.25", ("admitted", "C3Y", 2, D("12.25")), {"X": 1, "Y": 3}, "trúng tuyển NV2 sau phúc khảo"),
        # not admitted, raised but below: the admission score changes, the outcome does not
        (0, "7", ("not_admitted", None, None, D("12.00")), {"X": 1, "Y": 2}, "giữ kết quả"),
        # holding NV2, raised above X's cut-off: moves up to NV1; Y's place is left
        (2, "9", ("admitted", "C3X", 1, D("16.00")), {"X": 2, "Y": 1}, "trúng tuyển NV1 sau phúc khảo"),
        # holding NV2, raised but below X's cut-off (13,25)
        (2, "6", ("admitted", "C3Y", 2, D("13.00")), {"X": 1, "Y": 2}, "giữ kết quả"),
        # holding NV1, lowered: keeps the place
        (1, "2", ("admitted", "C3X", 1, D("10.00")), {"X": 1, "Y": 2}, "giữ kết quả"),
    ],
)
def test_an_appeal_changes_the_published_admission_result(world, index, value, expected, quotas, reason):
    m = build_admission(world)
    assert counts(m) == PUBLISHED
    appeal_to(m, index, value)
    candidate = m.candidates[index]
    assert placed(candidate) == expected
    # the admitted counts follow, the published cut-offs stay
    assert counts(m) == {k: (n, PUBLISHED[k][1]) for k, n in quotas.items()}
    last = candidate.history.order_by("-history_date", "-history_id").first()
    assert last.history_change_reason.startswith("Phúc khảo: ") and reason in last.history_change_reason
    assert last.history_user == m.people["chair"].user
    # nobody else moves
    others = [placed(c)[:3] for i, c in enumerate(m.candidates) if i != index]
    before = [
        ("not_admitted", None, None),
        ("admitted", "C3X", 1),
        ("admitted", "C3Y", 2),
        ("admitted", "C3Y", 2),
    ]
    assert others == [o for i, o in enumerate(before) if i != index]


def test_an_appeal_raising_a_zero_makes_the_candidate_eligible(world):
    m = build_admission(world, essay={0: ("0", "0")})
    candidate = m.candidates[0]
    assert placed(candidate) == ("not_admitted", None, None, None)  # disqualified: bị điểm 0
    appeal_to(m, 0, "7.5")
    assert placed(candidate) == ("admitted", "C3Y", 2, D("12.50"))
    assert counts(m)["Y"] == (3, D("11.25"))


def test_the_outcome_after_appeal_is_shown(world):
    m = build_admission(world)
    appeal = appeal_to(m, 0, "7.5")
    candidate = m.candidates[0]
    organiser = web_client(m.people["so_admin"])
    page = organiser.get(candidate.get_absolute_url()).content.decode()
    assert f"Phúc khảo: trúng tuyển NV2 sau phúc khảo (đơn số {appeal.pk})" in page
    score_page = organiser.get(score_of(m, 0).get_absolute_url()).content.decode()
    assert "Kết quả xét tuyển" in score_page and "Trường THPT Yên Lạc (NV2)" in score_page
    assert "12,5" in score_page
    reasons = admission.explanations(m.actor("so_admin"), m.exam)  # published: the outcome is everybody's
    assert reasons[candidate.pk].startswith("Kết quả sau phúc khảo: trúng tuyển theo NV2 (điểm xét tuyển 12,50)")
