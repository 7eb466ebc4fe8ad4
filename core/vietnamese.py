"""Vietnamese text and time: NFC normalisation, diacritic-insensitive folding for search, Vietnam's day and hour,
and the naive UTC timestamps stored in the database."""
from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone

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


def format_date(value, fmt: str = "%d/%m/%Y") -> str:
    """Vietnamese day/month/year, empty for None; a stored moment (naive UTC) is first put in Vietnam's time,
    so a poll opened at 06:30 on Sunday reads Sunday, not Saturday."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local_time(value, fmt)
    return value.strftime(fmt)


VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")  # Vietnam: UTC+7 all year (no daylight saving since 1975)


def in_vietnam(value: datetime) -> datetime:
    """A stored moment (naive UTC, as app.utcnow writes them) as Vietnam's clock shows it."""
    return value.replace(tzinfo=UTC).astimezone(VIETNAM_TIME)


def vietnam_today(now: datetime | None = None) -> date:
    """Today in Vietnam (or the day of `now`, a naive UTC moment), whatever the server's clock zone: on a UTC
    server election Sunday begins at 17:00 on Saturday, and date.today() would say Saturday until 07:00."""
    return local_date(now or datetime.now(UTC).replace(tzinfo=None))


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
    """Naive UTC timestamp: stored the same way on SQLite and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)
