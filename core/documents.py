"""PDFs laid out like a Vietnamese administrative document (Decree 30/2020/NĐ-CP, appendix I).

Used for candidate lists, exception requests and decisions, voter rolls, counting minutes,
recognition decisions, congress minutes and reports. Usage:

    doc = OfficialDocument(["UBND XÃ BÌNH HẢI", "TỔ BẦU CỬ THÔN AN PHÚ"], "Số: 01/BB-TBC",
                           place="Bình Hải", date=date(2022, 5, 22), title="BIÊN BẢN KIỂM PHIẾU")
    doc.preamble("CHỦ TỊCH ỦY BAN NHÂN DÂN XÃ BÌNH HẢI", [legal.LOCAL_GOVERNMENT, legal.DECREE_59])  # decisions
    doc.paragraph("Hôm nay, ...")
    doc.table(["STT", "Họ và tên", "Số phiếu"], rows, col_widths=[1, 5, 2])
    doc.signatures([Signature("TỔ TRƯỞNG", "Nguyễn Văn A")], recipients=["Như Điều 3", "Lưu: VT"])
    doc.build(out)

The form is the builder's, not each caller's: the heading and motto, number, place and date, title, the issuing
capacity and its "Căn cứ" lines, the body, "Nơi nhận" beside the signature, and the signature block kept on one page
with the body's last lines (a signature alone on a page signs nothing). Tables take their column widths from their
content so that no date, number or ID is ever broken across two lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date as Date
from typing import Any, BinaryIO, Literal
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    HRFlowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from core.fonts import BOLD, BOLD_ITALIC, ITALIC, REGULAR, nfc, register_fonts
from core.qr import qr_matrix

Motto = Literal["state", "party"]

STATE_MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
PARTY_MOTTO = ("ĐẢNG CỘNG SẢN VIỆT NAM",)
SIGN_NOTE = "(Ký, ghi rõ họ tên)"

# Decree 30/2020 appendix I: margins top/bottom 20–25 mm, left 30–35 mm, right 15–20 mm.
MARGINS = {"top": 20 * mm, "bottom": 20 * mm, "left": 30 * mm, "right": 15 * mm}
QR_SIZE = 16 * mm
FOOTER_BAND = 6 * mm  # below the text frame: the page number and the footer line


@dataclass(frozen=True)
class Signature:
    """One signature block: e.g. "TM. TỔ BẦU CỬ" / "TỔ TRƯỞNG" / (Ký, ghi rõ họ tên) / name."""

    position: str
    name: str = ""
    authority: str = ""  # the line above the position, e.g. "TM. ỦY BAN NHÂN DÂN"
    note: str = SIGN_NOTE


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=REGULAR, fontSize=13, leading=17, alignment=TA_JUSTIFY,
                          firstLineIndent=10 * mm, spaceAfter=5)
    return {
        "body": base,
        "plain": ParagraphStyle("plain", parent=base, firstLineIndent=0, alignment=TA_LEFT),
        "heading": ParagraphStyle("heading", parent=base, fontName=BOLD, firstLineIndent=0,
                                  alignment=TA_LEFT, spaceBefore=4, keepWithNext=1),
        "note": ParagraphStyle("note", parent=base, fontName=ITALIC, fontSize=11, leading=14,
                               firstLineIndent=0),
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=14, leading=18,
                                alignment=TA_CENTER, firstLineIndent=0, spaceBefore=10, spaceAfter=2),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontName=BOLD, fontSize=13, leading=17,
                                   alignment=TA_CENTER, firstLineIndent=0, spaceAfter=8),
        "head_left": ParagraphStyle("head_left", fontName=REGULAR, fontSize=12, leading=15,
                                    alignment=TA_CENTER),
        "head_left_bold": ParagraphStyle("head_left_bold", fontName=BOLD, fontSize=12, leading=15,
                                         alignment=TA_CENTER),
        "motto": ParagraphStyle("motto", fontName=BOLD, fontSize=12, leading=15, alignment=TA_CENTER),
        "motto2": ParagraphStyle("motto2", fontName=BOLD, fontSize=13, leading=16, alignment=TA_CENTER),
        "number": ParagraphStyle("number", fontName=REGULAR, fontSize=13, leading=16, alignment=TA_CENTER,
                                 spaceBefore=3),
        "date": ParagraphStyle("date", fontName=ITALIC, fontSize=13, leading=16, alignment=TA_RIGHT,
                               spaceBefore=4),
        "cell": ParagraphStyle("cell", fontName=REGULAR, fontSize=11, leading=13.5, alignment=TA_LEFT),
        "cell_head": ParagraphStyle("cell_head", fontName=BOLD, fontSize=11, leading=13.5,
                                    alignment=TA_CENTER),
        "sign": ParagraphStyle("sign", fontName=BOLD, fontSize=13, leading=16, alignment=TA_CENTER),
        "sign_note": ParagraphStyle("sign_note", fontName=ITALIC, fontSize=12, leading=15,
                                    alignment=TA_CENTER),
        "capacity": ParagraphStyle("capacity", fontName=BOLD, fontSize=13, leading=17, alignment=TA_CENTER,
                                   spaceBefore=4, spaceAfter=6),
        "basis": ParagraphStyle("basis", parent=base, fontName=ITALIC, spaceAfter=3),
        "verb": ParagraphStyle("verb", fontName=BOLD, fontSize=13, leading=17, alignment=TA_CENTER,
                               spaceBefore=6, spaceAfter=6),
        "received_head": ParagraphStyle("received_head", fontName=BOLD_ITALIC, fontSize=12, leading=14),
        "received": ParagraphStyle("received", fontName=REGULAR, fontSize=11, leading=13.5),
    }


_ALIGNS = {"left": TA_LEFT, "center": TA_CENTER, "right": TA_RIGHT}
CELL_PADDING = 6  # reportlab's default left and right cell padding, in points
# Font size, leading, top and bottom padding of a table's cells: normal, and compact for long lists (the roll).
_CELL_SIZES = {False: (11.0, 13.5, 3, 4), True: (10.0, 12.0, 1.5, 2.5)}
_SMALLEST_CELL_FONT = 8.0


@dataclass
class _TableBlock:
    """A table waiting for layout: built into reportlab Tables at build(), when it is known whether a signature
    follows it (then its last rows are kept with the signature)."""

    headers: list[str]
    rows: list[list[str]]
    weights: list[float]
    aligns: list[str]
    compact: bool
    fill_in: tuple[int, ...] = ()


class _Signatures(list[Flowable]):
    """The signature flowables, marked so that build() keeps them with the body's last lines."""


def _recipients(recipients: Sequence[str], s: dict[str, ParagraphStyle]) -> list[Flowable]:
    """"Nơi nhận:" and one "- …;" line per recipient, the last ending with a full stop (Decree 30/2020)."""
    lines = [nfc(r).strip().rstrip(" ;.") for r in recipients if r.strip()]
    if not lines:
        return []
    out: list[Flowable] = [_p("Nơi nhận:", s["received_head"])]
    out += [_p(f"- {line}" + ("." if i == len(lines) - 1 else ";"), s["received"]) for i, line in enumerate(lines)]
    return out


def _text_width(text: str, font: str, size: float) -> float:
    return stringWidth(text, font, size)


def column_widths(headers: Sequence[str], rows: Sequence[Sequence[str]], weights: Sequence[float], total: float,
                  size: float, fill_in: Sequence[int] = ()) -> list[float] | None:
    """Column widths (points) summing to `total`: each column at least as wide as its longest word (so a date, a
    number or an ID never breaks; headers may wrap between words), the rest shared by the content's natural width
    and the caller's weights. None when even the longest words do not fit side by side at this font size."""
    n = len(headers)
    least = [0.0] * n
    natural = [0.0] * n
    for col in range(n):
        for word in headers[col].split():
            least[col] = max(least[col], _text_width(word, BOLD, size))
        for row in rows:
            text = row[col]
            for word in text.split():
                least[col] = max(least[col], _text_width(word, REGULAR, size))
            natural[col] = max(natural[col], _text_width(text, REGULAR, size))
        least[col] += 2 * CELL_PADDING + 1
        natural[col] = max(natural[col] + 2 * CELL_PADDING + 1, least[col])
        if col in fill_in:  # left blank to be written in by hand ("Ký tên"): its share of the width
            natural[col] = max(natural[col], total * weights[col] / sum(weights))
    if sum(least) > total:
        return None
    weight_sum = sum(weights)
    if sum(natural) <= total:
        # Everything fits on one line: each column its natural width, the slack shared by the weights.
        slack = total - sum(natural)
        return [natural[i] + slack * weights[i] / weight_sum for i in range(n)]
    # Each column its least width, then the room left shared in proportion to the caller's weights, a column never
    # taking more than holds its content on one line (what it does not need goes round to the others): short cells
    # stay whole, long text wraps.
    widths = list(least)
    room = total - sum(least)
    hungry = {i for i in range(n) if natural[i] > least[i]}
    while room > 0.01 and hungry:
        weight = sum(weights[i] for i in hungry)
        given = {i: min(room * weights[i] / weight, natural[i] - widths[i]) for i in hungry}
        for i, extra in given.items():
            widths[i] += extra
        room -= sum(given.values())
        hungry = {i for i in hungry if natural[i] - widths[i] > 0.01}
    return widths


def _p(text: str, style: ParagraphStyle, markup: bool = False) -> Paragraph:
    """A paragraph of NFC text; plain text is escaped unless it is trusted `markup`."""
    text = nfc(text)
    return Paragraph(text if markup else escape(text).replace("\n", "<br/>"), style)


def date_line(place: str, day: Date) -> str:
    """'Bình Hải, ngày 22 tháng 5 năm 2022' (Decree 30: day and month below 10 get a leading 0)."""
    dd = f"{day.day:02d}" if day.day < 10 else str(day.day)
    mm_ = f"{day.month:02d}" if day.month < 3 else str(day.month)
    when = f"ngày {dd} tháng {mm_} năm {day.year}"
    return f"{place}, {when}" if place else when[0].upper() + when[1:]


def draw_qr(c: Canvas, matrix: list[list[bool]], x: float, y: float, size: float) -> None:
    """Fill the dark modules of `matrix` into the square (x, y, size), one rect per run."""
    module = size / len(matrix)
    path = c.beginPath()
    for row_no, row in enumerate(matrix):
        top = y + size - (row_no + 1) * module
        col = 0
        while col < len(row):
            if row[col]:
                start = col
                while col < len(row) and row[col]:
                    col += 1
                path.rect(x + start * module, top, (col - start) * module, module)
            else:
                col += 1
    c.drawPath(path, stroke=0, fill=1)


class OfficialDocument:
    """Builder for one administrative-style PDF: header, title, body flowables, signatures."""

    def __init__(
        self,
        issuer_lines: Sequence[str],
        number: str = "",
        motto: Motto = "state",
        place: str = "",
        date: Date | None = None,
        title: str = "",
        subtitle: str = "",
        orientation: Literal["portrait", "landscape"] = "portrait",
        author: str = "Dân tin",
    ) -> None:
        register_fonts()
        if motto not in ("state", "party"):
            raise ValueError(f"unknown motto: {motto!r}")
        self.issuer_lines = [nfc(line) for line in issuer_lines]
        # "Số:      -BC/TCNV": the blank left for the number written by hand keeps its width.
        self.number = nfc(number).replace("  ", "\u00a0\u00a0")
        self.motto = motto
        self.place = nfc(place)
        self.date = date
        self.title = nfc(title)
        self.subtitle = nfc(subtitle)
        self.pagesize = landscape(A4) if orientation == "landscape" else A4
        self.author = author
        self.styles = _styles()
        self._story: list[Flowable] = []
        self._qr_text: str | None = None
        self._footer = ""

    @property
    def _frame_height(self) -> float:
        return self.pagesize[1] - MARGINS["top"] - MARGINS["bottom"] - FOOTER_BAND

    @property
    def frame_width(self) -> float:
        return self.pagesize[0] - MARGINS["left"] - MARGINS["right"]

    # -- content -------------------------------------------------------------------------
    def paragraph(self, text: str, style: str = "body", markup: bool = False) -> OfficialDocument:
        """Add a paragraph; style is body | plain | heading | note; `markup` allows <b>/<i> tags."""
        self._story.append(_p(text, self.styles[style], markup))
        return self

    def table(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[Any]],
        col_widths: Sequence[float] | None = None,
        align: Sequence[str] | None = None,
        compact: bool = False,
        fill_in: Sequence[int] = (),
    ) -> OfficialDocument:
        """Add a ruled table; the header row repeats on every page, cells wrap at spaces only.

        `col_widths` are relative weights of the full text width, adjusted to the content (`column_widths`): a
        column is never narrower than its longest word, so no date, number or ID breaks. `align` gives "left" |
        "center" | "right" per column; `compact` (long lists such as the roll) uses a smaller font and padding;
        `fill_in` columns are left blank to be written in by hand (a signature) and keep their weight's width.
        """
        n = len(headers)
        weights = list(col_widths) if col_widths else [1.0] * n
        if len(weights) != n or any(w <= 0 for w in weights):
            raise ValueError("col_widths needs one positive weight per column")
        aligns = list(align) if align else ["left"] * n
        if len(aligns) != n or any(a not in _ALIGNS for a in aligns):
            raise ValueError("align needs one of left | center | right per column")
        cells = [[nfc("" if v is None else str(v)) for v in row] for row in rows]
        if any(len(row) != n for row in cells):
            raise ValueError("every row needs one value per header")
        self._story.append(_TableBlock([nfc(str(h)) for h in headers], cells, weights, aligns, compact, tuple(fill_in)))
        self._story.append(Spacer(1, 4 * mm))
        return self

    def article(self, number: int, text: str) -> OfficialDocument:
        """One article of a decision: "Điều 1." in bold, then the text (escaped)."""
        self._story.append(_p(f"<b>Điều {number}.</b> " + escape(nfc(text)), self.styles["body"], markup=True))
        return self

    def preamble(self, capacity: str, bases: Sequence[str], verb: str = "QUYẾT ĐỊNH:") -> OfficialDocument:
        """A decision's opening (Decree 30/2020, appendix I): the issuing capacity ("CHỦ TỊCH ỦY BAN NHÂN DÂN XÃ …"),
        one italic "Căn cứ …;" line per legal basis (the last ends with a full stop), then the verb."""
        s = self.styles
        if capacity:
            self._story.append(_p(capacity.upper(), s["capacity"]))
        lines = [nfc(b).rstrip(" ;.") for b in bases]
        for i, line in enumerate(lines):
            text = line if line.startswith(("Căn cứ", "Xét", "Theo")) else f"Căn cứ {line}"
            self._story.append(_p(text + ("." if i == len(lines) - 1 else ";"), s["basis"]))
        if verb:
            self._story.append(_p(verb, s["verb"]))
        return self

    def signatures(self, blocks: Sequence[Signature], sign_space_mm: float = 22,
                   recipients: Sequence[str] = ()) -> OfficialDocument:
        """Add the signature blocks side by side (one → on the right, as Decree 30 places the signer), "Nơi nhận"
        (recipients, the last usually "Lưu: VT") on the left of a single signer or below several, and keep them
        on one page with the body's last lines."""
        s = self.styles
        heads: list[list[Flowable]] = []
        names: list[Flowable] = []
        any_authority = any(block.authority for block in blocks)
        for block in blocks:
            head: list[Flowable] = []
            if any_authority:  # keeps positions level across the blocks
                head.append(_p(block.authority or "\u00a0", s["sign"]))
            if block.position:
                head.append(_p(block.position, s["sign"]))
            if block.note:
                head.append(_p(block.note, s["sign_note"]))
            heads.append(head)
            names.append(_p(block.name, s["sign"]))
        received = _recipients(recipients, s)
        # Two rows: the capacities, then the names after the room to sign, so that the names stay level even when
        # one capacity wraps.
        if len(blocks) == 1:
            widths = [self.frame_width * 0.45, self.frame_width * 0.55]
            data: list[list[Any]] = [[received, heads[0]], ["", names[0]]]
            span = [("SPAN", (0, 0), (0, 1))]
            received = []
        else:
            widths = [self.frame_width / len(blocks)] * len(blocks)
            data = [heads, names]
            span = []
        table = Table(data, colWidths=widths)
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (0, -1), 0),
                                   ("TOPPADDING", (0, 1), (-1, 1), sign_space_mm * mm), *span]))
        self._story.append(_Signatures([Spacer(1, 4 * mm), table, *received]))
        return self

    def qr(self, text: str) -> OfficialDocument:
        """Print a QR (e.g. a verification link) in the bottom-left corner of every page."""
        self._qr_text = text
        return self

    def footer(self, text: str) -> OfficialDocument:
        """Small footer text on every page, e.g. a fingerprint of the data printed."""
        self._footer = nfc(text)
        return self

    # -- layout --------------------------------------------------------------------------
    def _table(self, block: _TableBlock, rows: list[list[str]], header: bool) -> Table:
        size, leading, top, bottom = _CELL_SIZES[block.compact]
        widths = column_widths(block.headers, block.rows, block.weights, self.frame_width, size, block.fill_in)
        while widths is None and size > _SMALLEST_CELL_FONT:
            size -= 0.5
            leading = size * 1.23
            widths = column_widths(block.headers, block.rows, block.weights, self.frame_width, size, block.fill_in)
        if widths is None:  # words longer than the page allows: reportlab splits them (never seen in practice)
            widths = [self.frame_width * w / sum(block.weights) for w in block.weights]
        cell = ParagraphStyle("cell", parent=self.styles["cell"], fontSize=size, leading=leading)
        head = ParagraphStyle("cell_head", parent=self.styles["cell_head"], fontSize=size, leading=leading)
        cell_styles = [ParagraphStyle(f"cell{i}", parent=cell, alignment=_ALIGNS[a]) for i, a in enumerate(block.aligns)]
        data: list[list[Paragraph]] = [[_p(h, head) for h in block.headers]] if header else []
        data += [[_p(v, cell_styles[i]) for i, v in enumerate(row)] for row in rows]
        table = Table(data, colWidths=widths, repeatRows=1 if header else 0)
        style = [
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), top),
            ("BOTTOMPADDING", (0, 0), (-1, -1), bottom),
        ]
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.92, 0.92, 0.92)))
        table.setStyle(TableStyle(style))
        return table

    def _flowables(self) -> list[Flowable]:
        """The story laid out: tables built, and each signature kept on one page with the body's last lines (the
        last one or two paragraphs, or a table's last two rows)."""
        out: list[Flowable] = []
        story = list(self._story)
        for i, item in enumerate(story):
            if isinstance(item, _TableBlock):
                follows = next((x for x in story[i + 1:] if not isinstance(x, Spacer)), None)
                kept = 2 if isinstance(follows, _Signatures) and len(item.rows) > 3 else 0
                table = self._table(item, item.rows[:len(item.rows) - kept], header=True)
                if out and isinstance(out[-1], Paragraph) and \
                        table.wrap(self.frame_width, self._frame_height)[1] < self._frame_height / 2:
                    out[-1].keepWithNext = 1  # the line introducing a short table goes to the page the table is on
                out.append(table)
                if kept:
                    out.append(self._table(item, item.rows[-kept:], header=False))
            elif isinstance(item, _Signatures):
                out.append(KeepTogether(_body_tail(out) + list(item)))
            else:
                out.append(item)
        return out

    def _header(self) -> list[Flowable]:
        s = self.styles
        col_w = self.frame_width / 2
        left: list[Flowable] = []
        for i, line in enumerate(self.issuer_lines):
            last = i == len(self.issuer_lines) - 1
            left.append(_p(line, s["head_left_bold"] if last or len(self.issuer_lines) == 1 else s["head_left"]))
        if self.motto == "party":
            left.append(_p("*", s["head_left_bold"]))
        else:
            left.append(HRFlowable(width=col_w * 0.3, thickness=0.6, color=colors.black,
                                   spaceBefore=3, spaceAfter=1, hAlign="CENTER"))
        if self.number:
            left.append(_p(self.number, s["number"]))

        right: list[Flowable] = []
        lines = PARTY_MOTTO if self.motto == "party" else STATE_MOTTO
        right.append(_p(lines[0], s["motto"] if len(lines) > 1 else s["motto2"]))
        if len(lines) > 1:
            right.append(_p(lines[1], s["motto2"]))
        # The rule under the motto's last line is as long as that line (Decree 30, appendix I).
        last = nfc(lines[-1])
        rule_w = stringWidth(last, BOLD, 13)
        right.append(HRFlowable(width=rule_w, thickness=0.6, color=colors.black,
                                spaceBefore=3, spaceAfter=2, hAlign="CENTER"))

        header = Table([[left, right]], colWidths=[col_w * 0.9, col_w * 1.1])
        header.setStyle(TableStyle([
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("ALIGN", (0, 0), (-1, -1), "CENTER"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ]))
        out: list[Flowable] = [header]
        if self.place or self.date:
            text = date_line(self.place, self.date) if self.date else self.place
            out.append(_p(text, s["date"]))
        if self.title:
            out.append(_p(self.title, s["title"]))
        if self.subtitle:
            out.append(_p(self.subtitle, s["subtitle"]))
        out.append(Spacer(1, 3 * mm))
        return out

    def build(self, out: BinaryIO) -> None:
        """Lay the document out and write the PDF to `out`."""
        doc = SimpleDocTemplate(
            out, pagesize=self.pagesize, title=self.title or "", author=self.author,
            creator="Dân tin", invariant=1,
            topMargin=MARGINS["top"], bottomMargin=MARGINS["bottom"] + FOOTER_BAND,
            leftMargin=MARGINS["left"], rightMargin=MARGINS["right"],
        )
        matrix = qr_matrix(self._qr_text) if self._qr_text else None
        footer = self._footer
        pagesize = self.pagesize

        class _NumberedCanvas(Canvas):
            """Defers each page's footer to save(), when the page total ("Trang x/y") is known."""

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self._pages: list[dict[str, Any]] = []

            def showPage(self) -> None:
                self._pages.append(dict(self.__dict__))
                self._startPage()

            def save(self) -> None:
                total = len(self._pages)
                for state in self._pages:
                    self.__dict__.update(state)
                    self._draw_footer(total)
                    super().showPage()
                super().save()

            def _draw_footer(self, total: int) -> None:
                y = MARGINS["bottom"] - 2 * mm
                x = MARGINS["left"]
                if matrix is not None:
                    draw_qr(self, matrix, x, 7 * mm, QR_SIZE)
                    x += QR_SIZE + 3 * mm
                self.setFont(REGULAR, 8)
                self.setFillColor(colors.Color(0.35, 0.35, 0.35))
                if footer:
                    self.drawString(x, y, footer)
                self.drawRightString(pagesize[0] - MARGINS["right"], y, f"Trang {self._pageNumber}/{total}")

        doc.build(self._header() + self._flowables(), canvasmaker=_NumberedCanvas)


def _body_tail(out: list[Flowable]) -> list[Flowable]:
    """Take the body's last lines off `out`: its last table piece, or its last one or two paragraphs (with the
    spacers between them), to be kept on the signature's page."""
    taken: list[Flowable] = []
    paragraphs = 0
    while out and paragraphs < 2:
        last = out[-1]
        if isinstance(last, Spacer):
            taken.insert(0, out.pop())
        elif isinstance(last, Paragraph):
            taken.insert(0, out.pop())
            paragraphs += 1
        elif isinstance(last, Table) and paragraphs == 0:
            taken.insert(0, out.pop())
            break
        else:
            break
    # A heading kept with what follows goes with it (reportlab's keepWithNext does not reach into a KeepTogether).
    while out and isinstance(out[-1], (Paragraph, Spacer)) and out[-1].getKeepWithNext():
        taken.insert(0, out.pop())
    return taken


__all__ = ["OfficialDocument", "Signature", "column_widths", "date_line", "draw_qr"]
