"""Managing accounts: the district office's users page, a commune committee's polling-team accounts, editing,
locking, one-time codes and the printable sheet of a hamlet's team logins.

Who manages whom is core.accounts.manages, asked by every route here: an account outside it answers 404, like a
missing one. New accounts and password resets give a one-time code, shown once (only its hash is kept).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from core.access import allow, authorise_commune, authorise_hamlet, scope_communes, user_district_id
from core.account_pdf import team_logins_pdf
from core.accounts import ApiToken, Role, User, format_code, manages
from core.errors import RuleViolation
from core.forms import ConfirmForm, TeamAccountForm, UserEditForm, UserForm
from core.models import Commune, Hamlet, Term, current_term
from core.transactions import act
from core.vietnamese import nfc, vietnam_today
from core.views import bp
from extensions import db

COMMUNE_ROLES = frozenset({Role.COMMUNE_COMMITTEE, Role.POLLING_TEAM, Role.PARTY_COMMITTEE})
MANAGERS = (Role.DISTRICT_OFFICE, Role.COMMUNE_COMMITTEE)


bp.add_app_template_global(manages, "manages")  # the pages show an account's buttons only to its managers


def _manager() -> User:
    return current_user._get_current_object()


def _managed(user_id: int) -> User:
    """The account `user_id` when the current user manages it; 404 otherwise (missing or outside the scope)."""
    user = db.session.get(User, user_id)
    if user is None or not manages(_manager(), user):
        abort(404)
    return user


def _live_hamlets(commune_ids: list[int]) -> list[Hamlet]:
    if not commune_ids:
        return []
    return list(db.session.scalars(
        db.select(Hamlet).join(Commune).where(Hamlet.commune_id.in_(commune_ids), Hamlet.merged_into_id.is_(None))
        .order_by(Commune.name, Hamlet.name)))


def _hamlet_choices(hamlets: list[Hamlet], with_commune: bool) -> list[tuple[int, str]]:
    return [(0, "—")] + [(h.id, f"{h.name} – {h.commune.name}" if with_commune else h.name) for h in hamlets]


def _team_term(district_id: int | None) -> Term | None:
    return current_term(district_id) if district_id is not None else None


@dataclass(frozen=True)
class Scope:
    role: Role
    district_id: int | None
    commune_id: int | None
    hamlet_id: int | None
    term_id: int | None

    def apply(self, user: User) -> None:
        user.role, user.district_id, user.commune_id = self.role, self.district_id, self.commune_id
        user.hamlet_id, user.term_id = self.hamlet_id, self.term_id


def _scope(form: UserForm | UserEditForm, role: Role, district_id: int | None, commune_id: int | None) -> Scope | None:
    """The role, commune, hamlet and term the form asks for; None with the errors on the form.

    A polling team needs a hamlet of its commune and belongs to the current term; the commune roles need a commune;
    an approving authority may be scoped to a commune (District.approver_level "commune", R-X1); the other district
    roles never are."""
    if "commune_id" in form:
        commune_id = form.commune_id.data or None
    hamlet_id = form.hamlet_id.data or None
    hamlet = db.session.get(Hamlet, hamlet_id) if hamlet_id else None
    ok = True
    if role in COMMUNE_ROLES and commune_id is None:
        form.commune_id.errors.append(_("Vai trò này cần chọn xã."))
        ok = False
    term = None
    if role == Role.POLLING_TEAM:
        if hamlet is None or hamlet.commune_id != commune_id:
            form.hamlet_id.errors.append(_("Tài khoản tổ bầu cử cần một thôn, tổ dân phố của xã đã chọn."))
            ok = False
        term = _team_term(district_id)
        if term is None:
            form.hamlet_id.errors.append(_("Chưa có nhiệm kỳ hiện hành: tài khoản tổ bầu cử thuộc một nhiệm kỳ."))
            ok = False
    if not ok:
        return None
    keeps_commune = role in COMMUNE_ROLES or role == Role.APPROVING_AUTHORITY
    return Scope(role, district_id, commune_id if keeps_commune else None,
                 hamlet.id if role == Role.POLLING_TEAM and hamlet is not None else None,
                 term.id if term is not None else None)


def _username_taken(form: UserForm | TeamAccountForm) -> bool:
    if db.session.scalar(db.select(User.id).where(User.username == form.username.data)):
        form.username.errors.append(_("Tên đăng nhập đã có người dùng."))
        return True
    return False


def _show_code(user: User, code: str, created: bool):
    """The one time the code is shown (no-store, like every page: core/headers.py)."""
    return render_template("core/reset_password_code.html", user=user, code=format_code(code), created=created,
                           back=_back_url(user))


def _back_url(user: User) -> str:
    if current_user.role == Role.COMMUNE_COMMITTEE and user.commune_id is not None:
        return url_for("core.team_accounts", commune_id=user.commune_id, hamlet_id=user.hamlet_id or None)
    return url_for("core.list_users")


# ---------------------------------------------------------------------------------------------------------
# The district office's users page
# ---------------------------------------------------------------------------------------------------------

@bp.route("/users", methods=["GET", "POST"])
@allow(Role.DISTRICT_OFFICE)
def list_users():
    district_id = user_district_id()
    communes = db.session.scalars(scope_communes(db.select(Commune).order_by(Commune.name), Commune)).all()
    form = UserForm()
    form.commune_id.choices = [(0, "—")] + [(c.id, c.full_name) for c in communes]
    form.hamlet_id.choices = _hamlet_choices(_live_hamlets([c.id for c in communes]), with_commune=True)
    if form.validate_on_submit() and not _username_taken(form):
        role = Role(form.role.data)
        scope = _scope(form, role, district_id, None)
        if scope is not None:
            user = User(username=form.username.data, full_name=form.full_name.data, role=role)

            def create() -> str:
                scope.apply(user)
                db.session.add(user)
                return user.issue_code()

            code = act(f"Tạo người dùng {user.username} ({role.label}), cấp mã đăng nhập dùng một lần", create)
            return _show_code(user, code, created=True)
    stmt = db.select(User).order_by(User.role, User.username)
    if current_user.role != Role.ADMIN:
        stmt = stmt.where(User.district_id == district_id)
    page = db.paginate(stmt, per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template("core/list_users.html", page=page, form=form, communes=communes)


# ---------------------------------------------------------------------------------------------------------
# A commune's polling-team accounts
# ---------------------------------------------------------------------------------------------------------

@bp.route("/communes/<int:commune_id>/teams", methods=["GET", "POST"])
@allow(*MANAGERS)
def team_accounts(commune_id: int):
    commune = db.get_or_404(Commune, commune_id)
    authorise_commune(commune)
    hamlets = _live_hamlets([commune.id])
    form = TeamAccountForm()
    form.hamlet_id.choices = _hamlet_choices(hamlets, with_commune=False)
    if request.method == "GET" and (chosen := request.args.get("hamlet_id", type=int)):
        form.hamlet_id.data = chosen
    term = _team_term(commune.district_id)
    if form.validate_on_submit() and not _username_taken(form):
        hamlet = next((h for h in hamlets if h.id == form.hamlet_id.data), None)
        if hamlet is None:
            form.hamlet_id.errors.append(_("Tài khoản tổ bầu cử cần một thôn, tổ dân phố của xã đã chọn."))
        elif term is None:
            form.hamlet_id.errors.append(_("Chưa có nhiệm kỳ hiện hành: tài khoản tổ bầu cử thuộc một nhiệm kỳ."))
        else:
            user = User(username=form.username.data, full_name=form.full_name.data, role=Role.POLLING_TEAM)
            scope = Scope(Role.POLLING_TEAM, commune.district_id, commune.id, hamlet.id, term.id)

            def create() -> str:
                scope.apply(user)
                db.session.add(user)
                return user.issue_code()

            code = act(f"Tạo tài khoản tổ bầu cử {user.username} ({hamlet.full_name}, {commune.full_name}), cấp mã "
                       f"dùng một lần", create)
            return _show_code(user, code, created=True)
    stmt = (db.select(User).outerjoin(Hamlet, Hamlet.id == User.hamlet_id)
            .where(User.role == Role.POLLING_TEAM, User.commune_id == commune.id)
            .order_by(Hamlet.name, User.username))
    hamlet_filter = request.args.get("hamlet_id", type=int)
    if hamlet_filter:
        stmt = stmt.where(User.hamlet_id == hamlet_filter)
    query = nfc(request.args.get("q", "").strip())[:80]
    if query:
        stmt = stmt.where(db.or_(User.username.contains(query.lower(), autoescape=True),
                                 User.full_name.contains(query, autoescape=True)))
    page = db.paginate(stmt, per_page=current_app.config["PER_PAGE"], error_out=False)
    counts = dict(db.session.execute(
        db.select(User.hamlet_id, db.func.count(User.id))
        .where(User.role == Role.POLLING_TEAM, User.commune_id == commune.id, User.active.is_(True))
        .group_by(User.hamlet_id)).tuples().all())
    return render_template("core/team_accounts.html", commune=commune, hamlets=hamlets, counts=counts, page=page,
                           form=form, term=term, query=query, hamlet_filter=hamlet_filter, manager=_manager())


@bp.get("/hamlets/<int:hamlet_id>/team-logins.pdf")
@allow(*MANAGERS)
def team_logins_sheet(hamlet_id: int):
    hamlet = db.get_or_404(Hamlet, hamlet_id)
    authorise_hamlet(hamlet)
    users = db.session.scalars(db.select(User).where(User.role == Role.POLLING_TEAM, User.hamlet_id == hamlet.id)
                               .order_by(User.active.desc(), User.full_name, User.username)).all()
    term = _team_term(hamlet.commune.district_id)
    data = team_logins_pdf(hamlet, users, term, url_for("core.login", _external=True), vietnam_today())
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="tai-khoan-to-bau-cu-{hamlet.code}.pdf"'})


# ---------------------------------------------------------------------------------------------------------
# One account: edit, lock and unlock, reset
# ---------------------------------------------------------------------------------------------------------

@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@allow(*MANAGERS)
def edit_user(user_id: int):
    user = _managed(user_id)
    manager = _manager()
    form = UserEditForm(obj=user if request.method == "GET" else None)
    if request.method == "GET":
        form.role.data = user.role.value
        form.commune_id.data = user.commune_id or 0
        form.hamlet_id.data = user.hamlet_id or 0
    if manager.role == Role.COMMUNE_COMMITTEE:
        # A commune committee changes its teams' names and hamlets only: the role stays "polling team".
        del form.role
        del form.commune_id
        own = [manager.commune_id] if manager.commune_id is not None else []
        form.hamlet_id.choices = _hamlet_choices(_live_hamlets(own), with_commune=False)
    else:
        communes = db.session.scalars(scope_communes(db.select(Commune).order_by(Commune.name), Commune)).all()
        form.commune_id.choices = [(0, "—")] + [(c.id, c.full_name) for c in communes]
        form.hamlet_id.choices = _hamlet_choices(_live_hamlets([c.id for c in communes]), with_commune=True)
    if form.validate_on_submit():
        role = Role(form.role.data) if "role" in form else Role.POLLING_TEAM
        scope = _scope(form, role, user.district_id or user_district_id(), user.commune_id)
        if scope is not None:
            full_name = form.full_name.data

            def save() -> None:
                user.full_name = full_name
                scope.apply(user)  # a polling team's account moves to the current term when saved

            act(f"Sửa tài khoản {user.username} ({role.label})", save)
            flash(_("Đã lưu tài khoản %(name)s.", name=user.username), "success")
            return redirect(_back_url(user))
    return render_template("core/edit_user.html", user=user, form=form, term=_team_term(user.district_id))


@bp.post("/users/<int:user_id>/toggle")
@allow(*MANAGERS)
def toggle_user(user_id: int):
    user = _managed(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)

    def toggle() -> None:
        user.active = not user.active
        if not user.active:
            user.revoke_sessions()  # a locked account's open sessions end at once

    act(("Mở khóa" if not user.active else "Khóa") + f" tài khoản {user.username}", toggle)
    flash(_("Đã mở khóa tài khoản %(name)s.", name=user.username) if user.active
          else _("Đã khóa tài khoản %(name)s.", name=user.username), "success")
    return redirect(_back_url(user))


@bp.post("/users/<int:user_id>/reset")
@allow(*MANAGERS)
def reset_password(user_id: int):
    """A new one-time code: the old password stops working, every session and API token of the account ends."""
    user = _managed(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not user.active:
        raise RuleViolation("Tài khoản đang bị khóa: hãy mở khóa trước khi cấp mã đăng nhập mới.")

    def reset() -> str:
        tokens = db.session.scalars(db.select(ApiToken).where(ApiToken.user_id == user.id,
                                                              ApiToken.revoked.is_(False))).all()
        for token in tokens:
            token.revoked = True
        return user.issue_code()

    code = act(f"Cấp mã đăng nhập dùng một lần cho {user.username} (mật khẩu cũ, các phiên đăng nhập và mã truy "
               f"cập API bị thu hồi)", reset)
    return _show_code(user, code, created=False)
