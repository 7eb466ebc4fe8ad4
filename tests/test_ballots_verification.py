"""Verification of a scanned ballot QR: forged, altered, foreign-election, unknown and duplicate QRs rejected."""
from __future__ import annotations

import hashlib
import hmac
import io

import pypdfium2 as pdfium
import pytest
from factories_ballots import client_for, csv_bytes, import_through_pages, roll_rows

from ballots.models import Ballot, BallotBatch, BallotLayout, BallotState, ballot_secret
from ballots.printing import batch_payloads, print_batch
from ballots.qr import BallotPayload, b32, encode_payload, key_id, new_serial, short_code
from ballots.verification import verify_ballot
from core.accounts import ApiToken, Role
from election.models import Poll
from extensions import db


@pytest.fixture
def printed(ready, app):
    setup = ready()
    import_through_pages(client_for(app, setup.committee), setup.hamlet, csv_bytes(roll_rows(4)))
    poll = Poll.get_or_create(setup.term, setup.hamlet, 1)
    db.session.flush()
    batch = print_batch(poll, BallotLayout.A5, user_id=setup.committee.id)
    db.session.commit()
    return setup, poll, batch, batch_payloads(batch)


def test_genuine_ballot_names_its_hamlet_and_poll(printed):
    setup, poll, _batch, payloads = printed
    result = verify_ballot(payloads[0])
    assert (result.ok, result.code, result.test) == (True, "genuine", False)
    assert result.poll.id == poll.id and result.poll.hamlet.name == "An Phú"


def test_forged_signature_is_rejected(printed, app):
    *_, payloads = printed
    body = payloads[0].rsplit(".", 1)[0]
    forged = encode_payload(BallotPayload(body.split(".")[1], int(body.split(".")[2]), new_serial()), b"wrong key")
    forged = forged.replace(f".{key_id(b'wrong key')}.", f".{body.split('.')[5]}.")  # the server's key id, copied
    assert verify_ballot(forged).code == "bad_signature"


KEY_1 = "4f1c0b7e9a2d3c5b8e7f6a1d2c3b4a5e6f7d8c9b0a1e2d3c4b5a6f7e8d9c0b1a"
KEY_2 = "a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8"


@pytest.fixture
def printed_under_key_1(ready, app):
    app.config["SECRET_KEY"] = KEY_1
    setup = ready()
    import_through_pages(client_for(app, setup.committee), setup.hamlet, csv_bytes(roll_rows(4)))
    poll = Poll.get_or_create(setup.term, setup.hamlet, 1)
    db.session.flush()
    batch = print_batch(poll, BallotLayout.A5, user_id=setup.committee.id)
    db.session.commit()
    return setup, batch_payloads(batch)


def test_ballot_printed_under_a_retired_key_still_verifies_after_rotation(printed_under_key_1, app):
    setup, payloads = printed_under_key_1
    app.config.update(SECRET_KEY=KEY_2, SIGNING_KEYS_RETIRED=[KEY_1])
    assert verify_ballot(payloads[0]).code == "genuine"
    assert encode_payload(BallotPayload("ABCDEFGH", 1, new_serial()), ballot_secret()).split(".")[5] != \
        payloads[0].split(".")[5]  # new ballots carry the new key's id
    page = client_for(app, setup.team).post("/ballots/verify", data={"code": payloads[1]})
    assert "Phiếu bầu thật" in page.get_data(as_text=True)


def test_ballot_of_a_key_not_declared_retired_is_refused_without_a_server_error(printed_under_key_1, app):
    setup, payloads = printed_under_key_1
    app.config.update(SECRET_KEY=KEY_2, SIGNING_KEYS_RETIRED=[])
    assert verify_ballot(payloads[0]).code == "unknown_key"
    page = client_for(app, setup.team).post("/ballots/verify", data={"code": payloads[0]})
    assert page.status_code == 200 and "khóa mà máy chủ không biết" in page.get_data(as_text=True)
    record, token = ApiToken.issue(setup.team, "scanner")
    db.session.add(record)
    db.session.commit()
    answer = app.test_client().post("/api/v1/ballots/verify", json={"text": payloads[0]},
                                    headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.get_json()["results"][0]["code"] == "unknown_key"


def test_ballot_printed_before_key_ids_still_verifies(printed, app):
    *_, payloads = printed
    # The same ballot as printed by the release before key ids: DT1, no key id, the same ballot key.
    hash_, hamlet, serial, flag = payloads[0].split(".")[1:5]
    body = f"DT1.{hash_}.{hamlet}.{serial}.{flag}"
    old_key = hmac.new(app.config["SECRET_KEY"].encode(), b"ballot-qr", hashlib.sha256).digest()
    legacy = f"{body}.{b32(hmac.new(old_key, body.encode(), hashlib.sha256).digest()[:16])}"
    assert verify_ballot(legacy).code == "genuine"


def test_altered_payload_is_rejected(printed):
    *_, payloads = printed
    parts = payloads[0].split(".")
    parts[3] = new_serial()  # another serial, old signature
    result = verify_ballot(".".join(parts))
    assert not result.ok and result.code == "bad_signature"
    assert verify_ballot("hello").code == "malformed"


def test_well_signed_but_never_printed_serial_is_forged(printed):
    setup, _poll, batch, _ = printed
    text = encode_payload(BallotPayload(batch.election_hash, setup.hamlet.id, new_serial()), ballot_secret())
    assert verify_ballot(text).code == "unknown_serial"


def test_ballot_of_another_election_is_rejected(printed):
    setup, _poll, batch, payloads = printed
    ballot = db.session.scalar(db.select(Ballot).where(Ballot.batch_id == batch.id))
    other_hash = "ABCDEFGH" if batch.election_hash != "ABCDEFGH" else "HGFEDCBA"
    text = encode_payload(BallotPayload(other_hash, setup.hamlet.id, ballot.serial), ballot_secret())
    assert verify_ballot(text).code == "wrong_election"


def test_duplicate_scan_of_a_counted_ballot_is_rejected(printed):
    *_, payloads = printed
    result = verify_ballot(payloads[1])
    result.ballot.state = BallotState.COUNTED
    db.session.commit()
    again = verify_ballot(payloads[1])
    assert (again.ok, again.code) == (False, "already_counted") and again.ballot is not None


def test_spoiled_and_cancelled_are_reported(printed):
    *_, payloads = printed
    for text, state, code in ((payloads[2], BallotState.SPOILED, "spoiled"),
                              (payloads[3], BallotState.CANCELLED, "cancelled")):
        verify_ballot(text).ballot.state = state
        db.session.commit()
        assert verify_ballot(text).code == code


def test_verify_page_with_scanner_text_and_photo_upload(printed, app):
    setup, _poll, batch, payloads = printed
    team = client_for(app, setup.team)
    page = team.post("/ballots/verify", data={"code": payloads[0]}).get_data(as_text=True)
    assert "Phiếu bầu thật" in page and "An Phú" in page
    from ballots.printing import batch_pdf

    image = pdfium.PdfDocument(batch_pdf(batch).read())[0].render(scale=150 / 72).to_pil()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    page = team.post("/ballots/verify", data={"image": (io.BytesIO(buffer.getvalue()), "phieu.png")},
                     content_type="multipart/form-data").get_data(as_text=True)
    assert "Phiếu bầu thật" in page
    assert "/static/verify.js" in team.get("/ballots/verify").get_data(as_text=True)
    assert "BarcodeDetector" in team.get("/static/verify.js").get_data(as_text=True)


def test_verify_outside_scope_hides_the_hamlet(printed, app, make_commune, make_user):
    setup, _poll, _batch, payloads = printed
    outsider = make_user(Role.COMMUNE_COMMITTEE, commune=make_commune("Bình Trị", district=setup.commune.district))
    page = client_for(app, outsider).post("/ballots/verify", data={"code": payloads[0]}).get_data(as_text=True)
    assert "không thuộc phạm vi" in page and "An Phú" not in page.split("<main>")[1]


def test_api_verification(printed, app):
    setup, _poll, _batch, payloads = printed
    record, token = ApiToken.issue(setup.team, "scanner")
    db.session.add(record)
    db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    result = client.post("/api/v1/ballots/verify", json={"text": payloads[0]}, headers=headers).get_json()
    assert result["results"][0]["ok"] and result["results"][0]["poll"]["hamlet_id"] == setup.hamlet.id
    bad = client.post("/api/v1/ballots/verify", json={"text": payloads[0][:-1] + ("1" if payloads[0][-1] == "0" else "0")}, headers=headers).get_json()
    assert bad["results"][0]["code"] in ("bad_signature", "malformed")
    assert client.post("/api/v1/ballots/verify", json={}, headers=headers).status_code == 422
    assert db.session.scalar(db.select(db.func.count(BallotBatch.id))) == 1


def test_verify_page_takes_the_short_code_printed_under_the_qr(printed, app):
    setup, _poll, _batch, payloads = printed
    team = client_for(app, setup.team)
    code = short_code(payloads[0].split(".")[3])
    page = team.post("/ballots/verify", data={"code": code.lower().replace(" ", "-")}).get_data(as_text=True)
    assert "Phiếu bầu thật" in page and "An Phú" in page
    typo = code[:-1] + ("7" if code[-1] != "7" else "8")
    page = team.post("/ballots/verify", data={"code": typo}).get_data(as_text=True)
    assert "ký tự kiểm tra không khớp" in page and "Phiếu bầu thật" not in page
    never_printed = new_serial()
    page = team.post("/ballots/verify", data={"code": short_code(never_printed)}).get_data(as_text=True)
    assert "phiếu giả" in page


def test_a_spoiled_ballot_is_marked_by_its_short_code(printed, app):
    setup, _poll, _batch, payloads = printed
    serial = payloads[1].split(".")[3]
    client_for(app, setup.committee).post(f"/ballots/hamlets/{setup.hamlet.id}/accounting/mark",
                                          data={"serials": short_code(serial).lower(), "state": "spoiled"})
    assert db.session.scalar(db.select(Ballot.state).where(Ballot.serial == serial)) == BallotState.SPOILED
