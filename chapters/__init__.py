"""Chapter congresses, nominations, results and the targets dashboard. Blueprint `bp` in chapters.views."""
