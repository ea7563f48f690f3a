"""A serving process builds the skill engine in the background from its first request
(workhistory.skills), so the first suggestions do not pay for it; creating the app alone (what
gunicorn --preload's forking master does) starts nothing. Each check runs in a fresh
interpreter, where no engine exists yet."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from tests.support import ROOT


def _run(code: str, **env: str) -> str:
    base = {k: v for k, v in os.environ.items() if k != "SKILLS_WARM"}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, timeout=120,
                          capture_output=True, text=True, env={**base, **env})
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_first_request_starts_building_the_engine_in_a_thread(runtime_url):
    assert _run(f"""
        import threading
        from app import create_app
        from workhistory import skills
        from workhistory.skills import engine
        app = create_app({{"DATABASE_URL": {runtime_url!r}, "SECRET_KEY": "k" * 32}})
        assert "skills-warm" not in [t.name for t in threading.enumerate()]  # not at creation
        client = app.test_client()
        assert client.get("/healthz").status_code == 200
        started = "skills-warm" in [t.name for t in threading.enumerate()]
        assert started or engine._default is not None  # the request started the build
        thread = skills.warm_in_background()  # the same thread again, not a second one
        assert thread.name == "skills-warm" and not thread.daemon  # see warm_in_background
        assert client.get("/healthz").status_code == 200
        assert [t.name for t in threading.enumerate()].count("skills-warm") <= 1
        thread.join(60)
        assert engine._default is not None
        assert skills.suggest("Built the sales dashboard in Tableau", "")
        app.extensions["db"].close()
        print("ok")
    """) == "ok"


def test_skills_warm_0_leaves_it_to_the_first_use(runtime_url):
    assert _run(f"""
        import threading
        from app import create_app
        from workhistory.skills import engine
        app = create_app({{"DATABASE_URL": {runtime_url!r}, "SECRET_KEY": "k" * 32}})
        assert app.test_client().get("/healthz").status_code == 200
        assert "skills-warm" not in [t.name for t in threading.enumerate()]
        assert engine._default is None
        app.extensions["db"].close()
        print("ok")
    """, SKILLS_WARM="0") == "ok"


def test_first_requests_at_once_start_one_build():
    """Eight threads released together (a threaded server's first requests) get one and the
    same build thread: without the lock each could start its own two-second build."""
    assert _run("""
        import threading
        from workhistory import skills
        barrier = threading.Barrier(8)
        found = []
        def first_request():
            barrier.wait()
            found.append(skills.warm_in_background())
        callers = [threading.Thread(target=first_request) for _ in range(8)]
        for c in callers: c.start()
        for c in callers: c.join()
        assert len({id(t) for t in found}) == 1, found
        found[0].join(60)
        print("ok")
    """) == "ok"
