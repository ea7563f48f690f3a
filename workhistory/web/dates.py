"""Dates as people know them (SPEC §10): a day, a month or only a year, in one text field.

`parse` reads what someone types and `text` writes a date the way the app shows it, always
with a four-digit year and English month names, whatever the server's locale:

| precision | shown         | also accepted                                              |
|-----------|---------------|------------------------------------------------------------|
| year      | `2019`        |                                                            |
| month     | `Mar 2019`    | `March 2019`, `mar. 2019`, `2019-03`, `2019/3`             |
| day       | `14 Mar 2019` | `14 March 2019`, `Mar 14, 2019`, `2019-03-14`, `2019/3/14` |

Numeric dates are read year first only: `03/04/2019` means 3 April to some and 4 March to
others, so it is refused rather than guessed. A month or a year is the first day of it, as
the database stores it (migration 0030). The rules about which dates are allowed (from 1950,
not in the future) are `rules.clean_date`'s.
"""

from __future__ import annotations

import re
from datetime import date

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NAMES = {
    **{name.lower(): n for n, name in enumerate(MONTHS, 1)},
    **{name: n for n, name in enumerate(
        ("january", "february", "march", "april", "may", "june", "july", "august",
         "september", "october", "november", "december"), 1)},
    "sept": 9,
}
# ASCII digits only ([0-9], not \d, which also takes "١٢"); a month name is letters.
_ISO = re.compile(r"([0-9]{1,4})(?:[-/.]([0-9]{1,2})(?:[-/.]([0-9]{1,2}))?)?")
_DAY_MONTH_YEAR = re.compile(r"(?:([0-9]{1,2})\s+)?([a-z]+)\.?,?\s+([0-9]{1,4})")
_MONTH_DAY_YEAR = re.compile(r"([a-z]+)\.?\s+([0-9]{1,2}),?\s+([0-9]{1,4})")

FORMAT_HELP = "Enter a year, a month or a day, like 2019, Mar 2019 or 14 Mar 2019."


class DateError(ValueError):
    """Text that is not a date; the message says what to type instead."""


def parse(text: str) -> tuple[date, str]:
    """Return (first day, precision) for `text`; raise `DateError` with a message to show."""
    raw = " ".join(text.split()).lower()
    if match := _ISO.fullmatch(raw):
        year, month, day = match.groups()
    elif match := _DAY_MONTH_YEAR.fullmatch(raw):
        day, month, year = match.groups()
        month = _month(month)
    elif match := _MONTH_DAY_YEAR.fullmatch(raw):
        month, day, year = match.groups()
        month = _month(month)
    else:
        raise DateError(FORMAT_HELP)
    if len(year) != 4:
        raise DateError("Write the year with four digits, like 2019.")
    precision = "day" if day else "month" if month else "year"
    try:
        return date(int(year), int(month or 1), int(day or 1)), precision
    except ValueError:
        raise DateError(f"There is no such date. {FORMAT_HELP}") from None


def text(value: date, precision: str = "day") -> str:
    """The date as the app shows it: `2019`, `Mar 2019` or `14 Mar 2019` (year `0040` too)."""
    year = f"{value.year:04d}"
    if precision == "year":
        return year
    month = MONTHS[value.month - 1]
    return f"{month} {year}" if precision == "month" else f"{value.day} {month} {year}"


def _month(name: str) -> int:
    try:
        return _MONTH_NAMES[name]
    except KeyError:
        raise DateError(f"Write the month in English, like Mar or March. {FORMAT_HELP}") from None
