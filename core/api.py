"""The JSON API under /api/v1: its blueprint, OpenAPI document, JSON errors and the read endpoints.

Each route documents itself with @operation(...); /api/v1/openapi.json assembles the document from the
registered view functions, so a route cannot exist without appearing there (tests check it).
"""
from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar

from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.http import HTTP_STATUS_CODES

from core.access import (
    allow,
    any_user,
    authorise_commune,
    authorise_hamlet,
    public,
    scope_communes,
    scope_hamlets,
    sees_full_citizen_id,
    shown_birth_date,
    shown_citizen_id,
)
from core.accounts import Role
from core.bounds import DB_INT_MAX, PER_PAGE_MAX, refuse, request_json
from core.models import Chapter, Commune, Hamlet, Household, Person
from core.vietnamese import fold
from extensions import db

api_bp = Blueprint("api", __name__, url_prefix="/api/v1")
F = TypeVar("F", bound=Callable)


def operation(summary: str, *, tag: str, request_schema: dict | None = None, response_schema: dict | None = None,
              parameters: list[dict] | None = None, statuses: tuple[int, ...] = ()) -> Callable[[F], F]:
    """Attach the OpenAPI description of a route to its view function. `statuses`: the codes it answers beyond those
    every operation documents (200, 422; with a token 401, 403, 404; with an id in the path 404; a change 409)."""

    def decorate(view: F) -> F:
        view.openapi = {  # type: ignore[attr-defined]
            "summary": summary, "tag": tag, "request": request_schema, "response": response_schema,
            "parameters": parameters or [], "statuses": statuses,
        }
        return view

    return decorate


def field_errors(errors: dict[str, str]):
    return jsonify({"errors": errors}), 422


def json_body() -> Any:
    """The request's JSON (None when not JSON), bounded in depth, numbers and characters (core.bounds: 422)."""
    return request_json()


E = TypeVar("E", bound=Enum)


def enum_arg(name: str, enum_cls: type[E]) -> E | None:
    """A query argument naming one of `enum_cls`'s values (None when absent); another value answers 422 listing
    the allowed ones."""
    raw = request.args.get(name)
    if not raw:
        return None
    allowed = [member.value for member in enum_cls]
    if raw not in allowed:
        refuse(name, _("Giá trị không hợp lệ; chọn một trong: %(values)s.", values=", ".join(allowed)))
    return enum_cls(raw)


def enum_param(name: str, enum_cls: type[Enum]) -> dict:
    """The OpenAPI query parameter of enum_arg(name, enum_cls)."""
    return {"name": name, "in": "query", "schema": {"type": "string", "enum": [member.value for member in enum_cls]}}


def page_args() -> tuple[int, int]:
    """`page` and `per_page`, already checked by core.bounds.check_paging (out of range: 422)."""
    return request.args.get("page", 1, type=int), request.args.get("per_page", 50, type=int)


def paginated(stmt, serialise: Callable[[Any], dict]) -> dict:
    page, per_page = page_args()
    result = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    return {"items": [serialise(item) for item in result.items], "page": page, "per_page": per_page,
            "total": result.total}


# ---------------------------------------------------------------------------------------------------------
# Read endpoints (scoped like the pages)
# ---------------------------------------------------------------------------------------------------------

def commune_json(commune: Commune) -> dict:
    return {"id": commune.id, "code": commune.code, "name": commune.name, "kind": commune.kind.value,
            "commune_class": commune.commune_class.value, "class_basis": commune.class_basis,
            "district_id": commune.district_id}


def hamlet_json(hamlet: Hamlet, households: int | None = None) -> dict:
    data = {"id": hamlet.id, "code": hamlet.code, "name": hamlet.name, "kind": hamlet.kind.value,
            "commune_id": hamlet.commune_id}
    if households is not None:
        data["households"] = households
    return data


def chapter_json(chapter: Chapter) -> dict:
    return {"id": chapter.id, "hamlet_id": chapter.hamlet_id, "name": chapter.name,
            "official_members": chapter.official_members, "probationary_members": chapter.probationary_members}


def person_json(person: Person) -> dict:
    """A person as the reader's role may see them: the observer gets the birth year and a masked citizen ID."""
    born = shown_birth_date(person.birth_date)
    return {"id": person.id, "full_name": person.full_name,
            **({"birth_year": born} if isinstance(born, int) else {"birth_date": born.isoformat()}),
            "sex": person.sex.value, "citizen_id": shown_citizen_id(person.citizen_id), "hamlet_id": person.hamlet_id,
            "education": person.education.value, "political_theory": person.political_theory.value,
            "party_member": person.party_member.value}


LIST_PARAMS = [{"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": DB_INT_MAX}},
               {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                              "maximum": PER_PAGE_MAX}}]
PAGE_SCHEMA = {"type": "object", "properties": {"items": {"type": "array"}, "page": {"type": "integer"},
                                                 "per_page": {"type": "integer"}, "total": {"type": "integer"}}}


@api_bp.get("/communes")
@any_user
@operation("Danh sách xã, thị trấn trong phạm vi của người dùng", tag="organisation", parameters=LIST_PARAMS,
           response_schema=PAGE_SCHEMA)
def list_communes():
    stmt = scope_communes(db.select(Commune).order_by(Commune.name), Commune)
    return jsonify(paginated(stmt, commune_json))


@api_bp.get("/communes/<int:commune_id>")
@any_user
@operation("Một xã", tag="organisation")
def get_commune(commune_id: int):
    commune = db.get_or_404(Commune, commune_id)
    authorise_commune(commune)
    return jsonify(commune_json(commune))


@api_bp.get("/hamlets")
@any_user
@operation("Danh sách thôn, tổ dân phố (lọc theo commune_id) với số hộ", tag="organisation",
           parameters=LIST_PARAMS + [{"name": "commune_id", "in": "query", "schema": {"type": "integer"}}],
           response_schema=PAGE_SCHEMA)
def list_hamlets():
    households = (db.select(db.func.count(Household.id)).where(Household.hamlet_id == Hamlet.id)
                  .correlate(Hamlet).scalar_subquery())
    stmt = scope_hamlets(db.select(Hamlet, households).join(Commune), Hamlet, Commune).order_by(Hamlet.id)
    if commune_id := request.args.get("commune_id", type=int):
        stmt = stmt.where(Hamlet.commune_id == commune_id)
    page, per_page = page_args()
    rows = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    total = db.session.scalar(db.select(db.func.count()).select_from(stmt.with_only_columns(Hamlet.id).subquery()))
    return jsonify({"items": [hamlet_json(h, n) for h, n in rows], "page": page, "per_page": per_page,
                    "total": total})


@api_bp.get("/hamlets/<int:hamlet_id>")
@any_user
@operation("Một thôn, tổ dân phố", tag="organisation")
def get_hamlet(hamlet_id: int):
    hamlet = db.get_or_404(Hamlet, hamlet_id)
    authorise_hamlet(hamlet)
    count = db.session.scalar(db.select(db.func.count(Household.id)).where(Household.hamlet_id == hamlet.id))
    return jsonify(hamlet_json(hamlet, count))


@api_bp.get("/chapters")
@any_user
@operation("Danh sách chi bộ thôn, TDP", tag="organisation", parameters=LIST_PARAMS, response_schema=PAGE_SCHEMA)
def list_chapters():
    stmt = scope_hamlets(db.select(Chapter).join(Hamlet).join(Commune), Hamlet, Commune).order_by(Chapter.id)
    return jsonify(paginated(stmt, chapter_json))


@api_bp.get("/people")
@allow(Role.DISTRICT_OFFICE, Role.COMMUNE_COMMITTEE, Role.APPROVING_AUTHORITY, Role.PARTY_COMMITTEE,
       Role.POLLING_TEAM, Role.OBSERVER)
@operation("Tìm người trong sổ đăng ký (q: tên, không cần dấu, hoặc số định danh)", tag="people",
           parameters=LIST_PARAMS + [{"name": "q", "in": "query", "schema": {"type": "string"}}],
           response_schema=PAGE_SCHEMA)
def list_people():
    stmt = scope_hamlets(db.select(Person).join(Hamlet, Person.hamlet_id == Hamlet.id).join(Commune),
                         Hamlet, Commune)
    if q := request.args.get("q", "").strip():
        stmt = people_filter(stmt, q)
    return jsonify(paginated(stmt.order_by(Person.name_folded, Person.id), person_json))


def people_filter(stmt, q: str):
    """Diacritic-insensitive name search, or an exact citizen-ID match for digits."""
    if q.isdigit():
        if not sees_full_citizen_id():  # a prefix search would spell out a masked number digit by digit
            return stmt.where(Person.citizen_id == q)
        return stmt.where(Person.citizen_id.startswith(q))
    return stmt.where(Person.name_folded.contains(fold(q)))


@api_bp.get("/people/<int:person_id>")
@allow(Role.DISTRICT_OFFICE, Role.COMMUNE_COMMITTEE, Role.APPROVING_AUTHORITY, Role.PARTY_COMMITTEE,
       Role.POLLING_TEAM, Role.OBSERVER)
@operation("Một người trong sổ đăng ký", tag="people")
def get_person(person_id: int):
    person = db.get_or_404(Person, person_id)
    authorise_hamlet(person.hamlet)
    return jsonify(person_json(person))


@api_bp.get("/me")
@any_user
@operation("Người dùng của mã truy cập", tag="accounts")
def me():
    return jsonify({"username": current_user.username, "role": current_user.role.value,
                    "district_id": current_user.district_id, "commune_id": current_user.commune_id})


# ---------------------------------------------------------------------------------------------------------
# The OpenAPI document
# ---------------------------------------------------------------------------------------------------------

@api_bp.get("/openapi.json")
@public
def openapi_document():
    return jsonify(build_openapi())


def build_openapi() -> dict:
    paths: dict[str, dict] = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "api.openapi_document":
            continue
        view = current_app.view_functions[rule.endpoint]
        doc = getattr(view, "openapi", None)
        if doc is None:
            continue
        path = rule.rule.removeprefix("/api/v1")
        params = list(doc["parameters"])
        for arg in rule.arguments:
            path = path.replace(f"<int:{arg}>", "{" + arg + "}").replace(f"<{arg}>", "{" + arg + "}")
            params.append({"name": arg, "in": "path", "required": True,
                           "schema": {"type": "integer", "minimum": 0, "maximum": DB_INT_MAX}})
        access = getattr(view, "access", None)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            op: dict[str, Any] = {
                "summary": doc["summary"], "tags": [doc["tag"]], "operationId": rule.endpoint.replace(".", "_"),
                "parameters": params,
                "responses": {
                    "200": {"description": "OK", "content": {"application/json": {
                        "schema": doc["response"] or {"type": "object"}}}},
                    "422": {"$ref": "#/components/responses/FieldErrors"},
                },
            }
            if doc["request"]:
                op["requestBody"] = {"required": True, "content": {"application/json": {"schema": doc["request"]}}}
            if access is not None and not access.public:
                op["security"] = [{"bearer": []}]
                op["responses"]["401"] = {"$ref": "#/components/responses/Error"}
                op["responses"]["403"] = {"$ref": "#/components/responses/Error"}
                op["responses"]["404"] = {"$ref": "#/components/responses/Error"}
                op["x-roles"] = sorted(access.roles)
                if method != "GET":  # the one commit helper answers 409 when someone else changed the record
                    op["responses"]["409"] = {"$ref": "#/components/responses/Error"}
            if rule.arguments:
                op["responses"]["404"] = {"$ref": "#/components/responses/Error"}
            for status in doc["statuses"]:
                op["responses"][str(status)] = {"$ref": "#/components/responses/Error"} if status >= 400 else {
                    "description": HTTP_STATUS_CODES[status], "content": {"application/json": {
                        "schema": doc["response"] or {"type": "object"}}}}
            op["responses"] = dict(sorted(op["responses"].items()))
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Dân tin API", "version": "1.0.0",
                 "description": "Bầu cử trưởng thôn, tổ trưởng tổ dân phố theo mô hình «Dân tin – Đảng cử»."},
        "servers": [{"url": "/api/v1"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {
                "FieldErrors": {"description": "Dữ liệu không hợp lệ", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"errors": {"type": "object",
                                                                "additionalProperties": {"type": "string"}}}}}}},
                "Error": {"description": "Lỗi", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"error": {"type": "string"}}}}}},
            },
        },
    }


@api_bp.get("/health")
@public
@operation("Kiểm tra ứng dụng đang chạy", tag="system")
def health():
    return jsonify({"ok": True})
