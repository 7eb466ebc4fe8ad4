"""Login, logout, language, users and API tokens, and the audit-log browser."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from core.access import allow, any_user, public, reaches, scope_communes, user_district_id
from core.accounts import ApiToken, LoginAttempt, Role, User, login_locked
from core.audit import AuditEntry
from core.forms import ConfirmForm, LoginForm, UserForm
from core.models import Commune
from core.transactions import commit
from core.views import bp
from extensions import LANGUAGES, db


def _safe_next(target: str | None) -> str:
    if target and urlsplit(target).netloc == "" and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("election.index")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.lower()
        if login_locked(username, current_app.config["LOGIN_MAX_FAILURES"], current_app.config["LOGIN_LOCK_MINUTES"]):
            flash(_("Tài khoản tạm khóa do đăng nhập sai nhiều lần. Vui lòng thử lại sau %(minutes)s phút.",
                    minutes=current_app.config["LOGIN_LOCK_MINUTES"]), "danger")
            return render_template("core/login.html", form=form), 429
        user = db.session.scalar(db.select(User).where(User.username == username))
        ok = user is not None and user.active and user.check_password(form.password.data)
        db.session.add(LoginAttempt(username=username, remote_addr=request.remote_addr or "", ok=ok))
        commit()
        if ok:
            session.clear()
            session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        flash(_("Tên đăng nhập hoặc mật khẩu không đúng."), "danger")
    return render_template("core/login.html", form=form)


@bp.post("/logout")
@any_user
def logout():
    logout_user()
    session.clear()
    flash(_("Đã đăng xuất."), "info")
    return redirect(url_for("core.login"))


@bp.get("/lang/<code>")
@public
def set_language(code: str):
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(_safe_next(request.args.get("next") or request.referrer and urlsplit(request.referrer).path))


# ---------------------------------------------------------------------------------------------------------
# Users
# ---------------------------------------------------------------------------------------------------------

COMMUNE_ROLES = frozenset({Role.COMMUNE_COMMITTEE, Role.POLLING_TEAM, Role.PARTY_COMMITTEE})


@bp.route("/users", methods=["GET", "POST"])
@allow(Role.DISTRICT_OFFICE)
def list_users():
    district_id = user_district_id()
    communes = db.session.scalars(scope_communes(db.select(Commune).order_by(Commune.name), Commune)).all()
    form = UserForm()
    form.commune_id.choices = [(0, "—")] + [(c.id, c.full_name) for c in communes]
    if form.validate_on_submit():
        role = Role(form.role.data)
        commune_id = form.commune_id.data or None
        username = form.username.data.strip().lower()
        if role in COMMUNE_ROLES and commune_id is None:
            form.commune_id.errors.append(_("Vai trò này cần chọn xã."))
        elif db.session.scalar(db.select(User.id).where(User.username == username)):
            form.username.errors.append(_("Tên đăng nhập đã có người dùng."))
        else:
            # An approving authority may be scoped to a commune where exceptions are decided at that level
            # (District.approver_level "commune", R-X1); the other district roles never are.
            keeps_commune = role in COMMUNE_ROLES or role == Role.APPROVING_AUTHORITY
            user = User(username=username, full_name=form.full_name.data, role=role, district_id=district_id,
                        commune_id=commune_id if keeps_commune else None)
            user.set_password(form.password.data)
            db.session.add(user)
            commit(f"Tạo người dùng {username} ({role.label})")
            flash(_("Đã tạo người dùng %(name)s.", name=username), "success")
            return redirect(url_for("core.list_users"))
    stmt = db.select(User).order_by(User.role, User.username)
    if current_user.role != Role.ADMIN:
        stmt = stmt.where(User.district_id == district_id)
    page = db.paginate(stmt, per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template("core/list_users.html", page=page, form=form, confirm=ConfirmForm())


@bp.post("/users/<int:user_id>/toggle")
@allow(Role.DISTRICT_OFFICE)
def toggle_user(user_id: int):
    user = db.get_or_404(User, user_id)
    if not reaches(current_user, district_id=user.district_id, commune_id=user.commune_id) or user.role == Role.ADMIN:
        abort(404)
    if user.id == current_user.id:
        abort(409, _("Không thể tự khóa tài khoản của mình."))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user.active = not user.active
    commit(("Mở khóa" if user.active else "Khóa") + f" người dùng {user.username}")
    return redirect(url_for("core.list_users"))


@bp.route("/account/tokens", methods=["GET", "POST"])
@any_user
def api_tokens():
    form = ConfirmForm()
    new_token = None
    if form.validate_on_submit():
        record, new_token = ApiToken.issue(current_user, name=request.form.get("name", "").strip()[:80] or "API")
        db.session.add(record)
        commit(f"Cấp mã truy cập API cho {current_user.username}")
    tokens = db.session.scalars(db.select(ApiToken).where(ApiToken.user_id == current_user.id)
                                .order_by(ApiToken.created_at.desc())).all()
    return render_template("core/api_tokens.html", form=form, tokens=tokens, new_token=new_token)


# ---------------------------------------------------------------------------------------------------------
# Audit log
# ---------------------------------------------------------------------------------------------------------

@bp.get("/audit")
@allow(Role.DISTRICT_OFFICE, Role.COMMUNE_COMMITTEE, Role.OBSERVER, Role.APPROVING_AUTHORITY)
def audit_log():
    stmt = db.select(AuditEntry).order_by(AuditEntry.seq.desc())
    if current_user.role != Role.ADMIN:
        stmt = stmt.where(AuditEntry.district_id == current_user.district_id)
    if current_user.commune_id is not None:
        stmt = stmt.where(AuditEntry.commune_id == current_user.commune_id)
    communes = db.session.scalars(scope_communes(db.select(Commune).order_by(Commune.name), Commune)).all()
    if commune_id := request.args.get("commune_id", type=int):
        stmt = stmt.where(AuditEntry.commune_id == commune_id)
    if record_type := request.args.get("record_type", "").strip():
        stmt = stmt.where(AuditEntry.record_type == record_type)
    if record_id := request.args.get("record_id", "").strip():
        stmt = stmt.where(AuditEntry.record_id == record_id)
    page = db.paginate(stmt, per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template("core/audit_log.html", page=page, communes=communes)
