"""Retried form submissions are recognised: an idempotency key sent with a form is recorded with the change.

A page of election day renders its form with a random key (core.forms.idempotency_key_field); the phone keeps the key
with what was typed (static/keep_form.js) and sends the same key on every retry. The view is wrapped in
@idempotent: the first submission that commits a change writes an IdempotencyRecord (key, user, route) in the same
transaction as that change (core.transactions.commit calls attach_pending), and then the outcome the user saw (the
redirect and the flashed messages). A retry with a recorded key replays that outcome ("Đã nhận lần gửi này trước
đó") instead of running the view again, so a lost response never becomes a second entry nor a "changed by someone
else" refusal. The same key from another user or for another route is refused.

The per-ballot scans keep their key in their own row (BallotScan.idempotency_key, the JSON API's Idempotency-Key
header); check-ins are idempotent by their unique (poll, household). This table is for the HTML forms.
"""
from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

import sqlalchemy as sa
from flask import Response, flash, g, has_request_context, jsonify, make_response, redirect, request, session
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.exceptions import Conflict

from core.errors import RuleViolation
from core.vietnamese import utcnow
from extensions import Model, db

KEY_MAX = 80  # as BallotScan.idempotency_key
KEY_FIELD = "idempotency_key"  # the hidden form field
KEY_HEADER = "Idempotency-Key"  # the header the scan API reads: accepted here too
KEPT_HEADER = "X-Kept-Form"  # sent by static/keep_form.js: answer a redirect as JSON, keep the flashes for the page
KEEP_DAYS = 14  # default age after which `flask idempotency prune` deletes records
_KEY = re.compile(r"[A-Za-z0-9_-]{16,80}")


class IdempotencyRecord(Model):
    """One form submission that changed something, and what its sender was shown. Not audited (the change it
    made is); deleted after some days (`flask idempotency prune`)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(KEY_MAX), unique=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    route: Mapped[str] = mapped_column(sa.String(300))  # the path the form was posted to
    redirect_url: Mapped[str] = mapped_column(sa.String(500), default="")  # "" until the response is known
    flashes: Mapped[str] = mapped_column(sa.Text, default="[]")  # JSON [[category, message], ...]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


def new_key() -> str:
    """A fresh key for a rendered form (32 URL-safe characters)."""
    return secrets.token_urlsafe(24)


def submitted_key() -> str:
    """The key of this request (form field, else the Idempotency-Key header); "" when none was sent. A malformed
    key is refused."""
    key = (request.form.get(KEY_FIELD) or request.headers.get(KEY_HEADER) or "").strip()
    if key and not _KEY.fullmatch(key):
        raise RuleViolation("Mã chống gửi trùng không hợp lệ; hãy tải lại trang.", KEY_FIELD)
    return key


def recorded(key: str) -> IdempotencyRecord | None:
    return db.session.scalar(sa.select(IdempotencyRecord).where(IdempotencyRecord.key == key))


def _route() -> str:
    return request.path[:300]


def _check_owner(record: IdempotencyRecord) -> None:
    user_id = current_user.id if current_user.is_authenticated else None
    if record.user_id != user_id or record.route != _route():
        raise RuleViolation("Mã chống gửi trùng này đã dùng cho một lần gửi khác (người khác hoặc trang khác); "
                            "hãy tải lại trang rồi nhập lại.", KEY_FIELD)


def attach_pending() -> None:
    """Called by core.transactions.commit before it commits: the key of the request being served, if its view is
    @idempotent and nothing recorded it yet, is added to the transaction of the change."""
    if not has_request_context():
        return
    pending = g.get("idempotency_pending")
    if not pending or g.get("idempotency_record") is not None:
        return
    record = IdempotencyRecord(key=pending, user_id=current_user.id if current_user.is_authenticated else None,
                               route=_route())
    db.session.add(record)
    g.idempotency_record = record


def _replay(record: IdempotencyRecord) -> Response:
    flash(_("Đã nhận lần gửi này trước đó."), "info")
    try:
        shown = json.loads(record.flashes or "[]")
    except ValueError:
        shown = []
    for category, message in shown:
        flash(message, category)
    return _answer(redirect(record.redirect_url or request.path), saved=True)


def _answer(response: Any, saved: bool) -> Response:
    """A redirect to a kept form's script becomes {"redirect", "saved"} (the flashes stay for the next page)."""
    response = make_response(response)
    if request.headers.get(KEPT_HEADER) and 300 <= response.status_code < 400:
        return jsonify({"redirect": response.location, "saved": saved})
    response.headers["X-Kept-Saved"] = "1" if saved else "0"
    return response


def _flashes_since(start: int) -> list:
    return [list(item) for item in session.get("_flashes", [])[start:]]


def _drop_flashes_since(start: int) -> None:
    if "_flashes" in session:
        session["_flashes"] = session["_flashes"][:start]


def idempotent(view: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a form's view (GET passes through): a POST whose key is recorded replays its outcome; otherwise the view
    runs and, when it commits a change, the key is recorded with it and then with the response the user got."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if request.method != "POST":
            return view(*args, **kwargs)
        key = submitted_key()
        if not key:
            return view(*args, **kwargs)
        earlier = recorded(key)
        if earlier is not None:
            _check_owner(earlier)
            return _replay(earlier)
        start = len(session.get("_flashes", []))
        g.idempotency_pending, g.idempotency_record = key, None
        try:
            response = view(*args, **kwargs)
        except (Conflict, RuleViolation):
            # A twin of this request (a double tap, a retry sent while the first was still running) committed
            # first: its record answers; anything else is a real conflict.
            db.session.rollback()
            earlier = recorded(key)
            if earlier is None:
                raise
            _check_owner(earlier)
            _drop_flashes_since(start)
            return _replay(earlier)
        finally:
            g.idempotency_pending = None
        record = g.get("idempotency_record")
        if record is None:
            earlier = recorded(key)  # refused here because a twin got there first (e.g. "you already entered")
            if earlier is not None and earlier.user_id == (current_user.id if current_user.is_authenticated
                                                            else None) and earlier.route == _route():
                _drop_flashes_since(start)
                return _replay(earlier)
            return _answer(response, saved=False)
        if isinstance(response, Response) and 300 <= response.status_code < 400:
            record.redirect_url = (response.location or "")[:500]
        record.flashes = json.dumps(_flashes_since(start), ensure_ascii=False)
        db.session.commit()
        return _answer(response, saved=True)

    return wrapper


def prune(days: int = KEEP_DAYS) -> int:
    """Delete the records older than `days` (a phone retries within hours, not weeks); how many were deleted."""
    old = IdempotencyRecord.created_at < utcnow() - timedelta(days=days)
    removed = db.session.scalar(sa.select(sa.func.count(IdempotencyRecord.id)).where(old)) or 0
    db.session.execute(sa.delete(IdempotencyRecord).where(old))
    db.session.commit()
    return removed
