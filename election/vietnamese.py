"""Vietnamese text: NFC normalisation and diacritic-insensitive folding for search."""
from __future__ import annotations

import re
import unicodedata

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
    """Vietnamese day/month/year, empty for None."""
    return "" if value is None else value.strftime(fmt)


def long_date(value) -> str:
    """'ngày 22 tháng 5 năm 2022' as administrative documents write it."""
    return f"ngày {value.day:02d} tháng {value.month:02d} năm {value.year}"
