"""The demo's days: the seed and the rehearsal record each step on the day it would have been taken.

Everything the app stamps (audit entries, confirmations, imports, printed batches, check-ins) reads the configured
clock (core.vietnamese.utcnow, TODAY). `on_day` sets that clock to a day of the demo's term while a step is taken, so
a list is confirmed before the notice is posted, a roll imported before election Sunday, and nothing is dated after
the demo's "today" nor before the term's decision. Outside production only, as the configured clock itself.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import click
from flask import current_app

from core.vietnamese import configured_today
from extensions import db


@contextmanager
def on_day(day: date, required: bool = True) -> Iterator[None]:
    """Run the block with the app's clock on `day` (Vietnam's date; the time of day stays the real one); what it
    changed is flushed before the clock goes back, so its audit entries are stamped on that day too. `required`:
    refuse where the configured clock is ignored (production), rather than date the steps today."""
    config = current_app.config
    before = config.get("TODAY")
    config["TODAY"] = day
    try:
        if required and configured_today() != day:
            raise click.ClickException(
                "Diễn tập ghi từng bước vào ngày của nó (đồng hồ cấu hình, FLASK_TODAY), điều chỉ có ngoài môi "
                "trường production: hãy chạy với FLASK_ENV_NAME=development (như `make run`).")
        yield
        db.session.flush()
    finally:
        config["TODAY"] = before
