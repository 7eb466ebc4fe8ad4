"""The QR payload printed on every paper ballot: versioned, signed, and anonymous.

Text form (all in the QR alphanumeric charset, so the symbol stays at version 3, 29×29, for hamlet ids up to
five digits):

    DT2.<election hash>.<hamlet id>.<serial>.<T|R>.<key id>.<signature>

- election hash: 8 Crockford base32 chars of sha256(canonical JSON of the election definition);
- hamlet id: decimal;
- serial: 10 random Crockford base32 chars (50 bits, from `secrets`, never sequential);
- T = test ballot, R = real ballot;
- key id: 2 Crockford base32 chars of sha256 of the signing key: which key signed, so that ballots printed before
  a key rotation still verify under the retired key (core/keys.py);
- signature: HMAC-SHA256 with the ballot key over everything before it, truncated to 16 bytes, 26 Crockford
  base32 chars.

Ballots printed before key ids (`DT1.<hash>.<hamlet>.<serial>.<T|R>.<signature>`) still verify: their signature is
checked against every key the server holds.

Nothing on the ballot identifies a voter (secret ballot, R-V6); whether the serial was issued to
this hamlet and not counted yet is checked by the caller against its ballot accounting (R-B1).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

VERSION = 2
LEGACY_VERSION = 1  # no key id
PREFIX = "DT"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

HASH_CHARS = 8  # 40 bits: tells elections apart; forgery is stopped by the signature
SERIAL_CHARS = 10  # 50 random bits per ballot
SIGNATURE_BYTES = 16  # 128-bit truncated HMAC-SHA256
SIGNATURE_CHARS = 26  # ceil(128 / 5)
KEY_ID_CHARS = 2  # 10 bits: tells the current and retired keys apart; a clash only costs a second HMAC

_C = "[0-9A-HJKMNP-TV-Z]"
_FIELDS = (rf"(?P<hash>{_C}{{{HASH_CHARS}}})\.(?P<hamlet>[1-9][0-9]{{0,11}})"
           rf"\.(?P<serial>{_C}{{{SERIAL_CHARS}}})\.(?P<flag>[TR])")
_SIGNATURE = rf"(?P<sig>{_C}{{{SIGNATURE_CHARS}}})"
_PAYLOAD_RES = {
    VERSION: re.compile(rf"DT{VERSION}\.{_FIELDS}\.(?P<kid>{_C}{{{KEY_ID_CHARS}}})\.{_SIGNATURE}"),
    LEGACY_VERSION: re.compile(rf"DT{LEGACY_VERSION}\.{_FIELDS}\.{_SIGNATURE}"),
}
_VERSION_RE = re.compile(r"DT([0-9]{1,6})\.")
# A genuine payload is ~70 characters; a longer text is refused before any parsing (the API answers 422).
MAX_QR_TEXT = 1000
_SERIAL_RE = re.compile(rf"{_C}{{{SERIAL_CHARS}}}")


@dataclass(frozen=True)
class BallotPayload:
    """What a ballot's QR says: which election and hamlet, which ballot, test or real."""

    election_hash: str
    hamlet_id: int
    serial: str
    test: bool = False
    version: int = VERSION


@dataclass(frozen=True)
class PayloadProblem:
    """Why a genuine (well-signed) ballot does not belong to the count at hand."""

    code: str  # "wrong_election" | "wrong_hamlet" | "test_ballot"
    message: str
    message_en: str


_MESSAGES: dict[str, tuple[str, str]] = {
    "malformed": (
        "Mã QR không phải mã phiếu bầu hợp lệ.",
        "The QR code is not a valid ballot code.",
    ),
    "unknown_version": (
        "Mã QR thuộc một phiên bản phiếu bầu không được hỗ trợ.",
        "The QR code belongs to an unsupported ballot version.",
    ),
    "unknown_key": (
        "Mã QR được ký bằng một khóa mà máy chủ không biết: phiếu giả, hoặc in trước khi đổi khóa mà khóa cũ chưa "
        "được khai báo. Báo cho quản trị hệ thống.",
        "The QR was signed with a key this server does not know: a forged ballot, or one printed before a key "
        "change whose old key was not declared retired. Tell the system administrator.",
    ),
    "bad_signature": (
        "Chữ ký của mã QR không đúng: phiếu không do Tổ bầu cử phát hành hoặc đã bị sửa.",
        "The QR signature is wrong: the ballot was not issued by the election team or was altered.",
    ),
    "wrong_election": (
        "Phiếu bầu thuộc một cuộc bầu cử khác (khác nhiệm kỳ, vòng bầu hoặc danh sách ứng cử viên).",
        "The ballot belongs to another election (term, round or candidate list differ).",
    ),
    "wrong_hamlet": (
        "Phiếu bầu được phát hành cho thôn/tổ dân phố khác.",
        "The ballot was issued for another hamlet or residential group.",
    ),
    "test_ballot": (
        "Đây là phiếu thử, không có giá trị trong cuộc bầu cử thật.",
        "This is a test ballot; it has no value in a real election.",
    ),
}


class BallotQRError(ValueError):
    """A scanned text that is not a genuine ballot payload."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.message, self.message_en = _MESSAGES[code]
        super().__init__(self.message_en)


def b32(data: bytes) -> str:
    """Crockford base32 of `data` (big-endian bit string, zero-padded on the right)."""
    bits = len(data) * 8
    number = int.from_bytes(data, "big") << (-bits % 5)
    chars = -(-bits // 5)
    return "".join(CROCKFORD[(number >> (5 * i)) & 31] for i in reversed(range(chars)))


def _canonical(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def election_definition(
    term: str, hamlet_id: int, round_no: int, candidates: Iterable[tuple[int, str]], seats: int
) -> dict[str, Any]:
    """The definition `election_hash` expects, candidates as sorted (id, full name) pairs."""
    return {
        "term": term,
        "hamlet": hamlet_id,
        "round": round_no,
        "candidates": sorted([int(cid), name] for cid, name in candidates),
        "seats": seats,
    }


def election_hash(definition: Mapping[str, Any]) -> str:
    """Short hash of an election definition: canonical JSON → sha256 → 8 Crockford chars."""
    text = json.dumps(
        _canonical(definition), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return b32(hashlib.sha256(text.encode("utf-8")).digest())[:HASH_CHARS]


def new_serial() -> str:
    """A random, non-sequential ballot serial (10 Crockford base32 chars)."""
    return "".join(secrets.choice(CROCKFORD) for _ in range(SERIAL_CHARS))


def key_id(key: bytes) -> str:
    """The short id of a signing key printed in the payload (a hash of the key, which it does not reveal)."""
    return b32(hashlib.sha256(b"ballot-key-id:" + key).digest())[:KEY_ID_CHARS]


def _sign(body: str, secret: bytes) -> str:
    mac = hmac.new(secret, body.encode("ascii"), hashlib.sha256).digest()
    return b32(mac[:SIGNATURE_BYTES])


def encode_payload(payload: BallotPayload, secret: bytes) -> str:
    """The QR text for one ballot, signed with `secret` and naming it by its key id."""
    if payload.version != VERSION:
        raise ValueError(f"cannot encode payload version {payload.version}")
    if not re.fullmatch(rf"{_C}{{{HASH_CHARS}}}", payload.election_hash):
        raise ValueError(f"bad election hash: {payload.election_hash!r}")
    if not _SERIAL_RE.fullmatch(payload.serial):
        raise ValueError(f"bad serial: {payload.serial!r}")
    if payload.hamlet_id < 1:
        raise ValueError(f"bad hamlet id: {payload.hamlet_id!r}")
    body = (
        f"{PREFIX}{VERSION}.{payload.election_hash}.{payload.hamlet_id}"
        f".{payload.serial}.{'T' if payload.test else 'R'}.{key_id(secret)}"
    )
    return f"{body}.{_sign(body, secret)}"


def decode_payload(text: str, *keys: bytes) -> BallotPayload:
    """Parse and verify a scanned ballot QR text against the server's keys (the current one and the retired ones);
    raises BallotQRError on anything not genuine."""
    if not keys:
        raise ValueError("decode_payload needs at least one key")
    if len(text) > MAX_QR_TEXT:
        raise BallotQRError("malformed")
    text = text.strip().upper()
    version = _VERSION_RE.match(text)
    if version is None:
        raise BallotQRError("malformed")
    pattern = _PAYLOAD_RES.get(int(version.group(1)))
    if pattern is None:
        raise BallotQRError("unknown_version")
    match = pattern.fullmatch(text)
    if match is None:
        raise BallotQRError("malformed")
    body = text[: match.start("sig") - 1]
    if "kid" in pattern.groupindex:
        keys = tuple(key for key in keys if key_id(key) == match.group("kid"))
        if not keys:
            raise BallotQRError("unknown_key")
    # Every candidate key is tried, so the time taken does not tell which one matched.
    if not sum(hmac.compare_digest(_sign(body, key), match.group("sig")) for key in keys):
        raise BallotQRError("bad_signature")
    return BallotPayload(
        election_hash=match.group("hash"),
        hamlet_id=int(match.group("hamlet")),
        serial=match.group("serial"),
        test=match.group("flag") == "T",
        version=int(version.group(1)),
    )


def check_payload(
    payload: BallotPayload,
    expected_hash: str,
    expected_hamlet_id: int,
    *,
    accept_test: bool = False,
) -> PayloadProblem | None:
    """Whether a verified ballot belongs to this hamlet's election (R-B1: right hamlet)."""
    code: str | None = None
    if payload.election_hash != expected_hash:
        code = "wrong_election"
    elif payload.hamlet_id != expected_hamlet_id:
        code = "wrong_hamlet"
    elif payload.test and not accept_test:
        code = "test_ballot"
    if code is None:
        return None
    message, message_en = _MESSAGES[code]
    return PayloadProblem(code=code, message=message, message_en=message_en)


def payload_serial(text: str) -> str:
    """The serial field of a payload text, unverified (for printing beside the QR)."""
    parts = text.split(".")
    if len(parts) not in (6, 7) or not _SERIAL_RE.fullmatch(parts[3]):
        raise BallotQRError("malformed")
    return parts[3]


# The short code printed under the QR, for typing when no camera reads it: the serial and one check character,
# in groups of four ("ABCD EFGH JK7"). The check is Damm's algorithm over GF(32) (the serial's own Crockford
# alphabet): x∗y = α·(x ⊕ y) with α = 2 is a totally anti-symmetric quasigroup with x∗x = 0, so every single
# substituted character and every swap of two neighbours (the check character included) is caught.
SHORT_CODE_CHARS = SERIAL_CHARS + 1
_GF32_POLY = 0b100101  # x⁵ + x² + 1, irreducible over GF(2)
# What people type for a Crockford character (its decoding rules): lower case, O for 0, I and L for 1.
_TYPED = str.maketrans("OIL", "011")
_SEPARATORS = re.compile(r"[\s\-_.·]+")


def _damm_step(interim: int, value: int) -> int:
    """interim ∗ value = 2·(interim ⊕ value) in GF(32)."""
    product = (interim ^ value) << 1
    return product ^ _GF32_POLY if product & 0b100000 else product


def _damm(text: str) -> int:
    interim = 0
    for char in text:
        interim = _damm_step(interim, CROCKFORD.index(char))
    return interim


def check_char(serial: str) -> str:
    """The check character of a serial: the one whose Damm step brings the serial's interim to 0 (x∗x = 0)."""
    if not _SERIAL_RE.fullmatch(serial):
        raise ValueError(f"bad serial: {serial!r}")
    return CROCKFORD[_damm(serial)]


def short_code(serial: str) -> str:
    """The typable code printed on the ballot: serial + check character, in groups of four."""
    code = serial + check_char(serial)
    return " ".join(code[i:i + 4] for i in range(0, len(code), 4))


_SHORT_CODE_MESSAGES: dict[str, tuple[str, str]] = {
    "length": ("Mã in dưới mã QR gồm 11 ký tự (ví dụ “2453 RKGP A2Y”); phiếu in trước đây: 10 ký tự của số sê-ri.",
               "The code under the QR has 11 characters (e.g. “2453 RKGP A2Y”); older ballots: the 10-character "
               "serial."),
    "alphabet": ("Mã chỉ gồm chữ số và chữ cái (không có chữ U): hãy đọc lại mã trên phiếu.",
                 "The code has only digits and letters (no U): read the ballot again."),
    "check": ("Mã không đúng: ký tự kiểm tra không khớp, có lẽ gõ nhầm một ký tự hoặc đảo hai ký tự. Hãy đọc lại "
              "mã trên phiếu.",
              "Wrong code: the check character does not match (a mistyped or swapped character). Read the ballot "
              "again."),
}


class ShortCodeError(ValueError):
    """A typed code that names no serial: `code` says why ("length", "alphabet", "check")."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.message, self.message_en = _SHORT_CODE_MESSAGES[code]
        super().__init__(self.message_en)


def looks_like_payload(text: str) -> bool:
    """Whether a typed or scanned text is a QR payload (DT<n>.…) rather than a short code."""
    return _VERSION_RE.match(text.strip().upper()) is not None


def typed_serial(text: str) -> str:
    """The serial a typed code names: the short code (its check character verified) or, for ballots printed before
    the short code, the bare serial. Spaces, dashes and case are ignored; raises ShortCodeError."""
    code = _SEPARATORS.sub("", (text or "")[:40]).upper().translate(_TYPED)
    if len(code) not in (SERIAL_CHARS, SHORT_CODE_CHARS):
        raise ShortCodeError("length")
    if any(char not in CROCKFORD for char in code):
        raise ShortCodeError("alphabet")
    if len(code) == SHORT_CODE_CHARS and _damm(code) != 0:
        raise ShortCodeError("check")
    return code[:SERIAL_CHARS]
