"""Errors whose message is safe to show to any caller (bad ids, page sizes…)."""

from __future__ import annotations


class PublicError(Exception):
    """A query-level error whose message is safe to show (bad ids, page sizes…)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.extensions = {"code": code}


__all__ = ["PublicError"]
