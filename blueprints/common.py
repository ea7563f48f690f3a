"""What several blueprints share: finishing a sign-up (a new workspace, or an invite join)."""

from __future__ import annotations

from collections.abc import Callable

from flask import redirect, render_template, url_for

from workhistory.data.accounts import Account
from workhistory.data.errors import DuplicateEmail
from workhistory.web.forms import RuleForm
from workhistory.web.login import begin_session


def sign_up(form: RuleForm, create: Callable[[dict], Account], template: str, **context):
    """For a valid submission, `create(values)` the account, sign it in and go to the
    portfolio; otherwise (or when the email is taken) show `template` again with the errors
    beside their fields (422)."""
    if form.validate_on_submit():
        try:
            user = create(form.values)
        except DuplicateEmail as exc:
            form.email.errors.append(exc.public_message)
        else:
            begin_session(user)
            return redirect(url_for("portfolio.page"), 303)
    status = 422 if form.errors else 200
    return render_template(template, form=form, **context), status
