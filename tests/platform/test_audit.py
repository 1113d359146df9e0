"""Audit: row history with who/where/from which IP, events for logins and refusals and reads
of a person's record, and the activity page a unit admin reads."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import include, path
from django.utils import timezone

from sms.accounts.api.views import MembershipViewSet
from sms.accounts.models import Membership
from sms.accounts.roles import Role
from sms.audit.history import acting_as, bulk_create_with_history, bulk_update_with_history, changes
from sms.audit.mixins import AuditReadsMixin
from sms.audit.models import AuditEvent, EventKind
from sms.org.models import Unit
from sms.views import ScopedDetailView
from tests.world import World, api_client, make_user, web_client

PASSWORD = "Mật-khẩu-đủ-dài-1"  # tests.world.make_user's
LOGIN = "/tai-khoan/dang-nhap/"
LOG = "/nhat-ky/"
API_LOG = "/api/audit/events/"


# --- a URLconf for the read-logging tests: the project's routes plus two record pages -------------


class MembershipRecord(ScopedDetailView):
    model = Membership
    audit_reads = True
    fields = ["role", "unit"]


class MembershipRecordApi(AuditReadsMixin, MembershipViewSet):
    pass


urlpatterns = [
    path("kiem-thu/ho-so/<int:pk>/", MembershipRecord.as_view()),
    path("kiem-thu/api/ho-so/<int:pk>/", MembershipRecordApi.as_view({"get": "retrieve"})),
    path("", include("sms.urls")),
]
handler403 = "sms.audit.views.permission_denied"


def events(kind: str):
    return AuditEvent.objects.filter(kind=kind).order_by("pk")


# --- row history: user, membership, client IP -------------------------------------------------------


@pytest.fixture
def behind_proxy(settings):
    settings.SMS_TRUSTED_PROXY_COUNT = 1
    # The client forged the left entry; our proxy appended the address it saw.
    return {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.7"}


def test_unit_change_through_the_web_session_records_user_membership_and_proxy_client_ip(world: World, behind_proxy):
    admin = world.members["phong1_admin"]
    client = web_client(admin)
    response = client.patch(
        f"/api/org/units/{world.a.school.pk}/",
        {"name": "Trường THCS An Bình Mới"},
        content_type="application/json",
        **behind_proxy,
    )
    assert response.status_code == 200, response.content
    row = world.a.school.history.order_by("-history_id").first()
    assert row.name == "Trường THCS An Bình Mới"
    assert row.history_user == admin.user
    assert row.history_membership == admin
    assert row.history_ip == "203.0.113.7"


def test_membership_granted_through_an_api_token_records_the_token_membership(world: World, behind_proxy):
    principal = world.a.m(Role.PRINCIPAL)
    newcomer = world.a.members["teacher2"].user  # a teacher of the school, now also its librarian
    response = api_client(principal).post(
        "/api/memberships/",
        {"user": newcomer.pk, "unit": world.a.school.pk, "role": Role.LIBRARIAN},
        format="json",
        **behind_proxy,
    )
    assert response.status_code == 201, response.content
    granted = Membership.objects.get(user=newcomer, role=Role.LIBRARIAN)
    (row,) = granted.history.all()
    assert row.history_type == "+"
    assert (row.history_user, row.history_membership, row.history_ip) == (principal.user, principal, "203.0.113.7")


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(world: World, settings):
    settings.SMS_TRUSTED_PROXY_COUNT = 0
    client = web_client(world.members["phong1_admin"])
    client.patch(
        f"/api/org/units/{world.a.school.pk}/",
        {"phone": "0229 3871 234"},
        content_type="application/json",
        REMOTE_ADDR="198.51.100.4",
        HTTP_X_FORWARDED_FOR="6.6.6.6",
    )
    assert world.a.school.history.order_by("-history_id").first().history_ip == "198.51.100.4"


def test_acting_as_attributes_changes_outside_a_request(world: World):
    principal = world.a.m(Role.PRINCIPAL)
    school = Unit.objects.get(pk=world.a.school.pk)

    school.phone = "0229 111 222"
    school.save()
    unattributed = school.history.order_by("-history_id").first()
    assert (unattributed.history_user, unattributed.history_membership_id) == (None, None)

    with acting_as(world.actor(principal), ip="192.0.2.10"):
        school.phone = "0229 333 444"
        school.save()
    row = school.history.order_by("-history_id").first()
    assert (row.history_user, row.history_membership, row.history_ip) == (principal.user, principal, "192.0.2.10")

    # The context ends with the block.
    school.phone = "0229 555 666"
    school.save()
    assert school.history.order_by("-history_id").first().history_user is None


def test_bulk_create_and_update_write_one_history_row_each_with_the_actor(world: World):
    principal = world.a.m(Role.PRINCIPAL)
    actor = world.actor(principal)
    people = [make_user() for _ in range(3)]
    rows = [Membership(user=person, unit=world.a.school, role=Role.TEACHER) for person in people]

    created = bulk_create_with_history(rows, Membership, actor=actor)
    ids = sorted(m.pk for m in Membership.objects.filter(user__in=people))
    assert len(created) == 3 and len(ids) == 3
    history = Membership.history.filter(id__in=ids)
    assert history.count() == 3
    assert {(h.history_type, h.history_user_id, h.history_membership_id) for h in history} == {
        ("+", principal.user.pk, principal.pk)
    }

    changed = list(Membership.objects.filter(pk__in=ids))
    for membership in changed:
        membership.role = Role.CLERK
    bulk_update_with_history(changed, Membership, ["role"], actor=actor)
    updates = Membership.history.filter(id__in=ids, history_type="~")
    assert updates.count() == 3
    assert {(h.role, h.history_user_id, h.history_membership_id) for h in updates} == {
        (Role.CLERK, principal.user.pk, principal.pk)
    }


def test_bulk_save_inside_acting_as_takes_the_context(world: World):
    principal = world.a.m(Role.PRINCIPAL)
    person = make_user()
    with acting_as(world.actor(principal), ip="192.0.2.77"):
        bulk_create_with_history([Membership(user=person, unit=world.a.school, role=Role.TEACHER)], Membership)
    (row,) = Membership.history.filter(user=person)
    assert (row.history_user, row.history_membership, row.history_ip) == (principal.user, principal, "192.0.2.77")


def test_changes_show_field_names_old_and_new_values_in_words(world: World):
    membership = world.a.m(Role.TEACHER)
    membership.role = Role.CLERK
    membership.save()
    latest = membership.history.order_by("-history_id").first()
    assert [(c.field, c.old, c.new) for c in changes(latest)] == [("vai trò", "Giáo viên", "Văn thư")]
    created = membership.history.order_by("history_id").first()
    assert ("đơn vị", None, world.a.school) in [(c.field, c.old, c.new) for c in changes(created)]


# --- logins, logouts, failed logins, lockouts ---------------------------------------------------------


def test_login_and_logout_are_logged_with_unit_and_ip(world: World):
    teacher = world.a.m(Role.TEACHER)
    client = Client(REMOTE_ADDR="198.51.100.23")
    response = client.post(LOGIN, {"username": teacher.user.username, "password": PASSWORD})
    assert response.status_code == 302
    (login,) = events(EventKind.LOGIN)
    assert (login.user, login.membership, login.unit, login.ip) == (
        teacher.user,
        teacher,
        world.a.school,
        "198.51.100.23",
    )

    client.post("/tai-khoan/dang-xuat/")
    (logout,) = events(EventKind.LOGOUT)
    assert (logout.user, logout.unit, logout.ip) == (teacher.user, world.a.school, "198.51.100.23")


def test_failed_login_keeps_the_name_tried_and_the_unit_never_the_password(world: World):
    teacher = world.a.m(Role.TEACHER)
    secret = "Sai-mat-khau-9xQ"
    client = Client(REMOTE_ADDR="198.51.100.24")
    response = client.post(LOGIN, {"username": teacher.user.username, "password": secret})
    assert response.status_code == 200
    client.post(LOGIN, {"username": "khong.ton.tai", "password": secret})

    known, unknown = events(EventKind.LOGIN_FAILED)
    assert (known.username, known.unit, known.ip, known.user) == (
        teacher.user.username,
        world.a.school,
        "198.51.100.24",
        None,
    )
    assert (unknown.username, unknown.unit) == ("khong.ton.tai", None)
    for event in AuditEvent.objects.all():
        assert all(secret not in str(value) for value in vars(event).values())


def test_lockout_after_the_failure_limit_is_logged(world: World, settings):
    settings.AXES_FAILURE_LIMIT = 3
    teacher = world.a.m(Role.TEACHER)
    client = Client(REMOTE_ADDR="198.51.100.25")
    for _ in range(3):
        client.post(LOGIN, {"username": teacher.user.username, "password": "sai-sai-sai"})
    (locked,) = events(EventKind.LOCKED_OUT)
    assert (locked.username, locked.unit, locked.ip) == (teacher.user.username, world.a.school, "198.51.100.25")
    # Locked: even the right password is refused now.
    assert client.post(LOGIN, {"username": teacher.user.username, "password": PASSWORD}).status_code == 429
    assert not events(EventKind.LOGIN).exists()


# --- refusals -------------------------------------------------------------------------------------------


def test_html_403_is_logged(world: World):
    teacher = world.a.m(Role.TEACHER)
    response = web_client(teacher).get("/to-chuc/lop/them/", REMOTE_ADDR="198.51.100.30")
    assert response.status_code == 403
    assert "Bạn không có quyền" in response.content.decode()
    (denied,) = events(EventKind.PERMISSION_DENIED)
    assert (denied.user, denied.membership, denied.unit, denied.ip, denied.path) == (
        teacher.user,
        teacher,
        world.a.school,
        "198.51.100.30",
        "/to-chuc/lop/them/",
    )


def test_api_403_is_logged_with_the_token_membership(world: World):
    teacher = world.a.m(Role.TEACHER)
    url = f"/api/org/classes/{world.a.klass.pk}/"
    response = api_client(teacher).patch(url, {"name": "6Z"}, format="json", REMOTE_ADDR="198.51.100.31")
    assert response.status_code == 403
    (denied,) = events(EventKind.PERMISSION_DENIED)
    assert (denied.user, denied.membership, denied.unit, denied.ip, denied.path) == (
        teacher.user,
        teacher,
        world.a.school,
        "198.51.100.31",
        url,
    )
    assert denied.detail == "Bạn không có quyền thực hiện thao tác này."


def test_404_and_401_are_not_refusals(world: World):
    api_client(world.a.m(Role.TEACHER)).patch(f"/api/org/classes/{world.b.klass.pk}/", {"name": "x"}, format="json")
    Client().get("/api/org/classes/")
    assert not events(EventKind.PERMISSION_DENIED).exists()


# --- reads of a person's record -------------------------------------------------------------------------


@pytest.mark.urls(__name__)
def test_detail_page_with_audit_reads_logs_each_read(world: World):
    staff = world.members["phong1_staff"]
    record = world.a.m(Role.TEACHER)
    client = web_client(staff)
    response = client.get(f"/kiem-thu/ho-so/{record.pk}/", REMOTE_ADDR="198.51.100.40")
    assert response.status_code == 200
    assert "Giáo viên" in response.content.decode()
    (read,) = events(EventKind.RECORD_READ)
    # Read by the Phòng's staff, kept at the school that owns the record: both of them see it.
    assert (read.user, read.membership, read.unit, read.ip) == (staff.user, staff, world.a.school, "198.51.100.40")
    assert (read.object_type, read.object_id, read.object_repr) == ("accounts.Membership", str(record.pk), str(record))

    client.get(f"/kiem-thu/ho-so/{record.pk}/")
    assert events(EventKind.RECORD_READ).count() == 2  # one per request
    # Another school's record: a 404, and no read happened.
    assert client.get(f"/kiem-thu/ho-so/{world.b.m(Role.TEACHER).pk}/").status_code == 404
    assert events(EventKind.RECORD_READ).count() == 2


@pytest.mark.urls(__name__)
def test_api_retrieve_with_audit_reads_mixin_logs_the_read_in_the_records_school(world: World):
    phong = world.members["phong1_admin"]
    record = world.a.m(Role.TEACHER)
    response = api_client(phong).get(f"/kiem-thu/api/ho-so/{record.pk}/")
    assert response.status_code == 200
    (read,) = events(EventKind.RECORD_READ)
    assert (read.membership, read.unit, read.object_id) == (phong, world.a.school, str(record.pk))


def test_detail_views_do_not_log_reads_unless_asked(world: World):
    assert web_client(world.a.m(Role.PRINCIPAL)).get(f"/to-chuc/lop/{world.a.klass.pk}/").status_code == 200
    assert not events(EventKind.RECORD_READ).exists()


# --- the activity page ------------------------------------------------------------------------------------


def _event(side_or_unit, kind=EventKind.LOGIN, user=None, at=None, username=""):
    unit = getattr(side_or_unit, "school", side_or_unit)
    event = AuditEvent.objects.create(kind=kind, unit=unit, user=user, username=username, ip="192.0.2.1")
    if at is not None:
        AuditEvent.objects.filter(pk=event.pk).update(at=at)
        event.refresh_from_db()
    return event


def _shown(response) -> set[int]:
    html = response.content.decode()
    return {e.pk for e in AuditEvent.objects.all() if e.get_absolute_url() in html}


def test_school_admin_sees_their_school_only(world: World):
    client = web_client(world.a.m(Role.SCHOOL_ADMIN))
    AuditEvent.objects.all().delete()  # the test client's own login
    mine = _event(world.a, user=world.a.m(Role.TEACHER).user)
    theirs = _event(world.b, user=world.b.m(Role.TEACHER).user)
    response = client.get(LOG)
    assert response.status_code == 200
    assert _shown(response) == {mine.pk}
    html = response.content.decode()
    assert "Đăng nhập" in html and "192.0.2.1" in html and world.a.m(Role.TEACHER).user.username in html
    assert timezone.localtime(mine.at).strftime("%d/%m/%Y %H:%M") in html
    # Another school's event is a 404, like anything of theirs.
    assert client.get(mine.get_absolute_url()).status_code == 200
    assert client.get(theirs.get_absolute_url()).status_code == 404


def test_phong_admin_sees_its_schools_and_the_so_sees_all(world: World):
    phong, so = web_client(world.members["phong1_admin"]), web_client(world.members["so_admin"])
    AuditEvent.objects.all().delete()  # the test clients' own logins
    a, b = _event(world.a), _event(world.b)
    own = _event(world.phong1)
    assert _shown(phong.get(LOG)) == {a.pk, own.pk}
    assert _shown(so.get(LOG)) == {a.pk, b.pk, own.pk}


@pytest.mark.parametrize("role", [Role.TEACHER, Role.STUDENT])
def test_teachers_and_learners_see_no_events(world: World, role):
    _event(world.a)
    response = web_client(world.a.m(role)).get(LOG)
    assert response.status_code == 200
    assert _shown(response) == set()
    api = api_client(world.a.m(role)).get(API_LOG)
    assert api.status_code == 200
    assert api.json()["count"] == 0 and api.json()["results"] == []


def test_filters_on_the_page_and_the_api(world: World):
    teacher = world.a.m(Role.TEACHER).user
    client = web_client(world.members["phong1_admin"])
    api = api_client(world.members["phong1_admin"])
    AuditEvent.objects.all().delete()  # the test client's own login
    now = timezone.now()
    login = _event(world.a, EventKind.LOGIN, user=teacher, at=now - dt.timedelta(days=10))
    failed = _event(world.a, EventKind.LOGIN_FAILED, username="ai.do", at=now)
    other = _event(world.a, EventKind.LOGOUT, user=world.a.m(Role.PRINCIPAL).user, at=now)

    def both(query: str) -> set[int]:
        page = _shown(client.get(f"{LOG}?{query}"))
        data = api.get(f"{API_LOG}?{query}").json()
        assert "results" in data, (query, data)
        listed = {row["id"] for row in data["results"]}
        assert page == listed, query
        return page

    assert both("kind=login_failed") == {failed.pk}
    assert both(f"user={teacher.username}") == {login.pk}
    assert both("user=AI.DO") == {failed.pk}
    day = timezone.localtime(login.at).date()
    assert both(f"date_from={day:%d/%m/%Y}&date_to={day:%d/%m/%Y}") == {login.pk}
    assert both(f"date_from={day + dt.timedelta(days=1):%d/%m/%Y}") == {failed.pk, other.pk}
    assert both(f"unit={world.a.school.pk}") == {login.pk, failed.pk, other.pk}
    # A unit out of reach is not a choice: the page lists nothing and says why, the API says 400.
    response = client.get(f"{LOG}?unit={world.phong2.pk}")
    assert _shown(response) == set() and 'role="alert"' in response.content.decode()
    assert api.get(f"{API_LOG}?unit={world.phong2.pk}").status_code == 400


def test_users_are_found_by_name_without_diacritics(world: World):
    binh = world.a.members["teacher2"].user  # Trần Thị Bình
    client = web_client(world.a.m(Role.PRINCIPAL))
    event = _event(world.a, user=binh)
    _event(world.a, user=world.a.m(Role.TEACHER).user)
    assert _shown(client.get(f"{LOG}?user=tran thi binh")) == {event.pk}


def test_unit_filter_offers_only_units_in_reach(world: World):
    response = web_client(world.members["phong1_admin"]).get(f"{LOG}?unit={world.b.school.pk}")
    assert response.status_code == 200
    html = response.content.decode()
    assert world.b.school.name not in html
    assert world.a.school.name in html  # a choice of the filter


def test_api_rows_carry_the_event_in_words(world: World):
    _event(world.a, EventKind.LOCKED_OUT, username="gv.a")
    (row,) = api_client(world.a.m(Role.PRINCIPAL)).get(f"{API_LOG}?kind=locked_out").json()["results"]
    assert (row["kind"], row["kind_display"], row["username"], row["unit_name"], row["ip"]) == (
        "locked_out",
        "Bị tạm khoá đăng nhập",
        "gv.a",
        world.a.school.name,
        "192.0.2.1",
    )


def test_activity_page_query_count_does_not_grow_with_events(world: World):
    client = web_client(world.a.m(Role.SCHOOL_ADMIN))
    people = [world.a.m(role) for role in (Role.TEACHER, Role.CLERK, Role.PRINCIPAL, Role.STUDENT, Role.PARENT)]

    def add(count: int) -> None:
        for i in range(count):
            m = people[i % len(people)]
            AuditEvent.objects.create(
                kind=EventKind.LOGIN, user=m.user, membership=m, unit=world.a.school, ip="192.0.2.9"
            )

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(LOG)
        assert response.status_code == 200
        return len(captured)

    AuditEvent.objects.all().delete()  # the test client's own login
    add(5)
    client.get(LOG)  # warm up the session
    with_5 = count()
    add(45)
    with_50 = count()
    assert len(_shown(client.get(LOG))) == 50
    assert with_50 == with_5
