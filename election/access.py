"""Who may use the election's pages, and the loaders that check a record is within the user's scope."""
from __future__ import annotations

from flask import abort, redirect, url_for
from sqlalchemy.orm import joinedload

from core.access import authorise_hamlet, current_term_or_404, round_param
from core.accounts import Role
from core.models import Hamlet, Term
from election.models import Poll, VoterEntry, VoterRoll
from election.rules import DEFAULT_ELECTION_RULES
from extensions import db

TEAM = (Role.POLLING_TEAM, Role.COMMUNE_COMMITTEE)  # record the meeting, enter and scan the count
COMMITTEE = (Role.COMMUNE_COMMITTEE,)  # resolve, validate, recognise, re-vote, acting chief
VIEWERS = (Role.POLLING_TEAM, Role.COMMUNE_COMMITTEE, Role.DISTRICT_OFFICE, Role.OBSERVER, Role.APPROVING_AUTHORITY,
           Role.PARTY_COMMITTEE)


def load_poll(poll_id: int) -> Poll:
    poll = db.session.scalar(db.select(Poll).where(Poll.id == poll_id)
                             .options(joinedload(Poll.hamlet).joinedload(Hamlet.commune)))
    if poll is None:
        abort(404)
    authorise_hamlet(poll.hamlet)
    return poll


ROLL_EDITORS = (Role.DISTRICT_OFFICE, Role.COMMUNE_COMMITTEE)
ROLL_READERS = (Role.DISTRICT_OFFICE, Role.COMMUNE_COMMITTEE, Role.POLLING_TEAM, Role.OBSERVER,
                Role.APPROVING_AUTHORITY)
CHECKIN_ROLES = (Role.POLLING_TEAM, Role.COMMUNE_COMMITTEE)


def load_hamlet_term(hamlet_id: int) -> tuple[Hamlet, Term]:
    hamlet = db.get_or_404(Hamlet, hamlet_id)
    authorise_hamlet(hamlet)
    return hamlet, current_term_or_404(hamlet.commune.district_id)


def load_entry(hamlet: Hamlet, term: Term, entry_id: int) -> tuple[VoterRoll, VoterEntry]:
    entry = db.get_or_404(VoterEntry, entry_id)
    if entry.roll.hamlet_id != hamlet.id or entry.roll.term_id != term.id:
        abort(404)
    return entry.roll, entry


def back(poll: Poll):
    return redirect(url_for("election.show_poll", poll_id=poll.id))


def poll_round() -> int:
    """The round of a poll a page or API call is about: 1 to the rule set's voting rounds (R-V8)."""
    return round_param(DEFAULT_ELECTION_RULES.voting_rounds)
