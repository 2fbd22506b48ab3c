#!/usr/bin/env bash
# Regenerates 0001 (tables) and 0002 (CHECK constraints, added in a second step because
# Tortoise's CreateModel does not emit them). Only for before the first release.
set -euo pipefail
trap 'cp /tmp/event.py.bak api/models/event.py' EXIT
cd "$(dirname "$0")/.."
cp api/models/event.py /tmp/event.py.bak
python3 - <<'PY'
import pathlib
p = pathlib.Path("api/models/event.py")
out, depth = [], 0
for line in p.read_text().splitlines(keepends=True):
    if depth == 0 and line.strip().startswith("constraints = ("):
        depth = line.count("(") - line.count(")")
        continue
    if depth > 0:
        depth += line.count("(") - line.count(")")
        continue
    out.append(line)
p.write_text("".join(out))
PY
rm -f migrations/0*.py
.venv/bin/tortoise -c tortoise_config.TORTOISE_ORM makemigrations
cp /tmp/event.py.bak api/models/event.py
.venv/bin/tortoise -c tortoise_config.TORTOISE_ORM makemigrations -n shift_and_event_checks
