"""Rate limits (SPEC §7), in the storage `RATELIMIT_STORAGE_URI` names (memory by default,
Redis when app servers share it), with per-process memory taking over when Redis is down.

- Logins: an attempt is counted BEFORE its password is checked, per client address and per
  email, and refunded when it succeeds (or never reached the check: a 429, the database down).
  The count is one atomic increment, so of any number of concurrent attempts at most the
  limit are checked. The email key is the address as PostgreSQL compares it (`lower()` under
  the database's collation, answered by the same round trip that finds the account), so
  `İ`/`i`, case and surrounding spaces never make a fresh bucket. Emails are hashed in keys.
- The current-password check of a password change counts like a login, per user.
- Sign-ups and invite joins: every submission counts, per address (Flask-Limiter, which
  counts before the view runs). `POST /invites` and `POST /shares` count per user.
- Share pages (`GET /s/{token}`): every opening counts per address, found or not, so tokens
  cannot be tried at speed and a link cannot be hammered.
- Every limit is a config key (`RATELIMIT_LOGIN_PER_ADDRESS`, ...) read per request; each key
  is also read from the environment of the same name (README), else a default.

`limiter` is one module-level object because the decorators bind to it at import time; its
storage belongs to the app most recently passed to `init_app`, which is the only app in a
server process (tests create several apps one after another, each with fresh storage).
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_login import current_user
from limits import parse
from werkzeug.exceptions import TooManyRequests

from workhistory.data import accounts
from workhistory.data.accounts import Account
from workhistory.data.db import Actor, Database
from workhistory.data.errors import Unavailable

DEFAULT_LIMITS = {
    "RATELIMIT_LOGIN_PER_ADDRESS": "10 per minute",
    "RATELIMIT_LOGIN_PER_EMAIL": "5 per minute",
    "RATELIMIT_SIGNUP_PER_ADDRESS": "10 per hour",
    "RATELIMIT_JOIN_PER_ADDRESS": "20 per hour",
    "RATELIMIT_INVITES_PER_USER": "30 per hour",
    "RATELIMIT_SHARES_PER_USER": "30 per hour",
    "RATELIMIT_SHARE_PAGE_PER_ADDRESS": "60 per minute",
}
PREFIX = "portfolio"
log = logging.getLogger("portfolio.ratelimit")


def client_address() -> str:
    """The client's address: the socket peer, or the proxy-reported one with TRUSTED_PROXIES."""
    return request.remote_addr or "unknown"


def _hashed(text: str) -> str:
    """Keys never hold an address or an email in clear."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _configured(key: str):
    return lambda: current_app.config[key]


# If the shared storage (Redis) fails, limits keep working per process instead of failing open
# or turning every login into a 500.
limiter = Limiter(
    key_func=client_address,
    headers_enabled=True,
    key_prefix=PREFIX,
    in_memory_fallback_enabled=True,
)


def _with_strategy(call: Callable):
    """Run `call(strategy)` on the shared storage, or on the in-memory fallback once the
    shared storage has failed (Flask-Limiter switches back when it recovers)."""
    try:
        return call(limiter.limiter)
    except Exception:  # noqa: BLE001 - any storage failure: the fallback takes over
        if limiter._storage_dead or limiter._fallback_limiter is None:
            raise
        log.warning("rate limit storage unreachable: counting in this process")
        limiter._storage_dead = True
        return call(limiter.limiter)


class Attempts:
    """Attempts counted against one or more limits, refundable together."""

    def __init__(self) -> None:
        self._counted: list[tuple] = []

    def count(self, config_key: str, scope: str, key: str) -> None:
        """Count one attempt against the limit `config_key` for `key`; past the limit,
        refund everything counted so far and raise 429 (a refused attempt is no attempt)."""
        item = parse(current_app.config[config_key])
        identifiers = (PREFIX, scope, _hashed(key))
        self._counted.append((item, identifiers))
        if _with_strategy(lambda s: s.hit(item, *identifiers)):
            return
        reset = _with_strategy(lambda s: s.get_window_stats(item, *identifiers).reset_time)
        self.refund()
        raise TooManyRequests(retry_after=max(1, int(reset - time.time())))

    def refund(self) -> None:
        """Give back every attempt counted (a success, or one that never reached a check)."""
        for item, identifiers in self._counted:
            _with_strategy(lambda s, i=item, ids=identifiers: s.hit(i, *ids, cost=-1))
        self._counted.clear()


def checked_login(db: Database, email: str, password: str) -> Account | None:
    """Count the login attempt per address and per email, then check the password; return
    the account, or None for a wrong email or password. Raises 429 past either limit (the
    password is then not checked) and `Unavailable` when the database is down (not counted)."""
    attempts = Attempts()
    attempts.count("RATELIMIT_LOGIN_PER_ADDRESS", "login-address", client_address())
    try:
        candidate = accounts.find_login(db, email)
        attempts.count("RATELIMIT_LOGIN_PER_EMAIL", "login-email", candidate.email_key)
        user = accounts.check_password(db, candidate, password)
    except Unavailable:
        attempts.refund()
        raise
    if user is not None:
        attempts.refund()
    return user


def checked_own_password(db: Database, actor: Actor, password: str) -> bool:
    """Whether `password` is the actor's current password, counted like a login per user
    (someone holding a session cookie cannot guess the password faster than a login)."""
    attempts = Attempts()
    attempts.count("RATELIMIT_LOGIN_PER_EMAIL", "own-password", str(actor.user_id))
    try:
        ok = accounts.verify_own_password(db, actor, password)
    except Unavailable:
        attempts.refund()
        raise
    if ok:
        attempts.refund()
    return ok


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


def _user_key() -> str:
    return _hashed(current_user.get_id()) if current_user.is_authenticated else "anonymous"


def invite_limits(view):
    """Limit invite creation per user (apply under @bp.route)."""
    return limiter.limit(
        _configured("RATELIMIT_INVITES_PER_USER"), key_func=_user_key, methods=["POST"],
        scope="invites",
    )(view)


def share_limits(view):
    """Limit share-link creation per user (apply under @bp.route)."""
    return limiter.limit(
        _configured("RATELIMIT_SHARES_PER_USER"), key_func=_user_key, methods=["POST"],
        scope="shares",
    )(view)


def share_page_limits(view):
    """Limit share-page openings per address (apply under @bp.route)."""
    return limiter.limit(
        _configured("RATELIMIT_SHARE_PAGE_PER_ADDRESS"), methods=["GET"], scope="share-page"
    )(view)


def init_app(app: Flask) -> None:
    """Give the limiter this app's storage and the limits it does not configure (from the
    environment, else the defaults)."""
    for key, value in DEFAULT_LIMITS.items():
        app.config.setdefault(key, os.environ.get(key) or value)
    # The limiter object outlives apps (tests make several): start each app from a clean state
    # rather than inherit the previous app's switch or its dead-storage flag.
    limiter.enabled = True
    limiter._storage_dead = False
    limiter.init_app(app)
