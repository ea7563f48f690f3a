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


class InviteLimitReached(LimitReached):
    """The user already has the maximum number of open invites."""

    message = ("You have 20 open invite links. Revoke one, or wait until one is used or"
               " expires, to create another.")


class ShareNotFound(NotFound):
    """A share token that is unknown, revoked or expired: indistinguishable on purpose."""

    message = ("This link does not work. It may have been revoked or have expired; ask the"
               " person who sent it for a new one.")


class ImportGone(NotFound):
    """An import preview that was confirmed already, replaced by a newer one, or expired."""

    message = ("This import preview has expired or was already used. Upload the file again"
               " to see a fresh preview.")


class InvalidData(DomainError):
    """The database refused a value (a CHECK constraint, or a rule only the database can judge,
    such as whether a skill id is in the catalog). `constraint` names the rule, for the log;
    `field` is the column the refusal is about when the rule belongs to one (the form shows
    the message beside that field)."""

    message = "Some values are not valid."

    def __init__(self, message: str | None = None, *, constraint: str | None = None,
                 field: str | None = None):
        super().__init__(message)
        self.constraint = constraint
        self.field = field


class DuplicateEmail(DomainError):
    """Sign-up with an email that already has an account. The message does not say so in
    as many words, but a sign-up that fails where another would succeed tells anyway: what
    bounds that is the per-address limit on sign-ups and joins (SPEC §7)."""

    message = "This email cannot be used for a new account. If it is yours, log in instead."


class SessionEnded(DomainError):
    """The browser's session is no longer alive: logged out, ended from another device or by
    a password change, expired, or its user removed. The request is treated as signed out."""

    message = "Your session has ended. Please log in again."


class Unavailable(DomainError):
    """The database cannot be reached right now; worth retrying after `retry_after` seconds."""

    message = "The service is briefly unavailable. Please try again in a moment."
    retry_after = 5


class TransientConflict(Unavailable):
    """The database rolled the transaction back (serialization failure, deadlock): running
    the whole unit of work again will succeed. `Database.run` does; only if it keeps
    happening does it reach the user, as `Unavailable`."""
