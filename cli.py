"""`flask --app app ...` commands: db upgrade, demo, user create."""

from __future__ import annotations

import sys
from datetime import date

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

import accounts
import artifacts
import migrate
from errors import DuplicateEmail

DEMO_WORKSPACE = "Northwind Analytics (demo)"
DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-portfolio"  # noqa: S105 - a local demo only: the seed never runs on DATABASE_URL

DEMO_ARTIFACTS = [
    dict(title="Quarterly revenue forecast model", artifact_type="analysis",
         artifact_date=date(2021, 3, 15), visibility="team", estimated_hours_saved=120,
         description="Spreadsheet model replacing a week of manual roll-ups each quarter; "
                     "driver-based, with a sensitivity tab finance still uses.",
         suggested_skill_ids=["forecasting", "excel", "financial-modelling"]),
    dict(title="Customer onboarding playbook", artifact_type="process",
         artifact_date=date(2020, 9, 1), visibility="team", estimated_hours_saved=300,
         description="Step-by-step onboarding for new enterprise accounts: kickoff agenda, "
                     "data checklist and a 30-day success plan.",
         source_url="https://wiki.example.com/onboarding-playbook",
         suggested_skill_ids=["process-design", "customer-success"]),
    dict(title="ETL job for warehouse loads", artifact_type="code",
         artifact_date=date(2019, 11, 20), visibility="team", estimated_hours_saved=450,
         description="Nightly Python job loading CRM exports into the warehouse with "
                     "idempotent upserts and alerting; retired three manual steps.",
         source_url="https://git.example.com/data/etl-warehouse",
         suggested_skill_ids=["python", "sql", "data-engineering"]),
    dict(title="Board deck: market entry Nordics", artifact_type="presentation",
         artifact_date=date(2022, 5, 10), visibility="private", estimated_hours_saved=16,
         description="Twenty-slide deck on sizing and go-to-market options; its structure "
                     "became the template for later market reviews.",
         suggested_skill_ids=["storytelling", "market-analysis"]),
    dict(title="Data retention policy", artifact_type="document",
         artifact_date=date(2021, 1, 12), visibility="team", estimated_hours_saved=40,
         description="Policy and decision table for how long each data class is kept; "
                     "cut legal review time for new data sources.",
         suggested_skill_ids=["governance", "privacy"]),
    dict(title="Churn analysis for SMB segment", artifact_type="analysis",
         artifact_date=date(2022, 8, 30), visibility="private", estimated_hours_saved=24,
         description="Cohort analysis showing churn drivers in the first 90 days.",
         suggested_skill_ids=["sql", "cohort-analysis", "statistics"]),
    dict(title="Design system for internal dashboards", artifact_type="design",
         artifact_date=date(2020, 4, 2), visibility="team", estimated_hours_saved=200,
         description="Colour, type and chart conventions with reusable dashboard layouts.",
         suggested_skill_ids=["data-visualisation", "design-systems"]),
    dict(title="Interview notes template", artifact_type="other",
         artifact_date=None, visibility="private", estimated_hours_saved=6.5,
         description="A shared template for structured hiring interviews.",
         suggested_skill_ids=["hiring"]),
]


def register(app: Flask) -> None:
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
    app_db = current_app.extensions["db"]
    if first_start and not current_app.config["EMBEDDED_DB"]:
        click.echo("DATABASE_URL is set: the demo workspace is not seeded.")
        return
    try:
        user = accounts.create_workspace(
            app_db, DEMO_WORKSPACE, DEMO_EMAIL, "Dana Demo", DEMO_PASSWORD
        )
    except DuplicateEmail:
        if not first_start:
            click.echo("The demo workspace already exists.")
    else:
        for values in DEMO_ARTIFACTS:
            artifacts.create_artifact(app_db, user.actor, dict(values))
        click.echo(f"Seeded the demo workspace with {len(DEMO_ARTIFACTS)} artifacts.")
    click.echo(f"Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}  ->  http://127.0.0.1:5000/login")


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
    app_db = current_app.extensions["db"]
    try:
        tenant_id = accounts.find_workspace(app_db, workspace)
        if tenant_id is None:
            user = accounts.create_workspace(app_db, workspace, email, display_name, password)
            click.echo(f"created workspace {workspace!r} ({user.tenant_id})")
        else:
            user = accounts.add_user(app_db, tenant_id, email, display_name, password)
            click.echo(f"joined workspace {workspace!r} ({tenant_id})")
    except (ValueError, DuplicateEmail) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created user {user.email} ({user.user_id})")
