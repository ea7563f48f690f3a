"""Domain errors: the expected ways a data function can fail.

The data modules raise these and nothing else for expected failures (never a driver exception),
and views do not catch them except where the answer carries a form (SPEC §5: 422 and 409 keep
the user's input). `workhistory.web.errors` maps each class to its HTTP status in one table.
Each message is safe to show to the user.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class: an expected failure with a message safe to show."""

    message = "The request could not be completed."

    def __init__(self, message: str | None = None):
        super().__init__(message or self.message)

    @property
    def public_message(self) -> str:
        return str(self.args[0])


class NotFound(DomainError):
    """The id is unknown, malformed, or belongs to someone else: indistinguishable on purpose."""

    message = "That artifact does not exist."


class Conflict(DomainError):
    """The given version is no longer current; `current` is the record as saved now and
    `summary` the owner's totals read with it (the page shows them true after a conflict)."""

    message = "Someone saved this artifact after you opened it."

    def __init__(self, current: Any, message: str | None = None, *, summary: Any = None):
        super().__init__(message)
        self.current = current
        self.summary = summary


class LimitReached(DomainError):
    """The user already has the maximum number of artifacts."""

    message = "You have reached the limit of 50 artifacts. Delete one to add another."


class InvalidData(DomainError):
    """The database refused a value (a CHECK constraint): the form layer let something through.
    `constraint` names the rule, for the log."""

    message = "Some values are not valid."

    def __init__(self, message: str | None = None, *, constraint: str | None = None):
        super().__init__(message)
        self.constraint = constraint


class DuplicateEmail(DomainError):
    """Sign-up with an email that already has an account."""

    message = "An account with that email already exists."


class Unavailable(DomainError):
    """The database cannot be reached right now; worth retrying after `retry_after` seconds."""

    message = "The service is briefly unavailable. Please try again in a moment."
    retry_after = 5
