"""Forms of election day sent again from a phone (a lost response, a retry once the signal is back) carry their
idempotency key: the change is made once, the retry replays its outcome (core/idempotency.py); check-in search says
how many matches there are beyond those shown."""
from __future__ import annotations

import io
import re
from datetime import timedelta

from factories_ballots import csv_bytes, import_through_pages, roll_rows
from factories_counting import client_for, enter_twice, figures, print_ballots
from PIL import Image

from ballots.models import BallotAccount
from core import idempotency
from core.idempotency import IdempotencyRecord
from core.vietnamese import utcnow
from election.models import CountEntry, MinutesUpload, Poll, PollStatus, VoterRoll
from extensions import db

KEY = "k" * 10 + "-phone-retry-0001"
BOARD = "Trần Văn Bình\nLê Thị Hồng Nhung\nPhạm Đức Thắng"
REPLAYED = "Đã nhận lần gửi này trước đó."


def count_data(setup, key: str = KEY, version: int | None = None) -> dict:
    data = {"version": setup.poll.version if version is None else version, "ballots_issued": 60,
            "ballots_returned": 60, "valid_ballots": 60, "invalid_ballots": 0, "idempotency_key": key}
    data.update({f"votes_{cid}": v for cid, v in zip(setup.ids, (51, 9), strict=True)})
    return data


def meeting_data(setup, key: str = KEY, present: int = 55) -> dict:
    return {"version": setup.poll.version, "households_present": present, "voting_form": "secret_ballot",
            "board": BOARD, "witness_1": "Võ Thị Mỹ Lệ", "witness_2": "Huỳnh Văn Ước", "idempotency_key": key}


def entries(poll: Poll) -> list[CountEntry]:
    return list(db.session.scalars(db.select(CountEntry).where(CountEntry.poll_id == poll.id)))


def test_each_form_of_the_day_renders_a_new_key_and_is_kept_on_the_phone(app, election):
    setup = election()
    team = client_for(app, setup.team_a)
    keys = []
    for _ in range(2):
        page = team.get(f"/polls/{setup.poll.id}/count").get_data(as_text=True)
        assert "data-keep" in page and "/static/keep_form.js" in page
        keys += re.findall(r'name="idempotency_key" type="hidden" value="([^"]+)"', page)
    assert len(keys) == 2 and keys[0] != keys[1] and all(len(k) >= 16 for k in keys)
    for path in (f"/polls/{setup.poll.id}/meeting", f"/polls/{setup.poll.id}/minutes/upload",
                 f"/ballots/hamlets/{setup.hamlet.id}/accounting"):
        page = team.get(path).get_data(as_text=True)
        assert 'name="idempotency_key"' in page and "data-keep" in page, path


def test_a_count_sent_twice_with_one_key_is_one_entry_and_the_same_outcome(app, election):
    setup = election()
    team = client_for(app, setup.team_a)
    first = team.post(f"/polls/{setup.poll.id}/count", data=count_data(setup))
    assert first.status_code == 302
    shown = team.get(first.location).get_data(as_text=True)
    assert "Đã lưu lần nhập thứ 1" in shown and REPLAYED not in shown
    again = team.post(f"/polls/{setup.poll.id}/count", data=count_data(setup, version=setup.poll.version))
    assert again.status_code == 302 and again.location == first.location
    shown = team.get(again.location).get_data(as_text=True)
    assert REPLAYED in shown and "Đã lưu lần nhập thứ 1" in shown
    assert "thay đổi" not in shown  # not "changed by someone else, re-enter"
    assert len(entries(setup.poll)) == 1
    record = db.session.scalar(db.select(IdempotencyRecord))
    assert (record.key, record.user_id, record.route) == (KEY, setup.team_a.id, f"/polls/{setup.poll.id}/count")


def test_a_retry_after_the_poll_changed_still_replays(app, election):
    setup = election()
    a, b = client_for(app, setup.team_a), client_for(app, setup.team_b)
    sent_at = setup.poll.version
    assert a.post(f"/polls/{setup.poll.id}/count", data=count_data(setup)).status_code == 302
    db.session.refresh(setup.poll)
    assert b.post(f"/polls/{setup.poll.id}/count",
                  data=count_data(setup, key="b" * 20)).status_code == 302  # entry 2: the version moved on
    db.session.refresh(setup.poll)
    assert setup.poll.status == PollStatus.SUBMITTED and setup.poll.version != sent_at
    retry = a.post(f"/polls/{setup.poll.id}/count", data=count_data(setup, version=sent_at),
                   follow_redirects=True)
    page = retry.get_data(as_text=True)
    assert retry.status_code == 200 and REPLAYED in page and "Đã lưu lần nhập thứ 1" in page
    assert len(entries(setup.poll)) == 2


def test_a_meeting_record_retried_after_counting_started_replays_and_changes_nothing(app, election):
    setup = election(present=None, counting=False)
    team = client_for(app, setup.team_a)
    data = meeting_data(setup)
    assert team.post(f"/polls/{setup.poll.id}/meeting", data=data).status_code == 302
    db.session.refresh(setup.poll)
    assert team.post(f"/polls/{setup.poll.id}/start-counting",
                     data={"version": setup.poll.version}).status_code == 302
    db.session.refresh(setup.poll)
    assert setup.poll.status == PollStatus.COUNTING
    version = setup.poll.version
    retry = team.post(f"/polls/{setup.poll.id}/meeting", data={**data, "households_present": 99})
    assert retry.status_code == 302
    db.session.refresh(setup.poll)
    assert setup.poll.households_present == 55 and setup.poll.version == version


def test_another_users_key_or_another_forms_key_is_refused(app, election):
    setup = election()
    a, b = client_for(app, setup.team_a), client_for(app, setup.team_b)
    assert a.post(f"/polls/{setup.poll.id}/count", data=count_data(setup)).status_code == 302
    db.session.refresh(setup.poll)
    stolen = b.post(f"/polls/{setup.poll.id}/count", data=count_data(setup))
    assert stolen.status_code == 409 and "Mã chống gửi trùng" in stolen.get_data(as_text=True)
    elsewhere = a.post(f"/polls/{setup.poll.id}/meeting", data=meeting_data(setup))
    assert elsewhere.status_code == 409
    assert [e.user_id for e in entries(setup.poll)] == [setup.team_a.id]
    assert db.session.scalar(db.select(db.func.count(IdempotencyRecord.id))) == 1


def test_a_refused_submission_records_nothing_and_its_key_can_be_sent_again(app, election):
    setup = election()
    team = client_for(app, setup.team_a)
    wrong = {**count_data(setup), "valid_ballots": 70}  # more valid ballots than returned: refused (R-C…)
    assert team.post(f"/polls/{setup.poll.id}/count", data=wrong).status_code == 200
    assert db.session.scalar(db.select(db.func.count(IdempotencyRecord.id))) == 0
    assert team.post(f"/polls/{setup.poll.id}/count", data=count_data(setup)).status_code == 302
    assert len(entries(setup.poll)) == 1


def test_the_phone_script_gets_json_and_the_flashes_wait_for_the_next_page(app, election):
    setup = election()
    team = client_for(app, setup.team_a)
    headers = {"X-Kept-Form": "1"}
    first = team.post(f"/polls/{setup.poll.id}/count", data=count_data(setup), headers=headers)
    assert first.get_json() == {"redirect": f"/polls/{setup.poll.id}", "saved": True}
    again = team.post(f"/polls/{setup.poll.id}/count", data=count_data(setup), headers=headers)
    assert again.get_json() == {"redirect": f"/polls/{setup.poll.id}", "saved": True}
    page = team.get(f"/polls/{setup.poll.id}").get_data(as_text=True)
    assert REPLAYED in page and page.count("Đã lưu lần nhập thứ 1") == 2
    refused = team.post(f"/polls/{setup.poll.id}/count", headers=headers,
                        data={**count_data(setup, key="r" * 20), "valid_ballots": 70})
    assert refused.status_code == 200 and refused.headers["X-Kept-Saved"] == "0"  # the form with its errors
    assert len(entries(setup.poll)) == 1


def test_ballot_accounting_figures_retried_late_do_not_overwrite_newer_ones(app, election):
    setup = election()
    team = client_for(app, setup.team_a)
    url = f"/ballots/hamlets/{setup.hamlet.id}/accounting/figures"
    assert team.post(url, data={"issued": "60", "returned": "58", "idempotency_key": KEY}).status_code == 302
    assert team.post(url, data={"issued": "60", "returned": "60", "idempotency_key": "n" * 20}).status_code == 302
    retry = team.post(url, data={"issued": "60", "returned": "58", "idempotency_key": KEY}, follow_redirects=True)
    assert REPLAYED in retry.get_data(as_text=True)
    account = db.session.scalar(db.select(BallotAccount).where(BallotAccount.poll_id == setup.poll.id))
    db.session.refresh(account)
    assert account.returned == 60


def test_a_malformed_key_is_refused_and_a_form_without_key_still_works(app, election):
    setup = election()
    team = client_for(app, setup.team_a)
    assert team.post(f"/polls/{setup.poll.id}/count",
                     data=count_data(setup, key="<script>")).status_code == 409
    data = count_data(setup)
    del data["idempotency_key"]
    assert team.post(f"/polls/{setup.poll.id}/count", data=data).status_code == 302
    assert db.session.scalar(db.select(db.func.count(IdempotencyRecord.id))) == 0


def test_old_records_are_pruned_by_the_cli_and_recent_ones_kept(app, runner, election):
    setup = election()
    db.session.add_all([IdempotencyRecord(key="o" * 20, user_id=setup.team_a.id, route="/x",
                                          created_at=utcnow() - timedelta(days=20)),
                        IdempotencyRecord(key="r" * 20, user_id=setup.team_a.id, route="/x")])
    db.session.commit()
    result = runner.invoke(args=["idempotency", "prune", "--days", "14"])
    assert result.exit_code == 0 and "Đã xoá 1" in result.output
    assert list(db.session.scalars(db.select(IdempotencyRecord.key))) == ["r" * 20]


def test_check_in_search_returns_the_total_beyond_the_first_twenty(ready, app):
    setup = ready()
    import_through_pages(client_for(app, setup.committee), setup.hamlet, csv_bytes(roll_rows(45)))
    roll = db.session.scalar(db.select(VoterRoll).where(VoterRoll.hamlet_id == setup.hamlet.id))
    assert roll.entry_count == 45
    team = client_for(app, setup.team)
    base = f"/hamlets/{setup.hamlet.id}/checkin/search"
    every = team.get(base + "?q=0").get_json()  # household numbers 001…045 all start with 0
    assert len(every["items"]) == 20 and every["total"] == 45 and every["limit"] == 20
    one = team.get(base + "?q=045").get_json()
    assert len(one["items"]) == 1 and one["total"] == 1
    assert team.get(base + "?q=").get_json() == {"items": [], "total": 0, "limit": 20}
    Poll.get_or_create(setup.term, setup.hamlet, 1).open(45, setup.term.election_day)  # the page of a voting round
    db.session.commit()
    page = team.get(f"/hamlets/{setup.hamlet.id}/checkin", follow_redirects=True).get_data(as_text=True)
    assert "gõ thêm để thu hẹp" in page and 'id="ci-status"' in page


def test_serials_marked_twice_with_one_key_replay_instead_of_failing(app, election):
    setup = election()
    texts = print_ballots(setup.poll, 4)
    serial = texts[0].split(".")[3]
    team = client_for(app, setup.team_a)
    url = f"/ballots/hamlets/{setup.hamlet.id}/accounting/mark"
    data = {"serials": serial, "state": "spoiled", "idempotency_key": KEY}
    assert team.post(url, data=data).status_code == 302
    again = team.post(url, data=data, follow_redirects=True).get_data(as_text=True)
    assert REPLAYED in again and "Đã đánh dấu 1 phiếu." in again and "đã được đánh dấu" not in again


def test_a_twin_that_committed_first_is_replayed_rather_than_refused(app, election, monkeypatch):
    """Two sends of one key at once (a retry while the first was still on its way): the one that finds the other's
    entry already made replays it rather than saying "you already entered"."""
    setup = election()
    team = client_for(app, setup.team_a)
    assert team.post(f"/polls/{setup.poll.id}/count", data=count_data(setup)).status_code == 302
    looked = []
    real = idempotency.recorded

    def late(key):  # the twin's record is not there yet when this request starts, and is by the end
        looked.append(key)
        return None if len(looked) == 1 else real(key)

    monkeypatch.setattr(idempotency, "recorded", late)
    twin = team.post(f"/polls/{setup.poll.id}/count", data=count_data(setup, version=setup.poll.version),
                     follow_redirects=True).get_data(as_text=True)
    assert REPLAYED in twin and "bạn đã nhập một lần" not in twin and len(looked) == 2
    assert len(entries(setup.poll)) == 1


def test_signed_minutes_uploaded_again_with_one_key_are_kept_once(app, election):
    setup = election(households=310, present=216)
    enter_twice(setup, figures(setup, 216, 214, 210, 4, 160, 50), acknowledged=True)
    team = client_for(app, setup.team_a)
    png = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(png, "PNG")
    for _ in range(2):
        response = team.post(f"/polls/{setup.poll.id}/minutes/upload", content_type="multipart/form-data",
                             data={"file": (io.BytesIO(png.getvalue()), "bien-ban.png"), "idempotency_key": KEY})
        assert response.status_code == 302
    assert db.session.scalar(db.select(db.func.count(MinutesUpload.id))) == 1
