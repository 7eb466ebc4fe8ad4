"""Candidate lists, eligibility, exception requests and remediation plans. Blueprint `bp` in candidates.views."""
