"""GraphQL executed afresh vs. a hand-written endpoint, for four callers, on SQLite and on
PostgreSQL, with Linli's compiled execution switched on and off in the same run.

    .venv/bin/python bench/api_throughput.py                       # both backends, ~8 minutes
    .venv/bin/python bench/api_throughput.py --backend sqlite --duration 3 --warmup 1 \\
        --volunteers 300 --events 40 --no-write                    # a quick check that it works

The callers (each question asked of Linli's `/graphql` and of the reference, with the same
JSON answer, checked before anything is measured):

* **event list**: the next 20 published events with their shifts and seat counts, anonymous,
  `Cache-Control: no-cache` (executed afresh, not served from the response cache);
* **event list, API token**: the same with `Authorization: Bearer` (a third party);
* **my shifts**: a logged-in volunteer's first 20 sign-ups with shift and event, hours and
  place in the waitlist; each request another of the busiest volunteers (session cookies);
* **organizer page**: the event with the most sign-ups, its shifts and every roster
  (phones, hours, places), as a leader of its team.

SQLite: `linli demo --volunteers N --events M` into a file, one uvicorn worker per server,
against `reference_app.py` (sqlite3). PostgreSQL: a throwaway cluster (`tests/support/`),
the same data, `--pg-workers` (4) workers per server, against `reference_pg.py` (asyncpg).
Linli runs once per `--compiled` value with `LINLI_COMPILED_EXECUTION` set in the server's
environment (a Linli without compiled execution ignores it: both rows then measure the same
executor). Each measurement: `wrk -t2 -c32` for `--duration` seconds after `--warmup`.
On SQLite the anonymous list is also measured as browsers get it (from the response cache,
and revalidated with its ETag, `304`).

Writes bench/results/api-throughput-<date>.json and bench/results/api-throughput.md.
Target (the issue): every caller at ≥ 50 % of the reference's requests/s."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("LINLI_SECRET_KEY", "bench-secret-key-not-for-production")

from reference_common import gid, numbered  # noqa: E402

from tests.support import pgcluster  # noqa: E402
from tests.support.client import cookie_for  # noqa: E402
from tests.support.databases import load_demo, migrate, sqlite_url  # noqa: E402
from tests.support.seeding import open_sessions  # noqa: E402
from tests.support.server import AppServer, LinliServer, linli_command  # noqa: E402

RESULTS = ROOT / "bench" / "results"
TARGET = 0.50
TARGET_REVALIDATED = 0.90
ADMIN_PHONE = "13800000000"  # the demo's administrator (api/demo/neighbourhood.py)
ROTATED = 200  # "my shifts": the busiest volunteers, one after the other
# A load generator is one address sending thousands of requests: the hourly budgets are off.
NO_RATE_LIMITS = {"LINLI_RATE_LIMIT_POINTS": "0", "LINLI_RATE_LIMIT_ANONYMOUS_POINTS": "0"}

QUERY = """query NextEvents {
  events(first: 20) {
    nodes {
      id title kind startsAt endsAt capacity seatsTaken seatsLeft waitlistCount
      shifts { id role startsAt endsAt capacity seatsTaken seatsLeft waitlistCount }
    }
  }
}"""

MY_SHIFTS = """query MyShiftsList {
  viewer {
    id displayName
    signups(first: 20, status: [CONFIRMED, WAITLISTED, ATTENDED, NO_SHOW]) {
      totalCount
      nodes {
        id status checkedInAt hours waitlistPosition
        shift { id role startsAt endsAt event { id title status location { name } } }
      }
    }
  }
}"""

ORGANIZE = """query OrganizerEventPage($id: ID!) {
  node(id: $id) {
    ... on Event {
      id title status startsAt endsAt
      shifts {
        id role capacity seatsTaken waitlistCount
        signups(first: 100) {
          totalCount
          nodes {
            id status checkedInAt hours waitlistPosition
            volunteer { id displayName phone }
          }
        }
      }
    }
  }
}"""

CALLERS = ["event list", "event list, API token", "my shifts", "organizer page"]


def reference_server(backend: str, url: str, log_path: Path, workers: int) -> AppServer:
    """The hand-written reference for `backend`, on a free port."""
    if backend == "sqlite":
        app, env = "reference_app:app", {"REFERENCE_DATABASE": url.removeprefix("sqlite://")}
    else:
        app, env = "reference_pg:app", {"REFERENCE_DSN": url}
    return AppServer(
        app,
        log_path,
        app_dir=ROOT / "bench",
        health_path="/events",
        env=env,
        strict=False,
        workers=workers,
    )


def wrk(
    url: str,
    script: Path | None,
    seconds: int,
    threads: int,
    connections: int,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    out = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)

    def latency(label: str) -> str | None:
        found = re.search(rf"^\s+{label}\s+(\S+)", out, re.MULTILINE)
        return found.group(1) if found else None

    return {
        "requests_per_second": rps,
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(0) if errors else None,
        "latency_p50": latency("50%"),
        "latency_p99": latency("99%"),
        "command": " ".join(command + [url]),
    }


def lua_string(text: str) -> str:
    """`text` as a Lua string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def lua_script(
    path: Path,
    method: str,
    target: str,
    body: str | None,
    headers: dict[str, str],
    cookies: list[str] | None = None,
) -> Path:
    """A wrk script: `method target` with `body` and `headers`; with `cookies`, each request
    another caller's `Cookie` header (round robin)."""
    lines = [f"local body = {lua_string(body) if body else 'nil'}", "local headers = {"]
    lines += [f"  [{lua_string(k)}] = {lua_string(v)}," for k, v in headers.items()]
    lines += ["}", "local cookies = {"]
    lines += [f"  {lua_string(c)}," for c in cookies or []]
    lines += [
        "}",
        "local n = 0",
        "request = function()",
        "  n = n + 1",
        "  if #cookies > 0 then headers['Cookie'] = cookies[(n % #cookies) + 1] end",
        f"  return wrk.format({lua_string(method)}, {lua_string(target)}, headers, body)",
        "end",
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def lua_post(path: Path, body: str, *, fresh: bool = False) -> Path:
    """A wrk script posting `body` to /graphql; `fresh` asks Linli to execute instead of
    answering from its cache."""
    headers = {"Content-Type": "application/json"}
    if fresh:
        headers["Cache-Control"] = "no-cache"
    return lua_script(path, "POST", "/graphql", body, headers)


# --- the data ---------------------------------------------------------------------------------


def rows(url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """`sql` (with `?` placeholders) on either backend."""
    if url.startswith("sqlite://"):
        with sqlite3.connect(url.removeprefix("sqlite://")) as db:
            return [tuple(r) for r in db.execute(sql, params).fetchall()]
    import asyncpg

    async def fetch() -> list[tuple[Any, ...]]:
        connection = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        try:
            return [tuple(r) for r in await connection.fetch(numbered(sql), *params)]
        finally:
            await connection.close()

    return asyncio.run(fetch())


def linli(url: str, data_dir: Path, *args: str) -> str:
    """`linli <args>` on the database `url`; its standard output."""
    env = {**os.environ, "LINLI_DATABASE_URL": url, "LINLI_DATA_DIR": str(data_dir)}
    done = subprocess.run(linli_command(*args), cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"linli {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def load(backend: str, work: Path, volunteers: int, events: int) -> tuple[str, float]:
    """A database with the demo neighbourhood and the load generator's data; (url, seconds)."""
    if backend == "sqlite":
        database = work / "linli.sqlite3"
        return sqlite_url(database), load_demo(database, volunteers=volunteers, events=events)
    url = pgcluster.create_database(work / "pg", "linli_bench")
    started = datetime.now(UTC)
    asyncio.run(migrate(url))
    linli(url, work / "data", "demo", "--volunteers", str(volunteers), "--events", str(events))
    return url, (datetime.now(UTC) - started).total_seconds()


SIGNED_UP = "('CONFIRMED', 'WAITLISTED', 'ATTENDED', 'NO_SHOW')"


def callers(url: str, work: Path) -> dict[str, Any]:
    """Who asks: the busiest volunteers ("my shifts"), the event with the most sign-ups and a
    leader of its team (or the administrator), an API token; sessions opened for them."""
    busiest = [
        int(r[0])
        for r in rows(
            url,
            f"SELECT volunteer_id FROM signup WHERE status IN {SIGNED_UP} GROUP BY volunteer_id"
            " ORDER BY COUNT(*) DESC, volunteer_id LIMIT ?",
            ROTATED,
        )
    ]
    found = rows(
        url,
        "SELECT e.id, MIN(m.volunteer_id) FROM event e"
        " JOIN team_membership m ON m.team_id = e.team_id AND m.role = 'LEADER'"
        " JOIN shift s ON s.event_id = e.id JOIN signup g ON g.shift_id = s.id"
        " GROUP BY e.id ORDER BY COUNT(*) DESC, e.id LIMIT 1",
    )
    if found:
        event_id, organizer = int(found[0][0]), int(found[0][1])
    else:
        event_id = int(
            rows(
                url,
                "SELECT s.event_id FROM signup g JOIN shift s ON s.id = g.shift_id"
                " GROUP BY s.event_id ORDER BY COUNT(*) DESC LIMIT 1",
            )[0][0]
        )
        organizer = int(rows(url, "SELECT id FROM volunteer WHERE phone = ?", ADMIN_PHONE)[0][0])
    asyncio.run(open_sessions(url, [*busiest, organizer]))
    token = linli(url, work / "data", "token", "create", "--phone", ADMIN_PHONE, "--name", "bench")
    signups = rows(
        url,
        "SELECT COUNT(*) FROM signup g JOIN shift s ON s.id = g.shift_id WHERE s.event_id = ?",
        event_id,
    )[0][0]
    return {
        "cookies": [cookie_for(v)["Cookie"] for v in busiest],
        "organizer_cookie": cookie_for(organizer)["Cookie"],
        "event_id": event_id,
        "event_signups": int(signups),
        "token": token.strip().splitlines()[0],
    }


def counts(url: str) -> dict[str, int]:
    return {
        table: int(rows(url, f'SELECT COUNT(*) FROM "{table}"')[0][0])
        for table in ("volunteer", "event", "shift", "signup")
    }


# --- the requests -----------------------------------------------------------------------------


def requests(who: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per caller: Linli's request and the reference's (method, target, body, headers, cookies)."""
    json_headers = {"Content-Type": "application/json", "Cache-Control": "no-cache"}
    event_gid = gid("Event", who["event_id"])
    bearer = {"Authorization": f"Bearer {who['token']}"}
    return {
        "event list": {
            "linli": ("POST", "/graphql", json.dumps({"query": QUERY}), json_headers, None),
            "reference": ("GET", "/events", None, {}, None),
        },
        "event list, API token": {
            "linli": (
                "POST",
                "/graphql",
                json.dumps({"query": QUERY}),
                {**json_headers, **bearer},
                None,
            ),
            "reference": ("GET", "/events", None, bearer, None),
        },
        "my shifts": {
            "linli": (
                "POST",
                "/graphql",
                json.dumps({"query": MY_SHIFTS}),
                json_headers,
                who["cookies"],
            ),
            "reference": ("GET", "/mine", None, {}, who["cookies"]),
        },
        "organizer page": {
            "linli": (
                "POST",
                "/graphql",
                json.dumps({"query": ORGANIZE, "variables": {"id": event_gid}}),
                json_headers,
                [who["organizer_cookie"]],
            ),
            "reference": ("GET", f"/organize?id={event_gid}", None, {}, [who["organizer_cookie"]]),
        },
    }


def answer(base_url: str, request: tuple[Any, ...]) -> dict[str, Any]:
    """One request as the wrk script sends it (the first cookie); the answer without
    `extensions` (Linli reports the query's cost there)."""
    method, target, body, headers, cookies = request
    headers = {**headers, **({"Cookie": cookies[0]} if cookies else {})}
    response = httpx.request(method, base_url + target, content=body, headers=headers, timeout=30)
    response.raise_for_status()
    found: dict[str, Any] = response.json()
    found.pop("extensions", None)
    return found


def meaningful(caller: str, found: dict[str, Any]) -> bool:
    """The answer has real data to compare (not an empty list)."""
    data = found.get("data") or {}
    if caller.startswith("event list"):
        return bool(data.get("events", {}).get("nodes"))
    if caller == "my shifts":
        return bool((data.get("viewer") or {}).get("signups", {}).get("nodes"))
    return bool((data.get("node") or {}).get("shifts"))


# --- the run ----------------------------------------------------------------------------------


def measure_backend(backend: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    workers = 1 if backend == "sqlite" else args.pg_workers
    print(f"[{backend}] loading {args.volunteers} volunteers, {args.events} events …", flush=True)
    url, load_seconds = load(backend, work, args.volunteers, args.events)
    who = callers(url, work)
    asked = requests(who)
    runs: dict[str, dict[str, Any]] = {caller: {} for caller in CALLERS}
    extra: dict[str, Any] = {}

    def run(name: str, base_url: str, caller: str, request: tuple[Any, ...]) -> None:
        method, target, body, headers, cookies = request
        script = lua_script(work / "request.lua", method, target, body, headers, cookies)
        wrk(base_url + target, script, args.warmup, args.threads, args.connections)
        figures = wrk(base_url + target, script, args.duration, args.threads, args.connections)
        runs[caller][name] = figures
        print(
            f"[{backend}] {caller:>22} {name:>13}: {figures['requests_per_second']:>8.1f} req/s,"
            f" p99 {figures['latency_p99']}",
            flush=True,
        )

    with reference_server(backend, url, work / f"reference-{backend}.log", workers) as ref:
        expected = {c: answer(ref.base_url, asked[c]["reference"]) for c in CALLERS}
        empty = [c for c in CALLERS if not meaningful(c, expected[c])]
        if empty:
            raise RuntimeError(f"no data to compare for {empty}: larger --volunteers/--events")
        for caller in CALLERS:
            run("reference", ref.base_url, caller, asked[caller]["reference"])
    for mode in args.compiled:
        env = {"LINLI_COMPILED_EXECUTION": mode, **NO_RATE_LIMITS}
        log = work / f"linli-{backend}-{mode}.log"
        with LinliServer(url, workers, log, env=env, strict=False) as server:
            for caller in CALLERS:
                got = answer(server.base_url, asked[caller]["linli"])
                if got != expected[caller]:
                    print(
                        f"[{backend}] {caller}: the answers differ; nothing measured",
                        file=sys.stderr,
                    )
                    print(
                        json.dumps([expected[caller], got], ensure_ascii=False)[:3000],
                        file=sys.stderr,
                    )
                    raise RuntimeError("different answers")
            for caller in CALLERS:
                run(f"compiled {mode}", server.base_url, caller, asked[caller]["linli"])
            if backend == "sqlite" and mode == args.compiled[0]:
                extra = cached_list(server.base_url, work, args)
            if any(r.get("non_2xx") for c in runs.values() for r in c.values()):
                print(server.log()[-3000:], file=sys.stderr)
    ratios = {
        caller: {
            name: round(figures["requests_per_second"] / by["reference"]["requests_per_second"], 3)
            for name, figures in by.items()
            if name != "reference"
        }
        for caller, by in runs.items()
    }
    return {
        "workers": workers,
        "data": counts(url),
        "database_load_seconds": round(load_seconds, 1),
        "organizer_event_signups": who["event_signups"],
        "my_shifts_volunteers": len(who["cookies"]),
        "runs": runs,
        "ratio_to_reference": ratios,
        "target_met": {c: {n: r >= TARGET for n, r in by.items()} for c, by in ratios.items()},
        "answer_bytes": {c: len(json.dumps(expected[c])) for c in CALLERS},
        "anonymous_list_as_browsers_get_it": extra,
    }


def cached_list(base_url: str, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The anonymous list from the response cache (POST) and revalidated (GET with its ETag)."""
    body = json.dumps({"query": QUERY})
    figures: dict[str, Any] = {}
    post = lua_post(work / "cached.lua", body)
    wrk(base_url + "/graphql", post, args.warmup, args.threads, args.connections)
    figures["cached POST"] = wrk(
        base_url + "/graphql", post, args.duration, args.threads, args.connections
    )
    get_url = base_url + "/graphql?" + urlencode({"query": QUERY})
    etag = revalidates(get_url)
    headers = {"If-None-Match": etag}
    wrk(get_url, None, args.warmup, args.threads, args.connections, headers)
    figures["GET 304"] = wrk(get_url, None, args.duration, args.threads, args.connections, headers)
    for name, run in figures.items():
        print(f"[sqlite] anonymous list {name}: {run['requests_per_second']:.1f} req/s", flush=True)
    return figures


def revalidates(url: str) -> str:
    """The answer's ETag, after checking that sending it back gets an empty 304."""
    etag = httpx.get(url, timeout=10).headers["etag"]
    again = httpx.get(url, headers={"If-None-Match": etag}, timeout=10)
    assert again.status_code == 304 and not again.content, again
    return etag


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--volunteers", type=int, default=2000)
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per run")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--pg-workers", type=int, default=4)
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
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="linli-bench-") as tmp:
        work = Path(tmp)
        work.chmod(0o755)  # the PostgreSQL cluster runs as the postgres user when root
        started_pg = False
        try:
            for backend in backends:
                if backend == "postgres":
                    pgcluster.start(work / "pg")
                    started_pg = True
                (work / backend).mkdir()
                results[backend] = measure_backend(backend, args, work)
        finally:
            if started_pg:
                pgcluster.stop(work / "pg")
    result = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "questions": {
            "event list": "the next 20 published events with their shifts and seat counts, "
            "anonymous, Cache-Control: no-cache",
            "event list, API token": "the same with Authorization: Bearer",
            "my shifts": f"a volunteer's first 20 sign-ups with shift and event (the {ROTATED} "
            "busiest volunteers in turn, session cookies)",
            "organizer page": "the event with the most sign-ups: its shifts and every roster, "
            "as a leader of its team",
        },
        "queries": {"event list": QUERY, "my shifts": MY_SHIFTS, "organizer page": ORGANIZE},
        "generated": {"volunteers": args.volunteers, "events": args.events},
        "load": f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s "
        f"(after {args.warmup}s warm-up)",
        "compiled_modes": args.compiled,
        "backends": results,
        "target": TARGET,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    summary = markdown(result)
    print(summary)
    if not args.no_write:
        write_results("api-throughput", result, summary)
    return 0


def write_results(name: str, result: dict[str, Any], summary: str) -> None:
    """bench/results/<name>-<day>.json (the run's figures) and <name>.md (the latest)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    day = result["measured_at"][:10]
    (RESULTS / f"{name}-{day}.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=2) + "\n"
    )
    (RESULTS / f"{name}.md").write_text(summary)


def markdown(result: dict[str, Any]) -> str:
    modes = result["compiled_modes"]
    lines = [
        "# API throughput: GraphQL executed afresh vs. a hand-written endpoint",
        "",
        f"Measured {result['measured_at']} by `bench/api_throughput.py` "
        f"(demo + {result['generated']['volunteers']} volunteers, "
        f"{result['generated']['events']} events), {result['load']}, on "
        f"{result['machine']['cpus']} CPUs, Python {result['machine']['python']}. "
        "Ratios are GraphQL's requests/s over the reference's, from the same run; "
        "`LINLI_COMPILED_EXECUTION` on and off.",
        "",
    ]
    for backend, figures in result["backends"].items():
        reference = "reference_app.py (sqlite3)" if backend == "sqlite" else "reference_pg.py"
        lines += [
            f"## {backend}, {figures['workers']} worker(s) per server, against `{reference}`",
            "",
            "| caller | reference req/s | "
            + " | ".join(f"compiled {m}: req/s, p99, ratio" for m in modes)
            + " |",
            "|---|---:|" + "---:|" * len(modes),
        ]
        for caller, by in figures["runs"].items():
            cells = []
            for mode in modes:
                run = by.get(f"compiled {mode}")
                ratio = figures["ratio_to_reference"][caller].get(f"compiled {mode}")
                cells.append(
                    "—"
                    if run is None
                    else f"{run['requests_per_second']:.0f}, {run['latency_p99']}, **{ratio:.0%}**"
                )
            lines.append(
                f"| {caller} | {by['reference']['requests_per_second']:.0f} | "
                + " | ".join(cells)
                + " |"
            )
        extra = figures.get("anonymous_list_as_browsers_get_it") or {}
        if extra:
            ref = figures["runs"]["event list"]["reference"]["requests_per_second"]
            lines += [""] + [
                f"Anonymous list {name} (response cache): {run['requests_per_second']:.0f} "
                f"req/s, {run['requests_per_second'] / ref:.0%} of the reference."
                for name, run in extra.items()
            ]
        lines += [
            "",
            f"Data: {figures['data']}; the organizer's event has "
            f"{figures['organizer_event_signups']} sign-ups.",
            "",
        ]
    lines += [f"Target: every caller ≥ {result['target']:.0%} of the reference.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
