"""One configuration: read in `api.settings` only, documented in the README, and importing the
package (or building the app and its schema) writes nothing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from api.settings import PROJECT_ROOT, load_settings

BUILD_EVERYTHING = """
import api.app, api.asgi, api.cli
from api.graphql.schema import export_sdl
api.app.create_app()
assert "type Query" in export_sdl()
"""


def _bare_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINLI_")}
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def test_building_the_app_in_an_empty_directory_writes_no_file(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", BUILD_EVERYTHING],
        cwd=tmp_path,
        env=_bare_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert list(tmp_path.rglob("*")) == []


def test_export_schema_writes_no_file(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "api", "export-schema"],
        cwd=tmp_path,
        env=_bare_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "type Query" in done.stdout
    assert list(tmp_path.rglob("*")) == []


def test_secret_key_is_generated_on_first_use_and_kept(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = load_settings({"LINLI_DATA_DIR": str(data)})
    assert not data.exists()
    key = settings.secret_key
    assert len(key) >= 32
    stored = data / "secret_key"
    assert stored.read_text() == key
    assert stored.stat().st_mode & 0o777 == 0o600
    # A restart (another process, another worker) signs with the same key.
    assert load_settings({"LINLI_DATA_DIR": str(data)}).secret_key == key
    # A configured key wins, and nothing is written for it.
    elsewhere = tmp_path / "other"
    configured = load_settings({"LINLI_DATA_DIR": str(elsewhere), "LINLI_SECRET_KEY": "k" * 40})
    assert configured.secret_key == "k" * 40
    assert not elsewhere.exists()


def _names_in(text: str) -> set[str]:
    return set(re.findall(r"\bLINLI_[A-Z_]+[A-Z]\b", text))


def test_environment_is_read_in_settings_only_and_documented() -> None:
    api = PROJECT_ROOT / "api"
    for path in api.rglob("*.py"):
        if path == api / "settings.py":
            continue
        code = path.read_text()
        assert "os.environ" not in code and "getenv" not in code, f"{path} reads the environment"
    read = _names_in((api / "settings.py").read_text())
    assert {"LINLI_DATABASE_URL", "LINLI_SECRET_KEY", "LINLI_PUBLIC_URL"} <= read
    readme = (PROJECT_ROOT / "README.md").read_text()
    table = _names_in("\n".join(line for line in readme.splitlines() if line.startswith("| `")))
    assert read <= table, f"not in the README's configuration table: {sorted(read - table)}"
