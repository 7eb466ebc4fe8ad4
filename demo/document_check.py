"""The document check: pure functions over a PDF's bytes that read it as a person would (pypdfium2's text boxes).

    findings = check_document("roll", pdf_bytes)   # [] when the document is fit to post and to file

What is checked (issue 17, part 6), each a function of its own over the pages read once by `read_pages`:
- margins: every character inside the text frame of Decree 30/2020 (core.documents.MARGINS), with a small tolerance,
  except the footer band the builder draws below the frame (page number, footer text); ballots inside each ballot's
  own margin (half of ballots.pdf.MARGIN, as far as the ballot draws its short code, scaled like the ballot);
- broken tokens: no date, citizen ID or number split between two lines of the same paragraph or table cell
  ("21/08/1" / "968");
- signature alone: the page where the signature block starts carries body text above it;
- rule codes: no "R-E4"-like rule id in the text;
- citizen IDs: no 12-digit run (IDs are masked to their last 4 digits on what is posted or handed out);
- headings: the motto (state or party) and the kind's title; decisions also "Căn cứ" and "Nơi nhận";
- roll rows: a full page of the voter roll holds at least 28 households.

A line of text is a run of characters on one baseline, in the order the PDF draws them; the next run of the same
paragraph or cell is the one drawn next, one line's leading lower (at most LINE_GAP × the font size) and starting
within the same column (no further left than a first-line indent, no further right than where the line ended).
"""
from __future__ import annotations

import ctypes
import re
from dataclasses import dataclass, field

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from reportlab.lib.units import mm

from ballots.pdf import BOX_H, BOX_W, MARGIN as BALLOT_MARGIN, _grid
from core.documents import MARGINS, SIGN_NOTE

TOLERANCE = 1 * mm  # glyph boxes may overhang the frame slightly (italics, accents)
LINE_GAP = 1.45  # a paragraph's next line: baseline at most this many font sizes lower (leading 1.2–1.35)
INDENT = 12 * mm  # a body paragraph's first line is indented 10 mm: its next line starts that much further left
ROLL_ROWS_PER_PAGE = 28
STATE_MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
PARTY_MOTTO = ("ĐẢNG CỘNG SẢN VIỆT NAM",)
# The kinds' titles (besides the motto); decisions also carry their legal bases and recipients.
TITLES: dict[str, tuple[str, ...]] = {
    "candidate-list": ("DANH SÁCH NGƯỜI ỨNG CỬ",),
    "exception-request": ("TỜ TRÌNH",),
    "exception-decision": ("QUYẾT ĐỊNH", "Căn cứ", "Nơi nhận"),
    "exception-decision-rejected": ("QUYẾT ĐỊNH", "Căn cứ", "Nơi nhận"),
    "roll": ("DANH SÁCH CỬ TRI",),
    "counting-minutes": ("BIÊN BẢN KIỂM PHIẾU",),
    "recognition-decision": ("QUYẾT ĐỊNH", "Căn cứ", "Nơi nhận"),
    "congress-minutes": ("BIÊN BẢN ĐẠI HỘI CHI BỘ",),
    "targets-report": ("BÁO CÁO",),
    "review-report": ("BÁO CÁO",),
    "team-logins": ("DANH SÁCH TÀI KHOẢN TỔ BẦU CỬ",),
    "attendance-sheet": ("DANH SÁCH HỌC VIÊN",),
    "certificate": ("GIẤY CHỨNG NHẬN",),
}
BALLOT_TITLES = ("PHIẾU BẦU", "TỔ BẦU CỬ")
RULE_CODE = re.compile(r"R-[A-Z]{1,2}\d")
FULL_ID = re.compile(r"(?<!\d)\d{12}(?!\d)")
# The characters of a date, an ID or a number: digits, the masking dot, and the separators inside them.
TOKEN_END = re.compile(r"[\d•/.,%]*[\d•][\d•/.,%]*[/.,]?$")
TOKEN_START = re.compile(r"^[/.,]?[\d•][\d•/.,%]*")
# A signature block's lines: the capacity (TM., KT., Q., TL., T/M) or the note under the position.
SIGNATURE_START = re.compile(r"^(TM\.|T/M|KT\.|Q\.|TL\.|TUQ\.)\s*\w|^\(Ký, ghi rõ họ tên\)$")


@dataclass(frozen=True)
class Finding:
    check: str  # margins | broken-token | signature-alone | rule-code | citizen-id | headings | roll-rows
    page: int  # 1-based; 0: the whole document
    text: str

    def __str__(self) -> str:
        where = f"trang {self.page}" if self.page else "cả văn bản"
        return f"{self.check} ({where}): {self.text}"


@dataclass
class Run:
    """Characters drawn one after the other on one baseline: a line of a paragraph, or of a table cell."""

    text: str = ""
    left: float = float("inf")
    right: float = float("-inf")
    bottom: float = float("inf")
    top: float = float("-inf")
    baseline: float = 0.0
    size: float = 0.0
    boxes: list[tuple[str, float, float, float, float]] = field(default_factory=list)  # (char, l, b, r, t)

    def add(self, char: str, box: tuple[float, float, float, float] | None, size: float) -> None:
        self.text += char
        if box is not None:
            left, bottom, right, top = box
            self.boxes.append((char, left, bottom, right, top))
            self.left, self.right = min(self.left, left), max(self.right, right)
            self.bottom, self.top = min(self.bottom, bottom), max(self.top, top)
            self.size = max(self.size, size)

    @property
    def words(self) -> str:
        return self.text.strip()


@dataclass
class Page:
    number: int  # 1-based
    width: float
    height: float
    text: str
    runs: list[Run]


def read_pages(pdf: bytes) -> list[Page]:
    """Each page's size, text and runs (in drawing order)."""
    document = pdfium.PdfDocument(pdf)
    pages = []
    try:
        for index in range(len(document)):
            page = document[index]
            width, height = page.get_size()
            textpage = page.get_textpage()
            pages.append(Page(index + 1, width, height, textpage.get_text_range(), _runs(textpage)))
            textpage.close()
            page.close()
    finally:
        document.close()
    return pages


def _runs(textpage: pdfium.PdfTextPage) -> list[Run]:
    raw = textpage.raw
    left, bottom, right, top = (ctypes.c_double() for _ in range(4))
    x, y = ctypes.c_double(), ctypes.c_double()
    runs: list[Run] = []
    run: Run | None = None
    previous: tuple[float, float, float] | None = None  # (origin x, baseline, right) of the last visible char
    spaced = False
    for i in range(textpage.count_chars()):
        if pdfium_c.FPDFText_IsGenerated(raw, i) == 1:
            continue
        char = chr(pdfium_c.FPDFText_GetUnicode(raw, i))
        if char.isspace() or char == "\x00":
            if run is not None:
                run.text += " "
            spaced = True
            continue
        pdfium_c.FPDFText_GetCharBox(raw, i, left, right, bottom, top)
        pdfium_c.FPDFText_GetCharOrigin(raw, i, x, y)
        size = pdfium_c.FPDFText_GetFontSize(raw, i) or (top.value - bottom.value)
        new = run is None or previous is None
        if not new and previous is not None:
            same_line = abs(y.value - previous[1]) <= 0.3 * size
            leftward = x.value < previous[0] - 0.5 * size
            jump = left.value - previous[2] > 1.5 * size and not spaced
            new = not same_line or leftward or jump
        if new:
            run = Run(baseline=y.value)
            runs.append(run)
        assert run is not None
        run.add(char, (left.value, bottom.value, right.value, top.value), size)
        previous = (x.value, y.value, right.value)
        spaced = False
    return runs


# ----------------------------------------------------------------------------------------------------------
# The checks
# ----------------------------------------------------------------------------------------------------------

def _outside(run: Run, frame: tuple[float, float, float, float]) -> str:
    """The edges of `frame` (left, bottom, right, top) the run's characters cross, e.g. "right"."""
    x0, y0, x1, y1 = frame
    edges = []
    if run.left < x0 - TOLERANCE:
        edges.append("left")
    if run.right > x1 + TOLERANCE:
        edges.append("right")
    if run.bottom < y0 - TOLERANCE:
        edges.append("bottom")
    if run.top > y1 + TOLERANCE:
        edges.append("top")
    return ", ".join(edges)


def check_margins(pages: list[Page]) -> list[Finding]:
    """Decree 30's frame (left 30 mm, right 15 mm, top and bottom 20 mm); below the frame only the footer band
    (within the frame's width, above the page's edge)."""
    findings = []
    for page in pages:
        frame = (MARGINS["left"], MARGINS["bottom"], page.width - MARGINS["right"], page.height - MARGINS["top"])
        footer = (MARGINS["left"], 5 * mm, page.width - MARGINS["right"], MARGINS["bottom"])
        for run in page.runs:
            if not run.boxes:
                continue
            in_footer = run.top <= MARGINS["bottom"] + TOLERANCE
            edges = _outside(run, footer if in_footer else frame)
            if edges:
                findings.append(Finding("margins", page.number, f"«{run.words}» past the {edges} margin "
                                        f"({run.left / mm:.0f}–{run.right / mm:.0f} mm of {page.width / mm:.0f})"))
    return findings


def ballot_frames(layout: str) -> list[tuple[float, float, float, float]]:
    """Each ballot's area inside its own margin on a page of `layout`: half of ballots.pdf.MARGIN (10 mm), scaled
    with the ballot, since the short code under the QR is drawn up to MARGIN / 2 from the edge (ballots.pdf)."""
    grid = _grid(layout)
    cw, ch = grid.cell
    off_x, off_y = (cw - BOX_W * grid.scale) / 2, (ch - BOX_H * grid.scale) / 2
    inset = BALLOT_MARGIN / 2 * grid.scale  # the ballot's own limit: its short code may reach half the margin
    return [(cx + off_x + inset, cy + off_y + inset, cx + off_x + (BOX_W * grid.scale) - inset,
             cy + off_y + (BOX_H * grid.scale) - inset) for cx, cy in grid.cells]


def check_ballot_margins(pages: list[Page], layout: str) -> list[Finding]:
    frames = ballot_frames(layout)
    findings = []
    for page in pages:
        for run in page.runs:
            if run.boxes and all(_outside(run, frame) for frame in frames):
                findings.append(Finding("margins", page.number, f"«{run.words}» outside every ballot's margin"))
    return findings


def _next_line(a: Run, b: Run) -> bool:
    """Whether `b` continues `a`'s paragraph or cell on the next line."""
    if not a.boxes or not b.boxes:
        return False
    size = max(a.size, b.size)
    gap = a.baseline - b.baseline
    return 0.5 * size < gap <= LINE_GAP * size and a.left - INDENT <= b.left < a.right


def check_broken_tokens(pages: list[Page]) -> list[Finding]:
    """A line ending inside a date, an ID or a number, whose next line goes on with it."""
    findings = []
    for page in pages:
        for a, b in zip(page.runs, page.runs[1:]):
            end, start = TOKEN_END.search(a.words), TOKEN_START.search(b.words)
            if end and start and _next_line(a, b):
                findings.append(Finding("broken-token", page.number, f"«{end.group()}» / «{start.group()}» "
                                        f"(line «{a.words[-40:]}» then «{b.words[:40]}»)"))
    return findings


def check_signature_alone(pages: list[Page]) -> list[Finding]:
    """The page where the signature block starts holds body text above it (a page after the first holds no
    heading: anything above the block within the frame is the body's end)."""
    for page in pages:
        marks = [run for run in page.runs if run.boxes and SIGNATURE_START.search(run.words)
                 and (run.words == SIGN_NOTE or run.words == run.words.upper())]  # capacities are in capitals
        if not marks:
            continue
        if page.number == 1:
            return []
        block_top = max(run.top for run in marks)
        above = [run for run in page.runs if run.boxes and run.bottom > block_top
                 and run.top > MARGINS["bottom"] + TOLERANCE and run.words]
        if not above:
            return [Finding("signature-alone", page.number,
                            f"the signature block («{marks[0].words}») starts the page with no body text above it")]
        return []
    return []


def check_rule_codes(pages: list[Page]) -> list[Finding]:
    return [Finding("rule-code", page.number, f"«{_around(page.text, m)}»")
            for page in pages for m in RULE_CODE.finditer(page.text)]


def check_citizen_ids(pages: list[Page]) -> list[Finding]:
    return [Finding("citizen-id", page.number, f"«{_around(page.text, m)}» (12 digits: a full citizen ID)")
            for page in pages for m in FULL_ID.finditer(page.text)]


def _around(text: str, match: re.Match[str], width: int = 30) -> str:
    return " ".join(text[max(0, match.start() - width):match.end() + width].split())


def check_headings(pages: list[Page], titles: tuple[str, ...], motto: bool = True) -> list[Finding]:
    text = " ".join(" ".join(page.text for page in pages).split())
    findings = []
    if motto and not (all(line in text for line in STATE_MOTTO) or all(line in text for line in PARTY_MOTTO)):
        findings.append(Finding("headings", 0, "neither the national motto («CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM», "
                                               "«Độc lập - Tự do - Hạnh phúc») nor «ĐẢNG CỘNG SẢN VIỆT NAM»"))
    findings.extend(Finding("headings", 0, f"no «{title}»") for title in titles if title not in text)
    return findings


def roll_rows(page: Page) -> int:
    """The households on a page of the roll: the row numbers (STT) in the table's first column."""
    numbers = [run for run in page.runs if run.boxes and run.words.isdigit()]
    if not numbers:
        return 0
    first_column = min(run.left for run in numbers)
    return len({run.words for run in numbers if run.left <= first_column + 3 * mm})


def check_roll_rows(pages: list[Page]) -> list[Finding]:
    """Page 2 (a page neither first, with the heading, nor last) holds ≥ 28 households; fewer than three pages:
    nothing to measure."""
    if len(pages) < 3:
        return []
    rows = roll_rows(pages[1])
    if rows < ROLL_ROWS_PER_PAGE:
        return [Finding("roll-rows", 2, f"{rows} households on a full page (at least {ROLL_ROWS_PER_PAGE})")]
    return []


def check_document(kind: str, pdf: bytes) -> list[Finding]:
    """Every check that applies to a document of `kind` (demo.documents.KINDS)."""
    pages = read_pages(pdf)
    findings: list[Finding] = []
    if kind.startswith("ballots-"):
        findings += check_ballot_margins(pages, kind.removeprefix("ballots-"))
        findings += check_broken_tokens(pages)
        findings += check_headings(pages, BALLOT_TITLES, motto=False)
    else:
        findings += check_margins(pages)
        findings += check_broken_tokens(pages)
        findings += check_signature_alone(pages)
        findings += check_headings(pages, TITLES.get(kind, ()))
    findings += check_rule_codes(pages)
    findings += check_citizen_ids(pages)
    if kind == "roll":
        findings += check_roll_rows(pages)
    return findings


__all__ = ["Finding", "Page", "Run", "SIGN_NOTE", "check_document", "read_pages"]
