"""The one documented exception to the one data-access model (the ORM Session, or Core statements on the session's
connection): election Sunday's hottest write, a ballot scan, runs on the database driver's own connection.

A scan is a handful of small statements, but through the Session's connection (Core's execution machinery: cache
key, execution context, result object) each statement costs 13–42 µs more than on the driver's cursor, and the
Session's commit its flush and listeners: bench/compare.py measured that variant 13–25 % below this path in scans/s
(median of paired rounds, SQLite and PostgreSQL, against a noise of about ±5 % in quiet runs) with 26–33 % more of the
app's CPU per scan (README, Benchmarks), so the scan keeps this path. The statements are still typed SQLAlchemy Core
built from the models, compiled once per dialect; `Prepared.run` sends the compiled SQL straight to the DBAPI cursor,
with the types' own bind and result processors, so enums, booleans and datetimes read and write exactly as through
the ORM.

Who may use it is listed in tests/test_layout.py: ballots/scanning.py (the only writer, with its audit entry chained
by core.audit.append_entries on the same connection), core/accounts.py (the bearer token of a view marked
@direct_db, so a scan request uses one connection and no Session), the views that carry the marker, and app.py.

The request's connection comes from the engine's pool (pre-ping included) and goes back at teardown;
whoever uses it commits or rolls back explicitly (the scan path does both, see ballots.scanning).
"""
from __future__ import annotations

import threading
from collections import namedtuple
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, g

from extensions import db

try:
    import fcntl
except ImportError:  # Windows: SQLite writers then queue in its busy handler only
    fcntl = None


F = TypeVar("F")


class Rows(list):
    """The rows a statement returned (tuples with named columns) and the rows it changed."""

    rowcount: int = -1

    def first(self):
        return self[0] if self else None

    def scalar(self):
        return self[0][0] if self else None


class _Compiled:
    """One statement's SQL for one dialect, and what to do to its parameters and rows."""

    def __init__(self, statement: sa.Executable, dialect: sa.Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.order = list(compiled.positiontup or []) if dialect.positional else None
        # The dialect's own implementation of each type (SQLite's DATETIME as text, an Enum as its value…).
        self.binds = {name: bind.type.dialect_impl(dialect).bind_processor(dialect)
                      for name, bind in compiled.binds.items()}
        # The statement's own values (a state in a WHERE clause), processed once; the others come per run.
        self.defaults = {name: self._process(name, value)
                         for name, value in compiled.construct_params(_check=False).items()}
        columns = list(getattr(statement, "exported_columns", []) or [])
        self.row_type = _row_type(tuple(column.key for column in columns))
        self.results = [(i, process) for i, column in enumerate(columns)
                        if (process := column.type.dialect_impl(dialect).result_processor(dialect, None))]

    def _process(self, name: str, value: Any) -> Any:
        process = self.binds.get(name)
        return value if process is None or value is None else process(value)

    def parameters(self, params: dict[str, Any] | None) -> Any:
        values = dict(self.defaults)
        for name, value in (params or {}).items():
            values[name] = self._process(name, value)
        return [values[name] for name in self.order] if self.order is not None else values

    def rows(self, raw_rows: list) -> list:
        if not self.results:
            return [self.row_type._make(raw) for raw in raw_rows]
        rows = []
        for raw in raw_rows:
            values = list(raw)
            for i, process in self.results:
                values[i] = process(values[i])
            rows.append(self.row_type._make(values))
        return rows


class Prepared:
    """A Core statement compiled once per dialect and run on a DBAPI connection."""

    def __init__(self, statement: sa.Executable) -> None:
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def run(self, connection: Any, dialect: sa.Dialect, params: dict[str, Any] | None = None) -> Rows:
        """Execute on `connection` (a pooled DBAPI connection of `dialect`); the rows come back processed."""
        compiled = self._by_dialect.get(dialect.name)
        if compiled is None:
            compiled = self._by_dialect[dialect.name] = _Compiled(self.statement, dialect)
        cursor = connection.dbapi_connection.cursor()
        try:
            cursor.execute(compiled.sql, compiled.parameters(params))
            # Rows only for the columns the statement asked for (SELECT, or RETURNING it names).
            rows = Rows(compiled.rows(cursor.fetchall()) if compiled.row_type._fields and cursor.description
                        else ())
            rows.rowcount = cursor.rowcount
            return rows
        finally:
            cursor.close()


_prepared: dict[int, Prepared] = {}


def request_runner() -> Callable[..., Rows]:
    """run(statement, params) → Rows on this request's connection, for statements built once (module level)."""
    run = g.get("_dbapi_runner")
    if run is None:
        connection, dialect = request_connection(), db.engine.dialect

        def execute(statement: sa.Executable, params: dict[str, Any] | None = None) -> Rows:
            prepared = _prepared.get(id(statement))
            if prepared is None or prepared.statement is not statement:
                prepared = _prepared[id(statement)] = Prepared(statement)
            return prepared.run(connection, dialect, params)

        run = g._dbapi_runner = execute
    return run


_row_types: dict[tuple[str, ...], type] = {}


def _row_type(names: Sequence[str]) -> type:
    row_type = _row_types.get(tuple(names))
    if row_type is None:
        row_type = _row_types[tuple(names)] = namedtuple("Row", names, rename=True)
    return row_type


def direct_db(view: F) -> F:
    """Marks a view that works on the request's DBAPI connection: its bearer token is checked there too,
    so the request uses one connection and no ORM Session."""
    view.direct_db = True  # type: ignore[attr-defined]
    return view


def request_connection() -> Any:
    """This request's DBAPI connection from the pool (one per request; back to the pool at its end, which
    rolls back whatever was left uncommitted: the locks of a refused scan never outlive its request)."""
    connection = g.get("_dbapi_connection")
    if connection is None:
        connection = g._dbapi_connection = db.engine.raw_connection()
    return connection


def release_request_connection(_error: BaseException | None = None) -> None:
    """Give the request's connection back to the pool (at teardown; tests that call the scan helpers outside
    a request call it themselves)."""
    g.pop("_dbapi_runner", None)
    connection = g.pop("_dbapi_connection", None)
    if connection is not None:
        connection.close()  # back to the pool, which rolls back anything left open


def init_app(app: Flask) -> None:
    # At the end of each request (an app context may outlive it, as in the tests), and of the app context.
    app.teardown_request(release_request_connection)
    app.teardown_appcontext(release_request_connection)


@contextmanager
def rolled_back_on_error(connection: Any) -> Iterator[None]:
    """Roll `connection` back if the block raises (its locks end with it), then let the error go on."""
    try:
        yield
    except BaseException:
        connection.rollback()
        raise


def driver_errors() -> tuple[type[BaseException], ...]:
    dbapi = db.engine.dialect.dbapi
    return (dbapi.IntegrityError, dbapi.OperationalError)


def is_conflict(error: BaseException) -> bool:
    """A unique key taken by a concurrent request, or SQLite's write lock still busy after its timeout."""
    return isinstance(error, db.engine.dialect.dbapi.IntegrityError) or "locked" in str(error).lower()


_queue_files = threading.local()


@contextmanager
def write_queue() -> Iterator[None]:
    """On SQLite, wait for the database's single write lock in a blocking OS lock; elsewhere, nothing
    (PostgreSQL queues writers on row locks).

    SQLite's own busy handler retries after sleeping 1, 2, 5, 10, 25… ms, so a queue of phones scanning
    ballots sleeps far longer than it writes (measured: tail latencies of 180–330 ms without this, 11–13 ms
    with it, bench notes in the README). The caller enters after its reads and leaves after its commit.
    Other writers still go through SQLite's lock: this only orders the queue.
    """
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or fcntl is None or not url.database or url.database == ":memory:":
        yield
        return
    files = _queue_files.__dict__.setdefault("files", {})  # one per thread: flock excludes open files
    handle = files.get(url.database)
    if handle is None:
        handle = files[url.database] = open(url.database + ".write-queue", "a+b")  # noqa: SIM115 (kept open)
    fcntl.flock(handle, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
