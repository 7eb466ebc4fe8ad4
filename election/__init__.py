"""The election itself: household voter rolls and check-in, polls, the meeting, both counting modes, minutes,
outcome, recognition, re-vote and acting chief, the district's board. Blueprint `bp` in election.views."""
