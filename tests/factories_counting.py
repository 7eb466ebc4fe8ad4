"""Factories for the election-day tests: a hamlet with a confirmed list, an open poll, users, ballots."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from conftest import PASSWORD
from flask import g

from ballots.models import Ballot, BallotAccount, BallotBatch, ballot_secret
from ballots.printing import poll_election_hash
from ballots.qr import BallotPayload, encode_payload, new_serial
from candidates.models import CandidateList, ProposedBy
from core.accounts import Role, User
from core.models import Hamlet, Term, current_term
from election.counting import submit_entry
from election.models import Figures, Poll, VotingForm, household_total
from extensions import db


@dataclass
class Setup:
    hamlet: Hamlet
    term: Term
    poll: Poll
    candidates: list
    team_a: User
    team_b: User
    committee: User
    others: dict = field(default_factory=dict)

    @property
    def ids(self) -> list[str]:
        return [str(c.id) for c in self.candidates]


class UserClient:
    """A test client signed in as one user. The tests keep one app context open, so Flask-Login's per-request
    user cache (g._login_user) would leak from one client to the next: it is cleared before each request."""

    def __init__(self, client) -> None:
        self.client = client

    def __getattr__(self, name: str):
        method = getattr(self.client, name)
        if name not in ("get", "post", "put", "patch", "delete", "open"):
            return method

        def call(*args, **kwargs):
            g.pop("_login_user", None)
            return method(*args, **kwargs)

        return call


def client_for(app, user: User) -> UserClient:
    client = UserClient(app.test_client())
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def confirm_list(term, hamlet, people, round_no: int = 1, user_id: int | None = None) -> CandidateList:
    lst = CandidateList(term=term, hamlet=hamlet, term_id=term.id, hamlet_id=hamlet.id, round_no=round_no)
    db.session.add(lst)
    for person in people:
        lst.add(person, ProposedBy.FRONT_COMMITTEE)
    lst.confirm(user_id or 1)
    db.session.commit()
    return lst


@pytest.fixture
def election(make_commune, make_hamlet, make_person, make_term, make_user):
    """election(households=100, names=(...), present=60, open=True, counting=True) -> Setup."""

    def make(households: int = 100, names=("Nguyễn Thị Ánh Tuyết", "Đặng Văn Ước"), present: int | None = 60,
             open_poll: bool = True, counting: bool = True, commune=None, hamlet_name: str = "An Phú") -> Setup:
        commune = commune or make_commune("Bình Hải")
        hamlet = make_hamlet(hamlet_name, commune, households=households)
        term = current_term(commune.district_id) or make_term(commune.district)
        people = [make_person(name, hamlet) for name in names]
        committee = make_user(Role.COMMUNE_COMMITTEE, commune=commune)
        lst = confirm_list(term, hamlet, people, user_id=committee.id)
        team_a = make_user(Role.POLLING_TEAM, commune=commune, hamlet=hamlet)
        team_b = make_user(Role.POLLING_TEAM, commune=commune, hamlet=hamlet)
        poll = Poll.get_or_create(term, hamlet, 1)
        if open_poll:
            poll.open(household_total(hamlet.id, term.id).count, term.election_day)  # R-V4: on the term's day
            if present is not None:
                poll.record_meeting(present, VotingForm.SECRET_BALLOT,
                                    ["Trần Văn Bình", "Lê Thị Hồng Nhung", "Phạm Đức Thắng"],
                                    ["Võ Thị Mỹ Lệ", "Huỳnh Văn Ước"])
                if counting:
                    poll.start_counting()
        db.session.commit()
        return Setup(hamlet, term, poll, list(lst.candidacies), team_a, team_b, committee)

    return make


def figures(setup: Setup, issued: int, returned: int, valid: int, invalid: int, *votes: int,
            against: int = 0) -> Figures:
    return Figures(issued, returned, valid, invalid, dict(zip(setup.ids, votes, strict=True)), against)


def enter_twice(setup: Setup, fig: Figures, acknowledged: bool = False) -> None:
    """Both entries equal (the poll is then submitted)."""
    submit_entry(setup.poll, setup.team_a, fig, acknowledged=acknowledged)
    db.session.commit()
    submit_entry(setup.poll, setup.team_b, fig, acknowledged=acknowledged)
    db.session.commit()


def print_ballots(poll: Poll, count: int, test: bool = False, issued: int | None = None) -> list[str]:
    """Real (or test) ballots for the poll; returns their QR texts. `issued` sets a balancing account."""
    digest = poll_election_hash(poll)
    batch = BallotBatch(poll=poll, election_hash=digest, count=count, test=test)
    db.session.add(batch)
    texts = []
    for _ in range(count):
        serial = new_serial()
        db.session.add(Ballot(batch=batch, poll_id=poll.id, serial=serial))
        texts.append(encode_payload(BallotPayload(digest, poll.hamlet_id, serial, test), ballot_secret()))
    if issued is not None and not test:
        db.session.add(BallotAccount(poll=poll, issued=issued, spoiled=0, cancelled=count - issued))
    db.session.commit()
    return texts
