"""Latency with a large neighbourhood: the event list and "my shifts" at 20 concurrent clients.

    .venv/bin/python bench/large_dataset.py                 # 100 000 volunteers, 11 000 events
    .venv/bin/python bench/large_dataset.py --volunteers 20000 --events 2000 --no-write

Loads a fresh SQLite database with `linli demo --volunteers N --events M` (about 95 sign-ups per
event, so 11 000 events make about a million), serves it with `linli serve --workers <cpus>`,
and measures with `wrk -c20 --latency`, after a warm-up:

* the event list: the home page's own operation (`schema/operations/UpcomingEvents.graphql`,
  20 events) as an anonymous visitor, answered from the response cache as browsers get it,
  and executed afresh (`Cache-Control: no-cache`);
* my shifts: `MyShifts.graphql` (20 sign-ups and 5 notifications), each request as another of
  1000 volunteers (session cookies), never cached.

Linli runs once per `--compiled` value (`LINLI_COMPILED_EXECUTION` in the server's environment,
default `off,on`: before and after compiled execution, in the same run). Sizes are options, so
a short run is possible (`--volunteers 2000 --events 200 --duration 3`).

Writes bench/results/large-dataset-<date>.json and bench/results/large-dataset.md. Target
(shared/QUALITY.md): p99 under 50 ms for both.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import sqlite3
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("LINLI_SECRET_KEY", "bench-secret-key-not-for-production")

from api_throughput import NO_RATE_LIMITS, lua_string, write_results, wrk  # noqa: E402

from tests.support.client import cookie_for  # noqa: E402
from tests.support.databases import load_demo, sqlite_url  # noqa: E402
from tests.support.seeding import open_sessions  # noqa: E402
from tests.support.server import LinliServer  # noqa: E402

TARGET_P99_MS = 50.0
OPERATIONS = ROOT / "schema" / "operations"
ROTATED = 1000


def lua_script(path: Path, body: str, headers: dict[str, str], cookies: list[str]) -> Path:
    """A wrk script posting `body`; with `cookies`, each request is another volunteer's."""
    lines = [f"local body = {lua_string(body)}", "local headers = {"]
    lines += [f"  [{lua_string(k)}] = {lua_string(v)}," for k, v in headers.items()]
    lines += ["}", "local cookies = {"]
    lines += [f"  {lua_string(c)}," for c in cookies]
    lines += [
        "}",
        "local n = 0",
        "request = function()",
        "  n = n + 1",
        "  if #cookies > 0 then headers['Cookie'] = cookies[(n % #cookies) + 1] end",
        "  return wrk.format('POST', '/graphql', headers, body)",
        "end",
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def operation(name: str, variables: dict[str, Any]) -> str:
    query = (OPERATIONS / f"{name}.graphql").read_text()
    return json.dumps({"query": query, "variables": variables, "operationName": name})


def counts(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as db:
        return {
            table: int(db.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])
            for table in ("volunteer", "event", "shift", "signup")
        }


def busiest_volunteers(database: Path, limit: int) -> list[int]:
    """Volunteers with the most sign-ups: "my shifts" at its fullest."""
    with sqlite3.connect(database) as db:
        rows = db.execute(
            "SELECT volunteer_id FROM signup GROUP BY volunteer_id"
            " ORDER BY COUNT(*) DESC, volunteer_id LIMIT ?",
            (limit,),
        ).fetchall()
    return [int(r[0]) for r in rows]


def check_answers(url: str, events_body: str, mine_body: str, cookie: str) -> None:
    """Both operations answer real data (no errors; "my shifts" as the logged-in volunteer)."""
    headers = {"Content-Type": "application/json"}
    events = httpx.post(url, content=events_body, headers=headers, timeout=30).json()
    assert "errors" not in events and len(events["data"]["events"]["nodes"]) == 20, events
    mine = httpx.post(url, content=mine_body, headers={**headers, "Cookie": cookie}, timeout=30)
    viewer = mine.json()["data"]["viewer"]
    assert "errors" not in mine.json() and viewer and viewer["signups"]["nodes"], mine.text


def milliseconds(value: str | None) -> float | None:
    """wrk's latency ("12.34ms", "1.02s", "850.00us") in milliseconds."""
    if not value:
        return None
    for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if value.endswith(unit):
            return round(float(value[: -len(unit)]) * factor, 2)
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=11_000)
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rotated", type=int, default=ROTATED, help="volunteers in turn")
    parser.add_argument(
        "--compiled",
        type=lambda text: [m.strip() for m in text.split(",") if m.strip()],
        default=["off", "on"],
        help="LINLI_COMPILED_EXECUTION values to run Linli with (default: off,on)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="linli-large-") as tmp:
        work = Path(tmp)
        database = work / "linli.sqlite3"
        print(f"loading {args.volunteers} volunteers and {args.events} events …", flush=True)
        load_seconds = load_demo(database, volunteers=args.volunteers, events=args.events)
        rows = counts(database)
        print(f"loaded in {load_seconds:.0f} s: {rows}", flush=True)
        busiest = busiest_volunteers(database, args.rotated)
        asyncio.run(open_sessions(sqlite_url(database), busiest))
        cookies = [cookie_for(v)["Cookie"] for v in busiest]
        json_headers = {"Content-Type": "application/json"}
        events_body = operation("UpcomingEvents", {"first": 20})
        mine_body = operation("MyShifts", {"first": 20, "notifications": 5})
        scripts = {
            "event list (cached)": lua_script(work / "events.lua", events_body, json_headers, []),
            "event list (uncached)": lua_script(
                work / "fresh.lua", events_body, {**json_headers, "Cache-Control": "no-cache"}, []
            ),
            "my shifts": lua_script(work / "mine.lua", mine_body, json_headers, cookies),
        }
        runs: dict[str, dict[str, Any]] = {}
        for mode in args.compiled:
            server = LinliServer(
                sqlite_url(database),
                args.workers,
                work / f"linli-{mode}.log",
                env={"LINLI_COMPILED_EXECUTION": mode, **NO_RATE_LIMITS},
                strict=False,
            )
            with server as linli:
                url = linli.base_url + "/graphql"
                check_answers(url, events_body, mine_body, cookies[0])
                for request, script in scripts.items():
                    name = f"{request}, compiled {mode}"
                    wrk(url, script, args.warmup, 2, args.connections)
                    run = wrk(url, script, args.duration, 2, args.connections)
                    run["p50_ms"] = milliseconds(run["latency_p50"])
                    run["p99_ms"] = milliseconds(run["latency_p99"])
                    runs[name] = run
                    print(
                        f"{name:>36}: {run['requests_per_second']:>8.1f} req/s,"
                        f" p50 {run['latency_p50']}, p99 {run['latency_p99']}",
                        flush=True,
                    )
                if any(r["non_2xx"] or r["socket_errors"] for r in runs.values()):
                    print("errors during the run:", file=sys.stderr)
                    print(linli.log()[-3000:], file=sys.stderr)

    now = datetime.now(UTC)
    result = {
        "measured_at": now.isoformat(timespec="seconds"),
        "data": rows,
        "database_load_seconds": round(load_seconds, 1),
        "load": f"wrk -t2 -c{args.connections} -d{args.duration}s --latency "
        f"(after {args.warmup}s warm-up), linli serve --workers {args.workers}, SQLite",
        "runs": runs,
        "target_p99_ms": TARGET_P99_MS,
        "target_met": {
            name: run["p99_ms"] is not None and run["p99_ms"] < TARGET_P99_MS
            for name, run in runs.items()
        },
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    print(json.dumps(result["target_met"]))
    if not args.no_write:
        write_results("large-dataset", result, markdown(result))
    return 0


def markdown(result: dict[str, Any]) -> str:
    data = result["data"]
    lines = [
        "# Latency with a large neighbourhood",
        "",
        f"Measured {result['measured_at']} by `bench/large_dataset.py`: "
        f"{data['volunteer']:,} volunteers, {data['event']:,} events, {data['shift']:,} shifts, "
        f"{data['signup']:,} sign-ups (loaded in {result['database_load_seconds']} s); "
        f"{result['load']}, on {result['machine']['cpus']} CPUs.",
        "",
        "| request | requests/s | p50 | p99 | p99 < 50 ms |",
        "|---|---:|---:|---:|---|",
    ]
    for name, run in result["runs"].items():
        met = "yes" if result["target_met"][name] else "**no**"
        lines.append(
            f"| {name} | {run['requests_per_second']:.0f} | {run['latency_p50']} "
            f"| {run['latency_p99']} | {met} |"
        )
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
