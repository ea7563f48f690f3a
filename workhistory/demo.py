"""The demo workspace `make run` seeds on the embedded server: a user with realistic artifacts.

Only ever seeded on the embedded server (SPEC §2): `seed()` is called by `flask demo` and by
`make run`, never on a `DATABASE_URL` deployment unless an operator asks for it by name.
"""

from __future__ import annotations

from datetime import date

from workhistory.data import accounts, artifacts
from workhistory.data.db import Database
from workhistory.data.errors import DuplicateEmail

DEMO_WORKSPACE = "Northwind Analytics (demo)"
DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-portfolio"  # noqa: S105 - a local demo only: the seed never runs on DATABASE_URL

DEMO_ARTIFACTS = [
    dict(title="Quarterly revenue forecast model", artifact_type="analysis",
         artifact_date=date(2021, 3, 15), visibility="team", estimated_hours_saved=120,
         description="Spreadsheet model replacing a week of manual roll-ups each quarter; "
                     "driver-based, with a sensitivity tab finance still uses.",
         suggested_skill_ids=["forecasting", "excel", "financial modelling"]),
    dict(title="Customer onboarding playbook", artifact_type="process",
         artifact_date=date(2020, 9, 1), visibility="team", estimated_hours_saved=300,
         description="Step-by-step onboarding for new enterprise accounts: kickoff agenda, "
                     "data checklist and a 30-day success plan.",
         source_url="https://wiki.example.com/onboarding-playbook",
         suggested_skill_ids=["process design", "customer success"]),
    dict(title="ETL job for warehouse loads", artifact_type="code",
         artifact_date=date(2019, 11, 20), visibility="team", estimated_hours_saved=450,
         description="Nightly Python job loading CRM exports into the warehouse with "
                     "idempotent upserts and alerting; retired three manual steps.",
         source_url="https://git.example.com/data/etl-warehouse",
         suggested_skill_ids=["python", "sql", "data engineering"]),
    dict(title="Board deck: market entry Nordics", artifact_type="presentation",
         artifact_date=date(2022, 5, 10), visibility="private", estimated_hours_saved=16,
         description="Twenty-slide deck on sizing and go-to-market options; its structure "
                     "became the template for later market reviews.",
         suggested_skill_ids=["storytelling", "market analysis"]),
    dict(title="Data retention policy", artifact_type="document",
         artifact_date=date(2021, 1, 12), visibility="team", estimated_hours_saved=40,
         description="Policy and decision table for how long each data class is kept; "
                     "cut legal review time for new data sources.",
         suggested_skill_ids=["governance", "privacy"]),
    dict(title="Churn analysis for SMB segment", artifact_type="analysis",
         artifact_date=date(2022, 8, 30), visibility="private", estimated_hours_saved=24,
         description="Cohort analysis showing churn drivers in the first 90 days.",
         suggested_skill_ids=["sql", "cohort analysis", "statistics"]),
    dict(title="Design system for internal dashboards", artifact_type="design",
         artifact_date=date(2020, 4, 2), visibility="team", estimated_hours_saved=200,
         description="Colour, type and chart conventions with reusable dashboard layouts.",
         suggested_skill_ids=["data visualisation", "design systems"]),
    dict(title="Interview notes template", artifact_type="other",
         artifact_date=None, visibility="private", estimated_hours_saved=6.5,
         description="A shared template for structured hiring interviews.",
         suggested_skill_ids=["hiring"]),
]


def seed(db: Database) -> bool:
    """Create the demo workspace, its user and artifacts; False when it already exists."""
    try:
        user = accounts.create_workspace(db, DEMO_WORKSPACE, DEMO_EMAIL, "Dana Demo",
                                         DEMO_PASSWORD)
    except DuplicateEmail:
        return False
    with db.transaction(user.actor):  # all of it or none
        for values in DEMO_ARTIFACTS:
            artifacts.create_artifact(db, user.actor, dict(values))
    return True


def login_line(base_url: str) -> str:
    return f"Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}  ->  {base_url}/login"
