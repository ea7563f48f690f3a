"""Reading an import file (SPEC §12): the export's own two formats, back into form fields.

A file is what `GET /portfolio/artifacts.json` or `GET /portfolio/artifacts.csv` gave: the JSON
object `{"artifacts": [...], "limit": 50}`, or the CSV with a header row of the export's
columns, at most `FILE_MAX` bytes of UTF-8. Each artifact becomes the form fields it fills,
as the texts an artifact form would send, so every row meets the form's own rules
(`forms.import_values`) and an exported file comes back as the same artifacts:

- the export's bookkeeping (`IGNORED`: ids, owner, version, times) is read past: the new
  artifacts get their own;
- a CSV cell the export prefixed with `'` (it would start a spreadsheet formula) loses that
  one `'`; a cell that starts a formula WITHOUT it did not come from the export and is refused;
- hours are read as the export writes them (JSON numbers; in CSV Python's float text, which
  can be `1e-07`) and handed to the form as the form writes them (`rules.format_hours`).

`read_upload` raises `FileRefused` (a `ValueError` with an HTTP status) for the file as a whole;
what is wrong with one row is listed in that row's `problems`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import PurePath

from workhistory.data.artifacts import LIMIT
from workhistory.web.csv_export import COLUMNS, FORMULA_STARTS
from workhistory.web.rules import format_hours

FILE_MAX = 1024 * 1024
IGNORED = frozenset({"id", "tenant_id", "user_id", "version", "created_at", "updated_at"})
FIELDS = tuple(name for name in COLUMNS if name not in IGNORED)
_TEXT = frozenset({"title", "description", "artifact_type", "visibility"})
_NULLABLE_TEXT = frozenset({"artifact_date", "source_url"})
# How Python writes a float (the CSV export's hours), exponent included.
_FLOAT_TEXT = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:e[-+]?[0-9]+)?")
KINDS = {".csv": "csv", ".json": "json"}
_STARTS = {"\t": "a tab", "\r": "a line break"}


class FileRefused(ValueError):
    """The file as a whole cannot be imported; `status` is the HTTP answer (413, 415, 422)."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


@dataclass
class Row:
    """One artifact of the file: its number (1 for the first), the form fields it fills and
    what reading it found wrong (the form's own rules are checked later)."""

    number: int
    fields: dict[str, list[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Upload:
    filename: str
    kind: str
    rows: list[Row]


def read_upload(storage) -> Upload:
    """Read an uploaded file (a werkzeug `FileStorage`, or "" when none was sent) into rows.
    Raises `FileRefused` when there is no file, it is over `FILE_MAX` (413), not a .csv or
    .json text file (415), malformed, empty or over the limit of artifacts (422)."""
    filename = PurePath(getattr(storage, "filename", None) or "").name
    if not filename:
        raise FileRefused("Choose a CSV or JSON file to import.")
    kind = KINDS.get(PurePath(filename).suffix.lower())
    if kind is None:
        raise FileRefused("Only .csv and .json files can be imported: the files that Export"
                          " CSV and Export JSON give.", 415)
    data = storage.stream.read(FILE_MAX + 1)
    if len(data) > FILE_MAX:
        raise FileRefused("The file is larger than 1 MiB, so nothing was imported.", 413)
    try:
        text = data.decode("utf-8-sig")  # a BOM, as spreadsheets save one, is not content
    except UnicodeDecodeError:
        raise FileRefused("This file is not UTF-8 text (is it a spreadsheet or another"
                          " binary file?). Export it as CSV (UTF-8) and try again.", 415) from None
    if "\x00" in text:
        raise FileRefused("This file holds binary data, not text. Import a CSV or JSON"
                          " export.", 415)
    rows = _json_rows(text) if kind == "json" else _csv_rows(text)
    if not rows:
        raise FileRefused("The file holds no artifacts.")
    if len(rows) > LIMIT:  # the readers stop at LIMIT + 1
        raise FileRefused(f"The file holds more than {LIMIT} artifacts, and a portfolio holds"
                          f" at most {LIMIT}. Split it, or remove some rows.")
    return Upload(filename, kind, rows)


# --- JSON -------------------------------------------------------------------------------------
def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def _json_rows(text: str) -> list[Row]:
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise FileRefused("This is not valid JSON (it may be cut short). Import the file"
                          " Export JSON gave, unchanged.") from None
    items = document.get("artifacts") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise FileRefused("This JSON file is not an export of this app: it has no"
                          " “artifacts” list.")
    return [_json_row(number, item) for number, item in enumerate(items[:LIMIT + 1], 1)]


def _json_row(number: int, item) -> Row:
    row = Row(number)
    if not isinstance(item, dict):
        row.problems.append("This entry is not an artifact (a JSON object).")
        return row
    for name, value in item.items():
        if name in IGNORED:
            continue
        if name not in FIELDS:
            row.problems.append(f"Unknown field “{name}”.")
            continue
        texts = _json_texts(name, value)
        if texts is None:
            row.problems.append(f"“{name}” has a value of the wrong kind.")
        elif texts:
            row.fields[name] = texts
    return row


def _json_texts(name: str, value) -> list[str] | None:
    """The texts a form would send for this JSON value, or None when its kind is wrong."""
    if name in _TEXT:
        return [value] if isinstance(value, str) else None
    if name in _NULLABLE_TEXT:
        return [value or ""] if value is None or isinstance(value, str) else None
    if name == "estimated_hours_saved":
        if value is None or isinstance(value, str):
            return [value or ""]
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        try:
            hours = float(value)
        except OverflowError:
            hours = math.inf
        return [format_hours(hours) if math.isfinite(hours) else "inf"]
    # suggested_skill_ids: a list of texts (none: nothing to send, the default applies)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


# --- CSV --------------------------------------------------------------------------------------
def _csv_rows(text: str) -> list[Row]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if not header:
            raise FileRefused("The file is empty.")
        _check_header(header)
        rows = []
        for cells in reader:
            if cells:  # a blank line is no artifact
                rows.append(_csv_row(len(rows) + 1, header, cells))
            if len(rows) > LIMIT:
                break
    except csv.Error as exc:
        raise FileRefused(f"This CSV file is malformed near line {reader.line_num} ({exc}):"
                          " it may be cut short. Import the file Export CSV gave,"
                          " unchanged.") from None
    return rows


def _check_header(header: list[str]) -> None:
    unknown = [name for name in header if name not in COLUMNS]
    if unknown or len(set(header)) != len(header) or "title" not in header:
        shown = ", ".join(f"“{name}”" for name in unknown[:5]) or "a repeated column"
        raise FileRefused(
            f"The first row must name the export's columns ({', '.join(COLUMNS)}), with"
            f" at least “title”; this file has {shown}. Import the file Export CSV gave.")


def _csv_row(number: int, header: list[str], cells: list[str]) -> Row:
    row = Row(number)
    if len(cells) != len(header):
        row.problems.append(f"This row has {len(cells)} cells where the header names"
                            f" {len(header)} columns: the file may be cut short.")
        return row
    for name, cell in zip(header, cells, strict=True):
        if name in IGNORED:
            continue
        if cell.startswith("'") and cell.lstrip("'").startswith(FORMULA_STARTS):
            cell = cell[1:]  # the export's guard (csv_export.neutralise), taken off
        elif cell.startswith(FORMULA_STARTS):
            start = _STARTS.get(cell[0], f"“{cell[0]}”")
            row.problems.append(f"The “{name}” cell starts with {start}, which spreadsheets"
                                " run as a formula. Put a ' before it to keep it as text (the"
                                " export does).")
            continue
        if name == "estimated_hours_saved" and "e" in cell and _FLOAT_TEXT.fullmatch(cell):
            cell = format_hours(float(cell))
        if name == "suggested_skill_ids" and not cell:
            continue  # no skills: nothing to send, as a form with none
        row.fields[name] = [cell]
    return row
