"""The polling team's scan page: read a ballot's QR (camera, USB scanner, photo, or its typed short code), tap the
choice, undo a recent mis-tap, finish scanning into a count entry; or have the ballot's marks read from a photo or a
scanner batch (ballots.reading), the unclear ones decided by two members."""
from __future__ import annotations

import hashlib
import json
from itertools import islice

from flask import abort, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ballots.access import load_scan_poll
from ballots.models import BallotScan, MarkRead, ScanUpload
from ballots.omr.read import load_pages
from ballots.reading import (
    MAX_BATCH_BYTES,
    MAX_BATCH_PAGES,
    Outcome,
    batch_problems,
    crop_png,
    decide_read,
    read_lines,
    read_next_page,
    start_upload,
    take_page,
    totals,
    upload_state,
    waiting_list,
)
from ballots.scanning import (
    UNDO_WINDOW,
    end_reads,
    finish_scanning,
    recent_scans,
    scan_figures,
    scan_json,
    undo_scan,
    waiting_reads,
)
from ballots.service import recorded, scan_check_request, scan_photo_request, scan_request
from ballots.verification import MAX_PHOTO_BYTES
from ballots.views import bp
from core.access import allow
from core.accounts import User
from core.bounds import request_json
from core.dbapi import direct_db
from core.errors import RuleViolation
from core.labels import N_
from core.transactions import act, expected_version
from core.uploads import UploadRefused
from core.vietnamese import nfc
from election.access import TEAM, back, load_poll
from election.counting import INVALID_REASONS, poll_candidates, scan_open
from extensions import db


@bp.get("/polls/<int:poll_id>/scan")
@allow(*TEAM)
def scan_ballots(poll_id: int):
    poll = load_poll(poll_id)
    candidates = poll_candidates(poll)
    figures = scan_figures(poll, poll.checked_in()) if candidates else None
    is_open = scan_open(poll)
    recent = [(scan, recorded(poll, scan.choice, scan.valid, scan.reason)["recorded"])
              for scan in (recent_scans(poll) if candidates and is_open else [])]
    return render_template("ballots/scan_ballots.html", poll=poll, candidates=candidates, figures=figures,
                           reasons=INVALID_REASONS, scan_open=is_open, checked_in=poll.checked_in(),
                           recent=recent, undo_reasons=UNDO_REASONS, undo_window=UNDO_WINDOW,
                           waiting=waiting_reads(poll.id), max_batch_mb=MAX_BATCH_BYTES // (1024 * 1024),
                           max_batch_bytes=MAX_BATCH_BYTES,
                           max_batch_pages=MAX_BATCH_PAGES)


@bp.post("/polls/<int:poll_id>/scan")
@allow(*TEAM)
@direct_db
def record_scan_page(poll_id: int):
    poll = load_scan_poll(poll_id)
    data = request_json() or request.form.to_dict()
    key = request.headers.get("Idempotency-Key") or str(data.get("idempotency_key", ""))
    return scan_request(poll, data, key)


@bp.post("/polls/<int:poll_id>/scan/check")
@allow(*TEAM)
@direct_db
def check_scan_page(poll_id: int):
    """The phone asks as soon as a code is read, so a refused ballot is refused before a name is tapped."""
    poll = load_scan_poll(poll_id)
    return scan_check_request(poll, request_json() or request.form.to_dict())


@bp.post("/polls/<int:poll_id>/scan/photo")
@allow(*TEAM)
@direct_db
def check_scan_photo(poll_id: int):
    """Where the browser cannot read the camera itself: a photo of the ballot, its QR decoded on the server, then
    checked like a scanned code (the choice is then sent to record_scan_page as for any scan)."""
    poll = load_scan_poll(poll_id)
    return scan_photo_request(poll, request.files.get("image"))


# Why a team undoes a scan (the audit entry carries the reason, with the note typed).
UNDO_REASONS = {
    "wrong_choice": N_("Bấm nhầm lựa chọn"),
    "wrong_validity": N_("Ghi nhầm hợp lệ / không hợp lệ"),
    "wrong_ballot": N_("Quét nhầm phiếu"),
    "other": N_("Lý do khác (ghi rõ)"),
}


@bp.post("/polls/<int:poll_id>/scans/<int:scan_id>/undo")
@allow(*TEAM)
def undo_scan_page(poll_id: int, scan_id: int):
    poll = load_poll(poll_id)
    scan = db.session.get(BallotScan, scan_id)
    if scan is None or scan.poll_id != poll.id:
        abort(404)
    code = request.form.get("reason", "")
    note = nfc(request.form.get("note", "")).strip()[:150]
    if code not in UNDO_REASONS or (code == "other" and not note):
        flash(_("Chọn lý do hủy lần quét (lý do khác: ghi rõ)."), "danger")
        return redirect(url_for("ballots.scan_ballots", poll_id=poll.id))
    reason = note if code == "other" else ": ".join(filter(None, [UNDO_REASONS[code], note]))
    serial = scan.serial
    try:
        act(f"Hủy lần quét phiếu {serial} ({poll.label}), lý do: {reason}",
            lambda: undo_scan(poll, scan_id, current_user, reason))
    except RuleViolation as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("ballots.scan_ballots", poll_id=poll.id))
    flash(_("Đã hủy lần quét phiếu %(s)s: phiếu này quét lại được.", s=f"{serial[:4]} {serial[4:8]} {serial[8:]}"),
          "success")
    return redirect(url_for("ballots.scan_ballots", poll_id=poll.id))


@bp.post("/polls/<int:poll_id>/scan/finish")
@allow(*TEAM)
def finish_scan(poll_id: int):
    poll = load_poll(poll_id)
    issued = request.form.get("ballots_issued", type=int)
    if issued is None or issued < 0:
        flash(_("Nhập số phiếu phát ra."), "danger")
        return redirect(url_for("ballots.scan_ballots", poll_id=poll.id))
    acknowledged = request.form.get("acknowledged") in ("y", "1", "on", "true")
    try:
        entry = act(_("Kết thúc quét phiếu %(p)s", p=poll.label),
                    lambda: finish_scanning(poll, current_user, issued, acknowledged, expected_version()))
    except RuleViolation as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("ballots.scan_ballots", poll_id=poll.id))
    flash(_("Đã lưu kết quả quét phiếu làm lần nhập thứ %(n)s.", n=entry.slot), "success")
    return back(poll)


# Reading the marks (issue 19): a photo of a ballot read on the server, the unclear ballots decided by two members,
# a scanner batch read page by page.

READ_REFUSED = {
    "image_too_large": N_("Ảnh quá lớn: chụp lại ở cỡ ảnh thường của điện thoại."),
    "image_unreadable": N_("Tệp không phải ảnh đọc được: hãy chụp lại phiếu."),
}


def outcome_json(poll, outcome: Outcome) -> dict:
    body: dict = {"status": outcome.status, "serial": outcome.serial, "code": outcome.code,
                  "replayed": outcome.replayed}
    if outcome.status == "counted" and outcome.scan is not None:
        scan = outcome.scan
        body.update(scan_json(scan, outcome.replayed))
        body["status"] = "counted"
        body.update(recorded(poll, scan["choice"], bool(scan["valid"]), scan["reason"]))
    elif outcome.status == "waiting":
        body["message"] = _("Phiếu %(s)s đọc dấu chưa rõ: chờ hai thành viên quyết định.", s=outcome.serial)
    else:
        body["message"] = outcome.message
    return body


@bp.post("/polls/<int:poll_id>/scan/read")
@allow(*TEAM)
def read_scan_photo(poll_id: int):
    """A photo of one ballot (the phone's camera frame, or a photo taken where there is no camera loop): its marks
    read on the server; 200 {status: counted | waiting | refused, ...} per ballot found, the running totals and how
    many ballots wait for two members."""
    return read_photo_request(load_scan_poll(poll_id), request.files.get("image"))


def read_photo_request(poll, upload):
    """Shared by the phone page and the API (POST /api/v1/polls/<id>/scans/read): 200 with what became of each ballot
    on the photo, 422 when there is no readable image of one page with a ballot's QR on it."""
    end_reads()  # the decoding takes a while: hold no read (nor PostgreSQL's shared scan lock) meanwhile
    if upload is None or not upload.filename:
        return jsonify({"errors": {"image": _("Hãy chụp hoặc chọn ảnh phiếu bầu.")}}), 422
    data = upload.stream.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        return jsonify({"errors": {"image": _(READ_REFUSED["image_too_large"])}}), 422
    try:
        pages = list(islice(load_pages(data), 2))
    except UploadRefused as refused:
        return jsonify({"errors": {"image": _(READ_REFUSED.get(refused.reason, READ_REFUSED["image_unreadable"]))}}), 422
    except ValueError as error:  # ballots.omr.read.load_pages says why, in Vietnamese (too large, not an image…)
        return jsonify({"errors": {"image": str(error) or _(READ_REFUSED["image_unreadable"])}}), 422
    except OSError:
        return jsonify({"errors": {"image": _(READ_REFUSED["image_unreadable"])}}), 422
    if len(pages) != 1:
        return jsonify({"errors": {"image": _("Mỗi lần chỉ gửi một ảnh phiếu (tệp nhiều trang: dùng trang tải lên "
                                              "tệp quét).")}}), 422
    outcomes = take_page(poll, current_user._get_current_object(), pages[0],
                         hashlib.sha256(data).hexdigest())
    if not outcomes:
        return jsonify({"errors": {"image": _("Không tìm thấy mã QR trong ảnh: chụp gần hơn, đủ sáng, không bị lóa, "
                                              "cả phiếu nằm trong khung.")}}), 422
    results = [outcome_json(poll, outcome) for outcome in outcomes]
    body = dict(results[0], results=results, totals=totals(poll.id), waiting=waiting_reads(poll.id),
                waiting_url=url_for("ballots.mark_reads", poll_id=poll.id))
    return jsonify(body), 200


def decision_options(poll, candidates) -> list[tuple[str, str]]:
    """(value, label) of what a member may decide on a waiting ballot."""
    if len(candidates) == 1:
        name = candidates[0].person.full_name
        options = [("agree|", _("Đồng ý – %(n)s", n=name)), ("disagree|", _("Không đồng ý – %(n)s", n=name))]
        reasons = ("no_box", "both_boxes", "extra_marks")
    else:
        options = [(f"{c.id}|", _("Giữ tên: %(n)s", n=c.person.full_name)) for c in candidates]
        reasons = ("no_name_kept", "too_many_kept", "extra_marks")
    options += [(f"|{code}", _("Không hợp lệ: %(r)s", r=_(INVALID_REASONS[code]))) for code in reasons]
    return options


def decision_label(poll, candidates, choice: str | None, reason: str | None) -> str:
    if reason and reason != "valid":
        return _("Không hợp lệ: %(r)s", r=_(INVALID_REASONS.get(reason, reason)))
    labels = dict(decision_options(poll, candidates))
    return labels.get(f"{choice}|", choice or "")


MARK_LABELS = {"kept": N_("giữ tên"), "struck": N_("gạch"), "marked": N_("có đánh dấu"), "empty": N_("không đánh dấu"),
               "unclear": N_("chưa rõ")}


@bp.get("/polls/<int:poll_id>/scan/reads")
@allow(*TEAM)
def mark_reads(poll_id: int):
    """The ballots the reader left unclear, each with the crop of each name line or box and the reader's guess."""
    poll = load_poll(poll_id)
    candidates = poll_candidates(poll)
    users: dict[int | None, str] = {}
    rows = []
    for read in waiting_list(poll.id):
        lines = read_lines(read)
        for line in lines:
            index = line["index"]
            if len(candidates) == 1:
                line["label"] = _("Ô “Đồng ý”") if index == 0 else _("Ô “Không đồng ý”")
            else:
                line["label"] = candidates[index].person.full_name if index < len(candidates) else str(index)
            line["mark_label"] = _(MARK_LABELS.get(line["mark"], line["mark"]))
        first = None
        if read.first_by_id is not None:
            first = (_user_name(users, read.first_by_id), decision_label(poll, candidates, read.first_choice,
                                                                       read.first_reason))
        disputed = []
        if read.disputed:
            try:
                disputed = [(_user_name(users, item["by"]), decision_label(poll, candidates, item["choice"],
                                                                           item["reason"]))
                            for item in json.loads(read.disputed)]
            except (ValueError, KeyError, TypeError):
                disputed = []
        rows.append({"read": read, "lines": lines, "first": first, "disputed": disputed,
                     "mine": read.first_by_id == current_user.id})
    return render_template("ballots/mark_reads.html", poll=poll, rows=rows,
                           options=decision_options(poll, candidates), scan_open=scan_open(poll))


def _user_name(cache: dict, user_id: int | None) -> str:
    if user_id not in cache:
        user = db.session.get(User, user_id) if user_id is not None else None
        cache[user_id] = (user.full_name or user.username) if user is not None else "?"
    return cache[user_id]


def _read_of(poll_id: int, read_id: int) -> MarkRead:
    read = db.session.get(MarkRead, read_id)
    if read is None or read.poll_id != poll_id:
        abort(404)
    return read


@bp.get("/polls/<int:poll_id>/scan/reads/<int:read_id>/image")
@allow(*TEAM)
def mark_read_image(poll_id: int, read_id: int):
    """The waiting ballot's image, or the crop of one line (?line=i), cut on the server from the stored image."""
    poll = load_poll(poll_id)
    read = _read_of(poll.id, read_id)
    png = crop_png(read, request.args.get("line", type=int))
    if png is None:
        abort(404)
    response = make_response(png)
    response.headers["Content-Type"] = "image/png"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/polls/<int:poll_id>/scan/reads/<int:read_id>/decide")
@allow(*TEAM)
def decide_mark_read(poll_id: int, read_id: int):
    poll = load_poll(poll_id)
    scan_poll_ = load_scan_poll(poll.id)
    end_reads()
    read = _read_of(poll.id, read_id)
    choice, _sep, reason = request.form.get("decision", "").partition("|")
    target = redirect(url_for("ballots.mark_reads", poll_id=poll.id))
    serial = read.serial
    try:
        outcome, counted = decide_read(scan_poll_, read, current_user._get_current_object(), choice, reason)
    except RuleViolation as error:  # ScanRefused too (the ballot counted meanwhile, scanning closed…)
        db.session.rollback()
        flash(error.message, "danger")
        return target
    shown = f"{serial[:4]} {serial[4:8]} {serial[8:]}"
    if outcome == "first":
        flash(_("Đã ghi quyết định cho phiếu %(s)s: cần một thành viên khác xác nhận.", s=shown), "success")
    elif outcome == "disagree":
        flash(_("Quyết định khác với thành viên trước: phiếu %(s)s chờ quyết định lại (xem hai quyết định).",
                s=shown), "warning")
    elif counted:
        flash(_("Hai thành viên cùng quyết định: đã tính phiếu %(s)s.", s=shown), "success")
    else:
        flash(_("Phiếu %(s)s đã được tính bằng một lần quét khác: không tính lần nữa.", s=shown), "warning")
    return target


@bp.post("/polls/<int:poll_id>/scan/batches")
@allow(*TEAM)
def upload_scan_batch(poll_id: int):
    """A scanner batch (PDF, TIFF, JPEG from a document feeder): kept, then read page by page from its page."""
    poll = load_poll(poll_id)
    upload = request.files.get("file")
    data = upload.stream.read(MAX_BATCH_BYTES + 1) if upload is not None and upload.filename else b""
    try:
        batch = act(None, lambda: start_upload(poll, current_user.id, (upload.filename or "") if upload else "",
                                                data))
    except RuleViolation as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("ballots.scan_ballots", poll_id=poll.id))
    return redirect(url_for("ballots.scan_batch", poll_id=poll.id, upload_id=batch.id))


def _upload_of(poll_id: int, upload_id: int) -> ScanUpload:
    upload = db.session.get(ScanUpload, upload_id)
    if upload is None or upload.poll_id != poll_id:
        abort(404)
    return upload


@bp.get("/polls/<int:poll_id>/scan/batches/<int:upload_id>")
@allow(*TEAM)
def scan_batch(poll_id: int, upload_id: int):
    poll = load_poll(poll_id)
    upload = _upload_of(poll.id, upload_id)
    return render_template("ballots/scan_batch.html", poll=poll, upload=upload, state=upload_state(upload),
                           problems=batch_problems(upload), waiting=waiting_reads(poll.id))


@bp.post("/polls/<int:poll_id>/scan/batches/<int:upload_id>/next")
@allow(*TEAM)
def scan_batch_next(poll_id: int, upload_id: int):
    """Read the batch's next page: {done, page, total, counted, waiting, refused}. The page asks again until done; a
    lost connection asks again from where the batch stopped (on any app host)."""
    poll = load_scan_poll(poll_id)
    end_reads()
    upload = _upload_of(poll.id, upload_id)
    try:
        state = read_next_page(poll, upload, current_user._get_current_object())
    except RuleViolation as error:
        db.session.rollback()
        return jsonify({"errors": {"file": error.message}}), 422
    if state["done"]:
        state["summary_url"] = url_for("ballots.scan_batch", poll_id=poll.id, upload_id=upload_id)
    return jsonify(state), 200
