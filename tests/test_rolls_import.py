"""Voter-roll import through the pages: preview every problem by row, commit all or nothing, re-import replaces."""
from __future__ import annotations

import io

import pytest
from factories_ballots import HEADERS_ASCII, csv_bytes, import_through_pages, roll_rows, upload, xlsx_bytes

from core.accounts import Role
from core.audit import AuditEntry
from election.models import CheckIn, Poll, VoterEntry, VoterRoll
from election.rolls import roll_fingerprint, short_fingerprint
from election.service import check_in
from extensions import db


def _entries(hamlet) -> list[VoterEntry]:
    return list(db.session.scalars(db.select(VoterEntry).join(VoterRoll).where(VoterRoll.hamlet_id == hamlet.id)
                                   .order_by(VoterEntry.household_no)))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1258"])
def test_good_csv_in_each_encoding_is_imported_with_diacritics(encoding, ready, login, client):
    setup = ready()
    login(setup.committee)
    rows = roll_rows(12)
    response = import_through_pages(client, setup.hamlet, csv_bytes(rows, encoding), "danh-sach.csv")
    assert response.status_code == 302
    entries = _entries(setup.hamlet)
    assert len(entries) == 12
    assert {e.full_name for e in entries} >= {"Trần Thị Bích Ngọc", "Đặng Văn Ước", "Phạm Thị Ánh Tuyết"}
    roll = db.session.scalar(db.select(VoterRoll))
    assert roll.entry_count == 12
    assert roll.fingerprint == roll_fingerprint((r[1], r[2], r[3]) for r in rows)


def test_ascii_headers_and_semicolons_are_understood(ready, login, client):
    setup = ready()
    login(setup.committee)
    data = csv_bytes(roll_rows(5), headers=HEADERS_ASCII, delimiter=";")
    assert import_through_pages(client, setup.hamlet, data).status_code == 302
    assert len(_entries(setup.hamlet)) == 5


@pytest.mark.parametrize("excel_dates", [True, False], ids=["excel-dates", "text-dates"])
def test_good_xlsx_is_imported(excel_dates, ready, login, client):
    setup = ready()
    login(setup.committee)
    data = xlsx_bytes(roll_rows(9), excel_dates=excel_dates)
    assert import_through_pages(client, setup.hamlet, data, "danh-sach.xlsx").status_code == 302
    entries = _entries(setup.hamlet)
    assert len(entries) == 9 and all(e.birth_date for e in entries)
    assert entries[0].citizen_id.startswith("0")  # leading zero kept


def _bad_rows() -> list[list]:
    rows = roll_rows(6)
    rows[0][2] = ""  # missing name
    rows[1][3] = "12345"  # invalid citizen ID
    rows[3][1] = rows[2][1]  # duplicate household
    rows[4][4] = "01/01/2015"  # under 18 on election day
    return rows


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_bad_file_preview_lists_every_problem_by_row_and_changes_nothing(fmt, ready, login, client):
    setup = ready()
    login(setup.committee)
    good = roll_rows(4, start=50)
    assert import_through_pages(client, setup.hamlet, csv_bytes(good)).status_code == 302
    before = [(e.household_no, e.full_name) for e in _entries(setup.hamlet)]
    audit_before = db.session.scalar(db.select(db.func.count(AuditEntry.id)))

    data = csv_bytes(_bad_rows()) if fmt == "csv" else xlsx_bytes(_bad_rows())
    response, token = upload(client, setup.hamlet, data, f"sai.{fmt}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert token is None  # no commit button for a file with errors
    assert "Thiếu họ và tên" in page
    assert "Số hộ «003» trùng" in page
    assert "chưa đủ 18 tuổi" in page
    assert "chưa nhập dòng nào" in page
    assert [(e.household_no, e.full_name) for e in _entries(setup.hamlet)] == before
    assert db.session.scalar(db.select(db.func.count(AuditEntry.id))) == audit_before


def test_person_registered_in_another_hamlet_is_reported(ready, make_hamlet, make_person, login, client):
    setup = ready()
    other = make_hamlet("Tân Hy", setup.commune)
    elsewhere = make_person("Lý Văn Khải", other)
    rows = roll_rows(3)
    rows[1][2], rows[1][3] = elsewhere.full_name, elsewhere.citizen_id
    rows[1][4], rows[1][5] = elsewhere.birth_date.strftime("%d/%m/%Y"), "Nam"
    login(setup.committee)
    response, token = upload(client, setup.hamlet, csv_bytes(rows), "ds.csv")
    assert token is None
    assert "Tân Hy" in response.get_data(as_text=True)


def test_commit_rechecks_the_kept_file_and_a_forged_token_is_refused(ready, login, client):
    setup = ready()
    login(setup.committee)
    response = client.post(f"/hamlets/{setup.hamlet.id}/roll/import/{'x' * 32}", follow_redirects=True)
    assert "không còn" in response.get_data(as_text=True)
    assert _entries(setup.hamlet) == []


def test_reimport_replaces_without_duplicates(ready, login, client):
    setup = ready()
    login(setup.committee)
    import_through_pages(client, setup.hamlet, csv_bytes(roll_rows(10)))
    first = db.session.scalar(db.select(VoterRoll.fingerprint))
    import_through_pages(client, setup.hamlet, csv_bytes(roll_rows(7, start=3)))
    entries = _entries(setup.hamlet)
    assert [e.household_no for e in entries] == [f"{i:03d}" for i in range(3, 10)]
    roll = db.session.scalar(db.select(VoterRoll))
    assert roll.entry_count == 7 and roll.fingerprint != first
    summaries = db.session.scalars(db.select(AuditEntry.summary).where(AuditEntry.record_type == "VoterRoll",
                                                                       AuditEntry.action == "event")).all()
    assert len(summaries) == 2 and "thay 10 hộ" in summaries[1]


def test_reimport_is_refused_once_households_checked_in(ready, login, client):
    setup = ready()
    login(setup.committee)
    import_through_pages(client, setup.hamlet, csv_bytes(roll_rows(4)))
    poll = Poll.get_or_create(setup.term, setup.hamlet, 1)
    poll.open(4, poll.term.election_day)
    db.session.flush()
    check_in(poll, _entries(setup.hamlet)[0], None)
    db.session.commit()
    page = client.get(f"/hamlets/{setup.hamlet.id}/roll/import").get_data(as_text=True)
    assert "không thể nhập lại" in page
    response, token = upload(client, setup.hamlet, csv_bytes(roll_rows(6)), "ds.csv")
    assert token is None
    assert len(_entries(setup.hamlet)) == 4 and db.session.scalar(db.select(db.func.count(CheckIn.id))) == 1


def test_unreadable_file_shows_a_vietnamese_message(ready, login, client):
    setup = ready()
    login(setup.committee)
    response, token = upload(client, setup.hamlet, b"a,b\n1,2\n", "x.csv")
    assert token is None and "Không tìm thấy dòng tiêu đề" in response.get_data(as_text=True)


def test_other_commune_and_polling_team_cannot_import(ready, make_commune, make_user, login, client):
    setup = ready()
    other = make_user(Role.COMMUNE_COMMITTEE, commune=make_commune("Bình Trị", district=setup.commune.district))
    login(other)
    assert client.get(f"/hamlets/{setup.hamlet.id}/roll/import").status_code == 404
    assert client.get(f"/hamlets/{setup.hamlet.id}/roll").status_code == 404
    client.post("/logout")
    login(setup.team)
    assert client.get(f"/hamlets/{setup.hamlet.id}/roll/import").status_code == 403


def test_template_downloads(ready, login, client):
    setup = ready()
    login(setup.committee)
    csv_template = client.get("/roll-template.csv")
    assert csv_template.data.startswith(b"\xef\xbb\xbf") and "Họ và tên" in csv_template.data.decode("utf-8-sig")
    xlsx = client.get("/roll-template.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"


def test_api_import_json_rows_all_or_nothing(ready, make_user, client):
    from core.accounts import ApiToken

    setup = ready()
    record, token = ApiToken.issue(setup.committee, "test")
    db.session.add(record)
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    rows = [{"household_no": r[1], "full_name": r[2], "citizen_id": r[3], "birth_date": r[4], "sex": r[5]}
            for r in roll_rows(5)]
    bad = [dict(rows[0]), *rows[1:]]
    bad[0]["citizen_id"] = "1"
    response = client.post(f"/api/v1/hamlets/{setup.hamlet.id}/roll", json={"rows": bad}, headers=headers)
    assert response.status_code == 422 and response.get_json()["problems"][0]["line"] == 1
    assert _entries(setup.hamlet) == []
    response = client.post(f"/api/v1/hamlets/{setup.hamlet.id}/roll", json={"rows": rows}, headers=headers)
    assert response.status_code == 200 and response.get_json()["imported"]
    listing = client.get(f"/api/v1/hamlets/{setup.hamlet.id}/roll?q=uoc", headers=headers).get_json()
    assert listing["entries"] == 5 and [i["full_name"] for i in listing["items"]] == ["Đặng Văn Ước"]
    multipart = client.post(f"/api/v1/hamlets/{setup.hamlet.id}/roll", headers=headers,
                            data={"file": (io.BytesIO(csv_bytes(roll_rows(3))), "a.csv"), "dry_run": "true"},
                            content_type="multipart/form-data")
    assert multipart.get_json()["ok"] and not multipart.get_json()["imported"]
    assert short_fingerprint(listing["fingerprint"]) == listing["short_fingerprint"]
