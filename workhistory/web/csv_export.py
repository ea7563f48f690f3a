"""CSV export of artifacts: a pure function from entries to text, no I/O.

Guarantees of `artifacts_csv`:
- One header row (the keys of `WorkArtifactEntry.to_dict()`, `EXPORT_KEYS`, in that order),
  then one row per entry in the order given, with the same values as the JSON export: ISO
  8601 dates (at their precision: `2019-03-14`, `2019-03`, `2019`) and times, empty cells
  for nulls, skill ids joined by ", " (the artifact form's own input format: it splits on
  commas and line breaks, so no id entered through the app holds one), and `skills`, the
  same skills by label, joined by "; " (a catalog label may hold a comma; none holds a
  semicolon).
- RFC 4180: fields quoted when they hold a comma, quote or line break, quotes doubled, every
  line ended by CRLF (the `csv` module with `lineterminator="\\r\\n"`).
- No formula injection: a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage
  return gets a leading `'`, so spreadsheets show it as text instead of evaluating it. So
  does one that starts with `'`s before such a character, so the import (`web/imports.py`)
  can take exactly one `'` off and give back every cell as it was.
The caller encodes the text as UTF-8.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from workhistory.data.artifacts import EXPORT_KEYS, WorkArtifactEntry

COLUMNS = EXPORT_KEYS
# What spreadsheets (Excel, LibreOffice, Google Sheets) treat as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SKILL_SEPARATOR = ", "
LABEL_SEPARATOR = "; "


def neutralise(cell: str) -> str:
    """Return `cell` prefixed with `'` if a spreadsheet would read it as a formula, or if it
    is such a cell behind `'`s already (so that taking one `'` off always restores it)."""
    return "'" + cell if cell.lstrip("'").startswith(FORMULA_STARTS) else cell


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = (LABEL_SEPARATOR.join(skill["label"] for skill in value)
                 if value and isinstance(value[0], dict) else SKILL_SEPARATOR.join(value))
    return neutralise(str(value))


def artifacts_csv(entries: Iterable[WorkArtifactEntry]) -> str:
    """Return the entries as CSV text: a header row, then one row per entry."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for entry in entries:
        data = entry.to_dict()
        writer.writerow([_cell(data[name]) for name in COLUMNS])
    return out.getvalue()
