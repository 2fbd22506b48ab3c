"""`linli backup` while sign-ups pour in, `linli restore`, and what a restored database must
never do: send an idempotency key that was already sent. A readable line when the database
or the data directory cannot be used at start-up."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from tortoise.backends.base.executor import EXECUTOR_CACHE

from api.domain import notifications
from api.infra import backup, db
from api.jobs import delivery
from api.models import Notification
from api.models.notification import NotificationKind
from tests import factories
from tests.serverproc import (
    Answer,
    LinliServer,
    fresh_database,
    seed_storm,
    shift_rows,
    sign_up_storm,
)
from tests.support.checks import assert_consistent as _assert_consistent

ROOT = Path(__file__).resolve().parents[2]


def linli(url: str, *args: str, data_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LINLI_DATABASE_URL": url}
    if data_dir is not None:
        env["LINLI_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "api", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=ROOT,
    )


async def test_a_backup_taken_under_writes_restores_consistent(tmp_path: Path) -> None:
    url = await fresh_database("sqlite", tmp_path, None)
    setup = await seed_storm(url, 300, 40)
    target = tmp_path / "backup.sqlite3"
    taken: list[subprocess.CompletedProcess[str]] = []
    thread = threading.Thread(target=lambda: taken.append(linli(url, "backup", str(target))))

    def back_up_midway(answer: Answer, answered: int) -> None:
        if answered == 60:
            thread.start()  # `linli backup` runs while the storm goes on

    with LinliServer(url, 2, tmp_path / "server.log") as server:
        storm = await sign_up_storm(
            server.base_url, setup.shift_gid, setup.volunteer_ids, concurrency=50,
            on_answer=back_up_midway,
        )  # fmt: skip
        thread.join()
    assert all(a.clean for a in storm.answers)
    assert taken[0].returncode == 0, taken[0].stderr
    assert "Backup written" in taken[0].stdout

    restored_url = f"sqlite://{tmp_path / 'restored' / 'linli.sqlite3'}"
    result = linli(restored_url, "restore", str(target))
    assert result.returncode == 0, result.stderr
    rows = await shift_rows(restored_url, setup.shift_id)
    _assert_consistent(rows)  # counters equal rows, positions 1..n, no seat free with a queue
    assert 60 <= len(rows.rows) <= 300  # a moment in the middle of the storm
    assert rows.seats_taken == 40

    # the restored database serves
    with LinliServer(restored_url, 1, tmp_path / "restored.log") as again:
        async with httpx.AsyncClient(base_url=again.base_url, timeout=10) as http:
            assert (await http.get("/readyz")).status_code == 200


async def test_keys_sent_after_a_backup_are_never_repeated_after_its_restore(
    tmp_path: Path,
) -> None:
    url = await fresh_database("sqlite", tmp_path, None)
    EXECUTOR_CACHE.clear()
    await db.init_orm(url)
    try:
        people = [await factories.volunteer("小林"), await factories.volunteer("小王")]
        draft = notifications.Draft(people[0].id, NotificationKind.EVENT_CHANGED, "改期", None)
        await notifications.create("a", [draft])
        first = await Notification.get(source="a")
        first_key = delivery.idempotency_key(first)
        assert first_key == delivery.idempotency_key(await Notification.get(id=first.id))  # stable
        saved = backup.backup(tmp_path / "before.sqlite3", url)
        await notifications.create("b", [draft])  # made and sent after the backup…
        sent_key = delivery.idempotency_key(await Notification.get(source="b"))
    finally:
        await db.close_orm()

    backup.restore(saved, url)  # …then the database is restored: that row is gone
    EXECUTOR_CACHE.clear()
    await db.init_orm(url)
    try:
        again = notifications.Draft(people[0].id, NotificationKind.EVENT_CHANGED, "又改期", None)
        await notifications.create("b", [again])
        reused = await Notification.get(source="b")
        assert reused.id == int(sent_key.split("-")[1])  # the same id is given again
        assert delivery.idempotency_key(reused) != sent_key
    finally:
        await db.close_orm()


def test_backup_and_restore_explain_what_they_cannot_do(tmp_path: Path) -> None:
    pg = linli("postgres://linli@127.0.0.1:1/linli", "backup", str(tmp_path / "x"))
    assert pg.returncode == 1 and "pg_dump -Fc" in pg.stderr
    garbage = tmp_path / "not-a-backup.sqlite3"
    garbage.write_text("hello")
    refused = linli(f"sqlite://{tmp_path / 'db.sqlite3'}", "restore", str(garbage))
    assert refused.returncode == 1 and "not an SQLite database" in refused.stderr
    assert not (tmp_path / "db.sqlite3").exists()


@pytest.mark.parametrize("where", ["data_dir", "database"])
def test_an_unusable_data_directory_or_database_is_one_readable_line(
    tmp_path: Path, where: str
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    if where == "data_dir":  # a data directory that cannot be created
        result = linli(f"sqlite://{tmp_path / 'ok.sqlite3'}", "migrate", data_dir=blocker / "d")
    else:
        result = linli(f"sqlite://{blocker / 'linli.sqlite3'}", "migrate")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("linli: cannot use the database"), result.stderr
    assert "Traceback" not in result.stderr
