"""Users, their roles and scopes, login throttling and API tokens."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import cache

import sqlalchemy as sa
from flask import session
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from core import dbapi
from core.errors import RuleViolation
from core.labels import N_, LabelledEnum
from core.models import Commune, District, Hamlet, Term, enum_column
from core.throttle import FailureCounts, ThrottlePolicy, login_wait as wait_for
from core.vietnamese import utcnow
from extensions import Model, db, login_manager


class Role(LabelledEnum):
    """The roles of domain.md; each user holds one role scoped to a unit."""

    ADMIN = "admin", N_("Quản trị hệ thống")  # created by `flask users create-admin`
    DISTRICT_OFFICE = "district_office", N_("Cơ quan Tổ chức – Nội vụ")
    APPROVING_AUTHORITY = "approving_authority", N_("Cấp có thẩm quyền phê duyệt ngoại lệ")  # e.g. Ban Thường vụ
    COMMUNE_COMMITTEE = "commune_committee", N_("Ban chỉ đạo bầu cử xã")
    POLLING_TEAM = "polling_team", N_("Tổ bầu cử thôn, TDP")  # tổ bầu cử / counting team of a hamlet
    PARTY_COMMITTEE = "party_committee", N_("Cấp ủy chi bộ / Đảng ủy xã")
    OBSERVER = "observer", N_("Người theo dõi (chỉ xem)")  # read only


DISTRICT_WIDE = frozenset({Role.ADMIN, Role.DISTRICT_OFFICE, Role.APPROVING_AUTHORITY, Role.OBSERVER})
EVERY_ROLE = frozenset(Role)


class User(UserMixin, Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[Role] = enum_column(Role)
    # Scope: the most specific unit set. Admin: none. District roles: district. Commune roles: commune.
    # Polling team: commune and optionally its hamlet.
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("district.id"), index=True)
    commune_id: Mapped[int | None] = mapped_column(sa.ForeignKey("commune.id"), index=True)
    hamlet_id: Mapped[int | None] = mapped_column(sa.ForeignKey("hamlet.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Copied into the session at login and compared on every request (load_user): bumping it revokes every session
    # of the user, so a copied cookie stops working after logout or a password change (issue 14).
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # A polling team's account serves one term: once another term is current it can no longer log in (term_lapsed).
    term_id: Mapped[int | None] = mapped_column(sa.ForeignKey("term.id"), index=True)
    # Set by a one-time code (issue_code): every page sends the user to choose a password first.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The one-time code's hash and expiry: only until it is used at a login (take_code) or replaced.
    reset_code_hash: Mapped[str | None] = mapped_column(sa.String(256))
    reset_code_expires_at: Mapped[datetime | None]

    district: Mapped[District | None] = relationship()
    commune: Mapped[Commune | None] = relationship()
    hamlet: Mapped[Hamlet | None] = relationship()
    term: Mapped[Term | None] = relationship()

    def set_password(self, password: str) -> None:
        """A new password also ends every session opened with the old one, and any one-time code."""
        self.password_hash = generate_password_hash(password)
        self.must_change_password = False
        self.reset_code_hash = None
        self.reset_code_expires_at = None
        self.revoke_sessions()

    def issue_code(self, lifetime: timedelta | None = None) -> str:
        """A new one-time code (returned once, only its hash kept): the old password stops working, every session
        ends and the next login with the code must choose a new password."""
        code = new_code()
        self.password_hash = generate_password_hash(secrets.token_urlsafe(32))  # nobody knows it
        self.reset_code_hash = generate_password_hash(code)
        self.reset_code_expires_at = utcnow() + (lifetime or CODE_LIFETIME)
        self.must_change_password = True
        self.revoke_sessions()
        return code

    @property
    def code_pending(self) -> bool:
        """Whether a one-time code waits to be used and has not expired."""
        return (self.reset_code_hash is not None and self.reset_code_expires_at is not None
                and self.reset_code_expires_at > utcnow())

    def take_code(self) -> None:
        """The code was used at a login: it never works again (the password must still be chosen)."""
        self.reset_code_hash = None
        self.reset_code_expires_at = None

    @property
    def term_lapsed(self) -> bool:
        """A polling team's account of a term that is no longer current: it cannot log in."""
        return (self.role == Role.POLLING_TEAM and self.term_id is not None and self.term is not None
                and not self.term.is_current)

    def revoke_sessions(self) -> None:
        """Every session of this user (every browser, every copied cookie) must log in again."""
        self.session_version = (self.session_version or 0) + 1

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def scope_label(self) -> str:
        if self.hamlet is not None:
            return f"{self.hamlet.full_name}, {self.commune.full_name if self.commune else ''}"
        if self.commune is not None:
            return self.commune.full_name
        if self.district is not None:
            return f"Huyện {self.district.name}"
        return "Toàn hệ thống"

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return self.district_id, self.commune_id, None

    # Attributes never copied into the audit log.
    audit_exclude = frozenset({"password_hash", "reset_code_hash"})


# One-time codes: read over the phone, so upper-case letters and digits without the look-alikes (0/O, 1/I/L).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
CODE_LIFETIME = timedelta(hours=72)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str:
    """The code as typed, in capitals, without spaces and dashes ("abcde-fghjk" → "ABCDEFGHJK")."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def looks_like_code(text: str) -> bool:
    code = normalise_code(text)
    return len(code) == CODE_LENGTH and all(ch in CODE_ALPHABET for ch in code)


def format_code(code: str) -> str:
    """Two groups of five, easier to read aloud: "ABCDE-FGHJK"."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def manages(manager: User, user: User) -> bool:
    """Whether `manager` may edit, lock, unlock and reset the password of `user` on the account pages.

    Nobody manages themselves there (their own password has its page); the administrator manages everybody else;
    the district office every non-admin account of its district (its communes' and the district roles); a commune
    committee its own commune's polling-team accounts only; the other roles nobody."""
    if manager.id == user.id:
        return False
    if manager.role == Role.ADMIN:
        return True
    if manager.role == Role.DISTRICT_OFFICE:
        return (user.role != Role.ADMIN and manager.district_id is not None
                and user.district_id == manager.district_id)
    if manager.role == Role.COMMUNE_COMMITTEE:
        return (user.role == Role.POLLING_TEAM and manager.commune_id is not None
                and user.commune_id == manager.commune_id)
    return False


SESSION_VERSION_KEY = "_session_version"
USERNAME_MAX = 64  # as the column: a longer name typed at the login form is recorded cut to this


class LoginOutcome(LabelledEnum):
    OK = "ok", N_("Đăng nhập thành công")
    FAILED = "failed", N_("Sai tên đăng nhập hoặc mật khẩu")
    THROTTLED = "throttled", N_("Bị từ chối: phải chờ do sai nhiều lần")


class LoginAttempt(Model):
    """Every login attempt, throttled ones too: the throttle's shared state (core.throttle) and the record of who
    tried what from where. No password; not audited (not a record change)."""

    __table_args__ = (sa.Index("ix_login_attempt_addr_at", "remote_addr", "at"),
                      sa.Index("ix_login_attempt_username_at", "username", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(USERNAME_MAX))  # as typed (lower case), cut to the column
    remote_addr: Mapped[str] = mapped_column(sa.String(64), default="")
    outcome: Mapped[LoginOutcome] = enum_column(LoginOutcome)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


def login_wait(username: str, remote_addr: str, policy: ThrottlePolicy) -> timedelta:
    """How long `remote_addr` must wait before trying `username` (core.throttle), from the attempts table; the same
    two statements whether the username exists or not."""
    now = utcnow()
    since = now - policy.window
    attempt = LoginAttempt
    failed = attempt.outcome == LoginOutcome.FAILED
    this_name = attempt.username == username
    by_address = db.session.execute(
        db.select(sa.func.count(), sa.func.max(attempt.at),
                  sa.func.count(sa.case((this_name, 1))), sa.func.max(sa.case((this_name, attempt.at))))
        .where(attempt.remote_addr == remote_addr, attempt.at >= since, failed)).one()
    by_account = db.session.execute(
        db.select(sa.func.count(sa.case((failed, 1))),
                  sa.func.max(sa.case((sa.and_(attempt.remote_addr == remote_addr,
                                               attempt.outcome != LoginOutcome.THROTTLED), attempt.at))))
        .where(this_name, attempt.at >= since)).one()
    counts = FailureCounts(address_failures=by_address[0], address_last_failure=by_address[1],
                           pair_failures=by_address[2], pair_last_failure=by_address[3],
                           account_failures=by_account[0], account_last_try_here=by_account[1])
    return wait_for(counts, now, policy)


@cache
def _dummy_hash() -> str:
    """A hash of a random password made by the current hasher, checked when the username is unknown."""
    return generate_password_hash(secrets.token_urlsafe(16))


def authenticate(username: str, password: str) -> User | None:
    """The active user with this username and password (or pending one-time code), or None, after the same work
    either way: a password hash is checked even for an unknown username, so the response time does not tell which
    usernames exist (issue 14); text shaped like a code is checked against the code too (a dummy without one).

    A code that matches is taken (it never works again) unless the account's term lapsed; the caller commits."""
    user = db.session.scalar(db.select(User).where(User.username == username))
    ok = check_password_hash(user.password_hash if user is not None else _dummy_hash(), password)
    if not ok and looks_like_code(password):
        pending = user is not None and user.code_pending
        matched = check_password_hash(user.reset_code_hash if pending and user is not None and user.reset_code_hash
                                      else _dummy_hash(), normalise_code(password))
        if matched and pending and user is not None and user.active:
            ok = True
            if not user.term_lapsed:
                user.take_code()
    return user if ok and user is not None and user.active else None


class ApiToken(Model):
    """A bearer token for the JSON API; only its hash is stored."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship()

    audit_exclude = frozenset({"token_hash"})

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at < utcnow()

    @property
    def status(self) -> str:
        """For the token pages: revoked, expired or active."""
        return "revoked" if self.revoked else "expired" if self.expired else "active"

    def revoke(self) -> None:
        """The token stops working at once (user_for_token refuses it: 401)."""
        if self.revoked:
            raise RuleViolation("Mã truy cập này đã bị thu hồi trước đó.")
        self.revoked = True

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str, days: int = 90) -> tuple[ApiToken, str]:
        token = "dt_" + secrets.token_urlsafe(32)
        record = cls(user=user, name=name, token_hash=cls.hash(token), expires_at=utcnow() + timedelta(days=days))
        return record, token

    @property
    def audit_scope(self) -> tuple[int | None, int | None, int | None]:
        return self.user.district_id, self.user.commune_id, None


class TokenUser(UserMixin):
    """The user behind a bearer token, read with the token in one Core statement (no ORM load).

    API requests need only these columns for their access and scope checks (core.access) and for the
    audit log; any other attribute (relationships, scope_label…) loads the full User row, once.
    """

    COLUMNS = ("id", "username", "full_name", "role", "district_id", "commune_id", "hamlet_id", "active",
               "must_change_password")
    __slots__ = (*COLUMNS, "_record")

    def __init__(self, row) -> None:
        for name in self.COLUMNS:
            object.__setattr__(self, name, getattr(row, name))
        object.__setattr__(self, "_record", None)

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def record(self) -> User:
        if self._record is None:
            object.__setattr__(self, "_record", db.session.get(User, self.id))
        return self._record

    def __getattr__(self, name: str):
        return getattr(self.record, name)

    def __setattr__(self, name: str, value) -> None:
        raise AttributeError("TokenUser is read-only: change the User record instead.")


_TOKEN_USER: dict[str, sa.Select] = {}


def user_for_token(token: str, direct: bool = False) -> TokenUser | None:
    """The active user of a valid (unrevoked, unexpired) bearer token; one statement, built once.

    direct: read on the request's DBAPI connection (views marked core.dbapi.direct_db).
    """
    statement = _TOKEN_USER.get("statement")
    if statement is None:
        user = User.__table__.c
        statement = _TOKEN_USER["statement"] = (
            sa.select(*(user[name] for name in TokenUser.COLUMNS), ApiToken.revoked, ApiToken.expires_at,
                      user.term_id, Term.is_current.label("term_current"))
            .join(ApiToken.__table__, ApiToken.user_id == user.id)
            .outerjoin(Term.__table__, Term.id == user.term_id)
            .where(ApiToken.token_hash == sa.bindparam("token_hash")))
    params = {"token_hash": ApiToken.hash(token)}
    if direct:
        row = dbapi.request_runner()(statement, params).first()
    else:
        row = db.session.connection().execute(statement, params).first()
    if row is None or row.revoked or (row.expires_at and row.expires_at < utcnow()) or not row.active:
        return None
    # Until a one-time code's user has chosen a password, and once a team's term lapsed, no token works.
    if row.must_change_password or (row.role == Role.POLLING_TEAM and row.term_id is not None
                                    and not row.term_current):
        return None
    return TokenUser(row)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The session's user, unless its sessions were revoked since this one began (logout, password change)."""
    user = db.session.get(User, int(user_id))
    if user is None or session.get(SESSION_VERSION_KEY) != user.session_version or not user.active \
            or user.term_lapsed:
        return None
    return user
