"""The commune office's scanner batch (issue 19): the committee uploads the multi-page PDF its document feeder made of
a hamlet's ballots; the page reads it one page per request with a progress bar, counts the ballots the reader
decided and lists the unclear one for two members; a connection lost in the middle of the batch loses nothing and
counts nothing twice, nor does the batch opened on two computers at once. Files the reader cannot take are refused
with a Vietnamese reason before anything is kept.

The pages are the hamlet's real printed A4×4 sheets (printed_ballots: the fourth sheet onwards, no other journey reads
them), names struck with OpenCV, one ballot with a scribble in its margin (ink outside the lines: only a person may
decide it), written as one PDF by demo.marked_ballots.write_feeder as a feeder would at 200 dpi.
"""
from __future__ import annotations

import io
import json
import re

import cv2
import numpy as np
import pytest
from playwright.sync_api import Route, expect

from demo.marked_ballots import Sample, write_feeder
from tests.e2e.printed_ballots import (
    COMMITTEES,
    MM,
    SCANNING,
    Sheets,
    ballot_names,
    jpeg,
    printed_pdf,
    tally,
    team_scan_page,
)

pytestmark = pytest.mark.e2e

FIRST_SHEET = 3  # the fourth printed sheet: no other journey reads its ballots
PAGES = 4
UNCLEAR = (1, 2)  # (page, ballot on the page) with a scribble in its margin
LOST = 3  # the page whose answer never reaches the browser (the server has read it)
BATCH_FORM = "Tải lên tệp quét nhiều phiếu (máy quét của xã)"


def feeder_pdf(sheets: Sheets, names: list[str], first_sheet: int = FIRST_SHEET, unclear: tuple[int, int] = UNCLEAR
               ) -> bytes:
    """The batch as one PDF: every ballot with one name kept, one of them with a scribble in its margin."""
    samples = []
    for page in range(PAGES):
        kept: list[int | None] = [(page + k) % len(names) for k in range(4)]
        image, frames = sheets.marked(first_sheet + page, kept)
        if page == unclear[0]:
            frame = frames[unclear[1]]
            points = [frame.px(x * MM, y * MM) for x, y in
                      ((3.5, 100), (7.5, 104), (3.5, 108), (7.5, 112), (3.5, 116), (7.5, 120))]
            cv2.polylines(image, [np.array(points, np.int32)], False, (120, 40, 20), max(2, round(frame.mm(0.5))),
                          cv2.LINE_AA)
        samples.append(Sample("scan", jpeg(image, 90), (), {"dpi": 200}))
    out = io.BytesIO()
    assert write_feeder(samples, out, "pdf") == PAGES
    return out.getvalue()


def open_batch_form(page) -> None:
    page.get_by_text(BATCH_FORM).click()
    expect(page.locator("#batch-file")).to_be_visible()


def test_a_scanner_batch_is_read_with_progress_resumes_after_a_lost_answer_and_refuses_what_it_cannot_read(
        browse, demo, viewport, tmp_path):
    hamlet = demo.hamlet(SCANNING)
    pdf = printed_pdf(browse, hamlet)
    assert len(pdf) >= FIRST_SHEET + 2 * PAGES, f"the hamlet's batch has {len(pdf)} sheets"
    team, poll_id = team_scan_page(browse, hamlet)
    names = ballot_names(team)
    batch = feeder_pdf(Sheets.of(pdf, names), names)
    team.close()

    office = browse.login(COMMITTEES[hamlet.commune])
    office.goto(f"/polls/{poll_id}/scan")
    before = tally(office)
    waiting_before = int(office.locator("#waiting-count").inner_text())

    # Not a scan: refused in the page, nothing sent.
    open_batch_form(office)
    office.locator("#batch-file").set_input_files(files=[{"name": "danh-sach.docx", "buffer": b"PK\x03\x04 not a scan",
                                                           "mimeType": "application/msword"}])
    office.get_by_role("button", name="Tải lên và đọc").click()
    expect(office.locator("#batch-error")).to_have_text("Chỉ nhận tệp PDF, TIFF, JPEG hoặc PNG từ máy quét.")
    expect(office.locator("#batch-file")).to_have_attribute("aria-invalid", "true")
    assert "/scan/batches" not in office.url
    # Too large (over the reader's 60 MB): refused in the page before a long upload.
    big = tmp_path / "lo-phieu.pdf"
    with big.open("wb") as out:
        out.write(b"%PDF-1.4\n")
        out.truncate(61 * 1024 * 1024)
    office.locator("#batch-file").set_input_files(big)
    expect(office.locator("#batch-error")).to_be_hidden()  # a new file chosen: the last error goes
    office.get_by_role("button", name="Tải lên và đọc").click()
    expect(office.locator("#batch-error")).to_have_text("Tệp quét quá lớn (tối đa 60 MB): chia thành nhiều tệp.")
    # Named as a PDF but not one: the server refuses it, keeps nothing, says why.
    office.locator("#batch-file").set_input_files(files=[{"name": "lo-phieu.pdf", "buffer": b"not really a PDF",
                                                           "mimeType": "application/pdf"}])
    office.get_by_role("button", name="Tải lên và đọc").click()
    expect(office.locator("main .flash.danger").first).to_contain_text("Chỉ nhận tệp PDF, TIFF, JPEG hoặc PNG")
    assert re.search(r"/scan$", office.url) and tally(office) == before
    browse.check(office)

    # The batch: read page by page. The first request meets the login page (the session ended, say): the page stops
    # and says so rather than asking again and again; then the answer to the third page's request is lost on the way
    # back.
    answers: list[dict] = []
    asked = {"n": 0}

    def next_page(route: Route) -> None:
        asked["n"] += 1
        if asked["n"] == 1:
            route.fulfill(status=200, content_type="text/html; charset=utf-8",
                          body="<!doctype html><title>Đăng nhập</title><h1>Đăng nhập</h1>")
            return
        response = route.fetch()  # the server reads the page and moves its cursor
        if asked["n"] == LOST + 1:
            route.abort("connectionreset")
            return
        answers.append(json.loads(response.text()))
        route.fulfill(response=response)

    office.route(re.compile(r"/scan/batches/\d+/next$"), next_page)
    open_batch_form(office)
    office.locator("#batch-file").set_input_files(files=[{"name": "may-quet-xa.pdf", "buffer": batch,
                                                           "mimeType": "application/pdf"}])
    office.get_by_role("button", name="Tải lên và đọc").click()
    expect(office.get_by_role("heading", level=1)).to_contain_text("Đọc tệp quét")
    expect(office.get_by_text(f"({PAGES} trang)")).to_be_visible()
    expect(office.locator("#batch-message")).to_contain_text("Phiên đăng nhập đã hết")
    expect(office.locator("#page")).to_have_text("0")
    office.wait_for_timeout(500)
    assert asked["n"] == 1
    office.get_by_role("button", name="Tiếp tục đọc").click()
    expect(office.locator("#batch-message")).to_contain_text("Mất kết nối", timeout=20_000)
    expect(office.locator("#resume")).to_be_visible()
    expect(office.locator("#page")).to_have_text(str(LOST - 1))
    assert office.locator("#progress").evaluate("p => [p.value, p.max]") == [LOST - 1, PAGES]
    assert [a["page"] for a in answers] == list(range(1, LOST))
    assert browse.expected(office, r"ERR_CONNECTION_RESET|/scan/batches/\d+/next") >= 1

    # The page reloaded (or «Tiếp tục đọc»): the batch goes on from the server's cursor, past the page already read.
    office.unroute(re.compile(r"/scan/batches/\d+/next$"))
    resumed: list[str] = []
    office.on("request", lambda r: r.method == "POST" and r.url.endswith("/next") and resumed.append(r.url))
    office.reload()
    expect(office.locator("#summary")).to_be_visible(timeout=20_000)
    assert len(resumed) == PAGES - LOST  # one request for each page left, none for the page already read
    expect(office.locator("#page")).to_have_text(str(PAGES))
    assert office.locator("#progress").evaluate("p => [p.value, p.max]") == [PAGES, PAGES]
    counted = PAGES * 4 - 1
    expect(office.locator("#counted")).to_have_text(str(counted))
    expect(office.locator("#waiting")).to_have_text("1")
    expect(office.locator("#refused")).to_have_text("0")
    expect(office.locator("#resume")).to_be_hidden()
    summary = office.locator("#summary")
    expect(summary).to_contain_text(f"Đã đọc {PAGES} trang: {counted} phiếu đã tính, 1 phiếu chờ quyết định")
    problem = summary.locator(".problems li")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text(f"Trang {UNCLEAR[0] + 1}")
    expect(problem).to_contain_text("đang chờ hai thành viên")
    serial = re.search(r"— ([0-9A-Z]{4} [0-9A-Z]{4} [0-9A-Z]{2})", problem.inner_text()).group(1)
    browse.check(office)

    # The unclear ballot waits for two members; every other ballot counted once.
    office.get_by_role("link", name=re.compile(r"phiếu chờ quyết định")).click()
    expect(office.get_by_role("heading", level=1)).to_contain_text("Phiếu chờ quyết định")
    expect(office.locator("li[data-read-id]").filter(has_text=serial)).to_have_count(1)
    browse.check(office)
    office.goto(f"/polls/{poll_id}/scan")
    assert tally(office) == before + counted
    expect(office.locator("#waiting-count")).to_have_text(str(waiting_before + 1))
    browse.check(office)


def test_a_batch_open_on_two_devices_is_read_once(browse, demo, viewport):
    if viewport.name != "desktop":
        pytest.skip("the commune office's computers: walked at 1280 px")
    hamlet = demo.hamlet(SCANNING)
    pdf = printed_pdf(browse, hamlet)
    team, poll_id = team_scan_page(browse, hamlet)
    names = ballot_names(team)
    # Sheets of its own; the unclear ballot on the first page, which both devices read at the same moment.
    batch = feeder_pdf(Sheets.of(pdf, names), names, first_sheet=FIRST_SHEET + PAGES, unclear=(0, 1))
    team.close()

    office = browse.login(COMMITTEES[hamlet.commune])
    office.goto(f"/polls/{poll_id}/scan")
    before = tally(office)
    waiting_before = int(office.locator("#waiting-count").inner_text())
    # Uploaded without opening the batch's page, then opened on two computers at once: both read it.
    csrf = office.locator("#scanner").get_attribute("data-csrf")
    uploaded = office.request.post(f"/polls/{poll_id}/scan/batches", max_redirects=0, multipart={
        "csrf_token": csrf, "file": {"name": "may-quet-xa.pdf", "mimeType": "application/pdf", "buffer": batch}})
    assert uploaded.status == 302, uploaded.status
    batch_url = uploaded.headers["location"]
    other = browse.login(COMMITTEES[hamlet.commune])
    held: list[Route] = []

    def together(route: Route) -> None:  # the first request of each device waits for the other's: one moment
        if len(held) >= 2:
            route.continue_()
            return
        held.append(route)
        if len(held) == 2:
            for waiting in held:
                waiting.continue_()

    sent = {"other": 0}

    def other_device(route: Route) -> None:  # and its second answer is the server's 409 «someone else kept it»
        sent["other"] += 1
        if sent["other"] == 2:
            route.fulfill(status=409, content_type="text/html; charset=utf-8",
                          body="<!doctype html><title>Lỗi 409 · Dân tin</title>")
            return
        together(route)

    for page, handler in ((office, together), (other, other_device)):
        page.route(re.compile(r"/scan/batches/\d+/next$"), handler)
        page.goto(batch_url, wait_until="commit")
    for page in (office, other):
        expect(page.locator("#summary")).to_be_visible(timeout=30_000)
        browse.expected(page, r"status of 409")  # the page two devices read at once: one kept, the other goes on
        expect(page.locator("#counted")).to_have_text(str(PAGES * 4 - 1))
        expect(page.locator("#waiting")).to_have_text("1")
        expect(page.locator("#refused")).to_have_text("0")
        browse.check(page)
    office.goto(f"/polls/{poll_id}/scan")
    assert tally(office) == before + PAGES * 4 - 1
    expect(office.locator("#waiting-count")).to_have_text(str(waiting_before + 1))
