"""Vietnamese text and time: NFC normalisation, diacritic-insensitive folding for search, Vietnam's day and hour,
and the naive UTC timestamps stored in the database.

The clock: outside production a configured day (`TODAY`, env FLASK_TODAY=2022-05-22) shifts the whole clock by whole
days, so the demo and the browser tests run as if today were the demo's election Sunday: `vietnam_today()`, the
timestamps written by `utcnow()` and so every dated document agree with each other. Production ignores it (and
create_app logs a warning): there the date rules always see Vietnam's real day.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import MutableMapping
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from flask import current_app, has_app_context

from core.keys import PRODUCTION, environment

_SPACES = re.compile(r"\s+")


def nfc(text: str | None) -> str:
    """NFC-normalise and collapse white space (decomposed input misplaces tone marks)."""
    if text is None:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def fold(text: str | None) -> str:
    """Lower-case ASCII form for search: "Nguyễn Văn Đức" -> "nguyen van duc"."""
    decomposed = unicodedata.normalize("NFD", nfc(text).replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return stripped.lower()


def capitalise(text: str) -> str:
    """The first letter in capitals, the rest as written: a label opening a line or a cell ("trình độ học vấn
    phổ thông" → "Trình độ học vấn phổ thông"); unlike str.capitalize it never lower-cases a name or "THPT"."""
    return text[:1].upper() + text[1:]


def format_date(value, fmt: str = "%d/%m/%Y") -> str:
    """Vietnamese day/month/year, empty for None; a stored moment (naive UTC) is first put in Vietnam's time,
    so a poll opened at 06:30 on Sunday reads Sunday, not Saturday."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local_time(value, fmt)
    return value.strftime(fmt)


_VI_SEPARATORS = str.maketrans(",.", ".,")


def format_number(value: float | int, digits: int = 0, lang: str = "vi") -> str:
    """12345.6 -> "12.345,6": Vietnamese thousands dot and decimal comma (English: "12,345.6"); the one number
    format of pages, PDFs and messages (issue 17)."""
    text = f"{value:,.{digits}f}"
    return text.translate(_VI_SEPARATORS) if lang == "vi" else text


def format_percent(share: Any, digits: int = 2, lang: str = "vi", trim: bool = False, none: str = "—") -> str:
    """A share (0.5324, a Fraction) as a percentage: "53,24%" in Vietnamese, "53.24%" in English; `none` when the
    share is undefined (nobody to count); `trim` drops trailing zeros ("50%" rather than "50,00%")."""
    if share is None:
        return none
    text = format_number(float(share) * 100, digits, lang)
    if trim and digits:
        decimal = "," if lang == "vi" else "."
        text = text.rstrip("0").rstrip(decimal)
    return text + "%"


VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")  # Vietnam: UTC+7 all year (no daylight saving since 1975)


def in_vietnam(value: datetime) -> datetime:
    """A stored moment (naive UTC, as app.utcnow writes them) as Vietnam's clock shows it."""
    return value.replace(tzinfo=UTC).astimezone(VIETNAM_TIME)


def vietnam_today(now: datetime | None = None) -> date:
    """Today in Vietnam (or the day of `now`, a naive UTC moment), whatever the server's clock zone: on a UTC
    server election Sunday begins at 17:00 on Saturday, and date.today() would say Saturday until 07:00.
    Outside production the configured day (TODAY) is today."""
    return local_date(now or utcnow())


def local_date(value: datetime) -> date:
    """The day in Vietnam of a stored moment: minutes received at 06:00 on Monday count from Monday."""
    return in_vietnam(value).date()


def local_time(value: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """A stored moment in Vietnam's time; empty for None."""
    return "" if value is None else in_vietnam(value).strftime(fmt)


def long_date(value) -> str:
    """'ngày 22 tháng 5 năm 2022' as administrative documents write it."""
    return f"ngày {value.day:02d} tháng {value.month:02d} năm {value.year}"


def utcnow() -> datetime:
    """Naive UTC timestamp: stored the same way on SQLite and PostgreSQL. Outside production, with a configured
    day (TODAY), the moment is moved by whole days so that Vietnam's date is that day (the time of day is real)."""
    real = datetime.now(UTC).replace(tzinfo=None)
    configured = configured_today()
    return real if configured is None else real + (configured - local_date(real))


def configured_today() -> date | None:
    """The day the clock is set to (TODAY), or None: always None in production, whatever the configuration says."""
    if not has_app_context():
        return None
    value = current_app.config.get("TODAY")
    if not value or environment(current_app.config.get("ENV_NAME")) == PRODUCTION:
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def configure_clock(config: MutableMapping[str, Any], logger: logging.Logger) -> None:
    """Check TODAY (FLASK_TODAY, ISO date) once at start: a date outside production, dropped with a warning in
    production (the date rules must see the real day there); an unreadable value stops the start."""
    value = config.get("TODAY")
    if not value:
        config["TODAY"] = None
        return
    if environment(config.get("ENV_NAME")) == PRODUCTION:
        logger.warning("FLASK_TODAY=%s is ignored: the configured day only applies when ENV_NAME is development or "
                       "test; production uses Vietnam's real date.", value)
        config["TODAY"] = None
        return
    try:
        config["TODAY"] = value if isinstance(value, date) else date.fromisoformat(str(value).strip())
    except ValueError as error:
        raise ValueError(f"FLASK_TODAY must be an ISO date such as 2022-05-22, not {value!r}") from error


def moment_on(day: date) -> datetime:
    """Now's time of day in Vietnam on `day`, as a naive UTC moment (when a step is recorded for a given day)."""
    clock = in_vietnam(utcnow()).time()
    return datetime.combine(day, time(clock.hour, clock.minute, clock.second), tzinfo=VIETNAM_TIME) \
        .astimezone(UTC).replace(tzinfo=None)
