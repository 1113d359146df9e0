"""``manage.py portal_rebuild``: rewrite the store from the modules' builders, or check it.

The builder here is registered by the test (and taken away after it), standing in for a
module's "every published item of my kind, from my tables".
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from sms.portal import store
from sms.portal.models import PublishedRecord

KIND = "test-rebuild"
BIRTH = dt.date(2009, 9, 9)


class Published:
    """What the test's "tables" say is published: a list the test edits, and a builder over it."""

    def __init__(self, unit_id):
        self.unit_id = unit_id
        self.items = {
            "1": {"key": "HS001", "payload": {"ho_ten": "Lê Văn Một"}, "secrets": [BIRTH, "AB12CD34"]},
            "2": {"key": "HS002", "payload": {"ho_ten": "Lê Thị Hai"}, "secrets": [BIRTH]},
            "3": {"key": "HS003", "payload": {"ho_ten": "Phạm Ba"}, "secrets": ["2/1/2009"]},
        }
        self.fail_after: int | None = None

    def build(self):
        for n, (ref, item) in enumerate(sorted(self.items.items()), start=1):
            if self.fail_after is not None and n > self.fail_after:
                raise RuntimeError("the tables could not be read")
            yield store.Record(
                key=item["key"],
                ref=ref,
                payload=item["payload"],
                secrets=item["secrets"],
                unit_id=item.get("unit_id", self.unit_id),
                visible_from=item.get("visible_from"),
            )


@pytest.fixture
def published(world):
    tables = Published(world.a.school.pk)
    store.register_builder(KIND, tables.build)
    yield tables
    store._BUILDERS.pop(KIND, None)


def run(*args) -> str:
    out = io.StringIO()
    call_command("portal_rebuild", *args, stdout=out)
    return out.getvalue()


def rows(kind=KIND) -> dict[str, tuple]:
    return {r.ref: (r.key, r.payload, sorted(r.secrets), r.unit_id) for r in PublishedRecord.objects.filter(kind=kind)}


def expected(tables: Published) -> dict[str, tuple]:
    return {
        r.ref: (r.key, r.payload, sorted({store.secret_digest(KIND, r.key, s) for s in r.secrets}), r.unit_id)
        for r in tables.build()
    }


@pytest.mark.django_db
def test_rebuild_writes_exactly_the_builders_rows(published, world):
    # a stray row of the kind (published once, since withdrawn) and a row of another kind
    store.replace(KIND, ["9"], [store.Record(key="HS009", ref="9", payload={"cu": True}, secrets=[BIRTH])])
    store.replace("other-kind", ["1"], [store.Record(key="X", ref="1", payload={"giu": True})])

    assert run(KIND) == f"{KIND}: 3 items\n"

    assert rows() == expected(published)
    assert rows("other-kind") == {"1": ("X", {"giu": True}, [], None)}
    # and the lookups see them: any spelling of the secret opens the item
    assert [h.payload["ho_ten"] for h in store.find(KIND, "HS003", "02/01/2009")] == ["Phạm Ba"]
    assert store.find(KIND, "HS009", BIRTH) == []


@pytest.mark.django_db
def test_rebuild_twice_changes_nothing_and_check_is_clean(published):
    run(KIND)
    first = rows()
    run(KIND)
    assert rows() == first
    assert run(KIND, "--check") == f"{KIND}: missing 0, stale 0, stray 0\n"


@pytest.mark.django_db
def test_a_builder_that_fails_leaves_the_store_as_it_was(published):
    run(KIND)
    before = rows()
    published.items["2"]["payload"] = {"ho_ten": "đổi"}
    published.fail_after = 1
    with pytest.raises(RuntimeError):
        run(KIND)
    assert rows() == before


CHANGES = {
    "payload": lambda item: item.update(payload={"ho_ten": "Lê Thị Hai (đã đính chính)"}),
    "key": lambda item: item.update(key="HS200"),
    "secret": lambda item: item.update(secrets=[dt.date(2009, 9, 10)]),
    "secret-added": lambda item: item.update(secrets=[BIRTH, "ZZ99ZZ99"]),
    "unit": lambda item: item.update(unit_id=None),
    "visible-from": lambda item: item.update(visible_from=timezone.now() + dt.timedelta(days=1)),
}


@pytest.mark.django_db
@pytest.mark.parametrize("change", list(CHANGES))
def test_check_reports_any_change_of_an_item_as_stale(published, change):
    run(KIND)
    CHANGES[change](published.items["2"])
    out = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("portal_rebuild", KIND, "--check", stdout=out)
    assert out.getvalue() == f"{KIND}: missing 0, stale 1, stray 0\n"
    assert raised.value.returncode == 1
    assert "run portal_rebuild without --check" in str(raised.value)
    # the check wrote nothing; the rebuild repairs it
    run(KIND)
    assert run(KIND, "--check") == f"{KIND}: missing 0, stale 0, stray 0\n"


@pytest.mark.django_db
def test_check_counts_missing_stale_and_stray_and_exits_non_zero(published):
    run(KIND)
    PublishedRecord.objects.filter(kind=KIND, ref="1").delete()  # missing
    PublishedRecord.objects.filter(kind=KIND, ref="2").update(payload={"ho_ten": "sửa tay"})  # stale
    store.replace(KIND, ["7", "8"], [store.Record(key="HS007", ref="7", payload={}),
                                     store.Record(key="HS008", ref="8", payload={})])  # fmt: skip  # stray
    before = rows()

    out = io.StringIO()
    with pytest.raises(CommandError, match="The store differs from the tables") as raised:
        call_command("portal_rebuild", "--check", KIND, stdout=out)
    # manage.py turns a CommandError into this exit status (run_from_argv: sys.exit(returncode))
    assert raised.value.returncode == 1
    assert out.getvalue() == f"{KIND}: missing 1, stale 1, stray 2\n"
    assert rows() == before  # --check only reports


@pytest.mark.django_db
def test_without_kinds_every_registered_kind_is_rebuilt(published):
    out = run()
    assert f"{KIND}: 3 items" in out.splitlines()
    assert set(rows()) == {"1", "2", "3"}


@pytest.mark.django_db
def test_unknown_kind_is_an_error_naming_it(published):
    with pytest.raises(CommandError, match="Unknown kinds: khong-co") as raised:
        run(KIND, "khong-co")
    assert KIND in str(raised.value)  # the known kinds are listed
    assert not PublishedRecord.objects.filter(kind=KIND).exists()  # nothing was rebuilt
    with pytest.raises(CommandError, match="Unknown kinds: khong-co"):
        run("khong-co", "--check")
