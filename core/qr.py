"""QR codes drawn as vector paths: the module matrix at error correction M with a fixed mask, for ballots and
for the verification code on official documents."""
from __future__ import annotations

from functools import lru_cache

import qrcode
from qrcode.util import MODE_8BIT_BYTE, MODE_ALPHA_NUM, QRData

QR_MASK_PATTERN = 2  # fixed mask: skips qrcode's slow search over all eight masks
_QR_ALNUM = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


@lru_cache(maxsize=64)
def _version_for(length: int, alnum: bool) -> int:
    """Smallest QR version for a payload of this length and mode (depends on nothing else)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(QRData(b"0" * length, mode=MODE_ALPHA_NUM if alnum else MODE_8BIT_BYTE), optimize=0)
    return qr.best_fit()


def qr_matrix(text: str) -> list[list[bool]]:
    """The QR module matrix (True = dark, no quiet zone) at error correction M, fixed mask."""
    data = text.encode("utf-8")
    alnum = all(c in _QR_ALNUM for c in text)
    qr = qrcode.QRCode(
        version=_version_for(len(data), alnum),  # skips qrcode's per-call version search
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=0,
        mask_pattern=QR_MASK_PATTERN,
    )
    qr.add_data(QRData(data, mode=MODE_ALPHA_NUM if alnum else MODE_8BIT_BYTE), optimize=0)
    qr.make(fit=False)
    return [[bool(cell) for cell in row] for row in qr.modules]
