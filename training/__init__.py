"""Training courses, sessions, attendance and coverage. Blueprint `bp` in training.views."""
