"""Ballot pages: overview per hamlet, printing, the stored PDF, accounting, verification of a scanned QR."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ballots.access import ACCOUNTANTS, PRINTERS, READERS, scoped
from ballots.accounting import account_for, accounting_refusal, mark_ballots, poll_accounting
from ballots.forms import FiguresForm, MarkForm, PrintForm, VerifyForm
from ballots.models import BallotBatch, BallotLayout, BallotState
from ballots.printing import SHUFFLE_INSTRUCTION, batch_pdf, candidate_list_of, planned_count, print_batch
from ballots.qr import ShortCodeError, looks_like_payload, typed_serial
from ballots.rules import DEFAULT_SPARE_PERCENT
from ballots.verification import Verification, decode_image, verify_ballot, verify_typed
from candidates.models import CandidateList
from core.access import allow, any_user, authorise_hamlet, scope_hamlets, user_district_id
from core.accounts import Role
from core.audit import describe
from core.errors import RuleViolation
from core.idempotency import idempotent
from core.models import Commune, Hamlet, current_term, term_for
from core.transactions import commit
from election.access import poll_round
from election.counting import accept_waiting
from election.models import Poll, PollStatus, VoterRoll
from extensions import db

bp = Blueprint("ballots", __name__)  # no prefix: the scan pages sit under /polls/ beside the poll's other pages


def _hamlet_poll(hamlet_id: int, create: bool = False) -> tuple[Hamlet, Poll | None]:
    hamlet = db.get_or_404(Hamlet, hamlet_id)
    authorise_hamlet(hamlet)
    term = term_for(hamlet)
    if term is None:
        abort(404, _("Huyện chưa có nhiệm kỳ hiện hành."))
    if create:
        return hamlet, Poll.get_or_create(term, hamlet, poll_round())
    return hamlet, db.session.scalar(db.select(Poll).where(Poll.term_id == term.id, Poll.hamlet_id == hamlet.id,
                                                           Poll.round_no == poll_round()))


@bp.get("/ballots/")
@allow(*READERS)
def index():
    district_id = user_district_id()
    term = current_term(district_id) if district_id else None
    page = None
    rows = []
    if term is not None:
        stmt = scope_hamlets(db.select(Hamlet).join(Commune), Hamlet, Commune).where(
            Commune.district_id == term.district_id, Hamlet.ended_on.is_(None))
        if commune_id := request.args.get("commune_id", type=int):
            stmt = stmt.where(Hamlet.commune_id == commune_id)
        page = db.paginate(stmt.order_by(Commune.name, Hamlet.name), per_page=current_app.config["PER_PAGE"],
                           error_out=False)
        ids = [h.id for h in page.items]
        rolls = {r.hamlet_id: r for r in db.session.scalars(
            db.select(VoterRoll).where(VoterRoll.term_id == term.id, VoterRoll.hamlet_id.in_(ids)))}
        lists = {c.hamlet_id: c for c in db.session.scalars(
            db.select(CandidateList).where(CandidateList.term_id == term.id, CandidateList.hamlet_id.in_(ids),
                                           CandidateList.round_no == 1))}
        polls = {p.hamlet_id: p for p in db.session.scalars(
            db.select(Poll).where(Poll.term_id == term.id, Poll.hamlet_id.in_(ids), Poll.round_no == 1))}
        for hamlet in page.items:
            poll = polls.get(hamlet.id)
            rows.append({"hamlet": hamlet, "roll": rolls.get(hamlet.id), "list": lists.get(hamlet.id),
                         "accounting": poll_accounting(poll) if poll else None})
    return render_template("ballots/index.html", term=term, page=page, rows=rows)


@bp.route("/ballots/hamlets/<int:hamlet_id>/print", methods=["GET", "POST"])
@allow(*PRINTERS)
def print_ballots(hamlet_id: int):
    hamlet, poll = _hamlet_poll(hamlet_id, create=request.method == "POST")
    form = PrintForm()
    if form.validate_on_submit():
        kind = form.kind.data
        if kind in ("supplementary", "test") and not form.count.data:
            form.count.errors.append(_("Hãy ghi số phiếu cần in."))
        else:
            try:
                db.session.flush()
                batch = print_batch(
                    poll, BallotLayout(form.layout.data), user_id=current_user.id, test=kind == "test",
                    supplementary=form.count.data if kind == "supplementary" else None,
                    test_count=form.count.data or 8, spare_percent=form.spare_percent.data)
            except RuleViolation as error:
                db.session.rollback()
                flash(error.message, "danger")
                return redirect(url_for("ballots.print_ballots", hamlet_id=hamlet.id, round_no=poll_round()))
            commit()
            flash(_("Đã in %(n)s phiếu (%(p)s trang).", n=batch.count, p=batch.total_pages), "success")
            return redirect(url_for("ballots.print_ballots", hamlet_id=hamlet.id, round_no=poll_round()))
    # Before the first print the poll may not exist yet: plan with an unsaved one (never added to the session).
    poll_for_plan = poll or Poll(term=term_for(hamlet), hamlet=hamlet, round_no=poll_round())
    households, spare = planned_count(poll_for_plan, form.spare_percent.data)
    candidate_list = candidate_list_of(poll_for_plan)
    batches = list(db.session.scalars(db.select(BallotBatch).where(BallotBatch.poll_id == poll.id)
                                      .order_by(BallotBatch.id))) if poll else []
    if form.spare_percent.data is None:
        form.spare_percent.data = current_app.config.get("BALLOT_SPARE_PERCENT", DEFAULT_SPARE_PERCENT)
    return render_template("ballots/print_ballots.html", hamlet=hamlet, form=form, households=households,
                           spare=spare, candidate_list=candidate_list, batches=batches, round_no=poll_round(),
                           has_real=any(not b.test for b in batches), shuffle=SHUFFLE_INSTRUCTION)


def _load_batch(batch_id: int) -> BallotBatch:
    batch = db.get_or_404(BallotBatch, batch_id)
    authorise_hamlet(batch.poll.hamlet)
    return batch


@bp.get("/ballots/batches/<int:batch_id>.pdf")
@allow(Role.COMMUNE_COMMITTEE, Role.DISTRICT_OFFICE)
def download_batch(batch_id: int):
    batch = _load_batch(batch_id)
    hamlet = batch.poll.hamlet
    name = f"phieu-bau-{hamlet.code}-vong{batch.poll.round_no}-{'thu-' if batch.test else ''}{batch.id}.pdf"
    # Drawn now in a fresh random order and kept nowhere (secret ballot against order: ballots/printing.py).
    response = send_file(batch_pdf(batch), mimetype="application/pdf", download_name=name, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/ballots/batches/<int:batch_id>/progress")
@allow(Role.COMMUNE_COMMITTEE, Role.DISTRICT_OFFICE)
def batch_progress(batch_id: int):
    batch = _load_batch(batch_id)
    return jsonify({"printed_pages": batch.printed_pages, "total_pages": batch.total_pages, "count": batch.count,
                    "done": batch.total_pages > 0})


@bp.get("/ballots/hamlets/<int:hamlet_id>/accounting")
@allow(*READERS)
def accounting(hamlet_id: int):
    hamlet, poll = _hamlet_poll(hamlet_id)
    term = term_for(hamlet)
    latest = Poll.latest_of(term.id, hamlet.id) if term else None
    if "round_no" not in request.args and latest is not None and latest.round_no != 1:
        # An old link without its round: the open round, never silently round 1 (issue 15).
        return redirect(url_for("ballots.accounting", hamlet_id=hamlet.id, round_no=latest.round_no))
    result = poll_accounting(poll) if poll else None
    account = account_for(poll) if poll else None
    figures = FiguresForm(obj=account) if account else FiguresForm()
    closed = poll is not None and not poll.is_open_round  # a round a re-vote closed: read-only
    return render_template("ballots/accounting.html", hamlet=hamlet, poll=poll, result=result, figures=figures,
                           mark=MarkForm(), round_no=poll_round(), open_poll=latest, closed=closed,
                           shuffle=SHUFFLE_INSTRUCTION,
                           can_edit=current_user.role in (*ACCOUNTANTS, Role.ADMIN) and not closed)


@bp.post("/ballots/hamlets/<int:hamlet_id>/accounting/figures")
@allow(*ACCOUNTANTS)
@idempotent
def accounting_figures(hamlet_id: int):
    hamlet, poll = _hamlet_poll(hamlet_id, create=True)
    if poll is None:  # create=True always gives one
        abort(404)
    form = FiguresForm()
    if not form.validate_on_submit():
        flash(_("Số liệu không hợp lệ (số nguyên không âm)."), "danger")
    elif refusal := accounting_refusal(poll, current_user.id):
        flash(refusal, "danger")
    else:
        describe(f"Cập nhật số liệu phiếu bầu {hamlet.full_name}, vòng {poll.round_no}")
        db.session.flush()
        account = account_for(poll, create=True)
        assert account is not None  # create=True
        for name in ("issued", "spoiled", "cancelled", "returned"):
            setattr(account, name, getattr(form, name).data)
        account.recorded_by_id = current_user.id  # R-C7: not one of the count's two entries
        waiting = _accept_waiting_count(poll)
        commit()
        flash(_("Đã lưu."), "success")
        if waiting:
            return redirect(url_for("election.show_poll", poll_id=poll.id))
    return redirect(url_for("ballots.accounting", hamlet_id=hamlet.id, round_no=poll_round()))


def _accept_waiting_count(poll: Poll) -> bool:
    """A count that waited for the accounting (R-C3) is accepted in the same change once it balances; says whether
    the poll was waiting, and flashes the outcome."""
    if poll.status != PollStatus.AWAITING_ACCOUNTING:
        return False
    if accept_waiting(poll) is not None:
        flash(_("Sổ theo dõi phiếu bầu đã cân đối: kết quả kiểm phiếu đã được chốt."), "success")
    else:
        flash(_("Sổ theo dõi phiếu bầu vẫn chưa cân đối; kết quả kiểm phiếu tiếp tục chờ."), "warning")
    return True


@bp.post("/ballots/hamlets/<int:hamlet_id>/accounting/mark")
@allow(*ACCOUNTANTS)
@idempotent
def accounting_mark(hamlet_id: int):
    hamlet, poll = _hamlet_poll(hamlet_id)
    form = MarkForm()
    if poll is None or not form.validate_on_submit():
        abort(400)
    state = BallotState(form.state.data)
    serials = [_serial_of(line) for line in (form.serials.data or "").splitlines()]
    try:
        describe(f"Đánh dấu phiếu {'hỏng' if state == BallotState.SPOILED else 'hủy'} {hamlet.full_name}")
        marked = mark_ballots(poll, serials, state)
    except RuleViolation as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        _accept_waiting_count(poll)
        commit()
        flash(_("Đã đánh dấu %(n)s phiếu.", n=len(marked)), "success")
    return redirect(url_for("ballots.accounting", hamlet_id=hamlet.id, round_no=poll_round()))


def _serial_of(line: str) -> str:
    """A typed serial or short code (its check character verified), or the serial field of a scanned QR text
    (DT2.hash.hamlet.SERIAL.flag.kid.sig, or DT1 without the key id)."""
    parts = line.strip().split(".")
    if len(parts) in (6, 7):
        return parts[3]
    try:
        return typed_serial(line)
    except ShortCodeError:
        return line.strip()  # mark_ballots reports it as not found


@bp.route("/ballots/verify", methods=["GET", "POST"])
@any_user
def verify():
    form = VerifyForm()
    results: list[Verification] = []
    problem = None
    if form.validate_on_submit():
        typed = (form.code.data or "").strip()
        texts = [typed] if typed else []
        if typed and not looks_like_payload(typed):  # the short code under the QR, typed
            texts = []
            try:
                results = [scoped(verify_typed(typed))]
            except ShortCodeError as error:
                problem = error.message
        elif not texts and form.image.data:
            texts = decode_image(form.image.data.stream)
            if not texts:
                problem = _("Không tìm thấy mã QR trong ảnh; hãy chụp gần hơn, đủ sáng, không bị lóa.")
        elif not texts:
            problem = _("Hãy quét hoặc nhập mã QR, hoặc chọn ảnh.")
        results += [scoped(verify_ballot(text)) for text in texts]
        form.code.data = ""
    return render_template("ballots/verify.html", form=form, results=results, problem=problem)
