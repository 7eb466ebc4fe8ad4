"""The hamlet meeting record: opening, present households, board and witnesses (R-V6), quorum (R-V5)."""
from __future__ import annotations

import pytest
from factories_counting import client_for

from core.errors import RuleViolation
from election.models import Poll, PollMode, PollStatus, VotingForm
from extensions import db

BOARD = "Trần Văn Bình\nLê Thị Hồng Nhung\nPhạm Đức Thắng"


def test_team_opens_the_poll_with_total_households_frozen(app, election):
    setup = election(households=40, open_poll=False)
    app.config["TODAY"] = setup.term.election_day  # the configured clock: today is election Sunday (R-V4)
    client = client_for(app, setup.team_a)
    response = client.post(f"/hamlets/{setup.hamlet.id}/election/open")
    assert response.status_code == 302
    poll = db.session.get(Poll, setup.poll.id)
    assert poll.status == PollStatus.VOTING and poll.total_households == 40


def test_meeting_form_records_board_witnesses_and_voting_form(app, election):
    setup = election(households=40, present=None, counting=False)
    client = client_for(app, setup.team_a)
    response = client.post(f"/polls/{setup.poll.id}/meeting", data={
        "version": setup.poll.version, "households_present": 25, "voting_form": "show_of_hands", "board": BOARD,
        "witness_1": "Võ Thị Mỹ Lệ", "witness_2": "Huỳnh Văn Ước"})
    assert response.status_code == 302, response.get_data(as_text=True)
    poll = db.session.get(Poll, setup.poll.id)
    db.session.refresh(poll)
    assert poll.households_present == 25 and poll.voting_form == VotingForm.SHOW_OF_HANDS
    assert poll.board_members == BOARD.split("\n") and poll.witnesses == ["Võ Thị Mỹ Lệ", "Huỳnh Văn Ước"]
    page = client.get(f"/polls/{poll.id}").get_data(as_text=True)
    assert "Lê Thị Hồng Nhung" in page and "25 / 40" in page


@pytest.mark.parametrize("board, ok", [(["A", "B"], False), (["A", "B", "C"], True), (["A"] * 5, True),
                                       (["A"] * 6, False)])
def test_counting_board_has_three_to_five_members(election, board, ok):
    setup = election(present=None, counting=False)
    if ok:
        setup.poll.record_meeting(60, VotingForm.SECRET_BALLOT, board, ["X", "Y"])
    else:
        with pytest.raises(RuleViolation, match="R-V6"):
            setup.poll.record_meeting(60, VotingForm.SECRET_BALLOT, board, ["X", "Y"])


def test_two_witnesses_are_required(election):
    setup = election(present=None, counting=False)
    with pytest.raises(RuleViolation, match="R-V6"):
        setup.poll.record_meeting(60, VotingForm.SECRET_BALLOT, ["A", "B", "C"], ["X"])


def test_present_above_total_is_refused_r_c1(election):
    setup = election(households=40, present=None, counting=False)
    with pytest.raises(RuleViolation, match="R-C1"):
        setup.poll.record_meeting(41, VotingForm.SECRET_BALLOT, ["A", "B", "C"], ["X", "Y"])


def test_quorum_exactly_half_fails_and_counting_cannot_start(app, election):
    setup = election(households=100, present=50, counting=False)
    assert setup.poll.quorum_met is False and setup.poll.quorum_needed == 51
    client = client_for(app, setup.team_a)
    client.post(f"/polls/{setup.poll.id}/start-counting", data={"version": setup.poll.version})
    db.session.refresh(setup.poll)
    assert setup.poll.status == PollStatus.VOTING
    page = client.get(f"/polls/{setup.poll.id}").get_data(as_text=True)
    assert "R-V5" in page


def test_quorum_half_plus_one_lets_counting_start(app, election):
    setup = election(households=100, present=51, counting=False)
    assert setup.poll.quorum_met is True
    client = client_for(app, setup.team_a)
    client.post(f"/polls/{setup.poll.id}/start-counting", data={"version": setup.poll.version})
    db.session.refresh(setup.poll)
    assert setup.poll.status == PollStatus.COUNTING


def test_no_quorum_switches_to_distribution_then_counts_without_quorum(app, election):
    setup = election(households=100, present=30, counting=False)
    client = client_for(app, setup.team_a)
    response = client.post(f"/polls/{setup.poll.id}/distribution", data={"version": setup.poll.version})
    assert response.status_code == 302
    db.session.refresh(setup.poll)
    assert setup.poll.mode == PollMode.DISTRIBUTION and setup.poll.quorum_met is None
    setup.poll.start_counting()
    db.session.commit()
    assert setup.poll.status == PollStatus.COUNTING


def test_distribution_is_refused_when_the_meeting_has_quorum(election):
    setup = election(households=100, present=51, counting=False)
    with pytest.raises(RuleViolation, match="R-V5"):
        setup.poll.switch_to_distribution()


def test_present_from_check_in_count_when_not_typed(app, election):
    from datetime import date

    from election.models import CheckIn, VoterEntry, VoterRoll

    setup = election(households=10, present=None, counting=False)
    roll = VoterRoll(term=setup.term, hamlet=setup.hamlet, entry_count=10)
    db.session.add(roll)
    for i in range(6):
        entry = VoterEntry(roll=roll, household_no=f"{i}", full_name=f"Cử tri {i}", name_folded=f"cu tri {i}",
                           citizen_id=f"0510700000{i:02d}", birth_date=date(1970, 1, 1))
        db.session.add(CheckIn(poll_id=setup.poll.id, entry=entry))
    db.session.commit()
    assert setup.poll.households_present == 6 and setup.poll.quorum_met is True


def test_stale_meeting_form_answers_409(app, election):
    setup = election(households=40, present=None, counting=False)
    client = client_for(app, setup.team_a)
    stale = setup.poll.version - 1
    response = client.post(f"/polls/{setup.poll.id}/meeting", data={
        "version": stale, "households_present": 25, "voting_form": "secret_ballot", "board": BOARD,
        "witness_1": "A", "witness_2": "B"})
    assert response.status_code == 409
    assert "người khác" in response.get_data(as_text=True)


def test_other_hamlet_team_cannot_see_the_poll(app, election, make_user, make_hamlet):
    from core.accounts import Role

    setup = election()
    other = make_hamlet("Phước Thiện", setup.hamlet.commune)
    outsider = make_user(Role.POLLING_TEAM, commune=setup.hamlet.commune, hamlet=other)
    assert client_for(app, outsider).get(f"/polls/{setup.poll.id}").status_code == 404


def test_election_day_pages_render_for_the_team_and_the_committee(app, election):
    setup = election(households=40, present=30, counting=False)
    team, committee = client_for(app, setup.team_a), client_for(app, setup.committee)
    for url in [f"/hamlets/{setup.hamlet.id}/election", f"/polls/{setup.poll.id}", f"/polls/{setup.poll.id}/meeting",
                f"/polls/{setup.poll.id}/minutes/upload"]:
        response = team.get(url, follow_redirects=True)
        assert response.status_code == 200, url
    for url in [f"/polls/{setup.poll.id}/acting-chief", f"/polls/{setup.poll.id}/recognise",
                f"/polls/{setup.poll.id}/differences", "/board"]:
        assert committee.get(url).status_code == 200, url
