"""GraphQL vs. the hand-written reference: "the next 20 published events with their shifts
and seat counts", both under wrk, one worker each, one after the other in one run.

    .venv/bin/python bench/api_throughput.py                # demo + 2000 volunteers, 300 events
    .venv/bin/python bench/api_throughput.py --duration 5   # quicker

Loads a fresh SQLite database with `linli demo --volunteers 2000 --events 300`, checks that
Linli's answer (POST and GET /graphql) and the reference's (bench/reference_app.py) are the
same JSON, then measures each with `wrk -t2 -c32 -d15s` after a short warm-up: POST, GET,
GET revalidated with the answer's ETag (`304`), and POST executed afresh. Writes
bench/results/api-throughput-<date>.json and bench/results/api-throughput.md. Targets
(shared/QUALITY.md): GraphQL at ≥ 50 % of the reference's requests/s, a revalidated GET at
≥ 90 %."""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
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
os.environ.setdefault("LINLI_SECRET_KEY", "bench-secret-key-not-for-production")

from tests.support.databases import load_demo, sqlite_url  # noqa: E402
from tests.support.server import AppServer, LinliServer  # noqa: E402

RESULTS = ROOT / "bench" / "results"
TARGET = 0.50
TARGET_REVALIDATED = 0.90

QUERY = """query NextEvents {
  events(first: 20) {
    nodes {
      id title kind startsAt endsAt capacity seatsTaken seatsLeft waitlistCount
      shifts { id role startsAt endsAt capacity seatsTaken seatsLeft waitlistCount }
    }
  }
}"""


def reference_server(database: Path, log_path: Path) -> AppServer:
    """bench/reference_app.py under uvicorn, one worker, on a free port."""
    return AppServer(
        "reference_app:app",
        log_path,
        app_dir=ROOT / "bench",
        health_path="/events",
        env={"REFERENCE_DATABASE": str(database)},
        strict=False,
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


def lua_post(path: Path, body: str, *, fresh: bool = False) -> Path:
    """A wrk script posting `body`; `fresh` asks Linli to execute instead of using its cache."""
    path.write_text(
        f'wrk.method = "POST"\nwrk.body = {lua_string(body)}\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        + ('wrk.headers["Cache-Control"] = "no-cache"\n' if fresh else "")
    )
    return path


def revalidates(url: str) -> str:
    """The answer's ETag, after checking that sending it back gets an empty 304."""
    etag = httpx.get(url, timeout=10).headers["etag"]
    again = httpx.get(url, headers={"If-None-Match": etag}, timeout=10)
    assert again.status_code == 304 and not again.content, again
    return etag


def same_answer(*urls_and_bodies: tuple[str, str, str | None]) -> list[dict[str, Any]]:
    answers = []
    for method, url, body in urls_and_bodies:
        response = httpx.request(
            method,
            url,
            content=body,
            headers={"Content-Type": "application/json"} if body else {},
            timeout=10,
        )
        response.raise_for_status()
        answers.append(response.json())
    return answers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=2000)
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per server")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="linli-bench-") as tmp:
        work = Path(tmp)
        database = work / "linli.sqlite3"
        load_seconds = load_demo(database, volunteers=args.volunteers, events=args.events)
        post_body = json.dumps({"query": QUERY})
        post_script = lua_post(work / "post.lua", post_body)
        fresh_script = lua_post(work / "fresh.lua", post_body, fresh=True)
        get_path = "/graphql?" + urlencode({"query": QUERY})
        runs: dict[str, dict[str, Any]] = {}

        def measure(
            name: str, url: str, script: Path | None, headers: dict[str, str] | None = None
        ) -> None:
            wrk(url, script, args.warmup, args.threads, args.connections, headers)
            runs[name] = wrk(url, script, args.duration, args.threads, args.connections, headers)
            print(f"{name:>16}: {runs[name]['requests_per_second']:>9.1f} req/s", flush=True)

        with (
            reference_server(database, work / "reference.log") as reference,
            LinliServer(sqlite_url(database), 1, work / "linli.log", strict=False) as linli,
        ):
            ref, post, get = same_answer(
                ("GET", reference.base_url + "/events", None),
                ("POST", linli.base_url + "/graphql", post_body),
                ("GET", linli.base_url + get_path, None),
            )
            if not (ref == post == get) or len(ref["data"]["events"]["nodes"]) != 20:
                print("the answers differ; nothing measured", file=sys.stderr)
                print(json.dumps([ref, post, get], ensure_ascii=False)[:3000], file=sys.stderr)
                return 1
            measure("reference", reference.base_url + "/events", None)
            measure("graphql POST", linli.base_url + "/graphql", post_script)
            measure("graphql GET", linli.base_url + get_path, None)
            etag = revalidates(linli.base_url + get_path)
            measure("graphql GET 304", linli.base_url + get_path, None, {"If-None-Match": etag})
            measure("graphql POST uncached", linli.base_url + "/graphql", fresh_script)

    reference_rps = runs["reference"]["requests_per_second"]
    ratios = {
        name: round(run["requests_per_second"] / reference_rps, 3)
        for name, run in runs.items()
        if name != "reference"
    }
    now = datetime.now(UTC)
    result = {
        "measured_at": now.isoformat(timespec="seconds"),
        "question": "the next 20 published events with their shifts and seat counts",
        "data": {"volunteers": args.volunteers, "events": args.events, "demo": True},
        "database_load_seconds": round(load_seconds, 1),
        "load": f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s "
        f"(after {args.warmup}s warm-up), one uvicorn worker per server",
        "runs": runs,
        "ratio_to_reference": ratios,
        "target": TARGET,
        "target_met": ratios["graphql POST"] >= TARGET,
        "target_revalidated": TARGET_REVALIDATED,
        "target_revalidated_met": ratios["graphql GET 304"] >= TARGET_REVALIDATED,
        "answer_bytes": len(json.dumps(ref)),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    print(json.dumps(ratios))
    if not args.no_write:
        write_results("api-throughput", result, markdown(result))
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
    runs = result["runs"]
    lines = [
        "# API throughput: GraphQL vs. a hand-written endpoint",
        "",
        f"Measured {result['measured_at']} by `bench/api_throughput.py`: "
        f"{result['question']}, SQLite (demo + {result['data']['volunteers']} volunteers, "
        f"{result['data']['events']} events), {result['load']}.",
        "",
        "| server | requests/s | p50 | p99 | ratio to reference |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, run in runs.items():
        ratio = result["ratio_to_reference"].get(name, 1.0)
        lines.append(
            f"| {name} | {run['requests_per_second']:.0f} | {run['latency_p50']} "
            f"| {run['latency_p99']} | {ratio:.0%} |"
        )
    verdict = "met" if result["target_met"] else "**not met**"
    revalidated = "met" if result["target_revalidated_met"] else "**not met**"
    uncached = result["ratio_to_reference"]["graphql POST uncached"]
    lines += [
        "",
        f"Target: GraphQL (POST) ≥ {result['target']:.0%} of the reference — {verdict} "
        "when answered from the response cache; executed afresh (`Cache-Control: no-cache`) "
        f"it reaches {uncached:.0%}.",
        f"Target: a GET revalidated with its ETag (`304`) ≥ "
        f"{result['target_revalidated']:.0%} of the reference — {revalidated}.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
