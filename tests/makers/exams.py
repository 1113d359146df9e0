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
    Exam,
    ExamKind,
    ExamSubject,
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
}
