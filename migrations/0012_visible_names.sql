-- Names and titles hold no invisible tricks (SPEC §7): no control characters (Unicode Cc), no
-- bidi controls, no zero-width characters other than ZWJ/ZWNJ, and at least one visible
-- character. Links hold no backslash (browsers read it as "/", so `https://evil.com\.good.com/`
-- opens evil.com), no whitespace and no invisible characters. The forms refuse more than this
-- (workhistory/web/rules.py judges by Unicode category); these are the database's backstop,
-- written with explicit code points so that they mean the same under every locale.

-- Characters a name, title or link never holds: C0 and C1 controls and DEL, soft hyphen,
-- Arabic letter mark, Mongolian vowel separator, zero width space, LRM/RLM, the bidi
-- embeddings and overrides, word joiner and invisible operators, the bidi isolates and the
-- deprecated format controls, BOM, interlinear annotation marks. (ZWNJ U+200C and ZWJ U+200D
-- are absent on purpose: scripts and emoji sequences need them.)
CREATE FUNCTION text_has_hidden(t text) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS $$
    SELECT t ~ '[\x01-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]'
  $$;

-- True when `t` has a character that is neither whitespace nor invisible (the above, ZWJ,
-- ZWNJ, variation selectors, the combining grapheme joiner, Hangul and braille fillers).
CREATE FUNCTION text_has_visible(t text) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS $$
    SELECT t ~ '[^\x01-\x20\x7f-\xa0\u00ad\u034f\u061c\u115f\u1160\u1680\u180b-\u180f\u2000-\u200f\u2028-\u202f\u205f-\u206f\u2800\u3000\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb]'
  $$;

-- What a link may not hold besides the hidden characters: a backslash or any whitespace.
CREATE FUNCTION url_is_plain(u text) RETURNS boolean
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
  AS $$
    SELECT NOT public.text_has_hidden(u)
       AND u !~ '[\\\x20\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]'
  $$;

-- Existing rows are brought into line first, so that the constraints below are validated
-- rather than left NOT VALID: control characters in names and titles become spaces (a line
-- break in a title was the likely one), the other hidden characters are removed (a name
-- left with nothing visible gets a neutral placeholder), and a link that a browser would
-- read differently from how it was shown is removed (kept, it would keep misleading).
-- Forced row-level security hides every row from the owner, so it is lifted for this
-- transaction only: the table is locked by ALTER TABLE until the commit, when it is forced
-- again, so no other session ever sees the table unforced.
ALTER TABLE tenants NO FORCE ROW LEVEL SECURITY;
ALTER TABLE users NO FORCE ROW LEVEL SECURITY;
ALTER TABLE work_artifacts NO FORCE ROW LEVEL SECURITY;

-- A cleaned value, or `fallback` when nothing visible is left (one UPDATE per column, so no
-- row ever passes through an empty value that the length checks would refuse).
CREATE FUNCTION pg_temp.cleaned(t text, fallback text) RETURNS text
  LANGUAGE sql IMMUTABLE
  AS $$
    SELECT CASE WHEN public.text_has_visible(c) THEN c ELSE fallback END
      FROM (SELECT btrim(regexp_replace(regexp_replace(t, '[\x01-\x1f\x7f-\x9f]', ' ', 'g'),
                   '[\u00ad\u061c\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]', '', 'g'),
                   E' \t\r\n\f\x0B') AS c) AS x
  $$;

UPDATE tenants SET name = pg_temp.cleaned(name, 'Unnamed workspace')
 WHERE text_has_hidden(name) OR NOT text_has_visible(name);
UPDATE users SET display_name = pg_temp.cleaned(display_name, 'Unnamed member')
 WHERE text_has_hidden(display_name) OR NOT text_has_visible(display_name);
UPDATE work_artifacts SET title = pg_temp.cleaned(title, 'Untitled artifact')
 WHERE text_has_hidden(title) OR NOT text_has_visible(title);
UPDATE work_artifacts SET source_url = NULL WHERE NOT url_is_plain(source_url);
DROP FUNCTION pg_temp.cleaned(text, text);

ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
ALTER TABLE work_artifacts FORCE ROW LEVEL SECURITY;

ALTER TABLE tenants ADD CONSTRAINT tenants_name_visible
  CHECK (NOT text_has_hidden(name) AND text_has_visible(name));
ALTER TABLE users ADD CONSTRAINT users_display_name_visible
  CHECK (NOT text_has_hidden(display_name) AND text_has_visible(display_name));
ALTER TABLE work_artifacts ADD CONSTRAINT work_artifacts_title_visible
  CHECK (NOT text_has_hidden(title) AND text_has_visible(title));
ALTER TABLE work_artifacts ADD CONSTRAINT work_artifacts_source_url_plain
  CHECK (url_is_plain(source_url));
