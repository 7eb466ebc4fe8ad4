"""Pages of supervision (59-KH/HU §2.7), commendations (§2.6) and the yearly review (sơ kết).

The district office assigns and records; the commune's committees read their own commune's (a commune user never
sees another commune: 404); the approving authority and the observer read the district's.
"""
from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from math import ceil
from typing import Any, cast

from flask import Response, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import selectinload

from chapters.access import SUPERVISION_KEEPERS, SUPERVISION_READERS, load_assignment
from chapters.forms import AssignmentForm, CommendationForm, EndAssignmentForm, SupervisorForm, VisitForm
from chapters.pdf import review_pdf
from chapters.review import load_review
from chapters.rules import DIFFICULTY_LABELS
from chapters.supervision import (
    ALLOWED_RANKS,
    AwardKind,
    Commendation,
    SupervisionAssignment,
    SupervisionKind,
    SupervisionVisit,
    Supervisor,
    SupervisorRank,
    difficulties,
)
from chapters.views import bp
from chapters.workbook import review_workbook
from core.access import allow, authorise_commune, current_term_or_404, load_person, scope_communes, user_district_id
from core.accounts import Role
from core.errors import RuleViolation
from core.models import Chapter, Commune, District, Hamlet, Person, Term
from core.spreadsheets import XLSX_MIMETYPE, export_filename
from core.transactions import act, check_version
from core.vietnamese import vietnam_today
from extensions import db


@dataclass
class ListPage:
    """A page of a list computed in Python, with the interface of templates/macros.html's pager."""

    items: Sequence[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(ceil(self.total / self.per_page), 1)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def _list_page(rows: Sequence[Any]) -> ListPage:
    per_page = current_app.config["PER_PAGE"]
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    return ListPage(rows[(page - 1) * per_page:page * per_page], page, per_page, len(rows))


def _district_and_term() -> tuple[District, Term]:
    district_id = user_district_id()
    if district_id is None:
        abort(404)
    district = db.get_or_404(District, district_id)
    return district, current_term_or_404(district.id)


def _keeps() -> bool:
    return current_user.role in (*SUPERVISION_KEEPERS, Role.ADMIN)


def _refused(form: FlaskForm, error: RuleViolation) -> None:
    """A model's refusal shown on its field (or as a message when the form has no such field)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "danger")


# ---------------------------------------------------------------------------------------------------------
# Supervision: communes, difficult chapters, assignments and visits
# ---------------------------------------------------------------------------------------------------------

@bp.get("/supervision")
@allow(*SUPERVISION_READERS)
def supervision():
    district, term = _district_and_term()
    stmt = scope_communes(db.select(Commune).where(Commune.district_id == district.id, Commune.ended_on.is_(None)),
                          Commune).order_by(Commune.name)
    page = db.paginate(stmt, per_page=current_app.config["PER_PAGE"], error_out=False)
    ids = [c.id for c in page.items]
    assignments = {(a.kind, a.commune_id): a for a in db.session.scalars(
        db.select(SupervisionAssignment).where(SupervisionAssignment.term_id == term.id,
                                               SupervisionAssignment.commune_id.in_(ids),
                                               SupervisionAssignment.kind != SupervisionKind.CHAPTER,
                                               SupervisionAssignment.ended_on.is_(None)))}
    judged = difficulties(district.id, term, vietnam_today(), current_user.commune_id)
    difficult = Counter(d.commune_id for d in judged if d.difficult)
    return render_template("chapters/supervision.html", district=district, term=term, page=page,
                           assignments=assignments, difficult=difficult, total_difficult=sum(difficult.values()),
                           kinds=SupervisionKind, can_keep=_keeps())


@bp.get("/supervision/chapters")
@allow(*SUPERVISION_READERS)
def difficult_chapters():
    district, term = _district_and_term()
    judged = [d for d in difficulties(district.id, term, vietnam_today(), current_user.commune_id) if d.difficult]
    page = _list_page(judged)
    ids = [cast(int, d.chapter_id) for d in page.items]
    chapters = {c.id: c for c in db.session.scalars(
        db.select(Chapter).where(Chapter.id.in_(ids)).options(selectinload(Chapter.hamlet).selectinload(Hamlet.commune)))}
    assignments = {a.chapter_id: a for a in db.session.scalars(
        db.select(SupervisionAssignment).where(SupervisionAssignment.term_id == term.id,
                                               SupervisionAssignment.kind == SupervisionKind.CHAPTER,
                                               SupervisionAssignment.chapter_id.in_(ids),
                                               SupervisionAssignment.ended_on.is_(None)))}
    rows = [(chapters[cast(int, d.chapter_id)], d, assignments.get(cast(int, d.chapter_id))) for d in page.items]
    # Assignments still in force at chapters no longer flagged: the office decides when to end them.
    resolved = db.select(SupervisionAssignment).where(
        SupervisionAssignment.term_id == term.id, SupervisionAssignment.kind == SupervisionKind.CHAPTER,
        SupervisionAssignment.ended_on.is_(None),
        SupervisionAssignment.chapter_id.not_in([cast(int, d.chapter_id) for d in judged]))
    if current_user.commune_id is not None:
        resolved = resolved.where(SupervisionAssignment.commune_id == current_user.commune_id)
    return render_template("chapters/difficult_chapters.html", district=district, term=term, page=page, rows=rows,
                           labels=DIFFICULTY_LABELS, can_keep=_keeps(), resolved=db.session.scalars(resolved).all())


def _assignment_choices(form: AssignmentForm, district: District, term: Term) -> None:
    communes = db.session.scalars(db.select(Commune).where(Commune.district_id == district.id,
                                                           Commune.ended_on.is_(None)).order_by(Commune.name)).all()
    form.commune_id.choices = [(0, "—")] + [(c.id, c.full_name) for c in communes]
    hard = [cast(int, d.chapter_id) for d in difficulties(district.id, term, vietnam_today()) if d.difficult]
    chapters = db.session.scalars(db.select(Chapter).join(Hamlet).join(Commune).where(Chapter.id.in_(hard))
                                  .order_by(Commune.name, Hamlet.name)).all()
    form.chapter_id.choices = [(0, "—")] + [(c.id, f"{c.name} ({c.hamlet.commune.full_name})") for c in chapters]
    supervisors = db.session.scalars(db.select(Supervisor).where(Supervisor.district_id == district.id)
                                     .order_by(Supervisor.rank, Supervisor.full_name)).all()
    form.supervisor_id.choices = [(0, "—")] + [(s.id, f"{s.full_name} – {s.post} ({_(s.rank.label)})")
                                                for s in supervisors]


@bp.route("/supervision/assign", methods=["GET", "POST"])
@allow(*SUPERVISION_KEEPERS)
def assign_supervisor():
    district, term = _district_and_term()
    today = vietnam_today()
    form = AssignmentForm(assigned_on=today)
    if request.method == "GET":
        wanted = request.args.get("kind", "")
        form.kind.data = wanted if wanted in SupervisionKind.__members__.values() else SupervisionKind.COMMUNE.value
        form.commune_id.data = request.args.get("commune_id", 0, type=int)
        form.chapter_id.data = request.args.get("chapter_id", 0, type=int)
    _assignment_choices(form, district, term)
    if form.validate_on_submit():
        kind = SupervisionKind(form.kind.data)
        supervisor = db.session.get(Supervisor, form.supervisor_id.data or 0)
        commune = db.session.get(Commune, form.commune_id.data or 0) if kind != SupervisionKind.CHAPTER else None
        chapter = db.session.get(Chapter, form.chapter_id.data or 0) if kind == SupervisionKind.CHAPTER else None
        if supervisor is None:
            form.supervisor_id.errors = [_("Chọn người phụ trách.")]
        else:
            def work() -> SupervisionAssignment:
                assignment = SupervisionAssignment.assign(
                    term, kind, supervisor, on=form.assigned_on.data, today=today, user_id=current_user.id,
                    commune=commune, chapter=chapter, decision=form.decision.data or "")
                db.session.add(assignment)
                return assignment
            try:
                assignment = act(f"Phân công {supervisor.full_name}: {kind.label}", work)
            except RuleViolation as error:
                db.session.rollback()
                _assignment_choices(form, district, term)
                _refused(form, error)
            else:
                flash(_("Đã phân công %(n)s phụ trách %(u)s.", n=assignment.supervisor.full_name,
                        u=assignment.unit_name), "success")
                return redirect(url_for("chapters.show_assignment", assignment_id=assignment.id))
    ranks = {kind.value: [_(rank.label) for rank in ranks] for kind, ranks in ALLOWED_RANKS.items()}
    return render_template("chapters/assign_supervisor.html", form=form, term=term, ranks=ranks,
                           has_supervisors=len(form.supervisor_id.choices or []) > 1)


@bp.get("/supervision/assignments/<int:assignment_id>")
@allow(*SUPERVISION_READERS)
def show_assignment(assignment_id: int):
    assignment = load_assignment(assignment_id)
    today = vietnam_today()
    visits = db.paginate(db.select(SupervisionVisit).where(SupervisionVisit.assignment_id == assignment.id)
                         .order_by(SupervisionVisit.visited_on.desc(), SupervisionVisit.id.desc()),
                         per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template("chapters/show_assignment.html", assignment=assignment, visits=visits,
                           visit_form=VisitForm(visited_on=today),
                           end_form=EndAssignmentForm(ended_on=today, version=assignment.version),
                           can_keep=_keeps())


@bp.post("/supervision/assignments/<int:assignment_id>/visits")
@allow(*SUPERVISION_KEEPERS)
def record_visit(assignment_id: int):
    assignment = load_assignment(assignment_id)
    form = VisitForm()
    if not form.validate_on_submit():
        flash(_("Chưa ghi được: ") + "; ".join(f"{form[k].label.text}: {v[0]}" for k, v in form.errors.items()),
              "danger")
        return redirect(url_for("chapters.show_assignment", assignment_id=assignment.id))
    try:
        act(f"Ghi lần làm việc của {assignment.supervisor.full_name} tại {assignment.unit_name}",
            lambda: assignment.record_visit(form.visited_on.data, form.notes.data or "", form.findings.data or "",
                                            vietnam_today(), current_user.id))
    except RuleViolation as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        flash(_("Đã ghi lần làm việc."), "success")
    return redirect(url_for("chapters.show_assignment", assignment_id=assignment.id))


@bp.post("/supervision/assignments/<int:assignment_id>/end")
@allow(*SUPERVISION_KEEPERS)
def end_assignment(assignment_id: int):
    assignment = load_assignment(assignment_id)
    form = EndAssignmentForm()
    if not form.validate_on_submit():
        flash(_("Cần ngày kết thúc và lý do."), "danger")
        return redirect(url_for("chapters.show_assignment", assignment_id=assignment.id))
    def work() -> None:
        check_version(assignment)
        assignment.end(form.ended_on.data, form.end_reason.data or "", vietnam_today())

    try:
        act(f"Kết thúc phân công {assignment.supervisor.full_name} tại {assignment.unit_name}", work)
    except RuleViolation as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        flash(_("Đã kết thúc phân công."), "success")
    return redirect(url_for("chapters.show_assignment", assignment_id=assignment.id))


@bp.route("/supervision/supervisors", methods=["GET", "POST"])
@allow(*SUPERVISION_KEEPERS)
def list_supervisors():
    district, _term = _district_and_term()
    form = SupervisorForm()
    if form.validate_on_submit():
        try:
            act(f"Thêm người phụ trách {form.full_name.data}",
                lambda: db.session.add(Supervisor.create(district, form.full_name.data or "", form.post.data or "",
                                                         SupervisorRank(form.rank.data))))
        except RuleViolation as error:
            db.session.rollback()
            _refused(form, error)
        else:
            flash(_("Đã thêm %(n)s.", n=form.full_name.data), "success")
            return redirect(url_for("chapters.list_supervisors"))
    page = db.paginate(db.select(Supervisor).where(Supervisor.district_id == district.id)
                       .order_by(Supervisor.rank, Supervisor.full_name), per_page=current_app.config["PER_PAGE"],
                       error_out=False)
    return render_template("chapters/list_supervisors.html", form=form, page=page)


# ---------------------------------------------------------------------------------------------------------
# Commendations (§2.6): recorded on the person's page (core's template includes chapters/_commendations.html)
# ---------------------------------------------------------------------------------------------------------

@bp.app_template_global("person_commendations")
def person_commendations(person: Person) -> dict[str, Any]:
    """For core's person page: the person's commendations, and the form when the current user records them."""
    items = db.session.scalars(db.select(Commendation).where(Commendation.person_id == person.id)
                               .order_by(Commendation.year.desc(), Commendation.id.desc())).all()
    keeps = _keeps()
    form = CommendationForm(year=vietnam_today().year, kind=AwardKind.CERTIFICATE.value) if keeps else None
    return {"items": items, "form": form}


@bp.post("/people/<int:person_id>/commendations")
@allow(*SUPERVISION_KEEPERS)
def record_commendation(person_id: int):
    person = load_person(person_id)
    form = CommendationForm()
    back = redirect(url_for("core.show_person", person_id=person.id) + "#khen-thuong")
    if not form.validate_on_submit():
        flash(_("Chưa ghi được: ") + "; ".join(f"{form[k].label.text}: {v[0]}" for k, v in form.errors.items()),
              "danger")
        return back
    try:
        act(f"Ghi khen thưởng {person.full_name} năm {form.year.data}",
            lambda: db.session.add(Commendation.record(
                person, form.year.data, AwardKind(form.kind.data), form.reason.data or "",
                form.decision_number.data or "", form.decision_date.data, form.issued_by.data or "", vietnam_today(),
                current_user.id)))
    except RuleViolation as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        flash(_("Đã ghi khen thưởng."), "success")
    return back


# ---------------------------------------------------------------------------------------------------------
# The yearly review (sơ kết): page, PDF, XLSX
# ---------------------------------------------------------------------------------------------------------

def _review_scope() -> tuple[District, Term, int, Commune | None, list[int]]:
    """District, term, year (?year=, within the term and not to come), and the commune (a commune user's own; a
    district user's ?commune_id=, else the whole district)."""
    district, term = _district_and_term()
    today = vietnam_today()
    years = list(range(term.starts_on.year, min(term.ends_on.year, today.year) + 1))
    if not years:
        abort(404, _("Nhiệm kỳ chưa bắt đầu: chưa có năm nào để sơ kết."))
    year = request.args.get("year", years[-1], type=int)
    if year not in years:
        abort(404)
    commune: Commune | None = None
    commune_id = current_user.commune_id or request.args.get("commune_id", type=int)
    if commune_id:
        commune = db.get_or_404(Commune, commune_id)
        authorise_commune(commune)
        if commune.district_id != district.id:
            abort(404)
    return district, term, year, commune, years


@bp.get("/review")
@allow(*SUPERVISION_READERS)
def review():
    district, term, year, commune, years = _review_scope()
    data = load_review(district, term, year, vietnam_today(), commune)
    communes = [] if current_user.commune_id else db.session.scalars(
        db.select(Commune).where(Commune.district_id == district.id, Commune.ended_on.is_(None))
        .order_by(Commune.name)).all()
    return render_template("chapters/review.html", review=data, years=years, communes=communes,
                           labels=DIFFICULTY_LABELS)


def _review_name(district: District, commune: Commune | None, year: int, extension: str) -> str:
    return export_filename("so-ket", commune.code if commune else district.code, date(year, 12, 31), extension)


@bp.get("/review.pdf")
@allow(*SUPERVISION_READERS)
def review_report():
    district, term, year, commune, _years = _review_scope()
    today = vietnam_today()
    data = review_pdf(load_review(district, term, year, today, commune), today)
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{_review_name(district, commune, year, "pdf")}"'})


@bp.get("/review.xlsx")
@allow(*SUPERVISION_READERS)
def review_xlsx():
    district, term, year, commune, _years = _review_scope()
    data = review_workbook(load_review(district, term, year, vietnam_today(), commune))
    return send_file(io.BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name=_review_name(district, commune, year, "xlsx"))
