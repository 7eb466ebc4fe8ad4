"""R-C7 (four eyes): the account that entered a count entry neither chooses between the entries, nor validates the
minutes, nor recognises the result; the accounting is recorded by a third person where the team has one; a
one-person team is set "single member" by the commune committee, and the district board flags the poll."""
from __future__ import annotations

import io

import pytest
from factories_counting import client_for, figures, print_ballots
from PIL import Image

from ballots.models import BallotAccount
from core.accounts import Role
from core.errors import RuleViolation
from election.counting import choose_entry, poll_entries, poll_result, submit_entry
from election.models import PollStatus
from election.recognition import keep_minutes, recognise, validate_minutes
from election.rules import ACCOUNTING_TEAM_SIZE, four_eyes_refusal
from extensions import db


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_rule_refuses_the_author_and_yields_for_a_single_member_team():
    assert four_eyes_refusal("choose", 7, [7, 8]) is not None
    assert four_eyes_refusal("validate", 7, [7, 8]) is not None
    assert four_eyes_refusal("recognise", 8, [7, 8]) is not None
    assert four_eyes_refusal("choose", 9, [7, 8]) is None
    assert four_eyes_refusal("choose", 7, [7, 7], single_member=True) is None
    assert four_eyes_refusal("enter", 7, [7]) is not None
    assert four_eyes_refusal("account", 7, [7, 8], team_size=ACCOUNTING_TEAM_SIZE) is not None
    assert four_eyes_refusal("account", 7, [7, 8], team_size=2) is None  # the team has no third person
    assert "R-C7" in four_eyes_refusal("choose", 7, [7])


def differing(election, make_user):
    """Entry 1 by a commune committee account, entry 2 by the team, different: the committee decides."""
    setup = election(households=100, present=60)
    submit_entry(setup.poll, setup.committee, figures(setup, 60, 60, 60, 0, 51, 9))
    submit_entry(setup.poll, setup.team_b, figures(setup, 60, 60, 60, 0, 50, 10))
    db.session.commit()
    assert setup.poll.status == PollStatus.DIFFERENCES
    return setup


def test_the_entering_account_cannot_choose_its_own_entry(app, election, make_user):
    setup = differing(election, make_user)
    own = poll_entries(setup.poll)[0]
    with pytest.raises(RuleViolation, match="R-C7"):
        choose_entry(setup.poll, own, user=setup.committee)
    db.session.rollback()
    page = client_for(app, setup.committee).post(
        f"/polls/{setup.poll.id}/differences/{own.id}/choose", data={"version": setup.poll.version},
        follow_redirects=True).get_data(as_text=True)
    assert "không thể chọn lần nhập đúng" in page
    db.session.refresh(setup.poll)
    assert setup.poll.status == PollStatus.DIFFERENCES and poll_result(setup.poll) is None
    notice = client_for(app, setup.committee).get(f"/polls/{setup.poll.id}").get_data(as_text=True)
    assert 'id="four-eyes-notice"' in notice
    other = make_user(Role.COMMUNE_COMMITTEE, commune=setup.hamlet.commune)
    response = client_for(app, other).post(f"/polls/{setup.poll.id}/differences/{own.id}/choose",
                                           data={"version": setup.poll.version})
    assert response.status_code == 302
    db.session.refresh(setup.poll)
    assert setup.poll.status == PollStatus.SUBMITTED and poll_result(setup.poll).votes[setup.ids[0]] == 51


def test_the_api_refuses_the_author_choice_too(app, election, make_user, api_headers):
    setup = differing(election, make_user)
    own = poll_entries(setup.poll)[0]
    response = app.test_client().post(f"/api/v1/polls/{setup.poll.id}/count-entries/{own.id}/choose",
                                      json={"version": setup.poll.version}, headers=api_headers(setup.committee))
    assert response.status_code == 422 and "R-C7" in str(response.get_json())
    db.session.refresh(setup.poll)
    assert setup.poll.status == PollStatus.DIFFERENCES


def test_the_entering_account_cannot_validate_or_recognise(app, election, make_user):
    setup = election(households=100, present=60)
    submit_entry(setup.poll, setup.committee, figures(setup, 60, 60, 60, 0, 51, 9))
    submit_entry(setup.poll, setup.team_b, figures(setup, 60, 60, 60, 0, 51, 9))
    db.session.commit()
    assert setup.poll.status == PollStatus.SUBMITTED
    db.session.add(keep_minutes(setup.poll, png(), "bb.png", setup.team_a.id))
    db.session.commit()
    page = client_for(app, setup.committee).post(f"/polls/{setup.poll.id}/minutes/validate",
                                                 data={"version": setup.poll.version},
                                                 follow_redirects=True).get_data(as_text=True)
    assert "không thể xác nhận biên bản" in page
    db.session.refresh(setup.poll)
    assert setup.poll.status == PollStatus.SUBMITTED
    other = make_user(Role.COMMUNE_COMMITTEE, commune=setup.hamlet.commune)
    validate_minutes(setup.poll, other)
    db.session.commit()
    with pytest.raises(RuleViolation, match="không thể ghi quyết định công nhận"):
        recognise(setup.poll, setup.committee, "1/QĐ", setup.poll.election_day, "Chủ tịch")
    db.session.rollback()
    response = client_for(app, setup.committee).post(f"/polls/{setup.poll.id}/recognise", data={
        "version": setup.poll.version, "decision_no": "1/QĐ", "decided_on": setup.poll.election_day.isoformat(),
        "signer_name": "Chủ tịch"}, follow_redirects=True)
    assert "không thể ghi quyết định công nhận" in response.get_data(as_text=True)
    db.session.refresh(setup.poll)
    assert setup.poll.status == PollStatus.VALIDATED
    recognise(setup.poll, other, "1/QĐ", setup.poll.election_day, "Chủ tịch")
    db.session.commit()
    assert setup.poll.status == PollStatus.RECOGNISED


def test_single_member_setting_allows_one_account_and_the_board_flags_it(app, election, make_user):
    setup = election(households=100, present=60)
    committee = client_for(app, setup.committee)
    refused = committee.post(f"/polls/{setup.poll.id}/single-member", data={
        "version": setup.poll.version, "single": "y", "reason": "ít"}, follow_redirects=True)
    assert "Cần ghi lý do" in refused.get_data(as_text=True)
    db.session.refresh(setup.poll)
    assert not setup.poll.single_member
    committee.post(f"/polls/{setup.poll.id}/single-member", data={
        "version": setup.poll.version, "single": "y", "reason": "Thôn chỉ có một cán bộ tổ bầu cử biết dùng máy"})
    db.session.refresh(setup.poll)
    assert setup.poll.single_member
    fig = figures(setup, 60, 60, 60, 0, 51, 9)
    submit_entry(setup.poll, setup.committee, fig)
    submit_entry(setup.poll, setup.committee, figures(setup, 60, 60, 60, 0, 50, 10))
    db.session.commit()
    assert setup.poll.status == PollStatus.DIFFERENCES
    choose_entry(setup.poll, poll_entries(setup.poll)[0], user=setup.committee)
    db.session.commit()
    assert setup.poll.status == PollStatus.SUBMITTED
    office = make_user(Role.DISTRICT_OFFICE, district=setup.hamlet.commune.district)
    board = client_for(app, office)
    row = next(r for r in board.get("/board.json").get_json()["rows"] if r["poll_id"] == setup.poll.id)
    assert row["single_member"] and row["single_member_text"] == "một người nhập"
    page = board.get("/board").get_data(as_text=True)  # the rows (board.json) are drawn by board.js with the label
    assert '"single_member": "m\\u1ed9t ng\\u01b0\\u1eddi nh\\u1eadp"' in page
    assert "r.single_member" in board.get("/static/board.js").get_data(as_text=True)
    assert "một người nhập" in board.get("/board.csv").get_data(as_text=True)
    assert 'id="single-member"' in committee.get(f"/polls/{setup.poll.id}").get_data(as_text=True)


def test_the_accounting_is_recorded_by_a_third_member_where_the_team_has_one(app, election, make_user):
    setup = election(households=100, present=60)
    third = make_user(Role.POLLING_TEAM, commune=setup.hamlet.commune, hamlet=setup.hamlet)  # three members
    print_ballots(setup.poll, 105)
    fig = figures(setup, 60, 60, 60, 0, 51, 9)
    submit_entry(setup.poll, setup.team_a, fig)
    db.session.commit()
    page = client_for(app, setup.team_a).post(f"/ballots/hamlets/{setup.hamlet.id}/accounting/figures?round_no=1",
                                              data={"issued": 60, "spoiled": 0, "cancelled": 45, "returned": 60},
                                              follow_redirects=True).get_data(as_text=True)
    assert "R-C7" in page
    assert db.session.scalar(db.select(BallotAccount)) is None
    # Recorded by the third member: the second entry agrees and the count is accepted.
    client_for(app, third).post(f"/ballots/hamlets/{setup.hamlet.id}/accounting/figures?round_no=1",
                                data={"issued": 60, "spoiled": 0, "cancelled": 45, "returned": 60})
    submit_entry(setup.poll, setup.team_b, fig)
    db.session.commit()
    assert setup.poll.status == PollStatus.SUBMITTED
