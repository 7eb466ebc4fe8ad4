"""JSON API for ballots: verification of a scanned QR (text, or a photo decoded on the server)."""
from __future__ import annotations

from flask import jsonify, request

from ballots.verification import Verification, verify_ballot
from ballots.views import decode_image, scoped
from core.access import any_user
from core.api import api_bp, field_errors, json_body, operation

VERIFY_RESPONSE = {"type": "object", "properties": {
    "ok": {"type": "boolean"},
    "code": {"enum": ["genuine", "malformed", "unknown_version", "bad_signature", "unknown_serial", "wrong_election",
                      "wrong_hamlet", "test_ballot", "already_counted", "spoiled", "cancelled", "out_of_scope"]},
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
        texts = [text]
    return jsonify({"results": [verification_json(scoped(verify_ballot(t))) for t in texts]})
