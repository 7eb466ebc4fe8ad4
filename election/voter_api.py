"""JSON API for voter rolls (import, read) and election-day check-in (R-V1, R-V5); scoped and audited."""
from __future__ import annotations

from flask import jsonify, request

from extensions import db
from election import voters
from core.access import allow
from core.api import api_bp, field_errors, json_body, operation, paginated
from election.polls import Poll
from election.rolls import REQUIRED_FIELDS, RawRow, RawTable, RollFileError, read_rows, short_fingerprint
from election.voter_views import (CHECKIN_ROLES, ROLL_EDITORS, ROLL_READERS, load_hamlet_term,
                                  mark_checked_in, poll_of, undo_checked_in)
from election.voters import VoterEntry

ROLL_FIELDS = ("household_no", "full_name", "citizen_id", "birth_date", "sex", "hamlet", "address", "phone")
ROW_SCHEMA = {"type": "object", "required": list(REQUIRED_FIELDS), "properties": {
    "household_no": {"type": "string"}, "full_name": {"type": "string"},
    "citizen_id": {"type": "string", "pattern": "^[0-9]{12}$"},
    "birth_date": {"type": "string", "description": "dd/mm/yyyy, yyyy-mm-dd or a 4-digit year"},
    "sex": {"type": "string", "description": "Nam | Nữ | male | female"}, "address": {"type": "string"}}}
IMPORT_REQUEST = {"type": "object", "required": ["rows"], "properties": {
    "rows": {"type": "array", "items": ROW_SCHEMA}, "filename": {"type": "string"},
    "dry_run": {"type": "boolean", "default": False,
                "description": "check only (the preview); a multipart upload with a `file` field also works"}}}
PROBLEM_SCHEMA = {"type": "object", "properties": {
    "line": {"type": "integer"}, "field": {"type": "string"}, "code": {"type": "string"},
    "message": {"type": "string"}, "message_en": {"type": "string"}}}
IMPORT_RESPONSE = {"type": "object", "properties": {
    "ok": {"type": "boolean"}, "rows": {"type": "integer"}, "households": {"type": "integer"},
    "problems": {"type": "array", "items": PROBLEM_SCHEMA}, "fingerprint": {"type": "string"},
    "short_fingerprint": {"type": "string"}, "imported": {"type": "boolean"}}}
TURNOUT_SCHEMA = {"type": "object", "properties": {
    "total": {"type": "integer"}, "present": {"type": "integer"}, "quorum_met": {"type": "boolean"},
    "needed_for_quorum": {"type": "integer"}, "percent": {"type": "number"}}}
ROUND_PARAM = {"name": "round_no", "in": "query", "schema": {"type": "integer", "enum": [1, 2], "default": 1}}


def _round_no() -> int:
    body = json_body() if request.is_json else None
    value = (body or {}).get("round_no") if isinstance(body, dict) else None
    value = value or request.args.get("round_no", type=int)
    return 2 if value == 2 else 1


def _poll(term, hamlet, create: bool) -> Poll | None:
    return poll_of(term, hamlet, _round_no(), create)


def roll_json(roll) -> dict:
    if roll is None:
        return {"entries": 0, "fingerprint": "", "short_fingerprint": ""}
    return {"entries": roll.entry_count, "fingerprint": roll.fingerprint,
            "short_fingerprint": short_fingerprint(roll.fingerprint) if roll.fingerprint else "",
            "source_filename": roll.source_filename, "updated_at": roll.updated_at.isoformat()}


@api_bp.get("/hamlets/<int:hamlet_id>/roll")
@allow(*ROLL_READERS)
@operation("Danh sách cử tri của thôn (nhiệm kỳ hiện hành), phân trang; q: tên không dấu, số định danh, số hộ",
           tag="rolls", parameters=[{"name": "q", "in": "query", "schema": {"type": "string"}},
                                    {"name": "page", "in": "query", "schema": {"type": "integer"}},
                                    {"name": "per_page", "in": "query", "schema": {"type": "integer"}}])
def api_roll(hamlet_id: int):
    hamlet, term = load_hamlet_term(hamlet_id)
    roll = voters.roll_for(term, hamlet)
    data = {"hamlet_id": hamlet.id, "term_id": term.id, **roll_json(roll)}
    if roll is None:
        data.update(items=[], page=1, per_page=0, total=0)
    else:
        stmt = voters.entry_search(db.select(VoterEntry).where(VoterEntry.roll_id == roll.id),
                                   request.args.get("q", ""))
        data.update(paginated(stmt.order_by(VoterEntry.household_no, VoterEntry.id), _entry_full))
    return jsonify(data)


def _entry_full(entry: VoterEntry) -> dict:
    return {"id": entry.id, "household_no": entry.household_no, "full_name": entry.full_name,
            "citizen_id": entry.citizen_id, "birth_date": entry.birth_date.isoformat() if entry.birth_date else None,
            "birth_year": entry.birth_year, "sex": entry.sex, "address": entry.address}


def _json_table(rows: list) -> RawTable:
    raw = []
    for index, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise RollFileError(f"Dòng {index} không phải một đối tượng JSON.", f"Row {index} is not a JSON object.")
        raw.append(RawRow(index, tuple(None if row.get(f) is None else str(row.get(f)) for f in ROLL_FIELDS)))
    return RawTable(source="json", headers=ROLL_FIELDS, header_line=0,
                    columns={name: i for i, name in enumerate(ROLL_FIELDS)}, rows=tuple(raw))


@api_bp.post("/hamlets/<int:hamlet_id>/roll")
@allow(*ROLL_EDITORS)
@operation("Nhập (thay) danh sách cử tri: JSON {rows: [...]} hoặc tệp CSV/XLSX (multipart, trường file); "
           "tất cả hoặc không gì; dry_run = chỉ kiểm tra", tag="rolls", request_schema=IMPORT_REQUEST,
           response_schema=IMPORT_RESPONSE)
def api_import_roll(hamlet_id: int):
    hamlet, term = load_hamlet_term(hamlet_id)
    try:
        if "file" in request.files:
            upload = request.files["file"]
            filename = upload.filename or "roll"
            table = read_rows(filename, upload.read())
            dry_run = request.form.get("dry_run", "").lower() in ("1", "true", "yes")
        else:
            body = json_body()
            if not isinstance(body, dict) or not isinstance(body.get("rows"), list):
                return field_errors({"rows": "Cần mảng rows (hoặc tệp trong trường file)."})
            filename = str(body.get("filename") or "api.json")[:200]
            table = _json_table(body["rows"])
            dry_run = bool(body.get("dry_run"))
    except RollFileError as error:
        return field_errors({"file": error.message})
    preview = voters.check_roll(table, term, hamlet)
    result = {"ok": preview.ok, "rows": len(preview.rows), "households": preview.household_count,
              "problems": [{"line": p.line, "field": p.field, "code": p.code, "message": p.message,
                            "message_en": p.message_en} for p in preview.problems], "imported": False}
    if not preview.ok:
        result["errors"] = {"rows": f"Tệp có {len(preview.problems)} lỗi; chưa nhập dòng nào."}
        return jsonify(result), 422
    if dry_run:
        return jsonify(result)
    roll = voters.replace_roll(term, hamlet, preview, filename)  # RuleViolation -> 422 by the app handler
    db.session.commit()
    result.update(imported=True, fingerprint=roll.fingerprint, short_fingerprint=short_fingerprint(roll.fingerprint))
    return jsonify(result)


@api_bp.get("/hamlets/<int:hamlet_id>/turnout")
@allow(*CHECKIN_ROLES, *ROLL_READERS)
@operation("Số hộ đã nhận phiếu so với tổng số hộ và điều kiện quá nửa (R-V5)", tag="rolls",
           parameters=[ROUND_PARAM], response_schema=TURNOUT_SCHEMA)
def api_turnout(hamlet_id: int):
    hamlet, term = load_hamlet_term(hamlet_id)
    return jsonify(voters.turnout(_poll(term, hamlet, create=False), voters.roll_for(term, hamlet)).as_dict())


@api_bp.post("/hamlets/<int:hamlet_id>/checkins")
@allow(*CHECKIN_ROLES)
@operation("Ghi nhận người đại diện hộ đã nhận phiếu (lặp lại không sao); không ghi số sê-ri phiếu", tag="rolls",
           request_schema={"type": "object", "required": ["entry_id"], "properties": {
               "entry_id": {"type": "integer"}, "round_no": {"type": "integer", "enum": [1, 2]}}},
           response_schema={"type": "object", "properties": {"created": {"type": "boolean"},
                                                             "turnout": TURNOUT_SCHEMA}})
def api_check_in(hamlet_id: int):
    hamlet, term = load_hamlet_term(hamlet_id)
    body = json_body()
    entry_id = body.get("entry_id") if isinstance(body, dict) else None
    if not isinstance(entry_id, int):
        return field_errors({"entry_id": "Cần entry_id (số nguyên)."})
    return jsonify(mark_checked_in(hamlet.id, entry_id, _round_no()))


@api_bp.delete("/hamlets/<int:hamlet_id>/checkins/<int:entry_id>")
@allow(*CHECKIN_ROLES)
@operation("Hủy ghi nhận nhận phiếu của một hộ (bấm nhầm)", tag="rolls", parameters=[ROUND_PARAM],
           response_schema={"type": "object", "properties": {"removed": {"type": "boolean"},
                                                             "turnout": TURNOUT_SCHEMA}})
def api_undo_check_in(hamlet_id: int, entry_id: int):
    return jsonify(undo_checked_in(hamlet_id, entry_id, _round_no()))

