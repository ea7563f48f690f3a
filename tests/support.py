"""Plain helpers shared by test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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


def run_together(n: int, call: Callable[[int], object]) -> list[object]:
    """Run `call(0)` ... `call(n - 1)` in n threads released at the same moment by a barrier;
    return each call's result, or the exception it raised, in call order."""
    barrier = threading.Barrier(n)

    def go(i: int) -> object:
        barrier.wait()
        try:
            return call(i)
        except Exception as exc:  # noqa: BLE001 - the outcome is what the caller inspects
            return exc

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(go, range(n), timeout=120))
