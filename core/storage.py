"""Files kept in the database: every app host behind the proxy reads the same bytes, and a file is written in the
same transaction as the record that names it (issue 18: instance/ holds nothing another host needs).

One table, stored_file, under a small interface: `put` adds a file to the session (the caller's commit writes it
with its record, a rollback forgets both), `find`/`read` fetch it by its kind and key, `remove` deletes it,
`purge_expired` deletes what has outlived its `expires_at`. What is kept here:
- ROLL_UPLOAD: a voter-roll file between its preview and the import (election.service.keep_upload), for 6 hours,
  readable only by the user who uploaded it, for the hamlet and term it was uploaded for;
- MINUTES and MINUTES_SERVED: the photo or scan of the signed counting minutes as uploaded (kept for the record,
  its SHA-256 on the MinutesUpload row) and the clean copy of an image that is served (election.recognition);
- BALLOT_IMAGE and BALLOT_SCAN: a ballot left unclear by the reader of marks and a scanner batch (issue 19), kept
  until the recognition's appeal period ends (ballots.rules.image_expiry, `flask ballots purge-images`).
Ballot PDFs are not kept at all: they are drawn again, in a fresh random order, at each download (ballots/printing.py).

Not audited (no audit_scope): the record that names a file is, with the file's SHA-256.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, undefer

from core.vietnamese import utcnow
from extensions import Model, db

ROLL_UPLOAD = "roll_upload"
MINUTES = "minutes"
MINUTES_SERVED = "minutes_served"
BALLOT_IMAGE = "ballot_image"  # a ballot the reader left unclear, rectified, as PNG (ballots.reading)
BALLOT_SCAN = "ballot_scan"  # a scanner batch uploaded by the commune office (ballots.reading)
KINDS = (ROLL_UPLOAD, MINUTES, MINUTES_SERVED, BALLOT_IMAGE, BALLOT_SCAN)
KEY_MAX = 120  # as MinutesUpload.stored_name


class StoredFile(Model):
    """The bytes of one file and what is known of it. `key` names it within its kind (a random token, a stored name)."""

    __tablename__ = "stored_file"
    __table_args__ = (sa.UniqueConstraint("kind", "key", name="uq_stored_file_kind_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    key: Mapped[str] = mapped_column(sa.String(KEY_MAX))
    filename: Mapped[str] = mapped_column(sa.String(200), default="")  # the name it was uploaded under
    content_type: Mapped[str] = mapped_column(sa.String(80), default="application/octet-stream")
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)  # loaded only when read
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(index=True)  # None: kept until removed
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))  # who alone may read it, if set
    hamlet_id: Mapped[int | None] = mapped_column(sa.ForeignKey("hamlet.id"), index=True)
    term_id: Mapped[int | None] = mapped_column(sa.ForeignKey("term.id"))


def put(kind: str, key: str, data: bytes, *, filename: str = "", content_type: str = "application/octet-stream",
        keep_for: timedelta | None = None, owner_id: int | None = None, hamlet_id: int | None = None,
        term_id: int | None = None) -> StoredFile:
    """Add a file to the session: committed with the caller's change (never on its own). `keep_for`: how long it is
    kept (None: until removed)."""
    if kind not in KINDS:
        raise ValueError(f"unknown stored file kind {kind!r}")
    now = utcnow()
    stored = StoredFile(kind=kind, key=key, data=bytes(data), filename=(filename or "")[:200],
                        content_type=content_type, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                        created_at=now, expires_at=now + keep_for if keep_for is not None else None,
                        owner_id=owner_id, hamlet_id=hamlet_id, term_id=term_id)
    db.session.add(stored)
    return stored


def _current(kind: str, key: str, now: datetime | None) -> sa.ColumnElement[bool]:
    return sa.and_(StoredFile.kind == kind, StoredFile.key == key,
                   sa.or_(StoredFile.expires_at.is_(None), StoredFile.expires_at > (now or utcnow())))


def find(kind: str, key: str, now: datetime | None = None) -> StoredFile | None:
    """The file of that kind and key with its bytes, unless it has expired."""
    return db.session.scalar(sa.select(StoredFile).options(undefer(StoredFile.data)).where(_current(kind, key, now)))


def read(kind: str, key: str, now: datetime | None = None) -> bytes | None:
    """The bytes alone (None: no such file, or expired)."""
    return db.session.scalar(sa.select(StoredFile.data).where(_current(kind, key, now)))


def remove(kind: str, key: str) -> None:
    """Delete the file, in the caller's transaction (nothing happens if there is none)."""
    db.session.execute(sa.delete(StoredFile).where(StoredFile.kind == kind, StoredFile.key == key))


def purge_expired(now: datetime | None = None) -> int:
    """Delete every file past its expiry (abandoned previews), in the caller's transaction; how many went."""
    result = db.session.execute(sa.delete(StoredFile).where(StoredFile.expires_at <= (now or utcnow())))
    return int(getattr(result, "rowcount", 0) or 0)
