"""THCS graduation by review (TT31/2023) through ``exams.services.graduation``, on the ``world``: school A (under
Phòng 1) reviews its grade-9 learners' approved year results; Phòng 1 keeps the register of the THCS issuer.

The helpers here (``grade9_learner``, ``seat_council``, the ``gw`` fixture) serve the page and API tests too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from exams import rules
from exams.models import (
    CouncilRole,
    GraduationCouncilMember,
    GraduationEntry,
    GraduationLevel,
    GraduationRound,
    Issuer,
    RoundStatus,
)
from exams.services import graduation as services
from sms.accounts.actors import Actor
from sms.accounts.roles import Role
from sms.org.models import SchoolClass
from students.models import Enrolment, Period, ResultStatus, Student, TermResult
from students.rules import RuleSet
from tests.world import World

SEVEN = [
    CouncilRole.CHAIR,
    CouncilRole.VICE_CHAIR,
    CouncilRole.SECRETARY,
    CouncilRole.MEMBER,
    CouncilRole.MEMBER,
    CouncilRole.MEMBER,
    CouncilRole.MEMBER,
]

#: school A's grade-9 roster: name -> (outcome, learning, conduct, absences); outcome None: no approved result
ROSTER_A = {
    "Ngô Quang An": ("hoan_thanh", "kha", "tot", 2),
    "Trần Thị Bình": ("hoan_thanh", "tot", "tot", 0),
    "Lê Văn Cường": ("ren_luyen_he", "dat", "chua_dat", 5),
    "Phạm Thị Dung": ("o_lai", "dat", "kha", 50),
    "Hoàng Văn Em": (None, "", "", 0),
}


def actor(membership) -> Actor:
    return Actor(membership.user, membership)


_serial = iter(range(500, 10**6))


def grade9_class(side, name: str = "9A1") -> SchoolClass:
    return SchoolClass.objects.get_or_create(school=side.school, school_year=side.year, grade=9, name=name)[0]


def grade9_learner(side, klass, name: str, outcome=None, learning="", conduct="", absences=0) -> Student:
    """A learner enrolled in ``klass`` with an approved year result (none when ``outcome`` is None)."""
    n = next(_serial)
    student = Student.objects.create(
        school=side.school,
        learner_code=f"{n:010d}",
        personal_id=f"{n:012d}",
        full_name=name,
        birth_date=dt.date(2011, 1, 1) + dt.timedelta(days=n % 300),
        sex="F" if " Thị " in name else "M",
        ethnicity="Kinh",
        birthplace="Ninh Bình",
    )
    enrolment = Enrolment.objects.create(school=side.school, student=student, school_year=side.year, school_class=klass)
    if outcome is not None:
        TermResult.objects.create(
            school=side.school,
            enrolment=enrolment,
            period=Period.YEAR,
            rule_set=RuleSet.TT22,
            learning=learning,
            conduct=conduct,
            absences=absences,
            outcome=outcome,
            status=ResultStatus.APPROVED,
        )
    return student


def set_result(student: Student, *, outcome, learning="dat", conduct="dat", absences=0) -> None:
    enrolment = Enrolment.objects.get(student=student)
    TermResult.objects.update_or_create(
        enrolment=enrolment,
        period=Period.YEAR,
        defaults=dict(
            school=enrolment.school,
            rule_set=RuleSet.TT22,
            learning=learning,
            conduct=conduct,
            absences=absences,
            outcome=outcome,
            status=ResultStatus.APPROVED,
        ),
    )


def seat_council(runner, rnd, roles=SEVEN) -> list[GraduationCouncilMember]:
    return [
        services.add_council_member(runner, rnd, full_name=f"Thành Viên Số {i + 1}", position="Giáo viên", role=role)
        for i, role in enumerate(roles)
    ]


@dataclass
class GradWorld:
    world: World
    issuer: Issuer
    klass: SchoolClass
    learners: dict[str, Student] = field(default_factory=dict)

    @property
    def principal(self) -> Actor:
        return actor(self.world.a.m(Role.PRINCIPAL))

    @property
    def phong1_staff(self) -> Actor:
        return actor(self.world.members["phong1_staff"])

    def who(self, key: str) -> Actor:
        w = self.world
        table = {
            "a_principal": w.a.m(Role.PRINCIPAL),
            "a_school_admin": w.a.m(Role.SCHOOL_ADMIN),
            "a_teacher": w.a.m(Role.TEACHER),
            "b_principal": w.b.m(Role.PRINCIPAL),
            "so_admin": w.members["so_admin"],
            "so_staff": w.members["so_staff"],
            "phong1_admin": w.members["phong1_admin"],
            "phong1_staff": w.members["phong1_staff"],
            "phong2_admin": w.members["phong2_admin"],
        }
        return actor(table[key])

    def entries(self, rnd) -> dict[str, GraduationEntry]:
        return {e.full_name: e for e in GraduationEntry.objects.filter(round=rnd)}


def build_grad_world(world) -> GradWorld:
    """School A's 9A1 with the ``ROSTER_A`` learners and their approved year results; Phòng 1's THCS issuer."""
    issuer = Issuer.objects.create(
        unit=world.phong1,
        name="Trưởng phòng Phòng GD&ĐT Một",
        signer_title="Trưởng phòng",
        signer_name="Lê Văn Trưởng",
        kinds=[rules.THCS_DIPLOMA],
    )
    klass = grade9_class(world.a)
    g = GradWorld(world=world, issuer=issuer, klass=klass)
    for name, (outcome, learning, conduct, absences) in ROSTER_A.items():
        g.learners[name] = grade9_learner(world.a, klass, name, outcome, learning, conduct, absences)
    return g


@pytest.fixture
def gw(world) -> GradWorld:
    return build_grad_world(world)


def proposed_round(gw: GradWorld) -> GraduationRound:
    rnd = services.create_round(gw.principal, level=GraduationLevel.THCS)
    seat_council(gw.principal, rnd)
    services.review(gw.principal, rnd)
    return services.propose(gw.principal, rnd)


def decided_round(gw: GradWorld, number: str = "15/QĐ-PGDĐT") -> GraduationRound:
    rnd = proposed_round(gw)
    return services.decide(gw.phong1_staff, rnd, decision_number=number, decision_date=timezone.localdate())


# --- the workflow end to end -------------------------------------------------------------------------------------


def test_a_thcs_round_from_opening_to_the_decision(gw):
    p = gw.principal
    rnd = services.create_round(p, level=GraduationLevel.THCS)
    assert (rnd.unit, rnd.start_year, rnd.number, rnd.issuer, rnd.status, rnd.exam) == (
        gw.world.a.school,
        gw.world.a.year.start_year,  # the school's current year by default
        1,
        gw.issuer,  # the Phòng's THCS issuer covers the school
        RoundStatus.DRAFT,
        None,
    )
    seat_council(p, rnd)
    counts = services.review(p, rnd)
    assert counts == {
        "entries": 5,
        "recognised": 2,
        "not_recognised": 3,
        "added": 5,
        "updated": 0,
        "removed": 0,
        "warnings": [],
    }

    entries = gw.entries(rnd)
    an = entries["Ngô Quang An"]
    student = gw.learners["Ngô Quang An"]
    assert (an.student, an.school, an.class_name, an.birth_date, an.personal_id, an.birthplace, an.sex) == (
        student,
        gw.world.a.school,
        "9A1",
        student.birth_date,
        student.personal_id,
        "Ninh Bình",
        "M",
    )
    assert (an.outcome, an.learning, an.conduct, an.absences, an.recognised, an.reasons) == (
        "hoan_thanh",
        "kha",
        "tot",
        2,
        True,
        [],
    )
    verdicts = {name: (e.recognised, e.reasons, e.may_retry) for name, e in entries.items()}
    assert verdicts == {
        "Ngô Quang An": (True, [], False),
        "Trần Thị Bình": (True, [], False),
        "Lê Văn Cường": (False, ["pending", "conduct"], True),  # summer training: round 2 may recognise him
        "Phạm Thị Dung": (False, ["absences"], False),
        "Hoàng Văn Em": (False, ["no_result"], True),
    }

    binh = services.exclude_entry(p, entries["Trần Thị Bình"], "Đang bị truy cứu trách nhiệm hình sự")
    assert (binh.recognised, binh.excluded, binh.reasons, binh.note) == (
        False,
        True,
        ["council"],
        "Đang bị truy cứu trách nhiệm hình sự",
    )
    assert binh.history.filter(history_change_reason__startswith="Hội đồng không công nhận").exists()

    rnd = services.propose(p, rnd)
    assert (rnd.status, rnd.proposed_by) == (RoundStatus.PROPOSED, p.user)

    today = timezone.localdate()
    rnd = services.decide(gw.phong1_staff, rnd, decision_number="15/QĐ-PGDĐT", decision_date=today)
    rnd.refresh_from_db()
    assert (rnd.status, rnd.decision_number, rnd.decision_date, rnd.decision_signer, rnd.decided_by) == (
        RoundStatus.DECIDED,
        "15/QĐ-PGDĐT",
        today,
        "Trưởng phòng Lê Văn Trưởng",  # the issuer's signer by default
        gw.phong1_staff.user,
    )
    decision = rnd.history.filter(history_change_reason__startswith="Công nhận tốt nghiệp theo quyết định số 15")
    assert decision.count() == 1 and decision.get().history_user == gw.phong1_staff.user
    assert services.summary(GraduationEntry.objects.filter(round=rnd)) == {
        "total": 5,
        "recognised": 1,
        "not_recognised": 4,
        "excluded": 1,
        "may_retry": 3,  # Cường, Em, and Bình excluded in round 1
    }


def test_reviewing_again_updates_in_place_keeps_the_council_notes_and_drops_who_left(gw):
    p = gw.principal
    rnd = services.create_round(p, level=GraduationLevel.THCS)
    services.review(p, rnd)
    entries = gw.entries(rnd)
    services.exclude_entry(p, entries["Ngô Quang An"], "Thiếu hồ sơ")
    untouched = entries["Phạm Thị Dung"]
    history_before = untouched.history.count()

    # Cường finished summer training; Em's result is approved now, Em must repeat; a new learner; Bình left
    set_result(gw.learners["Lê Văn Cường"], outcome="hoan_thanh", conduct="dat")
    set_result(gw.learners["Hoàng Văn Em"], outcome="o_lai", learning="chua_dat")
    grade9_learner(gw.world.a, gw.klass, "Vũ Thị Giang", "hoan_thanh", "kha", "tot", 0)
    Enrolment.objects.filter(student=gw.learners["Trần Thị Bình"]).update(left_on=dt.date(2026, 12, 1))

    counts = services.review(p, rnd)
    assert (counts["added"], counts["updated"], counts["removed"], counts["entries"]) == (1, 2, 1, 5)
    after = gw.entries(rnd)
    assert "Trần Thị Bình" not in after
    assert (after["Vũ Thị Giang"].recognised, after["Lê Văn Cường"].recognised) == (True, True)
    assert (after["Hoàng Văn Em"].reasons, after["Hoàng Văn Em"].may_retry) == (["learning"], False)
    an = after["Ngô Quang An"]
    assert (an.excluded, an.recognised, an.reasons, an.note) == (True, False, ["council"], "Thiếu hồ sơ")
    assert an.pk == entries["Ngô Quang An"].pk  # updated in place, not replaced
    assert untouched.history.count() == history_before  # nothing changed, nothing written

    # a third review with nothing new writes nothing
    assert services.review(p, rnd)["updated"] == 0


def test_undoing_an_exclusion_gives_back_the_rule_verdict_and_the_rule_refusal_cannot_be_overridden(gw):
    p = gw.principal
    rnd = services.create_round(p, level=GraduationLevel.THCS)
    services.review(p, rnd)
    entries = gw.entries(rnd)
    with pytest.raises(ValidationError, match="không đủ điều kiện công nhận"):
        services.exclude_entry(p, entries["Phạm Thị Dung"], "ghi chú")
    with pytest.raises(ValidationError) as error:
        services.exclude_entry(p, entries["Ngô Quang An"], "   ")
    assert "note" in error.value.message_dict
    with pytest.raises(ValidationError, match="chưa ghi không công nhận"):
        services.include_entry(p, entries["Phạm Thị Dung"])  # the council cannot recognise a refused learner

    an = services.exclude_entry(p, entries["Ngô Quang An"], "Thiếu học bạ")
    an = services.include_entry(p, an)
    assert (an.recognised, an.excluded, an.reasons, an.note, an.may_retry) == (True, False, [], "", False)
    assert an.history.filter(history_change_reason="Hội đồng bỏ ghi không công nhận").exists()


# --- rounds per year --------------------------------------------------------------------------------------------


def test_round_two_reviews_only_who_round_one_did_not_recognise_and_a_third_is_refused(gw):
    p = gw.principal
    first = decided_round(gw)
    recognised_in_first = {e.full_name for e in GraduationEntry.objects.filter(round=first, recognised=True)}
    assert recognised_in_first == {"Ngô Quang An", "Trần Thị Bình"}

    set_result(gw.learners["Lê Văn Cường"], outcome="hoan_thanh")  # passed summer training
    second = services.create_round(p, level=GraduationLevel.THCS)
    assert second.number == 2
    seat_council(p, second)
    services.review(p, second)
    verdicts = {name: (e.recognised, e.reasons, e.may_retry) for name, e in gw.entries(second).items()}
    assert verdicts == {
        "Lê Văn Cường": (True, [], False),
        "Phạm Thị Dung": (False, ["absences"], False),
        "Hoàng Văn Em": (False, ["no_result"], False),  # no later round this year
    }
    services.propose(p, second)
    services.decide(gw.phong1_staff, second, decision_number="20/QĐ", decision_date=timezone.localdate())

    with pytest.raises(ValidationError, match="tối đa 2 đợt"):
        services.create_round(p, level=GraduationLevel.THCS)


def test_round_two_waits_for_the_decision_of_round_one(gw):
    p = gw.principal
    proposed_round(gw)
    with pytest.raises(ValidationError, match="Đợt 1 .* chưa có quyết định công nhận"):
        services.create_round(p, level=GraduationLevel.THCS)


def test_only_a_school_teaching_grade_9_opens_a_thcs_round_and_only_its_leaders(gw):
    with pytest.raises(PermissionDenied):
        services.create_round(gw.who("a_teacher"), level=GraduationLevel.THCS)
    with pytest.raises(PermissionDenied):
        services.create_round(gw.who("phong1_admin"), level=GraduationLevel.THCS)
    with pytest.raises(ValidationError) as error:
        services.create_round(gw.principal, level=GraduationLevel.THCS, start_year="20x5")
    assert "start_year" in error.value.message_dict
    rnd = services.create_round(gw.who("a_school_admin"), level=GraduationLevel.THCS, start_year=2025)
    assert (rnd.start_year, rnd.number) == (2025, 1)


def test_without_a_configured_issuer_the_round_says_so_and_the_offices_above_decide(gw):
    gw.issuer.delete()
    rnd = services.create_round(gw.principal, level=GraduationLevel.THCS)
    assert rnd.issuer is None
    seat_council(gw.principal, rnd)
    services.review(gw.principal, rnd)
    services.propose(gw.principal, rnd)
    rnd = GraduationRound.objects.select_related("unit", "issuer").get(pk=rnd.pk)
    assert not services.may_decide(gw.principal, rnd)  # never the school itself
    assert not services.may_decide(gw.who("phong2_admin"), rnd)  # another Phòng
    assert services.may_decide(gw.who("so_staff"), rnd)
    with pytest.raises(ValidationError) as error:  # no issuer: the signer must be given
        services.decide(gw.phong1_staff, rnd, decision_number="1/QĐ", decision_date=timezone.localdate())
    assert "decision_signer" in error.value.message_dict
    rnd = services.decide(
        gw.phong1_staff,
        rnd,
        decision_number="1/QĐ",
        decision_date=timezone.localdate(),
        decision_signer="Trưởng phòng Lê Văn Trưởng",
    )
    assert rnd.status == RoundStatus.DECIDED


def test_an_issuer_configured_later_is_picked_up_by_the_next_review(gw):
    gw.issuer.is_active = False
    gw.issuer.save()
    rnd = services.create_round(gw.principal, level=GraduationLevel.THCS)
    assert rnd.issuer is None
    gw.issuer.is_active = True
    gw.issuer.save()
    services.review(gw.principal, rnd)
    rnd.refresh_from_db()
    assert rnd.issuer == gw.issuer


# --- the council ----------------------------------------------------------------------------------------------------


def test_council_problems_block_the_proposal_until_the_council_is_complete(gw):
    p = gw.principal
    rnd = services.create_round(p, level=GraduationLevel.THCS)
    members = seat_council(p, rnd, SEVEN[:-1])
    services.review(p, rnd)
    with pytest.raises(ValidationError) as error:
        services.propose(p, rnd)
    assert "Hội đồng xét tốt nghiệp phải có ít nhất 7 thành viên (hiện có 6)." in error.value.messages
    services.add_council_member(p, rnd, full_name="Đỗ Thị Hoa", position="Tổ trưởng", role=CouncilRole.MEMBER)
    services.update_council_member(p, members[2], role=CouncilRole.MEMBER)  # the secretary becomes a member
    with pytest.raises(ValidationError) as error:
        services.propose(p, rnd)
    assert error.value.messages[1:] == ["Hội đồng phải có Thư ký."]
    services.update_council_member(p, members[2], role=CouncilRole.SECRETARY)
    assert services.propose(p, rnd).status == RoundStatus.PROPOSED


def test_council_members_come_from_the_school_and_take_the_account_name(gw):
    p = gw.principal
    rnd = services.create_round(p, level=GraduationLevel.THCS)
    teacher = gw.world.a.m(Role.TEACHER).user
    member = services.add_council_member(p, rnd, role=CouncilRole.SECRETARY, user=teacher)
    assert (member.full_name, member.user, member.order) == (teacher.full_name, teacher, 1)
    with pytest.raises(ValidationError) as error:
        services.add_council_member(p, rnd, role=CouncilRole.MEMBER, user=teacher)
    assert error.value.message_dict["user"] == ["Người này đã có trong hội đồng."]
    with pytest.raises(ValidationError) as error:
        services.add_council_member(p, rnd, role=CouncilRole.MEMBER, user=gw.world.b.m(Role.TEACHER).user)
    assert "user" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.add_council_member(p, rnd, full_name="", role="treasurer")
    assert set(error.value.message_dict) == {"full_name", "role"}
    services.remove_council_member(p, member)
    assert not GraduationCouncilMember.objects.filter(round=rnd).exists()
    assert GraduationCouncilMember.history.filter(id=member.pk, history_type="-").exists()


def test_a_proposal_with_stale_results_is_refused_until_reviewed_again(gw):
    p = gw.principal
    rnd = services.create_round(p, level=GraduationLevel.THCS)
    seat_council(p, rnd)
    with pytest.raises(ValidationError, match="Danh sách xét còn trống"):
        services.propose(p, rnd)
    services.review(p, rnd)
    set_result(gw.learners["Hoàng Văn Em"], outcome="hoan_thanh")
    with pytest.raises(ValidationError, match="hãy bấm “Xét” lại"):
        services.propose(p, rnd)
    services.review(p, rnd)
    assert services.propose(p, rnd).status == RoundStatus.PROPOSED


# --- who decides, and the state machine ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("a_principal", False),  # the school does not decide its own round: the Phòng keeps the register
        ("a_teacher", False),
        ("b_principal", False),
        ("phong2_admin", False),
        ("phong1_admin", True),
        ("phong1_staff", True),
        ("so_staff", True),  # above the keeping unit
    ],
)
def test_who_may_decide_a_round_whose_issuer_is_the_phong(gw, who, allowed):
    rnd = proposed_round(gw)
    rnd = GraduationRound.objects.select_related("unit", "issuer__unit").get(pk=rnd.pk)
    assert services.may_decide(gw.who(who), rnd) is allowed
    if not allowed:
        with pytest.raises(PermissionDenied):
            services.decide(gw.who(who), rnd, decision_number="1", decision_date=timezone.localdate())


def _own_issuer(gw) -> Issuer:
    """An issuer kept at school A itself (a configuration the register module no longer lets a school create)."""
    return Issuer.objects.create(
        unit=gw.world.a.school,
        name="Hiệu trưởng Trường THCS An Bình",
        signer_title="Hiệu trưởng",
        signer_name="Phan Văn Hiệu",
        kinds=[rules.THCS_DIPLOMA],
    )


def test_a_school_never_recognises_its_own_graduates_even_as_an_issuer(gw):
    """An issuer kept at the school itself is deeper than the Phòng's, so ``issuer_for`` picks it: the school could
    then decide its own round. It may not: for THCS the issuer's keeping unit must be strictly above the school."""
    rnd = proposed_round(gw)  # under the Phòng's issuer; then the school's own issuer appears
    own = _own_issuer(gw)
    # stored on a round (as when it was configured at the opening): nobody decides under it, the school least
    stored = GraduationRound.objects.select_related("unit", "issuer__unit").get(pk=rnd.pk)
    stored.issuer = own
    assert not services.may_decide(gw.principal, stored)
    assert not services.may_decide(gw.phong1_staff, stored)
    # looked up again when deciding: ``issuer_for`` now gives the school's own issuer
    with pytest.raises(PermissionDenied):
        services.decide(gw.principal, rnd, decision_number="3/QĐ-THCS", decision_date=timezone.localdate())
    # the Phòng is told why nobody can decide under that issuer
    with pytest.raises(ValidationError, match="giữ sổ gốc tại chính Trường THCS An Bình"):
        services.decide(gw.phong1_staff, rnd, decision_number="3/QĐ", decision_date=timezone.localdate())
    assert services.warnings(rnd) == [services.issuer_problem(rnd, own)]
    rnd.refresh_from_db()
    assert (rnd.status, rnd.issuer) == (RoundStatus.PROPOSED, gw.issuer)

    # the school cannot even propose under it; once it stops issuing, the Phòng's issuer is used again
    services.return_round(gw.phong1_staff, rnd, "Chờ cấu hình lại cơ quan cấp bằng")
    with pytest.raises(ValidationError, match="không tự công nhận tốt nghiệp"):
        services.propose(gw.principal, rnd)
    own.is_active = False
    own.save()
    rnd = services.propose(gw.principal, rnd)
    assert rnd.issuer == gw.issuer
    rnd = services.decide(gw.phong1_staff, rnd, decision_number="3/QĐ", decision_date=timezone.localdate())
    assert (rnd.status, rnd.issuer, rnd.decision_signer) == (
        RoundStatus.DECIDED,
        gw.issuer,
        "Trưởng phòng Lê Văn Trưởng",
    )


def test_the_issuer_is_looked_up_again_when_deciding(gw):
    rnd = proposed_round(gw)
    # the province moves THCS diplomas to the Sở: the Phòng's issuer stops, the Sở's covers the school
    gw.issuer.is_active = False
    gw.issuer.save()
    so_issuer = Issuer.objects.create(
        unit=gw.world.so,
        name="Giám đốc Sở GD&ĐT",
        signer_title="Giám đốc",
        signer_name="Nguyễn Văn Sở",
        kinds=[rules.THCS_DIPLOMA],
    )
    with pytest.raises(PermissionDenied):  # the Phòng kept the stored issuer's register, not the current one's
        services.decide(gw.phong1_staff, rnd, decision_number="7/QĐ", decision_date=timezone.localdate())
    rnd = services.decide(gw.who("so_staff"), rnd, decision_number="7/QĐ", decision_date=timezone.localdate())
    rnd.refresh_from_db()
    assert (rnd.issuer, rnd.decision_signer) == (so_issuer, "Giám đốc Nguyễn Văn Sở")


def test_a_stored_issuer_that_stopped_issuing_without_a_replacement_is_refused(gw):
    rnd = proposed_round(gw)
    gw.issuer.is_active = False
    gw.issuer.save()
    with pytest.raises(ValidationError, match="“Trưởng phòng Phòng GD&ĐT Một” của đợt xét đã ngừng cấp văn bằng"):
        services.decide(gw.phong1_staff, rnd, decision_number="8/QĐ", decision_date=timezone.localdate())
    with pytest.raises(PermissionDenied):  # the school is not told anything it could act on as a decider
        services.decide(gw.principal, rnd, decision_number="8/QĐ", decision_date=timezone.localdate())
    rnd.refresh_from_db()
    assert (rnd.status, rnd.issuer) == (RoundStatus.PROPOSED, gw.issuer)
    services.return_round(gw.phong1_staff, rnd, "Cơ quan cấp bằng thay đổi")
    with pytest.raises(ValidationError, match="đã ngừng cấp văn bằng"):
        services.propose(gw.principal, rnd)


def test_a_proposed_round_is_frozen_until_sent_back_with_a_note(gw):
    p = gw.principal
    rnd = proposed_round(gw)
    an = gw.entries(rnd)["Ngô Quang An"]
    for attempt in (
        lambda: services.review(p, rnd),
        lambda: services.exclude_entry(p, an, "Thiếu hồ sơ"),
        lambda: services.add_council_member(p, rnd, full_name="Người Mới", role=CouncilRole.MEMBER),
    ):
        with pytest.raises(ValidationError, match="đã trình công nhận"):
            attempt()
    with pytest.raises(PermissionDenied):
        services.return_round(p, rnd, "tự trả lại")
    with pytest.raises(ValidationError) as error:
        services.return_round(gw.phong1_staff, rnd, "")
    assert "note" in error.value.message_dict
    rnd = services.return_round(gw.phong1_staff, rnd, "Bổ sung hồ sơ học sinh Ngô Quang An")
    today = timezone.localdate().strftime("%d/%m/%Y")
    assert (rnd.status, rnd.note) == (RoundStatus.DRAFT, f"Trả lại {today}: Bổ sung hồ sơ học sinh Ngô Quang An")
    assert services.exclude_entry(p, an, "Thiếu hồ sơ").excluded


def test_sending_back_undoes_the_proposal_and_keeps_the_notes(gw):
    p = gw.principal
    rnd = services.create_round(p, level=GraduationLevel.THCS, note="Đợt chính thức")
    seat_council(p, rnd)
    services.review(p, rnd)
    services.propose(p, rnd)
    rnd = services.return_round(gw.phong1_staff, rnd, "Thiếu biên bản họp hội đồng")
    rnd.refresh_from_db()
    today = timezone.localdate().strftime("%d/%m/%Y")
    assert (rnd.status, rnd.proposed_at, rnd.proposed_by) == (RoundStatus.DRAFT, None, None)
    assert rnd.note == f"Đợt chính thức\nTrả lại {today}: Thiếu biên bản họp hội đồng"
    services.propose(p, rnd)
    rnd = services.return_round(gw.phong1_staff, rnd, "Sai ngày sinh")
    assert rnd.note.splitlines() == [
        "Đợt chính thức",
        f"Trả lại {today}: Thiếu biên bản họp hội đồng",
        f"Trả lại {today}: Sai ngày sinh",
    ]
    assert rnd.history.filter(history_change_reason="Trả lại: Sai ngày sinh").exists()


def test_a_decided_round_is_frozen(gw):
    p = gw.principal
    rnd = decided_round(gw)
    an = gw.entries(rnd)["Ngô Quang An"]
    member = GraduationCouncilMember.objects.filter(round=rnd).first()
    for attempt in (
        lambda: services.review(p, rnd),
        lambda: services.exclude_entry(p, an, "Thiếu hồ sơ"),
        lambda: services.update_council_member(p, member, full_name="Tên Khác"),
        lambda: services.remove_council_member(p, member),
    ):
        with pytest.raises(ValidationError, match="đã có quyết định công nhận"):
            attempt()
    with pytest.raises(ValidationError, match="đã có quyết định"):
        services.decide(gw.phong1_staff, rnd, decision_number="99", decision_date=timezone.localdate())
    with pytest.raises(ValidationError, match="Chỉ trả lại"):
        services.return_round(gw.phong1_staff, rnd, "muộn")
    rnd.refresh_from_db()
    assert rnd.decision_number == "15/QĐ-PGDĐT"


def test_a_decision_needs_its_number_and_a_date_not_in_the_future(gw):
    rnd = proposed_round(gw)
    with pytest.raises(ValidationError) as error:
        services.decide(
            gw.phong1_staff, rnd, decision_number="", decision_date=timezone.localdate() + dt.timedelta(days=1)
        )
    assert set(error.value.message_dict) == {"decision_number", "decision_date"}
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.PROPOSED  # nothing half-saved


def test_a_decision_is_not_dated_before_the_proposal(gw):
    rnd = proposed_round(gw)
    proposed_on = timezone.localdate(GraduationRound.objects.get(pk=rnd.pk).proposed_at)
    GraduationRound.objects.filter(pk=rnd.pk).update(proposed_at=timezone.now() - dt.timedelta(days=3))
    early = proposed_on - dt.timedelta(days=4)
    with pytest.raises(ValidationError) as error:
        services.decide(gw.phong1_staff, rnd, decision_number="1/QĐ", decision_date=early)
    day = (proposed_on - dt.timedelta(days=3)).strftime("%d/%m/%Y")
    assert error.value.message_dict == {
        "decision_date": [f"Ngày ký quyết định không được trước ngày nhà trường trình công nhận ({day})."]
    }
    rnd = services.decide(
        gw.phong1_staff, rnd, decision_number="1/QĐ", decision_date=proposed_on - dt.timedelta(days=3)
    )
    assert rnd.status == RoundStatus.DECIDED


def test_a_draft_cannot_be_decided_before_it_is_proposed(gw):
    rnd = services.create_round(gw.principal, level=GraduationLevel.THCS)
    seat_council(gw.principal, rnd)
    services.review(gw.principal, rnd)
    with pytest.raises(ValidationError, match="chưa trình"):
        services.decide(gw.phong1_staff, rnd, decision_number="1", decision_date=timezone.localdate())


def test_a_review_drops_draft_entries_that_name_no_learner_of_the_school(gw):
    rnd = services.create_round(gw.principal, level=GraduationLevel.THCS)
    for n in range(2):
        GraduationEntry.objects.create(
            round=rnd, school=gw.world.a.school, full_name=f"Nhập Tay {n}", birth_date=dt.date(2011, 1, 1), sex="M"
        )
    counts = services.review(gw.principal, rnd)
    assert (counts["removed"], counts["entries"]) == (2, 5)
    assert set(gw.entries(rnd)) == set(ROSTER_A)


# --- what the review reads ------------------------------------------------------------------------------------------


def test_final_year_results_keep_the_latest_enrolment_of_a_learner_listed_twice(gw):
    """A learner listed twice for the school's year (two rows the filter matches; ``students_one_class_a_year``
    allows one per SchoolYear row, so here the second row points at another school's year of the same start year,
    as inconsistent imported data would): the later enrolment — its class and its approved result — is the one the
    review reads, whatever the class names' order; the list stays ordered by class, then name."""
    from students.selectors import final_year_results

    moved = gw.learners["Ngô Quang An"]
    first = Enrolment.objects.get(student=moved)
    first.enrolled_on = dt.date(gw.world.a.year.start_year, 9, 5)
    first.save()
    later = Enrolment.objects.create(
        school=gw.world.a.school,
        student=moved,
        school_year=gw.world.b.year,
        school_class=grade9_class(gw.world.a, "9B1"),
        enrolled_on=dt.date(gw.world.a.year.start_year + 1, 2, 1),
    )
    TermResult.objects.create(
        school=gw.world.a.school,
        enrolment=later,
        period=Period.YEAR,
        rule_set=RuleSet.TT22,
        learning="tot",
        conduct="kha",
        absences=1,
        outcome="hoan_thanh",
        status=ResultStatus.APPROVED,
    )
    assert gw.world.b.year.start_year == gw.world.a.year.start_year
    rows = final_year_results(gw.world.a.school, gw.world.a.year.start_year, 9)
    mine = [r for r in rows if r["student"] == moved]
    assert [(r["class_name"], r["enrolment"], r["learning"], r["absences"]) for r in mine] == [("9B1", later, "tot", 1)]
    assert [r["class_name"] for r in rows] == ["9A1"] * 4 + ["9B1"]
    # undated, the second row is not known to be the later one: the dated first row is kept
    later.enrolled_on = None
    later.save()
    rows = final_year_results(gw.world.a.school, gw.world.a.year.start_year, 9)
    assert [r["enrolment"] for r in rows if r["student"] == moved] == [first]
