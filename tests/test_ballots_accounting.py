"""Ballot accounting: printed = issued + spoiled + cancelled, returned ≤ issued (R-C3)."""
from __future__ import annotations

from factories_ballots import client_for, csv_bytes, import_through_pages, roll_rows

from ballots.accounting import poll_accounting
from ballots.models import Ballot, BallotLayout
from ballots.printing import print_batch
from ballots.rules import reconcile, spare_ballots
from election.models import Poll, VoterEntry
from election.service import check_in
from extensions import db


def test_reconcile_balances_and_cites_rc3():
    assert reconcile(105, 90, 3, 12, 88).balanced
    unbalanced = reconcile(105, 90, 3, 10, None)
    assert not unbalanced.balanced and unbalanced.problems[0].rule == "balance" and "còn 2 phiếu" in \
        unbalanced.problems[0].message
    too_many = reconcile(105, 90, 3, 12, 91)
    assert [p.rule for p in too_many.problems] == ["R-C3"] and "R-C3" in too_many.problems[0].message_en
    assert reconcile(10, 11, 0, 0, None).problems[0].rule == "balance"
    assert not reconcile(105, 90, 3, 12, None).complete and reconcile(105, 90, 3, 12, 90).complete


def test_spare_is_a_percentage_rounded_up_with_a_minimum():
    assert spare_ballots(100) == 5 and spare_ballots(101) == 6 and spare_ballots(10) == 2 and spare_ballots(0) == 0


def test_poll_accounting_from_check_ins_marked_serials_and_typed_returned(ready, app):
    setup = ready()
    committee = client_for(app, setup.committee)
    import_through_pages(committee, setup.hamlet, csv_bytes(roll_rows(10)))
    poll = Poll.get_or_create(setup.term, setup.hamlet, 1)
    db.session.flush()
    print_batch(poll, BallotLayout.A5, user_id=setup.committee.id)  # 10 + 2 spare
    print_batch(poll, BallotLayout.A5, user_id=setup.committee.id, test=True, test_count=3)  # not counted
    poll.open(10, poll.term.election_day)  # households are checked in only while the round is voting
    db.session.commit()
    for entry in list(db.session.scalars(db.select(VoterEntry)))[:9]:
        check_in(poll, entry, None)
    db.session.commit()
    result = poll_accounting(poll)
    assert (result.printed, result.issued, result.spoiled, result.cancelled) == (12, 9, 0, 0)
    assert not result.balanced

    serials = list(db.session.scalars(db.select(Ballot.serial).join(Ballot.batch).where(
        Ballot.poll_id == poll.id).order_by(Ballot.id)))[:3]
    team = client_for(app, setup.team)
    base = f"/ballots/hamlets/{setup.hamlet.id}/accounting"
    team.post(base + "/mark", data={"serials": serials[0], "state": "spoiled"})
    team.post(base + "/mark", data={"serials": "\n".join(serials[1:3]), "state": "cancelled"})
    refused = team.post(base + "/mark", data={"serials": serials[0], "state": "cancelled"}, follow_redirects=True)
    assert "đã được đánh dấu" in refused.get_data(as_text=True)
    team.post(base + "/figures", data={"returned": "9"})
    result = poll_accounting(poll)
    assert (result.spoiled, result.cancelled, result.returned, result.balanced) == (1, 2, 9, True)
    assert poll_accounting(poll, returned=10).problems[0].rule == "R-C3"
    page = team.get(base).get_data(as_text=True)
    assert "Số phiếu khớp" in page
    listing = team.get("/ballots/").get_data(as_text=True)
    assert "Khớp" in listing


def test_typed_issued_overrides_check_ins(ready, app):
    setup = ready()
    committee = client_for(app, setup.committee)
    import_through_pages(committee, setup.hamlet, csv_bytes(roll_rows(4)))
    poll = Poll.get_or_create(setup.term, setup.hamlet, 1)
    db.session.flush()
    print_batch(poll, BallotLayout.A5, user_id=None)
    db.session.commit()
    client_for(app, setup.team).post(f"/ballots/hamlets/{setup.hamlet.id}/accounting/figures",
                                     data={"issued": "4", "cancelled": "2"})
    result = poll_accounting(poll)
    assert (result.printed, result.issued, result.cancelled, result.balanced) == (6, 4, 2, True)
