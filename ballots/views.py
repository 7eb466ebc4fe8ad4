"""Ballot pages: overview per hamlet, printing, the stored PDF, accounting, verification of a scanned QR."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import IntegerField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import NumberRange, Optional

from extensions import db
from ballots.accounting import account_for, mark_ballots, poll_accounting
from ballots.models import BallotBatch, BallotLayout, BallotState
from ballots.printing import candidate_list_of, planned_count, print_batch, batch_pdf_path
from ballots.rules import DEFAULT_SPARE_PERCENT
from ballots.verification import Verification, verify_ballot
from candidates.models import CandidateList
from core.access import allow, any_user, authorise_hamlet, reaches, scope_hamlets, user_district_id
from core.accounts import Role
from core.audit import describe
from core.errors import RuleViolation
from core.models import Commune, Hamlet, current_term
from election.polls import Poll
from election.voters import VoterRoll, term_for

bp = Blueprint("ballots", __name__, url_prefix="/ballots")

READERS = (Role.DISTRICT_OFFICE, Role.COMMUNE_COMMITTEE, Role.POLLING_TEAM, Role.OBSERVER, Role.APPROVING_AUTHORITY)
PRINTERS = (Role.COMMUNE_COMMITTEE,)
ACCOUNTANTS = (Role.COMMUNE_COMMITTEE, Role.POLLING_TEAM)
LAYOUT_LABELS = {"A5": _l("Mỗi phiếu một trang A5"), "A6": _l("Mỗi phiếu một trang A6"),
                 "A4x2": _l("Hai phiếu trên một tờ A4 (có dấu cắt)"), "A4x4": _l("Bốn phiếu trên một tờ A4 (có dấu cắt)")}


class PrintForm(FlaskForm):
    layout = SelectField(_l("Khổ phiếu"), choices=[(k, v) for k, v in LAYOUT_LABELS.items()], default="A5")
    kind = RadioField(_l("Loại"), choices=[("real", _l("Phiếu bầu chính thức (số hộ + dự phòng)")),
                                           ("supplementary", _l("In bổ sung")),
                                           ("test", _l("Phiếu thử (không có giá trị)"))], default="real")
    count = IntegerField(_l("Số phiếu (in bổ sung hoặc phiếu thử)"), validators=[Optional(), NumberRange(1, 5000)])
    spare_percent = IntegerField(_l("Dự phòng (%)"), validators=[Optional(), NumberRange(0, 50)])
    submit = SubmitField(_l("In phiếu"))


class FiguresForm(FlaskForm):
    issued = IntegerField(_l("Số phiếu phát ra (để trống: theo số hộ đã nhận phiếu)"),
                          validators=[Optional(), NumberRange(0)])
    spoiled = IntegerField(_l("Phiếu hỏng, đã đổi (để trống: theo số sê-ri đã đánh dấu)"),
                           validators=[Optional(), NumberRange(0)])
    cancelled = IntegerField(_l("Phiếu không dùng, đã hủy (để trống: theo số sê-ri đã đánh dấu)"),
                             validators=[Optional(), NumberRange(0)])
    returned = IntegerField(_l("Số phiếu thu vào"), validators=[Optional(), NumberRange(0)])
    submit = SubmitField(_l("Lưu số liệu"))


class MarkForm(FlaskForm):
    serials = TextAreaField(_l("Số sê-ri (mỗi dòng một số, hoặc quét mã QR)"))
    state = SelectField(_l("Đánh dấu là"), choices=[("spoiled", _l("Phiếu hỏng, đã đổi")),
                                                   ("cancelled", _l("Phiếu không dùng, đã hủy"))])
    submit = SubmitField(_l("Đánh dấu"))


class VerifyForm(FlaskForm):
    code = StringField(_l("Nội dung mã QR (máy quét gõ vào đây, rồi Enter)"))
    image = FileField(_l("Hoặc ảnh chụp / bản quét phiếu"))
    submit = SubmitField(_l("Kiểm tra"))


def _round() -> int:
    return 2 if request.args.get("round", type=int) == 2 else 1


def _hamlet_poll(hamlet_id: int, create: bool = False) -> tuple[Hamlet, Poll | None]:
    hamlet = db.get_or_404(Hamlet, hamlet_id)
    authorise_hamlet(hamlet)
    term = term_for(hamlet)
    if term is None:
        abort(404, _("Huyện chưa có nhiệm kỳ hiện hành."))
    if create:
        return hamlet, Poll.get_or_create(term, hamlet, _round())
    return hamlet, db.session.scalar(db.select(Poll).where(Poll.term_id == term.id, Poll.hamlet_id == hamlet.id,
                                                           Poll.round_no == _round()))


# ---------------------------------------------------------------------------------------------------------
# Overview
# ---------------------------------------------------------------------------------------------------------

@bp.get("/")
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


# ---------------------------------------------------------------------------------------------------------
# Printing
# ---------------------------------------------------------------------------------------------------------

@bp.route("/hamlets/<int:hamlet_id>/print", methods=["GET", "POST"])
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
                return redirect(url_for("ballots.print_ballots", hamlet_id=hamlet.id, round=_round()))
            db.session.commit()
            flash(_("Đã in %(n)s phiếu (%(p)s trang).", n=batch.count, p=batch.total_pages), "success")
            return redirect(url_for("ballots.print_ballots", hamlet_id=hamlet.id, round=_round()))
    # Before the first print the poll may not exist yet: plan with an unsaved one (never added to the session).
    poll_for_plan = poll or Poll(term=term_for(hamlet), hamlet=hamlet, round_no=_round())
    households, spare = planned_count(poll_for_plan, form.spare_percent.data)
    candidate_list = candidate_list_of(poll_for_plan)
    batches = list(db.session.scalars(db.select(BallotBatch).where(BallotBatch.poll_id == poll.id)
                                      .order_by(BallotBatch.id))) if poll else []
    if form.spare_percent.data is None:
        form.spare_percent.data = current_app.config.get("BALLOT_SPARE_PERCENT", DEFAULT_SPARE_PERCENT)
    return render_template("ballots/print_ballots.html", hamlet=hamlet, form=form, households=households,
                           spare=spare, candidate_list=candidate_list, batches=batches, round_no=_round(),
                           has_real=any(not b.test for b in batches))


def _load_batch(batch_id: int) -> BallotBatch:
    batch = db.get_or_404(BallotBatch, batch_id)
    authorise_hamlet(batch.poll.hamlet)
    return batch


@bp.get("/batches/<int:batch_id>.pdf")
@allow(Role.COMMUNE_COMMITTEE, Role.DISTRICT_OFFICE)
def download_batch(batch_id: int):
    batch = _load_batch(batch_id)
    hamlet = batch.poll.hamlet
    name = f"phieu-bau-{hamlet.code}-vong{batch.poll.round_no}-{'thu-' if batch.test else ''}{batch.id}.pdf"
    return send_file(batch_pdf_path(batch), mimetype="application/pdf", download_name=name)


@bp.get("/batches/<int:batch_id>/progress")
@allow(Role.COMMUNE_COMMITTEE, Role.DISTRICT_OFFICE)
def batch_progress(batch_id: int):
    batch = _load_batch(batch_id)
    return jsonify({"printed_pages": batch.printed_pages, "total_pages": batch.total_pages, "count": batch.count,
                    "done": bool(batch.pdf_file)})


# ---------------------------------------------------------------------------------------------------------
# Accounting
# ---------------------------------------------------------------------------------------------------------

@bp.get("/hamlets/<int:hamlet_id>/accounting")
@allow(*READERS)
def accounting(hamlet_id: int):
    hamlet, poll = _hamlet_poll(hamlet_id)
    result = poll_accounting(poll) if poll else None
    account = account_for(poll) if poll else None
    figures = FiguresForm(obj=account) if account else FiguresForm()
    return render_template("ballots/accounting.html", hamlet=hamlet, poll=poll, result=result, figures=figures,
                           mark=MarkForm(), round_no=_round(),
                           can_edit=current_user.role in (*ACCOUNTANTS, Role.ADMIN))


@bp.post("/hamlets/<int:hamlet_id>/accounting/figures")
@allow(*ACCOUNTANTS)
def accounting_figures(hamlet_id: int):
    hamlet, poll = _hamlet_poll(hamlet_id, create=True)
    form = FiguresForm()
    if not form.validate_on_submit():
        flash(_("Số liệu không hợp lệ (số nguyên không âm)."), "danger")
    else:
        describe(f"Cập nhật số liệu phiếu bầu {hamlet.full_name}, vòng {poll.round_no}")
        db.session.flush()
        account = account_for(poll, create=True)
        for name in ("issued", "spoiled", "cancelled", "returned"):
            setattr(account, name, getattr(form, name).data)
        db.session.commit()
        flash(_("Đã lưu."), "success")
    return redirect(url_for("ballots.accounting", hamlet_id=hamlet.id, round=_round()))


@bp.post("/hamlets/<int:hamlet_id>/accounting/mark")
@allow(*ACCOUNTANTS)
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
        db.session.commit()
        flash(_("Đã đánh dấu %(n)s phiếu.", n=len(marked)), "success")
    return redirect(url_for("ballots.accounting", hamlet_id=hamlet.id, round=_round()))


def _serial_of(line: str) -> str:
    """A typed serial, or the serial field of a scanned QR text (DT1.hash.hamlet.SERIAL.flag.sig)."""
    parts = line.strip().split(".")
    return parts[3] if len(parts) == 6 else line.strip()


# ---------------------------------------------------------------------------------------------------------
# Verification
# ---------------------------------------------------------------------------------------------------------

def decode_image(stream) -> list[str]:
    """QR texts found in an uploaded photo or scan (zxing-cpp)."""
    import zxingcpp
    from PIL import Image, ImageOps

    try:
        image = ImageOps.exif_transpose(Image.open(stream))
        image.thumbnail((2400, 2400))
    except Exception:  # not an image at all
        return []
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def scoped(result: Verification) -> Verification:
    """Hide which hamlet a genuine ballot belongs to from a user outside that hamlet's scope."""
    poll = result.poll
    if poll is None:
        return result
    commune = poll.hamlet.commune
    if reaches(current_user, district_id=commune.district_id, commune_id=commune.id, hamlet_id=poll.hamlet_id):
        return result
    return Verification(ok=False, code="out_of_scope", message=_("Phiếu không thuộc phạm vi của bạn."),
                        message_en="The ballot is outside your scope.", ballot=None, poll=None, test=result.test)


@bp.route("/verify", methods=["GET", "POST"])
@any_user
def verify():
    form = VerifyForm()
    results: list[Verification] = []
    problem = None
    if form.validate_on_submit():
        texts = [form.code.data.strip()] if (form.code.data or "").strip() else []
        if not texts and form.image.data:
            texts = decode_image(form.image.data.stream)
            if not texts:
                problem = _("Không tìm thấy mã QR trong ảnh; hãy chụp gần hơn, đủ sáng, không bị lóa.")
        elif not texts:
            problem = _("Hãy quét hoặc nhập mã QR, hoặc chọn ảnh.")
        results = [scoped(verify_ballot(text)) for text in texts]
        form.code.data = ""
    return render_template("ballots/verify.html", form=form, results=results, problem=problem)
