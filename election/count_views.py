"""Election-day pages of a hamlet: meeting record, counting (typed or scanned), differences, minutes, recognition.

Each view: load → authorise → validate → act (election.counting / Poll methods) → describe → commit → respond.
A stale write (poll version changed, unique slot or serial taken by a concurrent request) answers 409.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

from flask import (Response, abort, current_app, flash, jsonify, redirect, render_template, request, send_file,
                   url_for)
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from extensions import db
from core import dbapi
from election.views import bp
from core.access import allow, authorise_hamlet, public, reaches
from core.accounts import Role
from core.audit import describe
from election.counting import (COUNTED_ELSEWHERE, INVALID_REASONS, MINUTES_MAX_BYTES, NEXT_STEP_LABELS,
                               OUTCOME_LABELS, CountEntry, Figures, ScanPoll, ScanRefused, StaleWrite,
                               appoint_acting_chief, check_scanned_ballot, check_version, choose_entry,
                               finish_scanning, keep_minutes, latest_minutes, minutes_kind, minutes_path, poll_acting,
                               poll_candidates,
                               poll_entries, poll_recognition, poll_result, recognise, recognition_due, record_scan,
                               result_rows, revote_due, scan_by_key, scan_figures, scan_json, scan_open, scan_poll,
                               scan_totals, send_back, start_revote, submit_entry, validate_minutes)
from core.dbapi import direct_db
from core.errors import RuleViolation
from core.models import Hamlet, Person, current_term
from election.polls import BOARD_MAX, BOARD_MIN, Poll, PollMode, PollStatus, VotingForm, hamlet_households
from core.vietnamese import nfc, vietnam_today

T = TypeVar("T")
TEAM = (Role.POLLING_TEAM, Role.COMMUNE_COMMITTEE)  # record the meeting, enter and scan the count
COMMITTEE = (Role.COMMUNE_COMMITTEE,)  # resolve, validate, recognise, re-vote, acting chief
VIEWERS = (Role.POLLING_TEAM, Role.COMMUNE_COMMITTEE, Role.DISTRICT_OFFICE, Role.OBSERVER, Role.APPROVING_AUTHORITY,
           Role.PARTY_COMMITTEE)
STALE_ERRORS = (StaleWrite, StaleDataError, IntegrityError, OperationalError)


def act(summary: str, work: Callable[[], T]) -> T:
    """Run a change and commit it with its audit summary; a concurrent change answers 409."""
    describe(summary)
    try:
        value = work()
        db.session.commit()
    except STALE_ERRORS as error:
        db.session.rollback()
        if isinstance(error, OperationalError) and "locked" not in str(error).lower():
            raise
        abort(409, StaleWrite.message)
    return value


def load_poll(poll_id: int) -> Poll:
    poll = db.session.scalar(db.select(Poll).where(Poll.id == poll_id)
                             .options(joinedload(Poll.hamlet).joinedload(Hamlet.commune)))
    if poll is None:
        abort(404)
    authorise_hamlet(poll.hamlet)
    return poll


def back(poll: Poll):
    return redirect(url_for("election.show_poll", poll_id=poll.id))


def expected_version() -> int | None:
    return request.form.get("version", type=int)


# ---------------------------------------------------------------------------------------------------------
# Forms
# ---------------------------------------------------------------------------------------------------------

class MeetingForm(FlaskForm):
    version = HiddenField()
    households_present = IntegerField(_l("Số hộ có mặt (để trống: lấy theo số hộ đã điểm danh)"),
                                      validators=[Optional(), NumberRange(min=0)])
    voting_form = SelectField(_l("Hình thức biểu quyết (R-V6)"), choices=[(v.value, _l(v.label)) for v in VotingForm])
    board = TextAreaField(_l("Ban kiểm phiếu (3–5 người, mỗi dòng một họ tên)"), validators=[DataRequired()],
                          render_kw={"rows": 5})
    witness_1 = StringField(_l("Cử tri chứng kiến thứ nhất"), validators=[DataRequired(), Length(max=120)])
    witness_2 = StringField(_l("Cử tri chứng kiến thứ hai"), validators=[DataRequired(), Length(max=120)])
    submit = SubmitField(_l("Lưu biên bản hội nghị"))


class MinutesUploadForm(FlaskForm):
    file = FileField(_l("Ảnh chụp hoặc bản quét biên bản đã ký (JPG, PNG, PDF; tối đa 10 MB)"))
    submit = SubmitField(_l("Tải lên"))


class RecognitionForm(FlaskForm):
    version = HiddenField()
    decision_no = StringField(_l("Số quyết định"), validators=[DataRequired(), Length(max=60)])
    decided_on = DateField(_l("Ngày quyết định"), validators=[DataRequired()])
    signer_name = StringField(_l("Người ký (Chủ tịch UBND xã)"), validators=[DataRequired(), Length(max=120)])
    submit = SubmitField(_l("Ghi quyết định công nhận"))


class ActingChiefForm(RecognitionForm):
    person_id = SelectField(_l("Người được chỉ định làm trưởng thôn lâm thời"), coerce=int)
    submit = SubmitField(_l("Ghi quyết định chỉ định"))


def count_form_class(candidates: list) -> type[FlaskForm]:
    """The aggregate entry form: the four ballot figures and one vote field per candidate."""
    counts = [InputRequired(_l("Vui lòng nhập số.")), NumberRange(min=0, message=_l("Không được âm."))]

    class CountForm(FlaskForm):
        version = HiddenField()
        ballots_issued = IntegerField(_l("Số phiếu phát ra"), validators=counts)
        ballots_returned = IntegerField(_l("Số phiếu thu vào"), validators=counts)
        valid_ballots = IntegerField(_l("Số phiếu hợp lệ"), validators=counts)
        invalid_ballots = IntegerField(_l("Số phiếu không hợp lệ"), validators=counts)
        acknowledged = BooleanField(_l("Đã kiểm tra lại các cảnh báo R-C6 và xác nhận số liệu đúng"))
        submit = SubmitField(_l("Lưu lần nhập"))

    for c in candidates:
        label = _("Đồng ý") + f" – {c.person.full_name}" if len(candidates) == 1 else c.person.full_name
        setattr(CountForm, f"votes_{c.id}", IntegerField(label, validators=counts))
    if len(candidates) == 1:
        CountForm.against = IntegerField(_l("Không đồng ý"), validators=counts)
    return CountForm


def form_figures(form: FlaskForm, candidates: list) -> Figures:
    against = form.against.data if len(candidates) == 1 else 0
    return Figures(form.ballots_issued.data, form.ballots_returned.data, form.valid_ballots.data,
                   form.invalid_ballots.data, {str(c.id): getattr(form, f"votes_{c.id}").data for c in candidates},
                   against or 0)


# ---------------------------------------------------------------------------------------------------------
# The hamlet's election page
# ---------------------------------------------------------------------------------------------------------

def hamlet_polls(hamlet: Hamlet) -> tuple[object, list[Poll]]:
    term = current_term(hamlet.commune.district_id)
    if term is None:
        return None, []
    polls = db.session.scalars(db.select(Poll).where(Poll.term_id == term.id, Poll.hamlet_id == hamlet.id)
                               .order_by(Poll.round_no)).all()
    return term, list(polls)


@bp.get("/hamlets/<int:hamlet_id>/election")
@allow(*VIEWERS)
def hamlet_election(hamlet_id: int):
    hamlet = db.get_or_404(Hamlet, hamlet_id)
    authorise_hamlet(hamlet)
    term, polls = hamlet_polls(hamlet)
    if polls:
        return redirect(url_for("election.show_poll", poll_id=polls[-1].id))
    return render_template("election/poll_start.html", hamlet=hamlet, term=term)


@bp.post("/hamlets/<int:hamlet_id>/election/open")
@allow(*TEAM)
def open_poll(hamlet_id: int):
    hamlet = db.get_or_404(Hamlet, hamlet_id)
    authorise_hamlet(hamlet)
    term, polls = hamlet_polls(hamlet)
    if term is None:
        raise RuleViolation(_("Chưa có nhiệm kỳ hiện hành của huyện."))

    def work() -> Poll:
        poll = polls[-1] if polls else Poll.get_or_create(term, hamlet, 1)
        if not poll_candidates(poll):
            raise RuleViolation(_("Danh sách người ứng cử của thôn chưa được xác nhận (R-V3): chưa thể bỏ phiếu."))
        poll.open(hamlet_households(hamlet.id, term.id))
        return poll

    poll = act(_("Khai mạc bỏ phiếu %(h)s", h=hamlet.full_name), work)
    flash(_("Đã khai mạc cuộc bỏ phiếu."), "success")
    return back(poll)


@bp.get("/polls/<int:poll_id>")
@allow(*VIEWERS)
def show_poll(poll_id: int):
    poll = load_poll(poll_id)
    result = poll_result(poll)
    rows = result_rows(poll, result.figures, str(result.winner_candidacy_id or "")) if result else []
    polls = db.session.scalars(db.select(Poll).where(Poll.term_id == poll.term_id, Poll.hamlet_id == poll.hamlet_id)
                               .order_by(Poll.round_no)).all()
    return render_template(
        "election/poll_show.html", poll=poll, result=result, rows=rows, entries=poll_entries(poll),
        candidates=poll_candidates(poll), minutes=latest_minutes(poll), recognition=poll_recognition(poll),
        acting=poll_acting(poll), due=recognition_due(poll), revote_due=revote_due(poll), polls=polls,
        outcome_labels=OUTCOME_LABELS, next_labels=NEXT_STEP_LABELS, scan_open=scan_open(poll),
        checked_in=poll.checked_in(), today=vietnam_today(), PollStatus=PollStatus, PollMode=PollMode)


@bp.route("/polls/<int:poll_id>/meeting", methods=["GET", "POST"])
@allow(*TEAM)
def record_meeting(poll_id: int):
    poll = load_poll(poll_id)
    form = MeetingForm(obj=None)
    if request.method == "GET":
        form.version.data = poll.version
        form.households_present.data = poll.households_present_typed
        form.voting_form.data = poll.voting_form.value
        form.board.data = "\n".join(poll.board_members or [])
        witnesses = list(poll.witnesses or []) + ["", ""]
        form.witness_1.data, form.witness_2.data = witnesses[:2]
    if form.validate_on_submit():
        board = [nfc(line) for line in (form.board.data or "").splitlines() if line.strip()]
        witnesses = [nfc(form.witness_1.data), nfc(form.witness_2.data)]

        def work() -> None:
            check_version(poll, int(form.version.data) if form.version.data else None)
            poll.record_meeting(form.households_present.data, VotingForm(form.voting_form.data), board, witnesses)
            db.session.flush()

        try:
            act(_("Ghi biên bản hội nghị cử tri %(p)s", p=poll.label), work)
        except RuleViolation as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            flash(_("Đã lưu biên bản hội nghị."), "success")
            return back(poll)
    return render_template("election/poll_meeting.html", poll=poll, form=form, checked_in=poll.checked_in(),
                           board_min=BOARD_MIN, board_max=BOARD_MAX)


def _lifecycle(poll_id: int, summary: str, step: Callable[[Poll], None], done: str):
    poll = load_poll(poll_id)

    def work() -> None:
        check_version(poll, expected_version())
        step(poll)
        db.session.flush()

    try:
        act(summary.format(p=poll.label), work)
    except RuleViolation as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        flash(done, "success")
    return back(poll)


@bp.post("/polls/<int:poll_id>/distribution")
@allow(*TEAM)
def switch_to_distribution(poll_id: int):
    return _lifecycle(poll_id, _("Không đủ số hộ, chuyển sang phát phiếu đến từng hộ: {p}"),
                      Poll.switch_to_distribution, _("Đã chuyển sang hình thức phát phiếu đến từng hộ (R-V5)."))


@bp.post("/polls/<int:poll_id>/start-counting")
@allow(*TEAM)
def start_counting(poll_id: int):
    return _lifecycle(poll_id, _("Bắt đầu kiểm phiếu {p}"), Poll.start_counting, _("Đã bắt đầu kiểm phiếu."))


# ---------------------------------------------------------------------------------------------------------
# Counting: aggregate entry, per-ballot scans, differences
# ---------------------------------------------------------------------------------------------------------

@bp.route("/polls/<int:poll_id>/count", methods=["GET", "POST"])
@allow(*TEAM)
def enter_count(poll_id: int):
    poll = load_poll(poll_id)
    candidates = poll_candidates(poll)
    form = count_form_class(candidates)()
    if request.method == "GET":
        form.version.data = poll.version
        if poll.mode == PollMode.MEETING and poll.households_present is not None:
            form.ballots_issued.data = poll.checked_in() or None
    if form.validate_on_submit():
        figures = form_figures(form, candidates)
        version = int(form.version.data) if form.version.data else None
        try:
            entry = act(_("Nhập kết quả kiểm phiếu %(p)s", p=poll.label),
                        lambda: submit_entry(poll, current_user, figures, acknowledged=form.acknowledged.data,
                                             expected_version=version))
        except RuleViolation as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            flash(_("Đã lưu lần nhập thứ %(n)s. Trạng thái: %(s)s.", n=entry.slot, s=_(poll.status.label)), "success")
            return back(poll)
    return render_template("election/count_entry.html", poll=poll, form=form, candidates=candidates,
                           entries=poll_entries(poll))


@bp.get("/polls/<int:poll_id>/scan")
@allow(*TEAM)
def scan_ballots(poll_id: int):
    poll = load_poll(poll_id)
    candidates = poll_candidates(poll)
    figures = scan_figures(poll, poll.checked_in()) if candidates else None
    return render_template("election/count_scan.html", poll=poll, candidates=candidates, figures=figures,
                           reasons=INVALID_REASONS, scan_open=scan_open(poll), checked_in=poll.checked_in())


def load_scan_poll(poll_id: int) -> ScanPoll:
    """The poll a scan is for (the lean read of record_scan's path), authorised like load_poll."""
    poll = scan_poll(poll_id)
    if poll is None or not reaches(current_user._get_current_object(), district_id=poll.district_id,
                                   commune_id=poll.commune_id, hamlet_id=poll.hamlet_id):
        abort(404)
    return poll


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


@bp.post("/polls/<int:poll_id>/scan")
@allow(*TEAM)
@direct_db
def record_scan_page(poll_id: int):
    poll = load_scan_poll(poll_id)
    data = request.get_json(silent=True) or request.form.to_dict()
    key = request.headers.get("Idempotency-Key") or str(data.get("idempotency_key", ""))
    return scan_request(poll, data, key)


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


@bp.post("/polls/<int:poll_id>/scan/check")
@allow(*TEAM)
@direct_db
def check_scan_page(poll_id: int):
    """The phone asks as soon as a code is read, so a refused ballot is refused before a name is tapped."""
    poll = load_scan_poll(poll_id)
    return scan_check_request(poll, request.get_json(silent=True) or request.form.to_dict())


@bp.post("/polls/<int:poll_id>/scan/finish")
@allow(*TEAM)
def finish_scan(poll_id: int):
    poll = load_poll(poll_id)
    issued = request.form.get("ballots_issued", type=int)
    if issued is None or issued < 0:
        flash(_("Nhập số phiếu phát ra."), "danger")
        return redirect(url_for("election.scan_ballots", poll_id=poll.id))
    acknowledged = request.form.get("acknowledged") in ("y", "1", "on", "true")
    try:
        entry = act(_("Kết thúc quét phiếu %(p)s", p=poll.label),
                    lambda: finish_scanning(poll, current_user, issued, acknowledged, expected_version()))
    except RuleViolation as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("election.scan_ballots", poll_id=poll.id))
    flash(_("Đã lưu kết quả quét phiếu làm lần nhập thứ %(n)s.", n=entry.slot), "success")
    return back(poll)


@bp.get("/polls/<int:poll_id>/differences")
@allow(*VIEWERS)
def show_differences(poll_id: int):
    poll = load_poll(poll_id)
    entries = poll_entries(poll)
    diff = entries[0].figures.differences(entries[1].figures) if len(entries) == 2 else set()
    return render_template("election/count_differences.html", poll=poll, entries=entries, diff=diff,
                           candidates=poll_candidates(poll))


def _entry_of(poll: Poll, entry_id: int) -> CountEntry:
    entry = db.get_or_404(CountEntry, entry_id)
    if entry.poll_id != poll.id:
        abort(404)
    return entry


@bp.post("/polls/<int:poll_id>/differences/<int:entry_id>/choose")
@allow(*COMMITTEE)
def choose_count_entry(poll_id: int, entry_id: int):
    poll = load_poll(poll_id)
    entry = _entry_of(poll, entry_id)
    try:
        act(_("Chọn lần nhập %(n)s là đúng (%(p)s)", n=entry.slot, p=poll.label),
            lambda: choose_entry(poll, entry, expected_version()))
    except RuleViolation as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("election.show_differences", poll_id=poll.id))
    flash(_("Đã chốt kết quả theo lần nhập thứ %(n)s.", n=entry.slot), "success")
    return back(poll)


@bp.post("/polls/<int:poll_id>/differences/<int:entry_id>/send-back")
@allow(*COMMITTEE)
def send_back_entry(poll_id: int, entry_id: int):
    poll = load_poll(poll_id)
    entry = _entry_of(poll, entry_id)
    slot = entry.slot
    try:
        act(_("Trả lại lần nhập %(n)s để nhập lại (%(p)s)", n=slot, p=poll.label),
            lambda: send_back(poll, entry, expected_version()))
    except RuleViolation as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for("election.show_differences", poll_id=poll.id))
    flash(_("Đã trả lại lần nhập thứ %(n)s; cần nhập lại.", n=slot), "success")
    return back(poll)


# ---------------------------------------------------------------------------------------------------------
# Minutes: PDF, public verification, signed copy, validation
# ---------------------------------------------------------------------------------------------------------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="minutes-verification")


def verification_token(poll: Poll) -> str:
    return _serializer().dumps({"poll": poll.id})


def verification_url(poll: Poll) -> str:
    return url_for("election.verify_minutes", token=verification_token(poll), _external=True)


@bp.get("/polls/<int:poll_id>/minutes.pdf")
@allow(*VIEWERS)
def minutes_pdf(poll_id: int):
    from election.pdf import counting_minutes_pdf

    poll = load_poll(poll_id)
    result = poll_result(poll)
    if result is None:
        abort(404, _("Chưa có kết quả kiểm phiếu được chốt."))
    data = counting_minutes_pdf(poll, result, verification_url(poll), roll_fingerprint(poll))
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="bien-ban-kiem-phieu-{poll.id}.pdf"'})


def roll_fingerprint(poll: Poll) -> str:
    from election.voters import VoterRoll

    roll = db.session.scalar(db.select(VoterRoll).where(VoterRoll.term_id == poll.term_id,
                                                        VoterRoll.hamlet_id == poll.hamlet_id))
    return roll.fingerprint if roll else ""


@bp.get("/minutes/verify/<token>")
@public
def verify_minutes(token: str):
    try:
        data = _serializer().loads(token)
    except BadSignature:
        abort(404)
    poll = db.session.get(Poll, data.get("poll") if isinstance(data, dict) else None)
    if poll is None:
        abort(404)
    result = poll_result(poll)
    rows = result_rows(poll, result.figures, str(result.winner_candidacy_id or "")) if result else []
    return render_template("election/minutes_verify.html", poll=poll, result=result, rows=rows,
                           fingerprint=roll_fingerprint(poll), outcome_labels=OUTCOME_LABELS,
                           recognition=poll_recognition(poll))


@bp.route("/polls/<int:poll_id>/minutes/upload", methods=["GET", "POST"])
@allow(*TEAM)
def upload_minutes(poll_id: int):
    poll = load_poll(poll_id)
    form = MinutesUploadForm()
    if form.validate_on_submit():
        storage = form.file.data
        data = storage.read(MINUTES_MAX_BYTES + 1) if storage else b""
        kind = minutes_kind(data)
        if poll.status != PollStatus.SUBMITTED:
            flash(_("Chỉ tải biên bản lên sau khi kết quả đã được chốt và trước khi xác nhận."), "danger")
        elif not data:
            flash(_("Chọn tệp ảnh hoặc PDF của biên bản."), "danger")
        elif len(data) > MINUTES_MAX_BYTES:
            flash(_("Tệp lớn hơn 10 MB."), "danger")
        elif kind is None:
            flash(_("Chỉ nhận ảnh JPG, PNG hoặc tệp PDF."), "danger")
        else:
            upload = keep_minutes(poll, data, storage.filename, current_user.id)
            try:
                act(_("Tải lên biên bản kiểm phiếu đã ký %(p)s", p=poll.label), lambda: db.session.add(upload))
            except Exception:
                os.remove(minutes_path(upload))
                raise
            flash(_("Đã tải lên biên bản đã ký."), "success")
            return back(poll)
    return render_template("election/minutes_upload.html", poll=poll, form=form)


@bp.get("/polls/<int:poll_id>/minutes/file")
@allow(*VIEWERS)
def minutes_file(poll_id: int):
    poll = load_poll(poll_id)
    upload = latest_minutes(poll)
    if upload is None:
        abort(404)
    return send_file(minutes_path(upload), mimetype=upload.content_type,
                     download_name=upload.original_name or upload.stored_name)


@bp.route("/polls/<int:poll_id>/minutes/validate", methods=["GET", "POST"])
@allow(*COMMITTEE)
def validate_poll_minutes(poll_id: int):
    poll = load_poll(poll_id)
    result = poll_result(poll)
    if request.method == "POST":
        def work() -> None:
            check_version(poll, expected_version())
            validate_minutes(poll, current_user)
            db.session.flush()

        try:
            act(_("Đối chiếu và xác nhận biên bản %(p)s", p=poll.label), work)
        except RuleViolation as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            flash(_("Đã xác nhận biên bản khớp với số liệu đã nhập."), "success")
            return back(poll)
    rows = result_rows(poll, result.figures, str(result.winner_candidacy_id or "")) if result else []
    return render_template("election/minutes_validate.html", poll=poll, result=result, rows=rows,
                           minutes=latest_minutes(poll), outcome_labels=OUTCOME_LABELS)


# ---------------------------------------------------------------------------------------------------------
# Recognition, re-vote, acting chief
# ---------------------------------------------------------------------------------------------------------

@bp.route("/polls/<int:poll_id>/recognise", methods=["GET", "POST"])
@allow(*COMMITTEE)
def recognise_poll(poll_id: int):
    poll = load_poll(poll_id)
    form = RecognitionForm()
    if request.method == "GET":
        form.version.data = poll.version
        form.signer_name.data = poll.hamlet.commune.chairman_name
        form.decided_on.data = vietnam_today()
    if form.validate_on_submit():
        def work():
            check_version(poll, int(form.version.data) if form.version.data else None)
            recognition = recognise(poll, current_user, nfc(form.decision_no.data), form.decided_on.data,
                                    nfc(form.signer_name.data))
            db.session.flush()
            return recognition

        try:
            act(_("Công nhận kết quả bầu trưởng thôn %(p)s", p=poll.label), work)
        except RuleViolation as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            flash(_("Đã ghi quyết định công nhận; người trúng cử nhận nhiệm vụ từ ngày quyết định."), "success")
            return back(poll)
    return render_template("election/poll_recognise.html", poll=poll, form=form, due=recognition_due(poll),
                           result=poll_result(poll), today=vietnam_today())


@bp.get("/polls/<int:poll_id>/recognition.pdf")
@allow(*VIEWERS)
def recognition_pdf(poll_id: int):
    from election.pdf import recognition_decision_pdf

    poll = load_poll(poll_id)
    recognition = poll_recognition(poll)
    if recognition is None:
        abort(404)
    data = recognition_decision_pdf(poll, poll_result(poll), recognition)
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="quyet-dinh-cong-nhan-{poll.id}.pdf"'})


@bp.post("/polls/<int:poll_id>/revote")
@allow(*COMMITTEE)
def order_revote(poll_id: int):
    poll = load_poll(poll_id)

    def work() -> Poll:
        check_version(poll, expected_version())
        revote = start_revote(poll, current_user)
        db.session.flush()
        return revote

    try:
        revote = act(_("Quyết định bầu lại %(p)s", p=poll.label), work)
    except RuleViolation as error:
        db.session.rollback()
        flash(error.message, "danger")
        return back(poll)
    flash(_("Đã lập vòng bầu lại; xác nhận danh sách người ứng cử vòng này, in phiếu rồi khai mạc."), "success")
    return redirect(url_for("election.show_poll", poll_id=revote.id))


@bp.post("/polls/<int:poll_id>/revote/confirm-list")
@allow(*COMMITTEE)
def confirm_revote_list(poll_id: int):
    from candidates.models import CandidateList

    poll = load_poll(poll_id)
    lst = db.session.scalar(db.select(CandidateList).where(
        CandidateList.term_id == poll.term_id, CandidateList.hamlet_id == poll.hamlet_id,
        CandidateList.round_no == poll.round_no))
    if lst is None or poll.round_no < 2:
        abort(404)
    try:
        act(_("Xác nhận danh sách người ứng cử vòng %(n)s (%(p)s)", n=poll.round_no, p=poll.label),
            lambda: lst.confirm(current_user.id))
    except RuleViolation as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        flash(_("Đã xác nhận danh sách người ứng cử vòng bầu lại."), "success")
    return back(poll)


@bp.route("/polls/<int:poll_id>/acting-chief", methods=["GET", "POST"])
@allow(*COMMITTEE)
def appoint_acting(poll_id: int):
    poll = load_poll(poll_id)
    form = ActingChiefForm()
    people = db.session.scalars(db.select(Person).where(Person.hamlet_id == poll.hamlet_id)
                                .order_by(Person.name_folded)).all()
    form.person_id.choices = [(p.id, f"{p.full_name} ({p.birth_date.year})") for p in people]
    if request.method == "GET":
        form.version.data = poll.version
        form.signer_name.data = poll.hamlet.commune.chairman_name
        form.decided_on.data = vietnam_today()
    if form.validate_on_submit():
        person = db.get_or_404(Person, form.person_id.data)

        def work():
            check_version(poll, int(form.version.data) if form.version.data else None)
            appointment = appoint_acting_chief(poll, current_user, person, nfc(form.decision_no.data),
                                               form.decided_on.data, nfc(form.signer_name.data))
            db.session.flush()
            return appointment

        try:
            act(_("Chỉ định trưởng thôn lâm thời %(p)s", p=poll.label), work)
        except RuleViolation as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            flash(_("Đã ghi quyết định chỉ định trưởng thôn lâm thời."), "success")
            return back(poll)
    return render_template("election/poll_acting.html", poll=poll, form=form)

