"""The original register (sổ gốc cấp văn bằng, TT21/2019; exams-diplomas.md "Diplomas and certificates"): issuers,
entry numbers from the counter, issuing a decided round's graduates, issuing by hand, corrections with their
dossier, copies from the register, revocations — through ``exams.services.register`` with real rows.

The world: school A (THCS) under Phòng 1, school B under Phòng 2. Phòng 1 keeps the register of the THCS diplomas of
its schools (the "commune chair" of a deployment); its staff issue them. The builders below are shared by the other
register test modules.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from exams.models import (
    Diploma,
    DiplomaCopy,
    DiplomaCorrection,
    DiplomaKind,
    DiplomaRevocation,
    DiplomaStatus,
    DossierFile,
    Exam,
    ExamKind,
    GraduationEntry,
    GraduationLevel,
    GraduationRound,
    Issuer,
    RegisterBook,
    RegisterCounter,
    RoundStatus,
)
from exams.services import register as services
from sms.accounts.roles import Role, UnitKind
from sms.org.models import Unit
from sms.org.rules import SchoolType
from tests.world import World, grant, make_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"
DECISION = dt.date(2026, 6, 30)  # the deadline (13/09/2026) has passed
ISSUED = dt.date(2026, 7, 15)

# --- builders (shared) ------------------------------------------------------------------------------------------------


def actor(world: World, who: str):
    """An actor by a short name: "p1_staff", "p1_admin", "so_staff", "so_admin", "p2_admin", or "<a|b>_<role>"."""
    members = {
        "p1_staff": world.members["phong1_staff"],
        "p1_admin": world.members["phong1_admin"],
        "p2_admin": world.members["phong2_admin"],
        "so_staff": world.members["so_staff"],
        "so_admin": world.members["so_admin"],
    }
    if who in members:
        return world.actor(members[who])
    side, role = who.split("_", 1)
    return world.actor(getattr(world, side).m(role))


def phong_issuer(world: World, **extra) -> Issuer:
    """Phòng 1 keeps the register of the THCS diplomas of its schools."""
    values = dict(
        unit=world.phong1,
        name="Chủ tịch UBND xã Đồng Tâm",
        signer_title="Chủ tịch",
        signer_name="Lê Văn Chủ Tịch",
        place_name="Đồng Tâm",
        kinds=[DiplomaKind.THCS],
    )
    values.update(extra)
    return Issuer.objects.create(**values)


def decided_round(
    issuer: Issuer | None,
    school: Unit,
    *,
    start_year: int = 2025,
    number: int = 1,
    decision_date: dt.date = DECISION,
    level: str = GraduationLevel.THCS,
    exam: Exam | None = None,
    status: str = RoundStatus.DECIDED,
    unit: Unit | None = None,
) -> GraduationRound:
    return GraduationRound.objects.create(
        unit=unit or school,
        level=level,
        start_year=start_year,
        number=number,
        exam=exam,
        issuer=issuer,
        status=status,
        decision_number=f"{start_year % 100}{number}/QĐ-UBND",
        decision_date=decision_date if status == RoundStatus.DECIDED else None,
        decision_signer="Chủ tịch Lê Văn Chủ Tịch",
    )


def entry(round_: GraduationRound, school: Unit, full_name: str, class_name: str = "9A1", **extra) -> GraduationEntry:
    values = dict(
        round=round_,
        school=school,
        class_name=class_name,
        full_name=full_name,
        birth_date=dt.date(2011, 3, 4),
        sex="F",
        ethnicity="Tày",
        birthplace="Xã Đồng Tâm",
        personal_id="001211000001",
        recognised=True,
    )
    values.update(extra)
    return GraduationEntry.objects.create(**values)


def graduates(round_: GraduationRound, school: Unit, count: int, class_name: str = "9A1") -> list[GraduationEntry]:
    return [entry(round_, school, f"Học Sinh Thứ {i:02d}", class_name) for i in range(1, count + 1)]


def thpt_setup(world: World):
    """The Sở's graduation exam and its decided THPT round: school X (THPT, under the Sở) with one graduate and one
    who did not pass; the Sở issues THPT diplomas, X's principal the completion certificates."""
    x = Unit.objects.create(
        kind=UnitKind.SCHOOL, school_type=SchoolType.C3, code="C3X", name="Trường THPT Xuân Hoà", parent=world.so
    )
    exam = Exam.objects.create(
        unit=world.so, kind=ExamKind.GRADUATION, name="Thi tốt nghiệp THPT 2026", start_year=2025
    )
    so_issuer = Issuer.objects.create(
        unit=world.so,
        name="Giám đốc Sở GD&ĐT",
        signer_title="Giám đốc",
        signer_name="Phạm Văn Giám Đốc",
        kinds=["thpt"],
    )
    x_issuer = Issuer.objects.create(
        unit=x, name="Hiệu trưởng Trường THPT Xuân Hoà", signer_title="Hiệu trưởng", signer_name="Đỗ Thị Hiệu Trưởng",
        kinds=["completion"],
    )  # fmt: skip
    round_ = decided_round(so_issuer, x, level=GraduationLevel.THPT, exam=exam, unit=world.so, start_year=2025)
    passed = entry(round_, x, "Nguyễn Văn Đỗ", "12A1")
    failed = entry(round_, x, "Trần Thị Trượt", "12A1", recognised=False, reasons=["below"], personal_id="001211000002")
    return {"x": x, "so_issuer": so_issuer, "x_issuer": x_issuer, "round": round_, "passed": passed, "failed": failed}


def issue(world, issuer, kind="thcs", entries=None, *, who="p1_staff", issued_on=ISSUED, first_serial="A 0000001"):
    if entries is None:
        entries = [r.entry for r in services.awaiting(actor(world, who), issuer, kind)]
    return services.issue_batch(
        actor(world, who), issuer, kind, entries, issued_on=issued_on, first_serial=first_serial
    )


def upload(name="don-de-nghi.pdf", content=PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


# --- the counter ------------------------------------------------------------------------------------------------------


def test_numbers_are_consecutive_from_one_per_issuer_kind_year_and_book(world):
    issuer = phong_issuer(world, kinds=["thcs", "completion"])
    other = phong_issuer(world, name="Trưởng phòng GD&ĐT Một")
    assert services.allocate_numbers(issuer, "thcs", 2026, 3) == [1, 2, 3]
    assert services.allocate_numbers(issuer, "thcs", 2026, 2) == [4, 5]
    assert services.allocate_numbers(issuer, "thcs", 2027, 1) == [1]  # a new calendar year starts again
    assert services.allocate_numbers(issuer, "completion", 2026, 1) == [1]  # another type
    assert services.allocate_numbers(issuer, "thcs", 2026, 1, book=RegisterBook.COPY) == [1]  # the copy book
    assert services.allocate_numbers(other, "thcs", 2026, 1) == [1]  # another issuer
    counter = RegisterCounter.objects.get(issuer=issuer, book="original", kind="thcs", year=2026)
    assert counter.last_number == 5


@pytest.mark.parametrize("count", [0, -1, True, "2"])
def test_a_count_must_be_a_positive_integer(world, count):
    with pytest.raises(ValueError):
        services.allocate_numbers(phong_issuer(world), "thcs", 2026, count)


def test_bump_raises_the_counter_and_never_lowers_it(world):
    issuer = phong_issuer(world)
    services.bump_counter(issuer, "thcs", 2019, 120)
    services.bump_counter(issuer, "thcs", 2019, 7)
    assert services.allocate_numbers(issuer, "thcs", 2019, 2) == [121, 122]


def test_the_counter_never_falls_below_the_numbers_the_book_holds(world):
    issuer = phong_issuer(world)
    Diploma.objects.create(
        issuer=issuer, kind="thcs", year=2026, entry_number=41, serial="B 0000041", full_name="Người Cũ",
        birth_date=dt.date(2010, 1, 1), sex="M", graduation_year=2025, issued_on=dt.date(2026, 1, 5),
        signer_title="Chủ tịch", signer_name="Lê Văn Chủ Tịch",
    )  # fmt: skip
    assert services.allocate_numbers(issuer, "thcs", 2026, 1) == [42]


# --- issuing ----------------------------------------------------------------------------------------------------------


def test_issue_flow_end_to_end(world):
    issuer = phong_issuer(world)
    round_ = decided_round(issuer, world.a.school)
    b_round = decided_round(issuer, world.a.school, number=2, decision_date=dt.date(2026, 8, 1))
    entry(round_, world.a.school, "Vũ Văn Bảo", "9A2")
    entry(round_, world.a.school, "Đặng Thị Ánh", "9A1")
    entry(round_, world.a.school, "Bùi Văn An", "9A1")
    entry(b_round, world.a.school, "Âu Thị Hè", "9A1")  # round 2 (after summer training)
    entry(round_, world.a.school, "Lò Văn Chưa", "9A1", recognised=False, reasons=["conduct"])
    entry(round_, world.a.school, "Hội Đồng Loại", "9A1", excluded=True, note="Đang bị truy cứu")
    draft = decided_round(issuer, world.b.school, status=RoundStatus.DRAFT)
    entry(draft, world.b.school, "Chưa Có Quyết Định")

    keeper = actor(world, "p1_staff")
    waiting = services.awaiting(keeper, issuer, "thcs")
    # decided, recognised, not excluded; in the order of the book: school, class, Vietnamese name order (given name
    # first: An < Ánh < Hè in 9A1, then 9A2)
    assert [r.entry.full_name for r in waiting] == ["Bùi Văn An", "Đặng Thị Ánh", "Âu Thị Hè", "Vũ Văn Bảo"]

    diplomas = issue(world, issuer, issued_on=dt.date(2026, 8, 5), first_serial="a 0000099")
    assert [(d.entry_number, d.serial, d.full_name) for d in diplomas] == [
        (1, "A 0000099", "Bùi Văn An"),
        (2, "A 0000100", "Đặng Thị Ánh"),
        (3, "A 0000101", "Âu Thị Hè"),
        (4, "A 0000102", "Vũ Văn Bảo"),
    ]
    first = Diploma.objects.get(full_name="Bùi Văn An")
    assert first.entry_label == "00001/THCS/2026"
    assert (first.birth_date, first.sex, first.ethnicity, first.birthplace, first.personal_id) == (
        dt.date(2011, 3, 4),
        "F",
        "Tày",
        "Xã Đồng Tâm",
        "001211000001",
    )
    assert (first.school, first.school_name, first.graduation_year) == (world.a.school, world.a.school.name, 2026)
    assert (first.decision_number, first.decision_date) == (round_.decision_number, DECISION)
    assert (first.signer_title, first.signer_name, first.issued_on) == (
        "Chủ tịch",
        "Lê Văn Chủ Tịch",
        dt.date(2026, 8, 5),
    )
    assert first.issued_by == keeper.user and first.status == DiplomaStatus.VALID
    assert Diploma.objects.get(full_name="Âu Thị Hè").decision_date == dt.date(2026, 8, 1)
    record = first.history.get()
    assert record.history_user == keeper.user and record.history_membership_id == keeper.membership.pk
    # nobody is waiting any more, and the same people cannot be issued twice
    assert services.awaiting(keeper, issuer, "thcs") == []
    with pytest.raises(ValidationError, match="không còn trong danh sách chờ cấp"):
        issue(world, issuer, entries=[first.entry], first_serial="A 0000200")


def test_a_later_signer_does_not_change_diplomas_already_issued(world):
    issuer = phong_issuer(world)
    graduates(decided_round(issuer, world.a.school), world.a.school, 1)
    (diploma,) = issue(world, issuer)
    services.update_issuer(actor(world, "p1_admin"), issuer, signer_name="Hà Thị Mới")
    diploma.refresh_from_db()
    assert diploma.signer_name == "Lê Văn Chủ Tịch"
    issuer.refresh_from_db()
    assert issuer.signer_name == "Hà Thị Mới"


def test_overdue_after_75_days_of_the_decision(world):
    issuer = phong_issuer(world)
    today = timezone.localdate()
    late = decided_round(issuer, world.a.school, decision_date=today - dt.timedelta(days=76))
    on_time = decided_round(issuer, world.a.school, number=2, decision_date=today - dt.timedelta(days=75))
    entry(late, world.a.school, "Người Quá Hạn")
    entry(on_time, world.a.school, "Người Còn Hạn")
    rows = {r.entry.full_name: r for r in services.awaiting(actor(world, "p1_staff"), issuer, "thcs")}
    assert rows["Người Quá Hạn"].overdue and rows["Người Quá Hạn"].deadline == today - dt.timedelta(days=1)
    assert not rows["Người Còn Hạn"].overdue and rows["Người Còn Hạn"].deadline == today


def test_a_serial_already_used_refuses_the_whole_batch(world):
    issuer = phong_issuer(world)
    graduates(decided_round(issuer, world.a.school), world.a.school, 3)
    Diploma.objects.create(
        issuer=phong_issuer(world, unit=world.phong2, name="Chủ tịch xã khác"), kind="thcs", year=2026,
        entry_number=1, serial="A 0000002", full_name="Người Khác", birth_date=dt.date(2010, 1, 1), sex="M",
        graduation_year=2025, issued_on=dt.date(2026, 1, 5), signer_title="Chủ tịch", signer_name="X",
    )  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        issue(world, issuer, first_serial="A 0000001")
    assert "A 0000002" in refused.value.message_dict["first_serial"][0]
    assert not Diploma.objects.filter(issuer=issuer).exists()
    # nothing was taken from the counter either: the next batch starts at 1
    diplomas = issue(world, issuer, first_serial="A 0000010")
    assert [d.entry_number for d in diplomas] == [1, 2, 3]


@pytest.mark.parametrize(
    ("first_serial", "issued_on", "field"),
    [
        ("A 000000X", ISSUED, "first_serial"),  # does not end in digits
        ("A 9", ISSUED, "first_serial"),  # the digits overflow their width with two diplomas
        ("", ISSUED, "first_serial"),
        ("A 0000001", DECISION - dt.timedelta(days=1), "issued_on"),  # before the decision
        ("A 0000001", timezone.localdate() + dt.timedelta(days=1), "issued_on"),  # in the future
    ],
)
def test_bad_batch_input_names_the_field_and_issues_nothing(world, first_serial, issued_on, field):
    issuer = phong_issuer(world)
    graduates(decided_round(issuer, world.a.school), world.a.school, 2)
    with pytest.raises(ValidationError) as refused:
        issue(world, issuer, issued_on=issued_on, first_serial=first_serial)
    assert field in refused.value.message_dict
    assert not Diploma.objects.exists()


def test_entry_numbers_restart_at_one_in_a_new_calendar_year(world):
    issuer = phong_issuer(world)
    old = decided_round(issuer, world.a.school, start_year=2024, decision_date=dt.date(2025, 6, 25))
    graduates(old, world.a.school, 2)
    issued_2025 = issue(world, issuer, issued_on=dt.date(2025, 7, 10), first_serial="A 0000001")
    graduates(decided_round(issuer, world.a.school), world.a.school, 2, class_name="9A2")
    issued_2026 = issue(world, issuer, first_serial="A 0000003")
    assert [d.entry_label for d in issued_2025] == ["00001/THCS/2025", "00002/THCS/2025"]
    assert [d.entry_label for d in issued_2026] == ["00001/THCS/2026", "00002/THCS/2026"]


@pytest.mark.parametrize("who", ["a_teacher", "a_principal", "b_principal", "p2_admin", "a_clerk"])
def test_only_the_keepers_issue(world, who):
    issuer = phong_issuer(world)
    graduates(decided_round(issuer, world.a.school), world.a.school, 1)
    entries = list(GraduationEntry.objects.all())
    with pytest.raises(PermissionDenied):
        services.issue_batch(actor(world, who), issuer, "thcs", entries, issued_on=ISSUED, first_serial="A 1")
    with pytest.raises(PermissionDenied):
        services.awaiting(actor(world, who), issuer, "thcs")
    assert not Diploma.objects.exists()


@pytest.mark.parametrize("who", ["p1_staff", "p1_admin", "so_staff", "so_admin"])
def test_the_keeping_unit_and_the_offices_above_issue(world, who):
    issuer = phong_issuer(world)
    graduates(decided_round(issuer, world.a.school), world.a.school, 1)
    assert len(issue(world, issuer, who=who)) == 1


def test_an_inactive_issuer_issues_nothing(world):
    issuer = phong_issuer(world, is_active=False)
    graduates(decided_round(issuer, world.a.school), world.a.school, 1)
    with pytest.raises(ValidationError, match="ngừng cấp"):
        issue(world, issuer)


def test_thpt_diplomas_and_completion_certificates_from_a_decided_thpt_round(world):
    t = thpt_setup(world)
    so = actor(world, "so_staff")
    assert [r.entry for r in services.awaiting(so, t["so_issuer"], "thpt")] == [t["passed"]]
    (diploma,) = issue(world, t["so_issuer"], "thpt", who="so_staff", first_serial="TN 0000001")
    assert (diploma.kind, diploma.entry_label, diploma.graduation_year) == ("thpt", "00001/THPT/2026", 2026)
    # the principal of X issues the certificate of completion to the one who did not pass
    principal = world.actor(grant(make_user("principal.x"), t["x"], Role.PRINCIPAL))
    rows = services.awaiting(principal, t["x_issuer"], "completion")
    assert [r.entry for r in rows] == [t["failed"]] and rows[0].deadline is None
    (certificate,) = services.issue_batch(
        principal, t["x_issuer"], "completion", [t["failed"]], issued_on=ISSUED, first_serial="CN 001"
    )
    assert certificate.entry_label == "00001/CNHT/2026" and certificate.signer_title == "Hiệu trưởng"
    assert services.awaiting(principal, t["x_issuer"], "completion") == []
    # the Sở keeps no completion register: nothing waits there for it
    assert services.awaiting(so, t["so_issuer"], "completion") == []


def test_completion_certificates_follow_the_deepest_issuer(world):
    t = thpt_setup(world)
    Issuer.objects.create(
        unit=world.so, name="Giám đốc Sở (chứng nhận)", signer_title="Giám đốc", signer_name="P", kinds=["completion"]
    )
    so = actor(world, "so_admin")
    broad = Issuer.objects.get(name="Giám đốc Sở (chứng nhận)")
    assert services.awaiting(so, broad, "completion") == []  # X's own principal is the deeper issuer
    t["x_issuer"].is_active = False
    t["x_issuer"].save()
    assert [r.entry for r in services.awaiting(so, broad, "completion")] == [t["failed"]]


def test_issue_one_by_hand(world):
    issuer = phong_issuer(world)
    services.bump_counter(issuer, "thcs", 2026, 9)
    diploma = services.issue_one(
        actor(world, "p1_staff"),
        issuer,
        kind="thcs",
        serial="a 0012345",
        issued_on="10/11/2026",
        graduation_year=2010,
        decision_number="45/QĐ-PGD",
        decision_date=dt.date(2010, 6, 20),
        school_name="Trường THCS Cũ",
        full_name="  Nguyễn  Thị Cũ ",
        birth_date=dt.date(1995, 1, 2),
        sex="F",
    )
    assert (diploma.entry_label, diploma.serial, diploma.full_name) == ("00010/THCS/2026", "A 0012345", "Nguyễn Thị Cũ")
    assert (diploma.ethnicity, diploma.nationality, diploma.entry) == ("Kinh", "Việt Nam", None)
    assert diploma.history.get().history_change_reason == "Cấp văn bằng (nhập tay)"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"serial": "A 0000001"}, "serial"),  # already used
        ({"kind": "thpt"}, "kind"),  # not issued by this issuer
        ({"graduation_year": 1900}, "graduation_year"),
        ({"sex": "X"}, "sex"),
        ({"personal_id": "123"}, "personal_id"),
        ({"birth_date": dt.date(2027, 1, 1)}, "birth_date"),
        ({"decision_date": dt.date(2026, 11, 11)}, "issued_on"),  # issued before the decision
        ({"school_name": ""}, "school_name"),
        ({"full_name": " "}, "full_name"),
    ],
)
def test_issue_one_refusals_name_the_field(world, change, field):
    issuer = phong_issuer(world)
    graduates(decided_round(issuer, world.a.school), world.a.school, 1)
    issue(world, issuer)
    values = dict(
        kind="thcs", serial="A 0000050", issued_on=dt.date(2026, 11, 10), graduation_year=2010,
        decision_number="45/QĐ", decision_date=dt.date(2010, 6, 20), school_name="Trường Cũ",
        full_name="Người Nhập Tay", birth_date=dt.date(1995, 1, 2), sex="F",
    )  # fmt: skip
    values.update(change)
    with pytest.raises(ValidationError) as refused:
        services.issue_one(actor(world, "p1_staff"), issuer, **values)
    assert field in refused.value.message_dict
    assert Diploma.objects.count() == 1


# --- corrections ------------------------------------------------------------------------------------------------------


def one_diploma(world) -> Diploma:
    issuer = phong_issuer(world)
    graduates(decided_round(issuer, world.a.school), world.a.school, 1)
    (diploma,) = issue(world, issuer)
    return diploma


def correct(world, diploma, values, dossier=None, **extra):
    args = dict(
        ground="civil_status",
        values=values,
        reason="Cải chính hộ tịch theo quyết định của UBND xã",
        decision_number="7/QĐ-UBND",
        decision_date=dt.date(2026, 10, 2),
        dossier=[("request", upload()), ("civil", upload("khai-sinh.pdf"))] if dossier is None else dossier,
    )
    args.update(extra)
    return services.correct(actor(world, "p1_staff"), diploma, **args)


def test_a_correction_records_only_what_changes_and_keeps_old_and_new_in_history(world):
    diploma = one_diploma(world)
    correction = correct(
        world,
        diploma,
        {"full_name": "Học Sinh Thứ Một", "birth_date": dt.date(2011, 3, 5), "sex": "F", "ethnicity": "Tày"},
    )
    assert correction.changes == {
        "full_name": ["Học Sinh Thứ 01", "Học Sinh Thứ Một"],
        "birth_date": ["2011-03-04", "2011-03-05"],
    }
    diploma.refresh_from_db()
    assert (diploma.full_name, diploma.birth_date, diploma.status) == (
        "Học Sinh Thứ Một",
        dt.date(2011, 3, 5),
        DiplomaStatus.CORRECTED,
    )
    assert diploma.search_key == "hoc sinh thu mot"
    latest = diploma.history.order_by("-history_id").first()
    delta = {c.field: (c.old, c.new) for c in latest.diff_against(latest.prev_record).changes}
    assert delta["full_name"] == ("Học Sinh Thứ 01", "Học Sinh Thứ Một")
    assert delta["status"] == ("valid", "corrected")
    assert latest.history_change_reason == "Chỉnh sửa theo QĐ 7/QĐ-UBND ngày 02/10/2026"
    files = list(DossierFile.objects.filter(correction=correction).select_related("file").order_by("kind"))
    assert [(f.kind, f.file.name, f.file.unit_id) for f in files] == [
        ("civil", "khai-sinh.pdf", world.phong1.pk),
        ("request", "don-de-nghi.pdf", world.phong1.pk),
    ]


@pytest.mark.parametrize(
    ("values", "dossier", "extra", "field"),
    [
        ({"full_name": "Tên Mới"}, [], {}, "dossier"),  # a dossier is required
        ({"full_name": "Tên Mới"}, [("request", upload("don.pdf", b"not a pdf"))], {}, "dossier"),  # checked content
        ({"full_name": "Tên Mới"}, [("request", upload("don.exe", PDF))], {}, "dossier"),
        ({"full_name": "Học Sinh Thứ 01"}, None, {}, "__all__"),  # nothing differs
        ({"serial": "B 1"}, None, {}, "serial"),  # not a correctable field
        ({"full_name": "Tên Mới"}, None, {"ground": "whim"}, "ground"),
        ({"full_name": "Tên Mới"}, None, {"reason": " "}, "reason"),
        ({"full_name": "Tên Mới"}, None, {"decision_date": dt.date(2026, 7, 1)}, "decision_date"),  # before issue
        ({"sex": "X"}, None, {}, "sex"),
    ],
)
def test_a_bad_correction_saves_nothing(world, values, dossier, extra, field):
    diploma = one_diploma(world)
    with pytest.raises(ValidationError) as refused:
        correct(world, diploma, values, dossier, **extra)
    if field == "__all__":
        assert not hasattr(refused.value, "error_dict") and "không có gì để chỉnh sửa" in refused.value.messages[0]
    else:
        assert field in refused.value.message_dict
    diploma.refresh_from_db()
    assert diploma.full_name == "Học Sinh Thứ 01" and diploma.status == DiplomaStatus.VALID
    assert not DiplomaCorrection.objects.exists() and not DossierFile.objects.exists()


# --- copies -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("relation", "deceased", "authorisation", "refused"),
    [
        ("holder", False, "", None),
        ("representative", False, "Giấy ủy quyền số 12 ngày 01/11/2026", None),
        ("representative", False, "", "authorisation"),
        ("parent", False, "", "relation"),
        ("parent", True, "", None),
        ("child", True, "", None),
        ("spouse", False, "", "relation"),
        ("sibling", True, "", None),
        ("heir", False, "", "relation"),
        ("heir", True, "", None),
        ("neighbour", False, "", "relation"),
    ],
)
def test_who_may_ask_for_a_copy_from_the_register(world, relation, deceased, authorisation, refused):
    diploma = one_diploma(world)

    def ask():
        return services.issue_copy(
            actor(world, "p1_staff"),
            diploma,
            requester_name="Người Yêu Cầu",
            relation=relation,
            requester_id_number="001089 012345",
            authorisation=authorisation,
            holder_deceased=deceased,
            issued_on=dt.date(2026, 11, 2),
        )

    if refused is None:
        copy = ask()
        assert (copy.number_label, copy.requester_id_number) == ("00001/BS-THCS/2026", "001089012345")
    else:
        with pytest.raises(ValidationError) as error:
            ask()
        assert refused in error.value.message_dict
        assert not DiplomaCopy.objects.exists()


def test_copies_are_numbered_in_the_copy_book_per_year(world):
    diploma = one_diploma(world)
    keeper = actor(world, "p1_staff")
    labels = [
        services.issue_copy(
            keeper, diploma, requester_name="X", relation="holder", requester_id_number="1", issued_on=day, quantity=2
        ).number_label
        for day in (dt.date(2026, 8, 1), dt.date(2026, 9, 1))
    ]
    assert labels == ["00001/BS-THCS/2026", "00002/BS-THCS/2026"]
    # the original register's numbers are untouched by copies
    assert RegisterCounter.objects.get(issuer=diploma.issuer, book="original").last_number == 1
    with pytest.raises(ValidationError) as refused:
        services.issue_copy(keeper, diploma, requester_name="X", relation="holder", requester_id_number="1", quantity=0)
    assert "quantity" in refused.value.message_dict


# --- revocation -------------------------------------------------------------------------------------------------------


def revoke(world, diploma, who="p1_staff"):
    return services.revoke(
        actor(world, who),
        diploma,
        reason="fraud",
        detail="Dùng học bạ giả để xét tốt nghiệp",
        decision_number="99/QĐ-UBND",
        decision_date=dt.date(2026, 11, 1),
        decision_signer="Chủ tịch Lê Văn Chủ Tịch",
    )


def test_a_revoked_diploma_is_revoked_once_and_cannot_be_copied_or_corrected(world):
    diploma = one_diploma(world)
    revocation = revoke(world, diploma)
    diploma.refresh_from_db()
    assert diploma.is_revoked and diploma.status == DiplomaStatus.REVOKED
    assert revocation.recorded_by == actor(world, "p1_staff").user
    assert diploma.history.order_by("-history_id").first().history_change_reason.startswith("Thu hồi theo QĐ 99")
    with pytest.raises(ValidationError, match="đã bị thu hồi"):
        revoke(world, diploma)
    with pytest.raises(ValidationError, match="đã bị thu hồi"):
        services.issue_copy(
            actor(world, "p1_staff"), diploma, requester_name="X", relation="holder", requester_id_number="1"
        )
    with pytest.raises(ValidationError, match="đã bị thu hồi"):
        correct(world, diploma, {"full_name": "Tên Khác"})
    assert DiplomaRevocation.objects.count() == 1
    assert not DiplomaCopy.objects.exists() and not DiplomaCorrection.objects.exists()


@pytest.mark.parametrize("who", ["a_principal", "a_teacher", "b_principal"])
def test_only_the_keepers_correct_copy_and_revoke(world, who):
    diploma = one_diploma(world)
    with pytest.raises(PermissionDenied):
        revoke(world, diploma, who=who)
    with pytest.raises(PermissionDenied):
        services.issue_copy(actor(world, who), diploma, requester_name="X", relation="holder", requester_id_number="1")
    assert not DiplomaRevocation.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reason": "dislike"}, "reason"),
        ({"decision_number": ""}, "decision_number"),
        ({"decision_date": dt.date(2026, 7, 1)}, "decision_date"),  # before the issue date
        ({"decision_signer": ""}, "decision_signer"),
    ],
)
def test_a_bad_revocation_names_the_field(world, change, field):
    diploma = one_diploma(world)
    values = dict(reason="altered", decision_number="1/QĐ", decision_date=dt.date(2026, 11, 1), decision_signer="X")
    values.update(change)
    with pytest.raises(ValidationError) as refused:
        services.revoke(actor(world, "p1_staff"), diploma, **values)
    assert field in refused.value.message_dict
    diploma.refresh_from_db()
    assert not diploma.is_revoked


# --- issuers ----------------------------------------------------------------------------------------------------------


def test_admins_create_issuers_in_their_subtree(world):
    issuer = services.create_issuer(
        actor(world, "p1_admin"),
        unit=world.phong1,
        name=" Chủ tịch UBND xã Đồng Tâm ",
        signer_title="Chủ tịch",
        signer_name="Lê Văn Chủ Tịch",
        kinds=["thcs"],
        covers=[world.a.school],
    )
    assert issuer.name == "Chủ tịch UBND xã Đồng Tâm" and list(issuer.covers.all()) == [world.a.school]
    assert issuer.history.get().history_user == actor(world, "p1_admin").user


@pytest.mark.parametrize(
    ("who", "values", "refusal"),
    [
        ("p1_staff", {}, PermissionDenied),  # staff read issuers, admins write them
        ("a_teacher", {}, PermissionDenied),
        ("p1_admin", {"unit": "phong2"}, ValidationError),
        ("p1_admin", {"covers": "b"}, ValidationError),
        ("p1_admin", {"kinds": []}, ValidationError),
        ("p1_admin", {"kinds": ["bachelor"]}, ValidationError),
        ("p1_admin", {"signer_name": ""}, ValidationError),
    ],
)
def test_issuer_refusals(world, who, values, refusal):
    args = dict(unit=world.phong1, name="Cơ quan", signer_title="Chủ tịch", signer_name="Lê Văn", kinds=["thcs"])
    if values.get("unit") == "phong2":
        values = {"unit": world.phong2}
    if values.get("covers") == "b":
        values = {"covers": [world.b.school]}
    args.update(values)
    with pytest.raises(refusal):
        services.create_issuer(actor(world, who), **args)
    assert not Issuer.objects.exists()


def test_the_same_name_twice_in_one_unit_is_refused(world):
    phong_issuer(world)
    with pytest.raises(ValidationError) as refused:
        services.create_issuer(
            actor(world, "p1_admin"),
            unit=world.phong1,
            name="Chủ tịch UBND xã Đồng Tâm",
            signer_title="Chủ tịch",
            signer_name="A",
            kinds=["thcs"],
        )
    assert "name" in refused.value.message_dict
