"""What an uploaded document may carry (the signed minutes): an image is decoded and encoded again, so nothing
appended to it or hidden in its metadata survives (a PNG followed by HTML is a PNG again); a PDF with active
content (script, automatic actions, launched programs, embedded files) is refused. Pure: bytes in, bytes out.
"""
from __future__ import annotations

import base64
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
_PDF_STRING = re.compile(rb"\((?:\\.|[^\\()])*\)", re.DOTALL)
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
    """The active-content names a PDF holds (sorted; empty for a plain document), looking inside its streams too
    (object streams hide dictionaries there: Flate, ASCII85 then Flate as ReportLab writes them, or plain text) and
    reading #xx escapes in names (/J#61vaScript).

    Outside the streams the file is PDF syntax: every name outside a string literal counts. A stream counts once
    decoded; its raw bytes only when it is plain text that no filter here decodes. Compressed, ASCII85 and image
    bytes are noise, and "/JS" followed by a delimiter turned up in them by chance (the app's own minutes were
    refused once)."""
    found = _active_names(_PDF_STREAM.sub(b"stream\nendstream", data))
    budget = [_INFLATED_LIMIT]
    for match in _PDF_STREAM.finditer(data):
        body = match.group(1)
        decoded = _decoded_stream(body, budget)
        if decoded is not None:
            found |= _active_names(decoded)
        elif _looks_like_text(body):
            found |= _active_names(body)
    return sorted(found)


def _decoded_stream(body: bytes, budget: list[int]) -> bytes | None:
    """A stream's content: inflated (Flate), or ASCII85-decoded then inflated if it was; None when neither applies
    (an image's DCT bytes, a font, a plain-text stream)."""
    candidates = [body]
    text = body.strip()
    if text.endswith(b"~>"):
        try:
            candidates.insert(0, base64.a85decode(text.removeprefix(b"<~")[:-2], adobe=False,
                                                  ignorechars=b" \t\r\n"))
        except ValueError:
            pass
    for candidate in candidates:
        inflater = zlib.decompressobj()
        try:
            inflated = inflater.decompress(candidate, budget[0] + 1)
        except zlib.error:
            continue
        budget[0] -= len(inflated)
        if budget[0] < 0:
            raise UploadRefused("pdf_unreadable", "compressed streams too large")
        return inflated
    return candidates[0] if candidates[0] is not body else None


def _looks_like_text(data: bytes) -> bool:
    """Mostly printable ASCII and whitespace (PDF syntax written out), rather than compressed or image bytes."""
    if not data:
        return False
    sample = data[:65536]
    printable = sum(1 for byte in sample if 32 <= byte < 127 or byte in (9, 10, 13))
    return printable >= 0.95 * len(sample)


def _without_strings(data: bytes) -> bytes:
    """PDF syntax without its string literals (innermost first, so nested parentheses go too): a string's bytes are
    text or glyph codes ("(…/JS …) Tj" in a page's content), never names; an action's name stands outside them."""
    for _ in range(16):
        stripped = _PDF_STRING.sub(b"", data)
        if stripped == data:
            break
        data = stripped
    return data


def _active_names(data: bytes) -> set[str]:
    names = set()
    for match in _PDF_NAME.finditer(_without_strings(data)):
        raw = match.group(1)
        name = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw) if b"#" in raw else raw
        text = name.decode("latin-1")
        if text in ACTIVE_PDF_NAMES:
            names.add(text)
    return names
