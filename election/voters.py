"""Household voter rolls (R-V1: one representative per household) and election-day check-in.

Secret ballot: a check-in records only that a household's representative received a ballot (and when);
nothing here or anywhere else links a household or voter to a ballot serial.
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import db, utcnow
from election.models import Hamlet, Term


class VoterRoll(db.Model):
    """The roll of one hamlet for one term (the re-vote uses the same roll)."""

    __table_args__ = (sa.UniqueConstraint("term_id", "hamlet_id", name="uq_voter_roll_term_hamlet"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("term.id"), index=True)
    hamlet_id: Mapped[int] = mapped_column(sa.ForeignKey("hamlet.id"), index=True)
    fingerprint: Mapped[str] = mapped_column(sa.String(64), default="")  # election.rolls.roll_fingerprint
    entry_count: Mapped[int] = mapped_column(default=0)  # kept with the fingerprint, recomputed on every change
    source_filename: Mapped[str] = mapped_column(sa.String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    term: Mapped[Term] = relationship()
    hamlet: Mapped[Hamlet] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.hamlet_id


class VoterEntry(db.Model):
    """One household and its representative voter."""

    __table_args__ = (
        sa.UniqueConstraint("roll_id", "household_no", name="uq_voter_entry_household"),
        sa.UniqueConstraint("roll_id", "citizen_id", name="uq_voter_entry_citizen"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    roll_id: Mapped[int] = mapped_column(sa.ForeignKey("voter_roll.id", ondelete="CASCADE"), index=True)
    household_no: Mapped[str] = mapped_column(sa.String(20))
    full_name: Mapped[str] = mapped_column(sa.String(120))
    name_folded: Mapped[str] = mapped_column(sa.String(120), index=True)
    citizen_id: Mapped[str] = mapped_column(sa.String(12))
    birth_date: Mapped[date]
    sex: Mapped[str] = mapped_column(sa.String(8), default="")
    address: Mapped[str] = mapped_column(sa.String(200), default="")

    roll: Mapped[VoterRoll] = relationship()

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.roll.hamlet_id if self.roll else None


class CheckIn(db.Model):
    """The representative of a household received a ballot in this poll (no serial: secret ballot)."""

    __table_args__ = (sa.UniqueConstraint("poll_id", "entry_id", name="uq_check_in_poll_entry"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id"), index=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("voter_entry.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    entry: Mapped[VoterEntry] = relationship()

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.entry.roll.hamlet_id if self.entry else None
