"""Skill suggestions from text against the ESCO catalog: pure Python, numpy and PyStemmer.

`get_engine()` is the process's one `SkillEngine` (engine.py), built once (about two seconds
and 60 MiB) and shared by every thread. Not at import: `warm_in_background()` builds it in a
thread of its own, which the app starts on a process's first request (SKILLS_WARM, on unless
set to 0; the tests turn it off), so the first edit form's suggestions do not wait two
seconds and hold a worker while they do (bench/browser.py saw a save queue behind that first
suggestion for 1.6 s). The engine is immutable once built, so `suggest()` needs no lock. No
Flask and no SQL here.

The catalog file is also what `db upgrade` loads into PostgreSQL (workhistory/data/catalog.py),
so the engine and the `skills` table hold the same ESCO version. Provenance, licences and
ESCO's attribution: data/PROVENANCE.md. Importing this package does not import numpy; the
engine module does, when it is built.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workhistory.skills.engine import SkillEngine, Suggestion

DATA = Path(__file__).resolve().parent / "data"
CATALOG = DATA / "esco_skills_v1.2.0.jsonl.gz"
VECTORS = DATA / "word_vectors.npz"
ESCO_VERSION = "1.2.0"
ATTRIBUTION = "This service uses the ESCO classification of the European Commission."
# Suggestions shown as chips in the form, and returned as JSON (SPEC §9).
CHIPS, JSON_LIMIT = 8, 10


def get_engine() -> SkillEngine:
    """The process-wide engine, built on the first call (lock-protected: built once)."""
    from workhistory.skills.engine import default_engine

    return default_engine()


_warming: tuple[int, threading.Thread] | None = None  # (pid, thread) of this process's build
_warming_lock = threading.Lock()  # threaded servers: two first requests start one build


def warm_in_background() -> threading.Thread:
    """Start building the engine in a thread, once per process, and return the thread. A
    request that needs the engine meanwhile waits for this build (the lock in
    engine.default_engine) rather than starting another. Call it from a process that serves,
    not from one that forks servers (gunicorn --preload's master): a fork during the build
    would copy import and BLAS locks held by a thread the child does not have. Not a daemon:
    an exit during the build waits for it (a few seconds at most) instead of stopping the
    thread inside numpy's C++ code, which aborts the process ("terminate called without an
    active exception", seen when a benchmark exited early)."""
    global _warming
    warming = _warming
    if warming is not None and warming[0] == os.getpid():
        return warming[1]  # every request after the first: no lock taken
    with _warming_lock:
        if _warming is None or _warming[0] != os.getpid():
            thread = threading.Thread(target=get_engine, name="skills-warm")
            thread.start()
            _warming = (os.getpid(), thread)
        return _warming[1]


def suggest(title: str, description: str, exclude=(), limit: int = JSON_LIMIT) -> list[Suggestion]:
    """Catalog skills for this text, best first, none of `exclude` (deterministic: the same
    text always gives the same list; see engine.SkillEngine for the method)."""
    return get_engine().suggest(title, description, exclude=tuple(exclude), limit=limit)
