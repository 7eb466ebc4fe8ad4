"""Printed ballot batches and their serials, the per-poll ballot accounting, and the scans of a per-ballot count.

A Ballot row knows its poll and batch, never a voter or household (secret ballot). Its serial is random
and non-sequential (ballots/qr.new_serial); the QR carries the serial, the poll's election hash, the
hamlet, a test flag and an HMAC signature.
"""
from __future__ import annotations

import enum
import json
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


class MarkReadState(enum.StrEnum):
    PENDING = "pending"  # waiting for two members
    COUNTED = "counted"  # decided by two members: its scan is recorded (ballots.scanning, the same row as a tap)


class MarkRead(Model):
    """A ballot whose marks the reader could not decide (ballots.reading): waiting for two different members of the
    team to agree on it. It keeps the rectified ballot image (core.storage, kind BALLOT_IMAGE, purged once the
    recognition's appeal period ends: ballots.rules.image_expiry) and the reader's per-line reads; nothing links it
    to a household or a check-in (secret ballot). A ballot waits once (the serial is unique)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id"), index=True)
    serial: Mapped[str] = mapped_column(sa.String(16), unique=True)
    qr_text: Mapped[str] = mapped_column(sa.String(1000))  # the signed QR as read: recorded as a tapped scan's text
    source_sha256: Mapped[str] = mapped_column(sa.String(64))  # of the photo or scanner page the ballot was read from
    image_key: Mapped[str] = mapped_column(sa.String(120))  # core.storage key (kind BALLOT_IMAGE) of the rectified PNG
    image_sha256: Mapped[str] = mapped_column(sa.String(64))
    lines: Mapped[str] = mapped_column(sa.Text, default="[]")  # JSON [{index, mark, confidence, box}]
    stray_ink: Mapped[bool] = mapped_column(default=False)
    state: Mapped[MarkReadState] = enum_column(MarkReadState, default=MarkReadState.PENDING)
    first_choice: Mapped[str | None] = mapped_column(sa.String(20))
    first_reason: Mapped[str | None] = mapped_column(sa.String(20))
    first_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    first_at: Mapped[datetime | None]
    second_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    decided_at: Mapped[datetime | None]
    disputed: Mapped[str] = mapped_column(sa.Text, default="")  # JSON of the last two decisions that differed
    read_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    poll: Mapped[Poll] = relationship()

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.poll.hamlet_id if self.poll else None

    def outcome(self, user_id: int, choice: str, reason: str) -> str:
        """What a member's decision does ("first", "confirm" or "disagree"); raises RuleViolation when it may not be
        taken (decided already, or the member who decided first confirming their own decision)."""
        if self.state != MarkReadState.PENDING:
            raise RuleViolation("Phiếu này đã được hai thành viên quyết định và đã tính.")
        if self.first_by_id is None:
            return "first"
        if self.first_by_id == user_id:
            raise RuleViolation("Bạn đã quyết định phiếu này: cần một thành viên khác của Tổ bầu cử xác nhận.")
        return "confirm" if (self.first_choice, self.first_reason) == (choice, reason) else "disagree"

    def decide(self, user_id: int, choice: str, reason: str) -> str:
        """Record a member's decision: the first one waits for a second member; a second, different member
        deciding the same confirms it (the caller has recorded the scan); deciding otherwise sends the ballot back
        to pending with both decisions kept for the next two members to see."""
        outcome = self.outcome(user_id, choice, reason)
        now = utcnow()
        if outcome == "first":
            self.first_choice, self.first_reason, self.first_by_id, self.first_at = choice, reason, user_id, now
        elif outcome == "confirm":
            self.second_by_id, self.decided_at, self.state = user_id, now, MarkReadState.COUNTED
        else:
            self.disputed = json.dumps([{"by": self.first_by_id, "choice": self.first_choice,
                                         "reason": self.first_reason},
                                        {"by": user_id, "choice": choice, "reason": reason}])
            self.first_choice = self.first_reason = None
            self.first_by_id = self.first_at = None
        return outcome


class ScanUpload(Model):
    """A scanner batch (PDF, TIFF or image from a document feeder) uploaded by the commune office and read page by
    page through repeated small requests (ballots.reading.read_next_page): the cursor and the figures live here and
    the file in core.storage (kind BALLOT_SCAN), so a lost connection resumes where it stopped, on any app host."""

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id"), index=True)
    file_key: Mapped[str] = mapped_column(sa.String(120))
    filename: Mapped[str] = mapped_column(sa.String(200), default="")
    sha256: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(10))  # pdf, tiff, image
    pages: Mapped[int]
    next_page: Mapped[int] = mapped_column(default=0)
    counted: Mapped[int] = mapped_column(default=0)
    waiting: Mapped[int] = mapped_column(default=0)
    refused: Mapped[int] = mapped_column(default=0)
    problems: Mapped[str] = mapped_column(sa.Text, default="[]")  # JSON [[page, serial, message]] (bounded)
    by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    poll: Mapped[Poll] = relationship()

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.poll.hamlet_id if self.poll else None

    @property
    def done(self) -> bool:
        return self.next_page >= self.pages
