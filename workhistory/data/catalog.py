"""Loading the ESCO skills catalog into PostgreSQL: a step of `db upgrade` (SPEC §9).

Migrations stay plain SQL; a 2 MB data file does not belong in one (nor in the migration
checksums), so the runner calls `load_skills(conn)` after the SQL files, on the same connection
and under the same advisory lock (`workhistory.migrate`). Guarantees:

- **Skipped when current**: `reference_data` records the file's SHA-256; the same file again
  changes nothing and takes one query.
- **One transaction**: the catalog, its search tables, the conversion of artifacts and the
  record are committed together or not at all, so a reader sees the old catalog or the new.
- **Nothing lost**: concepts missing from a newer file stay while an artifact still carries
  their id (ESCO rarely withdraws one); artifacts' custom skills that now equal a catalog
  label (preferred or alternative, case and accents ignored) become that skill's id, through
  the same `skill_refs_resolve()` every write goes through (migration 0020); the others stay
  exactly as typed. Converted artifacts get a new version like any update.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import psycopg

from workhistory.skills import CATALOG, ESCO_VERSION

NAME = "skills"
COLUMNS = ("id", "label", "alt_labels", "description", "skill_type")

_STAGE = (
    "CREATE TEMP TABLE catalog_new (id text PRIMARY KEY, label text NOT NULL,"
    " alt_labels text[] NOT NULL, description text NOT NULL, skill_type text NOT NULL)"
    " ON COMMIT DROP"
)
_UPSERT = (
    "INSERT INTO skills AS s (id, label, alt_labels, description, skill_type)"
    " SELECT id, label, alt_labels, description, skill_type FROM catalog_new"
    " ON CONFLICT (id) DO UPDATE SET label = excluded.label, alt_labels = excluded.alt_labels,"
    " description = excluded.description, skill_type = excluded.skill_type"
    " WHERE (s.label, s.alt_labels, s.description, s.skill_type)"
    "   IS DISTINCT FROM (excluded.label, excluded.alt_labels, excluded.description,"
    "                     excluded.skill_type)"
)
# A concept the new file lacks goes, unless an artifact still carries it.
_DROP_WITHDRAWN = (
    "DELETE FROM skills s WHERE NOT EXISTS (SELECT 1 FROM catalog_new n WHERE n.id = s.id)"
    " AND NOT EXISTS (SELECT 1 FROM work_artifacts w WHERE s.id = ANY (w.suggested_skill_ids))"
)
_REBUILD = (
    "TRUNCATE skill_labels, skill_vocab, skill_word_grams",
    "INSERT INTO skill_labels (id, skill_id, label, folded, words, spaced, preferred)"
    " SELECT row_number() OVER (ORDER BY s.id, u.n), s.id, u.label, skill_fold(u.label),"
    " skill_words_of(u.label), ' ' || array_to_string(skill_words_of(u.label), ' '), u.n = 1"
    " FROM skills s, unnest(array_prepend(s.label, s.alt_labels)) WITH ORDINALITY AS u(label, n)"
    # One or two letters in lower case are fragments of a label split by a heuristic ("a",
    # "re"), not names of a skill; in capitals they are (HR, IT, UX, R).
    " WHERE u.label <> '' AND (u.n = 1 OR char_length(u.label) > 2 OR u.label = upper(u.label))",
    "INSERT INTO skill_vocab (word, label_ids)"
    " SELECT w.word, array_agg(l.id ORDER BY l.preferred DESC, char_length(l.label), l.id)"
    " FROM skill_labels l, LATERAL (SELECT DISTINCT word FROM unnest(l.words) AS u(word)) AS w"
    " GROUP BY w.word",
    "INSERT INTO skill_word_grams (gram, len, word, grams)"
    " SELECT g.gram, char_length(v.word), v.word, cardinality(skill_grams(v.word))"
    " FROM skill_vocab v, unnest(skill_grams(v.word)) AS g(gram)",
)
# Forced row-level security hides every artifact from the owner (the withdrawn-concept check
# and the conversion read them), so it is lifted for this transaction only, as in migration
# 0012: ALTER TABLE holds its lock until COMMIT, when FORCE is back. Custom skills that now
# name a catalog skill become its id (the trigger of migration 0020 would resolve them too;
# calling the function keeps the statement explicit).
_UNFORCE = "ALTER TABLE work_artifacts NO FORCE ROW LEVEL SECURITY"
_CONVERT = (
    "UPDATE work_artifacts SET suggested_skill_ids = skill_refs_resolve(suggested_skill_ids)"
    " WHERE suggested_skill_ids IS DISTINCT FROM skill_refs_resolve(suggested_skill_ids)",
    "ALTER TABLE work_artifacts FORCE ROW LEVEL SECURITY",
)
_RECORD = (
    "INSERT INTO reference_data (name, version, checksum, rows) VALUES (%s, %s, %s, %s)"
    " ON CONFLICT (name) DO UPDATE SET version = excluded.version,"
    " checksum = excluded.checksum, rows = excluded.rows, loaded_at = now()"
)


def checksum(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def records(path: Path = CATALOG):
    """The catalog file's concepts as tuples in `COLUMNS` order (JSON lines, gzipped)."""
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                r = json.loads(line)
                yield (r["id"], r["label"], r["alt_labels"], r["description"], r["skill_type"])


def load_skills(conn: psycopg.Connection, path: Path = CATALOG,
                version: str = ESCO_VERSION) -> int | None:
    """Load the catalog file into `skills` and its search tables on `conn` (an autocommit
    connection of the schema's owner, as the migration runner holds it); return the number of
    concepts loaded, or None when the stored checksum says this file is already loaded (or
    the schema has no catalog tables yet).
    Raises psycopg errors as they come (the runner reports them)."""
    if conn.execute("SELECT to_regclass('public.reference_data')").fetchone()[0] is None:
        return None  # migrations that predate the catalog (a partial directory, in tests)
    digest = checksum(path)
    stored = conn.execute("SELECT checksum FROM reference_data WHERE name = %s",
                          (NAME,)).fetchone()
    if stored is not None and stored[0] == digest:
        return None
    with conn.transaction():
        conn.execute(_STAGE)
        with conn.cursor().copy(
                f"COPY catalog_new ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            copy.set_types(["text", "text", "text[]", "text", "text"])
            for record in records(path):
                copy.write_row(record)
        rows = conn.execute("SELECT count(*) FROM catalog_new").fetchone()[0]
        for statement in (_UPSERT, _UNFORCE, _DROP_WITHDRAWN, *_REBUILD, *_CONVERT):
            conn.execute(statement)
        conn.execute(_RECORD, (NAME, version, digest, rows))
        for table in ("skills", "skill_labels", "skill_vocab", "skill_word_grams"):
            conn.execute(f"ANALYZE {table}")
    return rows
