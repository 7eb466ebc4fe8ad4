"""Ballots package (see README: how the code is laid out)."""
from flask import Blueprint

bp = Blueprint("ballots", __name__, url_prefix="/ballots")
