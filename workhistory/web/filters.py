"""Template filters and globals every page can use."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

from flask import Flask, url_for

from workhistory import skills
from workhistory.data.artifacts import UNDO_SECONDS, WorkArtifactEntry
from workhistory.web import dates
from workhistory.web.forms import TYPE_LABELS
from workhistory.web.rules import link_host

EXCERPT = 180  # characters of a description a compact row shows (SPEC §8: a lean page; the
#   stylesheet clamps it to two lines, about 170 characters at 1280 px)


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


def timestamp(value: datetime) -> str:
    """A day and a time of day for reading, in UTC (the server knows no reader's zone)."""
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


def link_path(url: str) -> str:
    """What follows the host in a link (path, query, fragment), for showing after it."""
    parts = urlsplit(url)
    rest = parts.path + (f"?{parts.query}" if parts.query else "")
    rest += f"#{parts.fragment}" if parts.fragment else ""
    return "" if rest == "/" else rest


def moment(value: datetime) -> str:
    """How long ago, for reading (just now, 5 minutes ago, 3 hours ago), else the day."""
    seconds = (datetime.now(UTC) - value).total_seconds()
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return day(value) if unit == "day" and n > 6 else f"{n} {unit}{'s' * (n != 1)} ago"
    return "just now"


def insight_rows(groups, kind: str) -> list[tuple[str, str, float]]:
    """The rows of an insights chart, (label, detail, hours): for groups of `kind` "type",
    "year" or "skill" the detail is their number of artifacts; for "top" (artifacts) it is
    the artifact's date."""
    if kind == "top":
        return [(e.title, when(e), e.estimated_hours_saved) for e in groups]
    label = {"type": lambda key: TYPE_LABELS.get(key, key),
             "year": lambda key: "Undated" if key is None else str(key),
             "skill": lambda key: key}[kind]
    # A skill's bar shows its label (SPEC §9), read with the group.
    return [(g.label or label(g.key), str(g.artifacts), g.hours) for g in groups]


def share_expiry(share, now: datetime) -> str:
    """When a share link stops or stopped working, in words."""
    if share.expires_at is None:
        return "never expires"
    word = "expired" if share.expires_at <= now else "expires"
    return f"{word} {day(share.expires_at)}"


# (pattern in the User-Agent, name), the first match wins: Edge and Opera also say Chrome,
# Chrome also says Safari.
BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
            ("Chrome/", "Chrome"), ("Chromium/", "Chromium"), ("Safari/", "Safari"))
SYSTEMS = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"),
           ("CrOS", "ChromeOS"), ("Windows", "Windows"), ("Mac OS X", "macOS"),
           ("Macintosh", "macOS"), ("Linux", "Linux"))


def device(user_agent: str) -> str:
    """A session's device in words (Firefox on Windows), from its User-Agent."""
    browser = next((name for mark, name in BROWSERS if mark in user_agent), None)
    system = next((name for mark, name in SYSTEMS if mark in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or system
    word = re.match(r"[\w.-]{1,40}", user_agent)  # curl/8.0, python-requests/2.31 ...
    return word.group(0) if word else "Unknown device"


def init_app(app: Flask) -> None:
    for fn in (hours, day, when, moment, timestamp, excerpt, device, link_host, link_path,
               share_expiry, insight_rows):
        app.add_template_filter(fn)

    @app.context_processor
    def page_globals():
        # Rows are rendered up to 50 times per page: one url_for here instead of three per
        # row.
        return {"artifacts_url": url_for("portfolio.create"), "undo_seconds": UNDO_SECONDS,
                "esco_version": skills.ESCO_VERSION, "esco_attribution": skills.ATTRIBUTION}
