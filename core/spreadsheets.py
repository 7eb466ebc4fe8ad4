"""The one spreadsheet reader and writer: CSV or Excel files from commune offices in, XLSX and CSV exports out.

Reading gives the non-blank lines of the first sheet as plain cells (`read_sheet`); each import (voter rolls,
candidates, attendance) then finds its own header row and columns. Pure: bytes in, values out.

Writing (`workbook_bytes`, `csv_bytes`) is the only way an export is made: a text that starts like a formula is
quoted (OWASP CSV injection), numbers stay numbers, dates and ratios get their formats, `export_filename` names the
file after what it holds, whose it is and when.
"""
from __future__ import annotations

import codecs
import csv
import gc
import io
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from python_calamine import CalamineWorkbook

Cell = str | float | int | bool | date | datetime | None

_ZIP_MAGIC = b"PK\x03\x04"  # .xlsx / .ods
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls; calamine reads it too
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
_DELIMITERS = (",", ";", "\t", "|")
_SNIFF_LINES = 30


class SheetFileError(Exception):
    """The file cannot be used at all (unreadable, damaged, not text), in both languages."""

    def __init__(self, message: str, message_en: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.message_en = message_en or message


class RawRow(NamedTuple):
    """One non-blank line of the file (a named tuple, not a dataclass: a roll has up to ~100k of them)."""

    line: int  # the line (CSV) or row (spreadsheet) number the user sees
    cells: tuple[Cell, ...] | list[Cell]


@dataclass(frozen=True)
class Sheet:
    """The non-blank lines of a file's first sheet, and how the file was read."""

    source: str  # "csv" or "spreadsheet"
    rows: list[RawRow]
    encoding: str | None = None  # CSV only
    delimiter: str | None = None  # CSV only


@contextmanager
def without_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while ~100k row tuples are built.

    Building them triggers repeated collections that walk every surviving row (about a third of the run
    time); rows hold no reference cycles, so nothing is lost by collecting once afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_sheet(filename: str, data: bytes) -> Sheet:
    """Read a CSV or spreadsheet file; raise SheetFileError when it cannot be used."""
    with without_gc():
        if not data.strip():
            raise SheetFileError("Tệp rỗng.", "The file is empty.")
        if data.startswith(_ZIP_MAGIC) or data.startswith(_OLE_MAGIC):
            return Sheet("spreadsheet", _spreadsheet_rows(data))
        if filename.lower().endswith(SPREADSHEET_SUFFIXES):
            raise SheetFileError("Tệp Excel bị hỏng hoặc không phải tệp Excel.",
                                 "The Excel file is damaged or is not an Excel file.")
        text, encoding = _decode(data)
        delimiter = _sniff_delimiter(text)
        return Sheet("csv", _csv_rows(text, delimiter), encoding=encoding, delimiter=delimiter)


def _spreadsheet_rows(data: bytes) -> list[RawRow]:
    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        # iter_rows starts at the sheet's first row (row 1 even when blank), so index + 1 is the row
        # number Excel shows; it is faster than to_python().
        return [RawRow(index + 1, cells) for index, cells in enumerate(sheet.iter_rows())
                if not is_blank(cells)]
    except Exception as exc:  # calamine raises several error types for damaged files
        raise SheetFileError("Không đọc được tệp Excel (tệp hỏng hoặc có mật khẩu).",
                             f"Cannot read the Excel file (damaged or password-protected): {exc}") from exc


def _decode(data: bytes) -> tuple[str, str]:
    """Text and encoding name: BOM first, then strict UTF-8, then Windows-1258 (older Vietnamese Excel)."""
    if data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif b"\x00" in data[:200]:  # UTF-16 without a BOM: ASCII characters leave a zero byte beside them
        encoding = "utf-16-le" if data[1:200:2].count(0) > data[0:200:2].count(0) else "utf-16-be"
    else:
        try:
            return unicodedata.normalize("NFC", data.decode("utf-8")), "utf-8"
        except UnicodeDecodeError:
            encoding = "cp1258"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise SheetFileError("Không nhận ra bảng mã của tệp; hãy lưu lại dưới dạng CSV UTF-8 hoặc Excel.",
                             "Unrecognised text encoding; save the file as CSV UTF-8 or Excel.") from exc
    if "\x00" in text:
        raise SheetFileError("Tệp không phải văn bản CSV.", "The file is not CSV text.")
    # cp1258 yields base letter + combining tone mark; NFC once here so every later comparison works.
    return unicodedata.normalize("NFC", text), encoding


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits most of the first lines into the same number (≥ 2) of fields."""
    sample = [line for line in text.splitlines()[:_SNIFF_LINES] if line.strip()]
    best, best_score = ",", (0, 0)
    for delimiter in _DELIMITERS:
        counts: dict[int, int] = {}
        for fields in csv.reader(sample, delimiter=delimiter):
            if len(fields) > 1:
                counts[len(fields)] = counts.get(len(fields), 0) + 1
        if counts:
            width, lines = max(counts.items(), key=lambda item: (item[1], item[0]))
            if (lines, width) > best_score:
                best, best_score = delimiter, (lines, width)
    return best


def _csv_rows(text: str, delimiter: str) -> list[RawRow]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[RawRow] = []
    next_line = 1
    try:
        for cells in reader:
            if "".join(cells).strip():
                rows.append(RawRow(next_line, cells))
            next_line = reader.line_num + 1  # a quoted cell may span lines; report where the record starts
    except csv.Error as exc:
        raise SheetFileError(f"Tệp CSV lỗi ở dòng {reader.line_num}.",
                             f"Malformed CSV at line {reader.line_num}: {exc}") from exc
    return rows


def is_blank(cells: Iterable[Cell]) -> bool:
    for cell in cells:
        if cell is None or cell == "" or (isinstance(cell, str) and cell.isspace()):
            continue
        return False
    return True


def cell_text(cell: Cell) -> str:
    """A cell as text: 12.0 -> "12" (spreadsheets store integers as floats)."""
    if isinstance(cell, str):
        return cell
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "1" if cell else "0"
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == datetime.min.time() else cell.isoformat(sep=" ")
    return str(cell)


@dataclass(frozen=True)
class SheetSpec:
    """One sheet of an exported workbook: a header row (bold, frozen) and the rows below it.

    caption: a line above the header (a document title); choices: column index -> the values a drop-down offers
    (templates to fill in); text_columns: columns kept as text (citizen IDs: Excel would drop leading zeros).
    """

    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[Any]]
    caption: str = ""
    choices: dict[int, Sequence[str]] = field(default_factory=dict)
    text_columns: Sequence[int] = ()
    widths: Sequence[int] = ()  # minimum widths (characters), e.g. for an empty template to be filled in by hand
    percent_columns: Sequence[int] = ()  # ratios (0.7667) shown as percentages (76.67%); dates format themselves


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv"
CHOICE_ROWS = 500  # a template's drop-downs cover this many rows
HEADER_WIDTH = 30  # a longer header wraps instead of widening a column of short figures


def workbook_bytes(sheets: Iterable[SheetSpec | tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """An XLSX file with one sheet per spec (or (title, headers, rows)); bold headers, widened columns."""
    book = Workbook()
    book.remove(book.active)
    for spec in sheets:
        spec = spec if isinstance(spec, SheetSpec) else SheetSpec(*spec)
        sheet = book.create_sheet(spec.title[:31])
        if spec.caption:
            _write_row(sheet, 1, [spec.caption], ())
            sheet.cell(1, 1).font = Font(bold=True)
        header_row = 2 if spec.caption else 1
        _write_row(sheet, header_row, spec.headers, ())
        for cell in sheet[header_row]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        widths = [max(min(len(h), HEADER_WIDTH), minimum) for h, minimum in
                  zip(spec.headers, [*spec.widths, *[0] * len(spec.headers)], strict=False)]
        for row_no, row in enumerate(spec.rows, start=header_row + 1):
            _write_row(sheet, row_no, row, spec.percent_columns)
            widths = [max(w, _shown_width(v)) for w, v in zip(widths, row, strict=False)]
        for i, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = min(max(width, 8) + 2, 60)
        for column in spec.text_columns:
            sheet.column_dimensions[get_column_letter(column + 1)].number_format = "@"
        for column, values in spec.choices.items():
            letter = get_column_letter(column + 1)
            choice = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True)
            sheet.add_data_validation(choice)
            choice.add(f"{letter}{header_row + 1}:{letter}{CHOICE_ROWS}")
        sheet.freeze_panes = sheet.cell(header_row + 1, 1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# Formula injection (OWASP "CSV Injection"): a text a spreadsheet would read as a formula or a command.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "dd/mm/yyyy"
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
PERCENT_FORMAT = "0.00%"


def escape_text(value: Any) -> Any:
    """A text starting like a formula, with a leading quote (OWASP); any other value as it is.

    Only texts: a negative number stays a number. A phone "+84…" or a name "-" gets the quote too, as OWASP accepts.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _write_row(sheet: Any, row_no: int, values: Iterable[Any], percent_columns: Sequence[int]) -> None:
    """Typed cells: texts escaped and always text (openpyxl takes any text starting with "=" for a formula), dates
    as dates shown dd/mm/yyyy, ratios in percent_columns as numbers shown as percentages."""
    for column, value in enumerate(values):
        value = escape_text(value)
        cell = sheet.cell(row_no, column + 1)
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"
        elif isinstance(value, datetime):
            cell.number_format = DATETIME_FORMAT
        elif isinstance(value, date):
            cell.number_format = DATE_FORMAT
        elif column in percent_columns and isinstance(value, int | float) and not isinstance(value, bool):
            cell.number_format = PERCENT_FORMAT


def _shown_width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, date):
        return len(DATETIME_FORMAT if isinstance(value, datetime) else DATE_FORMAT)
    return len(str(value))


def _csv_field(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return escape_text(value)


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A CSV export: UTF-8 with a BOM (Excel then shows the diacritics), CRLF, texts escaped like workbook_bytes.

    Numbers stay plain (a ratio is 0.7667: a CSV has no cell formats); dates are written dd/mm/yyyy.
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_csv_field(header) for header in headers])
    writer.writerows([_csv_field(value) for value in row] for row in rows)
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


def export_filename(stem: str, scope: str, day: date, extension: str) -> str:
    """What and when: "ket-qua-bau-truong-thon-d01-2025-05-25.xlsx" (scope: the district's or a commune's code, or
    "loc" for a filtered export)."""
    return f"{stem}-{scope.lower()}-{day.isoformat()}.{extension}"
