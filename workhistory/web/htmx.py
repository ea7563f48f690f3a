"""How the app answers htmx: the one place that knows its headers.

A URL that serves both a page and a fragment answers an htmx request (`is_htmx()`) with
`answer(...)`, the swapped unit plus out-of-band totals and status, and a plain request with a
page or a 303, so everything works without JavaScript (SPEC §5). Every response but a static
file sends `Vary: HX-Request` (`init_app`), so no cache hands a fragment to a page load.
"""

from __future__ import annotations

from flask import Flask, render_template, request

TEMPLATE = "_htmx.html"


def is_htmx() -> bool:
    """True for an htmx request that expects a fragment (a history restore wants a page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def init_app(app: Flask) -> None:
    @app.after_request
    def vary_on_htmx(response):
        # Any view may answer htmx and plain requests apart, and so may its errors and the
        # login redirect: say so on all of them. Static files never do.
        if request.endpoint != "static":
            response.vary.add("HX-Request")
        return response


def answer(unit: str | None, status: int = 200, status_message: str = "", *,
           summary=None, headers: dict | None = None, **context):
    """Render an htmx answer: the template `unit` (none: nothing to swap in, as after a
    delete), the owner's totals out of band when `summary` is given, and `status_message`
    into the status region. Returns a (body, status, headers) response tuple."""
    body = render_template(TEMPLATE, unit=unit, summary=summary,
                           status_message=status_message, **context)
    return body, status, headers or {}


def redirect_header(url: str) -> dict[str, str]:
    """Headers that make htmx load `url` as a whole page instead of swapping the answer."""
    return {"HX-Redirect": url}
