"""The ballot's geometry (ballots/geometry.py, issue 19 part 1): what it says is where the PDF prints it, in every
layout; registration marks on the ballots printed from now on, none on a batch printed before."""
from __future__ import annotations

import io
import json
from datetime import date

import pypdfium2 as pdfium
import pytest
from PIL import Image

from ballots.geometry import GEOMETRY_VERSION, BallotGeometry, Rect, ballot_geometry
from ballots.models import BallotLayout
from ballots.pdf import LAYOUTS, BallotSheetSpec, placements, render_ballots
from ballots.printing import batch_pdf, print_batch
from ballots.qr import BallotPayload, encode_payload, new_serial
from election.models import Poll
from extensions import db

SECRET = b"ballot-geometry-test-secret"
THREE = ("Nguyễn Thị Ánh Tuyết", "Đặng Văn Ước", "Lê Hoàng Phúc Nguyên Khôi Vĩnh Trường Giang")
DPI = 150


def _spec(candidates: tuple[str, ...], layout: str, test: bool = False, version: int | None = GEOMETRY_VERSION
          ) -> BallotSheetSpec:
    return BallotSheetSpec("Nhiệm kỳ 2022 – 2025", "An Phú", "Bình Hải", date(2022, 5, 22), candidates,
                           district_name="Bình Sơn", layout=layout, test=test,  # type: ignore[arg-type]
                           geometry_version=version)


def _pdf(spec: BallotSheetSpec) -> pdfium.PdfDocument:
    payloads = [encode_payload(BallotPayload("ABCDEFGH", 41, new_serial(), spec.test), SECRET) for _ in range(4)]
    out = io.BytesIO()
    render_ballots(spec, payloads, out)
    return pdfium.PdfDocument(out.getvalue())


def _on_page(rect: Rect, place: tuple[float, float, float]) -> tuple[float, float, float, float]:
    x, y, scale = place
    return x + rect.x0 * scale, y + rect.y0 * scale, x + rect.x1 * scale, y + rect.y1 * scale


def _text_in(page: pdfium.PdfPage, box: tuple[float, float, float, float]) -> str:
    left, bottom, right, top = box
    return page.get_textpage().get_text_bounded(left=left, bottom=bottom, right=right, top=top).strip()


def _darkness(image: Image.Image, page_h: float, box: tuple[float, float, float, float]) -> float:
    """The share of dark pixels in a page box (points, origin bottom-left) of the page rendered at DPI."""
    k = DPI / 72
    left, bottom, right, top = box
    crop = image.convert("L").crop((round(left * k), round((page_h - top) * k), round(right * k),
                                    round((page_h - bottom) * k)))
    pixels = crop.tobytes()
    return sum(1 for p in pixels if p < 128) / max(1, len(pixels))


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("test", [False, True])
def test_each_name_is_printed_inside_its_line_on_every_ballot_of_the_page(layout, test):
    spec = _spec(THREE, layout, test)
    geometry = ballot_geometry(spec)
    assert [line.name for line in geometry.names] == list(THREE) and geometry.choices == ()
    page = _pdf(spec)[0]
    for place in placements(layout):
        for line in geometry.names:
            text = _text_in(page, _on_page(line.text, place))
            # A test ballot's watermark ("PHIẾU THỬ", pale, behind everything) crosses the names' lines.
            assert text == line.name or (test and text.endswith("\n" + line.name)), text
            assert line.band.y0 <= line.text.y0 and line.text.y1 <= line.band.y1 + 0.5  # the glyphs in their line
        title = geometry.title
        assert title is not None and title.text.y0 > geometry.names[0].band.y1 - 1  # the list's title, above them
        assert _text_in(page, _on_page(title.text, place)).endswith("Danh sách người ứng cử (bầu 1 người)")
        bands = [line.band for line in geometry.names]
        assert all(upper.y0 == pytest.approx(lower.y1) for upper, lower in zip(bands, bands[1:]))  # no gap, no overlap


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", [THREE[0], THREE[2] + " Thị Ánh Tuyết"])  # the second is fitted to the width
def test_a_single_candidate_ballot_has_its_name_and_two_boxes_where_the_geometry_says(layout, name):
    spec = _spec((name,), layout)
    geometry = ballot_geometry(spec)
    assert geometry.names == () and geometry.title is None and [c.choice for c in geometry.choices] == ["agree", "disagree"]
    single = geometry.single
    assert single is not None and single.name == name and single.font_size <= 16
    assert single.band.y0 < single.text.y0 and single.text.y1 < single.band.y1
    assert single.band.y0 > max(c.label_baseline + 12 for c in geometry.choices)  # above the boxes' labels
    page = _pdf(spec)[0]
    image = page.render(scale=DPI / 72).to_pil()
    page_h = page.get_height()
    for place in placements(layout):
        assert _text_in(page, _on_page(single.text, place)) == name
        left, bottom, right, top = _on_page(single.text, place)
        assert _text_in(page, (left, bottom, left + 0.9 * (right - left), top)) != name  # the box is the name's own
        for choice in geometry.choices:
            box = _on_page(choice.box, place)
            x0, y0, x1, y1 = box
            inside = (x0 + 3, y0 + 3, x1 - 3, y1 - 3)
            edge = (x0 - 1, y0 - 1, x1 + 1, y0 + 1)  # the box's lower side
            assert _darkness(image, page_h, inside) == 0  # an empty box
            assert _darkness(image, page_h, edge) > 0.2
            label = _on_page(Rect(choice.box.x0 - 40, choice.label_baseline - 3, choice.box.x1 + 40,
                                  choice.label_baseline + 12), place)
            assert _text_in(page, label) == choice.label


@pytest.mark.parametrize("layout", LAYOUTS)
def test_registration_marks_are_printed_at_three_corners_and_nothing_else_is_near_them(layout):
    spec = _spec(THREE, layout)
    geometry = ballot_geometry(spec)
    page = _pdf(spec)[0]
    image = page.render(scale=DPI / 72).to_pil()
    page_h = page.get_height()
    for place in placements(layout):
        for mark in geometry.marks:
            x0, y0, x1, y1 = _on_page(mark, place)
            assert _darkness(image, page_h, (x0 + 1, y0 + 1, x1 - 1, y1 - 1)) > 0.95
            scale = place[2]
            ring = 2.5 * 72 / 25.4 * scale  # 2.5 mm around it (within the ballot): white
            for side in ((x1 + 1, y0, x1 + ring, y1), (x0, y1 + 1, x1, y1 + ring) if y1 < place[1] + 300 * scale
                         else (x0, y0 - ring, x1, y0 - 1)):
                assert _darkness(image, page_h, side) < 0.02, (layout, mark, side)
    assert geometry.qr.y1 == pytest.approx(geometry.box.y1 - 28.35, abs=0.01)  # 10 mm from the top, as printed


@pytest.mark.parametrize("layout", ["A5", "A4x4"])
def test_a_batch_printed_before_the_geometry_prints_as_it_did_without_marks(layout):
    spec = _spec(THREE, layout, version=None)
    page = _pdf(spec)[0]
    image = page.render(scale=DPI / 72).to_pil()
    for place in placements(layout):
        for mark in ballot_geometry(spec).marks:
            assert _darkness(image, page.get_height(), _on_page(mark, place)) == 0


def test_the_geometry_is_machine_readable_and_depends_only_on_the_names_seats_and_test_band():
    geometry = ballot_geometry(_spec(THREE, "A5"))
    data = json.loads(json.dumps(geometry.as_dict()))
    assert data["version"] == GEOMETRY_VERSION and data["unit"] == "pt" and data["origin"] == "bottom-left"
    assert [line["name"] for line in data["names"]] == list(THREE)
    assert len(data["marks"]) == 3 and set(data["qr"]) == {"x0", "y0", "x1", "y1"}
    other_place = BallotSheetSpec("Nhiệm kỳ 2025 – 2030", "Thôn Một Tên Rất Dài Để Xuống Dòng", "Bình Thạnh",
                                  date(2025, 6, 1), THREE, district_name="Bình Sơn")
    assert ballot_geometry(other_place) == geometry
    many = tuple(f"Người ứng cử số {n}" for n in range(1, 13))  # a list long enough to need the whole page
    assert ballot_geometry(_spec(many, "A5", test=True)).names != ballot_geometry(_spec(many, "A5")).names
    assert isinstance(geometry, BallotGeometry)


def test_printed_batches_record_the_geometry_and_an_old_batch_prints_without_marks(app, ready):
    setup = ready()
    poll = Poll.get_or_create(setup.term, setup.hamlet, 1)
    db.session.flush()
    old = print_batch(poll, BallotLayout.A5, user_id=None, test=True, test_count=1)
    assert old.geometry_version == GEOMETRY_VERSION
    old.geometry_version = None  # as the migration leaves a batch printed before
    with batch_pdf(old) as pdf:
        page = pdfium.PdfDocument(pdf.read())[0]
    image = page.render(scale=DPI / 72).to_pil()
    mark = ballot_geometry(_spec(("x", "y"), "A5")).marks[0]
    assert _darkness(image, page.get_height(), _on_page(mark, (0, 0, 1))) == 0
    old.geometry_version = GEOMETRY_VERSION
    with batch_pdf(old) as pdf:
        page = pdfium.PdfDocument(pdf.read())[0]
    image = page.render(scale=DPI / 72).to_pil()
    assert _darkness(image, page.get_height(), _on_page(mark, (0, 0, 1))) > 0.95
