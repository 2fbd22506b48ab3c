"""The harness's own checks catch what they are there to catch: the storm and crash tests (and
the storm bench) rely on them to fail on a broken server or broken rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from api.infra import clock
from tests.support.checks import ShiftRows
from tests.support.server import LinliServer, ServerError


def test_a_traceback_in_the_server_log_fails_the_run(tmp_path: Path) -> None:
    server = LinliServer("sqlite://unused", 1, tmp_path / "server.log")
    server.log_path.write_text("--- start\nINFO ok\n")
    server.check_log()
    with server.log_path.open("a") as log:
        log.write("Traceback (most recent call last):\nsqlite3.OperationalError: boom\n")
    with pytest.raises(ServerError, match="boom"):
        server.check_log()
    server.log_path.write_text("WARNING database is locked\n")
    assert server.log_problems() == ["WARNING database is locked"]


def _rows(
    statuses: list[str], seats_taken: int, waitlist_count: int, capacity: int = 2
) -> ShiftRows:
    rows: list[dict[str, Any]] = [
        {
            "id": i,
            "volunteer_id": i,
            "status": s,
            "waitlist_ticket": i if s == "WAITLISTED" else None,
        }
        for i, s in enumerate(statuses, start=1)
    ]
    waiting = [i for i, s in enumerate(statuses, start=1) if s == "WAITLISTED"]
    positions = {pk: n for n, pk in enumerate(waiting, start=1)}
    return ShiftRows(capacity, seats_taken, waitlist_count, rows, positions)


def test_shift_rows_name_each_broken_invariant() -> None:
    assert _rows(["CONFIRMED", "CONFIRMED", "WAITLISTED"], 2, 1).problems() == []
    assert _rows(["CONFIRMED", "CANCELLED"], 1, 0).problems() == []
    found = _rows(["CONFIRMED", "WAITLISTED"], 2, 0).problems()
    assert any("seats_taken 2 != 1" in p for p in found)
    assert any("waitlist_count 0 != 1" in p for p in found)
    assert any("free seat and a waitlist" in p for p in found)
    assert _rows(["CONFIRMED"] * 3, 3, 0).problems() == ["seats_taken 3 > capacity 2"]


def test_the_fake_clock_moves_only_when_told(fake_clock) -> None:
    start = datetime(2030, 1, 1, 8, 0, tzinfo=UTC)
    fake_clock.at(start)
    assert clock.now() == clock.now() == start
    fake_clock.advance(timedelta(minutes=5))
    assert clock.now() == start + timedelta(minutes=5)
    fake_clock.restore()
    assert clock.now().year != 2030
