"""What the scan page and the scan API share: a scan request answered 201 counted, 200 replayed, 409 refused,
422 bad input; a check before a name is tapped."""
from __future__ import annotations

from flask import jsonify
from flask_login import current_user

from ballots.scanning import (
    COUNTED_ELSEWHERE,
    ScanPoll,
    ScanRefused,
    check_scanned_ballot,
    record_scan,
    scan_by_key,
    scan_json,
    scan_totals,
)
from core import dbapi
from core.errors import RuleViolation


def scan_request(poll: ScanPoll, data: dict, key: str):
    """Shared by the phone page and the API: 201 counted, 200 replayed, 409 refused, 422 bad input.

    The scan commits itself on the request's DBAPI connection (election.counting.record_scan).
    """
    try:
        scan, replayed = record_scan(poll, current_user._get_current_object(), str(data.get("text", "")),
                                     str(data.get("choice", "")), str(data.get("reason", "")), key)
    except ScanRefused as refused:
        return jsonify({"error": refused.message, "code": refused.code}), 409
    except RuleViolation as error:
        return jsonify({"errors": {error.field or "rule": error.message}}), 422
    except dbapi.driver_errors() as error:  # a concurrent twin: replay when its key landed, else counted
        if not dbapi.is_conflict(error):
            raise
        try:
            scan = scan_by_key(poll.id, key.strip()[:80])
        except RuleViolation as reused:
            return jsonify({"errors": {reused.field: reused.message}}), 422
        if scan is not None:
            return jsonify(scan_json(scan, True)), 200
        return jsonify({"error": COUNTED_ELSEWHERE, "code": "already_counted"}), 409
    body = scan_json(scan, replayed)
    body["totals"] = scan["totals"] if not replayed else scan_totals(poll.id)
    return jsonify(body), 200 if replayed else 201


def scan_check_request(poll: ScanPoll, data: dict):
    """Shared by the phone page and the API: 200 {ok, serial} when the ballot can be counted, 409 refused
    (forged, foreign, already counted…), 422 scanning closed. Writes nothing."""
    try:
        serial = check_scanned_ballot(poll, str(data.get("text", "")))
    except ScanRefused as refused:
        return jsonify({"ok": False, "error": refused.message, "code": refused.code}), 409
    except RuleViolation as error:
        return jsonify({"errors": {error.field or "rule": error.message}}), 422
    finally:
        dbapi.request_connection().rollback()  # ends the reads (and PostgreSQL's shared scan lock)
    return jsonify({"ok": True, "serial": serial}), 200
