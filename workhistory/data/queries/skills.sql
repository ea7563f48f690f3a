-- name: search
-- Autocomplete (SPEC §9): catalog skills and the workspace's custom skills whose labels hold
-- every word typed, in any order, each as the start of a word of the label, or (a word of five
-- letters or more that begins none) as a slip of one (sharing 40% of its letter pairs or more). Case and
-- accents are folded (skill_fold). Ranked: the exact label first, then labels that start with
-- what was typed, then by how well the words matched, preferred labels before alternative
-- ones, shorter before longer. A skill appears once, under its preferred label, with the label
-- that matched (`matched`). Custom skills come from the artifacts the caller may read (their
-- own and their workspace's team artifacts, under row-level security).
-- The work is bounded by the rarest word typed (the "driver"): its labels are read, and the
-- other words are checked against each of those labels' own words. With one word only, each
-- candidate word contributes its 12 best labels (skill_vocab keeps them best first), which
-- cannot change the top ten of that ranking (a skill may hold two of a word's labels).
-- %(q)s: the text typed; %(short)s: whether it is one or two characters; %(exclude)s: ids or
-- custom labels already chosen; %(limit)s.
WITH q AS (SELECT skill_fold(%(q)s) AS text),
qw AS MATERIALIZED (
  SELECT w.word, w.i::int AS i, char_length(w.word) AS len, skill_grams(w.word) AS grams
    FROM q, unnest(skill_words_of(q.text)) WITH ORDINALITY AS w(word, i)
   WHERE w.i <= 6
),
-- Vocabulary words that each typed word begins: those used by most labels, 300 of them (50
-- for one or two letters: a short prefix stands for many words, and typing more narrows it).
-- `~` sorts after every word character. One or two characters alone are answered by `starts`.
prefixed AS MATERIALIZED (
  SELECT qw.i, v.word, CASE WHEN v.word = qw.word THEN 1.0 ELSE 0.9 END AS quality
    FROM qw CROSS JOIN LATERAL (
      SELECT v.word FROM skill_vocab v
       WHERE v.word >= qw.word AND v.word < qw.word || '~'
       ORDER BY cardinality(v.label_ids) DESC, v.word
       LIMIT CASE WHEN qw.len <= 2 THEN 50 ELSE 300 END) AS v
   WHERE NOT %(short)s
),
-- For a typed word of 5+ letters that begins no word at all (a slip, then), the words that share
-- most of its letter pairs, among similar lengths.
slips AS MATERIALIZED (
  SELECT s.i, s.word, 0.8 * s.jaccard AS quality
    FROM (SELECT qw.i, g.word,
                 count(*)::float8 / (min(cardinality(qw.grams)) + min(g.grams) - count(*))
                   AS jaccard
            FROM qw CROSS JOIN LATERAL unnest(qw.grams) AS qg(gram)
            JOIN skill_word_grams g
              ON g.gram = qg.gram AND g.len BETWEEN qw.len - 2 AND qw.len + 2
           WHERE qw.len >= 5 AND NOT EXISTS (SELECT 1 FROM prefixed p WHERE p.i = qw.i)
           GROUP BY qw.i, g.word) AS s
   WHERE s.jaccard >= 0.4
),
candidates AS MATERIALIZED (
  SELECT c.i, c.word, max(c.quality) AS quality, max(cardinality(v.label_ids)) AS labels
    FROM (SELECT * FROM prefixed UNION ALL SELECT * FROM slips) AS c
    JOIN skill_vocab v ON v.word = c.word
   GROUP BY c.i, c.word
),
driver AS MATERIALIZED (
  SELECT i FROM candidates GROUP BY i ORDER BY sum(labels), i LIMIT 1
),
driven AS (
  SELECT l.label_id, max(c.quality) AS quality
    FROM candidates c JOIN driver d ON d.i = c.i JOIN skill_vocab v ON v.word = c.word,
         unnest(CASE WHEN (SELECT count(*) FROM qw) = 1 THEN v.label_ids[1:12]
                     ELSE v.label_ids END) AS l(label_id)
   GROUP BY l.label_id
),
-- Labels that begin with what was typed (the index on `folded`): all of them for one or two
-- characters, and the first ones for a single word, whose ranking puts them high.
starts AS (
  SELECT l.id AS label_id FROM skill_labels l
   WHERE (%(short)s OR (SELECT count(*) FROM qw) = 1)
     AND l.folded >= skill_fold(%(q)s) AND l.folded < skill_fold(%(q)s) || '~'
   ORDER BY l.folded LIMIT 1000
),
-- The other words typed: each must begin a word of a driven label (a space, then the word, in
-- its `spaced` words) or be one of that word's slips.
others AS MATERIALIZED (
  SELECT qw.i, ' ' || qw.word AS needle,
         coalesce(array_agg(s.word) FILTER (WHERE s.word IS NOT NULL), '{}') AS slips
    FROM qw LEFT JOIN slips s ON s.i = qw.i
   WHERE qw.i <> (SELECT i FROM driver)
   GROUP BY qw.i, qw.word
),
matched AS (
  SELECT d.label_id, d.quality FROM driven d WHERE NOT EXISTS (SELECT 1 FROM others)
  UNION ALL
  SELECT d.label_id, d.quality + (SELECT count(*) FROM qw) - 1 AS quality
    FROM driven d JOIN skill_labels l ON l.id = d.label_id
   WHERE EXISTS (SELECT 1 FROM others)
     AND NOT EXISTS (SELECT 1 FROM others o
                      WHERE strpos(l.spaced, o.needle) = 0 AND NOT (l.words && o.slips))
  UNION ALL
  SELECT label_id, 1.0 FROM starts
),
-- The best 100 labels, then each skill under its best one: the top skills are the skills of
-- the top labels, so the 100 hold the ten asked for (a skill rarely has many labels there).
ranked AS (
  SELECT l.skill_id, l.label, l.preferred, m.quality, char_length(l.label) AS length,
         CASE WHEN l.folded = q.text THEN 0 WHEN starts_with(l.folded, q.text) THEN 1 ELSE 2 END
           AS tier
    FROM matched m JOIN skill_labels l ON l.id = m.label_id, q
   WHERE l.skill_id <> ALL (%(exclude)s::text[])
   ORDER BY tier, m.quality DESC, l.preferred DESC, length, l.skill_id
   LIMIT 100
),
catalog AS (
  SELECT DISTINCT ON (skill_id) skill_id AS id, label AS matched, preferred, tier, quality, length
    FROM ranked
   ORDER BY skill_id, tier, quality DESC, preferred DESC, length
),
custom AS (
  SELECT DISTINCT r.ref AS label
    FROM work_artifacts w CROSS JOIN LATERAL unnest(w.suggested_skill_ids) AS r(ref)
   WHERE w.tenant_id = %(tenant_id)s AND r.ref NOT LIKE 'esco:%%'
     AND r.ref <> ALL (%(exclude)s::text[])
),
custom_matched AS (
  SELECT c.label,
         CASE WHEN skill_fold(c.label) = q.text THEN 0
              WHEN starts_with(skill_fold(c.label), q.text) THEN 1 ELSE 2 END AS tier,
         (SELECT count(*) FROM qw) AS quality
    FROM custom c, q
   WHERE EXISTS (SELECT 1 FROM qw)
     AND NOT EXISTS (SELECT 1 FROM qw
                      WHERE NOT EXISTS (SELECT 1 FROM unnest(skill_words_of(c.label)) AS cw(word)
                                         WHERE starts_with(cw.word, qw.word)))
)
-- The best `limit` first, then their preferred labels (an index look-up for each of those few).
SELECT f.id, coalesce(s.label, f.id) AS label, f.matched, f.custom
  FROM (SELECT id, matched, custom, tier, quality, preferred, length FROM (
          SELECT id, matched, false AS custom, tier, quality, preferred, length FROM catalog
          UNION ALL
          SELECT label, label, true, tier, quality, true, char_length(label) FROM custom_matched
        ) AS found
        ORDER BY tier, quality DESC, preferred DESC, length, custom DESC, id
        LIMIT %(limit)s) AS f
  LEFT JOIN skills s ON s.id = f.id AND NOT f.custom
 ORDER BY f.tier, f.quality DESC, f.preferred DESC, f.length, f.custom DESC, f.id;

-- name: describe
-- What each given value is, in the given order: a catalog id with its preferred label, a value
-- that would become a catalog id on save (a label of one, as skill_refs_resolve() matches it),
-- an esco: value that is not in the catalog (`unknown`), or a custom skill (the value itself).
SELECT r.ref, r.n, coalesce(s.id, l.skill_id, r.ref) AS id,
       coalesce(s.label, ls.label, r.ref) AS label,
       (r.ref ~* '^esco:' AND s.id IS NULL) AS unknown,
       (s.id IS NULL AND l.skill_id IS NULL AND r.ref !~* '^esco:') AS custom
  FROM unnest(%(refs)s::text[]) WITH ORDINALITY AS r(ref, n)
  LEFT JOIN skills s ON s.id = lower(r.ref)
  LEFT JOIN LATERAL (SELECT l.skill_id FROM skill_labels l
                      WHERE r.ref !~* '^esco:' AND l.folded = skill_fold(r.ref)
                      ORDER BY l.preferred DESC, l.skill_id LIMIT 1) AS l ON true
  LEFT JOIN skills ls ON ls.id = l.skill_id
 ORDER BY r.n;

-- name: evidence
-- The caller's own skills ranked by evidence (SPEC §9): how many of their artifacts carry each,
-- those artifacts' hours saved and latest date. Catalog skills by preferred label; custom ones
-- as typed. Served by work_artifacts_owner_page_idx (at most 50 artifacts).
SELECT r.ref AS id, coalesce(s.label, r.ref) AS label, s.id IS NULL AS custom,
       count(*) AS artifacts, coalesce(sum(w.estimated_hours_saved), 0) AS hours_saved,
       max(w.artifact_date) AS latest
  FROM work_artifacts w CROSS JOIN LATERAL unnest(w.suggested_skill_ids) AS r(ref)
  LEFT JOIN skills s ON s.id = r.ref
 WHERE w.tenant_id = %(tenant_id)s AND w.user_id = %(user_id)s
 GROUP BY r.ref, s.id, s.label
 ORDER BY artifacts DESC, hours_saved DESC, latest DESC NULLS LAST, lower(coalesce(s.label, r.ref)),
          r.ref;

-- name: people_with_skill
-- The workspace's members whose `team` artifacts carry skill %(skill)s, with how many of those
-- artifacts and their hours saved and latest date. Private artifacts never count, the viewer's
-- own included. Served by work_artifacts_skill_idx (tenant-prefixed skill keys).
SELECT u.id AS user_id, u.display_name, count(*) AS artifacts,
       coalesce(sum(w.estimated_hours_saved), 0) AS hours_saved, max(w.artifact_date) AS latest
  FROM work_artifacts w
  JOIN users u ON u.tenant_id = w.tenant_id AND u.id = w.user_id
 WHERE w.tenant_id = %(tenant_id)s AND w.visibility = 'team'
   AND artifact_skill_keys(w.tenant_id, w.suggested_skill_ids)
       @> ARRAY[%(tenant_id)s::text || '/' || %(skill)s]
 GROUP BY u.id, u.display_name
 ORDER BY artifacts DESC, hours_saved DESC, lower(u.display_name), u.id;
