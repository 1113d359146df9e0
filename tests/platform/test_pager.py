"""The one pager every list page includes (sms/_pager.html): links keep the filters and
replace the page number rather than piling up ``page=`` parameters."""

import pytest

from sms.accounts.roles import Role
from tests.makers.students import student
from tests.world import web_client

pytestmark = pytest.mark.django_db


def test_pager_keeps_the_filters_and_one_page_parameter(world, monkeypatch):
    from students.views import records

    for _ in range(3):
        student(world.a)
    monkeypatch.setattr(records.StudentList, "paginate_by", 2)
    client = web_client(world.a.m(Role.PRINCIPAL))
    first = client.get("/hoc-sinh/ho-so/?q=hoc+sinh").content.decode()
    assert 'aria-label="Phân trang"' in first and "Trang 1/2" in first
    assert 'href="?q=hoc+sinh&amp;page=2"' in first
    second = client.get("/hoc-sinh/ho-so/?q=hoc+sinh&page=2").content.decode()
    assert 'href="?q=hoc+sinh&amp;page=1"' in second and "page=2&amp;page" not in second
