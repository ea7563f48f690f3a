"""Domain errors raised by the data layer, and the one place that maps them to HTTP.

The data modules raise these and nothing else for expected failures; views never catch them.
`register(app)` turns each into its status code with a page or an htmx fragment.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base class: an expected failure with a status code and a message safe to show."""

    status = 400
    message = "The request could not be completed."

    def __init__(self, message: str | None = None, **details):
        super().__init__(message or self.message)
        self.details = details

    @property
    def public_message(self) -> str:
        return str(self.args[0]) if self.args else self.message


class NotFound(DomainError):
    """The id is unknown, malformed, or belongs to someone else: indistinguishable on purpose."""

    status = 404
    message = "That artifact does not exist."


class Conflict(DomainError):
    """The given version is no longer current; `details["current"]` holds the saved record."""

    status = 409
    message = "Someone saved this artifact after you opened it."


class LimitReached(DomainError):
    """The user already has the maximum number of artifacts."""

    status = 409
    message = "You have reached the limit of 50 artifacts. Delete one to add another."


class InvalidData(DomainError):
    """The database refused a value (a CHECK constraint): the form layer let something through."""

    status = 422
    message = "Some values are not valid."


class DuplicateEmail(DomainError):
    """Sign-up with an email that already has an account."""

    status = 422
    message = "An account with that email already exists."


class Unavailable(DomainError):
    """The database cannot be reached right now."""

    status = 503
    message = "The service is briefly unavailable. Please try again in a moment."
