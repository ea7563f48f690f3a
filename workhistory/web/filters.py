"""Template filters and globals every page can use."""

from __future__ import annotations

from datetime import date

from flask import Flask, url_for

from workhistory.web.rules import today_utc

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def hours(value: float) -> str:
    """Hours for reading: grouped thousands, at most two decimals (1,234.5)."""
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def day(value: date) -> str:
    """A date for reading (4 Dec 2019); English month names whatever the server's locale."""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def init_app(app: Flask) -> None:
    app.add_template_filter(hours, "hours")
    app.add_template_filter(day, "day")

    @app.context_processor
    def page_globals():
        # Rows are rendered up to 50 times per page: one url_for here instead of three per
        # row. `today` bounds the date field ("not in the future").
        return {"artifacts_url": url_for("portfolio.create"), "today": today_utc().isoformat()}
