"""The portfolio: the page, inline create/edit/delete of artifacts, and the JSON and CSV exports.

Each URL answers an htmx request (`htmx.is_htmx()`) with the fragment that replaces
one element, plus out-of-band updates of the count, the hours total and the status region,
and a plain request with a full page (built from the same partials) or a 303 redirect, so
everything works without JavaScript. Views parse the form, call one function of `artifacts`
and render one template. Unknown, malformed and other people's ids raise `NotFound` from the
data module and become 404 in `workhistory.web.errors`; the outcomes SPEC answers with a form (422
invalid input, 409 limit, 409 stale version) are rendered here because they carry the form.
"""

from __future__ import annotations

from uuid import UUID

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, url_for

from workhistory.data import artifacts, skills
from workhistory.data.errors import Conflict, InvalidData, LimitReached, NotFound
from workhistory.web import csv_export, htmx
from workhistory.web.context import current_actor, get_db
from workhistory.web.forms import ArtifactForm, display_values
from workhistory.web.login import login_required

bp = Blueprint("portfolio", __name__)

INVALID = "Not saved: check the highlighted fields."
STALE = "Not saved: this artifact changed since you opened it."


@bp.get("/portfolio")
@login_required
def page():
    """Show the signed-in user's artifacts with their count and hours total."""
    return _page(_list())


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
        return htmx.answer("portfolio/_form.html", status, message, form=form, entry=None)
    return _page(_list(), status, message, open_id="new", open_unit="portfolio/_form.html",
                 form=form)


@bp.get("/portfolio/artifacts/<artifact_id>")
@login_required
def row(artifact_id: str):
    """Show one artifact's row (after a cancel or a discard, focus goes to it)."""
    if htmx.is_htmx():
        entry = artifacts.get_artifact(get_db(), current_actor(), artifact_id)
        return htmx.answer("portfolio/_row.html", entry=entry, autofocus=True)
    portfolio = _list()
    return _page(portfolio, focus_id=_find(portfolio, artifact_id).id)


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
            return _conflict(form, exc.current)
        except InvalidData as exc:
            form.refuse(exc)
        else:
            return _saved(entry, summary, f"Saved “{entry.title}”.")
    return _invalid_update(form, artifact_id)


@bp.route("/portfolio/artifacts/<artifact_id>", methods=["DELETE"])
@bp.post("/portfolio/artifacts/<artifact_id>/delete")
@login_required
def delete(artifact_id: str):
    """Delete the artifact; htmx gets an empty row (removed) and the new totals."""
    summary = artifacts.delete_artifact(get_db(), current_actor(), artifact_id)
    message = "Artifact deleted."
    if htmx.is_htmx():
        return htmx.answer(None, summary=summary, status_message=message)
    flash(message)
    return redirect(url_for("portfolio.page"), 303)


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


def _list() -> artifacts.Portfolio:
    return artifacts.list_artifacts(get_db(), current_actor())


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
          form: ArtifactForm | None = None, focus_id: UUID | None = None, **context):
    return render_template(
        "portfolio/page.html", portfolio=portfolio, status_message=status_message,
        open_id=open_id, open_unit=open_unit, form=form, focus_id=focus_id, **context,
    ), status


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
        entry = artifacts.get_artifact(get_db(), current_actor(), artifact_id)
        form.fill_absent(entry)
        return htmx.answer("portfolio/_form.html", 422, INVALID, form=form, entry=entry)
    portfolio = _list()
    entry = _find(portfolio, artifact_id)
    form.fill_absent(entry)
    return _page(portfolio, 422, INVALID, open_id=entry.id, open_unit="portfolio/_form.html",
                 form=form)


def _conflict(form: ArtifactForm, current: artifacts.WorkArtifactEntry):
    # The user's input stays; the hidden version becomes the saved one, so "Save mine
    # anyway" overwrites deliberately.
    _show_sent_skills(form)
    form.fill_absent(current, version=current.version)
    context = {"form": form, "entry": current, "saved_values": display_values(current)}
    if htmx.is_htmx():
        return htmx.answer("portfolio/_conflict.html", 409, STALE, **context)
    return _page(_list(), 409, STALE, open_id=current.id, open_unit="portfolio/_conflict.html",
                 **context)
