"""Spreadsheets of the training package: reading an attendance sheet, writing XLSX exports."""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

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
    if not data.strip():
        raise SheetError("Tệp rỗng.")
    if data.startswith(b"PK\x03\x04"):
        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
            return [(n, list(row)) for n, row in enumerate(sheet.iter_rows(values_only=True), start=1)]
        except Exception as exc:  # openpyxl raises several error types for damaged files
            raise SheetError("Không đọc được tệp Excel (tệp hỏng hoặc có mật khẩu).") from exc
    if filename.lower().endswith(".xlsx"):
        raise SheetError("Tệp Excel bị hỏng hoặc không phải tệp Excel.")
    for encoding in ("utf-8-sig", "cp1258"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1258 decodes nearly anything
        raise SheetError("Không nhận ra bảng mã; hãy lưu lại dưới dạng CSV UTF-8.")
    first = text.splitlines()[0] if text.splitlines() else ""
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [(reader.line_num, row) for row in reader]


def read_attendance(filename: str, data: bytes) -> list[SheetRow]:
    """Rows of (citizen ID, present) below the header row that names both columns."""
    rows = _raw_rows(filename, data)
    for index, (_, cells) in enumerate(rows[:20]):
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


def workbook_bytes(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """An XLSX file with one sheet per (title, headers, rows); bold headers, widened columns."""
    book = Workbook()
    book.remove(book.active)
    for title, headers, rows in sheets:
        sheet = book.create_sheet(title[:31])
        sheet.append(list(headers))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        widths = [len(h) for h in headers]
        for row in rows:
            sheet.append(list(row))
            widths = [max(w, len(str(v or ""))) for w, v in zip(widths, row, strict=False)]
        for i, width in enumerate(widths, start=1):
            sheet.column_dimensions[sheet.cell(1, i).column_letter].width = min(width + 2, 60)
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
