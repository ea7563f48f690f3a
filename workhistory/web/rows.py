"""Rendered artifact rows, cached by tenant, id and version.

A row's HTML is a pure function of the artifact's stored values and its skills' labels (see
`_row.html`), and every update bumps `version` (a trigger, whoever updates), so
`(tenant_id, id, version, skill labels)` identifies it exactly: a cached row can never be
stale. Each request still reads the rows from PostgreSQL under row-level security; the cache
only skips re-rendering HTML it has already rendered, which was over half of a portfolio
page's server time. The cache is per process, bounded (LRU) and holds no more than the
process has already shown to the users it served.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from flask import Flask, current_app
from jinja2 import pass_context
from markupsafe import Markup

from workhistory.data.artifacts import WorkArtifactEntry

ROW_TEMPLATE = "portfolio/_row.html"
MAX_ROWS = 4096  # about 2 KB each


class RowCache:
    """A bounded, thread-safe LRU of rendered rows."""

    def __init__(self, size: int = MAX_ROWS):
        self.size = size
        self._rows: OrderedDict[tuple, Markup] = OrderedDict()
        self._lock = threading.Lock()

    @pass_context
    def row_html(self, context, entry: WorkArtifactEntry, editable: bool = True) -> Markup:
        """Return the row for `entry` as `_row.html` renders it (without autofocus), with the
        calling template's `artifacts_url`."""
        artifacts_url = context["artifacts_url"]
        # The primary key is (tenant_id, id): a cache keyed by half of it could one day serve
        # one workspace's row to another.
        # Skill labels come from the catalog, which `db upgrade` may reload while this process
        # runs: they are part of what the row shows, so part of the key.
        # The ids' integers, not the UUIDs: UUID hashing and equality run in Python, 50 times a
        # page, and showed in the page's profile.
        key = (entry.tenant_id.int, entry.id.int, entry.version, entry.skill_labels, editable,
               artifacts_url)
        with self._lock:
            html = self._rows.get(key)
            if html is not None:
                self._rows.move_to_end(key)
                return html
        template = current_app.jinja_env.get_template(ROW_TEMPLATE)
        rendered = template.render(
            entry=entry, editable=editable, autofocus=False, artifacts_url=artifacts_url
        )
        # Safe: the output of an autoescaping (.html) template, every value already escaped.
        html = Markup(rendered)  # noqa: S704
        with self._lock:
            self._rows[key] = html
            while len(self._rows) > self.size:
                self._rows.popitem(last=False)
        return html


def init_app(app: Flask) -> None:
    cache = RowCache()
    app.extensions["row_cache"] = cache
    app.add_template_global(cache.row_html, "row_html")
