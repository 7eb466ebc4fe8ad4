"""The attendance sheet of a training session: which citizen IDs were present (read with core.spreadsheets)."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.sheet_layout import Footer, SheetChoiceNeeded, find_footer, find_header, read_list_sheet, sheet_notes
from core.sheet_values import clean_citizen_id
from core.spreadsheets import RawRow, SheetFileError, SheetLimits
from core.vietnamese import fold, nfc

_NON_WORD = re.compile(r"[^a-z0-9]+")
ID_HEADERS = ("so dinh danh", "dinh danh", "cccd", "cmnd", "citizen id", "citizen")
PRESENT_HEADERS = ("co mat", "diem danh", "tham du", "present")
YES = {"x", "1", "co", "c", "co mat", "yes", "y", "true"}
TICKS = {"✓", "✔", "☑"}
NO = {"0", "khong", "k", "vang", "vang mat", "no", "n", "false", "-"}


class SheetError(Exception):
    """The file cannot be used at all (unreadable, no header)."""


@dataclass(frozen=True)
class SheetRow:
    line: int  # the line or row number the user sees
    citizen_id: str
    present: bool | None  # None: a value that means neither present nor absent


@dataclass(frozen=True)
class AttendanceSheet:
    rows: list[SheetRow]  # the data: below the header, above the footer
    footer: Footer | None = None  # rows left out under the data (totals, signatures)
    notes: tuple[str, ...] = ()  # how the file was read (the sheet, a legacy encoding converted)


def _key(text: Any) -> str:
    return _NON_WORD.sub(" ", fold(_text(text))).strip()


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, bool):
        return "1" if cell else "0"
    return nfc(str(cell))


def _map_header(cells: Sequence[object]) -> dict[str, int]:
    """The citizen ID and "present" columns a header row names."""
    keys = [_key(c) for c in cells]
    columns = {}
    id_col = next((i for i, k in enumerate(keys) if any(h in k for h in ID_HEADERS)), None)
    present_col = next((i for i, k in enumerate(keys) if any(h in k for h in PRESENT_HEADERS)), None)
    if id_col is not None:
        columns["citizen_id"] = id_col
    if present_col is not None:
        columns["present"] = present_col
    return columns


def read_attendance(filename: str, data: bytes, sheet_name: str | None = None,
                    limits: SheetLimits | None = None) -> AttendanceSheet:
    """Rows of (citizen ID, present) below the header row (one or two rows) that names both columns, above the
    footer; SheetChoiceNeeded when several sheets hold such a list and none is named."""
    try:
        sheet = read_list_sheet(filename, data, _has_header, sheet_name, limits)
    except SheetChoiceNeeded:
        raise
    except SheetFileError as error:
        raise SheetError(error.message) from error
    header = find_header(sheet.rows, _map_header, _REQUIRED, search_rows=20)
    if header is None or len(header.columns) < 2:
        raise SheetError("Không tìm thấy dòng tiêu đề có cột «Số định danh» và cột «Có mặt».")
    id_col, present_col = header.columns["citizen_id"], header.columns["present"]
    end, footer = find_footer(sheet.rows, header.columns.values(), header.data_start, header.last_line)
    out = []
    for raw in sheet.rows[header.data_start:end]:
        cells = raw.cells
        citizen_id = clean_citizen_id(cells[id_col] if id_col < len(cells) else None)
        raw_present = _text(cells[present_col] if present_col < len(cells) else "")
        value = _key(raw_present)
        if not raw_present:
            present: bool | None = False  # a blank cell: absent
        elif raw_present in TICKS or value in YES:
            present = True
        else:
            present = False if value and value in NO else None
        out.append(SheetRow(raw.line, citizen_id, present))
    return AttendanceSheet(out, footer, tuple(sheet_notes(sheet)))


_REQUIRED = ("citizen_id", "present")


def _has_header(rows: Sequence[RawRow]) -> bool:
    header = find_header(rows, _map_header, _REQUIRED, search_rows=20)
    return header is not None and len(header.columns) == 2
