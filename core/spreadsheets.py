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
import itertools
import pickle
import posixpath
import re
import subprocess
import sys
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, NamedTuple
from xml.sax.saxutils import unescape as xml_unescape

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from python_calamine import CalamineWorkbook

from core.legacy_text import TCVN3, VNI, LegacyEncodingError, convert_cells, decode_bytes

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
    converted_from: str | None = None  # "TCVN3", "VNI" or "VIQR": the text was converted to Unicode
    name: str | None = None  # the sheet read (spreadsheets)
    sheets: tuple[SheetInfo, ...] = ()  # every sheet of the workbook (spreadsheets)

    @property
    def other_sheets(self) -> tuple[SheetInfo, ...]:
        """Sheets that hold data but were not read: the preview names them (hidden ones marked)."""
        return tuple(info for info in self.sheets if info.has_data and info.name != self.name)


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


def read_sheet(filename: str, data: bytes, sheet: str | None = None,
               limits: SheetLimits | None = None) -> Sheet:
    """Read a CSV or spreadsheet file; raise SheetFileError when it cannot be used.

    sheet: the name of the sheet to read (a spreadsheet with several); by default the active sheet when it is
    visible and holds data, else the first visible one that does. A hidden sheet is read only when named.
    """
    with without_gc():
        return _legacy_converted(_read(filename, data, sheet, limits or SheetLimits()))


def _read(filename: str, data: bytes, sheet: str | None, limits: SheetLimits) -> Sheet:
    if not data.strip():
        raise SheetFileError("Tệp rỗng.", "The file is empty.")
    if data.startswith(_ZIP_MAGIC) and not filename.lower().endswith(".ods"):
        return _read_xlsx(data, sheet, limits)
    if data.startswith(_ZIP_MAGIC) or data.startswith(_OLE_MAGIC):
        return _read_in_child(data, sheet, limits)
    if filename.lower().endswith(SPREADSHEET_SUFFIXES):
        raise SheetFileError("Tệp Excel bị hỏng hoặc không phải tệp Excel.",
                             "The Excel file is damaged or is not an Excel file.")
    if len(data) > limits.max_unpacked_bytes:
        raise SheetFileError(f"Tệp CSV lớn hơn giới hạn {limits.max_unpacked_bytes // 2**20} MB.",
                             f"The CSV file is larger than the {limits.max_unpacked_bytes // 2**20} MB limit.")
    text, encoding = _decode(data)
    delimiter = _sniff_delimiter(text)
    rows = _csv_rows(text, delimiter)
    _check_extent("Tệp CSV", rows[-1].line if rows else 0, max(map(len, (row.cells for row in rows)), default=0),
                  limits)
    return Sheet("csv", rows, encoding=encoding, delimiter=delimiter,
                 converted_from=encoding if encoding in (TCVN3, VNI) else None)


_LEGACY_SAMPLE_ROWS = 2_000  # rows looked at, spread over the file, to decide whether it was typed in a legacy font


def _legacy_converted(sheet: Sheet) -> Sheet:
    """The sheet with every text cell converted to Unicode when the file was typed with a TCVN3, VNI or VIQR font
    (Excel keeps such text as Windows-1252 characters: `Nguyeãn Vaên Aùnh`); refused when the evidence is too
    weak to convert safely. The decision is taken once for the whole file, from a sample (a few ms)."""
    rows = sheet.rows
    step = max(len(rows) // _LEGACY_SAMPLE_ROWS, 1)
    sample = [cell for row in rows[::step] for cell in row.cells if cell.__class__ is str and not cell.isascii()]
    ascii_sample = [] if sample else [cell for row in rows[::step] for cell in row.cells if cell.__class__ is str]
    conversion = convert_cells(sample or ascii_sample)
    if (error := conversion.error()) is not None:
        raise SheetFileError(error.message, error.message_en)
    if conversion.label is None:
        return sheet
    apply = conversion.apply
    converted = [RawRow(row.line, [apply(cell) if cell.__class__ is str else cell for cell in row.cells])
                 for row in rows]
    return replace(sheet, rows=converted, converted_from=conversion.label)


# ---------------------------------------------------------------------------------------------------------
# Bounds: a spreadsheet's cells are counted before any library builds the sheet in memory
# ---------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SheetLimits:
    """What an uploaded file may hold. The spreadsheet library allocates a sheet's whole rectangle (from its
    first to its last cell: ≈ 512 GiB for a 2 KB file with cells at A1 and XFD1048576, and the process
    aborts), so the extent is measured on the raw XML first. Sized from the real world: a hamlet has at most
    a few thousand households; a candidate list or a session's attendance a few hundred rows."""

    max_rows: int = 20_000  # the row number of the last cell, title rows included
    max_columns: int = 100
    max_cells: int = 1_000_000  # rows × columns of the rectangle the library builds (~100 MB as Python cells)
    max_unpacked_bytes: int = 256 * 2**20  # all parts of the archive together, once unpacked (and a CSV)
    max_entries: int = 1_000  # parts in the archive (a workbook has a few dozen)
    max_ratio: int = 200  # unpacked/packed size of a part above 1 MiB; XML sheets compress 5–30 times
    child_seconds: float = 30.0  # .xls/.ods are parsed in a child process with these bounds
    child_memory: int = 1 * 2**30


@dataclass(frozen=True)
class SheetInfo:
    """One sheet of a workbook, for the preview's choice."""

    name: str
    visible: bool
    very_hidden: bool
    has_data: bool
    active: bool


_PREFIX = rb"(?:[A-Za-z_][\w.-]*:)?"  # a namespace prefix some writers put on every tag (<x:c>)
_CELL_REFS = re.compile(rb'\sr="([A-Z]{1,3})([0-9]{1,7})"')
_CELL_TAG = re.compile(rb"<" + _PREFIX + rb"c[\s/>]")
_ROW_NUMBERS = re.compile(rb"<" + _PREFIX + rb'row\b[^>]*?\sr="([0-9]{1,9})"')
_ROW_TAG = re.compile(rb"<" + _PREFIX + rb"row[\s/>]")
_VALUE_TAG = re.compile(rb"<" + _PREFIX + rb"(?:v|is)>")
_FORMULA_CELL = re.compile(rb"<" + _PREFIX + rb"c\b([^>]*?)>((?:(?!</" + _PREFIX + rb"c>).)*?<" + _PREFIX
                           + rb"f\b.*?)</" + _PREFIX + rb"c>", re.S)
_CACHED_VALUE = re.compile(rb"<" + _PREFIX + rb"v>[^<]")
_SHEET_ENTRY = re.compile(rb"<" + _PREFIX + rb"sheet\s([^>]*)>")
_RELATIONSHIP = re.compile(rb"<" + _PREFIX + rb"Relationship\s([^>]*)>")
_ATTRIBUTE = re.compile(rb'([\w:.-]+)="([^"]*)"')
_ACTIVE_TAB = re.compile(rb"<" + _PREFIX + rb'workbookView\b[^>]*?\sactiveTab="([0-9]+)"')


def column_number(letters: str) -> int:
    """Excel's column letters as a number: A -> 1, Z -> 26, AA -> 27, XFD -> 16384."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def column_letters(number: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _dots(number: int) -> str:
    return f"{number:,}".replace(",", ".")


def _check_extent(where: str, rows: int, columns: int, limits: SheetLimits) -> None:
    if rows > limits.max_rows or columns > limits.max_columns or rows * columns > limits.max_cells:
        column = _dots(columns) if where.endswith("CSV") else column_letters(columns)
        raise SheetFileError(
            f"{where} có dữ liệu đến dòng {_dots(rows)}, cột {column}, vượt giới hạn "
            f"{_dots(limits.max_rows)} dòng, {limits.max_columns} cột và {_dots(limits.max_cells)} ô. Hãy xoá các ô thừa (Ctrl+End chỉ ô "
            "cuối cùng có dữ liệu) hoặc chép phần danh sách sang một tệp mới.",
            f"{where} has data up to row {rows:,}, column {column}, beyond the limit of {limits.max_rows:,} "
            f"rows, {limits.max_columns} columns and {limits.max_cells:,} cells. Delete the stray cells (Ctrl+End shows the last one) or copy "
            "the list into a new file.")


@dataclass(frozen=True)
class _Part:
    """One worksheet of an XLSX archive, measured from its XML."""

    name: str
    visible: bool
    very_hidden: bool
    has_data: bool
    uncached_formulas: tuple[str, ...]  # cells whose formula has no saved value (the first few)


def _attributes(raw: bytes) -> dict[str, str]:
    """XML attributes by local name ("r:id" -> "id"), entities resolved."""
    return {key.decode().rsplit(":", 1)[-1]: xml_unescape(value.decode("utf-8", "replace"),
                                                          {"&quot;": '"', "&apos;": "'"})
            for key, value in _ATTRIBUTE.findall(raw)}


def _unpacked(archive: zipfile.ZipFile, limits: SheetLimits) -> dict[str, bytes]:
    """The workbook's XML parts, every part of the archive unpacked within the bounds.

    The declared sizes are checked first (a refusal in microseconds), then every part is really unpacked
    with a running total, since a hostile archive may declare small sizes."""
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise SheetFileError(f"Tệp Excel có {_dots(len(infos))} thành phần, vượt giới hạn {_dots(limits.max_entries)}.",
                             f"The Excel file has {len(infos):,} parts, beyond the limit of {limits.max_entries:,}.")
    declared = sum(info.file_size for info in infos)
    bomb = any(info.file_size > 2**20 and info.file_size > limits.max_ratio * max(info.compress_size, 1)
               for info in infos)
    if declared > limits.max_unpacked_bytes or bomb:
        raise _too_big(limits)
    kept: dict[str, bytes] = {}
    total = 0
    for info in infos:
        if info.is_dir():
            continue
        wanted = info.filename.startswith("xl/") and info.filename.endswith((".xml", ".rels"))
        chunks: list[bytes] = []
        with archive.open(info) as part:
            while chunk := part.read(2**20):
                total += len(chunk)
                if total > limits.max_unpacked_bytes:
                    raise _too_big(limits)
                if wanted:
                    chunks.append(chunk)
        if wanted:
            kept[info.filename] = b"".join(chunks)
    return kept


def _too_big(limits: SheetLimits) -> SheetFileError:
    size = limits.max_unpacked_bytes // 2**20
    return SheetFileError(f"Tệp Excel khi giải nén lớn hơn giới hạn {size} MB (tệp hỏng hoặc cố ý gây hại).",
                          f"Unpacked, the Excel file exceeds the {size} MB limit (damaged or hostile).")


def _unreadable(detail: object = "") -> SheetFileError:
    return SheetFileError("Không đọc được tệp Excel (tệp hỏng hoặc có mật khẩu).",
                          f"Cannot read the Excel file (damaged or password-protected). {detail}".strip())


def _workbook_parts(data: bytes, limits: SheetLimits) -> tuple[list[_Part], int]:
    """The worksheets in workbook order, measured, and the index of the active one."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = _unpacked(archive, limits)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, ValueError,
            RuntimeError) as exc:  # RuntimeError: an encrypted part
        raise _unreadable(exc) from exc
    workbook = parts.get("xl/workbook.xml")
    if workbook is None:
        raise _unreadable("No workbook part.")
    targets = {}
    for raw in _RELATIONSHIP.findall(parts.get("xl/_rels/workbook.xml.rels", b"")):
        attributes = _attributes(raw)
        target = attributes.get("Target", "")
        targets[attributes.get("Id", "")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    sheets: list[_Part] = []
    for raw in _SHEET_ENTRY.findall(workbook):
        attributes = _attributes(raw)
        path = posixpath.normpath(targets.get(attributes.get("id", ""), "-"))
        sheets.append(_measure(attributes.get("name", ""), attributes.get("state", "visible"),
                               parts.get(path, b""), limits))
    active = _ACTIVE_TAB.search(workbook)
    return sheets, int(active.group(1)) if active else 0


def _measure(name: str, state: str, xml: bytes, limits: SheetLimits) -> _Part:
    """Check a sheet's extent on its XML, without building it: the largest row and column a cell names, plus
    one for every cell that names none (its place follows the previous one), so never less than the library's.
    (~60 ms for 20,000 rows of 8 cells: C-level regular expressions, Python only over distinct values.)"""
    named = _CELL_REFS.findall(xml)
    columns = max(map(column_number, {letters.decode() for letters, _ in named}), default=0)
    rows = max(map(int, {number for _, number in named}), default=0)
    # Cells: an upper bound from one count of "<c" (which also counts <cols>, <col>, <cfRule>…, a handful),
    # unless tags carry a namespace prefix (<x:c>), when the exact count is taken.
    cells = len(_CELL_TAG.findall(xml)) if b":c" in xml else xml.count(b"<c")
    if cells > len(named):  # cells placed by position: bound them by the rows and cells that carry them
        unnamed = cells - len(named)
        numbers = _ROW_NUMBERS.findall(xml)
        rows = max([rows, *map(int, numbers)]) + max(len(_ROW_TAG.findall(xml)) - len(numbers), 0)
        columns += unnamed
    _check_extent(f"Trang «{name}»", rows, columns, limits)
    uncached: list[str] = []
    if b"<f" in xml or b":f" in xml:
        for match in _FORMULA_CELL.finditer(xml):
            attributes = _attributes(match.group(1))
            if attributes.get("t") != "str" and not _CACHED_VALUE.search(match.group(2)):
                uncached.append(attributes.get("r", "?"))
                if len(uncached) == 5:
                    break
    return _Part(name, state not in ("hidden", "veryHidden"), state == "veryHidden",
                 _VALUE_TAG.search(xml) is not None, tuple(uncached))


def _read_xlsx(data: bytes, name: str | None, limits: SheetLimits) -> Sheet:
    parts, active = _workbook_parts(data, limits)
    infos = tuple(SheetInfo(part.name, part.visible, part.very_hidden, part.has_data, index == active)
                  for index, part in enumerate(parts))
    part = parts[_choose(infos, name)]
    if part.uncached_formulas:
        cells = ", ".join(part.uncached_formulas)
        raise SheetFileError(
            f"Trang «{part.name}» có công thức chưa có giá trị (ô {cells}): hãy mở tệp bằng Excel, bấm Lưu rồi "
            "tải lên lại (tệp do phần mềm khác tạo ra có thể không lưu kết quả của công thức).",
            f"Sheet “{part.name}” has formulas without saved values (cells {cells}): open the file in Excel, "
            "save it and upload it again.")
    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name(part.name)
        # iter_rows starts at the sheet's first row (row 1 even when blank), so index + 1 is the row
        # number Excel shows; it is faster than to_python().
        rows = [RawRow(index + 1, cells) for index, cells in enumerate(sheet.iter_rows()) if not is_blank(cells)]
    except Exception as exc:  # calamine raises several error types for damaged files
        raise _unreadable(exc) from exc
    return Sheet("spreadsheet", rows, name=part.name, sheets=infos)


def _choose(infos: Sequence[SheetInfo], name: str | None) -> int:
    """The index of the sheet to read (see read_sheet)."""
    if name:
        for index, info in enumerate(infos):
            if info.name == name:
                return index
        raise SheetFileError(f"Tệp không có trang «{name}».", f"The file has no sheet “{name}”.")
    candidates = [index for index, info in enumerate(infos) if info.visible and info.has_data]
    if not candidates:
        hidden = ", ".join(f"«{info.name}»" for info in infos if not info.visible and info.has_data)
        if hidden:
            raise SheetFileError(f"Chỉ có trang ẩn có dữ liệu ({hidden}); hãy chọn trang cần nhập, hoặc bỏ ẩn "
                                 "trang đó trong Excel.",
                                 f"Only hidden sheets hold data ({hidden}); choose the one to import or unhide it.")
        raise SheetFileError("Tệp Excel không có dữ liệu.", "The Excel file holds no data.")
    active = [index for index in candidates if infos[index].active]
    return active[0] if active else candidates[0]


# ---------------------------------------------------------------------------------------------------------
# .xls and .ods cannot be measured cheaply: they are parsed in a child process with memory and time bounds,
# so a hostile file ends the child, never the worker that serves other requests.
# ---------------------------------------------------------------------------------------------------------

_CHILD = """
import resource, sys
memory, seconds = int(sys.argv[1]), int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_AS, (memory, memory))  # first, before the file is touched
resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))
import io, pickle
from python_calamine import CalamineWorkbook
book = CalamineWorkbook.from_filelike(io.BytesIO(sys.stdin.buffer.read()))
out = {}
for meta in book.sheets_metadata:
    state = str(meta.visible).rsplit(".", 1)[-1].lower()
    out[meta.name] = (state, book.get_sheet_by_name(meta.name).to_python(skip_empty_area=False))
pickle.dump(out, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
"""


def _read_in_child(data: bytes, name: str | None, limits: SheetLimits) -> Sheet:
    # The child sets its own limits as its first statements (a preexec_fn is unsafe in a threaded server).
    bounds = [str(limits.child_memory), str(int(limits.child_seconds) + 1)]
    try:
        done = subprocess.run([sys.executable, "-I", "-c", _CHILD, *bounds], input=data, capture_output=True,
                              timeout=limits.child_seconds, check=False)
    except subprocess.TimeoutExpired as exc:
        raise _unreadable("Too large to read in time.") from exc
    if done.returncode != 0:  # out of memory or time, or a damaged file
        raise SheetFileError("Không đọc được tệp Excel (tệp hỏng, có mật khẩu hoặc quá lớn).",
                             "Cannot read the Excel file (damaged, password-protected or too large).")
    book: dict[str, tuple[str, list[list[Cell]]]] = pickle.loads(done.stdout)  # our own child wrote it
    infos = []
    for index, (sheet_name, (state, rows)) in enumerate(book.items()):
        _check_extent(f"Trang «{sheet_name}»", len(rows), max(map(len, rows), default=0), limits)
        infos.append(SheetInfo(sheet_name, state == "visible", state == "veryhidden",
                               any(not is_blank(row) for row in rows), index == 0))
    chosen = infos[_choose(infos, name)]
    found = [RawRow(index + 1, cells) for index, cells in enumerate(book[chosen.name][1]) if not is_blank(cells)]
    return Sheet("spreadsheet", found, name=chosen.name, sheets=tuple(infos))


def _decode(data: bytes) -> tuple[str, str]:
    """Text and encoding name: BOM first, then strict UTF-8, then Windows-1258 or a legacy Vietnamese font's
    bytes (TCVN3, VNI), decided on the whole file by core.legacy_text."""
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
            encoding = ""
    try:
        # cp1258 yields base letter + combining tone mark: decode_bytes gives NFC, so every later comparison works.
        text, encoding = decode_bytes(data) if not encoding else (
            unicodedata.normalize("NFC", data.decode(encoding)), encoding)
    except UnicodeDecodeError as exc:
        raise SheetFileError("Không nhận ra bảng mã của tệp; hãy lưu lại dưới dạng CSV UTF-8 hoặc Excel.",
                             "Unrecognised text encoding; save the file as CSV UTF-8 or Excel.") from exc
    except LegacyEncodingError as error:
        raise SheetFileError(error.message, error.message_en) from error
    if "\x00" in text:
        raise SheetFileError("Tệp không phải văn bản CSV.", "The file is not CSV text.")
    return text, encoding


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
    plain_columns: Sequence[int] = ()  # whole numbers shown without a thousands separator (years: 1968, not 1.968)


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIMETYPE = "text/csv"
CHOICE_ROWS = 500  # a template's drop-downs cover this many rows
HEADER_WIDTH = 30  # a longer header wraps instead of widening a column of short figures


WIDTH_SAMPLE = 1000  # the rows a sheet's column widths are measured on: a sheet is written as its rows come


def workbook_bytes(sheets: Iterable[SheetSpec | tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """An XLSX file with one sheet per spec (or (title, headers, rows)); bold headers, widened columns.

    Streamed (openpyxl's write-only mode): each row is written as it comes and not kept, so the memory does not grow
    with the rows; the column widths are measured on a sheet's first WIDTH_SAMPLE rows."""
    book = Workbook(write_only=True)
    for spec in sheets:
        spec = spec if isinstance(spec, SheetSpec) else SheetSpec(*spec)
        sheet = book.create_sheet(spec.title[:31])
        rows = iter(spec.rows)
        sample = list(itertools.islice(rows, WIDTH_SAMPLE))
        widths = [max(min(len(h), HEADER_WIDTH), minimum) for h, minimum in
                  zip(spec.headers, [*spec.widths, *[0] * len(spec.headers)], strict=False)]
        for row in sample:
            widths = [max(w, _shown_width(v)) for w, v in zip(widths, row, strict=False)]
        for i, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = min(max(width, 8) + 2, 60)
        for column in spec.text_columns:
            sheet.column_dimensions[get_column_letter(column + 1)].number_format = "@"
        header_row = 2 if spec.caption else 1
        for column, values in spec.choices.items():
            letter = get_column_letter(column + 1)
            choice = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True)
            sheet.data_validations.append(choice)
            choice.add(f"{letter}{header_row + 1}:{letter}{CHOICE_ROWS}")
        sheet.freeze_panes = f"A{header_row + 1}"
        if spec.caption:
            sheet.append([_cell(sheet, spec.caption, font=Font(bold=True))])
        sheet.append([_cell(sheet, h, font=Font(bold=True), alignment=Alignment(wrap_text=True, vertical="top"))
                      for h in spec.headers])
        for row in itertools.chain(sample, rows):
            sheet.append(_typed_row(sheet, row, spec.percent_columns, spec.plain_columns))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# Formula injection (OWASP "CSV Injection"): a text a spreadsheet would read as a formula or a command.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "dd/mm/yyyy"
COUNT_FORMAT = "#,##0"  # the format's "," is Excel's thousands separator, shown as the reader's locale writes it
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
PERCENT_FORMAT = "0.00%"


def escape_text(value: Any) -> Any:
    """A text starting like a formula, with a leading quote (OWASP); any other value as it is.

    Only texts: a negative number stays a number. A phone "+84…" or a name "-" gets the quote too, as OWASP accepts.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _cell(sheet: Any, value: Any, **style: Any) -> WriteOnlyCell:
    """One cell, a text escaped (escape_text) and always text."""
    value = escape_text(value)
    cell = WriteOnlyCell(sheet, value)
    for name, setting in style.items():
        setattr(cell, name, setting)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def _typed_row(sheet: Any, values: Iterable[Any], percent_columns: Sequence[int],
               plain_columns: Sequence[int] = ()) -> list[WriteOnlyCell]:
    """Typed cells: texts escaped and always text (openpyxl takes any text starting with "=" for a formula), dates
    as dates shown dd/mm/yyyy, ratios in percent_columns as numbers shown as percentages, other whole numbers with
    a thousands separator (Excel shows the reader's own: a dot in Vietnamese) unless in plain_columns."""
    cells = []
    for column, value in enumerate(values):
        cell = _cell(sheet, value)
        if isinstance(value, datetime):
            cell.number_format = DATETIME_FORMAT
        elif isinstance(value, date):
            cell.number_format = DATE_FORMAT
        elif column in percent_columns and isinstance(value, int | float) and not isinstance(value, bool):
            cell.number_format = PERCENT_FORMAT
        elif isinstance(value, int) and not isinstance(value, bool) and column not in plain_columns:
            cell.number_format = COUNT_FORMAT
        cells.append(cell)
    return cells


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
