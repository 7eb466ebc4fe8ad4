"""The application: create_app() (configuration, blueprints, error pages, template helpers).

Configuration comes in three layers: DEFAULTS below, then FLASK_* environment variables (e.g.
FLASK_SQLALCHEMY_DATABASE_URI=postgresql+psycopg://…, FLASK_SECRET_KEY=…, FLASK_ENV_NAME=production), then the
`overrides` dict the tests pass. FLASK_INSTANCE_PATH (an absolute folder) moves the instance folder, e.g. one per app
host when several serve the same database (bench/province.py). Outside development (FLASK_ENV_NAME=development or test, any case) the app refuses
to start without a strong FLASK_SECRET_KEY (core/keys.py).
"""
from __future__ import annotations

import os
from datetime import date, timedelta
from typing import Any

from flask import Flask, g, jsonify, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l, refresh
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import configure_mappers
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from ballots import (
    accounting as ballots_accounting,
    api as ballots_api,
    cli as ballots_cli,
    scan_views as ballots_scan_views,
    views as ballots_views,
)
from candidates import api as candidates_api, models as candidates_models, views as candidates_views
from chapters import api as chapters_api, supervision_views as chapters_supervision_views, views as chapters_views
from core import (
    account_views as core_account_views,
    api as core_api,
    audit as core_audit,
    auth as core_auth,
    cli as core_cli,
    dbapi,
    views as core_views,
)
from core.access import declared_access, enforce_declared_access
from core.bounds import DatabaseIntConverter, check_request_input
from core.errors import RuleViolation
from core.headers import init_app as install_security_headers
from core.i18n import page_language, tr
from core.keys import configure_secret_key
from core.vietnamese import configure_clock, format_date, format_number, format_percent, local_time
from demo import cli as demo_cli
from election import (
    api as election_api,
    correction_views as election_correction_views,
    poll_views as election_poll_views,
    roll_views as election_roll_views,
    views as election_views,
)
from extensions import LANGUAGES, babel, csrf, db, login_manager, migrate
from home import views as home_views
from training import api as training_api, views as training_views

# The modules whose decorators register something: routes (on their package's `bp`, or the API's `api_bp`), CLI
# commands, signal receivers (ballots' accounting answers the count, candidates' plans answer a person's changed
# qualifications) and the audit log's session listener. Imported here, so create_app() finds everything registered.
REGISTERING_MODULES = (ballots_accounting, ballots_api, ballots_cli, ballots_scan_views, ballots_views, candidates_api,
                       candidates_models, candidates_views, chapters_api, chapters_supervision_views, chapters_views,
                       core_account_views, core_api, core_audit, core_auth, core_views, election_api,
                       election_correction_views, election_poll_views, election_roll_views, election_views, home_views,
                       training_api, training_views)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Foreign keys are off by default in SQLite; WAL lets readers work while a polling team writes.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable at checkpoints, no fsync per commit
        cursor.close()


def _defaults(app: Flask) -> dict[str, Any]:
    return {
        "SECRET_KEY": None,  # required in production; development generates one (core/keys.py)
        "ENV_NAME": "production",  # fail closed: only "development" or "test" said explicitly relaxes the key
        "SIGNING_KEYS_RETIRED": [],
        # The configured clock (core/vietnamese.py): an ISO date that is "today" in development and test only.
        "TODAY": None,  # former SECRET_KEYs: their ballots and minutes still verify
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + os.path.join(app.instance_path, "dantin.sqlite"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "BABEL_TRANSLATION_DIRECTORIES": os.path.join(os.path.dirname(__file__), "translations"),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        # Login throttling (core/throttle.py): failures free per username and address, per address, the delay's cap.
        "LOGIN_FREE_FAILURES_PER_ACCOUNT": 5,
        "LOGIN_FREE_FAILURES_PER_ADDRESS": 10,
        "LOGIN_MAX_DELAY_MINUTES": 15,
        "LOGIN_MAX_ADDRESS_DELAY_SECONDS": 60,
        "TRUSTED_PROXIES": 0,  # reverse proxies in front of the app whose X-Forwarded-For/-Proto are believed
        "PER_PAGE": 50,
        "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
    }


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return "vi"


def configured_instance_path() -> str | None:
    """The instance folder from FLASK_INSTANCE_PATH (made absolute), else None: Flask's default, instance/ beside the
    code. Read before the app exists, as Flask fixes the folder when it makes the app."""
    folder = os.environ.get("FLASK_INSTANCE_PATH", "").strip()
    return os.path.abspath(folder) if folder else None


def create_app(overrides: dict[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    """The application; `instance_path` (absolute, else FLASK_INSTANCE_PATH, else ./instance): it holds the development
    secret key and the default SQLite database, nothing an app host shares with another (files are in the database,
    core.storage)."""
    app = Flask(__name__, instance_path=instance_path or configured_instance_path(), instance_relative_config=True)
    app.config.from_mapping(_defaults(app))
    app.config.from_prefixed_env()
    if overrides:
        app.config.update(overrides)
    configure_secret_key(app.config, app.instance_path)
    configure_clock(app.config, app.logger)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("postgres://") or uri.startswith("postgresql://"):
        # One variable away: accept the usual URL form and use psycopg 3.
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + uri.split("://", 1)[1]
    if uri.startswith("sqlite:///") and ":memory:" not in uri:
        os.makedirs(app.instance_path, exist_ok=True)
    if uri.startswith("sqlite"):
        # A file database never drops a connection: no ping before each checkout (a statement per request).
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {key: value for key, value in
                                                   app.config["SQLALCHEMY_ENGINE_OPTIONS"].items()
                                                   if key != "pool_pre_ping"}

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "migrations"))
    login_manager.init_app(app)
    login_manager.login_view = "core.login"
    login_manager.login_message = _l("Vui lòng đăng nhập để tiếp tục.")
    login_manager.login_message_category = "warning"
    core_auth.secure_sessions(app)  # cookie flags outside development, trusted proxies only when configured
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)

    app.url_map.converters["int"] = DatabaseIntConverter  # before the routes bind: every <int:…> is bounded
    for blueprint in (home_views.bp, core_views.bp, election_views.bp, candidates_views.bp, ballots_views.bp,
                      chapters_views.bp, training_views.bp, core_api.api_bp):
        app.register_blueprint(blueprint)
    csrf.exempt(core_api.api_bp)  # the API authenticates with bearer tokens, not cookies
    app.before_request(_fresh_request_state)
    app.before_request(check_request_input)  # first: no control character or huge id reaches a query
    app.before_request(enforce_declared_access)
    dbapi.init_app(app)
    install_security_headers(app)  # CSP, nosniff, Referrer-Policy, HSTS over TLS, no-store (core/headers.py)
    core_cli.register_cli(app)
    demo_cli.register_cli(app)
    _register_error_pages(app)
    _register_template_helpers(app)
    # Every model is imported by now: configure the mappers here, once per process, rather than in the
    # first request of each gunicorn worker (hundreds of milliseconds on election morning's first scans).
    configure_mappers()
    return app


def _fresh_request_state() -> None:
    """Resolve the user and the language afresh for every request, even when an app context outlives
    one request (the tests keep one open): Flask-Login and Flask-Babel cache both on the app context."""
    g.pop("_login_user", None)
    refresh()


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _register_error_pages(app: Flask) -> None:
    messages = {
        400: _l("Yêu cầu không hợp lệ."),
        401: _l("Bạn cần đăng nhập."),
        403: _l("Bạn không có quyền truy cập trang này."),
        404: _l("Không tìm thấy trang hoặc bản ghi."),
        405: _l("Thao tác không được hỗ trợ."),
        409: _l("Dữ liệu đã bị thay đổi bởi người khác. Vui lòng tải lại và thử lại."),
        413: _l("Tệp tải lên quá lớn."),
        429: _l("Quá nhiều lần thử. Vui lòng đợi rồi thử lại."),
        500: _l("Đã xảy ra lỗi hệ thống. Thao tác chưa được lưu; vui lòng thử lại hoặc báo quản trị viên."),
    }

    def respond(code: int, message: str):
        if _wants_json():
            return jsonify({"error": str(message)}), code
        return render_template("error.html", code=code, message=message), code

    @app.errorhandler(RuleViolation)
    def rule_violation(error: RuleViolation):
        db.session.rollback()
        if _wants_json():
            return jsonify({"errors": {error.field or "rule": error.message}}), 422
        return render_template("error.html", code=409, message=error.message), 409

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return respond(400, _l("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ (CSRF). Vui lòng tải lại trang."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        if code >= 500:
            db.session.rollback()
        # abort(403, "…") carries its own Vietnamese message; otherwise use the generic one for the code.
        custom = error.description and error.description != type(error).description
        message = error.description if custom else messages.get(code, error.name)
        body, status = respond(code, message)
        allow = {"Allow": ", ".join(error.valid_methods or ())} if isinstance(error, MethodNotAllowed) else {}
        return body, status, allow

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error on %s", request.path)
        return respond(500, messages[500])


def _register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["vn_date"] = format_date
    app.jinja_env.filters["vn_time"] = local_time
    app.jinja_env.filters["iso_vn_date"] = lambda text: format_date(date.fromisoformat(text)) if text else ""
    app.jinja_env.filters["tr"] = tr
    # A count or an amount (a dash, an empty cell or a text passes through unchanged).
    app.jinja_env.filters["num"] = lambda value, digits=0: (
        format_number(value, digits, page_language()) if isinstance(value, int | float) and not isinstance(value, bool)
        else value)
    app.jinja_env.filters["pct"] = lambda share, digits=2, none="—": format_percent(share, digits, page_language(),
                                                                                  none=none)

    def page_url(page_no: int) -> str:
        """The current page's URL with another page number (keeps the search and filters)."""
        args = request.args.to_dict()
        args["page"] = page_no
        return url_for(request.endpoint, **(request.view_args or {}), **args)

    app.jinja_env.globals["page_url"] = page_url

    # The packages' pages in the main menu, shown to the roles that may use them: (endpoint, label, prefix).
    package_menu = (
        ("candidates.index", _l("Ứng cử"), "candidates."),
        ("election.board", _l("Ngày bầu cử"), "election.board"),
        ("ballots.index", _l("Phiếu bầu"), "ballots."),
        ("chapters.dashboard", _l("Chi bộ, chỉ tiêu"), "chapters."),
        ("training.index", _l("Bồi dưỡng"), "training."),
    )

    def may_use(endpoint: str) -> bool:
        """Whether the current user's role passes the access declared on `endpoint` (links shown only then)."""
        access = declared_access(endpoint) if endpoint in app.view_functions else None
        return access is not None and (access.public or current_user.role in access.roles)

    def nav_items() -> list[dict[str, str]]:
        return [{"url": url_for(endpoint), "label": str(label), "prefix": prefix}
                for endpoint, label, prefix in package_menu if may_use(endpoint)]

    app.jinja_env.globals["nav_items"] = nav_items
    app.jinja_env.globals["may_use"] = may_use

    @app.context_processor
    def inject_globals() -> dict[str, Any]:
        return {"current_lang": select_locale(), "languages": LANGUAGES}
