"""Browser fixtures: the system Chromium, the real app on a live port, a signed-in page.

- One Chromium per test session (pytest-playwright's session `browser`), launched from
  /usr/bin/chromium or $CHROMIUM_PATH: no browser is ever downloaded.
- The real app (`create_app` on this module's database, real CSRF, real security headers) is
  served by werkzeug on 127.0.0.1 and a free port, once per test module.
- `page` fails the test at teardown if the browser reported a page error or any console message
  about the Content Security Policy, or if a response from the app came without a CSP header.
- Every test signs in as a fresh user in a fresh workspace, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import threading

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from werkzeug.serving import make_server

from tests.browser.support import BrowserProblems, add_artifacts, sign_in_by_cookie

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# htmx wires swapped content after a short settle (20 ms); the margin is for a loaded CI box.
expect.set_options(timeout=10_000)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in item.nodeid.replace("\\", "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"no Chromium at {CHROMIUM}: install it (apt) or set CHROMIUM_PATH")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": LAUNCH_ARGS}


@pytest.fixture(scope="module")
def live_server(app):
    """The module's app served on 127.0.0.1 (a free port); yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def browser_problems(live_server):
    problems = BrowserProblems(live_server)
    yield problems
    problems.assert_none()


@pytest.fixture
def context(new_context, live_server) -> BrowserContext:
    return new_context(base_url=live_server)


@pytest.fixture
def page(context, browser_problems) -> Page:
    return browser_problems.watch(context.new_page())


@pytest.fixture
def user(make_workspace):
    return make_workspace(name="Keyboard Co", display_name="Kay Board")


@pytest.fixture
def entries(db, user) -> list:
    """Three artifacts of `user`, in page order: Alpha report, Bravo dashboard, Charlie memo."""
    return add_artifacts(db, user, ["Alpha report", "Bravo dashboard", "Charlie memo"])


@pytest.fixture
def portfolio(page, app, live_server, user, entries) -> Page:
    """The signed-in page on /portfolio showing `entries`, with the keyboard module ready."""
    sign_in_by_cookie(page.context, app, live_server, user)
    page.goto("/portfolio")
    expect(page.locator("html")).to_have_attribute("data-keyboard", "ready")
    return page
