"""The approval lifecycle of a grade-book sheet: submit → check → approve, return, unlock
requests, learners' visibility, entry deadlines (issue 5, acceptance 6)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from sms.accounts.roles import Role
from sms.accounts.scoping import visible_to
from students import rules
from students.models import (
    EntryDeadline,
    Exemption,
    Period,
    ResultStatus,
    Score,
    ScoreSheet,
    SheetStatus,
    SubjectResult,
    TermResult,
    UnlockRequest,
    UnlockStatus,
)
from students.selectors import deadline_for
from students.services import gradebook
from students.services import workflow as wf
from students.services.workflow import WorkflowError
from tests.makers import students as makers
from tests.world import api_client, web_client

from .test_workflow_setup import build_book


@pytest.fixture
def book(world):
    return build_book(world)


def _history_count(sheet) -> int:
    return ScoreSheet.history.filter(id=sheet.pk).count()


# --- every transition, allowed or refused, by role and state --------------------------------------------

D, S, C, A = SheetStatus.DRAFT, SheetStatus.SUBMITTED, SheetStatus.CHECKED, SheetStatus.APPROVED

TRANSITIONS = {
    "submit": lambda actor, sheet: wf.submit(actor, sheet),
    "check": lambda actor, sheet: wf.check(actor, sheet),
    "return": lambda actor, sheet: wf.return_sheet(actor, sheet, "Thiếu điểm ĐĐGtx4 của em An"),
    "approve": lambda actor, sheet: wf.approve(actor, sheet),
}

# (transition, state before, who, expected: the state after, or the refusal's status)
TABLE = [
    ("submit", D, "subject_teacher", S),
    ("submit", D, "homeroom", 403),
    ("submit", D, "principal", 403),
    ("submit", D, "school_admin", 403),
    ("submit", D, "other_principal", 403),
    ("submit", S, "subject_teacher", 400),
    ("submit", A, "subject_teacher", 400),
    ("check", S, "homeroom", C),
    ("check", S, "subject_teacher", 403),
    ("check", S, "principal", 403),
    ("check", S, "clerk", 403),
    ("check", D, "homeroom", 400),
    ("check", C, "homeroom", 400),
    ("return", S, "homeroom", D),
    ("return", C, "homeroom", D),
    ("return", S, "principal", D),
    ("return", C, "principal", D),
    ("return", S, "subject_teacher", 403),
    ("return", C, "school_admin", 403),
    ("return", D, "principal", 400),
    ("return", A, "principal", 400),
    ("approve", C, "principal", A),
    ("approve", C, "homeroom", 403),
    ("approve", C, "school_admin", 403),
    ("approve", C, "subject_teacher", 403),
    ("approve", C, "other_principal", 403),
    ("approve", C, "phong_admin", 403),
    ("approve", S, "principal", 400),
    ("approve", A, "principal", 400),
]


@pytest.mark.parametrize(("name", "state", "who", "expected"), TABLE, ids=lambda v: str(v))
def test_transition_table(book, name, state, who, expected):
    book.fill()
    sheet = book.set_status(state)
    before = _history_count(sheet)
    if isinstance(expected, int):
        with pytest.raises(WorkflowError) as caught:
            TRANSITIONS[name](book.actor(who), sheet)
        assert caught.value.status == expected
        assert caught.value.message  # a sentence for the user
        sheet.refresh_from_db()
        assert sheet.status == state
        assert _history_count(sheet) == before
    else:
        TRANSITIONS[name](book.actor(who), sheet)
        sheet.refresh_from_db()
        assert sheet.status == expected
        last = ScoreSheet.history.filter(id=sheet.pk).latest("history_date")
        assert _history_count(sheet) == before + 1
        assert last.history_user == book.actor(who).user
        assert last.history_membership_id == book.actor(who).membership.pk


def test_the_whole_lifecycle_records_who_and_when(book):
    book.fill()
    wf.submit(book.actor("subject_teacher"), book.sheet)
    wf.check(book.actor("homeroom"), book.sheet)
    sheet = wf.approve(book.actor("principal"), book.sheet)
    sheet.refresh_from_db()
    assert sheet.is_locked
    assert sheet.submitted_by == book.actor("subject_teacher").user
    assert sheet.checked_by == book.actor("homeroom").user
    assert sheet.approved_by == book.actor("principal").user
    assert sheet.submitted_at and sheet.checked_at and sheet.approved_at
    statuses = list(ScoreSheet.history.filter(id=sheet.pk).order_by("history_date").values_list("status", flat=True))
    assert statuses[-3:] == [S, C, A]


def test_return_keeps_the_note_and_the_teacher_can_enter_again(book):
    book.fill()
    wf.submit(book.actor("subject_teacher"), book.sheet)
    with pytest.raises(WorkflowError, match="lý do trả lại"):
        wf.return_sheet(book.actor("homeroom"), book.sheet, "   ")
    wf.return_sheet(book.actor("homeroom"), book.sheet, "Em An thiếu điểm giữa kỳ")
    book.sheet.refresh_from_db()
    assert book.sheet.status == D
    assert wf.return_note(book.sheet) == "Em An thiếu điểm giữa kỳ"
    reply = book.fill(cells={"gk": "7"})
    assert reply["saved"] == len(book.enrolments)


def test_submitting_names_learners_with_missing_cells(book):
    first, second, third = book.enrolments
    book.fill([first, third])
    book.fill([second], cells={"tx1": "8", "tx2": "8", "tx3": "8", "tx4": "8"})  # no gk, no ck
    with pytest.raises(WorkflowError) as caught:
        wf.submit(book.actor("subject_teacher"), book.sheet)
    message = caught.value.message
    assert second.student.full_name in message
    assert "ĐĐGgk" in message and "ĐĐGck" in message
    assert first.student.full_name not in message
    book.sheet.refresh_from_db()
    assert book.sheet.status == D


def test_exempt_learners_and_those_who_left_do_not_block_submitting(book):
    first, exempt, gone = book.enrolments
    book.fill([first])
    Exemption.objects.create(school=book.side.school, enrolment=exempt, subject=book.side.subject, reason="Sức khoẻ")
    gone.left_on = dt.date(2026, 10, 1)
    gone.save()
    wf.submit(book.actor("subject_teacher"), book.sheet)
    book.sheet.refresh_from_db()
    assert book.sheet.status == S


def test_submitting_after_the_deadline_is_allowed_but_entering_is_not(book):
    book.fill()
    EntryDeadline.objects.create(
        school=book.side.school, semester=book.semester, grade=None, closes_on=dt.date(2026, 9, 30)
    )
    with pytest.raises(gradebook.SheetError):
        book.fill(cells={"gk": "8"})
    wf.submit(book.actor("subject_teacher"), book.sheet)
    book.sheet.refresh_from_db()
    assert book.sheet.status == S


def test_a_class_without_homeroom_teacher_is_checked_by_the_principal(book):
    klass = book.side.klass
    klass.homeroom_teacher = None
    klass.save()
    book.fill()
    wf.submit(book.actor("subject_teacher"), book.sheet)
    wf.check(book.actor("principal"), book.sheet)
    book.sheet.refresh_from_db()
    assert book.sheet.status == C


# --- approving, several at once ---------------------------------------------------------------------------


def test_approve_marks_the_semester_results_approved(book):
    book.fill()
    year_row = SubjectResult.objects.create(
        school=book.side.school, enrolment=book.learner, subject=book.side.subject, period=Period.YEAR, average="7.0"
    )
    book.set_status(C)
    wf.approve(book.actor("principal"), book.sheet)
    rows = SubjectResult.objects.filter(subject=book.side.subject, period=Period.SEMESTER_1)
    assert rows.count() == len(book.enrolments)
    assert set(rows.values_list("status", flat=True)) == {ResultStatus.APPROVED}
    assert {str(r.average) for r in rows} == {"7.0"}
    year_row.refresh_from_db()
    assert year_row.status == ResultStatus.COMPUTED  # the year's result is approved with the year results
    assert SubjectResult.history.filter(status=ResultStatus.APPROVED).count() == len(book.enrolments)


def test_approve_many_approves_only_checked_sheets_in_one_go(book):
    from sms.org.models import Subject, SubjectPlan

    from .test_workflow_setup import assign

    side = book.side
    extra = []
    for code, name in (("van", "Ngữ văn"), ("anh", "Tiếng Anh")):
        subject = Subject.objects.create(school=side.school, code=code, name=name, assessment="scored")
        SubjectPlan.objects.create(
            school=side.school, school_year=side.year, grade=side.klass.grade, subject=subject, periods_per_year=105
        )
        assign(side, side.m("teacher2"), book.semester, subject=subject)
        extra.append(gradebook.open_sheet(book.actor("subject_teacher"), side.klass, subject, book.semester))
    ScoreSheet.objects.filter(pk__in=[book.sheet.pk, extra[0].pk]).update(status=C)
    done = wf.approve_many(book.actor("principal"), ScoreSheet.objects.filter(school_class=side.klass))
    assert sorted(s.pk for s in done) == sorted([book.sheet.pk, extra[0].pk])
    statuses = dict(ScoreSheet.objects.filter(school_class=side.klass).values_list("pk", "status"))
    assert statuses == {book.sheet.pk: A, extra[0].pk: A, extra[1].pk: D}
    with pytest.raises(WorkflowError) as caught:
        wf.approve_many(book.actor("homeroom"), ScoreSheet.objects.filter(school_class=side.klass))
    assert caught.value.status == 403
    with pytest.raises(WorkflowError, match="Không có bảng điểm nào"):
        wf.approve_many(book.actor("principal"), ScoreSheet.objects.filter(school_class=side.klass))


def test_another_schools_principal_approves_nothing_of_ours(book):
    book.set_status(C)
    with pytest.raises(WorkflowError):
        wf.approve_many(book.actor("other_principal"), [book.sheet])
    book.sheet.refresh_from_db()
    assert book.sheet.status == C


# --- unlock requests ----------------------------------------------------------------------------------------


def _approved(book):
    book.fill()
    wf.submit(book.actor("subject_teacher"), book.sheet)
    wf.check(book.actor("homeroom"), book.sheet)
    wf.approve(book.actor("principal"), book.sheet)
    book.sheet.refresh_from_db()
    return book.sheet


def test_a_locked_sheet_refuses_saves_until_an_unlock_is_granted(book):
    sheet = _approved(book)
    with pytest.raises(gradebook.SheetError):
        book.fill(cells={"ck": "6"})
    term = TermResult.objects.create(
        school=book.side.school,
        enrolment=book.learner,
        period=Period.SEMESTER_1,
        rule_set=rules.RuleSet.TT22,
        learning="kha",
        status=ResultStatus.APPROVED,
    )
    other_term = TermResult.objects.create(
        school=book.side.school,
        enrolment=book.learner,
        period=Period.SEMESTER_2,
        rule_set=rules.RuleSet.TT22,
        learning="kha",
        status=ResultStatus.APPROVED,
    )
    request = wf.request_unlock(book.actor("subject_teacher"), sheet, "Nhập nhầm điểm cuối kỳ của em An")
    assert request.status == UnlockStatus.PENDING and request.requested_by == book.actor("subject_teacher").user
    assert UnlockRequest.history.filter(id=request.pk).count() == 1
    with pytest.raises(WorkflowError, match="đang chờ"):
        wf.request_unlock(book.actor("homeroom"), sheet, "Một lý do khác")
    with pytest.raises(WorkflowError) as caught:
        wf.decide_unlock(book.actor("homeroom"), request, grant=True)
    assert caught.value.status == 403
    wf.decide_unlock(book.actor("principal"), request, grant=True, note="Đồng ý")
    request.refresh_from_db()
    sheet.refresh_from_db()
    assert request.status == UnlockStatus.GRANTED and request.decided_by == book.actor("principal").user
    assert sheet.status == D and sheet.approved_at is None
    assert set(
        SubjectResult.objects.filter(period=Period.SEMESTER_1, subject=book.side.subject).values_list(
            "status", flat=True
        )
    ) == {ResultStatus.COMPUTED}
    term.refresh_from_db()
    other_term.refresh_from_db()
    assert term.status == ResultStatus.COMPUTED
    assert other_term.status == ResultStatus.APPROVED  # semester II is not touched by a semester-I sheet
    assert ScoreSheet.history.filter(id=sheet.pk, history_change_reason="Mở khoá theo đề nghị").exists()
    reply = book.fill([book.learner], cells={"ck": "6"})
    assert reply["saved"] == 1
    with pytest.raises(WorkflowError, match="đã được quyết định"):
        wf.decide_unlock(book.actor("principal"), request, grant=False, note="Muộn")


@pytest.mark.parametrize(
    ("who", "state", "reason", "expected"),
    [
        ("subject_teacher", A, "Nhập nhầm", None),
        ("homeroom", A, "Nhập nhầm", None),
        ("principal", A, "Nhập nhầm", 403),
        ("clerk", A, "Nhập nhầm", 403),
        ("other_principal", A, "Nhập nhầm", 403),
        ("subject_teacher", C, "Nhập nhầm", 400),
        ("subject_teacher", A, "  ", 400),
    ],
)
def test_who_may_ask_for_an_unlock(book, who, state, reason, expected):
    sheet = book.set_status(state)
    if expected is None:
        assert wf.request_unlock(book.actor(who), sheet, reason).pk
    else:
        with pytest.raises(WorkflowError) as caught:
            wf.request_unlock(book.actor(who), sheet, reason)
        assert caught.value.status == expected
        assert not UnlockRequest.objects.exists()


def test_refusing_needs_a_note_and_keeps_the_lock(book):
    sheet = book.set_status(A)
    request = wf.request_unlock(book.actor("subject_teacher"), sheet, "Nhập nhầm")
    with pytest.raises(WorkflowError, match="ý kiến"):
        wf.decide_unlock(book.actor("principal"), request, grant=False, note="")
    wf.decide_unlock(book.actor("principal"), request, grant=False, note="Điểm đúng với bài kiểm tra")
    request.refresh_from_db()
    sheet.refresh_from_db()
    assert request.status == UnlockStatus.REFUSED and sheet.status == A
    # a refused request no longer blocks a new one
    assert wf.request_unlock(book.actor("subject_teacher"), sheet, "Có minh chứng mới").pk


# --- what learners and parents see -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["student", "parent"])
def test_learners_see_scores_once_submitted_and_averages_once_approved(book, who):
    actor = book.actor(who)
    book.fill()
    mine = Score.objects.filter(enrolment=book.learner)
    assert not visible_to(actor, Score).exists()
    wf.submit(book.actor("subject_teacher"), book.sheet)
    assert set(visible_to(actor, Score).values_list("pk", flat=True)) == set(mine.values_list("pk", flat=True))
    assert not visible_to(actor, SubjectResult).exists()
    wf.check(book.actor("homeroom"), book.sheet)
    assert not visible_to(actor, SubjectResult).exists()
    wf.approve(book.actor("principal"), book.sheet)
    results = visible_to(actor, SubjectResult)
    assert list(results.values_list("enrolment_id", "period")) == [(book.learner.pk, Period.SEMESTER_1)]
    request = wf.request_unlock(book.actor("subject_teacher"), book.sheet, "Nhập nhầm")
    wf.decide_unlock(book.actor("principal"), request, grant=True)
    assert not visible_to(actor, SubjectResult).exists()
    assert not visible_to(actor, Score).exists()


# --- actions_for and the buttons ---------------------------------------------------------------------------------


def _names(book, who):
    return [a["name"] for a in wf.actions_for(book.actor(who), book.sheet)]


def test_actions_offered_follow_state_and_person(book):
    assert _names(book, "subject_teacher") == ["submit"]
    assert _names(book, "homeroom") == [] and _names(book, "principal") == []
    book.set_status(S)
    assert _names(book, "homeroom") == ["check", "return"]
    assert _names(book, "principal") == ["return"]
    assert _names(book, "subject_teacher") == []
    book.set_status(C)
    assert _names(book, "principal") == ["approve", "return"]
    book.set_status(A)
    assert _names(book, "subject_teacher") == ["unlock"]
    assert _names(book, "homeroom") == ["unlock"]
    assert _names(book, "principal") == []
    assert _names(book, "student") == []
    wf.request_unlock(book.actor("subject_teacher"), book.sheet, "Nhập nhầm")
    assert _names(book, "subject_teacher") == []
    action = wf.actions_for(book.actor("homeroom"), book.set_status(S))[1]
    assert action["url"] == reverse("students:sheet-return", kwargs={"pk": book.sheet.pk}) and action["note"]


def test_the_sheet_page_shows_the_buttons(book):
    book.fill()
    response = web_client(book.side.m("teacher2")).get(book.sheet.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("students:sheet-submit", kwargs={"pk": book.sheet.pk}) in page
    assert "csrfmiddlewaretoken" in page


# --- the pages and the API ----------------------------------------------------------------------------------------


def test_pages_move_the_sheet_and_say_so(book):
    book.fill()
    submit = reverse("students:sheet-submit", kwargs={"pk": book.sheet.pk})
    response = web_client(book.side.m("teacher2")).post(submit, follow=True)
    assert response.redirect_chain[-1][0] == book.sheet.get_absolute_url()
    assert "Đã gửi bảng điểm" in response.content.decode()
    # the wrong person gets the reason as a message, and nothing moves
    check = reverse("students:sheet-check", kwargs={"pk": book.sheet.pk})
    response = web_client(book.side.m("teacher2")).post(check, follow=True)
    assert "Chỉ giáo viên chủ nhiệm" in response.content.decode()
    book.sheet.refresh_from_db()
    assert book.sheet.status == S
    ret = reverse("students:sheet-return", kwargs={"pk": book.sheet.pk})
    web_client(book.side.m(Role.TEACHER)).post(ret, {"note": "Xem lại điểm của em An"})
    book.sheet.refresh_from_db()
    assert book.sheet.status == D


@pytest.mark.parametrize("who", [Role.STUDENT, Role.PARENT])
def test_learners_and_other_schools_get_404_on_the_buttons(book, who):
    book.fill()
    url = reverse("students:sheet-submit", kwargs={"pk": book.sheet.pk})
    assert web_client(book.side.m(who)).post(url).status_code == 404
    assert web_client(book.world.b.m(Role.PRINCIPAL)).post(url).status_code == 404
    assert web_client(book.side.m("teacher2")).get(url).status_code == 405


def test_class_approval_page(book):
    book.fill()
    book.set_status(C)
    url = reverse("students:sheet-approve-class", kwargs={"pk": book.side.klass.pk})
    url += f"?semester={book.semester.pk}"
    principal = web_client(book.side.m(Role.PRINCIPAL))
    page = principal.get(url).content.decode()
    assert "Duyệt tất cả bảng đã kiểm tra" in page and "Giáo viên chủ nhiệm đã kiểm tra" in page
    teacher_page = web_client(book.side.m(Role.TEACHER)).get(url).content.decode()
    assert "Duyệt tất cả" not in teacher_page
    response = web_client(book.side.m(Role.TEACHER)).post(url, {"semester": book.semester.pk}, follow=True)
    assert "Chỉ hiệu trưởng" in response.content.decode()
    response = principal.post(url, {"semester": book.semester.pk}, follow=True)
    assert "Đã duyệt và khoá 1 bảng điểm" in response.content.decode()
    book.sheet.refresh_from_db()
    assert book.sheet.status == A
    assert web_client(book.side.m(Role.STUDENT)).get(url).status_code == 404


def test_api_transitions(book):
    book.fill()
    pk = book.sheet.pk
    teacher = api_client(book.side.m("teacher2"))
    homeroom = api_client(book.side.m(Role.TEACHER))
    principal = api_client(book.side.m(Role.PRINCIPAL))
    response = homeroom.post(f"/api/students/sheets/{pk}/submit/", {}, format="json")
    assert response.status_code == 403 and response.json()["detail"].startswith("Chỉ giáo viên")
    response = teacher.post(f"/api/students/sheets/{pk}/submit/", {}, format="json")
    assert response.status_code == 200 and response.json()["status"] == S
    response = teacher.post(f"/api/students/sheets/{pk}/submit/", {}, format="json")
    assert response.status_code == 400 and "trạng thái" in response.json()["detail"]
    response = homeroom.post(f"/api/students/sheets/{pk}/return/", {"note": ""}, format="json")
    assert response.status_code == 400
    assert homeroom.post(f"/api/students/sheets/{pk}/check/", {}, format="json").json()["status"] == C
    assert principal.post(f"/api/students/sheets/{pk}/approve/", {}, format="json").json()["status"] == A
    response = teacher.post(f"/api/students/sheets/{pk}/unlock-request/", {"reason": "Nhập nhầm"}, format="json")
    assert response.status_code == 201
    unlock = response.json()["id"]
    response = principal.post(f"/api/students/unlock-requests/{unlock}/refuse/", {}, format="json")
    assert response.status_code == 400
    response = principal.post(f"/api/students/unlock-requests/{unlock}/grant/", {"note": "Đồng ý"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == UnlockStatus.GRANTED
    book.sheet.refresh_from_db()
    assert book.sheet.status == D
    other = api_client(book.world.b.m(Role.PRINCIPAL))
    assert other.post(f"/api/students/sheets/{pk}/submit/", {}, format="json").status_code == 404


def test_api_approve_many_for_a_grade(book):
    book.set_status(C)
    principal = api_client(book.side.m(Role.PRINCIPAL))
    response = principal.post(
        "/api/students/sheets/approve-many/",
        {"semester": book.semester.pk, "grade": book.side.klass.grade},
        format="json",
    )
    assert response.status_code == 200 and response.json()["count"] == 1
    response = principal.post("/api/students/sheets/approve-many/", {"semester": book.semester.pk}, format="json")
    assert response.status_code == 400


def test_unlock_pages(book):
    sheet = book.set_status(A)
    url = reverse("students:unlock-request", kwargs={"pk": sheet.pk})
    teacher = web_client(book.side.m("teacher2"))
    assert teacher.get(url).status_code == 200
    page = teacher.post(url, {"reason": ""}).content.decode()
    assert "This field" not in page and not UnlockRequest.objects.exists()
    response = teacher.post(url, {"reason": "Nhập nhầm điểm của em An"})
    request = UnlockRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == request.get_absolute_url()
    listing = web_client(book.side.m(Role.PRINCIPAL)).get(reverse("students:unlock-list")).content.decode()
    assert request.get_absolute_url() in listing
    detail = web_client(book.side.m(Role.PRINCIPAL)).get(request.get_absolute_url()).content.decode()
    assert "Đồng ý mở khoá" in detail and "Nhập nhầm điểm của em An" in detail
    assert "Đồng ý mở khoá" not in teacher.get(request.get_absolute_url()).content.decode()
    response = web_client(book.side.m(Role.PRINCIPAL)).post(request.get_absolute_url(), {"decision": "grant"})
    assert response.status_code == 302
    sheet.refresh_from_db()
    assert sheet.status == D
    assert web_client(book.world.b.m(Role.PRINCIPAL)).get(request.get_absolute_url()).status_code == 404


# --- entry deadlines --------------------------------------------------------------------------------------------


def test_a_grade_deadline_beats_the_all_grades_one(book):
    principal = api_client(book.side.m(Role.PRINCIPAL))
    response = principal.post(
        "/api/students/deadlines/",
        {"semester": book.semester.pk, "grade": None, "closes_on": "2027-01-10"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    response = principal.post(
        "/api/students/deadlines/",
        {"semester": book.semester.pk, "grade": book.side.klass.grade, "closes_on": "2026-10-01"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert deadline_for(book.sheet) == dt.date(2026, 10, 1)
    with pytest.raises(gradebook.SheetError, match="hết hạn"):
        book.fill()
    # the all-grades deadline still applies to other grades
    assert EntryDeadline.objects.get(grade__isnull=True).closes_on == dt.date(2027, 1, 10)


def test_deadline_rules_are_said_in_vietnamese(book):
    principal = api_client(book.side.m(Role.PRINCIPAL))
    ok = {"semester": book.semester.pk, "grade": 6, "closes_on": "2027-01-10"}
    assert principal.post("/api/students/deadlines/", ok, format="json").status_code == 201
    response = principal.post("/api/students/deadlines/", ok, format="json")
    assert response.status_code == 400 and "đã có hạn nhập điểm" in response.json()["errors"]["grade"][0]
    response = principal.post("/api/students/deadlines/", {**ok, "grade": 3}, format="json")
    assert response.status_code == 400 and "không có khối 3" in response.json()["errors"]["grade"][0]
    response = principal.post("/api/students/deadlines/", {**ok, "grade": 7, "closes_on": "2026-01-01"}, format="json")
    assert response.status_code == 400 and "closes_on" in response.json()["errors"]
    teacher = api_client(book.side.m(Role.TEACHER))
    assert teacher.post("/api/students/deadlines/", {**ok, "grade": 8}, format="json").status_code == 403


def test_deadline_pages(book):
    principal = web_client(book.side.m(Role.PRINCIPAL))
    data = {"semester": book.semester.pk, "grade": "", "closes_on": "15/01/2027", "note": "Học kỳ I"}
    response = principal.post(reverse("students:deadline-create"), data)
    deadline = EntryDeadline.objects.get()
    assert response.status_code == 302 and deadline.closes_on == dt.date(2027, 1, 15) and deadline.grade is None
    page = principal.post(reverse("students:deadline-create"), data).content.decode()
    assert "đã có hạn nhập điểm cho mọi khối" in page
    assert EntryDeadline.objects.count() == 1
    listing = web_client(book.side.m(Role.TEACHER)).get(reverse("students:deadline-list")).content.decode()
    assert deadline.get_absolute_url() in listing and "15/01/2027" in listing
    update = reverse("students:deadline-update", kwargs={"pk": deadline.pk})
    assert principal.post(update, {**data, "closes_on": "20/01/2027"}).status_code == 302
    deadline.refresh_from_db()
    assert deadline.closes_on == dt.date(2027, 1, 20)
    detail = principal.get(deadline.get_absolute_url()).content.decode()
    assert "20/01/2027" in detail and "Lịch sử thay đổi" in detail
    assert web_client(book.side.m(Role.TEACHER)).get(reverse("students:deadline-create")).status_code == 403


def test_a_learner_who_came_after_the_semester_does_not_block_submitting(book):
    book.fill()
    late = makers.enrolment(book.side)
    late.enrolled_on = book.semester.ends_on + dt.timedelta(days=3)
    late.save()
    wf.submit(book.actor("subject_teacher"), book.sheet)
    book.sheet.refresh_from_db()
    assert book.sheet.status == S
