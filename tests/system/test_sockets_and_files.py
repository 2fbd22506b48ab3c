"""`linli serve` keeps its files private (data directory 0700; database, WAL and other files
0600) and does not wait forever for clients that send their headers or body slowly."""

from __future__ import annotations

import socket
import stat
from pathlib import Path

import pytest

from api.http.serving import TimedHttpToolsProtocol, uvicorn_options
from tests.serverproc import LinliServer


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _read_until_closed(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(4096):
        received += chunk
    return received


@pytest.fixture
def served(tmp_path, monkeypatch, request):
    data = tmp_path / "server-data"  # the LinliServer's data directory
    data.mkdir(mode=0o755)
    (data / "left-over.jsonl").write_text("{}\n")
    (data / "left-over.jsonl").chmod(0o644)
    monkeypatch.setenv("LINLI_HEADER_TIMEOUT", str(getattr(request, "param", 1)))
    monkeypatch.setenv("LINLI_BODY_TIMEOUT", "1")
    database = tmp_path / "db" / "linli.sqlite3"
    with LinliServer(f"sqlite://{database}", 1, tmp_path / "server.log") as server:
        yield server, data, database


@pytest.mark.sqlite_only
def test_serve_keeps_its_files_private(served) -> None:
    server, data, database = served
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        # /readyz opens the database (/healthz, liveness, touches nothing but the process)
        sock.sendall(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert b" 200 " in _read_until_closed(sock).split(b"\r\n", 1)[0]
    assert mode(data) == 0o700
    assert mode(data / "left-over.jsonl") == 0o600
    assert mode(database.parent) == 0o700
    for suffix in ("", "-wal", "-shm"):
        companion = database.with_name(database.name + suffix)
        assert companion.exists(), companion
        assert mode(companion) == 0o600, companion


@pytest.mark.sqlite_only
def test_slow_headers_and_slow_bodies_are_cut_off(served) -> None:
    server, _, _ = served
    # Headers that never end: the server closes the connection (not after the 30 s we wait).
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        assert _read_until_closed(sock) == b""
    # A body that never arrives: 408.
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 1000\r\n\r\n{"query": '
        )
        answer = _read_until_closed(sock)
        assert answer.split(b"\r\n", 1)[0] == b"HTTP/1.1 408 Request Timeout"
    # Meanwhile, and afterwards, ordinary requests are served.
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert b" 200 " in _read_until_closed(sock).split(b"\r\n", 1)[0]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("served", [300], indirect=True)  # a header deadline far away
def test_endless_headers_are_cut_off_by_their_size(served) -> None:
    server, _, _ = served
    with socket.create_connection(("127.0.0.1", server.port), timeout=120) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        try:
            for _ in range(64):
                sock.sendall(b"X-Padding: " + b"a" * 1000 + b"\r\n")
            assert _read_until_closed(sock) == b""
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed while we were still sending: as good


def test_uvicorn_is_given_limits() -> None:
    options = uvicorn_options()
    assert options["http"] is TimedHttpToolsProtocol
    assert options["limit_concurrency"] > 0 and options["timeout_keep_alive"] > 0
    assert options["h11_max_incomplete_event_size"] == 16 * 1024
