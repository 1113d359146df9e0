"""Security regressions of the marking area: a batch of marks never reads back a mark that is
not the marker's own (blank scores included), writes lock the subject and then the script,
ids are ASCII digits only, appeals are filed on any score the actor can see, and a reassigned
third mark shows its new marker only their own entries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from exams.models import Appeal, AppealStatus, CandidateScore, Mark, MarkRound, ScriptStatus
from exams.services import appeals, marking
from sms.accounts.roles import Role
from students.models import Guardian
from tests.makers import students as student_makers
from tests.world import api_client, web_client

from .test_marking import build_marking, enter, ready

D = Decimal
ENTER = "/api/exams/marks/enter/"
NOT_YOURS = "không có trong các bài được phân công cho bạn"


@pytest.fixture
def mk(world):
    return build_marking(world)


def _foreign_scored(mk):
    """A round-1 mark of m1, scored 7.25 (what m2 must never read)."""
    mark = mk.marks_of("m1", round_=MarkRound.FIRST).select_related("script").first()
    marking.enter_marks(mk.actor("m1"), {mark.pk: "7.25"})
    return mark


# --- 1. a batch never echoes another marker's mark ------------------------------------------------------------


@pytest.mark.parametrize("score", ["", None, "5"])
def test_api_batch_naming_another_markers_mark_is_refused_whole(mk, score):
    ready(mk)
    foreign = _foreign_scored(mk)
    own = mk.marks_of("m2").first()
    client = api_client(mk.people["m2"])
    for batch in (
        [{"id": foreign.pk, "score": score}],
        [{"id": own.pk, "score": ""}, {"id": foreign.pk, "score": score}],
    ):
        response = client.post(ENTER, {"marks": batch}, format="json")
        assert response.status_code == 400, response.content
        body = response.content.decode()
        assert foreign.script.code not in body and "7.25" not in body and "7,25" not in body
        assert NOT_YOURS in body
    assert Mark.objects.get(pk=foreign.pk).score == D("7.25")
    assert Mark.objects.get(pk=own.pk).score is None


def test_a_foreign_id_reads_exactly_like_a_missing_one(mk):
    ready(mk)
    foreign = _foreign_scored(mk)
    missing = Mark.objects.order_by("-pk").first().pk + 1000
    client = api_client(mk.people["m2"])
    answers = [
        client.post(ENTER, {"marks": [{"id": pk, "score": ""}]}, format="json").json()["errors"][str(pk)]
        for pk in (foreign.pk, missing)
    ]
    assert [a[0].replace(str(pk), "N") for a, pk in zip(answers, (foreign.pk, missing), strict=True)] == [
        f"Điểm chấm số N: {NOT_YOURS}."
    ] * 2


def test_api_batch_answers_only_the_markers_own_marks(mk):
    ready(mk)
    own = list(mk.marks_of("m2").order_by("pk"))
    client = api_client(mk.people["m2"])
    response = client.post(
        ENTER, {"marks": [{"id": own[0].pk, "score": "6"}, {"id": own[1].pk, "score": ""}]}, format="json"
    )
    assert response.status_code == 200
    data = response.json()
    assert (data["saved"], data["unchanged"]) == (1, 0)
    assert [m["id"] for m in data["marks"]] == [m.pk for m in own]


def test_my_scripts_post_naming_another_markers_mark_saves_nothing(mk):
    ready(mk)
    foreign = _foreign_scored(mk)
    own = mk.marks_of("m2").first()
    client = web_client(mk.people["m2"])
    response = client.post(reverse("exams:my-scripts"), {f"score_{own.pk}": "6", f"score_{foreign.pk}": ""})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Chưa lưu gì" in body and foreign.script.code not in body and "7,25" not in body
    assert Mark.objects.get(pk=own.pk).score is None


# --- 2. locks: the subject, then the script, then the marks ---------------------------------------------------


def _locks(queries) -> list[str]:
    """The tables locked FOR UPDATE, in order."""
    out = []
    for q in queries:
        sql = q["sql"]
        if "FOR UPDATE" in sql:
            table = sql.split(" FROM ", 1)[1].split()[0].strip('"')
            out.append(table)
    return out


def _ordered(locks: list[str]) -> bool:
    wanted = ["exams_examsubject", "exams_script", "exams_mark"]
    positions = [locks.index(t) for t in wanted if t in locks]
    return all(t in locks for t in wanted) and positions == sorted(positions)


pg_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="SELECT … FOR UPDATE is PostgreSQL's")


@pg_only
def test_entering_marks_locks_the_subject_and_the_script_first(mk):
    script = ready(mk)[0]
    mark = Mark.objects.get(script=script, round=MarkRound.FIRST)
    who = next(k for k, s in mk.seats.items() if s.pk == mark.marker_id)
    with CaptureQueriesContext(connection) as entered:
        marking.enter_marks(mk.actor(who), {mark.pk: "6"})
    assert _ordered(_locks(entered)), _locks(entered)
    second = Mark.objects.get(script=script, round=MarkRound.SECOND)
    with CaptureQueriesContext(connection) as recorded:
        marking.record_marks(mk.actor("secretariat"), mk.essay, MarkRound.SECOND, {second.pk: "6.5"})
    assert _ordered(_locks(recorded)), _locks(recorded)
    script.refresh_from_db()
    assert (script.status, script.final_score) == (ScriptStatus.FINAL, D("6.25"))


@pg_only
def test_a_disputed_script_and_an_appeal_decision_lock_the_script(mk):
    scripts = ready(mk)
    script = scripts[0]
    enter(mk, script, MarkRound.FIRST, "2")
    enter(mk, script, MarkRound.SECOND, "9")
    with CaptureQueriesContext(connection) as joint:
        marking.record_joint(mk.actor("chair"), script, "6")
    locks = _locks(joint)
    assert locks[:2] == ["exams_examsubject", "exams_script"], locks
    for other in scripts[1:]:
        enter(mk, other, MarkRound.FIRST, "5")
        enter(mk, other, MarkRound.SECOND, "5")
    marking.match(mk.actor("secretariat"), mk.essay)
    mk.publish()
    score = CandidateScore.objects.filter(exam_subject=mk.essay).first()
    appeal = appeals.file_appeal(mk.actor("secretariat"), score)
    target = mk.script_of(score.candidate)
    earlier = set(target.marks.values_list("marker__user_id", flat=True))
    first, second = [mk.seat(w) for w in ("m1", "m2", "m3", "m4") if mk.seat(w).user_id not in earlier]
    appeals.assign_appeal_markers(mk.actor("secretariat"), appeal, first, second)
    for mark in Mark.objects.filter(script=target, round__startswith="appeal"):
        who = next(k for k, s in mk.seats.items() if s.pk == mark.marker_id)
        with CaptureQueriesContext(connection) as entered:
            marking.enter_marks(mk.actor(who), {mark.pk: "6"})
        assert _ordered(_locks(entered)), _locks(entered)
    with CaptureQueriesContext(connection) as decided:
        appeals.decide_appeal(mk.actor("secretariat"), appeal)
    locks = _locks(decided)
    assert locks[:3] == ["exams_appeal", "exams_examsubject", "exams_script"], locks
    appeal.refresh_from_db()
    assert (appeal.status, appeal.new_score) == (AppealStatus.DECIDED, D("6.00"))


# --- 3. ids are ASCII digits ------------------------------------------------------------------------------------


def test_a_superscript_id_is_never_a_server_error(mk):
    ready(mk)
    own = mk.marks_of("m1").first()
    marker = web_client(mk.people["m1"])
    response = marker.post(reverse("exams:my-scripts"), {"score_²": "5", f"score_{own.pk}": "6"}, follow=True)
    assert response.status_code == 200
    assert "bỏ qua" in response.content.decode()
    assert Mark.objects.get(pk=own.pk).score == D("6.00")
    secretariat = web_client(mk.people["secretariat"])
    assert secretariat.get(reverse("exams:appeal-list") + "?exam=²").status_code == 200
    api = api_client(mk.people["secretariat"])
    for url in ("/api/exams/marks/?exam=²", "/api/exams/scripts/?exam_subject=²", "/api/exams/appeals/?exam=²"):
        assert api.get(url).status_code == 200, url


@pytest.mark.parametrize(
    ("value", "expected"),
    [("12", 12), (7, 7), ("²", None), ("١٢", None), (" 7", None), ("-1", None), ("", None), (True, None)],
)
def test_ids_are_ascii_digits(value, expected):
    assert marking.as_id(value) == expected


# --- 5. a reassigned third mark ------------------------------------------------------------------------------


def test_a_reassigned_third_mark_hides_the_marker_before(mk):
    script = ready(mk)[0]
    enter(mk, script, MarkRound.FIRST, "2")
    enter(mk, script, MarkRound.SECOND, "9")
    earlier = set(script.marks.values_list("marker__user_id", flat=True))
    before, after = [w for w in ("m1", "m2", "m3", "m4") if mk.seat(w).user_id not in earlier]
    for who, name in ((before, "Cán Bộ Trước Đây"), (after, "Cán Bộ Mới Nhận")):
        mk.seat(who).full_name = mk.people[who].user.full_name = name
        mk.seat(who).save()
        mk.people[who].user.save()
    old = marking.assign_third(mk.actor("chair"), script, mk.seat(before))
    new = marking.assign_third(mk.actor("secretariat"), script, mk.seat(after))
    assert new.marker == mk.seat(after)
    page = web_client(mk.people[after]).get(new.get_absolute_url())
    assert page.status_code == 200
    assert mk.people[before].user.full_name not in page.content.decode()
    assert web_client(mk.people[before]).get(new.get_absolute_url()).status_code == 404
    assert web_client(mk.people[before]).get(old.get_absolute_url()).status_code == 404
    board = web_client(mk.people["chair"]).get(new.get_absolute_url()).content.decode()
    assert mk.people[before].user.full_name in board and mk.people[after].user.full_name in board
    assert Mark.history.filter(script_id=script.pk, round=MarkRound.THIRD, marker=mk.seat(before)).exists()
    enter(mk, script, MarkRound.THIRD, "6")
    script.refresh_from_db()
    assert script.status == ScriptStatus.FINAL


# --- 4. appeals through the API --------------------------------------------------------------------------------


@pytest.fixture
def published(mk):
    for script in ready(mk):
        enter(mk, script, MarkRound.FIRST, "5")
        enter(mk, script, MarkRound.SECOND, "5.5")
    marking.match(mk.actor("secretariat"), mk.essay)
    mk.publish()
    return mk


def test_the_api_files_an_appeal_on_a_score_the_actor_can_see(published, world):
    mk = published
    learner = student_makers.student(world.a)
    mine, other = (CandidateScore.objects.get(candidate=c, exam_subject=mk.essay) for c in mk.candidates[:2])
    mine.candidate.student = learner
    mine.candidate.save()
    parent = world.a.m(Role.PARENT)
    Guardian.objects.create(student=learner, relation="father", full_name="Bố Thí Sinh", user=parent.user)
    client = api_client(parent)
    assert client.post("/api/exams/appeals/", {"score": other.pk}, format="json").status_code == 400
    response = client.post("/api/exams/appeals/", {"score": mine.pk, "reason": "Xin phúc khảo"}, format="json")
    assert response.status_code == 201, response.json()
    assert Appeal.objects.get().score == mine
    organiser = api_client(mk.people["so_admin"])
    assert organiser.post("/api/exams/appeals/", {"score": other.pk}, format="json").status_code == 201
    marker = api_client(mk.people["m1"])
    third = CandidateScore.objects.get(candidate=mk.candidates[2], exam_subject=mk.essay)
    assert marker.post("/api/exams/appeals/", {"score": third.pk}, format="json").status_code == 400
    assert Appeal.objects.count() == 2
