"""Candidate lists, eligibility, exception requests and remediation plans.

Unlike the other packages, this __init__ does not import its views: election.models imports the enums of
candidates.rules, so importing views here would close an import cycle. create_app() loads
candidates.views and candidates.api before it registers the blueprints.
"""
from flask import Blueprint

bp = Blueprint("candidates", __name__, url_prefix="/candidates")
VIEW_MODULES = ("candidates.models", "candidates.views", "candidates.api")
