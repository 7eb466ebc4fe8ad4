"""Scope without leaks (issue 14, part 5): a record of another commune answers exactly like a missing one.

One record of every kind lives in commune A; users of commune B (same district) ask for each of them by page and by
API, and for a nonexistent id the same way. Both answers must carry the same status (and, for JSON, the same keys),
and neither may name the record's person, hamlet or commune: ids are sequential, so a difference or a name would let
anyone walk the district's registry.
"""
from __future__ import annotations

import re
from datetime import date

import pytest
from factories_counting import client_for, figures, print_ballots

from ballots.models import BallotBatch
from candidates.models import CandidateList, ExceptionRequest, ProposedBy
from chapters.models import Congress
from core.accounts import Role
from core.enums import Education, PoliticalTheory
from election.counting import submit_entry
from election.models import CountEntry, VoterEntry, VoterRoll
from extensions import db

MISSING = 2_000_000_000
CONGRESS_DAY = date(2022, 6, 5)
ROLL_NAME = "Hoàng Văn Cử Tri"
EXCEPTION_NAME = "Trần Thị Ngoại Lệ"
TRAINEE_NAME = "Lý Thị Học Viên"
# Everything of commune A that an answer to commune B must not contain.
SECRETS = ("Nguyễn Thị Ánh Tuyết", "Đặng Văn Ước", ROLL_NAME, EXCEPTION_NAME, TRAINEE_NAME, "Bình Hải", "An Phú",
           "Phú Lộc")


@pytest.fixture
def two_communes(election, make_commune, make_hamlet, make_person, make_user, make_course, api_headers):
    """Commune A with one record of every kind; commune B's users, hamlet, course and congress."""
    a = election(households=10, present=8)
    district = a.hamlet.commune.district
    person = a.candidates[0].person
    # A second hamlet of A with a draft list whose candidate needs an exception (R-X1).
    hamlet2 = make_hamlet("Phú Lộc", a.hamlet.commune)
    needing = make_person(EXCEPTION_NAME, hamlet2, birth_date=date(1980, 8, 9), education=Education.LOWER_SECONDARY,
                          political_theory=PoliticalTheory.NONE)
    draft = CandidateList(term=a.term, hamlet=hamlet2, round_no=1)
    db.session.add(draft)
    candidacy = draft.add(needing, ProposedBy.FRONT_COMMITTEE)
    db.session.flush()
    exception = ExceptionRequest.file(candidacy, "Thôn Phú Lộc không có đảng viên nào tốt nghiệp THPT.", a.committee.id)
    db.session.add(exception)
    roll = VoterRoll(term=a.term, hamlet=a.hamlet)
    db.session.add(roll)
    db.session.flush()
    entry = VoterEntry(roll_id=roll.id, household_no="H0001", full_name=ROLL_NAME, name_folded="hoang van cu tri",
                       citizen_id="051070000999", birth_date=date(1970, 1, 1), birth_year=None)
    db.session.add(entry)
    db.session.commit()
    submit_entry(a.poll, a.team_a, figures(a, 8, 8, 8, 0, 5, 3))
    db.session.commit()
    print_ballots(a.poll, 2)
    congress = Congress.open(a.hamlet.chapter, a.term, CONGRESS_DAY)
    db.session.add(congress)
    trainee = make_person(TRAINEE_NAME, a.hamlet)
    course_a = make_course(a.term, a.hamlet.commune)
    enrolment = course_a.enrol(trainee, date(2022, 7, 1))
    db.session.commit()

    commune_b = make_commune("Bình Thạnh", district=district)
    hamlet_b = make_hamlet("Tân Hy", commune_b)
    course_b = make_course(a.term, commune_b)
    congress_b = Congress.open(hamlet_b.chapter, a.term, CONGRESS_DAY)
    db.session.add(congress_b)
    db.session.commit()
    committee_b = make_user(Role.COMMUNE_COMMITTEE, commune=commune_b)
    party_b = make_user(Role.PARTY_COMMITTEE, commune=commune_b)
    return {
        "a": a, "person": person, "candidacy": a.candidates[0], "list": a.candidates[0].candidate_list,
        "exception": exception, "entry": entry, "count_entry": db.session.scalar(db.select(CountEntry)),
        "batch": db.session.scalar(db.select(BallotBatch)), "congress": congress, "course": course_a,
        "enrolment": enrolment, "hamlet_b": hamlet_b, "course_b": course_b, "congress_b": congress_b,
        "committee_b": committee_b, "party_b": party_b,
        "committee_b_api": api_headers(committee_b), "party_b_api": api_headers(party_b),
    }


def _record_ids(w) -> dict[str, int]:
    return {"person": w["person"].id, "candidacy": w["candidacy"].id, "list": w["list"].id,
            "exception": w["exception"].id, "entry": w["entry"].id, "poll": w["a"].poll.id,
            "count_entry": w["count_entry"].id, "batch": w["batch"].id, "congress": w["congress"].id,
            "chapter": w["a"].hamlet.chapter.id, "course": w["course"].id, "enrolment": w["enrolment"].id,
            "hamlet": w["a"].hamlet.id}


# (kind, URL template, who asks) — the pages and API reads of one record of every kind.
PAGES = [
    ("person", "/people/{person}", "committee_b"),
    ("candidacy", "/candidates/candidacies/{candidacy}/exception", "committee_b"),
    ("candidacy", "/candidates/lists/{list}/list.pdf", "committee_b"),
    ("exception", "/candidates/exceptions/{exception}", "committee_b"),
    ("roll entry", "/hamlets/{hamlet_b}/roll/entries/{entry}", "committee_b"),
    ("poll", "/polls/{poll}", "committee_b"),
    ("count entry", "/polls/{poll}/differences", "committee_b"),
    ("batch", "/ballots/batches/{batch}.pdf", "committee_b"),
    ("batch", "/ballots/batches/{batch}/progress", "committee_b"),
    ("congress", "/chapters/{chapter}/congress", "party_b"),
    ("congress", "/chapters/congresses/{congress}/minutes.pdf", "party_b"),
    ("course", "/training/courses/{course}", "committee_b"),
    ("enrolment", "/training/enrolments/{enrolment}/certificate.pdf", "committee_b"),
]
API = [
    ("person", "/api/v1/people/{person}", "committee_b_api"),
    ("candidacy", "/api/v1/candidate-lists/{list}", "committee_b_api"),
    ("exception", "/api/v1/exception-requests/{exception}", "committee_b_api"),
    ("roll entry", "/api/v1/hamlets/{hamlet}/roll", "committee_b_api"),
    ("poll", "/api/v1/polls/{poll}/outcome", "committee_b_api"),
    ("count entry", "/api/v1/polls/{poll}/count-entries", "committee_b_api"),
    ("congress", "/api/v1/chapters/{chapter}/congress", "party_b_api"),
    ("course", "/api/v1/training/courses/{course}", "committee_b_api"),
]


def _assert_nothing_named(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{where} names {secret!r}"


def _url(template: str, ids: dict[str, int]) -> str:
    return template.format(**ids)


def test_foreign_records_answer_like_missing_ones_by_page(app, two_communes):
    w = two_communes
    ids = {**_record_ids(w), "hamlet_b": w["hamlet_b"].id}
    missing = {key: MISSING for key in ids} | {"hamlet_b": w["hamlet_b"].id}
    clients = {"committee_b": client_for(app, w["committee_b"]), "party_b": client_for(app, w["party_b"])}
    for kind, template, who in PAGES:
        foreign = clients[who].get(_url(template, ids))
        absent = clients[who].get(_url(template, missing))
        where = f"{kind}: {template}"
        assert foreign.status_code == absent.status_code, where
        assert foreign.status_code in (403, 404), where
        _assert_nothing_named(foreign.get_data(as_text=True), where)


def test_foreign_records_answer_like_missing_ones_by_api(app, client, two_communes):
    w = two_communes
    ids = _record_ids(w)
    missing = {key: MISSING for key in ids}
    for kind, template, who in API:
        foreign = client.get(_url(template, ids), headers=w[who])
        absent = client.get(_url(template, missing), headers=w[who])
        where = f"{kind}: {template}"
        assert foreign.status_code == absent.status_code == 404, where
        assert set(foreign.get_json()) == set(absent.get_json()), where
        _assert_nothing_named(foreign.get_data(as_text=True), where)


def _same_answer(foreign, absent, where: str) -> None:
    assert foreign.status_code == absent.status_code, where
    assert foreign.status_code < 500, where
    if foreign.is_json:
        assert foreign.get_json() == absent.get_json(), where
    _assert_nothing_named(foreign.get_data(as_text=True), where)


def test_enrolling_nominating_or_adding_a_foreign_person_answers_like_a_missing_one(app, client, two_communes):
    """Ids are sequential: the answer to someone else's person id must not name them (nor their commune)."""
    w = two_communes
    foreign_id = w["person"].id
    course_b, congress_b, hamlet_b = w["course_b"], w["congress_b"], w["hamlet_b"]
    committee, party = client_for(app, w["committee_b"]), client_for(app, w["party_b"])
    pages = [
        (committee, f"/training/courses/{course_b.id}/enrol/{{}}", lambda pid: {}),
        (party, f"/chapters/congresses/{congress_b.id}/nominees",
         lambda pid: {"person_id": pid, "post": "chapter_committee_member", "source": "chapter"}),
        (committee, f"/candidates/hamlets/{hamlet_b.id}/add",
         lambda pid: {"source": "registry", "person_id": pid, "proposed_by": ProposedBy.FRONT_COMMITTEE.value}),
    ]
    for user_client, template, form in pages:
        answers = [user_client.post(template.format(pid), data=form(pid), follow_redirects=True)
                   for pid in (foreign_id, MISSING)]
        where = template
        assert answers[0].status_code == answers[1].status_code, where
        # The same page but for the numbers (the id itself, the CSRF-free form's echo of it).
        assert re.sub(r"\d+", "#", answers[0].get_data(as_text=True)) == \
            re.sub(r"\d+", "#", answers[1].get_data(as_text=True)), where
        _assert_nothing_named(answers[0].get_data(as_text=True), where)

    apis = [
        (w["committee_b_api"], f"/api/v1/training/courses/{course_b.id}/enrolments", lambda pid: {"person_id": pid}),
        (w["party_b_api"], f"/api/v1/chapters/{hamlet_b.chapter.id}/congress",
         lambda pid: {"nominees": [{"person_id": pid, "post": "chapter_committee_member"}]}),
        (w["committee_b_api"], f"/api/v1/hamlets/{hamlet_b.id}/candidacies",
         lambda pid: {"person_id": pid, "proposed_by": ProposedBy.FRONT_COMMITTEE.value}),
    ]
    for headers, url, body in apis:
        _same_answer(client.post(url, json=body(foreign_id), headers=headers),
                     client.post(url, json=body(MISSING), headers=headers), url)
    # Nothing was enrolled, nominated or added.
    assert not course_b.enrolments and not congress_b.nominees
