"""Organisation, terms, people, users and access, the audit log; later voter rolls, counts and results."""
from flask import Blueprint

bp = Blueprint("election", __name__)

from election import auth, polls, views, voters  # noqa: E402,F401  (models load, routes register on bp)
