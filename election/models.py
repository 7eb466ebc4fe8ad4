"""The election's tables and their guarded lifecycles: voter rolls and check-ins, the poll of a hamlet in a round
(the thread that ties roll, check-in, ballots, count and result), the two count entries and the result, the
signed minutes, recognition and acting chiefs."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from blinker import Namespace
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.errors import RuleViolation
from core.labels import N_, LabelledEnum
from core.models import Hamlet, Household, Person, Term, enum_column
from core.vietnamese import local_date, moment_on, utcnow
from election.rules import (
    DEFAULT_ELECTION_RULES,
    ElectionRuleSet,
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

    term: Mapped[Term] = relationship()
    hamlet: Mapped[Hamlet] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.hamlet_id


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


class CheckIn(Model):
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


class Poll(Model):
    __table_args__ = (sa.UniqueConstraint("term_id", "hamlet_id", "round_no", name="uq_poll_round"),)

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
    board_members: Mapped[list] = mapped_column(sa.JSON, default=list)  # R-V6: 3–5 names
    witnesses: Mapped[list] = mapped_column(sa.JSON, default=list)  # R-V6: 2 household witnesses
    counting_started_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]  # both entries agreed (or the commune resolved the differences)

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

    # -- figures of the meeting ---------------------------------------------------------------------
    def checked_in(self) -> int:

        return db.session.scalar(db.select(db.func.count(CheckIn.id)).where(CheckIn.poll_id == self.id)) or 0

    @property
    def households_present(self) -> int | None:
        """Typed by the team, or else the number of households checked in (None before anybody came)."""
        if self.households_present_typed is not None:
            return self.households_present_typed
        if self.id is None:
            return None
        return self.checked_in() or None

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

    def start_counting(self) -> None:
        self._require(PollStatus.VOTING, action="bắt đầu kiểm phiếu")
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
        self._require(PollStatus.DIFFERENCES, action="trả lại lần nhập")
        self._stand(remaining)

    def submit(self) -> None:
        """Both entries agree (or the commune chose one): the result stands."""
        self._require(PollStatus.FIRST_ENTRY, PollStatus.SECOND_ENTRY, PollStatus.DIFFERENCES,
                      action="chốt kết quả kiểm phiếu")
        self.status = PollStatus.SUBMITTED
        self.submitted_at = utcnow()

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


def hamlet_households(hamlet_id: int, term_id: int) -> int:
    """The hamlet's total households: the voter roll (one entry per household, R-V1), else the register."""

    roll = db.session.scalar(db.select(VoterRoll).where(VoterRoll.term_id == term_id,
                                                        VoterRoll.hamlet_id == hamlet_id))
    if roll is not None and roll.entry_count:
        return roll.entry_count
    return db.session.scalar(db.select(db.func.count(Household.id)).where(Household.hamlet_id == hamlet_id)) or 0


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
        return next_step_after(self.outcome, self.poll.round_no, self.poll.rules)  # type: ignore[arg-type]


class MinutesUpload(Model):
    """A photo or scan of the signed paper minutes (the file lives in the instance folder)."""

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

    poll: Mapped[Poll] = relationship()

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return None, None, self.poll.hamlet_id if self.poll else None


class Recognition(Model):
    """The commune people's committee's decision recognising the elected hamlet chief (R-V9)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(sa.ForeignKey("poll.id"), unique=True)
    decision_no: Mapped[str] = mapped_column(sa.String(60))
    decided_on: Mapped[date]
    signer_name: Mapped[str] = mapped_column(sa.String(120))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"))
    position_id: Mapped[int | None] = mapped_column(sa.ForeignKey("position.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

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
