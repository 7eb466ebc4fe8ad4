"""Reading a scanned ballot QR: genuine or not, which poll, test, already counted, spoiled or cancelled.

`verify_ballot(text) -> Verification` (the verification page and the per-ballot count): `ok` is True only for
a genuine, real, printed-and-not-yet-counted ballot of the election it claims; otherwise `code` says why, and
`ballot` / `poll` are filled whenever the serial is known (a test ballot: ok False, code "test_ballot").
"""
from __future__ import annotations

from dataclasses import dataclass

import zxingcpp

from ballots.models import Ballot, BallotState, ballot_keys, ballot_secret
from ballots.printing import poll_election_hash
from ballots.qr import BallotPayload, BallotQRError, decode_payload, encode_payload, typed_serial
from core.uploads import UploadRefused, open_image
from election.models import Poll
from extensions import db

MESSAGES: dict[str, tuple[str, str]] = {
    "genuine": ("Phiếu bầu thật, chưa kiểm.", "Genuine ballot, not counted yet."),
    "unknown_serial": ("Số sê-ri không có trong các phiếu đã in: phiếu giả.",
                       "The serial was never printed: forged ballot."),
    "wrong_election": ("Phiếu in cho một cuộc bầu khác (khác nhiệm kỳ, vòng bầu hoặc danh sách ứng cử).",
                       "The ballot was printed for another election (term, round or candidate list differ)."),
    "wrong_hamlet": ("Phiếu bầu được phát hành cho thôn, tổ dân phố khác.", "The ballot belongs to another hamlet."),
    "test_ballot": ("Phiếu thử, không có giá trị trong cuộc bầu cử thật.", "Test ballot: no value in a real vote."),
    "already_counted": ("Phiếu này đã được kiểm rồi (quét trùng).", "This ballot has already been counted."),
    "spoiled": ("Phiếu này đã được ghi là phiếu hỏng, đã đổi phiếu khác.",
                "This ballot was recorded as spoiled and replaced."),
    "cancelled": ("Phiếu này đã được ghi là phiếu không dùng, đã hủy.",
                  "This ballot was recorded as unused and cancelled."),
}


@dataclass(frozen=True)
class Verification:
    ok: bool
    code: str
    message: str
    ballot: Ballot | None
    poll: Poll | None
    test: bool
    message_en: str = ""
    serial: str = ""


def _answer(code: str, ballot: Ballot | None = None, test: bool = False, serial: str = "") -> Verification:
    message, message_en = MESSAGES[code]
    poll = ballot.batch.poll if ballot is not None else None
    return Verification(ok=code == "genuine", code=code, message=message, message_en=message_en, ballot=ballot,
                        poll=poll, test=test, serial=serial)


def verify_ballot(text: str) -> Verification:
    try:
        payload = decode_payload(text or "", *ballot_keys())
    except BallotQRError as error:  # malformed, unknown_version, unknown_key, bad_signature (forged or altered)
        return Verification(ok=False, code=error.code, message=error.message, message_en=error.message_en,
                            ballot=None, poll=None, test=False)
    ballot = db.session.scalar(db.select(Ballot).where(Ballot.serial == payload.serial))
    if ballot is None:
        return _answer("unknown_serial", test=payload.test, serial=payload.serial)
    batch = ballot.batch
    if batch.election_hash != payload.election_hash or batch.test != payload.test:
        return _answer("wrong_election", ballot, payload.test, payload.serial)
    if batch.poll.hamlet_id != payload.hamlet_id:
        return _answer("wrong_hamlet", ballot, payload.test, payload.serial)
    if _current_hash(batch.poll) != batch.election_hash:
        # The candidate list changed after these ballots were printed (only possible for test ballots).
        return _answer("wrong_election", ballot, payload.test, payload.serial)
    if payload.test:
        return _answer("test_ballot", ballot, True, payload.serial)
    state_codes = {BallotState.COUNTED: "already_counted", BallotState.SPOILED: "spoiled",
                   BallotState.CANCELLED: "cancelled"}
    return _answer(state_codes.get(ballot.state, "genuine"), ballot, False, payload.serial)


def verify_typed(code: str) -> Verification:
    """verify_ballot for the short code printed under the QR (or an older ballot's bare serial), typed where no
    camera reads the QR: the stored ballot's payload is signed again and verified like a scan. Raises
    ShortCodeError when the check character refuses the code (a typo)."""
    serial = typed_serial(code)
    ballot = db.session.scalar(db.select(Ballot).where(Ballot.serial == serial))
    if ballot is None:
        return _answer("unknown_serial", serial=serial)
    batch = ballot.batch
    return verify_ballot(encode_payload(BallotPayload(batch.election_hash, batch.poll.hamlet_id, serial, batch.test),
                                        ballot_secret()))


def _current_hash(poll: Poll) -> str:
    return poll_election_hash(poll)


# A phone's photo of a ballot is a few megabytes; the decoder reads a copy scaled to this side at most (a ballot's QR
# still has about ten pixels a module there when the ballot fills the frame).
MAX_PHOTO_BYTES = 20 * 1024 * 1024
DECODE_SIDE = 2400


def read_qr_codes(data: bytes) -> list[str]:
    """The distinct QR texts in an uploaded photo or scan (zxing-cpp), in the order found; raises UploadRefused when
    the file is too large or no image (core.uploads: the pixels are bounded before decoding)."""
    if len(data) > MAX_PHOTO_BYTES:
        raise UploadRefused("image_too_large", f"{len(data)} bytes")
    image = open_image(data, max_side=DECODE_SIDE)
    image.thumbnail((DECODE_SIDE, DECODE_SIDE))
    results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    return list(dict.fromkeys(r.text for r in results if r.text))


def decode_image(stream) -> list[str]:
    """QR texts found in an uploaded photo or scan; none when the file is no readable image of bounded size."""
    try:
        return read_qr_codes(stream.read(MAX_PHOTO_BYTES + 1))
    except UploadRefused:
        return []
