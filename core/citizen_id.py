"""The 12-digit citizen identity number (số định danh cá nhân / CCCD).

Structure (Decree 137/2015/NĐ-CP art. 7, Circular 07/2016/TT-BCA annex): 3 digits for the province of birth
registration, 1 digit for sex and century of birth, 2 digits for the year of birth, 6 random digits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# Province codes of the 63 provinces before the 2025 merger (Circular 07/2016/TT-BCA annex); kept because
# numbers already issued keep their original code.
PROVINCE_CODES: frozenset[str] = frozenset(
    f"{code:03d}"
    for code in (
        1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37, 38,
        40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77, 79, 80,
        82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
    )
)
# Sex and century digit: 0/1 = male/female born 1900-1999, 2/3 = 2000-2099, 4/5 = 2100-2199 ...
_CENTURY_BASE = {0: 1900, 1: 1900, 2: 2000, 3: 2000, 4: 2100, 5: 2100, 6: 2200, 7: 2200, 8: 1800, 9: 1800}


@dataclass(frozen=True)
class CitizenIdProblem:
    message: str
    message_en: str


def citizen_id_problem(value: str, birth_date: date | None = None, sex: str | None = None) -> CitizenIdProblem | None:
    """None when `value` is a well-formed 12-digit number consistent with the birth year and sex given."""
    # isascii(): str.isdigit() also accepts "²" and other digits that int() below would refuse with a ValueError.
    if len(value) != 12 or not (value.isascii() and value.isdigit()):
        return CitizenIdProblem("Số định danh cá nhân phải gồm đúng 12 chữ số.",
                                "The citizen ID must have exactly 12 digits.")
    if value[:3] not in PROVINCE_CODES:
        return CitizenIdProblem(f"Mã tỉnh «{value[:3]}» trong số định danh không tồn tại.",
                                f"Province code {value[:3]} in the citizen ID does not exist.")
    century_digit = int(value[3])
    year = _CENTURY_BASE[century_digit] + int(value[4:6])
    if birth_date is not None and birth_date.year != year:
        return CitizenIdProblem(
            f"Số định danh ghi năm sinh {year}, không khớp năm sinh {birth_date.year}.",
            f"The citizen ID encodes birth year {year}, not {birth_date.year}.")
    if sex in ("male", "female") and (century_digit % 2 == 1) != (sex == "female"):
        return CitizenIdProblem("Số định danh không khớp giới tính đã khai.",
                                "The citizen ID does not match the declared sex.")
    return None


def make_citizen_id(province_code: str, birth_date: date, sex: str, tail: int) -> str:
    """Build a well-formed number (used by the demo seed and the tests)."""
    century_digit = (birth_date.year - 1900) // 100 * 2 + (1 if sex == "female" else 0)
    return f"{province_code}{century_digit}{birth_date.year % 100:02d}{tail % 1_000_000:06d}"


MASK = "•"


def masked(value: str | None) -> str:
    """The citizen ID with all but its last 4 digits hidden ("••••••••1234"), for whoever does not need the whole
    number (Decree 13/2023/NĐ-CP on personal data): the observer, the polling team's API, a roll posted publicly."""
    value = value or ""
    if len(value) <= 4:
        return MASK * len(value)
    return MASK * (len(value) - 4) + value[-4:]
