"""Noto Sans for every PDF and the web app, taken from the pymupdf-fonts package.

Vietnamese needs a font with the full Latin Extended Additional block (ắ, ự, ỹ …); the
reportlab base-14 fonts have none of it, so every printed string goes through these fonts and
through `nfc` (decomposed input would otherwise draw the base letter and the accent apart).
"""

from __future__ import annotations

import io
import threading
import unicodedata
from functools import cache
from typing import Literal

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FontStyle = Literal["regular", "bold", "italic", "bolditalic"]

FAMILY = "NotoSans"
REGULAR = "NotoSans"
BOLD = "NotoSans-Bold"
ITALIC = "NotoSans-Italic"
BOLD_ITALIC = "NotoSans-BoldItalic"

# style -> (pymupdf_fonts buffer name, reportlab font name)
_FONTS: dict[str, tuple[str, str]] = {
    "regular": ("notos", REGULAR),
    "bold": ("notosbo", BOLD),
    "italic": ("notosit", ITALIC),
    "bolditalic": ("notosbi", BOLD_ITALIC),
}

_lock = threading.Lock()
_registered = False


@cache
def font_bytes(style: FontStyle = "regular") -> bytes:
    """The raw TTF bytes of one Noto Sans style (also served to browsers as a web font)."""
    if style not in _FONTS:
        raise ValueError(f"unknown font style: {style!r}")
    import pymupdf_fonts  # imported lazily: only needed when something is printed or served

    return bytes(pymupdf_fonts.myfont(_FONTS[style][0]))


def register_fonts() -> None:
    """Register the four Noto Sans styles and their family with reportlab, once per process."""
    global _registered
    if _registered:
        return
    with _lock:
        if _registered:
            return
        for style, (_, name) in _FONTS.items():
            pdfmetrics.registerFont(TTFont(name, io.BytesIO(font_bytes(style))))  # type: ignore[arg-type]
        pdfmetrics.registerFontFamily(
            FAMILY, normal=REGULAR, bold=BOLD, italic=ITALIC, boldItalic=BOLD_ITALIC
        )
        # Paragraph markup (<b>, <i>) resolves fonts through these mappings.
        addMapping(FAMILY, 0, 0, REGULAR)
        addMapping(FAMILY, 1, 0, BOLD)
        addMapping(FAMILY, 0, 1, ITALIC)
        addMapping(FAMILY, 1, 1, BOLD_ITALIC)
        _registered = True


def nfc(text: str) -> str:
    """Unicode NFC form of `text`: precomposed Vietnamese letters, as the font's glyphs expect."""
    return unicodedata.normalize("NFC", text)
