"""Counting a poll: its candidates and figures, the two independent entries, the accepted result and its rows.

Functions here change the session but never commit (views and API calls do, after describe()). Every check of a
figure goes through election.rules (R-C1…R-C6, R-V5, R-V7, R-V8, R-B1).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from candidates.models import CandidateList, ListState
from core.errors import RuleViolation, StaleWrite
from core.labels import N_
from election.calculator import rounded_share
from election.models import (
    CountEntry,
    CountMethod,
    CountResult,
    Figures,
    Poll,
    PollMode,
    PollStatus,
    count_accepting,
    problems_from,
)
from election.rules import (
    CountInput,
    CountMode,
    CountOutcome,
    Denominator,
    FourEyesAction,
    evaluate_count,
    four_eyes_refusal,
)
from extensions import db

AGREE, DISAGREE = "agree", "disagree"


INVALID_REASONS = {  # R-B1 reasons a board member can pick for an invalid ballot
    "extra_marks": N_("Ghi thêm tên người hoặc nội dung khác"),
    "no_name_kept": N_("Gạch hết tên tất cả người ứng cử"),
    "too_many_kept": N_("Để lại nhiều tên hơn số người được bầu"),
    "no_box": N_("Không đánh dấu ô nào"),
    "both_boxes": N_("Đánh dấu cả hai ô"),
}
SEATS = 1  # one hamlet chief per hamlet


def poll_candidates(poll: Poll) -> list:
    """The candidacies on the confirmed list of the poll's term, hamlet and round, in ballot order."""
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
        mode=cast(CountMode, poll.mode.value), total_households=poll.total_households or 0,
        households_present=present, ballots_issued=figures.ballots_issued,
        ballots_returned=figures.ballots_returned, valid_ballots=figures.valid_ballots,
        invalid_ballots=figures.invalid_ballots, candidates=tuple((i, figures.votes[i]) for i in ids),
        against=figures.against if len(ids) == 1 else 0, seats=SEATS,
        denominator=poll.rules.winner_denominator,
    )


def evaluate(poll: Poll, figures: Figures, candidates: list | None = None) -> CountOutcome:
    return evaluate_count(count_input(poll, figures, candidates), poll.rules)


def poll_entries(poll: Poll) -> list[CountEntry]:
    return list(db.session.scalars(db.select(CountEntry).where(CountEntry.poll_id == poll.id)
                                   .order_by(CountEntry.slot)))


def check_version(poll: Poll, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != poll.version:
        raise StaleWrite()


def lock_poll(poll: Poll) -> None:
    """Take the poll's row lock for the rest of the transaction (PostgreSQL: SELECT … FOR UPDATE; SQLite's single
    writer serialises writes anyway) and read the poll afresh. The team's two members may send their entries at the
    same moment, through different app hosts: the second then decides on the poll as the first left it (its entry,
    its status), never on the status it read before the first committed (which refused an equal second entry)."""
    if poll.id is None:
        return
    db.session.flush()
    db.session.scalars(db.select(Poll).where(Poll.id == poll.id).with_for_update()
                       .execution_options(populate_existing=True)).one()


def submit_entry(poll: Poll, user, figures: Figures, *, acknowledged: bool = False,
                 method: CountMethod = CountMethod.AGGREGATE, expected_version: int | None = None) -> CountEntry:
    """Save entry 1 or 2; with both in, accept them when equal, else mark the differences."""
    lock_poll(poll)
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
    refusal = four_eyes_refusal("enter", user.id, entry_authors(entries), poll.single_member)
    if refusal:
        raise RuleViolation(refusal, "user")
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
            settle(poll, first)  # the entry is kept even when the ballot accounting does not balance yet
        else:
            poll.mark_differences()
    else:
        poll.entered({slot})
    db.session.flush()  # the poll's status always changes: its version column serialises concurrent entries
    return entry


def entry_authors(entries: list[CountEntry]) -> list[int]:
    return [e.user_id for e in entries]


def require_four_eyes(poll: Poll, user, action: FourEyesAction) -> None:
    """R-C7: the account that entered a count entry of the poll does not choose, validate or recognise it."""
    refusal = four_eyes_refusal(action, getattr(user, "id", None), entry_authors(poll_entries(poll)),
                                poll.single_member)
    if refusal:
        raise RuleViolation(refusal, "user")


def accounting_problems(poll: Poll, entry: CountEntry) -> list[str]:
    """What the ballot accounting (R-C3, R-C7; answered by the ballots package) has against accepting the entry."""
    return problems_from(count_accepting.send(poll, returned=entry.ballots_returned))


def settle(poll: Poll, entry: CountEntry) -> CountResult | None:
    """The entry stands (entries agree, or the committee chose it): accept it when the ballot accounting balances,
    else the poll waits for the accounting (AWAITING_ACCOUNTING) with the entry kept."""
    if accounting_problems(poll, entry):
        db.session.flush()  # the entry's id
        poll.await_accounting(entry.id)
        return None
    return accept(poll, entry)


def pending_entry(poll: Poll) -> CountEntry | None:
    if poll.status != PollStatus.AWAITING_ACCOUNTING or poll.pending_entry_id is None:
        return None
    return db.session.get(CountEntry, poll.pending_entry_id)


def accept_waiting(poll: Poll) -> CountResult | None:
    """The ballot accounting was recorded: a count that waited for it is accepted now if it balances."""
    entry = pending_entry(poll)
    if entry is None:
        return None
    result = settle(poll, entry)
    db.session.flush()
    return result


def accept(poll: Poll, entry: CountEntry) -> CountResult:
    """The count stands: the ballot accounting must balance, then the result and outcome are recorded."""
    problems = accounting_problems(poll, entry)
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


CHOOSING = (PollStatus.DIFFERENCES, PollStatus.REOPENED)


def choose_entry(poll: Poll, entry: CountEntry, expected_version: int | None = None, *,
                 user) -> CountResult | None:
    """The commune committee decides which of two different entries (or of a reopened count's) is right; the
    result waits for the ballot accounting if that does not balance yet (None)."""
    check_version(poll, expected_version)
    if poll.status not in CHOOSING or entry.poll_id != poll.id:
        raise RuleViolation("Chỉ chọn được khi hai lần nhập lệch nhau hoặc khi kết quả được mở lại để đính chính.")
    require_four_eyes(poll, user, "choose")
    result = settle(poll, entry)
    db.session.flush()
    return result


def send_back(poll: Poll, entry: CountEntry, expected_version: int | None = None) -> None:
    """Discard one entry (the audit log keeps it) so that it is entered again."""
    check_version(poll, expected_version)
    if poll.status not in CHOOSING or entry.poll_id != poll.id:
        raise RuleViolation("Chỉ trả lại để nhập lại khi hai lần nhập lệch nhau hoặc khi kết quả được mở lại.")
    remaining = {e.slot for e in poll_entries(poll) if e.id != entry.id}
    db.session.delete(entry)
    poll.entry_sent_back(remaining)
    db.session.flush()


OUTCOME_LABELS = {
    "elected": N_("Có người trúng cử"),
    "no_winner": N_("Không ai trúng cử"),
    "no_quorum": N_("Không đủ số hộ"),
    "inconsistent": N_("Số liệu không khớp"),
}
NEXT_STEP_LABELS = {
    "recognise": N_("Chờ UBND xã công nhận kết quả (R-V9)"),
    "recognised": N_("Đã được UBND xã công nhận (R-V9)"),
    "revote_ordered": N_("Đã quyết định bầu lại (R-V8)"),
    "acting_chief_appointed": N_("Đã chỉ định trưởng thôn lâm thời (R-V8)"),
    "revote": N_("Bầu lại (R-V8)"),
    "appoint_acting_chief": N_("Chủ tịch UBND xã chỉ định trưởng thôn lâm thời (R-V8)"),
    "fix_count": N_("Kiểm tra lại số liệu"),
    "distribute": N_("Phát phiếu đến từng hộ (R-V5)"),
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
    candidates = poll_candidates(poll)
    outcome = evaluate(poll, figures, candidates)
    names = {str(c.id): c.person.full_name for c in candidates}
    winner = winner if winner is not None else outcome.winner
    return [ResultRow(s.candidate_id, names.get(s.candidate_id, s.candidate_id), s.votes,
                      rounded_share(s.of_total_households), rounded_share(s.of_present),
                      rounded_share(s.of_valid_ballots), s.candidate_id == winner)
            for s in outcome.shares]


def accepted_rows(result: CountResult) -> list[ResultRow]:
    """The rows of an accepted count from its stored figures only (households, mode, ballots, votes): nothing read
    from live tables (check-ins, the poll's meeting record) moves a result once accepted (issue 15)."""
    poll = result.poll
    candidates = poll_candidates(poll)
    names = {str(c.id): c.person.full_name for c in candidates}
    figures = result.figures
    ids = [str(c.id) for c in candidates] if set(figures.votes) == {str(c.id) for c in candidates} \
        else sorted(figures.votes, key=int)
    count = CountInput(
        mode=cast(CountMode, result.mode), total_households=result.total_households,
        households_present=result.households_present, ballots_issued=figures.ballots_issued,
        ballots_returned=figures.ballots_returned, valid_ballots=figures.valid_ballots,
        invalid_ballots=figures.invalid_ballots, candidates=tuple((i, figures.votes[i]) for i in ids),
        against=figures.against if len(ids) == 1 else 0, seats=SEATS,
        denominator=cast(Denominator, result.denominator or poll.rules.winner_denominator))
    winner = str(result.winner_candidacy_id or "")
    return [ResultRow(s.candidate_id, names.get(s.candidate_id, s.candidate_id), s.votes,
                      rounded_share(s.of_total_households), rounded_share(s.of_present),
                      rounded_share(s.of_valid_ballots), s.candidate_id == winner)
            for s in evaluate_count(count, poll.rules).shares]


SCANNING = (PollStatus.COUNTING, PollStatus.FIRST_ENTRY, PollStatus.SECOND_ENTRY)


def scan_open(poll: Poll) -> bool:
    if poll.status not in SCANNING:
        return False
    return db.session.scalar(db.select(CountEntry.id).where(CountEntry.poll_id == poll.id,
                                                            CountEntry.method == CountMethod.PER_BALLOT)) is None
