"""Rolls typed with the legacy Vietnamese fonts (TCVN3/ABC .VnTime, VNI-Times) import with Unicode names, and the
polling team finds "Nguyễn Văn Ánh" by typing "nguyen van anh"; the preview says the file was converted."""
from __future__ import annotations

import csv
import io

import pytest
from factories_ballots import HEADERS_VI, import_through_pages, roll_rows, upload
from openpyxl import Workbook

from core.legacy_text import load_table
from core.spreadsheets import SheetFileError, read_sheet
from election.models import VoterEntry, VoterRoll
from extensions import db

TABLE = load_table()
CODES = {"TCVN3": {letter: bytes([code]) for letter, code, _ in TABLE},
         "VNI": {letter: code for letter, _, code in TABLE}}
NAMES = ["Nguyễn Văn Ánh", "Trần Thị Bích Ngọc", "Lê Đức Thắng", "Phạm Thị Ánh Tuyết", "Đặng Văn Ước",
         "Huỳnh Thị Mỹ Lệ", "Võ Quốc Việt", "Bùi Thị Thu Hà"]


def legacy(text: str, encoding: str) -> bytes:
    codes = CODES[encoding]
    return b"".join(codes.get(ch) or ch.encode("ascii") for ch in text)


def _rows() -> list[list]:
    rows = roll_rows(8)
    for row, name in zip(rows, NAMES, strict=True):
        row[2] = name
    return rows


def legacy_csv(encoding: str) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows([HEADERS_VI, *_rows()])
    return b"".join(legacy(line, encoding) for line in buffer.getvalue().splitlines(keepends=True))


def legacy_xlsx(encoding: str) -> bytes:
    """What Excel saves when the office types with a legacy font: each cell the Windows-1252 reading of its bytes."""
    workbook = Workbook()
    sheet = workbook.active
    for row in [HEADERS_VI, *_rows()]:
        sheet.append([legacy(value, encoding).decode("cp1252") if isinstance(value, str) else value
                      for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("encoding", ["TCVN3", "VNI"])
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_legacy_font_roll_imports_with_unicode_names_and_is_found_without_diacritics(
        kind, encoding, ready, login, client):
    data = legacy_csv(encoding) if kind == "csv" else legacy_xlsx(encoding)
    assert "Nguyễn".encode() not in data  # really typed in the legacy font
    sheet = read_sheet(f"ds.{kind}", data)
    assert sheet.converted_from == encoding and sheet.rows[1].cells[2] == "Nguyễn Văn Ánh"
    setup = ready()
    login(setup.committee)
    response, token = upload(client, setup.hamlet, data, f"ds.{kind}")
    assert token and f"Đã chuyển từ bảng mã {encoding}" in response.get_data(as_text=True)
    assert import_through_pages(client, setup.hamlet, data, f"ds.{kind}").status_code == 302
    names = set(db.session.scalars(db.select(VoterEntry.full_name).join(VoterRoll)
                                   .where(VoterRoll.hamlet_id == setup.hamlet.id)))
    assert names == set(NAMES)
    page = client.get(f"/hamlets/{setup.hamlet.id}/roll?q=nguyen van anh").get_data(as_text=True)
    assert "Nguyễn Văn Ánh" in page and "Đặng Văn Ước" not in page


def test_a_single_legacy_word_is_too_little_evidence_and_is_refused_naming_the_encoding(ready, login, client):
    data = b"So ho,Ho va ten,So CCCD,Ngay sinh\r\n1," + legacy("Ánh", "TCVN3") + b",051080000123,01/01/1980\r\n"
    with pytest.raises(SheetFileError) as error:
        read_sheet("ds.csv", data)
    assert "TCVN3" in error.value.message and "Unikey" in error.value.message
    setup = ready()
    login(setup.committee)
    response, token = upload(client, setup.hamlet, data, "ds.csv")
    assert token is None and "TCVN3" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(VoterEntry.id))) == 0


def test_unicode_rolls_are_never_converted():
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows([HEADERS_VI, *_rows()])
    for data in (buffer.getvalue().encode(), buffer.getvalue().encode("utf-16")):
        sheet = read_sheet("ds.csv", data)
        assert sheet.converted_from is None and sheet.rows[1].cells[2] == "Nguyễn Văn Ánh"
