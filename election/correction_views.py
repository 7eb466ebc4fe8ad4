"""Poll pages of issue 15's corrections and four eyes: reopen an accepted count with a reason, the single-member
setting (R-C7), accepting a count that waited for the ballot accounting; and what the poll page shows of them."""
from __future__ import annotations

from flask import flash, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.access import allow
from core.errors import RuleViolation
from core.transactions import act, expected_version
from election.access import COMMITTEE, TEAM, back, load_poll
from election.corrections import poll_corrections, reopen_count, set_single_member, superseded_recognitions
from election.counting import accept_waiting, accounting_problems, check_version, pending_entry, poll_entries
from election.forms import ReopenForm, SingleMemberForm
from election.models import REOPENABLE, Poll, PollStatus
from election.recognition import RECORD_ONLY, latest_minutes
from election.rules import four_eyes_refusal
from election.views import bp
from extensions import db


@bp.post("/polls/<int:poll_id>/reopen")
@allow(*COMMITTEE)
def reopen_poll(poll_id: int):
    poll = load_poll(poll_id)
    form = ReopenForm()
    if not form.validate_on_submit():
        flash(_("Cần ghi rõ lý do mở lại kết quả (ít nhất 10 ký tự)."), "danger")
        return back(poll)
    try:
        correction = act(_("Mở lại kết quả kiểm phiếu %(p)s để đính chính: %(r)s", p=poll.label,
                           r=form.reason.data[:200]),
                         lambda: reopen_count(poll, current_user, form.reason.data, bool(form.discard_entries.data),
                                              expected_version()))
    except RuleViolation as error:
        db.session.rollback()
        flash(error.message, "danger")
        return back(poll)
    flash(_("Đã mở lại kết quả (đính chính lần %(n)s). Biên bản cũ (phiên bản %(v)s) không còn giá trị; kết quả "
            "mới sẽ được in thành biên bản phiên bản %(w)s.", n=correction.number, v=correction.minutes_version,
            w=poll.minutes_version), "success")
    return back(poll)


@bp.post("/polls/<int:poll_id>/single-member")
@allow(*COMMITTEE)
def single_member(poll_id: int):
    poll = load_poll(poll_id)
    form = SingleMemberForm()
    if not form.validate_on_submit():
        flash(_("Lý do không hợp lệ (tối đa 300 ký tự)."), "danger")
        return back(poll)
    single = bool(form.single.data)

    def work() -> None:
        check_version(poll, expected_version())
        set_single_member(poll, single, form.reason.data or "")
        db.session.flush()

    summary = (_("Tổ bầu cử %(p)s chỉ có một người (R-C7): %(r)s", p=poll.label, r=form.reason.data or "")
               if single else _("Bỏ thiết lập tổ bầu cử một người %(p)s (R-C7)", p=poll.label))
    try:
        act(summary, work)
    except RuleViolation as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        flash(_("Đã lưu: một người được nhập và quyết định; bảng theo dõi của huyện đánh dấu cuộc bầu này.")
              if single else _("Đã lưu: hai lần nhập và các quyết định phải do những người khác nhau."), "success")
    return back(poll)


@bp.post("/polls/<int:poll_id>/accept-waiting")
@allow(*TEAM)
def accept_waiting_count(poll_id: int):
    """The count waited for the ballot accounting: accept it now if the accounting balances (it is also accepted at
    once when the accounting is saved)."""
    poll = load_poll(poll_id)

    def work():
        check_version(poll, expected_version())
        if poll.status != PollStatus.AWAITING_ACCOUNTING:
            raise RuleViolation(_("Cuộc bầu không chờ đối chiếu phiếu bầu."))
        return accept_waiting(poll)

    try:
        result = act(_("Chốt kết quả kiểm phiếu sau khi đối chiếu phiếu bầu %(p)s", p=poll.label), work)
    except RuleViolation as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        if result is None:
            flash(_("Sổ theo dõi phiếu bầu vẫn chưa cân đối; kết quả kiểm phiếu tiếp tục chờ."), "warning")
        else:
            flash(_("Đã chốt kết quả kiểm phiếu."), "success")
    return back(poll)


def corrections_context(poll: Poll) -> dict:
    """What the poll page's corrections partial (election/_poll_corrections.html) needs."""
    entries = poll_entries(poll)
    pending = pending_entry(poll)
    user_id = getattr(current_user, "id", None)
    return {
        "corrections": poll_corrections(poll),
        "superseded_recognitions": superseded_recognitions(poll),
        "reopenable": poll.status in REOPENABLE,
        "reopen_form": ReopenForm(formdata=None),
        "single_member_form": SingleMemberForm(formdata=None, single=poll.single_member,
                                               reason=poll.single_member_reason),
        "accounting_problems": accounting_problems(poll, pending) if pending is not None else [],
        "accounting_url": url_for("ballots.accounting", hamlet_id=poll.hamlet_id, round_no=poll.round_no),
        "own_entry_refusal": four_eyes_refusal("choose", user_id, [e.user_id for e in entries], poll.single_member),
        "record_only_minutes": latest_minutes(poll) if poll.status in RECORD_ONLY else None,
        "record_only": poll.status in RECORD_ONLY,
    }
