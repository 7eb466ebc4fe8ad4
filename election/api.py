"""The election's JSON API: voter rolls and check-in, the public count calculator, count entries, outcomes, the
board. Scoped and audited like the pages."""
from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user

from core.access import allow, public, shown_birth_date, shown_citizen_id
from core.api import api_bp, field_errors, json_body, operation, paginated
from core.errors import RuleViolation
from core.sheet_layout import SheetChoiceNeeded
from core.spreadsheets import RawRow
from core.transactions import act, commit
from election import service
from election.access import (
    CHECKIN_ROLES,
    COMMITTEE,
    ROLL_EDITORS,
    ROLL_READERS,
    TEAM,
    VIEWERS,
    load_hamlet_term,
    load_poll,
    poll_round,
)
from election.board import board_data
from election.calculator import MSG_NOT_OBJECT, count_response
from election.counting import (
    NEXT_STEP_LABELS,
    accepted_rows,
    choose_entry,
    poll_candidates,
    poll_entries,
    poll_result,
    send_back,
    submit_entry,
)
from election.models import CountEntry, Figures, Poll, VoterEntry, confirmation_note
from election.recognition import recognition_due
from election.rolls import REQUIRED_FIELDS, RawTable, RollFileError, read_rows, short_fingerprint
from election.service import mark_checked_in, poll_of, undo_checked_in
from extensions import db

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


@api_bp.post("/rules/count")
@public
@operation("Kiểm tra số liệu kiểm phiếu và kết quả (R-C1…R-C6, R-V5, R-V7); không lưu gì", tag="rules",
           request_schema=COUNT_REQUEST, response_schema=COUNT_RESPONSE)
def rules_count():
    status, payload = count_response(json_body())
    return jsonify(payload), status


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
           request_schema=ENTRY_REQUEST, statuses=(201,))
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
        lambda: choose_entry(poll, entry, (json_body() or {}).get("version"), user=current_user))
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


@api_bp.get("/polls/<int:poll_id>/outcome")
@allow(*VIEWERS)
@operation("Kết quả của một cuộc bầu: số liệu, tỷ lệ theo ba cách tính, người trúng cử, bước tiếp theo",
           tag="counting")
def poll_outcome(poll_id: int):
    poll = load_poll(poll_id)
    result = poll_result(poll)
    body = {"poll": poll_json(poll), "result": None}
    if result is not None:
        rows = accepted_rows(result)
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
    return jsonify(board_data(request.args.get("commune_id", type=int)))


ROLL_FIELDS = ("household_no", "full_name", "citizen_id", "birth_date", "sex", "hamlet", "address", "phone")
ROW_SCHEMA = {"type": "object", "required": list(REQUIRED_FIELDS), "properties": {
    "household_no": {"type": "string"}, "full_name": {"type": "string"},
    "citizen_id": {"type": "string", "pattern": "^[0-9]{12}$"},
    "birth_date": {"type": "string", "description": "dd/mm/yyyy, yyyy-mm-dd or a 4-digit year"},
    "sex": {"type": "string", "description": "Nam | Nữ | male | female"}, "address": {"type": "string"}}}
IMPORT_REQUEST = {"type": "object", "required": ["rows"], "properties": {
    "rows": {"type": "array", "items": ROW_SCHEMA}, "filename": {"type": "string"},
    "households_note": {"type": "string", "description": "the commune committee's reason when the roll's "
                        "number of households differs from the hamlet's register (required then: 422 otherwise)"},
    "dry_run": {"type": "boolean", "default": False,
                "description": "check only (the preview); a multipart upload with a `file` field also works (with "
                               "`sheet` naming the sheet when several hold a roll: a 422 lists them in `sheets`)"}}}
PROBLEM_SCHEMA = {"type": "object", "properties": {
    "line": {"type": "integer"}, "field": {"type": "string"}, "code": {"type": "string"},
    "message": {"type": "string"}, "message_en": {"type": "string"}}}
IMPORT_RESPONSE = {"type": "object", "properties": {
    "ok": {"type": "boolean"}, "rows": {"type": "integer"}, "households": {"type": "integer"},
    "households_register": {"type": "integer"}, "households_difference": {"type": "integer"},
    "households_difference_percent": {"type": "number"},
    "problems": {"type": "array", "items": PROBLEM_SCHEMA}, "fingerprint": {"type": "string"},
    "short_fingerprint": {"type": "string"}, "imported": {"type": "boolean"}}}
TURNOUT_SCHEMA = {"type": "object", "properties": {
    "total": {"type": "integer"}, "present": {"type": "integer"}, "quorum_met": {"type": "boolean"},
    "needed_for_quorum": {"type": "integer"}, "percent": {"type": "number"}}}
ROUND_PARAM = {"name": "round_no", "in": "query", "schema": {"type": "integer", "enum": [1, 2], "default": 1}}


def _poll(term, hamlet, create: bool) -> Poll | None:
    return poll_of(term, hamlet, poll_round(), create)


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
    roll = service.roll_for(term, hamlet)
    data = {"hamlet_id": hamlet.id, "term_id": term.id, **roll_json(roll)}
    if roll is None:
        data.update(items=[], page=1, per_page=0, total=0)
    else:
        stmt = service.entry_search(db.select(VoterEntry).where(VoterEntry.roll_id == roll.id),
                                   request.args.get("q", ""))
        data.update(paginated(stmt.order_by(VoterEntry.household_no, VoterEntry.id), _entry_full))
    return jsonify(data)


def _entry_full(entry: VoterEntry) -> dict:
    """An entry as the reader's role may see it: the polling team and the observer get a masked citizen ID, the
    observer no birth date (the year only)."""
    born = shown_birth_date(entry.birth_date)
    return {"id": entry.id, "household_no": entry.household_no, "full_name": entry.full_name,
            "citizen_id": shown_citizen_id(entry.citizen_id),
            "birth_date": None if born is None or isinstance(born, int) else born.isoformat(),
            "birth_year": born if isinstance(born, int) else entry.birth_year, "sex": entry.sex,
            "address": entry.address}


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
    hamlet, term = load_hamlet_term(hamlet_id)  # the caller's scope first, then the lock: only then the file
    lock = service.import_lock_reason(term, hamlet)
    if lock is not None:
        return field_errors({"file": lock})
    try:
        if "file" in request.files:
            upload = request.files["file"]
            filename = upload.filename or "roll"
            table = read_rows(filename, upload.read(), request.form.get("sheet") or None,
                              hamlet.commune.district.import_limits())
            dry_run = request.form.get("dry_run", "").lower() in ("1", "true", "yes")
            households_note = request.form.get("households_note", "")
        else:
            body = json_body()
            if not isinstance(body, dict) or not isinstance(body.get("rows"), list):
                return field_errors({"rows": "Cần mảng rows (hoặc tệp trong trường file)."})
            filename = str(body.get("filename") or "api.json")[:200]
            table = _json_table(body["rows"])
            dry_run = bool(body.get("dry_run"))
            households_note = str(body.get("households_note") or "")
    except SheetChoiceNeeded as choice:  # several sheets hold a roll: the caller names one in the field `sheet`
        return jsonify({"errors": {"file": choice.message, "sheet": "Cần chọn một trang."},
                        "sheets": list(choice.names)}), 422
    except RollFileError as error:
        return field_errors({"file": error.message})
    preview = service.check_roll(table, term, hamlet, current_user.commune_id)
    result = {"ok": preview.ok, "rows": len(preview.rows), "households": preview.household_count,
              "problems": [{"line": p.line, "field": p.field, "code": p.code, "message": p.message,
                            "message_en": p.message_en} for p in preview.problems], "imported": False}
    difference = service.household_check(hamlet, preview)
    if difference is not None:  # the roll's households differ from the register: the R-V5/R-V7 denominator moves
        result.update(households_register=difference.register, households_difference=difference.difference,
                      households_difference_percent=float(difference.share * 100))
    if not preview.ok:
        result["errors"] = {"rows": f"Tệp có {len(preview.problems)} lỗi; chưa nhập dòng nào."}
        return jsonify(result), 422
    if dry_run:
        return jsonify(result)
    if difference is not None:
        try:
            confirmation_note(difference, households_note, current_user.role)
        except RuleViolation as refusal:
            result["errors"] = {refusal.field or "households_note": refusal.message}
            return jsonify(result), 422
    # RuleViolation -> 422 by the app handler; a concurrent import of the same hamlet -> 409
    roll = act(None, lambda: service.replace_roll(term, hamlet, preview, filename, households_note=households_note,
                                                  user=current_user))
    result.update(imported=True, fingerprint=roll.fingerprint, short_fingerprint=short_fingerprint(roll.fingerprint))
    return jsonify(result)


@api_bp.get("/hamlets/<int:hamlet_id>/turnout")
@allow(*CHECKIN_ROLES, *ROLL_READERS)
@operation("Số hộ đã nhận phiếu so với tổng số hộ và điều kiện quá nửa (R-V5)", tag="rolls",
           parameters=[ROUND_PARAM], response_schema=TURNOUT_SCHEMA)
def api_turnout(hamlet_id: int):
    hamlet, term = load_hamlet_term(hamlet_id)
    return jsonify(service.turnout(_poll(term, hamlet, create=False), service.roll_for(term, hamlet)).as_dict())


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
    answer = mark_checked_in(hamlet.id, entry_id, poll_round())
    commit()
    return jsonify(answer)


@api_bp.delete("/hamlets/<int:hamlet_id>/checkins/<int:entry_id>")
@allow(*CHECKIN_ROLES)
@operation("Hủy ghi nhận nhận phiếu của một hộ (bấm nhầm)", tag="rolls", parameters=[ROUND_PARAM],
           response_schema={"type": "object", "properties": {"removed": {"type": "boolean"},
                                                             "turnout": TURNOUT_SCHEMA}})
def api_undo_check_in(hamlet_id: int, entry_id: int):
    answer = undo_checked_in(hamlet_id, entry_id, poll_round())
    commit()
    return jsonify(answer)
