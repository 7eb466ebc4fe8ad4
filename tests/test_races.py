"""Races answer 409 (issue 14, part 7): two committee members confirming or reopening a candidate list at once, and
a double click on the roll's "Nhập", give one success and one 409, never a 500.

Each request runs in its own thread with its own app context, session and test client, released together by a
barrier. The pages send the version they were loaded with, so the loser answers 409 whether it runs truly at the
same time (PostgreSQL: the row lock, then the version check; SQLite: its single writer) or a moment after.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Callable

from conftest import PASSWORD
from factories_ballots import csv_bytes, roll_rows, upload

from candidates.models import CandidateList, ListState, ProposedBy
from core.accounts import Role
from election.models import VoterEntry, VoterRoll
from extensions import db


def _at_once(app, users, request: Callable) -> list:
    """request(client) for each user, each in its own thread, app context and session, released together."""
    barrier = threading.Barrier(len(users))
    results: list = [None] * len(users)

    def run(index: int, username: str) -> None:
        try:
            with app.app_context():
                client = app.test_client()
                assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
                barrier.wait(timeout=30)
                response = request(client)
                results[index] = (response.status_code, response.get_data(as_text=True))
                db.session.remove()
        except Exception as error:  # reported below, with the thread's traceback in the message
            results[index] = (None, repr(error))

    threads = [threading.Thread(target=run, args=(i, user.username)) for i, user in enumerate(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _one_success_one_conflict(results, success: int) -> None:
    statuses = sorted(status for status, _ in results)
    assert statuses == sorted([success, 409]), results
    conflict = next(body for status, body in results if status == 409)
    assert "Dữ liệu vừa được người khác thay đổi, hãy tải lại trang." in conflict


def _two_committee_members(setup, make_user):
    db.session.commit()
    return [setup.committee, make_user(Role.COMMUNE_COMMITTEE, commune=setup.commune)]


def _draft(setup) -> CandidateList:
    candidate_list = CandidateList(term=setup.term, hamlet=setup.hamlet, round_no=1)
    db.session.add(candidate_list)
    for person in setup.people:
        candidate_list.add(person, ProposedBy.FRONT_COMMITTEE)
    db.session.commit()
    return candidate_list


def test_two_members_confirming_at_once_one_succeeds_one_gets_409(app, ready, make_user):
    setup = ready(confirm=False)
    candidate_list = _draft(setup)
    list_id, version = candidate_list.id, candidate_list.version
    users = _two_committee_members(setup, make_user)

    results = _at_once(app, users, lambda client: client.post(f"/candidates/lists/{list_id}/confirm",
                                                              data={"version": version}))
    _one_success_one_conflict(results, 302)
    db.session.expire_all()
    assert db.session.get(CandidateList, list_id).state == ListState.CONFIRMED


def test_two_members_reopening_at_once_one_succeeds_one_gets_409(app, ready, make_user):
    setup = ready()
    candidate_list = db.session.scalar(db.select(CandidateList))
    list_id, version = candidate_list.id, candidate_list.version
    users = _two_committee_members(setup, make_user)

    results = _at_once(app, users, lambda client: client.post(
        f"/candidates/lists/{list_id}/reopen", data={"version": version, "reason": "Sửa năm sinh người ứng cử"}))
    _one_success_one_conflict(results, 302)
    db.session.expire_all()
    assert db.session.get(CandidateList, list_id).state == ListState.DRAFT


def test_confirm_and_reopen_through_the_api_at_once_never_give_a_500(app, ready, make_user, api_headers, client):
    setup = ready(confirm=False)
    list_id = _draft(setup).id
    headers = [api_headers(user) for user in _two_committee_members(setup, make_user)]
    barrier = threading.Barrier(2)
    statuses: list = []

    def run(header) -> None:
        with app.app_context():
            test_client = app.test_client()
            barrier.wait(timeout=30)
            statuses.append(test_client.post(f"/api/v1/candidate-lists/{list_id}/confirm", headers=header).status_code)
            db.session.remove()

    threads = [threading.Thread(target=run, args=(header,)) for header in headers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # Without a version the second may also come after the first: then the list is locked (422), still no 500.
    assert sorted(statuses)[0] == 200 and sorted(statuses)[1] in (409, 422), statuses


def _preview(setup, login, client, rows):
    login(setup.committee)
    response, token = upload(client, setup.hamlet, csv_bytes(rows), "ds.csv")
    assert token, response.get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', response.get_data(as_text=True)).group(1)
    return token, version


def _double_click(app, setup, make_user, token: str, version: str) -> list:
    # The same user twice: a double click sends the same form from one session.
    return _at_once(app, [setup.committee, setup.committee], lambda client: client.post(
        f"/hamlets/{setup.hamlet.id}/roll/import/{token}", data={"version": version}))


def _entries(setup) -> list[str]:
    return list(db.session.scalars(db.select(VoterEntry.household_no).join(VoterRoll)
                                   .where(VoterRoll.hamlet_id == setup.hamlet.id).order_by(VoterEntry.household_no)))


def test_double_click_on_the_first_roll_import_gives_one_success_one_409(app, ready, make_user, login, client):
    setup = ready()
    token, version = _preview(setup, login, client, roll_rows(6))
    assert version == "0"
    _one_success_one_conflict(_double_click(app, setup, make_user, token, version), 302)
    db.session.expire_all()
    assert _entries(setup) == [f"{i:03d}" for i in range(1, 7)]


def test_double_click_on_a_roll_reimport_gives_one_success_one_409(app, ready, make_user, login, client):
    setup = ready()
    token, version = _preview(setup, login, client, roll_rows(4))
    assert client.post(f"/hamlets/{setup.hamlet.id}/roll/import/{token}", data={"version": version}).status_code == 302
    token, version = _preview(setup, login, client, roll_rows(5, start=3))
    assert version != "0"
    _one_success_one_conflict(_double_click(app, setup, make_user, token, version), 302)
    db.session.expire_all()
    assert _entries(setup) == [f"{i:03d}" for i in range(3, 8)]
    assert db.session.scalar(db.select(VoterRoll.entry_count)) == 5
