"""The one accessor for the database, and the actor of the current request.

Views and CLI commands reach PostgreSQL only through `get_db()` (flaskr's idiom); data
functions take it and the `Actor` they run for.
"""

from __future__ import annotations

from flask import current_app
from flask_login import current_user

from workhistory.data.db import Actor, Database


def get_db() -> Database:
    """The app's `Database` (its pool), created by `create_app`."""
    return current_app.extensions["db"]


def current_actor() -> Actor:
    """The signed-in user's tenant and user (views behind `login_required` only)."""
    return current_user.actor
