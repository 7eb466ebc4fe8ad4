"""Images in: a phone photo (JPEG, PNG), a scanner's multi-page TIFF or PDF → grayscale pages, bounded.

Every limit is checked before the pixels are decoded (a small file may declare a huge image: a decompression bomb).
"""
from __future__ import annotations

import io
import warnings
from collections.abc import Iterator

import numpy as np
from PIL import Image, ImageOps, ImageSequence

MAX_BYTES = 60 * 1024 * 1024  # a 50-page scanner PDF at 200 dpi is ~10–30 MB
MAX_PIXELS = 40_000_000  # a 48 Mpx phone sensor is refused; 12 Mpx (3000×4000) and A4 at 300 dpi (8.7 Mpx) are fine
MAX_PAGES = 100
PDF_DPI = 200
MAX_PDF_SIDE = 2000.0  # points (A4 is 842): a page larger than ~70 cm is no ballot page

_PDF, _TIFF = b"%PDF", (b"II*\x00", b"MM\x00*")


class Unreadable(ValueError):
    """A file refused, with a Vietnamese message for the person who uploaded it."""


def _refuse(message: str) -> Unreadable:
    return Unreadable(message)


def load_pages(data: bytes) -> Iterator[np.ndarray]:
    """The pages of an uploaded file as grayscale uint8 arrays (EXIF orientation applied).

    Raises ValueError (a Vietnamese message) for a file too large, an image with too many pixels, too many pages or
    anything that is not a readable JPEG, PNG, TIFF or PDF. The checks on size and page count happen before any
    decoding, so a page that was yielded was never a bomb."""
    if len(data) > MAX_BYTES:
        raise _refuse(f"Tệp quá lớn (tối đa {MAX_BYTES // (1024 * 1024)} MB).")
    if not data:
        raise _refuse("Tệp trống.")
    if data[:4] == _PDF:
        yield from _pdf_pages(data)
        return
    yield from _image_pages(data)


def _pdf_pages(data: bytes) -> Iterator[np.ndarray]:
    import pypdfium2 as pdfium  # imported here: only a PDF upload needs it

    try:
        doc = pdfium.PdfDocument(data)
    except Exception as exc:  # pdfium raises its own PdfiumError for any unreadable file
        raise _refuse("Không đọc được tệp PDF.") from exc
    try:
        if len(doc) > MAX_PAGES:
            raise _refuse(f"Tệp có quá nhiều trang (tối đa {MAX_PAGES}).")
        for index in range(len(doc)):
            page = doc[index]
            try:
                width, height = page.get_size()
                if not (0 < width <= MAX_PDF_SIDE and 0 < height <= MAX_PDF_SIDE):
                    raise _refuse("Trang PDF có kích thước bất thường.")
                bitmap = page.render(scale=PDF_DPI / 72, grayscale=True)
                yield np.array(bitmap.to_pil().convert("L"))
            finally:
                page.close()
    finally:
        doc.close()


def _open(data: bytes) -> Image.Image:
    """The image's header read (no pixel decoded yet); a declared size past Pillow's bomb limit refused."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return Image.open(io.BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _refuse("Ảnh quá lớn (quá nhiều điểm ảnh): chụp hoặc quét lại ở độ phân giải thấp hơn.") from exc
        except Exception as exc:
            raise _refuse("Không đọc được tệp: chỉ nhận ảnh JPEG, PNG, TIFF hoặc tệp PDF.") from exc


def _image_pages(data: bytes) -> Iterator[np.ndarray]:
    image = _open(data)
    if image.format not in ("JPEG", "PNG", "TIFF", "MPO"):
        raise _refuse("Không đọc được tệp: chỉ nhận ảnh JPEG, PNG, TIFF hoặc tệp PDF.")
    frames = getattr(image, "n_frames", 1)
    if frames > MAX_PAGES:
        raise _refuse(f"Tệp có quá nhiều trang (tối đa {MAX_PAGES}).")
    if image.format == "MPO":  # a phone's JPEG with a preview: only the first frame is the photo
        frames = 1
    try:
        for number, frame in enumerate(ImageSequence.Iterator(image)):
            if number >= frames:
                break
            width, height = frame.size
            if width * height > MAX_PIXELS or width < 1 or height < 1:
                raise _refuse("Ảnh quá lớn (quá nhiều điểm ảnh): chụp hoặc quét lại ở độ phân giải thấp hơn.")
            if image.format in ("JPEG", "MPO") and max(width, height) > 2 * 1600:
                frame.draft("L", (width // 2, height // 2))  # a 12 Mpx photo decoded at half size: ~4× faster
            frame = ImageOps.exif_transpose(frame) if number == 0 else frame
            yield np.array(frame.convert("L"))
    except Unreadable:
        raise
    except Exception as exc:  # truncated or corrupt image data
        raise _refuse("Tệp ảnh bị hỏng, không đọc được.") from exc
