"""Who reaches which rows of graduation and the diploma registers through the door (ARCHITECTURE.md, "Tenancy";
exams/models/diplomas.py): the keeping unit's staff and the offices above read its registers and its registrars
write them; the holder's school reads its own graduates' diplomas (not the correction dossier); another school sees
nothing; a student and their parent read the learner's own diploma and entry only; a teacher reads but never writes.

Two registers: Phòng 1 keeps the THCS diplomas of its schools (D1 of learner S, D2 of another learner, both of
school A); school A's principal keeps the school's own certificates (D3). D1 has a correction with a dossier file
and a copy; D2 is revoked.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from exams.models import (
    Diploma,
    DiplomaCopy,
    DiplomaCorrection,
    DiplomaRevocation,
    DossierFile,
    GraduationEntry,
    GraduationRound,
    Issuer,
)
from exams.services import register as services
from sms.accounts.roles import Role
from sms.accounts.scoping import visible_to
from sms.audit.models import AuditEvent, EventKind
from sms.files.models import StoredFile
from students.models import Guardian, Student
from tests.world import World, web_client

from .test_register import actor, decided_round, entry, phong_issuer

MODELS = (
    Issuer,
    GraduationRound,
    GraduationEntry,
    Diploma,
    DiplomaCorrection,
    DossierFile,
    DiplomaCopy,
    DiplomaRevocation,
)


def diploma(issuer, serial, **extra) -> Diploma:
    values = dict(
        issuer=issuer,
        kind=issuer.kinds[0],
        year=2026,
        entry_number=int(serial[-3:]),
        serial=serial,
        full_name="Người Được Cấp",
        birth_date=dt.date(2011, 5, 1),
        sex="M",
        graduation_year=2026,
        issued_on=dt.date(2026, 7, 20),
        signer_title="Chủ tịch",
        signer_name="Lê Văn Chủ Tịch",
    )
    values.update(extra)
    return Diploma.objects.create(**values)


@pytest.fixture
def registers(world: World):
    school = world.a.school
    learner = Student.objects.create(
        school=school,
        learner_code="A000000001",
        full_name="Lê Thị Sen",
        birth_date=dt.date(2011, 5, 1),
        sex="F",
        user=world.a.m(Role.STUDENT).user,
    )
    Guardian.objects.create(student=learner, relation="mother", full_name="Lê Thị Mẹ", user=world.a.m(Role.PARENT).user)
    phong = phong_issuer(world)
    own = Issuer.objects.create(
        unit=school, name="Hiệu trưởng", signer_title="Hiệu trưởng", signer_name="Hà Văn Hiệu", kinds=["completion"]
    )
    round_ = decided_round(phong, school)
    mine = entry(round_, school, "Lê Thị Sen", student=learner)
    entry(round_, school, "Bạn Cùng Lớp")
    d1 = diploma(phong, "A 0000001", school=school, student=learner, entry=mine, full_name="Lê Thị Sen")
    d2 = diploma(phong, "A 0000002", school=school)
    diploma(own, "CN 0000003", school=school)
    correction = DiplomaCorrection.objects.create(
        diploma=d1,
        ground="civil_status",
        changes={"full_name": ["Lê Thị Sên", "Lê Thị Sen"]},
        reason="Cải chính",
        decision_number="1/QĐ",
        decision_date=dt.date(2026, 9, 1),
    )
    stored = StoredFile.store(unit=world.phong1, uploaded_by=None, content=b"%PDF-1.4\n%%EOF\n", name="don.pdf")
    DossierFile.objects.create(correction=correction, kind=DossierFile.Kind.REQUEST, file=stored)
    DiplomaCopy.objects.create(
        diploma=d1,
        issuer=phong,
        kind="thcs",
        year=2026,
        number=1,
        requester_name="Lê Thị Sen",
        relation="holder",
        requester_id_number="001211000001",
    )
    DiplomaRevocation.objects.create(
        diploma=d2, reason="fraud", decision_number="9/QĐ", decision_date=dt.date(2026, 10, 1), decision_signer="X"
    )
    return {"d1": d1, "d2": d2, "phong": phong, "own": own}


# who: rows seen of (issuers, rounds, entries, diplomas, corrections, dossier files, copies, revocations)
SEEN = {
    "p1_staff": (2, 1, 2, 3, 1, 1, 1, 1),  # the keeping unit (both registers are in its subtree)
    "p1_admin": (2, 1, 2, 3, 1, 1, 1, 1),
    "so_staff": (2, 1, 2, 3, 1, 1, 1, 1),  # the Sở above
    "so_admin": (2, 1, 2, 3, 1, 1, 1, 1),
    "a_principal": (2, 1, 2, 3, 1, 0, 1, 1),  # the holders' school: no correction dossier of the Phòng's register
    "a_teacher": (2, 1, 2, 3, 1, 0, 1, 1),  # reads as the school does
    "b_principal": (0, 0, 0, 0, 0, 0, 0, 0),  # another school: nothing
    "b_teacher": (0, 0, 0, 0, 0, 0, 0, 0),
    "p2_admin": (0, 0, 0, 0, 0, 0, 0, 0),  # another Phòng: nothing
    "a_student": (0, 0, 1, 1, 1, 0, 1, 0),  # own entry and diploma (and what hangs on it), nothing else
    "a_parent": (0, 0, 1, 1, 1, 0, 1, 0),
    "b_student": (0, 0, 0, 0, 0, 0, 0, 0),
}


@pytest.mark.parametrize("who", sorted(SEEN))
def test_who_reads_what(world, registers, who):
    reader = actor(world, who)
    assert tuple(visible_to(reader, model).count() for model in MODELS) == SEEN[who]


def test_learners_see_their_own_diploma_only(world, registers):
    for who in ("a_student", "a_parent"):
        assert list(visible_to(actor(world, who), Diploma)) == [registers["d1"]]


# who: diplomas each may change (correct, copy, revoke), issuers each may change
WRITES = {
    "p1_staff": (3, 0),  # keeps the Phòng's register and the one of a school beneath; issuers are for admins
    "p1_admin": (3, 2),
    "so_staff": (3, 0),
    "a_principal": (1, 1),  # the school's own register only
    "a_teacher": (0, 0),  # reads but never writes
    "a_clerk": (0, 0),
    "b_principal": (0, 0),
    "a_student": (0, 0),
}


@pytest.mark.parametrize("who", sorted(WRITES))
def test_who_writes_what(world, registers, who):
    writer = actor(world, who)
    assert (visible_to(writer, Diploma, "change").count(), visible_to(writer, Issuer, "change").count()) == WRITES[who]


@pytest.mark.parametrize(
    ("who", "issuer", "keeps"),
    [
        ("p1_staff", "phong", True),
        ("p1_staff", "own", True),
        ("so_admin", "phong", True),
        ("a_principal", "own", True),
        ("a_principal", "phong", False),
        ("a_teacher", "own", False),
        ("b_principal", "phong", False),
        ("p2_admin", "phong", False),
        ("a_student", "phong", False),
    ],
)
def test_who_keeps_a_register(world, registers, who, issuer, keeps):
    from exams.selectors import may_keep_register

    assert may_keep_register(actor(world, who), registers[issuer]) is keeps


def test_a_teacher_of_the_keeping_school_reads_but_cannot_revoke(world, registers):
    d3 = Diploma.objects.get(serial="CN 0000003")
    teacher = actor(world, "a_teacher")
    assert visible_to(teacher, Diploma).filter(pk=d3.pk).exists()
    with pytest.raises(PermissionDenied):
        services.revoke(
            teacher,
            d3,
            reason="fraud",
            decision_number="1/QĐ",
            decision_date=dt.date(2026, 11, 1),
            decision_signer="X",
        )
    d3.refresh_from_db()
    assert not d3.is_revoked


def test_the_dossier_of_a_schools_own_register_is_for_its_keepers_only(world, registers):
    """School A's principal keeps the school's completion register: the principal (and the offices above) open its
    correction dossier; a teacher and a clerk of the same school, who read the school's diplomas, get a 404 — and
    no dossier links on the diploma's page."""
    d3 = Diploma.objects.get(serial="CN 0000003")
    correction = DiplomaCorrection.objects.create(
        diploma=d3,
        ground="civil_status",
        changes={"full_name": ["Người Được Cấp", "Người Được Cấp Mới"]},
        reason="Cải chính",
        decision_number="2/QĐ",
        decision_date=dt.date(2026, 9, 1),
    )
    stored = StoredFile.store(unit=world.a.school, uploaded_by=None, content=b"%PDF-1.4\n%%EOF\n", name="khai-sinh.pdf")
    dossier = DossierFile.objects.create(correction=correction, kind=DossierFile.Kind.CIVIL, file=stored)
    url = reverse("exams:dossierfile-download", kwargs={"pk": dossier.pk})
    for role in (Role.TEACHER, Role.CLERK):
        member = world.a.m(role)
        assert web_client(member).get(d3.get_absolute_url()).status_code == 200  # they read the diploma
        assert url not in web_client(member).get(d3.get_absolute_url()).content.decode()
        assert web_client(member).get(url).status_code == 404
    assert web_client(world.b.m(Role.PRINCIPAL)).get(url).status_code == 404
    for member in (world.a.m(Role.PRINCIPAL), world.members["phong1_staff"]):
        assert url in web_client(member).get(d3.get_absolute_url()).content.decode()
        response = web_client(member).get(url)
        assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    reads = AuditEvent.objects.filter(kind=EventKind.RECORD_READ, object_type="exams.DossierFile")
    assert reads.count() == 2 and set(reads.values_list("unit", flat=True)) == {world.a.school.pk}
