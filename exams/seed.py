"""Demo exams the other areas build on, each at a different step of its flow:

- the Sở's grade-10 admission (Thông tư 30/2024): three subjects on a two-day timetable, the
  default priority / bonus / direct table, a quota for every school teaching grade 10, and a
  board — the Sở's specialist as chair, teachers of several schools as secretariat, markers
  and invigilators. The grade-9 learners of the province are registered, numbered and seated
  in rooms with their invigilators; marking is in progress: the Toán scripts are coded and
  given to markers, a few marks entered (the printed marker account has scripts waiting);
  nothing is published;
- a Phòng's grade-6 intake by review, taking online applications now (the public form), with a
  small board (chair and secretariat) and three applications, one sent back for changes;
- a school's own gifted-student competition, run to the end: candidates, a room, scripts,
  double marking with one disputed script settled by a third mark, matching, and results
  published (the demo learner ``hs.*`` of the school sits it, so the learner and the parent
  ``ph.*`` see their scores).

Everything is written through the services (``exams.services.*``) acting as the demo accounts,
so the history says who did each step. See ``/work/shared/domain/exams-diplomas.md``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from sms.accounts.actors import Actor
from sms.accounts.models import Membership
from sms.accounts.roles import Role
from sms.accounts.seed import unit_slug
from sms.org.rules import ascii_slug
from sms.org.seed import CURRENT_YEAR
from sms.seeding import SeedContext

from .models import BoardMember, BoardRole, Candidate, ExamKind, Mark, MarkRound, Script
from .services import admission as admission_services
from .services import applications as application_services
from .services import candidates as candidate_services
from .services import marking as marking_services
from .services import publication as publication_services
from .services import rooms as room_services
from .services import setup as services

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
#: marks are quarter points; a demo script's two marks differ by at most this much (the
#: exams' threshold is 1 point, so they agree), but for the one disputed script
STEPS = [Decimal("-0.5"), Decimal("-0.25"), Decimal(0), Decimal(0), Decimal("0.25"), Decimal("0.5")]
#: learners of the top grade the school enters in its own gifted competition
GIFTED_CANDIDATES = 19


def _actor(username: str, unit, role: str) -> Actor | None:
    membership = (
        Membership.objects.select_related("user", "unit").filter(user__username=username, unit=unit, role=role).first()
    )
    return Actor(membership.user, membership) if membership else None


def _as(membership: Membership) -> Actor:
    return Actor(membership.user, membership)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL)


def _teachers(school, count: int, skip: int = 0) -> list[Membership]:
    return list(
        Membership.objects.select_related("user", "unit")
        .filter(unit=school, role=Role.TEACHER, user__username__startswith="gv")
        .order_by("pk")[skip : skip + count]
    )


def _seat_actor(seat: BoardMember) -> Actor:
    """The member acting in their home unit (where they work), as they would log in."""
    membership = (
        Membership.objects.select_related("user", "unit")
        .filter(user=seat.user, unit=seat.home_unit)
        .order_by("pk")
        .first()
    )
    return Actor(membership.user, membership)


def _score(rng: random.Random) -> Decimal:
    return Decimal(rng.randint(8, 39)) / 4  # 2,00 … 9,75


def seed_exams(ctx: SeedContext) -> None:
    so = ctx.data.get("so")
    if so is None:
        return
    so_admin = _actor("so.admin", so, Role.SO_ADMIN)
    if so_admin is None:  # no demo accounts (a seeder was skipped)
        return
    rng = random.Random(f"exams-{ctx.seed}")  # its own stream: the same whatever ran before
    schools = list(ctx.data.get("schools", []))
    upper = [s for s in schools if 10 in s.grades]
    lower = [s for s in schools if 9 in s.grades and 10 not in s.grades]
    exams = {}

    # --- the Sở's grade-10 admission --------------------------------------------------------------------
    first_day = dt.date(CURRENT_YEAR + 1, 6, 2)
    second_day = first_day + dt.timedelta(days=1)
    timetable = {"toan": _at(second_day, 7, 30), "ngu-van": _at(first_day, 7, 30), "tieng-anh": _at(first_day, 14, 0)}
    subjects = [{**s, "starts_at": timetable[s["code"]]} for s in services.default_subjects(ExamKind.ADMISSION_10)]
    admission = services.create_exam(
        so_admin,
        unit=so,
        kind=ExamKind.ADMISSION_10,
        name=f"Kỳ thi tuyển sinh lớp 10 THPT năm học {CURRENT_YEAR + 1}–{CURRENT_YEAR + 2}",
        start_year=CURRENT_YEAR,
        number_prefix="10",
        subjects=subjects,
    )
    exams["admission_10"] = admission
    for i, school in enumerate(upper):
        admission_services.set_quota(so_admin, admission, school, 360 + 45 * (i % 4))

    # its board: the Sở's specialist chairs; teachers of several schools do the rest
    chair = _actor("so.chuyenvien", so, Role.SO_STAFF)
    if chair is not None:
        services.add_member(so_admin, admission, chair.user, BoardRole.CHAIR, home_unit=so)
        ctx.logins.append((chair.user.username, "Chủ tịch hội đồng thi tuyển sinh lớp 10", so.name))
    markers: list[Membership] = []
    for school in upper:
        markers += _teachers(school, 2)
    for m in markers:
        services.add_member(so_admin, admission, m.user, BoardRole.MARKER, home_unit=m.unit)
    if markers:
        first = markers[0]
        ctx.logins.append((first.user.username, "Cán bộ chấm thi tuyển sinh lớp 10", first.unit.name))
    secretaries: list[Membership] = []
    for school in lower[:2]:
        staff = _teachers(school, 1)
        if staff:
            services.add_member(so_admin, admission, staff[0].user, BoardRole.SECRETARIAT, home_unit=school)
            secretaries.append(staff[0])
    # invigilators come from schools sending no candidate (a teacher never watches their own
    # learners): THPT teachers who do not mark, and primary teachers
    for school in [s for s in schools if 9 not in s.grades and s.grades and min(s.grades) >= 1]:
        skip = 2 if school in upper else 0
        for m in _teachers(school, 3, skip=skip):
            services.add_member(so_admin, admission, m.user, BoardRole.INVIGILATOR, home_unit=school)

    # --- a Phòng's grade-6 intake, taking applications online now --------------------------------------------
    phongs = list(ctx.data.get("phong", []))
    now = timezone.now()
    for phong in phongs:
        receiving = [s for s in schools if s.parent_id == phong.pk and 6 in s.grades]
        if not receiving:
            continue
        slug = ascii_slug(phong.name.replace("Phòng Giáo dục và Đào tạo", ""))
        phong_admin = _actor(f"pgd.{slug}.admin", phong, Role.PHONG_ADMIN) or so_admin
        intake = services.create_exam(
            phong_admin,
            unit=phong,
            kind=ExamKind.INTAKE_6,
            name=f"Tuyển sinh lớp 6 năm học {CURRENT_YEAR + 1}–{CURRENT_YEAR + 2} – {phong.name}",
            start_year=CURRENT_YEAR,
            accepts_online=True,
            applications_open_at=now - dt.timedelta(days=3),
            applications_close_at=now + dt.timedelta(days=21),
        )
        exams["intake_6"] = intake
        for school in receiving:
            admission_services.set_quota(phong_admin, intake, school, 90 + 45 * (school.pk % 3))
        _intake_board(phong_admin, intake, _actor(f"pgd.{slug}.chuyenvien", phong, Role.PHONG_STAFF), receiving)
        _applications(phong_admin, intake, receiving, schools)
        break

    # --- a school's own gifted-student competition -----------------------------------------------------------
    host = next((s for s in lower if 9 in s.grades), None) or next(iter(schools), None)
    principal = _actor(f"ht.{unit_slug(host)}", host, Role.PRINCIPAL) if host is not None else None
    if principal is not None:
        day = timezone.localdate() - dt.timedelta(days=10)  # sat ten days ago, results out today
        gifted = services.create_exam(
            principal,
            unit=host,
            kind=ExamKind.GIFTED,
            name=f"Thi chọn học sinh giỏi cấp trường năm học {CURRENT_YEAR}–{CURRENT_YEAR + 1}",
            start_year=CURRENT_YEAR,
            room_capacity=20,
            subjects=[
                {"code": "toan", "name": "Toán", "duration_minutes": 150, "starts_at": _at(day, 7, 30), "order": 1},
                {
                    "code": "ngu-van",
                    "name": "Ngữ văn",
                    "duration_minutes": 150,
                    "starts_at": _at(day, 14, 0),
                    "order": 2,
                },
            ],
        )
        exams["gifted"] = gifted
        # nobody seats themselves: the Sở's admin seats the principal as chair; the principal (an
        # admin) seats the school's administrator as the secretariat, markers and invigilators
        services.add_member(so_admin, gifted, principal.user, BoardRole.CHAIR, home_unit=host)
        secretary = _actor(f"qt.{unit_slug(host)}", host, Role.SCHOOL_ADMIN)
        if secretary is not None:
            services.add_member(principal, gifted, secretary.user, BoardRole.SECRETARIAT, home_unit=host)
        for m in _teachers(host, 3):
            services.add_member(principal, gifted, m.user, BoardRole.MARKER, home_unit=host)
        for m in _teachers(host, 2, skip=3):
            services.add_member(principal, gifted, m.user, BoardRole.INVIGILATOR, home_unit=host)
        if secretary is not None:
            _gifted_flow(rng, principal, secretary, gifted, host)

    if secretaries:
        _admission_flow(rng, so_admin, _as(secretaries[0]), admission, schools, upper)
    ctx.data["exams"] = exams


# --- the gifted competition, from registration to published results ------------------------------------------


def _gifted_flow(rng: random.Random, principal: Actor, secretary: Actor, exam, host) -> None:
    """Register the school's top-grade learners (and its demo learner, whatever their grade),
    number and seat them, code the scripts, mark them twice (one pair too far apart, settled by
    a third mark), match and publish now."""
    from students.models import Student
    from students.selectors import current_learners

    top = max(host.grades)
    learners = list(
        current_learners(principal, grade=top, school_ids=[host.pk]).values_list("student_id", flat=True)[
            :GIFTED_CANDIDATES
        ]
    )
    demo = Student.objects.filter(school=host, user__username=f"hs.{unit_slug(host)}").values_list("pk", flat=True)
    candidate_services.register_students(principal, exam, student_ids=[*learners, *demo])
    if not Candidate.objects.filter(exam=exam).exists():
        return
    candidate_services.assign_numbers(principal, exam)
    room_services.save_site(principal, exam, {"code": "HSG", "host": host.pk})
    room_services.place_candidates(principal, exam)
    # Every invigilator of a school's own exam works at that school, and the rule keeps a teacher
    # from watching a room of their own school's learners: the room may stay without.
    with contextlib.suppress(ValidationError):
        room_services.assign_invigilators(principal, exam)
    subjects = list(exam.subjects.order_by("order", "pk"))
    seats = list(BoardMember.objects.filter(exam=exam, role=BoardRole.MARKER).order_by("pk"))
    for subject in subjects:
        marking_services.make_scripts(secretary, subject, rng=rng)
        marking_services.assign_markers(secretary, subject, seats, seats)
    marks = list(
        Mark.objects.filter(script__exam_subject__exam=exam)
        .select_related("script")
        .order_by("script__exam_subject__order", "script__code", "round")
    )
    disputed = marks[0].script_id
    first: dict[int, Decimal] = {}
    by_seat: dict[int, dict[int, Decimal]] = {s.pk: {} for s in seats}
    for mark in marks:
        if mark.round == MarkRound.FIRST:
            first[mark.script_id] = Decimal(8) if mark.script_id == disputed else _score(rng)
            score = first[mark.script_id]
        elif mark.script_id == disputed:
            score = Decimal("5.5")  # 2,5 points apart: more than the threshold
        else:
            score = min(Decimal(10), max(Decimal(0), first[mark.script_id] + rng.choice(STEPS)))
        by_seat[mark.marker_id][mark.pk] = score
    actors = {s.pk: _seat_actor(s) for s in seats}
    for seat in seats:
        marking_services.enter_marks(actors[seat.pk], by_seat[seat.pk])
    earlier = {m.marker_id for m in marks if m.script_id == disputed}
    third_seat = next(s for s in seats if s.pk not in earlier)
    third = marking_services.assign_third(secretary, Script.objects.get(pk=disputed), third_seat)
    marking_services.enter_marks(actors[third_seat.pk], {third.pk: Decimal("7.5")})
    for subject in subjects:
        marking_services.match(secretary, subject)
    publication_services.schedule_publication(principal, exam)


# --- the grade-10 admission, marking under way --------------------------------------------------------------


def _admission_flow(rng: random.Random, so_admin: Actor, secretary: Actor, exam, schools, upper) -> None:
    """Register the province's grade-9 learners, number them, seat them at two THPT sites with
    invigilators, code the Toán scripts and give them to markers; the first marker has entered
    a few marks, the rest wait. Nothing is matched or published."""
    sending = [s.pk for s in schools if 9 in s.grades]
    candidate_services.register_students(so_admin, exam, school_ids=sending)
    if not Candidate.objects.filter(exam=exam).exists():
        return
    candidate_services.assign_numbers(so_admin, exam)
    hosts = [s for s in upper if 9 not in s.grades][:2] or upper[:1]
    for i, school in enumerate(hosts, start=1):
        room_services.save_site(so_admin, exam, {"code": f"DT{i:02d}", "host": school.pk})
    room_services.place_candidates(so_admin, exam)
    room_services.assign_invigilators(so_admin, exam)
    toan = exam.subjects.get(code="toan")
    seats = list(BoardMember.objects.filter(exam=exam, role=BoardRole.MARKER).order_by("pk"))
    marking_services.make_scripts(secretary, toan, rng=rng)
    marking_services.assign_markers(secretary, toan, seats, seats)
    if not seats:
        return
    mine = list(
        Mark.objects.filter(script__exam_subject=toan, marker=seats[0], round=MarkRound.FIRST)
        .order_by("script__code")
        .values_list("pk", flat=True)[:4]
    )
    marking_services.enter_marks(_seat_actor(seats[0]), {pk: _score(rng) for pk in mine})


# --- the grade-6 intake: its board and three online applications ---------------------------------------------


def _intake_board(phong_admin: Actor, exam, specialist: Actor | None, receiving) -> None:
    """The Phòng's specialist chairs; a receiving school's clerk is the secretariat (who reviews
    the applications with the Phòng's staff). Both seated by the Phòng's admin."""
    if specialist is not None and specialist.user != phong_admin.user:
        services.add_member(phong_admin, exam, specialist.user, BoardRole.CHAIR, home_unit=specialist.unit)
    clerk = Membership.objects.filter(unit=receiving[0], role=Role.CLERK).select_related("user").first()
    if clerk is not None:
        services.add_member(phong_admin, exam, clerk.user, BoardRole.SECRETARIAT, home_unit=receiving[0])


def _birth_certificate(name: str) -> bytes:
    """A small real PDF standing for the scanned birth certificate."""
    from sms.exports.pdf import Document

    doc = Document("Giấy khai sinh (bản sao)", author="Ủy ban nhân dân xã")
    doc.title_block("Giấy khai sinh (bản sao)")
    doc.paragraph(f"Họ, chữ đệm, tên: {name}")
    doc.paragraph("Bản quét minh hoạ của dữ liệu mẫu.")
    return doc.build()


APPLICANTS = (
    ("Nguyễn Minh Khang", "14/03/2015", "M", "Xóm 3, xã Ninh Giang", "Nguyễn Văn Hùng", "0912345671"),
    ("Trần Bảo Ngọc", "02/09/2015", "F", "Số 12, đường Trần Hưng Đạo", "Trần Thị Hoa", "0987654322"),
    ("Lê Gia Huy", "21/11/2015", "M", "Xóm 7, xã Ninh Khang", "Lê Văn Tâm", "0334567893"),
)


def _applications(phong_admin: Actor, exam, receiving, schools) -> None:
    """Three applications submitted on the public form (no account), each with its birth
    certificate; the Phòng asks one of them for a correction."""
    primary = next((s.name for s in schools if s.grades and max(s.grades) == 5), "")
    made = []
    for index, (name, born, sex, address, guardian, phone) in enumerate(APPLICANTS):
        data = {
            "full_name": name,
            "birth_date": born,
            "sex": sex,
            "address": address,
            "guardian_name": guardian,
            "phone": phone,
            "previous_school": primary,
            "birthplace": "Ninh Bình",
            "choice_1": receiving[index % len(receiving)].pk,
        }
        if len(receiving) > 1:
            data["choice_2"] = receiving[(index + 1) % len(receiving)].pk
        upload = SimpleUploadedFile("khai-sinh.pdf", _birth_certificate(name), content_type="application/pdf")
        application, _created = application_services.submit(
            exam, data, {"doc_birth": upload}, submit_key=f"demo-{index}"
        )
        made.append(application)
    application_services.needs_changes(
        phong_admin,
        made[1],
        "Bản quét giấy khai sinh bị mờ phần ngày sinh: vui lòng tải lên bản rõ hơn.",
    )


def board_logins() -> list[tuple[str, str, str]]:
    """One demo account per board role of each demo exam (printed by ``seed_demo``)."""
    rows = []
    members = BoardMember.objects.filter(is_active=True).select_related("exam", "user", "home_unit")
    seen: set[tuple[int, str]] = set()
    for member in members.order_by("exam_id", "role", "pk"):
        if (member.exam_id, member.role) in seen:
            continue
        seen.add((member.exam_id, member.role))
        rows.append((member.user.username, f"{member.get_role_display()}, {member.exam.name}", member.home_unit.name))
    return rows
