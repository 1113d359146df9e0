"""Demo exams the other areas build on (candidates, rooms, applications, marking, admission):

- the Sở's grade-10 admission (Thông tư 30/2024): three subjects on a two-day timetable, the
  default priority / bonus / direct table, a quota for every school teaching grade 10, and a
  board — the Sở's specialist as chair, teachers of several schools as secretariat, markers
  and invigilators;
- a Phòng's grade-6 intake by review, taking online applications now (the public form);
- a school's own gifted-student competition, with a small board.

Everything is written through ``exams.services.setup`` acting as the demo accounts, so the
history says who set each exam up. See ``/work/shared/domain/exams-diplomas.md``.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

from sms.accounts.actors import Actor
from sms.accounts.models import Membership
from sms.accounts.roles import Role
from sms.accounts.seed import unit_slug
from sms.org.rules import ascii_slug
from sms.org.seed import CURRENT_YEAR
from sms.seeding import SeedContext

from .models import BoardMember, BoardRole, ExamKind, Quota
from .services import setup as services

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")


def _actor(username: str, unit, role: str) -> Actor | None:
    membership = (
        Membership.objects.select_related("user", "unit").filter(user__username=username, unit=unit, role=role).first()
    )
    return Actor(membership.user, membership) if membership else None


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL)


def _teachers(school, count: int) -> list[Membership]:
    return list(
        Membership.objects.select_related("user", "unit")
        .filter(unit=school, role=Role.TEACHER, user__username__startswith="gv")
        .order_by("pk")[:count]
    )


def seed_exams(ctx: SeedContext) -> None:
    so = ctx.data.get("so")
    if so is None:
        return
    so_admin = _actor("so.admin", so, Role.SO_ADMIN)
    if so_admin is None:  # no demo accounts (a seeder was skipped)
        return
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
        Quota.objects.create(exam=admission, school=school, places=360 + 45 * (i % 4))

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
    for school in lower[:2]:
        staff = _teachers(school, 4)
        if staff:
            services.add_member(so_admin, admission, staff[0].user, BoardRole.SECRETARIAT, home_unit=school)
        for m in staff[1:]:
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
            Quota.objects.create(exam=intake, school=school, places=90 + 45 * (school.pk % 3))
        break

    # --- a school's own gifted-student competition -----------------------------------------------------------
    host = next((s for s in lower if 9 in s.grades), None) or next(iter(schools), None)
    principal = _actor(f"ht.{unit_slug(host)}", host, Role.PRINCIPAL) if host is not None else None
    if principal is not None:
        day = dt.date(CURRENT_YEAR + 1, 1, 10)
        gifted = services.create_exam(
            principal,
            unit=host,
            kind=ExamKind.GIFTED,
            name=f"Thi chọn học sinh giỏi cấp trường năm học {CURRENT_YEAR}–{CURRENT_YEAR + 1}",
            start_year=CURRENT_YEAR,
            grade=9,
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
        # nobody seats themselves: the Sở's admin seats the principal as chair
        services.add_member(so_admin, gifted, principal.user, BoardRole.CHAIR, home_unit=host)
        for m in _teachers(host, 3):
            services.add_member(principal, gifted, m.user, BoardRole.MARKER, home_unit=host)
    ctx.data["exams"] = exams


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
