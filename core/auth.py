"""Login, logout, language, users and API tokens, and the audit-log browser."""
from __future__ import annotations

import math
import re
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.middleware.proxy_fix import ProxyFix

from core.access import allow, any_user, public, scope_communes
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
    manages,
)
from core.audit import AuditEntry
from core.forms import ConfirmForm, LoginForm, NewPasswordForm, PasswordChangeForm
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


BACKGROUND = frozenset({"GET", "HEAD"})


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, except that a background read (the live board's refresh, a font, a script:
    a GET whose Sec-Fetch-Dest is not a page) does not re-send an unchanged session to extend its expiry. Such a
    request sent before a change of the session (the language chosen, a flash) and answered after it carried the
    session of before, and re-sending it undid the change. Page loads and every request that changes something
    still extend the session (8 hours from the last one); a browser that sends no Sec-Fetch-Dest is treated as
    before."""

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        destination = request.headers.get("Sec-Fetch-Dest", "document")
        return request.method not in BACKGROUND or destination in ("document", "iframe")


def secure_sessions(app: Flask) -> None:
    """Session cookies only over TLS in production (HttpOnly and SameSite=Lax are the defaults everywhere), and
    the client's address and scheme from X-Forwarded-For/-Proto only behind TRUSTED_PROXIES configured proxies: the
    throttle keys on that address, which a client could otherwise choose (issue 14). A background read does not
    re-send the session (SessionCookies)."""
    app.session_interface = SessionCookies()
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
        lapsed = user is not None and user.term_lapsed
        outcome = LoginOutcome.OK if user is not None and not lapsed else LoginOutcome.FAILED
        db.session.add(LoginAttempt(username=username, remote_addr=address, outcome=outcome))
        used_code = user is not None and not lapsed and db.session.is_modified(user)  # authenticate took its code
        commit(f"Đăng nhập bằng mã dùng một lần: {user.username} phải đặt mật khẩu mới"
               if used_code and user is not None else None)
        if lapsed and user is not None:
            # Said only to whoever knows the password: the account exists but served a term that has ended.
            flash(_("Tài khoản tổ bầu cử này thuộc nhiệm kỳ %(term)s, nay không còn là nhiệm kỳ hiện hành nên không "
                    "đăng nhập được. Hãy đề nghị Ban chỉ đạo bầu cử xã chuyển tài khoản sang nhiệm kỳ hiện hành.",
                    term=user.term.name if user.term else ""), "danger")
        elif user is not None:
            session.clear()
            session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME
            login_user(user)
            session[SESSION_VERSION_KEY] = user.session_version  # load_user compares it on every request
            if user.must_change_password:
                flash(_("Bạn đã đăng nhập bằng mã dùng một lần: hãy đặt mật khẩu mới để tiếp tục."), "warning")
                return redirect(url_for("core.change_password"))
            return redirect(_safe_next(request.args.get("next")))
        else:
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
    if user.must_change_password:
        return _first_password(user)
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


def _first_password(user: User):
    """After a one-time code: the new password without the current one (the code was the proof), then home."""
    form = NewPasswordForm()
    if form.validate_on_submit():
        user.set_password(form.new_password.data)  # ends the code's must-change state and every other session
        commit(f"Đặt mật khẩu mới sau mã dùng một lần: {user.username}")
        session[SESSION_VERSION_KEY] = user.session_version
        flash(_("Đã đặt mật khẩu mới. Từ lần sau hãy đăng nhập bằng mật khẩu này."), "success")
        return redirect(url_for("election.index"))
    return render_template("core/change_password.html", form=form, first=True)


@bp.get("/lang/<code>")
@public
def set_language(code: str):
    if code in LANGUAGES:
        session["lang"] = code
    return redirect(_safe_next(request.args.get("next") or request.referrer and urlsplit(request.referrer).path))


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
    district office those of an account they manage (core.accounts.manages; a commune committee resets a team
    member's password instead, which revokes the tokens too)."""
    return user.id == current_user.id or (current_user.role in (Role.ADMIN, Role.DISTRICT_OFFICE)
                                          and manages(current_user._get_current_object(), user))


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
    stmt = db.select(AuditEntry).order_by(AuditEntry.id.desc())
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
