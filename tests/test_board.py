"""The district's live board: JSON, scoping by role, page, exports, public count calculator and health."""
from __future__ import annotations

import io

import sqlalchemy as sa
from factories_counting import client_for, enter_twice, figures
from openpyxl import load_workbook

from core.accounts import Role
from extensions import db


def two_communes(election, make_commune):
    first = election(households=100, present=80)
    enter_twice(first, figures(first, 80, 80, 80, 0, 60, 20))
    other = make_commune("Bình Thuận", district=first.hamlet.commune.district)
    second = election(households=50, present=20, counting=False, commune=other, hamlet_name="Phú Long")
    return first, second


def test_board_json_lists_every_hamlet_with_status_turnout_and_result(app, election, make_commune, make_user):
    first, second = two_communes(election, make_commune)
    office = make_user(Role.DISTRICT_OFFICE, district=first.hamlet.commune.district)
    data = client_for(app, office).get("/board.json").get_json()
    rows = {r["hamlet"]: r for r in data["rows"]}
    assert rows["An Phú"]["status"] == "submitted" and rows["An Phú"]["winner"] == "Nguyễn Thị Ánh Tuyết"
    assert rows["An Phú"]["turnout"] == 0.8 and rows["An Phú"]["quorum_met"] is True
    assert rows["Phú Long"]["status"] == "voting" and rows["Phú Long"]["quorum_met"] is False
    assert rows["Phú Long"]["quorum_needed"] == 26
    assert data["summary"]["hamlets"] == 2 and data["summary"]["elected"] == 1


def test_board_filters_by_commune(app, election, make_commune, make_user):
    first, second = two_communes(election, make_commune)
    office = make_user(Role.OBSERVER, district=first.hamlet.commune.district)
    data = client_for(app, office).get(f"/board.json?commune_id={second.hamlet.commune_id}").get_json()
    assert [r["hamlet"] for r in data["rows"]] == ["Phú Long"]


def test_commune_user_sees_only_their_commune(app, election, make_commune):
    first, second = two_communes(election, make_commune)
    data = client_for(app, second.committee).get("/board.json").get_json()
    assert [r["hamlet"] for r in data["rows"]] == ["Phú Long"]
    data = client_for(app, second.committee).get(f"/board.json?commune_id={first.hamlet.commune_id}").get_json()
    assert data["rows"] == []


def test_board_page_is_the_menu_entry_and_refreshes_itself(app, election, make_commune, make_user):
    first, _ = two_communes(election, make_commune)
    office = make_user(Role.DISTRICT_OFFICE, district=first.hamlet.commune.district)
    page = client_for(app, office).get("/board").get_data(as_text=True)
    assert 'Ngày bầu cử</a>' in page and "/static/board.js" in page and "board.json" in page
    # The page paints before its rows: they come from board.json, fetched by the script at once (a province's
    # 1,800 hamlets would hold the first paint back), then every refresh.
    assert '"rows": null' in page and "An Phú" not in page and "Bình Thuận" in page  # the commune filter is there
    script = client_for(app, office).get("/static/board.js").get_data(as_text=True)
    assert "setInterval" in script and "if (initial.rows) render(initial); else refresh();" in script


def test_board_exports_csv_and_xlsx(app, election, make_commune, make_user):
    first, _ = two_communes(election, make_commune)
    office = make_user(Role.DISTRICT_OFFICE, district=first.hamlet.commune.district)
    client = client_for(app, office)
    csv_text = client.get("/board.csv").get_data(as_text=True)
    assert "Thôn, TDP" in csv_text and "Nguyễn Thị Ánh Tuyết" in csv_text
    book = load_workbook(io.BytesIO(client.get("/board.xlsx").data))
    values = [[c.value for c in row] for row in book.active.iter_rows()]
    assert values[0][1] == "Thôn, TDP" and any("An Phú" in row for row in values)


def test_board_api_needs_a_token_and_is_scoped(app, election, make_commune):
    from core.accounts import ApiToken

    first, second = two_communes(election, make_commune)
    assert app.test_client().get("/api/v1/board").status_code == 401
    record, token = ApiToken.issue(second.committee, "thử")
    db.session.add(record)
    db.session.commit()
    data = app.test_client().get("/api/v1/board", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [r["hamlet"] for r in data["rows"]] == ["Phú Long"]


def test_public_count_calculator_matches_api_md(client):
    body = {"mode": "meeting", "total_households": 310, "households_present": 216, "ballots_issued": 216,
            "ballots_returned": 214, "valid_ballots": 210, "invalid_ballots": 4, "seats": 1,
            "candidates": [{"id": "A", "votes": 150}, {"id": "B", "votes": 60}], "against": 0}
    data = client.post("/api/v1/rules/count", json=body).get_json()
    assert data["outcome"] == "no_winner" and data["quorum_met"] is True
    assert data["shares"]["A"] == {"of_total_households": 0.4839, "of_present": 0.6944, "of_valid_ballots": 0.7143}
    bad = client.post("/api/v1/rules/count", json={"mode": "meeting"})
    assert bad.status_code == 422 and "total_households" in bad.get_json()["errors"]


def test_health_and_openapi_document_list_the_counting_routes(client):
    assert client.get("/api/v1/health").get_json() == {"ok": True}
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ["/rules/count", "/polls/{poll_id}/scans", "/polls/{poll_id}/count-entries",
                 "/polls/{poll_id}/outcome", "/board"]:
        assert path in paths, path


def _province(election, make_commune, make_district):
    """Two districts with their own terms: Bình Sơn's two communes (two_communes) and Ba Tơ's, each hamlet polling."""
    first, second = two_communes(election, make_commune)
    far = election(households=40, present=30, counting=False, hamlet_name="Làng Teng",
                   commune=make_commune("Ba Điền", district=make_district("Ba Tơ")))
    return first, second, far


def test_the_admins_board_is_the_provinces_every_district_with_its_own_term(app, election, make_commune,
                                                                            make_district, make_user):
    first, second, far = _province(election, make_commune, make_district)
    assert far.term.id != first.term.id  # each district's own current term
    admin = make_user(Role.ADMIN)
    data = client_for(app, admin).get("/board.json").get_json()
    rows = {r["hamlet"]: r for r in data["rows"]}
    assert list(rows) == ["Làng Teng", "An Phú", "Phú Long"]  # by district, commune, hamlet
    assert (rows["Làng Teng"]["district"], rows["Làng Teng"]["status"], rows["Làng Teng"]["total_households"],
            rows["Làng Teng"]["households_present"]) == ("Ba Tơ", "voting", 40, 30)
    assert rows["An Phú"]["district"] == "Bình Sơn" and rows["An Phú"]["winner"] == "Nguyễn Thị Ánh Tuyết"
    assert data["summary"]["hamlets"] == 3 and data["term"] == first.term.name
    assert [c["name"] for c in data["commune_filter"]] == ["Ba Điền (Ba Tơ)", "Bình Hải (Bình Sơn)",
                                                          "Bình Thuận (Bình Sơn)"]
    book = load_workbook(io.BytesIO(client_for(app, admin).get("/board.xlsx").data))
    assert {row[1].value for row in book.active.iter_rows(min_row=2)} == {"Làng Teng", "An Phú", "Phú Long"}
    # A district's office still sees its district alone.
    office = make_user(Role.DISTRICT_OFFICE, district=first.hamlet.commune.district)
    office_rows = client_for(app, office).get("/board.json").get_json()["rows"]
    assert [r["hamlet"] for r in office_rows] == ["An Phú", "Phú Long"] and "district" not in office_rows[0]


def _queries(client, url: str) -> int:
    count = 0

    def counted(*_args) -> None:
        nonlocal count
        count += 1

    sa.event.listen(db.engine, "before_cursor_execute", counted)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", counted)
    return count


def test_the_boards_queries_do_not_grow_with_its_hamlets_or_districts(app, election, make_commune, make_district,
                                                                     make_user):
    """The province's board (1,800 hamlets) costs the queries of a district's: grouped, not one per hamlet, district
    or term."""
    two_communes(election, make_commune)
    client = client_for(app, make_user(Role.ADMIN))
    one_district = _queries(client, "/board.json")
    for name in ("Ba Tơ", "Trà Bồng"):
        election(households=30, present=20, counting=False, hamlet_name="Làng Teng",
                 commune=make_commune("Ba Điền", district=make_district(name)))
    assert len(client.get("/board.json").get_json()["rows"]) == 4
    assert _queries(client, "/board.json") == one_district
