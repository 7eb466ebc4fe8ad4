"""Date rules (issue 15, part 5): voting opens only on its day (R-V4, R-V8), decisions are dated between what they
decide and their deadline (R-X1, R-V8, R-V9), the acting chief meets a candidate's standards, and the configured
clock (TODAY) that the demo and the tests use is ignored in production."""
from __future__ import annotations

import logging
import secrets
from datetime import date, datetime

import pytest
from factories_counting import client_for, enter_twice, figures

from app import create_app
from candidates.models import ExceptionRequest, RemediationPlan, RemedyKind
from candidates.rules import exception_decision_problem
from core.accounts import Role
from core.enums import Education, Post
from core.errors import RuleViolation
from core.models import Position
from core.vietnamese import configured_today, utcnow, vietnam_today
from election.models import Poll, PollStatus, household_total
from election.recognition import appoint_acting_chief, recognise, start_revote, validate_minutes
from election.rules import acting_date_problem, recognition_date_problem, revote_day_problem, voting_day_problem
from extensions import db

ELECTION_DAY = date(2022, 5, 22)  # a Sunday (R-V4)
FOUR_YEARS_LATER = date(2026, 5, 26)  # a Tuesday


# -- the pure rules --------------------------------------------------------------------------------------------

def test_voting_opens_only_on_the_terms_election_day():
    problem = voting_day_problem(FOUR_YEARS_LATER, ELECTION_DAY)
    assert problem is not None and problem.rule == "R-V4"
    assert "Chủ nhật, 22/05/2022" in problem.message and "thứ Ba, 26/05/2026" in problem.message
    assert voting_day_problem(ELECTION_DAY, ELECTION_DAY) is None
    assert voting_day_problem(date(2022, 5, 21), ELECTION_DAY) is not None  # Saturday evening in Vietnam is not Sunday


def test_a_revote_opens_only_on_the_ordered_day_and_needs_one():
    assert voting_day_problem(date(2022, 5, 29), None, 2).rule == "R-V8"
    problem = voting_day_problem(date(2022, 5, 28), date(2022, 5, 29), 2)
    assert problem.rule == "R-V8" and "Chủ nhật, 29/05/2022" in problem.message
    assert voting_day_problem(date(2022, 5, 29), date(2022, 5, 29), 2) is None


@pytest.mark.parametrize("day, ok", [(date(2022, 5, 22), False), (date(2022, 5, 23), False),
                                     (date(2022, 5, 24), True), (date(2022, 6, 6), True), (date(2022, 6, 7), False)])
def test_revote_day_is_after_the_order_and_within_fifteen_days(day, ok):
    problem = revote_day_problem(day, ELECTION_DAY, ordered_on=date(2022, 5, 24))
    assert (problem is None) is ok
    if problem:
        assert problem.rule == "R-V8" and problem.field == "voting_day"


def test_recognition_is_dated_between_the_vote_and_the_deadline_and_not_in_the_future():
    due = date(2022, 5, 27)
    assert recognition_date_problem(date(2022, 5, 25), date(2022, 6, 1), ELECTION_DAY, due) is None
    before = recognition_date_problem(date(2022, 5, 21), date(2022, 6, 1), ELECTION_DAY, due)
    late = recognition_date_problem(date(2022, 5, 30), date(2022, 6, 1), ELECTION_DAY, due)
    future = recognition_date_problem(date(2022, 5, 26), date(2022, 5, 25), ELECTION_DAY, due)
    assert before.rule == late.rule == future.rule == "R-V9"
    assert "trước ngày bỏ phiếu" in before.message and "27/05/2022" in late.message and "tương lai" in future.message


def test_acting_and_exception_decisions_keep_their_order():
    assert acting_date_problem(date(2022, 6, 4), date(2022, 6, 10), date(2022, 6, 5)).rule == "R-V8"
    assert acting_date_problem(date(2022, 6, 6), date(2022, 6, 10), date(2022, 6, 5)) is None
    assert exception_decision_problem(date(2022, 5, 1), date(2022, 5, 2), date(2022, 6, 1)).field == "decision_date"
    assert exception_decision_problem(date(2022, 5, 2), date(2022, 5, 2), date(2022, 6, 1)) is None
    assert exception_decision_problem(date(2022, 6, 2), date(2022, 5, 2), date(2022, 6, 1)).rule == "R-X1"


# -- opening a poll ---------------------------------------------------------------------------------------------

def test_poll_opened_on_a_tuesday_four_years_later_is_refused(election):
    setup = election(open_poll=False)
    with pytest.raises(RuleViolation, match="22/05/2022"):
        setup.poll.open(100, FOUR_YEARS_LATER)
    assert setup.poll.status == PollStatus.NOT_STARTED


def test_open_page_refuses_a_wrong_day_and_accepts_election_day(app, election):
    setup = election(open_poll=False)
    team = client_for(app, setup.team_a)
    app.config["TODAY"] = FOUR_YEARS_LATER
    page = team.post(f"/hamlets/{setup.hamlet.id}/election/open", follow_redirects=True).get_data(as_text=True)
    assert "Chỉ khai mạc bỏ phiếu vào ngày bầu cử của nhiệm kỳ: Chủ nhật, 22/05/2022" in page
    db.session.refresh(setup.poll)
    assert setup.poll.status == PollStatus.NOT_STARTED
    app.config["TODAY"] = ELECTION_DAY
    assert team.post(f"/hamlets/{setup.hamlet.id}/election/open").status_code == 302
    db.session.refresh(setup.poll)
    assert setup.poll.status == PollStatus.VOTING and setup.poll.poll_day == ELECTION_DAY


def no_winner(election):
    setup = election(households=100, present=80)
    enter_twice(setup, figures(setup, 80, 80, 80, 0, 50, 30))
    return setup


def test_revote_order_records_the_day_and_round_two_opens_only_then(app, election):
    setup = no_winner(election)
    committee = client_for(app, setup.committee)
    app.config["TODAY"] = date(2022, 5, 23)
    page = committee.get(f"/polls/{setup.poll.id}").get_data(as_text=True)
    assert 'name="voting_day"' in page and 'max="2022-06-06"' in page
    late = committee.post(f"/polls/{setup.poll.id}/revote", data={"version": setup.poll.version,
                                                                  "voting_day": "2022-06-12"}, follow_redirects=True)
    assert "quá hạn" in late.get_data(as_text=True)
    db.session.refresh(setup.poll)
    assert setup.poll.status == PollStatus.SUBMITTED
    response = committee.post(f"/polls/{setup.poll.id}/revote", data={"version": setup.poll.version,
                                                                      "voting_day": "2022-05-29"})
    assert response.status_code == 302
    revote = db.session.scalar(db.select(Poll).where(Poll.hamlet_id == setup.hamlet.id, Poll.round_no == 2))
    assert revote.voting_day == date(2022, 5, 29) and revote.allowed_voting_day == date(2022, 5, 29)
    committee.post(f"/polls/{revote.id}/revote/confirm-list")
    team = client_for(app, setup.team_a)
    for wrong in (ELECTION_DAY, date(2022, 5, 28)):
        app.config["TODAY"] = wrong
        page = team.post(f"/hamlets/{setup.hamlet.id}/election/open", follow_redirects=True).get_data(as_text=True)
        assert "ngày bầu lại đã quyết định: Chủ nhật, 29/05/2022" in page
        db.session.refresh(revote)
        assert revote.status == PollStatus.NOT_STARTED
    app.config["TODAY"] = date(2022, 5, 29)
    assert team.post(f"/hamlets/{setup.hamlet.id}/election/open").status_code == 302
    db.session.refresh(revote)
    assert revote.status == PollStatus.VOTING and revote.poll_day == date(2022, 5, 29)


def test_revote_without_a_day_is_refused(app, election):
    setup = no_winner(election)
    response = client_for(app, setup.committee).post(f"/polls/{setup.poll.id}/revote",
                                                     data={"version": setup.poll.version}, follow_redirects=True)
    assert "Cần ghi ngày bầu lại" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(Poll).where(Poll.round_no == 2)) is None


# -- decisions ----------------------------------------------------------------------------------------------------

def test_exception_decision_before_its_request_is_refused(world, draft_list, make_user):
    candidate_list = draft_list(world.needs_exception)
    filer = make_user(Role.PARTY_COMMITTEE, commune=world.commune)
    request = ExceptionRequest.file(candidate_list.candidacies[0], "Thôn An Phú không có đảng viên nào đạt THPT.",
                                    filer.id)
    request.filed_at = datetime(2022, 5, 10, 2, 0)  # 09:00 on 10/05/2022 in Vietnam
    db.session.add(request)
    db.session.commit()
    plans = [RemediationPlan(rule=rule, kind=RemedyKind.TRAINING, description="Học", deadline=date(2024, 12, 31))
             for rule in request.rule_ids]
    with pytest.raises(RuleViolation, match="trước ngày lập đề nghị") as refused:
        request.approve(user_id=1, number="1", on=date(2022, 5, 9), signer="A", notes="", plans=plans)
    assert refused.value.field == "decision_date"
    with pytest.raises(RuleViolation, match="tương lai"):
        request.reject(user_id=1, number="1", on=vietnam_today().replace(year=vietnam_today().year + 1), signer="A",
                       notes="Không")
    request.approve(user_id=1, number="1", on=date(2022, 5, 10), signer="A", notes="", plans=plans)


def test_exception_decision_page_shows_the_date_error_on_the_field(app, world, draft_list, make_user):
    candidate_list = draft_list(world.needs_exception)
    filer = make_user(Role.PARTY_COMMITTEE, commune=world.commune)
    approver = make_user(Role.APPROVING_AUTHORITY, district=world.district)
    request = ExceptionRequest.file(candidate_list.candidacies[0], "Thôn An Phú không có đảng viên nào đạt THPT.",
                                    filer.id)
    request.filed_at = datetime(2022, 5, 10, 2, 0)
    db.session.add(request)
    db.session.commit()
    data = {"decision": "reject", "decision_number": "9-QĐ/HU", "decision_date": "2022-05-01", "signer": "B",
            "decision_notes": "Không đủ điều kiện"}
    response = client_for(app, approver).post(f"/candidates/exceptions/{request.id}/decide", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "trước ngày lập đề nghị (10/05/2022)" in html and "has-error" in html
    db.session.refresh(request)
    assert request.decision_date is None


def recognisable(election, app):
    setup = election(households=310, present=216)
    enter_twice(setup, figures(setup, 216, 214, 210, 4, 160, 50), acknowledged=True)
    setup.poll.submitted_at = datetime(2022, 5, 22, 10, 0)  # received 17:00 on election Sunday: due 27/05 (R-V9)
    validate_minutes_anyway(setup)
    return setup


def validate_minutes_anyway(setup) -> None:
    from election.models import MinutesUpload

    db.session.add(MinutesUpload(poll=setup.poll, stored_name="x.png", original_name="x.png",
                                 content_type="image/png", size=1, sha256="0" * 64,
                                 uploaded_at=datetime(2022, 5, 22, 11, 0)))
    validate_minutes(setup.poll, setup.committee)
    db.session.commit()


@pytest.mark.parametrize("decided_on, today, message", [
    (date(2022, 5, 30), date(2022, 6, 1), "sau hạn công nhận"),
    (date(2022, 5, 21), date(2022, 6, 1), "trước ngày bỏ phiếu"),
    (date(2022, 5, 26), date(2022, 5, 25), "tương lai"),
])
def test_recognition_outside_its_dates_is_refused(app, election, decided_on, today, message):
    setup = recognisable(election, app)
    with pytest.raises(RuleViolation, match=message):
        recognise(setup.poll, setup.committee, "45/QĐ-UBND", decided_on, "Chủ tịch", today=today)
    db.session.rollback()
    recognise(setup.poll, setup.committee, "45/QĐ-UBND", date(2022, 5, 27), "Chủ tịch", today=date(2022, 6, 1))


def test_recognition_page_puts_the_date_error_on_the_field(app, election):
    setup = recognisable(election, app)
    app.config["TODAY"] = date(2022, 6, 1)
    response = client_for(app, setup.committee).post(f"/polls/{setup.poll.id}/recognise", data={
        "version": setup.poll.version, "decision_no": "45/QĐ-UBND", "decided_on": "2022-05-31",
        "signer_name": "Phạm Văn Chủ"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "sau hạn công nhận 5 ngày làm việc (27/05/2022" in html
    assert "has-error" in html
    db.session.refresh(setup.poll)
    assert setup.poll.status == PollStatus.VALIDATED


# -- the acting chief -------------------------------------------------------------------------------------------------

def acting_ready(app, election):
    """A hamlet whose re-vote (29/05/2022) elected nobody: the commune chairman appoints an acting chief."""
    setup = no_winner(election)
    revote = start_revote(setup.poll, setup.committee, date(2022, 5, 29), today=date(2022, 5, 23))
    db.session.flush()
    from candidates.models import CandidateList

    copy = db.session.scalar(db.select(CandidateList).where(CandidateList.round_no == 2))
    copy.confirm(setup.committee.id)
    revote.open(household_total(setup.hamlet.id, setup.term.id).count, date(2022, 5, 29))
    revote.record_meeting(70, revote.voting_form, ["A", "B", "C"], ["X", "Y"])
    revote.start_counting()
    db.session.commit()
    from election.counting import poll_candidates, submit_entry
    from election.models import Figures

    ids = [str(c.id) for c in poll_candidates(revote)]
    for team in (setup.team_a, setup.team_b):
        submit_entry(revote, team, Figures(70, 70, 70, 0, dict(zip(ids, [40, 30], strict=True))))
        db.session.commit()
    app.config["TODAY"] = date(2022, 6, 2)
    return setup, revote


def test_acting_chief_born_1946_is_refused_with_the_standard_named(app, election, make_person):
    setup, revote = acting_ready(app, election)
    old = make_person("Hồ Văn Thọ", setup.hamlet, birth_date=date(1946, 3, 1))
    committee = client_for(app, setup.committee)
    check = committee.get(f"/polls/{revote.id}/acting-chief?person_id={old.id}&decided_on=2022-06-02")
    html = check.get_data(as_text=True)
    assert "Hồ Văn Thọ (1946) – không đạt R-E3" in html  # the choice itself says it
    assert "vượt quá 65 tuổi" in html and "không thể xin ngoại lệ" in html
    response = committee.post(f"/polls/{revote.id}/acting-chief", data={
        "version": revote.version, "person_id": old.id, "decision_no": "12/QĐ-UBND", "decided_on": "2022-06-02",
        "signer_name": "Nguyễn Văn Chủ Tịch"})
    assert response.status_code == 200 and "Không đạt tiêu chuẩn bắt buộc" in response.get_data(as_text=True)
    db.session.refresh(revote)
    assert revote.status == PollStatus.SUBMITTED
    assert db.session.scalar(db.select(Position).where(Position.person_id == old.id)) is None


def test_acting_chief_decision_before_the_revote_or_in_the_future_is_refused(app, election, make_person):
    setup, revote = acting_ready(app, election)
    person = make_person("Trương Văn Lâm", setup.hamlet, birth_date=date(1975, 1, 1))
    for day, message in ((date(2022, 5, 28), "trước ngày bỏ phiếu của vòng bầu lại"), (date(2022, 6, 3), "tương lai")):
        with pytest.raises(RuleViolation, match=message):
            appoint_acting_chief(revote, setup.committee, person, "1", day, "Z")
        db.session.rollback()
    appoint_acting_chief(revote, setup.committee, person, "1", date(2022, 6, 2), "Z")
    assert revote.status == PollStatus.ACTING_CHIEF


def test_acting_chief_failing_an_exceptionable_standard_needs_an_approved_exception(app, election, make_person,
                                                                                    make_user):
    setup, revote = acting_ready(app, election)
    # Round 1's second candidate has THCS in the plain commune Bình Hải: fails R-E4, which an exception may cover.
    candidacy = setup.candidates[1]
    person = candidacy.person
    person.education = Education.LOWER_SECONDARY
    db.session.commit()
    with pytest.raises(RuleViolation, match="chưa có ngoại lệ nào") as refused:
        appoint_acting_chief(revote, setup.committee, person, "1", date(2022, 6, 2), "Z")
    assert refused.value.field == "person_id" and "R-E4" in refused.value.message
    db.session.rollback()
    filer = make_user(Role.PARTY_COMMITTEE, commune=setup.hamlet.commune)
    request = ExceptionRequest.file(candidacy, "Thôn An Phú không có người nào đạt THPT.", filer.id)
    request.filed_at = datetime(2022, 5, 10, 2, 0)
    db.session.add(request)
    request.approve(user_id=filer.id, number="15-QĐ/HU", on=date(2022, 5, 12), signer="B", notes="", plans=[
        RemediationPlan(rule=rule, kind=RemedyKind.TRAINING, description="Học", deadline=date(2024, 12, 31))
        for rule in request.rule_ids])
    db.session.commit()
    html = client_for(app, setup.committee).get(
        f"/polls/{revote.id}/acting-chief?person_id={person.id}").get_data(as_text=True)
    assert "Đạt tiêu chuẩn để chỉ định" in html and "15-QĐ/HU" in html
    appoint_acting_chief(revote, setup.committee, person, "12/QĐ-UBND", date(2022, 6, 2), "Z")
    db.session.commit()
    position = db.session.scalar(db.select(Position).where(Position.person_id == person.id))
    assert position.acting and position.post == Post.HAMLET_CHIEF


# -- the configured clock ---------------------------------------------------------------------------------------------

def test_configured_day_moves_today_and_the_stamps_in_test(app):
    app.config["TODAY"] = ELECTION_DAY
    assert vietnam_today() == ELECTION_DAY and configured_today() == ELECTION_DAY
    from core.vietnamese import local_date

    assert local_date(utcnow()) == ELECTION_DAY
    app.config["TODAY"] = None
    assert vietnam_today() != ELECTION_DAY


def test_today_override_is_ignored_in_production(caplog, monkeypatch):
    for name in ("FLASK_ENV_NAME", "FLASK_TODAY", "FLASK_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    with caplog.at_level(logging.WARNING):
        production = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": secrets.token_hex(32),
                                 "ENV_NAME": "production", "TODAY": "2022-05-22"})
    assert production.config["TODAY"] is None
    assert "FLASK_TODAY=2022-05-22 is ignored" in caplog.text
    with production.app_context():
        production.config["TODAY"] = ELECTION_DAY  # even set later, production's clock stays real
        assert configured_today() is None and vietnam_today() != ELECTION_DAY


def test_today_comes_from_the_environment_in_development(monkeypatch):
    monkeypatch.setenv("FLASK_TODAY", "2022-05-22")
    development = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "ENV_NAME": "development",
                              "SECRET_KEY": "x"})
    assert development.config["TODAY"] == ELECTION_DAY
    with development.app_context():
        assert vietnam_today() == ELECTION_DAY
    monkeypatch.setenv("FLASK_TODAY", "22/05/2022")
    with pytest.raises(ValueError, match="ISO date"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "ENV_NAME": "development", "SECRET_KEY": "x"})


def test_a_revote_round_without_its_day_gets_it_recorded_once(app, election):
    setup = no_winner(election)
    setup.poll.order_revote()
    revote = Poll.get_or_create(setup.term, setup.hamlet, 2)  # ordered before the day was kept (before 0007_dates)
    db.session.commit()
    with pytest.raises(RuleViolation, match="Chưa ghi ngày bầu lại"):
        revote.open(100, date(2022, 5, 29))
    committee = client_for(app, setup.committee)
    app.config["TODAY"] = date(2022, 5, 24)
    assert "Chưa ghi ngày bầu lại" in committee.get(f"/polls/{revote.id}").get_data(as_text=True)
    committee.post(f"/polls/{revote.id}/voting-day", data={"version": revote.version, "voting_day": "2022-05-29"})
    db.session.refresh(revote)
    assert revote.allowed_voting_day == date(2022, 5, 29)
    again = committee.post(f"/polls/{revote.id}/voting-day", data={"version": revote.version,
                                                                   "voting_day": "2022-06-05"})
    assert again.status_code == 409
    db.session.refresh(revote)
    assert revote.voting_day == date(2022, 5, 29)
