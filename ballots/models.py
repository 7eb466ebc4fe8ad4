"""Printed ballot batches and their serials, the per-poll ballot accounting, and the scans of a per-ballot count.

A Ballot row knows its poll and batch, never a voter or household (secret ballot). Its serial is random
and non-sequential (ballots/qr.new_serial); the QR carries the serial, the poll's election hash, the
hamlet, a test flag and an HMAC signature.
"""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.errors import RuleViolation
from core.keys import signing_keys
from core.models import enum_column
from core.vietnamese import utcnow
from election.models import Poll
from extensions import Model

BALLOT_PURPOSE = "ballot-qr"  # the derivation ballots have used since the first release (core/keys.py)


def ballot_secret() -> bytes:
    """The key that signs ballot QR payloads now, derived from the app's SECRET_KEY for this purpose only."""
    return ballot_keys()[0]


def ballot_keys() -> tuple[bytes, ...]:
    """Every key a scanned ballot may be signed with (verification and the count): the current one, then those of
    SIGNING_KEYS_RETIRED, so ballots printed before a rotation of SECRET_KEY still verify."""
    return signing_keys(current_app.config, BALLOT_PURPOSE)


class BallotLayout(enum.StrEnum):
    A5 = "A5"
    A6 = "A6"
    A4X2 = "A4x2"
    A4X4 = "A4x4"


class BallotBatch(Model):
    """One print run for a poll: `count` ballots (households + spare), or a batch of test ballots."""

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id"), index=True)
    election_hash: Mapped[str] = mapped_column(sa.String(16))  # ballots.qr.election_hash of the definition
    layout: Mapped[BallotLayout] = enum_column(BallotLayout, default=BallotLayout.A5)
    count: Mapped[int]
    spare: Mapped[int] = mapped_column(default=0)
    test: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    printed_pages: Mapped[int] = mapped_column(default=0)  # pages of the PDF (worked out when the batch is made)
    total_pages: Mapped[int] = mapped_column(default=0)
    supplementary: Mapped[bool] = mapped_column(default=False)  # "in bổ sung": a second real batch
    # ballots.geometry's GEOMETRY_VERSION its ballots are drawn with (registration marks for reading the marks);
    # None for a batch printed before: it prints as it did and is counted with taps.
    geometry_version: Mapped[int | None]
    # No PDF file is kept: it would give the order of the stack (ballots/printing.py renders it at each download).

    poll: Mapped[Poll] = relationship()

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.poll.hamlet_id if self.poll else None


class BallotState(enum.StrEnum):
    PRINTED = "printed"
    SPOILED = "spoiled"  # spoiled by a voter and replaced
    CANCELLED = "cancelled"  # unused and cancelled after the vote
    COUNTED = "counted"  # scanned in a per-ballot count


class Ballot(Model):
    """A printed ballot. Nothing here gives its place in the printed stack: rows are inserted in serial order and
    the PDF is drawn in a fresh random order at each download (ballots/printing.py)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("ballot_batch.id"), index=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id"), index=True)
    serial: Mapped[str] = mapped_column(sa.String(16), unique=True)
    state: Mapped[BallotState] = enum_column(BallotState, default=BallotState.PRINTED)

    batch: Mapped[BallotBatch] = relationship()

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.batch.poll.hamlet_id if self.batch else None

    def uncount(self) -> None:
        """A counted ballot whose scan was undone: printed again, so it can be scanned again."""
        if self.state != BallotState.COUNTED:
            raise RuleViolation("Phiếu này không ở trạng thái “đã kiểm”: không có lần quét nào để hủy.")
        self.state = BallotState.PRINTED


class BallotAccount(Model):
    """The figures of a poll's ballot accounting that are typed rather than derived (None = derive them:
    issued from the check-ins, spoiled and cancelled from the ballots marked by serial)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id"), unique=True)
    issued: Mapped[int | None]
    spoiled: Mapped[int | None]
    cancelled: Mapped[int | None]
    returned: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))  # R-C7: not an entry's author

    poll: Mapped[Poll] = relationship()

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.poll.hamlet_id if self.poll else None


class BallotScan(Model):
    """One paper ballot counted by scanning its QR; nothing links it to a voter (secret ballot)."""

    # The phone's running totals count a poll's valid and invalid scans at every scan: from the index alone.
    __table_args__ = (sa.Index("ix_ballot_scan_poll_id_valid", "poll_id", "valid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id"))
    ballot_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ballot.id"), unique=True)
    serial: Mapped[str] = mapped_column(sa.String(16), unique=True)  # a ballot is counted once, ever
    idempotency_key: Mapped[str] = mapped_column(sa.String(80), unique=True)  # a retried POST replays
    valid: Mapped[bool]
    choice: Mapped[str] = mapped_column(sa.String(20), default="")  # candidacy id, agree or disagree
    reason: Mapped[str] = mapped_column(sa.String(20), default="valid")  # R-B1 reason code
    by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    poll: Mapped[Poll] = relationship()

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        hamlet = self.poll.hamlet if self.poll else None  # loaded with the poll: no query per scan
        if hamlet is None:
            return None, None, None
        return hamlet.commune.district_id, hamlet.commune_id, hamlet.id


class UndoneScan(Model):
    """A scan the team undid (ballots.scanning.undo_scan). Its idempotency key stays taken here, so a late retry of
    the undone request is refused instead of counting the ballot again; nothing of the ballot's choice is kept."""

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    reason: Mapped[str] = mapped_column(sa.String(200))
    by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    poll: Mapped[Poll] = relationship()

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.poll.hamlet_id if self.poll else None
