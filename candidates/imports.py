"""Import of candidate lists from Excel (communes that prepare them in a spreadsheet): all or nothing.

Columns (header names matched without diacritics, in any order): hamlet code or name, full name, citizen ID,
birth date, proposer. Every person must already be in the registry of that hamlet (matched by citizen ID).
`read_candidate_sheet` → `check_rows` (every problem, one Vietnamese message per row) → `apply_rows` only when none.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from candidates.models import CandidateList, ProposedBy
from candidates.rules import get_rule_set
from core.models import Commune, Hamlet, Person, Term
from core.sheet_layout import (
    Footer,
    SheetChoiceNeeded,
    find_footer,
    find_header,
    missing_fields,
    read_list_sheet,
    sheet_notes,
)
from core.sheet_values import DateError, clean_citizen_id, is_digits, parse_date
from core.spreadsheets import RawRow, SheetFileError, SheetLimits, SheetSpec, workbook_bytes
from core.vietnamese import fold, nfc
from extensions import db

TEMPLATE_HEADERS = ("Mã hoặc tên thôn/TDP", "Họ và tên", "Số định danh cá nhân (CCCD)", "Ngày sinh (dd/mm/yyyy)",
                    "Người giới thiệu")
FIELDS = ("hamlet", "full_name", "citizen_id", "birth_date", "proposer")
REQUIRED_FIELDS = ("hamlet", "citizen_id")
# Folded header keywords → field (the first keyword found in a header cell wins).
_KEYWORDS = (("gioi thieu", "proposer"), ("de cu", "proposer"), ("ngay sinh", "birth_date"),
             ("dinh danh", "citizen_id"), ("cccd", "citizen_id"), ("cmnd", "citizen_id"),
             ("ho va ten", "full_name"), ("ho ten", "full_name"), ("thon", "hamlet"), ("to dan pho", "hamlet"),
             ("tdp", "hamlet"))
_HEADER_SEARCH_ROWS = 10
_NON_WORD = re.compile(r"[^0-9a-z]+")
_HAMLET_PREFIXES = ("thon ", "to dan pho ", "tdp ", "khu pho ", "to ")


class ImportFileError(Exception):
    """The file cannot be used at all (unreadable, no header row, a required column missing)."""


@dataclass(frozen=True)
class SheetRow:
    line: int  # the row number Excel shows
    values: dict[str, object]


@dataclass(frozen=True)
class CandidateSheet:
    rows: list[SheetRow]  # the data: below the header, above the footer
    footer: Footer | None = None  # rows left out under the data (totals, signatures), shown on the page
    notes: tuple[str, ...] = ()  # how the file was read (the sheet, a legacy encoding converted)


@dataclass
class PlannedRow:
    line: int
    hamlet: Hamlet
    person: Person
    proposed_by: ProposedBy


@dataclass
class CheckResult:
    rows: list[PlannedRow] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, Vietnamese message)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


def _key(text: object) -> str:
    return _NON_WORD.sub(" ", fold(str(text or ""))).strip()


def _map_header(cells: Sequence[object]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        key = f" {_key(cell)} "
        for keyword, name in _KEYWORDS:
            if f" {keyword} " in key and name not in columns:
                columns[name] = index
                break
    return columns


def read_candidate_sheet(filename: str, data: bytes, sheet_name: str | None = None,
                         limits: SheetLimits | None = None) -> CandidateSheet:
    """The non-blank rows under the header row (one or two rows) of the sheet with the list, above its footer;
    SheetChoiceNeeded when several sheets hold one and none is named."""
    try:
        sheet = read_list_sheet(filename, data, _has_header, sheet_name, limits)
    except SheetChoiceNeeded:
        raise
    except SheetFileError as error:
        raise ImportFileError(error.message) from error
    header = find_header(sheet.rows, _map_header, REQUIRED_FIELDS, _HEADER_SEARCH_ROWS)
    if header is None:
        raise ImportFileError("Không tìm thấy dòng tiêu đề (cần các cột: " + ", ".join(TEMPLATE_HEADERS) + ").")
    columns = header.columns
    missing = [TEMPLATE_HEADERS[FIELDS.index(f)] for f in missing_fields(columns, REQUIRED_FIELDS)]
    if missing:
        raise ImportFileError("Thiếu cột: " + ", ".join(missing) + ".")
    end, footer = find_footer(sheet.rows, columns.values(), header.data_start, header.last_line)
    out = []
    for raw in sheet.rows[header.data_start:end]:
        cells = raw.cells
        values = {name: cells[col] if col < len(cells) else None for name, col in columns.items()}
        if all(v is None or str(v).strip() == "" for v in values.values()):
            continue
        out.append(SheetRow(raw.line, values))
    return CandidateSheet(out, footer, tuple(sheet_notes(sheet)))


def _has_header(rows: Sequence[RawRow]) -> bool:
    return find_header(rows, _map_header, REQUIRED_FIELDS, _HEADER_SEARCH_ROWS) is not None


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return nfc(str(value))


def _citizen_id(value: object) -> str:
    return clean_citizen_id(value)  # digits of any script to ASCII; a numeric cell gets its leading zero back


# Why a birth date cell is refused (core.sheet_values.parse_date's codes), as a fragment of the row's message.
_DATE_REASONS = {
    "two_digit_year": "năm phải ghi đủ 4 chữ số, không đoán được thế kỷ",
    "year_only": "cần ghi đủ ngày/tháng/năm",
    "nonexistent_date": "ngày này không tồn tại",
}


def _birth_date(value: object) -> date | None | tuple[str, str]:
    """A date, None when blank, or (the text, why it is refused): the roll's date parser, so Excel dates and
    serials are read alike."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        parsed = parse_date(value)
    except DateError as error:
        return _text(value), _DATE_REASONS.get(error.code, "ghi theo dạng dd/mm/yyyy")
    return (_text(value), _DATE_REASONS["year_only"]) if isinstance(parsed, int) else parsed


def _proposer(value: object) -> ProposedBy | None:
    key = _key(value)
    if not key or "mat tran" in key or key == ProposedBy.FRONT_COMMITTEE.value.replace("_", " "):
        return ProposedBy.FRONT_COMMITTEE  # the usual way (59-KH/HU): the Front work committee proposes
    if "de cu" in key or "hoi nghi" in key or key == "floor":
        return ProposedBy.FLOOR
    return None


def _hamlet_index(commune: Commune) -> dict[str, Hamlet]:
    index: dict[str, Hamlet] = {}
    for hamlet in commune.hamlets:
        if hamlet.ended_on is not None:
            continue
        index[hamlet.code.lower()] = hamlet
        index[_key(hamlet.name)] = hamlet
        index[_key(hamlet.full_name)] = hamlet
    return index


def _find_hamlet(index: dict[str, Hamlet], raw: str) -> Hamlet | None:
    if raw.lower() in index:
        return index[raw.lower()]
    key = _key(raw)
    if key in index:
        return index[key]
    for prefix in _HAMLET_PREFIXES:
        if key.startswith(prefix) and key.removeprefix(prefix) in index:
            return index[key.removeprefix(prefix)]
    return None


def check_rows(rows: list[SheetRow], commune: Commune, term: Term, round_no: int = 1) -> CheckResult:
    """Every problem of every row (Vietnamese), and the rows to add when there is none."""
    result = CheckResult()
    if not rows:
        result.errors.append((0, "Tệp không có dòng dữ liệu nào."))
        return result
    hamlets = _hamlet_index(commune)
    seen: Counter[str] = Counter()
    lists: dict[int, CandidateList | None] = {}
    added: Counter[int] = Counter()

    for row in rows:
        problems: list[str] = []
        raw_hamlet = _text(row.values.get("hamlet"))
        hamlet = _find_hamlet(hamlets, raw_hamlet) if raw_hamlet else None
        if not raw_hamlet:
            problems.append("thiếu mã hoặc tên thôn, tổ dân phố")
        elif hamlet is None:
            problems.append(f"không có thôn, tổ dân phố «{raw_hamlet}» trong {commune.full_name}")
        cid = _citizen_id(row.values.get("citizen_id"))
        person = None
        if not cid:
            problems.append("thiếu số định danh cá nhân")
        elif len(cid) != 12 or not is_digits(cid):
            problems.append(f"số định danh «{cid}» phải gồm đúng 12 chữ số")
        else:
            seen[cid] += 1
            if seen[cid] > 1:
                problems.append(f"số định danh {cid} lặp lại trong tệp")
            person = db.session.scalar(db.select(Person).where(Person.citizen_id == cid))
            if person is None:
                problems.append(f"số định danh {cid} không có trong sổ đăng ký nhân sự")
        if person is not None and hamlet is not None and person.hamlet_id != hamlet.id:
            problems.append(f"{person.full_name} không thường trú tại {hamlet.full_name} (R-E1)")
        name = _text(row.values.get("full_name"))
        if person is not None and name and fold(name) != person.name_folded:
            problems.append(f"họ tên «{name}» không khớp với sổ đăng ký («{person.full_name}»)")
        born = _birth_date(row.values.get("birth_date"))
        if isinstance(born, tuple):
            problems.append(f"ngày sinh «{born[0]}» không hợp lệ ({born[1]})")
        elif person is not None and born is not None and born != person.birth_date:
            problems.append(f"ngày sinh {born:%d/%m/%Y} khác sổ đăng ký ({person.birth_date:%d/%m/%Y})")
        proposed_by = _proposer(row.values.get("proposer"))
        if proposed_by is None:
            problems.append(f"người giới thiệu «{_text(row.values.get('proposer'))}» không hợp lệ "
                            "(Ban công tác Mặt trận hoặc Đề cử tại hội nghị)")
        if hamlet is not None:
            if hamlet.id not in lists:
                lists[hamlet.id] = CandidateList.for_hamlet(term, hamlet, round_no)
            existing = lists[hamlet.id]
            if existing is not None and existing.locked:
                problems.append(f"danh sách {hamlet.full_name} đã được xác nhận và khóa")
            elif person is not None:
                on_list = existing.candidacies if existing is not None else []
                if any(c.person_id == person.id for c in on_list):
                    problems.append(f"{person.full_name} đã có trong danh sách {hamlet.full_name}")
                else:
                    added[hamlet.id] += 1
                    limit = get_limit(term)
                    if len(on_list) + added[hamlet.id] > limit:
                        problems.append(f"{hamlet.full_name} vượt quá {limit} người ứng cử (R-V3)")
        if problems:
            result.errors.append((row.line, "; ".join(problems)))
        elif hamlet is not None and person is not None and proposed_by is not None:
            result.rows.append(PlannedRow(row.line, hamlet, person, proposed_by))
    return result


def get_limit(term: Term) -> int:
    """R-V3: the maximum number of candidates per hamlet in the term's rule set."""
    return get_rule_set(term.rule_set).max_candidates_per_hamlet


def apply_rows(result: CheckResult, term: Term, round_no: int = 1) -> int:
    """Add the checked rows (the model re-checks each; a RuleViolation aborts the whole import)."""
    if not result.ok:
        raise ValueError("apply_rows needs a result without errors")
    for row in result.rows:
        candidate_list = CandidateList.for_hamlet(term, row.hamlet, round_no, create=True)
        candidate_list.add(row.person, row.proposed_by, note=f"Nhập từ Excel, dòng {row.line}")
    return len(result.rows)


def template_xlsx(commune: Commune | None = None) -> bytes:
    """An empty template with the headers, a drop-down for the proposer, notes and, when known, the commune's hamlets."""
    sheets = [
        SheetSpec("Danh sách ứng cử", TEMPLATE_HEADERS, [], text_columns=(2,), widths=(22, 28, 26, 20, 28),
                  choices={4: ("Ban công tác Mặt trận", "Đề cử tại hội nghị")}),
        SheetSpec("Hướng dẫn", ["Hướng dẫn"], [
            ["Mỗi dòng một người ứng cử; người phải có trong sổ đăng ký của thôn (so theo số định danh)."],
            ["Người giới thiệu: «Ban công tác Mặt trận» (để trống cũng hiểu như vậy) hoặc «Đề cử tại hội nghị»."],
            ["Tệp có lỗi ở bất kỳ dòng nào thì không dòng nào được nhập."]]),
    ]
    if commune is not None:
        sheets.append(SheetSpec("Thôn, TDP", ["Mã", "Tên", "Xã"],
                                [[hamlet.code, hamlet.full_name, commune.full_name] for hamlet in commune.hamlets]))
    return workbook_bytes(sheets)
