"""Liveness and readiness probes for load balancers and orchestrators."""

from flask import Blueprint, current_app

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Answer 200 whenever the process serves requests; touch no database."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/readyz")
def readyz():
    """Answer 200 when the database answers a query, else 503."""
    if current_app.extensions["db"].ping():
        return "ready", 200, {"Content-Type": "text/plain; charset=utf-8"}
    return "database unavailable", 503, {"Content-Type": "text/plain; charset=utf-8"}
