"""Template filters and globals every page can use."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Flask, url_for

from workhistory.data.artifacts import UNDO_SECONDS, WorkArtifactEntry
from workhistory.web import dates

EXCERPT = 240  # characters of a description a compact row shows (SPEC §8: a lean page)


def hours(value: float) -> str:
    """Hours for reading: grouped thousands, at most two decimals (1,234.5)."""
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def day(value: date) -> str:
    """A date for reading (4 Dec 2019); English month names whatever the server's locale."""
    return dates.text(value)


def when(entry: WorkArtifactEntry) -> str:
    """The date of the work as precise as it is known (2019, Mar 2019, 14 Mar 2019)."""
    if entry.artifact_date is None:
        return "Undated"
    return dates.text(entry.artifact_date, entry.artifact_date_precision)


def moment(value: datetime) -> str:
    """A time of day for reading, in UTC (the server knows no reader's zone)."""
    utc = value.astimezone(UTC)
    return f"{dates.text(utc)}, {utc:%H:%M} UTC"


def excerpt(text: str, limit: int = EXCERPT) -> str:
    """`text` cut to about `limit` characters at a space, with "…" when anything was cut.
    The whole text is one request away (the expanded row, the artifact's page)."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    return (cut[:space] if space > limit // 2 else cut).rstrip(" \n.,;:") + "…"


def init_app(app: Flask) -> None:
    for fn in (hours, day, when, moment, excerpt):
        app.add_template_filter(fn)

    @app.context_processor
    def page_globals():
        # Rows are rendered up to 50 times per page: one url_for here instead of three per
        # row.
        return {"artifacts_url": url_for("portfolio.create"), "undo_seconds": UNDO_SECONDS}
