"""Expected failures: raised by domain functions, answered as `userErrors` by callers.

Every failure carries a stable `code` and a `Text` (message id + parameters, see
`api.infra.i18n`), rendered in the reader's language by whoever shows it: the API by
`Accept-Language`, pages in the page's language. `message` is the English rendering (logs,
the command line).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from api.infra.i18n import N_, Text


class ErrorCode(StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_SIGNED_UP = "ALREADY_SIGNED_UP"
    EVENT_NOT_OPEN = "EVENT_NOT_OPEN"
    IDEMPOTENCY_MISMATCH = "IDEMPOTENCY_MISMATCH"
    PHONE_TAKEN = "PHONE_TAKEN"
    BAD_CREDENTIALS = "BAD_CREDENTIALS"
    RATE_LIMITED = "RATE_LIMITED"
    CODE_REQUIRED = "CODE_REQUIRED"
    SCHEDULE_CONFLICT = "SCHEDULE_CONFLICT"
    CAPACITY_BELOW_CONFIRMED = "CAPACITY_BELOW_CONFIRMED"
    BAD_CODE = "BAD_CODE"
    CHECK_IN_CLOSED = "CHECK_IN_CLOSED"
    NOT_SIGNED_UP = "NOT_SIGNED_UP"
    INVALID_STATE = "INVALID_STATE"
    BAD_PHONE_CODE = "BAD_PHONE_CODE"
    PHONE_CODE_EXPIRED = "PHONE_CODE_EXPIRED"
    CANCELLATION_CLOSED = "CANCELLATION_CLOSED"
    SHIFT_FULL = "SHIFT_FULL"
    SLOT_FULL = "SLOT_FULL"
    ALREADY_BOOKED = "ALREADY_BOOKED"
    HOME_VISIT_NOT_OFFERED = "HOME_VISIT_NOT_OFFERED"
    # Webhooks: a destination that is refused (`api.infra.destinations.Refusal`), the limit
    INVALID_URL = "INVALID_URL"
    HTTPS_REQUIRED = "HTTPS_REQUIRED"
    PRIVATE_DESTINATION = "PRIVATE_DESTINATION"
    UNRESOLVABLE_HOST = "UNRESOLVABLE_HOST"
    WEBHOOK_LIMIT_REACHED = "WEBHOOK_LIMIT_REACHED"


def as_text(message: str | Text) -> Text:
    """A text; a plain string is taken as a message id without parameters."""
    return message if isinstance(message, Text) else Text(message)


class DomainError(Exception):
    """An expected failure with a stable code; nothing has been changed."""

    def __init__(
        self, code: ErrorCode, message: str | Text, field: Sequence[str] | None = None
    ) -> None:
        self.text = as_text(message)
        super().__init__(str(self.text))
        self.code = code
        self.field = list(field) if field else None

    @property
    def message(self) -> str:
        """In English (logs, the command line); `render` for a reader."""
        return str(self.text)

    def render(self, language: str | None = None) -> str:
        return self.text.render(language)


class InvalidInput(DomainError):
    def __init__(self, message: str | Text, field: Sequence[str] | None = None) -> None:
        super().__init__(ErrorCode.INVALID_INPUT, message, field)


class ValidationErrors(Exception):
    """Several input problems found at once (every bad field is reported, not just the first)."""

    def __init__(self, errors: list[DomainError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


class Validator:
    """Collects input problems, then raises them together."""

    def __init__(self) -> None:
        self.errors: list[DomainError] = []

    def fail(self, message: str | Text, *field: str) -> None:
        self.errors.append(InvalidInput(message, field))

    def check(self, ok: bool, message: str | Text, *field: str) -> None:
        if not ok:
            self.fail(message, *field)

    def text(
        self,
        value: str | None,
        *field: str,
        max_length: int,
        required: bool = True,
        label: str | Text,
    ) -> str | None:
        name = as_text(label)
        if value is None or not value.strip():
            if required:
                self.fail(N_("%(label)s is required.", label=name), *field)
            return None if value is None else ""
        value = value.strip()
        if len(value) > max_length:
            self.fail(
                N_("%(label)s must be at most %(n)s characters.", label=name, n=max_length),
                *field,
            )
        if any(ord(c) < 32 and c not in "\n\t" for c in value):
            self.fail(N_("%(label)s contains control characters.", label=name), *field)
        return value

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationErrors(self.errors)
