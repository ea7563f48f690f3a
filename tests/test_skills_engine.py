"""The suggestion engine's stated guarantees (workhistory/skills/engine.py), on the real
catalog and word-vector files it ships with: size, shape and range, determinism (also across
two separately built engines), ties, exclusion and limits, title and description read as one
text, aliases, the lexical engine, and thread safety."""

from __future__ import annotations

import itertools
import threading

import pytest

from workhistory.skills import CATALOG, VECTORS, get_engine
from workhistory.skills.engine import SkillEngine

TEXTS = [
    "Built the monthly sales dashboard in Tableau and Power BI",
    "Migrated our services to Kubernetes on AWS",
    "Managed a team of five nurses on the night shift",
    "Fluent in written and spoken English; good communication skills",
    "Résumé: développé une application en Python et SQL",
    "",
    "!!! ???",
]


@pytest.fixture(scope="module")
def engine() -> SkillEngine:
    return get_engine()  # the process's engine, as the app uses it


def test_catalog_size(engine: SkillEngine) -> None:
    assert engine.n == 13939
    assert all(i.startswith("esco:") and len(i) == 41 for i in engine.ids)
    assert len(set(engine.ids)) == engine.n


@pytest.mark.parametrize("text", TEXTS)
def test_shape_and_range(engine: SkillEngine, text: str) -> None:
    out = engine.suggest(text, "", limit=10)
    assert len(out) <= 10
    assert [s.score for s in out] == sorted((s.score for s in out), reverse=True)
    ids = set(engine.ids)
    for s in out:
        assert s.id in ids and 0.0 <= s.score <= 1.0 and s.label


def test_empty_text_gives_nothing(engine: SkillEngine) -> None:
    assert engine.suggest("", "") == []
    assert engine.suggest("   ", "...") == []


def test_the_process_engine_is_built_once(engine: SkillEngine) -> None:
    assert get_engine() is engine


def test_deterministic(engine: SkillEngine) -> None:
    for t in TEXTS:
        assert engine.suggest(t) == engine.suggest(t)
    other = SkillEngine.from_files(CATALOG, VECTORS)
    for t in TEXTS:
        assert other.suggest(t) == engine.suggest(t)


def test_ties_broken_by_id(engine: SkillEngine) -> None:
    out = engine.suggest("Danish Swedish Norwegian", limit=10)
    for a, b in itertools.pairwise(out):
        assert a.score > b.score or (a.score == b.score and a.id < b.id)


def test_exclude_and_limit(engine: SkillEngine) -> None:
    full = engine.suggest(TEXTS[0], limit=10)
    ex = [full[0].id, full[2].id]
    out = engine.suggest(TEXTS[0], exclude=ex, limit=10)
    assert not set(ex) & {s.id for s in out}
    assert [s.id for s in out][:3] == [full[1].id, full[3].id, full[4].id]
    assert len(engine.suggest(TEXTS[0], limit=3)) == 3
    assert engine.suggest(TEXTS[0], limit=0) == []
    assert engine.suggest(TEXTS[0], exclude=["esco:not-a-real-id"]) == full


def test_title_and_description_read_as_one_text(engine: SkillEngine) -> None:
    assert engine.suggest("", TEXTS[1]) == engine.suggest(TEXTS[1])


def test_aliases_reach_esco_concepts(engine: SkillEngine) -> None:
    labels = [s.label for s in engine.suggest("dashboards in Tableau", limit=3)]
    assert "data visualisation software" in labels


def test_lexical_engine_without_vectors() -> None:
    lex = SkillEngine.from_files(CATALOG, None)
    out = lex.suggest("Experience with Java and SQL")
    assert {"Java (computer programming)", "SQL"} <= {s.label for s in out[:5]}


def test_thread_safety(engine: SkillEngine) -> None:
    expected = {t: engine.suggest(t) for t in TEXTS}
    errors: list[str] = []

    def worker() -> None:
        for _ in range(20):
            for t in TEXTS:
                if engine.suggest(t) != expected[t]:
                    errors.append(t)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
