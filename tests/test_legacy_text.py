"""Legacy Vietnamese encodings (core/legacy_text.py): every letter through every table, files typed in TCVN3, VNI,
VIQR and Windows-1258, and genuine Unicode that must never be touched."""
from __future__ import annotations

import itertools
import time
import unicodedata

import pytest

from core.legacy_text import (
    CP1258,
    LOSSY_TCVN3,
    TCVN3,
    UNICODE,
    VIQR,
    VNI,
    Conversion,
    LegacyEncodingError,
    convert_cells,
    decode_bytes,
    is_syllable,
    load_table,
    tcvn3_to_unicode,
    viqr_letters,
    viqr_to_unicode,
    vni_to_unicode,
)
from core.vietnamese import fold

ROWS = load_table()
TCVN3_CODE = {letter: bytes([code]) for letter, code, _ in ROWS}
VNI_CODE = {letter: code for letter, _, code in ROWS}
TONES = "\u0300\u0301\u0303\u0309\u0323"


def encode(text: str, codes: dict[str, bytes]) -> bytes:
    """Unicode -> legacy bytes with the table under test (ASCII passes through)."""
    return b"".join(codes[ch] if ch in codes else ch.encode("ascii") for ch in text)


def as_cell(data: bytes) -> str:
    """What an Excel cell holds for text typed with a legacy font: the Windows-1252 reading of its bytes."""
    return data.decode("cp1252")


def cp1258_bytes(text: str) -> bytes:
    """Windows-1258 as Windows writes it: the vowel shape precomposed, the tone as a combining mark."""
    out = []
    for ch in text:
        decomposed = unicodedata.normalize("NFD", ch)
        tones = "".join(m for m in decomposed if m in TONES)
        out.append(unicodedata.normalize("NFC", "".join(m for m in decomposed if m not in TONES)) + tones)
    return "".join(out).encode("cp1258")


def viqr(text: str) -> str:
    shape = {"\u0302": "^", "\u0306": "(", "\u031b": "+"}
    tone = {"\u0301": "'", "\u0300": "`", "\u0309": "?", "\u0303": "~", "\u0323": "."}
    out = []
    for ch in text.replace("đ", "dd").replace("Đ", "DD"):
        d = unicodedata.normalize("NFD", ch)
        out.append(d[0] + "".join(shape[m] for m in d[1:] if m in shape) + "".join(tone[m] for m in d[1:] if m in tone))
    return "".join(out)


SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
            "Dương", "Lý", "Đinh", "Lò", "Hà", "Quàng", "Lương", "Tạ", "Kiều", "Triệu", "Lâm", "Khổng", "Ông", "Âu"]
MIDDLES = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Xuân", "Quốc", "Bảo", "Gia", "Diệu", "Ánh"]
GIVENS = ["Anh", "Ánh", "Bình", "Cường", "Dũng", "Giang", "Hải", "Hằng", "Hiếu", "Hoà", "Hòa", "Huệ", "Hùng", "Hương",
          "Khánh", "Lộc", "Mỹ", "Ngân", "Nghĩa", "Oanh", "Phúc", "Quân", "Quyên", "Sơn", "Thảo", "Thắng", "Thủy",
          "Thuỷ", "Thuý", "Tiến", "Tuấn", "Tú", "Uyên", "Việt", "Yến", "Ẩn", "Ấn", "Ước", "Ý", "Ỷ", "Ỳ", "Ẫm", "Ặc",
          "Ở", "Ợi", "Ửng", "Ữu", "Ẹt", "Ễn", "Ỉn", "Ĩnh", "Ịch", "Ọc", "Ỗn", "Ộp", "Ụt", "Ũm", "Ỹ"]
NAMES = [" ".join(parts) for parts in itertools.islice(itertools.product(SURNAMES, MIDDLES, GIVENS), 0, None, 17)]
ALL_NAMES = [" ".join(parts) for parts in itertools.product(SURNAMES, MIDDLES, GIVENS)]


# ------------------------------------------------------------------------------------------------- the tables


def test_the_table_lists_every_vowel_with_every_tone_and_d_in_both_cases():
    letters = {letter for letter, _, _ in ROWS}
    expected = {unicodedata.normalize("NFC", base + tone) for base in "aăâeêioôơuưy" for tone in [""] + list(TONES)}
    expected |= {"đ"}
    assert letters == expected | {letter.upper() for letter in expected}
    assert len(ROWS) == 146


def test_every_letter_round_trips_through_vni():
    for letter, code in VNI_CODE.items():
        assert vni_to_unicode(as_cell(code)) == letter


def test_every_letter_round_trips_through_tcvn3_except_the_capitals_it_cannot_write():
    """TCVN3 has capitals only for Ă Â Ê Ô Ơ Ư Đ: the 60 toned capitals share the lower-case code, so alone they
    come back in lower case."""
    toned_capitals = {letter for letter, _, _ in ROWS
                      if letter.isupper() and any(m in TONES for m in unicodedata.normalize("NFD", letter))}
    assert len(toned_capitals) == 60
    assert LOSSY_TCVN3 == {letter.lower() for letter in toned_capitals}
    for letter, code in TCVN3_CODE.items():
        expected = letter.lower() if letter in toned_capitals else letter
        assert tcvn3_to_unicode(as_cell(code)) == expected, letter


def test_tcvn3_gives_back_capitals_from_the_words_around_them():
    for name in ["Nguyễn Văn Ánh", "Lê Thị Ỷ", "Trần Ước", "NGUYỄN VĂN ÁNH", "Ông Ích Khiêm", "Ấp Bắc"]:
        assert tcvn3_to_unicode(as_cell(encode(name, TCVN3_CODE))) == name
    assert tcvn3_to_unicode(as_cell(encode("Ánh", TCVN3_CODE))) == "ánh"  # a lone word: nothing tells its case
    assert tcvn3_to_unicode(as_cell(encode("ở xóm Ánh", TCVN3_CODE))) == "ở xóm ánh"  # a sentence stays a sentence


def test_every_letter_round_trips_through_viqr():
    for letter, _, _ in ROWS:
        assert viqr_letters(viqr(letter)) == letter


def test_conversions_give_nfc_that_folds_to_ascii():
    for converted in [vni_to_unicode(as_cell(encode("Nguyễn Văn Ánh", VNI_CODE))),
                      tcvn3_to_unicode(as_cell(encode("Nguyễn Văn Ánh", TCVN3_CODE))),
                      viqr_to_unicode("Nguye^~n Va(n A'nh")]:
        assert converted == "Nguyễn Văn Ánh"
        assert unicodedata.is_normalized("NFC", converted)
        assert fold(converted) == fold("Nguyen Van Anh")


# ------------------------------------------------------------------------------------------- the syllable check


@pytest.mark.parametrize("word", ["Nguyễn", "Hoàng", "Thủy", "Thuỷ", "Trường", "Hoà", "Thuý", "Võ", "Lò", "Páo",
                                  "khuya", "quyết", "giữa", "gì", "Ngoặc", "Khuỷu", "Niê", "Ló", "Ước",
                                  "Của", "Hoài", "Xoáy", "Hòe", "Khoẻ", "Huỳnh", "Thuở", "Người"])
def test_vietnamese_syllables_are_valid(word):
    assert is_syllable(word)


@pytest.mark.parametrize("word", ["Nguyeãn", "V¨n", "Vâ", "Lª", "Hµ", "Aùnh", "cầp", "Müller", "José", "Văă",
                                  "Leõ", "Cuả", "Hoaì", "Nguyêñ"])
def test_legacy_readings_and_foreign_words_are_not_syllables(word):
    assert not is_syllable(word)


# ------------------------------------------------------------------------------------------------ spreadsheet cells


def test_vni_cells_are_detected_and_converted():
    cells = ["Họ và tên", "Ngày sinh", "Thôn"] + [as_cell(encode(name, VNI_CODE)) for name in NAMES] + ["12/05/1990"]
    conversion = convert_cells(cells)
    assert conversion == Conversion(VNI)
    assert [conversion.apply(cell) for cell in cells[:2] + cells[3:]] == ["Họ và tên", "Ngày sinh", *NAMES, "12/05/1990"]
    # A Unicode header that also reads as VNI (ô is VNI's ơ) cannot be told apart; it still folds the same.
    assert conversion.apply("Thôn") == "Thơn" and fold("Thơn") == fold("Thôn")


def test_tcvn3_cells_are_detected_and_converted():
    cells = ["Họ và tên", "Số định danh cá nhân (CCCD)"] + [as_cell(encode(name, TCVN3_CODE)) for name in NAMES]
    conversion = convert_cells(cells)
    assert conversion == Conversion(TCVN3)
    assert [conversion.apply(cell) for cell in cells[2:]] == NAMES
    assert conversion.apply(cells[0]) == "Họ và tên"


def test_a_few_legacy_names_suffice():
    assert convert_cells([as_cell(encode("Nguyễn Văn Ánh", VNI_CODE))]).label == VNI
    assert convert_cells([as_cell(encode("Trần Thị Hoa", TCVN3_CODE)), "Họ tên"]).label == TCVN3


def test_viqr_cells_are_converted_when_the_evidence_is_strong():
    cells = [viqr(name) for name in NAMES[:20]] + ["Ghi chu", "x@y.vn"]
    conversion = convert_cells(cells)
    assert conversion.label == VIQR
    assert [conversion.apply(cell) for cell in cells] == NAMES[:20] + ["Ghi chu", "x@y.vn"]


@pytest.mark.parametrize("cells", [
    ["Hello.", "Are you there?", "I'm fine", "O'Brien", "Dr. Who"],
    ["Nguye^~n Va(n A'nh"],  # one name is not enough for ASCII text
])
def test_ascii_is_never_taken_for_viqr_on_thin_evidence(cells):
    assert convert_cells(cells) == UNICODE


UNICODE_CELLS = ["Họ và tên", "Số định danh cá nhân (CCCD)", "Ngày sinh", "Giới tính", "Thôn", "Hoà", "Thuý", "Võ",
                 "Lê", "Hà", "Lý", "Tú", "Nhã", "Ân", "Lò Văn Páo", "H'Hen Niê", "Y Bih", "Đinh Thị Ló", "Hoà Bình",
                 "Võ Thị Sáu", "Lê Hà", "Name", "Date of birth", "12/05/1990", "001090012345", "Nam", "Nữ", "José",
                 "Müller", "café", "Ông Ích Khiêm", "Âu Cơ", "Ê Đê", "Ấp Ông Tà"]


@pytest.mark.parametrize("cells", [UNICODE_CELLS, NAMES, UNICODE_CELLS + NAMES,
                                   ["Hoà", "Thuý", "Võ", "Lê", "Hà", "Lý", "Tú", "Nhã", "Ân", "Hà Anh", "Lê Hà"],
                                   ["Name", "Age", "City", "12", "Hanoi"], []])
def test_unicode_is_never_converted_or_refused(cells):
    conversion = convert_cells(cells)
    assert conversion == UNICODE
    assert conversion.error() is None
    assert [conversion.apply(cell) for cell in cells] == cells


def test_a_unicode_cell_survives_in_a_legacy_file():
    """Templates carry Unicode headers; a header made only of Windows-1252 letters stays when converting would
    break it."""
    conversion = Conversion(TCVN3)
    assert conversion.apply("Ngày sinh") == "Ngày sinh"
    assert conversion.apply("Công ty ©") == "Công ty ©"
    assert Conversion(VNI).apply("Hà Anh") == "Hà Anh"


def test_weak_evidence_names_the_likely_encoding():
    conversion = convert_cells([as_cell(encode("Ánh", VNI_CODE))])
    assert conversion.label is None and conversion.weak_guess == VNI
    error = conversion.error()
    assert isinstance(error, LegacyEncodingError) and error.likely == VNI and "VNI" in error.message
    assert convert_cells([as_cell(encode("Hà", TCVN3_CODE))]).weak_guess == TCVN3


# ------------------------------------------------------------------------------------------------------ CSV bytes


def csv_bytes(names: list[str], codes: dict[str, bytes]) -> bytes:
    header = b"STT,Ho va ten,Ngay sinh\r\n"
    return header + b"".join(b"%d,%s,01/01/1990\r\n" % (i, encode(name, codes)) for i, name in enumerate(names, 1))


def test_a_tcvn3_csv_is_decoded():
    text, label = decode_bytes(csv_bytes(NAMES, TCVN3_CODE))
    assert label == TCVN3
    assert text.splitlines()[1:] == [f"{i},{name},01/01/1990" for i, name in enumerate(NAMES, 1)]


def test_a_vni_csv_is_decoded():
    text, label = decode_bytes(csv_bytes(NAMES, VNI_CODE))
    assert label == VNI
    assert text.splitlines()[1:] == [f"{i},{name},01/01/1990" for i, name in enumerate(NAMES, 1)]


def test_a_windows_1258_csv_is_still_decoded_as_such():
    data = "Họ và tên;Thôn\r\n".encode("ascii", "ignore") + b"".join(cp1258_bytes(f"{n};Thôn Đông\r\n") for n in NAMES)
    text, label = decode_bytes(data)
    assert label == CP1258
    assert unicodedata.is_normalized("NFC", text)
    assert text.splitlines()[1:] == [f"{name};Thôn Đông" for name in NAMES]


def test_weak_bytes_raise_naming_the_likely_encoding():
    with pytest.raises(LegacyEncodingError) as caught:
        decode_bytes(b"STT,Ten\r\n1," + encode("Hà", TCVN3_CODE) + b"\r\n")
    assert caught.value.likely == TCVN3
    assert "TCVN3" in caught.value.message and "Unikey" in caught.value.message


def test_bytes_with_no_vietnamese_keep_windows_1258():
    assert decode_bytes("José,Müller\r\n".encode("latin-1")) == ("José,Müller\r\n", CP1258)


# ------------------------------------------------------------------------------------------------------- speed


def test_detection_and_conversion_are_cheap_on_a_full_roll():
    names = (ALL_NAMES * 10)[:100_000]
    start = time.perf_counter()
    assert convert_cells(names) == UNICODE
    assert time.perf_counter() - start < 0.25  # measured ~10 ms; generous for slow CI machines

    cells = [as_cell(encode(name, VNI_CODE)) for name in names]
    start = time.perf_counter()
    conversion = convert_cells(cells)
    converted = [conversion.apply(cell) for cell in cells]
    assert time.perf_counter() - start < 3  # measured well under 1 s
    assert converted == names
