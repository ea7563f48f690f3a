"""Input rules for sign-up and login (artifact rules live in forms.py)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length

from accounts import PASSWORD_MAX, PASSWORD_MIN


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class SignupForm(FlaskForm):
    workspace = StringField(
        "Workspace name",
        filters=[_strip],
        validators=[DataRequired(), Length(max=100)],
        description="Your team or organisation, e.g. “Northwind Analytics”.",
    )
    name = StringField("Your name", filters=[_strip], validators=[DataRequired(), Length(max=100)])
    email = EmailField(
        "Email", filters=[_strip], validators=[DataRequired(), Email(), Length(max=254)]
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(min=PASSWORD_MIN, max=PASSWORD_MAX)],
        description=f"{PASSWORD_MIN} to {PASSWORD_MAX} characters.",
    )


class LoginForm(FlaskForm):
    email = EmailField("Email", filters=[_strip], validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=PASSWORD_MAX)])
    next = HiddenField()


class JoinForm(FlaskForm):
    """Sign-up through an invite: the same fields as SignupForm, the workspace is the invite's."""

    name = SignupForm.name
    email = SignupForm.email
    password = SignupForm.password
