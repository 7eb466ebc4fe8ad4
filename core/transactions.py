"""The one way a change is committed: with its audit summary, a concurrent change answering 409."""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import abort, request
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from core.audit import describe
from core.errors import StaleWrite
from extensions import db

T = TypeVar("T")


STALE_ERRORS = (StaleWrite, StaleDataError, IntegrityError, OperationalError)


def act(summary: str, work: Callable[[], T]) -> T:
    """Run a change and commit it with its audit summary; a concurrent change answers 409."""
    describe(summary)
    try:
        value = work()
        db.session.commit()
    except STALE_ERRORS as error:
        db.session.rollback()
        if isinstance(error, OperationalError) and "locked" not in str(error).lower():
            raise
        abort(409, StaleWrite.message)
    return value


def expected_version() -> int | None:
    return request.form.get("version", type=int)
