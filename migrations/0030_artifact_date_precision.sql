-- Dates as people know them (SPEC §10): the day, the month or only the year of the work.
--
-- `artifact_date` keeps its type and rules (SPEC §3); beside it, `artifact_date_precision`
-- says how much of it is known. A month or a year is stored as the first day of that month
-- or year, so every date compares, sorts and filters by year as a plain `date`, and
-- `work_artifacts_owner_page_idx` keeps serving the page order. Every stored row was entered
-- as a full date, so the default 'day' is true of all of them: nothing is rewritten.
ALTER TABLE work_artifacts
  ADD COLUMN artifact_date_precision text NOT NULL DEFAULT 'day'
    CONSTRAINT work_artifacts_date_precision_known
      CHECK (artifact_date_precision IN ('day', 'month', 'year')),
  -- A month is its first day, a year its 1 January; no date, no precision to speak of.
  ADD CONSTRAINT work_artifacts_date_precision_start
    CHECK (CASE artifact_date_precision
             WHEN 'day' THEN true
             WHEN 'month' THEN extract(day FROM artifact_date) = 1
             ELSE extract(month FROM artifact_date) = 1 AND extract(day FROM artifact_date) = 1
           END
           AND (artifact_date IS NOT NULL OR artifact_date_precision = 'day'));

-- Years before 1950 are refused from now on (the issue that asked for this found "0040",
-- one wrong Tab in a three-part date field). NOT VALID on purpose: a migration keeps every
-- stored date, and a row saved before this rule existed must not make `db upgrade` fail.
-- PostgreSQL checks a NOT VALID constraint on every insert and on every update of a row, so
-- such a row keeps its date until its owner edits it, and the edit form then asks for a
-- date from 1950 on (the same rule, `rules.clean_date`). Validating here would fail on such
-- a row, and the migration cannot look first: under forced row-level security its owner
-- role sees no rows. Once none is left, an operator can run
-- `ALTER TABLE work_artifacts VALIDATE CONSTRAINT work_artifacts_date_from_1950`.
ALTER TABLE work_artifacts
  ADD CONSTRAINT work_artifacts_date_from_1950
    CHECK (artifact_date >= DATE '1950-01-01') NOT VALID;

GRANT INSERT (artifact_date_precision), UPDATE (artifact_date_precision)
  ON work_artifacts TO portfolio_app;
