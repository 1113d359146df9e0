"""Families (issue 6, point 3): accounts for learners and parents created per class (preview, confirm,
sibling dedupe, idempotent, background job for a big class), login slips only for their creator, reissued
passwords; and the family's own view of a child — only their own, scores from submission, averages from
approval, on a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from sms.accounts.models import Membership, User
from sms.accounts.roles import Role
from sms.audit.models import AuditEvent, EventKind
from sms.files.models import StoredFile
from sms.jobs.models import Job, JobStatus
from sms.org.models import SchoolClass
from students import jobs_families, rules
from students.models import (
    Absence,
    Guardian,
    Period,
    Score,
    ScoreSheet,
    SheetStatus,
)
from students.services import families
from students.services import results as results_service
from tests.world import api_client, web_client

from .test_results import SCORED, _sheet, actor, compute, conduct, enrol, fill, plan

SLIP_RE = re.compile(r"Tên đăng nhập\s+(\S+)\s+Mật khẩu tạm thời\s+(\S+)")


def accounts_url(klass) -> str:
    return reverse("students:family-accounts", kwargs={"pk": klass.pk})


def slips_of(stored: StoredFile) -> tuple[str, dict[str, str]]:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(stored.read_bytes())).pages)
    return text, dict(SLIP_RE.findall(text))


def mother(enrolment, name="Lê Thị Mai", phone="0912 345 678", **extra) -> Guardian:
    return Guardian.objects.create(student=enrolment.student, relation="mother", full_name=name, phone=phone, **extra)


def a_family(side):
    """Two siblings in the class with the same mother (her phone typed two ways), a father with no phone,
    and a learner who already has an account."""
    an = enrol(side, name="Lê Văn An")
    binh = enrol(side, name="Lê Thị Bình")
    mother(an)
    mother(binh, phone="+84 912345678")
    Guardian.objects.create(student=an.student, relation="father", full_name="Lê Văn Hải", phone="")
    cuong = enrol(side, name="Trần Văn Cường", user=side.m(Role.STUDENT).user)
    return an, binh, cuong


# --- accounts in bulk -------------------------------------------------------------------------------------


def test_preview_says_who_gets_an_account_and_writes_nothing(world):
    side = world.a
    an, binh, cuong = a_family(side)
    users, memberships = User.objects.count(), Membership.objects.count()
    response = web_client(side.m(Role.PRINCIPAL)).get(accounts_url(side.klass))
    assert response.status_code == 200
    html = response.content.decode()
    plan_ = response.context["plan"]
    assert response.context["counts"] == {
        "new_students": 2,
        "new_parents": 1,
        "linked": 0,
        "existing": 1,
        "memberships_missing": 0,  # the world's student account already holds the role
        "skipped": 1,
    }
    (mai,) = [a for a in plan_.new if a.kind == Role.PARENT]
    assert mai.learners == ["Lê Văn An", "Lê Thị Bình"]
    assert f"hs{an.student.learner_code}" in html and f"me{an.student.learner_code}" in html
    assert "Chưa có số điện thoại của cha" in html
    assert User.objects.count() == users and Membership.objects.count() == memberships
    assert not StoredFile.objects.filter(purpose="login-slips").exists()


def test_confirm_creates_linked_accounts_with_one_account_for_siblings_and_working_slips(world):
    side = world.a
    an, binh, cuong = a_family(side)
    principal = side.m(Role.PRINCIPAL)
    response = web_client(principal).post(accounts_url(side.klass))
    assert response.status_code == 302
    an.student.refresh_from_db()
    binh.student.refresh_from_db()
    rows = list(Guardian.objects.filter(relation="mother").order_by("pk"))
    assert rows[0].user_id is not None and rows[0].user_id == rows[1].user_id  # one account, both children
    parent = rows[0].user
    assert parent.username == f"me{an.student.learner_code}" and parent.full_name == "Lê Thị Mai"
    assert an.student.user.username == f"hs{an.student.learner_code}"
    assert Guardian.objects.get(relation="father").user is None  # skipped: no phone
    for user, role in ((an.student.user, Role.STUDENT), (binh.student.user, Role.STUDENT), (parent, Role.PARENT)):
        assert user.must_change_password
        assert Membership.objects.filter(user=user, unit=side.school, role=role, is_active=True).exists()
    # the learner who already had an account gets the role at the school, not a new password
    assert Membership.objects.filter(user=cuong.student.user, unit=side.school, role=Role.STUDENT).count() == 1
    assert cuong.student.user.check_password("Mật-khẩu-đủ-dài-1")

    stored = StoredFile.objects.get(purpose="login-slips")
    assert stored.private and stored.uploaded_by == principal.user
    assert timezone.now() < stored.expires_at <= timezone.now() + dt.timedelta(hours=24)
    text, passwords = slips_of(stored)
    assert set(passwords) == {an.student.user.username, binh.student.user.username, parent.username}
    assert "Lê Văn An, Lê Thị Bình" in text and "lớp 6A1" in text and "Trường THCS An Bình" in text
    assert "/tai-khoan/dang-nhap/" in text and "đổi mật khẩu" in text.lower()
    event = AuditEvent.objects.get(kind=EventKind.ACCOUNTS_CREATED)
    assert "2 tài khoản học sinh" in event.detail and event.user == principal.user

    # the password on the slip works, and the first login goes to the password change page
    client = Client()
    login = client.post(reverse("login"), {"username": parent.username, "password": passwords[parent.username]})
    assert login.status_code == 302
    answer = client.get(reverse("students:my-results"))
    assert answer.status_code == 302 and reverse("password-change") in answer["Location"]


def test_a_second_run_creates_nobody(world):
    side = world.a
    a_family(side)
    client = web_client(side.m(Role.PRINCIPAL))
    client.post(accounts_url(side.klass))
    users, memberships = User.objects.count(), Membership.objects.count()
    response = client.post(accounts_url(side.klass), follow=True)
    assert "Không có tài khoản nào cần tạo" in response.content.decode()
    assert User.objects.count() == users and Membership.objects.count() == memberships
    assert StoredFile.objects.filter(purpose="login-slips").count() == 1
    counts = response.context["counts"]
    assert counts["new_students"] == counts["new_parents"] == counts["linked"] == 0


def test_a_sibling_in_another_class_is_linked_to_the_parents_account(world):
    side = world.a
    an, binh, cuong = a_family(side)
    client = web_client(side.m(Role.PRINCIPAL))
    client.post(accounts_url(side.klass))
    parent = Guardian.objects.filter(relation="mother").first().user
    other = SchoolClass.objects.create(school=side.school, school_year=side.year, grade=7, name="7A1")
    dung = enrol(side, other, name="Lê Văn Dũng")
    mother(dung, phone="0912.345.678")
    users = User.objects.count()
    preview = client.get(accounts_url(other)).context["plan"]
    assert [a.username for a in preview.linked] == [parent.username]
    client.post(accounts_url(other))
    assert Guardian.objects.get(student=dung.student).user == parent
    assert User.objects.count() == users + 1  # only Dũng's own account
    _, passwords = slips_of(StoredFile.objects.filter(purpose="login-slips").order_by("-pk").first())
    assert list(passwords) == [f"hs{dung.student.learner_code}"]


def test_a_username_already_taken_gets_a_suffix(world):
    side = world.a
    an = enrol(side, name="Lê Văn An")
    User.objects.create_user(username=f"hs{an.student.learner_code}", password="x")
    plan_ = families.plan_accounts(actor(side.m(Role.PRINCIPAL)), side.klass)
    assert [a.username for a in plan_.new] == [f"hs{an.student.learner_code}.2"]


def test_slips_are_readable_only_by_their_creator(world):
    side = world.a
    a_family(side)
    web_client(side.m(Role.PRINCIPAL)).post(accounts_url(side.klass))
    stored = StoredFile.objects.get(purpose="login-slips")
    url = stored.get_absolute_url()
    assert web_client(side.m(Role.PRINCIPAL)).get(url).status_code == 200
    for membership in (side.m(Role.SCHOOL_ADMIN), world.members["phong1_admin"], world.members["so_admin"]):
        assert web_client(membership).get(url).status_code == 404
    StoredFile.objects.filter(pk=stored.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert web_client(side.m(Role.PRINCIPAL)).get(url).status_code == 404


def test_a_big_class_runs_as_a_background_job_whose_row_carries_no_slips(world, django_capture_on_commit_callbacks):
    side = world.a
    learners = [enrol(side, name=f"Học Sinh {n}") for n in range(families.INLINE_LIMIT + 1)]
    admin = side.m(Role.SCHOOL_ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        response = web_client(admin).post(accounts_url(side.klass))
    assert response.status_code == 302
    job = Job.objects.get(kind=jobs_families.CREATE_JOB)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.output is None  # the job's output would be seen by every admin of the subtree and kept 30 days
    for enrolment in learners:
        enrolment.student.refresh_from_db()
        assert enrolment.student.user is not None
    stored = StoredFile.objects.get(purpose="login-slips")
    assert stored.uploaded_by == admin.user and len(slips_of(stored)[1]) == len(learners)
    page = web_client(admin).get(accounts_url(side.klass)).content.decode()
    assert stored.get_absolute_url() in page
    assert (
        stored.get_absolute_url()
        not in web_client(side.m(Role.PRINCIPAL)).get(accounts_url(side.klass)).content.decode()
    )


def test_who_may_create_family_accounts(world):
    side = world.a
    a_family(side)
    url = accounts_url(side.klass)
    assert web_client(side.m(Role.TEACHER)).get(url).status_code == 403  # the homeroom teacher reads the class
    assert web_client(world.members["phong1_admin"]).get(url).status_code == 403
    assert web_client(side.m(Role.PARENT)).get(url).status_code == 404
    assert web_client(world.b.m(Role.PRINCIPAL)).post(url).status_code == 404
    assert web_client(side.m(Role.TEACHER)).post(url).status_code == 403
    assert not StoredFile.objects.exists() and not Guardian.objects.filter(user__isnull=False).exists()
    api = f"/api/students/classes/{side.klass.pk}/family-accounts/"
    assert api_client(side.m(Role.TEACHER)).post(api).status_code == 403
    assert api_client(world.b.m(Role.PRINCIPAL)).post(api).status_code == 404
    with pytest.raises(Exception, match="Chỉ hiệu trưởng"):
        families.create_accounts(actor(side.m(Role.TEACHER)), side.klass, site="/")


def test_api_creates_accounts_and_answers_with_the_slips(world):
    side = world.a
    a_family(side)
    client = api_client(side.m(Role.PRINCIPAL))
    url = f"/api/students/classes/{side.klass.pk}/family-accounts/"
    preview = client.get(url).json()
    assert preview["counts"]["new_students"] == 2 and preview["skipped"][0]["relation"] == "Cha"
    response = client.post(url)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["created_students"], body["created_parents"]) == (2, 1)
    assert body["slips_url"] == StoredFile.objects.get(purpose="login-slips").get_absolute_url()


def test_reissue_gives_new_passwords_to_the_chosen_accounts_only(world):
    side = world.a
    an, binh, cuong = a_family(side)
    client = web_client(side.m(Role.PRINCIPAL))
    client.post(accounts_url(side.klass))
    an.student.refresh_from_db()
    binh.student.refresh_from_db()
    url = reverse("students:family-reissue", kwargs={"pk": side.klass.pk})
    form = client.get(url).content.decode()
    assert f'value="s{an.student.pk}"' in form and f'value="s{cuong.student.pk}"' in form
    before = binh.student.user.password
    response = client.post(url, {"accounts": [f"s{an.student.pk}"]})
    assert response.status_code == 302
    stored = StoredFile.objects.filter(purpose="login-slips").order_by("-pk").first()
    _, passwords = slips_of(stored)
    user = an.student.user
    user.refresh_from_db()
    assert list(passwords) == [user.username]
    assert user.check_password(passwords[user.username]) and user.must_change_password
    binh.student.user.refresh_from_db()
    assert binh.student.user.password == before
    assert AuditEvent.objects.filter(kind=EventKind.PASSWORD_RESET, object_id=str(user.pk)).exists()
    # a learner of another class is not one of this class's accounts: nothing changes
    other = enrol(world.b, name="Người Trường Khác", user=world.b.m(Role.STUDENT).user)
    count = StoredFile.objects.count()
    answer = client.post(url, {"accounts": [f"s{other.student.pk}", f"s{an.student.pk}"]}, follow=True)
    assert "Không tìm thấy tài khoản" in answer.content.decode()
    assert StoredFile.objects.count() == count


# --- the family view --------------------------------------------------------------------------------------


def child_url(student) -> str:
    return reverse("students:family-child", kwargs={"pk": student.pk})


def linked(world, *, scored=("toan",)):
    """Learner Cường (the world's student account) with the world's parent as his mother, semester results
    of 8,0 in each subject, conduct Tốt, computed (not approved)."""
    side = world.a
    subjects = plan(side, scored=list(scored), comment=[])
    enrolment = enrol(side, name="Lê Văn Cường", user=side.m(Role.STUDENT).user)
    mother(enrolment, user=side.m(Role.PARENT).user)
    fill(enrolment, subjects, 8.0)
    conduct(enrolment)
    compute(side)
    return side, subjects, enrolment


def test_a_parent_sees_only_their_own_children(world):
    side, subjects, enrolment = linked(world)
    other = enrol(side, name="Người Khác")
    second = enrol(side, name="Lê Thị Hoa")
    mother(second, user=side.m(Role.PARENT).user)
    parent = web_client(side.m(Role.PARENT))
    html = parent.get(child_url(enrolment.student)).content.decode()
    assert "Lê Văn Cường" in html and 'aria-label="Chọn con"' in html and "Lê Thị Hoa" in html
    assert "Người Khác" not in html
    assert parent.get(child_url(other.student)).status_code == 404
    assert web_client(side.m(Role.STUDENT)).get(child_url(second.student)).status_code == 404
    assert web_client(world.b.m(Role.PARENT)).get(child_url(enrolment.student)).status_code == 404
    assert web_client(side.m(Role.PRINCIPAL)).get(child_url(enrolment.student)).status_code == 403
    api = api_client(side.m(Role.PARENT))
    assert api.get(f"/api/students/family/{other.student.pk}/").status_code == 404
    names = [c["full_name"] for c in api.get("/api/students/family/").json()["children"]]
    assert sorted(names) == ["Lê Thị Hoa", "Lê Văn Cường"]
    overview = parent.get(reverse("students:my-results")).content.decode()
    assert child_url(enrolment.student) in overview and child_url(other.student) not in overview


def test_scores_show_once_submitted_and_averages_once_approved(world):
    side, subjects, enrolment = linked(world)
    sheet = _sheet(side, subjects["toan"], 1, SheetStatus.DRAFT)
    Score.objects.create(school=side.school, sheet=sheet, enrolment=enrolment, column="tx1", value="7.5")
    Absence.objects.create(school=side.school, enrolment=enrolment, day=dt.date(2026, 10, 5), sessions=2, excused=True)
    url = child_url(enrolment.student)
    for role in (Role.STUDENT, Role.PARENT):
        html = web_client(side.m(role)).get(url).content.decode()
        assert "ĐĐGtx1: 7,5" not in html and "8,0" not in html
        assert html.count("Chưa công bố") == 3
        assert "05/10/2026" in html and "Có phép" in html  # absences are shown as recorded
    ScoreSheet.objects.filter(pk=sheet.pk).update(status=SheetStatus.SUBMITTED)
    html = web_client(side.m(Role.PARENT)).get(url).content.decode()
    assert "ĐĐGtx1: 7,5" in html and "8,0" not in html
    ScoreSheet.objects.update(status=SheetStatus.APPROVED)
    results_service.approve_results(actor(side.m(Role.PRINCIPAL)), side.klass, Period.SEMESTER_1)
    html = web_client(side.m(Role.PARENT)).get(url).content.decode()
    assert '<span class="average">8,0</span>' in html
    assert "Tốt" in html and html.count("Chưa công bố") == 2  # semester II and the year are not out
    data = api_client(side.m(Role.STUDENT)).get(f"/api/students/family/{enrolment.student.pk}/").json()
    (toan,) = data["subjects"]
    assert toan["semesters"][0]["result"]["average"] == "8.0" and toan["semesters"][0]["result"]["text"] == "8,0"
    assert toan["semesters"][0]["scores"][0]["value"] == "7.5"
    assert data["absences"]["days"] == [{"day": "2026-10-05", "sessions": 2, "excused": True, "reason": ""}]
    assert [t["published"] for t in data["terms"]] == [True, False, False]


def _queries(client, url) -> int:
    client.get(url)  # warm the per-process caches (content types, the session's first save)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _approved_sheet(side, klass, subject):
    columns = ScoreSheet.freeze_columns(
        rules.sheet_columns("tt22", assessment=subject.assessment, periods_per_year=70, grade=klass.grade,
                            subject_code=subject.code, semester=1)
    )  # fmt: skip
    return ScoreSheet.objects.create(
        school=side.school,
        semester=klass.school_year.semesters.get(number=1),
        school_class=klass,
        subject=subject,
        rule_set="tt22",
        columns=columns,
        status=SheetStatus.APPROVED,
    )


def test_the_child_page_costs_the_same_queries_for_one_subject_or_eight(world):
    """One child with one subject and no scores; a second child (another class) with eight subjects, five
    scores in each and five days absent: the same number of queries for either page."""
    side, subjects, enrolment = linked(world, scored=("toan",))
    results_service.approve_results(actor(side.m(Role.PRINCIPAL)), side.klass, Period.SEMESTER_1)
    client = web_client(side.m(Role.PARENT))
    small = _queries(client, child_url(enrolment.student))
    assert small <= 15  # session, actor, the child, the children, and one query per kind of row

    other = SchoolClass.objects.create(school=side.school, school_year=side.year, grade=7, name="7A1")
    many = plan(side, other, scored=SCORED, comment=[])
    hoa = enrol(side, other, name="Lê Thị Hoa")
    mother(hoa, user=side.m(Role.PARENT).user)
    fill(hoa, many, {code: Decimal("7.5") for code in SCORED})
    conduct(hoa)
    for subject in many.values():
        sheet = _approved_sheet(side, other, subject)
        for column in [c["key"] for c in sheet.columns]:
            Score.objects.create(school=side.school, sheet=sheet, enrolment=hoa, column=column, value="9")
    for day in range(2, 7):
        Absence.objects.create(school=side.school, enrolment=hoa, day=dt.date(2026, 11, day), sessions=1)
    compute(side, other)
    results_service.approve_results(actor(side.m(Role.PRINCIPAL)), other, Period.SEMESTER_1)
    html = client.get(child_url(hoa.student)).content.decode()
    assert html.count('<span class="average">7,5</span>') == 8 and "ĐĐGck: 9" in html and "Tin học" in html
    assert _queries(client, child_url(hoa.student)) == small


def test_the_index_counts_who_still_lacks_an_account_per_class(world):
    side = world.a
    a_family(side)
    enrol(world.b, name="Học Sinh Trường B")
    response = web_client(side.m(Role.PRINCIPAL)).get(reverse("students:family-accounts-index"))
    (row,) = response.context["rows"]
    assert row["klass"] == side.klass
    assert (row["learners"], row["learners_without"], row["guardians"], row["guardians_without"]) == (3, 2, 3, 3)
    assert accounts_url(side.klass) in response.content.decode()
    assert web_client(side.m(Role.TEACHER)).get(reverse("students:family-accounts-index")).status_code == 403
