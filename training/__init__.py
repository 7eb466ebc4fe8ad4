"""Training package (see README: how the code is laid out)."""
from flask import Blueprint

bp = Blueprint("training", __name__, url_prefix="/training")

from training import api, models, views  # noqa: E402,F401
