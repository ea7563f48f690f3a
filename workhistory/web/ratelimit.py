"""Rate limits (Flask-Limiter; SPEC §7), with storage from `RATELIMIT_STORAGE_URI` (memory by
default, Redis when shared).

- `login_limits` counts FAILED logins per client address and per email, so other people's
  failures never block a successful login from another address or of another account.
- `signup_limits` and `join_limits` count sign-up and invite-join submissions per address.
- The limits are config keys (`RATELIMIT_LOGIN_PER_ADDRESS`, ...), read per request.

`limiter` is one module-level object because the decorators bind to it at import time; its
storage belongs to the app most recently passed to `init_app`, which is the only app in a
server process (tests create several apps one after another, each with fresh storage).
"""

from __future__ import annotations

import hashlib

from flask import Flask, current_app, request
from flask_limiter import Limiter

DEFAULT_LIMITS = {
    "RATELIMIT_LOGIN_PER_ADDRESS": "10 per minute",
    "RATELIMIT_LOGIN_PER_EMAIL": "5 per minute",
    "RATELIMIT_SIGNUP_PER_ADDRESS": "10 per hour",
    "RATELIMIT_JOIN_PER_ADDRESS": "20 per hour",
}


def client_address() -> str:
    """The client's address: the socket peer, or the proxy-reported one with TRUSTED_PROXIES."""
    return request.remote_addr or "unknown"


def login_email() -> str:
    """The submitted email, normalised and hashed (rate-limit keys never hold an address)."""
    email = request.form.get("email", "").strip().lower()
    return hashlib.sha256(email.encode()).hexdigest()[:32]


def _failed(response) -> bool:
    # A refused login (401, or 400 for a bad form). A 429 is not another attempt: it never
    # reached the password check, and counting it would let one limit feed the other.
    return 400 <= response.status_code < 500 and response.status_code != 429


def _configured(key: str):
    return lambda: current_app.config[key]


# If the shared storage (Redis) fails, limits keep working per process instead of failing open
# or turning every login into a 500.
limiter = Limiter(
    key_func=client_address,
    headers_enabled=True,
    key_prefix="portfolio",
    in_memory_fallback_enabled=True,
)


def login_limits(view):
    """Limit failed POSTs to a login view per address and per email (apply under @bp.route)."""
    view = limiter.limit(
        _configured("RATELIMIT_LOGIN_PER_EMAIL"),
        key_func=login_email,
        methods=["POST"],
        deduct_when=_failed,
        scope="login-email",
    )(view)
    return limiter.limit(
        _configured("RATELIMIT_LOGIN_PER_ADDRESS"),
        methods=["POST"],
        deduct_when=_failed,
        scope="login-address",
    )(view)


def signup_limits(view):
    """Limit sign-up submissions per address, successful or not (apply under @bp.route)."""
    return limiter.limit(
        _configured("RATELIMIT_SIGNUP_PER_ADDRESS"), methods=["POST"], scope="signup"
    )(view)


def join_limits(view):
    """Limit invite-join submissions per address (apply under @bp.route)."""
    return limiter.limit(
        _configured("RATELIMIT_JOIN_PER_ADDRESS"), methods=["POST"], scope="join"
    )(view)


def init_app(app: Flask) -> None:
    """Give the limiter this app's storage and the default limits it does not configure."""
    for key, value in DEFAULT_LIMITS.items():
        app.config.setdefault(key, value)
    # The limiter object outlives apps (tests make several): start each app from a clean state
    # rather than inherit the previous app's switch or its dead-storage flag.
    limiter.enabled = True
    limiter._storage_dead = False
    limiter.init_app(app)
