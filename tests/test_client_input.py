"""Nothing a client sends gives a 500 (issue 14, part 6): ids beyond the database's integer, control characters,
unknown enum values, deep or huge JSON, a long QR text, a wrong method, paging out of range. Each case once on its
own; tests/test_api_fuzz.py sweeps the whole API."""
from __future__ import annotations

import io

import pytest
from factories_ballots import client_for, csv_bytes, import_through_pages, roll_rows

from core.accounts import Role
from core.bounds import DB_INT_MAX, MAX_JSON_DEPTH
from election.models import VoterEntry
from extensions import db

BIG = 99_999_999_999


@pytest.fixture
def token(make_user, api_headers):
    return api_headers(make_user(Role.ADMIN))


@pytest.mark.parametrize("path", [f"/api/v1/people/{BIG}", f"/api/v1/hamlets/{BIG}", f"/api/v1/communes/{DB_INT_MAX + 1}",
                                  f"/api/v1/hamlets/{BIG}/roll", "/api/v1/people/9" + "9" * 5000])
def test_an_api_id_beyond_the_database_integer_is_not_found(client, token, path):
    response = client.get(path, headers=token)
    assert response.status_code == 404 and "error" in response.get_json()


def test_a_page_id_beyond_the_database_integer_is_not_found(client, login, make_user, make_hamlet):
    login(make_user(Role.ADMIN))
    assert client.get(f"/hamlets/{BIG}/roll").status_code == 404
    assert client.get(f"/hamlets/{DB_INT_MAX}/roll").status_code == 404  # the largest id still matches the route


def test_an_id_beyond_the_integer_in_the_query_is_not_found(client, token):
    assert client.get(f"/api/v1/hamlets?commune_id={BIG}", headers=token).status_code == 404
    assert client.get("/api/v1/hamlets?commune_id=" + "1" * 5000, headers=token).status_code == 404


def test_a_year_beyond_the_calendar_is_not_found(client, login, make_user, make_term, make_commune):
    make_term(make_commune().district)
    login(make_user(Role.ADMIN))
    assert client.get("/chapters/dashboard/report.pdf?year=99999").status_code == 404
    assert client.get("/chapters/dashboard/report.pdf?year=2025").status_code == 200


def test_a_wrong_method_answers_405_with_allow(client, token):
    response = client.delete("/api/v1/rules/count")
    assert response.status_code == 405 and "POST" in response.headers["Allow"]
    # …but a wrong method on an id beyond the integer is a missing record, not a 405.
    assert client.post(f"/api/v1/hamlets/{BIG}/roll", headers=token).status_code == 404


def test_nul_in_an_api_search_answers_422(client, token):
    response = client.get("/api/v1/people?q=Nguy%00n", headers=token)
    assert response.status_code == 422 and "q" in response.get_json()["errors"]


def test_nul_in_a_page_search_answers_400_in_vietnamese(client, login, make_user):
    login(make_user(Role.ADMIN))
    response = client.get("/people?q=Nguy%00n")
    assert response.status_code == 400
    assert "ký tự điều khiển" in response.get_data(as_text=True)


def test_nul_in_the_checkin_search_answers_400_not_500(ready, app):
    setup = ready()
    team = client_for(app, setup.team)
    assert team.get(f"/hamlets/{setup.hamlet.id}/checkin/search?q=%00").status_code == 400
    assert team.get(f"/hamlets/{setup.hamlet.id}/checkin/search?q=an").status_code == 200


def test_control_characters_in_a_form_field_are_refused(client, login, make_user):
    login(make_user(Role.ADMIN))
    assert client.post("/login", data={"username": "a\x00b", "password": "x"}).status_code == 400


def test_a_file_upload_may_hold_any_byte(ready, app):
    """File content is not a form field: a roll whose bytes include NUL still reaches the importer."""
    setup = ready()
    committee = client_for(app, setup.committee)
    import_through_pages(committee, setup.hamlet, csv_bytes(roll_rows(3)))
    assert db.session.scalar(db.select(db.func.count(VoterEntry.id))) == 3
    response = committee.post(f"/hamlets/{setup.hamlet.id}/roll/import", content_type="multipart/form-data",
                              data={"file": (io.BytesIO(b"\x00\x01binary\x00"), "ds.csv")})
    assert response.status_code != 500 and "ký tự điều khiển" not in response.get_data(as_text=True)


def test_an_unknown_enum_answers_422_listing_the_allowed_values(client, token):
    response = client.get("/api/v1/training/courses?kind=x", headers=token)
    assert response.status_code == 422
    message = response.get_json()["errors"]["kind"]
    assert "party_work" in message
    assert client.get("/api/v1/exception-requests?state=nope", headers=token).status_code == 422


@pytest.mark.parametrize("path", ["/api/v1/rules/eligibility", "/api/v1/rules/count"])
def test_deeply_nested_json_answers_422(client, path):
    for depth in (MAX_JSON_DEPTH + 1, 100_000):
        body = '{"post": ' + "[" * depth + "]" * depth + "}"
        response = client.post(path, data=body, content_type="application/json")
        assert response.status_code == 422, depth
        assert "body" in response.get_json()["errors"]


@pytest.mark.parametrize("number", ["1" + "0" * 5000, str(DB_INT_MAX + 1), "1e400", "1e16", "NaN", "-Infinity"])
def test_huge_numbers_on_the_calculators_answer_422(client, number):
    body = ('{"mode": "meeting", "total_households": NUMBER, "households_present": 1, "ballots_issued": 1, '
            '"ballots_returned": 1, "valid_ballots": 1, "invalid_ballots": 0, "seats": 1, '
            '"candidates": [{"id": "A", "votes": 1}]}').replace("NUMBER", number)
    response = client.post("/api/v1/rules/count", data=body, content_type="application/json")
    assert response.status_code == 422


def test_a_string_with_nul_in_json_answers_422(client):
    response = client.post("/api/v1/rules/eligibility", data='{"post": "hamlet_chief\\u0000"}',
                           content_type="application/json")
    assert response.status_code == 422
    response = client.post("/api/v1/rules/eligibility", data='{"post": "\\ud800"}', content_type="application/json")
    assert response.status_code == 422


def test_a_long_qr_text_answers_422_before_decoding(client, token, election, make_user, api_headers):
    digits = "DT" + "9" * 5000 + ".X"
    response = client.post("/api/v1/ballots/verify", json={"text": digits}, headers=token)
    assert response.status_code == 422 and "text" in response.get_json()["errors"]
    setup = election()
    team = api_headers(setup.team_a)
    for path in (f"/api/v1/polls/{setup.poll.id}/scans/check", f"/api/v1/polls/{setup.poll.id}/scans"):
        response = client.post(path, json={"text": digits, "choice": "agree"},
                               headers={**team, "Idempotency-Key": "k1"})
        assert response.status_code == 422, path


def test_a_qr_with_a_5000_digit_version_is_malformed_not_a_crash(client, token):
    response = client.post("/api/v1/ballots/verify", json={"text": "DT" + "9" * 900 + ".AAAA"}, headers=token)
    assert response.status_code == 200 and response.get_json()["results"][0]["code"] == "malformed"


@pytest.mark.parametrize("query", ["page=0", "page=-1", "page=x", "per_page=0", "per_page=501", f"page={BIG}"])
def test_api_paging_out_of_range_answers_422(client, token, query):
    response = client.get(f"/api/v1/communes?{query}", headers=token)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) <= {"page", "per_page"}


def test_page_paging_out_of_range_is_not_found(client, login, make_user):
    login(make_user(Role.ADMIN))
    assert client.get("/people?page=0").status_code == 404
    assert client.get(f"/people?page={BIG}").status_code == 404
    assert client.get("/people?page=x").status_code == 200  # a malformed number reads as the first page
    assert client.get("/people?page=2").status_code == 200


def test_openapi_lists_the_status_codes_each_operation_returns(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/people/{person_id}"]["get"]["responses"]) == {"200", "401", "403", "404", "422"}
    scans = paths["/polls/{poll_id}/scans"]["post"]["responses"]
    assert {"201", "401", "403", "404", "409", "422"} <= set(scans)
    assert set(paths["/rules/count"]["post"]["responses"]) == {"200", "422"}
    person_id = paths["/people/{person_id}"]["get"]["parameters"][-1]
    assert person_id["schema"]["maximum"] == DB_INT_MAX
    kinds = next(p for p in paths["/training/courses"]["get"]["parameters"] if p["name"] == "kind")
    assert "party_work" in kinds["schema"]["enum"]
