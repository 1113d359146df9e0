"""Background jobs: queued on commit, run as the actor rebuilt from the membership, status
and output kept in a scoped Job row that people follow and download from."""

from __future__ import annotations

import io
import logging
import os
import time
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from openpyxl import load_workbook

from sms.accounts.actors import Actor
from sms.accounts.roles import Role
from sms.jobs import registry
from sms.jobs.models import Job, JobStatus
from sms.jobs.registry import JobError, register_job
from sms.jobs.services import GENERIC_ERROR, MEMBERSHIP_ENDED, enqueue
from sms.org.models import SchoolClass
from tests.world import api_client, web_client

EXPORT = "org.classes_xlsx"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _eager():
    """Jobs run inline here even when REDIS_URL is set (the real-worker test turns it off)."""
    from sms.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


def actor(membership) -> Actor:
    return Actor(membership.user, membership)


def class_rows(data: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:6] == ("Trường", "Mã trường", "Năm học", "Khối", "Lớp", "Giáo viên chủ nhiệm")
    return rows[1:]


def downloaded(response) -> bytes:
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content)


@pytest.fixture
def failing_kinds():
    @register_job("test.crash", title="Tác vụ thử gặp lỗi")
    def crash(job, actor):
        raise RuntimeError("secret internal detail: table xyz")

    @register_job("test.refuse", title="Tác vụ thử từ chối")
    def refuse(job, actor):
        job.set_progress(40, "Đang kiểm tra.")
        raise JobError("Năm học đã khoá sổ, không thể tính lại.")

    yield
    registry._REGISTRY.pop("test.crash")
    registry._REGISTRY.pop("test.refuse")


# --- queued on commit ------------------------------------------------------------------------------


def test_nothing_is_queued_when_the_transaction_rolls_back(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        enqueue(actor(world.a.m(Role.PRINCIPAL)), EXPORT)
        raise RuntimeError("the request failed after queueing")
    assert callbacks == []
    assert not Job.objects.exists()


def test_the_job_runs_only_after_commit(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        job = enqueue(actor(world.a.m(Role.PRINCIPAL)), EXPORT)
        job.refresh_from_db()
        assert job.status == JobStatus.QUEUED  # even with eager Celery, not before the commit
    assert len(callbacks) == 1
    callbacks[0]()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.progress == 100
    assert job.started_at and job.finished_at and job.finished_at >= job.started_at


def test_params_are_plain_values_not_model_instances(world):
    principal = actor(world.a.m(Role.PRINCIPAL))
    with pytest.raises(ValidationError) as exc:
        enqueue(principal, EXPORT, current_only=world.a.klass)
    assert "current_only" in str(exc.value)
    with pytest.raises(ValidationError):
        enqueue(principal, EXPORT, school_class=world.a.klass.pk)  # not a parameter of this job
    with pytest.raises(ValidationError):
        enqueue(principal, "no.such.job")
    assert not Job.objects.exists()


# --- eager run, output through the door ------------------------------------------------------------


def test_web_form_runs_the_export_and_the_output_is_served_through_the_door(world, django_capture_on_commit_callbacks):
    teacher = world.a.m(Role.TEACHER)
    client = web_client(teacher)
    form = client.get(reverse("jobs:job-create"))
    assert "Xuất cơ cấu lớp học (xlsx)" in form.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("jobs:job-create"), {"kind": EXPORT})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert (job.unit, job.membership, job.created_by) == (world.a.school, teacher, teacher.user)
    assert job.status == JobStatus.SUCCEEDED and job.output is not None

    page = client.get(job.get_absolute_url()).content.decode()
    assert "Hoàn thành" in page and job.output.get_absolute_url() in page and 'aria-valuenow="100"' in page
    assert client.get(reverse("jobs:job-status", kwargs={"pk": job.pk})).json()["status"] == "succeeded"

    file_url = job.output.get_absolute_url()
    response = client.get(file_url)
    assert "attachment" in response["Content-Disposition"] and ".xlsx" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    names = {row[4] for row in class_rows(downloaded(response))}
    assert names == {world.a.klass.name}

    # Same school, another teacher: neither the job nor its file. The school's admin and the
    # Phòng see the job, but its output is a private file: its creator's alone.
    # Another school's principal and Phòng: 404 for both.
    job_url, api_url = job.get_absolute_url(), reverse("api:job-download", kwargs={"pk": job.pk})
    for membership, expected, file_expected in [
        (world.a.m("teacher2"), 404, 404),
        (world.a.m(Role.STUDENT), 404, 404),
        (world.a.m(Role.PRINCIPAL), 200, 404),
        (world.members["phong1_admin"], 200, 404),
        (world.b.m(Role.PRINCIPAL), 404, 404),
        (world.members["phong2_admin"], 404, 404),
    ]:
        web = web_client(membership)
        assert web.get(job_url).status_code == expected, membership
        assert web.get(file_url).status_code == file_expected, membership
        assert api_client(membership).get(api_url).status_code == file_expected, membership


def test_job_lists_show_own_jobs_to_staff_and_the_subtree_to_admins(world):
    mine = Job.objects.create(
        unit=world.a.school,
        membership=world.a.m(Role.TEACHER),
        created_by=world.a.m(Role.TEACHER).user,
        kind=EXPORT,
        title="Việc của tôi",
    )
    colleague = Job.objects.create(
        unit=world.a.school,
        membership=world.a.m("teacher2"),
        created_by=world.a.m("teacher2").user,
        kind=EXPORT,
        title="Việc của đồng nghiệp",
    )
    url = reverse("jobs:job-list")

    def listed(membership) -> set[int]:
        html = web_client(membership).get(url).content.decode()
        return {job.pk for job in (mine, colleague) if job.get_absolute_url() in html}

    assert listed(world.a.m(Role.TEACHER)) == {mine.pk}
    assert listed(world.a.m(Role.PRINCIPAL)) == {mine.pk, colleague.pk}
    assert listed(world.members["phong1_admin"]) == {mine.pk, colleague.pk}
    assert listed(world.members["phong1_staff"]) == set()
    assert listed(world.members["phong2_admin"]) == set()
    html = web_client(world.a.m(Role.TEACHER)).get(url).content.decode()
    assert "Đang chờ" in html  # status in words


def test_the_export_holds_only_the_classes_the_actor_reaches(world, django_capture_on_commit_callbacks):
    SchoolClass.objects.create(
        school=world.b.school, school_year=world.b.year, grade=world.b.school.grades[0], name="6B9"
    )
    with django_capture_on_commit_callbacks(execute=True):
        phong1 = enqueue(actor(world.members["phong1_admin"]), EXPORT)
        so = enqueue(actor(world.members["so_admin"]), EXPORT)
    phong1.refresh_from_db()
    so.refresh_from_db()
    rows = class_rows(phong1.output.read_bytes())
    assert {(r[1], r[4]) for r in rows} == {(world.a.school.code, world.a.klass.name)}
    assert rows[0][0] == world.a.school.name and rows[0][5] == str(world.a.klass.homeroom_teacher)
    assert {r[1] for r in class_rows(so.output.read_bytes())} == {world.a.school.code, world.b.school.code}


def test_api_queues_a_job_and_downloads_its_output(world, django_capture_on_commit_callbacks):
    client = api_client(world.a.m(Role.PRINCIPAL))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/jobs/", {"kind": EXPORT, "params": {"current_only": True}}, format="json")
    assert response.status_code == 201, response.json()
    job_id = response.json()["id"]
    detail = client.get(f"/api/jobs/{job_id}/").json()
    assert detail["status"] == "succeeded" and detail["status_display"] == "Hoàn thành"
    data = downloaded(client.get(detail["download_url"]))
    assert [r[4] for r in class_rows(data)] == [world.a.klass.name]

    bad = client.post("/api/jobs/", {"kind": "khong.co"}, format="json")
    assert bad.status_code == 400 and "không tồn tại" in str(bad.json())
    bad = client.post("/api/jobs/", {"kind": EXPORT, "params": {"year": 1}}, format="json")
    assert bad.status_code == 400
    learner = api_client(world.a.m(Role.STUDENT)).post("/api/jobs/", {"kind": EXPORT}, format="json")
    assert learner.status_code == 403
    assert Job.objects.count() == 1


# --- failures --------------------------------------------------------------------------------------


def test_a_crash_is_recorded_in_vietnamese_and_the_traceback_only_in_the_log(
    world, failing_kinds, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.ERROR, logger="sms.jobs.services")
    with django_capture_on_commit_callbacks(execute=True):
        crashed = enqueue(actor(world.a.m(Role.TEACHER)), "test.crash")
        refused = enqueue(actor(world.a.m(Role.TEACHER)), "test.refuse")
    crashed.refresh_from_db()
    refused.refresh_from_db()
    assert crashed.status == JobStatus.FAILED and crashed.error == GENERIC_ERROR
    assert "secret" not in crashed.error and crashed.output is None and crashed.finished_at
    assert "secret internal detail" in caplog.text and "Traceback" in caplog.text
    assert refused.status == JobStatus.FAILED
    assert refused.error == "Năm học đã khoá sổ, không thể tính lại." and refused.progress == 40

    page = web_client(world.a.m(Role.TEACHER)).get(crashed.get_absolute_url()).content.decode()
    assert "Thất bại" in page and 'role="alert"' in page and GENERIC_ERROR in page
    assert "secret" not in page


def test_a_job_whose_membership_ended_fails(world, django_capture_on_commit_callbacks):
    teacher = world.a.m(Role.TEACHER)
    with django_capture_on_commit_callbacks() as callbacks:
        job = enqueue(actor(teacher), EXPORT)
    teacher.is_active = False
    teacher.save()
    for callback in callbacks:
        callback()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error == MEMBERSHIP_ENDED and job.output is None


# --- a real worker ---------------------------------------------------------------------------------


def _redis_url() -> str:
    return os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


def _require_redis(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
    except (redis.exceptions.RedisError, OSError) as exc:
        if os.environ.get("SMS_REQUIRE_REDIS") == "1":
            pytest.fail(f"SMS_REQUIRE_REDIS=1 but Redis is unreachable at {url}: {exc}")
        pytest.skip(f"Redis is unreachable at {url} ({exc}); set REDIS_URL or start Redis to run a real worker")


def _reset_broker_state(app) -> None:
    # Eager runs earlier in the session may have opened the pools on "memory://", and the
    # queue and routing tables are cached from the configuration they were first built with.
    app._pool = None
    app.amqp._producer_pool = None
    for name in ("queues", "router"):
        app.amqp.__dict__.pop(name, None)
    app.amqp._rtable = None


@pytest.fixture
def redis_celery():
    """The project's Celery app on Redis, not eager, with a queue of its own (so two test runs
    sharing a Redis never take each other's messages); restored afterwards."""
    from sms.celery import app

    url = _redis_url()
    _require_redis(url)
    keys = ("broker_url", "task_always_eager", "task_default_queue")
    saved = {key: app.conf[key] for key in keys}
    app.conf.update(broker_url=url, task_always_eager=False, task_default_queue=f"sms-test-{uuid.uuid4().hex}")
    _reset_broker_state(app)
    try:
        yield app
    finally:
        import redis

        queue = app.conf.task_default_queue
        with app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)
        redis.Redis.from_url(url).delete(f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        app.conf.update(saved)
        _reset_broker_state(app)


def test_a_real_worker_runs_the_job_from_redis(transactional_db, redis_celery):
    from celery.contrib.testing.worker import start_worker

    from tests.world import build_world

    world = build_world()
    queue = redis_celery.conf.task_default_queue
    with start_worker(redis_celery, pool="solo", perform_ping_check=False, loglevel="WARNING", queues=[queue]):
        job = enqueue(actor(world.members["phong1_admin"]), EXPORT)  # autocommit: queued at once
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if not job.is_active:
                break
            time.sleep(0.2)
    assert job.status == JobStatus.SUCCEEDED, (job.status, job.error)
    assert [r[4] for r in class_rows(job.output.read_bytes())] == [world.a.klass.name]


# --- history, roles, stale jobs ----------------------------------------------------------------------


@pytest.fixture
def writing_kind():
    @register_job("test.rename_class", title="Tác vụ thử đổi tên lớp")
    def rename(job, actor, class_id, name, kind=None):
        from sms.accounts.scoping import get_visible_or_404

        klass = get_visible_or_404(actor, SchoolClass, class_id, "change")
        klass.name = name
        klass.save()
        return None

    yield
    registry._REGISTRY.pop("test.rename_class")


@pytest.mark.django_db
def test_rows_a_job_saves_carry_the_actor_in_their_history(world, django_capture_on_commit_callbacks):
    """No request in a worker: the history still says who, in which role."""
    from sms.org.models import Unit

    principal = world.a.m(Role.PRINCIPAL)

    @register_job("test.rename_school", title="Tác vụ thử đổi tên trường")
    def rename_school(job, actor, name):
        unit = Unit.objects.get(pk=actor.unit_id)
        unit.name = name
        unit.save()

    try:
        with django_capture_on_commit_callbacks(execute=True):
            job = enqueue(actor(principal), "test.rename_school", name="Trường THCS An Bình mới")
    finally:
        registry._REGISTRY.pop("test.rename_school")
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    latest = world.a.school.history.order_by("-history_id").first()
    assert latest.name == "Trường THCS An Bình mới"
    assert latest.history_user_id == principal.user_id
    assert latest.history_membership_id == principal.pk


@pytest.mark.django_db
def test_params_may_be_named_kind_or_actor(world, writing_kind, django_capture_on_commit_callbacks):
    client = api_client(world.a.m(Role.PRINCIPAL))
    payload = {"kind": "test.rename_class", "params": {"class_id": world.a.klass.pk, "name": "6A9", "kind": "x"}}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/jobs/", payload, format="json")
    assert response.status_code == 201, response.content
    world.a.klass.refresh_from_db()
    assert world.a.klass.name == "6A9"


@pytest.mark.django_db
def test_a_job_belongs_to_the_role_it_was_queued_in(world, django_capture_on_commit_callbacks):
    """A principal who also teaches does not see the principal's exports while acting as a
    teacher, nor after the principal role ends."""
    from sms.accounts.models import Membership

    principal = world.a.m(Role.PRINCIPAL)
    as_teacher = Membership.objects.create(user=principal.user, unit=world.a.school, role=Role.TEACHER)
    with django_capture_on_commit_callbacks(execute=True):
        job = enqueue(actor(principal), EXPORT)
    url = reverse("jobs:job-detail", kwargs={"pk": job.pk})
    assert web_client(principal).get(url).status_code == 200
    assert web_client(as_teacher).get(url).status_code == 404
    assert api_client(as_teacher).get(f"/api/jobs/{job.pk}/download/").status_code == 404


@pytest.mark.django_db
def test_lost_and_dead_jobs_are_marked_failed(world, settings):
    from datetime import timedelta

    from django.utils import timezone

    from sms.jobs.services import INTERRUPTED, fail_stale_jobs

    teacher = world.a.m(Role.TEACHER)
    now = timezone.now()
    common = {"unit": world.a.school, "membership": teacher, "created_by": teacher.user, "kind": EXPORT}
    lost = Job.objects.create(**common, created_at=now - timedelta(seconds=settings.SMS_JOB_QUEUE_TIMEOUT + 5))
    waiting = Job.objects.create(**common, created_at=now - timedelta(minutes=5))
    dead = Job.objects.create(
        **common, status=JobStatus.RUNNING, started_at=now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 120)
    )
    working = Job.objects.create(**common, status=JobStatus.RUNNING, started_at=now - timedelta(minutes=1))

    assert fail_stale_jobs(now) == 2

    status = dict(Job.objects.values_list("pk", "status"))
    assert status[lost.pk] == status[dead.pk] == JobStatus.FAILED
    assert status[waiting.pk] == JobStatus.QUEUED and status[working.pk] == JobStatus.RUNNING
    lost.refresh_from_db()
    assert lost.error == INTERRUPTED
