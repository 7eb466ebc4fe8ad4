"""The counting API: the public count calculator (api.md), entries, scans, outcomes, the board; a health check."""
from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user

from extensions import db
from core.access import allow, public
from core.dbapi import direct_db
from core.api import api_bp, field_errors, json_body, operation
from election.calculator import MSG_NOT_OBJECT, count_response
from election.count_views import (COMMITTEE, TEAM, VIEWERS, act, load_poll, load_scan_poll, scan_check_request,
                                  scan_request)
from election.counting import (NEXT_STEP_LABELS, CountEntry, Figures, choose_entry, finish_scanning, poll_candidates,
                               poll_entries, poll_result, recognition_due, result_rows, send_back, submit_entry)

COUNT_REQUEST = {"type": "object", "required": [
    "mode", "total_households", "ballots_issued", "ballots_returned", "valid_ballots", "invalid_ballots", "seats",
    "candidates"], "properties": {
    "mode": {"enum": ["meeting", "distribution"]}, "total_households": {"type": "integer", "minimum": 0},
    "households_present": {"type": "integer", "minimum": 0}, "ballots_issued": {"type": "integer", "minimum": 0},
    "ballots_returned": {"type": "integer", "minimum": 0}, "valid_ballots": {"type": "integer", "minimum": 0},
    "invalid_ballots": {"type": "integer", "minimum": 0}, "seats": {"type": "integer", "minimum": 1},
    "candidates": {"type": "array", "items": {"type": "object", "required": ["id", "votes"], "properties": {
        "id": {"type": "string"}, "votes": {"type": "integer", "minimum": 0}}}},
    "against": {"type": "integer", "minimum": 0, "default": 0},
    "denominator": {"enum": ["total_households", "present", "valid_ballots"], "default": "total_households"}}}
ISSUE = {"type": "object", "properties": {"rule": {"type": "string"}, "message": {"type": "string"}}}
COUNT_RESPONSE = {"type": "object", "properties": {
    "quorum_met": {"type": ["boolean", "null"]},
    "outcome": {"enum": ["elected", "no_winner", "no_quorum", "inconsistent"]},
    "winner": {"type": ["string", "null"]},
    "errors": {"type": "array", "items": ISSUE}, "warnings": {"type": "array", "items": ISSUE},
    "shares": {"type": "object", "additionalProperties": {"type": "object", "properties": {
        "of_total_households": {"type": ["number", "null"]}, "of_present": {"type": ["number", "null"]},
        "of_valid_ballots": {"type": ["number", "null"]}}}}}}
ENTRY_REQUEST = {"type": "object", "required": [
    "ballots_issued", "ballots_returned", "valid_ballots", "invalid_ballots", "votes"], "properties": {
    "ballots_issued": {"type": "integer"}, "ballots_returned": {"type": "integer"},
    "valid_ballots": {"type": "integer"}, "invalid_ballots": {"type": "integer"},
    "votes": {"type": "object", "description": "candidacy id → votes (Đồng ý with one candidate)",
              "additionalProperties": {"type": "integer"}},
    "against": {"type": "integer", "description": "Không đồng ý (one candidate only)"},
    "acknowledged": {"type": "boolean", "description": "R-C6 warnings checked and acknowledged"},
    "version": {"type": "integer", "description": "the poll version read; a stale one answers 409"}}}
SCAN_REQUEST = {"type": "object", "required": ["text"], "properties": {
    "text": {"type": "string", "description": "the ballot's QR text"},
    "choice": {"type": "string", "description": "candidacy id kept, or agree / disagree with one candidate"},
    "reason": {"type": "string", "description": "R-B1 reason when invalid: extra_marks, no_name_kept, "
               "too_many_kept, no_box, both_boxes"}}}
IDEMPOTENCY = [{"name": "Idempotency-Key", "in": "header", "required": True, "schema": {"type": "string"},
                "description": "unique per ballot scan; a retried request with the same key is replayed"}]


@api_bp.post("/rules/count")
@public
@operation("Kiểm tra số liệu kiểm phiếu và kết quả (R-C1…R-C6, R-V5, R-V7); không lưu gì", tag="rules",
           request_schema=COUNT_REQUEST, response_schema=COUNT_RESPONSE)
def rules_count():
    status, payload = count_response(json_body())
    return jsonify(payload), status


@api_bp.get("/health")
@public
@operation("Kiểm tra ứng dụng đang chạy", tag="system")
def health():
    return jsonify({"ok": True})


def entry_json(entry: CountEntry) -> dict:
    return {"id": entry.id, "slot": entry.slot, "method": entry.method.value, "user_id": entry.user_id,
            "ballots_issued": entry.ballots_issued, "ballots_returned": entry.ballots_returned,
            "valid_ballots": entry.valid_ballots, "invalid_ballots": entry.invalid_ballots,
            "against": entry.against, "votes": entry.votes, "warnings_acknowledged": entry.warnings_acknowledged}


def poll_json(poll) -> dict:
    return {"id": poll.id, "hamlet_id": poll.hamlet_id, "term_id": poll.term_id, "round_no": poll.round_no,
            "status": poll.status.value, "mode": poll.mode.value, "voting_form": poll.voting_form.value,
            "version": poll.version, "total_households": poll.total_households,
            "households_present": poll.households_present, "quorum_met": poll.quorum_met}


def _entry_figures(data: object) -> tuple[Figures | None, dict[str, str]]:
    if not isinstance(data, dict):
        return None, {"body": MSG_NOT_OBJECT}
    errors: dict[str, str] = {}
    numbers = {}
    for name in ("ballots_issued", "ballots_returned", "valid_ballots", "invalid_ballots", "against"):
        value = data.get(name, 0 if name == "against" else None)
        if type(value) is not int or value < 0:
            errors[name] = "Phải là một số nguyên không âm."
        numbers[name] = value
    votes = data.get("votes")
    if not isinstance(votes, dict) or any(type(v) is not int or v < 0 for v in votes.values()):
        errors["votes"] = "Phải là một đối tượng {mã người ứng cử: số phiếu}."
    if errors:
        return None, errors
    return Figures(numbers["ballots_issued"], numbers["ballots_returned"], numbers["valid_ballots"],
                   numbers["invalid_ballots"], {str(k): v for k, v in votes.items()}, numbers["against"]), {}


@api_bp.post("/polls/<int:poll_id>/count-entries")
@allow(*TEAM)
@operation("Nhập kết quả kiểm phiếu (lần 1, rồi lần 2 bởi người khác); hai lần khớp thì chốt", tag="counting",
           request_schema=ENTRY_REQUEST)
def create_count_entry(poll_id: int):
    poll = load_poll(poll_id)
    data = json_body()
    figures, errors = _entry_figures(data)
    if figures is None:
        return field_errors(errors)
    entry = act(f"Nhập kết quả kiểm phiếu qua API {poll.label}",
                lambda: submit_entry(poll, current_user, figures, acknowledged=bool(data.get("acknowledged")),
                                     expected_version=data.get("version")))
    return jsonify({"entry": entry_json(entry), "poll": poll_json(poll)}), 201


@api_bp.get("/polls/<int:poll_id>/count-entries")
@allow(*VIEWERS)
@operation("Các lần nhập kết quả kiểm phiếu của một cuộc bầu", tag="counting")
def list_count_entries(poll_id: int):
    poll = load_poll(poll_id)
    return jsonify({"items": [entry_json(e) for e in poll_entries(poll)], "poll": poll_json(poll)})


@api_bp.post("/polls/<int:poll_id>/count-entries/<int:entry_id>/choose")
@allow(*COMMITTEE)
@operation("Chọn lần nhập đúng khi hai lần nhập lệch nhau", tag="counting")
def choose_count_entry_api(poll_id: int, entry_id: int):
    poll = load_poll(poll_id)
    entry = db.get_or_404(CountEntry, entry_id)
    act(f"Chọn lần nhập {entry.slot} qua API {poll.label}",
        lambda: choose_entry(poll, entry, (json_body() or {}).get("version")))
    return jsonify({"poll": poll_json(poll)})


@api_bp.delete("/polls/<int:poll_id>/count-entries/<int:entry_id>")
@allow(*COMMITTEE)
@operation("Trả lại một lần nhập để nhập lại (khi hai lần nhập lệch nhau)", tag="counting")
def send_back_entry_api(poll_id: int, entry_id: int):
    poll = load_poll(poll_id)
    entry = db.get_or_404(CountEntry, entry_id)
    act(f"Trả lại lần nhập {entry.slot} qua API {poll.label}",
        lambda: send_back(poll, entry, request.args.get("version", type=int)))
    return jsonify({"poll": poll_json(poll)})


@api_bp.post("/polls/<int:poll_id>/scans")
@allow(*TEAM)
@direct_db
@operation("Quét một phiếu bầu (mã QR) và ghi phiếu hợp lệ/không hợp lệ; 201 đã tính, 200 gửi lại, 409 từ chối",
           tag="counting", request_schema=SCAN_REQUEST, parameters=IDEMPOTENCY)
def create_scan(poll_id: int):
    poll = load_scan_poll(poll_id)
    data = json_body()
    if not isinstance(data, dict):
        return field_errors({"body": MSG_NOT_OBJECT})
    return scan_request(poll, data, request.headers.get("Idempotency-Key", ""))


@api_bp.post("/polls/<int:poll_id>/scans/check")
@allow(*TEAM)
@direct_db
@operation("Kiểm tra một phiếu vừa đọc mã (trước khi chọn tên): 200 tính được, 409 từ chối (giả, khác thôn, "
           "đã tính…); không ghi gì", tag="counting", request_schema={
               "type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}})
def check_scan(poll_id: int):
    poll = load_scan_poll(poll_id)
    data = json_body()
    if not isinstance(data, dict):
        return field_errors({"body": MSG_NOT_OBJECT})
    return scan_check_request(poll, data)


@api_bp.post("/polls/<int:poll_id>/scans/finish")
@allow(*TEAM)
@operation("Kết thúc quét phiếu: tổng hợp các phiếu đã quét thành một lần nhập", tag="counting",
           request_schema={"type": "object", "required": ["ballots_issued"], "properties": {
               "ballots_issued": {"type": "integer"}, "acknowledged": {"type": "boolean"},
               "version": {"type": "integer"}}})
def finish_scans(poll_id: int):
    poll = load_poll(poll_id)
    data = json_body() or {}
    issued = data.get("ballots_issued")
    if type(issued) is not int or issued < 0:
        return field_errors({"ballots_issued": "Phải là một số nguyên không âm."})
    entry = act(f"Kết thúc quét phiếu qua API {poll.label}",
                lambda: finish_scanning(poll, current_user, issued, bool(data.get("acknowledged")),
                                        data.get("version")))
    return jsonify({"entry": entry_json(entry), "poll": poll_json(poll)}), 201


@api_bp.get("/polls/<int:poll_id>/outcome")
@allow(*VIEWERS)
@operation("Kết quả của một cuộc bầu: số liệu, tỷ lệ theo ba cách tính, người trúng cử, bước tiếp theo",
           tag="counting")
def poll_outcome(poll_id: int):
    poll = load_poll(poll_id)
    result = poll_result(poll)
    body = {"poll": poll_json(poll), "result": None}
    if result is not None:
        rows = result_rows(poll, result.figures, str(result.winner_candidacy_id or ""))
        due = recognition_due(poll)
        body["result"] = {
            "outcome": result.outcome, "winner_candidacy_id": result.winner_candidacy_id,
            "denominator": result.denominator, "next_step": result.next_step,
            "next_step_label": NEXT_STEP_LABELS[result.next_step],
            "total_households": result.total_households, "households_present": result.households_present,
            "ballots_issued": result.ballots_issued, "ballots_returned": result.ballots_returned,
            "valid_ballots": result.valid_ballots, "invalid_ballots": result.invalid_ballots,
            "against": result.against, "recognition_due": due.isoformat() if due else None,
            "candidates": [{"candidacy_id": r.candidacy_id, "name": r.name, "votes": r.votes,
                            "of_total_households": r.of_total, "of_present": r.of_present,
                            "of_valid_ballots": r.of_valid, "elected": r.elected} for r in rows]}
    body["candidates"] = [{"candidacy_id": c.id, "name": c.person.full_name} for c in poll_candidates(poll)]
    return jsonify(body)


@api_bp.get("/board")
@allow(*VIEWERS)
@operation("Bảng theo dõi ngày bầu cử: mọi thôn với trạng thái, tỷ lệ tham dự, kết quả, việc quá hạn",
           tag="counting", parameters=[{"name": "commune_id", "in": "query", "schema": {"type": "integer"}}])
def board_api():
    from election.board import board_data

    return jsonify(board_data(request.args.get("commune_id", type=int)))

