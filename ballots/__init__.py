"""Ballots: printed batches with signed QR codes, accounting, verification by scanning."""
from flask import Blueprint

bp = Blueprint("ballots", __name__, url_prefix="/ballots")

from ballots import api, cli, models, views  # noqa: E402,F401
