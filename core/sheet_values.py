"""Values read from spreadsheet cells the same way by every import: dates and citizen IDs.

Pure: cells in, values or a problem code out; each import words the problem for its own page.
"""
from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta

from core.spreadsheets import Cell, cell_text

_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 (serials below 61 carry Excel's 1900 leap-year bug)
_EXCEL_SERIALS = range(61, 2_958_466)
YEAR_ONLY = range(1800, 2200)  # a bare number in this range is a year ("Năm sinh"), not an Excel serial


class DateError(ValueError):
    """A date cell that cannot be read; `code`: unreadable_date, two_digit_year, nonexistent_date, year_only."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def is_digits(text: str) -> bool:
    """ASCII digits only (str.isdigit() also accepts "²", which int() rejects)."""
    return text.isascii() and text.isdigit()


def ascii_digits(text: str) -> str:
    """Decimal digits of any script to ASCII ("０５１" -> "051"); every other character is kept as it is.

    Only Unicode decimal digits (category Nd) change: "²" (a superscript, category No) stays, so a check
    for ASCII digits refuses it instead of int() failing later.
    """
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(ch)) if not ch.isascii() and unicodedata.decimal(ch, None) is not None
                   else ch for ch in text)


def clean_citizen_id(value: Cell | object) -> str:
    """A citizen ID cell as text: spaces and dots removed, digits in ASCII, leading zeros restored.

    Every province code is below 100, so every real number starts with "0"; a 10- or 11-digit value that
    does not start with "0" has lost its zeros (a numeric cell, or a CSV saved by Excel).
    """
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    else:
        text = cell_text(value) if isinstance(value, (str, float, date, bool)) or value is None else str(value)
        text = ascii_digits(unicodedata.normalize("NFC", text))
        text = "".join(text.split()).replace(".", "")
        if text.startswith("'"):  # Excel's "keep as text" marker typed by hand
            text = text[1:]
    if is_digits(text) and 10 <= len(text) <= 11 and text[0] != "0":
        text = text.zfill(12)
    return text


def parse_date(value: Cell | object, year_only: bool = False) -> date | int:
    """A date cell: a date or datetime, an Excel serial, d/m/yyyy, dd-mm-yyyy, dd.mm.yyyy or yyyy-mm-dd.

    With `year_only`, a bare year (1800-2199) is returned as an int ("Năm sinh" columns). Raises DateError;
    a two-digit year (05/09/80) is refused with its own code: the century cannot be guessed.
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool) or value is None:
        raise DateError("unreadable_date")
    if isinstance(value, (int, float)):
        return _from_number(value, year_only)
    text = ascii_digits(value.strip() if isinstance(value, str) else str(value))
    text = text.split(" ", 1)[0].split("T", 1)[0]  # "1980-05-01 00:00:00" from a datetime exported as text
    if is_digits(text):
        return _from_number(int(text), year_only)
    for separator in ("/", "-", "."):
        if separator in text:
            parts = text.split(separator)
            break
    else:
        raise DateError("unreadable_date")
    if len(parts) != 3 or not all(is_digits(part) for part in parts):
        raise DateError("unreadable_date")
    if len(parts[0]) == 4:  # yyyy-mm-dd
        year_text, month_text, day_text = parts
    else:  # dd/mm/yyyy, d/m/yyyy: Vietnamese order, never mm/dd
        day_text, month_text, year_text = parts
    if len(year_text) != 4:
        raise DateError("two_digit_year" if len(year_text) == 2 else "unreadable_date")
    try:
        return date(int(year_text), int(month_text), int(day_text))
    except ValueError as exc:
        raise DateError("nonexistent_date") from exc


def _from_number(number: float, year_only: bool) -> date | int:
    if float(number).is_integer() and int(number) in YEAR_ONLY:
        if year_only:
            return int(number)
        raise DateError("year_only")  # as a serial it would be a day of 1904-1906: surely a year
    serial = int(number)  # the fraction is the time of day
    if serial not in _EXCEL_SERIALS:
        raise DateError("unreadable_date")
    return _EXCEL_EPOCH + timedelta(days=serial)

