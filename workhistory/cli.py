"""`flask --app app ...` commands: db upgrade, demo, user create (SPEC §2)."""

from __future__ import annotations

import sys
from uuid import UUID

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from workhistory import demo as demo_workspace
from workhistory import migrate
from workhistory.data import accounts
from workhistory.data.errors import DuplicateEmail, NotFound
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
    """Apply pending migrations (safe to run twice, and from two processes at once), as
    MIGRATION_DATABASE_URL (the schema owner), else DATABASE_URL."""
    applied = migrate.upgrade(current_app.config["MIGRATION_DATABASE_URL"])
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
@click.option("--workspace", help="Create a NEW workspace with this name (refused when one"
              " already has it).")
@click.option("--workspace-id", type=click.UUID, help="Add the user to this existing workspace.")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True)
def user_create(workspace: str | None, workspace_id: UUID | None, email: str,
                display_name: str):
    """Create a user in a new workspace (--workspace) or an existing one (--workspace-id);
    the password is read from standard input.

    A workspace is never joined by name: anyone can sign up a workspace under any name, so a
    name could put an employee into a stranger's workspace."""
    if (workspace is None) == (workspace_id is None):
        raise click.UsageError("Give exactly one of --workspace NAME (a new workspace) and"
                               " --workspace-id ID (an existing one).")
    password = sys.stdin.readline().rstrip("\r\n")
    db = get_db()
    try:
        email, display_name = rules.clean_email(email), rules.clean_name(display_name)
        password = rules.clean_new_password(password)
        if workspace_id is not None:
            if not accounts.workspace_exists(db, workspace_id):
                raise click.ClickException(f"no workspace has the id {workspace_id}")
            user = accounts.add_user(db, workspace_id, email, display_name, password)
            click.echo(f"joined workspace {workspace_id}")
        else:
            workspace = rules.clean_name(workspace)
            taken = accounts.workspaces_named(db, workspace)
            if taken:
                ids = ", ".join(str(i) for i in taken)
                raise click.ClickException(
                    f"a workspace named {workspace!r} already exists ({ids}): to add the user"
                    " to it, use --workspace-id; to create another, choose another name")
            user = accounts.create_workspace(db, workspace, email, display_name, password)
            click.echo(f"created workspace {workspace!r} ({user.tenant_id})")
    except (ValueError, DuplicateEmail, NotFound) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created user {user.email} ({user.user_id})")
