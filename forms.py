"""The artifact form: the only place the input rules of SPEC §3 live on the Python side.

`ArtifactForm` keeps every submitted value as the raw string the user typed (so a re-rendered
form shows their input unchanged) and, once `validate()` passes, holds in `changes` the cleaned
column values for `artifacts.create_artifact` / `artifacts.update_artifact`.

Update semantics are partial: a field absent from the submission is neither validated nor
changed; a field present but empty clears an optional value (None, '' for the description,
[] for the skill ids) and is an error for the title, the type and the visibility. On create an
absent title is an error and other absent fields take the database defaults.

The database enforces the same rules as CHECK constraints; these checks exist to give the user
a message beside the field instead of a generic refusal.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField

from artifacts import TYPES, VISIBILITIES, WorkArtifactEntry

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
URL_MAX = 2048
HOURS_MAX = 100_000
SKILLS_MAX = 20
SKILL_ID_MAX = 64
VERSION_MAX = 2**31 - 1  # the column is a PostgreSQL integer

TYPE_LABELS = {
    "document": "Document",
    "code": "Code",
    "analysis": "Analysis",
    "presentation": "Presentation",
    "design": "Design",
    "process": "Process",
    "other": "Other",
}
VISIBILITY_LABELS = {"private": "Private: only you", "team": "Team: your workspace"}

# Unicode category Cc is exactly U+0000-U+001F and U+007F-U+009F.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# ASCII digits only: float() would also take "1_000", "١٢" and "infinity".
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
_SKILL_SEPARATORS = re.compile(r"[,\r\n]")
# A host is required and a user name or password is refused: links are shown to colleagues.
_URL = re.compile(r"https?://[^/?#@\s]+(?:[/?#]\S*)?", re.IGNORECASE)


def _no_controls(text: str, pattern: re.Pattern = _CONTROL) -> str:
    if pattern.search(text):
        raise ValueError("Remove the control characters (invisible characters) from this text.")
    return text


def _too_long(limit: int, length: int) -> str:
    return f"Use at most {limit:,} characters (this has {length:,})."


def clean_title(raw: str) -> str:
    title = _no_controls(raw.strip())
    if not title:
        raise ValueError("Enter a title.")
    if len(title) > TITLE_MAX:
        raise ValueError(_too_long(TITLE_MAX, len(title)))
    return title


def clean_description(raw: str) -> str:
    text = _no_controls(raw, _CONTROL_BUT_LINES)
    if len(text) > DESCRIPTION_MAX:
        raise ValueError(_too_long(DESCRIPTION_MAX, len(text)))
    return text


def clean_type(raw: str) -> str:
    if raw.strip() not in TYPES:
        raise ValueError("Choose one of the listed types.")
    return raw.strip()


def clean_visibility(raw: str) -> str:
    if raw.strip() not in VISIBILITIES:
        raise ValueError("Choose who can see this artifact: private or team.")
    return raw.strip()


def today_utc() -> date:
    """The calendar date in UTC: the database judges "not in the future" by the same clock."""
    return datetime.now(UTC).date()


def clean_date(raw: str) -> date | None:
    text = raw.strip()
    if not text:
        return None
    try:
        if not _DATE.fullmatch(text):
            raise ValueError
        value = date.fromisoformat(text)
    except ValueError:
        raise ValueError("Enter a real date as YYYY-MM-DD, for example 2021-03-15.") from None
    if value > today_utc():
        raise ValueError("The date of the work cannot be in the future.")
    return value


def clean_url(raw: str) -> str | None:
    url = raw.strip()
    if not url:
        return None
    if len(url) > URL_MAX:
        raise ValueError(_too_long(URL_MAX, len(url)))
    _no_controls(url)
    if not _URL.fullmatch(url):
        raise ValueError(
            "Enter a full web address starting with http:// or https://, with no spaces"
            " and no user name or password."
        )
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port  # .port raises ValueError when malformed
    except ValueError:
        raise ValueError("Enter a web address with a valid host and port.") from None
    if not host:
        raise ValueError("Enter a web address with a host, like https://example.com/page.")
    return url


def clean_hours(raw: str) -> float | None:
    text = raw.strip()
    if not text:
        return None
    hours = float(text) if _NUMBER.fullmatch(text) else math.nan
    if not (math.isfinite(hours) and 0 <= hours <= HOURS_MAX):
        raise ValueError(f"Enter a number of hours from 0 to {HOURS_MAX:,}, like 12 or 2.5.")
    return hours


def clean_skill_ids(values: list[str]) -> list[str]:
    """Accept repeated fields and comma or newline separated text alike; blanks are skipped."""
    ids = [
        _no_controls(part.strip())
        for value in values
        for part in _SKILL_SEPARATORS.split(value)
        if part.strip()
    ]
    if len(ids) > SKILLS_MAX:
        raise ValueError(f"List at most {SKILLS_MAX} skill ids (this has {len(ids)}).")
    seen: set[str] = set()
    for skill in ids:
        if len(skill) > SKILL_ID_MAX:
            raise ValueError(f"Each skill id has at most {SKILL_ID_MAX} characters.")
        if skill in seen:
            raise ValueError(f"“{skill}” is listed twice; list each skill id once.")
        seen.add(skill)
    return ids


class SkillIdsField(StringField):
    """Text of comma or newline separated ids; a repeated field is joined for redisplay."""

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = ", ".join(valuelist) if len(valuelist) > 1 else valuelist[0]


class ChoiceField(StringField):
    """A <select>: `choices` maps values to labels. The raw value is kept like any text, so
    an unknown value is reported by `validate` rather than dropped while processing."""

    def __init__(self, label: str, *, choices: dict[str, str], **kwargs):
        super().__init__(label, **kwargs)
        self.choices = list(choices.items())


# Field name -> cleaner taking the submitted values. Order is the form's order on screen, so
# the first invalid field (which gets focus) is the first one here with an error.
_SINGLE: dict[str, Callable[[str], Any]] = {
    "title": clean_title,
    "description": clean_description,
    "artifact_type": clean_type,
    "artifact_date": clean_date,
    "estimated_hours_saved": clean_hours,
    "visibility": clean_visibility,
    "source_url": clean_url,
}


def _first_value(clean: Callable[[str], Any]) -> Callable[[list[str]], Any]:
    # A single-valued field sent twice counts as its first value, as WTForms reads it.
    return lambda values: clean(values[0])


CLEANERS: dict[str, Callable[[list[str]], Any]] = {
    **{name: _first_value(clean) for name, clean in _SINGLE.items()},
    "suggested_skill_ids": clean_skill_ids,
}


class ArtifactForm(FlaskForm):
    """Create or (with `partial=True`) update an artifact. See the module docstring."""

    title = StringField("Title")
    description = TextAreaField("Description")
    artifact_type = ChoiceField("Type", choices=TYPE_LABELS, default="other")
    artifact_date = StringField("Date of the work")
    source_url = StringField("Link")
    visibility = ChoiceField("Who can see it", choices=VISIBILITY_LABELS, default="private")
    estimated_hours_saved = StringField("Hours saved")
    suggested_skill_ids = SkillIdsField("Skill ids")
    version = HiddenField()

    def __init__(self, *args, partial: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.partial = partial
        self.changes: dict[str, Any] = {}
        self.expected_version: int | None = None

    @classmethod
    def for_entry(cls, entry: WorkArtifactEntry) -> ArtifactForm:
        """A form filled with a saved artifact (the edit form), ignoring any request body."""
        return cls(formdata=None, data=display_values(entry), partial=True)

    def submitted(self, name: str) -> bool:
        return bool(self[name].raw_data)

    def validate(self, extra_validators=None) -> bool:
        """Check every submitted field; on success `changes` holds the cleaned values."""
        valid = super().validate(extra_validators)  # the CSRF token
        self.changes = {}
        for name, clean in CLEANERS.items():
            field = self[name]
            if not self.submitted(name):
                if name == "title" and not self.partial:
                    field.errors.append("Enter a title.")
                    valid = False
                continue
            try:
                self.changes[name] = clean(field.raw_data)
            except ValueError as exc:
                field.errors = [*field.errors, str(exc)]
                valid = False
        if self.submitted("version"):
            try:
                self.expected_version = _version(self.version.raw_data[0])
            except ValueError:
                self.form_errors.append("This form is out of date. Reload the page and retry.")
                valid = False
        if not valid:
            self.changes = {}
        return valid

    def fill_absent(self, entry: WorkArtifactEntry, version: int | None = None) -> None:
        """Show `entry`'s saved values in fields the request did not send (and its version),
        so re-submitting the re-rendered form never clears what the user did not touch."""
        saved = display_values(entry)
        for name in CLEANERS:
            if not self.submitted(name):
                self[name].data = saved[name]
        if version is not None or not self.submitted("version"):
            self.version.data = str(version if version is not None else entry.version)

    @property
    def focus(self) -> str:
        """What gets focus when the form is shown: the first invalid field in on-screen order,
        else the form's own message ("form"), else the title."""
        first_invalid = next((name for name in CLEANERS if self[name].errors), None)
        return first_invalid or ("form" if self.form_errors else "title")


def _version(raw: str) -> int:
    text = raw.strip()
    version = int(text) if re.fullmatch(r"[0-9]{1,10}", text) else 0
    if not 1 <= version <= VERSION_MAX:
        raise ValueError(raw)
    return version


def format_hours(hours: float | None) -> str:
    """Hours as the form shows them: 12, 2.5, 0.0000001. Exact (the shortest text that reads
    back as the same float) and without an exponent, so saving an untouched form changes
    nothing and the text passes `clean_hours`."""
    if hours is None:
        return ""
    text = format(Decimal(repr(hours)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def display_values(entry: WorkArtifactEntry) -> dict[str, str]:
    """The saved artifact as the strings its form fields show."""
    return {
        "title": entry.title,
        "description": entry.description,
        "artifact_type": entry.artifact_type,
        "artifact_date": entry.artifact_date.isoformat() if entry.artifact_date else "",
        "estimated_hours_saved": format_hours(entry.estimated_hours_saved),
        "visibility": entry.visibility,
        "source_url": entry.source_url or "",
        "suggested_skill_ids": ", ".join(entry.suggested_skill_ids),
        "version": str(entry.version),
    }
