"""The append-only audit log, chained by hashes, written in the same transaction as the change.

A session listener records every insert, update and delete of an audited model (any model with an
`audit_scope`) at flush time, so no view can change a record without its entry. Bulk work done with
SQLAlchemy Core (imports, seeding) calls `record()` for a summary entry instead.

Chain: entry.hash = sha256(prev_hash + canonical JSON of the entry). The single `audit_head` row is
updated first in every transaction that writes entries; that row lock serialises writers on PostgreSQL
(and SQLite serialises writers anyway), so the chain never forks.
"""
from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import has_request_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, object_session, scoped_session

from core.models import Commune, Hamlet
from core.vietnamese import utcnow
from extensions import Model, db

GENESIS = "0" * 64


class AuditEntry(Model):
    # The indexes the audit page filters by (election.auth.audit_log: always the district, then perhaps a
    # commune; a record's history by type and id), two columns each: every audited write of election Sunday
    # (a ballot scan above all) updates each index, so there are no more of them than the page needs.
    __table_args__ = (sa.Index("ix_audit_entry_scope", "district_id", "commune_id"),
                      sa.Index("ix_audit_entry_record", "record_type", "record_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
    at: Mapped[datetime]
    user_id: Mapped[int | None]
    actor: Mapped[str] = mapped_column(sa.String(120))
    action: Mapped[str] = mapped_column(sa.String(16))  # create | update | delete | event
    record_type: Mapped[str] = mapped_column(sa.String(64))
    record_id: Mapped[str] = mapped_column(sa.String(64))
    district_id: Mapped[int | None]
    commune_id: Mapped[int | None]
    summary: Mapped[str] = mapped_column(sa.String(300), default="")
    before: Mapped[str] = mapped_column(sa.Text, default="")
    after: Mapped[str] = mapped_column(sa.Text, default="")
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))

    def payload(self) -> dict[str, Any]:
        return hashed_fields({field: getattr(self, field) for field in HASHED_FIELDS})


# What an entry's hash covers (all but the hashes themselves).
HASHED_FIELDS = ("seq", "at", "user_id", "actor", "action", "record_type", "record_id", "district_id",
                 "commune_id", "summary", "before", "after")


def hashed_fields(row: dict[str, Any]) -> dict[str, Any]:
    """The canonical payload of an entry's row (a datetime `at` as its ISO text)."""
    payload = {field: row[field] for field in HASHED_FIELDS}
    payload["at"] = payload["at"].isoformat(timespec="microseconds")
    return payload


class AuditHead(Model):
    """One row: the last sequence number and hash of the chain."""

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column(sa.String(64), default=GENESIS)


def chain_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def snapshot(obj: Any, committed: bool = False) -> dict[str, Any]:
    """Column values of `obj` (the committed ones with committed=True), minus secrets."""
    state = inspect(obj)
    excluded = getattr(obj, "audit_exclude", frozenset())
    values: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        if attr.key in excluded:
            continue
        if committed:
            history = state.attrs[attr.key].history
            if history.deleted:
                values[attr.key] = plain(history.deleted[0])
            elif history.unchanged:
                values[attr.key] = plain(history.unchanged[0])
            elif history.added:
                # Set without the old value ever being loaded (e.g. left empty at INSERT in this
                # transaction): the stored value was the column's empty value.
                values[attr.key] = None
            else:
                values[attr.key] = plain(state.attrs[attr.key].value)
        else:
            values[attr.key] = plain(state.attrs[attr.key].value)
    return values


def _dumps(values: dict[str, Any] | None) -> str:
    return "" if values is None else json.dumps(values, sort_keys=True, ensure_ascii=False)


@dataclass
class _Pending:
    action: str
    record_type: str
    record_id: str
    scope: tuple[int | None, int | None, int | None]  # district, commune, hamlet (the first known ones)
    summary: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def _actor(session: Session) -> tuple[int | None, str]:
    if "actor" in session.info:
        return session.info["actor"]
    if has_request_context():
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            return current_user.id, current_user.username
    return None, "system"


def set_actor(session: Session | scoped_session, user_id: int | None, name: str) -> None:
    """For CLI commands and background work: who the entries are attributed to."""
    session.info["actor"] = (user_id, name)


def describe(summary: str) -> None:
    """A human summary for the entries of the current change ("Xác nhận danh sách ứng cử thôn An Phú")."""
    db.session.info["audit_summary"] = summary


def record(action: str, record_type: str, record_id: str | int, *, summary: str,
           scope: tuple[int | None, int | None, int | None] = (None, None, None), after: dict[str, Any] | None = None) -> None:
    """An explicit entry for work done outside the ORM (bulk imports, printing, seeding)."""
    pending = db.session.info.setdefault("audit_pending", [])
    pending.append(_Pending(action, record_type, str(record_id), scope, summary, None, after))
    # Make sure a flush happens so the listener writes it even when nothing else changed.
    db.session.info["audit_force"] = True


def _primary_key(obj: Any) -> str:
    return ",".join(str(v) for v in inspect(obj).mapper.primary_key_from_instance(obj))


def _record_id(obj: Any) -> str:
    """The entry's record id: the primary key, or the model's `audit_record_id` where the key must not be logged
    (a check-in is filed under its poll: its own id, beside the entry's sequence, would give the order of households)."""
    custom = getattr(obj, "audit_record_id", None)
    return str(custom) if custom is not None else _primary_key(obj)


def _is_audited(obj: Any) -> bool:
    return hasattr(type(obj), "audit_scope") and not isinstance(obj, (AuditEntry, AuditHead))


@event.listens_for(Session, "before_flush")
def _capture(session: Session, _flush_context: Any, _instances: Any) -> None:
    pending: list[_Pending] = session.info.setdefault("audit_pending", [])
    summary = session.info.get("audit_summary", "")
    for obj in session.dirty:
        if _is_audited(obj) and session.is_modified(obj, include_collections=False):
            before = snapshot(obj, committed=True)
            after = snapshot(obj)
            if before != after:
                pending.append(_Pending("update", type(obj).__name__, "", (None, None, None), summary, before, after))
                pending[-1].obj = obj  # type: ignore[attr-defined]
    session.info["audit_new"] = [obj for obj in session.new if _is_audited(obj)]


@event.listens_for(Model, "after_delete", propagate=True)
def _capture_delete(_mapper: Any, _connection: sa.Connection, target: Any) -> None:
    """Deletes are taken per row as the flush runs, so rows removed by a delete-orphan cascade count too."""
    session = object_session(target)
    if session is None or not _is_audited(target):
        return
    try:
        scope = target.audit_scope
    except Exception:  # a parent already gone in the same flush: the entry keeps its ids in `before`
        scope = (None, None, None)
    session.info.setdefault("audit_pending", []).append(
        _Pending("delete", type(target).__name__, _record_id(target), scope,
                 session.info.get("audit_summary", ""), snapshot(target, committed=True), None))


@event.listens_for(Session, "after_flush")
def _write(session: Session, _flush_context: Any) -> None:
    pending: list[_Pending] = session.info.pop("audit_pending", [])
    summary = session.info.get("audit_summary", "")
    for obj in session.info.pop("audit_new", []):
        pending.append(_Pending("create", type(obj).__name__, "", (None, None, None), summary, None, snapshot(obj)))
        pending[-1].obj = obj  # type: ignore[attr-defined]
    if not pending:
        return
    connection = session.connection()
    for item in pending:
        obj = getattr(item, "obj", None)
        if obj is not None:
            item.record_id = _record_id(obj)
            item.scope = obj.audit_scope
    _append(connection, session, pending)


# Statements built once: building a statement costs more than running it on a hot path (a ballot scan).
_HEAD = AuditHead.__table__
_LOCK_HEAD = (sa.update(_HEAD).where(_HEAD.c.id == 1).values(seq=_HEAD.c.seq)  # a no-op write: takes the lock
              .returning(_HEAD.c.seq, _HEAD.c.hash))
_CREATE_HEAD = sa.insert(_HEAD).values(id=1, seq=0, hash=GENESIS)
_MOVE_HEAD = sa.update(_HEAD).where(_HEAD.c.id == 1).values(seq=sa.bindparam("new_seq"), hash=sa.bindparam("new_hash"))
_INSERT_ENTRY = sa.insert(AuditEntry.__table__).values({name: sa.bindparam(name) for name in (
    *HASHED_FIELDS, "prev_hash", "hash")}).inline()  # inline: no RETURNING of the new id (not needed)
_scope_statements: dict[str, sa.Select] = {}


def _scope_statement(name: str) -> sa.Select:
    if not _scope_statements:
        _scope_statements["hamlet"] = (sa.select(Commune.district_id, Hamlet.commune_id)
                                       .join(Commune, Hamlet.commune_id == Commune.id)
                                       .where(Hamlet.id == sa.bindparam("unit_id")))
        _scope_statements["commune"] = sa.select(Commune.district_id).where(Commune.id == sa.bindparam("unit_id"))
    return _scope_statements[name]


Run = Callable[..., Any]  # run(statement, params=None) → rows with first() and scalar()


def _resolve_scope(run: Run, scope: tuple[int | None, int | None, int | None]) -> tuple[int | None, int | None]:
    """(district_id, commune_id) of a record from the most specific unit it names (no query when both are given)."""
    district_id, commune_id, hamlet_id = (tuple(scope) + (None, None, None))[:3]
    if commune_id is None and hamlet_id is not None:
        row = run(_scope_statement("hamlet"), {"unit_id": hamlet_id}).first()
        return tuple(row) if row is not None else (district_id, None)
    if district_id is None and commune_id is not None:
        district_id = run(_scope_statement("commune"), {"unit_id": commune_id}).scalar()
    return district_id, commune_id


def _append(connection: sa.Connection, session: Session, pending: list[_Pending]) -> None:
    append_entries(lambda statement, params=None: connection.execute(statement, params or {}), _actor(session),
                   pending)


def append_entries(run: Run, actor: tuple[int | None, str], pending: list[_Pending]) -> None:
    """Chain `pending` onto the log through `run` (a Core connection's execute, or core.dbapi's runner).

    The head row's lock is taken first (a no-op UPDATE that returns the head): writers queue there instead
    of forking the chain. Scopes are resolved before, so the lock is held as briefly as possible.
    """
    scopes = [_resolve_scope(run, item.scope) for item in pending]
    head = run(_LOCK_HEAD).first()
    if head is None:
        run(_CREATE_HEAD)
        seq, prev = 0, GENESIS
    else:
        seq, prev = head
    user_id, actor_name = actor
    at = utcnow()
    rows = []
    for item, (district_id, commune_id) in zip(pending, scopes):
        seq += 1
        row = {"seq": seq, "at": at, "user_id": user_id, "actor": actor_name, "action": item.action,
               "record_type": item.record_type, "record_id": item.record_id, "district_id": district_id,
               "commune_id": commune_id, "summary": item.summary[:300], "before": _dumps(item.before),
               "after": _dumps(item.after), "prev_hash": prev}
        row["hash"] = prev = chain_hash(prev, hashed_fields(row))
        rows.append(row)
    for row in rows:  # one statement per entry: the same on a Core connection and a DBAPI cursor
        run(_INSERT_ENTRY, row)
    run(_MOVE_HEAD, {"new_seq": seq, "new_hash": prev})


def created(record_type: str, record_id: int | str, after: dict[str, Any], *, summary: str,
            scope: tuple[int | None, int | None, int | None]) -> _Pending:
    """A create entry for a row written outside the ORM, to give to append_entries."""
    return _Pending("create", record_type, str(record_id), scope, summary, None,
                    {name: plain(value) for name, value in after.items()})


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _reset(session: Session) -> None:
    for key in ("audit_summary", "audit_pending", "audit_new", "audit_force"):
        session.info.pop(key, None)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    session.flush()
    if session.info.get("audit_pending"):
        _append(session.connection(), session, session.info.pop("audit_pending"))


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_seq: int | None
    message: str


def verify_chain(batch: int = 5000) -> ChainReport:
    """Recompute every hash in order; report the first entry that does not match."""
    prev = GENESIS
    checked = 0
    last_seq = 0
    while True:
        entries = db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.seq > last_seq).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not entries:
            break
        for entry in entries:
            if entry.seq != last_seq + 1 or entry.prev_hash != prev or chain_hash(prev, entry.payload()) != entry.hash:
                return ChainReport(False, checked, entry.seq,
                                   f"Nhật ký bị sửa hoặc thiếu tại bản ghi số {entry.seq}.")
            prev = entry.hash
            last_seq = entry.seq
            checked += 1
        db.session.expunge_all()
    head = db.session.get(AuditHead, 1)
    if head is not None and (head.seq != last_seq or head.hash != prev):
        return ChainReport(False, checked, last_seq + 1, "Nhật ký bị xóa bớt ở cuối chuỗi.")
    return ChainReport(True, checked, None, f"Chuỗi nhật ký toàn vẹn: {checked} bản ghi.")
