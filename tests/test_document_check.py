"""The document check (issue 17, part 6) on every PDF kind of the seeded and rehearsed demo district, and the checks
themselves on small documents built here (conftest's rehearsed_demo: one rehearsal for the whole run, shared with
tests/test_rehearsal_steps.py)."""
from __future__ import annotations

import io
from datetime import date

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table

from core.documents import MARGINS, OfficialDocument, Signature
from demo.document_check import (
    Finding,
    check_broken_tokens,
    check_citizen_ids,
    check_document,
    check_margins,
    check_rule_codes,
    check_signature_alone,
    read_pages,
)
from demo.documents import KINDS, OPTIONAL, MissingDocument, RenderedDocument, render_documents
from extensions import db


@pytest.fixture(scope="module")
def rehearsed_documents(rehearsed_demo):
    """Every document the run's seeded and rehearsed demo district prints (conftest's rehearsed_demo, shared with
    tests/test_rehearsal_steps.py; rendering only reads it): kind → document; kind → why the demo lacks it."""
    with rehearsed_demo.app.app_context():
        missing: list[MissingDocument] = []
        documents = render_documents(rehearsed_demo.app, missing)
        # End the reads: on PostgreSQL an open transaction would hold its table locks until the run ends.
        db.session.remove()
    return {d.kind: d for d in documents}, {m.kind: m.reason for m in missing}


def _report(document: RenderedDocument, findings: list[Finding]) -> str:
    lines = [f"{document.kind} ({document.label}, {document.pages} pages, {document.url}): "
             f"{len(findings)} findings"]
    lines += [f"  {finding}" for finding in findings[:40]]
    if len(findings) > 40:
        lines.append(f"  … and {len(findings) - 40} more")
    return "\n".join(lines)


@pytest.mark.parametrize("kind", [kind for kind in KINDS if kind not in OPTIONAL])
def test_every_document_kind_passes_the_check(rehearsed_documents, kind):
    documents, missing = rehearsed_documents
    assert kind in documents, f"the demo prints no {kind} ({KINDS[kind]}): {missing.get(kind) or missing.get('*')}"
    document = documents[kind]
    assert document.pages >= 1
    findings = check_document(kind, document.pdf)
    assert findings == [], _report(document, findings)


def test_a_rejected_exception_decision_passes_the_check_when_the_demo_has_one(rehearsed_documents):
    documents, _missing = rehearsed_documents
    for kind in OPTIONAL & documents.keys():
        findings = check_document(kind, documents[kind].pdf)
        assert findings == [], _report(documents[kind], findings)


def test_the_ballots_come_in_every_layout_from_the_same_poll(rehearsed_documents):
    documents, _missing = rehearsed_documents
    ballots = {kind: documents[kind] for kind in KINDS if kind.startswith("ballots-") and kind in documents}
    assert set(ballots) == {"ballots-A5", "ballots-A6", "ballots-A4x2", "ballots-A4x4"}
    names = {kind: read_pages(d.pdf)[0].text.split("Danh sách người ứng cử")[1].split("Mã:")[0].split()
             for kind, d in ballots.items()}
    assert len({" ".join(n) for n in names.values()}) == 1, names


# ----------------------------------------------------------------------------------------------------------
# The checks themselves
# ----------------------------------------------------------------------------------------------------------

def _official(build) -> bytes:
    doc = OfficialDocument(["ỦY BAN NHÂN DÂN XÃ BÌNH HẢI", "TỔ BẦU CỬ THÔN AN PHÚ"], "Số: 01/BB-TBC", place="Bình Hải",
                           date=date(2022, 5, 22), title="BIÊN BẢN KIỂM PHIẾU")
    build(doc)
    out = io.BytesIO()
    doc.build(out)
    return out.getvalue()


ROWS = [["Nguyễn Văn An", "21/08/1968", "••••1234", "1.234,5"], ["Trần Thị Bình", "03/11/1972", "••••5678", "12,25%"]]


def _clean(doc: OfficialDocument) -> None:
    doc.paragraph("Hôm nay, ngày 22/05/2022, tại hội trường thôn, Tổ bầu cử tiến hành kiểm phiếu với 1.234 cử tri "
                  "đại diện hộ gia đình; tỷ lệ đi bầu đạt 53,24%.")
    doc.table(["Họ và tên", "Ngày sinh", "Số định danh", "Số liệu"], ROWS, col_widths=[4, 2.2, 2.2, 1.8])
    doc.signatures([Signature("TỔ TRƯỞNG", "Nguyễn Văn A", authority="TM. TỔ BẦU CỬ")])


def test_a_clean_document_passes_every_check():
    pages = read_pages(_official(_clean))
    assert check_margins(pages) + check_broken_tokens(pages) + check_signature_alone(pages) \
        + check_rule_codes(pages) + check_citizen_ids(pages) == []


def _narrow_table(widths: list[float]) -> bytes:
    """A table drawn with reportlab alone (no builder: its fixes must not hide the case): the date column `widths`."""
    out = io.BytesIO()
    template = SimpleDocTemplate(out, pagesize=A4, leftMargin=MARGINS["left"], rightMargin=MARGINS["right"],
                                 topMargin=MARGINS["top"], bottomMargin=MARGINS["bottom"] + 6 * mm)
    style = OfficialDocument([""]).styles["cell"]
    rows = [[Paragraph(text, style) for text in row] for row in [["Ngày sinh", "Họ và tên"],
                                                                 ["21/08/1968", "Nguyễn Văn An"]]]
    template.build([Table(rows, colWidths=widths)])
    return out.getvalue()


def test_a_date_broken_across_the_lines_of_a_narrow_column_is_found():
    pages = read_pages(_narrow_table([16 * mm, 140 * mm]))
    findings = check_broken_tokens(pages)
    assert findings, [run.words for run in pages[0].runs]
    assert all(f.check == "broken-token" and f.page == 1 for f in findings)
    assert any("21/08/" in f.text for f in findings), findings
    assert check_broken_tokens(read_pages(_narrow_table([40 * mm, 116 * mm]))) == []


def test_the_builders_narrow_date_column_is_found_unless_the_date_stays_whole():
    """The issue's case through the builder (col_widths=[0.3, 10]): today the date breaks ("21/08/1" / "968") and
    the check says so; once the builder keeps dates whole, the date is on one line and the check is silent."""
    pdf = _official(lambda doc: doc.table(["Ngày sinh", "Họ và tên"], [["21/08/1968", "Nguyễn Văn An"]],
                                          col_widths=[0.3, 10]))
    pages = read_pages(pdf)
    whole = any("21/08/1968" in run.words for run in pages[0].runs)
    findings = check_broken_tokens(pages)
    assert bool(findings) != whole, ([run.words for run in pages[0].runs], findings)


def _body_then_signature(paragraphs: int) -> bytes:
    """Paragraphs, then a signature block kept in one piece (as the builder draws it), with reportlab alone."""
    out = io.BytesIO()
    template = SimpleDocTemplate(out, pagesize=A4, leftMargin=MARGINS["left"], rightMargin=MARGINS["right"],
                                 topMargin=MARGINS["top"], bottomMargin=MARGINS["bottom"] + 6 * mm)
    styles = OfficialDocument([""]).styles
    story = [Paragraph(f"Đoạn {i + 1}: Tổ bầu cử đã kiểm phiếu và lập biên bản theo quy định.", styles["body"])
             for i in range(paragraphs)]
    block = [Paragraph("TM. TỔ BẦU CỬ", styles["sign"]), Paragraph("TỔ TRƯỞNG", styles["sign"]),
             Paragraph("(Ký, ghi rõ họ tên)", styles["sign_note"]), Spacer(1, 22 * mm),
             Paragraph("Nguyễn Văn A", styles["sign"])]
    story.append(KeepTogether([Spacer(1, 4 * mm), Table([["", block]], colWidths=[70 * mm, 95 * mm])]))
    template.build(story)
    return out.getvalue()


def _page_count(pdf: bytes) -> int:
    return len(read_pages(pdf))


def test_a_signature_block_alone_on_its_page_is_found():
    paragraphs = 1
    while _page_count(_body_then_signature(paragraphs)) == 1:
        paragraphs += 1
    # The body exactly fills page 1: the signature block moved to page 2 on its own.
    findings = check_signature_alone(read_pages(_body_then_signature(paragraphs)))
    assert [(f.check, f.page) for f in findings] == [("signature-alone", 2)], findings
    assert "TM. TỔ BẦU CỬ" in findings[0].text
    assert check_signature_alone(read_pages(_body_then_signature(paragraphs - 1))) == []
    # A longer body, whose last paragraphs go on page 2 above the block.
    longer = paragraphs
    while not any(run.words.startswith("Đoạn") for run in read_pages(_body_then_signature(longer))[-1].runs):
        longer += 1
    assert check_signature_alone(read_pages(_body_then_signature(longer))) == []


def test_text_outside_the_margins_is_found_but_not_the_footer():
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4)
    canvas.setFont("Helvetica", 11)
    canvas.drawString(MARGINS["left"], A4[1] / 2, "Inside the frame")
    canvas.drawString(10 * mm, A4[1] / 2 - 20, "Too far left")
    canvas.drawRightString(A4[0] - 5 * mm, A4[1] / 2 - 40, "Too far right")
    canvas.drawString(MARGINS["left"], A4[1] - 10 * mm, "Too high")
    canvas.setFont("Helvetica", 8)
    canvas.drawRightString(A4[0] - MARGINS["right"], MARGINS["bottom"] - 2 * mm, "Trang 1/1")  # the footer band
    canvas.showPage()
    canvas.save()
    findings = check_margins(read_pages(out.getvalue()))
    assert [(f.check, f.text.split("»")[0].lstrip("«")) for f in findings] == [
        ("margins", "Too far left"), ("margins", "Too far right"), ("margins", "Too high")], findings
    assert "left" in findings[0].text and "right" in findings[1].text and "top" in findings[2].text


def test_a_rule_code_in_the_text_is_found():
    pdf = _official(lambda doc: doc.paragraph("Người ứng cử chưa đạt tiêu chuẩn trình độ (R-E4)."))
    findings = check_rule_codes(read_pages(pdf))
    assert [(f.check, f.page) for f in findings] == [("rule-code", 1)]
    assert "R-E4" in findings[0].text
    assert check_rule_codes(read_pages(_official(_clean))) == []


def test_a_full_citizen_id_is_found_but_not_a_masked_one():
    pdf = _official(lambda doc: doc.table(["Họ và tên", "Số định danh"],
                                          [["Nguyễn Văn An", "051068001234"], ["Trần Thị Bình", "••••••••5678"]],
                                          col_widths=[3, 2]))
    findings = check_citizen_ids(read_pages(pdf))
    assert [(f.check, f.page) for f in findings] == [("citizen-id", 1)]
    assert "051068001234" in findings[0].text


def test_the_headings_of_a_decision_include_its_legal_bases_and_recipients():
    pdf = _official(lambda doc: doc.paragraph("Công nhận kết quả bầu cử."))
    found = {f.text for f in check_document("recognition-decision", pdf) if f.check == "headings"}
    assert found == {"no «QUYẾT ĐỊNH»", "no «Căn cứ»", "no «Nơi nhận»"}
    assert [f for f in check_document("counting-minutes", pdf) if f.check == "headings"] == []
