"""Candidates package (see README: how the code is laid out)."""
from flask import Blueprint

bp = Blueprint("candidates", __name__, url_prefix="/candidates")
