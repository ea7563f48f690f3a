"""Plain helpers shared by test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import uuid
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict, make_conninfo

from db import Actor

PASSWORD = "correct horse battery"
ROOT = Path(__file__).resolve().parent.parent


def with_dbname(url: str, dbname: str) -> str:
    """Return `url` pointing at database `dbname` on the same server."""
    params = conninfo_to_dict(url)
    params["dbname"] = dbname
    return make_conninfo(**params)


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


def actor_of(user) -> Actor:
    return Actor(tenant_id=user.tenant_id, user_id=user.user_id)
