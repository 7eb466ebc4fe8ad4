"""The one way a change is committed: with its audit summary, a concurrent change answering 409."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from flask import abort, request
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from core.audit import describe
from core.errors import StaleWrite
from extensions import db

T = TypeVar("T")
STALE_ERRORS = (StaleWrite, StaleDataError, IntegrityError, OperationalError)


def commit(summary: str | None = None) -> None:
    """Commit the session's change with its audit summary (None: the one a service already gave, or the entries
    written by record()); a concurrent change (a stale version, a lost race on a unique key, a locked database)
    rolls back and answers 409."""
    if summary is not None:
        describe(summary)
    with _conflicts_answer_409():
        db.session.commit()


def act(summary: str, work: Callable[[], T]) -> T:
    """Run a change (a guarded model method, a service function) and commit it with its audit summary."""
    with _conflicts_answer_409():  # the work's own flush may already meet the concurrent change
        value = work()
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
        abort(409, StaleWrite.message)


def expected_version() -> int | None:
    return request.form.get("version", type=int)
