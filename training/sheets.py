"""The attendance sheet of a training session: which citizen IDs were present (read with core.spreadsheets)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from core.spreadsheets import SheetFileError, read_sheet
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


def _raw_rows(filename: str, data: bytes) -> list[tuple[int, list[Any]]]:
    try:
        sheet = read_sheet(filename, data)
    except SheetFileError as error:
        raise SheetError(error.message) from error
    return [(row.line, list(row.cells)) for row in sheet.rows]


def read_attendance(filename: str, data: bytes) -> list[SheetRow]:
    """Rows of (citizen ID, present) below the header row that names both columns."""
    rows = _raw_rows(filename, data)
    for index, (_, cells) in enumerate(rows[:20]):  # noqa: B007 (the header row found is used below)
        keys = [_key(c) for c in cells]
        id_col = next((i for i, k in enumerate(keys) if any(h in k for h in ID_HEADERS)), None)
        present_col = next((i for i, k in enumerate(keys) if any(h in k for h in PRESENT_HEADERS)), None)
        if id_col is not None and present_col is not None:
            break
    else:
        raise SheetError("Không tìm thấy dòng tiêu đề có cột «Số định danh» và cột «Có mặt».")
    out = []
    for line, cells in rows[index + 1:]:
        if not any(_text(c) for c in cells):
            continue
        citizen_id = _text(cells[id_col] if id_col < len(cells) else "").replace(" ", "")
        raw = _text(cells[present_col] if present_col < len(cells) else "")
        value = _key(raw)
        if not raw:
            present: bool | None = False  # a blank cell: absent
        elif raw in TICKS or value in YES:
            present = True
        else:
            present = False if value and value in NO else None
        out.append(SheetRow(line, citizen_id, present))
    return out
