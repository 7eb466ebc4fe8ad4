"""Where the table is in a sheet: the header row under title rows (one or two rows), and the footer under the data.

Every import (voter rolls, candidate lists, attendance) reads its file with core.spreadsheets.read_sheet and then
finds its layout here, with its own mapper from header labels to its fields:

    header = find_header(sheet.rows, map_headers, required=("citizen_id", ("birth_date", "birth_male")))
    end, footer = find_footer(sheet.rows, header.columns.values(), header.data_start, header.last_line)
    data = sheet.rows[header.data_start:end]          # footer: what was left out, for the preview

Pure: rows in, positions out.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

from core.spreadsheets import Cell, RawRow, Sheet, SheetFileError, SheetLimits, cell_text, read_sheet
from core.vietnamese import fold, nfc

# A label under a two-row header: the top label (carried over its merged cells) and the label below it.
SUB_SEPARATOR = " | "
Mapper = Callable[[Sequence[str]], dict[str, int]]  # header labels -> field -> column index
# A required field, or alternatives of which one is enough (a birth date column, or birth dates split by sex).
Required = Sequence[str | tuple[str, ...]]

_NON_WORD = re.compile(r"[^0-9a-z]+")
# Folded first text of a footer row: totals, signature blocks, the date line and stamps of the signers.
_FOOTER_PREFIXES = (
    "tong cong", "tong so", "nguoi lap", "lap bieu", "truong thon", "truong ban", "to truong", "truong to",
    "truong khu", "ky ghi ro", "ky va ghi ro", "ky ten", "ky dong dau", "t m ", "tm ", "ban cong tac mat tran",
    "xac nhan", "chu tich", "pho chu tich", "bi thu", "thu truong", "ubnd", "uy ban nhan dan", "noi nhan",
)
_DATE_LINE = re.compile(r"(^| )ngay( \d+)? thang( \d+)? nam\b")  # "Bình Sơn, ngày 05 tháng 5 năm 2025"
_TOTAL_LINE = re.compile(r"cong( \d+)*( ho| nguoi)?")  # "Cộng", "Cộng: 172 hộ"
FOOTER_TEXT_SHOWN = 60


@dataclass(frozen=True)
class Header:
    """The header of a table: where it is, the columns it names and its labels as read."""

    position: int  # index in the sheet's rows of the (first) header row
    line: int  # its line number as the user sees it
    columns: dict[str, int]  # field -> column index
    labels: tuple[str, ...]  # per column, NFC; "Năm sinh | Nam" under a two-row header
    sub_line: int | None = None  # the second header row's line, when the header has two rows

    @property
    def data_start(self) -> int:
        """Index of the first row below the header."""
        return self.position + (2 if self.sub_line is not None else 1)

    @property
    def last_line(self) -> int:
        return self.sub_line if self.sub_line is not None else self.line

    @property
    def lines_text(self) -> str:
        """"3", or "3–4" for a two-row header."""
        return f"{self.line}–{self.sub_line}" if self.sub_line is not None else str(self.line)


@dataclass(frozen=True)
class Footer:
    """Rows after the data that were left out: totals, signatures (reported, never silently dropped)."""

    first_line: int
    last_line: int
    count: int  # non-blank rows left out
    first_text: str  # the first text of the first row, shortened

    @property
    def message(self) -> str:
        return f"Đã bỏ qua {self.count} dòng cuối tệp (từ dòng {self.first_line}: «{self.first_text}»)."

    @property
    def message_en(self) -> str:
        return (f"Ignored {self.count} line(s) at the end of the file (from line {self.first_line}: "
                f"“{self.first_text}”).")


def label_key(text: str) -> str:
    """A label reduced for matching: folded, punctuation removed: "Số CCCD:" -> "so cccd"."""
    return _NON_WORD.sub(" ", fold(text)).strip()


def split_label(label: str) -> tuple[str, str]:
    """(top, sub) of a two-row label; ("Họ và tên", "") for a one-row label."""
    top, _, sub = label.partition(SUB_SEPARATOR)
    return top, sub


def find_header(rows: Sequence[RawRow], mapper: Mapper, required: Required, search_rows: int = 10,
                min_matches: int = 2) -> Header | None:
    """The header row among the first `search_rows` rows: the one whose labels name the most required fields,
    then the most fields (the first such row; the search stops at a row naming every required field).

    A row naming fewer than `min_matches` fields is not a header (a title). The row right below a header is read
    as its second row when it holds labels only (text without digits: a data row always has some) and either
    gives labels to cells of a merged header cell (a cell whose right neighbours are blank: "Năm sinh" over
    "Nam" | "Nữ") or lets the labels name more fields ("Số" over "CCCD").
    """
    best: Header | None = None
    for position, row in enumerate(rows[:search_rows]):
        labels = _labels(row.cells)
        columns = mapper(labels)
        if len(columns) < min_matches:
            continue
        header = _two_row_header(rows, position, labels, columns, mapper, required) or Header(
            position, row.line, columns, labels)
        if best is None or _score(header.columns, required) > _score(best.columns, required):
            best = header
            if _score(header.columns, required)[0] == len(required):
                break
    return best


def missing_fields(columns: Collection[str], required: Required) -> list[str]:
    """The required fields (the first of alternatives) that no column names."""
    missing = []
    for need in required:
        options = (need,) if isinstance(need, str) else need
        if not any(option in columns for option in options):
            missing.append(options[0])
    return missing


def _score(columns: Collection[str], required: Required) -> tuple[int, int]:
    return len(required) - len(missing_fields(columns, required)), len(columns)


def _labels(cells: Iterable[Cell]) -> tuple[str, ...]:
    return tuple(nfc(cell_text(cell)) for cell in cells)


def _label_like(cells: Iterable[Cell]) -> bool:
    """Only text without digits: no data row of any import looks like this (each has a citizen ID)."""
    for cell in cells:
        if cell is None or cell == "":
            continue
        if not isinstance(cell, str) or any(ch.isdigit() for ch in cell):
            return False
    return True


def _two_row_header(rows: Sequence[RawRow], position: int, top: tuple[str, ...], top_columns: dict[str, int],
                    mapper: Mapper, required: Required) -> Header | None:
    if position + 1 >= len(rows):
        return None
    row, below = rows[position], rows[position + 1]
    if below.line != row.line + 1 or not _label_like(below.cells):
        return None
    subs = _labels(below.cells)
    combined: list[str] = []
    carried = ""  # the label of a merged cell, carried right while the row below has labels
    spanned = False
    for index in range(max(len(top), len(subs))):
        label = top[index] if index < len(top) else ""
        sub = subs[index] if index < len(subs) else ""
        if label:
            carried = label if sub else ""
            combined.append(f"{label}{SUB_SEPARATOR}{sub}" if sub else label)
        elif sub and carried:
            spanned = True
            combined.append(f"{carried}{SUB_SEPARATOR}{sub}")
        else:
            carried = ""
            combined.append(sub)
    columns = mapper(combined)
    gained, kept = _score(columns, required), _score(top_columns, required)
    if gained > kept or (spanned and gained >= kept):
        return Header(position, row.line, columns, tuple(combined), sub_line=below.line)
    return None


def find_footer(rows: Sequence[RawRow], columns: Iterable[int], start: int,
                after_line: int) -> tuple[int, Footer | None]:
    """(end of the data, the footer left out) for the rows from `start` (the first row below the header, whose
    last line is `after_line`).

    The footer is the last block of the file in which every row looks like a footer: a totals or signature
    keyword first ("Tổng cộng", "Người lập biểu", "(Ký, ghi rõ họ tên)", "Ngày … tháng … năm …"), or at most one
    filled cell among the mapped `columns` (without digits); rows after the first may also be text without digits (the signers'
    names). It begins after a blank row, or right under the data with a keyword row. A full data row after such a
    block makes the block data (its problems are reported as usual): nothing that may be data is dropped.
    """
    mapped = tuple(columns)
    end = len(rows)
    tail = end
    while tail > start and _weak_footer_row(rows[tail - 1].cells, mapped):
        tail -= 1
    for index in range(tail, end):
        cells = rows[index].cells
        previous = rows[index - 1].line if index > start else after_line
        keyword = _has_keyword(cells)
        if keyword or (rows[index].line > previous + 1 and _sparse(cells, mapped)):
            return index, Footer(rows[index].line, rows[end - 1].line, end - index,
                                 _shorten(_first_text(cells)))
    return end, None


def _first_text(cells: Iterable[Cell]) -> str:
    for cell in cells:
        text = nfc(cell_text(cell))
        if text:
            return text
    return ""


def _shorten(text: str) -> str:
    return text if len(text) <= FOOTER_TEXT_SHOWN else text[:FOOTER_TEXT_SHOWN - 1] + "…"


def _has_keyword(cells: Iterable[Cell]) -> bool:
    first = label_key(_first_text(cells))
    if first.startswith(_FOOTER_PREFIXES) or _TOTAL_LINE.fullmatch(first):
        return True
    return any(isinstance(cell, str) and _DATE_LINE.search(label_key(cell)) for cell in cells)


def _sparse(cells: Sequence[Cell], mapped: Sequence[int]) -> bool:
    """At most one filled cell among the mapped columns, and without digits: a citizen ID alone (an attendance
    row whose "present" cell is blank) is data."""
    width = len(cells)
    filled = [text for text in (cell_text(cells[index]).strip() for index in mapped if index < width) if text]
    return len(filled) <= 1 and not any(ch.isdigit() for text in filled for ch in text)


def _weak_footer_row(cells: Sequence[Cell], mapped: Sequence[int]) -> bool:
    if _sparse(cells, mapped) or _has_keyword(cells):
        return True
    return all(not any(ch.isdigit() for ch in cell_text(cell)) for cell in cells)


class SheetChoiceNeeded(SheetFileError):
    """Several visible sheets of the workbook hold a list with the import's header: the user says which one."""

    def __init__(self, names: Sequence[str]) -> None:
        shown = ", ".join(f"«{name}»" for name in names)
        super().__init__(f"Tệp có {len(names)} trang tính có danh sách ({shown}): hãy chọn trang cần nhập.",
                         f"The file has {len(names)} sheets with a list ({shown}): choose the one to import.")
        self.names = tuple(names)


def read_list_sheet(filename: str, data: bytes, has_header: Callable[[Sequence[RawRow]], bool],
                    sheet: str | None = None, limits: SheetLimits | None = None) -> Sheet:
    """The sheet an import reads: the one named; else, of the visible sheets holding data, the one whose rows have
    the import's header (the active sheet first). Several such sheets: SheetChoiceNeeded, never a silent pick; a
    workbook's other sheets (instructions, a list of hamlets) do not count. Hidden sheets are read only by name."""
    first = read_sheet(filename, data, sheet, limits)
    others = [info.name for info in first.other_sheets if info.visible]
    if sheet or not others:
        return first
    listed = [candidate for candidate in (first, *(read_sheet(filename, data, name, limits) for name in others))
              if has_header(candidate.rows)]
    if len(listed) > 1:
        raise SheetChoiceNeeded([candidate.name or "" for candidate in listed])
    return listed[0] if listed else first


def sheet_notes(sheet: Sheet) -> list[str]:
    """What the preview says about how the file was read (Vietnamese): the sheet read and those left aside (hidden
    ones named as such), and a conversion from a legacy font's encoding."""
    notes = []
    if sheet.name is not None and len(sheet.sheets) > 1:
        notes.append(f"Đã đọc trang «{sheet.name}».")
    left = [f"«{info.name}»" + ("" if info.visible else " (trang ẩn)") for info in sheet.other_sheets]
    if left:
        notes.append("Không đọc các trang khác có dữ liệu: " + ", ".join(left) + ".")
    if sheet.converted_from:
        notes.append(f"Đã chuyển từ bảng mã {sheet.converted_from} sang Unicode: hãy xem lại họ tên ở phần xem trước.")
    return notes
