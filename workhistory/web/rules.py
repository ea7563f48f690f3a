"""Input rules: one plain function per kind of value, the only place they live in Python.

Each `clean_*` takes what the user typed and returns the value to store, or raises
`ValueError` with a message to show beside the field. Forms attach them to fields with
`forms.Cleaned`; the CLI calls them directly, so an operator meets the same rules as a user.
The database enforces the artifact rules (SPEC §3) again as CHECK constraints; these exist to
give the user a message beside the field instead of a generic refusal.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from workhistory.data.accounts import PASSWORD_MAX, PASSWORD_MIN
from workhistory.data.artifacts import TYPES, VISIBILITIES
from workhistory.data.search import SORTS
from workhistory.web import dates

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
URL_MAX = 2048
HOURS_MAX = 100_000
SKILLS_MAX = 20
SKILL_ID_MAX = 64
NAME_MAX = 100
EMAIL_MAX = 254
VERSION_MAX = 2**31 - 1  # the column is a PostgreSQL integer

# Unicode category Cc is exactly U+0000-U+001F and U+007F-U+009F.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
DATE_MIN = date(1950, 1, 1)  # the CHECK work_artifacts_date_from_1950 (migration 0030)
QUERY_MAX = 200
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


def _required_text(raw: str, limit: int, missing: str) -> str:
    text = _no_controls(raw.strip())
    if not text:
        raise ValueError(missing)
    if len(text) > limit:
        raise ValueError(_too_long(limit, len(text)))
    return text


def clean_title(raw: str) -> str:
    return _required_text(raw, TITLE_MAX, "Enter a title.")


def clean_name(raw: str) -> str:
    """A display name or a workspace name."""
    return _required_text(raw, NAME_MAX, "Enter a name.")


def clean_description(raw: str) -> str:
    text = _no_controls(raw, _CONTROL_BUT_LINES)
    if len(text) > DESCRIPTION_MAX:
        raise ValueError(_too_long(DESCRIPTION_MAX, len(text)))
    return text


def _one_of(allowed: tuple[str, ...], message: str):
    def clean(raw: str) -> str:
        if raw.strip() not in allowed:
            raise ValueError(message)
        return raw.strip()

    return clean


clean_type = _one_of(TYPES, "Choose one of the listed types.")
clean_visibility = _one_of(VISIBILITIES, "Choose who can see this artifact: private or team.")


def today_utc() -> date:
    """The calendar date in UTC: the database judges "not in the future" by the same clock."""
    return datetime.now(UTC).date()


def _optional(clean):
    """An optional value: empty input means none (None); other input goes to `clean` trimmed."""

    def clean_optional(raw: str):
        text = raw.strip()
        return clean(text) if text else None

    return clean_optional


@_optional
def clean_date(text: str) -> tuple[date, str]:
    """The date of the work as (first day, precision): a day, a month or a year as typed
    (`dates.parse`), from 1950 on and not in the future (a month or a year that has begun
    counts as not in the future)."""
    value, precision = dates.parse(text)
    if value < DATE_MIN:
        raise ValueError("Use a date from 1950 on.")
    if value > today_utc():
        raise ValueError("The date of the work cannot be in the future.")
    return value, precision


@_optional
def clean_url(url: str) -> str:
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


@_optional
def clean_hours(text: str) -> float:
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


def clean_version(raw: str) -> int:
    text = raw.strip()
    version = int(text) if re.fullmatch(r"[0-9]{1,10}", text) else 0
    if not 1 <= version <= VERSION_MAX:
        raise ValueError("This form is out of date. Reload the page and retry.")
    return version


def clean_email(raw: str) -> str:
    """An email address as typed (trimmed), if its syntax is valid. Special-use domains
    (`.test`, `.local`, ...) are refused: mail to them never arrives."""
    email = raw.strip()
    if not email:
        raise ValueError("Enter your email address.")
    if len(email) > EMAIL_MAX:
        raise ValueError(_too_long(EMAIL_MAX, len(email)))
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise ValueError("Enter a valid email address, like name@example.com.") from None
    return email


def clean_login_email(raw: str) -> str:
    """The email of a login attempt: any text up to the maximum (a wrong one just fails)."""
    return _required_text(raw, EMAIL_MAX, "Enter your email address.")


def clean_new_password(raw: str) -> str:
    if not PASSWORD_MIN <= len(raw) <= PASSWORD_MAX:
        raise ValueError(f"Use {PASSWORD_MIN} to {PASSWORD_MAX} characters.")
    return raw


def clean_password(raw: str) -> str:
    if not raw:
        raise ValueError("Enter your password.")
    if len(raw) > PASSWORD_MAX:
        raise ValueError(_too_long(PASSWORD_MAX, len(raw)))
    return raw


# --- Search and filters (GET /portfolio, /people/{id}) ---------------------------------------
# A filter whose value is not valid is ignored (the list shows as if it were not given), so
# an old bookmark or a hand-edited URL still shows the portfolio: each rule raises and the
# form drops the value (`forms.FilterForm`).
def clean_query(raw: str) -> str:
    """What to search for: control characters become spaces, runs of spaces one."""
    text = " ".join(_CONTROL.sub(" ", raw).split())
    if len(text) > QUERY_MAX:
        raise ValueError(_too_long(QUERY_MAX, len(text)))
    return text


def _optional_choice(allowed: tuple[str, ...]):
    def clean(raw: str) -> str | None:
        text = raw.strip()
        if text and text not in allowed:
            raise ValueError("Not one of the choices.")
        return text or None

    return clean


clean_type_filter = _optional_choice(TYPES)
clean_visibility_filter = _optional_choice(VISIBILITIES)


def clean_sort(raw: str) -> str:
    return _optional_choice(SORTS)(raw) or SORTS[0]


def clean_skill_filter(raw: str) -> str | None:
    """One skill id, as `clean_skill_ids` allows them."""
    text = _no_controls(raw.strip())
    if len(text) > SKILL_ID_MAX:
        raise ValueError(f"A skill id has at most {SKILL_ID_MAX} characters.")
    return text or None


def clean_year_filter(raw: str) -> int | None:
    """A year written with four digits, 0001 to 9999 (there is no year 0)."""
    text = raw.strip()
    if text and not (re.fullmatch(r"[0-9]{4}", text) and int(text) >= 1):
        raise ValueError("Choose a year.")
    return int(text) if text else None


def format_hours(hours: float | None) -> str:
    """Hours as the form shows them: 12, 2.5, 0.0000001. Exact (the shortest text that reads
    back as the same float) and without an exponent, so saving an untouched form changes
    nothing and the text passes `clean_hours`."""
    if hours is None:
        return ""
    text = format(Decimal(repr(hours)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
