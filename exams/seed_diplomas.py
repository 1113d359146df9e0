"""Demo data of module (e), part 2: who issues which diploma, last year's THCS graduates and their register, and
this year's first graduation round waiting for the year's results.

- Issuers, as a deployment would configure them (exams-diplomas.md, "Diplomas and certificates"): the Sở's
  director issues THPT diplomas; each Phòng's head the THCS diplomas of its schools; for a THCS school directly
  under the Sở, the chair of its commune's People's Committee (kept on the Sở's account); each upper-secondary
  school's principal the certificates of completion.
- Last school year's round at the first Phòng's THCS school, decided by the Phòng: its council of seven, the
  graduates and the learners not recognised with their reasons. The system was not yet in use then, so the round
  and its list are demo rows written directly (a live round is built by "Xét" from the approved year results);
  everything after the decision goes through the services acting as the Phòng's specialist: the diplomas issued
  in one batch from the first blank, a name corrected by decision with its dossier, a copy from the register, and
  one diploma revoked — it is on the public list at ``/cong/van-bang/thu-hoi/``.
- This school year's round 1 at the same school, opened by the principal with its council: "Xét" lists the
  grade-9 learners, none recognised until their year results are approved.
"""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from sms.accounts.actors import Actor
from sms.accounts.models import Membership
from sms.accounts.roles import Role, UnitKind
from sms.names import person_name
from sms.org.models import AdministrativeArea, AreaLevel, Unit
from sms.org.seed import CURRENT_YEAR, PROVINCE
from sms.seeding import SeedContext
from sms.text import nfc, search_key, sort_key

from .models import (
    CouncilRole,
    DiplomaKind,
    GraduationCouncilMember,
    GraduationEntry,
    GraduationLevel,
    GraduationRound,
    Issuer,
    RoundStatus,
)
from .selectors import issuer_for
from .services import graduation as graduation_services
from .services import register as register_services

#: last year's graduating class of the demo THCS school
GRADUATES = 36
COUNCIL = (
    (CouncilRole.CHAIR, "Hiệu trưởng"),
    (CouncilRole.VICE_CHAIR, "Phó Hiệu trưởng"),
    (CouncilRole.SECRETARY, "Giáo viên"),
    (CouncilRole.MEMBER, "Tổ trưởng chuyên môn"),
    (CouncilRole.MEMBER, "Giáo viên chủ nhiệm lớp 9"),
    (CouncilRole.MEMBER, "Giáo viên chủ nhiệm lớp 9"),
    (CouncilRole.MEMBER, "Tổng phụ trách Đội"),
)


def _membership(unit, role, prefix: str = "") -> Membership | None:
    qs = Membership.objects.select_related("user", "unit").filter(unit=unit, role=role)
    if prefix:
        qs = qs.filter(user__username__startswith=prefix)
    return qs.order_by("pk").first()


def _as(membership: Membership) -> Actor:
    return Actor(membership.user, membership)


def _dossier(name: str) -> bytes:
    """A small real PDF standing for the scanned civil-status decision."""
    from sms.exports.pdf import Document

    doc = Document("Quyết định cải chính hộ tịch (bản sao)", author="Ủy ban nhân dân xã")
    doc.title_block("Quyết định cải chính hộ tịch (bản sao)")
    doc.paragraph(f"Cải chính họ, chữ đệm, tên thành: {name}")
    doc.paragraph("Bản quét minh hoạ của dữ liệu mẫu.")
    return doc.build()


def _issuers(ctx: SeedContext, so_admin: Actor) -> None:
    so = ctx.data["so"]
    register_services.create_issuer(
        so_admin,
        unit=so,
        name=f"Sở Giáo dục và Đào tạo tỉnh {PROVINCE}",
        signer_title="Giám đốc",
        signer_name="Phạm Văn Thành",
        place_name=PROVINCE,
        kinds=[DiplomaKind.THPT],
    )
    for phong in ctx.data["phong"]:
        admin = _membership(phong, Role.PHONG_ADMIN)
        if admin is None:
            continue
        register_services.create_issuer(
            _as(admin),
            unit=phong,
            name=phong.name,
            signer_title="Trưởng phòng",
            signer_name=person_name(ctx.random)[0],
            place_name=phong.name.replace("Phòng Giáo dục và Đào tạo", "").strip(),
            kinds=[DiplomaKind.THCS],
        )
    # THCS schools straight under the Sở: their commune's People's Committee chair (Thông tư 10/2025 reading).
    for school in Unit.objects.filter(parent=so, kind=UnitKind.SCHOOL).order_by("name"):
        if 9 not in school.grades or school.area_id is None:
            continue
        commune = AdministrativeArea.objects.filter(level=AreaLevel.COMMUNE, pk=school.area_id).first()
        if commune is None:
            continue
        register_services.create_issuer(
            so_admin,
            unit=so,
            name=f"Ủy ban nhân dân {commune.name[:1].lower()}{commune.name[1:]}",
            signer_title="Chủ tịch",
            signer_name=person_name(ctx.random)[0],
            place_name=commune.name,
            kinds=[DiplomaKind.THCS],
            covers=[school],
            area=commune,
        )
    for school in Unit.objects.filter(kind=UnitKind.SCHOOL, path__startswith=so.path).order_by("name"):
        if 12 not in school.grades:
            continue
        principal = _membership(school, Role.PRINCIPAL, "ht.")
        if principal is None:
            continue
        register_services.create_issuer(
            _as(principal),
            unit=school,
            name=school.name,
            signer_title="Hiệu trưởng",
            signer_name=principal.user.full_name,
            place_name=PROVINCE,
            kinds=[DiplomaKind.COMPLETION],
        )


def _last_year_round(ctx: SeedContext, school, principal: Membership, teachers: list[Membership]) -> GraduationRound:
    """Last year's decided round, written as demo rows (see the module docstring)."""
    rng = ctx.random
    start_year = CURRENT_YEAR - 1
    issuer = issuer_for(school, DiplomaKind.THCS)
    phong = school.parent
    decision_date = dt.date(start_year + 1, 6, 12)
    rnd = GraduationRound.objects.create(
        unit=school,
        level=GraduationLevel.THCS,
        start_year=start_year,
        number=1,
        issuer=issuer,
        status=RoundStatus.DECIDED,
        reviewed_at=timezone.make_aware(dt.datetime(start_year + 1, 6, 3, 9)),
        proposed_at=timezone.make_aware(dt.datetime(start_year + 1, 6, 5, 15)),
        proposed_by=principal.user,
        decision_number="215/QĐ-PGDĐT",
        decision_date=decision_date,
        decision_signer=f"{issuer.signer_title} {issuer.signer_name}" if issuer else phong.name,
        decided_at=timezone.make_aware(dt.datetime(start_year + 1, 6, 12, 10)),
        note="Đợt xét năm học trước khi nhà trường chưa dùng hệ thống (dữ liệu mẫu).",
    )
    people = [principal, *teachers]
    for order, (role, position) in enumerate(COUNCIL, start=1):
        who = people[(order - 1) % len(people)]
        GraduationCouncilMember.objects.create(
            round=rnd, full_name=who.user.full_name, position=position, role=role, user=who.user, order=order
        )
    entries = []
    for n in range(GRADUATES):
        name, female = person_name(rng)
        name = nfc(name)
        born = dt.date(start_year - 14, 1, 1) + dt.timedelta(days=rng.randrange(365))
        recognised = n not in (7, 23)
        reasons = [] if recognised else (["absences"] if n == 7 else ["learning"])
        entries.append(
            GraduationEntry(
                round=rnd,
                school=school,
                class_name=f"9A{1 + n % 2}",
                full_name=name,
                birth_date=born,
                sex="F" if female else "M",
                ethnicity="Kinh" if n % 9 else "Mường",
                birthplace=PROVINCE,
                outcome="hoan_thanh" if recognised else "o_lai",
                learning="kha" if recognised else ("dat" if n == 7 else "chua_dat"),
                conduct="tot",
                absences=50 if n == 7 else rng.randrange(0, 6),
                recognised=recognised,
                reasons=reasons,
                search_key=search_key(name),
                sort_key=sort_key(name),
            )
        )
    GraduationEntry.objects.bulk_create(entries)
    return rnd


def _register_flow(ctx: SeedContext, rnd: GraduationRound, specialist: Actor) -> None:
    """Last year's diplomas, issued, corrected, copied and revoked through the register's services."""
    issuer = rnd.issuer
    waiting = register_services.awaiting(specialist, issuer, DiplomaKind.THCS, round_id=rnd.pk)
    issued = register_services.issue_batch(
        specialist,
        issuer,
        DiplomaKind.THCS,
        [w.entry for w in waiting],
        issued_on=rnd.decision_date + dt.timedelta(days=40),
        first_serial=f"THCS {CURRENT_YEAR - 1}{ctx.random.randrange(10000, 50000):06d}",
    )
    if len(issued) < 3:
        return
    corrected, copied, revoked = issued[2], issued[5 % len(issued)], issued[-1]
    new_name = f"{corrected.full_name.rsplit(' ', 1)[0]} Anh"
    register_services.correct(
        specialist,
        corrected,
        ground="civil_status",
        values={"full_name": new_name},
        reason="Cải chính tên theo quyết định cải chính hộ tịch của Ủy ban nhân dân xã.",
        decision_number="37/QĐ-PGDĐT",
        decision_date=dt.date(CURRENT_YEAR, 9, 15),
        dossier=[
            (
                "civil",
                SimpleUploadedFile("cai-chinh-ho-tich.pdf", _dossier(new_name), content_type="application/pdf"),
            )
        ],
    )
    register_services.issue_copy(
        specialist,
        copied,
        requester_name=copied.full_name,
        relation="holder",
        requester_id_number="037211000123",
        quantity=2,
        issued_on=dt.date(CURRENT_YEAR, 10, 2),
    )
    register_services.revoke(
        specialist,
        revoked,
        reason="lent",
        detail="Văn bằng được cho người khác sử dụng để nộp hồ sơ (dữ liệu mẫu).",
        decision_number="52/QĐ-PGDĐT",
        decision_date=dt.date(CURRENT_YEAR, 11, 2),
        decision_signer=f"{issuer.signer_title} {issuer.signer_name}",
    )


def _this_year_round(school, principal: Membership, teachers: list[Membership]) -> None:
    actor = _as(principal)
    rnd = graduation_services.create_round(actor, level=GraduationLevel.THCS)
    people = [principal, *teachers]
    for order, (role, position) in enumerate(COUNCIL, start=1):
        who = people[(order - 1) % len(people)]
        graduation_services.add_council_member(actor, rnd, position=position, role=role, user=who.user)


def seed_diplomas(ctx: SeedContext) -> None:
    so = ctx.data["so"]
    so_admin = _membership(so, Role.SO_ADMIN)
    if so_admin is None or Issuer.objects.exists():
        return
    _issuers(ctx, _as(so_admin))
    phong = ctx.data["phong"][0] if ctx.data.get("phong") else None
    schools = [s for s in Unit.objects.filter(kind=UnitKind.SCHOOL, parent=phong).order_by("name") if 9 in s.grades]
    if not schools:
        return
    school = schools[0]
    principal = _membership(school, Role.PRINCIPAL, "ht.")
    specialist = _membership(school.parent, Role.PHONG_STAFF)
    teachers = list(Membership.objects.select_related("user").filter(unit=school, role=Role.TEACHER).order_by("pk")[:6])
    if principal is None or specialist is None:
        return
    rnd = _last_year_round(ctx, school, principal, teachers)
    if rnd.issuer is not None:
        _register_flow(ctx, rnd, _as(specialist))
    _this_year_round(school, principal, teachers)
