"""The security headers and the caching rule every response gets (one after-request hook, installed by create_app).

- Content-Security-Policy: scripts only from our own static files (no inline script, no event-handler attribute,
  no `javascript:` URL; `templates/` passes data to them in `data-*` attributes or `application/json` blocks),
  nothing may frame a page (clickjacking). Styles keep 'unsafe-inline': pages carry `style=` attributes and the
  board's script draws its bars with them; a style cannot run code, so only script is locked down.
- nosniff, Referrer-Policy same-origin (no page address, which holds record ids, leaves the site), HSTS when the
  request came over TLS (behind a proxy: when ProxyFix is configured to trust its X-Forwarded-Proto).
- Cache-Control: no-store on everything except the public static files and responses that declare themselves
  public (the web fonts): pages, JSON, PDFs and exports carry names and citizen IDs (Decree 13/2023), and a shared
  phone or a proxy must not keep them after logout.
A view may set its own Content-Security-Policy (the signed minutes file: sandbox); the hook keeps it.
"""
from __future__ import annotations

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "media-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))

# A file someone uploaded (the signed minutes) is never run as a page of this site, even when opened directly.
SANDBOXED_FILE_POLICY = "sandbox; default-src 'none'; img-src 'self'; frame-ancestors 'none'"

HSTS = "max-age=31536000"  # one year; subdomains not included (the district's other sites are not ours)

CACHEABLE_ENDPOINTS = frozenset({"static"})


def secure_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")  # frame-ancestors for browsers without CSP level 2
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    if request.is_secure:
        headers["Strict-Transport-Security"] = HSTS
    if request.endpoint not in CACHEABLE_ENDPOINTS and not response.cache_control.public:
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
        headers.pop("ETag", None)
        headers.pop("Last-Modified", None)
    return response


def init_app(app: Flask) -> None:
    app.after_request(secure_headers)
