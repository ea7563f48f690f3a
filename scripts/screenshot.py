"""Take screenshots of /portfolio in Chromium for a human to look at (design review).

    .venv/bin/python scripts/screenshot.py [OUT_DIR]      (default /tmp/portfolio-shots)

Starts its own embedded PostgreSQL in a temporary directory (or uses DATABASE_URL), seeds one
workspace, serves the real app (its real CSP) on a free local port, signs in through the login
form and saves: the empty state, the page, the inline edit form, a 422, a stale-version 409,
the shortcut help, the people page, a 360px-wide phone view and dark mode. Uses the system
Chromium (/usr/bin/chromium or CHROMIUM). Nothing is written into the repository.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from app import create_app  # noqa: E402
from workhistory import (
    embedded_pg,  # noqa: E402
    migrate,  # noqa: E402
)
from workhistory.data import (
    accounts,  # noqa: E402
    artifacts,  # noqa: E402
)

PASSWORD = "correct horse battery"  # noqa: S105 (a throw-away local database)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SAMPLES = [
    {"title": "Churn model and retention memo", "artifact_type": "analysis",
     "artifact_date": date(2021, 3, 15), "estimated_hours_saved": 40.0, "visibility": "team",
     "description": "Cohort churn model in SQL with a two-page memo for the leadership team;"
                    " still used every quarter to plan retention campaigns.",
     "source_url": "https://wiki.example.com/analytics/churn-model",
     "suggested_skill_ids": ["sql", "cohort-analysis", "writing"]},
    {"title": "Invoice reconciliation script", "artifact_type": "code",
     "artifact_date": date(2020, 11, 2), "estimated_hours_saved": 120.0,
     "description": "Python job that matches bank exports to invoices and flags mismatches.",
     "source_url": "https://git.example.com/finance/reconcile",
     "suggested_skill_ids": ["python", "pandas"]},
    {"title": "Onboarding checklist for new analysts", "artifact_type": "process",
     "artifact_date": date(2019, 6, 20), "estimated_hours_saved": 16.5, "visibility": "team",
     "suggested_skill_ids": ["documentation"]},
    {"title": "Board deck: 2019 product review", "artifact_type": "presentation",
     "artifact_date": date(2019, 12, 4)},
    {"title": "Design system color tokens", "artifact_type": "design",
     "description": "Accessible palette with contrast checks."},
]


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="shots-pg-") as tmp:
        url = os.environ.get("DATABASE_URL") or embedded_pg.start(Path(tmp) / "pgdata")
        try:
            migrate.upgrade(url)
            app = create_app({"DATABASE_URL": url, "SECRET_KEY": "screenshots"})
            db = app.extensions["db"]
            empty = accounts.create_workspace(db, "Acme", "new@example.com", "Nia New", PASSWORD)
            user = accounts.add_user(db, empty.tenant_id, "ada@example.com", "Ada Lovelace",
                                     PASSWORD)
            for sample in SAMPLES:
                artifacts.create_artifact(db, user.actor, sample)
            server = make_server("127.0.0.1", 0, app, threaded=True)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            try:
                shoot(f"http://127.0.0.1:{server.server_port}", out)
            finally:
                server.shutdown()
                db.close()
        finally:
            if not os.environ.get("DATABASE_URL"):
                embedded_pg.stop(Path(tmp) / "pgdata")


def shoot(base: str, out: Path) -> None:
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=CHROMIUM_ARGS
        )
        for scheme in ("light", "dark"):
            context = browser.new_context(viewport={"width": 1100, "height": 820},
                                          color_scheme=scheme)
            page = context.new_page()
            problems: list[str] = []
            page.on("console", _collect_errors(problems))
            if scheme == "light":
                log_in(page, base, "new@example.com")
                page.screenshot(path=out / "01-empty.png", full_page=True, caret="initial")
                page.context.clear_cookies()
            log_in(page, base, "ada@example.com")
            page.wait_for_timeout(7000 if scheme == "light" else 0)  # let the flash fade
            page.screenshot(path=out / f"02-page-{scheme}.png", full_page=True, caret="initial")
            if scheme == "dark":
                context.close()
                continue
            row = page.locator("#artifacts > li").nth(1)
            row.locator("a.artifact-edit").click()
            page.locator("#artifacts form.artifact-form").wait_for()
            page.wait_for_timeout(300)
            page.screenshot(path=out / "03-editing.png", full_page=True, caret="initial")
            form = page.locator("#artifacts form.artifact-form")
            form.locator('[name="estimated_hours_saved"]').fill("1e309")
            form.locator('[name="source_url"]').fill("javascript:alert(1)")
            form.locator('[name="title"]').fill("")
            form.locator("button.save").click()
            page.locator(".field-error").first.wait_for()
            page.wait_for_timeout(300)
            page.screenshot(path=out / "04-invalid-422.png", full_page=True, caret="initial")
            page.locator("#new-artifact").click()
            page.locator("#artifact-new").wait_for()
            page.wait_for_timeout(300)
            page.screenshot(path=out / "05-new-form.png", full_page=False, caret="initial")
            page.keyboard.press("Escape")
            page.goto(base + "/portfolio")
            page.locator("#artifacts > li").first.locator("a.artifact-edit").click()
            form = page.locator("#artifacts form.artifact-form")
            form.wait_for()
            on_the_side(base, page)  # someone saves the same artifact meanwhile
            form.locator('[name="title"]').fill("Churn model, retention memo and playbook")
            form.locator("button.save").click()
            page.locator(".artifact-conflict").wait_for()
            page.wait_for_timeout(300)
            page.screenshot(path=out / "07-conflict-409.png", full_page=True, caret="initial")
            page.goto(base + "/portfolio")
            page.locator("#artifacts > li").first.focus()
            page.keyboard.press("?")
            page.wait_for_timeout(300)
            page.screenshot(path=out / "08-help-dialog.png", full_page=False, caret="initial")
            page.goto(base + "/people")
            page.screenshot(path=out / "09-people.png", full_page=True, caret="initial")
            page.set_viewport_size({"width": 360, "height": 780})
            page.goto(base + "/portfolio")
            page.screenshot(path=out / "06-phone.png", full_page=True, caret="initial")
            (out / "console-errors.txt").write_text("\n".join(problems))
            context.close()
        browser.close()


def on_the_side(base: str, page) -> None:
    """Save the first artifact's form from a second session, making the open form stale."""
    other = page.context.browser.new_context()
    try:
        tab = other.new_page()
        log_in(tab, base, "ada@example.com")
        tab.locator("#artifacts > li").first.locator("a.artifact-edit").click()
        form = tab.locator("#artifacts form.artifact-form")
        form.locator('[name="description"]').fill("Rewritten by a colleague in another tab.")
        form.locator('[name="estimated_hours_saved"]').fill("44")
        form.locator("button.save").click()
        tab.locator("#artifacts > li[autofocus], #artifacts > li:not(.artifact-editing)").first\
            .wait_for()
        tab.wait_for_timeout(300)
    finally:
        other.close()


def _collect_errors(problems: list[str]):
    def collect(message) -> None:
        if message.type == "error":
            problems.append(f"{message.location.get('url')}: {message.text}")

    return collect


def log_in(page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.fill('[name="email"]', email)
    page.fill('[name="password"]', PASSWORD)
    page.click('button[type="submit"]')
    page.wait_for_url("**/portfolio")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/portfolio-shots"))  # noqa: S108
