"""Users, their roles and scopes, login throttling and API tokens."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from core import dbapi
from core.labels import N_, LabelledEnum
from core.models import Commune, District, Hamlet, enum_column
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

    district: Mapped[District | None] = relationship()
    commune: Mapped[Commune | None] = relationship()
    hamlet: Mapped[Hamlet | None] = relationship()

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

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
    audit_exclude = frozenset({"password_hash"})


class LoginAttempt(Model):
    """Failed and successful logins, for throttling (not audited: not a record change)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), index=True)
    remote_addr: Mapped[str] = mapped_column(sa.String(64), default="")
    ok: Mapped[bool]
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


def login_locked(username: str, max_failures: int, lock_minutes: int) -> bool:
    """True when the account had `max_failures` failed logins within the last `lock_minutes`, none since."""
    since = utcnow() - timedelta(minutes=lock_minutes)
    recent = db.session.scalars(
        db.select(LoginAttempt.ok)
        .where(LoginAttempt.username == username, LoginAttempt.at >= since)
        .order_by(LoginAttempt.at.desc(), LoginAttempt.id.desc())
        .limit(max_failures)
    ).all()
    return len(recent) >= max_failures and not any(recent)


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

    COLUMNS = ("id", "username", "full_name", "role", "district_id", "commune_id", "hamlet_id", "active")
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
            sa.select(*(user[name] for name in TokenUser.COLUMNS), ApiToken.revoked, ApiToken.expires_at)
            .join(ApiToken.__table__, ApiToken.user_id == user.id)
            .where(ApiToken.token_hash == sa.bindparam("token_hash")))
    params = {"token_hash": ApiToken.hash(token)}
    if direct:
        row = dbapi.request_runner()(statement, params).first()
    else:
        row = db.session.connection().execute(statement, params).first()
    if row is None or row.revoked or (row.expires_at and row.expires_at < utcnow()) or not row.active:
        return None
    return TokenUser(row)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))
