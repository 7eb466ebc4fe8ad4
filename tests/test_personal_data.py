"""Personal data by role (issue 14, parts 5 and 9): the whole citizen ID and birth date only where a role needs
them (Decree 13/2023/NĐ-CP), every export of whole citizen IDs audited, and the roll's duplicate check naming no
hamlet of another commune."""
from __future__ import annotations

import io
from datetime import date

import pypdfium2 as pdfium
from factories_ballots import client_for, csv_bytes, import_through_pages, roll_rows, upload
from openpyxl import load_workbook

from core.accounts import Role
from core.audit import AuditEntry
from core.citizen_id import masked
from extensions import db


def test_masked_keeps_the_last_four_digits():
    assert masked("051070000123") == "••••••••0123"
    assert masked("") == "" and masked(None) == ""
    assert masked("12") == "••"


def _rows_with(person) -> list[list]:
    rows = roll_rows(3)
    rows[1][2], rows[1][3] = person.full_name, person.citizen_id
    rows[1][4], rows[1][5] = person.birth_date.strftime("%d/%m/%Y"), "Nam"
    return rows


def test_roll_check_names_no_hamlet_of_another_commune(ready, make_commune, make_hamlet, make_person, make_user,
                                                       app):
    setup = ready()
    other_commune = make_commune("Bình Thạnh", district=setup.commune.district)
    elsewhere = make_person("Lý Văn Khải", make_hamlet("Tân Hy", other_commune))
    data = csv_bytes(_rows_with(elsewhere))

    committee = client_for(app, setup.committee)
    text = upload(committee, setup.hamlet, data, "ds.csv")[0].get_data(as_text=True)
    assert "đã có trong danh sách cử tri của một thôn khác" in text
    assert "Tân Hy" not in text and "Bình Thạnh" not in text

    office = client_for(app, make_user(Role.DISTRICT_OFFICE, district=setup.commune.district))
    text = upload(office, setup.hamlet, data, "ds.csv")[0].get_data(as_text=True)
    assert "Tân Hy (Bình Thạnh)" in text  # the district office may see where


def test_roll_check_names_a_hamlet_of_the_users_own_commune(ready, make_hamlet, make_person, app):
    setup = ready()
    elsewhere = make_person("Lý Văn Khải", make_hamlet("Tân Hy", setup.commune))
    response, _ = upload(client_for(app, setup.committee), setup.hamlet, csv_bytes(_rows_with(elsewhere)), "ds.csv")
    assert "Tân Hy" in response.get_data(as_text=True)


def test_observer_sees_masked_citizen_ids_and_birth_years_only(ready, make_user, app, api_headers, client):
    setup = ready(names=("Nguyễn Thị Ánh Tuyết",))
    person = setup.people[0]
    observer = make_user(Role.OBSERVER, district=setup.commune.district)
    pages = client_for(app, observer)
    for url in ("/people", f"/people/{person.id}"):
        text = pages.get(url).get_data(as_text=True)
        assert person.full_name in text, url
        assert person.citizen_id not in text and masked(person.citizen_id) in text, url
        assert person.birth_date.strftime("%d/%m/%Y") not in text, url
    headers = api_headers(observer)
    for item in (client.get("/api/v1/people", headers=headers).get_json()["items"][0],
                 client.get(f"/api/v1/people/{person.id}", headers=headers).get_json()):
        assert item["citizen_id"] == masked(person.citizen_id)
        assert item["birth_year"] == person.birth_date.year and "birth_date" not in item
    # Nor can a prefix search spell the number out digit by digit; the whole number still finds the person.
    prefix = client.get(f"/api/v1/people?q={person.citizen_id[:9]}", headers=headers).get_json()
    assert prefix["total"] == 0
    assert client.get(f"/api/v1/people?q={person.citizen_id}", headers=headers).get_json()["total"] == 1

    # The commune committee, which registers candidates, sees the whole number and date.
    committee = client_for(app, setup.committee)
    text = committee.get(f"/people/{person.id}").get_data(as_text=True)
    assert person.citizen_id in text and person.birth_date.strftime("%d/%m/%Y") in text


def test_polling_team_api_returns_masked_citizen_ids(ready, app, api_headers, client):
    setup = ready()
    import_through_pages(client_for(app, setup.committee), setup.hamlet, csv_bytes(roll_rows(4)))
    full_ids = [row[3] for row in roll_rows(4)]
    team = client.get(f"/api/v1/hamlets/{setup.hamlet.id}/roll", headers=api_headers(setup.team)).get_json()
    assert sorted(item["citizen_id"] for item in team["items"]) == sorted(masked(cid) for cid in full_ids)
    committee = client.get(f"/api/v1/hamlets/{setup.hamlet.id}/roll",
                           headers=api_headers(setup.committee)).get_json()
    assert sorted(item["citizen_id"] for item in committee["items"]) == sorted(full_ids)
    body = client.get(f"/api/v1/people?q={setup.people[0].citizen_id[:6]}",
                      headers=api_headers(setup.team)).get_data(as_text=True)
    assert setup.people[0].citizen_id not in body


def test_the_polling_team_finds_a_citizen_id_only_whole_never_by_its_first_digits(ready, app, api_headers, client):
    """The team sees the last 4 digits; a prefix search would let it read the others one query at a time."""
    setup = ready()
    import_through_pages(client_for(app, setup.committee), setup.hamlet, csv_bytes(roll_rows(4)))
    full = roll_rows(4)[0][3]
    url = f"/api/v1/hamlets/{setup.hamlet.id}/roll?q="

    def found(user, q):
        return client.get(url + q, headers=api_headers(user)).get_json()["total"]

    assert found(setup.team, full[:9]) == 0 and found(setup.team, full) == 1
    assert found(setup.committee, full[:9]) >= 1  # the committee sees whole numbers and may search by prefix


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.get_textpage().get_text_range() for page in pdfium.PdfDocument(data))


def test_roll_printed_for_posting_masks_citizen_ids(ready, app):
    setup = ready()
    committee = client_for(app, setup.committee)
    import_through_pages(committee, setup.hamlet, csv_bytes(roll_rows(3)))
    text = _pdf_text(committee.get(f"/hamlets/{setup.hamlet.id}/roll.pdf").data)
    for row in roll_rows(3):
        assert row[3] not in text and row[3][-4:] in text


def _export_entries() -> list[AuditEntry]:
    return list(db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "export")))


def test_roll_export_full_ids_for_the_committee_audited_masked_for_the_observer(ready, make_user, app):
    setup = ready()
    committee = client_for(app, setup.committee)
    import_through_pages(committee, setup.hamlet, csv_bytes(roll_rows(3)))
    full_ids = {row[3] for row in roll_rows(3)}

    response = committee.get(f"/hamlets/{setup.hamlet.id}/roll.xlsx")
    cells = {str(c.value) for row in load_workbook(io.BytesIO(response.data)).active.iter_rows() for c in row}
    assert full_ids <= cells
    [entry] = _export_entries()
    assert entry.user_id == setup.committee.id and entry.record_type == "VoterRoll"
    assert "đủ số định danh của 3 hộ" in entry.summary and setup.hamlet.name in entry.summary

    observer = client_for(app, make_user(Role.OBSERVER, district=setup.commune.district))
    response = observer.get(f"/hamlets/{setup.hamlet.id}/roll.xlsx")
    cells = {str(c.value) for row in load_workbook(io.BytesIO(response.data)).active.iter_rows() for c in row}
    assert not full_ids & cells and {masked(cid) for cid in full_ids} <= cells
    assert not {date(1951, 2, 2), "1951-02-02 00:00:00"} & cells
    assert len(_export_entries()) == 1  # nothing whole left the server: nothing to record
