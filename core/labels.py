"""The one label mechanism, pure (no Flask import, so enums and rule modules may use it).

A label is written once, in Vietnamese, where it is defined, and marked with `N_()` so that pybabel extracts it
(`make messages`); its English lives in the catalogue (translations/en). Code keeps the Vietnamese text, which PDFs
and audit summaries print as it is; pages translate it when they show it (`tr`, the `|tr` filter, in core/i18n.py).
"""
from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Self


def N_(text: str) -> str:
    """Marks a Vietnamese label for the catalogue without translating it here (translated where shown)."""
    return text


class LabelledEnum(StrEnum):
    """A string enum whose members carry one Vietnamese label: `MEMBER = "value", N_("Nhãn")`.

    The stored value (database columns, the API) is the first element; `.label` the Vietnamese label."""

    _value_: str  # the stored value, not the (value, label) tuple the members are written with
    label: str

    if TYPE_CHECKING:  # mypy would take the members' (value, label) tuples for their values

        @property
        def value(self) -> str: ...

    else:  # and __new__ for the signature of a lookup by value, `Education("primary")`

        def __new__(cls, value: str, label: str) -> Self:
            member = str.__new__(cls, value)
            member._value_ = value
            member.label = label
            return member
