"""Moved to `tests/support/sqlcount.py`; this module re-exports it for existing imports."""

from tests.support.sqlcount import count_sql

__all__ = ["count_sql"]
