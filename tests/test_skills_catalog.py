"""The skills catalog in PostgreSQL (SPEC §9): loaded by `db upgrade`, read-only for the
runtime role, and the rule that every write resolves an artifact's skills against it; the
conversion of values stored before the catalog existed, with nothing lost."""

from __future__ import annotations

import gzip
import json
import unicodedata
import uuid

import psycopg
import pytest
from psycopg import errors as pg_errors

from tests.support import PYTHON, SQL, STATISTICS, actor_of, make_artifact
from workhistory import migrate, roles
from workhistory.data import accounts, artifacts, catalog
from workhistory.data.db import Database
from workhistory.data.errors import InvalidData

CATALOG_TABLES = ("skills", "skill_labels", "skill_vocab", "skill_word_grams", "reference_data")
CONCEPTS = 13_939  # ESCO v1.2.0's skills pillar


def test_the_catalog_is_loaded_with_its_checksum(admin):
    assert admin.execute("SELECT count(*) AS n FROM skills").fetchone()["n"] == CONCEPTS
    types = {r["skill_type"]: r["n"] for r in admin.execute(
        "SELECT skill_type, count(*) AS n FROM skills GROUP BY 1")}
    assert types == {"skill/competence": 10_715, "knowledge": 3_224}
    record = admin.execute("SELECT * FROM reference_data WHERE name = 'skills'").fetchone()
    assert record["checksum"] == catalog.checksum(catalog.CATALOG)
    assert (record["version"], record["rows"]) == ("1.2.0", CONCEPTS)
    row = admin.execute("SELECT * FROM skills WHERE id = %s", (SQL,)).fetchone()
    assert row["label"] == "SQL" and row["skill_type"] == "knowledge"
    assert "SEQUEL" in row["alt_labels"]


def test_every_label_is_searchable(admin):
    counts = admin.execute(
        "SELECT (SELECT count(*) FROM skill_labels WHERE preferred) AS preferred,"
        " (SELECT count(*) FROM skill_labels WHERE NOT preferred) AS alternative,"
        " (SELECT sum(cardinality(alt_labels)) FROM skills) AS alt_in_catalog").fetchone()
    assert counts["preferred"] == CONCEPTS
    # All alternative labels but the lower-case fragments of one or two letters.
    assert 85_000 < counts["alternative"] <= counts["alt_in_catalog"]


def test_the_file_and_the_table_hold_the_same_concepts(admin):
    stored = {r["id"]: r["label"] for r in admin.execute("SELECT id, label FROM skills")}
    shipped = {r[0]: r[1] for r in catalog.records()}
    assert stored == shipped


@pytest.mark.parametrize("table", CATALOG_TABLES)
def test_the_runtime_role_may_only_read_the_catalog(admin, table):
    privileges = admin.execute(
        "SELECT p FROM unnest(ARRAY['SELECT','INSERT','UPDATE','DELETE','TRUNCATE',"
        "'REFERENCES','TRIGGER']) AS p WHERE has_table_privilege('portfolio_app', %s, p)",
        (f"public.{table}",)).fetchall()
    assert [r["p"] for r in privileges] == ["SELECT"]


@pytest.mark.parametrize("statement", [
    "INSERT INTO skills (id, label, skill_type) VALUES"
    " ('esco:00000000-0000-0000-0000-000000000000', 'x', 'knowledge')",
    f"UPDATE skills SET label = 'hacked' WHERE id = '{SQL}'",  # noqa: S608
    f"DELETE FROM skills WHERE id = '{SQL}'",  # noqa: S608
    "UPDATE skill_labels SET skill_id = skill_id",
    "DELETE FROM reference_data",
    "TRUNCATE skill_vocab",
])
def test_writing_the_catalog_as_the_runtime_role_is_refused(db, owner, admin, statement):
    with pytest.raises(pg_errors.InsufficientPrivilege), db.pool.connection() as conn:
        conn.execute("SELECT set_config('role', 'portfolio_app', true)")
        conn.execute(statement)
    assert admin.execute("SELECT label FROM skills WHERE id = %s", (SQL,)).fetchone() == {
        "label": "SQL"}


def test_the_runtime_role_reads_the_catalog(db, owner):
    with db.transaction(actor_of(owner)) as conn:
        (n,) = conn.execute("SELECT count(*) FROM skills").fetchone().values()
    assert n == CONCEPTS


def test_loading_the_same_file_again_changes_nothing(owner_url, admin):
    before = admin.execute("SELECT loaded_at FROM reference_data").fetchone()
    with psycopg.connect(owner_url, autocommit=True) as conn:
        assert catalog.load_skills(conn) is None
    assert admin.execute("SELECT loaded_at FROM reference_data").fetchone() == before


# --- Writes resolve skills against the catalog --------------------------------------------

def test_names_become_catalog_ids_and_the_rest_is_kept_as_typed(db, owner):
    entry = make_artifact(db, owner, suggested_skill_ids=[
        "sql", "Looker", "  python  ".strip(), "STATISTICS", "cohort analysis"])
    assert entry.suggested_skill_ids == [SQL, "Looker", PYTHON, STATISTICS, "cohort analysis"]
    assert entry.skill_labels == ("SQL", "Looker", "Python (computer programming)",
                                  "statistics", "cohort analysis")


def test_two_names_of_one_skill_become_one(db, owner):
    entry = make_artifact(db, owner, suggested_skill_ids=[
        "SQL", "sequel", SQL])
    assert entry.suggested_skill_ids == [SQL]


def test_accents_and_case_are_ignored_when_resolving(db, owner, admin):
    canapes = admin.execute("SELECT id FROM skills WHERE label = 'prepare canapés'").fetchone()
    entry = make_artifact(db, owner, suggested_skill_ids=["PREPARE CANAPES"])
    assert entry.suggested_skill_ids == [canapes["id"]]


def test_a_catalog_id_in_upper_case_is_that_id(db, owner):
    entry = make_artifact(db, owner, suggested_skill_ids=[SQL.upper().replace("ESCO", "Esco")])
    assert entry.suggested_skill_ids == [SQL]


@pytest.mark.parametrize("value", [
    "esco:00000000-0000-0000-0000-000000000000", "esco:not-a-uuid", "ESCO:", "esco:" + "f" * 36,
])
def test_an_unknown_catalog_id_is_refused_by_the_database(db, owner, admin, value):
    with pytest.raises(InvalidData) as refused:
        make_artifact(db, owner, suggested_skill_ids=["sql", value])
    assert refused.value.constraint == "work_artifacts_skill_ids_known"
    assert refused.value.field == "suggested_skill_ids"
    assert value in refused.value.public_message
    entry = make_artifact(db, owner, title="Fine")
    with pytest.raises(InvalidData):
        artifacts.update_artifact(db, actor_of(owner), entry.id, {"suggested_skill_ids": [value]})
    assert admin.execute("SELECT suggested_skill_ids FROM work_artifacts WHERE id = %s",
                         (entry.id,)).fetchone()["suggested_skill_ids"] == []


def test_the_database_refuses_an_unknown_id_on_every_path(admin, owner):
    """Even a superuser's own INSERT (no app code at all) goes through the rule."""
    with pytest.raises(pg_errors.CheckViolation, match="unknown catalog skill"):
        admin.execute(
            "INSERT INTO work_artifacts (tenant_id, user_id, title, suggested_skill_ids)"
            " VALUES (%s, %s, 'x', ARRAY['esco:00000000-0000-0000-0000-000000000000'])",
            (owner.tenant_id, owner.user_id))


# --- Values stored before the catalog existed -------------------------------------------

BEFORE = [
    ["sql", "Statistics", "cohort analysis"],  # two names, one custom
    ["Python", "python (computer programming)"],  # two names of one skill: merged
    ["Looker", "dbt", "churn modelling"],  # all custom: untouched
    ["Sequel", "résumé writing", "Prepare Canapés"],
    [],
]


@pytest.fixture
def uncatalogued(pg_server, deploy_roles):
    """A database migrated by the owner with the SQL migrations only (no catalog yet), as a
    deployment from before this release was; yields (owner URL, runtime URL)."""
    owner, runtime = deploy_roles
    name = f"portfolio_skills_{uuid.uuid4().hex[:10]}"
    roles.create_database(pg_server, owner, name)
    owner_url = roles.url_for(pg_server, user=owner, dbname=name)
    assert migrate.upgrade(owner_url, data=False)[-1].endswith(".sql")
    yield owner_url, roles.url_for(pg_server, user=runtime, dbname=name)
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _labels_by_id(conn) -> dict[str, set[str]]:
    labels: dict[str, set[str]] = {}
    for skill_id, label in conn.execute("SELECT skill_id, label FROM skill_labels"):
        labels.setdefault(skill_id, set()).add(label.casefold())
    return labels


def test_stored_values_become_ids_and_nothing_is_lost(uncatalogued):
    owner_url, runtime_url = uncatalogued
    db = Database(runtime_url, max_size=2)
    db.open()
    try:
        user = accounts.create_workspace(db, "Before", f"b-{uuid.uuid4().hex[:8]}@example.com",
                                         "Bea Fore", "correct horse battery")
        stored = [make_artifact(db, user, title=f"Old {i}", suggested_skill_ids=values)
                  for i, values in enumerate(BEFORE)]
        # With an empty catalog nothing resolves: everything was kept as typed.
        assert [e.suggested_skill_ids for e in stored] == BEFORE
        assert migrate.upgrade(owner_url) == [f"data: {catalog.CATALOG.name}"]
        after = {e.id: e for e in artifacts.list_artifacts(db, user.actor).entries}
    finally:
        db.close()
    with psycopg.connect(owner_url) as conn:
        labels = _labels_by_id(conn)
    every_name = set().union(*labels.values())
    for old in stored:
        new = after[old.id]
        for value in old.suggested_skill_ids:
            if value in new.suggested_skill_ids:  # kept as typed: it names no catalog skill
                assert not _same_name(value, every_name), value
            else:  # became the id of a skill that it names
                assert any(_same_name(value, labels[i]) for i in new.suggested_skill_ids
                           if i.startswith("esco:")), (value, new.suggested_skill_ids)
        for value in new.suggested_skill_ids:  # and nothing else appeared
            assert value in old.suggested_skill_ids or any(
                _same_name(v, labels[value]) for v in old.suggested_skill_ids), value
        converted = new.suggested_skill_ids != old.suggested_skill_ids
        assert new.version == old.version + (1 if converted else 0)
    assert after[stored[0].id].suggested_skill_ids == [SQL, STATISTICS, "cohort analysis"]
    assert after[stored[1].id].suggested_skill_ids == [PYTHON]
    assert after[stored[2].id].suggested_skill_ids == ["Looker", "dbt", "churn modelling"]
    assert after[stored[3].id].suggested_skill_ids[0] == SQL
    assert after[stored[3].id].suggested_skill_ids[1] == "résumé writing"
    assert after[stored[4].id].suggested_skill_ids == []


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _same_name(value: str, names: set[str]) -> bool:
    return _fold(value) in {_fold(n) for n in names}


def test_a_newer_catalog_keeps_the_concepts_artifacts_still_carry(uncatalogued, tmp_path):
    """A concept a later file withdraws goes, unless an artifact carries it."""
    owner_url, runtime_url = uncatalogued
    records = [dict(zip(catalog.COLUMNS, r, strict=True)) for r in catalog.records()]
    carried, unused = SQL, next(r["id"] for r in records if r["id"] not in (SQL,))
    smaller = tmp_path / "esco_smaller.jsonl.gz"
    with gzip.open(smaller, "wt", encoding="utf-8") as out:
        for r in records:
            if r["id"] not in (carried, unused):
                out.write(json.dumps(r) + "\n")
    with psycopg.connect(owner_url, autocommit=True) as conn:
        assert catalog.load_skills(conn) == CONCEPTS
    db = Database(runtime_url, max_size=2)
    db.open()
    try:
        user = accounts.create_workspace(db, "Later", f"l-{uuid.uuid4().hex[:8]}@example.com",
                                         "Lee Ater", "correct horse battery")
        make_artifact(db, user, suggested_skill_ids=[carried])
    finally:
        db.close()
    with psycopg.connect(owner_url, autocommit=True) as conn:
        assert catalog.load_skills(conn, smaller, "test") == CONCEPTS - 2
        left = {r[0] for r in conn.execute("SELECT id FROM skills WHERE id IN (%s, %s)",
                                           (carried, unused))}
        assert left == {carried}
        assert conn.execute("SELECT version FROM reference_data").fetchone() == ("test",)
