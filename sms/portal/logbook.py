"""The lookup log's writes (``LookupLog``), kept off the results-day hot path.

A lookup's log row is written with an asynchronous commit on PostgreSQL (``synchronous_commit``
off for that transaction only): a crash may lose the last fraction of a second of log rows, never
corrupt them, and no other write of the process is affected.

Outside a transaction (a request) the write costs ONE round trip: ``BEGIN; SET LOCAL …; INSERT …;
COMMIT`` sent as one text (``write_log``), or — for a lookup answered from the precomputed store —
riding in the lookup's own query (``sms.portal.store.find`` with ``log=``), so a stored lookup
costs one round trip to the database for its answer and its log together.

These statements are PREPAREd once per database session and EXECUTEd after (``Prepared``;
``DB_PREPARED_STATEMENTS``, on by default): for the stored lookup, parsing and planning its statement
cost PostgreSQL more than running it. A prepared statement's name carries a digest of its text, so a
session that already holds it (a pooler in session mode, another version of the code) never runs
another text under the same name; a session that lost it (``DEALLOCATE``) prepares it again.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections, router, transaction
from django.utils import timezone

from .models import LookupLog

#: the log's columns, in the order ``insert_sql`` takes them
COLUMNS = ("kind", "identifier", "found", "throttled", "ip", "at", "unit")

_INSERT: dict[str, str] = {}


@dataclass(frozen=True)
class Entry:
    """What a lookup logs before it knows its answer: the lookup's kind, the normalised identifier
    (never the secret) and the client's address."""

    kind: str
    identifier: str
    ip: str


def table_and_columns(connection) -> tuple[str, str]:
    """The log's quoted table name and its quoted column list (``COLUMNS``' order)."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(LookupLog._meta.get_field(name).column) for name in COLUMNS)
    return quote(LookupLog._meta.db_table), columns


#: the PostgreSQL types of the log's columns, in ``COLUMNS``' order
COLUMN_TYPES = ("varchar", "varchar", "boolean", "boolean", "inet", "timestamptz", "bigint")


@dataclass(frozen=True)
class Prepared:
    """A statement with ``%s`` placeholders, to be PREPAREd once per session with its parameters' PostgreSQL
    ``types`` (declared: a parameter in a SELECT list has no type to infer) and EXECUTEd after."""

    statement: str
    types: tuple[str, ...]

    @functools.cached_property
    def name(self) -> str:
        digest = hashlib.sha1(f"{self.types}{self.statement}".encode(), usedforsecurity=False).hexdigest()[:16]
        return f"sms_portal_{digest}"

    def prepare_sql(self) -> str:
        parts = self.statement.split("%s")
        if len(parts) - 1 != len(self.types):
            raise ValueError(f"{len(parts) - 1} placeholders for {len(self.types)} types")
        numbered = "".join(f"{part}${n}" for n, part in enumerate(parts[:-1], start=1)) + parts[-1]
        return f"PREPARE {self.name} ({', '.join(self.types)}) AS {numbered}"

    @functools.cached_property
    def execute_sql(self) -> str:
        return f"EXECUTE {self.name} ({', '.join(['%s'] * len(self.types))})"


def insert_sql(connection) -> str:
    sql = _INSERT.get(connection.vendor)
    if sql is None:
        table, columns = table_and_columns(connection)
        values = ", ".join(["%s"] * len(COLUMNS))
        sql = _INSERT[connection.vendor] = f"INSERT INTO {table} ({columns}) VALUES ({values})"  # noqa: S608
    return sql


_INSERT_PREPARED: dict[str, Prepared] = {}


def insert_statement(connection) -> Prepared:
    """The log's INSERT, to be prepared (``run_asynchronous_commit``)."""
    statement = _INSERT_PREPARED.get(connection.vendor)
    if statement is None:
        statement = _INSERT_PREPARED[connection.vendor] = Prepared(insert_sql(connection), COLUMN_TYPES)
    return statement


#: per session (psycopg's connection object), the names of the statements prepared on it
_PREPARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _sqlstate(error: BaseException) -> str | None:
    """PostgreSQL's error code of a database error (Django wraps psycopg's: the original is its cause)."""
    return getattr(error, "sqlstate", None) or getattr(error.__cause__, "sqlstate", None)


def _prepared_text(connection, cursor, prepared: Prepared) -> str:
    """``prepared`` as an EXECUTE on this session, PREPAREd first if the session does not have it yet."""
    names = _PREPARED.setdefault(connection.connection, set())
    if prepared.name not in names:
        try:
            cursor.execute(prepared.prepare_sql())
        except DatabaseError as error:
            if _sqlstate(error) != "42P05":  # duplicate_prepared_statement: the same text under its digest's name
                raise
        names.add(prepared.name)
    return prepared.execute_sql


def _binds_on_client(cursor) -> bool:
    """Whether the cursor merges the parameters into the SQL text itself and reads every result of
    a multi-statement text (Django's default cursor on psycopg 3): then several statements may share
    one ``execute``. (psycopg2 returns only the last result: it takes the ordinary path.)"""
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    if not is_psycopg3:
        return False
    import psycopg

    return isinstance(getattr(cursor, "cursor", None), psycopg.ClientCursor)


def one_text_connection(reading=None) -> Any | None:
    """The connection the log is written on, when a write may be sent there as one text with its
    own ``BEGIN … COMMIT``: PostgreSQL, autocommit, outside any ``atomic`` block — and, with
    ``reading`` (a model), when the routers read that model from the same database. Else None."""
    connection = connections[router.db_for_write(LookupLog)]
    if reading is not None and router.db_for_read(reading) != connection.alias:
        return None
    if connection.vendor == "postgresql" and connection.get_autocommit() and not connection.in_atomic_block:
        return connection
    return None


def run_asynchronous_commit(connection, statement: str | Prepared, params: Sequence[Any]) -> list[tuple] | None:
    """``statement`` in its own transaction whose commit does not wait for the disk, sent as one
    text: the rows it returns, or None when the driver binds on the server (then nothing ran).
    A ``Prepared`` statement is EXECUTEd (PREPAREd first on a session that lacks it) unless
    ``DB_PREPARED_STATEMENTS`` is off. On an error the transaction is rolled back and the error
    raised; the connection stays usable."""
    with connection.cursor() as cursor:
        if not _binds_on_client(cursor):
            return None
        if isinstance(statement, Prepared) and not settings.DB_PREPARED_STATEMENTS:
            statement = statement.statement
        for attempt in (1, 2):
            text = _prepared_text(connection, cursor, statement) if isinstance(statement, Prepared) else statement
            try:
                return _one_text(cursor, f"BEGIN; SET LOCAL synchronous_commit TO OFF; {text}; COMMIT", params)
            except DatabaseError as error:
                # invalid_sql_statement_name: the session lost the statement (DEALLOCATE): prepare it again, once
                if attempt == 2 or not isinstance(statement, Prepared) or _sqlstate(error) != "26000":
                    raise
                _PREPARED.get(connection.connection, set()).discard(statement.name)
    raise AssertionError("unreachable")


def _one_text(cursor, text: str, params: Sequence[Any]) -> list[tuple]:
    try:
        cursor.execute(text, params)
        rows: list[tuple] = []
        while True:  # BEGIN, SET, the statement, COMMIT: one result each
            if cursor.description is not None:
                rows = cursor.fetchall()
            if not cursor.cursor.nextset():
                break
    except Exception:
        with contextlib.suppress(Exception):
            cursor.execute("ROLLBACK")
        raise
    return rows


def write_log(kind: str, identifier: str, *, ip: str, found: bool, throttled: bool, unit_id: int | None = None) -> None:
    """One row of the lookup log, committed asynchronously on PostgreSQL (see the module
    docstring). Outside a transaction it is one round trip; inside one (a test, a caller's
    ``atomic``) it joins it through a savepoint."""
    connection = one_text_connection()
    if connection is not None:
        params = [kind, identifier, found, throttled, ip, timezone.now(), unit_id]
        if run_asynchronous_commit(connection, insert_statement(connection), params) is not None:
            return
    connection = connections[router.db_for_write(LookupLog)]
    row = LookupLog(kind=kind, identifier=identifier, found=found, throttled=throttled, ip=ip, unit_id=unit_id)
    if connection.vendor != "postgresql":
        row.save(force_insert=True, using=connection.alias)
        return
    with transaction.atomic(using=connection.alias):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        row.save(force_insert=True, using=connection.alias)
