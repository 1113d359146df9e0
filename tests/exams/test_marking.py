"""Marking (acceptance point 4): anonymous codes, two independent marks, a third mark or a joint
decision over the threshold, matching back only when final, history, the publication lock —
through the services (exams.services.marking) and the door.

The Sở runs the exam. Board: a Sở staff member chairs; school A's principal is the secretariat;
four teachers (two of A, two of B) mark. Candidates come from schools A and B.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from exams.models import (
    BoardMember,
    BoardRole,
    Candidate,
    CandidateScore,
    Exam,
    ExamKind,
    ExamSubject,
    Mark,
    MarkRound,
    Script,
    ScriptKey,
    ScriptStatus,
)
from exams.services import marking
from sms.accounts.actors import Actor
from sms.accounts.roles import Role
from sms.accounts.scoping import visible_to
from tests.world import World, grant, make_user

D = Decimal


def actor(membership) -> Actor:
    return Actor(membership.user, membership)


@dataclass
class Marking:
    world: World
    exam: Exam
    essay: ExamSubject  # double-marked
    quiz: ExamSubject  # marked once
    people: dict  # name -> membership
    seats: dict  # name -> BoardMember
    candidates: list[Candidate] = field(default_factory=list)

    def actor(self, who: str) -> Actor:
        return actor(self.people[who])

    def seat(self, who: str) -> BoardMember:
        return self.seats[who]

    def marks_of(self, who: str, subject=None, round_=None):
        qs = Mark.objects.filter(marker=self.seats[who])
        if subject is not None:
            qs = qs.filter(script__exam_subject=subject)
        if round_ is not None:
            qs = qs.filter(round=round_)
        return qs

    def script_of(self, candidate, subject=None) -> Script:
        return ScriptKey.objects.get(candidate=candidate, script__exam_subject=subject or self.essay).script

    def publish(self, hours_ago: float = 1) -> None:
        self.exam.results_publish_at = timezone.now() - dt.timedelta(hours=hours_ago)
        self.exam.save()


def build_marking(world: World, *, candidates: int = 4, threshold: str = "1.00") -> Marking:
    exam = Exam.objects.create(
        unit=world.so,
        kind=ExamKind.ADMISSION_10,
        name="Tuyển sinh lớp 10",
        start_year=2026,
        mark_threshold=D(threshold),
    )
    essay = ExamSubject.objects.create(exam=exam, code="van", name="Ngữ văn", duration_minutes=120, order=1)
    quiz = ExamSubject.objects.create(
        exam=exam, code="anh", name="Tiếng Anh", duration_minutes=60, order=2, double_marked=False
    )
    chair = grant(make_user("chair.h5", "Phạm Chủ Tịch"), world.so, Role.SO_STAFF)
    people = {
        "chair": chair,
        "secretariat": world.a.m(Role.PRINCIPAL),
        "m1": world.a.m(Role.TEACHER),
        "m2": world.b.m(Role.TEACHER),
        "m3": world.a.members["teacher2"],
        "m4": world.b.members["teacher2"],
        "so_staff": world.members["so_staff"],
        "so_admin": world.members["so_admin"],
    }
    homes = {"chair": world.so, "secretariat": world.a.school, "m1": world.a.school, "m2": world.b.school}
    homes |= {"m3": world.a.school, "m4": world.b.school}
    roles = {"chair": BoardRole.CHAIR, "secretariat": BoardRole.SECRETARIAT}
    seats = {
        who: BoardMember.objects.create(
            exam=exam,
            user=people[who].user,
            role=roles.get(who, BoardRole.MARKER),
            home_unit=homes[who],
            full_name=people[who].user.full_name,
        )
        for who in homes
    }
    m = Marking(world=world, exam=exam, essay=essay, quiz=quiz, people=people, seats=seats)
    for i in range(candidates):
        side = world.a if i % 2 == 0 else world.b
        m.candidates.append(
            Candidate.objects.create(
                exam=exam,
                school=side.school,
                number=f"01{i + 1:04d}",
                full_name=f"Thí Sinh Bí Mật {i + 1}",
                birth_date=dt.date(2011, 1, 1) + dt.timedelta(days=i),
                sex="F" if i % 2 else "M",
            )
        )
    return m


def ready(m: Marking, subject=None, *, absent=()) -> list[Script]:
    """Scripts made and given: round 1 to m1/m2, round 2 to m3/m4."""
    subject = subject or m.essay
    secretariat = m.actor("secretariat")
    marking.make_scripts(secretariat, subject, absent_candidate_ids=[c.pk for c in absent], rng=random.Random(7))
    marking.assign_markers(secretariat, subject, [m.seat("m1"), m.seat("m2")], [m.seat("m3"), m.seat("m4")])
    return list(Script.objects.filter(exam_subject=subject).order_by("code"))


def enter(m: Marking, script: Script, round_: str, score) -> dict:
    """The assigned marker of ``round_`` enters ``score`` on ``script``."""
    mark = Mark.objects.select_related("marker").get(script=script, round=round_)
    who = next(k for k, s in m.seats.items() if s.pk == mark.marker_id)
    return marking.enter_marks(m.actor(who), {mark.pk: score})


@pytest.fixture
def mk(world) -> Marking:
    return build_marking(world)


# --- anonymous codes ----------------------------------------------------------------------------------------


def test_make_scripts_gives_each_numbered_candidate_a_secret_code(mk):
    withdrawn = Candidate.objects.create(
        exam=mk.exam, number="019999", full_name="Đã Rút", birth_date=dt.date(2011, 1, 1), sex="M", withdrawn=True
    )
    unnumbered = Candidate.objects.create(exam=mk.exam, full_name="Chưa Số", birth_date=dt.date(2011, 1, 1), sex="M")
    absent = mk.candidates[3]
    done = marking.make_scripts(mk.actor("secretariat"), mk.essay, absent_candidate_ids=[absent.pk])
    assert done == {"created": 4, "absent": 1, "total": 4}
    scripts = Script.objects.filter(exam_subject=mk.essay)
    codes = [s.code for s in scripts]
    assert len(set(codes)) == 4 and all(len(c) == 6 and c.isdigit() for c in codes)
    keyed = set(ScriptKey.objects.filter(script__in=scripts).values_list("candidate_id", flat=True))
    assert keyed == {c.pk for c in mk.candidates}
    assert withdrawn.pk not in keyed and unnumbered.pk not in keyed
    assert mk.script_of(absent).status == ScriptStatus.ABSENT
    assert Script.history.filter(history_type="+").count() == 4
    assert {h.history_user_id for h in Script.history.all()} == {mk.people["secretariat"].user.pk}


def test_make_scripts_again_adds_only_new_candidates(mk):
    marking.make_scripts(mk.actor("secretariat"), mk.essay)
    before = dict(ScriptKey.objects.values_list("candidate_id", "script__code"))
    late = Candidate.objects.create(
        exam=mk.exam, number="015000", full_name="Đến Muộn", birth_date=dt.date(2011, 2, 2), sex="F"
    )
    assert marking.make_scripts(mk.actor("secretariat"), mk.essay)["created"] == 1
    after = dict(ScriptKey.objects.values_list("candidate_id", "script__code"))
    assert {k: v for k, v in after.items() if k != late.pk} == before
    assert marking.make_scripts(mk.actor("secretariat"), mk.essay)["created"] == 0


@pytest.mark.parametrize("who", ["chair", "m1", "so_admin"])
def test_only_the_secretariat_makes_scripts(mk, who):
    with pytest.raises(PermissionDenied):
        marking.make_scripts(mk.actor(who), mk.essay)
    assert not Script.objects.exists()


# --- markers --------------------------------------------------------------------------------------------------


def test_markers_get_scripts_evenly_and_never_both_rounds_of_one_script(world):
    m = build_marking(world, candidates=9)
    secretariat = m.actor("secretariat")
    marking.make_scripts(secretariat, m.essay)
    three = [m.seat("m1"), m.seat("m2"), m.seat("m3")]
    done = marking.assign_markers(secretariat, m.essay, three, three)
    assert done == {"round1": 9, "round2": 9}
    for round_ in (MarkRound.FIRST, MarkRound.SECOND):
        per = [Mark.objects.filter(round=round_, marker=s).count() for s in three]
        assert sorted(per) == [3, 3, 3]
    for script in Script.objects.all():
        users = {mk.marker.user_id for mk in script.marks.all()}
        assert len(users) == 2
    assert Mark.objects.filter(score__isnull=False).count() == 0
    assert marking.assign_markers(secretariat, m.essay, three, three) == {"round1": 0, "round2": 0}


def test_one_person_cannot_mark_both_rounds(mk):
    marking.make_scripts(mk.actor("secretariat"), mk.essay)
    with pytest.raises(ValidationError, match="ít nhất hai cán bộ chấm khác nhau"):
        marking.assign_markers(mk.actor("secretariat"), mk.essay, [mk.seat("m1")], [mk.seat("m1")])
    with pytest.raises(ValidationError, match="không phải cán bộ chấm thi"):
        marking.assign_markers(mk.actor("secretariat"), mk.essay, [mk.seat("chair")], [mk.seat("m2")])
    assert not Mark.objects.exists()


def test_a_subject_marked_once_has_round_one_only(mk):
    ready(mk, mk.quiz)
    assert set(Mark.objects.values_list("round", flat=True)) == {MarkRound.FIRST}
    script = Script.objects.filter(exam_subject=mk.quiz).first()
    enter(mk, script, MarkRound.FIRST, "8,5")
    script.refresh_from_db()
    assert (script.status, script.final_score) == (ScriptStatus.FINAL, D("8.50"))


# --- the threshold ----------------------------------------------------------------------------------------------

# threshold 1.0: (first, second, third, joint) -> (status, final score)
THRESHOLD = [
    ("within", "6", "6.5", None, None, ScriptStatus.FINAL, D("6.25")),
    ("within, rounded to the step", "6", "6.25", None, None, ScriptStatus.FINAL, D("6.25")),
    ("equal to the threshold", "6", "7", None, None, ScriptStatus.FINAL, D("6.50")),
    ("over", "6", "7.25", None, None, ScriptStatus.DISPUTED, None),
    ("over, then a third mark", "4", "7", "6.5", None, ScriptStatus.FINAL, D("6.75")),
    ("over, then a joint decision", "4", "7", None, "5.5", ScriptStatus.FINAL, D("5.50")),
    ("one mark missing", "6", None, None, None, ScriptStatus.MARKING, None),
]


@pytest.mark.parametrize(("case", "first", "second", "third", "joint", "status", "final"), THRESHOLD)
def test_threshold_table(mk, case, first, second, third, joint, status, final):
    script = ready(mk)[0]
    enter(mk, script, MarkRound.FIRST, first)
    if second is not None:
        enter(mk, script, MarkRound.SECOND, second)
    if third is not None:
        earlier = set(script.marks.values_list("marker__user_id", flat=True))
        marker = next(w for w in ("m1", "m2", "m3", "m4") if mk.seat(w).user_id not in earlier)
        marking.assign_third(mk.actor("chair"), script, mk.seat(marker))
        enter(mk, script, MarkRound.THIRD, third)
    if joint is not None:
        marking.record_joint(mk.actor("chair"), script, joint)
        assert Mark.objects.get(script=script, round=MarkRound.JOINT).marker == mk.seat("chair")
    script.refresh_from_db()
    assert (script.status, script.final_score) == (status, final), case


def test_the_third_marker_must_be_new_to_the_script(mk):
    script = ready(mk)[0]
    enter(mk, script, MarkRound.FIRST, "3")
    enter(mk, script, MarkRound.SECOND, "8")
    round1 = Mark.objects.get(script=script, round=MarkRound.FIRST).marker
    with pytest.raises(ValidationError, match="phải khác hai cán bộ đã chấm"):
        marking.assign_third(mk.actor("secretariat"), script, round1)
    with pytest.raises(PermissionDenied):
        marking.assign_third(mk.actor("m1"), script, mk.seat("m4"))
    with pytest.raises(PermissionDenied, match="chủ tịch"):
        marking.record_joint(mk.actor("secretariat"), script, "5")


def test_a_change_after_final_reconciles_again_with_history(mk):
    script = ready(mk)[0]
    enter(mk, script, MarkRound.FIRST, "6")
    enter(mk, script, MarkRound.SECOND, "6.5")
    script.refresh_from_db()
    assert script.status == ScriptStatus.FINAL
    enter(mk, script, MarkRound.FIRST, "9")
    script.refresh_from_db()
    assert (script.status, script.final_score) == (ScriptStatus.DISPUTED, None)
    first = Mark.objects.get(script=script, round=MarkRound.FIRST)
    assert [h.score for h in first.history.order_by("history_date", "history_id")] == [None, D("6.00"), D("9.00")]
    assert [h.status for h in script.history.order_by("history_date", "history_id")] == [
        ScriptStatus.MARKING,
        ScriptStatus.FINAL,
        ScriptStatus.DISPUTED,
    ]


# --- entering marks ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["10.5", "-1", "6.3", "sáu", "6,1"])
def test_a_mark_is_zero_to_max_in_quarter_steps(mk, bad):
    script = ready(mk)[0]
    mark = Mark.objects.get(script=script, round=MarkRound.FIRST)
    who = next(k for k, s in mk.seats.items() if s.pk == mark.marker_id)
    with pytest.raises(ValidationError) as caught:
        marking.enter_marks(mk.actor(who), {mark.pk: bad})
    text = " ".join(caught.value.messages)
    assert f"Phách {script.code}" in text
    assert "0,25" in text or "không phải là điểm" in text
    mark.refresh_from_db()
    assert mark.score is None


def test_a_marker_enters_only_their_own_marks(mk):
    script = ready(mk)[0]
    theirs = Mark.objects.get(script=script, round=MarkRound.FIRST)
    stranger = next(w for w in ("m1", "m2", "m3", "m4") if mk.seat(w).pk != theirs.marker_id)
    with pytest.raises(ValidationError, match="không có trong các bài được phân công cho bạn"):
        marking.enter_marks(mk.actor(stranger), {theirs.pk: "7"})
    with pytest.raises(ValidationError):
        marking.enter_marks(mk.actor("chair"), {theirs.pk: "7"})
    theirs.refresh_from_db()
    assert theirs.score is None


def test_a_batch_is_saved_whole_or_not_at_all(mk):
    ready(mk)
    mine = list(mk.marks_of("m1"))
    assert len(mine) == 2
    with pytest.raises(ValidationError) as caught:
        marking.enter_marks(mk.actor("m1"), {mine[0].pk: "7", mine[1].pk: "11"})
    assert set(caught.value.message_dict) == {str(mine[1].pk)}
    assert not Mark.objects.filter(score__isnull=False).exists()
    assert marking.enter_marks(mk.actor("m1"), {mine[0].pk: "7", mine[1].pk: "7.75"})["saved"] == 2
    assert marking.enter_marks(mk.actor("m1"), {mine[0].pk: "7", mine[1].pk: ""}) == {
        "saved": 0,
        "unchanged": 1,
        "scripts": {},
        "ids": sorted(m.pk for m in mine),
    }


def test_saving_a_batch_takes_the_same_queries_for_few_or_many(world, django_assert_max_num_queries):
    m = build_marking(world, candidates=16)
    secretariat = m.actor("secretariat")
    marking.make_scripts(secretariat, m.essay)
    marking.assign_markers(secretariat, m.essay, [m.seat("m1")], [m.seat("m2")])
    first = list(m.marks_of("m1"))
    second = list(m.marks_of("m2"))
    with CaptureQueriesContext(connection) as few:
        marking.enter_marks(m.actor("m1"), {k.pk: "6" for k in first[:2]})
    with CaptureQueriesContext(connection) as many:
        marking.enter_marks(m.actor("m1"), {k.pk: "6.5" for k in first[2:]})
    assert len(few) == len(many)
    with django_assert_max_num_queries(12):
        marking.enter_marks(m.actor("m2"), {k.pk: "7" for k in second})
    assert Script.objects.filter(status=ScriptStatus.FINAL).count() == 16


# --- matching back and the locks ----------------------------------------------------------------------


def test_match_is_refused_while_a_script_is_disputed_or_unmarked(mk):
    scripts = ready(mk, absent=[mk.candidates[3]])
    marked = [s for s in scripts if s.status != ScriptStatus.ABSENT]
    with pytest.raises(ValidationError, match="3 bài chưa đủ điểm chấm"):
        marking.match(mk.actor("secretariat"), mk.essay)
    for script in marked:
        enter(mk, script, MarkRound.FIRST, "5")
        enter(mk, script, MarkRound.SECOND, "5.5")
    enter(mk, marked[0], MarkRound.SECOND, "9")
    with pytest.raises(ValidationError, match="1 bài lệch điểm"):
        marking.match(mk.actor("secretariat"), mk.essay)
    assert not CandidateScore.objects.exists()
    marking.record_joint(mk.actor("chair"), marked[0], "7")
    with pytest.raises(PermissionDenied):
        marking.match(mk.actor("chair"), mk.essay)
    assert marking.match(mk.actor("secretariat"), mk.essay) == {"created": 4, "total": 4}
    scores = {s.candidate_id: (s.score, s.absent) for s in CandidateScore.objects.all()}
    assert scores[mk.candidates[3].pk] == (None, True)
    assert scores[ScriptKey.objects.get(script=marked[0]).candidate_id] == (D("7.00"), False)
    assert marking.match(mk.actor("secretariat"), mk.essay) == {"created": 0, "total": 4}
    assert CandidateScore.history.count() == 4


def test_marks_are_frozen_after_matching(mk):
    scripts = ready(mk)
    for script in scripts:
        enter(mk, script, MarkRound.FIRST, "5")
        enter(mk, script, MarkRound.SECOND, "5")
    marking.match(mk.actor("secretariat"), mk.essay)
    with pytest.raises(ValidationError, match="đã ghép phách"):
        enter(mk, scripts[0], MarkRound.FIRST, "6")
    with pytest.raises(ValidationError, match="đã ghép phách"):
        marking.make_scripts(mk.actor("secretariat"), mk.essay)
    assert Mark.objects.filter(score=D("6")).count() == 0


def test_marks_are_refused_after_publication(mk):
    script = ready(mk)[0]
    enter(mk, script, MarkRound.FIRST, "5")
    mk.publish()
    with pytest.raises(ValidationError, match="đã công bố"):
        enter(mk, script, MarkRound.SECOND, "5")
    with pytest.raises(ValidationError, match="đã công bố"):
        marking.assign_markers(mk.actor("secretariat"), mk.essay, [mk.seat("m1")], [mk.seat("m2")])
    assert Mark.objects.filter(score__isnull=False).count() == 1


# --- who sees what --------------------------------------------------------------------------------


def test_only_the_secretariat_sees_which_code_is_whose(mk):
    ready(mk)
    assert visible_to(mk.actor("secretariat"), ScriptKey).count() == 4
    for who in ("chair", "m1", "m2", "so_staff", "so_admin"):
        assert visible_to(mk.actor(who), ScriptKey).count() == 0, who


def test_a_marker_sees_only_their_scripts_and_their_own_marks(mk):
    ready(mk)
    marker = mk.actor("m1")
    mine = set(mk.marks_of("m1").values_list("script_id", flat=True))
    assert set(visible_to(marker, Script).values_list("pk", flat=True)) == mine
    assert set(visible_to(marker, Mark).values_list("marker_id", flat=True)) == {mk.seat("m1").pk}


def test_so_staff_not_on_the_board_see_scores_only_after_publication(mk):
    scripts = ready(mk)
    for script in scripts:
        enter(mk, script, MarkRound.FIRST, "8")
        enter(mk, script, MarkRound.SECOND, "8")
    marking.match(mk.actor("secretariat"), mk.essay)
    staff = mk.actor("so_staff")
    assert visible_to(staff, Mark).count() == 0
    assert visible_to(staff, Script).count() == 0
    assert visible_to(staff, CandidateScore).count() == 0
    assert visible_to(mk.actor("chair"), CandidateScore).count() == 4
    mk.publish()
    assert visible_to(staff, CandidateScore).count() == 4
    assert visible_to(staff, Mark).count() == 0
