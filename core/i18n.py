"""The reader's language for labels kept in Vietnamese in code (core/labels.py): `tr` for pages and JSON, `choices`
for a form's select field."""
from __future__ import annotations

from typing import Any

from flask_babel import get_locale, gettext, lazy_gettext

from core.labels import LabelledEnum


def tr(text: str, **variables: Any) -> str:
    """A Vietnamese label kept in code in the reader's language (`|tr` in the templates). An empty label stays empty
    (gettext("") would give the catalogue's header); `variables` fill a label's %(name)s placeholders."""
    return gettext(text, **variables) if text else text


def choices(enum: type[LabelledEnum], members: Any = None) -> list[tuple[str, Any]]:
    """(value, label) pairs for a select field, each label translated when the form is shown."""
    return [(member.value, lazy_gettext(member.label)) for member in (enum if members is None else members)]


def page_language() -> str:
    """"vi" or "en": the language of the page being shown (Flask-Babel's locale), for numbers and percentages
    (core.vietnamese.format_number: "12.345,6" or "12,345.6")."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "vi"
