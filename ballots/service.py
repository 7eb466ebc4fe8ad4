"""What the scan page and the scan API share: a scan request answered 201 counted, 200 replayed, 409 refused,
422 bad input; a check before a name is tapped."""
from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user

from ballots.qr import MAX_QR_TEXT
from ballots.scanning import ScanPoll, ScanRefused, check_scanned_ballot, record_scan, scan_json, scan_totals
from core.errors import RuleViolation


def scan_request(poll: ScanPoll, data: dict, key: str):
    """Shared by the phone page and the API: 201 counted, 200 replayed, 409 refused, 422 bad input.

    The scan commits itself (ballots.scanning.record_scan, on the scan path's own connection).
    """
    if (too_long := qr_text_too_long(data)) is not None:
        return too_long
    try:
        scan, replayed = record_scan(poll, current_user._get_current_object(), str(data.get("text", "")),
                                     str(data.get("choice", "")), str(data.get("reason", "")), key)
    except ScanRefused as refused:
        return jsonify({"error": refused.message, "code": refused.code}), 409
    except RuleViolation as error:
        return jsonify({"errors": {error.field or "rule": error.message}}), 422
    body = scan_json(scan, replayed)
    body["totals"] = scan["totals"] if not replayed else scan_totals(poll.id)
    return jsonify(body), 200 if replayed else 201


def scan_check_request(poll: ScanPoll, data: dict):
    """Shared by the phone page and the API: 200 {ok, serial} when the ballot can be counted, 409 refused
    (forged, foreign, already counted…), 422 scanning closed. Writes nothing."""
    if (too_long := qr_text_too_long(data)) is not None:
        return too_long
    try:
        serial = check_scanned_ballot(poll, str(data.get("text", "")))
    except ScanRefused as refused:
        return jsonify({"ok": False, "error": refused.message, "code": refused.code}), 409
    except RuleViolation as error:
        return jsonify({"errors": {error.field or "rule": error.message}}), 422
    return jsonify({"ok": True, "serial": serial}), 200


def qr_text_too_long(data: dict):
    """422 when the scanned text is longer than any ballot's QR (checked before decoding), else None."""
    if len(str(data.get("text", ""))) > MAX_QR_TEXT:
        return jsonify({"errors": {"text": _("Nội dung mã QR quá dài (tối đa %(max)d ký tự).", max=MAX_QR_TEXT)}}), 422
    return None
