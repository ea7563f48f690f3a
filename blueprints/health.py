"""Liveness and readiness probes for load balancers and orchestrators."""

from flask import Blueprint

from workhistory.web.context import get_db

bp = Blueprint("health", __name__)
TEXT = {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/healthz")
def healthz():
    """Answer 200 whenever the process serves requests; touch no database."""
    return "ok", 200, TEXT


@bp.get("/readyz")
def readyz():
    """Answer 200 when the database answers a query, else 503 (at once while it is known
    to be down: see `Database.ping`)."""
    if get_db().ping():
        return "ready", 200, TEXT
    return "database unavailable", 503, TEXT
