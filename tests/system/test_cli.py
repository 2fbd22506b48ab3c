"""The command line: migrate, user create (the first admin), token create, export-schema."""

import os
import sqlite3
import subprocess
import sys

from api.graphql.schema import export_sdl


def linli(tmp_path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LINLI_DATABASE_URL": f"sqlite://{tmp_path / 'cli.sqlite3'}"}
    return subprocess.run(
        [sys.executable, "-m", "api", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_migrate_user_and_token(tmp_path):
    assert linli(tmp_path, "migrate").returncode == 0
    created = linli(
        tmp_path,
        "user",
        "create",
        "--phone",
        "13800001111",
        "--password",
        "admin-pass-1",
        "--name",
        "社区管理员",
        "--admin",
    )
    assert created.returncode == 0, created.stderr
    assert "admin" in created.stdout
    again = linli(
        tmp_path,
        "user",
        "create",
        "--phone",
        "13800001111",
        "--password",
        "admin-pass-1",
        "--name",
        "x",
    )
    assert again.returncode == 1 and "already registered" in again.stderr
    bad = linli(tmp_path, "user", "create", "--phone", "1", "--password", "x", "--name", "")
    assert bad.returncode == 1 and "mobile number" in bad.stderr
    token = linli(tmp_path, "token", "create", "--phone", "13800001111", "--name", "区看板")
    assert token.returncode == 0 and token.stdout.startswith("linli_")
    rows = (
        sqlite3.connect(tmp_path / "cli.sqlite3")
        .execute("SELECT display_name, is_admin FROM volunteer")
        .fetchall()
    )
    assert rows == [("社区管理员", 1)]


def test_export_schema_prints_the_sdl(tmp_path):
    printed = linli(tmp_path, "export-schema")
    assert printed.returncode == 0 and printed.stdout == export_sdl()
