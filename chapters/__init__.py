"""Chapters package (see README: how the code is laid out)."""
from flask import Blueprint

bp = Blueprint("chapters", __name__, url_prefix="/chapters")

from chapters import api, models, views  # noqa: E402,F401
