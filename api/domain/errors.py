"""Expected failures: raised by domain functions, answered as `userErrors` by callers."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum


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


class DomainError(Exception):
    """An expected failure with a stable code; nothing has been changed."""

    def __init__(self, code: ErrorCode, message: str, field: Sequence[str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = list(field) if field else None


class InvalidInput(DomainError):
    def __init__(self, message: str, field: Sequence[str] | None = None) -> None:
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

    def fail(self, message: str, *field: str) -> None:
        self.errors.append(InvalidInput(message, field))

    def check(self, ok: bool, message: str, *field: str) -> None:
        if not ok:
            self.fail(message, *field)

    def text(
        self, value: str | None, *field: str, max_length: int, required: bool = True, label: str
    ) -> str | None:
        if value is None or not value.strip():
            if required:
                self.fail(f"{label} is required.", *field)
            return None if value is None else ""
        value = value.strip()
        if len(value) > max_length:
            self.fail(f"{label} must be at most {max_length} characters.", *field)
        if any(ord(c) < 32 and c not in "\n\t" for c in value):
            self.fail(f"{label} contains control characters.", *field)
        return value

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationErrors(self.errors)
