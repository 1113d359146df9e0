"""The portal's precomputed store (sms.portal.store): what a public lookup reads, and only that.

A module writes what it publishes with ``replace``/``remove``; a lookup reads it with
``find`` (one indexed query) and a document's check page with ``get``. Second secrets (a
birth date, a printed code) are kept as digests only and match however they are typed.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import IntegrityError
from django.utils import timezone

from sms.portal import store
from sms.portal.models import PublishedRecord

KIND = "test-results"
BIRTH = dt.date(2010, 2, 3)
CODE = "XK7P2M9Q"


def record(ref, key="HS001", *, secrets=(BIRTH, CODE), payload=None, unit_id=None, visible_from=None):
    return store.Record(
        key=key,
        ref=str(ref),
        payload=payload if payload is not None else {"ho_ten": "Nguyễn Thị Hương", "ref": str(ref)},
        secrets=secrets,
        unit_id=unit_id,
        visible_from=visible_from,
    )


def stored(kind=KIND) -> dict[str, dict]:
    return {r.ref: r.payload for r in PublishedRecord.objects.filter(kind=kind)}


# --- second secrets: one secret however it is typed ------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "meaning"),
    [
        (dt.date(2010, 2, 3), "2010-02-03"),
        (dt.datetime(2010, 2, 3, 23, 59), "2010-02-03"),
        ("03/02/2010", "2010-02-03"),
        ("3/2/2010", "2010-02-03"),
        (" 03/02/2010 ", "2010-02-03"),
        ("2010-02-03", "2010-02-03"),
        ("03-02-2010", "2010-02-03"),
        ("03.02.2010", "2010-02-03"),
        ("xk7p2m9q", "XK7P2M9Q"),
        (" xk7p 2m9q ", "XK7P2M9Q"),
        ("XK7P\u00a02M9Q", "XK7P2M9Q"),  # a no-break space pasted from a document
        ("ma\u0303", "MÃ"),  # decomposed input (NFD) is the same code as NFC
        # not dates: kept as codes, which match no stored birth date
        ("31/02/2010", "31/02/2010"),
        ("00/01/2010", "00/01/2010"),
        ("03/02/10", "03/02/10"),
        ("03/02-2010", "03/02-2010"),
        (None, ""),
        ("", ""),
        ("   ", ""),
    ],
)
def test_normalise_secret(typed, meaning):
    assert store.normalise_secret(typed) == meaning


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "opens"),
    [
        ("03/02/2010", True),
        ("3/2/2010", True),
        ("2010-02-03", True),
        ("03-02-2010", True),
        (dt.date(2010, 2, 3), True),
        ("xk7p2m9q", True),
        (" XK7P 2M9Q", True),
        ("02/03/2010", False),  # month-first is another day
        ("04/02/2010", False),
        ("31/02/2010", False),  # an impossible date is a code, and no code like it was stored
        ("XK7P2M9R", False),
        ("2010-02-03X", False),
        ("", False),
        (None, False),
    ],
)
def test_find_opens_with_any_spelling_of_a_stored_secret_only(typed, opens):
    store.replace(KIND, ["1"], [record(1)])
    hits = store.find(KIND, "HS001", typed)
    assert [h.ref for h in hits] == (["1"] if opens else [])


# --- what is stored ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_only_digests_are_stored_and_they_are_bound_to_their_row():
    store.replace(KIND, ["1", "2"], [record(1, "HS001"), record(2, "HS002")])
    store.replace("other-kind", ["1"], [record(1, "HS001")])
    rows = {(r.kind, r.ref): r for r in PublishedRecord.objects.all()}
    dumped = json.dumps([r.secrets for r in rows.values()])
    for clear in ("2010-02-03", "03/02/2010", "20100203", CODE, CODE.lower()):
        assert clear not in dumped
    first, second, other = rows[(KIND, "1")], rows[(KIND, "2")], rows[("other-kind", "1")]
    assert len(first.secrets) == 2  # the birth date and the code
    # the same birth date of two learners, or of one key in two kinds, gives different digests
    assert not set(first.secrets) & set(second.secrets)
    assert not set(first.secrets) & set(other.secrets)


@pytest.mark.django_db
def test_empty_secrets_are_not_stored_and_nothing_opens_with_an_empty_secret():
    store.replace(KIND, ["1"], [record(1, secrets=[None, "", "  "])])
    assert PublishedRecord.objects.get(kind=KIND, ref="1").secrets == []
    for typed in ("", None, "  "):
        assert store.find(KIND, "HS001", typed) == []


@pytest.mark.django_db
def test_payload_unit_and_key_come_back_as_written(world):
    payload = {"ho_ten": "Nguyễn Thị Hương", "diem": "8.5", "ngay_sinh": "2010-02-03", "mon": [{"ten": "Toán"}]}
    store.replace(KIND, ["7"], [record(7, "HS007", payload=payload, unit_id=world.a.school.pk)])
    (hit,) = store.find(KIND, "HS007", "03/02/2010")
    assert hit == store.Hit("7", payload, world.a.school.pk)


# --- replace and remove --------------------------------------------------------------------------


@pytest.mark.django_db
def test_replace_swaps_exactly_the_given_refs():
    store.replace(KIND, ["1", "2", "3"], [record(1), record(2), record(3)])
    store.replace("other-kind", ["2", "3"], [record(2), record(3)])

    written = store.replace(
        KIND, ["2", "3", "4"], [record(2, payload={"v": "mới"}), record(4, "HS004", payload={"v": "thêm"})]
    )

    assert written == 2
    assert stored() == {
        "1": {"ho_ten": "Nguyễn Thị Hương", "ref": "1"},  # not among the refs: untouched
        "2": {"v": "mới"},  # rewritten
        "4": {"v": "thêm"},  # added
    }  # 3 had no record: no longer published, removed
    assert set(stored("other-kind")) == {"2", "3"}  # another kind with the same refs: untouched


@pytest.mark.django_db
def test_replace_refuses_records_outside_its_refs_and_changes_nothing():
    store.replace(KIND, ["1"], [record(1)])
    with pytest.raises(ValueError, match="refs not being replaced"):
        store.replace(KIND, ["1"], [record(1, payload={"v": "mới"}), record(2)])
    assert stored() == {"1": {"ho_ten": "Nguyễn Thị Hương", "ref": "1"}}


@pytest.mark.django_db
def test_replace_that_fails_half_way_keeps_the_old_rows():
    """Two records for one ref break the unique (kind, ref): the deletes are rolled back too,
    so the published item never vanishes from the store."""
    store.replace(KIND, ["1"], [record(1)])
    with pytest.raises(IntegrityError):
        store.replace(KIND, ["1"], [record(1, payload={"v": "a"}), record(1, payload={"v": "b"})])
    assert stored() == {"1": {"ho_ten": "Nguyễn Thị Hương", "ref": "1"}}


@pytest.mark.django_db
def test_replace_accepts_refs_of_any_type_as_strings():
    store.replace(KIND, [1, 2], [record(1), record(2)])
    store.replace(KIND, [2], [])
    assert set(stored()) == {"1"}


@pytest.mark.django_db
def test_remove_takes_out_exactly_the_given_refs_of_the_kind():
    store.replace(KIND, ["1", "2", "3"], [record(1), record(2), record(3)])
    store.replace("other-kind", ["1"], [record(1)])
    assert store.remove(KIND, [1, "3", "99"]) == 2
    assert set(stored()) == {"2"}
    assert set(stored("other-kind")) == {"1"}
    assert store.find(KIND, "HS001", BIRTH) == [store.Hit("2", {"ho_ten": "Nguyễn Thị Hương", "ref": "2"})]


# --- find and get ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_find_needs_the_secret_unless_told_otherwise():
    store.replace(KIND, ["1", "2"], [record(1, "HS001"), record(2, "HS001", secrets=[dt.date(2011, 5, 6)])])
    assert [h.ref for h in store.find(KIND, "HS001", "03/02/2010")] == ["1"]
    assert [h.ref for h in store.find(KIND, "HS001", "06/05/2011")] == ["2"]
    assert store.find(KIND, "HS001") == []  # no secret: nothing
    assert store.find(KIND, "HS001", "01/01/2000") == []  # wrong secret: nothing
    assert store.find(KIND, "HS002", "03/02/2010") == []  # unknown key: the same nothing
    assert store.find("other-kind", "HS001", "03/02/2010") == []
    # an identifier that opens its items alone (a diploma serial): every item under the key
    assert [h.ref for h in store.find(KIND, "HS001", need_secret=False)] == ["1", "2"]


@pytest.mark.django_db
def test_keys_are_matched_exactly_as_stored():
    """The lookup normalises what is typed before ``find``; the store itself adds nothing."""
    store.replace(KIND, ["1"], [record(1, "HS001")])
    assert store.find(KIND, "hs001", BIRTH) == []
    assert store.find(KIND, " HS001", BIRTH) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("visible_from", "shown"),
    [
        (None, True),
        (timezone.now() - dt.timedelta(minutes=1), True),
        (timezone.now() + dt.timedelta(hours=2), False),
    ],
    ids=["now", "announced-time-passed", "announced-time-to-come"],
)
def test_items_appear_at_their_announced_time(visible_from, shown):
    store.replace(KIND, ["1"], [record(1, visible_from=visible_from)])
    assert bool(store.find(KIND, "HS001", BIRTH)) is shown
    assert bool(store.find(KIND, "HS001", need_secret=False)) is shown
    assert (store.get(KIND, 1) is not None) is shown


@pytest.mark.django_db
def test_get_returns_one_published_item_by_ref(world):
    store.replace(KIND, ["5"], [record(5, payload={"so_hieu": "A-1"}, unit_id=world.b.school.pk)])
    assert store.get(KIND, 5) == store.Hit("5", {"so_hieu": "A-1"}, world.b.school.pk)
    assert store.get(KIND, "5") == store.get(KIND, 5)
    assert store.get(KIND, 6) is None
    assert store.get("other-kind", 5) is None
    store.remove(KIND, [5])
    assert store.get(KIND, 5) is None


# --- cost -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("others", [0, 400], ids=["small", "large"])
def test_find_is_one_query_whatever_the_size_of_the_store(django_assert_num_queries, others):
    store.replace(
        KIND,
        [str(n) for n in range(1, others + 4)],
        [record(1), record(2, secrets=[dt.date(2011, 1, 1)]), record(3, "HS003")]
        + [record(n, f"HS{n:05d}") for n in range(4, others + 4)],
    )
    for key, secret, need_secret, refs in [
        ("HS001", "03/02/2010", True, ["1"]),  # a hit among two items under the key
        ("HS001", "01/01/1999", True, []),  # a wrong secret
        ("KHONG-CO", "03/02/2010", True, []),  # an unknown key
        ("HS003", None, False, ["3"]),  # an identifier that opens alone
    ]:
        with django_assert_num_queries(1):
            assert [h.ref for h in store.find(KIND, key, secret, need_secret=need_secret)] == refs
    with django_assert_num_queries(0):
        assert store.find(KIND, "HS001", "") == []  # no secret: not even a query
    with django_assert_num_queries(1):
        assert store.get(KIND, 3) is not None
