"""Reading the marks through the phone's camera (issue 19): the scan page's camera loop captures a frame once the
ballot's QR is held still, sends it whole to the server, which reads the struck names and counts the ballot; the same
ballot held up again is not counted twice.

Chromium on Linux has neither BarcodeDetector nor a camera, so both are stubbed in the page before its script runs:
navigator.mediaDevices.getUserMedia returns a canvas's captureStream() on which a real printed ballot of the hamlet
(its names struck with OpenCV, see printed_ballots) lies on a table, at the resolution the page asks for, portrait as a
phone held upright; BarcodeDetector reports that ballot's QR (its real text, decoded with zxing-cpp) where the test
says: moving with the hand, then still, then gone. Everything else — the steadiness check, the capture, the upload,
the read, the count — is the page's and the server's own code.
"""
from __future__ import annotations

import base64
import re

import pytest
import zxingcpp
from playwright.sync_api import Request, expect

from tests.e2e.printed_ballots import SCANNING, Sheets, ballot_names, cut, jpeg, printed_pdf, tally, team_scan_page

pytestmark = pytest.mark.e2e

SHEET = 2  # the third printed sheet: no other journey reads its ballots

# A camera and a QR detector for a browser that has neither (see the module's docstring). The test steers them with
# window.__camera (the ballot's image as a data URL, its offset on the table) and window.__qr (null: no QR in view;
# else {text, x, y, size, moving}); window.__detections counts the page's calls to detect().
FAKE_CAMERA = """
(() => {
  window.__camera = {image: null, offset: 0, asked: null, size: null};
  window.__qr = null;
  window.__detections = 0;
  class FakeBarcodeDetector {
    constructor(options) { this.formats = (options && options.formats) || []; }
    static async getSupportedFormats() { return ['qr_code']; }
    async detect(source) {
      window.__detections += 1;
      const qr = window.__qr;
      if (!qr) return [];
      // a hand still bringing the ballot up: the QR moves 100–300 px between two detections
      const shift = qr.moving ? (window.__detections % 4) * 100 : 0;
      const x = qr.x + shift, y = qr.y + shift / 2, s = qr.size;
      return [{format: 'qr_code', rawValue: qr.text, boundingBox: new DOMRectReadOnly(x, y, s, s),
               cornerPoints: [{x, y}, {x: x + s, y}, {x: x + s, y: y + s}, {x, y: y + s}]}];
    }
  }
  window.BarcodeDetector = FakeBarcodeDetector;
  // What each request sends as its image, measured (the request body of a blob does not reach the test).
  window.__sent = [];
  const fetch = window.fetch.bind(window);
  window.fetch = async (url, options) => {
    const body = options && options.body;
    if (body instanceof FormData && body.get('image') instanceof Blob) {
      const blob = body.get('image');
      const bitmap = await createImageBitmap(blob);
      window.__sent.push({url: String(url), type: blob.type, bytes: blob.size, width: bitmap.width, height: bitmap.height});
    }
    return fetch(url, options);
  };
  const ideal = value => (value && typeof value === 'object') ? (value.ideal || value.exact || value.max) : value;
  navigator.mediaDevices.getUserMedia = async constraints => {
    const video = (constraints && constraints.video) || {};
    window.__camera.asked = video;
    // A phone held upright: the frame is portrait, at the resolution asked for (1280×720 if none).
    const a = ideal(video.width) || 1280, b = ideal(video.height) || 720;
    const canvas = document.createElement('canvas');
    canvas.width = Math.min(a, b); canvas.height = Math.max(a, b);
    window.__camera.size = [canvas.width, canvas.height];
    // A camera that gives more than it was asked for (a 12 Mpx 4:3 sensor, say).
    window.__camera.resize = (width, height) => { canvas.width = width; canvas.height = height; };
    const context = canvas.getContext('2d');
    const picture = new Image();
    let source = null;
    const draw = () => {
      context.fillStyle = '#6b5a48';  // the table
      context.fillRect(0, 0, canvas.width, canvas.height);
      if (window.__camera.image && window.__camera.image !== source) { source = window.__camera.image; picture.src = source; }
      if (picture.complete && picture.naturalWidth) {
        const k = Math.min(canvas.width * 0.9 / picture.naturalWidth, canvas.height * 0.9 / picture.naturalHeight);
        const w = picture.naturalWidth * k, h = picture.naturalHeight * k, o = window.__camera.offset;
        context.drawImage(picture, (canvas.width - w) / 2 + o, (canvas.height - h) / 2 + o, w, h);
      }
    };
    draw();
    setInterval(draw, 100);
    return canvas.captureStream(10);
  };
})();
"""


def test_the_camera_captures_a_steady_ballot_once_and_it_is_counted_once(browse, demo, viewport):
    if viewport.name != "phone":
        pytest.skip("the camera is the team's phone: walked at 390 px")
    hamlet = demo.hamlet(SCANNING)
    pdf = printed_pdf(browse, hamlet)
    assert len(pdf) > SHEET, f"the hamlet's batch has {len(pdf)} sheets"

    team, poll_id = team_scan_page(browse, hamlet, init_script=FAKE_CAMERA)
    names = ballot_names(team)
    sheets = Sheets.of(pdf, names)
    image, frames = sheets.marked(SHEET, [0, None, None, None])  # the first ballot: the first name kept
    ballot = cut(image, frames[0])
    found = zxingcpp.read_barcodes(ballot)
    assert found, "the printed ballot's QR does not decode"
    qr_text = found[0].text
    before = tally(team)

    reads: list[Request] = []
    team.on("request", lambda r: r.method == "POST" and r.url.endswith("/scan/read") and reads.append(r))
    # The browser has a camera and a detector now: the camera loop is offered, not the photo input.
    expect(team.locator("#read-mode")).to_be_visible()
    expect(team.locator("#read-photo-button")).to_be_hidden()
    team.evaluate("data => { window.__camera.image = data; }",
                  "data:image/jpeg;base64," + base64.b64encode(jpeg(ballot, 92)).decode())
    team.evaluate("text => { window.__qr = {text, x: 600, y: 500, size: 700, moving: true}; }", qr_text)
    team.locator("#read-mode").click()
    expect(team.locator("#read-mode")).to_have_attribute("aria-pressed", "true")
    expect(team.locator("#read-hint")).to_be_visible()
    expect(team.locator("#video")).to_be_visible()

    # The QR in view but moving with the hand: nothing is captured.
    team.wait_for_function("n => window.__detections >= n", arg=10)
    assert reads == []
    asked = team.evaluate("window.__camera.asked")
    width, height = team.evaluate("window.__camera.size")
    assert max(width, height) >= 3000, f"the page asks the camera for {asked}: too few pixels to read names"

    # Held still: one frame, the camera's whole frame, is sent and the ballot counted.
    team.evaluate("window.__qr.moving = false")
    message = team.locator("#message")
    expect(message).to_contain_text("Đã ghi: phiếu hợp lệ", timeout=15_000)
    expect(message).to_be_in_viewport()  # under the picture, seen while the phone is held up (390 × 844)
    expect(team.locator("#video")).to_be_in_viewport()
    assert len(reads) == 1
    sent = team.evaluate("window.__sent")
    assert [(s["type"], s["width"], s["height"]) for s in sent] == [("image/jpeg", width, height)], sent
    expect(message).to_contain_text(re.sub(r"(.{4})(.{4})(.{2})", r"\1 \2 \3", qr_text.split(".")[3]))
    assert tally(team) == before + 1

    # Still in front of the camera: it is not sent again.
    seen = team.evaluate("window.__detections")
    team.wait_for_function("n => window.__detections >= n", arg=seen + 10)
    assert len(reads) == 1

    # Taken away, then held up again (a little further on the table): captured again, the server refuses it.
    team.evaluate("window.__qr = null")
    seen = team.evaluate("window.__detections")
    team.wait_for_function("n => window.__detections >= n", arg=seen + 6)
    team.evaluate("text => { window.__camera.offset = 40; window.__qr = {text, x: 640, y: 540, size: 700, moving: false}; }",
                  qr_text)
    expect(message).to_contain_text("đã được kiểm rồi", timeout=15_000)
    assert len(reads) == 2
    assert tally(team) == before + 1

    # A camera giving 3024 × 4032: the frame sent is bounded to 4000 px on its long side, the same ballot refused.
    team.evaluate("() => { window.__qr = null; window.__camera.resize(3024, 4032); }")
    team.wait_for_function("() => document.getElementById('video').videoHeight === 4032")
    seen = team.evaluate("window.__detections")
    team.wait_for_function("n => window.__detections >= n", arg=seen + 6)
    team.evaluate("() => { document.getElementById('message').textContent = ''; }")
    team.evaluate("text => { window.__qr = {text, x: 640, y: 540, size: 700, moving: false}; }", qr_text)
    expect(message).to_contain_text("đã được kiểm rồi", timeout=15_000)
    assert len(reads) == 3
    sent = team.evaluate("window.__sent")
    assert (sent[-1]["width"], sent[-1]["height"]) == (3000, 4000), sent[-1]
    assert tally(team) == before + 1
    browse.check(team)
