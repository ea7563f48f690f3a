"""The portfolio: the page with its search and filters, inline create/edit/delete of artifacts
with undo, each artifact's own page, and the JSON and CSV exports.

Each URL answers an htmx request (`htmx.is_htmx()`) with the fragment that replaces
one element, plus out-of-band updates of the count, the hours total and the status region,
and a plain request with a full page (built from the same partials) or a 303 redirect, so
everything works without JavaScript. Views parse the form, call one function of `artifacts`
and render one template. Unknown, malformed and other people's ids raise `NotFound` from the
data module and become 404 in `workhistory.web.errors`; the outcomes SPEC answers with a form (422
invalid input, 409 limit, 409 stale version) are rendered here because they carry the form.
Every answer that follows a change or a refusal carries the owner's totals as the database
has them (SPEC §11: totals stay true).
"""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlsplit
from uuid import UUID

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    get_flashed_messages,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.datastructures import MultiDict

from blueprints.common import results
from workhistory.data import artifacts, search, skills
from workhistory.data.errors import Conflict, InvalidData, LimitReached, NotFound
from workhistory.web import csv_export, htmx
from workhistory.web.context import current_actor, get_db
from workhistory.web.forms import ArtifactForm, FilterForm, display_values
from workhistory.web.login import login_required

bp = Blueprint("portfolio", __name__)

INVALID = "Not saved: check the highlighted fields."
STALE = "Not saved: this artifact changed since you opened it."


@bp.get("/portfolio")
@login_required
def page():
    """Show the signed-in user's artifacts, searched, filtered and sorted as asked."""
    form = FilterForm.from_args(request.args)
    portfolio = _list(form)
    if htmx.is_htmx():
        return _results(portfolio, form)
    return _page(portfolio, filter_form=form)


@bp.get("/portfolio/artifacts/new")
@login_required
def new():
    """Show the empty form for a new artifact."""
    form = ArtifactForm(formdata=None)
    if htmx.is_htmx():
        return htmx.answer("portfolio/_form.html", form=form, entry=None)
    return _page(_list(), open_id="new", open_unit="portfolio/_form.html", form=form)


@bp.post("/portfolio/artifacts")
@login_required
def create():
    """Create an artifact from the form."""
    form = ArtifactForm()
    status = 422
    if form.validate():
        try:
            entry, summary = artifacts.create_artifact(get_db(), current_actor(), form.changes)
        except LimitReached as exc:
            form.form_errors.append(exc.public_message)
            status = 409
        except InvalidData as exc:  # a rule only the database judges: still the form
            form.refuse(exc)
        else:
            return _saved(entry, summary, f"Added “{entry.title}”.")
    _show_sent_skills(form)
    message = form.form_errors[0] if status == 409 else INVALID
    if htmx.is_htmx():
        return htmx.answer("portfolio/_form.html", status, message, form=form, entry=None,
                           summary=artifacts.owner_totals(get_db(), current_actor()))
    return _page(_list(), status, message, open_id="new", open_unit="portfolio/_form.html",
                 form=form)


@bp.get("/portfolio/artifacts/<artifact_id>")
@login_required
def row(artifact_id: str):
    """Show one artifact: its own page, or for htmx its row (compact, or with `expanded=1`
    everything; after a cancel or a discard, with focus on it)."""
    if htmx.is_htmx():
        entry, summary = artifacts.get_artifact_and_totals(get_db(), current_actor(),
                                                           artifact_id)
        return _row(entry, summary=summary)
    entry = artifacts.get_artifact(get_db(), current_actor(), artifact_id)
    return render_template("portfolio/artifact.html", entry=entry, editable=True,
                           list_url=url_for("portfolio.page"), back_label="Your portfolio")


@bp.get("/help/shortcuts/<page>")
@login_required
def shortcuts(page: str):
    """The keyboard shortcuts dialog of a page with shortcuts (app.js fetches it when first
    asked for: it is not in the pages' HTML, SPEC §8)."""
    if page not in ("portfolio", "colleague", "people"):
        abort(404)
    return render_template("_shortcuts_dialog.html", help_page=page)


@bp.get("/portfolio/artifacts/<artifact_id>/edit")
@login_required
def edit(artifact_id: str):
    """Show the form filled with the artifact's saved values."""
    if htmx.is_htmx():
        entry = artifacts.get_artifact(get_db(), current_actor(), artifact_id)
        return htmx.answer("portfolio/_form.html", form=ArtifactForm.for_entry(entry), entry=entry)
    portfolio = _list()
    entry = _find(portfolio, artifact_id)
    return _page(portfolio, open_id=entry.id, open_unit="portfolio/_form.html",
                 form=ArtifactForm.for_entry(entry))


@bp.route("/portfolio/artifacts/<artifact_id>", methods=["PATCH", "POST"])
@login_required
def update(artifact_id: str):
    """Change the fields the form sends; the others stay as they are."""
    form = ArtifactForm(partial=True)
    if form.validate():
        try:
            entry, summary = artifacts.update_artifact(
                get_db(), current_actor(), artifact_id, form.changes, form.expected_version
            )
        except Conflict as exc:
            return _conflict(form, exc.current, exc.summary)
        except InvalidData as exc:
            form.refuse(exc)
        else:
            return _saved(entry, summary, f"Saved “{entry.title}”.")
    return _invalid_update(form, artifact_id)


@bp.get("/portfolio/artifacts/<artifact_id>/delete")
@login_required
def confirm_delete(artifact_id: str):
    """Ask before deleting (the Delete buttons without JavaScript come here)."""
    entry = artifacts.get_artifact(get_db(), current_actor(), artifact_id)
    return render_template("portfolio/confirm_delete.html", entry=entry)


@bp.route("/portfolio/artifacts/<artifact_id>", methods=["DELETE"])
@bp.post("/portfolio/artifacts/<artifact_id>/delete")
@login_required
def delete(artifact_id: str):
    """Delete the artifact, undoable for a while; htmx gets an empty row (removed), the new
    totals and the Undo button."""
    title, summary = artifacts.delete_artifact(get_db(), current_actor(), artifact_id)
    undo = {"id": str(artifacts.parse_id(artifact_id)), "title": title}
    if htmx.is_htmx():
        return htmx.answer(None, summary=summary, undo={**undo, "seconds": artifacts.UNDO_SECONDS})
    flash({**undo, "at": time.time()}, "undo")
    return redirect(url_for("portfolio.page"), 303)


@bp.post("/portfolio/artifacts/<artifact_id>/restore")
@login_required
def restore(artifact_id: str):
    """Undo a delete: the artifact comes back as it was (htmx: into the list as filtered)."""
    try:
        entry, _summary = artifacts.restore_artifact(get_db(), current_actor(), artifact_id)
    except LimitReached as exc:
        if htmx.is_htmx():  # nothing to swap: say why, with the totals as they are
            return htmx.answer(None, 409, exc.public_message, headers={"HX-Reswap": "none"},
                               summary=artifacts.owner_totals(get_db(), current_actor()))
        return _page(_list(), 409, exc.public_message)
    message = f"Restored “{entry.title}”."
    if htmx.is_htmx():
        form = FilterForm.from_args(_filters_of_current_page())
        return _results(_list(form), form, status_message=message, focus_id=entry.id,
                        push=False)
    flash(message)
    return redirect(url_for("portfolio.page") + f"#artifact-{entry.id}", 303)


@bp.get("/portfolio/artifacts.json")
@login_required
def export_json():
    """Download all of the user's artifacts as JSON, in page order."""
    entries = _list().entries
    return jsonify({"artifacts": [e.to_dict() for e in entries], "limit": artifacts.LIMIT})


@bp.get("/portfolio/artifacts.csv")
@login_required
def export_csv():
    """Download all of the user's artifacts as CSV: the JSON export's rows, in page order."""
    return current_app.response_class(
        csv_export.artifacts_csv(_list().entries),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="artifacts.csv"'},
    )


def _results(portfolio: artifacts.Portfolio, form: FilterForm, **context):
    return results(portfolio, form, url_for("portfolio.page"), summary=portfolio.summary,
                   editable=True, list_label="Artifacts", empty_unit="portfolio/_empty.html",
                   **context)


def _list(form: FilterForm | None = None) -> artifacts.Portfolio:
    filters = form.filters if form is not None else search.NO_FILTERS
    return artifacts.list_artifacts(get_db(), current_actor(), filters)


def _filters_of_current_page() -> MultiDict:
    """The filters of the page an htmx request came from (htmx sends its URL), so an answer
    that re-renders the list keeps them; none for any other page."""
    current = urlsplit(request.headers.get("HX-Current-URL", ""))
    if current.path != url_for("portfolio.page"):
        return MultiDict()
    return MultiDict(parse_qsl(current.query, keep_blank_values=True))


def _find(portfolio: artifacts.Portfolio, artifact_id: str) -> artifacts.WorkArtifactEntry:
    """The artifact from the page's own read (one query serves the page and the lookup).
    The list holds all of the user's artifacts (at most the limit), so absent means 404."""
    wanted = artifacts.parse_id(artifact_id)
    for entry in portfolio.entries:
        if entry.id == wanted:
            return entry
    raise NotFound()


def _page(portfolio: artifacts.Portfolio, status: int = 200, status_message: str = "", *,
          open_id: UUID | str | None = None, open_unit: str | None = None,
          form: ArtifactForm | None = None, focus_id: UUID | None = None,
          filter_form: FilterForm | None = None, **context):
    # What the last request flashed before redirecting here: messages, and after a delete the
    # Undo form while its window lasts.
    messages, undo = [], None
    for category, message in get_flashed_messages(with_categories=True):
        if category == "undo":
            seconds = int(artifacts.UNDO_SECONDS - (time.time() - message["at"]))
            undo = {**message, "seconds": seconds} if seconds > 0 else None
        else:
            messages.append(message)
    return render_template(
        "portfolio/page.html", portfolio=portfolio,
        status_message=" ".join([*messages, status_message]).strip(), undo=undo,
        open_id=open_id, open_unit=open_unit, form=form, focus_id=focus_id,
        filter_form=filter_form or FilterForm.from_args(MultiDict()), **context,
    ), status


def _row(entry: artifacts.WorkArtifactEntry, **context):
    # `expanded` (from app.js's More/Less, "1" or "0") chooses the row's size and leaves focus
    # where app.js puts it; without it the row takes focus (after a cancel or a discard).
    expanded = request.args.get("expanded")
    return htmx.answer("portfolio/_row.html", entry=entry, expanded=expanded == "1",
                       autofocus=expanded is None, list_url=url_for("portfolio.page"),
                       **context)


def _saved(entry: artifacts.WorkArtifactEntry, summary: artifacts.Summary, message: str):
    if htmx.is_htmx():
        return htmx.answer("portfolio/_row.html", 200, message, summary=summary, entry=entry,
                         autofocus=True)
    flash(message)
    return redirect(url_for("portfolio.page"), 303)


def _show_sent_skills(form: ArtifactForm) -> None:
    """Answers that carry the form back show the skills it sent with their labels (one read
    of the catalog, on these answers only)."""
    values = form.skill_values
    if values is not None:
        form.show_skills(skills.describe(get_db(), current_actor(), values))


def _invalid_update(form: ArtifactForm, artifact_id: str):
    # The saved artifact is read only on this error path: it answers 404 for ids that are
    # not the user's (before saying anything about the input) and fills the fields the
    # request left out, so re-submitting the form never clears them.
    _show_sent_skills(form)
    if htmx.is_htmx():
        entry, summary = artifacts.get_artifact_and_totals(get_db(), current_actor(),
                                                           artifact_id)
        form.fill_absent(entry)
        return htmx.answer("portfolio/_form.html", 422, INVALID, form=form, entry=entry,
                           summary=summary)
    portfolio = _list()
    entry = _find(portfolio, artifact_id)
    form.fill_absent(entry)
    return _page(portfolio, 422, INVALID, open_id=entry.id, open_unit="portfolio/_form.html",
                 form=form)


def _conflict(form: ArtifactForm, current: artifacts.WorkArtifactEntry,
              summary: artifacts.Summary):
    # The user's input stays; the hidden version becomes the saved one, so "Save mine
    # anyway" overwrites deliberately. The totals came with the saved row (someone else's
    # save may have changed them).
    _show_sent_skills(form)
    form.fill_absent(current, version=current.version)
    context = {"form": form, "entry": current, "saved_values": display_values(current)}
    if htmx.is_htmx():
        return htmx.answer("portfolio/_conflict.html", 409, STALE, summary=summary, **context)
    return _page(_list(), 409, STALE, open_id=current.id, open_unit="portfolio/_conflict.html",
                 **context)
