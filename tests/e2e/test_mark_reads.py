"""Reading the marks on a phone (issue 19): the team photographs a ballot of the demo hamlet being counted; the server
reads it, finds ink outside the names (a mark that may identify the voter) and queues it; two members decide it on
the adjudication page at 390 px; the ballot is counted once.

The ballot is one the commune printed (the batch PDF downloaded with the committee's session, rasterised with
pypdfium2), with a stray scribble drawn in its left margin with OpenCV where ballots.geometry says nothing is printed.
"""
from __future__ import annotations

import re

import cv2
import numpy as np
import pytest
from playwright.sync_api import expect

from ballots.geometry import BOX_H
from ballots.pdf import placements
from demo.marked_ballots import Frame
from tests.e2e.printed_ballots import printed_pdf

pytestmark = pytest.mark.e2e

SCANNING = "Đang kiểm phiếu (quét từng phiếu)"
COMMITTEES = {"Xã Bình Hải": "bcd.binhhai", "Xã Bình Trị": "bcd.binhtri"}  # the demo seed's committee logins
MM = 72 / 25.4
DPI = 200


def marked_photo(browse, hamlet) -> bytes:
    """A ballot of the hamlet's printed batch (the second sheet's first ballot), a scribble in its margin, as the
    JPEG a phone would send (the ballot cut from its A4×4 sheet)."""
    pdf = printed_pdf(browse, hamlet)  # the download the other reading journeys share: each its own sheets
    sheet = pdf[1] if len(pdf) > 1 else pdf[0]  # the other journey photographs a ballot of the first sheet
    page_h = sheet.get_height()
    image = np.ascontiguousarray(sheet.render(scale=DPI / 72).to_numpy()[:, :, :3])  # BGR(A), as demo.marked_ballots
    x, y, scale = placements("A4x4")[0]
    frame = Frame(x, y, scale, page_h, DPI)
    # A scribble in the left margin, half-way down: ink where no name, box or printed text is (stray ink).
    points = [frame.px(px * MM, py * MM) for px, py in
              ((3.5, 100), (7.5, 104), (3.5, 108), (7.5, 112), (3.5, 116), (7.5, 120))]
    cv2.polylines(image, [np.array(points, np.int32)], False, (120, 40, 20), max(2, round(frame.mm(0.5))),
                  cv2.LINE_AA)
    x0, y0 = frame.px(-3 * MM, BOX_H + 3 * MM)
    x1, y1 = frame.px(148 * MM + 3 * MM, -3 * MM)
    crop = image[max(0, int(y0)):int(y1), max(0, int(x0)):int(x1)]
    ok, data = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return data.tobytes()


def test_a_photo_is_read_an_unclear_ballot_decided_by_two_members_and_counted_once(browse, demo, viewport):
    if viewport.name != "phone":
        pytest.skip("the scan page is the team's phone page: walked at 390 px")
    hamlet = demo.hamlet(SCANNING)
    photo = marked_photo(browse, hamlet)

    team = browse.login(hamlet.login)
    if not re.search(r"/polls/\d+", team.url):
        team.get_by_role("link", name="Cuộc bầu: hội nghị, kiểm phiếu, kết quả").first.click()
    poll_id = re.search(r"/polls/(\d+)", team.url).group(1)
    team.goto(f"/polls/{poll_id}/scan")
    valid_before = int(team.locator("#valid").inner_text())
    invalid_before = int(team.locator("#invalid").inner_text())
    # Chromium on Linux has no BarcodeDetector: the photo input reads the marks on the server.
    expect(team.locator("#read-photo-button")).to_be_visible()
    expect(team.locator("#read-mode")).to_be_hidden()
    team.locator("#read-photo").set_input_files(files=[{"name": "phieu.jpg", "mimeType": "image/jpeg",
                                                         "buffer": photo}])
    message = team.locator("#message")
    expect(message).to_contain_text("đọc dấu chưa rõ: chờ hai thành viên quyết định")
    serial = re.search(r"Phiếu ([0-9A-Z]{4} [0-9A-Z]{4} [0-9A-Z]{2})", message.inner_text()).group(1)
    expect(team.locator("#waiting-count")).to_have_text(re.compile(r"[1-9]"))
    browse.check(team)

    # The first member decides from the crops of the name lines.
    team.locator("#waiting-link").click()
    expect(team.get_by_role("heading", level=1)).to_contain_text("Phiếu chờ quyết định")
    first = team.locator("li[data-read-id]").filter(has_text=serial)
    option = first.locator("fieldset label").first  # the first name kept
    label = option.inner_text().strip()
    option.locator("input").check()
    first.get_by_role("button", name="Ghi quyết định").click()
    expect(team.locator("main .flash").first).to_contain_text("cần một thành viên khác xác nhận")
    browse.check(team)

    # A second, different member (the commune committee, also on the team's page) confirms the same decision.
    committee = browse.login(COMMITTEES[hamlet.commune])
    committee.goto(f"/polls/{poll_id}/scan/reads")
    item = committee.locator("li[data-read-id]").filter(has_text=serial)
    expect(item).to_contain_text("Cần một thành viên khác xác nhận")
    item.get_by_label(label).check()
    asked: list[str] = []
    committee.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    item.get_by_role("button", name="Xác nhận quyết định").click()
    expect(committee.locator("main .flash").first).to_contain_text(f"đã tính phiếu {serial}")
    assert asked and "phiếu được tính ngay" in asked[0]  # the count asked before it was made
    expect(committee.locator("li[data-read-id]").filter(has_text=serial)).to_have_count(0)
    browse.check(committee)

    # Counted once: one more ballot on the scan page's totals, and the same photo again is not counted twice.
    team.goto(f"/polls/{poll_id}/scan")
    after = int(team.locator("#valid").inner_text()) + int(team.locator("#invalid").inner_text())
    assert after == valid_before + invalid_before + 1
    team.locator("#read-photo").set_input_files(files=[{"name": "phieu.jpg", "mimeType": "image/jpeg",
                                                         "buffer": photo}])
    expect(message).to_contain_text("(đã ghi trước đó)")
    after_again = int(team.locator("#valid").inner_text()) + int(team.locator("#invalid").inner_text())
    assert after_again == after
    browse.check(team)
