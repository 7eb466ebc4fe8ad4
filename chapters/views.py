"""Pages: chapters of the term, a chapter's congress (record, approve, minutes), the targets dashboard."""
from __future__ import annotations

import io
from datetime import date

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from chapters.access import APPROVERS, DASHBOARD_READERS, READERS, RECORDERS, load_chapter, load_congress
from chapters.forms import POST_CHOICES, AppointmentForm, ApprovalForm, AttendanceForm, NomineeForm, OpenCongressForm
from chapters.models import (
    EXCLUSION_FIELDS,
    Congress,
    CongressState,
    Nominee,
    NomineeSource,
    chapter_post,
    current_chief,
)
from chapters.pdf import congress_minutes_pdf, period_end, targets_report_pdf
from chapters.targets import CHART_KEYS, load_facts
from chapters.workbook import targets_workbook
from core.access import (
    allow,
    authorise_district,
    current_term_or_404,
    person_in_scope,
    scope_communes,
    scope_hamlets,
    user_district_id,
)
from core.accounts import Role
from core.enums import CHAPTER_POSTS, PartyMembership, Post
from core.errors import RuleViolation
from core.i18n import tr
from core.models import Chapter, Commune, District, Hamlet, Person, Position, Term
from core.spreadsheets import XLSX_MIMETYPE, export_filename
from core.transactions import commit
from core.vietnamese import fold, vietnam_today
from extensions import db

bp = Blueprint("chapters", __name__, url_prefix="/chapters")


def _back(congress: Congress):
    return redirect(url_for("chapters.congress", chapter_id=congress.chapter_id))


@bp.get("/")
@allow(*READERS)
def index():
    district_id = user_district_id()
    if district_id is None:
        abort(404)
    term = current_term_or_404(district_id)
    chief = (db.select(Position.hamlet_id.label("hamlet_id"), db.func.max(Position.person_id).label("person_id"))
             .where(Position.post == Post.HAMLET_CHIEF, Position.term_id == term.id,
                    Position.ended_on.is_(None)).group_by(Position.hamlet_id).subquery())
    stmt = (db.select(Chapter).join(Hamlet, Chapter.hamlet_id == Hamlet.id)
            .join(Commune, Hamlet.commune_id == Commune.id)
            .outerjoin(Congress, (Congress.chapter_id == Chapter.id) & (Congress.term_id == term.id))
            .outerjoin(chief, chief.c.hamlet_id == Hamlet.id).outerjoin(Person, Person.id == chief.c.person_id)
            .where(Commune.district_id == district_id, Hamlet.ended_on.is_(None)))
    stmt = scope_hamlets(stmt, Hamlet, Commune)
    if commune_id := request.args.get("commune_id", type=int):
        stmt = stmt.where(Commune.id == commune_id)
    if q := request.args.get("q", "").strip():
        stmt = stmt.where(Chapter.name.ilike(f"%{q}%") | Person.name_folded.contains(fold(q)))
    state = request.args.get("state", "")
    if state == "none":
        stmt = stmt.where(Congress.id.is_(None))
    elif state in CongressState.__members__.values():
        stmt = stmt.where(Congress.state == state)
    stmt = stmt.options(selectinload(Chapter.hamlet).selectinload(Hamlet.commune))
    page = db.paginate(stmt.order_by(Commune.name, Hamlet.name), per_page=current_app.config["PER_PAGE"],
                       error_out=False)
    # The page's congresses, chiefs and auto-proposals: three queries for the whole page.
    chapter_ids = [c.id for c in page.items]
    congresses = {c.chapter_id: c for c in db.session.scalars(db.select(Congress).where(
        Congress.chapter_id.in_(chapter_ids), Congress.term_id == term.id))}
    chiefs = {hid: person for hid, person in db.session.execute(
        db.select(chief.c.hamlet_id, Person).join(Person, Person.id == chief.c.person_id)
        .where(chief.c.hamlet_id.in_([c.hamlet_id for c in page.items])))}
    proposed = set(db.session.scalars(db.select(Nominee.congress_id).where(
        Nominee.congress_id.in_([c.id for c in congresses.values()]), Nominee.source == NomineeSource.HAMLET_CHIEF)))
    rows = [(c, congresses.get(c.id), chiefs.get(c.hamlet_id)) for c in page.items]
    communes = db.session.scalars(scope_communes(db.select(Commune).where(Commune.district_id == district_id)
                                                 .order_by(Commune.name), Commune)).all()
    return render_template("chapters/index.html", page=page, rows=rows, term=term, communes=communes,
                           proposed=proposed, states=CongressState)


@bp.get("/<int:chapter_id>/congress")
@allow(*READERS)
def congress(chapter_id: int):
    chapter = load_chapter(chapter_id)
    term = current_term_or_404(chapter.hamlet.commune.district_id)
    record = db.session.scalar(db.select(Congress).where(Congress.chapter_id == chapter.id,
                                                         Congress.term_id == term.id))
    chief = current_chief(chapter.hamlet_id, term.id)
    can_record = current_user.role in (*RECORDERS, Role.ADMIN)
    earlier = db.session.scalars(db.select(Congress).where(Congress.chapter_id == chapter.id,
                                                           Congress.term_id != term.id)
                                 .order_by(Congress.held_on.desc())).all()  # the congresses of earlier terms
    context = {"chapter": chapter, "term": term, "congress": record, "chief": chief, "can_record": can_record,
               "post_choices": POST_CHOICES, "earlier": earlier,
               "can_approve": current_user.role in (*APPROVERS, Role.ADMIN)}
    if record is None:
        context["open_form"] = OpenCongressForm(held_on=vietnam_today())
        return render_template("chapters/congress.html", **context)
    attendance_form = AttendanceForm(obj=record)
    nominee_form = NomineeForm()
    members = db.session.scalars(db.select(Person).where(Person.hamlet_id == chapter.hamlet_id,
                                                         Person.party_member != PartyMembership.NONE)
                                 .order_by(Person.name_folded)).all()
    nominee_form.person_id.choices = [(p.id, f"{p.full_name} ({p.birth_date:%Y}, {tr(p.party_member.label)})")
                                      for p in members]
    appointment_form = AppointmentForm(on=vietnam_today())
    appointment_form.person_id.choices = [(p.id, p.full_name) for p in members]
    next_ballot = record.next_ballot() if record.state == CongressState.DRAFT else None
    eligible = record.eligible_for(next_ballot[0]) if next_ballot else []
    context.update(attendance_form=attendance_form, nominee_form=nominee_form, appointment_form=appointment_form,
                   approval_form=ApprovalForm(on=vietnam_today()), next_ballot=next_ballot, eligible=eligible,
                   structure=record.structure, exclusion_fields=EXCLUSION_FIELDS, states=CongressState)
    return render_template("chapters/congress.html", **context)


@bp.post("/<int:chapter_id>/congress/open")
@allow(*RECORDERS)
def open_congress(chapter_id: int):
    chapter = load_chapter(chapter_id)
    term = current_term_or_404(chapter.hamlet.commune.district_id)
    form = OpenCongressForm()
    if not form.validate_on_submit():
        flash(_("Ngày đại hội không hợp lệ."), "danger")
        return redirect(url_for("chapters.congress", chapter_id=chapter.id))
    if db.session.scalar(db.select(Congress.id).where(Congress.chapter_id == chapter.id, Congress.term_id == term.id)):
        flash(_("Chi bộ đã có hồ sơ đại hội trong nhiệm kỳ này."), "danger")
        return redirect(url_for("chapters.congress", chapter_id=chapter.id))
    try:
        record = Congress.open(chapter, term, form.held_on.data)
    except RuleViolation as error:
        flash(error.message, "danger")
        return redirect(url_for("chapters.congress", chapter_id=chapter.id))
    db.session.add(record)
    commit(f"Mở hồ sơ đại hội {chapter.name}, nhiệm kỳ {term.name}")
    if record.chief_nominee is None:
        flash(_("Chưa có trưởng thôn được công nhận trong nhiệm kỳ: chưa thể tự động giới thiệu."), "warning")
    else:
        flash(_("Đã giới thiệu trưởng thôn %(n)s làm bí thư chi bộ.", n=record.chief_nominee.person.full_name),
              "success")
    return redirect(url_for("chapters.congress", chapter_id=chapter.id))


def _act(congress_id: int, summary: str, action) -> Response:
    """Load → authorise → act (a model method raising RuleViolation) → describe → commit → back."""
    record = load_congress(congress_id)
    try:
        action(record)
    except RuleViolation as error:
        db.session.rollback()
        flash(error.message, "danger")
        return _back(record)
    commit(f"{summary}: {record.chapter.name}")
    flash(_("Đã lưu."), "success")
    return _back(record)


@bp.post("/congresses/<int:congress_id>/attendance")
@allow(*RECORDERS)
def record_attendance(congress_id: int):
    form = AttendanceForm()
    if not form.validate_on_submit():
        record = load_congress(congress_id)
        flash(_("Số liệu không hợp lệ: ") + "; ".join(f"{form[k].label.text}: {v[0]}" for k, v in form.errors.items()),
              "danger")
        return _back(record)
    exclusions = {name: form[name].data or 0 for name in EXCLUSION_FIELDS}
    return _act(congress_id, "Ghi số đảng viên triệu tập, có mặt (R-P2)",
                lambda c: c.set_attendance(form.official_members_convened.data, exclusions, form.present.data,
                                           form.committee_seats.data))


@bp.post("/congresses/<int:congress_id>/propose-chief")
@allow(*RECORDERS)
def propose_chief(congress_id: int):
    def act(c: Congress) -> None:
        c.ensure_draft()
        if c.propose_chief() is None:
            raise RuleViolation(_("Không có trưởng thôn đương nhiệm để giới thiệu, hoặc đã giới thiệu."))

    return _act(congress_id, "Giới thiệu trưởng thôn vào đại hội", act)


@bp.post("/congresses/<int:congress_id>/nominees")
@allow(*RECORDERS)
def add_nominee(congress_id: int):
    record = load_congress(congress_id)
    form = NomineeForm()
    form.person_id.choices = None  # validated by the model (same hamlet), not by a preloaded list
    person = person_in_scope(request.form.get("person_id", type=int))
    if person is None:  # a foreign id answers like a missing one
        flash(_("Chọn một đảng viên."), "danger")
        return _back(record)
    return _act(congress_id, f"Giới thiệu {person.full_name}",
                lambda c: c.add_nominee(person, chapter_post(form.post.data), NomineeSource(form.source.data),
                                        form.agreeing.data, form.note.data or ""))


@bp.post("/congresses/<int:congress_id>/nominees/<int:nominee_id>/post")
@allow(*RECORDERS)
def change_nominee_post(congress_id: int, nominee_id: int):
    post = request.form.get("post", "")
    if post not in CHAPTER_POSTS:
        abort(400)
    return _act(congress_id, "Đổi chức danh giới thiệu",
                lambda c: c.change_post(c.nominee(nominee_id), chapter_post(post)))


@bp.post("/congresses/<int:congress_id>/nominees/<int:nominee_id>/delete")
@allow(*RECORDERS)
def remove_nominee(congress_id: int, nominee_id: int):
    return _act(congress_id, "Bỏ người được giới thiệu", lambda c: c.remove_nominee(c.nominee(nominee_id)))


def _int(name: str) -> int | None:
    value = request.form.get(name, "").strip()
    return int(value) if value.isdigit() else None


@bp.post("/congresses/<int:congress_id>/ballots")
@allow(*RECORDERS)
def record_ballot(congress_id: int):
    post = request.form.get("post", "")
    if post not in CHAPTER_POSTS:
        abort(400)
    valid, invalid = _int("valid_ballots"), _int("invalid_ballots")
    votes = {int(key.removeprefix("votes_")): int(value) for key, value in request.form.items()
             if key.startswith("votes_") and key[6:].isdigit() and value.strip().isdigit()}
    if valid is None or invalid is None:
        record = load_congress(congress_id)
        flash(_("Cần ghi số phiếu hợp lệ và không hợp lệ."), "danger")
        return _back(record)
    return _act(congress_id, f"Ghi kết quả bầu {post}",
                lambda c: c.record_ballot(chapter_post(post), valid, invalid, votes))


@bp.post("/congresses/<int:congress_id>/ballots/delete-last")
@allow(*RECORDERS)
def delete_last_ballot(congress_id: int):
    return _act(congress_id, "Xóa kết quả bầu ghi sau cùng", lambda c: c.delete_last_ballot())


@bp.post("/congresses/<int:congress_id>/appointment")
@allow(*RECORDERS)
def record_appointment(congress_id: int):
    record = load_congress(congress_id)
    form = AppointmentForm()
    form.person_id.choices = None
    person = person_in_scope(request.form.get("person_id", type=int))
    if person is None or not form.number.data or form.on.data is None:
        flash(_("Cần chọn người, số và ngày quyết định chỉ định."), "danger")
        return _back(record)
    return _act(congress_id, "Ghi quyết định chỉ định bí thư (R-P4)",
                lambda c: c.record_appointment(person, form.number.data, form.on.data))


@bp.post("/congresses/<int:congress_id>/finish")
@allow(*RECORDERS)
def finish_congress(congress_id: int):
    return _act(congress_id, "Kết thúc đại hội, trình cấp trên chuẩn y", lambda c: c.finish())


@bp.post("/congresses/<int:congress_id>/reopen")
@allow(*RECORDERS)
def reopen_congress(congress_id: int):
    return _act(congress_id, "Mở lại hồ sơ đại hội để sửa", lambda c: c.reopen())


@bp.post("/congresses/<int:congress_id>/approve")
@allow(*APPROVERS)
def approve_congress(congress_id: int):
    record = load_congress(congress_id)
    form = ApprovalForm()
    if not form.validate_on_submit():
        flash(_("Cần số và ngày quyết định chuẩn y."), "danger")
        return _back(record)
    return _act(congress_id, "Chuẩn y kết quả đại hội chi bộ (R-P5)",
                lambda c: c.approve(user_id=current_user.id, number=form.number.data, on=form.on.data))


@bp.get("/congresses/<int:congress_id>/minutes.pdf")
@allow(*READERS)
def congress_minutes(congress_id: int):
    record = load_congress(congress_id)
    if not record.official_members_convened:
        abort(404, _("Chưa có số liệu đại hội để in biên bản."))
    data = congress_minutes_pdf(record)
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="bien-ban-dai-hoi-chi-bo-{record.id}.pdf"'})


def _dashboard_scope() -> tuple[District, Term, int | None]:
    """The district (admin: ?district_id=), its current term, and the commune of a commune user."""
    district_id = request.args.get("district_id", type=int) if current_user.role == Role.ADMIN else None
    district_id = district_id or user_district_id()
    if district_id is None:
        abort(404)
    if current_user.commune_id is None:
        authorise_district(district_id)
    district = db.get_or_404(District, district_id)
    commune_id = current_user.commune_id
    if commune_id is None and (wanted := request.args.get("commune_id", type=int)):
        commune_id = wanted
    return district, current_term_or_404(district.id), commune_id


def _as_of() -> date:
    wanted = request.args.get("as_of", "")
    try:
        return date.fromisoformat(wanted) if wanted else vietnam_today()
    except ValueError:
        abort(400)


@bp.get("/dashboard")
@allow(*DASHBOARD_READERS)
def dashboard():
    district, term, commune_id = _dashboard_scope()
    as_of = _as_of()
    facts = load_facts(district.id, term, as_of, commune_id if current_user.commune_id else None)
    figures = facts.figures()
    by_commune = facts.figures_by_commune()
    progress = facts.progress()
    return render_template("chapters/dashboard.html", district=district, term=term, as_of=as_of, facts=facts,
                           figures=figures, by_commune=by_commune, progress=progress, chart_keys=CHART_KEYS,
                           chart=_chart(progress, figures))


def _chart(progress, figures) -> dict:
    """Inline-SVG geometry: one polyline per CHART_KEYS figure, x = time, y = share 0–100%."""
    width, height, left, bottom = 640, 220, 40, 24
    labels = {f.key: tr(f.label, **f.label_values) for f in figures}
    n = max(len(progress) - 1, 1)
    colours = ["#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#c62828"]
    series = []
    for index, key in enumerate(CHART_KEYS):
        points = []
        for i, (_day, shares) in enumerate(progress):
            share = shares.get(key)
            if share is not None:
                x = left + (width - left - 10) * i / n
                y = 10 + (height - bottom - 10) * (1 - share)
                points.append(f"{x:.1f},{y:.1f}")
        series.append({"key": key, "label": labels.get(key, key), "colour": colours[index % len(colours)],
                       "points": " ".join(points)})
    ticks = [(left + (width - left - 10) * i / n, day) for i, (day, _s) in enumerate(progress)]
    return {"width": width, "height": height, "left": left, "bottom": bottom, "series": series, "ticks": ticks}


@bp.get("/dashboard/list")
@allow(*DASHBOARD_READERS)
def dashboard_list():
    district, term, commune_id = _dashboard_scope()
    as_of = _as_of()
    key = request.args.get("key", "")
    facts = load_facts(district.id, term, as_of, current_user.commune_id, with_names=True)
    figure = next((f for f in facts.figures() if f.key == key), None)
    if figure is None:
        abort(404)
    rows = facts.items(key, commune_id)
    counted = request.args.get("counted")
    if counted in ("0", "1"):
        rows = [r for r in rows if r["counted"] == (counted == "1")]
    return render_template("chapters/dashboard_list.html", district=district, term=term, as_of=as_of,
                           figure=figure, rows=rows, commune_name=facts.communes.get(commune_id, "")
                           if commune_id else "")


@bp.get("/dashboard.xlsx")
@allow(*DASHBOARD_READERS)
def dashboard_xlsx():
    district, term, _commune_id = _dashboard_scope()
    as_of = _as_of()
    facts = load_facts(district.id, term, as_of, current_user.commune_id, with_names=True)
    data = targets_workbook(district, facts)
    code = db.get_or_404(Commune, current_user.commune_id).code if current_user.commune_id else district.code
    return send_file(io.BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name=export_filename("chi-tieu", code, as_of, "xlsx"))


@bp.get("/dashboard/report.pdf")
@allow(*DASHBOARD_READERS)
def dashboard_report():
    district, term, _commune_id = _dashboard_scope()
    period = request.args.get("period", "half")
    if period not in ("half", "year"):
        abort(400)
    year = request.args.get("year", type=int) or vietnam_today().year
    as_of = min(period_end(period, year), vietnam_today())
    facts = load_facts(district.id, term, as_of, current_user.commune_id)
    data = targets_report_pdf(district, facts, period, year)
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="bao-cao-{period}-{year}.pdf"'})
