"""What the scan page and the scan API share: a scan request answered 201 counted, 200 replayed, 409 refused,
422 bad input; a check before a name is tapped (of a scanned QR, a typed short code or a photo); what a scan
recorded, in words."""
from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user

from ballots.qr import MAX_QR_TEXT
from ballots.scanning import (
    AGREE,
    DISAGREE,
    ScanPoll,
    ScanRefused,
    candidate_names,
    check_scanned_ballot,
    end_reads,
    record_scan,
    scan_json,
    scan_totals,
    typed_ballot_text,
)
from ballots.verification import MAX_PHOTO_BYTES, read_qr_codes
from core.errors import RuleViolation
from core.labels import N_
from core.uploads import UploadRefused
from election.counting import INVALID_REASONS
from election.models import Poll


def _scanned_text(poll: ScanPoll, data: dict) -> str:
    """The QR text a request is about: scanned (`text`), or the ballot of a typed short code (`code`)."""
    text = str(data.get("text", "") or "")
    code = str(data.get("code", "") or "")
    if not text.strip() and code.strip():
        return typed_ballot_text(poll, code)
    return text


def scan_request(poll: ScanPoll, data: dict, key: str):
    """Shared by the phone page and the API: 201 counted, 200 replayed, 409 refused, 422 bad input.

    The scan commits itself (ballots.scanning.record_scan, on the scan path's own connection).
    """
    if (too_long := qr_text_too_long(data)) is not None:
        return too_long
    try:
        text = _scanned_text(poll, data)
        scan, replayed = record_scan(poll, current_user._get_current_object(), text,
                                     str(data.get("choice", "")), str(data.get("reason", "")), key)
    except ScanRefused as refused:
        return jsonify({"error": refused.message, "code": refused.code}), 409
    except RuleViolation as error:
        return jsonify({"errors": {error.field or "rule": error.message}}), 422
    body = scan_json(scan, replayed)
    body["totals"] = scan["totals"] if not replayed else scan_totals(poll.id)
    body.update(recorded(poll, scan["choice"], bool(scan["valid"]), scan["reason"]))
    return jsonify(body), 200 if replayed else 201


def scan_check_request(poll: ScanPoll, data: dict):
    """Shared by the phone page and the API: 200 {ok, serial, text} when the ballot can be counted (`text`: its QR
    text, to send with the choice), 409 refused (forged, foreign, already counted…), 422 scanning closed or a
    typed code the check character refuses. Writes nothing."""
    if (too_long := qr_text_too_long(data)) is not None:
        return too_long
    try:
        text = _scanned_text(poll, data)
        serial = check_scanned_ballot(poll, text)
    except ScanRefused as refused:
        return jsonify({"ok": False, "error": refused.message, "code": refused.code}), 409
    except RuleViolation as error:
        return jsonify({"errors": {error.field or "rule": error.message}}), 422
    return jsonify({"ok": True, "serial": serial, "text": text.strip()}), 200


PHOTO_REFUSED = {
    "image_too_large": N_("Ảnh quá lớn: chụp lại ở cỡ ảnh thường của điện thoại."),
    "image_unreadable": N_("Tệp không phải ảnh đọc được: hãy chụp lại phiếu."),
}


def scan_photo_request(poll: ScanPoll, upload):
    """A photo of one ballot (where the browser cannot read the camera itself): its QR decoded on the server, then
    checked like a scanned code (scan_check_request). 422 when there is no image, no QR or more than one."""
    end_reads()  # the decoding takes a while: hold no read (nor PostgreSQL's shared scan lock) meanwhile
    if upload is None or not upload.filename:
        return jsonify({"errors": {"image": _("Hãy chụp hoặc chọn ảnh phiếu bầu.")}}), 422
    try:
        texts = read_qr_codes(upload.stream.read(MAX_PHOTO_BYTES + 1))
    except UploadRefused as refused:
        return jsonify({"errors": {"image": _(PHOTO_REFUSED[refused.reason])}}), 422
    if not texts:
        return jsonify({"errors": {"image": _("Không tìm thấy mã QR trong ảnh: chụp gần hơn, đủ sáng, không bị lóa, "
                                              "cả mã QR nằm trong khung.")}}), 422
    if len(texts) > 1:
        return jsonify({"errors": {"image": _("Ảnh có %(n)d mã QR: mỗi ảnh chỉ chụp một phiếu.", n=len(texts))}}), 422
    return scan_check_request(poll, {"text": texts[0]})


def recorded(poll: Poll | ScanPoll, choice: str, valid: bool, reason: str) -> dict:
    """What a scan recorded: the candidate(s) it names and the sentence the phone shows ("Đã ghi: …")."""
    names = candidate_names(poll)
    if not valid:
        label = _(INVALID_REASONS[reason]) if reason in INVALID_REASONS else reason
        what = _("phiếu không hợp lệ: %(reason)s", reason=label[:1].lower() + label[1:])
        kept: list[str] = []
    elif choice in (AGREE, DISAGREE):
        kept = list(names.values())[:1]
        what = (_("phiếu hợp lệ — đồng ý %(name)s", name=kept[0]) if choice == AGREE
                else _("phiếu hợp lệ — không đồng ý %(name)s", name=kept[0]))
    else:
        kept = [names.get(choice, choice)]
        what = _("phiếu hợp lệ — giữ tên %(name)s", name=kept[0])
    return {"names": kept, "recorded": what, "message": _("Đã ghi: %(what)s", what=what)}


def qr_text_too_long(data: dict):
    """422 when the scanned text is longer than any ballot's QR (checked before decoding), else None."""
    if len(str(data.get("text", ""))) > MAX_QR_TEXT:
        return jsonify({"errors": {"text": _("Nội dung mã QR quá dài (tối đa %(max)d ký tự).", max=MAX_QR_TEXT)}}), 422
    if len(str(data.get("code", ""))) > 40:
        return jsonify({"errors": {"code": _("Mã trên phiếu quá dài.")}}), 422
    return None
