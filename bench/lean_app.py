"""An experiment, not the app: `create_app()` with the pool's checkout ping switched off.

bench/http.py serves this beside the real app (same database, same run) to measure what the
ping's round trip costs under load. The app's own code is unchanged; whether to drop the ping
(and how to keep a PostgreSQL restart invisible without it) is a decision for db.py.
"""

from __future__ import annotations

import app as real_app


def create_app():
    application = real_app.create_app()
    application.extensions["db"].pool._check = None  # psycopg_pool keeps the callable here
    return application
