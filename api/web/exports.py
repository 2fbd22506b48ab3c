"""Helpers shared by the organizer's pages and exports: ids in URLs, CSV files, errors."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from starlette.requests import Request
from starlette.responses import Response

from api.domain.errors import DomainError, ErrorCode
from api.http.errors import PublicError
from api.http.ids import decode_id
from api.web.rendering import PAGE_STRINGS, plain_text

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def path_id(request: Request, type_name: str) -> int | None:
    """The `{id}` of the URL: a global id of `type_name` (as the app links) or a plain number."""
    raw = str(request.path_params.get("id", ""))
    if raw.isascii() and raw.isdigit():  # "²" is a digit to str.isdigit, not to int()
        return int(raw) if 0 < int(raw) < 2**31 else None
    try:
        found, pk = decode_id(raw)
    except PublicError:
        return None
    return pk if found == type_name else None


def cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet must never run a name as a formula.
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_response(rows: Iterable[Sequence[object]], filename: str) -> Response:
    """UTF-8 with a byte-order mark, so Excel opens Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return Response(
        ("\ufeff" + buffer.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


def error_response(request: Request, exc: DomainError) -> Response:
    """403 for anyone who may not see it (anonymous included), 404 for what does not exist;
    the reason in the page's language."""
    status = 404 if exc.code == ErrorCode.NOT_FOUND else 403
    return plain_text(request, exc.text, status)


def not_found(request: Request) -> Response:
    return plain_text(request, PAGE_STRINGS["not_found"], 404)
