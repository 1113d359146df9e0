"""The precomputed store of what modules publish to the portal (``PublishedRecord``).

On results day hundreds of people a second look up their results; each lookup must cost one
indexed query, not the joins and computations behind a published result. So a module writes
what it publishes into the store when it publishes it (and rewrites or removes it when the
published thing changes or is withdrawn), and its lookup reads the store only::

    from sms.portal import store

    store.replace("exam-scores", refs=[str(c.pk) for c in candidates], records=[
        store.Record(key=f"{exam.code}/{c.number}", ref=str(c.pk), unit_id=exam.unit_id,
                     secrets=[c.birth_date, c.lookup_code], payload={...}),
        ...
    ])
    hits = store.find("exam-scores", key, secret)     # one SELECT on (kind, key)

What is in the store is published by construction: a module never writes an unpublished item,
and removes an item in the same transaction that unpublishes it. ``payload`` is JSON-ready
(ISO dates, decimals as strings) and shown as is.

Second secrets (date of birth, a printed lookup code) are stored as HMAC digests only; a date
is accepted as dd/mm/yyyy or ISO and compared as a date, a code compared case-blind.

Each module registers a builder (``register_builder(kind, fn)``) that rewrites its whole kind
from its own tables; ``manage.py portal_rebuild`` runs them (after a restore, or to check the
store against the tables: ``--check``).
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from sms.text import nfc

from .codes import new_lookup_code  # noqa: F401 (re-exported for modules)
from .models import PublishedRecord

#: how many rows one INSERT carries when a module replaces many items at once
BATCH = 2000

_BUILDERS: dict[str, Callable[[], Iterable[Record]]] = {}


@dataclass(frozen=True)
class Record:
    """One published item: ``key`` the public identifier (normalise it with the lookup's own
    rule), ``secrets`` the second secrets that open it (dates or codes, in clear here; only
    digests are stored), ``ref`` the source row's id within the kind."""

    key: str
    ref: str
    payload: dict[str, Any]
    secrets: Iterable[Any] = ()
    unit_id: int | None = None
    #: the announced publication time, when it is still to come (None: published now)
    visible_from: dt.datetime | None = None


@dataclass(frozen=True)
class Hit:
    ref: str
    payload: dict[str, Any]
    unit_id: int | None = None


def normalise_secret(value: Any) -> str:
    """A second secret as the one string it stands for: a date (``date``, dd/mm/yyyy, d/m/yyyy,
    dd-mm-yyyy or ISO yyyy-mm-dd) as ISO; anything else NFC, without spaces, upper-cased."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = "".join(nfc(str(value)).split())
    parsed = parse_date(text)
    return parsed.isoformat() if parsed else text.upper()


def parse_date(text: str) -> dt.date | None:
    """dd/mm/yyyy (also with - or .) or yyyy-mm-dd, or None."""
    text = text.strip()
    for sep in ("/", "-", "."):
        parts = text.split(sep)
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            try:
                if len(parts[0]) == 4:
                    return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
                if len(parts[2]) == 4:
                    return dt.date(int(parts[2]), int(parts[1]), int(parts[0]))
            except ValueError:
                return None
    return None


def _ref_order(ref: str) -> tuple[int, str]:
    """Refs are row ids as text: "9" before "10"."""
    return (len(ref), ref)


def secret_digest(kind: str, key: str, secret: Any) -> str:
    """The stored form of a second secret: an HMAC bound to (kind, key), so equal birth dates
    of two learners give different digests and a digest is useless outside its row."""
    return salted_hmac("sms.portal.store", f"{kind}\x00{key}\x00{normalise_secret(secret)}").hexdigest()[:40]


def _row(kind: str, record: Record) -> PublishedRecord:
    secrets = sorted({secret_digest(kind, record.key, s) for s in record.secrets if normalise_secret(s)})
    return PublishedRecord(
        kind=kind, key=record.key, ref=str(record.ref), secrets=secrets, payload=record.payload,
        unit_id=record.unit_id, visible_from=record.visible_from,
    )  # fmt: skip


def replace(kind: str, refs: Iterable[Any], records: Iterable[Record]) -> int:
    """Make the store's items of ``kind`` for ``refs`` exactly ``records`` (a ref of ``refs``
    without a record is removed: no longer published). One transaction; returns rows written."""
    refs = [str(r) for r in refs]
    rows = [_row(kind, r) for r in records]
    stray = {row.ref for row in rows} - set(refs)
    if stray:
        raise ValueError(f"records for refs not being replaced: {sorted(stray)[:5]}")
    with transaction.atomic():
        for start in range(0, len(refs), BATCH):
            PublishedRecord.objects.filter(kind=kind, ref__in=refs[start : start + BATCH]).delete()
        PublishedRecord.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def remove(kind: str, refs: Iterable[Any]) -> int:
    """Take ``refs`` of ``kind`` out of the store (withdrawn, revoked from publication)."""
    refs = [str(r) for r in refs]
    removed = 0
    with transaction.atomic():
        for start in range(0, len(refs), BATCH):
            removed += PublishedRecord.objects.filter(kind=kind, ref__in=refs[start : start + BATCH]).delete()[0]
    return removed


#: the lookup's one query (named from the model when first used, per database vendor)
_FIND_SQL: dict[str, str] = {}
_FIND_COLUMNS = ("ref", "secrets", "payload", "unit", "visible_from")


def _find_sql(connection) -> str:
    sql = _FIND_SQL.get(connection.vendor)
    if sql is None:
        quote, meta = connection.ops.quote_name, PublishedRecord._meta
        columns = ", ".join(quote(meta.get_field(name).column) for name in _FIND_COLUMNS)
        kind, key = (quote(meta.get_field(name).column) for name in ("kind", "key"))
        sql = f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {kind} = %s AND {key} = %s"  # noqa: S608
        _FIND_SQL[connection.vendor] = sql
    return sql


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def _rows(kind: str, key: str) -> list[tuple]:
    """(ref, secrets, payload, unit_id, visible_from) of the items under (kind, key): on PostgreSQL
    the SQL is sent as is (the ORM would spend several times the query's own cost building it on
    every lookup); elsewhere through the ORM. Read from the database the routers choose."""
    connection = connections[router.db_for_read(PublishedRecord)]
    if connection.vendor != "postgresql":
        return list(
            PublishedRecord.objects.using(connection.alias)
            .filter(kind=kind, key=key)
            .order_by()
            .values_list("ref", "secrets", "payload", "unit_id", "visible_from")
        )
    with connection.cursor() as cursor:
        cursor.execute(_find_sql(connection), [kind, key])
        rows = cursor.fetchall()
    return [
        (ref, _json(secrets), _json(payload), unit_id, visible_from)
        for ref, secrets, payload, unit_id, visible_from in rows
    ]


def find(kind: str, key: str, secret: Any = None, *, need_secret: bool = True) -> list[Hit]:
    """The published items of ``kind`` under ``key`` that ``secret`` opens, in ref order: one
    indexed query. With ``need_secret`` an item opens only with one of its secrets; without it
    (an identifier that opens the item alone, like a diploma serial) every item answers. An
    item whose publication time is still to come answers nothing."""
    if need_secret and not normalise_secret(secret):
        return []
    rows = _rows(kind, key)
    now = timezone.now()
    digest = secret_digest(kind, key, secret) if need_secret else ""
    return [
        Hit(ref, payload, unit_id)
        for ref, secrets, payload, unit_id, visible_from in sorted(rows, key=lambda r: _ref_order(r[0]))
        if (visible_from is None or visible_from <= now)
        and (not need_secret or any(hmac.compare_digest(digest, s) for s in secrets or ()))
    ]


def get(kind: str, ref: Any) -> Hit | None:
    """The published item ``ref`` of ``kind`` (for a document's check page), or None."""
    row = (
        PublishedRecord.objects.filter(kind=kind, ref=str(ref))
        .values_list("payload", "unit_id", "visible_from")
        .first()
    )
    if row is None or (row[2] is not None and row[2] > timezone.now()):
        return None
    return Hit(str(ref), row[0], row[1])


# --- builders ------------------------------------------------------------------------------------


def register_builder(kind: str, builder: Callable[[], Iterable[Record]]) -> None:
    """A module's way to rebuild its whole kind from its own tables (every published item)."""
    _BUILDERS[kind] = builder


def builders() -> dict[str, Callable[[], Iterable[Record]]]:
    _load_modules()
    return dict(_BUILDERS)


def rebuild(kind: str) -> int:
    """Replace every item of ``kind`` with what its builder says is published now."""
    builder = builders()[kind]
    with transaction.atomic():
        PublishedRecord.objects.filter(kind=kind).delete()
        rows = [_row(kind, record) for record in builder()]
        PublishedRecord.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def differences(kind: str) -> dict[str, int]:
    """How the stored items of ``kind`` differ from what the builder says: missing, stale, stray."""
    expected = {str(r.ref): _row(kind, r) for r in builders()[kind]()}
    stored = {row.ref: row for row in PublishedRecord.objects.filter(kind=kind)}
    stale = sum(
        1
        for ref, row in expected.items()
        if ref in stored
        and (
            stored[ref].key,
            stored[ref].payload,
            sorted(stored[ref].secrets),
            stored[ref].unit_id,
            stored[ref].visible_from,
        )
        != (row.key, row.payload, row.secrets, row.unit_id, row.visible_from)
    )
    return {
        "missing": len(expected.keys() - stored.keys()),
        "stale": stale,
        "stray": len(stored.keys() - expected.keys()),
    }


def _load_modules() -> None:
    """Import every module's ``portal.py`` (where builders register)."""
    from importlib import import_module

    from django.apps import apps
    from django.utils.module_loading import module_has_submodule

    for config in apps.get_app_configs():
        if not config.name.startswith("sms") and module_has_submodule(config.module, "portal"):
            import_module(f"{config.name}.portal")
