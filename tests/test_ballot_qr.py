"""The signed, anonymous QR payload of a paper ballot (ballots/qr.py)."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

import pytest
import zxingcpp
from PIL import Image

from ballots.qr import (
    CROCKFORD,
    BallotPayload,
    BallotQRError,
    b32,
    check_payload,
    decode_payload,
    election_definition,
    election_hash,
    encode_payload,
    key_id,
    new_serial,
    payload_serial,
)
from core.qr import qr_matrix

SECRET = b"server-secret-for-tests"
ROTATED = b"the-key-after-a-rotation"
QR_ALPHANUMERIC = re.compile(r"[0-9A-Z $%*+\-./:]+")


def _definition(**changes: object) -> dict:
    values = dict(term="2022-2025", hamlet_id=12, round_no=1,
                  candidates=[(7, "Nguyễn Thị Ánh Tuyết"), (3, "Đặng Văn Ước")], seats=1)
    values.update(changes)
    return election_definition(**values)  # type: ignore[arg-type]


def _payload(**changes: object) -> BallotPayload:
    values = dict(election_hash=election_hash(_definition()), hamlet_id=12, serial=new_serial(), test=False)
    values.update(changes)
    return BallotPayload(**values)  # type: ignore[arg-type]


def _replace_char(text: str, index: int) -> str:
    replacement = "7" if text[index] != "7" else "8"
    return text[:index] + replacement + text[index + 1:]


def test_encoded_payload_round_trips_and_stays_in_qr_alphanumeric_charset():
    payload = _payload(test=True)
    text = encode_payload(payload, SECRET)
    assert QR_ALPHANUMERIC.fullmatch(text)
    assert text.startswith("DT2.")
    assert decode_payload(text, SECRET) == payload


def test_lowercased_scan_still_decodes():
    payload = _payload()
    assert decode_payload(encode_payload(payload, SECRET).lower(), SECRET) == payload


@pytest.mark.parametrize("field", [1, 2, 3, 6])  # hash, hamlet, serial, signature
def test_any_altered_character_breaks_the_signature(field):
    text = encode_payload(_payload(), SECRET)
    parts = text.split(".")
    start = sum(len(p) + 1 for p in parts[:field])
    with pytest.raises(BallotQRError) as error:
        decode_payload(_replace_char(text, start), SECRET)
    assert error.value.code == "bad_signature"


def test_flipping_real_to_test_flag_breaks_the_signature():
    text = encode_payload(_payload(test=False), SECRET)
    with pytest.raises(BallotQRError) as error:
        decode_payload(text.replace(".R.", ".T."), SECRET)
    assert error.value.code == "bad_signature"


def test_payload_signed_with_another_secret_is_rejected():
    forged = encode_payload(_payload(), b"someone-else").split(".")
    forged[5] = key_id(SECRET)  # the forger copies the server's key id from a genuine ballot
    text = ".".join(forged)
    with pytest.raises(BallotQRError) as error:
        decode_payload(text, SECRET)
    assert error.value.code == "bad_signature"
    assert "Chữ ký" in error.value.message
    assert error.value.message == unicodedata.normalize("NFC", error.value.message)
    assert error.value.message_en


def test_unknown_version_is_reported_as_such():
    text = encode_payload(_payload(), SECRET).replace("DT2.", "DT3.", 1)
    with pytest.raises(BallotQRError) as error:
        decode_payload(text, SECRET)
    assert error.value.code == "unknown_version"


@pytest.mark.parametrize("text", ["", "hello", "DT1.", "DT1.ABCDEFGH.12.0123456789.R",
                                  "DT1.ABCDEFGH.012.0123456789.R.ABCDEFGHJKMNPQRSTVWXYZ01",
                                  "DT1.ABCDEFGU.12.0123456789.R.ABCDEFGHJKMNPQRSTVWXYZ01",
                                  "DT1.ABCDEFGH.12.0123456789.X.ABCDEFGHJKMNPQRSTVWXYZ01",
                                  "https://example.com/DT1"])
def test_malformed_text_is_rejected(text):
    with pytest.raises(BallotQRError) as error:
        decode_payload(text, SECRET)
    assert error.value.code == "malformed"


def _legacy_text(payload: BallotPayload, secret: bytes) -> str:
    """A ballot as printed before key ids: DT1, no key id, HMAC-SHA256 over the rest truncated to 16 bytes."""
    body = f"DT1.{payload.election_hash}.{payload.hamlet_id}.{payload.serial}.{'T' if payload.test else 'R'}"
    return f"{body}.{b32(hmac.new(secret, body.encode(), hashlib.sha256).digest()[:16])}"


def test_ballot_printed_before_key_ids_still_verifies():
    payload = _payload()
    legacy = _legacy_text(payload, SECRET)
    assert decode_payload(legacy, SECRET) == BallotPayload(payload.election_hash, 12, payload.serial, version=1)
    assert decode_payload(legacy.lower(), ROTATED, SECRET).serial == payload.serial  # after a rotation
    assert payload_serial(legacy) == payload.serial


def test_ballot_printed_before_key_ids_with_a_wrong_signature_is_rejected():
    legacy = _legacy_text(_payload(), b"someone-else")
    with pytest.raises(BallotQRError) as error:
        decode_payload(legacy, ROTATED, SECRET)
    assert error.value.code == "bad_signature"


def test_ballot_signed_under_a_retired_key_still_verifies_after_rotation():
    payload = _payload()
    text = encode_payload(payload, SECRET)
    assert decode_payload(text, ROTATED, SECRET) == payload
    assert encode_payload(payload, ROTATED).split(".")[5] == key_id(ROTATED) != key_id(SECRET)


def test_ballot_of_a_key_the_server_no_longer_holds_names_the_unknown_key():
    text = encode_payload(_payload(), SECRET)
    with pytest.raises(BallotQRError) as error:
        decode_payload(text, ROTATED)
    assert error.value.code == "unknown_key"
    assert "khóa" in error.value.message and error.value.message_en
    altered_id = text.split(".")
    altered_id[5] = "00" if altered_id[5] != "00" else "11"
    with pytest.raises(BallotQRError) as error:
        decode_payload(".".join(altered_id), SECRET)
    assert error.value.code == "unknown_key"


def test_check_accepts_the_right_election_and_hamlet():
    payload = decode_payload(encode_payload(_payload(), SECRET), SECRET)
    assert check_payload(payload, election_hash(_definition()), 12) is None


def test_check_rejects_a_ballot_of_a_foreign_election():
    payload = decode_payload(encode_payload(_payload(), SECRET), SECRET)
    problem = check_payload(payload, election_hash(_definition(round_no=2)), 12)
    assert problem is not None and problem.code == "wrong_election"


def test_check_rejects_a_ballot_of_another_hamlet():
    payload = decode_payload(encode_payload(_payload(hamlet_id=13), SECRET), SECRET)
    problem = check_payload(payload, election_hash(_definition()), 12)
    assert problem is not None and problem.code == "wrong_hamlet"
    assert "thôn" in problem.message


def test_check_rejects_test_ballots_unless_testing():
    payload = decode_payload(encode_payload(_payload(test=True), SECRET), SECRET)
    expected = election_hash(_definition())
    problem = check_payload(payload, expected, 12)
    assert problem is not None and problem.code == "test_ballot"
    assert check_payload(payload, expected, 12, accept_test=True) is None


def test_election_hash_ignores_candidate_order_and_unicode_form():
    nfd = [(3, unicodedata.normalize("NFD", "Đặng Văn Ước")), (7, "Nguyễn Thị Ánh Tuyết")]
    assert election_hash(_definition(candidates=nfd)) == election_hash(_definition())
    assert re.fullmatch(f"[{CROCKFORD}]{{8}}", election_hash(_definition()))


@pytest.mark.parametrize("change", [{"term": "2025-2027"}, {"hamlet_id": 13}, {"round_no": 2}, {"seats": 2},
                                    {"candidates": [(7, "Nguyễn Thị Ánh Tuyết")]}])
def test_election_hash_changes_with_the_definition(change):
    assert election_hash(_definition(**change)) != election_hash(_definition())


def test_serials_are_random_crockford_strings():
    serials = {new_serial() for _ in range(2000)}
    assert len(serials) == 2000
    assert all(re.fullmatch(f"[{CROCKFORD}]{{10}}", s) for s in serials)


def test_payload_serial_reads_the_serial_field():
    payload = _payload()
    assert payload_serial(encode_payload(payload, SECRET)) == payload.serial


def test_encode_refuses_invalid_fields():
    with pytest.raises(ValueError):
        encode_payload(_payload(serial="01234"), SECRET)
    with pytest.raises(ValueError):
        encode_payload(_payload(hamlet_id=0), SECRET)


def _matrix_image(matrix: list[list[bool]], px: int = 6, quiet: int = 4) -> Image.Image:
    size = (len(matrix) + 2 * quiet) * px
    image = Image.new("L", (size, size), 255)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                image.paste(0, ((c + quiet) * px, (r + quiet) * px, (c + quiet + 1) * px, (r + quiet + 1) * px))
    return image


def test_qr_matrix_is_a_small_readable_symbol():
    text = encode_payload(_payload(), SECRET)
    matrix = qr_matrix(text)
    assert len(matrix) == 29  # version 3: alphanumeric mode keeps the ballot QR small
    results = zxingcpp.read_barcodes(_matrix_image(matrix), formats=zxingcpp.BarcodeFormat.QRCode)
    assert [r.text for r in results] == [text]


def test_qr_stays_at_version_3_for_five_digit_hamlet_ids():
    assert len(qr_matrix(encode_payload(_payload(hamlet_id=99999), SECRET))) == 29
