"""The demo district: `flask seed` and `flask rehearsal`."""
