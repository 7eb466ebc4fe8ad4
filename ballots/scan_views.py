"""The polling team's scan page: read a ballot's QR (camera, USB scanner, photo, or its typed short code), tap the
choice, undo a recent mis-tap, finish scanning into a count entry."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ballots.access import load_scan_poll
from ballots.models import BallotScan
from ballots.scanning import UNDO_WINDOW, finish_scanning, recent_scans, scan_figures, undo_scan
from ballots.service import recorded, scan_check_request, scan_photo_request, scan_request
from ballots.views import bp
from core.access import allow
from core.bounds import request_json
from core.dbapi import direct_db
from core.errors import RuleViolation
from core.labels import N_
from core.transactions import act, expected_version
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
                           recent=recent, undo_reasons=UNDO_REASONS, undo_window=UNDO_WINDOW)


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
