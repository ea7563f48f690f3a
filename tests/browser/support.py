"""Helpers for the browser tests: signing in, arranging artifacts, finding rows and fields."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import BrowserContext, Locator, Page

from tests.support import PASSWORD, actor_of, session_cookie
from workhistory.data import artifacts


def sign_in(page: Page, user) -> None:
    """Log in through the real login form and land on the portfolio."""
    page.goto("/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/portfolio")


def sign_in_by_cookie(context: BrowserContext, app, base_url: str, user) -> None:
    """Give `context` the session cookie a login would set (saves two page loads; `sign_in`
    covers the real form)."""
    name, value = session_cookie(app, user)
    cookie = {"name": name, "value": value, "url": base_url, "httpOnly": True, "sameSite": "Lax"}
    context.add_cookies([cookie])


def add_artifacts(db, user, titles: list[str]) -> list:
    """Store artifacts for `user` shown in the given order (newest date first); return them."""
    entries = []
    for offset, title in enumerate(titles):
        values = {"title": title, "artifact_date": date(2024, 12, 31 - offset)}
        entry, _summary = artifacts.create_artifact(db, actor_of(user), values)
        entries.append(entry)
    return entries


def row(page: Page, entry) -> Locator:
    """The list item of `entry` (a row or its form: both keep the id)."""
    return page.locator(f"#artifact-{entry.id}")


def field(page: Page, name: str, key) -> Locator:
    """A form field by name in the form of artifact `key` (an entry, or "new")."""
    return page.locator(f"#{name}-{getattr(key, 'id', key)}")


class BrowserProblems:
    """Collects what must never happen in a page: script errors, CSP reports, missing CSP."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.problems: list[str] = []

    def watch(self, page: Page) -> Page:
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("console", self._console)
        page.on("response", self._response)
        return page

    def _console(self, message) -> None:
        text = message.text
        if "content security policy" in text.lower() or "content-security-policy" in text.lower():
            self.problems.append(f"CSP console message: {text}")

    def _response(self, response) -> None:
        if not response.url.startswith(self.base_url):
            return
        if "content-security-policy" not in response.headers:
            self.problems.append(f"no CSP header on {response.request.method} {response.url}")

    def assert_none(self) -> None:
        assert self.problems == []
