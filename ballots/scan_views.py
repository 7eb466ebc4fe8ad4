"""The polling team's scan page: read a ballot's QR, tap the choice, finish scanning into a count entry."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ballots.access import load_scan_poll
from ballots.scanning import finish_scanning, scan_figures
from ballots.service import scan_check_request, scan_request
from ballots.views import bp
from core.access import allow
from core.bounds import request_json
from core.dbapi import direct_db
from core.errors import RuleViolation
from core.transactions import act, expected_version
from election.access import TEAM, back, load_poll
from election.counting import INVALID_REASONS, poll_candidates, scan_open
from extensions import db


@bp.get("/polls/<int:poll_id>/scan")
@allow(*TEAM)
def scan_ballots(poll_id: int):
    poll = load_poll(poll_id)
    candidates = poll_candidates(poll)
    figures = scan_figures(poll, poll.checked_in()) if candidates else None
    return render_template("ballots/scan_ballots.html", poll=poll, candidates=candidates, figures=figures,
                           reasons=INVALID_REASONS, scan_open=scan_open(poll), checked_in=poll.checked_in())


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
