"""Application factory: configuration, the database, extensions, blueprints and the CLI.

`create_app()` is what `flask --app app` and `gunicorn 'app:create_app()'` call. It holds no
per-process state beyond the connection pool, so any number of app servers can share one
PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from jinja2 import StrictUndefined

from workhistory import cli, embedded_pg, roles, skills
from workhistory.data import accounts
from workhistory.data.db import Database
from workhistory.web import (
    assets,
    bodies,
    errors,
    filters,
    htmx,
    login,
    ratelimit,
    rows,
    security,
)

STATIC = Path(__file__).with_name("static")
csrf = CSRFProtect()


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure the app. `test_config` overrides the environment (tests)."""
    # INSTANCE_PATH moves instance/ (the embedded PostgreSQL, the generated secret key).
    app = Flask(__name__, instance_relative_config=True,
                instance_path=os.environ.get("INSTANCE_PATH") or None)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(
        DATABASE_URL=os.environ.get("DATABASE_URL"),
        # `db upgrade` connects as the schema's owner; app servers as the runtime login.
        MIGRATION_DATABASE_URL=os.environ.get("MIGRATION_DATABASE_URL"),
        SECRET_KEY=os.environ.get("SECRET_KEY"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=_secure(),
        MAX_CONTENT_LENGTH=64 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        WTF_CSRF_HEADERS=["X-CSRFToken"],
        RATELIMIT_STORAGE_URI=os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        DB_POOL_MAX=int(os.environ.get("DB_POOL_MAX", "8")),
        PASSWORD_HASHING_SLOTS=int(os.environ.get("PASSWORD_HASHING_SLOTS")
                                   or accounts.HASHING_SLOTS),
        # DATABASE_PREPARE=0 behind PgBouncer in transaction mode (see docs/DEPLOY.md).
        DATABASE_PREPARE=os.environ.get("DATABASE_PREPARE", "1") != "0",
        # Build the skill-suggestion engine from the first request on, in the background.
        SKILLS_WARM=os.environ.get("SKILLS_WARM", "1") != "0",
    )
    if test_config:
        app.config.update(test_config)
    # Flask's own signed cookie holds no identity (see web/login.py), hence its name.
    app.config["SESSION_COOKIE_NAME"] = ("__Host-state" if app.config["SESSION_COOKIE_SECURE"]
                                         else "state")
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path) / "secret_key")

    app.config["EMBEDDED_DB"] = not app.config["DATABASE_URL"]
    if app.config["EMBEDDED_DB"]:
        # The same role split as a deployment (docs/DEPLOY.md), made on first start.
        superuser = embedded_pg.start(Path(app.instance_path) / "pgdata")
        app.config["DATABASE_URL"], app.config["MIGRATION_DATABASE_URL"] = roles.set_up(superuser)
    app.config["MIGRATION_DATABASE_URL"] = (app.config["MIGRATION_DATABASE_URL"]
                                            or app.config["DATABASE_URL"])
    accounts.limit_concurrent_hashing(app.config["PASSWORD_HASHING_SLOTS"])
    app.extensions["db"] = Database(
        app.config["DATABASE_URL"],
        max_size=app.config["DB_POOL_MAX"],
        prepare=app.config["DATABASE_PREPARE"],
    )

    app.config["HTMX_SRI"] = (STATIC / "htmx-2.0.11.min.js.sri").read_text().strip()
    app.jinja_env.undefined = StrictUndefined
    csrf.init_app(app)
    login.init_app(app)
    _register_blueprints(app)
    for part in (filters, rows, htmx, assets, security, bodies, ratelimit, errors, cli):
        part.init_app(app)
    if app.config["SKILLS_WARM"]:
        # On the first request, not here: gunicorn --preload creates the app in the master,
        # which forks the workers and serves nothing (see skills.warm_in_background).
        app.before_request(_warm_skills)
    return app


def _warm_skills() -> None:
    skills.warm_in_background()


def _secure() -> bool:
    return os.environ.get("SESSION_COOKIE_SECURE") == "1"


def _register_blueprints(app: Flask) -> None:
    from blueprints import (
        account,
        auth,
        health,
        imports,
        insights,
        people,
        portfolio,
        shares,
        skills,
    )

    for blueprint in (health.bp, auth.bp, portfolio.bp, skills.bp, insights.bp, imports.bp,
                      people.bp, account.bp, shares.bp, shares.public):
        app.register_blueprint(blueprint)


def _instance_secret(path: Path) -> str:
    """Return the session key kept in `path`, creating it (mode 0600) on first use."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32))
    return path.read_text().strip()
