"""The demo hamlet's real printed ballots for the reading journeys (issue 19): the batch PDF the commune downloads with
its committee's session, rasterised with pypdfium2, names struck through where ballots.geometry says they are printed
(ballots.pdf.placements maps each design box onto the A4×4 sheet, demo.marked_ballots.Frame onto the pixels).

Every download of the batch PDF is a fresh random order of its ballots (ballots.printing.print_order), so the
journeys share one download per server (printed_pdf) and each takes its own sheets of it: journeys sharing a
viewport's database never read the same ballot. test_scan_page the first sheet, test_mark_reads the second,
test_read_camera the third, test_scan_batch the fourth onwards.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from types import SimpleNamespace

import cv2
import numpy as np
import pypdfium2 as pdfium
from playwright.sync_api import Page, expect

from ballots.geometry import BOX_H, BOX_W, BallotGeometry, ballot_geometry
from ballots.pdf import placements
from demo.marked_ballots import Frame

SCANNING = "Đang kiểm phiếu (quét từng phiếu)"
COMMITTEES = {"Xã Bình Hải": "bcd.binhhai", "Xã Bình Trị": "bcd.binhtri"}  # the demo seed's committee logins
ELECTION_PAGES = "Cuộc bầu: hội nghị, kiểm phiếu, kết quả"
MM = 72 / 25.4
INK = (140, 40, 20)  # a blue ballpoint (BGR)


DOWNLOADED: dict[tuple[str, str], bytes] = {}  # (server, hamlet) → the batch PDF, downloaded once


def printed_pdf(browse, hamlet) -> pdfium.PdfDocument:
    """The hamlet's real ballots, downloaded as the commune committee downloads them (once per server: see above)."""
    key = (browse.server.url, hamlet.login)
    if key not in DOWNLOADED:
        page = browse.login(COMMITTEES[hamlet.commune])
        page.goto("/ballots/")
        page.locator("tr").filter(has_text=hamlet.name).get_by_role("link", name="In phiếu").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(hamlet.name)
        href = page.get_by_role("link", name="Tải PDF").first.get_attribute("href")
        response = page.request.get(href)
        assert response.ok, response.status
        DOWNLOADED[key] = response.body()
        page.close()
    return pdfium.PdfDocument(DOWNLOADED[key])


def team_scan_page(browse, hamlet, init_script: str = "") -> tuple[Page, str]:
    """The polling team's scan page, signed in as the team (`init_script` runs in it before its own): (page, poll id)."""
    page = browse.login(hamlet.login)
    if init_script:
        page.add_init_script(init_script)
    if not re.search(r"/polls/\d+", page.url):  # the team's home links to its poll
        page.get_by_role("link", name=ELECTION_PAGES).first.click()
    poll_id = re.search(r"/polls/(\d+)", page.url).group(1)
    page.goto(f"/polls/{poll_id}/scan")
    expect(page.locator("#scanner")).to_be_visible()
    return page, poll_id


def ballot_names(scan_page: Page) -> list[str]:
    """The candidates in ballot order, as the scan page's choice buttons name them (several candidates)."""
    labels = scan_page.locator("#ballot [data-choice]").all_text_contents()
    names = [label.split(":", 1)[1].strip() for label in labels if label.startswith("Giữ tên:")]
    assert len(names) >= 2, f"the journeys strike names: the hamlet's list has {labels}"
    return names


def tally(page: Page) -> int:
    """Ballots counted so far on the scan page (valid + invalid)."""
    return int(page.locator("#valid").inner_text()) + int(page.locator("#invalid").inner_text())


@dataclass
class Sheets:
    """The printed A4×4 sheets, and the geometry of their ballots' name lines."""

    pdf: pdfium.PdfDocument
    geometry: BallotGeometry

    @classmethod
    def of(cls, pdf: pdfium.PdfDocument, names: list[str]) -> Sheets:
        design = SimpleNamespace(candidates=tuple(names), seats=1, test=False)  # what the geometry reads
        return cls(pdf, ballot_geometry(design))

    def __len__(self) -> int:
        return len(self.pdf)

    def marked(self, index: int, kept: list[int | None], dpi: float = 200) -> tuple[np.ndarray, list[Frame]]:
        """Sheet `index` (BGR at `dpi`), its k-th ballot with every name but kept[k] struck through (None: left
        unmarked); the frame of each ballot."""
        sheet = self.pdf[index]
        image = np.ascontiguousarray(sheet.render(scale=dpi / 72).to_numpy()[:, :, :3])
        frames = [Frame(x, y, scale, sheet.get_height(), dpi) for x, y, scale in placements("A4x4")]
        for frame, keep in zip(frames, kept):
            if keep is None:
                continue
            for line in self.geometry.names:
                if line.index == keep:
                    continue
                y = (line.text.y0 + line.text.y1) / 2
                a = frame.px(line.text.x0 - 2 * MM, y - 0.4 * MM)
                b = frame.px(line.text.x1 + 2 * MM, y + 0.4 * MM)
                cv2.line(image, (round(a[0]), round(a[1])), (round(b[0]), round(b[1])), INK,
                         max(2, round(frame.mm(0.6))), cv2.LINE_AA)
        return image, frames


def cut(image: np.ndarray, frame: Frame, edge_mm: float = 3) -> np.ndarray:
    """One ballot cut from its sheet, `edge_mm` of paper around its design box."""
    x0, y0 = frame.px(-edge_mm * MM, BOX_H + edge_mm * MM)
    x1, y1 = frame.px(BOX_W + edge_mm * MM, -edge_mm * MM)
    return image[max(0, int(y0)):int(y1), max(0, int(x0)):int(x1)]


def jpeg(image: np.ndarray, quality: int = 90) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return data.tobytes()
