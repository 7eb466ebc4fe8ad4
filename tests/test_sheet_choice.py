"""Which sheet an import reads: the visible one with the list, never a hidden one silently; when several visible
sheets hold a list, the user chooses (pages and API); the district's configured limits bound every upload."""
from __future__ import annotations

import io
import re

from factories_ballots import HEADERS_VI, roll_rows, upload
from hostile_files import book

from candidates.imports import TEMPLATE_HEADERS
from candidates.models import Candidacy
from core.accounts import ApiToken, Role
from core.audit import AuditEntry
from core.models import District
from election.models import VoterEntry, VoterRoll
from extensions import db


def _roll(n: int, start: int = 1) -> list[list]:
    return [HEADERS_VI, *roll_rows(n, start=start)]


def _households(hamlet) -> list[str]:
    return sorted(db.session.scalars(db.select(VoterEntry.household_no).join(VoterRoll)
                                     .where(VoterRoll.hamlet_id == hamlet.id)))


def test_a_hidden_first_sheet_is_left_aside_and_named_and_can_be_previewed_on_purpose(ready, login, client):
    setup = ready()
    login(setup.committee)
    data = book(("Năm 2019", "hidden", _roll(5, start=100)), ("Năm 2025", "visible", _roll(3)), active=1)
    response, token = upload(client, setup.hamlet, data, "ds.xlsx")
    page = response.get_data(as_text=True)
    assert token and "3 hộ sẽ được nhập" in page
    assert "Đã đọc trang «Năm 2025»." in page and "«Năm 2019» (trang ẩn)" in page
    hidden = client.get(f"/hamlets/{setup.hamlet.id}/roll/import/{token}?sheet=Năm 2019").get_data(as_text=True)
    assert "5 hộ sẽ được nhập" in hidden and 'name="sheet" value="Năm 2019"' in hidden
    client.post(f"/hamlets/{setup.hamlet.id}/roll/import/{token}")  # the commit reads the default sheet again
    assert _households(setup.hamlet) == ["001", "002", "003"]


def test_an_instructions_sheet_beside_the_roll_asks_nothing(ready, login, client):
    setup = ready()
    login(setup.committee)
    data = book(("Hướng dẫn", "visible", [["Mỗi dòng một hộ."], ["Ngày sinh: ngày/tháng/năm."]]),
                     ("Danh sách", "visible", _roll(4)), active=0)
    response, token = upload(client, setup.hamlet, data, "ds.xlsx")
    assert token and "4 hộ sẽ được nhập" in response.get_data(as_text=True)


def test_two_visible_rolls_make_the_committee_choose_and_the_choice_is_what_is_imported(ready, login, client):
    setup = ready()
    login(setup.committee)
    data = book(("Đợt 1", "visible", _roll(3)), ("Đợt 2", "visible", _roll(6, start=10)), active=0)
    response, token = upload(client, setup.hamlet, data, "ds.xlsx")
    page = response.get_data(as_text=True)
    assert "Tệp có 2 trang tính có danh sách («Đợt 1», «Đợt 2»): hãy chọn trang cần nhập." in page
    token = re.search(r"/roll/import/([A-Za-z0-9_-]{20,})", page).group(1)
    assert 'value="Đợt 2"' in page and _households(setup.hamlet) == []
    preview = client.get(f"/hamlets/{setup.hamlet.id}/roll/import/{token}?sheet=Đợt 2").get_data(as_text=True)
    assert "6 hộ sẽ được nhập" in preview
    client.post(f"/hamlets/{setup.hamlet.id}/roll/import/{token}", data={"sheet": "Đợt 2"})
    assert _households(setup.hamlet) == [f"{i:03d}" for i in range(10, 16)]


def test_the_api_names_the_sheets_to_choose_from(ready, client):
    setup = ready()
    record, secret = ApiToken.issue(setup.committee, "test")
    db.session.add(record)
    db.session.commit()
    data = book(("Đợt 1", "visible", _roll(3)), ("Đợt 2", "visible", _roll(6, start=10)))

    def post(**fields):
        return client.post(f"/api/v1/hamlets/{setup.hamlet.id}/roll", headers={"Authorization": f"Bearer {secret}"},
                           data={"file": (io.BytesIO(data), "ds.xlsx"), "dry_run": "1", **fields},
                           content_type="multipart/form-data")

    refused = post()
    assert refused.status_code == 422 and refused.get_json()["sheets"] == ["Đợt 1", "Đợt 2"]
    chosen = post(sheet="Đợt 2")
    assert chosen.status_code == 200 and chosen.get_json()["households"] == 6


def test_two_candidate_lists_in_one_workbook_ask_which_and_the_chosen_one_is_imported(world, make_user, login,
                                                                                     client):
    login(make_user(Role.COMMUNE_COMMITTEE, commune=world.commune))
    first = [world.hamlet.code, "Nguyễn Văn Ánh", world.eligible.citizen_id, "02/04/1975", ""]
    second = [world.hamlet.code, "Trần Thị Ước", world.needs_exception.citizen_id, "09/08/1980", ""]
    data = book(("Nháp", "visible", [list(TEMPLATE_HEADERS), first]),
                     ("Chính thức", "visible", [list(TEMPLATE_HEADERS), second]))

    def post(**fields):
        return client.post("/candidates/import", data={"file": (io.BytesIO(data), "ds.xlsx"), **fields},
                           content_type="multipart/form-data", follow_redirects=True)

    asked = post()
    page = asked.get_data(as_text=True)
    assert asked.status_code == 422 and "hãy chọn trang cần nhập" in page
    assert '<option value="Chính thức">' in page
    assert db.session.scalar(db.select(db.func.count(Candidacy.id))) == 0
    done = post(sheet="Chính thức").get_data(as_text=True)
    assert "Đã nhập 1 người ứng cử" in done and "Đã đọc trang «Chính thức»." in done
    assert [c.person_id for c in db.session.scalars(db.select(Candidacy))] == [world.needs_exception.id]


def test_the_district_sets_the_upload_limits_and_a_longer_roll_is_refused_naming_them(ready, make_user, login,
                                                                                      client):
    setup = ready()
    login(make_user(Role.DISTRICT_OFFICE, district=setup.commune.district))
    page = client.get("/district").get_data(as_text=True)
    assert 'name="import_max_rows"' in page and 'value="20000"' in page
    response = client.post("/district", data={"approver_name": "Ban Thường vụ Huyện ủy",
                                              "approver_level": "district", "import_max_rows": "100",
                                              "import_max_columns": "20"}, follow_redirects=True)
    assert response.status_code == 200
    district = db.session.get(District, setup.commune.district_id)
    db.session.refresh(district)
    assert (district.import_max_rows, district.import_max_columns) == (100, 20)
    assert db.session.scalar(db.select(AuditEntry).where(AuditEntry.summary.contains("tối đa 100 dòng")))
    assert "Từ 100 đến 100.000 dòng." in client.post("/district", data={
        "approver_name": "x", "approver_level": "district", "import_max_rows": "5",
        "import_max_columns": "20"}).get_data(as_text=True)
    client.post("/logout")
    login(setup.committee)
    response, token = upload(client, setup.hamlet, book(("DS", "visible", _roll(120))), "ds.xlsx")
    assert token is None
    assert "có dữ liệu đến dòng 121, cột G, vượt giới hạn 100 dòng, 20 cột" in response.get_data(as_text=True)
    assert _households(setup.hamlet) == []
