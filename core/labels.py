"""Labels kept in Vietnamese in code, shown in the reader's language."""
from __future__ import annotations

from flask_babel import gettext


def tr(text: str) -> str:
    """A Vietnamese label kept in code (an enum's, an outcome's) in the reader's language. Labels stay Vietnamese
    in code because PDFs and audit summaries need them so; pages translate them where they show them. An empty
    label stays empty (gettext("") would give the catalogue's header)."""
    return gettext(text) if text else text
