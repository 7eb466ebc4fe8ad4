"""PDFs laid out like a Vietnamese administrative document (Decree 30/2020/NĐ-CP, appendix I).

Used for candidate lists, exception requests and decisions, voter rolls, counting minutes,
recognition decisions, congress minutes and reports. Usage:

    doc = OfficialDocument(["UBND XÃ BÌNH HẢI", "TỔ BẦU CỬ THÔN AN PHÚ"], "Số: 01/BB-TBC",
                           place="Bình Hải", date=date(2022, 5, 22), title="BIÊN BẢN KIỂM PHIẾU")
    doc.paragraph("Hôm nay, ...")
    doc.table(["STT", "Họ và tên", "Số phiếu"], rows, col_widths=[1, 5, 2])
    doc.signatures([Signature("TỔ TRƯỞNG", "Nguyễn Văn A")])
    doc.build(out)
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

from core.fonts import BOLD, ITALIC, REGULAR, nfc, register_fonts
from core.qr import qr_matrix

Motto = Literal["state", "party"]

STATE_MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
PARTY_MOTTO = ("ĐẢNG CỘNG SẢN VIỆT NAM",)
SIGN_NOTE = "(Ký, ghi rõ họ tên)"

# Decree 30/2020 appendix I: margins top/bottom 20–25 mm, left 30–35 mm, right 15–20 mm.
MARGINS = {"top": 20 * mm, "bottom": 20 * mm, "left": 30 * mm, "right": 15 * mm}
QR_SIZE = 16 * mm


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
                                  alignment=TA_LEFT, spaceBefore=4),
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
    }


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
        self.number = nfc(number)
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
    ) -> OfficialDocument:
        """Add a ruled table; the header row repeats on every page, cells wrap.

        `col_widths` are relative weights scaled to the full text width; `align` gives one of
        "left" | "center" | "right" per column.
        """
        n = len(headers)
        weights = list(col_widths) if col_widths else [1.0] * n
        if len(weights) != n or any(w <= 0 for w in weights):
            raise ValueError("col_widths needs one positive weight per column")
        widths = [self.frame_width * w / sum(weights) for w in weights]
        aligns = {"left": TA_LEFT, "center": TA_CENTER, "right": TA_RIGHT}
        cell_styles = [
            ParagraphStyle(f"cell{i}", parent=self.styles["cell"], alignment=aligns[(align or ["left"] * n)[i]])
            for i in range(n)
        ]
        data: list[list[Paragraph]] = [[_p(str(h), self.styles["cell_head"]) for h in headers]]
        for row in rows:
            if len(row) != n:
                raise ValueError("every row needs one value per header")
            data.append([_p("" if v is None else str(v), cell_styles[i]) for i, v in enumerate(row)])
        table = Table(data, colWidths=widths, repeatRows=1)
        table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.92, 0.92, 0.92)),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 3),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ]))
        self._story.extend([table, Spacer(1, 4 * mm)])
        return self

    def signatures(self, blocks: Sequence[Signature], sign_space_mm: float = 22) -> OfficialDocument:
        """Add signature blocks side by side (one → on the right, as Decree 30 places the signer)."""
        s = self.styles
        cells = []
        any_authority = any(block.authority for block in blocks)
        for block in blocks:
            cell: list[Flowable] = []
            if any_authority:  # keeps positions and names level across the blocks
                cell.append(_p(block.authority or "\u00a0", s["sign"]))
            cell.append(_p(block.position, s["sign"]))
            if block.note:
                cell.append(_p(block.note, s["sign_note"]))
            cell.append(Spacer(1, sign_space_mm * mm))
            cell.append(_p(block.name, s["sign"]))
            cells.append(cell)
        if len(cells) == 1:
            widths = [self.frame_width * 0.45, self.frame_width * 0.55]
            data = [["", cells[0]]]
        else:
            widths = [self.frame_width / len(cells)] * len(cells)
            data = [cells]
        table = Table(data, colWidths=widths)
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
        self._story.append(KeepTogether([Spacer(1, 4 * mm), table]))
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
            topMargin=MARGINS["top"], bottomMargin=MARGINS["bottom"] + 6 * mm,
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

        doc.build(self._header() + self._story, canvasmaker=_NumberedCanvas)


__all__ = ["OfficialDocument", "Signature", "date_line", "draw_qr"]
