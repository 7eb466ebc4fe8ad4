"""Access declared on every route, the unit scope of each user, and the loaders every package shares (the current
term, the round).

Every view function carries an `Access` (set by @public or @allow); a before-request hook refuses any
endpoint without one, so a forgotten declaration fails closed (and tests/test_access.py walks url_map).
Scope: a user reaches only the records of their unit (admin: all; district roles: their district;
commune roles: their commune; a polling team with a hamlet: that hamlet).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import abort, current_app, g, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Select

from core.accounts import Role, User, user_for_token
from core.bounds import request_json
from core.citizen_id import masked
from core.labels import N_
from core.models import District, Person, Term, current_term
from extensions import db

F = TypeVar("F", bound=Callable)

# Endpoints Flask itself adds; they serve files only.
BUILTIN_PUBLIC = frozenset({"static"})
# What a user who logged in with a one-time code may open before choosing a password (every other page sends
# them to the first).
WHILE_CHANGING_PASSWORD = frozenset({"core.change_password", "core.logout"})


@dataclass(frozen=True)
class Access:
    public: bool
    roles: frozenset[Role]

    def describe(self) -> str:
        return "public" if self.public else ", ".join(sorted(self.roles))


def public(view: F) -> F:
    """Anyone, logged in or not (login page, public calculators, fonts, minutes verification)."""
    view.access = Access(True, frozenset())  # type: ignore[attr-defined]
    return view


def allow(*roles: Role) -> Callable[[F], F]:
    """Logged-in users with one of `roles` (the admin always passes)."""

    def decorate(view: F) -> F:
        view.access = Access(False, frozenset(roles) | {Role.ADMIN})  # type: ignore[attr-defined]
        return view

    return decorate


def any_user(view: F) -> F:
    return allow(*Role)(view)


def declared_access(endpoint: str) -> Access | None:
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "access", None)


def _bearer_user(direct: bool) -> User | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    return user_for_token(header.removeprefix("Bearer ").strip(), direct=direct)


def enforce_declared_access():
    endpoint = request.endpoint
    if endpoint is None or endpoint in BUILTIN_PUBLIC:
        return None
    access = declared_access(endpoint)
    if access is None:
        current_app.logger.error("Endpoint %s declares no access rule: refused", endpoint)
        abort(403)
    if access.public:
        return None
    is_api = request.path.startswith("/api/")
    if is_api:
        # The API accepts bearer tokens only, so a browser's cookie cannot be replayed without CSRF checks.
        user = _bearer_user(getattr(current_app.view_functions[endpoint], "direct_db", False))
        if user is None:
            return jsonify({"error": "Cần mã truy cập (Bearer token) hợp lệ."}), 401
        g._login_user = user  # Flask-Login's per-request user
    elif not current_user.is_authenticated:
        return redirect(url_for("core.login", next=request.full_path))
    user = current_user._get_current_object() if not is_api else g._login_user
    if not is_api and user.must_change_password and endpoint not in WHILE_CHANGING_PASSWORD:
        return redirect(url_for("core.change_password"))
    if user.role not in access.roles:
        abort(403)
    return None


# --------------------------------------------------------------------------------------------------------
# Scope
# --------------------------------------------------------------------------------------------------------

def reaches(user: User, *, district_id: int | None, commune_id: int | None = None,
            hamlet_id: int | None = None) -> bool:
    """Whether `user` may see a record of that district/commune/hamlet."""
    if user.role == Role.ADMIN:
        return True
    if user.district_id is not None and district_id is not None and user.district_id != district_id:
        return False
    if user.commune_id is not None and user.commune_id != commune_id:
        return False
    if user.hamlet_id is not None and hamlet_id is not None and user.hamlet_id != hamlet_id:
        return False
    return user.commune_id is None or commune_id is not None


def authorise_commune(commune) -> None:
    """404 (not 403: the record's existence is not revealed) outside the user's scope."""
    if not reaches(current_user, district_id=commune.district_id, commune_id=commune.id):
        abort(404)


def authorise_hamlet(hamlet) -> None:
    commune = hamlet.commune
    if not reaches(current_user, district_id=commune.district_id, commune_id=commune.id, hamlet_id=hamlet.id):
        abort(404)


# The one answer for an id that is missing or outside the user's scope: ids are sequential, so an answer that named
# the record (or its commune) would let anyone list the district's registry one id at a time.
NOT_IN_SCOPE = N_("Không tìm thấy trong phạm vi của bạn.")


def reaches_person(person: Person) -> bool:
    hamlet = person.hamlet
    commune = hamlet.commune
    return reaches(current_user, district_id=commune.district_id, commune_id=commune.id, hamlet_id=hamlet.id)


def person_in_scope(person_id: object) -> Person | None:
    """The person behind `person_id` when the current user reaches them; None for a missing and a foreign id alike."""
    if type(person_id) is not int:
        return None
    person = db.session.get(Person, person_id)
    return person if person is not None and reaches_person(person) else None


def load_person(person_id: object) -> Person:
    """person_in_scope, or 404 with the same words for a missing and a foreign id."""
    person = person_in_scope(person_id)
    if person is None:
        abort(404, _(NOT_IN_SCOPE))
    return person


def authorise_district(district_id: int) -> None:
    if not reaches(current_user, district_id=district_id, commune_id=None) or (
        current_user.commune_id is not None
    ):
        abort(404)


def scope_communes(stmt: Select, commune_cls) -> Select:
    """Restrict a query over communes to the current user's scope."""
    user = current_user
    if user.role == Role.ADMIN:
        return stmt
    if user.commune_id is not None:
        return stmt.where(commune_cls.id == user.commune_id)
    return stmt.where(commune_cls.district_id == user.district_id)


def scope_hamlets(stmt: Select, hamlet_cls, commune_cls) -> Select:
    """Restrict a query that joins Hamlet and Commune to the current user's scope."""
    user = current_user
    stmt = scope_communes(stmt, commune_cls)
    if user.hamlet_id is not None:
        stmt = stmt.where(hamlet_cls.id == user.hamlet_id)
    return stmt


def user_district_id() -> int | None:
    """The district the current user works in (admin: the only/first district)."""

    if current_user.district_id is not None:
        return current_user.district_id
    return db.session.scalar(db.select(District.id).order_by(District.id).limit(1))


def current_term_or_404(district_id: int | None = None) -> Term:
    """The current term of `district_id` (by default the user's district); a page about the current term answers
    404 without one."""
    district_id = district_id if district_id is not None else user_district_id()
    term = current_term(district_id) if district_id else None
    if term is None:
        abort(404, _("Chưa có nhiệm kỳ hiện hành: Cơ quan Tổ chức – Nội vụ cần khai báo nhiệm kỳ trước."))
    return term


def round_param(rounds: int) -> int:
    """The one round parameter of pages and the API: `round_no` in the query (or the JSON body), 1 by default.
    A round outside 1…rounds is refused (404), never taken for round 1."""
    body = request_json()
    value = body.get("round_no") if isinstance(body, dict) and "round_no" in body else \
        request.args.get("round_no", 1, type=int)
    if type(value) is not int or not 1 <= value <= rounds:
        abort(404, _("Không có vòng bầu này."))
    return value


# --------------------------------------------------------------------------------------------------------
# Personal data by role (Decree 13/2023/NĐ-CP): the whole citizen ID and birth date only for the roles whose
# work needs them
# --------------------------------------------------------------------------------------------------------

MASKED_CITIZEN_ID = frozenset({Role.OBSERVER, Role.POLLING_TEAM})  # check-in needs the last digits only
BIRTH_YEAR_ONLY = frozenset({Role.OBSERVER})


def sees_full_citizen_id(user: User | None = None) -> bool:
    user = user if user is not None else current_user
    return bool(user and user.is_authenticated and user.role not in MASKED_CITIZEN_ID)


def shown_citizen_id(value: str | None) -> str:
    """The citizen ID as the current user may see it: whole, or its last 4 digits."""
    return (value or "") if sees_full_citizen_id() else masked(value)


def shown_birth_date(value):
    """The birth date as the current user may see it: the date, or the year alone (an int)."""
    if value is None or isinstance(value, int) or not (current_user and current_user.is_authenticated) or \
            current_user.role not in BIRTH_YEAR_ONLY:
        return value
    return value.year
