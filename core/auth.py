"""Login, logout, language, users and API tokens, and the audit-log browser."""
from __future__ import annotations

import math
import re
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.middleware.proxy_fix import ProxyFix

from core.access import allow, any_user, public, reaches, scope_communes, user_district_id
from core.accounts import (
    SESSION_VERSION_KEY,
    USERNAME_MAX,
    ApiToken,
    LoginAttempt,
    LoginOutcome,
    Role,
    User,
    authenticate,
    login_wait,
)
from core.audit import AuditEntry
from core.forms import ConfirmForm, LoginForm, PasswordChangeForm, UserForm
from core.keys import PRODUCTION, environment
from core.models import Commune
from core.throttle import ThrottlePolicy
from core.transactions import commit
from core.views import bp
from extensions import LANGUAGES, db


def _safe_next(target: str | None) -> str:
    if target and urlsplit(target).netloc == "" and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("home.index")  # each role's to-do list (home/views.py)


def secure_sessions(app: Flask) -> None:
    """Session cookies only over TLS in production (HttpOnly and SameSite=Lax are the defaults everywhere), and
    the client's address and scheme from X-Forwarded-For/-Proto only behind TRUSTED_PROXIES configured proxies: the
    throttle keys on that address, which a client could otherwise choose (issue 14)."""
    if environment(app.config["ENV_NAME"]) == PRODUCTION:  # "test" and "development" run over plain http
        app.config["SESSION_COOKIE_SECURE"] = True
    proxies = int(app.config["TRUSTED_PROXIES"] or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]


def _throttle_policy() -> ThrottlePolicy:
    config = current_app.config
    return ThrottlePolicy(pair_free=config["LOGIN_FREE_FAILURES_PER_ACCOUNT"],
                          address_free=config["LOGIN_FREE_FAILURES_PER_ADDRESS"],
                          max_delay=timedelta(minutes=config["LOGIN_MAX_DELAY_MINUTES"]),
                          address_max_delay=timedelta(seconds=config["LOGIN_MAX_ADDRESS_DELAY_SECONDS"]))


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _wait_message(wait: timedelta) -> tuple[str, int]:
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds < 120:
        return _("Đăng nhập sai nhiều lần: hãy thử lại sau %(seconds)s giây.", seconds=seconds), seconds
    return _("Đăng nhập sai nhiều lần: hãy thử lại sau %(minutes)s phút.", minutes=math.ceil(seconds / 60)), seconds


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    form = LoginForm()
    if form.validate_on_submit():
        # Recorded as typed (lower case), without control characters, cut to the column.
        username = _CONTROL.sub("", form.username.data.lower())[:USERNAME_MAX]
        address = (request.remote_addr or "")[:64]
        wait = login_wait(username, address, _throttle_policy())
        if wait > timedelta(0):
            # Refused before the password is checked; only this address waits, never the account everywhere.
            db.session.add(LoginAttempt(username=username, remote_addr=address, outcome=LoginOutcome.THROTTLED))
            commit()
            message, seconds = _wait_message(wait)
            flash(message, "danger")
            return render_template("core/login.html", form=form), 429, {"Retry-After": str(seconds)}
        user = authenticate(username, form.password.data)
        outcome = LoginOutcome.OK if user is not None else LoginOutcome.FAILED
        db.session.add(LoginAttempt(username=username, remote_addr=address, outcome=outcome))
        commit()
        if user is not None:
            session.clear()
            session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME
            login_user(user)
            session[SESSION_VERSION_KEY] = user.session_version  # load_user compares it on every request
            return redirect(_safe_next(request.args.get("next")))
        flash(_("Tên đăng nhập hoặc mật khẩu không đúng."), "danger")
    return render_template("core/login.html", form=form)


@bp.post("/logout")
@any_user
def logout():
    user = current_user._get_current_object()
    # Server-side: the cookie this browser holds, and any copy of it, stops working (so do the user's other sessions).
    user.revoke_sessions()
    commit(f"Đăng xuất {user.username} (các phiên đăng nhập bị thu hồi)")
    logout_user()
    session.clear()
    flash(_("Đã đăng xuất."), "info")
    return redirect(url_for("core.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@any_user
def change_password():
    user = current_user._get_current_object()
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if not user.check_password(form.current_password.data):
            form.current_password.errors.append(_("Mật khẩu hiện tại không đúng."))
        else:
            user.set_password(form.new_password.data)  # also revokes every session
            commit(f"Đổi mật khẩu của {user.username} (các phiên đăng nhập khác bị thu hồi)")
            session[SESSION_VERSION_KEY] = user.session_version  # this browser stays signed in
            flash(_("Đã đổi mật khẩu. Các phiên đăng nhập khác đã bị đăng xuất."), "success")
            return redirect(url_for("core.api_tokens"))
    return render_template("core/change_password.html", form=form)


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
                                .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).all()
    return render_template("core/api_tokens.html", form=form, tokens=tokens, new_token=new_token)


def _manages(user: User) -> bool:
    """Whether the current user may see and revoke `user`'s tokens: their own, or as the administrator or the
    district office within their scope (never an administrator's, unless one themselves)."""
    if user.id == current_user.id or current_user.role == Role.ADMIN:
        return True
    return (current_user.role == Role.DISTRICT_OFFICE and user.role != Role.ADMIN
            and reaches(current_user, district_id=user.district_id, commune_id=user.commune_id))


@bp.get("/users/<int:user_id>/tokens")
@allow(Role.DISTRICT_OFFICE)
def user_tokens(user_id: int):
    user = db.get_or_404(User, user_id)
    if not _manages(user):
        abort(404)  # like a missing user: the account's existence outside the scope is not revealed
    tokens = db.session.scalars(db.select(ApiToken).where(ApiToken.user_id == user.id)
                                .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).all()
    return render_template("core/user_tokens.html", user=user, tokens=tokens)


@bp.post("/tokens/<int:token_id>/revoke")
@any_user
def revoke_token(token_id: int):
    token = db.get_or_404(ApiToken, token_id)
    if not _manages(token.user):
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    token.revoke()
    commit(f"Thu hồi mã truy cập API «{token.name}» của {token.user.username}")
    flash(_("Đã thu hồi mã truy cập «%(name)s».", name=token.name), "success")
    if token.user_id == current_user.id:
        return redirect(url_for("core.api_tokens"))
    return redirect(url_for("core.user_tokens", user_id=token.user_id))


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
