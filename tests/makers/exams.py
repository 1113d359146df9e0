"""Makers for module (e): a fresh row of an exam owned by ``side.school`` for each routed model.

The exam is the school's own gifted-student competition (the simplest owner); its candidate
comes from the same school. Board-only rows (scripts, marks) belong to that exam too.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from django.utils import timezone

from exams.models import (
    Appeal,
    Application,
    ApplicationDocument,
    BoardMember,
    BoardRole,
    Candidate,
    CandidateScore,
    Choice,
    CouncilRole,
    Diploma,
    DiplomaCopy,
    DiplomaCorrection,
    DiplomaKind,
    DiplomaRevocation,
    DossierFile,
    Exam,
    ExamKind,
    ExamSubject,
    GraduationCouncilMember,
    GraduationEntry,
    GraduationLevel,
    GraduationRound,
    Issuer,
    Mark,
    MarkRound,
    PointRule,
    Quota,
    Room,
    Script,
    ScriptKey,
    Site,
)
from sms.accounts.roles import Role
from sms.files.models import StoredFile

from ..world import SchoolSide, make_user

_n = itertools.count(1)


def exam(side: SchoolSide, **extra) -> Exam:
    n = next(_n)
    values = dict(unit=side.school, kind=ExamKind.GIFTED, name=f"Thi học sinh giỏi cấp trường số {n}", start_year=2026)
    values.update(extra)
    return Exam.objects.create(**values)


def subject(side: SchoolSide, *, of: Exam | None = None) -> ExamSubject:
    n = next(_n)
    return ExamSubject.objects.create(
        exam=of or exam(side), code=f"mon{n}", name=f"Môn {n}", duration_minutes=120, order=n
    )


def board_member(side: SchoolSide, *, of: Exam | None = None, role=BoardRole.MARKER, user=None) -> BoardMember:
    user = user or make_user(full_name="Cán Bộ Chấm Thi")
    return BoardMember.objects.create(
        exam=of or exam(side), user=user, role=role, home_unit=side.school, full_name=user.full_name
    )


def point_rule(side: SchoolSide) -> PointRule:
    n = next(_n)
    return PointRule.objects.create(
        exam=exam(side), kind=PointRule.Kind.PRIORITY, code=f"ut{n}", label=f"Nhóm {n}", points=Decimal("1.0")
    )


def quota(side: SchoolSide) -> Quota:
    return Quota.objects.create(exam=exam(side, kind=ExamKind.ADMISSION_10), school=side.school, places=40)


def site(side: SchoolSide, *, of: Exam | None = None) -> Site:
    n = next(_n)
    return Site.objects.create(exam=of or exam(side), code=f"D{n}", name=f"Điểm thi số {n}", host=side.school)


def room(side: SchoolSide) -> Room:
    return Room.objects.create(site=site(side), number=next(_n) % 200 + 1)


def candidate(side: SchoolSide, *, of: Exam | None = None, **extra) -> Candidate:
    n = next(_n)
    values = dict(
        exam=of or exam(side),
        school=side.school,
        full_name=f"Thí Sinh Số {n}",
        birth_date=dt.date(2011, 1, 1) + dt.timedelta(days=n % 300),
        sex="F" if n % 2 else "M",
    )
    values.update(extra)
    return Candidate.objects.create(**values)


def choice(side: SchoolSide) -> Choice:
    return Choice.objects.create(candidate=candidate(side), rank=1, school=side.school)


def application(side: SchoolSide) -> Application:
    n = next(_n)
    now = timezone.now()
    return Application.objects.create(
        exam=exam(
            side,
            kind=ExamKind.INTAKE_6,
            accepts_online=True,
            applications_open_at=now - dt.timedelta(days=1),
            applications_close_at=now + dt.timedelta(days=10),
        ),
        full_name=f"Người Nộp Số {n}",
        birth_date=dt.date(2015, 3, 1),
        sex="M",
        address="Thôn 1",
        guardian_name="Phụ Huynh",
        phone="0912345678",
    )


def application_document(side: SchoolSide) -> ApplicationDocument:
    app = application(side)
    stored = StoredFile.store(
        unit=app.exam.unit, uploaded_by=None, content=b"%PDF-1.4\n%%EOF\n", name="khai-sinh.pdf", purpose="application"
    )
    return ApplicationDocument.objects.create(application=app, kind=ApplicationDocument.Kind.BIRTH, file=stored)


def _board_exam(side: SchoolSide) -> Exam:
    """An exam whose secretariat is the side's teacher: board-only rows have one reader on
    the side, so the list suites' control ("somebody on A's side sees A's row") holds."""
    the_exam = exam(side)
    board_member(side, of=the_exam, role=BoardRole.SECRETARIAT, user=side.m(Role.TEACHER).user)
    return the_exam


def script(side: SchoolSide) -> Script:
    return Script.objects.create(exam_subject=subject(side, of=_board_exam(side)), code=f"{next(_n):05d}")


def script_key(side: SchoolSide) -> ScriptKey:
    s = script(side)
    return ScriptKey.objects.create(script=s, candidate=candidate(side, of=s.exam_subject.exam))


def mark(side: SchoolSide) -> Mark:
    s = script(side)
    return Mark.objects.create(
        script=s, marker=board_member(side, of=s.exam_subject.exam), round=MarkRound.FIRST, score=Decimal("6.5")
    )


def candidate_score(side: SchoolSide) -> CandidateScore:
    the_exam = exam(side, results_publish_at=timezone.now() - dt.timedelta(hours=1))
    return CandidateScore.objects.create(
        candidate=candidate(side, of=the_exam), exam_subject=subject(side, of=the_exam), score=Decimal("7.25")
    )


def appeal(side: SchoolSide) -> Appeal:
    score = candidate_score(side)
    return Appeal.objects.create(score=score, old_score=score.score, reason="Xin phúc khảo")


# --- part 2: graduation and diplomas (the school is the issuer: a principal's completion certificates and, in
# a deployment that says so, its own diplomas) -------------------------------------------------------------------


def issuer(side: SchoolSide, **extra) -> Issuer:
    n = next(_n)
    values = dict(
        unit=side.school,
        name=f"Hiệu trưởng {side.school.name} ({n})",
        signer_title="Hiệu trưởng",
        signer_name="Nguyễn Thị Hiệu Trưởng",
        kinds=[DiplomaKind.COMPLETION],
    )
    values.update(extra)
    return Issuer.objects.create(**values)


def graduation_round(side: SchoolSide, **extra) -> GraduationRound:
    values = dict(unit=side.school, level=GraduationLevel.THCS, start_year=2000 + next(_n) % 900, number=1)
    values.update(extra)
    return GraduationRound.objects.create(**values)


def council_member(side: SchoolSide) -> GraduationCouncilMember:
    return GraduationCouncilMember.objects.create(
        round=graduation_round(side), full_name="Trần Văn Chủ Tịch", position="Hiệu trưởng", role=CouncilRole.CHAIR
    )


def graduation_entry(side: SchoolSide, **extra) -> GraduationEntry:
    n = next(_n)
    values = dict(
        round=graduation_round(side),
        school=side.school,
        full_name=f"Học Sinh Tốt Nghiệp {n}",
        birth_date=dt.date(2011, 2, 1),
        sex="F",
        recognised=True,
    )
    values.update(extra)
    return GraduationEntry.objects.create(**values)


def diploma(side: SchoolSide, **extra) -> Diploma:
    n = next(_n)
    values = dict(
        issuer=issuer(side),
        kind=DiplomaKind.THCS,
        year=2026,
        entry_number=n,
        serial=f"THCS {n:07d}",
        full_name=f"Người Được Cấp {n}",
        birth_date=dt.date(2011, 5, 1),
        sex="M",
        school=side.school,
        graduation_year=2026,
        issued_on=dt.date(2026, 7, 1),
        signer_title="Hiệu trưởng",
        signer_name="Nguyễn Thị Hiệu Trưởng",
    )
    values.update(extra)
    return Diploma.objects.create(**values)


def diploma_correction(side: SchoolSide) -> DiplomaCorrection:
    return DiplomaCorrection.objects.create(
        diploma=diploma(side),
        ground="civil_status",
        changes={"full_name": ["Nguyễn Văn A", "Nguyễn Văn Anh"]},
        reason="Cải chính hộ tịch",
        decision_number="12/QĐ",
        decision_date=dt.date(2026, 9, 1),
    )


def dossier_file(side: SchoolSide) -> DossierFile:
    correction = diploma_correction(side)
    stored = StoredFile.store(
        unit=side.school, uploaded_by=None, content=b"%PDF-1.4\n%%EOF\n", name="don-de-nghi.pdf", purpose="diploma"
    )
    return DossierFile.objects.create(correction=correction, kind=DossierFile.Kind.REQUEST, file=stored)


def diploma_copy(side: SchoolSide) -> DiplomaCopy:
    d = diploma(side)
    return DiplomaCopy.objects.create(
        diploma=d,
        issuer=d.issuer,
        kind=d.kind,
        year=2026,
        number=next(_n),
        requester_name=d.full_name,
        relation="holder",
        requester_id_number="001201012345",
    )


def diploma_revocation(side: SchoolSide) -> DiplomaRevocation:
    return DiplomaRevocation.objects.create(
        diploma=diploma(side, status="revoked"),
        reason="fraud",
        decision_number="5/QĐ-TH",
        decision_date=dt.date(2026, 10, 1),
        decision_signer="Hiệu trưởng Nguyễn Thị Hiệu Trưởng",
    )


MAKERS = {
    Exam: exam,
    ExamSubject: subject,
    BoardMember: board_member,
    PointRule: point_rule,
    Quota: quota,
    Site: site,
    Room: room,
    Candidate: candidate,
    Choice: choice,
    Application: application,
    ApplicationDocument: application_document,
    Script: script,
    ScriptKey: script_key,
    Mark: mark,
    CandidateScore: candidate_score,
    Appeal: appeal,
    Issuer: issuer,
    GraduationRound: graduation_round,
    GraduationCouncilMember: council_member,
    GraduationEntry: graduation_entry,
    Diploma: diploma,
    DiplomaCorrection: diploma_correction,
    DossierFile: dossier_file,
    DiplomaCopy: diploma_copy,
    DiplomaRevocation: diploma_revocation,
}
