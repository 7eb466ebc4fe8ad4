"""Pages of the candidates package: hamlet lists, candidacies, exception requests (R-X1), remediation, import."""
from __future__ import annotations

import io
from datetime import date

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from candidates.access import (
    CANDIDATE_LIST_ROUNDS,
    FILERS,
    LIST_EDITORS,
    MONITORS,
    READERS,
    may_decide_exception,
    may_edit_list,
    may_file_exception,
)
from candidates.forms import CandidacyForm, DecisionForm, ExceptionRequestForm, ImportForm, MetForm, ReasonForm
from candidates.imports import ImportFileError, apply_rows, check_rows, read_candidate_sheet, template_xlsx
from candidates.models import (
    Candidacy,
    CandidateList,
    ExceptionRequest,
    ListState,
    ProposedBy,
    RemediationPlan,
    RemedyKind,
    RequestState,
)
from candidates.pdf import candidate_list_pdf, exception_decision_pdf, exception_request_pdf, posting_deadline
from candidates.rules import Status, standard_label
from core.access import (
    allow,
    authorise_commune,
    authorise_hamlet,
    current_term_or_404,
    person_in_scope,
    round_param,
    scope_communes,
    scope_hamlets,
)
from core.accounts import Role
from core.api import people_filter
from core.enums import Education, PartyMembership, PoliticalTheory, Sex
from core.errors import RuleViolation
from core.forms import PersonForm
from core.i18n import tr
from core.models import Commune, Hamlet, Person
from core.sheet_layout import SheetChoiceNeeded
from core.spreadsheets import XLSX_MIMETYPE
from core.transactions import act, check_version, commit
from core.vietnamese import capitalise, fold, vietnam_today
from extensions import db

bp = Blueprint("candidates", __name__, url_prefix="/candidates")

# The state of a hamlet's list on the overview (index page), with its badge class.
LIST_STATES = {
    "none": (_l("Chưa có danh sách"), ""),
    "draft": (_l("Đang lập"), "warn"),
    "ineligible": (_l("Có người không đủ tiêu chuẩn"), "bad"),
    "needs_exception": (_l("Cần xin ngoại lệ"), "bad"),
    "pending_exception": (_l("Chờ quyết định ngoại lệ"), "warn"),
    "confirmed": (_l("Đã xác nhận"), "ok"),
}
PLAN_STATES = {"due": (_l("Đang thực hiện"), "warn"), "met": (_l("Đã đạt"), "ok"), "overdue": (_l("Quá hạn"), "bad")}


@bp.app_template_filter("standards")
def standards_filter(rules: str | list[str] | tuple[str, ...], capital: bool = False) -> str:
    """Standards in words in the page's language, for every page that names one (`"R-E4,R-E5"|standards` →
    "trình độ học vấn phổ thông, trình độ lý luận chính trị"); the pages keep the ids in a title (issue 17)."""
    ids = [rule.strip() for rule in (rules.split(",") if isinstance(rules, str) else rules) if rule.strip()]
    text = ", ".join(tr(standard_label(rule)) for rule in ids)
    return capitalise(text) if capital else text


def _hamlet(hamlet_id: int) -> Hamlet:
    hamlet = db.get_or_404(Hamlet, hamlet_id)
    authorise_hamlet(hamlet)
    return hamlet


def _candidacy(candidacy_id: int) -> Candidacy:
    candidacy = db.get_or_404(Candidacy, candidacy_id)
    authorise_hamlet(candidacy.candidate_list.hamlet)
    return candidacy


def _request(request_id: int) -> ExceptionRequest:
    exception_request = db.get_or_404(ExceptionRequest, request_id)
    authorise_hamlet(exception_request.candidacy.candidate_list.hamlet)
    return exception_request


def _ensure_list_editor(commune: Commune) -> None:
    if not may_edit_list(current_user, commune):
        abort(403, _("Chỉ Ban chỉ đạo bầu cử của xã mới lập danh sách người ứng cử của xã mình."))


def _pdf(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# ---------------------------------------------------------------------------------------------------------
# Overview and a hamlet's list
# ---------------------------------------------------------------------------------------------------------

@bp.get("/")
@allow(*READERS)
def index():
    term = current_term_or_404()
    stmt = scope_hamlets(db.select(Hamlet).join(Commune), Hamlet, Commune).where(Hamlet.ended_on.is_(None))
    commune_id = request.args.get("commune_id", type=int)
    if commune_id:
        stmt = stmt.where(Hamlet.commune_id == commune_id)
    q = request.args.get("q", "").strip()
    if q:
        # Diacritic-insensitive: hamlet names are few per scope, so folding in Python is cheap.
        names = db.session.execute(stmt.with_only_columns(Hamlet.id, Hamlet.name, Hamlet.code)).all()
        ids = [hid for hid, name, code in names if fold(q) in fold(name) or q.lower() == code.lower()]
        stmt = stmt.where(Hamlet.id.in_(ids))
    page = db.paginate(stmt.order_by(Commune.name, Hamlet.name), per_page=current_app.config["PER_PAGE"],
                       error_out=False)
    ids = [h.id for h in page.items]
    lists = {cl.hamlet_id: cl for cl in db.session.scalars(
        db.select(CandidateList).where(CandidateList.term_id == term.id, CandidateList.round_no == 1,
                                       CandidateList.hamlet_id.in_(ids)))}
    states = {hid: (lists[hid].summary_state if hid in lists and lists[hid].candidacies else "none") for hid in ids}
    scoped = scope_hamlets(db.select(db.func.count(CandidateList.id)).join(Hamlet, CandidateList.hamlet_id == Hamlet.id)
                           .join(Commune), Hamlet, Commune).where(CandidateList.term_id == term.id,
                                                                  CandidateList.round_no == 1)
    confirmed = db.session.scalar(scoped.where(CandidateList.state == ListState.CONFIRMED))
    communes = db.session.scalars(scope_communes(db.select(Commune).order_by(Commune.name), Commune)).all()
    return render_template("candidates/index.html", term=term, page=page, lists=lists, states=states,
                           list_states=LIST_STATES, communes=communes, q=q, confirmed=confirmed,
                           pending=_pending_count())


def _scoped_requests(stmt):
    return scope_hamlets(stmt.join(Candidacy, ExceptionRequest.candidacy_id == Candidacy.id)
                         .join(CandidateList, Candidacy.list_id == CandidateList.id)
                         .join(Hamlet, CandidateList.hamlet_id == Hamlet.id).join(Commune), Hamlet, Commune)


def _pending_count() -> int:
    return db.session.scalar(_scoped_requests(db.select(db.func.count(ExceptionRequest.id)))
                             .where(ExceptionRequest.state == RequestState.PENDING)) or 0


@bp.get("/hamlets/<int:hamlet_id>")
@allow(*READERS)
def show_list(hamlet_id: int):
    hamlet = _hamlet(hamlet_id)
    term = current_term_or_404()
    candidate_list = CandidateList.for_hamlet(term, hamlet, round_param(CANDIDATE_LIST_ROUNDS))
    commune = hamlet.commune
    return render_template(
        "candidates/show_list.html", hamlet=hamlet, term=term, candidate_list=candidate_list,
        problems=candidate_list.blocking_problems() if candidate_list else [],
        can_edit=may_edit_list(current_user, commune), can_file=may_file_exception(current_user, commune),
        deadline=posting_deadline(candidate_list) if candidate_list else None, round_no=round_param(CANDIDATE_LIST_ROUNDS))


# ---------------------------------------------------------------------------------------------------------
# Registering candidates
# ---------------------------------------------------------------------------------------------------------

def _person_form(hamlet: Hamlet) -> PersonForm:
    # The outer CandidacyForm carries the CSRF token; the person's fields reuse the registry's validation.
    form = PersonForm(prefix="p", meta={"csrf": False})
    form.hamlet_id.choices = [(hamlet.id, hamlet.full_name)]
    return form


def _new_person(form: PersonForm, hamlet: Hamlet) -> Person | None:
    """A Person from the form (None with a field error when its citizen ID is already in the registry)."""
    clash = db.session.scalar(db.select(Person).where(Person.citizen_id == form.citizen_id.data))
    if clash is not None:
        form.citizen_id.errors.append(_("Số định danh này đã có trong sổ đăng ký (%(name)s, %(hamlet)s): hãy chọn "
                                        "người trong sổ.", name=clash.full_name, hamlet=clash.hamlet.name))
        return None
    person = Person(hamlet_id=hamlet.id, hamlet=hamlet, sex=Sex(form.sex.data),
                    education=Education(form.education.data),
                    political_theory=PoliticalTheory(form.political_theory.data),
                    party_member=PartyMembership(form.party_member.data))
    person.set_name(form.full_name.data)
    for name in ("birth_date", "citizen_id", "party_joined_on", "party_official_on", "fit_for_term", "phone"):
        setattr(person, name, getattr(form, name).data)
    db.session.add(person)
    return person


@bp.route("/hamlets/<int:hamlet_id>/add", methods=["GET", "POST"])
@allow(*LIST_EDITORS)
def add_candidate(hamlet_id: int):
    hamlet = _hamlet(hamlet_id)
    _ensure_list_editor(hamlet.commune)
    term = current_term_or_404()
    round_no = round_param(CANDIDATE_LIST_ROUNDS)
    candidate_list = CandidateList.for_hamlet(term, hamlet, round_no)
    if candidate_list is not None and candidate_list.locked:
        flash(_("Danh sách đã được xác nhận và khóa; cần mở lại trước khi sửa."), "danger")
        return redirect(url_for("candidates.show_list", hamlet_id=hamlet.id, round_no=round_no))
    form = CandidacyForm()
    person_form = _person_form(hamlet)
    q = request.args.get("q", "").strip()
    on_list = {c.person_id for c in candidate_list.candidacies} if candidate_list else set()
    people_stmt = db.select(Person).where(Person.hamlet_id == hamlet.id)
    if q:
        people_stmt = people_filter(people_stmt, q)
    people = [p for p in db.session.scalars(people_stmt.order_by(Person.name_folded).limit(40)) if p.id not in on_list]

    if form.validate_on_submit():
        person = None
        if form.source.data == "new":
            if person_form.validate():
                person = _new_person(person_form, hamlet)
        else:
            person = person_in_scope(form.person_id.data)
            if person is None or person.hamlet_id != hamlet.id:
                form.person_id.errors = [_("Chọn một người trong sổ đăng ký của %(hamlet)s.", hamlet=hamlet.full_name)]
                person = None
        if person is not None:
            try:
                candidate_list = CandidateList.for_hamlet(term, hamlet, round_no, create=True)
                candidacy = candidate_list.add(person, ProposedBy(form.proposed_by.data), form.proposal_note.data or "")
            except RuleViolation as error:
                db.session.rollback()
                flash(error.message, "danger")
            else:
                status = candidacy.chief_assessment.status
                commit(f"Thêm {person.full_name} vào danh sách ứng cử {hamlet.full_name}")
                flash(_("Đã thêm %(name)s (%(status)s).", name=person.full_name, status=tr(status.label)),
                      "success" if status.value == "eligible" else "warning")
                return redirect(url_for("candidates.show_list", hamlet_id=hamlet.id, round_no=round_no))
    return render_template("candidates/add_candidate.html", hamlet=hamlet, term=term, form=form,
                           person_form=person_form, people=people, q=q, round_no=round_no,
                           statuses={status.value: tr(status.label) for status in Status})


@bp.post("/candidacies/<int:candidacy_id>/remove")
@allow(*LIST_EDITORS)
def remove_candidate(candidacy_id: int):
    candidacy = _candidacy(candidacy_id)
    candidate_list = candidacy.candidate_list
    _ensure_list_editor(candidate_list.hamlet.commune)
    name = candidacy.person.full_name
    try:
        candidate_list.remove(candidacy)
    except RuleViolation as error:
        flash(error.message, "danger")
    else:
        commit(f"Xóa {name} khỏi danh sách ứng cử {candidate_list.hamlet.full_name}")
        flash(_("Đã xóa %(name)s khỏi danh sách.", name=name), "success")
    return redirect(url_for("candidates.show_list", hamlet_id=candidate_list.hamlet_id,
                            round_no=candidate_list.round_no))


@bp.post("/lists/<int:list_id>/confirm")
@allow(*LIST_EDITORS)
def confirm_list(list_id: int):
    candidate_list = db.get_or_404(CandidateList, list_id)
    authorise_hamlet(candidate_list.hamlet)
    _ensure_list_editor(candidate_list.hamlet.commune)
    summary = (f"Xác nhận danh sách chính thức người ứng cử {candidate_list.hamlet.full_name} "
               f"({len(candidate_list.candidacies)} người)")  # read before the change: no lazy load after it

    def work() -> None:
        check_version(candidate_list)
        candidate_list.confirm(current_user.id)
        db.session.flush()  # a colleague's confirmation or reopening meets this one here: 409

    try:
        act(summary, work)
    except RuleViolation as error:
        db.session.rollback()
        flash(error.message, "danger")
    else:
        flash(_("Đã xác nhận danh sách chính thức; danh sách đã được khóa. Bước tiếp theo: in danh sách để niêm yết "
                "và in phiếu bầu."), "success")
    return redirect(url_for("candidates.show_list", hamlet_id=candidate_list.hamlet_id,
                            round_no=candidate_list.round_no))


@bp.route("/lists/<int:list_id>/reopen", methods=["GET", "POST"])
@allow(*LIST_EDITORS)
def reopen_list(list_id: int):
    candidate_list = db.get_or_404(CandidateList, list_id)
    authorise_hamlet(candidate_list.hamlet)
    _ensure_list_editor(candidate_list.hamlet.commune)
    form = ReasonForm()
    if request.method == "GET":
        form.version.data = candidate_list.version
    if form.validate_on_submit():
        summary = f"Mở lại danh sách người ứng cử {candidate_list.hamlet.full_name}. Lý do: {form.reason.data}"

        def work() -> None:
            check_version(candidate_list)
            candidate_list.reopen(form.reason.data)
            db.session.flush()  # a colleague's reopening or confirmation meets this one here: 409

        try:
            act(summary, work)
        except RuleViolation as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            flash(_("Đã mở lại danh sách; cần xác nhận lại sau khi sửa."), "warning")
            return redirect(url_for("candidates.show_list", hamlet_id=candidate_list.hamlet_id,
                                    round_no=candidate_list.round_no))
    return render_template("candidates/reopen_list.html", form=form, candidate_list=candidate_list)


# ---------------------------------------------------------------------------------------------------------
# Exception requests (R-X1)
# ---------------------------------------------------------------------------------------------------------

@bp.route("/candidacies/<int:candidacy_id>/exception", methods=["GET", "POST"])
@allow(*FILERS)
def file_exception(candidacy_id: int):
    candidacy = _candidacy(candidacy_id)
    hamlet = candidacy.candidate_list.hamlet
    if not may_file_exception(current_user, hamlet.commune):
        abort(403, _("Chỉ Đảng ủy xã của người ứng cử mới lập đề nghị ngoại lệ."))
    form = ExceptionRequestForm()
    if form.validate_on_submit():
        try:
            exception_request = ExceptionRequest.file(candidacy, form.shortage_reason.data, current_user.id)
        except RuleViolation as error:
            flash(error.message, "danger")
        else:
            db.session.add(exception_request)
            commit(f"Đề nghị ngoại lệ {exception_request.rules} cho {candidacy.person.full_name}, "
                     f"{hamlet.full_name}")
            flash(_("Đã gửi đề nghị ngoại lệ tới %(who)s.", who=hamlet.commune.district.approver_name), "success")
            return redirect(url_for("candidates.show_exception", request_id=exception_request.id))
    return render_template("candidates/file_exception.html", form=form, candidacy=candidacy, hamlet=hamlet,
                           rules=candidacy.rules_to_except())


@bp.get("/exceptions")
@allow(*READERS)
def list_exceptions():
    stmt = _scoped_requests(db.select(ExceptionRequest))
    state = request.args.get("state", "")
    if state in {s.value for s in RequestState}:
        stmt = stmt.where(ExceptionRequest.state == state)
    if commune_id := request.args.get("commune_id", type=int):
        stmt = stmt.where(Commune.id == commune_id)
    page = db.paginate(stmt.order_by(ExceptionRequest.state != RequestState.PENDING, ExceptionRequest.id.desc()),
                       per_page=current_app.config["PER_PAGE"], error_out=False)
    counts = dict(db.session.execute(_scoped_requests(
        db.select(ExceptionRequest.state, db.func.count(ExceptionRequest.id))).group_by(ExceptionRequest.state)).tuples().all())
    communes = db.session.scalars(scope_communes(db.select(Commune).order_by(Commune.name), Commune)).all()
    return render_template("candidates/list_exceptions.html", page=page, state=state, counts=counts,
                           states=list(RequestState), communes=communes)


def _decision_form(exception_request: ExceptionRequest) -> DecisionForm:
    form = DecisionForm()
    if not form.is_submitted():
        form.decision_date.data = vietnam_today()
        for rule in exception_request.rule_ids:
            form.plans.append_entry({"rule": rule, "kind": RemedyKind.TRAINING.value,
                                     "deadline": exception_request.candidacy.candidate_list.term.ends_on})
    return form


@bp.get("/exceptions/<int:request_id>")
@allow(*READERS)
def show_exception(request_id: int):
    exception_request = _request(request_id)
    commune = exception_request.commune
    can_decide = exception_request.state == RequestState.PENDING and may_decide_exception(current_user, commune)
    return render_template("candidates/show_exception.html", req=exception_request,
                           form=_decision_form(exception_request) if can_decide else None,
                           can_decide=can_decide, today=vietnam_today(),
                           can_withdraw=exception_request.state == RequestState.PENDING
                           and may_file_exception(current_user, commune))


@bp.post("/exceptions/<int:request_id>/decide")
@allow(Role.APPROVING_AUTHORITY)
def decide_exception(request_id: int):
    exception_request = _request(request_id)
    if not may_decide_exception(current_user, exception_request.commune):
        abort(403, _("Chỉ cấp có thẩm quyền phê duyệt của địa bàn này mới quyết định đề nghị ngoại lệ."))
    form = _decision_form(exception_request)
    if form.validate_on_submit():
        name = exception_request.candidacy.person.full_name
        try:
            if form.decision.data == "approve":
                plans = [RemediationPlan(rule=p.rule.data, kind=RemedyKind(p.kind.data),
                                         description=p.details.data, deadline=p.deadline.data)
                         for p in form.plans]
                exception_request.approve(user_id=current_user.id, number=form.decision_number.data,
                                          on=form.decision_date.data, signer=form.signer.data,
                                          notes=form.decision_notes.data or "", plans=plans)
            else:
                exception_request.reject(user_id=current_user.id, number=form.decision_number.data,
                                         on=form.decision_date.data, signer=form.signer.data,
                                         notes=form.decision_notes.data or "")
        except RuleViolation as error:
            db.session.rollback()
            field = getattr(form, error.field, None) if error.field else None
            if field is not None:  # e.g. a decision dated before the request (R-X1): said on the field
                field.errors = [*field.errors, error.message]
            else:
                flash(error.message, "danger")
        else:
            commit(f"Quyết định {exception_request.decision_number}: {exception_request.state.label} ngoại lệ "
                     f"{exception_request.rules} cho {name}")
            flash(_("Đã ghi quyết định: %(state)s.", state=tr(exception_request.state.label)), "success")
            return redirect(url_for("candidates.show_exception", request_id=exception_request.id))
    return render_template("candidates/show_exception.html", req=exception_request, form=form, can_decide=True,
                           can_withdraw=False, today=vietnam_today()), 422


@bp.post("/exceptions/<int:request_id>/withdraw")
@allow(*FILERS)
def withdraw_exception(request_id: int):
    exception_request = _request(request_id)
    if not may_file_exception(current_user, exception_request.commune):
        abort(403)
    try:
        exception_request.withdraw()
    except RuleViolation as error:
        flash(error.message, "danger")
    else:
        commit(f"Rút đề nghị ngoại lệ cho {exception_request.candidacy.person.full_name}")
        flash(_("Đã rút đề nghị."), "success")
    return redirect(url_for("candidates.show_exception", request_id=exception_request.id))


# ---------------------------------------------------------------------------------------------------------
# Remediation plans (R-T5): due, met, overdue as of today
# ---------------------------------------------------------------------------------------------------------

def _scoped_plans(stmt):
    return scope_hamlets(stmt.join(ExceptionRequest, RemediationPlan.exception_request_id == ExceptionRequest.id)
                         .join(Candidacy, ExceptionRequest.candidacy_id == Candidacy.id)
                         .join(CandidateList, Candidacy.list_id == CandidateList.id)
                         .join(Hamlet, CandidateList.hamlet_id == Hamlet.id).join(Commune), Hamlet, Commune)


def _plan_state_filter(stmt, state: str, today: date):
    if state == "met":
        return stmt.where(RemediationPlan.met_on.is_not(None), RemediationPlan.met_on <= today)
    if state == "overdue":
        return stmt.where(RemediationPlan.met_on.is_(None), RemediationPlan.deadline < today)
    if state == "due":
        return stmt.where(RemediationPlan.met_on.is_(None), RemediationPlan.deadline >= today)
    return stmt


@bp.get("/remediation")
@allow(*READERS)
def list_remediation():
    today = vietnam_today()
    state = request.args.get("state", "")
    stmt = _plan_state_filter(_scoped_plans(db.select(RemediationPlan)), state, today)
    if commune_id := request.args.get("commune_id", type=int):
        stmt = stmt.where(Commune.id == commune_id)
    page = db.paginate(stmt.order_by(RemediationPlan.met_on.is_not(None), RemediationPlan.deadline),
                       per_page=current_app.config["PER_PAGE"], error_out=False)
    counts = {key: db.session.scalar(_plan_state_filter(_scoped_plans(db.select(db.func.count(RemediationPlan.id))),
                                                        key, today)) for key in PLAN_STATES}
    communes = db.session.scalars(scope_communes(db.select(Commune).order_by(Commune.name), Commune)).all()
    return render_template("candidates/list_remediation.html", page=page, state=state, counts=counts, today=today,
                           plan_states=PLAN_STATES, communes=communes, met_form=MetForm(),
                           can_mark=current_user.role in (Role.ADMIN, *MONITORS))


@bp.post("/remediation/recheck")
@allow(*MONITORS, Role.COMMUNE_COMMITTEE, Role.PARTY_COMMITTEE)
def recheck_plans():
    """"Kiểm tra lại": plans whose person's recorded level now reaches the standard become met."""
    today = vietnam_today()
    plans = db.session.scalars(_scoped_plans(db.select(RemediationPlan))
                               .where(RemediationPlan.met_on.is_(None))).all()
    met = [plan for plan in plans if plan.check_met(today)]
    if met:
        commit(f"Kiểm tra lại kế hoạch khắc phục: {len(met)} kế hoạch đã đạt chuẩn")
    flash(_("Đã kiểm tra %(n)s kế hoạch; %(m)s kế hoạch đạt chuẩn theo trình độ đã cập nhật.", n=len(plans),
            m=len(met)), "success" if met else "info")
    return redirect(url_for("candidates.list_remediation", **request.args))


@bp.post("/remediation/<int:plan_id>/met")
@allow(*MONITORS)
def mark_plan_met(plan_id: int):
    plan = db.get_or_404(RemediationPlan, plan_id)
    authorise_hamlet(plan.exception_request.candidacy.candidate_list.hamlet)
    form = MetForm()
    if not form.validate_on_submit():
        flash(_("Cần ghi chú cách đã khắc phục (ít nhất 5 ký tự)."), "danger")
    else:
        try:
            plan.mark_met(vietnam_today(), form.note.data)
        except RuleViolation as error:
            flash(error.message, "danger")
        else:
            commit(f"Ghi nhận đạt kế hoạch khắc phục {plan.rule} của {plan.person.full_name}")
            flash(_("Đã ghi nhận kế hoạch đã đạt."), "success")
    return redirect(url_for("candidates.list_remediation"))


# ---------------------------------------------------------------------------------------------------------
# PDFs
# ---------------------------------------------------------------------------------------------------------

@bp.get("/lists/<int:list_id>/list.pdf")
@allow(*READERS)
def list_pdf(list_id: int):
    candidate_list = db.get_or_404(CandidateList, list_id)
    authorise_hamlet(candidate_list.hamlet)
    return _pdf(candidate_list_pdf(candidate_list), f"danh-sach-ung-cu-{candidate_list.hamlet.code}.pdf")


@bp.get("/exceptions/<int:request_id>/request.pdf")
@allow(*READERS)
def request_pdf(request_id: int):
    exception_request = _request(request_id)
    return _pdf(exception_request_pdf(exception_request), f"to-trinh-ngoai-le-{exception_request.id}.pdf")


@bp.get("/exceptions/<int:request_id>/decision.pdf")
@allow(*READERS)
def decision_pdf(request_id: int):
    exception_request = _request(request_id)
    if exception_request.state not in (RequestState.APPROVED, RequestState.REJECTED):
        abort(404, _("Đề nghị chưa có quyết định."))
    return _pdf(exception_decision_pdf(exception_request), f"quyet-dinh-ngoai-le-{exception_request.id}.pdf")


# ---------------------------------------------------------------------------------------------------------
# Excel import (all or nothing)
# ---------------------------------------------------------------------------------------------------------

def _import_commune() -> Commune:
    commune_id = current_user.commune_id or request.values.get("commune_id", type=int)
    if not commune_id:
        abort(400, _("Chọn xã để nhập danh sách (tham số commune_id)."))
    commune = db.get_or_404(Commune, commune_id)
    authorise_commune(commune)
    _ensure_list_editor(commune)
    return commune


@bp.route("/import", methods=["GET", "POST"])
@allow(*LIST_EDITORS)
def import_lists():
    commune = _import_commune()
    term = current_term_or_404()
    form = ImportForm()
    errors: list[tuple[int, str]] = []
    footer = None
    if form.validate_on_submit():
        try:
            sheet = read_candidate_sheet(form.file.data.filename or "", form.file.data.read(), form.sheet.data or None,
                                         commune.district.import_limits())
        except SheetChoiceNeeded as choice:
            errors = [(0, choice.message + " " + _("Chọn lại tệp và trang tính bên dưới rồi nhập lại."))]
            form.sheet.choices = [(name, name) for name in choice.names]
        except ImportFileError as error:
            errors = [(0, str(error))]
        else:
            footer = sheet.footer
            result = check_rows(sheet.rows, commune, term)
            errors = result.errors
            if result.ok:
                try:
                    added = apply_rows(result, term)
                except RuleViolation as error:
                    db.session.rollback()
                    errors = [(0, error.message)]
                else:
                    commit(f"Nhập danh sách người ứng cử từ Excel: {added} người, {commune.full_name}")
                    flash(_("Đã nhập %(n)s người ứng cử.", n=added), "success")
                    for note in sheet.notes:
                        flash(note, "info")
                    if footer is not None:
                        flash(_("Đã bỏ qua %(n)s dòng cuối tệp (từ dòng %(line)s: «%(text)s»): tổng cộng, chữ ký.",
                                n=footer.count, line=footer.first_line, text=footer.first_text), "info")
                    return redirect(url_for("candidates.index", commune_id=commune.id))
        db.session.rollback()  # all or nothing: nothing of a file with errors stays in the session
    if not form.sheet.choices:
        del form.sheet  # one list in the file (or none read yet): nothing to choose
    return render_template("candidates/import_lists.html", form=form, commune=commune, errors=errors,
                           footer=footer, status=422 if errors else 200), 422 if errors else 200


@bp.get("/import/template.xlsx")
@allow(*LIST_EDITORS)
def import_template():
    commune = _import_commune()
    return send_file(io.BytesIO(template_xlsx(commune)), mimetype=XLSX_MIMETYPE, as_attachment=True,
                     download_name=f"mau-danh-sach-ung-cu-{commune.code.lower()}.xlsx")
