"""Election-day check-in: search, mark, undo, live turnout against the quorum (R-V5), and the secret ballot."""
from __future__ import annotations

from factories_ballots import client_for, csv_bytes, import_through_pages, roll_rows

from core.accounts import ApiToken, Role
from election.models import CheckIn, Poll, VoterEntry
from extensions import db


def _setup(ready, app, households: int = 10, open_poll: bool = True):
    """A hamlet with its roll; its round-1 poll opened (households are checked in only while it is voting)."""
    setup = ready()
    import_through_pages(client_for(app, setup.committee), setup.hamlet, csv_bytes(roll_rows(households)))
    entries = list(db.session.scalars(db.select(VoterEntry).order_by(VoterEntry.household_no)))
    if open_poll:
        Poll.get_or_create(setup.term, setup.hamlet, 1).open(households, setup.term.election_day)
        db.session.commit()
    return setup, entries


def test_phone_page_renders_with_turnout_and_csrf_header_script(ready, app):
    setup, _ = _setup(ready, app)
    team = client_for(app, setup.team)
    page = team.get(f"/hamlets/{setup.hamlet.id}/checkin").get_data(as_text=True)
    assert "/static/checkin.js" in page and "data-csrf=" in page and "0</span> / <span id=\"total\">10" in page
    assert "X-CSRFToken" in team.get("/static/checkin.js").get_data(as_text=True)
    assert "cần 6 hộ" in page


def test_search_marks_and_undo(ready, app):
    setup, entries = _setup(ready, app)
    team = client_for(app, setup.team)
    base = f"/hamlets/{setup.hamlet.id}/checkin"
    found = team.get(base + "/search?q=dang van uoc").get_json()["items"]
    assert [i["full_name"] for i in found] == ["Đặng Văn Ước"] and found[0]["checked_in"] is False
    target = found[0]["id"]
    marked = team.post(f"{base}/{target}").get_json()
    assert marked["created"] and marked["turnout"]["present"] == 1
    assert team.get(base + "/search?q=dang van uoc").get_json()["items"][0]["checked_in"] is True
    undone = team.post(f"{base}/{target}/undo").get_json()
    assert undone["removed"] and undone["turnout"]["present"] == 0


def test_double_tap_is_harmless(ready, app):
    setup, entries = _setup(ready, app)
    team = client_for(app, setup.team)
    url = f"/hamlets/{setup.hamlet.id}/checkin/{entries[0].id}"
    assert team.post(url).get_json()["created"] is True
    again = team.post(url).get_json()
    assert again["created"] is False and again["turnout"]["present"] == 1
    assert db.session.scalar(db.select(db.func.count(CheckIn.id))) == 1


def test_quorum_needs_strictly_more_than_half_of_all_households(ready, app):
    setup, entries = _setup(ready, app, households=10)
    team = client_for(app, setup.team)
    base = f"/hamlets/{setup.hamlet.id}/checkin"
    for entry in entries[:5]:
        team.post(f"{base}/{entry.id}")
    half = team.get(base + "/turnout").get_json()
    assert half == {"total": 10, "present": 5, "quorum_met": False, "needed_for_quorum": 6, "percent": 50.0}
    assert "Chưa đủ: cần 6 hộ" in team.get(base).get_data(as_text=True)
    team.post(f"{base}/{entries[5].id}")
    assert team.get(base + "/turnout").get_json()["quorum_met"] is True
    assert "Đủ quá nửa số hộ" in team.get(base).get_data(as_text=True)


def test_polling_team_of_another_hamlet_gets_404(ready, app, make_hamlet, make_user):
    setup, entries = _setup(ready, app)
    other_team = make_user(Role.POLLING_TEAM, commune=setup.commune, hamlet=make_hamlet("Tân Hy", setup.commune))
    client = client_for(app, other_team)
    assert client.get(f"/hamlets/{setup.hamlet.id}/checkin").status_code == 404
    assert client.post(f"/hamlets/{setup.hamlet.id}/checkin/{entries[0].id}").status_code == 404


def test_api_check_in_turnout_and_delete(ready, app):
    setup, entries = _setup(ready, app)
    record, token = ApiToken.issue(setup.team, "phone")
    db.session.add(record)
    db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    base = f"/api/v1/hamlets/{setup.hamlet.id}"
    response = client.post(base + "/checkins", json={"entry_id": entries[0].id}, headers=headers)
    assert response.status_code == 200 and response.get_json()["created"]
    assert client.post(base + "/checkins", json={"entry_id": entries[0].id}, headers=headers).get_json()["created"] is False
    assert client.get(base + "/turnout", headers=headers).get_json()["present"] == 1
    assert client.delete(f"{base}/checkins/{entries[0].id}", headers=headers).get_json()["removed"] is True
    assert client.post(base + "/checkins", json={}, headers=headers).status_code == 422


def test_no_table_links_a_household_to_a_ballot_serial(app):
    """Secret ballot: no table has both a voter/household/roll-entry reference and a ballot/serial reference."""
    voter_tables = {"voter_entry", "voter_roll", "household", "check_in", "person"}
    voter_columns = {"citizen_id", "household_no", "household_id", "voter_id", "entry_id", "person_id"}
    ballot_tables = {"ballot", "ballot_batch"}
    ballot_columns = {"serial", "ballot_id", "batch_id", "ballot_serial"}
    offenders = []
    for table in db.metadata.sorted_tables:
        targets = {fk.column.table.name for column in table.columns for fk in column.foreign_keys} | {table.name}
        columns = {column.name for column in table.columns}
        has_voter = bool(targets & voter_tables or columns & voter_columns)
        has_ballot = bool(targets & ballot_tables or columns & ballot_columns)
        if has_voter and has_ballot:
            offenders.append(table.name)
    assert offenders == []
    # and the two ends exist, so the test is not vacuous
    names = {t.name for t in db.metadata.sorted_tables}
    assert {"check_in", "voter_entry", "ballot", "ballot_batch"} <= names


def test_a_check_in_lands_in_the_round_it_names_and_a_round_that_cannot_exist_is_refused(ready, app):
    setup, entries = _setup(ready, app)
    team = client_for(app, setup.team)
    base = f"/hamlets/{setup.hamlet.id}/checkin"
    assert team.post(f"{base}/{entries[0].id}?round_no=3").status_code == 404  # never taken for round 1
    assert team.post(f"{base}/{entries[0].id}?round_no=0").status_code == 404
    assert db.session.scalar(db.select(db.func.count(CheckIn.id))) == 0
    refused = team.post(f"{base}/{entries[0].id}?round_no=2")  # no re-vote was ordered: round 2 is not voting
    assert refused.status_code == 422 and "Vòng 2 chưa khai mạc" in refused.get_json()["errors"]["rule"]
    assert team.post(f"{base}/{entries[0].id}?round_no=1").get_json()["created"]
    round_one = team.get(f"{base}/turnout?round_no=1").get_json()
    round_two = team.get(f"{base}/turnout?round_no=2").get_json()
    assert (round_one["present"], round_two["present"]) == (1, 0)
