"""Linli's files are its user's alone: the data directory 0700; the database, its WAL and
shared-memory files, keys and everything else in it 0600.

SQLite creates the `-wal` and `-shm` files with the permissions of the database file, so
creating the database file 0600 before SQLite opens it is enough for all three."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from api.settings import Settings

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def private_dir(path: Path) -> None:
    """Creates `path` (and missing parents) 0700, or makes an existing one 0700."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    _chmod(path, PRIVATE_DIR)


def private_file(path: Path) -> None:
    """Creates `path` empty and 0600 if it is missing; makes an existing one 0600."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    _chmod(path, PRIVATE_FILE)


def prepare_sqlite(path: Path) -> None:
    """Before SQLite opens `path`: its directory exists, and the file exists 0600."""
    if not path.parent.exists():
        private_dir(path.parent)
    private_file(path)
    for suffix in SQLITE_SUFFIXES[1:]:
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            _chmod(companion, PRIVATE_FILE)


def keep_private(settings: Settings) -> None:
    """For `linli serve` and the other commands that write: files this process creates are
    0600 (umask 077); the data directory is 0700 and every file directly in it 0600."""
    os.umask(0o077)
    private_dir(settings.data_dir)
    for entry in settings.data_dir.iterdir():
        if entry.is_symlink():
            continue
        _chmod(entry, PRIVATE_DIR if entry.is_dir() else PRIVATE_FILE)
    if settings.is_sqlite:
        path = Path(settings.database_url.split("://", 1)[1].partition("?")[0])
        if str(path) != ":memory:":
            prepare_sqlite(path)


def _chmod(path: Path, mode: int) -> None:
    """Sets `mode` on a path this user owns (someone else's file is left alone)."""
    with contextlib.suppress(FileNotFoundError, PermissionError):
        info = path.stat()
        if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) != mode:
            path.chmod(mode)
