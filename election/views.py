"""The district overview (the term's election timeline), the terms of the district, and the district's live board with its
exports."""
from __future__ import annotations

import io

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.access import allow, any_user, authorise_district, user_district_id
from core.accounts import Role
from core.models import Hamlet, Term, current_term
from core.spreadsheets import CSV_MIMETYPE, XLSX_MIMETYPE, SheetSpec, csv_bytes, export_filename, workbook_bytes
from core.transactions import commit
from core.vietnamese import vietnam_today
from election.access import VIEWERS
from election.board import EXPORT_COLUMNS, PERCENT_COLUMNS, _export_rows, board_data, board_shell, export_scope
from election.forms import TermForm
from election.models import HouseholdTotal, Poll, household_totals
from election.overview import overview_context, timeline
from extensions import db

bp = Blueprint("election", __name__)

EDITORS = (Role.DISTRICT_OFFICE, Role.COMMUNE_COMMITTEE)


@bp.get("/overview")
@any_user
def index():
    """The district overview; home.views serves `/` (each role's to-do list)."""
    # A polling team works for one hamlet: its home is that hamlet's poll page of the open round.
    if current_user.role == Role.POLLING_TEAM and current_user.hamlet_id:
        return redirect(url_for("election.hamlet_election", hamlet_id=current_user.hamlet_id))
    return render_template("election/index.html", **overview_context())


@bp.app_template_global()
def open_round(hamlet_id: int) -> int:
    """The round of the hamlet's poll that is open (its last; 1 before any poll): every election-day link of a
    hamlet carries it (issue 15: a re-vote's check-ins must never land in round 1)."""
    hamlet = db.session.get(Hamlet, hamlet_id)
    term = current_term(hamlet.commune.district_id) if hamlet else None
    latest = Poll.latest_of(term.id, hamlet_id) if term else None
    return latest.round_no if latest else 1


# ---------------------------------------------------------------------------------------------------------
# Terms
# ---------------------------------------------------------------------------------------------------------

@bp.get("/terms")
@any_user
def list_terms():
    district_id = user_district_id()
    terms = db.session.scalars(db.select(Term).where(Term.district_id == district_id)
                               .order_by(Term.starts_on.desc())).all()
    return render_template("election/list_terms.html", terms=terms, timelines={t.id: timeline(t) for t in terms})


@bp.route("/terms/new", methods=["GET", "POST"], defaults={"term_id": None})
@bp.route("/terms/<int:term_id>/edit", methods=["GET", "POST"])
@allow(Role.DISTRICT_OFFICE)
def edit_term(term_id: int | None):
    district_id = user_district_id()
    term = db.get_or_404(Term, term_id) if term_id else Term(district_id=district_id)
    authorise_district(term.district_id)
    form = TermForm(obj=term)
    if form.validate_on_submit():
        form.populate_obj(term)
        if term.is_current:
            for other in db.session.scalars(db.select(Term).where(Term.district_id == district_id,
                                                                  Term.is_current.is_(True))):
                if other is not term:
                    other.is_current = False
        db.session.add(term)
        commit(f"Lưu nhiệm kỳ {term.name}")
        flash(_("Đã lưu nhiệm kỳ."), "success")
        return redirect(url_for("election.list_terms"))
    return render_template("election/edit_term.html", form=form, term=term)


@bp.app_template_global("household_totals_for")
def household_totals_for(hamlets: list[Hamlet], poll: Poll | None = None) -> dict[int, HouseholdTotal]:
    """Hamlet id -> its total households with the source (R-V5/R-V7 denominator), for any page, those outside
    election/ included: `poll`'s frozen number once it opened, else that of the current term's latest poll of the
    hamlet, else the roll's or the register's. The hamlets are of one district."""
    if not hamlets:
        return {}
    term = db.session.get(Term, poll.term_id) if poll is not None else \
        current_term(hamlets[0].commune.district_id)
    if term is None:
        return household_totals(0, [h.id for h in hamlets])
    polls: dict[int, Poll | None] = {poll.hamlet_id: poll} if poll is not None else {
        p.hamlet_id: p for p in db.session.scalars(
            db.select(Poll).where(Poll.term_id == term.id, Poll.hamlet_id.in_([h.id for h in hamlets]))
            .order_by(Poll.round_no))}
    return household_totals(term.id, [h.id for h in hamlets], polls)


@bp.app_template_global("household_total_for")
def household_total_for(hamlet: Hamlet, poll: Poll | None = None) -> HouseholdTotal:
    """household_totals_for one hamlet."""
    return household_totals_for([hamlet], poll)[hamlet.id]


@bp.get("/board")
@allow(*VIEWERS)
def board():
    commune_id = request.args.get("commune_id", type=int)
    return render_template("election/board.html", data=board_shell(commune_id), commune_id=commune_id)


@bp.get("/board.json")
@allow(*VIEWERS)
def board_json():
    from flask import jsonify

    return jsonify(board_data(request.args.get("commune_id", type=int)))


@bp.get("/board.csv")
@allow(*VIEWERS)
def board_csv():
    commune_id = request.args.get("commune_id", type=int)
    data = csv_bytes([header for _key, header in EXPORT_COLUMNS], _export_rows(board_data(commune_id)))
    return send_file(io.BytesIO(data), mimetype=CSV_MIMETYPE, as_attachment=True,
                     download_name=_board_filename(commune_id, "csv"))


@bp.get("/board.xlsx")
@allow(*VIEWERS)
def board_xlsx():
    commune_id = request.args.get("commune_id", type=int)
    rows = _export_rows(board_data(commune_id))
    data = workbook_bytes([SheetSpec("Kết quả", [header for _key, header in EXPORT_COLUMNS], rows,
                                     percent_columns=PERCENT_COLUMNS)])
    return send_file(io.BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name=_board_filename(commune_id, "xlsx"))


def _board_filename(commune_id: int | None, extension: str) -> str:
    return export_filename("ket-qua-bau-truong-thon", export_scope(commune_id), vietnam_today(), extension)
