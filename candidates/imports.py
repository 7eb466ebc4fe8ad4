"""Import of candidate lists from Excel (communes that prepare them in a spreadsheet): all or nothing.

Columns (header names matched without diacritics, in any order): hamlet code or name, full name, citizen ID,
birth date, proposer. Every person must already be in the registry of that hamlet (matched by citizen ID).
`read_candidate_sheet` → `check_rows` (every problem, one Vietnamese message per row) → `apply_rows` only when none.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from candidates.models import CandidateList, ProposedBy
from candidates.rules import get_rule_set
from core.models import Commune, Hamlet, Person, Term
from core.spreadsheets import SheetFileError, SheetSpec, read_sheet, workbook_bytes
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


def _map_header(cells: list[object]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        key = f" {_key(cell)} "
        for keyword, name in _KEYWORDS:
            if f" {keyword} " in key and name not in columns:
                columns[name] = index
                break
    return columns


def read_candidate_sheet(filename: str, data: bytes) -> list[SheetRow]:
    """The non-blank rows under the header row of the first sheet."""
    try:
        sheet = read_sheet(filename, data)
    except SheetFileError as error:
        raise ImportFileError(error.message) from error
    lines = [raw.line for raw in sheet.rows]
    rows = [list(raw.cells) for raw in sheet.rows]
    for header_index, cells in enumerate(rows[:_HEADER_SEARCH_ROWS]):  # noqa: B007 (the header row found is used below)
        columns = _map_header(list(cells))
        if len(columns) >= 2:
            break
    else:
        raise ImportFileError("Không tìm thấy dòng tiêu đề (cần các cột: " + ", ".join(TEMPLATE_HEADERS) + ").")
    missing = [TEMPLATE_HEADERS[FIELDS.index(f)] for f in REQUIRED_FIELDS if f not in columns]
    if missing:
        raise ImportFileError("Thiếu cột: " + ", ".join(missing) + ".")
    out = []
    for line, cells in zip(lines[header_index + 1:], rows[header_index + 1:], strict=True):
        values = {name: cells[col] if col < len(cells) else None for name, col in columns.items()}
        if all(v is None or str(v).strip() == "" for v in values.values()):
            continue
        out.append(SheetRow(line, values))
    return out


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return nfc(str(value))


def _citizen_id(value: object) -> str:
    text = _text(value).replace(" ", "").replace(".", "")
    # A numeric cell loses the leading zero of every Vietnamese ID (province codes start with 0).
    if text.isdigit() and isinstance(value, (int, float)) and len(text) < 12:
        text = text.zfill(12)
    return text


def _birth_date(value: object) -> date | None | str:
    """A date, None when blank, or the text when it is not a date."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return text


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
        if isinstance(born, str):
            problems.append(f"ngày sinh «{born}» không hợp lệ (dd/mm/yyyy)")
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
