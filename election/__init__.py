"""Organisation, terms, people, users and access, the audit log; later voter rolls, counts and results."""
from flask import Blueprint

bp = Blueprint("election", __name__)

from election import auth, polls, views, voters  # noqa: E402,F401  (models load, routes register on bp)
from election import count_api, count_views, counting, board  # noqa: E402,F401  (issue 5: election day)
from election import voter_views, voter_api  # noqa: E402,F401  (issue 4: voter rolls, check-in)
