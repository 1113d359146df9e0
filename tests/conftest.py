"""Shared fixtures: a small province with two school-side subtrees (A under Phòng 1, B under Phòng 2)."""

import pytest

from tests.world import World, build_world


@pytest.fixture
def world(db) -> World:
    return build_world()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Real hashing costs ~0.3 s a user; tests that make dozens of users use a fast one."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def _media_in_a_temporary_folder(tmp_path_factory):
    """Uploads and generated files land in a folder of the test session, not in var/media."""
    from django.test.utils import override_settings

    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        yield


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """A ``replica`` alias mirroring ``default`` (what ``DATABASE_REPLICA_URL`` configures, with the test
    database mirrored), declared before the test databases are made. The router stays off
    (``READ_REPLICA_ALIAS`` None) except in the tests that turn it on (tests/platform/test_replica_router.py),
    so every other test reads and writes ``default`` only."""
    import copy

    from django.conf import settings

    if "replica" not in settings.DATABASES:
        mirror = copy.deepcopy(settings.DATABASES["default"])
        mirror["TEST"] = {**mirror.get("TEST", {}), "MIRROR": "default"}
        settings.DATABASES["replica"] = mirror
