"""The election's tables and their guarded lifecycles: voter rolls and check-ins, the poll of a hamlet in a round
(the thread that ties roll, check-in, ballots, count and result), the two count entries and the result, the
signed minutes, recognition and acting chiefs."""
from __future__ import annotations

import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from blinker import Namespace
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.accounts import Role, User
from core.errors import RuleViolation
from core.labels import N_, LabelledEnum
from core.models import Hamlet, Household, Person, Term, enum_column
from core.vietnamese import format_date, local_date, moment_on, nfc, utcnow
from election.rules import (
    DEFAULT_ELECTION_RULES,
    ElectionRuleSet,
    HouseholdDifference,
    checkin_time,
    correction_reason_problem,
    household_difference,
    next_step_after,
    quorum_met,
    revote_day_problem,
    voting_day_problem,
)
from extensions import Model, db

_signals = Namespace()
# The election does not import the packages that print and account for ballots (they come after it); they answer
# these questions when asked, each receiver returning a list of problems (empty: nothing against).
# Before a count is accepted (poll, returned=ballots returned): ballots answers whether its accounting balances (R-C3).
count_accepting = _signals.signal("count-accepting")
# Before a roll is replaced as a whole (term, hamlet, poll_ids): ballots answers whether official ballots were printed.
roll_replacing = _signals.signal("roll-replacing")


def problems_from(answers: list[tuple[Any, list[str]]]) -> list[str]:
    """The problems that the receivers of a signal answered, in one list."""
    return [problem for _, problems in answers for problem in problems]



class VoterRoll(Model):
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
    # The commune committee confirmed that the roll's households differ from the hamlet's register (R-V5/R-V7
    # denominator): the two counts it saw, its written reason, who and when. Stale once either count moves.
    households_confirmed: Mapped[int | None]
    households_register: Mapped[int | None]
    households_note: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    households_confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    households_confirmed_at: Mapped[datetime | None]

    term: Mapped[Term] = relationship()
    hamlet: Mapped[Hamlet] = relationship()
    households_confirmed_by = relationship("User")

    __mapper_args__ = {"version_id_col": version}

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.hamlet_id

    def households_confirmed_for(self, register: int) -> bool:
        """The confirmation on record covers the roll's count and this register count."""
        return bool(self.households_note) and self.households_confirmed == self.entry_count \
            and self.households_register == register

    def confirm_households(self, register: int, note: str, user_id: int | None, confirming_role: Role | None,
                           at: datetime | None = None) -> None:
        """The commune committee accepts that the roll's households differ from the register, with a reason."""
        note = confirmation_note(household_difference(self.entry_count, register), note, confirming_role)
        self.households_note = note[:500]
        self.households_confirmed = self.entry_count
        self.households_register = register
        self.households_confirmed_by_id = user_id
        self.households_confirmed_at = at or utcnow()


CONFIRMATION_NOTE_MIN = 10


def confirmation_note(difference: HouseholdDifference | None, note: str, confirming_role: Role | None) -> str:
    """The cleaned reason for confirming a household difference, or RuleViolation: there is no difference, the
    role is not the commune committee's, or the reason is missing."""
    if difference is None:
        raise RuleViolation("Số hộ trong danh sách cử tri khớp sổ hộ của thôn: không có chênh lệch để xác nhận.")
    if confirming_role != Role.COMMUNE_COMMITTEE:
        raise RuleViolation(f"Danh sách cử tri {difference.describe()}: cần Ban chỉ đạo bầu cử xã xác nhận chênh "
                            "lệch và ghi lý do.", "households_note")
    note = " ".join(nfc(note).split())
    if len(note) < CONFIRMATION_NOTE_MIN:
        raise RuleViolation(f"Danh sách cử tri {difference.describe()}: hãy ghi lý do chênh lệch (ít nhất "
                            f"{CONFIRMATION_NOTE_MIN} ký tự) để xác nhận tổng số hộ dùng tính quá nửa (R-V5, R-V7).",
                            "households_note")
    return note[:500]


class VoterEntry(Model):
    """One household and its representative voter."""

    __table_args__ = (
        sa.UniqueConstraint("roll_id", "household_no", name="uq_voter_entry_household"),
        sa.UniqueConstraint("roll_id", "citizen_id", name="uq_voter_entry_citizen"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # No separate index on roll_id: the unique (roll_id, household_no) index serves lookups by roll.
    roll_id: Mapped[int] = mapped_column(sa.ForeignKey("voter_roll.id", ondelete="CASCADE"))
    household_no: Mapped[str] = mapped_column(sa.String(20))
    full_name: Mapped[str] = mapped_column(sa.String(120))
    name_folded: Mapped[str] = mapped_column(sa.String(120))  # searched with LIKE '%…%': an index would not help
    citizen_id: Mapped[str] = mapped_column(sa.String(12))
    birth_date: Mapped[date | None]  # None when the roll gives only the birth year
    birth_year: Mapped[int | None]
    sex: Mapped[str] = mapped_column(sa.String(8), default="")
    address: Mapped[str] = mapped_column(sa.String(200), default="")

    roll: Mapped[VoterRoll] = relationship()

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.roll.hamlet_id if self.roll else None


def random_row_id() -> int:
    """A random id below 2⁵³ (exact in JavaScript): a row whose insertion order must not show."""
    return secrets.randbelow(2**53 - 1) + 1


def checkin_now() -> datetime:
    return checkin_time(utcnow())


class CheckIn(Model):
    """The representative of a household received a ballot in this poll (no serial: secret ballot).

    Nothing here tells the order of check-ins finer than a quarter hour (election.rules.checkin_time): the id is
    random (random_row_id; INTEGER, the rowid, on SQLite, BIGINT on PostgreSQL) and `at` is truncated. The
    audit entry of a check-in or of its undo names the poll, the team member and the quarter hour, never the
    household nor the id (audit_exclude, audit_record_id): the household is recorded here, as the current state.
    """

    __table_args__ = (sa.UniqueConstraint("poll_id", "entry_id", name="uq_check_in_poll_entry"),)
    audit_exclude = frozenset({"id", "entry_id"})

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
                                    autoincrement=False, default=random_row_id)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id"), index=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("voter_entry.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=checkin_now)  # the quarter hour, never the moment
    by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    entry: Mapped[VoterEntry] = relationship()

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.entry.roll.hamlet_id if self.entry else None

    @property
    def audit_record_id(self) -> str:
        """The audit log files a check-in under its poll: its own id would join the entry's sequence to a
        household."""
        return str(self.poll_id)


# R-V6: the counting board has 3 to 5 members; 2 household representatives witness the count.
BOARD_MIN, BOARD_MAX = 3, 5


WITNESSES = 2


class PollStatus(LabelledEnum):
    """The district board's statuses, in workflow order."""

    NOT_STARTED = "not_started", N_("Chưa bắt đầu")
    VOTING = "voting", N_("Đang bỏ phiếu")
    COUNTING = "counting", N_("Đang kiểm phiếu")
    FIRST_ENTRY = "first_entry", N_("Đã nhập lần 1")
    SECOND_ENTRY = "second_entry", N_("Đã nhập lần 2")
    DIFFERENCES = "differences", N_("Hai lần nhập lệch nhau")
    AWAITING_ACCOUNTING = "awaiting_accounting", N_("Chờ đối chiếu phiếu bầu")  # entries agree, R-C3 not yet
    REOPENED = "reopened", N_("Mở lại để đính chính")  # an accepted count reopened by the commune, with a reason
    SUBMITTED = "submitted", N_("Đã gửi kết quả")
    VALIDATED = "validated", N_("Đã đối chiếu biên bản")
    RECOGNISED = "recognised", N_("Đã công nhận")
    REVOTE = "revote", N_("Bầu lại")
    ACTING_CHIEF = "acting_chief", N_("Chỉ định trưởng thôn lâm thời")


class PollMode(LabelledEnum):
    MEETING = "meeting", N_("Hội nghị cử tri")  # the hamlet meeting votes (quorum > 50% of households, R-V5)
    DISTRIBUTION = "distribution", N_("Phát phiếu đến từng hộ")  # no quorum: ballots taken to each household


class VotingForm(LabelledEnum):
    SECRET_BALLOT = "secret_ballot", N_("Bỏ phiếu kín")
    SHOW_OF_HANDS = "show_of_hands", N_("Biểu quyết giơ tay")  # R-V6: the meeting chooses


def poll_label(hamlet_name: str, round_no: int) -> str:
    """A poll as people name it: the hamlet, and the round when it is a re-vote (R-V8)."""
    return f"{hamlet_name} – bầu lại (vòng {round_no})" if round_no > 1 else hamlet_name


# The statuses in which a count entry may be saved.
ENTERING = (PollStatus.COUNTING, PollStatus.FIRST_ENTRY, PollStatus.SECOND_ENTRY)
# The statuses from which the count is accepted: entries agree, one is chosen, or the accounting was waited for.
DECIDING = (PollStatus.FIRST_ENTRY, PollStatus.SECOND_ENTRY, PollStatus.DIFFERENCES, PollStatus.AWAITING_ACCOUNTING,
            PollStatus.REOPENED)
# The statuses from which the commune committee may reopen the accepted count (issue 15, corrections).
REOPENABLE = (PollStatus.SUBMITTED, PollStatus.VALIDATED, PollStatus.RECOGNISED)


class Poll(Model):
    __table_args__ = (sa.UniqueConstraint("term_id", "hamlet_id", "round_no", name="uq_poll_round"),)
    # A change of state is anchored in the district's audit chain (core.audit: the heads of its communes' chains).
    audit_anchor_on = ("status",)

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(sa.ForeignKey("term.id"), index=True)
    hamlet_id: Mapped[int] = mapped_column(sa.ForeignKey("hamlet.id"), index=True)
    round_no: Mapped[int] = mapped_column(default=1)  # 2 = re-vote (R-V8)
    status: Mapped[PollStatus] = enum_column(PollStatus, default=PollStatus.NOT_STARTED)
    mode: Mapped[PollMode] = enum_column(PollMode, default=PollMode.MEETING)
    voting_form: Mapped[VotingForm] = enum_column(VotingForm, default=VotingForm.SECRET_BALLOT)
    held_on: Mapped[datetime | None]
    # R-V8: the day the commune ordered for a re-vote round (round 1 votes on the term's election day, R-V4).
    voting_day: Mapped[date | None]
    version: Mapped[int] = mapped_column(default=1)  # optimistic lock: a stale write gets 409
    # The meeting record. total_households is frozen when the poll opens (R-V1: one vote per
    # household), so later edits of the household list do not move the quorum or the R-V7 denominator.
    total_households: Mapped[int | None]
    households_present_typed: Mapped[int | None]  # None: taken from the check-in count (election.voters)
    # The check-in count frozen when voting ended (start_counting): check-ins after that never move the figures.
    checked_in_at_close: Mapped[int | None]
    board_members: Mapped[list] = mapped_column(sa.JSON, default=list)  # R-V6: 3–5 names
    witnesses: Mapped[list] = mapped_column(sa.JSON, default=list)  # R-V6: 2 household witnesses
    counting_started_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]  # both entries agreed (or the commune resolved the differences)
    # The entry that stands while the ballot accounting does not balance yet (status AWAITING_ACCOUNTING).
    pending_entry_id: Mapped[int | None]
    # The counting minutes' version: 1, then one more for every correction (CountCorrection) of the count.
    minutes_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # R-C7 yields for a hamlet whose team is one person; set by the commune committee with a reason.
    single_member: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    single_member_reason: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")

    term: Mapped[Term] = relationship()
    hamlet: Mapped[Hamlet] = relationship()

    __mapper_args__ = {"version_id_col": version}

    def __init__(self, **kwargs) -> None:
        # Column defaults apply only at INSERT; lifecycle methods may run on a poll not flushed yet.
        kwargs.setdefault("status", PollStatus.NOT_STARTED)
        kwargs.setdefault("mode", PollMode.MEETING)
        kwargs.setdefault("voting_form", VotingForm.SECRET_BALLOT)
        kwargs.setdefault("board_members", [])
        kwargs.setdefault("witnesses", [])
        kwargs.setdefault("minutes_version", 1)
        kwargs.setdefault("single_member", False)
        kwargs.setdefault("single_member_reason", "")
        super().__init__(**kwargs)

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.hamlet_id

    @property
    def rules(self) -> ElectionRuleSet:
        return DEFAULT_ELECTION_RULES

    @property
    def label(self) -> str:
        return poll_label(self.hamlet.full_name, self.round_no)

    @classmethod
    def get_or_create(cls, term: Term, hamlet: Hamlet, round_no: int = 1) -> Poll:
        poll = db.session.scalar(db.select(cls).where(cls.term_id == term.id, cls.hamlet_id == hamlet.id,
                                                      cls.round_no == round_no))
        if poll is None:
            poll = cls(term=term, hamlet=hamlet, round_no=round_no)
            db.session.add(poll)
        return poll

    @classmethod
    def latest_of(cls, term_id: int, hamlet_id: int) -> Poll | None:
        """The open round of a hamlet: its last round (a re-vote closes the round before it, R-V8)."""
        return db.session.scalar(db.select(cls).where(cls.term_id == term_id, cls.hamlet_id == hamlet_id)
                                 .order_by(cls.round_no.desc()).limit(1))

    @property
    def is_open_round(self) -> bool:
        """False for a round a re-vote closed: its pages are read-only."""
        latest = Poll.latest_of(self.term_id, self.hamlet_id) if self.id is not None else None
        return latest is None or latest.round_no <= self.round_no

    def require_open_round(self, action: str) -> None:
        """A round a re-vote closed is read-only: nothing of it is recorded any more (its pages say so too)."""
        if not self.is_open_round:
            latest = Poll.latest_of(self.term_id, self.hamlet_id)
            raise RuleViolation(f"Không thể {action}: vòng {self.round_no} đã khép lại, vòng đang mở là vòng "
                                f"{latest.round_no if latest else self.round_no + 1}.")

    # -- figures of the meeting ---------------------------------------------------------------------
    def checked_in(self) -> int:
        """Households checked in: the live count while voting, the count frozen when voting ended after that."""
        if self.checked_in_at_close is not None and self.status != PollStatus.VOTING:
            return self.checked_in_at_close
        return self.live_checked_in()

    def live_checked_in(self) -> int:
        if self.id is None:
            return 0
        return db.session.scalar(db.select(db.func.count(CheckIn.id)).where(CheckIn.poll_id == self.id)) or 0

    @property
    def households_present(self) -> int | None:
        """Typed by the team, or else the number of households checked in (None before anybody came); frozen
        from the end of voting on (start_counting)."""
        if self.households_present_typed is not None:
            return self.households_present_typed
        if self.id is None:
            return None
        return self.checked_in() or None

    def check_in_refusal(self) -> str | None:
        """Why a household cannot be checked in (or its check-in undone) in this round now; None: it can.
        Only while this round is voting: after that the figures of the count are frozen."""
        if self.status == PollStatus.VOTING and self.is_open_round:
            return None
        message = (f"Không ghi nhận nhận phiếu cho vòng {self.round_no}: cuộc bầu vòng này đang ở trạng thái "
                   f"“{self.status.label}”; chỉ ghi nhận khi đang bỏ phiếu.")
        latest = Poll.latest_of(self.term_id, self.hamlet_id) if self.id is not None else None
        if latest is not None and latest.round_no != self.round_no:
            message += f" Vòng đang mở là vòng {latest.round_no} (“{latest.status.label}”)."
        return message

    def require_check_in_open(self) -> None:
        """Raise RuleViolation unless this round is voting (check-in and its undo)."""
        refusal = self.check_in_refusal()
        if refusal:
            raise RuleViolation(refusal)

    @property
    def quorum_met(self) -> bool | None:
        """R-V5 (None in distribution mode, or while the number present is unknown)."""
        present = self.households_present
        if self.mode == PollMode.DISTRIBUTION or present is None or not self.total_households:
            return None
        return quorum_met(self.total_households, present, self.rules)

    @property
    def quorum_needed(self) -> int | None:
        """The fewest households present that make a quorum (strictly more than half, R-V5)."""
        return households_for_quorum(self.total_households, self.rules) if self.total_households else None

    @property
    def board_complete(self) -> bool:
        return BOARD_MIN <= len(self.board_members or []) <= BOARD_MAX and len(self.witnesses or []) == WITNESSES

    # -- lifecycle (each step checks the state and raises RuleViolation) --------------------------------
    def _require(self, *statuses: PollStatus, action: str) -> None:
        if self.status not in statuses:
            raise RuleViolation(f"Không thể {action}: cuộc bầu đang ở trạng thái “{self.status.label}”.")

    @property
    def allowed_voting_day(self) -> date | None:
        """The only day this round may open: the term's election day (R-V4), or the ordered re-vote day (R-V8)."""
        if self.voting_day is not None:
            return self.voting_day
        return self.term.election_day if self.round_no == 1 else None

    @property
    def poll_day(self) -> date | None:
        """The day this round voted (Vietnam's date), else the day it is to vote."""
        return local_date(self.held_on) if self.held_on else self.allowed_voting_day

    def open(self, total_households: int, day: date, at: datetime | None = None) -> None:
        """Open the meeting (status voting) with the hamlet's total households frozen, on `day` (Vietnam's date,
        core.vietnamese.vietnam_today()), which must be this round's voting day (R-V4, R-V8); `at` is the moment
        recorded (default: now's time of day on `day`)."""
        self._require(PollStatus.NOT_STARTED, action="khai mạc bỏ phiếu")
        problem = voting_day_problem(day, self.allowed_voting_day, self.round_no)
        if problem is not None:
            raise RuleViolation(problem.message)
        if at is not None and local_date(at) != day:
            raise ValueError("the moment recorded for opening the poll must fall on its day")
        if total_households < 1:
            raise RuleViolation("Thôn chưa có hộ gia đình nào trong danh sách cử tri: chưa thể bỏ phiếu.")
        self.total_households = total_households
        self.held_on = at or moment_on(day)
        self.status = PollStatus.VOTING

    def set_voting_day(self, day: date, ordered_on: date) -> None:
        """R-V8: the re-vote day recorded with the order (before the round opens)."""
        self._require(PollStatus.NOT_STARTED, action="ghi ngày bầu lại")
        if self.round_no < 2:
            raise RuleViolation("Vòng bầu thứ nhất bỏ phiếu vào ngày bầu cử của nhiệm kỳ (R-V4).")
        problem = revote_day_problem(day, self.term.election_day, ordered_on, self.rules)
        if problem is not None:
            raise RuleViolation(problem.message, problem.field)
        self.voting_day = day

    def record_meeting(self, households_present: int | None, voting_form: VotingForm, board: list[str],
                       witnesses: list[str]) -> None:
        """The meeting record: present (None = from check-in), voting form, board and witnesses (R-V6)."""
        self._require(PollStatus.VOTING, PollStatus.COUNTING, action="ghi biên bản hội nghị")
        if self.counting_started_at is not None and self.status != PollStatus.COUNTING:
            raise RuleViolation("Đã nhập kết quả kiểm phiếu: không sửa được biên bản hội nghị.")
        board = [name.strip() for name in board if name and name.strip()]
        witnesses = [name.strip() for name in witnesses if name and name.strip()]
        if not BOARD_MIN <= len(board) <= BOARD_MAX:
            raise RuleViolation(f"Ban kiểm phiếu phải có từ {BOARD_MIN} đến {BOARD_MAX} người (R-V6).", "board")
        if len(witnesses) != WITNESSES:
            raise RuleViolation(f"Cần đúng {WITNESSES} cử tri đại diện hộ gia đình chứng kiến việc kiểm phiếu "
                                "(R-V6).", "witnesses")
        if households_present is not None:
            if households_present < 0:
                raise RuleViolation("Số hộ có mặt không được âm.", "households_present")
            if self.total_households is not None and households_present > self.total_households:
                raise RuleViolation(f"Số hộ có mặt ({households_present}) lớn hơn tổng số hộ của thôn "
                                    f"({self.total_households}) (R-C1).", "households_present")
        self.households_present_typed = households_present
        self.voting_form = voting_form
        self.board_members = board
        self.witnesses = witnesses

    def switch_to_distribution(self) -> None:
        """R-V5 fallback: no quorum at the meeting, so ballots are taken to each household."""
        self._require(PollStatus.VOTING, PollStatus.COUNTING, action="chuyển sang phát phiếu đến từng hộ")
        if self.mode == PollMode.DISTRIBUTION:
            raise RuleViolation("Cuộc bầu đã ở hình thức phát phiếu đến từng hộ.")
        if self.quorum_met is not False:
            raise RuleViolation("Hội nghị đủ số hộ tham dự (trên 50% tổng số hộ, R-V5): không chuyển sang phát "
                                "phiếu đến từng hộ.")
        self.mode = PollMode.DISTRIBUTION
        self.voting_form = VotingForm.SECRET_BALLOT  # ballots carried to each household are secret ballots
        self.status = PollStatus.VOTING
        self.checked_in_at_close = None  # voting goes on: households are checked in as ballots reach them

    def start_counting(self) -> None:
        """End voting: the check-in count is frozen (no check-in after this), then the count starts."""
        self._require(PollStatus.VOTING, action="bắt đầu kiểm phiếu")
        self.checked_in_at_close = self.live_checked_in()
        if not self.board_complete:
            raise RuleViolation(f"Cần ghi Ban kiểm phiếu ({BOARD_MIN}–{BOARD_MAX} người) và {WITNESSES} cử tri "
                                "chứng kiến trước khi kiểm phiếu (R-V6).")
        if self.mode == PollMode.MEETING:
            if self.households_present is None:
                raise RuleViolation("Chưa có số hộ có mặt tại hội nghị.")
            if self.quorum_met is False:
                raise RuleViolation(f"Hội nghị chỉ có {self.households_present}/{self.total_households} hộ, chưa "
                                    f"quá 50% (cần ít nhất {self.quorum_needed} hộ, R-V5): chuyển sang phát phiếu "
                                    "đến từng hộ.")
        self.counting_started_at = utcnow()
        self.status = PollStatus.COUNTING

    def entered(self, slots: set[int]) -> None:
        """Status after an entry was saved: which one of the two entries now stands."""
        self._require(*ENTERING, action="ghi kết quả kiểm phiếu")
        self._stand(slots)

    def _stand(self, slots: set[int]) -> None:
        if slots == {1}:
            self.status = PollStatus.FIRST_ENTRY
        elif slots == {2}:
            self.status = PollStatus.SECOND_ENTRY
        elif not slots:
            self.status = PollStatus.COUNTING

    def mark_differences(self) -> None:
        """The second entry differs from the first: the commune committee decides (R-C1)."""
        self._require(*ENTERING, action="ghi hai lần nhập lệch nhau")
        self.status = PollStatus.DIFFERENCES

    def entry_sent_back(self, remaining: set[int]) -> None:
        """One of two differing entries was sent back to be entered again: the other one stands."""
        self._require(PollStatus.DIFFERENCES, PollStatus.REOPENED, action="trả lại lần nhập")
        self._stand(remaining)

    def submit(self) -> None:
        """Both entries agree (or the commune chose one) and the ballot accounting balances: the result stands."""
        self._require(*DECIDING, action="chốt kết quả kiểm phiếu")
        self.status = PollStatus.SUBMITTED
        self.submitted_at = utcnow()
        self.pending_entry_id = None

    def await_accounting(self, entry_id: int) -> None:
        """The entries agree (or one was chosen) but the ballot accounting does not balance yet (R-C3): the entry
        stands and the poll waits; recording the accounting accepts it."""
        self._require(*DECIDING, action="chờ đối chiếu phiếu bầu")
        self.status = PollStatus.AWAITING_ACCOUNTING
        self.pending_entry_id = entry_id

    def reopen(self, reason: str, entries_left: int) -> None:
        """The commune committee reopens an accepted or recognised count to correct it (the caller keeps the
        correction record): with entries left, the committee chooses or sends back; else two new entries."""
        self._require(*REOPENABLE, action="mở lại kết quả kiểm phiếu")
        problem = correction_reason_problem(reason)
        if problem:
            raise RuleViolation(problem, "reason")
        self.status = PollStatus.REOPENED if entries_left else PollStatus.COUNTING
        self.pending_entry_id = None
        self.minutes_version = (self.minutes_version or 1) + 1

    def set_single_member(self, single: bool, reason: str) -> None:
        """R-C7: the hamlet's team is one person, so the same account may enter twice and decide (flagged)."""
        if self.status in (PollStatus.SUBMITTED, PollStatus.VALIDATED, PollStatus.RECOGNISED, PollStatus.REVOTE,
                           PollStatus.ACTING_CHIEF):
            raise RuleViolation("Kết quả đã chốt: không đổi cách kiểm soát hai người (mở lại kết quả nếu cần).")
        reason = " ".join(reason.split())
        if single and len(reason) < 10:
            raise RuleViolation("Cần ghi lý do tổ bầu cử chỉ có một người (ít nhất 10 ký tự).", "reason")
        self.single_member = single
        self.single_member_reason = reason if single else ""

    def validate_minutes(self) -> None:
        self._require(PollStatus.SUBMITTED, action="xác nhận biên bản")
        self.status = PollStatus.VALIDATED

    def recognise(self) -> None:
        self._require(PollStatus.VALIDATED, action="công nhận kết quả")
        self.status = PollStatus.RECOGNISED

    def order_revote(self) -> None:
        self._require(PollStatus.SUBMITTED, PollStatus.VALIDATED, action="quyết định bầu lại")
        self.status = PollStatus.REVOTE

    def record_acting_chief(self) -> None:
        self._require(PollStatus.SUBMITTED, PollStatus.VALIDATED, action="ghi quyết định chỉ định trưởng thôn "
                      "lâm thời")
        self.status = PollStatus.ACTING_CHIEF

    @property
    def election_day(self) -> date:
        return self.term.election_day


def households_for_quorum(total_households: int, rules: ElectionRuleSet = DEFAULT_ELECTION_RULES) -> int:
    """R-V5: the fewest households present that are strictly more than the quorum share of all households."""
    return math.floor(rules.quorum_share * total_households) + 1


@dataclass(frozen=True)
class HouseholdTotal:
    """A hamlet's total households in a term, the denominator of R-V5 and R-V7, and where the number comes from.

    source: "poll" (frozen when that poll opened), "roll" (the voter roll agrees with the register, or there is no
    register), "roll_confirmed" (differs, confirmed by the commune committee), "roll_unconfirmed" (differs, not
    confirmed), "register" (no roll yet: the household register)."""

    count: int
    source: str
    register: int
    roll: int | None = None
    note: str = ""
    confirmed_by: str = ""
    confirmed_at: datetime | None = None
    opened_at: datetime | None = None
    underlying: HouseholdTotal | None = None  # for "poll": the roll or register as it stands

    @property
    def difference(self) -> HouseholdDifference | None:
        return household_difference(self.roll, self.register) if self.roll is not None else None

    @property
    def source_label(self) -> str:
        """A short label for a table cell."""
        return {"poll": "chốt khi khai mạc", "roll": "danh sách cử tri", "roll_confirmed": "danh sách cử tri, "
                "chênh lệch đã xác nhận", "roll_unconfirmed": "danh sách cử tri, lệch sổ hộ chưa xác nhận",
                "register": "sổ hộ gia đình"}[self.source]

    @property
    def source_text(self) -> str:
        """Where the number comes from, in a sentence (Vietnamese, as pages and documents print it)."""
        if self.source == "poll":
            text = f"chốt khi khai mạc bỏ phiếu ngày {format_date(local_date(self.opened_at))}" \
                if self.opened_at else "chốt khi khai mạc bỏ phiếu"
            if self.underlying is not None and self.underlying.count == self.count:
                text += ", " + self.underlying.source_text
            return text
        if self.source == "register":
            return "theo sổ hộ gia đình của thôn (chưa có danh sách cử tri)"
        difference = self.difference
        if difference is None:
            return "theo danh sách cử tri" + (", khớp sổ hộ gia đình" if self.register else "")
        if self.source == "roll_confirmed":
            by = f" ({self.confirmed_by})" if self.confirmed_by else ""
            when = format_date(local_date(self.confirmed_at)) if self.confirmed_at else ""
            return (f"theo danh sách cử tri, {difference.describe()}; chênh lệch được Ban chỉ đạo bầu cử xã xác "
                    f"nhận ngày {when}{by}: {self.note}")
        return f"theo danh sách cử tri, {difference.describe()}; chênh lệch chưa được xác nhận"


def registered_households(hamlet_ids: Sequence[int] | sa.Select) -> dict[int, int]:
    """Hamlet id -> households in its register (hamlets with none are left out); `hamlet_ids` a list or a query of
    them (a board's thousands of hamlets: one subquery, not thousands of parameters)."""
    ids = hamlet_ids if isinstance(hamlet_ids, sa.Select) else list(hamlet_ids)
    return dict(db.session.execute(
        db.select(Household.hamlet_id, db.func.count()).where(Household.hamlet_id.in_(ids))
        .group_by(Household.hamlet_id)).tuples().all())


def household_totals(term_id: int, hamlet_ids: Sequence[int],
                     polls: Mapping[int, Poll | None] | None = None) -> dict[int, HouseholdTotal]:
    """THE total households of each hamlet for the term (R-V1: one vote per household), with its source: the
    denominator of R-V5 and R-V7 wherever it is shown or used. A poll that opened keeps the number it froze
    (`polls`: hamlet id -> its poll of interest); else the voter roll, else the household register."""
    return household_totals_of({hamlet_id: term_id for hamlet_id in hamlet_ids}, polls)


def household_totals_of(hamlet_terms: Mapping[int, int], polls: Mapping[int, Poll | None] | None = None,
                        hamlet_query: sa.Select | None = None) -> dict[int, HouseholdTotal]:
    """household_totals for hamlets of several districts, each for its own term (`hamlet_terms`: hamlet id -> the
    term id), in the same three queries however many districts and hamlets (`hamlet_query`: a query of those
    hamlets' ids, sent instead of the list of ids)."""
    ids = list(hamlet_terms)
    if not ids:
        return {}
    selected = hamlet_query if hamlet_query is not None else ids
    registers = registered_households(selected)
    rolls = {r.hamlet_id: r for r in db.session.scalars(
        db.select(VoterRoll).where(VoterRoll.term_id.in_(sorted(set(hamlet_terms.values()))),
                                   VoterRoll.hamlet_id.in_(selected)))
        if hamlet_terms.get(r.hamlet_id) == r.term_id}
    user_ids = {r.households_confirmed_by_id for r in rolls.values() if r.households_confirmed_by_id}
    names = dict(db.session.execute(db.select(User.id, User.full_name).where(User.id.in_(sorted(user_ids))))
                 .tuples().all()) if user_ids else {}
    totals = {}
    for hamlet_id in ids:
        register = registers.get(hamlet_id, 0)
        roll = rolls.get(hamlet_id)
        if roll is None or not roll.entry_count:
            total = HouseholdTotal(register, "register", register)
        elif household_difference(roll.entry_count, register) is None:
            total = HouseholdTotal(roll.entry_count, "roll", register, roll.entry_count)
        elif roll.households_confirmed_for(register):
            total = HouseholdTotal(roll.entry_count, "roll_confirmed", register, roll.entry_count,
                                   roll.households_note, names.get(roll.households_confirmed_by_id or 0, ""),
                                   roll.households_confirmed_at)
        else:
            total = HouseholdTotal(roll.entry_count, "roll_unconfirmed", register, roll.entry_count)
        poll = (polls or {}).get(hamlet_id)
        if poll is not None and poll.total_households is not None:
            total = HouseholdTotal(poll.total_households, "poll", register, total.roll, opened_at=poll.held_on,
                                   underlying=total)
        totals[hamlet_id] = total
    return totals


def household_total(hamlet_id: int, term_id: int, poll: Poll | None = None) -> HouseholdTotal:
    """household_totals for one hamlet (`poll`: the poll whose frozen number counts once it opened)."""
    return household_totals(term_id, [hamlet_id], {hamlet_id: poll})[hamlet_id]


class CountMethod(LabelledEnum):
    AGGREGATE = "aggregate", N_("Nhập tổng hợp")
    PER_BALLOT = "per_ballot", N_("Quét từng phiếu")


@dataclass(frozen=True)
class Figures:
    """One count as the paper tally gives it; votes keyed by candidacy id (as a string)."""

    ballots_issued: int
    ballots_returned: int
    valid_ballots: int
    invalid_ballots: int
    votes: dict[str, int] = field(default_factory=dict)
    against: int = 0  # "Không đồng ý" with a single candidate

    def key(self) -> tuple:
        return (self.ballots_issued, self.ballots_returned, self.valid_ballots, self.invalid_ballots,
                tuple(sorted(self.votes.items())), self.against)

    def differences(self, other: Figures) -> set[str]:
        names = {"ballots_issued", "ballots_returned", "valid_ballots", "invalid_ballots", "against"}
        diff = {n for n in names if getattr(self, n) != getattr(other, n)}
        diff |= {f"votes.{k}" for k in set(self.votes) | set(other.votes) if self.votes.get(k) != other.votes.get(k)}
        return diff


class TallyFigures:
    """The figures of a count, shared by an entry and the accepted result."""

    ballots_issued: Mapped[int]
    ballots_returned: Mapped[int]
    valid_ballots: Mapped[int]
    invalid_ballots: Mapped[int]
    against: Mapped[int] = mapped_column(default=0)
    votes: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    warnings_acknowledged: Mapped[bool] = mapped_column(default=False)  # R-C6
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.poll.hamlet_id if self.poll else None

    @property
    def figures(self) -> Figures:
        return Figures(self.ballots_issued, self.ballots_returned, self.valid_ballots, self.invalid_ballots,
                       {str(k): int(v) for k, v in (self.votes or {}).items()}, self.against)


class CountEntry(TallyFigures, Model):
    """One of the two independent entries of a poll's count (slot 1 and slot 2, by different users)."""

    __table_args__ = (sa.UniqueConstraint("poll_id", "slot", name="uq_count_entry_slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id"), index=True)
    slot: Mapped[int]  # 1 or 2
    method: Mapped[CountMethod] = enum_column(CountMethod, default=CountMethod.AGGREGATE)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    households_present: Mapped[int | None]  # as the meeting record said when the entry was made

    poll: Mapped[Poll] = relationship()
    user = relationship("User")


# After the step the result called for was taken, the poll page says so instead of "waiting for…".
STEPS_TAKEN = {PollStatus.RECOGNISED: "recognised", PollStatus.REVOTE: "revote_ordered",
               PollStatus.ACTING_CHIEF: "acting_chief_appointed"}


class CountResult(TallyFigures, Model):
    """The accepted count of a poll and its outcome (R-V5, R-V7); one per poll."""

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id"), unique=True)
    entry_id: Mapped[int | None]  # the entry it came from (entries may later be deleted: no foreign key)
    method: Mapped[CountMethod] = enum_column(CountMethod, default=CountMethod.AGGREGATE)
    mode: Mapped[str] = mapped_column(sa.String(16))
    total_households: Mapped[int]
    households_present: Mapped[int | None]
    outcome: Mapped[str] = mapped_column(sa.String(16))  # elected | no_winner | no_quorum
    winner_candidacy_id: Mapped[int | None]
    denominator: Mapped[str] = mapped_column(sa.String(20))

    poll: Mapped[Poll] = relationship()

    @property
    def next_step(self) -> str:
        """What comes next (election.counting.NEXT_STEP_LABELS); once that step was taken, the step taken."""
        done = STEPS_TAKEN.get(self.poll.status)
        return done or next_step_after(self.outcome, self.poll.round_no, self.poll.rules)  # type: ignore[arg-type]


class MinutesUpload(Model):
    """A photo or scan of the signed paper minutes (its bytes are in core.storage, under stored_name)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id"), index=True)
    stored_name: Mapped[str] = mapped_column(sa.String(120))
    original_name: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(40))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    validated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    validated_at: Mapped[datetime | None]
    minutes_version: Mapped[int] = mapped_column(default=1, server_default="1")  # Poll.minutes_version it signs

    poll: Mapped[Poll] = relationship()

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.poll.hamlet_id if self.poll else None


class Recognition(Model):
    """The commune people's committee's decision recognising the elected hamlet chief (R-V9)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # Not unique: a recognition superseded by a correction keeps its row; the new decision is another row.
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id"), index=True)
    decision_no: Mapped[str] = mapped_column(sa.String(60))
    decided_on: Mapped[date]
    signer_name: Mapped[str] = mapped_column(sa.String(120))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"))
    position_id: Mapped[int | None] = mapped_column(sa.ForeignKey("position.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    minutes_version: Mapped[int] = mapped_column(default=1, server_default="1")  # the minutes it recognised
    superseded_at: Mapped[datetime | None]  # the count was reopened (CountCorrection): no longer in force

    poll: Mapped[Poll] = relationship()
    person: Mapped[Person] = relationship()

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.poll.hamlet_id if self.poll else None


class ActingAppointment(Model):
    """R-V8: nobody elected after the last round: the commune chairman appoints an acting chief."""

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id"), unique=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"))
    decision_no: Mapped[str] = mapped_column(sa.String(60))
    decided_on: Mapped[date]
    signer_name: Mapped[str] = mapped_column(sa.String(120))
    position_id: Mapped[int | None] = mapped_column(sa.ForeignKey("position.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    poll: Mapped[Poll] = relationship()
    person: Mapped[Person] = relationship()

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.poll.hamlet_id if self.poll else None


class CountCorrection(Model):
    """The commune committee reopened an accepted (or recognised) count with a written reason: what stood before
    (figures, outcome, the minutes version it printed) is kept here; the minutes go on to the next version."""

    __table_args__ = (sa.UniqueConstraint("poll_id", "number", name="uq_count_correction_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id"))  # the unique (poll_id, number) index serves
    number: Mapped[int]  # 1, 2…: correction n supersedes minutes version n by version n + 1
    reason: Mapped[str] = mapped_column(sa.String(500))
    by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    previous_status: Mapped[str] = mapped_column(sa.String(32))
    minutes_version: Mapped[int]  # the version superseded
    superseded: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # the result's figures, outcome, names
    recognition_id: Mapped[int | None]  # the recognition it superseded, if any
    entries_discarded: Mapped[bool] = mapped_column(default=False)

    poll: Mapped[Poll] = relationship()
    by_user = relationship("User")

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.poll.hamlet_id if self.poll else None
