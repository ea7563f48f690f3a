"""What several blueprints share: finishing a sign-up (a new workspace, or an invite join),
and the answer to a search of a list (one's own portfolio, a colleague's)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from flask import redirect, render_template, url_for

from workhistory.data.accounts import Account
from workhistory.data.artifacts import Portfolio
from workhistory.data.errors import DuplicateEmail, InvalidData
from workhistory.web import htmx
from workhistory.web.forms import FilterForm, RuleForm
from workhistory.web.login import begin_session

# Which field a database refusal belongs beside (by constraint name prefix).
FIELD_OF_CONSTRAINT = {"tenants_name": "workspace", "users_display_name": "name",
                       "users_email": "email"}


def sign_up(form: RuleForm, create: Callable[[dict], Account], template: str, **context):
    """For a valid submission, `create(values)` the account, sign it in and go to the
    portfolio; otherwise (or when the email is taken, or the database refuses a value) show
    `template` again with the errors beside their fields (422), the input kept."""
    if form.validate_on_submit():
        try:
            user = create(form.values)
        except DuplicateEmail as exc:
            form.email.errors.append(exc.public_message)
        except InvalidData as exc:
            _field_for(form, exc.constraint).errors.append(exc.public_message)
        else:
            begin_session(user)
            return redirect(url_for("portfolio.page"), 303)
    status = 422 if form.errors else 200
    return render_template(template, form=form, **context), status


def _field_for(form: RuleForm, constraint: str | None):
    for prefix, name in FIELD_OF_CONSTRAINT.items():
        if constraint and constraint.startswith(prefix) and name in form:
            return form[name]
    # No constraint names a field (a value the driver itself refused): the first one.
    return next(iter(field for field in form if field.name != "csrf_token"))


def results(portfolio: Portfolio, form: FilterForm, list_url: str, *, status_message: str = "",
            push: bool = True, **context):
    """The htmx answer of a search: the list's results unit (`_results.html`) with "M shown"
    out of band (and whatever `context` adds: the totals on one's own portfolio), pushing the
    URL of the filters applied, without the defaults, when `push`."""
    query = form.query()
    url = list_url + (f"?{urlencode(query)}" if query else "")
    return htmx.answer("_results.html", 200, status_message,
                       headers={"HX-Push-Url": url} if push else {}, portfolio=portfolio,
                       filter_form=form, list_url=list_url, oob=True, **context)
