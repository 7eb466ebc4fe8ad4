"""Reading and validating household voter-roll files (election/rolls.py, R-V1)."""
from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import re
import unicodedata
from datetime import date, datetime

import openpyxl
import pytest

from core.citizen_id import make_citizen_id
from election.rolls import (
    TEMPLATE_HEADERS,
    RollContext,
    RollFileError,
    RollRules,
    full_years,
    read_rows,
    roll_fingerprint,
    short_fingerprint,
    validate_roll,
    write_csv_template,
)

ELECTION_DAY = date(2025, 6, 8)  # a Sunday
HEADER = ["Số hộ", "Họ và tên", "Số CCCD", "Ngày sinh", "Giới tính", "Thôn", "Địa chỉ"]
BORN_AN = date(1980, 9, 5)
BORN_BICH = date(1992, 1, 31)
ID_AN = make_citizen_id("051", BORN_AN, "male", 1)
ID_BICH = make_citizen_id("051", BORN_BICH, "female", 2)
GOOD_ROWS = [
    ["1", "Nguyễn Văn An", ID_AN, "05/09/1980", "Nam", "Thôn An Phú", "Xóm 1, Bình Sơn"],
    ["2", "Trần Thị Bích", ID_BICH, "31/01/1992", "Nữ", "Thôn An Phú", "Xóm 2, Bình Sơn"],
]


def context(**overrides) -> RollContext:
    values = {"hamlet_name": "Thôn An Phú", "election_day": ELECTION_DAY}
    values.update(overrides)
    return RollContext(**values)


def csv_text(rows: list[list[str]], delimiter: str = ",", header: list[str] | None = None) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header or HEADER)
    writer.writerows(rows)
    return buffer.getvalue()


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def person(household: str, name: str, born: date, sex: str = "male", tail: int = 9, **cells: str) -> list[str]:
    """A data row in HEADER order; `cells` overrides by field (citizen_id=, birth=, sex_cell=, hamlet=)."""
    return [
        household, name, cells.get("citizen_id", make_citizen_id("051", born, sex, tail)),
        cells.get("birth", f"{born:%d/%m/%Y}"), cells.get("sex_cell", "Nam" if sex == "male" else "Nữ"),
        cells.get("hamlet", "Thôn An Phú"), "",
    ]


def preview_of(rows: list[list[str]], ctx: RollContext | None = None):
    return validate_roll(read_rows("roll.csv", csv_text(rows).encode("utf-8")), ctx or context())


def codes(preview) -> list[tuple[int, str]]:
    return [(problem.line, problem.code) for problem in preview.problems]


def to_cp1258(text: str) -> bytes:
    """Encode like Vietnamese Windows: â ê ô ă ơ ư đ are single bytes, tone marks are combining bytes."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            tone = "".join(part for part in parts if part in tones)
            base = unicodedata.normalize("NFC", "".join(part for part in parts if part not in tones))
            out += base.encode("cp1258") + tone.encode("cp1258")
    return bytes(out)


# --- encodings --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("encode", [
    lambda text: text.encode("utf-8"),
    lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
    lambda text: text.encode("utf-16"),  # BOM + platform order (little-endian)
    lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
    to_cp1258,
], ids=["utf-8", "utf-8-bom", "utf-16-le", "utf-16-be", "cp1258"])
def test_good_file_reads_the_same_in_every_encoding(encode):
    table = read_rows("roll.csv", encode(csv_text(GOOD_ROWS)))
    preview = validate_roll(table, context())
    assert preview.ok, preview.problems
    assert [row.full_name for row in preview.rows] == ["Nguyễn Văn An", "Trần Thị Bích"]
    assert all(unicodedata.is_normalized("NFC", row.full_name) for row in preview.rows)
    assert [row.line for row in preview.rows] == [2, 3]
    assert preview.rows[0].address == "Xóm 1, Bình Sơn"


def test_cp1258_file_decodes_to_decomposed_marks_and_is_normalised():
    data = to_cp1258(csv_text(GOOD_ROWS))
    decoded = data.decode("cp1258")
    assert "Nguy\u00ea\u0303n" in decoded  # what Python's codec gives: ê + combining tilde, not ễ
    assert not unicodedata.is_normalized("NFC", decoded)
    table = read_rows("roll.csv", data)
    assert table.encoding == "cp1258"
    assert table.headers[:2] == ("Số hộ", "Họ và tên")
    assert validate_roll(table, context()).rows[0].full_name == "Nguyễn Văn An"


def test_utf16_without_bom_is_recognised_by_its_zero_bytes():
    table = read_rows("roll.csv", csv_text(GOOD_ROWS).encode("utf-16-le"))
    assert table.encoding == "utf-16-le"
    assert validate_roll(table, context()).rows[1].full_name == "Trần Thị Bích"


def test_utf8_file_keeps_utf8_even_when_cp1258_would_also_decode():
    table = read_rows("roll.csv", csv_text(GOOD_ROWS).encode("utf-8"))
    assert table.encoding == "utf-8"


# --- delimiters and layout --------------------------------------------------------------------------------

@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiter_is_detected(delimiter):
    table = read_rows("roll.csv", csv_text(GOOD_ROWS, delimiter).encode("utf-8"))
    assert table.delimiter == delimiter
    preview = validate_roll(table, context())
    assert preview.ok
    assert preview.rows[1].address == "Xóm 2, Bình Sơn"  # a comma inside a ;-delimited cell stays


def test_semicolon_file_with_unquoted_commas_in_addresses():
    text = "Số hộ;Họ và tên;Số CCCD;Ngày sinh;Địa chỉ\n" \
           f"1;Nguyễn Văn An;{ID_AN};05/09/1980;Xóm 1, thôn An Phú, xã Bình Sơn\n" \
           f"2;Trần Thị Bích;{ID_BICH};31/01/1992;Xóm 2, thôn An Phú\n"
    table = read_rows("roll.csv", text.encode("utf-8"))
    assert table.delimiter == ";"
    assert validate_roll(table, context()).rows[0].address == "Xóm 1, thôn An Phú, xã Bình Sơn"


def test_title_rows_and_blank_lines_above_the_header_keep_file_line_numbers():
    text = ("DANH SÁCH CỬ TRI ĐẠI DIỆN HỘ GIA ĐÌNH,,,,,,\n"
            "Thôn An Phú - xã Bình Sơn,,,,,,\n\n" + csv_text(GOOD_ROWS[:1]) + "\n" + csv_text(GOOD_ROWS[1:])
            .split("\r\n", 1)[1])
    table = read_rows("roll.csv", text.encode("utf-8"))
    assert table.header_line == 4
    preview = validate_roll(table, context())
    assert preview.ok
    assert [row.line for row in preview.rows] == [5, 7]  # the blank line 6 is skipped but still counted


def test_quoted_cell_spanning_lines_reports_the_line_where_the_record_starts():
    rows = [GOOD_ROWS[0][:6] + ["Xóm 1\nBình Sơn"], person("2", "Lê Văn Cường", date(1970, 1, 1), tail=3)]
    rows[1][1] = ""
    preview = preview_of(rows)
    assert codes(preview) == [(4, "missing_name")]


def test_headers_without_diacritics_in_capitals_are_recognised():
    header = ["STT", "MA HO", "HO VA TEN", "SO DINH DANH", "NGAY SINH", "GIOI TINH", "TO DAN PHO", "GHI CHU"]
    rows = [["1", *GOOD_ROWS[0][:5], "An Phu", ""]]
    table = read_rows("roll.csv", csv_text(rows, header=header).encode("utf-8"))
    assert set(table.columns) == {"household_no", "full_name", "citizen_id", "birth_date", "sex", "hamlet"}
    assert table.ignored_headers == ("STT", "GHI CHU")
    assert validate_roll(table, context()).ok


@pytest.mark.parametrize("header", [
    ["Số sổ hộ khẩu", "Họ tên", "Căn cước công dân", "Ngày tháng năm sinh"],
    ["Số hộ (*)", "Họ và tên chủ hộ", "Số định danh cá nhân/CCCD (12 số)", "Ngày sinh (dd/mm/yyyy)"],
    ["household no", "Full name", "Citizen ID", "Date of birth"],
])
def test_header_variants_map_to_the_required_fields(header):
    table = read_rows("roll.csv", csv_text([GOOD_ROWS[0][:4]], header=header).encode("utf-8"))
    assert table.columns == {"household_no": 0, "full_name": 1, "citizen_id": 2, "birth_date": 3}


def test_short_line_gets_empty_trailing_cells():
    text = csv_text(GOOD_ROWS) + "3,Lê Văn Cường\n"
    preview = validate_roll(read_rows("roll.csv", text.encode("utf-8")), context())
    assert (4, "missing_citizen_id") in codes(preview) and (4, "missing_birth_date") in codes(preview)


# --- unusable files ---------------------------------------------------------------------------------------

def test_missing_required_column_names_it_in_vietnamese():
    header = ["Số hộ", "Họ và tên", "Ngày sinh"]
    with pytest.raises(RollFileError) as error:
        read_rows("roll.csv", csv_text([["1", "A", "01/01/1980"]], header=header).encode("utf-8"))
    assert error.value.message == "Thiếu cột: Số định danh cá nhân (CCCD)."
    assert error.value.message_en == "Missing column(s): citizen id."


def test_file_without_a_header_row_is_refused():
    with pytest.raises(RollFileError) as error:
        read_rows("roll.csv", b"a,b,c\n1,2,3\n")
    assert "tiêu đề" in error.value.message


def test_header_below_the_first_ten_lines_is_not_searched():
    text = "ghi chú\n" * 10 + csv_text(GOOD_ROWS)
    with pytest.raises(RollFileError):
        read_rows("roll.csv", text.encode("utf-8"))


@pytest.mark.parametrize("data", [b"", b"  \r\n"])
def test_empty_file_is_refused(data):
    with pytest.raises(RollFileError, match="rỗng"):
        read_rows("roll.csv", data)


def test_header_without_data_rows_is_refused():
    with pytest.raises(RollFileError, match="không có dòng dữ liệu"):
        read_rows("roll.csv", csv_text([]).encode("utf-8"))


def test_damaged_xlsx_is_refused():
    with pytest.raises(RollFileError, match="Excel"):
        read_rows("roll.xlsx", b"PK\x03\x04 not really a zip")
    with pytest.raises(RollFileError, match="Excel"):
        read_rows("roll.xlsx", b"plain text renamed to xlsx")


# --- spreadsheets -----------------------------------------------------------------------------------------

def test_xlsx_date_cells_serials_and_text_dates():
    people = [
        (date(1980, 9, 5), date(1980, 9, 5)),  # date cell
        (date(1975, 3, 1), datetime(1975, 3, 1, 0, 0)),  # datetime cell
        (date(1990, 5, 17), (date(1990, 5, 17) - date(1899, 12, 30)).days),  # Excel serial as a number
        (date(1969, 12, 31), "31/12/1969"),  # text, dd/mm/yyyy
        (date(2001, 2, 3), "3/2/2001"),  # text, d/m/yyyy
        (date(1988, 11, 20), "1988-11-20"),  # text, ISO
    ]
    rows: list[list[object]] = [["Danh sách cử tri thôn An Phú"], [], HEADER[:4]]
    for number, (born, cell) in enumerate(people, start=1):
        rows.append([number, f"Người Số {chr(64 + number)}", make_citizen_id("051", born, "male", number), cell])
    table = read_rows("roll.xlsx", xlsx_bytes(rows))
    assert table.source == "spreadsheet" and table.header_line == 3
    preview = validate_roll(table, context())
    assert preview.ok, preview.problems
    assert [row.birth_date for row in preview.rows] == [born for born, _ in people]
    assert [row.line for row in preview.rows] == [4, 5, 6, 7, 8, 9]
    assert preview.rows[0].household_no == "1"  # numeric cell 1.0 -> "1"


def test_xlsx_numeric_citizen_id_gets_its_leading_zero_back():
    number = make_citizen_id("001", BORN_AN, "male", 42)
    assert number.startswith("00")
    table = read_rows("roll.xlsx", xlsx_bytes([HEADER[:4], [7, "Nguyễn Văn An", int(number), BORN_AN]]))
    preview = validate_roll(table, context())
    assert preview.ok
    assert preview.rows[0].citizen_id == number


def test_csv_citizen_id_that_excel_stripped_of_zeros_is_restored():
    preview = preview_of([person("1", "Nguyễn Văn An", BORN_AN, citizen_id=ID_AN.lstrip("0"))])
    assert preview.ok
    assert preview.rows[0].citizen_id == ID_AN


# --- cleaning ---------------------------------------------------------------------------------------------

def test_names_are_nfc_title_cased_with_collapsed_spaces():
    decomposed = unicodedata.normalize("NFD", "  NGUYỄN   văn  \u00a0an ")
    preview = preview_of([person("1", decomposed, BORN_AN)])
    assert preview.rows[0].full_name == "Nguyễn Văn An"


def test_hamlet_column_accepts_the_same_hamlet_written_differently():
    rows = [person(str(n), "Lê Văn Cường", BORN_AN, tail=n, hamlet=h)
            for n, h in enumerate(["thôn an phú", "An Phu", "AN PHÚ", "Xóm Mới", ""], start=1)]
    preview = preview_of(rows, context(hamlet_aliases=("Xóm Mới",)))
    assert preview.ok, preview.problems


def test_numbered_hamlets_compare_by_number():
    rows = [person("1", "Lê Văn Cường", BORN_AN, hamlet="Thôn 01"), person("2", "Lê Văn Dũng", BORN_AN, tail=2,
                                                                      hamlet="Thôn 10")]
    preview = preview_of(rows, context(hamlet_name="Thôn 1"))
    assert codes(preview) == [(3, "other_hamlet")]


# --- problems, each with its line -------------------------------------------------------------------------

def test_missing_name_and_household_are_reported_on_their_line():
    rows = [GOOD_ROWS[0], person("", "Lê Văn Cường", BORN_AN, tail=3), person("4", "  ", BORN_AN, tail=4)]
    preview = preview_of(rows)
    assert codes(preview) == [(3, "missing_household"), (4, "missing_name")]
    assert not preview.ok
    assert preview.problems[1].message == "Thiếu họ và tên."


def test_name_with_digits_is_reported():
    assert codes(preview_of([person("1", "Nguyễn Văn 4n", BORN_AN)])) == [(2, "name_has_digits")]


@pytest.mark.parametrize(("citizen_id", "words"), [
    ("05108000012", "12 chữ số"),  # 11 digits starting with 0: a digit is missing, not a lost zero
    ("0510800000123", "12 chữ số"),
    ("05108000001A", "12 chữ số"),
    ("003080000001", "Mã tỉnh"),
    (make_citizen_id("051", date(1981, 9, 5), "male", 1), "năm sinh 1981"),
    (make_citizen_id("051", BORN_AN, "female", 1), "giới tính"),
])
def test_invalid_citizen_id_uses_birth_date_and_sex(citizen_id, words):
    preview = preview_of([person("1", "Nguyễn Văn An", BORN_AN, citizen_id=citizen_id)])
    assert codes(preview) == [(2, "invalid_citizen_id")]
    assert words in preview.problems[0].message


@pytest.mark.parametrize(("cell", "code"), [
    ("", "missing_birth_date"),
    ("5 tháng 9", "unreadable_date"),
    ("05/09/80", "two_digit_year"),
    ("31/02/1980", "nonexistent_date"),
    ("05/13/1980", "nonexistent_date"),  # dd/mm order: there is no 13th month
    ("09/06/2025", "born_after_election"),
    ("01/01/1900", "implausible_age"),
])
def test_bad_birth_dates(cell, code):
    preview = preview_of([GOOD_ROWS[0], person("2", "Nguyễn Văn An", BORN_AN, tail=2, birth=cell)])
    assert (3, code) in codes(preview)
    problem = next(p for p in preview.problems if p.code == code)
    assert problem.field == "birth_date" and problem.message and problem.message_en


def test_duplicate_household_reports_every_line():
    rows = [GOOD_ROWS[0], GOOD_ROWS[1], person("1", "Lê Văn Cường", date(1970, 1, 1), tail=3),
            person("01A", "Lê Văn Dũng", date(1970, 1, 1), tail=4), person("01a", "Lê Văn Em", date(1970, 1, 1), tail=5)]
    preview = preview_of(rows)
    assert codes(preview) == [(2, "duplicate_household"), (4, "duplicate_household"),
                              (5, "duplicate_household"), (6, "duplicate_household")]
    assert preview.problems[0].message == (
        "Số hộ «1» trùng với dòng 4: mỗi hộ chỉ có một người đại diện (R-V1).")
    assert "dòng 2" in preview.problems[1].message
    assert preview.household_count == 3


def test_duplicate_citizen_id_reports_both_lines():
    rows = [GOOD_ROWS[0], ["9", "Nguyễn Văn An", ID_AN, "05/09/1980", "Nam", "", ""]]
    preview = preview_of(rows)
    assert codes(preview) == [(2, "duplicate_citizen_id"), (3, "duplicate_citizen_id")]
    assert "trùng với dòng 3" in preview.problems[0].message


def test_representative_turning_18_on_election_day_may_vote_but_not_a_day_later():
    turns_18_today = date(2007, 6, 8)
    turns_18_tomorrow = date(2007, 6, 9)
    assert full_years(turns_18_today, ELECTION_DAY) == 18
    rows = [person("1", "Lê Văn Cường", turns_18_today, tail=1),
            person("2", "Lê Văn Dũng", turns_18_tomorrow, tail=2)]
    preview = preview_of(rows)
    assert codes(preview) == [(3, "under_age")]
    assert "chưa đủ 18 tuổi" in preview.problems[0].message


def test_minimum_age_is_a_setting():
    rows = [person("1", "Lê Văn Cường", date(2005, 1, 1))]  # 20 on election day
    assert preview_of(rows).ok
    assert codes(preview_of(rows, context(rules=RollRules(min_voter_age=21)))) == [(2, "under_age")]


def test_year_only_birth_is_accepted_unless_the_age_is_ambiguous():
    header = ["Mã hộ", "Họ tên", "CCCD", "Năm sinh"]
    rows = [["1", "Lê Văn Cường", make_citizen_id("051", date(1980, 1, 1), "male", 1), "1980"],
            ["2", "Lê Văn Dũng", make_citizen_id("051", date(2007, 1, 1), "male", 2), "2007"],
            ["3", "Lê Văn Em", make_citizen_id("051", date(2008, 1, 1), "male", 3), "2008"]]
    preview = validate_roll(read_rows("roll.csv", csv_text(rows, header=header).encode()), context())
    assert codes(preview) == [(3, "year_only_ambiguous"), (4, "under_age")]
    assert preview.rows[0].birth_date is None and preview.rows[0].birth_year == 1980


def test_unknown_sex_is_reported():
    assert codes(preview_of([person("1", "Lê Văn Cường", BORN_AN, sex_cell="x")])) == [(2, "unknown_sex")]


def test_row_naming_another_hamlet_is_reported():
    preview = preview_of([GOOD_ROWS[0], person("2", "Lê Văn Cường", BORN_AN, tail=2, hamlet="Thôn Phú Lộc")])
    assert codes(preview) == [(3, "other_hamlet")]
    assert preview.problems[0].message == "Dòng này ghi «Thôn Phú Lộc», không phải Thôn An Phú."


def test_person_registered_in_another_hamlet_is_reported():
    ctx = context(registered_elsewhere={ID_AN: "Thôn Phú Lộc", ID_BICH: "thôn an phú"})
    preview = preview_of(GOOD_ROWS, ctx)
    assert codes(preview) == [(2, "registered_elsewhere")]  # the same hamlet is not "elsewhere"
    assert "Thôn Phú Lộc" in preview.problems[0].message


def test_problems_are_sorted_by_line_and_block_the_import():
    rows = [person("1", "", BORN_AN, birth="xx"), GOOD_ROWS[1]]
    preview = preview_of(rows)
    assert not preview.ok
    assert [problem.line for problem in preview.problems] == sorted(p.line for p in preview.problems)
    assert set(preview.problems_by_line()) == {2}


# --- fingerprint ------------------------------------------------------------------------------------------

ROLL = [("1", "Nguyễn Văn An", ID_AN), ("2", "Trần Thị Bích", ID_BICH), ("10", "Lê Văn Cường", "051070000003")]


def test_fingerprint_ignores_row_order_and_unicode_form():
    nfd = [(h, unicodedata.normalize("NFD", n), c) for h, n, c in reversed(ROLL)]
    assert roll_fingerprint(nfd) == roll_fingerprint(ROLL)
    assert roll_fingerprint(iter(ROLL)) == roll_fingerprint(ROLL)


def test_fingerprint_changes_when_a_name_changes():
    changed = [ROLL[0], ("2", "Trần Thị Bính", ID_BICH), ROLL[2]]
    assert roll_fingerprint(changed) != roll_fingerprint(ROLL)


def test_fingerprint_is_recomputable_from_the_documented_canonical_form():
    lines = sorted(ROLL, key=lambda row: (row[0], row[2], row[1]))
    text = "".join(json.dumps(list(row), ensure_ascii=False, separators=(",", ":")) + "\n" for row in lines)
    assert roll_fingerprint(ROLL) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert text.startswith('["1","Nguyễn Văn An",')


def test_fingerprint_cannot_be_forged_by_moving_text_between_fields():
    assert roll_fingerprint([("1", "A B", "C")]) != roll_fingerprint([("1", "A", "B C")])
    assert roll_fingerprint([("1", 'A","B', "C")]) != roll_fingerprint([("1", "A", "B,C")])


def test_short_fingerprint_is_four_groups_of_four():
    short = short_fingerprint(roll_fingerprint(ROLL))
    assert re.fullmatch(r"[0-9A-F]{4}(-[0-9A-F]{4}){3}", short)
    assert short.replace("-", "").lower() == roll_fingerprint(ROLL)[:16]


def test_empty_roll_has_the_hash_of_nothing():
    assert roll_fingerprint([]) == hashlib.sha256(b"").hexdigest()


# --- template ---------------------------------------------------------------------------------------------

def test_template_reads_back_with_every_field():
    template = write_csv_template()
    assert template.startswith(codecs.BOM_UTF8)
    row = ",".join(["1", "Nguyễn Văn An", ID_AN, "05/09/1980", "Nam", "An Phú", "Xóm 1", "0912345678"])
    table = read_rows("mau.csv", template + row.encode("utf-8"))
    assert len(table.columns) == len(TEMPLATE_HEADERS) == 8
    preview = validate_roll(table, context())
    assert preview.ok and preview.rows[0].phone == "0912345678"


def test_fingerprint_of_validated_rows_needs_no_second_cleaning():
    import unicodedata as ud

    data = ("Số hộ,Họ và tên,Số CCCD,Ngày sinh\n"
            f"  7 ,{ud.normalize('NFD', 'Nguyễn   Văn Ước')},{make_citizen_id('051', date(1970, 1, 2), 'male', 9)},02/01/1970\n"
            ).encode()
    preview = validate_roll(read_rows("r.csv", data), RollContext("An Phú", election_day=date(2025, 6, 8)))
    assert preview.ok, preview.problems
    triples = [(r.household_no, r.full_name, r.citizen_id) for r in preview.rows]
    assert roll_fingerprint(triples, already_clean=True) == roll_fingerprint(triples)
