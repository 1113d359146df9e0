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

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from sms.text import nfc

from . import logbook
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
    #: the order of the items under one key (smallest first, then by ref)
    rank: int = 0


class Hit:
    """One item a lookup found: its ref, its payload and its unit. On PostgreSQL the payload
    arrives as the JSON text the database keeps (``raw``) and is decoded only when read
    (``payload``): a JSON answer passes the text through without decoding and re-encoding it."""

    __slots__ = ("ref", "unit_id", "_payload", "_raw")

    def __init__(self, ref: str, payload: dict[str, Any] | None = None, unit_id: int | None = None, *, raw=None):
        self.ref, self.unit_id, self._payload, self._raw = ref, unit_id, payload, raw

    @property
    def payload(self) -> dict[str, Any]:
        if self._payload is None:
            self._payload = json.loads(self._raw) if self._raw is not None else {}
        return self._payload

    @property
    def raw(self) -> str:
        """The payload as JSON text."""
        if self._raw is None:
            self._raw = json.dumps(self._payload or {}, ensure_ascii=False, cls=DjangoJSONEncoder)
        return self._raw

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Hit):
            return NotImplemented
        return (self.ref, self.payload, self.unit_id) == (other.ref, other.payload, other.unit_id)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Hit(ref={self.ref!r}, payload={self.payload!r}, unit_id={self.unit_id!r})"


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


def secret_digest(kind: str, key: str, secret: Any) -> str:
    """The stored form of a second secret: an HMAC bound to (kind, key), so equal birth dates
    of two learners give different digests and a digest is useless outside its row."""
    return salted_hmac("sms.portal.store", f"{kind}\x00{key}\x00{normalise_secret(secret)}").hexdigest()[:40]


def _row(kind: str, record: Record) -> PublishedRecord:
    secrets = sorted({secret_digest(kind, record.key, s) for s in record.secrets if normalise_secret(s)})
    return PublishedRecord(
        kind=kind, key=record.key, ref=str(record.ref), secrets=secrets, payload=record.payload,
        unit_id=record.unit_id, visible_from=record.visible_from, rank=record.rank,
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


#: the lookup's one query, and the same with the log's row written by it (named from the models
#: when first used, per database vendor)
_FIND_SQL: dict[str, str] = {}
_FIND_LOGGED_SQL: dict[str, str] = {}


def _columns(connection) -> dict[str, str]:
    quote, meta = connection.ops.quote_name, PublishedRecord._meta
    names = ("kind", "key", "ref", "secrets", "payload", "unit", "rank", "visible_from")
    return {"table": quote(meta.db_table), **{name: quote(meta.get_field(name).column) for name in names}}


def _find_sql(connection) -> str:
    """(ref, secrets, payload as text, unit, rank, visible_from) of every item under (kind, key)."""
    sql = _FIND_SQL.get(connection.vendor)
    if sql is None:
        c = _columns(connection)
        sql = _FIND_SQL[connection.vendor] = (
            f"SELECT {c['ref']}, {c['secrets']}, {c['payload']}::text, {c['unit']}, {c['rank']}, {c['visible_from']} "  # noqa: S608
            f"FROM {c['table']} WHERE {c['kind']} = %s AND {c['key']} = %s"
        )
    return sql


#: ``_order`` in SQL, over the columns of ``_find_logged_sql``'s ``hits`` (refs compared by code point, as Python does)
ORDER = 'rank, length(ref), ref COLLATE "C"'


def _find_logged_sql(connection) -> str:
    """The items under (kind, key) that are visible at a given moment and that a secret's digest
    opens (or every visible one), in ``_order``'s order — and, in the same statement, the log's row
    saying whether any was found and the first one's unit. PostgreSQL: a data-modifying WITH."""
    sql = _FIND_LOGGED_SQL.get(connection.vendor)
    if sql is None:
        c = _columns(connection)
        log_table, log_columns = logbook.table_and_columns(connection)
        sql = _FIND_LOGGED_SQL[connection.vendor] = (
            f"WITH hits AS (SELECT {c['ref']} AS ref, {c['payload']}::text AS payload, {c['unit']} AS unit, "  # noqa: S608
            f"{c['rank']} AS rank FROM {c['table']} WHERE {c['kind']} = %s AND {c['key']} = %s "
            f"AND ({c['visible_from']} IS NULL OR {c['visible_from']} <= %s) AND (%s OR {c['secrets']} ? %s)), "
            f"logged AS (INSERT INTO {log_table} ({log_columns}) SELECT %s, %s, count(*) > 0, false, %s, %s, "
            f"(SELECT unit FROM hits ORDER BY {ORDER} LIMIT 1) FROM hits) "
            f"SELECT ref, payload, unit FROM hits ORDER BY {ORDER}"
        )
    return sql


#: the PostgreSQL types of ``_find_logged_sql``'s parameters, in order (for its PREPARE)
FIND_LOGGED_TYPES = (
    *("varchar", "varchar", "timestamptz", "boolean", "text"),  # the lookup: kind, key, now, no secret?, digest
    *("varchar", "varchar", "inet", "timestamptz"),  # the log: kind, identifier, ip, at
)
_FIND_LOGGED_PREPARED: dict[str, logbook.Prepared] = {}


def _find_logged_statement(connection) -> logbook.Prepared:
    statement = _FIND_LOGGED_PREPARED.get(connection.vendor)
    if statement is None:
        statement = logbook.Prepared(_find_logged_sql(connection), FIND_LOGGED_TYPES)
        _FIND_LOGGED_PREPARED[connection.vendor] = statement
    return statement


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def _order(row: tuple) -> tuple:
    """Items under one key: by rank, then by ref (refs are row ids as text: "9" before "10")."""
    ref, rank = row[0], row[4]
    return (rank, len(ref), ref)


def _rows(kind: str, key: str) -> list[tuple]:
    """(ref, secrets, payload, unit_id, rank, visible_from) of the items under (kind, key): on
    PostgreSQL the SQL is sent as is (the ORM would spend several times the query's own cost
    building it on every lookup) and the payload kept as its JSON text; elsewhere through the ORM.
    Read from the database the routers choose."""
    connection = connections[router.db_for_read(PublishedRecord)]
    if connection.vendor != "postgresql":
        return list(
            PublishedRecord.objects.using(connection.alias)
            .filter(kind=kind, key=key)
            .order_by()
            .values_list("ref", "secrets", "payload", "unit_id", "rank", "visible_from")
        )
    with connection.cursor() as cursor:
        cursor.execute(_find_sql(connection), [kind, key])
        return [(ref, _json(secrets), *rest) for ref, secrets, *rest in cursor.fetchall()]


def find(
    kind: str, key: str, secret: Any = None, *, need_secret: bool = True, log: logbook.Entry | None = None
) -> list[Hit]:
    """The published items of ``kind`` under ``key`` that ``secret`` opens, by rank then ref: one
    indexed query. With ``need_secret`` an item opens only with one of its secrets; without it
    (an identifier that opens the item alone, like a diploma serial) every item answers. An
    item whose publication time is still to come answers nothing.

    With ``log`` the lookup's log row is written too (found or not, and the first item's unit):
    on PostgreSQL outside a transaction in the same statement as the lookup, one round trip in
    all, its commit asynchronous, the statement prepared once per session (``sms.portal.logbook``)."""
    if need_secret and not normalise_secret(secret):
        hits: list[Hit] = []
    else:
        now = timezone.now()
        digest = secret_digest(kind, key, secret) if need_secret else ""
        if log is not None and (connection := logbook.one_text_connection(reading=PublishedRecord)) is not None:
            params = [kind, key, now, not need_secret, digest, log.kind, log.identifier, log.ip, now]
            rows = logbook.run_asynchronous_commit(connection, _find_logged_statement(connection), params)
            if rows is not None:
                return [Hit(ref, None, unit_id, raw=payload) for ref, payload, unit_id in rows]
        hits = [
            Hit(ref, None, unit_id, raw=payload) if isinstance(payload, str) else Hit(ref, payload, unit_id)
            for ref, secrets, payload, unit_id, _rank, visible_from in sorted(_rows(kind, key), key=_order)
            if (visible_from is None or visible_from <= now)
            and (not need_secret or any(hmac.compare_digest(digest, s) for s in secrets or ()))
        ]
    if log is not None:
        logbook.write_log(
            log.kind, log.identifier, ip=log.ip, found=bool(hits), throttled=False,
            unit_id=hits[0].unit_id if hits else None,
        )  # fmt: skip
    return hits


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
            stored[ref].rank,
        )
        != (row.key, row.payload, row.secrets, row.unit_id, row.visible_from, row.rank)
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
