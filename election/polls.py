"""The vote of one hamlet in one round (Poll): the thread that ties roll, check-in, ballots, count and result."""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import db
from election.models import Hamlet, Term, enum_column


class PollStatus(enum.StrEnum):
    """The district board's statuses (issue 5), in workflow order."""

    NOT_STARTED = "not_started"
    VOTING = "voting"
    COUNTING = "counting"
    FIRST_ENTRY = "first_entry"
    SECOND_ENTRY = "second_entry"
    DIFFERENCES = "differences"
    SUBMITTED = "submitted"
    VALIDATED = "validated"
    RECOGNISED = "recognised"
    REVOTE = "revote"
    ACTING_CHIEF = "acting_chief"

    @property
    def label(self) -> str:
        return POLL_STATUS_LABELS[self.value]


POLL_STATUS_LABELS = {
    "not_started": "Chưa bắt đầu", "voting": "Đang bỏ phiếu", "counting": "Đang kiểm phiếu",
    "first_entry": "Đã nhập lần 1", "second_entry": "Đã nhập lần 2", "differences": "Hai lần nhập lệch nhau",
    "submitted": "Đã gửi kết quả", "validated": "Đã đối chiếu biên bản", "recognised": "Đã công nhận",
    "revote": "Bầu lại", "acting_chief": "Chỉ định trưởng thôn lâm thời",
}


class PollMode(enum.StrEnum):
    MEETING = "meeting"  # the hamlet meeting votes (quorum > 50% of households, R-V5)
    DISTRIBUTION = "distribution"  # no quorum: ballots taken to each household (R-V5 fallback)

    @property
    def label(self) -> str:
        return {"meeting": "Hội nghị cử tri", "distribution": "Phát phiếu đến từng hộ"}[self.value]


class VotingForm(enum.StrEnum):
    SECRET_BALLOT = "secret_ballot"
    SHOW_OF_HANDS = "show_of_hands"  # R-V6: the meeting chooses

    @property
    def label(self) -> str:
        return {"secret_ballot": "Bỏ phiếu kín", "show_of_hands": "Biểu quyết giơ tay"}[self.value]


class Poll(db.Model):
    __table_args__ = (sa.UniqueConstraint("term_id", "hamlet_id", "round_no", name="uq_poll_round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("term.id"), index=True)
    hamlet_id: Mapped[int] = mapped_column(sa.ForeignKey("hamlet.id"), index=True)
    round_no: Mapped[int] = mapped_column(default=1)  # 2 = re-vote (R-V8)
    status: Mapped[PollStatus] = enum_column(PollStatus, default=PollStatus.NOT_STARTED)
    mode: Mapped[PollMode] = enum_column(PollMode, default=PollMode.MEETING)
    voting_form: Mapped[VotingForm] = enum_column(VotingForm, default=VotingForm.SECRET_BALLOT)
    held_on: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)  # optimistic lock: a stale write gets 409

    term: Mapped[Term] = relationship()
    hamlet: Mapped[Hamlet] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.hamlet_id

    @classmethod
    def get_or_create(cls, term: Term, hamlet: Hamlet, round_no: int = 1) -> Poll:
        poll = db.session.scalar(db.select(cls).where(cls.term_id == term.id, cls.hamlet_id == hamlet.id,
                                                      cls.round_no == round_no))
        if poll is None:
            poll = cls(term=term, hamlet=hamlet, round_no=round_no)
            db.session.add(poll)
        return poll
