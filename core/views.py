"""Pages of the organisation: communes, hamlets, the people registry, district settings, renames and mergers;
the web font."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from core import units
from core.access import (
    allow,
    any_user,
    authorise_commune,
    authorise_district,
    authorise_hamlet,
    public,
    scope_communes,
    scope_hamlets,
    shown_birth_date,
    shown_citizen_id,
    user_district_id,
)
from core.accounts import Role
from core.api import people_filter
from core.audit import describe, record
from core.enums import Education, HamletKind, PartyMembership, PoliticalTheory, Sex
from core.errors import RuleViolation
from core.fonts import font_bytes
from core.forms import CommuneForm, DistrictForm, MergeForm, PersonForm, RenameForm
from core.models import (
    Chapter,
    Commune,
    District,
    Hamlet,
    Household,
    Person,
    Position,
    UnitEvent,
    qualifications_changed,
)
from core.transactions import commit
from core.vietnamese import fold, format_date, vietnam_today
from extensions import db

bp = Blueprint("core", __name__)
EDITORS = (Role.DISTRICT_OFFICE, Role.COMMUNE_COMMITTEE)


@bp.get("/communes")
@any_user
def list_communes():
    stmt = scope_communes(db.select(Commune).order_by(Commune.name), Commune)
    if q := request.args.get("q", "").strip():
        ids = [c.id for c in db.session.scalars(stmt) if fold(q) in fold(c.name)]
        stmt = stmt.where(Commune.id.in_(ids))
    if cls := request.args.get("class"):
        stmt = stmt.where(Commune.commune_class == cls)
    page = db.paginate(stmt, per_page=current_app.config["PER_PAGE"], error_out=False)
    ids = [c.id for c in page.items]
    hamlets = dict(db.session.execute(db.select(Hamlet.commune_id, db.func.count(Hamlet.id))
                                      .where(Hamlet.commune_id.in_(ids)).group_by(Hamlet.commune_id)).tuples().all())
    households = dict(db.session.execute(
        db.select(Hamlet.commune_id, db.func.count(Household.id)).join(Household, Household.hamlet_id == Hamlet.id)
        .where(Hamlet.commune_id.in_(ids)).group_by(Hamlet.commune_id)).tuples().all())
    return render_template("core/list_communes.html", page=page, hamlets=hamlets, households=households)


@bp.get("/communes/<int:commune_id>")
@any_user
def show_commune(commune_id: int):
    commune = db.get_or_404(Commune, commune_id)
    authorise_commune(commune)
    households = (db.select(db.func.count(Household.id)).where(Household.hamlet_id == Hamlet.id)
                  .correlate(Hamlet).scalar_subquery())
    stmt = db.select(Hamlet, households, Chapter).outerjoin(Chapter).where(Hamlet.commune_id == commune.id)
    if current_user.hamlet_id is not None:
        stmt = stmt.where(Hamlet.id == current_user.hamlet_id)
    rows = db.session.execute(stmt.order_by(Hamlet.name)).all()
    return render_template("core/show_commune.html", commune=commune, rows=rows)


@bp.route("/communes/<int:commune_id>/edit", methods=["GET", "POST"])
@allow(Role.DISTRICT_OFFICE)
def edit_commune(commune_id: int):
    commune = db.get_or_404(Commune, commune_id)
    authorise_commune(commune)
    form = CommuneForm(obj=commune)
    if form.validate_on_submit():
        form.populate_obj(commune)
        commit(f"Sửa thông tin {commune.full_name}")
        flash(_("Đã lưu."), "success")
        return redirect(url_for("core.show_commune", commune_id=commune.id))
    return render_template("core/edit_commune.html", form=form, commune=commune)


@bp.get("/hamlets/<int:hamlet_id>")
@any_user
def show_hamlet(hamlet_id: int):
    hamlet = db.get_or_404(Hamlet, hamlet_id)
    authorise_hamlet(hamlet)
    stmt = db.select(Household).where(Household.hamlet_id == hamlet.id).order_by(Household.number)
    if q := request.args.get("q", "").strip():
        stmt = stmt.where(Household.number.contains(q) | Household.head_name.contains(q))
    page = db.paginate(stmt, per_page=current_app.config["PER_PAGE"], error_out=False)
    positions = db.session.scalars(db.select(Position).where(Position.hamlet_id == hamlet.id)
                                   .order_by(Position.ended_on.is_not(None), Position.started_on.desc())).all()
    return render_template("core/show_hamlet.html", hamlet=hamlet, page=page, positions=positions,
                           today=vietnam_today())


# ---------------------------------------------------------------------------------------------------------
# People registry
# ---------------------------------------------------------------------------------------------------------

@bp.app_template_filter("cid")
def citizen_id_filter(value: str | None) -> str:
    """`{{ p.citizen_id|cid }}`: whole or masked, by the reader's role (core.access.shown_citizen_id)."""
    return shown_citizen_id(value)


@bp.app_template_filter("birth")
def birth_filter(value) -> str:
    """`{{ p.birth_date|birth }}`: the date, or the year alone for the observer."""
    shown = shown_birth_date(value)
    return str(shown) if isinstance(shown, int) else format_date(shown) if shown else ""


PEOPLE_READERS = (Role.DISTRICT_OFFICE, Role.COMMUNE_COMMITTEE, Role.APPROVING_AUTHORITY, Role.PARTY_COMMITTEE,
                  Role.POLLING_TEAM, Role.OBSERVER)


@bp.get("/people")
@allow(*PEOPLE_READERS)
def list_people():
    stmt = scope_hamlets(db.select(Person).join(Hamlet, Person.hamlet_id == Hamlet.id).join(Commune),
                         Hamlet, Commune)
    q = request.args.get("q", "").strip()
    if q:
        stmt = people_filter(stmt, q)
    if commune_id := request.args.get("commune_id", type=int):
        stmt = stmt.where(Hamlet.commune_id == commune_id)
    if member := request.args.get("party_member"):
        stmt = stmt.where(Person.party_member == member)
    stmt = stmt.options(joinedload(Person.hamlet).joinedload(Hamlet.commune))
    page = db.paginate(stmt.order_by(Person.name_folded, Person.id), per_page=current_app.config["PER_PAGE"],
                       error_out=False)
    communes = db.session.scalars(scope_communes(db.select(Commune).order_by(Commune.name), Commune)).all()
    return render_template("core/list_people.html", page=page, q=q, communes=communes)


def _hamlet_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(scope_hamlets(db.select(Hamlet.id, Hamlet.name, Commune.name).join(Commune),
                                            Hamlet, Commune).order_by(Commune.name, Hamlet.name)).all()
    return [(hid, f"{hname} – {cname}") for hid, hname, cname in rows]


def _save_person(person: Person, form: PersonForm) -> bool:
    """Copy the form into `person`; False (with a field error) when the citizen ID is already used."""
    clash = db.session.scalar(db.select(Person.id).where(Person.citizen_id == form.citizen_id.data,
                                                         Person.id != (person.id or 0)))
    if clash:
        form.citizen_id.errors.append(_("Số định danh này đã có trong sổ đăng ký."))
        return False
    hamlet = db.get_or_404(Hamlet, form.hamlet_id.data)
    authorise_hamlet(hamlet)
    person.set_name(form.full_name.data)
    for field in ("birth_date", "citizen_id", "party_joined_on", "party_official_on", "fit_for_term", "phone"):
        setattr(person, field, getattr(form, field).data)
    # Enums, not the form's strings, so rules called before a reload compare levels correctly.
    person.sex = Sex(form.sex.data)
    person.education = Education(form.education.data)
    person.political_theory = PoliticalTheory(form.political_theory.data)
    person.party_member = PartyMembership(form.party_member.data)
    person.hamlet_id = hamlet.id
    return True


@bp.route("/people/new", methods=["GET", "POST"])
@allow(*EDITORS)
def create_person():
    form = PersonForm()
    form.hamlet_id.choices = _hamlet_choices()
    person = Person()
    if form.validate_on_submit() and _save_person(person, form):
        db.session.add(person)
        commit(f"Thêm {person.full_name} vào sổ đăng ký")
        flash(_("Đã thêm %(name)s.", name=person.full_name), "success")
        return redirect(url_for("core.show_person", person_id=person.id))
    return render_template("core/edit_person.html", form=form, person=None)


@bp.get("/people/<int:person_id>")
@allow(*PEOPLE_READERS)
def show_person(person_id: int):
    person = db.get_or_404(Person, person_id)
    authorise_hamlet(person.hamlet)
    positions = db.session.scalars(db.select(Position).where(Position.person_id == person.id)
                                   .order_by(Position.started_on.desc())).all()
    return render_template("core/show_person.html", person=person, positions=positions)


@bp.route("/people/<int:person_id>/edit", methods=["GET", "POST"])
@allow(*EDITORS)
def edit_person(person_id: int):
    person = db.get_or_404(Person, person_id)
    authorise_hamlet(person.hamlet)
    form = PersonForm(obj=person)
    form.hamlet_id.choices = _hamlet_choices()
    if form.validate_on_submit() and _save_person(person, form):
        # A raised education or theory level may meet a remediation plan of an exception (R-X1, R-T5).
        met = [item for _, settled in qualifications_changed.send(person, on=vietnam_today()) for item in settled]
        commit(f"Sửa hồ sơ {person.full_name}" + (f"; đạt {len(met)} kế hoạch khắc phục" if met else ""))
        flash(_("Đã lưu."), "success")
        if met:
            flash(_("Đã đạt chuẩn: %(n)s kế hoạch khắc phục được ghi nhận hoàn thành.", n=len(met)), "success")
        return redirect(url_for("core.show_person", person_id=person.id))
    return render_template("core/edit_person.html", form=form, person=person)


# ---------------------------------------------------------------------------------------------------------
# Web font: the same Noto Sans the PDFs embed, so browsers do not mix fallbacks for Vietnamese
# ---------------------------------------------------------------------------------------------------------

@bp.get("/fonts/<style>.ttf")
@public
def web_font(style: str):
    if style not in ("regular", "bold", "italic", "bolditalic"):
        abort(404)
    response = Response(font_bytes(style), mimetype="font/ttf")
    response.cache_control.public = True
    response.cache_control.max_age = 30 * 24 * 3600
    return response


# ---------------------------------------------------------------------------------------------------------
# District settings, renames and mergers
# ---------------------------------------------------------------------------------------------------------

@bp.route("/district", methods=["GET", "POST"])
@allow(Role.DISTRICT_OFFICE)
def edit_district():
    district = db.get_or_404(District, user_district_id())
    authorise_district(district.id)
    form = DistrictForm(obj=district)
    if form.validate_on_submit():
        form.populate_obj(district)
        commit(f"Cấu hình huyện: phê duyệt ngoại lệ {district.approver_name}; tệp tải lên tối đa "
               f"{district.import_max_rows} dòng, {district.import_max_columns} cột")
        flash(_("Đã lưu."), "success")
        return redirect(url_for("core.edit_district"))
    events = db.session.scalars(db.select(UnitEvent).join(Commune, UnitEvent.commune_id == Commune.id)
                                .where(Commune.district_id == district.id)
                                .order_by(UnitEvent.effective_on.desc(), UnitEvent.id.desc()).limit(200)).all()
    return render_template("core/edit_district.html", form=form, district=district, events=events)


@bp.route("/hamlets/<int:hamlet_id>/rename", methods=["GET", "POST"])
@allow(Role.DISTRICT_OFFICE)
def rename_hamlet(hamlet_id: int):
    hamlet = db.get_or_404(Hamlet, hamlet_id)
    authorise_hamlet(hamlet)
    form = RenameForm()
    if form.validate_on_submit():
        try:
            old_name = hamlet.name
            units.rename_hamlet(hamlet, form.new_name.data, form.effective_on.data, form.decision.data)
        except RuleViolation as error:
            form.new_name.errors.append(error.message)
        else:
            commit(f"Đổi tên {old_name} thành {hamlet.name}")
            flash(_("Đã đổi tên."), "success")
            return redirect(url_for("core.show_hamlet", hamlet_id=hamlet.id))
    return render_template("core/rename_hamlet.html", form=form, hamlet=hamlet)


@bp.route("/communes/<int:commune_id>/merge", methods=["GET", "POST"])
@allow(Role.DISTRICT_OFFICE)
def merge_hamlets(commune_id: int):
    commune = db.get_or_404(Commune, commune_id)
    authorise_commune(commune)
    active = [h for h in commune.hamlets if h.ended_on is None]
    form = MergeForm()
    form.sources.choices = [(h.id, h.full_name) for h in active]
    if form.validate_on_submit():
        sources = [h for h in active if h.id in form.sources.data]
        try:
            target = units.merge_hamlets(sources, form.new_name.data, HamletKind(form.kind.data), form.code.data,
                                         form.effective_on.data, form.decision.data)
        except RuleViolation as error:
            getattr(form, error.field or "sources").errors.append(error.message)
        else:
            summary = f"Sáp nhập {', '.join(h.name for h in sources)} thành {target.name}"
            describe(summary)
            record("event", "Hamlet", target.id, summary=summary + " (chuyển hộ gia đình và nhân khẩu)",
                   scope=(commune.district_id, commune.id, target.id),
                   after={"sources": [h.id for h in sources], "target": target.id})
            commit()
            flash(_("Đã sáp nhập."), "success")
            return redirect(url_for("core.show_hamlet", hamlet_id=target.id))
    return render_template("core/merge_hamlets.html", form=form, commune=commune)
