"""Corrections of an accepted count (issue 15): the commune committee reopens it with a written reason, what stood
is kept in a CountCorrection, the minutes go to their next version; and the single-member setting (R-C7).

Functions change the session but never commit (views do, through core.transactions.act)."""
from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

from core.errors import RuleViolation
from core.models import Position
from core.vietnamese import local_date, nfc, utcnow
from election.counting import OUTCOME_LABELS, accepted_rows, check_version, poll_entries, poll_result
from election.models import CountCorrection, CountResult, Poll, PollStatus, Recognition
from election.recognition import poll_recognition
from extensions import db

REASON_MAX = 500


def result_snapshot(poll: Poll, result: CountResult) -> dict:
    """The figures and outcome of a result as they stood, with the candidates' names (for the superseded minutes'
    verification page, which shows them after the result row is gone)."""
    rows = accepted_rows(result)
    return {
        "mode": result.mode, "method": result.method.value, "total_households": result.total_households,
        "households_present": result.households_present, "ballots_issued": result.ballots_issued,
        "ballots_returned": result.ballots_returned, "valid_ballots": result.valid_ballots,
        "invalid_ballots": result.invalid_ballots, "against": result.against, "votes": dict(result.votes or {}),
        "outcome": result.outcome, "outcome_label": OUTCOME_LABELS.get(result.outcome, result.outcome),
        "winner_candidacy_id": result.winner_candidacy_id, "denominator": result.denominator,
        "entry_id": result.entry_id, "accepted_at": result.created_at.isoformat() if result.created_at else None,
        "submitted_at": poll.submitted_at.isoformat() if poll.submitted_at else None,
        "rows": [{"candidacy_id": r.candidacy_id, "name": r.name, "votes": r.votes, "of_total": r.of_total,
                  "of_present": r.of_present, "of_valid": r.of_valid, "elected": r.elected} for r in rows],
        "entries": [{"slot": e.slot, "user_id": e.user_id, "method": e.method.value, **asdict(e.figures)}
                    for e in poll_entries(poll)],
    }


def reopen_count(poll: Poll, user, reason: str, discard_entries: bool = False,
                 expected_version: int | None = None) -> CountCorrection:
    """Reopen the accepted (or recognised) count: keep what stood in a correction record, remove the result,
    supersede the recognition (the person's position ends), and wait for a new choice or two new entries."""
    check_version(poll, expected_version)
    reason = " ".join(nfc(reason or "").split())[:REASON_MAX]
    result = poll_result(poll)
    if result is None or poll.status not in (PollStatus.SUBMITTED, PollStatus.VALIDATED, PollStatus.RECOGNISED):
        raise RuleViolation("Chỉ mở lại được kết quả đã chốt (đã gửi, đã đối chiếu biên bản hoặc đã công nhận).")
    previous = poll.status
    version = poll.minutes_version
    number = (db.session.scalar(db.select(db.func.max(CountCorrection.number))
                                .where(CountCorrection.poll_id == poll.id)) or 0) + 1
    snapshot = result_snapshot(poll, result)
    entries = poll_entries(poll)
    poll.reopen(reason, 0 if discard_entries else len(entries))  # checks the reason, bumps minutes_version
    if discard_entries:
        for entry in entries:
            db.session.delete(entry)
    recognition = poll_recognition(poll) if previous == PollStatus.RECOGNISED else None
    if recognition is not None:
        _supersede(recognition)
    db.session.delete(result)
    correction = CountCorrection(poll=poll, number=number, reason=reason, by_user_id=user.id,
                                 previous_status=previous.value, minutes_version=version, superseded=snapshot,
                                 recognition_id=recognition.id if recognition else None,
                                 entries_discarded=discard_entries)
    db.session.add(correction)
    db.session.flush()
    return correction


def _supersede(recognition: Recognition) -> None:
    """The recognition no longer stands: its row stays (superseded), the position it started ends."""
    recognition.superseded_at = utcnow()
    if recognition.position_id is None:
        return
    position = db.session.get(Position, recognition.position_id)
    if position is not None and position.ended_on is None:
        today = local_date(utcnow())
        position.ended_on = max(position.started_on, today - timedelta(days=1))


def poll_corrections(poll: Poll) -> list[CountCorrection]:
    return list(db.session.scalars(db.select(CountCorrection).where(CountCorrection.poll_id == poll.id)
                                   .order_by(CountCorrection.number)))


def correction_superseding(poll: Poll, version: int) -> CountCorrection | None:
    """The correction that superseded minutes version `version` (None: that version is the current one)."""
    return db.session.scalar(db.select(CountCorrection).where(CountCorrection.poll_id == poll.id,
                                                              CountCorrection.minutes_version == version))


def superseded_recognitions(poll: Poll) -> list[Recognition]:
    return list(db.session.scalars(db.select(Recognition).where(Recognition.poll_id == poll.id,
                                                                Recognition.superseded_at.is_not(None))
                                   .order_by(Recognition.id)))


def set_single_member(poll: Poll, single: bool, reason: str) -> None:
    """R-C7 yields for this poll (its team is one person), or no longer does."""
    poll.set_single_member(single, nfc(reason or ""))
