"""The one way a change is committed: with its audit summary, a concurrent change answering 409."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from flask import abort, request
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from core.audit import describe, record
from core.errors import StaleWrite
from core.idempotency import attach_pending
from core.labels import N_
from extensions import db

T = TypeVar("T")
# StaleWrite.message, marked for the catalogue: the page that lost the race reads it in the user's language.
STALE_MESSAGE = N_("Dữ liệu vừa được người khác thay đổi, hãy tải lại trang.")
STALE_ERRORS = (StaleWrite, StaleDataError, IntegrityError, OperationalError)


def commit(summary: str | None = None) -> None:
    """Commit the session's change with its audit summary (None: the one a service already gave, or the entries
    written by record()); a concurrent change (a stale version, a lost race on a unique key, a locked database)
    rolls back and answers 409."""
    if summary is not None:
        describe(summary)
    attach_pending()  # a retried form's key (core.idempotency), recorded in the change's own transaction
    with _conflicts_answer_409():
        db.session.commit()


def act(summary: str | None, work: Callable[[], T]) -> T:
    """Run a change (a guarded model method, a service function) and commit it with its audit summary (None: the
    one the service gave)."""
    if summary is not None:
        describe(summary)  # before the work: its own flushes write audit entries already
    try:
        with _conflicts_answer_409():  # the work's own flush may already meet the concurrent change
            value = work()
    except Exception:
        db.session.info.pop("audit_summary", None)  # a refused change leaves no summary for a later commit
        raise
    commit(summary)
    return value


@contextmanager
def _conflicts_answer_409() -> Iterator[None]:
    try:
        yield
    except STALE_ERRORS as error:
        db.session.rollback()
        if isinstance(error, OperationalError) and "locked" not in str(error).lower():
            raise
        abort(409, _(STALE_MESSAGE))


def audit_export(summary: str, record_type: str, record_id: int | str,
                 scope: tuple[int | None, int | None, int | None]) -> None:
    """Record an export of personal data (whole citizen IDs) before it is sent: the entry names who exported
    what (Decree 13/2023/NĐ-CP); committed at once, so the file never leaves unrecorded."""
    record("export", record_type, record_id, summary=summary[:300], scope=scope)
    commit(summary[:300])


def expected_version() -> int | None:
    return request.form.get("version", type=int)


def check_version(record: Any) -> None:
    """The version the page was loaded with (the form's `version`), if sent, must still be the record's: a second
    click or a colleague's change since answers 409 through act() rather than acting twice."""
    expected = expected_version()
    if expected is not None and expected != record.version:
        raise StaleWrite()
