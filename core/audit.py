"""The append-only audit log, chained by hashes, written in the same transaction as the change.

A session listener records every insert, update and delete of an audited model (any model with an
`audit_scope`) at flush time, so no view can change a record without its entry. Bulk work done with
SQLAlchemy Core (imports, seeding) calls `record()` for a summary entry instead.

Chains: one per commune (its records and everything below it), one per district (its own records and the
anchors), one for the installation (records of no district, and the anchors of the districts), and the
"legacy" chain of the entries written before there was more than one (migration 0016). In each,
entry.hash = sha256(prev_hash + canonical JSON of the entry) and `seq` counts from 1. A chain's `audit_head`
row is locked (a no-op UPDATE) before its entries are written: writers of one commune queue there, writers of
different communes never wait on each other. The entries of a transaction are written at its commit, every
chain it touches locked in one order (communes, then districts, then the installation), so two transactions
never wait on each other in a cycle.

Anchors: the district's chain records the heads (seq, hash) of its communes' chains whenever a poll changes
state (a model's `audit_anchor_on` fields) and on demand (`flask audit anchor`, which also records the districts'
heads in the installation's chain). A later rewrite of a commune's chain, even one with every hash recomputed,
no longer matches what its district recorded; `verify_chains` checks every chain and every anchor.
"""
from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import has_request_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, object_session, scoped_session

from core.models import Commune, District, Hamlet
from core.vietnamese import utcnow
from extensions import Model, db

GENESIS = "0" * 64


class AuditEntry(Model):
    # The indexes the audit page filters by (election.auth.audit_log: always the district, then perhaps a
    # commune; a record's history by type and id), two columns each: every audited write of election Sunday
    # (a ballot scan above all) updates each index, so there are no more of them than the page needs.
    __table_args__ = (sa.Index("ix_audit_entry_scope", "district_id", "commune_id"),
                      sa.Index("ix_audit_entry_record", "record_type", "record_id"),
                      sa.UniqueConstraint("chain", "seq"))

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(sa.String(40))
    seq: Mapped[int]
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
    """One row per chain: its last sequence number and hash (and the unit it belongs to, for the anchors)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(sa.String(40), unique=True)
    district_id: Mapped[int | None]
    commune_id: Mapped[int | None]
    seq: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column(sa.String(64), default=GENESIS)


LEGACY = "legacy"
INSTALLATION = "installation"


def chain_of(district_id: int | None, commune_id: int | None) -> str:
    """The chain an entry of this scope belongs to: its commune's, else its district's, else the installation's."""
    if commune_id is not None:
        return f"commune:{commune_id}"
    if district_id is not None:
        return f"district:{district_id}"
    return INSTALLATION


def chain_label(chain: str) -> str:
    """The chain's name in a message: "chuỗi của xã Bình Hải (số 12)"."""
    kind, _, unit = chain.partition(":")
    if kind in ("commune", "district") and unit.isdigit():
        found = db.session.get(Commune if kind == "commune" else District, int(unit))
        if isinstance(found, Commune):
            name = found.name_in_text
        else:
            name = f"huyện {found.name}" if isinstance(found, District) else "đơn vị đã xóa"
        return f"chuỗi của {name} (số {unit})"
    return {INSTALLATION: "chuỗi chung", LEGACY: "chuỗi cũ (trước khi tách theo xã)"}.get(chain, chain)


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
    obj: Any = None  # the ORM object, until its id and scope are read after the flush
    anchor: bool = False  # a state change that the district's chain anchors (a model's `audit_anchor_on`)
    transaction: Any = None  # the session's innermost transaction at the flush (a savepoint rolled back drops it)
    at: datetime | None = None  # when the change was made (flushed, or recorded): the entry's time, chained later


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
    pending.append(_Pending(action, record_type, str(record_id), scope, summary, None, after, at=utcnow()))
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
                anchored = getattr(obj, "audit_anchor_on", ())
                pending.append(_Pending("update", type(obj).__name__, "", (None, None, None), summary, before, after,
                                        obj=obj, anchor=any(before.get(f) != after.get(f) for f in anchored)))
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
    """Take the flush's entries (ids and scopes read now, while the objects are as flushed); they are chained
    at the commit (`_before_commit`), so the chains' locks are held only while the transaction commits."""
    pending: list[_Pending] = session.info.pop("audit_pending", [])
    summary = session.info.get("audit_summary", "")
    for obj in session.info.pop("audit_new", []):
        pending.append(_Pending("create", type(obj).__name__, "", (None, None, None), summary, None, snapshot(obj),
                                obj=obj))
    if not pending:
        return
    transaction = session.get_nested_transaction() or session.get_transaction()
    at = utcnow()
    for item in pending:
        item.at = item.at or at
        if item.obj is not None:
            item.record_id = _record_id(item.obj)
            item.scope = item.obj.audit_scope
            item.obj = None
        item.transaction = transaction
    session.info.setdefault("audit_ready", []).extend(pending)


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: Any) -> None:
    """A savepoint rolled back takes its entries with it (the whole transaction's go in `_reset`)."""
    if not previous_transaction.nested or "audit_ready" not in session.info:
        return

    def inside(transaction: Any) -> bool:
        while transaction is not None:
            if transaction is previous_transaction:
                return True
            transaction = transaction.parent
        return False

    session.info["audit_ready"] = [item for item in session.info["audit_ready"] if not inside(item.transaction)]


# Statements built once: building a statement costs more than running it on a hot path (a ballot scan).
_HEAD = AuditHead.__table__
_LOCK_HEAD = (sa.update(_HEAD).where(_HEAD.c.chain == sa.bindparam("head_chain"))
              .values(seq=_HEAD.c.seq)  # a no-op write: takes the chain's lock
              .returning(_HEAD.c.seq, _HEAD.c.hash))
# Two first writers of a chain may meet here: the second waits for the first's commit, then does nothing.
_CREATE_HEAD = sa.text("INSERT INTO audit_head (chain, district_id, commune_id, seq, hash) "
                       "VALUES (:chain, :district_id, :commune_id, 0, :genesis) ON CONFLICT (chain) DO NOTHING")
_MOVE_HEAD = (sa.update(_HEAD).where(_HEAD.c.chain == sa.bindparam("head_chain"))
              .values(seq=sa.bindparam("new_seq"), hash=sa.bindparam("new_hash")))
_INSERT_ENTRY = sa.insert(AuditEntry.__table__).values({name: sa.bindparam(name) for name in (
    "chain", *HASHED_FIELDS, "prev_hash", "hash")}).inline()  # inline: no RETURNING of the new id (not needed)
_COMMUNE_HEADS = (sa.select(_HEAD.c.chain, _HEAD.c.seq, _HEAD.c.hash)
                  .where(_HEAD.c.district_id == sa.bindparam("district_id"), _HEAD.c.commune_id.is_not(None))
                  .order_by(_HEAD.c.chain))
_DISTRICT_HEADS = (sa.select(_HEAD.c.chain, _HEAD.c.seq, _HEAD.c.hash)
                   .where(sa.or_(sa.and_(_HEAD.c.district_id.is_not(None), _HEAD.c.commune_id.is_(None)),
                                 _HEAD.c.chain == LEGACY))
                   .order_by(_HEAD.c.chain))
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


def _chain_order(chain: str) -> tuple[int, str]:
    """The order chains are locked in: communes, districts, the installation, the legacy chain."""
    kind = chain.partition(":")[0]
    return {"commune": 0, "district": 1, INSTALLATION: 2}.get(kind, 3), chain


@dataclass
class _Row:
    scope: tuple[int | None, int | None]
    item: _Pending | None  # None: the anchor of the district's communes


def append_entries(run: Run, actor: tuple[int | None, str], pending: list[_Pending]) -> None:
    """Chain `pending` onto their chains through `run` (a Core connection's execute, or core.dbapi's runner).

    Each chain's head row is locked first (a no-op UPDATE that returns the head), chains in `_chain_order`:
    writers of a chain queue there instead of forking it. Scopes are resolved before, so the locks are held as
    briefly as possible. A district whose poll changed state gets an anchor after its communes' entries.
    """
    by_chain: dict[str, list[_Row]] = {}
    for item in pending:
        district_id, commune_id = _resolve_scope(run, item.scope)
        by_chain.setdefault(chain_of(district_id, commune_id), []).append(_Row((district_id, commune_id), item))
        if item.anchor and district_id is not None:
            anchors = by_chain.setdefault(chain_of(district_id, None), [])
            if not any(row.item is None for row in anchors):
                anchors.append(_Row((district_id, None), None))
    at = utcnow()
    for chain in sorted(by_chain, key=_chain_order):
        rows = by_chain[chain]
        rows.sort(key=lambda row: row.item is None)  # the anchor last, after the district's own entries
        _append_chain(run, chain, rows, actor, at)


def _lock_head(run: Run, chain: str, scope: tuple[int | None, int | None]) -> tuple[int, str]:
    head = run(_LOCK_HEAD, {"head_chain": chain}).first()
    if head is None:
        run(_CREATE_HEAD, {"chain": chain, "district_id": scope[0], "commune_id": scope[1], "genesis": GENESIS})
        head = run(_LOCK_HEAD, {"head_chain": chain}).first()
    return head[0], head[1]


def _append_chain(run: Run, chain: str, rows: list[_Row], actor: tuple[int | None, str], at: datetime) -> None:
    district_id = rows[0].scope[0]
    seq, prev = _lock_head(run, chain, rows[0].scope)
    user_id, actor_name = actor
    for row in rows:
        item = row.item if row.item is not None else _anchor_item(run, district_id)
        seq += 1
        entry = {"chain": chain, "seq": seq, "at": item.at or at, "user_id": user_id, "actor": actor_name,
                 "action": item.action, "record_type": item.record_type, "record_id": item.record_id,
                 "district_id": row.scope[0], "commune_id": row.scope[1], "summary": item.summary[:300],
                 "before": _dumps(item.before), "after": _dumps(item.after), "prev_hash": prev}
        entry["hash"] = prev = chain_hash(prev, hashed_fields(entry))
        run(_INSERT_ENTRY, entry)  # one statement per entry: the same on a Core connection and a DBAPI cursor
    run(_MOVE_HEAD, {"head_chain": chain, "new_seq": seq, "new_hash": prev})


ANCHOR = "anchor"
ANCHOR_TYPE = "AuditChains"


def _anchor_item(run: Run, district_id: int | None) -> _Pending:
    """An anchor: the heads of the district's communes' chains as they stand in this transaction."""
    if district_id is None:
        heads = list(run(_DISTRICT_HEADS))
        record_id, summary = INSTALLATION, "Neo đầu chuỗi nhật ký của các huyện"
    else:
        heads = list(run(_COMMUNE_HEADS, {"district_id": district_id}))
        record_id, summary = str(district_id), "Neo đầu chuỗi nhật ký của các xã"
    chains = {chain: {"seq": seq, "hash": hash_} for chain, seq, hash_ in heads}
    return _Pending(ANCHOR, ANCHOR_TYPE, record_id, (district_id, None, None), f"{summary} ({len(chains)} chuỗi)",
                    None, {"chains": chains})


def anchor(district_ids: list[int]) -> None:
    """On demand (`flask audit anchor`): each district's chain records its communes' heads, then the installation's
    chain records the districts' heads (and the legacy chain's), in one transaction."""
    connection = db.session.connection()

    def run(statement: Any, params: dict[str, Any] | None = None) -> Any:
        return connection.execute(statement, params or {})

    actor = _actor(db.session())
    at = utcnow()
    for district_id in sorted(district_ids):
        _append_chain(run, chain_of(district_id, None), [_Row((district_id, None), None)], actor, at)
    _append_chain(run, INSTALLATION, [_Row((None, None), None)], actor, at)


def created(record_type: str, record_id: int | str, after: dict[str, Any], *, summary: str,
            scope: tuple[int | None, int | None, int | None]) -> _Pending:
    """A create entry for a row written outside the ORM, to give to append_entries."""
    return _Pending("create", record_type, str(record_id), scope, summary, None,
                    {name: plain(value) for name, value in after.items()}, at=utcnow())


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _reset(session: Session) -> None:
    for key in ("audit_summary", "audit_pending", "audit_new", "audit_ready", "audit_force"):
        session.info.pop(key, None)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    session.flush()
    ready = session.info.pop("audit_ready", []) + session.info.pop("audit_pending", [])
    if ready:
        _append(session.connection(), session, ready)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_bad_seq: int | None
    message: str
    chain: str | None = None
    chains: int = 0
    anchors: int = 0


_ENTRY_COLUMNS = [AuditEntry.__table__.c[name] for name in ("chain", *HASHED_FIELDS, "prev_hash", "hash")]


def verify_chain(batch: int = 5000) -> ChainReport:
    """Recompute every chain's hashes in order, and check every anchor against the chain it names; report the
    first entry that does not match (an altered, missing or reordered entry, a chain cut short at its end, or a
    chain that no longer has the entry its district recorded)."""
    anchored: dict[str, dict[int, tuple[str, int]]] = {}  # chain → seq → (hash, the anchor's entry id)
    anchor_rows = db.session.execute(sa.select(AuditEntry.id, AuditEntry.after)
                                     .where(AuditEntry.action == ANCHOR).order_by(AuditEntry.id))
    anchors = 0
    for entry_id, after in anchor_rows:
        anchors += 1
        try:
            chains = json.loads(after)["chains"]
            for chain, head in chains.items():
                anchored.setdefault(chain, {})[int(head["seq"])] = (str(head["hash"]), entry_id)
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # an altered anchor: its own chain's hash reports it
    heads = db.session.execute(sa.select(AuditHead.chain, AuditHead.seq, AuditHead.hash)
                               .order_by(AuditHead.chain)).all()
    known = {chain for chain, _seq, _hash in heads}
    stray = db.session.scalar(sa.select(AuditEntry.chain).where(AuditEntry.chain.not_in(known)).limit(1)) \
        if known else db.session.scalar(sa.select(AuditEntry.chain).limit(1))
    if stray is not None:
        return ChainReport(False, 0, None, f"Nhật ký có bản ghi thuộc {chain_label(stray)} mà không có đầu chuỗi.",
                           stray)
    checked = 0
    found: dict[str, dict[int, str]] = {}  # chain → anchored seq → the hash the chain holds there
    for chain, head_seq, head_hash in heads:  # every chain's own hashes first: an altered anchor is reported there
        report, found[chain] = _verify_one(chain, head_seq, head_hash, anchored.get(chain, {}).keys(), batch)
        checked += report.checked
        if not report.ok:
            return ChainReport(False, checked, report.first_bad_seq, report.message, chain)
    for chain, recorded in sorted(anchored.items()):
        if chain not in found:
            return ChainReport(False, checked, None, f"Mốc neo ghi {chain_label(chain)} nhưng chuỗi ấy không còn.",
                               chain)
        for seq, (expected, entry_id) in sorted(recorded.items()):
            held = GENESIS if seq == 0 else found[chain].get(seq)
            if held is None:
                return ChainReport(False, checked, seq, f"Mốc neo ghi bản ghi số {seq} của {chain_label(chain)}, "
                                                        "nhưng chuỗi không còn bản ghi ấy.", chain)
            if held != expected:
                return ChainReport(False, checked, seq, f"Bản ghi số {seq} của {chain_label(chain)} không khớp mốc "
                                                        f"neo đã ghi (bản ghi neo {entry_id}): chuỗi đã bị viết lại.",
                                   chain)
    return ChainReport(True, checked, None, f"Nhật ký toàn vẹn: {checked} bản ghi trong {len(heads)} chuỗi, "
                                            f"{anchors} mốc neo khớp.", None, len(heads), anchors)


def _verify_one(chain: str, head_seq: int, head_hash: str, wanted: Iterable[int],
                batch: int) -> tuple[ChainReport, dict[int, str]]:
    """Walk one chain; the hashes it holds at the sequence numbers `wanted` (the anchored ones)."""
    wanted = set(wanted)
    found: dict[int, str] = {}
    prev, last_seq, checked = GENESIS, 0, 0
    where = chain_label(chain)
    while True:
        rows = db.session.execute(sa.select(*_ENTRY_COLUMNS)
                                  .where(AuditEntry.chain == chain, AuditEntry.seq > last_seq)
                                  .order_by(AuditEntry.seq).limit(batch)).mappings().all()
        if not rows:
            break
        for row in rows:
            seq = row["seq"]
            own_chain = chain == LEGACY or chain_of(row["district_id"], row["commune_id"]) == chain
            if (seq != last_seq + 1 or row["prev_hash"] != prev or not own_chain
                    or chain_hash(prev, hashed_fields(dict(row))) != row["hash"]):
                return ChainReport(False, checked, seq, f"Nhật ký bị sửa hoặc thiếu tại bản ghi số {seq} "
                                                        f"của {where}."), found
            if seq in wanted:
                found[seq] = row["hash"]
            prev, last_seq = row["hash"], seq
            checked += 1
    if head_seq != last_seq or head_hash != prev:
        return ChainReport(False, checked, last_seq + 1, f"Nhật ký bị xóa bớt ở cuối {where}."), found
    return ChainReport(True, checked, None, ""), found
