"""Legacy Vietnamese encodings: tell whether a file was typed in TCVN3 (ABC), VNI-Windows, VIQR or Windows-1258 and
convert it to Unicode NFC. Commune offices still type with .VnTime and VNI-Times fonts; their CSV bytes are not
UTF-8, and their Excel cells hold the Windows-1252 reading of the legacy bytes (`Nguyeãn Vaên Aùnh`). One decision
is taken per file, by how many words become valid Vietnamese syllables, never per cell: a cell-by-cell guess would
mangle the genuine Unicode names beside them. Pure: no Flask, no database.

The letter tables are data (core/data/vietnamese_encodings.tsv, sources in its header); VIQR is derived here from
its rule (RFC 1456)."""
from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

TCVN3, VNI, VIQR, CP1258 = "TCVN3", "VNI", "VIQR", "cp1258"
UNKNOWN = "unknown"

TABLE_PATH = Path(__file__).with_name("data") / "vietnamese_encodings.tsv"


class LegacyEncodingError(Exception):
    """The file looks typed in a legacy encoding but the evidence is too weak to convert it safely."""

    def __init__(self, message: str, message_en: str, likely: str) -> None:
        super().__init__(message)
        self.message = message
        self.message_en = message_en
        self.likely = likely


_HOW_TO_FIX = "hãy chuyển sang Unicode (Unikey: Công cụ chuyển mã) rồi tải lên lại."
_HOW_TO_FIX_EN = "convert it to Unicode (Unikey: conversion tool) and upload it again."
_REFUSALS = {
    TCVN3: (f"Tệp có vẻ gõ bằng bảng mã TCVN3 (ABC, phông .VnTime) nhưng không chuyển được chắc chắn; {_HOW_TO_FIX}",
            f"The file looks typed in the TCVN3 (ABC) encoding but cannot be converted with confidence; {_HOW_TO_FIX_EN}"),
    VNI: (f"Tệp có vẻ gõ bằng bảng mã VNI Windows (phông VNI-Times) nhưng không chuyển được chắc chắn; {_HOW_TO_FIX}",
          f"The file looks typed in the VNI Windows encoding but cannot be converted with confidence; {_HOW_TO_FIX_EN}"),
    VIQR: (f"Tệp có vẻ gõ kiểu VIQR (ví dụ Nguye^~n) nhưng không chuyển được chắc chắn; {_HOW_TO_FIX}",
           f"The file looks typed in VIQR but cannot be converted with confidence; {_HOW_TO_FIX_EN}"),
    CP1258: ("Tệp có vẻ lưu bằng bảng mã Windows-1258 nhưng không đọc được chắc chắn; hãy lưu lại dưới dạng "
             "CSV UTF-8 hoặc Excel rồi tải lên lại.",
             "The file looks saved as Windows-1258 but cannot be read with confidence; save it as CSV UTF-8 or "
             "Excel and upload it again."),
    UNKNOWN: ("Không nhận ra bảng mã của tệp; hãy lưu lại dưới dạng CSV UTF-8 hoặc Excel.",
              "Unrecognised text encoding; save the file as CSV UTF-8 or Excel."),
}


def refusal(likely: str) -> LegacyEncodingError:
    """The error that names the likely encoding and the way on (Unikey's converter)."""
    message, message_en = _REFUSALS.get(likely, _REFUSALS[UNKNOWN])
    return LegacyEncodingError(message, message_en, likely)


# ---------------------------------------------------------------------------------------------------- the tables


def load_table(path: Path = TABLE_PATH) -> list[tuple[str, int, bytes]]:
    """(letter, TCVN3 byte, VNI bytes) for each of the 146 rows of the data file."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        letter, tcvn3, vni = line.split("\t")
        rows.append((letter, int(tcvn3, 16), bytes.fromhex(vni)))
    return rows


def _cp1252_char(byte: int) -> str:
    """What Excel shows for a legacy byte: its Windows-1252 character (the five holes pass through as C1 controls)."""
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


_ROWS = load_table()
_CELL = [_cp1252_char(byte) for byte in range(256)]
# A character outside Windows-1252 cannot come from a legacy font, so a string holding one is Unicode for sure.
_NOT_LEGACY = re.compile("[^\x00-\xff" + re.escape("".join(_CELL[0x80:0xA0])) + "]")

_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng
_STRAY_MARK = re.compile("[\u0300-\u036f]")


def _marks(text: str) -> list[str]:
    return [ch for ch in unicodedata.normalize("NFD", text) if unicodedata.combining(ch)]


def _tcvn3_tables(rows: list[tuple[str, int, bytes]]) -> tuple[dict[int, str], frozenset[str]]:
    """Cell character -> letter, and the lower-case letters whose capital shares their code (lossy)."""
    table: dict[int, str] = {}
    for letter, code, _ in sorted(rows, key=lambda row: not row[0].islower()):  # lower case first: it wins a shared code
        if code >= 0x80:
            table.setdefault(ord(_CELL[code]), letter)
    lossy = frozenset(letter.lower() for letter, code, _ in rows
                      if letter.isupper() and code >= 0x80 and table[ord(_CELL[code])] != letter)
    return table, lossy


def _vni_table(rows: list[tuple[str, int, bytes]]) -> dict[int, str]:
    """Cell character -> letter (single-byte letters) or combining marks (modifier bytes); NFC then composes the
    modifier with the letter before it, so 2-byte letters need no pair matching."""
    table: dict[int, str] = {}
    for letter, _, code in rows:
        if len(code) == 1 and code[0] >= 0x80:
            table[ord(_CELL[code[0]])] = letter
    for letter, _, code in rows:
        if len(code) != 2:
            continue
        base = table.get(ord(_CELL[code[0]]), _CELL[code[0]])
        marks = _marks(letter)
        for mark in _marks(base):
            marks.remove(mark)
        key, value = ord(_CELL[code[1]]), "".join(marks)
        if key in table and sorted(table[key]) != sorted(value):
            raise ValueError(f"VNI modifier {code[1]:02X} means two things in {TABLE_PATH.name}")
        table[key] = value
    return table


_TCVN3_TABLE, LOSSY_TCVN3 = _tcvn3_tables(_ROWS)
_VNI_TABLE = _vni_table(_ROWS)

# VIQR (RFC 1456): letter, then ^ ( + for the vowel shape, then ' ` ? ~ . for the tone; dd for đ.
_VIQR_SHAPE = {"\u0302": "^", "\u0306": "(", "\u031b": "+"}
_VIQR_TONE = {"\u0301": "'", "\u0300": "`", "\u0309": "?", "\u0303": "~", "\u0323": "."}


def _viqr_table(rows: list[tuple[str, int, bytes]]) -> dict[str, str]:
    table = {"DD": "Đ", "Dd": "Đ", "dd": "đ"}
    for letter, _, _ in rows:
        decomposed = unicodedata.normalize("NFD", letter)
        if not decomposed[0].isascii():
            continue  # đ
        marks = decomposed[1:]
        shape = "".join(_VIQR_SHAPE[m] for m in marks if m in _VIQR_SHAPE)
        tone = "".join(_VIQR_TONE[m] for m in marks if m in _VIQR_TONE)
        if shape or tone:
            table[decomposed[0] + shape + tone] = letter
            if shape == "+":
                table[decomposed[0] + "*" + tone] = letter  # the horn is also written *
    return table


_VIQR_TABLE = _viqr_table(_ROWS)
_VIQR_LETTER = re.compile("|".join(re.escape(key) for key in sorted(_VIQR_TABLE, key=len, reverse=True)))
# Strong VIQR evidence: a mark inside a word (Va(n, A'nh, Nguye^~n), not a full stop or question mark at its end.
_VIQR_EVIDENCE = re.compile(r"[aeiouyAEIOUY](?:[\^(+*][\'`?~.]?|[\'`?~.])[a-zA-Z]")

# ---------------------------------------------------------------------------------------------- syllable check

_ONSET = "(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|b|c|d|đ|g|h|k|l|m|n|p|r|s|t|v|x)?"
# The rhymes of standard Vietnamese, plus open "iê" for Ê Đê names (H'Hen Niê).
_RHYMES = """
a ai ao au ay am an ang anh ap at ac ach   ăm ăn ăng ăp ăt ăc   âu ây âm ân âng âp ât âc
e eo em en eng ep et ec   ê êu êm ên ênh êp êt êch   i ia iu im in inh ip it ich   iê
iêu iêm iên iêng iêp iêt iêc   yêu yêm yên yêng yêt   y
o oi om on ong op ot oc oo ooc oong   oa oai oay oao oam oan oang oanh oap oat oac oach
oăm oăn oăng oăt oăc   oe oeo oen oet   ô ôi ôm ôn ông ôp ôt ôc   ơ ơi ơm ơn ơp ơt
u ui um un ung up ut uc ua uân uâng uât uây uê uênh uêch uơ
uy uya uyu uyên uyêt uynh uych uyt uôi uôm uôn uông uôt uôc
ư ưa ưi ưu ưm ưn ưng ưt ưc   ươ ươi ươu ươm ươn ương ươp ươt ươc
""".split()
_SYLLABLE = re.compile(f"{_ONSET}({'|'.join(sorted(_RHYMES, key=len, reverse=True))})")
_STOP_CODAS = ("p", "t", "c", "ch")
_WORD = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=65536)
def is_syllable(word: str) -> bool:
    """A valid Vietnamese syllable: onset + rhyme from the language's inventory, at most one tone mark, placed where
    either spelling convention puts it (_tone_in_place), and only sắc or nặng on a stop coda (p t c ch). "Nguyễn",
    "Hoà", "Hòa", "Trường" pass; "Nguyeãn", "Vâ", "V¨n", "Leõ" fail: that is what tells a legacy reading apart."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = [i for i, ch in enumerate(decomposed) if ch in _TONE_MARKS]
    if len(tones) > 1:
        return False
    tone = decomposed[tones[0]] if tones else ""
    base = unicodedata.normalize("NFC", decomposed.replace(tone, "") if tone else decomposed)
    match = _SYLLABLE.fullmatch(base)
    if match is None:
        return False
    rhyme = match.group(1)
    if tone and rhyme.endswith(_STOP_CODAS) and tone in "\u0300\u0309\u0303":
        return False
    # The tone sits on the letter written before it: count the letters (not marks) up to the tone.
    position = sum(not unicodedata.combining(ch) for ch in decomposed[:tones[0]]) - 1 if tones else -1
    return not tone or _tone_in_place(rhyme, position - match.start(1))


def _tone_in_place(rhyme: str, index: int) -> bool:
    """Where a tone may sit in a rhyme (0 = its first letter): on the shaped vowel (â ă ê ô ơ ư; ơ in ươ); else on
    the last vowel before a final consonant; else on the only vowel, the first of two (ai, ia, ua: "của"), either of
    oa oe uy (old "hòa", new "hoà"), or the middle of three (oai, uyu)."""
    vowels = len(rhyme) - len(rhyme.lstrip("aăâeêioôơuưy"))
    shaped = [i for i, ch in enumerate(rhyme[:vowels]) if ch in "ăâêôơư"]
    if shaped:
        return index == shaped[-1]
    if vowels < len(rhyme):
        return index == vowels - 1
    if vowels == 2:
        return index == 0 or rhyme in ("oa", "oe", "uy")
    return index == vowels // 2


def _vietnamese_token(text: str) -> bool:
    """A token reads as Vietnamese: no stray combining mark, at least one non-ASCII word, and every non-ASCII word a
    syllable (ASCII words are the same in every reading, so they prove nothing)."""
    if _STRAY_MARK.search(text):
        return False
    words = [word for word in _WORD.findall(text) if not word.isascii()]
    return bool(words) and all(is_syllable(word) for word in words)


def _plausible(text: str) -> bool:
    """Every non-ASCII word of a cell is a syllable (vacuously true without one)."""
    return not _STRAY_MARK.search(text) and all(is_syllable(w) for w in _WORD.findall(text) if not w.isascii())

# ------------------------------------------------------------------------------------------------- converters


_LOSSY = "".join(sorted(LOSSY_TCVN3))
_CAPITALS = "A-ZĂÂÊÔƠƯĐ"
# Where a capital may have been lost: a word starting with a lossy letter, or a cell in capitals.
_LOST_CAPITAL = re.compile(f"\\b[{_LOSSY}]|[{_LOSSY}][{_CAPITALS}]|[{_CAPITALS}]{{2}}")
_LOSSY_INITIAL = re.compile(f"\\b[{_LOSSY}]")
_CAPITAL_INITIAL = re.compile(f"\\b[{_CAPITALS}]")
_OTHER_LOWER_INITIAL = re.compile(f"\\b(?![{_LOSSY}])[a-zăâêôơưđ]")
_WITHOUT_LOSSY = str.maketrans("", "", _LOSSY)


def _restore_capitals(text: str) -> str:
    """Give back the capitals TCVN3 cannot write (see the data file): a cell otherwise in capitals is put in
    capitals (NGUYễN VĂN -> NGUYỄN VĂN); in a cell whose other words are capitalised, a word starting with such a
    letter is too (Nguyễn Văn ánh -> Nguyễn Văn Ánh). A lone word stays as typed ("ánh", "Hà"): nothing tells."""
    if not _LOST_CAPITAL.search(text):
        return text
    rest = text.translate(_WITHOUT_LOSSY)
    if rest.isupper() and sum(ch.isupper() for ch in rest) >= 2:
        return text.upper()
    if _OTHER_LOWER_INITIAL.search(text) or not _CAPITAL_INITIAL.search(text):
        return text
    return _LOSSY_INITIAL.sub(lambda m: m.group().upper(), text)


def tcvn3_to_unicode(text: str) -> str:
    """TCVN3 text as a cell holds it (Windows-1252 characters) -> Unicode NFC."""
    return _restore_capitals(unicodedata.normalize("NFC", text.translate(_TCVN3_TABLE)))


def vni_to_unicode(text: str) -> str:
    """VNI-Windows text as a cell holds it -> Unicode NFC."""
    return unicodedata.normalize("NFC", text.translate(_VNI_TABLE))


def viqr_letters(text: str) -> str:
    """Every VIQR letter of the text in Unicode NFC, unguarded (for one word known to be VIQR)."""
    return unicodedata.normalize("NFC", _VIQR_LETTER.sub(lambda m: _VIQR_TABLE[m.group()], text))


def _viqr_token(token: str) -> str:
    converted = viqr_letters(token)
    # A token is only rewritten when it becomes Vietnamese: "Hello." and "e-mail?" keep their punctuation.
    return converted if converted != token and _vietnamese_token(converted) else token


def viqr_to_unicode(text: str) -> str:
    """VIQR -> Unicode NFC, word by word, leaving any word that would not become Vietnamese."""
    return " ".join(_viqr_token(token) for token in text.split(" "))


_CONVERTERS: dict[str, Callable[[str], str]] = {TCVN3: tcvn3_to_unicode, VNI: vni_to_unicode, VIQR: viqr_to_unicode}

# --------------------------------------------------------------------------------------------------- the decision

_SAMPLE = 4000  # strings looked at, spread over the whole file
_MAX_TOKENS = 500  # distinct words scored
_MIN_TOKENS = 2  # distinct words that must turn valid before a file is converted
_MIN_SHARE = 0.6  # of the scored words, the share the winner must make valid
_MIN_LEAD = 0.3  # and its lead over the runner-up (over Unicode, for cells)
_VIQR_MIN_TOKENS = 5  # VIQR is plain ASCII: it needs more words, and a larger share
_VIQR_MIN_SHARE = 0.8


@dataclass(frozen=True)
class Conversion:
    """The decision for one file: `label` is the encoding to convert from (None: Unicode, leave alone);
    `weak_guess` names a likely legacy encoding whose evidence is too weak to convert (refuse with `error()`)."""

    label: str | None = None
    weak_guess: str | None = None

    def apply(self, text: str) -> str:
        """One cell in Unicode NFC. Cells that cannot be legacy (ASCII; any character outside Windows-1252, such as
        a header typed in Unicode on the commune's template) are returned as they are, and so is a cell that reads
        as Vietnamese already and would stop reading so once converted."""
        if self.label is None or not text:
            return text
        if self.label == VIQR:
            return viqr_to_unicode(text) if text.isascii() else text
        if text.isascii() or _NOT_LEGACY.search(text):
            return text
        converted = _CONVERTERS[self.label](text)
        if converted != text and _plausible(text) and not _plausible(converted):
            return text
        return converted

    def error(self) -> LegacyEncodingError | None:
        """The refusal to show when the evidence is weak, else None."""
        return refusal(self.weak_guess) if self.weak_guess else None


UNICODE = Conversion()


def _spread(texts: Sequence[str], count: int) -> list[str]:
    """At most `count` strings taken evenly over the whole sequence (a legacy file is legacy throughout)."""
    if len(texts) <= count:
        return list(texts)
    step = len(texts) / count
    return [texts[int(i * step)] for i in range(count)]


def _tokens(strings: set[str], keep: Callable[[str], bool]) -> list[str]:
    """The distinct words worth scoring, at most _MAX_TOKENS, in a stable order."""
    found: dict[str, None] = {}
    for text in sorted(strings):
        for token in text.split():
            if keep(token):
                found[token] = None
                if len(found) >= _MAX_TOKENS:
                    return list(found)
    return list(found)


def _count_valid(tokens: list[str], convert: Callable[[str], str]) -> int:
    return sum(_vietnamese_token(convert(token)) for token in tokens)


def convert_cells(texts: Sequence[str]) -> Conversion:
    """Decide, for all the string cells of one file, whether they are Unicode, TCVN3, VNI or VIQR.

    Only strings that could be legacy are scored: non-ASCII ones made only of Windows-1252 characters (each word
    scored as it is, as TCVN3 and as VNI), and ASCII ones with VIQR marks inside a word. A legacy encoding wins
    when at least 2 distinct words, 60% of those scored, become valid syllables and it leads Unicode by 30% of
    them; genuine Unicode reads valid as it is, so it is never converted. A lead short of that is a weak guess,
    unless the file is overwhelmingly Unicode. VIQR needs 5 words and 80%, and is never a weak guess (an English
    "I'm" must not refuse a file)."""
    sample = _spread(texts, _SAMPLE)
    suspects: set[str] = set()
    viqr: set[str] = set()
    unicode_strings = 0
    for text in set(sample):
        if not isinstance(text, str) or not text:
            continue
        if text.isascii():
            if _VIQR_EVIDENCE.search(text):
                viqr.add(text)
        elif _NOT_LEGACY.search(text):
            unicode_strings += 1
        else:
            suspects.add(text)
    if suspects:
        tokens = _tokens(suspects, lambda token: not token.isascii())
        as_is = _count_valid(tokens, str)
        scores = {label: _count_valid(tokens, _CONVERTERS[label]) for label in (TCVN3, VNI)}
        best = max(scores, key=lambda label: scores[label])
        other = scores[VNI if best == TCVN3 else TCVN3]
        valid = scores[best]
        if (valid >= _MIN_TOKENS and valid >= _MIN_SHARE * len(tokens) and valid - as_is >= _MIN_LEAD * len(tokens)
                and valid >= 2 * other):
            return Conversion(best)
        if valid > as_is and valid > other and valid * 10 > unicode_strings:
            return Conversion(None, weak_guess=best)
    if viqr:
        tokens = _tokens(viqr, lambda token: _VIQR_EVIDENCE.search(token) is not None)
        valid = sum(_viqr_token(token) != token for token in tokens)
        if valid >= _VIQR_MIN_TOKENS and valid >= _VIQR_MIN_SHARE * len(tokens) and valid > unicode_strings:
            return Conversion(VIQR)
    return UNICODE


# ------------------------------------------------------------------------------------------------------ CSV bytes

_BYTE_TOKEN = re.compile(rb'[^\s,;|"\']+')
# A CSV field (from its first character) holding a spot where TCVN3 may have lost a capital.
_FIELD_TO_CAPITALISE = re.compile(f'(?<![^\\r\\n,;\\t|"])[^\\r\\n,;\\t|"]*?(?:{_LOST_CAPITAL.pattern})[^\\r\\n,;\\t|"]*')


def _decode_cp1258(data: bytes) -> str:
    return unicodedata.normalize("NFC", data.decode("cp1258"))


# Byte -> Unicode in one C-level pass (codecs.charmap_decode): the cell character, then the legacy letter or marks.
_DECODING = {TCVN3: {byte: _CELL[byte].translate(_TCVN3_TABLE) for byte in range(256)},
             VNI: {byte: _CELL[byte].translate(_VNI_TABLE) for byte in range(256)}}


def _decode_legacy(data: bytes, label: str) -> str:
    text = unicodedata.normalize("NFC", codecs.charmap_decode(data, "strict", _DECODING[label])[0])
    if label == VNI:
        return text
    # TCVN3 capitals are restored field by field, as cells would be.
    return _FIELD_TO_CAPITALISE.sub(lambda m: _restore_capitals(m.group()), text)


def _token_reads(token: bytes, label: str) -> bool:
    try:
        text = _decode_cp1258(token) if label == CP1258 else _decode_legacy(token, label)
    except UnicodeDecodeError:
        return False
    return _vietnamese_token(text)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """(NFC text, "cp1258" | "TCVN3" | "VNI") for CSV bytes already known not to be UTF-8 or UTF-16.

    The distinct non-ASCII words of the file (up to 500) are read in each encoding; the one that makes at least 2
    of them, 60%, valid syllables, 30% more than the runner-up, wins. If no reading makes any word Vietnamese the
    file is not Vietnamese at all and Windows-1258 is kept (the old behaviour); otherwise weak evidence raises
    LegacyEncodingError naming the likely encoding."""
    found: dict[bytes, None] = {}
    for token in _BYTE_TOKEN.findall(data):
        if not token.isascii():
            found[token] = None
            if len(found) >= _MAX_TOKENS:
                break
    tokens = list(found)
    scores = {label: sum(_token_reads(token, label) for token in tokens) for label in (CP1258, TCVN3, VNI)}
    ranked = sorted(scores, key=lambda label: scores[label], reverse=True)
    best, runner_up = ranked[0], ranked[1]
    valid = scores[best]
    if valid == 0:
        try:
            return _decode_cp1258(data), CP1258
        except UnicodeDecodeError as exc:
            raise refusal(UNKNOWN) from exc
    if (valid < _MIN_TOKENS or valid < _MIN_SHARE * len(tokens)
            or valid - scores[runner_up] < _MIN_LEAD * len(tokens)):
        raise refusal(best)
    if best == CP1258:
        try:
            return _decode_cp1258(data), CP1258
        except UnicodeDecodeError as exc:
            raise refusal(CP1258) from exc
    return _decode_legacy(data, best), best
