"""`flask rehearsal` on the seeded demo district: where each step leaves its hamlet (one rehearsal for the module:
its tests only read it, and it is emptied before any other module's test runs)."""
from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from candidates.models import CandidateList, ListState
from core.accounts import Role, User
from core.audit import AuditEntry, verify_chain
from core.enums import Post
from core.models import Hamlet, Position
from demo.rehearsal import STEPS
from demo.seed import seed_demo
from election.counting import poll_result
from election.models import CountEntry, MinutesUpload, Poll, PollMode, PollStatus, VoterRoll
from election.recognition import minutes_path, poll_recognition
from extensions import db

PASSWORD = "mat-khau-dien-tap"
# The first-round poll's status each step leaves.
STATUS = {"ready": PollStatus.NOT_STARTED, "scanning": PollStatus.COUNTING, "voting": PollStatus.VOTING,
          "first_entry": PollStatus.FIRST_ENTRY, "differences": PollStatus.DIFFERENCES,
          "submitted": PollStatus.SUBMITTED, "validated": PollStatus.VALIDATED, "recognised": PollStatus.RECOGNISED,
          "revote": PollStatus.REVOTE, "distribution": PollStatus.VOTING}


@pytest.fixture(scope="module")
def rehearsed_app(tmp_path_factory, _pg_schema, app_factory):
    """One seeded and rehearsed demo district for the module's tests that only read it (seeding and rehearsing take
    most of a minute: once, not once per test). Its own database; on PostgreSQL emptied when the module ends."""
    uri = _pg_schema or f"sqlite:///{tmp_path_factory.mktemp('rehearsal') / 'test.sqlite'}"
    with app_factory(uri, bool(_pg_schema)) as application:
        seed_demo(scale="district", password=PASSWORD, progress=False)
        result = application.test_cli_runner().invoke(args=["rehearsal", "--quiet", "--password", PASSWORD])
        assert result.exit_code == 0, result.output
        yield application, result.output


@pytest.fixture
def rehearsed(rehearsed_app):
    yield rehearsed_app[1]
    # End the test's reads: on PostgreSQL an open transaction would hold its table locks, and the next module's
    # TRUNCATE (the `app` fixture's teardown) would wait for them for ever.
    db.session.remove()


def _poll(hamlet_name: str, round_no: int = 1) -> Poll:
    return db.session.scalar(sa.select(Poll).join(Hamlet).where(Hamlet.name == hamlet_name,
                                                                Poll.round_no == round_no))


def _steps(output: str) -> dict[str, str]:
    """step → hamlet name, from the command's lines «login   Thôn X, Xã Y: label»."""
    from demo.rehearsal import STEP_LABELS

    by_label = {label: step for step, label in STEP_LABELS.items()}
    steps = {}
    for line in output.splitlines():
        if ": " in line and line.rsplit(": ", 1)[0].count(",") == 1 and line.split(": ", 1)[1] in by_label:
            place = line.split(": ", 1)[0].split(None, 1)[1]
            steps[by_label[line.split(": ", 1)[1]]] = place.split(",")[0].removeprefix("Thôn ").removeprefix(
                "Tổ dân phố ")
    return steps


def test_each_step_leaves_its_hamlet_where_the_workflow_puts_it(rehearsed):
    steps = _steps(rehearsed)
    assert list(steps) == list(STEPS)
    for step, hamlet in steps.items():
        poll = _poll(hamlet)
        assert poll.status == STATUS[step], step
        roll = db.session.scalar(sa.select(VoterRoll).where(VoterRoll.hamlet_id == poll.hamlet_id))
        assert roll.entry_count > 0 and roll.fingerprint  # imported through the roll checks
        if step != "ready":
            assert poll.total_households == roll.entry_count
    assert _poll(steps["distribution"]).mode == PollMode.DISTRIBUTION
    assert _poll(steps["voting"]).quorum_met is True
    fallback = _poll(steps["distribution"])
    assert fallback.households_present < fallback.quorum_needed  # below the quorum: ballots go to each household
    # The outcomes follow the rules: over half of all households elects; the re-vote hamlet elected nobody.
    for step in ("submitted", "validated", "recognised"):
        assert poll_result(_poll(steps[step])).outcome == "elected", step
    assert poll_result(_poll(steps["revote"])).next_step == "revote_ordered"  # nobody elected: re-vote ordered
    second_round = _poll(steps["revote"], 2)
    assert second_round.status == PollStatus.NOT_STARTED
    assert db.session.scalar(sa.select(CandidateList.state).where(
        CandidateList.hamlet_id == second_round.hamlet_id, CandidateList.round_no == 2)) == ListState.DRAFT
    # The signed minutes are kept as a file; the recognised winner holds the post, nobody else does.
    upload = db.session.scalar(sa.select(MinutesUpload).where(MinutesUpload.poll_id == _poll(steps["validated"]).id))
    with open(minutes_path(upload), "rb") as stored:
        assert stored.read(4) == b"%PDF" and os.path.getsize(minutes_path(upload)) == upload.size
    recognised = _poll(steps["recognised"])
    chiefs = db.session.scalars(sa.select(Position).where(
        Position.hamlet_id == recognised.hamlet_id, Position.post == Post.HAMLET_CHIEF,
        Position.ended_on.is_(None))).all()
    assert [p.person_id for p in chiefs] == [poll_recognition(recognised).person_id]


def test_the_board_shows_every_status_each_hamlet_has_its_team_and_the_log_holds(rehearsed_app, rehearsed):
    app = rehearsed_app[0]
    client = app.test_client()
    assert client.post("/login", data={"username": "tcnv.binhson", "password": PASSWORD}).status_code == 302
    rows = {row["hamlet_id"]: row for row in client.get("/board.json").get_json()["rows"]}
    steps = {step: _poll(hamlet).hamlet_id for step, hamlet in _steps(rehearsed).items()}
    for step, hamlet_id in steps.items():
        row = rows[hamlet_id]
        if step == "revote":  # the board follows the hamlet's latest round: the re-vote, not yet held
            assert (row["round_no"], row["status"]) == (2, PollStatus.NOT_STARTED.value)
        else:
            assert row["status"] == STATUS[step].value, step
    assert rows[steps["distribution"]]["mode"] == PollMode.DISTRIBUTION.value
    assert verify_chain().ok
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.actor == "cli:rehearsal")) > 0
    for step, hamlet_id in steps.items():
        assert db.session.scalars(sa.select(User).where(User.hamlet_id == hamlet_id)).all(), step
    for step in ("differences", "submitted"):
        poll_id = db.session.scalar(sa.select(Poll.id).where(Poll.hamlet_id == steps[step], Poll.round_no == 1))
        entries = db.session.scalars(sa.select(CountEntry).where(CountEntry.poll_id == poll_id)).all()
        assert len({e.user_id for e in entries}) == 2, step
        assert {db.session.get(User, e.user_id).role for e in entries} == {Role.POLLING_TEAM}, step
    # A rehearsal login works with the password given.
    client = app.test_client()
    login = next(word for word in rehearsed.split() if word.startswith("tbc."))
    assert client.post("/login", data={"username": login, "password": PASSWORD}).status_code == 302
