"""Administrative-style PDFs (ballots/document.py)."""

from __future__ import annotations

import io
import unicodedata
from datetime import date

import pypdfium2 as pdfium
import pytest
import zxingcpp

from core import legal
from core.documents import OfficialDocument, Signature, column_widths, date_line

NAMES = ["Nguyễn Thị Ánh Tuyết", "Đặng Văn Ước", "Lê Thị Hồng Nhung"]


def _document(motto: str = "state", rows: int = 3) -> OfficialDocument:
    doc = OfficialDocument(
        ["UBND XÃ BÌNH HẢI", "TỔ BẦU CỬ THÔN AN PHÚ"], "Số: 01/BB-TBC", motto=motto,  # type: ignore[arg-type]
        place="Bình Hải", date=date(2022, 5, 22), title="BIÊN BẢN KIỂM PHIẾU",
        subtitle="Bầu trưởng thôn An Phú, nhiệm kỳ 2022 – 2025",
    )
    doc.paragraph("Tổ bầu cử tiến hành kiểm phiếu với sự chứng kiến của hai cử tri & <khách mời>.")
    doc.table(["STT", "Họ và tên", "Số phiếu"],
              [[i + 1, NAMES[i % 3], 100 - i] for i in range(rows)], col_widths=[1, 5, 2])
    doc.signatures([Signature("THƯ KÝ", "Lê Văn Bình"), Signature("TỔ TRƯỞNG", "Nguyễn Văn An", "TM. TỔ BẦU CỬ")])
    return doc


def _build(doc: OfficialDocument) -> bytes:
    out = io.BytesIO()
    doc.build(out)
    return out.getvalue()


def _texts(data: bytes) -> list[str]:
    return [page.get_textpage().get_text_bounded() for page in pdfium.PdfDocument(data)]


def test_state_document_shows_motto_title_and_table_cells_with_diacritics():
    [text] = _texts(_build(_document()))
    for expected in ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                     "UBND XÃ BÌNH HẢI", "TỔ BẦU CỬ THÔN AN PHÚ", "Số: 01/BB-TBC",
                     "Bình Hải, ngày 22 tháng 5 năm 2022", "BIÊN BẢN KIỂM PHIẾU",
                     "Nguyễn Thị Ánh Tuyết", "Đặng Văn Ước", "(Ký, ghi rõ họ tên)", "TM. TỔ BẦU CỬ"]:
        assert expected in text


def test_user_text_is_escaped_not_parsed_as_markup():
    [text] = _texts(_build(_document()))
    assert "& <khách mời>" in " ".join(text.split())


def test_party_document_shows_the_party_instead_of_the_state_motto():
    [text] = _texts(_build(_document(motto="party")))
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA" not in text


def test_unknown_motto_is_refused():
    with pytest.raises(ValueError):
        OfficialDocument(["UBND XÃ BÌNH HẢI"], motto="royal")  # type: ignore[arg-type]


def test_long_table_repeats_its_header_and_numbers_pages():
    texts = _texts(_build(_document(rows=80)))
    assert len(texts) >= 2
    for number, text in enumerate(texts, 1):
        assert "Họ và tên" in text
        assert f"Trang {number}/{len(texts)}" in text
    assert "Lê Văn Bình" in texts[-1]


def test_decomposed_input_is_printed_precomposed():
    doc = OfficialDocument([unicodedata.normalize("NFD", "UBND XÃ BÌNH HẢI")], title="QUYẾT ĐỊNH")
    doc.paragraph(unicodedata.normalize("NFD", "Công nhận ông Đặng Văn Ước trúng cử."))
    [text] = _texts(_build(doc))
    assert "Đặng Văn Ước" in text and "UBND XÃ BÌNH HẢI" in text


def test_fonts_are_embedded():
    data = _build(_document())
    assert b"FontFile2" in data
    assert b"NotoSans" in data


def test_footer_and_corner_qr_are_printed_and_readable():
    doc = _document().qr("HTTPS://DANTIN.VN/V/7K3M9QX2").footer("Mã kiểm tra: 7K3M-9QX2")
    data = _build(doc)
    page = pdfium.PdfDocument(data)[0]
    assert "Mã kiểm tra: 7K3M-9QX2" in page.get_textpage().get_text_bounded()
    results = zxingcpp.read_barcodes(page.render(scale=200 / 72).to_pil(), formats=zxingcpp.BarcodeFormat.QRCode)
    assert [r.text for r in results] == ["HTTPS://DANTIN.VN/V/7K3M9QX2"]


def test_landscape_page_is_wider_than_tall():
    doc = OfficialDocument(["UBND XÃ BÌNH HẢI"], title="DANH SÁCH CỬ TRI", orientation="landscape")
    doc.table(["STT", "Họ và tên"], [[1, "Đặng Văn Ước"]])
    width, height = pdfium.PdfDocument(_build(doc))[0].get_size()
    assert width > height


@pytest.mark.parametrize("day, expected", [
    (date(2022, 5, 22), "Bình Hải, ngày 22 tháng 5 năm 2022"),
    (date(2022, 2, 5), "Bình Hải, ngày 05 tháng 02 năm 2022"),  # Decree 30: leading 0 for day < 10, months 1–2
    (date(2022, 3, 9), "Bình Hải, ngày 09 tháng 3 năm 2022"),
])
def test_date_line_follows_decree_30(day, expected):
    assert date_line("Bình Hải", day) == expected


def test_table_rows_must_match_headers():
    with pytest.raises(ValueError):
        OfficialDocument(["X"]).table(["A", "B"], [[1]])


def test_date_line_without_a_place_starts_with_a_capital():
    assert date_line("", date(2022, 5, 22)) == "Ngày 22 tháng 5 năm 2022"


def _lines(data: bytes) -> list[list[str]]:
    """Each page's text, line by line."""
    return [[line.strip() for line in text.splitlines() if line.strip()] for text in _texts(data)]


def test_a_decision_opens_with_its_capacity_and_legal_bases_and_closes_with_its_recipients():
    doc = OfficialDocument(["ỦY BAN NHÂN DÂN", "XÃ BÌNH HẢI"], "Số: 12/QĐ-UBND", place="Bình Hải",
                           date=date(2022, 5, 23), title="QUYẾT ĐỊNH")
    doc.preamble("Chủ tịch Ủy ban nhân dân xã Bình Hải", [legal.LOCAL_GOVERNMENT, legal.DECREE_59,
                                                          "Xét biên bản kiểm phiếu ngày 22/05/2022"])
    doc.paragraph("Điều 1. Công nhận ông Đặng Văn Ước trúng cử trưởng thôn An Phú.")
    doc.signatures([Signature("CHỦ TỊCH", "Nguyễn Văn An", "TM. ỦY BAN NHÂN DÂN")],
                   recipients=["Như Điều 3", "Đảng ủy xã", "Lưu: VT"])
    [lines] = _lines(_build(doc))
    text = "\n".join(lines)
    assert "CHỦ TỊCH ỦY BAN NHÂN DÂN XÃ BÌNH HẢI" in lines
    assert "Căn cứ Luật Tổ chức chính quyền địa phương;" in text
    assert "Xét biên bản kiểm phiếu ngày 22/05/2022." in text  # the last basis ends the list
    assert text.index("Căn cứ") < text.index("QUYẾT ĐỊNH:") < text.index("Điều 1.")
    assert "Nơi nhận:" in text and "- Như Điều 3;" in text and "- Lưu: VT." in text
    # Decree 30 places the recipients on the left, level with the signer's block on the right.
    page = pdfium.PdfDocument(_build(doc))[0]
    textpage = page.get_textpage()
    recipients = textpage.search("Nơi nhận").get_next()
    signer = textpage.search("TM. ỦY BAN NHÂN DÂN").get_next()
    assert recipients and signer
    left, _, _, top_recipients = textpage.get_charbox(recipients[0])
    right, _, _, top_signer = textpage.get_charbox(signer[0])
    assert left < right and abs(top_recipients - top_signer) < 20


def test_a_column_is_never_narrower_than_its_longest_date_number_or_id():
    rows = [[f"{day:02d}/08/1968", "••••••••4321", f"{1000 + day:,}".replace(",", "."), "Nguyễn Thị Ánh Tuyết " * 3]
            for day in range(1, 20)]
    doc = OfficialDocument(["UBND XÃ BÌNH HẢI"], title="DANH SÁCH")
    # The caller's weights would give the date column about 4 mm: the content wins.
    doc.table(["Ngày sinh", "Số định danh", "Số hộ", "Ghi chú"], rows, col_widths=[0.2, 0.2, 0.2, 10])
    text = "\n".join(line for page in _lines(_build(doc)) for line in page)
    for row in rows:
        assert row[0] in text and row[1] in text and row[2] in text


def test_column_widths_fill_the_width_and_say_when_words_cannot_fit():
    widths = column_widths(["STT", "Họ và tên"], [["1", "Đặng Văn Ước"]], [1, 5], 400, 11)
    assert widths is not None and abs(sum(widths) - 400) < 0.01 and widths[0] < widths[1]
    assert column_widths(["A", "B"], [["1" * 60, "2" * 60]], [1, 1], 400, 11) is None


def test_the_signature_is_kept_on_a_page_with_the_last_lines_of_the_body():
    """Grow the body until the signature block no longer fits on page 1: the last paragraph moves with it."""
    for paragraphs in range(10, 40):
        doc = OfficialDocument(["UBND XÃ BÌNH HẢI"], title="BÁO CÁO")
        for i in range(paragraphs):
            doc.paragraph(f"Đoạn số {i + 1}: nội dung báo cáo về công tác bầu cử trưởng thôn tại xã.")
        doc.signatures([Signature("CHỦ TỊCH", "Nguyễn Văn An", "TM. ỦY BAN NHÂN DÂN")])
        pages = _lines(_build(doc))
        if len(pages) > 1:
            break
    else:
        pytest.fail("the body never reached a second page")
    last = pages[-1]
    assert any(line.startswith(f"Đoạn số {paragraphs}:") for line in last)
    assert "TM. ỦY BAN NHÂN DÂN" in last


def test_a_table_ending_the_body_keeps_its_last_rows_with_the_signature():
    for rows in range(20, 60):
        doc = OfficialDocument(["UBND XÃ BÌNH HẢI"], title="DANH SÁCH")
        doc.table(["STT", "Họ và tên"], [[i + 1, NAMES[i % 3]] for i in range(rows)])
        doc.signatures([Signature("NGƯỜI LẬP", "Lê Văn Bình")])
        pages = _lines(_build(doc))
        if len(pages) > 1:
            break
    else:
        pytest.fail("the table never reached a second page")
    last = "\n".join(pages[-1])
    assert f"{rows} " in last or last.startswith(f"{rows}") or f"\n{rows}" in last
    assert "NGƯỜI LẬP" in last
