"""Counting by aggregate entry: two different users, blocking checks R-C1…R-C5, R-C6 warnings, outcomes R-V7/R-V8."""
from __future__ import annotations

import threading
from datetime import date

import pytest
from factories_counting import client_for, enter_twice, figures

from core.enums import Post
from core.errors import RuleViolation, StaleWrite
from core.models import Position
from election.counting import choose_entry, poll_entries, poll_result, send_back, submit_entry
from election.models import CountEntry, Poll, PollStatus
from election.recognition import appoint_acting_chief, start_revote
from extensions import db


def form_data(setup, issued, returned, valid, invalid, *votes, against=None, ack=False):
    data = {"version": setup.poll.version, "ballots_issued": issued, "ballots_returned": returned,
            "valid_ballots": valid, "invalid_ballots": invalid}
    for cid, v in zip(setup.ids, votes, strict=True):
        data[f"votes_{cid}"] = v
    if against is not None:
        data["against"] = against
    if ack:
        data["acknowledged"] = "y"
    return data


def test_first_entry_by_one_user_then_equal_second_by_another_is_submitted(app, election):
    setup = election(households=100, present=60)
    a, b = client_for(app, setup.team_a), client_for(app, setup.team_b)
    data = form_data(setup, 60, 60, 60, 0, 51, 9)
    assert a.post(f"/polls/{setup.poll.id}/count", data=data).status_code == 302
    db.session.refresh(setup.poll)
    assert setup.poll.status == PollStatus.FIRST_ENTRY
    data["version"] = setup.poll.version
    assert b.post(f"/polls/{setup.poll.id}/count", data=data).status_code == 302
    db.session.refresh(setup.poll)
    assert setup.poll.status == PollStatus.SUBMITTED
    result = poll_result(setup.poll)
    assert result.outcome == "elected" and result.winner_candidacy_id == setup.candidates[0].id


def test_second_entry_by_the_same_user_is_refused(app, election):
    setup = election()
    a = client_for(app, setup.team_a)
    a.post(f"/polls/{setup.poll.id}/count", data=form_data(setup, 60, 60, 60, 0, 51, 9))
    db.session.refresh(setup.poll)
    page = a.post(f"/polls/{setup.poll.id}/count", data=form_data(setup, 60, 60, 60, 0, 51, 9),
                  follow_redirects=True).get_data(as_text=True)
    assert "hai người khác nhau" in page
    assert len(poll_entries(setup.poll)) == 1


def test_count_page_calls_the_public_calculator_live(app, election):
    setup = election()
    page = client_for(app, setup.team_a).get(f"/polls/{setup.poll.id}/count").get_data(as_text=True)
    assert "/api/v1/rules/count" in page and "Nguyễn Thị Ánh Tuyết" in page


def test_exactly_half_of_total_households_is_not_elected(election):
    setup = election(households=100, present=80)
    enter_twice(setup, figures(setup, 80, 80, 80, 0, 50, 30))
    result = poll_result(setup.poll)
    assert result.outcome == "no_winner" and result.next_step == "revote"


def test_half_plus_one_of_total_households_is_elected(election):
    setup = election(households=100, present=80)
    enter_twice(setup, figures(setup, 80, 80, 80, 0, 51, 29))
    assert poll_result(setup.poll).outcome == "elected"


def test_majority_of_present_but_not_of_all_households_is_not_elected(election):
    setup = election(households=100, present=60)
    enter_twice(setup, figures(setup, 60, 60, 60, 0, 45, 15))  # 75% of present, 45% of households (R-V7)
    assert poll_result(setup.poll).outcome == "no_winner"


@pytest.mark.parametrize("fig, rule", [
    ((61, 61, 61, 0, 51, 10), "R-C2"),  # issued > present (meeting)
    ((60, 61, 61, 0, 51, 10), "R-C3"),  # returned > issued
    ((60, 60, 58, 1, 50, 8), "R-C4"),  # valid + invalid ≠ returned
    ((60, 60, 60, 0, 51, 8), "R-C5"),  # votes ≠ valid
])
def test_each_blocking_check_refuses_the_entry(app, election, fig, rule):
    setup = election(households=100, present=60)
    response = client_for(app, setup.team_a).post(f"/polls/{setup.poll.id}/count",
                                                  data=form_data(setup, *fig), follow_redirects=True)
    assert rule in response.get_data(as_text=True)
    assert poll_entries(setup.poll) == []


def test_present_above_total_is_blocking_r_c1(election):
    setup = election(households=100, present=60)
    setup.poll.households_present_typed = 101  # a stale record: the count check still catches it
    with pytest.raises(RuleViolation, match="R-C1"):
        submit_entry(setup.poll, setup.team_a, figures(setup, 60, 60, 60, 0, 51, 9))


def test_r_c6_warning_needs_acknowledgement(app, election):
    setup = election(households=100, present=90)
    fig = (90, 90, 86, 4, 60, 26)  # 4/90 invalid ≥ 3%
    a = client_for(app, setup.team_a)
    page = a.post(f"/polls/{setup.poll.id}/count", data=form_data(setup, *fig), follow_redirects=True)
    assert "R-C6" in page.get_data(as_text=True) and poll_entries(setup.poll) == []
    a.post(f"/polls/{setup.poll.id}/count", data=form_data(setup, *fig, ack=True))
    [entry] = poll_entries(setup.poll)
    assert entry.warnings_acknowledged is True


def test_unreturned_warning_needs_both_two_percent_and_fifteen(election):
    setup = election(households=1000, present=800)
    # 15 unreturned of 800 is < 2%: no warning, accepted without acknowledgement
    submit_entry(setup.poll, setup.team_a, figures(setup, 800, 785, 785, 0, 600, 185))
    db.session.rollback()
    # 16 of 800 = 2%: warning
    with pytest.raises(RuleViolation, match="R-C6"):
        submit_entry(setup.poll, setup.team_b, figures(setup, 800, 784, 784, 0, 600, 184))


def test_single_candidate_agree_disagree(app, election):
    setup = election(households=100, present=70, names=("Lê Văn Đức",))
    a, b = client_for(app, setup.team_a), client_for(app, setup.team_b)
    a.post(f"/polls/{setup.poll.id}/count", data=form_data(setup, 70, 70, 70, 0, 51, against=19))
    db.session.refresh(setup.poll)
    b.post(f"/polls/{setup.poll.id}/count", data=form_data(setup, 70, 70, 70, 0, 51, against=19))
    result = poll_result(setup.poll)
    assert result.outcome == "elected" and result.against == 19


def test_different_entries_show_differences_and_committee_chooses_one(app, election):
    setup = election(households=100, present=60)
    submit_entry(setup.poll, setup.team_a, figures(setup, 60, 60, 60, 0, 51, 9))
    db.session.commit()
    submit_entry(setup.poll, setup.team_b, figures(setup, 60, 60, 60, 0, 50, 10))
    db.session.commit()
    assert setup.poll.status == PollStatus.DIFFERENCES
    committee = client_for(app, setup.committee)
    page = committee.get(f"/polls/{setup.poll.id}/differences").get_data(as_text=True)
    assert 'class="diff"' in page
    first = poll_entries(setup.poll)[0]
    # the polling team cannot resolve
    team = client_for(app, setup.team_a)
    assert team.post(f"/polls/{setup.poll.id}/differences/{first.id}/choose").status_code == 403
    committee.post(f"/polls/{setup.poll.id}/differences/{first.id}/choose", data={"version": setup.poll.version})
    db.session.refresh(setup.poll)
    assert setup.poll.status == PollStatus.SUBMITTED and poll_result(setup.poll).outcome == "elected"


def test_sending_an_entry_back_lets_it_be_entered_again(app, election, make_user):
    from core.accounts import Role
    from core.audit import AuditEntry

    setup = election(households=100, present=60)
    submit_entry(setup.poll, setup.team_a, figures(setup, 60, 60, 60, 0, 51, 9))
    db.session.commit()
    submit_entry(setup.poll, setup.team_b, figures(setup, 60, 60, 60, 0, 50, 10))
    db.session.commit()
    second = poll_entries(setup.poll)[1]
    client_for(app, setup.committee).post(f"/polls/{setup.poll.id}/differences/{second.id}/send-back",
                                          data={"version": setup.poll.version})
    db.session.refresh(setup.poll)
    assert setup.poll.status == PollStatus.FIRST_ENTRY and len(poll_entries(setup.poll)) == 1
    assert db.session.scalar(db.select(AuditEntry).where(AuditEntry.record_type == "CountEntry",
                                                         AuditEntry.action == "delete")) is not None
    third = make_user(Role.POLLING_TEAM, commune=setup.hamlet.commune, hamlet=setup.hamlet)
    submit_entry(setup.poll, third, figures(setup, 60, 60, 60, 0, 51, 9))
    db.session.commit()
    assert setup.poll.status == PollStatus.SUBMITTED


def test_stale_version_is_refused(election):
    setup = election()
    with pytest.raises(StaleWrite):
        submit_entry(setup.poll, setup.team_a, figures(setup, 60, 60, 60, 0, 51, 9),
                     expected_version=setup.poll.version - 1)


def test_revote_round_then_acting_chief(app, election, make_person):
    setup = election(households=100, present=80)
    enter_twice(setup, figures(setup, 80, 80, 80, 0, 50, 30))
    committee = client_for(app, setup.committee)
    app.config["TODAY"] = date(2022, 5, 23)  # the commune orders the re-vote the day after the vote
    response = committee.post(f"/polls/{setup.poll.id}/revote", data={"version": setup.poll.version,
                                                                        "voting_day": "2022-05-29"})
    assert response.status_code == 302
    db.session.refresh(setup.poll)
    assert setup.poll.status == PollStatus.REVOTE
    revote = db.session.scalar(db.select(Poll).where(Poll.hamlet_id == setup.hamlet.id, Poll.round_no == 2))
    assert revote is not None and revote.status == PollStatus.NOT_STARTED
    page = committee.get(f"/polls/{revote.id}").get_data(as_text=True)
    assert "Hạn bầu lại" in page
    committee.post(f"/polls/{revote.id}/revote/confirm-list")
    from election.counting import poll_candidates

    candidates = poll_candidates(revote)
    assert [c.person.full_name for c in candidates] == ["Nguyễn Thị Ánh Tuyết", "Đặng Văn Ước"]
    assert revote.voting_day == date(2022, 5, 29)
    revote.open(100, date(2022, 5, 29))
    revote.record_meeting(70, revote.voting_form, ["A", "B", "C"], ["X", "Y"])
    revote.start_counting()
    db.session.commit()
    app.config["TODAY"] = date(2022, 6, 2)
    ids = [str(c.id) for c in candidates]
    from election.models import Figures

    fig = Figures(70, 70, 70, 0, dict(zip(ids, [40, 30])))
    submit_entry(revote, setup.team_a, fig)
    db.session.commit()
    submit_entry(revote, setup.team_b, fig)
    db.session.commit()
    assert poll_result(revote).next_step == "appoint_acting_chief"
    with pytest.raises(RuleViolation):
        start_revote(revote, setup.committee, date(2022, 6, 5))
    db.session.rollback()
    acting = make_person("Trương Văn Lâm", setup.hamlet)
    response = committee.post(f"/polls/{revote.id}/acting-chief", data={
        "version": revote.version, "person_id": acting.id, "decision_no": "12/QĐ-UBND", "decided_on": "2022-06-02",
        "signer_name": "Nguyễn Văn Chủ Tịch"})
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.refresh(revote)
    assert revote.status == PollStatus.ACTING_CHIEF
    position = db.session.scalar(db.select(Position).where(Position.hamlet_id == setup.hamlet.id,
                                                           Position.post == Post.HAMLET_CHIEF))
    assert position.acting is True and position.person_id == acting.id


def test_acting_chief_is_refused_after_the_first_round(election, make_person):
    setup = election(households=100, present=80)
    enter_twice(setup, figures(setup, 80, 80, 80, 0, 50, 30))
    from datetime import date

    with pytest.raises(RuleViolation, match="R-V8"):
        appoint_acting_chief(setup.poll, setup.committee, make_person("X Y", setup.hamlet), "1", date(2022, 6, 1), "Z")


def test_choose_is_only_possible_with_differences(election):
    setup = election()
    submit_entry(setup.poll, setup.team_a, figures(setup, 60, 60, 60, 0, 51, 9))
    db.session.commit()
    entry = db.session.scalar(db.select(CountEntry))
    with pytest.raises(RuleViolation):
        choose_entry(setup.poll, entry, user=setup.committee)
    with pytest.raises(RuleViolation):
        send_back(setup.poll, entry)


def test_distribution_mode_count_is_judged_on_all_households(election):
    setup = election(households=100, present=30, counting=False)
    setup.poll.switch_to_distribution()
    setup.poll.start_counting()
    db.session.commit()
    enter_twice(setup, figures(setup, 95, 90, 90, 0, 60, 30))  # issued ≤ total (R-C2, fallback)
    result = poll_result(setup.poll)
    assert result.outcome == "elected" and result.mode == "distribution"


def test_second_entry_decided_on_the_poll_as_the_first_left_it(app, election):
    """Two members' entries at the same moment (two phones, perhaps through two app hosts): the second decides on the
    poll as the first one left it, not as it read it before the first committed (bench/province.py found a refusal
    “cuộc bầu đang ở trạng thái Đang kiểm phiếu” for an entry equal to the first)."""
    setup = election(households=100, present=60)
    fig = figures(setup, 60, 60, 60, 0, 51, 9)
    stale = db.session.get(Poll, setup.poll.id)
    assert stale.status == PollStatus.COUNTING  # read before the other member's entry commits

    def first_member() -> None:
        with app.app_context():  # another request: its own session
            submit_entry(db.session.get(Poll, setup.poll.id), setup.team_a, fig)
            db.session.commit()

    other = threading.Thread(target=first_member)
    other.start()
    other.join()
    entry = submit_entry(stale, setup.team_b, fig)
    db.session.commit()
    assert entry.slot == 2 and stale.status == PollStatus.SUBMITTED
    assert poll_result(stale) is not None
