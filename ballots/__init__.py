"""Ballots: printed batches with signed QR codes, accounting, verification by scanning. Blueprint `bp` in
ballots.views."""
