"""The secret key fails closed, and each signature has its own key derived from it.

- Environment: `ENV_NAME` is compared case-insensitively; only "development" and "test" are development. Anything
  else, unset included ("Production", "prod", "staging"), is production, and create_app() stores it as "production".
- Production refuses to start unless `SECRET_KEY` is strong: not a published key, at least 8 distinct characters,
  and at least 32 random bytes written out: 64 hex digits (`secrets.token_hex(32)`) when it is only hex digits,
  otherwise 43 characters (`secrets.token_urlsafe(32)`), or 32 bytes when given as bytes.
- Development without a key uses one generated once into the instance folder (never printed in the source).
- Purpose keys: HMAC-SHA256(SECRET_KEY, purpose) — "ballot-qr" signs ballot QR codes, "minutes-qr" the minutes'
  verification links. Sessions, CSRF and the login cookie keep Flask's own use of SECRET_KEY, each under its own
  itsdangerous salt. "ballot-qr" is the derivation ballots used before key ids existed, so those still verify.
- Rotation: the former SECRET_KEY goes into `SIGNING_KEYS_RETIRED` (a list); ballots and minutes signed under it
  still verify, nothing new is signed with it and it opens no session.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import string
from collections.abc import Mapping, MutableMapping
from typing import Any

DEVELOPMENT_ENVIRONMENTS = frozenset({"development", "test"})
PRODUCTION = "production"
# Keys printed in this project's source, README or earlier releases: never accepted in production.
KNOWN_KEYS = frozenset({"dev-only-secret-change-me", "test-secret", "e2e-secret-key-not-for-production",
                        "hostile-secret-key-not-for-production", "bench-secret-key", "bench", "change-me", "secret"})
HEX_CHARS = 64  # 32 bytes as hex digits
OTHER_CHARS = 43  # 32 bytes as base64 (token_urlsafe(32))
KEY_BYTES = 32
DISTINCT_CHARS = 8  # refuses "aaaa…" and "abab…"
GENERATE = 'python -c "import secrets; print(secrets.token_hex(32))"'
DEVELOPMENT_KEY_FILE = "dev-secret-key"


class InsecureConfiguration(RuntimeError):
    """The configuration would let a client forge sessions or ballots: the app refuses to start."""


def environment(name: object) -> str:
    """"development" or "test" (any case, spaces trimmed); every other value is production (fail closed)."""
    value = str(name or "").strip().lower()
    return value if value in DEVELOPMENT_ENVIRONMENTS else PRODUCTION


def key_problem(key: object) -> str | None:
    """Why `key` is not a strong secret key (English, for the operator), or None."""
    if not key:
        return "empty"
    if isinstance(key, bytes):
        text, needed = key.decode("latin-1"), KEY_BYTES
    else:
        text = str(key)
        needed = HEX_CHARS if all(c in string.hexdigits for c in text) else OTHER_CHARS
    if text.strip() in KNOWN_KEYS:
        return "a published key"
    if len(set(text)) < DISTINCT_CHARS:
        return "too repetitive"
    if len(text) < needed:
        return f"too short ({len(text)} characters, at least {needed} needed)"
    return None


def retired_keys(config: Mapping[str, Any]) -> list[str | bytes]:
    """SIGNING_KEYS_RETIRED as a list (FLASK_SIGNING_KEYS_RETIRED is a JSON list; a plain string holds one key)."""
    value = config.get("SIGNING_KEYS_RETIRED") or []
    return [value] if isinstance(value, (str, bytes)) else [key for key in value if key]


def configure_secret_key(config: MutableMapping[str, Any], instance_path: str) -> None:
    """Normalise ENV_NAME and check the keys; raises InsecureConfiguration in production with a weak key."""
    config["ENV_NAME"] = environment(config.get("ENV_NAME"))
    if config["ENV_NAME"] != PRODUCTION:
        if not config.get("SECRET_KEY"):
            config["SECRET_KEY"] = _development_key(instance_path)
        return
    problem = key_problem(config.get("SECRET_KEY"))
    if problem:
        raise InsecureConfiguration(
            f"Refusing to start: the secret key (FLASK_SECRET_KEY) is {problem}. Outside development it must hold at "
            f"least 32 random bytes (64 hex digits). Generate one with\n    {GENERATE}\nand set "
            "FLASK_SECRET_KEY to it. On a developer's machine set FLASK_ENV_NAME=development instead.")
    for key in retired_keys(config):
        if str(key.decode("latin-1") if isinstance(key, bytes) else key).strip() in KNOWN_KEYS:
            raise InsecureConfiguration("Refusing to start: FLASK_SIGNING_KEYS_RETIRED holds a published key; "
                                        "anyone could sign ballots with it. Remove it and reprint those ballots.")


def purpose_key(secret: str | bytes, purpose: str) -> bytes:
    """The key for one purpose: HMAC-SHA256(secret, purpose)."""
    key = secret if isinstance(secret, bytes) else str(secret).encode("utf-8")
    return hmac.new(key, purpose.encode("ascii"), hashlib.sha256).digest()


def signing_keys(config: Mapping[str, Any], purpose: str) -> tuple[bytes, ...]:
    """The purpose's keys: the current one (which signs) first, then those of the retired secret keys."""
    return tuple(purpose_key(key, purpose) for key in [config["SECRET_KEY"], *retired_keys(config)])


def _development_key(instance_path: str) -> str:
    """A random key kept in the instance folder, so sessions and printed test ballots survive a restart."""
    path = os.path.join(instance_path, DEVELOPMENT_KEY_FILE)
    if not os.path.exists(path):
        # Written whole under another name, then linked: a second process never reads a half-written key.
        os.makedirs(instance_path, exist_ok=True)
        draft = f"{path}.{os.getpid()}"
        with os.fdopen(os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="ascii") as file:
            file.write(os.urandom(KEY_BYTES).hex() + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process was first: its key is the one
        finally:
            os.unlink(draft)
    with open(path, encoding="ascii") as file:
        return file.read().strip()
