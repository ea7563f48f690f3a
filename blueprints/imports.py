"""Import: artifacts from a file in the export's own format, previewed, then created at once.

`POST /portfolio/import` reads the upload (`forms.ImportForm`, `web/imports.py`) and runs every
row through the artifact form's rules (`forms.import_check`), creating nothing: the preview
lists each row with its errors beside it. A file that passes (every row valid, and the user's
artifacts plus the file's within the limit) is kept as the user's pending import (`imports`
data module) and the preview offers to confirm it; confirming creates every row in one
transaction, or none. A refused file says why (413 too large, 415 not CSV or JSON, 422
malformed or invalid, 409 over the limit) and is never a 500.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from workhistory.data import artifacts, imports
from workhistory.data.errors import ImportGone, InvalidData, LimitReached
from workhistory.web.context import current_actor, get_db
from workhistory.web.errors import render_error
from workhistory.web.forms import ImportForm, import_check, import_values
from workhistory.web.login import login_required

bp = Blueprint("imports", __name__)

TOO_LARGE = "The file is larger than 1 MiB, so nothing was imported."
INVALID = "Nothing was imported: fix the rows marked below in the file, then upload it again."


@bp.get("/portfolio/import")
@login_required
def page():
    """Show the upload form."""
    return _page(ImportForm(formdata=None))


@bp.post("/portfolio/import")
@login_required
def preview():
    """Read the file and show what it would create, with each row's errors; create nothing."""
    form = ImportForm()
    if not form.validate():
        return _page(form, form.status, form.file.errors[0])
    upload = form.values["file"]
    checked = [(row, *import_check(row.fields)) for row in upload.rows]
    rows = [(row, row.problems + errors) for row, _values, errors in checked]
    have = artifacts.list_artifacts(get_db(), current_actor()).summary.count
    if any(errors for _row, errors in rows):
        return _page(form, 422, INVALID, upload=upload, rows=rows, have=have)
    if have + len(rows) > artifacts.LIMIT:
        message = _over_limit(len(rows), have)
        return _page(form, 409, message, upload=upload, rows=rows, have=have)
    pending = imports.save_pending(get_db(), current_actor(), upload.filename,
                                   [row.fields for row in upload.rows])
    return _page(form, 200, f"{len(rows)} {'artifact is' if len(rows) == 1 else 'artifacts are'}"
                 " ready to import: check them, then confirm.", upload=upload, rows=rows,
                 have=have, pending=pending)


@bp.post("/portfolio/import/<pending_id>/confirm")
@login_required
def confirm(pending_id: str):
    """Create every artifact of the previewed file, all in one transaction, or none."""
    try:
        done = imports.import_pending(get_db(), current_actor(), pending_id, import_values)
    except ImportGone as exc:
        return _page(ImportForm(formdata=None), 409, exc.public_message)
    except LimitReached:
        have = artifacts.list_artifacts(get_db(), current_actor()).summary.count
        return _page(ImportForm(formdata=None), 409,
                     "Nothing was imported: you have added artifacts since the preview and"
                     f" now have {have} of {artifacts.LIMIT}. Upload the file again.")
    except (ValueError, InvalidData) as exc:
        return _page(ImportForm(formdata=None), 422,
                     f"Nothing was imported: a row is no longer valid ({exc}).")
    flash(f"Imported {len(done.entries)} {'artifact' if len(done.entries) == 1 else 'artifacts'}.")
    return redirect(url_for("portfolio.page"), 303)


@bp.errorhandler(413)
def too_large(_exc):
    """A body over the import's limit (checked before anything reads it)."""
    if not current_user.is_authenticated:
        return render_error(413, TOO_LARGE)
    return _page(ImportForm(formdata=None), 413, TOO_LARGE)


def _over_limit(rows: int, have: int) -> str:
    room = max(0, artifacts.LIMIT - have)
    return (f"Nothing was imported: the file has {rows} artifacts and you have {have} of"
            f" {artifacts.LIMIT}, so there is room for {room}. Delete some artifacts or"
            " remove rows from the file.")


def _page(form: ImportForm, status: int = 200, message: str = "", **context):
    context.setdefault("have", None)
    for name in ("upload", "rows", "pending"):
        context.setdefault(name, None)
    if context["have"] is None:
        context["have"] = artifacts.list_artifacts(get_db(), current_actor()).summary.count
    return render_template("imports/page.html", form=form, status_message=message,
                           limit=artifacts.LIMIT, **context), status
