"""Hostile spreadsheets, generated (never binaries in the repository): hand-written XLSX and ODS archives and
openpyxl workbooks, for the reader's tests (test_hostile_sheets) and the server's (test_hostile_server)."""
from __future__ import annotations

import io
import zipfile

from openpyxl import Workbook

_CT = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
       'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
       'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
       'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
       '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
       'officedocument.spreadsheetml.worksheet+xml"/></Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
         '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
         'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
             'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
             'relationships"><sheets><sheet name="DS" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                  'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                  'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')


def xlsx(sheet_data: str, extra: dict[str, bytes] | None = None, prefix: str = "") -> bytes:
    """A minimal workbook whose one sheet holds `sheet_data` (the <sheetData> content), written by hand."""
    p = f"{prefix}:" if prefix else ""
    xmlns = f"xmlns{':' + prefix if prefix else ''}"
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><{p}worksheet {xmlns}="http://schemas.openxmlformats.org/'
             f'spreadsheetml/2006/main"><{p}sheetData>{sheet_data}</{p}sheetData></{p}worksheet>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CT)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def cell(ref: str, text: str, prefix: str = "") -> str:
    p = f"{prefix}:" if prefix else ""
    return f'<{p}c r="{ref}" t="inlineStr"><{p}is><{p}t>{text}</{p}t></{p}is></{p}c>'


def book(*sheets: tuple[str, str, list[list]], active: int = 0) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, state, rows in sheets:
        sheet = workbook.create_sheet(title)
        sheet.sheet_state = state
        for row in rows:
            sheet.append(row)
    workbook.active = active
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ods(content_rows: str) -> bytes:
    content = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:'
               'opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
               f'<office:spreadsheet><table:table table:name="DS">{content_rows}</table:table></office:spreadsheet>'
               '</office:body></office:document-content>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("content.xml", content)
        archive.writestr("META-INF/manifest.xml", '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                         'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>')
    return buffer.getvalue()


def ods_row(*texts: str, repeat: int = 1) -> str:
    cells = "".join(f'<table:table-cell office:value-type="string"><text:p>{t}</text:p></table:table-cell>'
                    for t in texts)
    return f'<table:table-row table:number-rows-repeated="{repeat}">{cells}</table:table-row>'


ROLL_HEADER = ["Số hộ", "Họ và tên", "Số định danh cá nhân", "Ngày sinh"]
ODS_BOMB = ('<table:table-row table:number-rows-repeated="1048575"><table:table-cell table:number-columns-repeated='
            '"16384" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>')


def hostile_files() -> list[tuple[str, str, bytes, str]]:
    """(what, file name, bytes, part of the Vietnamese refusal)."""
    spaces = b"<!--" + b" " * (300 * 2**20) + b"-->"
    return [
        ("far corner", "ds.xlsx", xlsx(f'<row r="1">{cell("A1", "x")}</row>'
                                       f'<row r="1048576">{cell("XFD1048576", "y")}</row>'),
         "có dữ liệu đến dòng 1.048.576, cột XFD, vượt giới hạn"),
        ("wide area", "ds.xlsx", xlsx(f'<row r="1">{cell("A1", "x")}</row><row r="19000">{cell("CV19000", "y")}</row>'),
         "1.000.000 ô"),
        ("deflate bomb", "ds.xlsx", xlsx(f'<row r="1">{cell("A1", "x")}</row>',
                                         extra={"xl/media/padding.xml": spaces}),
         "lớn hơn giới hạn 256 MB"),
        ("many entries", "ds.xlsx", xlsx(cell("A1", "x"), extra={f"xl/x/{i}.xml": b"" for i in range(1_001)}),
         "thành phần, vượt giới hạn 1.000"),
        ("ODS repetition bomb", "ds.ods", ods(ods_row("Số hộ") + ODS_BOMB),
         "Không đọc được tệp Excel (tệp hỏng, có mật khẩu hoặc quá lớn)."),
        # The hidden sheet holds a roll: were it read, the answer would be a preview, not a missing header.
        ("hidden first sheet", "ds.xlsx",
         book(("Năm 2019", "hidden", [ROLL_HEADER, ["1", "Nguyễn Văn An", "001085012345", "01/02/1985"]]),
              ("Năm 2025", "visible", [["Ghi chú"], ["chưa có"]]), active=1),
         "Không tìm thấy dòng tiêu đề"),
        ("formulas without values", "ds.xlsx",
         book(("DS", "visible", [ROLL_HEADER, ["1", "=UPPER(\"an\")", "001085012345", "01/02/1985"]])),
         "có công thức chưa có giá trị"),
    ]
