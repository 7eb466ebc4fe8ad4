"""What an uploaded document may carry (the signed minutes): an image is decoded and encoded again, so nothing
appended to it or hidden in its metadata survives (a PNG followed by HTML is a PNG again); a PDF with active
content (script, automatic actions, launched programs, embedded files) is refused. Pure: bytes in, bytes out.
"""
from __future__ import annotations

import io
import math
import re
import zlib

from PIL import Image, ImageOps, UnidentifiedImageError

# A photo of an A4 page from a phone is about 12 megapixels; more than this is not a photo of the minutes.
MAX_IMAGE_PIXELS = 50_000_000

# The PDF names that make a document do something on opening or on a click (ISO 32000-1 §12.6 actions,
# §7.11.4 embedded files): the upload is refused when any appears, in the file or in a compressed stream.
ACTIVE_PDF_NAMES = frozenset({"JavaScript", "JS", "OpenAction", "AA", "Launch", "EmbeddedFile", "EmbeddedFiles",
                              "RichMedia", "SubmitForm", "ImportData", "GoToR", "GoToE", "XFA"})

_PDF_NAME = re.compile(rb"/((?:[A-Za-z0-9_.+\-]|#[0-9A-Fa-f]{2})+)")
_PDF_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\n?endstream", re.DOTALL)
_INFLATED_LIMIT = 64 * 1024 * 1024  # all streams together, inflated: a compressed bomb is refused, not expanded


class UploadRefused(ValueError):
    """The file is not accepted; `reason` says why ("image_unreadable", "image_too_large", "pdf_active",
    "pdf_unreadable") for the caller to tell the user in their language."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def open_image(data: bytes, max_pixels: int = MAX_IMAGE_PIXELS, max_side: int | None = None) -> Image.Image:
    """The image decoded, checked (at most `max_pixels`, read from the header before decoding) and upright;
    raises UploadRefused ("image_unreadable", "image_too_large"). `max_side`: the caller shrinks the image to this
    longest side anyway, so a JPEG may be decoded at a reduced scale (faster, less memory), never below it."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            size = probe.size
            probe.verify()
        if size[0] * size[1] > max_pixels:
            raise UploadRefused("image_too_large", f"{size[0]}×{size[1]}")
        with Image.open(io.BytesIO(data)) as image:
            ratio = max_side / max(size) if max_side else 1.0
            if ratio < 1:
                image.draft(image.mode, (math.ceil(size[0] * ratio), math.ceil(size[1] * ratio)))
            image.load()
            return ImageOps.exif_transpose(image)
    except UploadRefused:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise UploadRefused("image_unreadable", str(error)) from error


def clean_image(data: bytes, image_format: str) -> bytes:
    """The image decoded and encoded again in `image_format` ("PNG" or "JPEG"), upright, without metadata."""
    upright = open_image(data)
    if image_format == "JPEG" and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    out = io.BytesIO()
    upright.save(out, format=image_format, **({"quality": 90} if image_format == "JPEG" else {"optimize": True}))
    return out.getvalue()


def pdf_active_content(data: bytes) -> list[str]:
    """The active-content names a PDF holds (sorted; empty for a plain document), looking inside its Flate
    streams too (object streams hide dictionaries there) and reading #xx escapes in names (/J#61vaScript)."""
    # Outside the streams the file is PDF syntax: every name counts. A stream's bytes count as text only when Flate
    # inflates them or when they are plain text (an uncompressed object stream); compressed and image bytes are
    # random, and "/JS" followed by a delimiter turns up in about one PDF of a few hundred by chance.
    found = _active_names(_PDF_STREAM.sub(b"stream\nendstream", data))
    budget = _INFLATED_LIMIT
    for match in _PDF_STREAM.finditer(data):
        inflater = zlib.decompressobj()
        try:
            inflated = inflater.decompress(match.group(1), budget + 1)
        except zlib.error:
            if _looks_like_text(match.group(1)):
                found |= _active_names(match.group(1))
            continue  # not Flate and not text: an image's DCT stream, a font…
        budget -= len(inflated)
        if budget < 0:
            raise UploadRefused("pdf_unreadable", "compressed streams too large")
        found |= _active_names(inflated)
    return sorted(found)


def _looks_like_text(data: bytes) -> bool:
    """Mostly printable ASCII and whitespace (PDF syntax written out), rather than compressed or image bytes."""
    if not data:
        return False
    sample = data[:65536]
    printable = sum(1 for byte in sample if 32 <= byte < 127 or byte in (9, 10, 13))
    return printable >= 0.95 * len(sample)


def _active_names(data: bytes) -> set[str]:
    names = set()
    for match in _PDF_NAME.finditer(data):
        raw = match.group(1)
        name = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw) if b"#" in raw else raw
        text = name.decode("latin-1")
        if text in ACTIVE_PDF_NAMES:
            names.add(text)
    return names
