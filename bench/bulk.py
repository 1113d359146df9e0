"""Bulk loading for the benchmark data sets: rows of a Django model streamed into PostgreSQL with COPY.

``Loader.copy(Model, ("field", ...), rows)`` writes every row of ``rows`` (tuples in the order of the named
fields, by attribute name: ``school_id``, not ``school``) with one ``COPY … FROM STDIN``. The model's other
concrete columns get what a save would give them: the field's default (a callable one called per row, so a
unique ``uuid4`` default stays unique), now for ``auto_now``/``auto_now_add``, NULL where allowed, "" for a
text field that may be blank; a column with none of these is an error naming it. Values go as COPY text (dates in ISO
form, JSON dumped with the characters kept, Decimals as written), so PostgreSQL parses them into the column's
type and checks every constraint as an INSERT would.

Primary keys are handed out by the loader (``Loader.ids(Model, n)``), starting after the table's highest id,
so rows can reference each other before they are written; ``Loader.finish()`` moves every touched table's
sequence past the ids used, so the application's own inserts continue after them.

Nothing here goes through ``Model.save`` (no signals, no history rows): the benchmark data is a province's
state, not its history. PostgreSQL only.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import json
import time
import uuid
from collections.abc import Iterable, Sequence

_NO_DEFAULT = object()
_TEXT_FIELDS = ("CharField", "TextField", "SlugField", "EmailField", "URLField")


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_SAFE = {int, float, decimal.Decimal, uuid.UUID}


def _text(value) -> str:
    """A Python value as one field of a COPY text line: escaped, ``\\N`` for None."""
    kind = type(value)
    if kind is str:
        return (
            value.translate(_ESCAPES) if ("\\" in value or "\t" in value or "\n" in value or "\r" in value) else value
        )
    if value is None:
        return "\\N"
    if kind is bool:
        return "t" if value else "f"
    if kind in _SAFE:
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).translate(_ESCAPES)
    return str(value).translate(_ESCAPES)


class Loader:
    """COPY rows of Django models into the default PostgreSQL database; keeps the ids it hands out."""

    def __init__(self, log=print):
        from django.db import connection

        if connection.vendor != "postgresql":
            raise RuntimeError("the bulk loader needs PostgreSQL")
        connection.ensure_connection()
        self.connection = connection
        self.log = log
        self._next: dict[str, int] = {}
        self.counts: dict[str, int] = {}
        self.seconds: dict[str, float] = {}

    # --- ids ---------------------------------------------------------------------------------------------

    def ids(self, model, n: int) -> range:
        """``n`` fresh primary keys of ``model``'s table, after its highest id and those handed out before."""
        table = model._meta.db_table
        if table not in self._next:
            with self.connection.cursor() as cursor:
                cursor.execute(f'SELECT COALESCE(MAX("{model._meta.pk.column}"), 0) FROM "{table}"')
                self._next[table] = cursor.fetchone()[0] + 1
        first = self._next[table]
        self._next[table] = first + n
        return range(first, first + n)

    def finish(self) -> None:
        """Move the sequence of every table given ids past the last id handed out, and ANALYZE the tables
        written (fresh statistics, as after a day of use)."""
        with self.connection.cursor() as cursor:
            for table, following in self._next.items():
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [f'"{table}"'])
                sequence = cursor.fetchone()[0]
                if sequence:
                    cursor.execute("SELECT setval(%s, GREATEST(%s, 1), %s)", [sequence, following - 1, following > 1])
            for table in self.counts:
                cursor.execute(f'ANALYZE "{table}"')

    # --- constraints ----------------------------------------------------------------------------------

    @contextlib.contextmanager
    def loading(self, models):
        """Drop the foreign keys, unique constraints and secondary indexes of ``models``' tables (not their
        primary keys) for the load, and put them back after it (PostgreSQL's "Populating a Database" advice:
        Django's foreign keys are deferred, so every COPYed row would queue a check until the commit). Putting
        them back checks every row at once: a duplicate or a dangling id fails the build, naming the
        constraint."""
        tables = [m._meta.db_table for m in models]
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('f', 'u') ORDER BY contype",
                [tables],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                [tables],
            )
            indexes = cursor.fetchall()
            for table, name, _ in constraints:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for name, _ in indexes:
                cursor.execute(f"DROP INDEX {name}")
        yield
        started = time.perf_counter()
        with self.connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem TO '512MB'")
            for _, definition in indexes:
                cursor.execute(definition)
            for table, name, definition in sorted(constraints, key=lambda c: c[2].startswith("FOREIGN")):
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        self.log(f"  indexes and constraints of {len(tables)} tables put back ({time.perf_counter() - started:.0f} s)")

    # --- rows --------------------------------------------------------------------------------------------

    def _filler(self, field, now):
        """The value a save would give ``field`` when the loader is not told one (a callable per row)."""
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return now
        if field.has_default():
            return field.default  # a callable is called per row
        if field.null:
            return None
        if field.blank and field.get_internal_type() in (
            "CharField",
            "TextField",
            "SlugField",
            "EmailField",
            "URLField",
        ):
            return ""
        return _NO_DEFAULT

    def copy(self, model, fields: Sequence[str], rows: Iterable[Sequence]) -> int:
        """Write ``rows`` (value tuples in the order of ``fields``, attribute names) into ``model``'s table by
        one COPY; returns the number of rows. The primary key must be among ``fields`` (see ``ids``)."""
        from django.utils import timezone

        meta = model._meta
        by_attname = {f.attname: f for f in meta.concrete_fields}
        unknown = [name for name in fields if name not in by_attname]
        if unknown:
            raise ValueError(f"{meta.label} has no column {', '.join(unknown)}")
        now = timezone.now()
        extra, constant, per_row = [], [], []
        for field in meta.concrete_fields:
            if field.attname in fields:
                continue
            if field.primary_key:
                raise ValueError(f"{meta.label}: give the primary key (Loader.ids)")
            fill = self._filler(field, now)
            if fill is _NO_DEFAULT:
                raise ValueError(f"{meta.label}.{field.name} has no default: the loader must be given it")
            extra.append(field)
            if callable(fill):
                per_row.append(len(extra) - 1)
            constant.append(fill)
        columns = [by_attname[name].column for name in fields] + [f.column for f in extra]
        constant_text = ["" if callable(v) else _text(v) for v in constant]
        quoted = ", ".join(f'"{c}"' for c in columns)
        sql = f'COPY "{meta.db_table}" ({quoted}) FROM STDIN'
        self.ids(model, 0)  # know the table's next id now: rows may take ids while the COPY runs
        started = time.perf_counter()
        n = 0
        with self.connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor under Django's wrapper
            with raw.copy(sql) as copy:
                # lines built here and written in blocks: psycopg's write_row per row costs more than the rest
                fixed = "".join("\t" + t for t in constant_text) + "\n"
                lines: list[str] = []
                for row in rows:
                    line = "\t".join(map(_text, row))
                    if per_row:
                        tail = list(constant_text)
                        for i in per_row:
                            tail[i] = _text(constant[i]())
                        lines.append(line + "".join("\t" + t for t in tail) + "\n")
                    else:
                        lines.append(line + fixed)
                    if len(lines) == 5000:
                        copy.write("".join(lines))
                        n += len(lines)
                        lines = []
                if lines:
                    copy.write("".join(lines))
                    n += len(lines)
        elapsed = time.perf_counter() - started
        self.counts[meta.db_table] = self.counts.get(meta.db_table, 0) + n
        self.seconds[meta.db_table] = self.seconds.get(meta.db_table, 0.0) + elapsed
        return n
