"""JSON API for ballots: verification of a scanned QR (text, or a photo decoded on the server), and counting by
scanning (a scan by QR text or typed short code, a check before a name is tapped, a photo whose marks are read,
finishing into a count entry)."""
from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user

from ballots.access import load_scan_poll, scoped
from ballots.scan_views import read_photo_request
from ballots.scanning import finish_scanning
from ballots.service import qr_text_too_long, scan_check_request, scan_request
from ballots.verification import Verification, decode_image, verify_ballot
from core.access import allow, any_user
from core.api import api_bp, field_errors, json_body, operation
from core.dbapi import direct_db
from core.transactions import act
from election.access import TEAM, load_poll
from election.api import entry_json, poll_json
from election.calculator import MSG_NOT_OBJECT

VERIFY_RESPONSE = {"type": "object", "properties": {
    "ok": {"type": "boolean"},
    "code": {"enum": ["genuine", "malformed", "unknown_version", "unknown_key", "bad_signature", "unknown_serial",
                      "wrong_election", "wrong_hamlet", "test_ballot", "already_counted", "spoiled", "cancelled", "out_of_scope"]},
    "message": {"type": "string"}, "message_en": {"type": "string"}, "test": {"type": "boolean"},
    "serial": {"type": "string"},
    "poll": {"type": ["object", "null"], "properties": {
        "id": {"type": "integer"}, "round_no": {"type": "integer"}, "hamlet_id": {"type": "integer"},
        "hamlet": {"type": "string"}, "commune": {"type": "string"}}}}}


def verification_json(result: Verification) -> dict:
    poll = result.poll
    return {"ok": result.ok, "code": result.code, "message": result.message, "message_en": result.message_en,
            "test": result.test, "serial": result.serial,
            "poll": None if poll is None else {"id": poll.id, "round_no": poll.round_no, "hamlet_id": poll.hamlet_id,
                                               "hamlet": poll.hamlet.full_name,
                                               "commune": poll.hamlet.commune.full_name}}


@api_bp.post("/ballots/verify")
@any_user
@operation("Kiểm tra mã QR của một phiếu bầu: thật hay giả, thôn nào, phiếu thử, đã kiểm chưa "
           "(JSON {text} hoặc ảnh multipart trong trường image)", tag="ballots",
           request_schema={"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}},
           response_schema={"type": "object", "properties": {
               "results": {"type": "array", "items": VERIFY_RESPONSE}}})
def api_verify_ballot():
    if "image" in request.files:
        texts = decode_image(request.files["image"].stream)
        if not texts:
            return field_errors({"image": "Không tìm thấy mã QR trong ảnh."})
    else:
        body = json_body()
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text.strip():
            return field_errors({"text": "Cần nội dung mã QR (text)."})
        if (too_long := qr_text_too_long(body)) is not None:
            return too_long
        texts = [text]
    return jsonify({"results": [verification_json(scoped(verify_ballot(t))) for t in texts]})


SCAN_REQUEST = {"type": "object", "properties": {
    "text": {"type": "string", "description": "the ballot's QR text"},
    "code": {"type": "string", "description": "instead of text: the short code printed under the QR (11 characters, "
             "spaces, dashes and case ignored; its check character refuses a typo), or an older ballot's serial"},
    "choice": {"type": "string", "description": "candidacy id kept, or agree / disagree with one candidate"},
    "reason": {"type": "string", "description": "R-B1 reason when invalid: extra_marks, no_name_kept, "
               "too_many_kept, no_box, both_boxes"}}}


IDEMPOTENCY = [{"name": "Idempotency-Key", "in": "header", "required": True, "schema": {"type": "string"},
                "description": "unique per ballot scan; a retried request with the same key is replayed"}]


@api_bp.post("/polls/<int:poll_id>/scans")
@allow(*TEAM)
@direct_db
@operation("Quét một phiếu bầu (mã QR) và ghi phiếu hợp lệ/không hợp lệ; 201 đã tính, 200 gửi lại, 409 từ chối",
           tag="counting", request_schema=SCAN_REQUEST, parameters=IDEMPOTENCY, statuses=(201,))
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
           "đã tính…); không ghi gì; trả về nội dung mã QR của phiếu (text)", tag="counting", request_schema={
               "type": "object", "properties": {"text": {"type": "string"}, "code": {"type": "string"}}})
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
               "version": {"type": "integer"}}}, statuses=(201,))
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


@api_bp.post("/polls/<int:poll_id>/scans/read")
@allow(*TEAM)
@operation("Đọc dấu trên ảnh một phiếu bầu (multipart, trường image: ảnh JPEG/PNG cả lá phiếu): phiếu đọc rõ được "
           "tính như một lần quét (status counted; gửi lại cùng ảnh: replayed), phiếu chưa rõ chờ hai thành viên "
           "quyết định (waiting), phiếu bị từ chối (refused, kèm lý do)", tag="counting",
           response_schema={"type": "object", "properties": {
               "status": {"enum": ["counted", "waiting", "refused"]}, "serial": {"type": "string"},
               "message": {"type": "string"}, "waiting": {"type": "integer"},
               "results": {"type": "array", "items": {"type": "object"}}}})
def read_scan(poll_id: int):
    return read_photo_request(load_scan_poll(poll_id), request.files.get("image"))
