"""Counting a poll: the two independent entries, per-ballot scans, the result, minutes and recognition.

Functions here change the session but never commit (views and API calls do, after describe()), except
record_scan: a ballot scan runs on the request's own DBAPI connection (core.dbapi) and commits itself,
with its audit entry. Every check of a figure goes through election.rules (R-C1…R-C6, R-V5, R-V7, R-V8,
R-B1, R-V9).
"""
from __future__ import annotations

import enum
import hashlib
import os
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from core.vietnamese import utcnow
from core import dbapi
from core.errors import RuleViolation
from core.models import Person, Position, enum_column, unit_name
from core.enums import WorkerPost
from election.polls import Poll, PollMode, PollStatus, poll_label
from election.rules import (CountInput, CountOutcome, ballot_validity, evaluate_count, next_step_after,
                            recognition_deadline, revote_deadline)
from core.vietnamese import local_date

AGREE, DISAGREE = "agree", "disagree"
INVALID_REASONS = {  # R-B1 reasons a board member can pick for an invalid ballot
    "extra_marks": "Ghi thêm tên người hoặc nội dung khác",
    "no_name_kept": "Gạch hết tên tất cả người ứng cử",
    "too_many_kept": "Để lại nhiều tên hơn số người được bầu",
    "no_box": "Không đánh dấu ô nào",
    "both_boxes": "Đánh dấu cả hai ô",
}
SEATS = 1  # one hamlet chief per hamlet


class StaleWrite(Exception):
    """Someone changed the poll since the page was loaded: answer 409."""

    message = "Số liệu của cuộc bầu này vừa được người khác thay đổi. Vui lòng tải lại trang và nhập lại."


class ScanRefused(RuleViolation):
    """A scanned ballot refused on the spot (forged, foreign, test, already scanned…)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message, "ballot")
        self.code = code


class CountMethod(enum.StrEnum):
    AGGREGATE = "aggregate"
    PER_BALLOT = "per_ballot"

    @property
    def label(self) -> str:
        return {"aggregate": "Nhập tổng hợp", "per_ballot": "Quét từng phiếu"}[self.value]


# ---------------------------------------------------------------------------------------------------------
# Candidates and figures
# ---------------------------------------------------------------------------------------------------------

def poll_candidates(poll: Poll) -> list:
    """The candidacies on the confirmed list of the poll's term, hamlet and round, in ballot order."""
    from candidates.models import CandidateList, ListState

    lst = db.session.scalar(db.select(CandidateList).where(
        CandidateList.term_id == poll.term_id, CandidateList.hamlet_id == poll.hamlet_id,
        CandidateList.round_no == poll.round_no))
    if lst is None or lst.state != ListState.CONFIRMED:
        return []
    return list(lst.candidacies)


def require_candidates(poll: Poll) -> list:
    candidates = poll_candidates(poll)
    if not candidates:
        raise RuleViolation("Danh sách người ứng cử của cuộc bầu này chưa được xác nhận (R-V3).")
    return candidates


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


def count_input(poll: Poll, figures: Figures, candidates: list | None = None) -> CountInput:
    candidates = candidates if candidates is not None else require_candidates(poll)
    ids = [str(c.id) for c in candidates]
    if set(figures.votes) != set(ids):
        raise RuleViolation("Cần nhập số phiếu của đúng những người trong danh sách ứng cử.", "votes")
    present = poll.households_present
    meeting = poll.mode == PollMode.MEETING
    if meeting and present is None:
        raise RuleViolation("Chưa có số hộ có mặt tại hội nghị.", "households_present")
    return CountInput(
        mode=poll.mode.value, total_households=poll.total_households or 0,
        households_present=present, ballots_issued=figures.ballots_issued,
        ballots_returned=figures.ballots_returned, valid_ballots=figures.valid_ballots,
        invalid_ballots=figures.invalid_ballots, candidates=tuple((i, figures.votes[i]) for i in ids),
        against=figures.against if len(ids) == 1 else 0, seats=SEATS,
        denominator=poll.rules.winner_denominator,
    )


def evaluate(poll: Poll, figures: Figures, candidates: list | None = None) -> CountOutcome:
    return evaluate_count(count_input(poll, figures, candidates), poll.rules)


# ---------------------------------------------------------------------------------------------------------
# The two entries
# ---------------------------------------------------------------------------------------------------------

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


class CountEntry(TallyFigures, db.Model):
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


def poll_entries(poll: Poll) -> list[CountEntry]:
    return list(db.session.scalars(db.select(CountEntry).where(CountEntry.poll_id == poll.id)
                                   .order_by(CountEntry.slot)))


def check_version(poll: Poll, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != poll.version:
        raise StaleWrite()


def submit_entry(poll: Poll, user, figures: Figures, *, acknowledged: bool = False,
                 method: CountMethod = CountMethod.AGGREGATE, expected_version: int | None = None) -> CountEntry:
    """Save entry 1 or 2; with both in, accept them when equal, else mark the differences."""
    check_version(poll, expected_version)
    if poll.status not in (PollStatus.COUNTING, PollStatus.FIRST_ENTRY, PollStatus.SECOND_ENTRY):
        raise RuleViolation(f"Không nhận kết quả kiểm phiếu: cuộc bầu đang ở trạng thái “{poll.status.label}”.")
    candidates = require_candidates(poll)
    outcome = evaluate(poll, figures, candidates)
    if outcome.errors:
        raise RuleViolation("Số liệu chưa khớp: " + " ".join(f"{e.rule}: {e.message}" for e in outcome.errors),
                            "figures")
    if outcome.warnings and not acknowledged:
        raise RuleViolation("Cần xác nhận đã kiểm tra lại: " + " ".join(f"{w.rule}: {w.message}"
                                                                        for w in outcome.warnings), "acknowledged")
    entries = poll_entries(poll)
    if any(e.user_id == user.id for e in entries):
        raise RuleViolation("Hai lần nhập phải do hai người khác nhau thực hiện: bạn đã nhập một lần cho cuộc bầu "
                            "này.", "user")
    taken = {e.slot for e in entries}
    if len(taken) >= 2:
        raise RuleViolation("Đã có đủ hai lần nhập.")
    slot = 1 if 1 not in taken else 2
    entry = CountEntry(poll=poll, slot=slot, method=method, user_id=user.id,
                       households_present=poll.households_present, ballots_issued=figures.ballots_issued,
                       ballots_returned=figures.ballots_returned, valid_ballots=figures.valid_ballots,
                       invalid_ballots=figures.invalid_ballots, against=figures.against, votes=dict(figures.votes),
                       warnings_acknowledged=bool(outcome.warnings and acknowledged))
    db.session.add(entry)
    entries.append(entry)
    if len(entries) == 2:
        first, second = entries
        if first.figures.key() == second.figures.key():
            accept(poll, first)
        else:
            poll.mark_differences()
    else:
        poll.entered({slot})
    db.session.flush()  # the poll's status always changes: its version column serialises concurrent entries
    return entry


def accept(poll: Poll, entry: CountEntry) -> CountResult:
    """The count stands: the ballot accounting must balance, then the result and outcome are recorded."""
    problems = accounting_problems(poll, entry.ballots_returned)
    if problems:
        raise RuleViolation("Sổ theo dõi phiếu bầu chưa cân đối: " + "; ".join(problems), "accounting")
    outcome = evaluate(poll, entry.figures)
    winner = int(outcome.winner) if outcome.winner else None
    result = CountResult(poll=poll, entry_id=entry.id, method=entry.method, total_households=poll.total_households,
                         households_present=poll.households_present, mode=poll.mode.value,
                         ballots_issued=entry.ballots_issued, ballots_returned=entry.ballots_returned,
                         valid_ballots=entry.valid_ballots, invalid_ballots=entry.invalid_ballots,
                         against=entry.against, votes=dict(entry.votes), outcome=outcome.outcome,
                         winner_candidacy_id=winner, denominator=outcome.denominator,
                         warnings_acknowledged=entry.warnings_acknowledged)
    db.session.add(result)
    poll.submit()
    return result


def choose_entry(poll: Poll, entry: CountEntry, expected_version: int | None = None) -> CountResult:
    """The commune committee decides which of two different entries is right."""
    check_version(poll, expected_version)
    if poll.status != PollStatus.DIFFERENCES or entry.poll_id != poll.id:
        raise RuleViolation("Chỉ chọn được khi hai lần nhập lệch nhau.")
    result = accept(poll, entry)
    db.session.flush()
    return result


def send_back(poll: Poll, entry: CountEntry, expected_version: int | None = None) -> None:
    """Discard one entry (the audit log keeps it) so that it is entered again."""
    check_version(poll, expected_version)
    if poll.status != PollStatus.DIFFERENCES or entry.poll_id != poll.id:
        raise RuleViolation("Chỉ trả lại để nhập lại khi hai lần nhập lệch nhau.")
    remaining = {e.slot for e in poll_entries(poll) if e.id != entry.id}
    db.session.delete(entry)
    poll.status = PollStatus.COUNTING  # entered() below sets first/second entry
    poll.entered(remaining)
    db.session.flush()


def accounting_problems(poll: Poll, returned: int) -> list[str]:
    """The ballot accounting of polls that had printed ballots (ballots.accounting, issue 4)."""
    from ballots.models import Ballot, BallotBatch

    printed = db.session.scalar(db.select(db.func.count(Ballot.id)).join(BallotBatch, Ballot.batch_id == BallotBatch.id)
                                .where(Ballot.poll_id == poll.id, BallotBatch.test.is_(False)))
    if not printed:
        return []
    try:
        from ballots.accounting import poll_accounting
    except ImportError:  # issue 4 not merged yet: nothing to reconcile against
        return []
    reconciliation = poll_accounting(poll, returned=returned)
    return [] if reconciliation.balanced else [getattr(p, "message", str(p)) for p in reconciliation.problems]


# ---------------------------------------------------------------------------------------------------------
# The result
# ---------------------------------------------------------------------------------------------------------

class CountResult(TallyFigures, db.Model):
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


OUTCOME_LABELS = {"elected": "Có người trúng cử", "no_winner": "Không ai trúng cử", "no_quorum": "Không đủ số hộ",
                  "inconsistent": "Số liệu không khớp"}
NEXT_STEP_LABELS = {
    "recognise": "Chờ UBND xã công nhận kết quả (R-V9)",
    "revote": "Bầu lại (R-V8)",
    "appoint_acting_chief": "Chủ tịch UBND xã chỉ định trưởng thôn lâm thời (R-V8)",
    "fix_count": "Kiểm tra lại số liệu",
    "distribute": "Phát phiếu đến từng hộ (R-V5)",
}


def poll_result(poll: Poll) -> CountResult | None:
    return db.session.scalar(db.select(CountResult).where(CountResult.poll_id == poll.id))


@dataclass(frozen=True)
class ResultRow:
    """One candidate's line in the result: votes and the three R-V7 percentages."""

    candidacy_id: str
    name: str
    votes: int
    of_total: float | None
    of_present: float | None
    of_valid: float | None
    elected: bool


def result_rows(poll: Poll, figures: Figures, winner: str | None = None) -> list[ResultRow]:
    from election.calculator import rounded_share

    candidates = poll_candidates(poll)
    outcome = evaluate(poll, figures, candidates)
    names = {str(c.id): c.person.full_name for c in candidates}
    winner = winner if winner is not None else outcome.winner
    return [ResultRow(s.candidate_id, names.get(s.candidate_id, s.candidate_id), s.votes,
                      rounded_share(s.of_total_households), rounded_share(s.of_present),
                      rounded_share(s.of_valid_ballots), s.candidate_id == winner)
            for s in outcome.shares]


# ---------------------------------------------------------------------------------------------------------
# Per-ballot scans
# ---------------------------------------------------------------------------------------------------------

class BallotScan(db.Model):
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


def _verify(text: str):
    """ballots.verification.verify_ballot (issue 4), imported late so this module loads without it."""
    from ballots.verification import verify_ballot

    return verify_ballot(text)


def candidate_ids(poll: Poll) -> list[str]:
    """The candidacy ids of the poll's confirmed list, in ballot order (one query, cached once ballots exist)."""
    from candidates.models import Candidacy, CandidateList, ListState

    # Per app: poll id → ids, only for lists locked for good (ballots printed), which never change again.
    cache = current_app.extensions.setdefault("locked_candidate_ids", {})
    if poll.id in cache:
        return cache[poll.id]
    rows = db.session.execute(db.select(Candidacy.id, CandidateList.ballots_printed)
                              .join(CandidateList, Candidacy.list_id == CandidateList.id)
                              .where(CandidateList.term_id == poll.term_id, CandidateList.hamlet_id == poll.hamlet_id,
                                     CandidateList.round_no == poll.round_no,
                                     CandidateList.state == ListState.CONFIRMED)
                              .order_by(Candidacy.position)).all()
    if not rows:
        raise RuleViolation("Danh sách người ứng cử của cuộc bầu này chưa được xác nhận (R-V3).")
    ids = [str(row.id) for row in rows]
    if rows[0].ballots_printed:
        cache[poll.id] = ids
    return ids


def _validity(ids: list[str], choice: str, reason: str):
    """R-B1 for what the board member tapped: a kept name, agree/disagree, or invalid with a reason."""
    single = len(ids) == 1
    if reason and reason != "valid":
        if reason not in INVALID_REASONS:
            raise RuleViolation("Lý do phiếu không hợp lệ không đúng.", "reason")
        if single and reason in ("no_name_kept", "too_many_kept"):
            raise RuleViolation("Lý do này chỉ dùng khi có từ hai người ứng cử.", "reason")
        if not single and reason in ("no_box", "both_boxes"):
            raise RuleViolation("Lý do này chỉ dùng khi có một người ứng cử.", "reason")
        marks = {"no_box": "none", "both_boxes": "both"}
        kept = {"no_name_kept": [], "too_many_kept": ids}.get(reason, ids[:1])
        return ballot_validity(ids, kept, SEATS, single_candidate_mark=marks.get(reason, AGREE) if single else None,
                               extra_marks=reason == "extra_marks")
    if single:
        if choice not in (AGREE, DISAGREE):
            raise RuleViolation("Chọn “Đồng ý”, “Không đồng ý” hoặc “Không hợp lệ”.", "choice")
        return ballot_validity(ids, [], SEATS, single_candidate_mark=choice)
    if choice not in ids:
        raise RuleViolation("Chọn người được giữ lại tên trên phiếu, hoặc “Không hợp lệ”.", "choice")
    return ballot_validity(ids, [choice], SEATS)


SCANNING = (PollStatus.COUNTING, PollStatus.FIRST_ENTRY, PollStatus.SECOND_ENTRY)


def scan_open(poll: Poll) -> bool:
    if poll.status not in SCANNING:
        return False
    return db.session.scalar(db.select(CountEntry.id).where(CountEntry.poll_id == poll.id,
                                                            CountEntry.method == CountMethod.PER_BALLOT)) is None


# A scan is the busiest write of election Sunday (every ballot of every hamlet): its statements are built
# once and run on the request's own DBAPI connection (core.dbapi), with no ORM object, its audit entry
# chained in the same transaction. bench/scans.py measures it.
_scan_sql: dict[str, dict[str, sa.Executable]] = {}  # per dialect name: statement name → statement
# PostgreSQL advisory locks of the poll's scans (namespace, poll id): scans share it, finish_scanning takes it
# alone. In memory, unlike a row lock shared by concurrent scans (a MultiXact written per scan).
SCAN_LOCKS = 0x5CA9
COUNTED_ELSEWHERE = "Phiếu này vừa được quét trên một máy khác: không tính lần nữa."


def _scan_statement(name: str) -> sa.Executable:
    dialect = db.engine.dialect.name
    if dialect not in _scan_sql:
        _scan_sql[dialect] = _scan_statements(dialect)
    return _scan_sql[dialect][name]


def _scan_statements(dialect: str) -> dict[str, sa.Executable]:
    from ballots.models import Ballot, BallotBatch, BallotState
    from core.models import Commune, Hamlet

    scan = BallotScan.__table__
    ballot = Ballot.__table__
    closed = (sa.exists().where(CountEntry.poll_id == sa.bindparam("for_poll"),
                                CountEntry.method == CountMethod.PER_BALLOT))
    written = ("poll_id", "ballot_id", "serial", "idempotency_key", "valid", "choice", "reason", "by_user_id", "at")
    return dict(
        # On PostgreSQL the scan takes the poll's scan lock, shared: scans never wait for each other, but
        # hold off finish_scanning's tally until they commit. SQLite serialises writers anyway.
        poll=(sa.select(Poll.id, Poll.term_id, Poll.hamlet_id, Poll.round_no, Poll.status, Hamlet.kind,
                        Hamlet.name, Hamlet.commune_id, Commune.district_id,
                        *([sa.func.pg_advisory_xact_lock_shared(SCAN_LOCKS, Poll.id).label("scan_lock")]
                          if dialect == "postgresql" else []))
              .join(Hamlet, Poll.hamlet_id == Hamlet.id).join(Commune, Hamlet.commune_id == Commune.id)
              .where(Poll.id == sa.bindparam("poll_id"))),
        # The ballot, and the poll's scan totals so far (the phone's counter; this scan is added to them).
        ballot=(sa.select(ballot.c.id, ballot.c.serial, ballot.c.poll_id, ballot.c.state,
                          BallotBatch.election_hash, BallotBatch.test, *_totals_columns(scan))
                .join(BallotBatch, ballot.c.batch_id == BallotBatch.id)
                .where(ballot.c.serial == sa.bindparam("serial"))),
        insert=sa.insert(scan).values({name: sa.bindparam(name) for name in written}).returning(scan.c.id),
        # Guarded: a ballot moves printed → counted once, and never after the scans became an entry.
        count=(sa.update(ballot).where(ballot.c.id == sa.bindparam("ballot_id"),
                                       ballot.c.state == BallotState.PRINTED, ~closed)
               .values(state=BallotState.COUNTED)),
        closed=sa.select(closed),
        by_key=sa.select(scan).where(scan.c.idempotency_key == sa.bindparam("key")),
        totals=sa.select(*_totals_columns(scan)),
    )


def _totals_columns(scan: sa.Table) -> tuple:
    def count(valid: bool):
        return (sa.select(sa.func.count(scan.c.id)).where(scan.c.poll_id == sa.bindparam("for_poll"),
                                                          scan.c.valid.is_(valid))
                .scalar_subquery().label("valid_so_far" if valid else "invalid_so_far"))

    return count(True), count(False)


def _run(name: str, params: dict | None = None) -> dbapi.Rows:
    return dbapi.request_runner()(_scan_statement(name), params)


@dataclass(frozen=True)
class ScanPoll:
    """What a scan needs of its poll and the poll's units, read in one statement."""

    id: int
    term_id: int
    hamlet_id: int
    round_no: int
    status: PollStatus
    hamlet_name: str
    commune_id: int
    district_id: int

    @property
    def label(self) -> str:
        return poll_label(self.hamlet_name, self.round_no)

    @property
    def scope(self) -> tuple[int, int, int]:
        return self.district_id, self.commune_id, self.hamlet_id


def scan_poll(poll_id: int) -> ScanPoll | None:
    row = _run("poll", {"poll_id": poll_id}).first()
    if row is None:
        return None
    return ScanPoll(row.id, row.term_id, row.hamlet_id, row.round_no, row.status, unit_name(row.kind, row.name),
                    row.commune_id, row.district_id)


def scan_json(scan: dict, replayed: bool = False) -> dict:
    """A scan as the API returns it."""
    return {"id": scan["id"], "serial": scan["serial"], "valid": scan["valid"], "choice": scan["choice"],
            "reason": scan["reason"], "replayed": replayed}


def scan_by_key(poll_id: int, key: str) -> dict | None:
    """The scan an Idempotency-Key already made in this poll (a retried request), if any."""
    row = _run("by_key", {"key": key}).first()
    if row is None:
        return None
    if row.poll_id != poll_id:
        raise RuleViolation("Mã chống gửi trùng đã dùng cho một cuộc bầu khác.", "idempotency_key")
    return row._asdict()


def scan_totals(poll_id: int) -> dict[str, int]:
    valid, invalid = _run("totals", {"for_poll": poll_id}).first()
    return {"valid": valid, "invalid": invalid}


def _scan_closed_message(poll: ScanPoll) -> str:
    return (f"Không quét phiếu: cuộc bầu đang ở trạng thái “{poll.status.label}” hoặc việc quét phiếu đã "
            "kết thúc.")


@dataclass(frozen=True)
class PlannedScan:
    """A genuine, printed ballot of the poll and the verdict on what was tapped: ready to write."""

    poll: ScanPoll
    key: str
    text: str
    ballot_id: int
    serial: str
    valid: bool
    choice: str
    reason: str
    totals: dict[str, int]  # the poll's scans so far, this one included


def _printed_ballot(poll: ScanPoll, text: str):
    """The ballot row (with the poll's scan totals) when `text` is a genuine, still uncounted ballot of the poll."""
    from ballots.models import BallotState, ballot_secret
    from ballots.qr import BallotQRError, decode_payload

    try:
        payload = decode_payload(text, ballot_secret())
        ballot = _run("ballot", {"serial": payload.serial, "for_poll": poll.id}).first()
    except BallotQRError:
        return None
    genuine = (ballot is not None and ballot.poll_id == poll.id and not ballot.test and not payload.test
               and ballot.election_hash == payload.election_hash and payload.hamlet_id == poll.hamlet_id)
    return ballot if genuine and ballot.state == BallotState.PRINTED else None


def check_scanned_ballot(poll: ScanPoll, text: str) -> str:
    """Before anything is tapped: the ballot's serial when it can be counted in this poll now, else raises
    ScanRefused (forged, foreign, already counted…) or RuleViolation (scanning closed). Writes nothing: the
    scan itself checks again (another phone may count the ballot in between)."""
    if poll.status not in SCANNING or _run("closed", {"for_poll": poll.id}).scalar():
        raise RuleViolation(_scan_closed_message(poll))
    text = (text or "").strip()
    ballot = _printed_ballot(poll, text)
    if ballot is None:
        raise _refusal(text, genuine=False)
    return ballot.serial


def plan_scan(poll: ScanPoll, text: str, choice: str = "", reason: str = "", idempotency_key: str = ""
              ) -> PlannedScan | dict:
    """Read and check a scanned ballot: the scan to write, or the earlier scan a retried key replays.

    Raises RuleViolation (bad input, scanning closed) or ScanRefused (forged, foreign, already counted…).
    """
    key = (idempotency_key or "").strip()[:80]
    if not key:
        raise RuleViolation("Thiếu mã chống gửi trùng (Idempotency-Key).", "idempotency_key")
    if poll.status not in SCANNING:
        earlier = scan_by_key(poll.id, key)  # the retry of a scan counted before the poll moved on
        if earlier is None:
            raise RuleViolation(_scan_closed_message(poll))
        return earlier
    ids = candidate_ids(poll)
    text = (text or "").strip()
    ballot = _printed_ballot(poll, text)
    if ballot is None:
        return refused_scan(poll, key, text, genuine=False)
    verdict = _validity(ids, choice, reason)
    return PlannedScan(poll, key, text, ballot.id, ballot.serial, verdict.valid, choice if verdict.valid else "",
                       verdict.reason, {"valid": ballot.valid_so_far + verdict.valid,
                                        "invalid": ballot.invalid_so_far + (not verdict.valid)})


def write_scan(plan: PlannedScan, user) -> tuple[dict, bool]:
    """Count the planned ballot and chain its audit entry, in the request connection's transaction (the
    caller commits); (scan, replayed) as record_scan. A ballot is counted once: the scan's serial is unique,
    and the ballot row only moves printed → counted, in the same statement that checks the scans have not
    yet become a count entry. Nothing written refers to a voter or household (secret ballot).
    """
    from core.audit import append_entries, created

    # The guarded move first: when it moves nothing (counted on another device, or the scans closed in the
    # meantime), nothing has been written yet.
    if _run("count", {"ballot_id": plan.ballot_id, "for_poll": plan.poll.id}).rowcount != 1:
        return refused_scan(plan.poll, plan.key, plan.text, genuine=True), True
    values = {"poll_id": plan.poll.id, "ballot_id": plan.ballot_id, "serial": plan.serial,
              "idempotency_key": plan.key, "valid": plan.valid, "choice": plan.choice, "reason": plan.reason,
              "by_user_id": user.id, "at": utcnow()}
    scan = {"id": _run("insert", values).scalar(), **values}
    append_entries(dbapi.request_runner(), (user.id, user.username), [
        created("BallotScan", scan["id"], scan, summary=f"Quét phiếu bầu {plan.poll.label}", scope=plan.poll.scope)])
    return scan, False


def refused_scan(poll: ScanPoll, key: str, text: str, genuine: bool) -> dict:
    """Why a scan is not counted (raises) — unless it is a retry whose first try was counted: that scan."""
    earlier = scan_by_key(poll.id, key)
    if earlier is not None:
        return earlier
    if _run("closed", {"for_poll": poll.id}).scalar():
        raise RuleViolation(_scan_closed_message(poll))
    raise _refusal(text, genuine)


def _refusal(text: str, genuine: bool) -> ScanRefused:
    """Why a ballot that is not a printed ballot of the poll cannot be counted."""
    verification = _verify(text)  # ballots.verification (issue 4) says exactly why: forged, counted, spoiled…
    if not verification.ok:
        return ScanRefused(verification.code, verification.message)
    if genuine:  # printed when read, counted by the time it was moved
        return ScanRefused("already_counted", COUNTED_ELSEWHERE)
    return ScanRefused("foreign", "Phiếu này không thuộc cuộc bầu đang kiểm (khác thôn hoặc khác vòng bầu).")


def record_scan(poll: ScanPoll, user, text: str, choice: str = "", reason: str = "",
                idempotency_key: str = "") -> tuple[dict, bool]:
    """Count one scanned ballot and commit it; (scan, replayed) — a retried request with the same key replays.

    The reads and checks run first; then, queued for SQLite's single writer, the writes and their commit.
    """
    connection = dbapi.request_connection()
    with dbapi.rolled_back_on_error(connection):
        plan = plan_scan(poll, text, choice, reason, idempotency_key)
    if not isinstance(plan, PlannedScan):
        connection.commit()  # a replay: this ends its reads (and the poll's shared scan lock)
        return plan, True
    # SQLite's writers one at a time; the commit (or rollback) before leaving the queue.
    with dbapi.write_queue(), dbapi.rolled_back_on_error(connection):
        scan, replayed = write_scan(plan, user)
        connection.commit()
    return (scan if replayed else {**scan, "totals": plan.totals}), replayed


def scan_tally(poll: Poll) -> tuple[int, int, Counter]:
    """(valid, invalid, votes by choice) of the scans so far, counted by the database."""
    rows = db.session.execute(db.select(BallotScan.valid, BallotScan.choice, db.func.count(BallotScan.id))
                              .where(BallotScan.poll_id == poll.id)
                              .group_by(BallotScan.valid, BallotScan.choice)).all()
    valid = sum(n for ok, _, n in rows if ok)
    invalid = sum(n for ok, _, n in rows if not ok)
    return valid, invalid, Counter({choice: n for ok, choice, n in rows if ok})


def scan_figures(poll: Poll, ballots_issued: int) -> Figures:
    """The aggregate derived from the scans (returned = ballots scanned)."""
    candidates = require_candidates(poll)
    valid, invalid, choices = scan_tally(poll)
    ids = [str(c.id) for c in candidates]
    if len(ids) == 1:
        votes, against = {ids[0]: choices.get(AGREE, 0)}, choices.get(DISAGREE, 0)
    else:
        votes, against = {i: choices.get(i, 0) for i in ids}, 0
    return Figures(ballots_issued, valid + invalid, valid, invalid, votes, against)


def _hold_off_scans(poll: Poll) -> None:
    """Let the scans in flight commit, and keep new ones out until this transaction ends, so the tally read
    next is final: scans that commit later find the per-ballot entry and are refused (record_scan)."""
    table = Poll.__table__
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":  # one writer at a time: take the write lock now, with a no-op write
        connection.execute(sa.update(table).where(table.c.id == poll.id).values(version=table.c.version))
    else:  # scans hold the poll's scan lock, shared, until they commit
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(SCAN_LOCKS, poll.id)))


def finish_scanning(poll: Poll, user, ballots_issued: int, acknowledged: bool = False,
                    expected_version: int | None = None) -> CountEntry:
    _hold_off_scans(poll)
    if not scan_open(poll):
        raise RuleViolation("Việc quét phiếu đã kết thúc hoặc cuộc bầu chưa ở bước kiểm phiếu.")
    return submit_entry(poll, user, scan_figures(poll, ballots_issued), acknowledged=acknowledged,
                        method=CountMethod.PER_BALLOT, expected_version=expected_version)


# ---------------------------------------------------------------------------------------------------------
# Minutes, recognition, re-vote, acting chief
# ---------------------------------------------------------------------------------------------------------

class MinutesUpload(db.Model):
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


# What a photo or scan of the signed minutes may be, by its first bytes: (content type, file extension).
MINUTES_TYPES = {b"\xff\xd8\xff": ("image/jpeg", "jpg"), b"\x89PNG": ("image/png", "png"), b"%PDF": ("application/pdf", "pdf")}
MINUTES_MAX_BYTES = 10 * 1024 * 1024


def minutes_folder() -> str:
    folder = os.path.join(current_app.instance_path, "minutes")
    os.makedirs(folder, exist_ok=True)
    return folder


def minutes_kind(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) of an accepted minutes file, None for anything else."""
    return next((kind for magic, kind in MINUTES_TYPES.items() if data.startswith(magic)), None)


def keep_minutes(poll: Poll, data: bytes, original_name: str, user_id: int | None) -> MinutesUpload:
    """Store the file of the signed minutes and return its row, for the caller to add in its audited change
    (and to remove the file, minutes_path, if that fails). The caller has checked the kind (minutes_kind)."""
    kind = minutes_kind(data)
    if kind is None:
        raise ValueError("the signed minutes must be a JPG, PNG or PDF file")
    content_type, ext = kind
    stored = f"{poll.id}-{secrets.token_hex(8)}.{ext}"
    with open(os.path.join(minutes_folder(), stored), "wb") as out:
        out.write(data)
    upload = MinutesUpload(poll=poll, stored_name=stored, original_name=(original_name or "")[:200],
                           content_type=content_type, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                           uploaded_by_id=user_id)
    return upload


def minutes_path(upload: MinutesUpload) -> str:
    return os.path.join(minutes_folder(), upload.stored_name)


def latest_minutes(poll: Poll) -> MinutesUpload | None:
    return db.session.scalar(db.select(MinutesUpload).where(MinutesUpload.poll_id == poll.id)
                             .order_by(MinutesUpload.id.desc()).limit(1))


def minutes_received_on(poll: Poll) -> date | None:
    """R-V9 counts from the day the commune received the minutes (first upload, else the submitted count)."""
    first = db.session.scalar(db.select(db.func.min(MinutesUpload.uploaded_at)).where(MinutesUpload.poll_id == poll.id))
    when = first or poll.submitted_at
    return local_date(when) if when else None


def recognition_due(poll: Poll) -> date | None:
    received = minutes_received_on(poll)
    return recognition_deadline(received) if received else None


def validate_minutes(poll: Poll, user) -> MinutesUpload:
    upload = latest_minutes(poll)
    if upload is None:
        raise RuleViolation("Chưa có bản chụp biên bản kiểm phiếu đã ký để đối chiếu.")
    poll.validate_minutes()
    upload.validated_by_id = user.id
    upload.validated_at = utcnow()
    return upload


class Recognition(db.Model):
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


def _take_office(poll: Poll, person: Person, started_on: date, acting: bool) -> Position:
    """End the current hamlet chief's position the day before and start the new one."""
    current = db.session.scalars(db.select(Position).where(
        Position.hamlet_id == poll.hamlet_id, Position.post == WorkerPost.HAMLET_CHIEF,
        Position.ended_on.is_(None))).all()
    for position in current:
        position.ended_on = max(position.started_on, started_on - timedelta(days=1))
    position = Position(hamlet_id=poll.hamlet_id, person=person, post=WorkerPost.HAMLET_CHIEF, term_id=poll.term_id,
                        started_on=started_on, acting=acting)
    db.session.add(position)
    return position


def recognise(poll: Poll, user, decision_no: str, decided_on: date, signer_name: str) -> Recognition:
    """R-V9: record the recognition; only now does the winner take office."""
    result = poll_result(poll)
    if result is None or result.outcome != "elected" or result.winner_candidacy_id is None:
        raise RuleViolation("Chỉ công nhận khi có người trúng cử.")
    if not decision_no.strip() or not signer_name.strip():
        raise RuleViolation("Cần số quyết định và người ký.")
    if decided_on < poll.election_day:
        raise RuleViolation("Ngày quyết định không thể trước ngày bầu cử.", "decided_on")
    winner = next((c for c in poll_candidates(poll) if c.id == result.winner_candidacy_id), None)
    if winner is None:
        raise RuleViolation("Không tìm thấy người trúng cử trong danh sách ứng cử.")
    poll.recognise()
    position = _take_office(poll, winner.person, decided_on, acting=False)
    db.session.flush()
    recognition = Recognition(poll=poll, decision_no=decision_no.strip(), decided_on=decided_on,
                              signer_name=signer_name.strip(), person=winner.person, position_id=position.id,
                              recorded_by_id=user.id)
    db.session.add(recognition)
    return recognition


def poll_recognition(poll: Poll) -> Recognition | None:
    return db.session.scalar(db.select(Recognition).where(Recognition.poll_id == poll.id))


class ActingAppointment(db.Model):
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


def appoint_acting_chief(poll: Poll, user, person: Person, decision_no: str, decided_on: date,
                         signer_name: str) -> ActingAppointment:
    result = poll_result(poll)
    if result is None or result.next_step != "appoint_acting_chief":
        raise RuleViolation("Chỉ chỉ định trưởng thôn lâm thời khi bầu lại vẫn không có người trúng cử (R-V8).")
    if person.hamlet_id != poll.hamlet_id:
        raise RuleViolation(f"{person.full_name} không cư trú tại {poll.hamlet.full_name}.", "person")
    if not decision_no.strip() or not signer_name.strip():
        raise RuleViolation("Cần số quyết định và người ký.")
    poll.record_acting_chief()
    position = _take_office(poll, person, decided_on, acting=True)
    db.session.flush()
    appointment = ActingAppointment(poll=poll, person=person, decision_no=decision_no.strip(), decided_on=decided_on,
                                    signer_name=signer_name.strip(), position_id=position.id, recorded_by_id=user.id)
    db.session.add(appointment)
    return appointment


def poll_acting(poll: Poll) -> ActingAppointment | None:
    return db.session.scalar(db.select(ActingAppointment).where(ActingAppointment.poll_id == poll.id))


def start_revote(poll: Poll, user) -> Poll:
    """R-V8: nobody elected: a new round with its own candidate list (a draft copy to confirm), ballots, count."""
    from candidates.models import CandidateList

    result = poll_result(poll)
    if result is None or result.next_step != "revote":
        raise RuleViolation("Chỉ tổ chức bầu lại khi vòng bầu này không có người trúng cử (R-V8).")
    poll.order_revote()
    new_round = poll.round_no + 1
    revote = Poll.get_or_create(poll.term, poll.hamlet, new_round)
    exists = db.session.scalar(db.select(CandidateList).where(
        CandidateList.term_id == poll.term_id, CandidateList.hamlet_id == poll.hamlet_id,
        CandidateList.round_no == new_round))
    if exists is None:
        old = db.session.scalar(db.select(CandidateList).where(
            CandidateList.term_id == poll.term_id, CandidateList.hamlet_id == poll.hamlet_id,
            CandidateList.round_no == poll.round_no))
        copy = CandidateList(term=poll.term, hamlet=poll.hamlet, term_id=poll.term_id, hamlet_id=poll.hamlet_id,
                             round_no=new_round)
        db.session.add(copy)
        if old is not None:
            for c in old.candidacies:
                copy.add(c.person, c.proposed_by, c.proposal_note)
    return revote


def revote_due(poll: Poll) -> date | None:
    """R-V8: the day by which a re-vote round is held."""
    return revote_deadline(poll.election_day, poll.rules) if poll.round_no > 1 else None


def latest_polls(term_id: int) -> dict[int, Poll]:
    """hamlet id → the poll of its latest round in the term."""
    polls = db.session.scalars(db.select(Poll).where(Poll.term_id == term_id).order_by(Poll.round_no)).all()
    return {p.hamlet_id: p for p in polls}
