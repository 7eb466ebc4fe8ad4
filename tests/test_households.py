"""The hamlet's total households (issue 15, part 6): a roll whose households differ from the register is imported
only with the commune committee's written reason, and every page, the board, check-in, the open poll and the
minutes use one number with its source. Names keep their case in the documents (part 8)."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, time

import pypdfium2 as pdfium
import pytest
from factories_ballots import csv_bytes, roll_rows, upload
from factories_counting import client_for, enter_twice, figures

from core.accounts import ApiToken, Role
from core.audit import AuditEntry
from core.models import Household
from election.counting import poll_result
from election.models import PollStatus, Recognition, VoterRoll, household_total
from election.pdf import recognition_decision_pdf
from election.rules import household_difference
from extensions import db

NOTE = "Sổ hộ chưa cập nhật 128 hộ mới tách hộ năm 2025."


def pdf_text(data: bytes) -> str:
    return " ".join("\n".join(page.get_textpage().get_text_range() for page in pdfium.PdfDocument(data)).split())


def register(hamlet, n: int) -> None:
    """Add n households to the hamlet's register."""
    start = db.session.scalar(db.select(db.func.count(Household.id)).where(Household.hamlet_id == hamlet.id))
    for i in range(start, start + n):
        db.session.add(Household(hamlet=hamlet, number=f"S{i + 1:04d}", head_name=f"Chủ hộ {i + 1}"))
    db.session.commit()


def _roll(hamlet) -> VoterRoll | None:
    return db.session.scalar(db.select(VoterRoll).where(VoterRoll.hamlet_id == hamlet.id))


def test_difference_is_counted_and_described_against_the_register():
    assert household_difference(172, 172) is None
    assert household_difference(300, 0) is None  # no register to compare with
    more = household_difference(300, 172)
    assert (more.difference, more.percent()) == (128, "+74,42%")
    assert more.describe() == "nhiều hơn sổ hộ (172 hộ) 128 hộ (+74,42%)"
    fewer = household_difference(170, 172)
    assert (fewer.difference, fewer.percent(), fewer.percent("en")) == (-2, "−1,16%", "−1.16%")


def test_preview_shows_the_difference_and_commit_needs_the_committees_reason(ready, app):
    setup = ready(hamlet_name="Trà Mỹ")
    register(setup.hamlet, 7)
    client = client_for(app, setup.committee)
    response, token = upload(client, setup.hamlet, csv_bytes(roll_rows(12)), "ds.csv")
    page = response.get_data(as_text=True)
    assert 'id="household-difference"' in page
    assert "Số hộ trong danh sách (12) khác sổ hộ gia đình của thôn (7)" in page and "5 hộ (+71,43%)" in page
    assert 'name="households_note"' in page and "data-confirm=" in page

    refused = client.post(f"/hamlets/{setup.hamlet.id}/roll/import/{token}", data={"households_note": "  "})
    assert refused.status_code == 302 and f"/roll/import/{token}" in refused.headers["Location"]
    assert _roll(setup.hamlet) is None  # nothing imported
    again = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "hãy ghi lý do chênh lệch" in again and 'id="household-difference"' in again

    done = client.post(f"/hamlets/{setup.hamlet.id}/roll/import/{token}", data={"households_note": NOTE})
    assert done.status_code == 302
    roll = _roll(setup.hamlet)
    assert (roll.entry_count, roll.households_note, roll.households_register, roll.households_confirmed) == (
        12, NOTE, 7, 12)
    assert roll.households_confirmed_by_id == setup.committee.id and roll.households_confirmed_at is not None
    audit = db.session.scalar(db.select(AuditEntry).where(AuditEntry.record_type == "VoterRoll", AuditEntry.action == "event"))
    assert NOTE in audit.summary and "nhiều hơn sổ hộ (7 hộ) 5 hộ" in audit.summary


def test_only_the_commune_committee_confirms_a_difference(ready, make_user, app):
    setup = ready()
    register(setup.hamlet, 3)
    office = make_user(Role.DISTRICT_OFFICE, district=setup.commune.district)
    client = client_for(app, office)
    response, token = upload(client, setup.hamlet, csv_bytes(roll_rows(4)), "ds.csv")
    page = response.get_data(as_text=True)
    assert "Chỉ tài khoản Ban chỉ đạo bầu cử xã xác nhận được chênh lệch này." in page
    assert 'name="households_note"' not in page
    client.post(f"/hamlets/{setup.hamlet.id}/roll/import/{token}", data={"households_note": NOTE})
    assert _roll(setup.hamlet) is None


def test_a_roll_that_matches_the_register_imports_without_a_reason(ready, app):
    setup = ready()
    register(setup.hamlet, 5)
    client = client_for(app, setup.committee)
    response, token = upload(client, setup.hamlet, csv_bytes(roll_rows(5)), "ds.csv")
    assert 'id="household-difference"' not in response.get_data(as_text=True)
    assert client.post(f"/hamlets/{setup.hamlet.id}/roll/import/{token}").status_code == 302
    roll = _roll(setup.hamlet)
    assert roll.entry_count == 5 and roll.households_note == ""
    total = household_total(setup.hamlet.id, setup.term.id)
    assert (total.count, total.source, total.source_text) == (5, "roll", "theo danh sách cử tri, khớp sổ hộ gia đình")


def test_api_import_answers_422_on_the_reason_field_until_it_is_given(ready, client):
    setup = ready()
    register(setup.hamlet, 4)
    record, token = ApiToken.issue(setup.committee, "test")
    db.session.add(record)
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/api/v1/hamlets/{setup.hamlet.id}/roll"
    rows = [{"household_no": r[1], "full_name": r[2], "citizen_id": r[3], "birth_date": r[4], "sex": r[5]}
            for r in roll_rows(6)]
    dry = client.post(url, json={"rows": rows, "dry_run": True}, headers=headers).get_json()
    assert (dry["households"], dry["households_register"], dry["households_difference"]) == (6, 4, 2)
    assert dry["households_difference_percent"] == 50.0 and not dry["imported"]
    refused = client.post(url, json={"rows": rows}, headers=headers)
    assert refused.status_code == 422 and "households_note" in refused.get_json()["errors"]
    assert not refused.get_json()["imported"] and _roll(setup.hamlet) is None
    done = client.post(url, json={"rows": rows, "households_note": NOTE}, headers=headers)
    assert done.status_code == 200 and done.get_json()["imported"]
    assert _roll(setup.hamlet).households_note == NOTE


def test_hamlet_page_board_checkin_and_open_poll_agree_on_one_number(election, app):
    setup = election(households=7, present=None, open_poll=False, hamlet_name="Trà Mỹ")
    committee = client_for(app, setup.committee)
    _response, token = upload(committee, setup.hamlet, csv_bytes(roll_rows(12)), "ds.csv")
    committee.post(f"/hamlets/{setup.hamlet.id}/roll/import/{token}", data={"households_note": NOTE})
    total = household_total(setup.hamlet.id, setup.term.id)
    assert (total.count, total.source) == (12, "roll_confirmed")
    assert "xác nhận ngày" in total.source_text and "Người dùng thử" in total.source_text and NOTE in total.source_text
    team = client_for(app, setup.team_a)

    def shown() -> dict:
        hamlet_page = committee.get(f"/hamlets/{setup.hamlet.id}").get_data(as_text=True)
        checkin = team.get(f"/hamlets/{setup.hamlet.id}/checkin").get_data(as_text=True)
        board = committee.get("/board.json").get_json()
        row = next(r for r in board["rows"] if r["hamlet_id"] == setup.hamlet.id)
        exported = list(csv.reader(io.StringIO(committee.get("/board.csv").data.decode("utf-8-sig"))))
        header = exported[0]
        line = next(x for x in exported[1:] if x[header.index("Thôn, TDP")] == "Trà Mỹ")
        commune_page = committee.get(f"/communes/{setup.hamlet.commune_id}").get_data(as_text=True)
        return {
            "commune": int(re.search(r'data-label="Tổng số hộ">(\d+)<', commune_page).group(1)),
            "hamlet": int(re.search(r'id="households-total">(\d+)<', hamlet_page).group(1)),
            "checkin": int(re.search(r'id="total">(\d+)<', checkin).group(1)),
            "board": row["total_households"], "csv": int(line[header.index("Tổng số hộ")]),
            "sources": (re.search(r'id="households-source">([^<]*)<', hamlet_page).group(1),
                        re.search(r'id="households-source">([^<]*)<', checkin).group(1),
                        row["total_source_text"], line[header.index("Nguồn tổng số hộ")]),
        }

    numbers = ("commune", "hamlet", "checkin", "board", "csv")
    before = shown()
    assert {k: before[k] for k in numbers} == dict.fromkeys(numbers, 12)
    assert all("theo danh sách cử tri, nhiều hơn sổ hộ (7 hộ) 5 hộ (+71,43%)" in s for s in before["sources"])

    # What the "open" button does (election.poll_views.open_poll), on election day.
    setup.poll.open(household_total(setup.hamlet.id, setup.term.id).count, setup.term.election_day,
                    at=datetime.combine(setup.term.election_day, time(0, 30)))
    db.session.commit()
    assert setup.poll.status == PollStatus.VOTING and setup.poll.total_households == 12
    register(setup.hamlet, 3)  # the register moves after voting opened: the poll's number does not
    after = shown()
    assert {k: after[k] for k in numbers} == dict.fromkeys(numbers, 12)
    assert all(s.startswith(("chốt khi khai mạc bỏ phiếu ngày", "Tổng số hộ chốt khi khai mạc bỏ phiếu ngày"))
               for s in after["sources"]), after["sources"]
    poll_page = committee.get(f"/polls/{setup.poll.id}").get_data(as_text=True)
    assert "/ 12</div>" in poll_page and "chốt khi khai mạc bỏ phiếu ngày" in poll_page


def test_without_a_roll_the_register_is_the_number_and_says_so(ready, app):
    setup = ready()
    register(setup.hamlet, 9)
    total = household_total(setup.hamlet.id, setup.term.id)
    assert (total.count, total.source) == (9, "register")
    page = client_for(app, setup.committee).get(f"/hamlets/{setup.hamlet.id}?q=S0001").get_data(as_text=True)
    assert 'id="households-total">9<' in page  # not the search's count
    assert "theo sổ hộ gia đình của thôn" in page


@pytest.fixture
def tra_my(election):
    setup = election(households=310, present=216, hamlet_name="Trà Mỹ")
    enter_twice(setup, figures(setup, 216, 214, 210, 4, 160, 50), acknowledged=True)
    return setup


def test_minutes_keep_the_hamlet_name_and_state_the_total_with_its_source(app, tra_my):
    text = pdf_text(client_for(app, tra_my.team_a).get(f"/polls/{tra_my.poll.id}/minutes.pdf").data)
    assert "Bầu trưởng thôn Trà Mỹ" in text and "trúng cử trưởng thôn Trà Mỹ" in text
    assert "tại thôn Trà Mỹ, xã Bình Hải" in text
    assert "trà mỹ" not in text
    assert "Tổng số hộ gia đình (310) chốt khi khai mạc bỏ phiếu ngày" in text


def test_recognition_decision_keeps_the_hamlet_and_person_names(app, tra_my):
    poll = tra_my.poll
    result = poll_result(poll)
    winner = tra_my.candidates[0].person
    decision = Recognition(poll=poll, decision_no="45/QĐ-UBND", decided_on=date(2022, 5, 25),
                           signer_name="Phạm Văn Chủ", person=winner)
    text = pdf_text(recognition_decision_pdf(poll, result, decision))
    assert "Về việc công nhận kết quả bầu trưởng thôn Trà Mỹ" in text
    assert "trúng cử trưởng thôn Trà Mỹ, xã Bình Hải" in text
    assert "Ban công tác Mặt trận thôn Trà Mỹ" in text and "nhận nhiệm vụ trưởng thôn kể từ" in text
    assert winner.full_name in text and "trà mỹ" not in text


def test_a_difference_that_appears_later_is_shown_and_confirmed_on_the_roll_page(ready, app):
    setup = ready()
    register(setup.hamlet, 5)
    committee = client_for(app, setup.committee)
    _response, token = upload(committee, setup.hamlet, csv_bytes(roll_rows(5)), "ds.csv")
    committee.post(f"/hamlets/{setup.hamlet.id}/roll/import/{token}")
    register(setup.hamlet, 1)  # a household registered after the import
    total = household_total(setup.hamlet.id, setup.term.id)
    assert (total.count, total.source) == (5, "roll_unconfirmed")
    page = committee.get(f"/hamlets/{setup.hamlet.id}/roll").get_data(as_text=True)
    assert "ít hơn sổ hộ (6 hộ) 1 hộ (−16,67%); chênh lệch chưa được xác nhận" in page
    assert "/roll/households/confirm" in page
    url = f"/hamlets/{setup.hamlet.id}/roll/households/confirm"
    assert client_for(app, setup.team).post(url, data={"households_note": NOTE}).status_code == 403
    committee.post(url, data={"households_note": "ngắn"})
    assert household_total(setup.hamlet.id, setup.term.id).source == "roll_unconfirmed"
    assert committee.post(url, data={"households_note": NOTE}).status_code == 302
    total = household_total(setup.hamlet.id, setup.term.id)
    assert (total.count, total.source, total.note) == (5, "roll_confirmed", NOTE)
    audit = db.session.scalars(db.select(AuditEntry).where(AuditEntry.record_type == "VoterRoll")).all()
    assert any(NOTE in entry.summary for entry in audit)
