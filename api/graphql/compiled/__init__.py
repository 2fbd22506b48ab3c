"""The compiled executor: queries run from a plan built once per (document, operation)."""

from __future__ import annotations

from api.settings import get_settings

_override: bool | None = None


def set_enabled(value: bool | None) -> None:
    """Switches the compiled executor on or off for this process (None: as configured);
    for tests and measurements."""
    global _override
    _override = value


def is_enabled() -> bool:
    if _override is not None:
        return _override
    return get_settings().compiled_execution
