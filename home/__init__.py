"""Each role's home page: its to-do list (issue 16). Reads candidates/, election/, ballots/, chapters/; changes
nothing. Blueprint `bp` in home.views (served at `/`; the district overview stays election.index at /overview)."""
