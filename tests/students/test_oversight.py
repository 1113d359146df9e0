"""Oversight for Sở/Phòng and a school's leaders (issue 6, point 4): grade-entry completion per school,
grade, class and subject ("who has not submitted, by deadline"), distributions of approved results, the
xlsx exports and the API — each only over the actor's subtree, in a constant number of queries."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from sms.accounts.roles import Role
from sms.exports import xlsx
from sms.org.models import SchoolClass, Subject
from sms.org.rules import SchoolType
from students import rules, stats
from students.models import Enrolment, EntryDeadline, Period, ResultStatus, ScoreSheet, SheetStatus, TermResult
from teachers.models import TeachingAssignment
from tests.makers import students as makers
from tests.makers import teachers as staff_makers
from tests.world import api_client, make_school, web_client

YEAR = 2026
COMPLETION = reverse("students:oversight-completion")
RESULTS = reverse("students:oversight-results")
API_COMPLETION = "/api/students/oversight/completion/"
API_RESULTS = "/api/students/oversight/results/"


def school_url(school) -> str:
    return reverse("students:oversight-completion-school", kwargs={"pk": school.pk})


def semester(side, number=1):
    return side.year.semesters.get(number=number)


def subject(side, code, name):
    return Subject.objects.create(school=side.school, code=code, name=name, assessment="scored")


def klass(side, grade, name):
    return SchoolClass.objects.create(school=side.school, school_year=side.year, grade=grade, name=name)


def assign(side, school_class, subj, teacher, number=1):
    return TeachingAssignment.objects.create(
        school=side.school, semester=semester(side, number), school_class=school_class, subject=subj, teacher=teacher
    )


def open_sheet(side, school_class, subj, status, number=1):
    columns = rules.sheet_columns(
        rules.RuleSet.TT22, assessment="scored", periods_per_year=70, grade=school_class.grade, subject_code="",
        semester=number,
    )  # fmt: skip
    return ScoreSheet.objects.create(
        school=side.school,
        semester=semester(side, number),
        school_class=school_class,
        subject=subj,
        rule_set=rules.RuleSet.TT22,
        columns=ScoreSheet.freeze_columns(columns),
        status=status,
    )


def build_sheets(world):
    """School A, semester I: class 6A1 — Toán approved, Ngữ văn submitted, Tiếng Anh draft, Lịch sử never
    opened, KHTN checked, Tin học opened by the school without an assignment (draft); class 7A1 — Toán not
    opened. All grades' deadline was yesterday, grade 7's own is tomorrow. A semester-II assignment does
    not count. School B: one approved sheet."""
    a, b = world.a, world.b
    today = timezone.localdate()
    an = staff_makers.staff(a)
    an.full_name = "Phạm Thị Lan"
    an.save()
    binh = staff_makers.staff(a)
    binh.full_name = "Đỗ Văn Bình"
    binh.save()
    van, anh = subject(a, "van", "Ngữ văn"), subject(a, "anh", "Tiếng Anh")
    su, khtn, tin = subject(a, "su", "Lịch sử"), subject(a, "khtn", "Khoa học tự nhiên"), subject(a, "tin", "Tin học")
    k6, k7 = a.klass, klass(a, 7, "7A1")
    for subj, status in ((a.subject, SheetStatus.APPROVED), (van, SheetStatus.SUBMITTED), (anh, SheetStatus.DRAFT),
                         (khtn, SheetStatus.CHECKED)):  # fmt: skip
        assign(a, k6, subj, an if subj is not anh else binh)
        open_sheet(a, k6, subj, status)
    assign(a, k6, su, binh)
    open_sheet(a, k6, tin, SheetStatus.DRAFT)
    assign(a, k7, a.subject, binh)
    assign(a, k6, van, an, number=2)
    EntryDeadline.objects.create(school=a.school, semester=semester(a), closes_on=today - dt.timedelta(days=1))
    EntryDeadline.objects.create(school=a.school, semester=semester(a), grade=7, closes_on=today + dt.timedelta(days=1))
    assign(b, b.klass, b.subject, staff_makers.staff(b))
    open_sheet(b, b.klass, b.subject, SheetStatus.APPROVED)


def actor(world, membership):
    return world.actor(membership)


def rows_of(report):
    return {r.school.name: r.completion for r in report.schools}


# --- completion: who sees what, and the counts ---------------------------------------------------------


def test_completion_counts_every_stage_unopened_and_overdue(world):
    build_sheets(world)
    report = stats.completion_report(actor(world, world.members["so_staff"]), YEAR, 1)
    a = rows_of(report)[world.a.school.name]
    assert a.expected == 7
    assert a.counts == {
        "not_opened": 2,
        SheetStatus.DRAFT: 2,
        SheetStatus.SUBMITTED: 1,
        SheetStatus.CHECKED: 1,
        SheetStatus.APPROVED: 1,
    }
    assert a.approved_percent == Decimal("14.3")
    # Tiếng Anh (draft), Lịch sử (never opened) and Tin học (draft) of grade 6 are past the all-grades
    # deadline; 7A1's Toán has its own grade-7 deadline tomorrow; submitted/checked sheets are never overdue
    assert a.overdue == 3
    b = rows_of(report)[world.b.school.name]
    assert (b.expected, b.approved, b.approved_percent, b.overdue) == (1, 1, Decimal("100.0"), 0)
    assert report.grades[6].expected == 7 and report.grades[7].expected == 1
    assert report.grades[7].overdue == 0
    assert report.total.expected == 8


def test_semester_two_counts_only_its_own_assignments(world):
    build_sheets(world)
    report = stats.completion_report(actor(world, world.members["so_staff"]), YEAR, 2)
    a = rows_of(report)[world.a.school.name]
    assert (a.expected, a.counts["not_opened"], a.overdue) == (1, 1, 0)


def test_phong_sees_its_subtree_only_and_so_sees_both(world):
    build_sheets(world)
    html = web_client(world.members["phong1_staff"]).get(COMPLETION + "?nam=2026&hoc_ky=1").content.decode()
    assert world.a.school.name in html and world.b.school.name not in html
    html = web_client(world.members["so_admin"]).get(COMPLETION + "?nam=2026&hoc_ky=1").content.decode()
    assert world.a.school.name in html and world.b.school.name in html
    data = api_client(world.members["phong1_admin"]).get(API_COMPLETION, {"nam": 2026, "hoc_ky": 1}).json()
    assert [s["name"] for s in data["schools"]] == [world.a.school.name]
    assert data["totals"]["expected"] == 7


def test_principal_sees_own_school_and_other_school_drilldown_is_404(world):
    build_sheets(world)
    client = web_client(world.a.m(Role.PRINCIPAL))
    response = client.get(COMPLETION + "?nam=2026&hoc_ky=1")
    assert response.status_code == 200
    html = response.content.decode()
    assert world.a.school.name in html and world.b.school.name not in html
    assert client.get(school_url(world.b.school)).status_code == 404
    assert client.get(school_url(world.a.school)).status_code == 200
    assert web_client(world.members["phong1_admin"]).get(school_url(world.b.school)).status_code == 404
    api = api_client(world.a.m(Role.PRINCIPAL))
    assert api.get(f"/api/students/oversight/completion/schools/{world.b.school.pk}/").status_code == 404


@pytest.mark.parametrize("role", [Role.TEACHER, Role.CLERK, Role.STUDENT, Role.PARENT])
def test_teachers_clerks_and_learners_are_refused(world, role):
    membership = world.a.m(role)
    web, api = web_client(membership), api_client(membership)
    assert web.get(COMPLETION).status_code == 403
    assert web.get(RESULTS).status_code == 403
    assert api.get(API_COMPLETION).status_code == 403
    assert api.get(API_RESULTS).status_code == 403
    # the school drill-down: the door first (learners reach no unit: 404), then the role (staff: 403)
    expected = 404 if role in (Role.STUDENT, Role.PARENT) else 403
    assert web.get(school_url(world.a.school)).status_code == expected


def test_refused_inside_the_selector_too(world):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        stats.completion_report(actor(world, world.a.m(Role.TEACHER)), YEAR, 1)
    with pytest.raises(PermissionDenied):
        stats.results_report(actor(world, world.a.m(Role.TEACHER)), YEAR, Period.YEAR)


def test_drilldown_lists_who_has_not_submitted_by_deadline(world):
    build_sheets(world)
    client = web_client(world.members["phong1_staff"])
    html = client.get(school_url(world.a.school) + "?nam=2026&hoc_ky=1").content.decode()
    assert "Lớp 6A1" in html and "Lớp 7A1" in html
    assert "Phạm Thị Lan" in html and "Đỗ Văn Bình" in html
    assert "Chưa nhập" in html and "Đã duyệt" in html and "(chưa phân công)" in html
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).strftime("%d/%m/%Y")
    assert yesterday in html and "<strong>Quá hạn</strong>" in html

    lines = stats.sheet_lines(
        actor(world, world.members["phong1_staff"]), YEAR, 1, school=world.a.school, unsubmitted_only=True
    )
    got = {(ln.class_name, ln.subject_name): (ln.teacher, ln.stage, ln.overdue) for ln in lines}
    assert got == {
        ("6A1", "Tiếng Anh"): ("Đỗ Văn Bình", SheetStatus.DRAFT, True),
        ("6A1", "Lịch sử"): ("Đỗ Văn Bình", "not_opened", True),
        ("6A1", "Tin học"): ("", SheetStatus.DRAFT, True),
        ("7A1", "Toán"): ("Đỗ Văn Bình", "not_opened", False),
    }
    filtered = client.get(school_url(world.a.school) + "?nam=2026&hoc_ky=1&chua_nop=on").content.decode()
    assert "Tiếng Anh" in filtered and "Ngữ văn" not in filtered

    api = api_client(world.members["phong1_staff"])
    data = api.get(f"/api/students/oversight/completion/schools/{world.a.school.pk}/", {"hoc_ky": 1}).json()
    assert data["totals"]["expected"] == 7 and data["totals"]["overdue"] == 3
    six = next(c for c in data["classes"] if c["name"] == "6A1")
    english = next(ln for ln in six["lines"] if ln["subject_name"] == "Tiếng Anh")
    assert english["teacher"] == "Đỗ Văn Bình" and english["overdue"] is True and english["status"] == "draft"


def test_unsubmitted_filter_and_sort_by_percent(world):
    build_sheets(world)
    client = web_client(world.members["so_staff"])
    html = client.get(COMPLETION + "?nam=2026&hoc_ky=1&chua_nop=on").content.decode()
    assert world.a.school.name in html and world.b.school.name not in html
    html = client.get(COMPLETION + "?nam=2026&hoc_ky=1&sap_xep=-ty-le").content.decode()
    assert html.index(world.b.school.name) < html.index(world.a.school.name)
    html = client.get(COMPLETION + "?nam=2026&hoc_ky=1&sap_xep=ty-le").content.decode()
    assert html.index(world.a.school.name) < html.index(world.b.school.name)
    assert "14,3 %" in html


def test_within_a_unit_and_a_school_straight_under_the_so(world):
    """The hierarchy is data: a school directly under the Sở is in the Sở's reach; ``don_vi`` narrows."""
    build_sheets(world)
    direct = make_school(world.so, "C2D", "Trường THCS Đông Hải")
    assign(direct, direct.klass, direct.subject, staff_makers.staff(direct))
    so = actor(world, world.members["so_admin"])
    names = set(rows_of(stats.completion_report(so, YEAR, 1)))
    assert names == {world.a.school.name, world.b.school.name, "Trường THCS Đông Hải"}
    names = set(rows_of(stats.completion_report(so, YEAR, 1, within=world.phong2)))
    assert names == {world.b.school.name}
    html = web_client(world.members["so_admin"]).get(COMPLETION + f"?don_vi={world.phong1.pk}").content.decode()
    assert world.a.school.name in html and world.b.school.name not in html
    # a Phòng cannot pick a unit outside its subtree
    response = web_client(world.members["phong1_admin"]).get(COMPLETION + f"?don_vi={world.phong2.pk}")
    assert response.status_code == 200
    assert "Thuộc đơn vị" in response.content.decode() and world.b.school.name not in response.content.decode()


def test_bad_parameters_give_a_message_not_an_error(world):
    response = web_client(world.members["so_admin"]).get(COMPLETION + "?nam=abc&hoc_ky=7")
    assert response.status_code == 200
    assert "Năm học:" in response.content.decode() and "Học kỳ:" in response.content.decode()
    response = api_client(world.members["so_admin"]).get(API_COMPLETION, {"hoc_ky": 7})
    assert response.status_code == 400 and "hoc_ky" in response.json().__repr__()


def test_completion_export_has_school_grade_and_unsubmitted_sheets(world):
    build_sheets(world)
    response = web_client(world.members["so_staff"]).get(COMPLETION + "?nam=2026&hoc_ky=1&xlsx=1")
    assert response.status_code == 200 and response["Content-Type"] == xlsx.CONTENT_TYPE
    schools = {r["Trường"]: r for _, r in xlsx.read_rows(response.content, sheet="Theo trường")}
    assert schools[world.a.school.name]["Số bảng điểm phải nhập"] == 7
    assert schools[world.a.school.name]["Quá hạn chưa gửi"] == 3
    assert schools[world.a.school.name]["Tỉ lệ đã duyệt (%)"] == pytest.approx(14.3)
    assert schools["Cộng"]["Số bảng điểm phải nhập"] == 8
    grades = {r["Khối"]: r for _, r in xlsx.read_rows(response.content, sheet="Theo khối")}
    assert grades[6]["Chưa nhập"] == 1 and grades[7]["Chưa nhập"] == 1
    missing = [r for _, r in xlsx.read_rows(response.content, sheet="Chưa gửi")]
    assert {(r["Lớp"], r["Môn học"], r["Giáo viên bộ môn"], r["Quá hạn"] or "") for r in missing} == {
        ("6A1", "Tiếng Anh", "Đỗ Văn Bình", "Quá hạn"),
        ("6A1", "Lịch sử", "Đỗ Văn Bình", "Quá hạn"),
        ("6A1", "Tin học", "(chưa phân công)", "Quá hạn"),
        ("7A1", "Toán", "Đỗ Văn Bình", ""),
    }
    deadline = next(r["Hạn nhập điểm"] for r in missing if r["Môn học"] == "Tiếng Anh")
    assert deadline == timezone.localdate() - dt.timedelta(days=1)
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Theo trường", "Theo khối", "Chưa gửi"]

    school = web_client(world.members["so_staff"]).get(school_url(world.a.school) + "?hoc_ky=1&xlsx=1")
    assert school.status_code == 200
    assert len(list(xlsx.read_rows(school.content))) == 7


# --- distributions of approved results ------------------------------------------------------------------


def result(side, *, learning="", conduct="", status=ResultStatus.APPROVED, period=Period.YEAR, rule_set=None, **extra):
    enrolment = makers.enrolment(side)
    return TermResult.objects.create(
        school=side.school,
        enrolment=enrolment,
        period=period,
        rule_set=rule_set or rules.RuleSet.TT22,
        learning=learning,
        conduct=conduct,
        status=status,
        **extra,
    )


def build_results(world):
    """School A, year results: approved Tốt/Tốt, Tốt/Tốt, Khá/Khá, Đạt/Tốt, and Chưa đạt re-assessed Đạt after
    the summer re-tests (conduct Đạt); two results not approved; a HK I result. School B: one approved Khá."""
    a = world.a
    for learning, conduct in (("tot", "tot"), ("tot", "tot"), ("kha", "kha"), ("dat", "tot")):
        result(a, learning=learning, conduct=conduct)
    result(a, learning="chua_dat", learning_after_retest="dat", conduct="dat")
    result(a, learning="tot", conduct="tot", status=ResultStatus.COMPUTED)
    result(a, learning="tot", conduct="tot", status=ResultStatus.COMPUTED)
    result(a, learning="chua_dat", conduct="chua_dat", period=Period.SEMESTER_1)
    result(world.b, learning="kha", conduct="tot")


def test_distribution_counts_and_percentages_of_approved_results_only(world):
    build_results(world)
    report = stats.results_report(actor(world, world.members["so_staff"]), YEAR, Period.YEAR)
    learning, conduct = report.tables
    assert learning.levels == list(rules.Level.choices)
    a = next(r for r in learning.schools if r.name == world.a.school.name)
    assert (a.approved, a.unapproved, a.unclassified) == (5, 2, 0)
    assert a.counts == {"tot": 2, "kha": 1, "dat": 2, "chua_dat": 0}
    assert a.percents == {
        "tot": Decimal("40.0"),
        "kha": Decimal("20.0"),
        "dat": Decimal("40.0"),
        "chua_dat": Decimal("0.0"),
    }
    a_conduct = next(r for r in conduct.schools if r.name == world.a.school.name)
    assert a_conduct.counts == {"tot": 3, "kha": 1, "dat": 1, "chua_dat": 0}
    assert learning.total.approved == 6 and learning.total.counts["kha"] == 2
    (six,) = learning.grades
    assert six.name == "Khối 6" and six.approved == 6 and six.unapproved == 2
    semester = stats.results_report(actor(world, world.members["so_staff"]), YEAR, Period.SEMESTER_1)
    assert semester.tables[0].total.counts["chua_dat"] == 1 and semester.tables[0].total.approved == 1


def test_distribution_page_phong_scope_and_labels(world):
    build_results(world)
    html = web_client(world.members["phong1_staff"]).get(RESULTS + "?nam=2026&ky=cn").content.decode()
    assert world.a.school.name in html and world.b.school.name not in html
    assert "Kết quả học tập – Thông tư 22/2021" in html and "Kết quả rèn luyện – Thông tư 22/2021" in html
    assert "<td>40,0</td>" in html and "<td>20,0</td>" in html
    data = api_client(world.members["so_admin"]).get(API_RESULTS, {"nam": 2026, "ky": "cn"}).json()
    learning = data["tables"][0]
    assert learning["dimension"] == "learning"
    assert {r["name"] for r in learning["schools"]} == {world.a.school.name, world.b.school.name}
    a = next(r for r in learning["schools"] if r["name"] == world.a.school.name)
    assert a["percents"]["tot"] == "40.0" and a["unapproved"] == 2


def test_primary_results_have_their_own_levels(world):
    primary = make_school(world.phong1, "C1C", "Trường Tiểu học Cẩm Phả", SchoolType.C1)
    result(primary, learning="htt", rule_set=rules.RuleSet.TT27)
    result(primary, learning="ht", rule_set=rules.RuleSet.TT27)
    report = stats.results_report(actor(world, world.members["phong1_admin"]), YEAR, Period.YEAR)
    (table,) = report.tables  # no conduct table in primary
    assert table.title == "Kết quả học tập – Tiểu học (Thông tư 27/2020)"
    assert [label for _, label in table.levels] == [
        "Hoàn thành xuất sắc",
        "Hoàn thành tốt",
        "Hoàn thành",
        "Chưa hoàn thành",
    ]
    assert table.total.counts == {"htxs": 0, "htt": 1, "ht": 1, "cht": 0}
    assert table.total.percents["htt"] == Decimal("50.0")


def test_results_export_has_school_and_grade_rows(world):
    build_results(world)
    response = web_client(world.members["so_admin"]).get(RESULTS + "?nam=2026&ky=cn&xlsx=1")
    assert response.status_code == 200 and response["Content-Type"] == xlsx.CONTENT_TYPE
    names = load_workbook(io.BytesIO(response.content)).sheetnames
    assert names[:4] == ["HT TT22 theo trường", "HT TT22 theo khối", "RL TT22 theo trường", "RL TT22 theo khối"]
    schools = {r["Trường"]: r for _, r in xlsx.read_rows(response.content, sheet="HT TT22 theo trường")}
    assert schools[world.a.school.name]["Tốt (SL)"] == 2
    assert schools[world.a.school.name]["Tốt (%)"] == pytest.approx(40.0)
    assert schools[world.a.school.name]["Chưa duyệt"] == 2
    assert schools["Cộng"]["Số HS đã duyệt"] == 6
    grades = {r["Khối"]: r for _, r in xlsx.read_rows(response.content, sheet="HT TT22 theo khối")}
    assert grades["Khối 6"]["Đạt (SL)"] == 2
    detail = [r for _, r in xlsx.read_rows(response.content, sheet="Trường – khối")]
    assert {"Trường": world.b.school.name, "Khối": 6, "Mức": "Khá"}.items() <= next(
        r
        for r in detail
        if r["Trường"] == world.b.school.name and r["Mức"] == "Khá" and r["Nội dung"] == "Kết quả học tập"
    ).items()


# --- a constant number of queries, whatever the number of schools ------------------------------------------


def add_school(world, parent, code, n_classes=2):
    side = make_school(parent, code, f"Trường THCS {code}")
    teacher = staff_makers.staff(side)
    van = subject(side, "van", "Ngữ văn")
    classes = [side.klass, *[klass(side, 6 + i % 4, f"{6 + i % 4}B{i}") for i in range(1, n_classes)]]
    for k in classes:
        for subj, status in ((side.subject, SheetStatus.APPROVED), (van, None)):
            assign(side, k, subj, teacher)
            if status:
                open_sheet(side, k, subj, status)
        enrolment = Enrolment.objects.create(
            school=side.school, student=makers.student(side), school_year=side.year, school_class=k
        )
        TermResult.objects.create(
            school=side.school, enrolment=enrolment, period=Period.YEAR, rule_set=rules.RuleSet.TT22,
            learning="kha", conduct="tot", status=ResultStatus.APPROVED,
        )  # fmt: skip
    EntryDeadline.objects.create(school=side.school, semester=semester(side), closes_on=dt.date(2026, 12, 1))
    return side


def _count(fn) -> int:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


def test_query_count_does_not_grow_with_schools_and_classes(world):
    build_sheets(world)
    build_results(world)
    so = actor(world, world.members["so_admin"])
    client = web_client(world.members["so_admin"])
    api = api_client(world.members["so_admin"])

    def measure():
        return (
            _count(lambda: stats.completion_report(so, YEAR, 1)),
            _count(lambda: stats.sheet_lines(so, YEAR, 1, unsubmitted_only=True)),
            _count(lambda: stats.results_report(so, YEAR, Period.YEAR)),
            _count(lambda: client.get(COMPLETION + "?nam=2026&hoc_ky=1")),
            _count(lambda: client.get(COMPLETION + "?nam=2026&hoc_ky=1&xlsx=1")),
            _count(lambda: client.get(RESULTS + "?nam=2026&ky=cn")),
            _count(lambda: client.get(school_url(world.a.school) + "?nam=2026&hoc_ky=1")),
            _count(lambda: api.get(API_COMPLETION, {"nam": 2026, "hoc_ky": 1})),
        )

    measure()  # the first request of a session does its own bookkeeping
    small = measure()
    assert small[:3] == (4, 3, 2)
    add_school(world, world.phong1, "X1", n_classes=4)
    add_school(world, world.phong2, "X2", n_classes=3)
    add_school(world, world.so, "X3", n_classes=5)  # straight under the Sở
    for c in (6, 7):  # more classes in the drilled-down school too
        k = klass(world.a, c, f"{c}C9")
        assign(world.a, k, world.a.subject, staff_makers.staff(world.a))
    large = measure()
    assert large == small
    report = stats.completion_report(so, YEAR, 1)
    assert len(report.schools) == 5 and report.total.expected == 8 + 2 + 8 + 6 + 10
