"""Moved to `tests/support/factories.py`; this module re-exports it for existing imports."""

from tests.support.factories import *  # noqa: F403
