"""See every statement and every network round trip the app makes, from the client side.

`TracedDatabase` is the app's own `Database` (same pool, same per-transaction context) whose
connections record each `execute()` call and write a libpq protocol trace. A round trip is one
wait for the server: each `ReadyForQuery` message closes one (outside pipeline mode, which the
app does not use). This works on any server, including the embedded one that has no
`pg_stat_statements`, and it also sees what the server-side view would not attribute to a
request: BEGIN and COMMIT.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from psycopg import pq

from workhistory.data.db import Database


@dataclass(frozen=True)
class RoundTrip:
    """One client wait for the server: the statement sent and whether it was prepared."""

    text: str
    prepared: bool


class RecordingConnection(psycopg.Connection):
    """A psycopg connection that records `execute()` calls and traces the wire protocol."""

    live: list[RecordingConnection] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls: list[tuple[object, object]] = []
        self.prepared: dict[str, str] = {}  # statement name -> text, for the whole session
        self._waits = 0
        # Lives exactly as long as the connection; closed in close().
        self._trace = tempfile.TemporaryFile()  # noqa: SIM115
        self._start_trace()
        RecordingConnection.live.append(self)

    def _start_trace(self) -> None:
        self.pgconn.trace(self._trace.fileno())
        self.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)

    def execute(self, query, params=None, **kwargs):
        self.calls.append((query, params))
        return super().execute(query, params, **kwargs)

    def close(self) -> None:
        if not self.closed:
            self.pgconn.untrace()
        super().close()
        self._trace.close()
        if self in RecordingConnection.live:
            RecordingConnection.live.remove(self)

    def reset(self) -> None:
        self.round_trips()  # learn the names of statements prepared before this point
        self.calls.clear()
        self._trace.seek(0)
        self._trace.truncate()

    def client_waits(self) -> int:
        """Messages after which the client waits for the server (Query, Sync, Flush): round
        trips, also in pipeline mode where one Sync can close several statements."""
        return self._waits

    def round_trips(self) -> list[RoundTrip]:
        # libpq writes the trace through a buffered stdio stream: untrace flushes it.
        self.pgconn.untrace()
        self._trace.seek(0)
        text = self._trace.read().decode("utf-8", "replace")
        self._waits = sum(
            1 for line in text.splitlines()
            if line.startswith("F\t") and line.split("\t")[2] in ("Query", "Sync", "Flush")
        )
        self._start_trace()
        return parse_trace(text, self.prepared)


def parse_trace(trace: str, named: dict[str, str] | None = None) -> list[RoundTrip]:
    """Split a libpq trace into round trips, each named by the statement it carried.
    `named` maps prepared statement names to texts; Parse messages seen here are added."""
    named = {} if named is None else named
    trips: list[RoundTrip] = []
    current: RoundTrip | None = None
    for line in trace.splitlines():
        parts = line.split("\t")
        if len(parts) < 3:
            continue
        direction, message = parts[0], parts[2]
        rest = parts[3].strip() if len(parts) > 3 else ""
        if direction == "F" and current is None:
            if message == "Query":
                current = RoundTrip(_unquote(rest), prepared=False)
            elif message == "Parse":
                name, text = _strings(rest, whole_tail=True)
                named[name] = text
                current = RoundTrip(text, prepared=False)
            elif message == "Bind":
                name = _strings(rest, whole_tail=False)[1]  # Bind "portal" "statement" ...
                current = RoundTrip(named.get(name, f"prepared {name}"), prepared=True)
        elif direction == "F" and message == "Parse":
            name, text = _strings(rest, whole_tail=True)
            named[name] = text
        elif direction == "B" and message == "ReadyForQuery" and current is not None:
            trips.append(current)
            current = None
    return trips


def _unquote(text: str) -> str:
    return text[1:-1] if text.startswith('"') and text.endswith('"') else text


def _strings(rest: str, whole_tail: bool) -> tuple[str, str]:
    # Trace fields look like `"name" "text" ...`. Names never hold quotes; a statement text can
    # (quoted identifiers), and in a Parse message nothing quoted follows it, so it runs to the
    # last quote of the line. In a Bind the second string is a statement name.
    first_end = rest.index('"', 1)
    second_start = rest.index('"', first_end + 1)
    second_end = rest.rindex('"') if whole_tail else rest.index('"', second_start + 1)
    return rest[1:first_end], rest[second_start + 1 : second_end]


class TracedDatabase(Database):
    """The app's `Database` on one traced connection (pool of exactly one)."""

    def __init__(self, url: str, **kwargs):
        kwargs.setdefault("min_size", 1)
        kwargs.setdefault("max_size", 1)
        super().__init__(url, **kwargs)

    def _make_pool(self):
        pool = super()._make_pool()
        pool.connection_class = RecordingConnection
        return pool

    def capture(self, fn: Callable[[], object]) -> tuple[object, list, list[RoundTrip]]:
        """Run `fn`; return its result, the `execute()` calls and the round trips it made.
        `self.last_waits` is then the number of client waits (see `client_waits`)."""
        self.open()
        self.pool.wait()
        conns = [c for c in RecordingConnection.live if not c.closed]
        for conn in conns:
            conn.reset()
        result = fn()
        calls = [call for conn in conns for call in conn.calls]
        trips = [trip for conn in conns for trip in conn.round_trips()]
        self.last_waits = sum(conn.client_waits() for conn in conns)
        return result, calls, trips
