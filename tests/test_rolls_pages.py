"""Roll pages: search, edit/add/delete with the fingerprint kept current, XLSX export, the printed roll."""
from __future__ import annotations

import io
from datetime import date

import pypdfium2 as pdfium
from factories_ballots import csv_bytes, import_through_pages, roll_rows

from core.citizen_id import make_citizen_id
from election.models import VoterEntry, VoterRoll
from election.rolls import roll_fingerprint, short_fingerprint
from extensions import db


def _roll() -> VoterRoll:
    db.session.expire_all()
    return db.session.scalar(db.select(VoterRoll))


def _recomputed(roll: VoterRoll) -> str:
    rows = db.session.execute(db.select(VoterEntry.household_no, VoterEntry.full_name, VoterEntry.citizen_id)
                              .where(VoterEntry.roll_id == roll.id)).all()
    return roll_fingerprint(rows)


def test_search_without_diacritics_by_citizen_id_and_household(ready, login, client):
    setup = ready()
    login(setup.committee)
    rows = roll_rows(8)
    import_through_pages(client, setup.hamlet, csv_bytes(rows))
    url = f"/hamlets/{setup.hamlet.id}/roll"
    assert "Đặng Văn Ước" in client.get(url + "?q=dang van uoc").get_data(as_text=True)
    by_id = client.get(url + f"?q={rows[2][3]}").get_data(as_text=True)
    assert rows[2][2] in by_id and rows[3][2] not in by_id
    assert rows[4][2] in client.get(url + "?q=005").get_data(as_text=True)


def test_edit_add_delete_recompute_fingerprint_and_count(ready, login, client):
    setup = ready()
    login(setup.committee)
    import_through_pages(client, setup.hamlet, csv_bytes(roll_rows(3)))
    roll = _roll()
    entry = db.session.scalar(db.select(VoterEntry).where(VoterEntry.household_no == "001"))
    born = date(1980, 5, 6)
    response = client.post(f"/hamlets/{setup.hamlet.id}/roll/entries/{entry.id}", data={
        "household_no": "001", "full_name": "Ngô Thị Hồng", "citizen_id": make_citizen_id("051", born, "female", 77),
        "birth_date": "1980-05-06", "sex": "female", "address": "Xóm 2"})
    assert response.status_code == 302
    roll = _roll()
    assert roll.fingerprint == _recomputed(roll)
    client.post(f"/hamlets/{setup.hamlet.id}/roll/entries/new", data={
        "household_no": "099", "full_name": "Mai Văn Tư", "citizen_id": make_citizen_id("051", born, "male", 78),
        "birth_date": "1980-05-06", "sex": "male"})
    roll = _roll()
    assert roll.entry_count == 4 and roll.fingerprint == _recomputed(roll)
    last = db.session.scalar(db.select(VoterEntry).where(VoterEntry.household_no == "099"))
    client.post(f"/hamlets/{setup.hamlet.id}/roll/entries/{last.id}/delete")
    roll = _roll()
    assert roll.entry_count == 3 and roll.fingerprint == _recomputed(roll)


def test_adding_a_duplicate_household_or_a_minor_is_refused(ready, login, client):
    setup = ready()
    login(setup.committee)
    import_through_pages(client, setup.hamlet, csv_bytes(roll_rows(2)))
    born = date(2010, 1, 1)
    page = client.post(f"/hamlets/{setup.hamlet.id}/roll/entries/new", data={
        "household_no": "001", "full_name": "Mai Văn Tư", "citizen_id": make_citizen_id("051", born, "male", 79),
        "birth_date": "2010-01-01", "sex": "male"}).get_data(as_text=True)
    assert "Số hộ này đã có" in page and "Chưa đủ 18 tuổi" in page
    assert _roll().entry_count == 2


def test_export_xlsx_reimports_to_the_same_fingerprint(ready, login, client):
    setup = ready()
    login(setup.committee)
    import_through_pages(client, setup.hamlet, csv_bytes(roll_rows(6)))
    before = _roll().fingerprint
    exported = client.get(f"/hamlets/{setup.hamlet.id}/roll.xlsx")
    assert exported.status_code == 200 and exported.data[:2] == b"PK"
    import_through_pages(client, setup.hamlet, exported.data, "export.xlsx")
    assert _roll().fingerprint == before


def test_printed_roll_carries_title_names_and_fingerprint(ready, login, client):
    setup = ready()
    login(setup.committee)
    import_through_pages(client, setup.hamlet, csv_bytes(roll_rows(5)))
    response = client.get(f"/hamlets/{setup.hamlet.id}/roll.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = pdfium.PdfDocument(io.BytesIO(response.data).getvalue())
    text = "".join(page.get_textpage().get_text_range() for page in pdf)
    assert "DANH SÁCH CỬ TRI ĐẠI DIỆN HỘ GIA ĐÌNH" in text
    assert "Trần Thị Bích Ngọc" in text
    assert short_fingerprint(_roll().fingerprint) in text


def test_observer_reads_but_cannot_edit(ready, make_user, login, client):
    from core.accounts import Role

    setup = ready()
    observer = make_user(Role.OBSERVER, district=setup.commune.district)
    login(observer)
    assert client.get(f"/hamlets/{setup.hamlet.id}/roll").status_code == 200
    assert client.get(f"/hamlets/{setup.hamlet.id}/roll/entries/new").status_code == 403
