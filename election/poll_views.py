"""Election-day pages of a hamlet: meeting record, typed counting, differences, minutes, recognition, re-vote."""
from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature

from candidates.models import CandidateList, approved_exceptions, person_facts
from candidates.rules import RuleKind, assess, get_rule_set
from core.access import allow, authorise_hamlet, declared_access, public
from core.enums import Post
from core.errors import RuleViolation
from core.headers import SANDBOXED_FILE_POLICY
from core.i18n import tr
from core.idempotency import idempotent
from core.models import Hamlet, Person
from core.transactions import act, expected_version
from core.uploads import UploadRefused
from core.vietnamese import nfc, vietnam_today
from election.access import COMMITTEE, TEAM, VIEWERS, back, load_poll
from election.correction_views import corrections_context
from election.corrections import correction_superseding, poll_corrections
from election.counting import (
    NEXT_STEP_LABELS,
    OUTCOME_LABELS,
    accepted_rows,
    check_version,
    choose_entry,
    poll_candidates,
    poll_entries,
    poll_result,
    scan_open,
    send_back,
    submit_entry,
)
from election.day import CONFIRM_OPEN, STATE_LABELS, day_facts, day_steps, primary_action
from election.forms import (
    ActingChiefForm,
    MeetingForm,
    MinutesUploadForm,
    RecognitionForm,
    RevoteForm,
    count_form_class,
    form_figures,
)
from election.models import BOARD_MAX, BOARD_MIN, CountEntry, Poll, PollMode, PollStatus, VotingForm, household_total
from election.pdf import counting_minutes_pdf, recognition_decision_pdf
from election.recognition import (
    MINUTES_MAX_BYTES,
    acting_check,
    appoint_acting_chief,
    keep_minutes,
    latest_minutes,
    minutes_kind,
    minutes_uploadable,
    poll_acting,
    poll_recognition,
    recognise,
    recognition_due,
    revote_due,
    revote_window,
    served_minutes,
    start_revote,
    validate_minutes,
)
from election.service import _serializer, hamlet_polls, poll_roll_fingerprint, verification_url
from election.views import bp
from extensions import db


@bp.get("/hamlets/<int:hamlet_id>/election")
@allow(*VIEWERS)
def hamlet_election(hamlet_id: int):
    """The hamlet's poll page of its OPEN round (the last one: a re-vote closes the round before it)."""
    hamlet = db.get_or_404(Hamlet, hamlet_id)
    authorise_hamlet(hamlet)
    term, polls = hamlet_polls(hamlet)
    if polls:
        return redirect(url_for("election.show_poll", poll_id=polls[-1].id))
    return render_template("election/hamlet_election.html", hamlet=hamlet, term=term,
                           candidates_confirmed=term is not None and bool(
                               poll_candidates(Poll(term=term, hamlet=hamlet, round_no=1))),
                           confirm_open=CONFIRM_OPEN)


@bp.post("/hamlets/<int:hamlet_id>/election/open")
@allow(*TEAM)
def open_poll(hamlet_id: int):
    hamlet = db.get_or_404(Hamlet, hamlet_id)
    authorise_hamlet(hamlet)
    term, polls = hamlet_polls(hamlet)
    if term is None:
        raise RuleViolation(_("Chưa có nhiệm kỳ hiện hành của huyện."))
    asked = request.args.get("round_no", type=int)
    if polls and asked is not None and asked != polls[-1].round_no:
        # A page of a closed round (or an old form): never open another round than the one it names.
        flash(_("Vòng %(n)s không còn mở; vòng đang mở là vòng %(m)s.", n=asked, m=polls[-1].round_no), "danger")
        return back(polls[-1])

    def work() -> Poll:
        poll = polls[-1] if polls else Poll.get_or_create(term, hamlet, 1)
        if not poll_candidates(poll):
            raise RuleViolation(_("Danh sách người ứng cử của thôn chưa được xác nhận (R-V3): chưa thể bỏ phiếu."))
        poll.open(household_total(hamlet.id, term.id).count, vietnam_today())  # R-V4, R-V8: only on its voting day
        return poll

    try:
        poll = act(_("Khai mạc bỏ phiếu %(h)s", h=hamlet.full_name), work)
    except RuleViolation as error:
        db.session.rollback()
        flash(error.message, "danger")
        return back(polls[-1]) if polls else redirect(url_for("election.hamlet_election", hamlet_id=hamlet.id))
    flash(_("Đã khai mạc cuộc bỏ phiếu."), "success")
    return back(poll)


def _may_use(endpoint: str) -> bool:
    access = declared_access(endpoint)
    return access is not None and (access.public or current_user.role in access.roles)


@bp.get("/polls/<int:poll_id>")
@allow(*VIEWERS)
def show_poll(poll_id: int):
    """One poll page per hamlet and round: the day as a checklist, the next action as the one primary button.
    A round a re-vote closed is read-only and links to the open one."""
    poll = load_poll(poll_id)
    result = poll_result(poll)
    rows = accepted_rows(result) if result else []
    polls = db.session.scalars(db.select(Poll).where(Poll.term_id == poll.term_id, Poll.hamlet_id == poll.hamlet_id)
                               .order_by(Poll.round_no)).all()
    facts = day_facts(poll)
    steps = day_steps(facts)
    primary = primary_action(steps, _may_use)
    return render_template(
        "election/show_poll.html", poll=poll, result=result, rows=rows, entries=poll_entries(poll),
        candidates=poll_candidates(poll), minutes=latest_minutes(poll), recognition=poll_recognition(poll),
        acting=poll_acting(poll), due=recognition_due(poll), revote_due=revote_due(poll), polls=polls,
        open_poll=polls[-1] if polls else poll, read_only=facts.read_only, steps=steps,
        primary=primary[1] if primary else None, primary_step=primary[0] if primary else None,
        may_act=_may_use, state_labels=STATE_LABELS,
        outcome_labels=OUTCOME_LABELS, next_labels=NEXT_STEP_LABELS, scan_open=scan_open(poll),
        checked_in=poll.checked_in(), today=vietnam_today(), PollStatus=PollStatus, PollMode=PollMode,
        revote_form=_revote_form(poll), **corrections_context(poll))


def _revote_form(poll: Poll) -> RevoteForm:
    """R-V8: the re-vote order's form, its day proposed as the last day allowed (the committee may pick earlier)."""
    first, last = revote_window(poll)
    form = RevoteForm(formdata=None, version=poll.version, voting_day=last)
    form.voting_day.render_kw = {"min": first.isoformat(), "max": last.isoformat()}
    return form


@bp.route("/polls/<int:poll_id>/meeting", methods=["GET", "POST"])
@allow(*TEAM)
@idempotent
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
    return render_template("election/record_meeting.html", poll=poll, form=form, checked_in=poll.checked_in(),
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


@bp.route("/polls/<int:poll_id>/count", methods=["GET", "POST"])
@allow(*TEAM)
@idempotent
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
            flash(_("Đã lưu lần nhập thứ %(n)s. Trạng thái: %(s)s.", n=entry.slot, s=tr(poll.status.label)), "success")
            return back(poll)
    return render_template("election/enter_count.html", poll=poll, form=form, candidates=candidates,
                           entries=poll_entries(poll))


@bp.get("/polls/<int:poll_id>/differences")
@allow(*VIEWERS)
def show_differences(poll_id: int):
    poll = load_poll(poll_id)
    entries = poll_entries(poll)
    diff = entries[0].figures.differences(entries[1].figures) if len(entries) == 2 else set()
    return render_template("election/show_differences.html", poll=poll, entries=entries, diff=diff,
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
            lambda: choose_entry(poll, entry, expected_version(), user=current_user))
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


@bp.get("/polls/<int:poll_id>/minutes.pdf")
@allow(*VIEWERS)
def minutes_pdf(poll_id: int):
    poll = load_poll(poll_id)
    result = poll_result(poll)
    if result is None:
        abort(404, _("Chưa có kết quả kiểm phiếu được chốt."))
    corrections = poll_corrections(poll)
    data = counting_minutes_pdf(poll, result, verification_url(poll), poll_roll_fingerprint(poll),
                                version=poll.minutes_version, correction=corrections[-1] if corrections else None)
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="bien-ban-kiem-phieu-{poll.id}.pdf"'})


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
    version = data.get("v", 1)  # links printed before minutes had versions are version 1
    if type(version) is not int or not 1 <= version <= poll.minutes_version:
        abort(404)
    if version < poll.minutes_version:  # superseded: the figures that version printed, and what replaced it
        return render_template("election/verify_minutes.html", poll=poll, version=version,
                               correction=correction_superseding(poll, version), result=None, rows=[],
                               fingerprint=poll_roll_fingerprint(poll), outcome_labels=OUTCOME_LABELS,
                               recognition=None)
    result = poll_result(poll)
    rows = accepted_rows(result) if result else []
    return render_template("election/verify_minutes.html", poll=poll, version=version, correction=None,
                           result=result, rows=rows, fingerprint=poll_roll_fingerprint(poll),
                           outcome_labels=OUTCOME_LABELS, recognition=poll_recognition(poll))


@bp.route("/polls/<int:poll_id>/minutes/upload", methods=["GET", "POST"])
@allow(*TEAM)
@idempotent
def upload_minutes(poll_id: int):
    poll = load_poll(poll_id)
    form = MinutesUploadForm()
    if form.validate_on_submit():
        storage = form.file.data
        data = storage.read(MINUTES_MAX_BYTES + 1) if storage else b""
        kind = minutes_kind(data)
        if not minutes_uploadable(poll):
            flash(_("Chỉ tải biên bản lên sau khi kết quả đã được chốt và trước khi xác nhận."), "danger")
        elif not data:
            flash(_("Chọn tệp ảnh hoặc PDF của biên bản."), "danger")
        elif len(data) > MINUTES_MAX_BYTES:
            flash(_("Tệp lớn hơn 10 MB."), "danger")
        elif kind is None:
            flash(_("Chỉ nhận ảnh JPG, PNG hoặc tệp PDF."), "danger")
        else:
            try:
                upload = keep_minutes(poll, data, storage.filename, current_user.id)
            except UploadRefused as refused:
                flash(minutes_refusal(refused), "danger")
                return render_template("election/upload_minutes.html", poll=poll, form=form)
            # The row and its files (keep_minutes put them in the session) in one transaction: both or neither.
            act(_("Tải lên biên bản kiểm phiếu đã ký %(p)s", p=poll.label), lambda: db.session.add(upload))
            flash(_("Đã tải lên biên bản đã ký."), "success")
            return back(poll)
    return render_template("election/upload_minutes.html", poll=poll, form=form)


@bp.get("/polls/<int:poll_id>/minutes/file")
@allow(*VIEWERS)
def minutes_file(poll_id: int):
    poll = load_poll(poll_id)
    upload = latest_minutes(poll)
    if upload is None:
        abort(404)
    try:
        data = served_minutes(upload)
    except UploadRefused as refused:  # uploaded before the checks: not served
        abort(409, minutes_refusal(refused))
    except LookupError:  # an earlier release's file the move to the database did not find (migration 0017)
        abort(404)
    # An image is shown on the validation page (encoded again, nothing appended survives); a PDF only downloads.
    # Either way the sandbox keeps a file someone uploaded from ever running as a page of this site.
    response = send_file(io.BytesIO(data), mimetype=upload.content_type,
                         as_attachment=upload.content_type == "application/pdf",
                         download_name=upload.original_name or upload.stored_name)
    response.headers["Content-Security-Policy"] = SANDBOXED_FILE_POLICY
    return response


def minutes_refusal(refused: UploadRefused) -> str:
    """Why a minutes file is not accepted, in the reader's language."""
    messages = {
        "image_unreadable": _("Không đọc được ảnh biên bản. Hãy chụp lại và lưu thành tệp JPG hoặc PNG."),
        "image_too_large": _("Ảnh quá lớn (quá 50 triệu điểm ảnh). Hãy chụp lại với độ phân giải thấp hơn."),
        "pdf_active": _("Tệp PDF có nội dung tự chạy (JavaScript, hành động tự động, chương trình hoặc tệp đính "
                        "kèm) nên không được nhận. Hãy quét biên bản ra PDF thường hoặc chụp ảnh rồi tải lên lại."),
    }
    return messages.get(refused.reason, _("Không đọc được tệp PDF. Hãy quét lại biên bản hoặc chụp ảnh rồi tải lên."))


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
    rows = accepted_rows(result) if result else []
    return render_template("election/validate_poll_minutes.html", poll=poll, result=result, rows=rows,
                           minutes=latest_minutes(poll), outcome_labels=OUTCOME_LABELS)


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
            _field_error(form, error)
        else:
            flash(_("Đã ghi quyết định công nhận; người trúng cử nhận nhiệm vụ từ ngày quyết định."), "success")
            return back(poll)
    return render_template("election/recognise_poll.html", poll=poll, form=form, due=recognition_due(poll),
                           result=poll_result(poll), today=vietnam_today())


@bp.get("/polls/<int:poll_id>/recognition.pdf")
@allow(*VIEWERS)
def recognition_pdf(poll_id: int):
    poll = load_poll(poll_id)
    recognition = poll_recognition(poll)
    if recognition is None:
        abort(404)
    data = recognition_decision_pdf(poll, poll_result(poll), recognition)
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="quyet-dinh-cong-nhan-{poll.id}.pdf"'})


def _field_error(form, error: RuleViolation) -> None:
    """A refused change: its message on the form's field when it names one, else as a flash."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "danger")


@bp.post("/polls/<int:poll_id>/revote")
@allow(*COMMITTEE)
def order_revote(poll_id: int):
    poll = load_poll(poll_id)
    form = RevoteForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "danger")
        return back(poll)

    def work() -> Poll:
        check_version(poll, expected_version())
        revote = start_revote(poll, current_user, form.voting_day.data)
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


@bp.post("/polls/<int:poll_id>/voting-day")
@allow(*COMMITTEE)
def record_voting_day(poll_id: int):
    """R-V8: a re-vote round ordered before its day was recorded with the order (before migration 0007) gets it."""
    poll = load_poll(poll_id)
    form = RevoteForm()
    if poll.voting_day is not None or poll.round_no < 2:
        abort(409, _("Ngày bầu lại đã được ghi trong quyết định bầu lại."))
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "danger")
        return back(poll)

    def work() -> None:
        check_version(poll, expected_version())
        poll.set_voting_day(form.voting_day.data, vietnam_today())
        db.session.flush()

    try:
        act(_("Ghi ngày bầu lại %(p)s: %(d)s", p=poll.label, d=form.voting_day.data.strftime("%d/%m/%Y")), work)
    except RuleViolation as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        flash(_("Đã ghi ngày bầu lại."), "success")
    return back(poll)


@bp.post("/polls/<int:poll_id>/revote/confirm-list")
@allow(*COMMITTEE)
def confirm_revote_list(poll_id: int):
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
    today = vietnam_today()
    # Each choice says whether the person meets a candidate's standards today (candidates.rules, R-E1…R-E8).
    excepted = {person_id: {rule for r in requests for rule in r.rule_ids}
                for person_id, requests in approved_exceptions(poll.term, poll.hamlet).items()}
    form.person_id.choices = [(p.id, _acting_choice(poll, p, today, excepted.get(p.id, set()))) for p in people]
    if request.method == "GET":
        form.version.data = poll.version
        form.signer_name.data = poll.hamlet.commune.chairman_name
        form.decided_on.data = today
        chosen = request.args.get("person_id", type=int)  # "Kiểm tra tiêu chuẩn người này" sends the form by GET
        if chosen in {p.id for p in people}:
            form.person_id.data = chosen
        try:
            form.decided_on.data = date.fromisoformat(request.args.get("decided_on", ""))
        except ValueError:
            pass
        for name in ("decision_no", "signer_name"):
            if request.args.get(name):
                getattr(form, name).data = nfc(request.args[name])
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
            _field_error(form, error)
        else:
            flash(_("Đã ghi quyết định chỉ định trưởng thôn lâm thời."), "success")
            return back(poll)
    chosen_person = db.session.get(Person, form.person_id.data) if form.person_id.data else None
    check = None
    if chosen_person is not None and chosen_person.hamlet_id == poll.hamlet_id:
        check = acting_check(poll, chosen_person, form.decided_on.data or today)
    return render_template("election/appoint_acting.html", poll=poll, form=form, person=chosen_person, check=check)


def _acting_choice(poll: Poll, person: Person, on: date, excepted: set[str]) -> str:
    """A person as the choice lists them: name, year of birth, and the standards failed and not excepted."""
    assessment = assess(Post.HAMLET_CHIEF, person_facts(person, poll.hamlet_id), on, poll.hamlet.commune.commune_class,
                        get_rule_set(poll.term.rule_set))
    label = f"{person.full_name} ({person.birth_date.year})"
    failed = [f.rule for f in assessment.findings if not f.ok and f.rule not in excepted
              and f.kind is not RuleKind.TARGET]
    return f"{label} – {_('không đạt')} {', '.join(failed)}" if failed else label
