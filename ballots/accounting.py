"""The ballot accounting of a poll from the database: printed, issued, spoiled, cancelled, returned.

The count asks for it before accepting an entry (election.models.count_accepting), the roll before it is replaced
(roll_replacing): both are answered here, so the election never imports ballots.
"""
from __future__ import annotations

import sqlalchemy as sa

from ballots.models import Ballot, BallotAccount, BallotBatch, BallotState
from ballots.rules import Reconciliation, reconcile
from core.accounts import Role, User
from core.errors import RuleViolation
from election.models import CountEntry, Poll, PollMode, count_accepting, roll_replacing
from election.rules import four_eyes_refusal
from extensions import db


def printed_count(poll: Poll) -> int:
    """Real (non-test) ballots printed for the poll."""
    return db.session.scalar(db.select(sa.func.count(Ballot.id)).join(BallotBatch)
                             .where(Ballot.poll_id == poll.id, BallotBatch.test.is_(False))) or 0


def _state_count(poll: Poll, state: BallotState) -> int:
    return db.session.scalar(db.select(sa.func.count(Ballot.id)).join(BallotBatch)
                             .where(Ballot.poll_id == poll.id, BallotBatch.test.is_(False),
                                    Ballot.state == state)) or 0


def checked_in_count(poll: Poll) -> int:
    """Households checked in: live while voting, the count frozen when voting ended after that (Poll.checked_in)."""
    return poll.checked_in()


def account_for(poll: Poll, create: bool = False) -> BallotAccount | None:
    account = db.session.scalar(db.select(BallotAccount).where(BallotAccount.poll_id == poll.id))
    if account is None and create:
        account = BallotAccount(poll=poll)
        db.session.add(account)
    return account


def poll_accounting(poll: Poll, returned: int | None = None) -> Reconciliation:
    """Issued: typed, else the check-ins (meeting mode); spoiled / cancelled: typed, else the ballots marked
    by serial; returned: the argument (e.g. from the count), else the figure the team typed."""
    account = account_for(poll)
    issued = account.issued if account and account.issued is not None else None
    if issued is None:
        issued = checked_in_count(poll) if poll.mode == PollMode.MEETING else 0
    spoiled = account.spoiled if account and account.spoiled is not None else _state_count(poll, BallotState.SPOILED)
    cancelled = (account.cancelled if account and account.cancelled is not None
                 else _state_count(poll, BallotState.CANCELLED))
    if returned is None and account is not None:
        returned = account.returned
    return reconcile(printed_count(poll), issued, spoiled, cancelled, returned)


MARKABLE = {BallotState.SPOILED, BallotState.CANCELLED}


def mark_ballots(poll: Poll, serials: list[str], state: BallotState) -> list[str]:
    """Mark printed ballots of the poll as spoiled or cancelled by serial; returns the serials marked.

    Raises RuleViolation naming serials that are unknown for this poll or not in the printed state.
    """
    poll.require_open_round("đánh dấu phiếu")
    if state not in MARKABLE:
        raise RuleViolation("Chỉ đánh dấu được phiếu hỏng hoặc phiếu hủy.")
    wanted = sorted({s.strip().upper() for s in serials if s.strip()})
    if not wanted:
        raise RuleViolation("Chưa nhập số sê-ri nào.", field="serials")
    found = {b.serial: b for b in db.session.scalars(
        db.select(Ballot).join(BallotBatch).where(Ballot.poll_id == poll.id, BallotBatch.test.is_(False),
                                                  Ballot.serial.in_(wanted)))}
    unknown = [s for s in wanted if s not in found]
    if unknown:
        raise RuleViolation("Không có phiếu nào của cuộc bầu này mang số sê-ri: " + ", ".join(unknown[:20]),
                            field="serials")
    used = [s for s in wanted if found[s].state != BallotState.PRINTED]
    if used:
        raise RuleViolation("Các phiếu sau đã được đánh dấu hoặc đã kiểm: " + ", ".join(used[:20]),
                            field="serials")
    for serial in wanted:
        found[serial].state = state
    return wanted


def team_size(poll: Poll) -> int:
    """The active polling-team accounts of the poll's hamlet (R-C7 asks for a third person when there is one)."""
    return db.session.scalar(db.select(sa.func.count(User.id)).where(
        User.role == Role.POLLING_TEAM, User.hamlet_id == poll.hamlet_id, User.active.is_(True))) or 0


def accounting_refusal(poll: Poll, user_id: int | None) -> str | None:
    """Why `user_id` may not record the ballot accounting of the poll: a round a re-vote closed is read-only; R-C7:
    one of the count's entries is theirs."""
    if not poll.is_open_round:
        latest = Poll.latest_of(poll.term_id, poll.hamlet_id)
        return (f"Vòng {poll.round_no} đã khép lại: không ghi sổ theo dõi phiếu bầu của vòng này nữa. Vòng đang mở là "
                f"vòng {latest.round_no if latest else poll.round_no + 1}.")
    authors = db.session.scalars(db.select(CountEntry.user_id).where(CountEntry.poll_id == poll.id)).all()
    return four_eyes_refusal("account", user_id, authors, poll.single_member, team_size(poll))


@count_accepting.connect
def accounting_problems(poll: Poll, returned: int) -> list[str]:
    """R-C3: the ballot accounting of a poll that had printed ballots balances before its count is accepted; R-C7:
    it was recorded by someone other than the count's two entries, where the team has three people."""
    if not printed_count(poll):
        return []
    reconciliation = poll_accounting(poll, returned=returned)
    if not reconciliation.balanced:
        return [getattr(p, "message", str(p)) for p in reconciliation.problems]
    account = account_for(poll)
    refusal = accounting_refusal(poll, account.recorded_by_id) if account is not None else None
    return [refusal + " Một thành viên khác của tổ cần ghi lại sổ."] if refusal else []


@roll_replacing.connect
def printed_ballots_lock_the_roll(_term: object, hamlet: object, poll_ids: sa.Select) -> list[str]:
    """Ballots printed from the roll's household count: the roll is no longer replaced as a whole."""
    printed = db.session.scalar(db.select(sa.func.count(Ballot.id)).join(BallotBatch)
                                .where(BallotBatch.poll_id.in_(poll_ids), BallotBatch.test.is_(False)))
    if printed:
        return [f"Đã in {printed} phiếu bầu theo số hộ của danh sách này; không thể nhập lại danh sách "
                "(chỉ sửa từng dòng)."]
    return []
