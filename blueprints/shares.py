"""Share links: the owner's list, creating and revoking links, and the public résumé page.

`/shares` is the owner's: create (the link appears once, in the answer that creates it: only
its hash is stored), list and revoke; the panel is one swappable unit, like the invites one.
`/s/{token}` is public (signed in or not): a read-only résumé of exactly what the link shares,
read as a share viewer (`shares.open_share`); revoked, expired and unknown tokens are 404. Its
answers, errors included, are kept out of search engines, caches and referrers, and each
address may open only so many a minute.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, flash, redirect, render_template, url_for

from workhistory.data import artifacts, shares
from workhistory.data.errors import InvalidData
from workhistory.web import htmx, ratelimit
from workhistory.web.context import current_actor, get_db
from workhistory.web.forms import ShareForm
from workhistory.web.login import login_required

bp = Blueprint("shares", __name__)
public = Blueprint("share_page", __name__)

ANNOUNCE = {
    "created": "Share link created. Copy it now: it is shown only once.",
    "revoked": "Link revoked: it no longer opens.",
    "invalid": "Not created: check the highlighted fields.",
}
# A share page is for the people its owner sends it to: never indexed, cached or leaked on.
PUBLIC_HEADERS = {
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@bp.get("/shares")
@login_required
def index():
    """List the signed-in user's share links, with the form for a new one."""
    return _page(ShareForm(formdata=None))


@bp.post("/shares")
@ratelimit.share_limits
@login_required
def create():
    """Create a share link and show it, this once."""
    form = ShareForm()
    status, message, new_link = 422, ANNOUNCE["invalid"], None
    if form.validate():
        try:
            new = shares.create_share(get_db(), current_actor(), form.values["label"],
                                      form.values["scope"], form.values["expiry"],
                                      form.values["artifact_ids"])
        except InvalidData as exc:  # a chosen artifact was deleted or made private meanwhile
            form.form_errors.append(exc.public_message)
            message = exc.public_message
        else:
            status, message = 201, ANNOUNCE["created"]
            new_link = url_for("share_page.resume", token=new.token, _external=True)
            form = ShareForm(formdata=None)
    return _page(form, status, message, new_link=new_link)


@bp.post("/shares/<share_id>/revoke")
@login_required
def revoke(share_id: str):
    """Revoke one of the signed-in user's links: it stops opening at once."""
    shares.revoke_share(get_db(), current_actor(), share_id)
    if htmx.is_htmx():
        return _page(ShareForm(formdata=None), 200, ANNOUNCE["revoked"], focus="shares-heading")
    flash(ANNOUNCE["revoked"])
    return redirect(url_for("shares.index"), 303)


@public.get("/s/<token>")
@ratelimit.share_page_limits
def resume(token: str):
    """Show the résumé a share link shares."""
    return render_template("shares/resume.html", resume=shares.open_share(get_db(), token))


@public.after_request
def public_headers(response):
    response.headers.update(PUBLIC_HEADERS)
    return response


def _page(form: ShareForm, status: int = 200, status_message: str = "", *,
          new_link: str | None = None, focus: str | None = None):
    """The page, or for htmx the panel, with the links and the owner's artifacts to choose
    from, read in one transaction."""

    def unit():
        with get_db().transaction(current_actor()):
            return (shares.list_shares(get_db(), current_actor()),
                    artifacts.list_artifacts(get_db(), current_actor()).entries)

    links, entries = get_db().run(unit)
    context = {"form": form, "links": links, "entries": entries, "new_link": new_link,
               "focus": focus, "now": datetime.now(UTC)}
    if htmx.is_htmx():
        return htmx.answer("shares/_panel.html", status, status_message, **context)
    return render_template("shares/index.html", status_message=status_message,
                           **context), status
