"""Round trips: the SQL statements and network round trips each operation makes.

Run with `python -m bench.roundtrips`. The app's own `Database` runs on one traced connection
(bench/tracing.py: a libpq protocol trace, so nothing is missed, BEGIN and COMMIT included).
Operations are counted twice:
- through the data module (`artifacts.*`), on a throw-away database;
- through HTTP requests to the Flask app (its test client, the real views and templates), when
  the portfolio pages exist: the page, a row fragment, an htmx create and an htmx update.
Each statement is listed with what it is for. "Statements" are what the app asks for; "round
trips" add COMMIT (BEGIN travels in one message with the context statement).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date

from bench import common
from bench.tracing import RoundTrip, TracedDatabase
from workhistory.data import accounts, artifacts

PASSWORD = common.BENCH_PASSWORD

# What each statement is for, by its text. First match wins.
PURPOSES = [
    (r"^$", "pool health check on checkout (psycopg_pool check_connection: empty query)"),
    (r"^BEGIN; SELECT set_config\('role'", "BEGIN, enter role portfolio_app, set app.tenant_id and"
                                           " app.user_id (one message, transaction-local)"),
    (r"^BEGIN", "open the transaction"),
    (r"^COMMIT", "commit"),
    (r"^ROLLBACK", "roll back"),
    (r"set_config\('role'", "enter role portfolio_app, set app.tenant_id and app.user_id"
                            " (transaction-local)"),
    (r"^WITH (ins|w) AS \(INSERT", "insert the artifact (limit trigger runs) and return it with"
                               " the owner's new count and hours total"),
    (r"^WITH (upd|w) AS \(UPDATE", "partial update (version checked) returning the row with the"
                               " owner's count and hours total"),
    (r"^WITH del AS \(DELETE", "delete, returning the owner's count and hours total"),
    (r"^WITH w AS \(SELECT", "read one own artifact with the owner's totals (a row after a"
                             " cancel, a discard or a conflict)"),
    (r"^WITH gone AS \(DELETE", "delete: move the row to deleted_artifacts (undo), purge the"
                                " owner's expired deletions, return the owner's totals"),
    (r"^WITH back AS \(DELETE", "restore (undo): move the row back, returning it with the"
                                " owner's totals"),
    (r"^WITH rows AS \(SELECT", "the list: the owner's artifacts matching the search and"
                                " filters, with the totals of all of them (and the purge of"
                                " expired deletions), in one statement"),
    (r"FROM work_artifacts WHERE tenant_id = \$1 AND id = \$2",
     "read one own artifact by id (a fragment, or the saved row after a conflict)"),
    (r"count\(\*\)", "count the user's artifacts and total hours saved"),
    (r"login_lookup", "find the user by email (login)"),
    (r"FROM users", "read workspace members"),
]


def purpose(text: str) -> str:
    for pattern, meaning in PURPOSES:
        if re.search(pattern, text.strip()):
            return meaning
    return "other: " + " ".join(text.split())[:90]


def describe(trips: list[RoundTrip]) -> list[dict]:
    return [
        {"statement": " ".join(t.text.split())[:140], "prepared": t.prepared,
         "for": purpose(t.text)}
        for t in trips
    ]


def _summary(trips: list[RoundTrip]) -> dict:
    """Counts for one operation. Outside pipeline mode each round trip is one statement."""
    # Transaction control is not a statement of the app's, whatever its options
    # ("BEGIN ISOLATION LEVEL READ COMMITTED").
    overhead = ("BEGIN", "COMMIT", "ROLLBACK")
    statements = [t for t in trips
                  if t.text.strip() and not t.text.strip().upper().startswith(overhead)]
    return {"round_trips": len(trips), "statements": len(statements),
            "transactions": sum(1 for t in trips if t.text.strip().startswith("BEGIN")),
            "detail": describe(trips)}


def data_module(url: str) -> dict[str, dict]:
    """Round trips of each data-module call, on the app's Database with one traced connection."""
    db = TracedDatabase(url)
    try:
        user = accounts.create_workspace(db, "Round trips", f"rt-{uuid.uuid4().hex[:8]}@x.example",
                                         "Round Trip", PASSWORD)
        actor = user.actor
        values = {"title": "Warehouse ETL", "artifact_type": "code",
                  "artifact_date": date(2020, 1, 2), "estimated_hours_saved": 12.5}
        for i in range(49):
            artifacts.create_artifact(db, actor, {**values, "title": f"Artifact {i}"})
        ops: dict[str, Callable[[], object]] = {}
        ops["page: list_artifacts (50 rows)"] = lambda: artifacts.list_artifacts(db, actor)
        created = {}

        def create():
            created["entry"], _ = artifacts.create_artifact(db, actor, values)

        ops["create: create_artifact"] = create
        ops["fragment: get_artifact"] = lambda: artifacts.get_artifact(
            db, actor, created["entry"].id)
        ops["update: update_artifact (current version)"] = lambda: artifacts.update_artifact(
            db, actor, created["entry"].id, {"title": "Renamed"}, created["entry"].version)

        def conflict():
            try:
                artifacts.update_artifact(db, actor, created["entry"].id, {"title": "Stale"},
                                          created["entry"].version)
            except artifacts.Conflict:
                return
            raise AssertionError("expected a conflict")

        ops["update: stale version (409)"] = conflict
        ops["delete: delete_artifact"] = lambda: artifacts.delete_artifact(
            db, actor, created["entry"].id)
        out = {}
        for name, fn in ops.items():
            _, _, trips = db.capture(fn)
            out[name] = _summary(trips)
        return out
    finally:
        db.close()


def http(url: str) -> dict[str, dict]:
    """Round trips per HTTP request through the real app (views, templates, login, CSRF)."""
    from app import create_app

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-" + uuid.uuid4().hex,
                      "RATELIMIT_STORAGE_URI": "memory://"})
    app.extensions["db"].close()
    db = app.extensions["db"] = TracedDatabase(url)
    try:
        email = f"rt-http-{uuid.uuid4().hex[:8]}@x.example"
        user = accounts.create_workspace(db, "Round trips HTTP", email, "Round Trip", PASSWORD)
        for i in range(49):  # one below the limit, so the create succeeds
            artifacts.create_artifact(db, user.actor, {"title": f"Artifact {i}"})
        client = app.test_client()
        token = _csrf(client.get("/login").text)
        signed_in = client.post("/login", data={"email": email, "password": PASSWORD,
                                                "csrf_token": token, "next": "/portfolio"})
        assert signed_in.status_code == 303, signed_in.status_code
        token = _csrf(client.get("/portfolio").text)
        htmx = {"HX-Request": "true", "X-CSRFToken": token}
        made = {}

        def page():
            assert client.get("/portfolio").status_code == 200

        def search():
            response = client.get("/portfolio?q=artifact+-memo&sort=hours", headers=htmx)
            assert response.status_code == 200, response.status_code

        def create():
            response = client.post("/portfolio/artifacts", headers=htmx,
                                   data={"title": "Created", "artifact_type": "code",
                                         "visibility": "private"})
            assert response.status_code in (200, 201), response.status_code
            made["id"] = re.search(r'id="artifact-([0-9a-f-]{36})"', response.text).group(1)

        def fragment():
            response = client.get(f"/portfolio/artifacts/{made['id']}", headers=htmx)
            assert response.status_code == 200, response.status_code

        def edit_form():
            response = client.get(f"/portfolio/artifacts/{made['id']}/edit", headers=htmx)
            assert response.status_code == 200, response.status_code

        def update():
            response = client.patch(f"/portfolio/artifacts/{made['id']}", headers=htmx,
                                    data={"title": "Renamed", "version": "1"})
            assert response.status_code == 200, response.status_code

        def stale():
            response = client.patch(f"/portfolio/artifacts/{made['id']}", headers=htmx,
                                    data={"title": "Stale", "version": "1"})
            assert response.status_code == 409, response.status_code

        requests = {
            "GET /portfolio (page, 50 rows)": page,
            "GET /portfolio?q=... (htmx search)": search,
            "POST /portfolio/artifacts (htmx create)": create,
            "GET /portfolio/artifacts/{id} (htmx row fragment)": fragment,
            "GET /portfolio/artifacts/{id}/edit (htmx form fragment)": edit_form,
            "PATCH /portfolio/artifacts/{id} (htmx update)": update,
            "PATCH with a stale version (409 conflict)": stale,
        }
        # psycopg prepares a statement on its fifth use, in a round trip of its own: run the
        # page a few times first, so that step (once per connection) is not counted as part
        # of whichever request happens to be fifth.
        for _ in range(6):
            page()
        return {name: _summary(db.capture(fn)[2]) for name, fn in requests.items()}
    finally:
        db.close()


def _csrf(html: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


def run() -> dict:
    with common.bench_server() as server, common.scratch_database(server, "rt") as url:
        result = {"postgresql": common.server_version(url), "data_module": data_module(url)}
        result["http"] = http(url)
    common.write_result("roundtrips", result)
    return result


def print_table(section: dict[str, dict]) -> None:
    for name, r in section.items():
        print(f"{name}: {r['round_trips']} round trips, {r['statements']} statements,"
              f" {r['transactions']} transaction(s)")
        for d in r["detail"]:
            print(f"    - {d['for']}{' [prepared]' if d['prepared'] else ''}")


def main() -> None:
    result = run()
    print("Data module (one call each):")
    print_table(result["data_module"])
    print("HTTP requests (one each, through the app):")
    print_table(result["http"])


if __name__ == "__main__":
    main()

