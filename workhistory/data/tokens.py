"""Bearer tokens (session cookies, invite links): random, shown once, stored only as a hash."""

from __future__ import annotations

import hashlib
import re
import secrets

# secrets.token_urlsafe(32): 256 bits in 43 characters of the URL-safe base64 alphabet.
SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


def new_token() -> str:
    """A fresh token of 256 random bits."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The stored form of a token: its SHA-256 as 64 lowercase hex digits."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def well_formed(token: str) -> bool:
    """Whether `token` could have come from `new_token` (anything else is not looked up)."""
    return bool(SHAPE.fullmatch(token))
