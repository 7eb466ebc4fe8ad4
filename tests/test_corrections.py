"""Issue 15: a count waits for the ballot accounting instead of refusing the entry; the commune reopens an accepted
or recognised count with a written reason (correction record, minutes version 2, superseded verification page)."""
from __future__ import annotations

import io
from datetime import date

import pypdfium2 as pdfium
import pytest
from factories_counting import client_for, enter_twice, figures, print_ballots
from PIL import Image

from ballots.models import BallotAccount
from core.accounts import Role
from core.errors import RuleViolation
from core.models import Position
from election.corrections import reopen_count
from election.counting import choose_entry, poll_entries, poll_result, send_back, submit_entry
from election.models import CountCorrection, MinutesUpload, Poll, PollStatus, Recognition
from election.recognition import poll_recognition
from election.service import verification_token
from extensions import db


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def pdf_text(data: bytes) -> str:
    return " ".join("\n".join(p.get_textpage().get_text_range() for p in pdfium.PdfDocument(data)).split())


def submitted(election):
    setup = election(households=310, present=216)
    enter_twice(setup, figures(setup, 216, 214, 210, 4, 160, 50), acknowledged=True)
    assert setup.poll.status == PollStatus.SUBMITTED
    return setup


def recognised(app, election, make_user):
    """Submitted, minutes uploaded by the team, validated and recognised by the commune committee."""
    setup = submitted(election)
    team = client_for(app, setup.team_a)
    assert team.post(f"/polls/{setup.poll.id}/minutes/upload", data={"file": (io.BytesIO(png()), "bb.png")},
                     content_type="multipart/form-data").status_code == 302
    committee = client_for(app, setup.committee)
    committee.post(f"/polls/{setup.poll.id}/minutes/validate", data={"version": setup.poll.version})
    db.session.refresh(setup.poll)
    response = committee.post(f"/polls/{setup.poll.id}/recognise", data={
        "version": setup.poll.version, "decision_no": "45/QĐ-UBND", "decided_on": "2022-05-25",
        "signer_name": "Phạm Văn Chủ"})
    assert response.status_code == 302
    db.session.refresh(setup.poll)
    assert setup.poll.status == PollStatus.RECOGNISED
    return setup, committee


# -- the count waits for the ballot accounting -----------------------------------------------------------------

def test_matching_entries_with_unbalanced_accounting_keep_both_entries_and_wait(app, election):
    setup = election(households=100, present=60)
    print_ballots(setup.poll, 105)  # printed, but nothing recorded of the unused ballots yet
    fig = figures(setup, 60, 60, 60, 0, 51, 9)
    submit_entry(setup.poll, setup.team_a, fig)
    db.session.commit()
    second = client_for(app, setup.team_b)
    ids = setup.ids
    response = second.post(f"/polls/{setup.poll.id}/count", data={
        "version": setup.poll.version, "ballots_issued": 60, "ballots_returned": 60, "valid_ballots": 60,
        "invalid_ballots": 0, f"votes_{ids[0]}": 51, f"votes_{ids[1]}": 9}, follow_redirects=True)
    db.session.refresh(setup.poll)
    assert setup.poll.status == PollStatus.AWAITING_ACCOUNTING, response.get_data(as_text=True)[:2000]
    assert len(poll_entries(setup.poll)) == 2 and poll_result(setup.poll) is None  # the typed entry is kept
    page = second.get(f"/polls/{setup.poll.id}").get_data(as_text=True)
    assert "Chờ đối chiếu phiếu bầu" in page and f"/ballots/hamlets/{setup.hamlet.id}/accounting?round_no=1" in page
    accounting = second.get(f"/ballots/hamlets/{setup.hamlet.id}/accounting?round_no=1").get_data(as_text=True)
    assert 'id="count-waiting"' in accounting  # the accounting page says the count waits for it
    # The accounting recorded (by the committee, who entered nothing): it balances, the count is accepted at once.
    committee = client_for(app, setup.committee)
    response = committee.post(f"/ballots/hamlets/{setup.hamlet.id}/accounting/figures?round_no=1", data={
        "issued": 60, "spoiled": 0, "cancelled": 45, "returned": 60})
    assert response.status_code == 302 and response.location.endswith(f"/polls/{setup.poll.id}")
    db.session.refresh(setup.poll)
    assert setup.poll.status == PollStatus.SUBMITTED and poll_result(setup.poll).valid_ballots == 60
    assert db.session.scalar(db.select(BallotAccount)).recorded_by_id == setup.committee.id


def test_unbalanced_accounting_saved_keeps_the_count_waiting(app, election):
    setup = election(households=100, present=60)
    print_ballots(setup.poll, 105)
    enter_twice(setup, figures(setup, 60, 60, 60, 0, 51, 9))
    assert setup.poll.status == PollStatus.AWAITING_ACCOUNTING
    committee = client_for(app, setup.committee)
    page = committee.post(f"/ballots/hamlets/{setup.hamlet.id}/accounting/figures?round_no=1", data={
        "issued": 60, "spoiled": 0, "cancelled": 10, "returned": 60}, follow_redirects=True).get_data(as_text=True)
    assert "vẫn chưa cân đối" in page
    db.session.refresh(setup.poll)
    assert setup.poll.status == PollStatus.AWAITING_ACCOUNTING and poll_result(setup.poll) is None


def test_the_committee_choice_also_waits_for_the_accounting(app, election, make_user):
    setup = election(households=100, present=60)
    print_ballots(setup.poll, 105)
    submit_entry(setup.poll, setup.team_a, figures(setup, 60, 60, 60, 0, 51, 9))
    submit_entry(setup.poll, setup.team_b, figures(setup, 60, 60, 60, 0, 50, 10))
    db.session.commit()
    chosen = poll_entries(setup.poll)[0]
    choose_entry(setup.poll, chosen, user=setup.committee)
    db.session.commit()
    assert setup.poll.status == PollStatus.AWAITING_ACCOUNTING and setup.poll.pending_entry_id == chosen.id
    db.session.add(BallotAccount(poll=setup.poll, issued=60, spoiled=0, cancelled=45, returned=60))
    db.session.commit()
    response = client_for(app, setup.team_a).post(f"/polls/{setup.poll.id}/accept-waiting",
                                                  data={"version": setup.poll.version})
    assert response.status_code == 302
    db.session.refresh(setup.poll)
    assert setup.poll.status == PollStatus.SUBMITTED and poll_result(setup.poll).votes[setup.ids[0]] == 51


# -- corrections -------------------------------------------------------------------------------------------------

def test_reopen_after_recognition_makes_minutes_version_2_and_supersedes_version_1(app, election, make_user):
    setup, committee = recognised(app, election, make_user)
    old_token = verification_token(setup.poll)
    winner = setup.candidates[0].person_id
    short = committee.post(f"/polls/{setup.poll.id}/reopen", data={"version": setup.poll.version, "reason": "sai"},
                           follow_redirects=True)
    assert "ít nhất 10 ký tự" in short.get_data(as_text=True)
    assert db.session.scalar(db.select(CountCorrection)) is None
    reason = "Biên bản giấy ghi 150 phiếu cho người thứ nhất, không phải 160"
    response = committee.post(f"/polls/{setup.poll.id}/reopen", data={"version": setup.poll.version,
                                                                       "reason": reason, "discard_entries": "y"})
    assert response.status_code == 302
    db.session.refresh(setup.poll)
    assert setup.poll.status == PollStatus.COUNTING and setup.poll.minutes_version == 2
    correction = db.session.scalar(db.select(CountCorrection))
    assert correction.number == 1 and correction.reason == reason and correction.by_user_id == setup.committee.id
    assert correction.minutes_version == 1 and correction.previous_status == "recognised"
    assert correction.superseded["votes"] == {setup.ids[0]: 160, setup.ids[1]: 50}
    assert correction.superseded["outcome"] == "elected" and correction.entries_discarded
    assert poll_result(setup.poll) is None and poll_entries(setup.poll) == []
    old = db.session.scalar(db.select(Recognition))  # kept, superseded; no recognition in force
    assert old.superseded_at is not None and correction.recognition_id == old.id and poll_recognition(setup.poll) is None
    assert db.session.get(Position, old.position_id).ended_on is not None  # the winner no longer in office
    # The version 1 QR says it was superseded, with the date and reason, and shows the figures it printed.
    page = app.test_client().get(f"/minutes/verify/{old_token}").get_data(as_text=True)
    assert "đã bị thay thế bởi phiên bản 2" in page and reason in page and "160" in page
    # A new entry pair gives version 2, whose QR shows the current figures.
    enter_twice(setup, figures(setup, 216, 214, 210, 4, 150, 60), acknowledged=True)
    assert setup.poll.status == PollStatus.SUBMITTED
    new_token = verification_token(setup.poll)
    assert new_token != old_token
    current = app.test_client().get(f"/minutes/verify/{new_token}").get_data(as_text=True)
    assert "phiên bản 2" in current and "đã bị thay thế" not in current and "150" in current
    text = pdf_text(committee.get(f"/polls/{setup.poll.id}/minutes.pdf").data)
    assert "Biên bản phiên bản 2" in text and "thay thế biên bản phiên bản 1" in text
    assert db.session.scalar(db.select(Position).where(Position.person_id == winner,
                                                       Position.ended_on.is_(None))) is None
    # New minutes for version 2: the old upload does not count for it.
    assert db.session.scalar(db.select(MinutesUpload)).minutes_version == 1
    refused = committee.post(f"/polls/{setup.poll.id}/minutes/validate", data={"version": setup.poll.version},
                             follow_redirects=True).get_data(as_text=True)
    assert "Chưa có bản chụp biên bản" in refused
    poll_page = committee.get(f"/polls/{setup.poll.id}").get_data(as_text=True)
    assert reason in poll_page and "biên bản phiên bản 2" in poll_page


def test_reopen_keeping_the_entries_lets_the_committee_choose_again(app, election, make_user):
    setup = election(households=100, present=60)
    submit_entry(setup.poll, setup.team_a, figures(setup, 60, 60, 60, 0, 51, 9))
    submit_entry(setup.poll, setup.team_b, figures(setup, 60, 60, 60, 0, 50, 10))
    db.session.commit()
    first, second = poll_entries(setup.poll)
    choose_entry(setup.poll, first, user=setup.committee)
    db.session.commit()
    other = make_user(Role.COMMUNE_COMMITTEE, commune=setup.hamlet.commune)
    reopen_count(setup.poll, other, "Chọn nhầm lần nhập: biên bản giấy khớp lần 2")
    db.session.commit()
    assert setup.poll.status == PollStatus.REOPENED and len(poll_entries(setup.poll)) == 2
    page = client_for(app, other).get(f"/polls/{setup.poll.id}/differences").get_data(as_text=True)
    assert f"/differences/{second.id}/choose" in page
    choose_entry(setup.poll, second, user=other)
    db.session.commit()
    assert setup.poll.status == PollStatus.SUBMITTED and poll_result(setup.poll).votes[setup.ids[0]] == 50
    assert setup.poll.minutes_version == 2


def test_recognised_figures_never_change_without_a_correction_record(app, election, make_user):
    setup, _committee = recognised(app, election, make_user)
    before = poll_result(setup.poll).figures
    entry = poll_entries(setup.poll)[0]
    other = make_user(Role.COMMUNE_COMMITTEE, commune=setup.hamlet.commune)
    third = make_user(Role.POLLING_TEAM, commune=setup.hamlet.commune, hamlet=setup.hamlet)
    for attempt in (lambda: submit_entry(setup.poll, third, figures(setup, 216, 214, 210, 4, 150, 60),
                                         acknowledged=True),
                    lambda: choose_entry(setup.poll, entry, user=other),
                    lambda: send_back(setup.poll, entry),
                    lambda: reopen_count(setup.poll, other, "ngắn")):
        with pytest.raises(RuleViolation):
            attempt()
        db.session.rollback()
    db.session.refresh(setup.poll)
    assert setup.poll.status == PollStatus.RECOGNISED and poll_result(setup.poll).figures == before
    assert db.session.scalar(db.select(db.func.count(CountCorrection.id))) == 0
    reopen_count(setup.poll, other, "Số phiếu không hợp lệ trên biên bản giấy là 5")
    db.session.commit()
    correction = db.session.scalar(db.select(CountCorrection))
    assert correction.superseded["invalid_ballots"] == before.invalid_ballots
    assert correction.superseded["votes"] == before.votes


def test_reopen_is_for_the_commune_committee_only(app, election):
    setup = submitted(election)
    response = client_for(app, setup.team_a).post(f"/polls/{setup.poll.id}/reopen", data={
        "version": setup.poll.version, "reason": "Biên bản giấy khác số liệu"})
    assert response.status_code == 403
    db.session.refresh(setup.poll)
    assert setup.poll.status == PollStatus.SUBMITTED


def test_the_page_names_the_recognised_state_not_the_next_step(app, election, make_user):
    setup, committee = recognised(app, election, make_user)
    page = committee.get(f"/polls/{setup.poll.id}").get_data(as_text=True)
    assert "Chờ UBND xã công nhận" not in page and "Đã được UBND xã công nhận" in page
    assert 'data-confirm="Mở lại kết quả?' in page


def test_acting_chief_round_minutes_can_be_uploaded_and_validated(app, election, make_person):
    setup = election(households=100, present=80)
    enter_twice(setup, figures(setup, 80, 80, 80, 0, 50, 30))
    committee = client_for(app, setup.committee)
    app.config["TODAY"] = date(2022, 5, 23)  # the day after election Sunday: the re-vote is ordered for a week later
    committee.post(f"/polls/{setup.poll.id}/revote", data={"version": setup.poll.version,
                                                            "voting_day": "2022-05-29"})
    db.session.refresh(setup.poll)
    assert setup.poll.status == PollStatus.REVOTE
    team = client_for(app, setup.team_a)
    assert team.post(f"/polls/{setup.poll.id}/minutes/upload", data={"file": (io.BytesIO(png()), "v1.png")},
                     content_type="multipart/form-data").status_code == 302  # round 1's minutes, after the re-vote
    revote = db.session.scalar(db.select(Poll).where(Poll.hamlet_id == setup.hamlet.id, Poll.round_no == 2))
    committee.post(f"/polls/{revote.id}/revote/confirm-list")
    revote.open(100, date(2022, 5, 29))
    revote.record_meeting(70, revote.voting_form, ["A", "B", "C"], ["X", "Y"])
    revote.start_counting()
    db.session.commit()
    from election.counting import poll_candidates
    from election.models import Figures

    ids = [str(c.id) for c in poll_candidates(revote)]
    fig = Figures(70, 70, 70, 0, dict(zip(ids, [40, 30], strict=True)))
    submit_entry(revote, setup.team_a, fig)
    submit_entry(revote, setup.team_b, fig)
    db.session.commit()
    acting = make_person("Trương Văn Lâm", setup.hamlet)
    app.config["TODAY"] = date(2022, 6, 20)
    committee.post(f"/polls/{revote.id}/acting-chief", data={
        "version": revote.version, "person_id": acting.id, "decision_no": "12/QĐ-UBND", "decided_on": "2022-06-20",
        "signer_name": "Nguyễn Văn Chủ Tịch"})
    db.session.refresh(revote)
    assert revote.status == PollStatus.ACTING_CHIEF
    response = team.post(f"/polls/{revote.id}/minutes/upload", data={"file": (io.BytesIO(png()), "v2.png")},
                         content_type="multipart/form-data")
    assert response.status_code == 302
    upload = db.session.scalar(db.select(MinutesUpload).where(MinutesUpload.poll_id == revote.id))
    assert upload is not None
    committee.post(f"/polls/{revote.id}/minutes/validate", data={"version": revote.version})
    db.session.refresh(upload)
    db.session.refresh(revote)
    assert upload.validated_by_id == setup.committee.id and revote.status == PollStatus.ACTING_CHIEF
    page = committee.get(f"/polls/{revote.id}").get_data(as_text=True)
    assert "Đã chỉ định trưởng thôn lâm thời" in page
