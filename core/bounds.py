"""The bounds on what a client sends, checked once for every request, so no input reaches the database or a
parser it would crash (issue 14, part 6): ids within PostgreSQL's `integer`, no control characters in query
arguments or form fields, `page`/`per_page` within range, JSON of bounded depth with bounded numbers.

Pages answer a 400 page (control characters) or 404 (an id or page number out of range); the API answers
422 with the field, and 404 for an id out of range in the path or the query.
"""
from __future__ import annotations

import json
import re
from typing import Any

from flask import abort, jsonify, make_response, request
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

# PostgreSQL's `integer` (every id and count column): a larger number is no record, not a database error.
DB_INT_MAX = 2**31 - 1
MAX_JSON_DEPTH = 20
MAX_JSON_NUMBER = 10**15  # floats; integers are bounded by DB_INT_MAX (each one may land in an `integer` column)
PER_PAGE_MAX = 500
# C0 controls but tab, line feed and carriage return (textareas send them), and DEL; PostgreSQL refuses NUL.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Query arguments that name a record or a counter: out of the database's range answers 404, never a query.
_INTEGER_LITERAL = re.compile(r"\s*[+-]?\d+\s*")


def _digits_up_to(limit: str) -> str:
    """A regular expression matching the decimal numbers 0…limit (no sign): fewer digits, or as many and not more."""
    shorter = rf"\d{{1,{len(limit) - 1}}}"
    same_length = [rf"{limit[:i]}[0-{int(limit[i]) - 1}]\d{{{len(limit) - i - 1}}}"
                   for i in range(len(limit)) if limit[i] != "0"]
    return "|".join([shorter, *same_length, limit]).replace("[0--1]", "[]")


class DatabaseIntConverter(IntegerConverter):
    """`<int:…>` in every route: ids above PostgreSQL's `integer` do not match (404) instead of failing there. The
    bound is in the regular expression, not only in `max`: werkzeug answers 405 for a path whose other methods'
    rules match the text, before their converters refuse the value."""

    regex = f"(?:{_digits_up_to(str(DB_INT_MAX))})"

    def __init__(self, map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", DB_INT_MAX)
        super().__init__(map, *args, **kwargs)


def _is_api() -> bool:
    return request.path.startswith("/api/")


def refuse(field: str, message: str, page_code: int = 400):
    """Stop the request: 422 {"errors": {field: message}} for the API, an error page otherwise."""
    if _is_api():
        abort(make_response(jsonify({"errors": {field: message}}), 422))
    abort(page_code, message)


def _integer_arg(name: str) -> tuple[int, int] | None:
    """The range of a query argument that names a record, a counter or a year (Python's dates end in 9999)."""
    if name == "year":
        return 1, 9999
    return (-DB_INT_MAX, DB_INT_MAX) if name.endswith("_id") or name in {"id", "version", "round_no"} else None


def check_request_input() -> None:
    """Before every request: control characters, ids and paging in the query string and form fields."""
    for source in (request.args, request.form if request.method != "GET" else MultiDict()):
        for name, value in source.items(multi=True):
            if CONTROL_CHARACTERS.search(name) or CONTROL_CHARACTERS.search(value):
                refuse(_field(name), _("Dữ liệu gửi lên chứa ký tự điều khiển không hợp lệ."))
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
            abort(404)
    for name, value in request.args.items(multi=True):
        if (bounds := _integer_arg(name)) and _INTEGER_LITERAL.fullmatch(value) and _bounded_int(value, *bounds) is None:
            abort(404)
    check_paging()
    if request.is_json:
        request_json()  # bounded once here, for every JSON endpoint; the views read the cached value


def _bounded_int(text: str, low: int = -DB_INT_MAX, high: int = DB_INT_MAX) -> int | None:
    """The integer literal `text` when within low…high (int() of thousands of digits raises, so length first)."""
    digits = text.strip().lstrip("+-")
    if len(digits) > 12:
        return None
    number = int(text)
    return number if low <= number <= high else None


def _field(name: str) -> str:
    return CONTROL_CHARACTERS.sub("?", name)


def check_paging() -> None:
    """`page` ≥ 1 and `per_page` in 1…500. The API refuses anything else (422); pages answer 404 for a number out of
    range and read a missing or malformed number as the default (the paging links never send one)."""
    for name, low, high in (("page", 1, DB_INT_MAX), ("per_page", 1, PER_PAGE_MAX)):
        raw = request.args.get(name)
        if raw is None:
            continue
        if not _INTEGER_LITERAL.fullmatch(raw):
            if _is_api():
                refuse(name, _("Phải là một số nguyên từ %(low)d đến %(high)d.", low=low, high=high))
            continue  # a page reads a malformed number as the default
        if _bounded_int(raw, low, high) is None:
            refuse(name, _("Phải là một số nguyên từ %(low)d đến %(high)d.", low=low, high=high), page_code=404)


class JsonBoundsError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > 10 or abs(int(text)) > DB_INT_MAX:
        raise JsonBoundsError("body", _("Số nguyên quá lớn (tối đa %(max)d).", max=DB_INT_MAX))
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text) if len(text) <= 40 else float("inf")
    if not abs(value) <= MAX_JSON_NUMBER:
        raise JsonBoundsError("body", _("Số quá lớn (tối đa %(max)s).", max="10^15"))
    return value


def _no_constant(text: str) -> float:
    raise JsonBoundsError("body", _("Số không hợp lệ."))


def request_json() -> Any:
    """The request's JSON body (None when it is not JSON), within the bounds; parsed once per request. Out of bounds:
    422 {"errors": {field: message}} for the API, a 400 page otherwise."""
    if not request.is_json:
        return None
    if _JSON_KEY not in request.environ:
        try:
            request.environ[_JSON_KEY] = parse_json(request.get_data(cache=True))
        except JsonBoundsError as error:
            refuse(error.field, error.message)
    return request.environ[_JSON_KEY]


_JSON_KEY = "dantin.json"


def parse_json(data: bytes | str) -> Any:
    """The JSON value of a request body, None when it is not JSON; raises JsonBoundsError when it is nested deeper
    than MAX_JSON_DEPTH, holds a number out of range, or a string with control characters or lone surrogates."""
    try:
        value = json.loads(data, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_no_constant)
    except RecursionError:
        raise JsonBoundsError("body", _("Dữ liệu JSON lồng nhau quá sâu (tối đa %(max)d cấp).", max=MAX_JSON_DEPTH)) from None
    except JsonBoundsError:
        raise
    except ValueError:  # not JSON (json.JSONDecodeError, or bytes that are not UTF-8)
        return None
    _check_value(value)
    return value


def _check_value(value: Any) -> None:
    """Depth, and strings PostgreSQL can store (no NUL or other control character, no lone surrogate)."""
    stack: list[tuple[Any, int, str]] = [(value, 1, "body")]
    while stack:
        item, depth, field = stack.pop()
        if isinstance(item, dict):
            children = [(key, child) for key, child in item.items()]
            strings = list(item)
        elif isinstance(item, list):
            children = [(field, child) for child in item]
            strings = []
        else:
            if isinstance(item, str):
                _check_string(item, field)
            continue
        if depth > MAX_JSON_DEPTH:
            raise JsonBoundsError("body", _("Dữ liệu JSON lồng nhau quá sâu (tối đa %(max)d cấp).",
                                            max=MAX_JSON_DEPTH))
        for key in strings:
            _check_string(key, field)
        stack.extend((child, depth + 1, key) for key, child in children)


def _check_string(text: str, field: str) -> None:
    if CONTROL_CHARACTERS.search(text):
        raise JsonBoundsError(_field(field), _("Dữ liệu gửi lên chứa ký tự điều khiển không hợp lệ."))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise JsonBoundsError(_field(field), _("Dữ liệu gửi lên chứa ký tự không hợp lệ.")) from None
