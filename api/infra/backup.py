"""Backups of the SQLite database, taken while the server runs, and their restore.

`backup()` uses ``VACUUM INTO``: one read transaction, so the copy is the database as of one
moment, however many writes the workers make meanwhile (WAL mode: readers block nobody). It is
written next to its target and renamed into place, so a half-written backup never has the
target's name. `restore()` checks the copy (``PRAGMA quick_check``, Linli's tables), sets the
current database aside (with its WAL) and puts the copy in its place; the server must be
stopped. PostgreSQL is backed up with ``pg_dump -Fc`` and restored with ``pg_restore`` (see the
README)."""

from __future__ import annotations

import os
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from tortoise.backends.base.config_generator import expand_db_url

from api.settings import get_settings


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says why, in one line."""


def sqlite_file(url: str | None = None) -> Path:
    url = url or get_settings().database_url
    if not url.startswith("sqlite"):
        raise BackupError(
            "linli backup/restore handle SQLite; for PostgreSQL use "
            "`pg_dump -Fc -f linli.dump DATABASE` and `pg_restore` (see the README, Backups)"
        )
    path = expand_db_url(url)["credentials"]["file_path"]
    if path == ":memory:":
        raise BackupError("an in-memory database has nothing to back up")
    return Path(path)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup(target: Path, url: str | None = None) -> Path:
    """Writes a consistent copy of the live database to `target` (replaced if it exists)."""
    source = sqlite_file(url)
    if not source.exists():
        raise BackupError(f"no database at {source}")
    target = Path(target)
    if target.is_dir():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = target / f"linli-{stamp}.sqlite3"
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    connection = sqlite3.connect(source, timeout=30)
    try:
        connection.execute("VACUUM INTO ?", (str(partial),))
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"backup failed: {exc}") from exc
    finally:
        connection.close()
    _fsync(partial)
    os.replace(partial, target)
    return target


def check(path: Path) -> None:
    """Refuses a file that is not an intact Linli database."""
    if not Path(path).is_file():
        raise BackupError(f"no backup at {path}")
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            (result,) = connection.execute("PRAGMA quick_check").fetchone()
            tables = {
                row[0]
                for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise BackupError(f"{path} is not an SQLite database: {exc}") from exc
    if result != "ok":
        raise BackupError(f"{path} is damaged: {result}")
    if not {"tortoise_migrations", "signup", "shift"} <= tables:
        raise BackupError(f"{path} is not a Linli database")


def restore(source: Path, url: str | None = None) -> Path | None:
    """Puts the backup `source` in place of the database (the server must be stopped).
    Returns where the previous database was set aside, if there was one."""
    source = Path(source)
    check(source)
    target = sqlite_file(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    incoming = target.with_name(target.name + ".restoring")
    shutil.copyfile(source, incoming)
    _fsync(incoming)
    aside = None
    if target.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        aside = target.with_name(f"{target.name}.before-restore-{stamp}")
        os.replace(target, aside)
    for suffix in ("-wal", "-shm"):  # the old database's log must not be applied to the copy
        companion = target.with_name(target.name + suffix)
        if companion.exists():
            if aside is not None:
                os.replace(companion, aside.with_name(aside.name + suffix))
            else:
                companion.unlink()
    os.replace(incoming, target)
    return aside
