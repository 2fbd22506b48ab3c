"""A throwaway PostgreSQL cluster from Debian's packages, on a loopback port, for tests.

`python -m tests.support.pgcluster start DIR` prints the URL; `stop DIR` ends it. The test
set-up (`tests/conftest.py`) starts one per session unless `LINLI_TEST_POSTGRES_URL` names a
server; `bench/storm.py` starts one for its run."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.support.server import free_port


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    path = shutil.which(name)
    if path is None:
        raise FileNotFoundError(f"{name} not found: apt-get install postgresql")
    return path


def available() -> bool:
    try:
        _bin("initdb")
        _bin("pg_ctl")
    except FileNotFoundError:
        return False
    return True


def _as_postgres(cmd: list[str]) -> list[str]:
    """initdb refuses to run as root: run the server as the `postgres` system user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def start(directory: Path) -> str:
    directory = Path(directory).resolve()
    if directory.exists():
        stop(directory)
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    data = directory / "data"
    port = free_port()
    subprocess.run(
        _as_postgres(
            [
                _bin("initdb"),
                "-D",
                str(data),
                "-U",
                "linli",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {directory} -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    subprocess.run(
        _as_postgres(
            [
                _bin("pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(directory / "log"),
                "-w",
                "start",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    (directory / "port").write_text(str(port))
    url = f"postgres://linli@127.0.0.1:{port}/postgres"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return url
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("PostgreSQL did not start; see " + str(directory / "log"))


def create_database(directory: Path, name: str) -> str:
    port = int((Path(directory) / "port").read_text())
    subprocess.run(
        [_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "linli", name],
        check=True,
    )
    return f"postgres://linli@127.0.0.1:{port}/{name}"


def stop(directory: Path) -> None:
    data = Path(directory) / "data"
    if (data / "postmaster.pid").exists():
        subprocess.run(
            _as_postgres([_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


def main(argv: list[str]) -> None:
    action, where = argv[0], Path(argv[1])
    if action == "start":
        print(start(where))
    else:
        stop(where)


if __name__ == "__main__":
    main(sys.argv[1:])
