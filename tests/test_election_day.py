"""Issue 15, parts 1, 2 and the confirmations: the poll page of the open round as the day's checklist
(election/day.py), the round carried by every link, the state guards of check-in, figures frozen when voting ends
and read from the accepted result, and a confirmation on every irreversible button."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime

import pytest
from factories_counting import client_for, enter_twice, figures, print_ballots
from test_counting_minutes import pdf_text

from ballots.accounting import account_for, accounting_refusal, mark_ballots
from ballots.models import BallotState
from core.accounts import ApiToken
from core.errors import RuleViolation
from election.counting import submit_entry
from election.day import CURRENT, DONE, SKIPPED, WAITING, DayFacts, EntryFact, day_steps, primary_action
from election.models import CheckIn, MinutesUpload, Poll, PollMode, PollStatus, VoterEntry, VoterRoll
from election.recognition import recognise, validate_minutes
from election.service import verification_token
from extensions import db

# ---------------------------------------------------------------------------------------------------------
# The checklist, pure
# ---------------------------------------------------------------------------------------------------------

BASE = DayFacts(poll_id=7, hamlet_id=3, round_no=1, open_round=1, open_poll_id=7, status=PollStatus.NOT_STARTED,
                mode=PollMode.MEETING, candidates_confirmed=True, board_complete=False, quorum_met=None,
                checked_in=0)


def states(steps) -> dict[str, str]:
    return {s.key: s.state for s in steps}


def by_key(steps, key: str):
    return next(s for s in steps if s.key == key)


def everyone(_endpoint: str) -> bool:
    return True


def test_before_opening_the_one_action_is_to_open_and_it_asks_first():
    steps = day_steps(BASE)
    assert [s.key for s in steps] == ["open", "checkin", "meeting", "end_voting", "count", "accounting", "agree",
                                      "minutes", "validated", "final"]
    assert states(steps)["open"] == CURRENT and {s.state for s in steps[1:]} == {WAITING}
    step, action = primary_action(steps, everyone)
    assert step.key == "open" and action.endpoint == "election.open_poll" and action.post
    assert action.args == {"hamlet_id": 3, "round_no": 1} and "chốt" in action.confirm


def test_a_revote_round_waits_for_the_committee_to_confirm_its_list():
    steps = day_steps(replace(BASE, round_no=2, open_round=2, candidates_confirmed=False))
    action = by_key(steps, "open").action
    assert action.endpoint == "election.confirm_revote_list" and action.confirm
    assert primary_action(steps, lambda endpoint: endpoint != "election.confirm_revote_list") is None


def test_while_voting_check_in_is_the_primary_action_and_carries_the_round():
    steps = day_steps(replace(BASE, status=PollStatus.VOTING, round_no=2, open_round=2, checked_in=12))
    assert states(steps) == {"open": DONE, "checkin": CURRENT, "meeting": CURRENT, "end_voting": WAITING,
                             "count": WAITING, "accounting": WAITING, "agree": WAITING, "minutes": WAITING,
                             "validated": WAITING, "final": WAITING}
    step, action = primary_action(steps, everyone)
    assert (step.key, action.endpoint, action.args) == ("checkin", "election.checkin",
                                                         {"hamlet_id": 3, "round_no": 2})
    assert by_key(steps, "checkin").note_args == {"n": 12}
    assert by_key(steps, "meeting").action.args == {"poll_id": 7, "round_no": 2}


def test_end_voting_asks_and_without_a_quorum_offers_distribution():
    voting = replace(BASE, status=PollStatus.VOTING, board_complete=True, quorum_met=True)
    end = by_key(day_steps(voting), "end_voting")
    assert end.state == CURRENT and end.action.endpoint == "election.start_counting" and end.action.confirm
    short = by_key(day_steps(replace(voting, quorum_met=False)), "end_voting")
    assert short.action.endpoint == "election.switch_to_distribution" and short.action.confirm


def test_counting_then_accounting_then_the_second_entry():
    counting = replace(BASE, status=PollStatus.COUNTING, board_complete=True, scan_open=True,
                       accounting_problems=("Số phiếu thu vào chưa có.",))
    steps = day_steps(counting)
    assert states(steps)["checkin"] == DONE and states(steps)["count"] == CURRENT
    assert states(steps)["accounting"] == CURRENT and by_key(steps, "accounting").note == "Số phiếu thu vào chưa có."
    assert [a.endpoint for a in by_key(steps, "count").extra] == ["ballots.scan_ballots"]
    assert primary_action(steps, everyone)[1].endpoint == "election.enter_count"
    entered = replace(counting, status=PollStatus.FIRST_ENTRY,
                      entries=(EntryFact(1, "Tổ bầu cử An Phú", datetime(2022, 5, 22, 10), "aggregate"),))
    steps = day_steps(entered)
    assert by_key(steps, "count").state == DONE and by_key(steps, "count").by == "Tổ bầu cử An Phú"
    assert primary_action(steps, everyone)[1].endpoint == "ballots.accounting"
    balanced = day_steps(replace(entered, accounting_problems=()))
    assert by_key(balanced, "accounting").state == DONE
    assert primary_action(balanced, everyone)[0].key == "agree"


def test_differences_are_the_committee_s_to_resolve():
    steps = day_steps(replace(BASE, status=PollStatus.DIFFERENCES, board_complete=True))
    action = by_key(steps, "agree").action
    assert action.endpoint == "election.show_differences"
    team_only = primary_action(steps, lambda endpoint: endpoint != "election.show_differences")
    assert team_only is None


def test_after_the_result_minutes_then_validation_then_recognition():
    submitted = replace(BASE, status=PollStatus.SUBMITTED, board_complete=True, result_next_step="recognise")
    assert primary_action(day_steps(submitted), everyone)[1].endpoint == "election.upload_minutes"
    uploaded = replace(submitted, minutes_by="Tổ bầu cử", minutes_at=datetime(2022, 5, 22, 18))
    steps = day_steps(uploaded)
    assert by_key(steps, "minutes").state == DONE and by_key(steps, "minutes").by == "Tổ bầu cử"
    assert primary_action(steps, everyone)[1].endpoint == "election.validate_poll_minutes"
    validated = replace(uploaded, status=PollStatus.VALIDATED, validated_by="Ban chỉ đạo",
                        validated_at=datetime(2022, 5, 23, 8))
    assert primary_action(day_steps(validated), everyone)[1].endpoint == "election.recognise_poll"
    recognised = day_steps(replace(validated, status=PollStatus.RECOGNISED, recognised_by="Ban chỉ đạo",
                                   recognised_at=datetime(2022, 5, 24, 9)))
    assert {s.state for s in recognised} == {DONE} and primary_action(recognised, everyone) is None


def test_a_round_closed_by_a_revote_is_read_only_and_points_to_the_open_round():
    closed = replace(BASE, status=PollStatus.REVOTE, board_complete=True, result_next_step="revote",
                     open_round=2, open_poll_id=8)
    steps = day_steps(closed)
    assert all(s.action is None and not s.extra for s in steps)
    assert by_key(steps, "minutes").state == SKIPPED and by_key(steps, "final").state == DONE
    assert primary_action(steps, everyone) is None
    still_open = day_steps(replace(closed, status=PollStatus.SUBMITTED, open_round=1, open_poll_id=7))
    order = by_key(still_open, "final").action
    assert order.endpoint == "election.order_revote" and order.post and order.confirm


def test_every_posted_action_asks_and_every_hamlet_link_carries_the_round():
    samples = [BASE, replace(BASE, round_no=2, open_round=2, candidates_confirmed=False),
               replace(BASE, status=PollStatus.VOTING, board_complete=True, quorum_met=True),
               replace(BASE, status=PollStatus.VOTING, board_complete=True, quorum_met=False),
               replace(BASE, status=PollStatus.COUNTING, accounting_problems=("x",), scan_open=True),
               replace(BASE, status=PollStatus.SUBMITTED, result_next_step="revote")]
    for facts in samples:
        for step in day_steps(facts):
            for action in ([step.action] if step.action else []) + list(step.extra):
                assert "round_no" in action.args or action.endpoint == "election.show_poll", action
                assert not action.post or action.confirm, action


# ---------------------------------------------------------------------------------------------------------
# Pages, API and the records
# ---------------------------------------------------------------------------------------------------------

def add_roll(setup, households: int) -> list[VoterEntry]:
    roll = VoterRoll(term=setup.term, hamlet=setup.hamlet, entry_count=households)
    db.session.add(roll)
    entries = [VoterEntry(roll=roll, household_no=f"{i:03d}", full_name=f"Cử tri {i}", name_folded=f"cu tri {i}",
                          citizen_id=f"0510700{i:05d}", birth_date=date(1970, 1, 1)) for i in range(households)]
    db.session.add_all(entries)
    db.session.commit()
    return entries


def main_html(response) -> str:
    html = response.get_data(as_text=True)
    return html[html.index("<main"):html.index("</main>")]


def test_check_in_only_while_voting_and_the_count_frozen_when_voting_ends(app, election):
    setup = election(households=30, present=None, counting=False)
    entries = add_roll(setup, 30)
    team = client_for(app, setup.team_a)
    base = f"/hamlets/{setup.hamlet.id}/checkin"
    for entry in entries[:23]:
        assert team.post(f"{base}/{entry.id}?round_no=1").get_json()["created"]
    page = team.get(f"/polls/{setup.poll.id}")
    assert "23 / 30" in page.get_data(as_text=True)
    assert f'href="/hamlets/{setup.hamlet.id}/checkin?round_no=1"' in main_html(page)

    poll = db.session.get(Poll, setup.poll.id)
    assert team.post(f"/polls/{poll.id}/meeting", data={
        "version": poll.version, "voting_form": "secret_ballot", "board": "A\nB\nC", "witness_1": "D",
        "witness_2": "E"}).status_code == 302
    db.session.refresh(poll)
    assert team.post(f"/polls/{poll.id}/start-counting", data={"version": poll.version}).status_code == 302
    db.session.refresh(poll)
    assert poll.status == PollStatus.COUNTING and poll.checked_in_at_close == 23
    setup.team_a.full_name = "Trần Thị Kiểm"  # who ended voting, from the audit log
    db.session.commit()
    page = main_html(team.get(f"/polls/{poll.id}"))
    step = re.search(r'<li class="day-step done" data-step="end_voting".*?</li>', page, flags=re.S).group(0)
    assert "Trần Thị Kiểm" in step

    refused = team.post(f"{base}/{entries[23].id}?round_no=1")
    assert refused.status_code == 422
    message = refused.get_json()["errors"]["rule"]
    assert "Đang kiểm phiếu" in message and "chỉ ghi nhận khi đang bỏ phiếu" in message
    assert team.post(f"{base}/{entries[0].id}/undo?round_no=1").status_code == 422
    assert db.session.scalar(db.select(db.func.count(CheckIn.id))) == 23
    checkin_page = team.get(f"{base}?round_no=1").get_data(as_text=True)
    assert "checkin.js" not in checkin_page and "Đang kiểm phiếu" in checkin_page  # read-only, says why


def recognised_poll(app, election):
    """23 of 30 households checked in (76.67 %), counted, minutes validated, the winner recognised."""
    setup = election(households=30, present=None, counting=False)
    entries = add_roll(setup, 30)
    team = client_for(app, setup.team_a)
    for entry in entries[:23]:
        team.post(f"/hamlets/{setup.hamlet.id}/checkin/{entry.id}?round_no=1")
    poll = db.session.get(Poll, setup.poll.id)
    poll.record_meeting(None, poll.voting_form, ["A", "B", "C"], ["D", "E"])
    poll.start_counting()
    db.session.commit()
    enter_twice(setup, figures(setup, 23, 23, 23, 0, 20, 3))
    db.session.add(MinutesUpload(poll=poll, stored_name="x.pdf", original_name="x.pdf",
                                 content_type="application/pdf", size=1, sha256="0" * 64,
                                 uploaded_by_id=setup.team_a.id))
    validate_minutes(poll, setup.committee)
    recognise(poll, setup.committee, "12/QĐ-UBND", setup.term.election_day, "Chủ tịch")
    db.session.commit()
    return setup, entries, poll


def test_after_recognition_a_check_in_is_refused_and_a_stray_row_moves_no_figure(app, election):
    setup, entries, poll = recognised_poll(app, election)
    team = client_for(app, setup.team_a)
    viewer = client_for(app, setup.committee)
    token = verification_token(poll)

    def shown() -> tuple[str, str, str]:
        page = main_html(viewer.get(f"/polls/{poll.id}"))
        pdf = " ".join(pdf_text(viewer.get(f"/polls/{poll.id}/minutes.pdf").data).split())
        verify = main_html(app.test_client().get(f"/minutes/verify/{token}"))
        return page, pdf, verify

    page, pdf, verify = shown()
    assert "23 / 30" in page and "86,96%" in page and "66,67%" in page
    assert "86,96%" in pdf and "86,96%" in verify

    refused = team.post(f"/hamlets/{setup.hamlet.id}/checkin/{entries[23].id}?round_no=1")
    assert refused.status_code == 422 and "Đã công nhận" in refused.get_json()["errors"]["rule"]
    record, secret = ApiToken.issue(setup.team_a, "phone")
    db.session.add(record)
    db.session.commit()
    api = app.test_client().post(f"/api/v1/hamlets/{setup.hamlet.id}/checkins", json={"entry_id": entries[23].id},
                                 headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 422 and "Đã công nhận" in api.get_json()["errors"]["rule"]

    db.session.add(CheckIn(poll_id=poll.id, entry_id=entries[24].id))  # straight into the database
    db.session.commit()
    assert poll.live_checked_in() == 24
    assert shown() == (page, pdf, verify)


def test_the_revote_round_is_the_team_s_home_and_receives_the_check_ins(app, election):
    setup = election(households=310, present=216)
    enter_twice(setup, figures(setup, 216, 214, 210, 4, 150, 60), acknowledged=True)  # nobody elected
    entries = add_roll(setup, 5)
    db.session.get(VoterRoll, entries[0].roll_id).entry_count = 310
    db.session.commit()
    round_one = db.session.get(Poll, setup.poll.id)
    committee = client_for(app, setup.committee)
    app.config["TODAY"] = date(2022, 5, 23)  # the re-vote is ordered the day after, for the next Sunday (R-V8)
    revote = committee.post(f"/polls/{round_one.id}/revote", data={"version": round_one.version,
                                                                   "voting_day": "2022-05-29"})
    round_two = db.session.scalar(db.select(Poll).where(Poll.hamlet_id == setup.hamlet.id, Poll.round_no == 2))
    assert revote.headers["Location"].endswith(f"/polls/{round_two.id}")
    page = main_html(committee.get(f"/polls/{round_two.id}"))
    assert f'action="/polls/{round_two.id}/revote/confirm-list?round_no=2"' in page
    assert committee.post(f"/polls/{round_two.id}/revote/confirm-list").status_code == 302

    team = client_for(app, setup.team_a)
    home = team.get("/", follow_redirects=True)
    assert home.request.path == f"/polls/{round_two.id}"
    page = main_html(home)
    assert f'action="/hamlets/{setup.hamlet.id}/election/open?round_no=2"' in page
    app.config["TODAY"] = date(2022, 5, 29)
    assert team.post(f"/hamlets/{setup.hamlet.id}/election/open?round_no=2").status_code == 302
    db.session.refresh(round_two)
    assert round_two.status == PollStatus.VOTING

    page = main_html(team.get("/", follow_redirects=True))
    for link in (f"/hamlets/{setup.hamlet.id}/checkin?round_no=2", f"/ballots/hamlets/{setup.hamlet.id}/accounting"
                 "?round_no=2", f"/polls/{round_two.id}/meeting?round_no=2"):
        assert f'href="{link}"' in page, link
    assert f'class="btn primary-action" href="/hamlets/{setup.hamlet.id}/checkin?round_no=2"' in page
    # An old link without its round goes to the open round; a check-in there lands in round 2.
    old = team.get(f"/hamlets/{setup.hamlet.id}/checkin")
    assert old.status_code == 302 and old.headers["Location"].endswith("?round_no=2")
    assert team.get(f"/ballots/hamlets/{setup.hamlet.id}/accounting").headers["Location"].endswith("?round_no=2")
    marked = team.post(f"/hamlets/{setup.hamlet.id}/checkin/{entries[0].id}?round_no=2").get_json()
    assert marked["created"] and marked["turnout"]["present"] == 1
    assert db.session.scalar(db.select(CheckIn.poll_id)) == round_two.id
    refused = team.post(f"/hamlets/{setup.hamlet.id}/checkin/{entries[1].id}?round_no=1")
    assert refused.status_code == 422 and "Vòng đang mở là vòng 2" in refused.get_json()["errors"]["rule"]

    closed = main_html(team.get(f"/polls/{round_one.id}"))
    assert "<form" not in closed and "Vòng đang mở là vòng 2" in closed
    assert f'href="/polls/{round_two.id}"' in closed
    closed_checkin = team.get(f"/hamlets/{setup.hamlet.id}/checkin?round_no=1").get_data(as_text=True)
    assert f"/hamlets/{setup.hamlet.id}/checkin?round_no=2" in closed_checkin and "checkin.js" not in closed_checkin
    assert "<form" not in main_html(team.get(f"/ballots/hamlets/{setup.hamlet.id}/accounting?round_no=1"))
    # Nor do its forms' routes take anything: the accounting of round 1 stays as it was.
    assert "vòng 1 đã khép lại" in (accounting_refusal(round_one, setup.committee.id) or "").lower()
    with pytest.raises(RuleViolation, match="vòng 1 đã khép lại"):
        mark_ballots(round_one, ["ABCDEFGHJK"], BallotState.SPOILED)
    posted = committee.post(f"/ballots/hamlets/{setup.hamlet.id}/accounting/figures?round_no=1",
                            data={"issued": 1, "spoiled": 0, "cancelled": 0, "returned": 1}, follow_redirects=True)
    assert "Vòng 1 đã khép lại" in posted.get_data(as_text=True)
    assert account_for(round_one) is None


# ---------------------------------------------------------------------------------------------------------
# Confirmations on every irreversible button
# ---------------------------------------------------------------------------------------------------------

def forms_to(html: str, action_part: str) -> list[str]:
    """The opening tags of the forms posting to an action containing `action_part`, each with its buttons."""
    html = html[html.index("<main"):html.index("</main>")]
    found = re.findall(r"<form\b[^>]*>.*?</form>", html, flags=re.S)
    if not action_part:  # a page whose form posts to itself
        return found
    return [f for f in found if re.search(r'action="[^"]*' + re.escape(action_part), f)]


def assert_confirmed(html: str, action_part: str) -> None:
    forms = forms_to(html, action_part)
    assert forms, f"no form posting to {action_part}"
    for form in forms:
        assert re.search(r'data-confirm="[^"]{20,}"', form), form


def test_every_irreversible_button_asks_first(app, election, ready):
    fresh = election(households=40, open_poll=False, hamlet_name="Tân Hy")
    team = client_for(app, fresh.team_a)
    assert_confirmed(team.get(f"/polls/{fresh.poll.id}").get_data(as_text=True), "/election/open")

    voting = election(households=40, present=30, counting=False, commune=fresh.hamlet.commune,
                      hamlet_name="Phước Thiện")
    team = client_for(app, voting.team_a)
    assert_confirmed(team.get(f"/polls/{voting.poll.id}").get_data(as_text=True), "/start-counting")

    short = election(households=40, present=10, counting=False, commune=fresh.hamlet.commune,
                     hamlet_name="Hòa Bình")
    assert_confirmed(client_for(app, short.team_a).get(f"/polls/{short.poll.id}").get_data(as_text=True),
                     "/distribution")

    differing = election(households=310, present=216, commune=fresh.hamlet.commune, hamlet_name="Tây Hòa")
    submit_entry(differing.poll, differing.team_a, figures(differing, 216, 214, 210, 4, 160, 50), acknowledged=True)
    submit_entry(differing.poll, differing.team_b, figures(differing, 216, 214, 210, 4, 159, 51), acknowledged=True)
    db.session.commit()
    committee = client_for(app, differing.committee)
    page = committee.get(f"/polls/{differing.poll.id}/differences").get_data(as_text=True)
    assert_confirmed(page, "/choose")
    assert_confirmed(page, "/send-back")

    nobody = election(households=310, present=216, commune=fresh.hamlet.commune, hamlet_name="Mỹ Thạnh")
    enter_twice(nobody, figures(nobody, 216, 214, 210, 4, 150, 60), acknowledged=True)
    committee = client_for(app, nobody.committee)
    assert_confirmed(committee.get(f"/polls/{nobody.poll.id}").get_data(as_text=True), "/revote")
    app.config["TODAY"] = date(2022, 5, 23)
    committee.post(f"/polls/{nobody.poll.id}/revote", data={"version": nobody.poll.version,
                                                             "voting_day": "2022-05-29"})
    second = db.session.scalar(db.select(Poll).where(Poll.hamlet_id == nobody.hamlet.id, Poll.round_no == 2))
    assert_confirmed(committee.get(f"/polls/{second.id}").get_data(as_text=True), "/revote/confirm-list")

    elected = election(households=310, present=216, commune=fresh.hamlet.commune, hamlet_name="Đông Yên")
    enter_twice(elected, figures(elected, 216, 214, 210, 4, 160, 50), acknowledged=True)
    db.session.add(MinutesUpload(poll=elected.poll, stored_name="x.pdf", original_name="x.pdf",
                                 content_type="application/pdf", size=1, sha256="0" * 64))
    db.session.commit()
    committee = client_for(app, elected.committee)
    assert_confirmed(committee.get(f"/polls/{elected.poll.id}/minutes/validate").get_data(as_text=True), "")
    validate_minutes(elected.poll, elected.committee)
    db.session.commit()
    assert_confirmed(committee.get(f"/polls/{elected.poll.id}/recognise").get_data(as_text=True), "")

    setup = ready(commune=fresh.hamlet.commune, hamlet_name="Bình Yên")
    page = client_for(app, setup.committee).get(f"/ballots/hamlets/{setup.hamlet.id}/print").get_data(as_text=True)
    form = re.search(r"<form\b[^>]*>", page[page.index("<main"):]).group(0)
    assert "khóa vĩnh viễn danh sách người ứng cử và danh sách cử tri" in form


@pytest.mark.parametrize("status", [PollStatus.NOT_STARTED, PollStatus.COUNTING, PollStatus.SUBMITTED,
                                    PollStatus.RECOGNISED, PollStatus.REVOTE])
def test_the_model_refuses_check_in_outside_voting(election, status):
    setup = election(households=10, open_poll=False)
    setup.poll.status = status
    assert setup.poll.check_in_refusal() is not None
    setup.poll.status = PollStatus.VOTING
    assert setup.poll.check_in_refusal() is None


def test_scans_only_while_counting_page_and_api(app, election):
    setup = election(households=10, present=8, counting=False)  # still voting
    texts = print_ballots(setup.poll, 3, issued=3)
    page = client_for(app, setup.team_a).post(f"/polls/{setup.poll.id}/scan", json={
        "text": texts[0], "choice": setup.ids[0], "reason": ""}, headers={"Idempotency-Key": "v1"})
    assert page.status_code == 422 and "Không quét phiếu" in str(page.get_json())
    record, secret = ApiToken.issue(setup.team_a, "phone")
    db.session.add(record)
    db.session.commit()
    api = app.test_client().post(f"/api/v1/polls/{setup.poll.id}/scans", json={"text": texts[0],
                                 "choice": setup.ids[0]}, headers={"Authorization": f"Bearer {secret}",
                                                                   "Idempotency-Key": "v2"})
    assert api.status_code == 422 and "Không quét phiếu" in str(api.get_json())
