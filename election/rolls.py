"""Household voter rolls (R-V1): read the commune's CSV/XLSX file, validate it, fingerprint the result.

Pure module: bytes and plain values in, immutable values out (frozen dataclasses; the per-row RawRow and
RollRow are named tuples for speed); no Flask or database import. The import is all or nothing: the caller stores the rows only when `validate_roll(...).ok` is True.

    table = read_rows(upload.filename, upload.read())          # may raise RollFileError
    preview = validate_roll(table, RollContext("Thôn An Phú", election_day=date(2025, 6, 8)))
    if preview.ok: ... store preview.rows ...; fp = roll_fingerprint(
        (r.household_no, r.full_name, r.citizen_id) for r in preview.rows)
"""
from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from itertools import repeat
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from operator import itemgetter
from typing import NamedTuple

from core.citizen_id import citizen_id_problem
from core.labels import N_
from core.sheet_layout import (
    SUB_SEPARATOR,
    Footer,
    SheetChoiceNeeded,
    find_footer,
    find_header,
    label_key,
    missing_fields,
    read_list_sheet,
    sheet_notes,
)
from core.sheet_values import DateError, clean_citizen_id, is_digits, parse_date
from core.spreadsheets import Cell, RawRow, SheetFileError, SheetLimits, cell_text, csv_bytes, without_gc
from core.vietnamese import nfc

# ---------------------------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RollRules:
    """Rule-set values for voter rolls (configurable; the UI shows which value applied)."""

    # R-V1 (Law 10/2022/QH15 art. 2, Decree 59/2023/NĐ-CP art. 6): the household representative who votes
    # must be an adult with full civil capacity, i.e. aged 18 or more in full years on election day. Setting.
    min_voter_age: int = 18
    # Plausibility bound, not a legal rule: a birth date giving an older age is treated as a typing error.
    max_plausible_age: int = 120


@dataclass(frozen=True)
class RollContext:
    """What a roll is checked against: the target hamlet, election day, people on other hamlets' rolls."""

    hamlet_name: str
    election_day: date
    hamlet_aliases: tuple[str, ...] = ()
    # citizen ID -> hamlet name, for people already on the roll of another hamlet of the commune/district.
    # citizen ID -> the other hamlet holding it; None: a hamlet the reader may not be told (another commune's)
    registered_elsewhere: Mapping[str, str | None] = field(default_factory=dict)
    rules: RollRules = RollRules()


# ---------------------------------------------------------------------------------------------------------
# Columns
# ---------------------------------------------------------------------------------------------------------

REQUIRED_FIELDS: tuple[str, ...] = ("household_no", "full_name", "citizen_id", "birth_date")
OPTIONAL_FIELDS: tuple[str, ...] = ("sex", "hamlet", "address", "phone")
# A two-row header "Năm sinh" over "Nam" | "Nữ": the birth date is written under the person's sex.
SPLIT_BIRTH_FIELDS: dict[str, str] = {"birth_male": "male", "birth_female": "female"}
# find_header's required fields: the birth date may be one column or split by sex.
_REQUIRED_LAYOUT = ("household_no", "full_name", "citizen_id", ("birth_date", *SPLIT_BIRTH_FIELDS))

FIELD_LABELS: dict[str, str] = {
    "household_no": N_("Số hộ"),
    "full_name": N_("Họ và tên"),
    "citizen_id": N_("Số định danh cá nhân (CCCD)"),
    "birth_date": N_("Ngày sinh"),
    "birth_male": N_("Ngày sinh (cột Nam)"),
    "birth_female": N_("Ngày sinh (cột Nữ)"),
    "sex": N_("Giới tính"),
    "hamlet": N_("Thôn/Tổ dân phố"),
    "address": N_("Địa chỉ"),
    "phone": N_("Số điện thoại"),
}

# Header cells are compared after fold() and punctuation removal: "Họ và tên (*)" -> "ho va ten".
_HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "household_no": (
        "so ho", "ma ho", "so so ho khau", "so ho khau", "ma so ho", "ma ho gia dinh", "so ho gia dinh",
        "ma so ho gia dinh", "so thu tu ho", "stt ho", "household", "household no", "household number",
        "household id",
    ),
    "full_name": (
        "ho va ten", "ho ten", "ho va ten cu tri", "ho ten cu tri", "ho ten chu ho", "ho va ten chu ho",
        "ho ten nguoi dai dien", "ho va ten nguoi dai dien", "nguoi dai dien ho", "dai dien ho",
        "ho va ten dai dien ho", "ho ten dai dien ho", "ten", "full name", "name",
    ),
    "citizen_id": (
        "so cccd", "cccd", "so can cuoc", "can cuoc", "so can cuoc cong dan", "so dinh danh",
        "so dinh danh ca nhan", "ma dinh danh", "dinh danh", "so cmnd cccd", "cmnd cccd", "so cccd cmnd",
        "cccd cmnd", "so cmnd", "cmnd", "citizen id", "id number",
    ),
    "birth_date": (
        "ngay sinh", "ngay thang nam sinh", "nam sinh", "sinh ngay", "birth date", "date of birth", "dob",
        "birthday",
    ),
    "sex": ("gioi tinh", "gioi", "phai", "nam nu", "sex", "gender"),
    "hamlet": (
        "thon", "to dan pho", "tdp", "thon to dan pho", "thon tdp", "thon to", "ap", "xom", "khu pho",
        "thon xom", "hamlet",
    ),
    "address": (
        "dia chi", "noi o", "noi o hien nay", "cho o hien nay", "noi thuong tru", "dia chi thuong tru",
        "noi cu tru", "address",
    ),
    "phone": ("so dien thoai", "dien thoai", "sdt", "dt", "so dt", "phone", "phone number"),
}
_EXACT_HEADERS: dict[str, str] = {alias: name for name, aliases in _HEADER_ALIASES.items() for alias in aliases}
# Fallback for longer headers ("Số định danh cá nhân/CCCD (12 số)"): first keyword found wins, in this order.
_HEADER_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("cccd", "citizen_id"), ("dinh danh", "citizen_id"), ("can cuoc", "citizen_id"),
    ("ngay sinh", "birth_date"), ("nam sinh", "birth_date"),
    ("ho khau", "household_no"), ("so ho", "household_no"), ("ma ho", "household_no"),
    ("ho va ten", "full_name"), ("ho ten", "full_name"),
    ("gioi tinh", "sex"), ("dien thoai", "phone"), ("dia chi", "address"),
    ("to dan pho", "hamlet"), ("thon", "hamlet"),
)
_HEADER_SEARCH_ROWS = 10  # a title block above the header row is common; look this far down
_MIN_HEADER_MATCHES = 2

TEMPLATE_HEADERS: tuple[str, ...] = (
    "Số hộ", "Họ và tên", "Số định danh cá nhân (CCCD)", "Ngày sinh (dd/mm/yyyy)", "Giới tính",
    "Thôn/Tổ dân phố", "Địa chỉ", "Số điện thoại",
)


header_key = label_key  # "Số CCCD:" -> "so cccd"


def _field_of(key: str) -> str | None:
    """The field a header key names: an exact alias, else the first keyword found."""
    name = _EXACT_HEADERS.get(key)
    if name is None and key:
        padded = f" {key} "
        name = next((field for keyword, field in _HEADER_KEYWORDS if f" {keyword} " in padded), None)
    return name


def _map_headers(cells: Iterable[Cell]) -> dict[str, int]:
    """Canonical field -> column index for one candidate header row (exact aliases first, then keywords).

    A two-row label "Năm sinh | Nam" / "Năm sinh | Nữ" names the birth date of men / women (SPLIT_BIRTH_FIELDS);
    other two-row labels are read as one ("Số | CCCD" -> "so cccd").
    """
    labels = [cell_text(cell) for cell in cells]
    keys = [header_key(label) for label in labels]
    columns: dict[str, int] = {}
    for index, label in enumerate(labels):
        if SUB_SEPARATOR not in label:
            continue
        top, _, sub = label.partition(SUB_SEPARATOR)
        sex = _SEX_VALUES.get(header_key(sub))
        if sex is not None and _field_of(header_key(top)) == "birth_date":
            columns.setdefault(f"birth_{sex}", index)
            keys[index] = ""  # taken
    for index, key in enumerate(keys):
        name = _EXACT_HEADERS.get(key)
        if name is not None and name not in columns:
            columns[name] = index
    taken = set(columns.values())
    for index, key in enumerate(keys):
        if index in taken or not key:
            continue
        padded = f" {key} "
        for keyword, name in _HEADER_KEYWORDS:
            if name not in columns and f" {keyword} " in padded:
                columns[name] = index
                break
    return columns


# ---------------------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RawTable:
    """The cells of a roll file below its header row, with the header mapped to canonical fields."""

    source: str  # "csv" or "spreadsheet"
    headers: tuple[str, ...]  # the header row as written (NFC); "Năm sinh | Nam" under a two-row header
    header_line: int
    columns: Mapping[str, int]  # canonical field -> column index
    rows: tuple[RawRow, ...]  # the data: below the header, above the footer
    encoding: str | None = None  # CSV only
    delimiter: str | None = None  # CSV only
    sub_header_line: int | None = None  # the header's second row, if it has two
    footer: Footer | None = None  # rows left out under the data (totals, signatures), for the preview page
    sheet: str | None = None  # the sheet read (a workbook)
    notes: tuple[str, ...] = ()  # how the file was read (core.sheet_layout.sheet_notes), for the preview page
    other_sheets: tuple[str, ...] = ()  # the workbook's other sheets holding data (the preview offers them)

    @property
    def header_lines(self) -> str:
        """"3", or "3–4" for a two-row header."""
        return f"{self.header_line}–{self.sub_header_line}" if self.sub_header_line else str(self.header_line)

    @property
    def ignored_headers(self) -> tuple[str, ...]:
        """Header cells that map to no field (STT, Ghi chú, ...), for the preview page."""
        used = set(self.columns.values())
        return tuple(h for i, h in enumerate(self.headers) if i not in used and h)


class RollFileError(SheetFileError):
    """The file cannot be used as a roll (unreadable, no header, a required column missing)."""


def read_rows(filename: str, data: bytes, sheet: str | None = None, limits: SheetLimits | None = None) -> RawTable:
    """Read a CSV or spreadsheet roll file; raise RollFileError when it cannot be used, SheetChoiceNeeded when
    several sheets hold a roll and none is named."""
    try:
        read = read_list_sheet(filename, data, _has_header, sheet, limits)
    except SheetChoiceNeeded:
        raise
    except SheetFileError as error:
        raise RollFileError(error.message, error.message_en) from error
    table = _table(read.source, read.rows, encoding=read.encoding, delimiter=read.delimiter)
    return replace(table, sheet=read.name, notes=tuple(sheet_notes(read)),
                   other_sheets=tuple(info.name for info in read.other_sheets))


def _has_header(rows: Sequence[RawRow]) -> bool:
    return find_header(rows, _map_headers, _REQUIRED_LAYOUT, _HEADER_SEARCH_ROWS, _MIN_HEADER_MATCHES) is not None


def _table(source: str, rows: list[RawRow], encoding: str | None = None, delimiter: str | None = None) -> RawTable:
    header = find_header(rows, _map_headers, _REQUIRED_LAYOUT, _HEADER_SEARCH_ROWS, _MIN_HEADER_MATCHES)
    if header is None:
        raise RollFileError(
            "Không tìm thấy dòng tiêu đề (cần các cột Số hộ, Họ và tên, Số định danh cá nhân, Ngày sinh).",
            "No header row found (columns needed: household number, full name, citizen ID, birth date).")
    columns = header.columns
    missing = missing_fields(columns, _REQUIRED_LAYOUT)
    if missing:
        raise RollFileError(
            "Thiếu cột: " + ", ".join(FIELD_LABELS[name] for name in missing) + ".",
            "Missing column(s): " + ", ".join(name.replace("_", " ") for name in missing) + ".")
    start = header.data_start
    end, footer = find_footer(rows, columns.values(), start, header.last_line)
    if start >= end:
        raise RollFileError("Tệp không có dòng dữ liệu nào dưới dòng tiêu đề.",
                            "The file has no data rows below the header row.")
    return RawTable(source=source, headers=header.labels, header_line=header.line, columns=columns,
                    rows=tuple(rows[start:end]), encoding=encoding, delimiter=delimiter,
                    sub_header_line=header.sub_line, footer=footer)


_new_tuple = tuple.__new__
_is_nfc = unicodedata.is_normalized
_normalize = unicodedata.normalize


def _clean(cell: Cell) -> str:
    """Same result as vietnamese.nfc() on the cell's text, with a fast path for text already in NFC."""
    text = cell_text(cell)
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return " ".join(text.split())  # str.split() and nfc()'s \s+ agree on what white space is


# ---------------------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------------------

class RollRow(NamedTuple):
    """One person on the roll (an immutable named tuple rather than a frozen dataclass: 100k are built
    per import and a frozen dataclass costs ~3 µs each)."""

    line: int
    household_no: str
    full_name: str  # NFC, white space collapsed, each word capitalised
    citizen_id: str
    birth_date: date | None  # None when unreadable or when only the year is given
    birth_year: int | None
    sex: str | None  # "male", "female" or None
    hamlet: str | None  # as written in the file's hamlet column, if any
    address: str | None
    phone: str | None


@dataclass(frozen=True)
class RowProblem:
    line: int
    field: str
    message: str
    message_en: str
    code: str  # stable identifier for the UI and tests: "duplicate_household", "under_age", ...


@dataclass(frozen=True)
class RollPreview:
    rows: tuple[RollRow, ...]
    problems: tuple[RowProblem, ...]  # sorted by line

    @property
    def ok(self) -> bool:
        """The roll may be imported: all or nothing, so a single problem blocks it."""
        return not self.problems

    @property
    def household_count(self) -> int:
        return len({row.household_no.casefold() for row in self.rows if row.household_no})

    def problems_by_line(self) -> dict[int, list[RowProblem]]:
        grouped: dict[int, list[RowProblem]] = {}
        for problem in self.problems:
            grouped.setdefault(problem.line, []).append(problem)
        return grouped


_SEX_VALUES = {"nam": "male", "m": "male", "male": "male", "trai": "male",
               "nu": "female", "f": "female", "female": "female", "gai": "female"}
_HAMLET_PREFIXES = ("to dan pho ", "khu pho ", "thon ", "tdp ", "xom ", "ap ", "ban ", "khu ", "to ")


def validate_roll(table: RawTable, ctx: RollContext) -> RollPreview:
    """Check every row of the roll for the target hamlet (problems in Vietnamese and English, by line)."""
    with without_gc():
        return _validate(table, ctx)


def _validate(table: RawTable, ctx: RollContext) -> RollPreview:
    """Speed (100k rows): text columns are cleaned column by column with C-level str methods, repeated
    values (hamlet, sex, birth dates) are decided once through dict caches, the row loop only looks up."""
    columns = table.columns
    width = max(columns.values()) + 1
    lines, grid = zip(*table.rows) if table.rows else ((), ())
    if grid and min(map(len, grid)) < width:  # short CSV lines: missing trailing cells are empty
        grid = [cells if len(cells) >= width else (*cells, *(None,) * width) for cells in grid]
    count = len(grid)

    def column(name: str) -> list[Cell]:
        index = columns.get(name)
        return list(map(itemgetter(index), grid)) if index is not None else [None] * count

    households = _clean_all(column("household_no"))
    names = _clean_all(column("full_name"))
    addresses = [address or None for address in _clean_all(column("address"))]
    raw_phones = column("phone")
    phones = [_restore_phone_zero(phone) if raw.__class__ is float else phone or None
              for phone, raw in zip(_clean_all(raw_phones), raw_phones)]

    rules = ctx.rules
    day = ctx.election_day
    day_text = f"{day:%d/%m/%Y}"
    # Fast path for the age check: born on or before `adult_cutoff` and after `oldest_year` -> nothing to say.
    adult_cutoff = _years_before(day, rules.min_voter_age)
    oldest_year = day.year - rules.max_plausible_age
    target_keys = {_hamlet_key(name) for name in (ctx.hamlet_name, *ctx.hamlet_aliases)}
    target_name = nfc(ctx.hamlet_name)
    registered_elsewhere = ctx.registered_elsewhere
    birth_cache: dict[Cell, tuple[date | None, int | None, str | None]] = {}
    sex_cache: dict[Cell, tuple[str, str | None]] = {None: ("", None)}
    hamlet_cache: dict[Cell, tuple[str, bool]] = {None: ("", True)}

    rows: list[RollRow] = []
    problems: list[RowProblem] = []
    # Household numbers match case-insensitively: casefolded number -> (number as first written, first line).
    first_household: dict[str, tuple[str, int]] = {}
    duplicate_households: dict[tuple[str, str], list[int]] = {}
    first_citizen: dict[str, int] = {}
    duplicate_citizens: dict[str, list[int]] = {}
    line = 0

    def add(field_name: str, code: str, message: str, message_en: str) -> None:
        problems.append(RowProblem(line, field_name, message, message_en, code))

    births, column_sexes = _births(column, lines, problems) if "birth_male" in columns or "birth_female" in columns \
        else (column("birth_date"), repeat(None))
    for line, household_no, full_name, raw_id, raw_birth, raw_sex, column_sex, raw_hamlet, address, phone in zip(
            lines, households, names, column("citizen_id"), births, column("sex"), column_sexes,
            column("hamlet"), addresses, phones):
        if household_no:
            key = household_no.casefold()
            first = first_household.setdefault(key, (household_no, line))
            if first[1] != line:
                duplicate_households.setdefault((first[0], key), [first[1]]).append(line)
        else:
            add("household_no", "missing_household", "Thiếu số hộ.", "The household number is missing.")

        if not full_name:
            add("full_name", "missing_name", "Thiếu họ và tên.", "The full name is missing.")
        else:
            if not full_name.istitle():
                full_name = full_name.title()  # "NGUYỄN VĂN AN" -> "Nguyễn Văn An"
            if not full_name.replace(" ", "").isalpha() and any(ch.isdigit() for ch in full_name):
                add("full_name", "name_has_digits", f"Họ và tên «{full_name}» có chữ số.",
                    f"The full name “{full_name}” contains digits.")

        cached_sex = sex_cache.get(raw_sex)
        if cached_sex is None:
            shown = _clean(raw_sex)
            cached_sex = sex_cache[raw_sex] = (shown, _SEX_VALUES.get(header_key(shown)) if shown else None)
        shown_sex, sex = cached_sex
        if sex is None and shown_sex:
            add("sex", "unknown_sex", f"Giới tính «{shown_sex}» không rõ; ghi Nam hoặc Nữ.",
                f"Sex “{shown_sex}” is not recognised; write Nam or Nữ.")
        if column_sex is not None and sex != column_sex:
            if sex is None:
                sex = column_sex  # the birth date's column says it
            else:
                add("sex", "sex_contradicts_birth_column",
                    f"Giới tính «{shown_sex}» mâu thuẫn với cột năm sinh «{_SEX_SHOWN[column_sex]}».",
                    f"Sex “{shown_sex}” contradicts the birth date written under “{_SEX_SHOWN[column_sex]}”.")

        cached_birth = birth_cache.get(raw_birth)
        if cached_birth is None:
            cached_birth = birth_cache[raw_birth] = _birth_value(raw_birth)
        birth_date, birth_year, date_error = cached_birth
        if date_error is not None:
            _add_date_problem(add, date_error, _clean(raw_birth))
        elif birth_date is None or not (oldest_year < birth_date.year and birth_date <= adult_cutoff):
            _check_age(birth_date, birth_year, day, day_text, rules, add)  # type: ignore[arg-type]

        citizen_id = _clean_citizen_id(raw_id)
        if not citizen_id:
            add("citizen_id", "missing_citizen_id", "Thiếu số định danh cá nhân (CCCD).",
                "The citizen ID is missing.")
        else:
            # Only the year of the birth date is compared with the number.
            id_problem = citizen_id_problem(
                citizen_id, birth_date or (date(birth_year, 1, 1) if birth_year else None), sex)
            if id_problem is not None:
                add("citizen_id", "invalid_citizen_id", id_problem.message, id_problem.message_en)
            else:
                first = first_citizen.setdefault(citizen_id, line)
                if first != line:
                    duplicate_citizens.setdefault(citizen_id, [first]).append(line)
                if citizen_id in registered_elsewhere:
                    elsewhere = registered_elsewhere[citizen_id]
                    if elsewhere is None:
                        add("citizen_id", "registered_elsewhere",
                            f"Số định danh {citizen_id} đã có trong danh sách cử tri của một thôn khác.",
                            f"Citizen ID {citizen_id} is already on the voter roll of another hamlet.")
                    elif _hamlet_key(elsewhere) not in target_keys:
                        add("citizen_id", "registered_elsewhere",
                            f"Số định danh {citizen_id} đã có trong danh sách cử tri của {nfc(elsewhere)}.",
                            f"Citizen ID {citizen_id} is already on the voter roll of {nfc(elsewhere)}.")

        cached_hamlet = hamlet_cache.get(raw_hamlet)
        if cached_hamlet is None:
            shown = _clean(raw_hamlet)
            cached_hamlet = hamlet_cache[raw_hamlet] = (shown, not shown or _hamlet_key(shown) in target_keys)
        hamlet, same_hamlet = cached_hamlet
        if not same_hamlet:
            add("hamlet", "other_hamlet", f"Dòng này ghi «{hamlet}», không phải {target_name}.",
                f"This row names “{hamlet}”, not {target_name}.")

        # tuple.__new__ directly: RollRow(...) would add a Python-level call per row (~15% of the run time).
        rows.append(_new_tuple(RollRow, (line, household_no, full_name, citizen_id, birth_date, birth_year,
                                         sex, hamlet or None, address, phone)))

    for (shown, _), group in duplicate_households.items():
        for line in group:
            others = _other_lines(group, line)
            problems.append(RowProblem(
                line, "household_no",
                f"Số hộ «{shown}» trùng với dòng {others}: mỗi hộ chỉ có một người đại diện (R-V1).",
                f"Household number “{shown}” also appears on line(s) {others}: one representative per "
                "household (R-V1).", "duplicate_household"))
    for citizen_id, group in duplicate_citizens.items():
        for line in group:
            others = _other_lines(group, line)
            problems.append(RowProblem(
                line, "citizen_id", f"Số định danh {citizen_id} trùng với dòng {others}.",
                f"Citizen ID {citizen_id} also appears on line(s) {others}.", "duplicate_citizen_id"))

    problems.sort(key=lambda problem: problem.line)  # stable: within a line, checks keep their order
    return RollPreview(rows=tuple(rows), problems=tuple(problems))


_SEX_SHOWN = {"male": "Nam", "female": "Nữ"}


def _births(column: Callable[[str], list[Cell]], lines: tuple[int, ...] | list[int],
            problems: list[RowProblem]) -> tuple[list[Cell], list[str | None]]:
    """Birth cells and the sex their column says, for a header "Năm sinh" over "Nam" | "Nữ".

    The value is whichever of the two cells is filled; both filled is a problem (the value under Nam is still
    checked, without a sex from the column).
    """
    births: list[Cell] = []
    sexes: list[str | None] = []
    for line, male, female in zip(lines, column("birth_male"), column("birth_female")):
        male_blank = male is None or (male.__class__ is str and not male.strip())
        female_blank = female is None or (female.__class__ is str and not female.strip())
        if female_blank:
            births.append(male)
            sexes.append(None if male_blank else "male")
        elif male_blank:
            births.append(female)
            sexes.append("female")
        else:
            births.append(male)
            sexes.append(None)
            shown_male, shown_female = _clean(male), _clean(female)
            problems.append(RowProblem(
                line, "birth_date",
                f"Năm sinh ghi ở cả cột Nam («{shown_male}») và cột Nữ («{shown_female}»): chỉ ghi ở một cột.",
                f"The birth date is written under both Nam (“{shown_male}”) and Nữ (“{shown_female}”): "
                "use one column.", "birth_in_both_sex_columns"))
    return births, sexes


def _other_lines(group: list[int], line: int) -> str:
    return ", ".join(str(other) for other in group if other != line)


def _clean_all(values: list[Cell]) -> list[str]:
    """_clean() over a column using only C-level calls per cell (a Python call per cell is the bottleneck)."""
    texts = [value if value.__class__ is str else cell_text(value) for value in values]
    texts = [text if text.isascii() or _is_nfc("NFC", text) else _normalize("NFC", text) for text in texts]
    return list(map(" ".join, map(str.split, texts)))


def _clean_citizen_id(value: Cell) -> str:
    """The 12 digits as text (core.sheet_values.clean_citizen_id), with a fast path for the usual cell."""
    if isinstance(value, str) and len(value) == 12 and value.isascii() and value.isdigit():
        return value  # the usual case
    return clean_citizen_id(value)


def _restore_phone_zero(text: str) -> str:
    """A phone typed into a numeric cell lost its leading 0: 912345678.0 -> "0912345678"."""
    return "0" + text if len(text) == 9 else text


def _hamlet_key(name: str) -> str:
    """Comparison key for hamlet names: "Thôn 01" == "thon 1" == "1"; "Tổ dân phố An Phú" == "An Phú"."""
    key = header_key(name)
    for prefix in _HAMLET_PREFIXES:
        if key.startswith(prefix):
            key = key[len(prefix):]
            break
    return str(int(key)) if is_digits(key) else key


def _birth_value(value: Cell) -> tuple[date | None, int | None, str | None]:
    """(birth date, birth year, problem code) for a birth-date cell; the date is None for a bare year."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None, "missing_birth_date"
    try:
        parsed = parse_date(value, year_only=True)
    except DateError as error:
        return None, None, error.code
    if isinstance(parsed, int):
        return None, parsed, None
    return parsed, parsed.year, None


def _add_date_problem(add: Callable[[str, str, str, str], None], code: str, raw: str) -> None:
    if code == "missing_birth_date":
        add("birth_date", code, "Thiếu ngày sinh.", "The birth date is missing.")
    elif code == "two_digit_year":
        add("birth_date", code, f"Ngày sinh «{raw}»: năm sinh phải ghi đủ 4 chữ số.",
            f"Birth date “{raw}”: write the year with 4 digits.")
    elif code == "nonexistent_date":
        add("birth_date", code, f"Ngày sinh «{raw}» không tồn tại.", f"The birth date “{raw}” does not exist.")
    else:
        add("birth_date", "unreadable_date",
            f"Không đọc được ngày sinh «{raw}»; ghi theo dạng ngày/tháng/năm, ví dụ 05/09/1980.",
            f"Cannot read the birth date “{raw}”; use day/month/year, e.g. 05/09/1980.")


def full_years(born: date, on: date) -> int:
    """Age in full years on a date (someone born 10/06/2007 is 17 on 09/06/2025 and 18 on 10/06/2025)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _years_before(day: date, years: int) -> date:
    """The latest birth date that is `years` old in full years on `day` (29 Feb falls back to 28 Feb)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _check_age(born: date | None, year: int, day: date, day_text: str, rules: RollRules,
               add: Callable[[str, str, str, str], None]) -> None:
    minimum = rules.min_voter_age
    if born is not None:
        if born > day:
            add("birth_date", "born_after_election", f"Ngày sinh {born:%d/%m/%Y} sau ngày bầu cử {day_text}.",
                f"Birth date {born:%d/%m/%Y} is after election day {day_text}.")
            return
        youngest = oldest = full_years(born, day)
        shown = f"{born:%d/%m/%Y}"
    else:
        if year > day.year:
            add("birth_date", "born_after_election", f"Năm sinh {year} sau năm bầu cử {day.year}.",
                f"Birth year {year} is after the election year {day.year}.")
            return
        youngest, oldest = day.year - year - 1, day.year - year
        shown = str(year)
    if youngest > rules.max_plausible_age:
        add("birth_date", "implausible_age",
            f"Ngày sinh {shown}: hơn {rules.max_plausible_age} tuổi, hãy kiểm tra lại.",
            f"Birth date {shown}: older than {rules.max_plausible_age}; please check.")
    elif oldest < minimum:
        # R-V1 (Law 10/2022/QH15, Decree 59/2023/NĐ-CP): the representative must be an adult.
        add("birth_date", "under_age",
            f"Người đại diện hộ sinh {shown}, chưa đủ {minimum} tuổi vào ngày bầu cử {day_text} (R-V1).",
            f"The household representative (born {shown}) is under {minimum} on election day {day_text} (R-V1).")
    elif youngest < minimum:
        add("birth_date", "year_only_ambiguous",
            f"Chỉ có năm sinh {year}: không xác định được đã đủ {minimum} tuổi vào ngày bầu cử {day_text} "
            "hay chưa; hãy ghi đủ ngày/tháng/năm sinh.",
            f"Only the birth year {year} is given: cannot tell whether the person is {minimum} on election "
            f"day {day_text}; give the full birth date.")


# ---------------------------------------------------------------------------------------------------------
# Fingerprint and template
# ---------------------------------------------------------------------------------------------------------

def roll_fingerprint(rows: Iterable[tuple[str, str, str]], already_clean: bool = False) -> str:
    """SHA-256 (hex, lower case) of the roll's canonical form, to print on the posted roll and the minutes.

    Canonical form, recomputable by anyone holding the whole roll (the commune's copy and its export: the roll
    posted on the noticeboard masks citizen IDs, so there the fingerprint is compared with the stored one):
      1. each row is (household_no, full_name, citizen_id), each value NFC-normalised, runs of white
         space collapsed to one space, leading/trailing space removed (no case change);
      2. each row is written as a compact JSON array with non-ASCII kept as is, e.g.
         ["12","Nguyễn Văn An","051080000123"] (Python: json.dumps(row, ensure_ascii=False,
         separators=(",", ":")));
      3. the lines are sorted by (household_no, citizen_id, full_name) in Unicode code-point order
         (so household "10" sorts before "9");
      4. each line ends with "\\n" (LF), the whole is encoded as UTF-8 and hashed with SHA-256.
    """
    columns = list(zip(*rows)) or [(), (), ()]
    # already_clean: the rows of a RollPreview, which validate_roll cleaned the same way (step 1).
    households, names, citizens = (list(values) if already_clean else _clean_all(list(values)) for values in columns)
    canonical = sorted(zip(households, citizens, names))
    digest = hashlib.sha256()
    quote = encode_basestring  # the C string encoder json.dumps(..., ensure_ascii=False) uses: same bytes
    digest.update("".join(f"[{quote(household)},{quote(name)},{quote(citizen)}]\n"
                          for household, citizen, name in canonical).encode("utf-8"))
    return digest.hexdigest()


def short_fingerprint(fingerprint: str) -> str:
    """The first 64 bits of a fingerprint for print: "3F9A-12C0-77DE-0B41"."""
    head = fingerprint[:16].upper()
    return "-".join(head[i:i + 4] for i in range(0, 16, 4))


def write_csv_template() -> bytes:
    """The downloadable empty roll: the header row, UTF-8 with BOM so Excel shows the diacritics."""
    return csv_bytes(TEMPLATE_HEADERS, [])
