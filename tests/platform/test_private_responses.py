"""Pages and API answers with personal data are never cached; public ones decide for themselves."""

import pytest

from sms.accounts.roles import Role
from tests.world import api_client, web_client


def directives(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


@pytest.mark.parametrize("path", ["/", "/nhat-ky/", "/tai-khoan/danh-sach/", "/to-chuc/lop/", "/tac-vu/"])
def test_pages_of_a_logged_in_user_are_private_and_not_stored(world, path):
    response = web_client(world.a.m(Role.PRINCIPAL)).get(path)
    assert response.status_code == 200
    assert {"private", "no-store"} <= directives(response)


@pytest.mark.parametrize("path", ["/api/audit/events/", "/api/memberships/", "/api/org/classes/"])
def test_api_answers_are_private_and_not_stored(world, path):
    response = api_client(world.a.m(Role.PRINCIPAL)).get(path)
    assert response.status_code == 200, path
    assert {"private", "no-store"} <= directives(response)
