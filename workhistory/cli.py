"""`flask --app app ...` commands: db upgrade, demo, user create (SPEC §2)."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from workhistory import demo as demo_workspace
from workhistory import migrate
from workhistory.data import accounts
from workhistory.data.errors import DuplicateEmail
from workhistory.web import rules
from workhistory.web.context import get_db


def init_app(app: Flask) -> None:
    app.cli.add_command(db_group)
    app.cli.add_command(demo)
    app.cli.add_command(user_group)


# AppGroup and with_appcontext push the app context for every command, also when the commands
# run outside the `flask` launcher (app.test_cli_runner(), a bare click invocation).
@click.group("db", cls=AppGroup, help="Database schema commands.")
def db_group():
    pass


@db_group.command("upgrade")
def db_upgrade():
    """Apply pending migrations (safe to run twice, and from two processes at once)."""
    applied = migrate.upgrade(current_app.config["DATABASE_URL"])
    names = ": " + ", ".join(applied) if applied else ""
    click.echo(f"applied {len(applied)} migration(s){names}")


@click.command("demo")
@click.option("--first-start", is_flag=True,
              help="Seed only on the embedded server and only if the demo user is absent.")
@with_appcontext
def demo(first_start: bool):
    """Seed the demo workspace with realistic artifacts and print its login."""
    if first_start and not current_app.config["EMBEDDED_DB"]:
        click.echo("DATABASE_URL is set: the demo workspace is not seeded.")
        return
    if demo_workspace.seed(get_db()):
        click.echo(f"Seeded the demo workspace with {len(demo_workspace.DEMO_ARTIFACTS)}"
                   " artifacts.")
    elif not first_start:
        click.echo("The demo workspace already exists.")
    click.echo(demo_workspace.login_line("http://127.0.0.1:5000"))


@click.group("user", cls=AppGroup, help="User accounts.")
def user_group():
    pass


@user_group.command("create")
@click.option("--workspace", required=True, help="Workspace name; created when none has it.")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True)
def user_create(workspace: str, email: str, display_name: str):
    """Create a user; the password is read from standard input."""
    password = sys.stdin.readline().rstrip("\r\n")
    db = get_db()
    try:
        workspace, email = rules.clean_name(workspace), rules.clean_email(email)
        display_name = rules.clean_name(display_name)
        password = rules.clean_new_password(password)
        tenant_id = accounts.find_workspace(db, workspace)
        if tenant_id is None:
            user = accounts.create_workspace(db, workspace, email, display_name, password)
            click.echo(f"created workspace {workspace!r} ({user.tenant_id})")
        else:
            user = accounts.add_user(db, tenant_id, email, display_name, password)
            click.echo(f"joined workspace {workspace!r} ({tenant_id})")
    except (ValueError, DuplicateEmail) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created user {user.email} ({user.user_id})")
