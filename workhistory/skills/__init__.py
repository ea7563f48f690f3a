"""Skill suggestions from text against the ESCO catalog: pure Python, numpy and PyStemmer.

`get_engine()` is the process's one `SkillEngine` (engine.py), built on first use from the files in
`data/` (about two seconds and 50 MiB) and shared by every thread: not at import and not in
`create_app` (tests build many apps; a worker that never suggests never pays for it). The
engine is immutable once built, so `suggest()` needs no lock. No Flask and no SQL here.

The catalog file is also what `db upgrade` loads into PostgreSQL (workhistory/data/catalog.py),
so the engine and the `skills` table hold the same ESCO version. Provenance, licences and
ESCO's attribution: data/PROVENANCE.md. Importing this package does not import numpy; the
engine module does, on first use.
"""

from __future__ import annotations

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


def suggest(title: str, description: str, exclude=(), limit: int = JSON_LIMIT) -> list[Suggestion]:
    """Catalog skills for this text, best first, none of `exclude` (deterministic: the same
    text always gives the same list; see engine.SkillEngine for the method)."""
    return get_engine().suggest(title, description, exclude=tuple(exclude), limit=limit)
