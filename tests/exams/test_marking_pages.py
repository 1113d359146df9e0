"""The marking pages and API: a marker sees codes only (no candidate name, number or key on
anything they can open), the chair and secretariat run the marking, and the marker's batch
form and API save marks (acceptance points 1 and 4)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from exams.models import CandidateScore, Mark, MarkRound, Script, ScriptKey, ScriptStatus
from exams.services import marking
from tests.world import api_client, web_client

from .test_marking import build_marking, enter, ready

D = Decimal


@pytest.fixture
def mk(world):
    return build_marking(world)


def _secrets(mk) -> list[str]:
    """What a marker must never read: the candidates' names and numbers."""
    return [c.full_name for c in mk.candidates] + [c.number for c in mk.candidates]


def _clean(text: str, mk) -> None:
    leaked = [s for s in _secrets(mk) if s in text]
    assert not leaked, f"candidate data leaked: {leaked}"


# --- the marker ---------------------------------------------------------------------------------------------


def test_my_scripts_page_shows_codes_only_and_saves_a_batch(mk):
    ready(mk)
    client = web_client(mk.people["m1"])
    url = reverse("exams:my-scripts")
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    mine = list(mk.marks_of("m1").select_related("script"))
    assert len(mine) == 2 and all(m.script.code in html for m in mine)
    others = Script.objects.exclude(marks__marker=mk.seat("m1"))
    assert not any(f">{s.code}<" in html for s in others)
    _clean(html, mk)
    response = client.post(url, {f"score_{mine[0].pk}": "7,5", f"score_{mine[1].pk}": "8"})
    assert response.status_code == 302
    assert sorted(Mark.objects.filter(pk__in=[m.pk for m in mine]).values_list("score", flat=True)) == [
        D("7.50"),
        D("8.00"),
    ]
    bad = client.post(url, {f"score_{mine[0].pk}": "12"})
    assert bad.status_code == 400
    assert f"Phách {mine[0].script.code}" in bad.content.decode() and "0,25" in bad.content.decode()
    assert Mark.objects.get(pk=mine[0].pk).score == D("7.50")


def test_script_and_mark_pages_show_a_marker_their_own_mark_and_no_candidate(mk):
    script = ready(mk)[0]
    first = Mark.objects.get(script=script, round=MarkRound.FIRST)
    enter(mk, script, MarkRound.FIRST, "6")
    enter(mk, script, MarkRound.FIRST, "6.5")
    enter(mk, script, MarkRound.SECOND, "4")
    who = next(k for k, s in mk.seats.items() if s.pk == first.marker_id)
    client = web_client(mk.people[who])
    page = client.get(script.get_absolute_url()).content.decode()
    assert script.code in page and "6,5" in page
    assert "Chấm lần 2" not in page  # the other round's mark stays hidden
    assert ScriptStatus.DISPUTED.label not in page
    _clean(page, mk)
    history = client.get(first.get_absolute_url())
    assert history.status_code == 200
    text = history.content.decode()
    assert "6,00 → 6,50" in text and mk.people[who].user.full_name in text
    _clean(text, mk)
    second = Mark.objects.get(script=script, round=MarkRound.SECOND)
    assert client.get(second.get_absolute_url()).status_code == 404


def test_marker_api_answers_codes_only(mk):
    ready(mk)
    client = api_client(mk.people["m2"])
    marks = client.get("/api/exams/marks/?mine=1").json()["results"]
    assert {m["id"] for m in marks} == set(mk.marks_of("m2").values_list("pk", flat=True))
    scripts = client.get("/api/exams/scripts/").json()["results"]
    assert scripts and all(s["status"] is None and s["final_score"] is None for s in scripts)
    body = str(marks) + str(scripts)
    _clean(body, mk)
    for who in ("m2", "chair"):
        response = api_client(mk.people[who]).get("/api/exams/scripts/")
        assert "candidate" not in response.content.decode()
    entry = [{"id": m["id"], "score": "6.75"} for m in marks]
    saved = client.post("/api/exams/marks/enter/", {"marks": entry}, format="json")
    assert saved.status_code == 200 and saved.json()["saved"] == 2
    refused = client.post("/api/exams/marks/enter/", {"marks": [{"id": marks[0]["id"], "score": "6.3"}]}, format="json")
    assert refused.status_code == 400
    assert str(marks[0]["id"]) in refused.json()["errors"]
    foreign = mk.marks_of("m1").first()
    not_mine = client.post("/api/exams/marks/enter/", {"marks": [{"id": foreign.pk, "score": "5"}]}, format="json")
    assert not_mine.status_code == 400
    assert Mark.objects.get(pk=foreign.pk).score is None


def test_the_chair_reads_every_mark_but_no_key(mk):
    ready(mk)
    client = api_client(mk.people["chair"])
    assert client.get("/api/exams/marks/").json()["count"] == Mark.objects.count()
    scripts = client.get(f"/api/exams/scripts/?exam={mk.exam.pk}").json()["results"]
    assert {s["status"] for s in scripts} == {ScriptStatus.MARKING}
    assert (
        web_client(mk.people["chair"]).get(reverse("exams:examsubject-keys", kwargs={"pk": mk.essay.pk})).status_code
        == 403
    )


def test_so_staff_off_the_board_read_no_marks_before_publication(mk):
    scripts = ready(mk)
    for s in scripts:
        enter(mk, s, MarkRound.FIRST, "5")
        enter(mk, s, MarkRound.SECOND, "5")
    marking.match(mk.actor("secretariat"), mk.essay)
    client = api_client(mk.people["so_staff"])
    assert client.get("/api/exams/marks/").json()["count"] == 0
    assert client.get("/api/exams/scripts/").json()["count"] == 0
    assert client.get(reverse("api:exams-exam-marking-summary", kwargs={"pk": mk.exam.pk})).status_code == 403
    page = web_client(mk.people["so_staff"]).get(reverse("exams:exam-marking", kwargs={"pk": mk.exam.pk}))
    assert page.status_code == 403


# --- the chair and the secretariat -----------------------------------------------------------------------------


def test_the_secretariat_runs_the_marking_from_the_dashboard(mk):
    client = web_client(mk.people["secretariat"])
    dashboard = reverse("exams:exam-marking", kwargs={"pk": mk.exam.pk})
    assert client.get(dashboard).status_code == 200
    absent = mk.candidates[0]
    response = client.post(
        reverse("exams:examsubject-make-scripts", kwargs={"pk": mk.essay.pk}), {"absent": absent.number}
    )
    assert response.status_code == 302
    assert Script.objects.filter(exam_subject=mk.essay).count() == 4
    assert mk.script_of(absent).status == ScriptStatus.ABSENT
    assign = reverse("exams:examsubject-assign-markers", kwargs={"pk": mk.essay.pk})
    assert client.get(assign).status_code == 200
    response = client.post(
        assign,
        {"markers_round1": [mk.seat("m1").pk, mk.seat("m2").pk], "markers_round2": [mk.seat("m3").pk]},
    )
    assert response.status_code == 302
    assert Mark.objects.filter(round=MarkRound.SECOND, marker=mk.seat("m3")).count() == 3
    match = reverse("exams:examsubject-match", kwargs={"pk": mk.essay.pk})
    client.post(match)
    assert not CandidateScore.objects.exists()
    for s in Script.objects.filter(status=ScriptStatus.MARKING):
        enter(mk, s, MarkRound.FIRST, "5")
        enter(mk, s, MarkRound.SECOND, "5.5")
    client.post(match)
    assert CandidateScore.objects.filter(exam_subject=mk.essay).count() == 4
    keys = client.get(reverse("exams:examsubject-keys", kwargs={"pk": mk.essay.pk})).content.decode()
    assert absent.full_name in keys and mk.script_of(absent).code in keys
    page = client.get(dashboard).content.decode()
    assert "Đã ghép" in page


@pytest.mark.parametrize("who", ["m1", "so_admin"])
def test_the_dashboard_is_the_chair_and_secretariat_s(mk, who):
    ready(mk)
    response = web_client(mk.people[who]).get(reverse("exams:exam-marking", kwargs={"pk": mk.exam.pk}))
    assert response.status_code == 403
    post = web_client(mk.people[who]).post(reverse("exams:examsubject-make-scripts", kwargs={"pk": mk.essay.pk}))
    assert post.status_code in (403, 404)


def test_a_disputed_script_is_resolved_on_its_page(mk):
    script = ready(mk)[0]
    enter(mk, script, MarkRound.FIRST, "2")
    enter(mk, script, MarkRound.SECOND, "9")
    chair = web_client(mk.people["chair"])
    dashboard = chair.get(reverse("exams:exam-marking", kwargs={"pk": mk.exam.pk})).content.decode()
    assert script.get_absolute_url() in dashboard
    page = chair.get(script.get_absolute_url()).content.decode()
    assert "Phân công chấm lần 3" in page and "Điểm thống nhất" in page
    _clean(page, mk)
    response = chair.post(script.get_absolute_url(), {"action": "joint", "score": "6,25"})
    assert response.status_code == 302
    script.refresh_from_db()
    assert (script.status, script.final_score) == (ScriptStatus.FINAL, D("6.25"))


def test_the_api_runs_the_same_steps(mk):
    secretariat = api_client(mk.people["secretariat"])
    made = secretariat.post(
        reverse("api:exams-subject-make-scripts", kwargs={"pk": mk.essay.pk}), {"absent_candidates": []}, format="json"
    )
    assert made.status_code == 200 and made.json()["created"] == 4
    assigned = secretariat.post(
        reverse("api:exams-subject-assign-markers", kwargs={"pk": mk.essay.pk}),
        {"markers_round1": [mk.seat("m1").pk], "markers_round2": [mk.seat("m1").pk]},
        format="json",
    )
    assert assigned.status_code == 400 and "markers_round2" in assigned.json()["errors"]
    assigned = secretariat.post(
        reverse("api:exams-subject-assign-markers", kwargs={"pk": mk.essay.pk}),
        {"markers_round1": [mk.seat("m1").pk], "markers_round2": [mk.seat("m2").pk]},
        format="json",
    )
    assert assigned.json() == {"round1": 4, "round2": 4}
    refused = secretariat.post(reverse("api:exams-subject-match", kwargs={"pk": mk.essay.pk}), {}, format="json")
    assert refused.status_code == 400
    marker = api_client(mk.people["m1"])
    denied = marker.post(reverse("api:exams-subject-match", kwargs={"pk": mk.essay.pk}), {}, format="json")
    assert denied.status_code == 403
    summary = secretariat.get(reverse("api:exams-exam-marking-summary", kwargs={"pk": mk.exam.pk})).json()
    assert summary[0]["total"] == 4 and summary[0]["given_1"] == 4
    assert ScriptKey.objects.count() == 4
