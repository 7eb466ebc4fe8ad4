"""The district office's supervision (59-KH/HU §2.6–2.7) through the real pages: a standing-committee member is added
and assigned to a chapter the app flagged as difficult in cadres, a visit is recorded, a hamlet worker is commended,
and the yearly review is downloaded as PDF and XLSX. The demo seeds Bình Hải's supervision
(demo/rehearsal.py): the journey adds its own supervisor and takes a flagged chapter still unassigned."""
from __future__ import annotations

import io
import re

import pypdfium2 as pdfium
import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from .test_journeys import flash, heading, nav

pytestmark = pytest.mark.e2e


def test_district_office_assigns_a_supervisor_records_a_visit_and_a_commendation_and_downloads_the_review(
        browse, demo, viewport):
    page = browse.login("tcnv.binhson")
    nav(page, "Chi bộ, chỉ tiêu")
    page.get_by_role("link", name="Phân công phụ trách, giám sát").click()
    expect(heading(page)).to_have_text("Phân công phụ trách, giám sát cơ sở")
    browse.check(page)

    page.get_by_role("link", name="Danh sách người phụ trách").click()
    expect(heading(page)).to_have_text("Người phụ trách, giám sát")
    supervisor = f"Lê Văn Thường ({viewport.name})"
    page.locator("#full_name").fill(supervisor)
    page.locator("#post").fill("Phó Bí thư Thường trực Huyện ủy")
    page.locator("#rank").select_option("standing_committee")
    page.get_by_role("button", name="Thêm người phụ trách").click()
    expect(flash(page)).to_have_text(f"Đã thêm {supervisor}.")
    expect(page.locator("tr").filter(has_text=supervisor)).to_contain_text("Ủy viên Ban Thường vụ Huyện ủy")
    browse.check(page)

    page.get_by_role("link", name="Về trang phân công").click()
    page.get_by_role("link", name=re.compile(r"^Chi bộ còn khó khăn về cán bộ \(\d+\)$")).click()
    expect(heading(page)).to_have_text("Chi bộ còn khó khăn về cán bộ")
    row = page.locator("tbody tr").filter(has=page.get_by_role("link", name="Phân công", exact=True)).first
    chapter = row.locator("td").first.inner_text().strip()
    browse.check(page)
    row.get_by_role("link", name="Phân công", exact=True).click()
    expect(heading(page)).to_have_text("Phân công phụ trách, giám sát")
    expect(page.locator("#kind")).to_have_value("chapter")
    expect(page.locator("#chapter_id option:checked")).to_contain_text(chapter)
    choice = page.locator("#supervisor_id option").filter(has_text=supervisor).get_attribute("value")
    page.locator("#supervisor_id").select_option(choice)
    page.locator("#assigned_on").fill("2022-03-01")
    page.locator("#decision").fill("Quyết định 05-QĐ/HU")
    browse.check(page)
    page.get_by_role("button", name="Phân công", exact=True).click()
    expect(flash(page)).to_have_text(f"Đã phân công {supervisor} phụ trách {chapter}.")
    expect(heading(page)).to_contain_text(chapter)
    browse.check(page)

    page.locator("#visited_on").fill("2022-05-15")
    page.locator("#notes").fill("Dự sinh hoạt chi bộ, nắm tình hình chuẩn bị bầu cử trưởng thôn")
    page.locator("#findings").fill("Chi bộ đủ 9 đảng viên chính thức nhưng chưa có chi ủy: kiện toàn tại đại hội")
    page.get_by_role("button", name="Ghi lần làm việc").click()
    expect(flash(page)).to_have_text("Đã ghi lần làm việc.")
    expect(page.locator("tbody tr").first).to_contain_text("15/05/2022")
    browse.check(page)
    page.locator("#visited_on").fill("2022-05-30")  # after today (the demo's 22/05/2022): refused
    page.locator("#notes").fill("Dự họp")
    page.get_by_role("button", name="Ghi lần làm việc").click()
    expect(flash(page)).to_contain_text("không được sau hôm nay")

    # A hamlet worker of that chapter's hamlet, commended on their page (§2.6).
    page.get_by_role("link", name="Về trang phân công").click()
    page.get_by_role("link", name=chapter, exact=True).click()
    worker = page.locator("tbody tr").filter(has_text="đương nhiệm").first.get_by_role("link")
    name = worker.inner_text().strip()
    worker.click()
    expect(heading(page)).to_have_text(name)
    page.locator("summary").filter(has_text="Ghi khen thưởng").click()
    page.locator("#year").fill("2022")
    page.locator("#kind").select_option("certificate")
    page.locator("#reason").fill("Thành tích xuất sắc trong chuẩn bị ngày hội bầu trưởng thôn")
    page.locator("#decision_number").fill("125/QĐ-UBND")
    page.locator("#decision_date").fill("2022-05-20")
    page.locator("#issued_by").fill("Chủ tịch UBND huyện Bình Sơn")
    page.get_by_role("button", name="Ghi khen thưởng").click()
    expect(flash(page)).to_have_text("Đã ghi khen thưởng.")
    expect(page.locator("#khen-thuong + .table-wrap")).to_contain_text("125/QĐ-UBND")
    browse.check(page)

    # The yearly review shows them, and downloads as PDF and XLSX.
    page.goto("/chapters/review")
    expect(heading(page)).to_contain_text("Sơ kết năm 2022")
    expect(page.locator("main")).to_contain_text(name)
    browse.check(page)
    pdf_link = page.get_by_role("link", name="Báo cáo sơ kết (PDF)")
    response = page.request.get(pdf_link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    pdf = pdfium.PdfDocument(response.body())
    text = " ".join(" ".join(p.get_textpage().get_text_range() for p in pdf).split())
    for words in ("BÁO CÁO", "Sơ kết năm 2022", supervisor, name, "125/QĐ-UBND"):
        assert words in text, words
    with page.expect_download() as download:
        page.get_by_role("link", name="Báo cáo sơ kết (Excel)").click()
    assert download.value.suggested_filename.startswith("so-ket-")
    book = load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
    assert book.sheetnames == ["Chỉ tiêu", "Theo xã", "Chi bộ khó khăn", "Làm việc", "Khen thưởng"]
    assert [c.value for c in book["Khen thưởng"][2]][1] == name
    browse.check(page)
