"""Input rules: one plain function per kind of value, the only place they live in Python.

Each `clean_*` takes what the user typed and returns the value to store, or raises
`ValueError` with a message to show beside the field. Forms attach them to fields with
`forms.Cleaned`; the CLI calls them directly, so an operator meets the same rules as a user.
The database enforces the artifact rules (SPEC §3) again as CHECK constraints; these exist to
give the user a message beside the field instead of a generic refusal.
"""

from __future__ import annotations

import ipaddress
import math
import re
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import urlsplit
from uuid import UUID

import idna
from email_validator import EmailNotValidError, validate_email

from workhistory.data.accounts import PASSWORD_MAX, PASSWORD_MIN
from workhistory.data.artifacts import LIMIT, TYPES, VISIBILITIES
from workhistory.data.search import SORTS
from workhistory.data.shares import EXPIRY_DAYS as SHARE_EXPIRY_DAYS
from workhistory.data.shares import SCOPES as SHARE_SCOPES
from workhistory.web import dates

TITLE_MAX = 200
DESCRIPTION_MAX = 5000
URL_MAX = 2048
HOURS_MAX = 100_000
SKILLS_MAX = 20
SKILL_ID_MAX = 64  # a custom skill's text (the database checks it after resolving names)
SKILL_TEXT_MAX = 100  # what one typed value may be: catalog names run to 87 characters
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
# Zero-width joiners that scripts (Indic, Persian) and emoji sequences need inside text.
_JOINERS = frozenset("\u200c\u200d")
# Letters in Unicode's sense that render as nothing: Hangul and braille fillers.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# A subdivision flag (England, Scotland, Wales): the black flag, tag letters, a cancel tag.
_TAG_FLAG = re.compile("\U0001F3F4[\U000E0020-\U000E007E]+\U000E007F")
# What a domain label may be once in ASCII (IDNA): letters, digits, inner hyphens.
_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")


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


def _visible_text(raw: str, limit: int, missing: str) -> str:
    """A name or title (SPEC §7): no control characters, no format characters (bidi
    controls, zero-width spaces, soft hyphens...) except ZWJ/ZWNJ and emoji tag sequences,
    and at least one character that shows (a letter, digit, punctuation mark or symbol)."""
    text = _required_text(raw, limit, missing)
    bare = _TAG_FLAG.sub("", text)
    if any(unicodedata.category(ch) == "Cf" and ch not in _JOINERS for ch in bare):
        raise ValueError("Remove the invisible formatting characters (such as direction"
                         " overrides or zero-width spaces) from this text.")
    if not any(unicodedata.category(ch)[0] in "LNPS" and ch not in _BLANK_LETTERS
               for ch in text):
        raise ValueError(f"{missing} It needs at least one visible character.")
    return text


def clean_title(raw: str) -> str:
    return _visible_text(raw, TITLE_MAX, "Enter a title.")


def clean_name(raw: str) -> str:
    """A display name or a workspace name."""
    return _visible_text(raw, NAME_MAX, "Enter a name.")


def clean_share_label(raw: str) -> str:
    """A share link's label: shown to its owner only, a name like any other."""
    return _visible_text(raw, NAME_MAX, "Give the link a label, like “For the hiring panel”.")


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
clean_share_scope = _one_of(SHARE_SCOPES, "Choose what the link shares.")


def clean_expiry(raw: str) -> int | None:
    """Days a share link lives (7, 30 or 90), or None for "never"."""
    text = raw.strip()
    if text == "never":
        return None
    if text not in {str(days) for days in SHARE_EXPIRY_DAYS}:
        raise ValueError("Choose when the link stops working.")
    return int(text)


def clean_artifact_ids(values: list[str]) -> list[UUID]:
    """Chosen artifacts (checkboxes): their ids, each once, at most the artifact limit."""
    try:
        ids = list(dict.fromkeys(UUID(v.strip()) for v in values if v.strip()))
    except ValueError:
        raise ValueError("Choose artifacts from the list.") from None
    if len(ids) > LIMIT:
        raise ValueError(f"Choose at most {LIMIT} artifacts.")
    return ids
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
    """An absolute http(s) link whose host is what a browser opens: no backslash (browsers
    read it as "/": `https://evil.com\\.good.com/` opens evil.com), no whitespace or
    invisible characters anywhere, no user name or password, and a host that is a real
    domain name (IDNA) or IP address, never something a browser re-reads as another one."""
    if len(url) > URL_MAX:
        raise ValueError(_too_long(URL_MAX, len(url)))
    _no_controls(url)
    if "\\" in url or any(ch.isspace() or unicodedata.category(ch) == "Cf" for ch in url):
        raise ValueError("Remove the spaces, backslashes and invisible characters from this"
                         " web address.")
    if not _URL.fullmatch(url):
        raise ValueError(
            "Enter a full web address starting with http:// or https://, with no spaces"
            " and no user name or password."
        )
    try:
        _port = urlsplit(url).port  # raises ValueError when malformed
        if link_host(url) is None:
            raise ValueError
    except ValueError:
        raise ValueError("Enter a web address with a valid host, like"
                         " https://example.com/page.") from None
    return url


def link_host(url: str) -> str | None:
    """The host a browser opens for `url`, as shown beside the link: a domain name in
    Unicode (with its ASCII form in parentheses when they differ, so look-alike letters
    show), or an IP address. None when `url` is not a link `clean_url` would accept."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host or "\\" in url:
        return None
    if host.startswith("[") or ":" in host:  # IPv6, as urlsplit leaves it unbracketed
        try:
            return f"[{ipaddress.IPv6Address(host)}]"
        except ValueError:
            return None
    host = host.rstrip(".")
    try:  # ASCII hosts as they are (IDNA would refuse the underscores some hosts have)
        ascii_host = host if host.isascii() else idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        return None
    labels = ascii_host.split(".")
    if all(label.isdigit() for label in labels):  # only a plain dotted quad is an address
        try:
            return str(ipaddress.IPv4Address(ascii_host))
        except ValueError:
            return None
    # A last label of digits (or 0x...) is read by browsers as part of an IPv4 address.
    if not all(_LABEL.fullmatch(label) for label in labels) or re.fullmatch(
            r"[0-9]+|0x[0-9a-f]*", labels[-1]):
        return None
    try:
        shown = idna.decode(ascii_host)
    except idna.IDNAError:  # an ASCII host that is not IDNA (underscores): shown as it is
        shown = ascii_host
    return shown if shown == ascii_host else f"{shown} ({ascii_host})"


@_optional
def clean_hours(text: str) -> float:
    hours = float(text) if _NUMBER.fullmatch(text) else math.nan
    if not (math.isfinite(hours) and 0 <= hours <= HOURS_MAX):
        raise ValueError(f"Enter a number of hours from 0 to {HOURS_MAX:,}, like 12 or 2.5.")
    return hours


def split_skills(values: list[str]) -> list[str]:
    """The skills in repeated fields or comma or newline separated text, trimmed, blanks
    skipped (the chips send one value each, the text box without JavaScript one list)."""
    return [part.strip() for value in values for part in _SKILL_SEPARATORS.split(value)
            if part.strip()]


def clean_skill_ids(values: list[str]) -> list[str]:
    """Skills as typed: catalog ids, catalog names or the user's own. The database turns names
    into ids on save and refuses an esco: id that is not in the catalog (migration 0020), so
    only what it cannot say helpfully is checked here."""
    ids = [_no_controls(skill) for skill in split_skills(values)]
    if len(ids) > SKILLS_MAX:
        raise ValueError(f"List at most {SKILLS_MAX} skills (this has {len(ids)}).")
    seen: set[str] = set()
    for skill in ids:
        if len(skill) > SKILL_TEXT_MAX:
            raise ValueError(f"Each skill has at most {SKILL_ID_MAX} characters (a catalog"
                             f" skill's name at most {SKILL_TEXT_MAX}).")
        if skill in seen:
            raise ValueError(f"“{skill}” is listed twice; list each skill once.")
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
    email = _no_controls(raw.strip())
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
