"""The per-ballot scan page on a phone without a camera the browser can read (no BarcodeDetector, as on iPhone Safari
or desktop Chrome): the short code printed under the QR typed by hand, a photo of one ballot, the confirmation naming
the candidate, and the undo of a mis-tapped scan with its reason.

The ballots' codes are read where the commune reads them: the batch PDF it downloads (text extracted with pypdfium2),
fetched over HTTP with the committee's session.
"""
from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.printed_ballots import printed_pdf

pytestmark = pytest.mark.e2e

ELECTION_PAGES = "Cuộc bầu: hội nghị, kiểm phiếu, kết quả"
SCANNING = "Đang kiểm phiếu (quét từng phiếu)"
COMMITTEES = {"Xã Bình Hải": "bcd.binhhai", "Xã Bình Trị": "bcd.binhtri"}  # the demo seed's committee logins
CODE = re.compile(r"Mã: ([0-9A-Z]{4} [0-9A-Z]{4} [0-9A-Z]{3})")


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def printed_ballots(browse, hamlet) -> tuple[list[str], bytes]:
    """(the short codes printed on the hamlet's real ballots, the first PDF page photographed as a JPEG)."""
    pdf = printed_pdf(browse, hamlet)  # the download the other reading journeys share: each its own sheets
    codes = [code for p in pdf for code in CODE.findall(p.get_textpage().get_text_bounded())]
    image = pdf[0].render(scale=200 / 72).to_pil().convert("RGB")
    # The layout prints four ballots a sheet (A4x4): the photo shows the top-left one only, as a team would take it.
    width, height = image.size
    photo = io.BytesIO()
    image.crop((0, 0, width // 2, height // 2)).save(photo, format="JPEG", quality=80)
    return codes, photo.getvalue()


def test_polling_team_types_a_ballot_s_code_photographs_another_and_undoes_a_mis_tap(browse, demo, viewport):
    if viewport.name != "phone":
        pytest.skip("the scan page is the team's phone page: walked at 390 px")
    hamlet = demo.hamlet(SCANNING)
    codes, photo = printed_ballots(browse, hamlet)
    assert len(codes) >= 3, codes

    page = browse.login(hamlet.login)
    if not re.search(r"/polls/\d+", page.url):  # the team's home links to its poll
        page.get_by_role("link", name=ELECTION_PAGES).first.click()
    poll_id = re.search(r"/polls/(\d+)", page.url).group(1)
    page.goto(f"/polls/{poll_id}/scan")
    expect(heading(page)).to_contain_text(f"Quét từng phiếu: {hamlet.full_name}")
    # Chromium on Linux has no BarcodeDetector: the photo is offered instead of a camera button that does nothing.
    expect(page.get_by_text("Chụp ảnh phiếu", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Bật máy ảnh")).to_be_hidden()
    browse.check(page)

    message = page.locator("#message")
    code = codes[1]
    typo = code[:-1] + ("7" if code[-1] != "7" else "8")
    page.locator("#code").fill(typo)
    page.get_by_role("button", name="Đọc mã").click()
    expect(message).to_contain_text("ký tự kiểm tra không khớp")
    expect(page.locator("#ballot")).to_be_hidden()

    page.locator("#code").fill(code.lower().replace(" ", "-"))  # case and dashes do not matter
    page.get_by_role("button", name="Đọc mã").click()
    expect(page.locator("#ballot-code")).to_have_text(code[:12].strip())
    kept = page.locator("#ballot [data-choice]").first
    name = kept.inner_text().split(":", 1)[1].strip()
    kept.click()
    expect(message).to_contain_text(f"Đã ghi: phiếu hợp lệ — giữ tên {name}")
    serial = code[:12]  # the serial, grouped as on the ballot
    latest = page.locator("#recent li").first
    expect(latest).to_contain_text(serial)
    expect(latest).to_contain_text(f"giữ tên {name}")
    browse.check(page)

    # The mis-tap undone, with its reason, after the confirmation static/app.js asks.
    latest.locator("summary").click()
    latest.get_by_label("Lý do hủy").select_option(label="Bấm nhầm lựa chọn")
    latest.get_by_label("Ghi rõ (nếu cần)").fill("giữ tên người khác")
    page.once("dialog", lambda dialog: dialog.accept())
    latest.get_by_role("button", name="Hủy lần quét này").click()
    expect(page.locator("main .flash[role=status]").first).to_contain_text(f"Đã hủy lần quét phiếu {serial}")
    expect(page.locator("#recent")).not_to_contain_text(serial)
    browse.check(page)

    # The ballot is scannable again: typed once more, it reaches the choices.
    page.locator("#code").fill(code)
    page.get_by_role("button", name="Đọc mã").click()
    expect(page.locator("#ballot")).to_be_visible()
    page.get_by_role("button", name="Bỏ qua phiếu này").click()

    # A photo of the first ballot: decoded on the server, then recorded like any scan.
    page.locator("#photo").set_input_files(files=[{"name": "phieu.jpg", "mimeType": "image/jpeg", "buffer": photo}])
    expect(page.locator("#ballot-code")).to_have_text(codes[0][:12].strip())
    page.get_by_role("button", name="Phiếu không hợp lệ").click()
    expect(message).to_contain_text("Đã ghi: phiếu không hợp lệ:")
    expect(page.locator("#recent li").first).to_contain_text(codes[0][:12])
    browse.check(page)
