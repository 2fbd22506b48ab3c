"""The sign-up storm's figures: the same storm as tests/system/test_storm.py, timed.

    .venv/bin/python bench/storm.py                       # both backends, as in the tests
    .venv/bin/python bench/storm.py --backend sqlite --workers 1 --concurrency 20

500 volunteers (each with a signed session cookie and a unique idempotency key) sign up at
once for one shift of 10 seats against a real `linli serve`; writes
bench/results/storm-<backend>.json (the test asserts correctness; this script only measures,
and checks the outcome so that a wrong answer never becomes a figure)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LINLI_SECRET_KEY", "bench-secret-key-not-for-production")

from tests.support import pgcluster  # noqa: E402
from tests.support.checks import shift_rows  # noqa: E402
from tests.support.databases import fresh_database  # noqa: E402
from tests.support.seeding import seed_storm  # noqa: E402
from tests.support.server import LinliServer  # noqa: E402
from tests.support.storm import sign_up_storm  # noqa: E402

RESULTS = ROOT / "bench" / "results"
DEFAULT_WORKERS = {"sqlite": 2, "postgres": 4}


async def run(
    backend: str,
    workers: int,
    volunteers: int,
    capacity: int,
    concurrency: int,
    work: Path,
    postgres_url: str | None,
) -> dict[str, object]:
    url = await fresh_database(backend, work, postgres_url)
    setup = await seed_storm(url, volunteers, capacity)
    with LinliServer(url, workers, work / "server.log", strict=False) as server:
        result = await sign_up_storm(
            server.base_url, setup.shift_gid, setup.volunteer_ids, concurrency=concurrency
        )
    rows = await shift_rows(url, setup.shift_id)
    summary = result.summary()
    correct = (
        all(a.clean for a in result.answers)
        and not rows.problems()
        and rows.seats_taken == min(capacity, volunteers)
        and not server.log_problems()
    )
    return {
        "backend": backend,
        "workers": workers,
        "volunteers": volunteers,
        "capacity": capacity,
        "correct": correct,
        **summary,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--workers", type=int, default=0, help="default: 2 SQLite, 4 PostgreSQL")
    parser.add_argument("--volunteers", type=int, default=500)
    parser.add_argument("--capacity", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=500)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    ok = True
    with tempfile.TemporaryDirectory(prefix="linli-storm-") as tmp:
        work = Path(tmp)
        work.chmod(0o755)  # the PostgreSQL cluster runs as the postgres user when root
        pg_url = None
        if "postgres" in backends:
            pg_url = os.environ.get("LINLI_TEST_POSTGRES_URL") or pgcluster.start(work / "pg")
        try:
            for backend in backends:
                workers = args.workers or DEFAULT_WORKERS[backend]
                (work / backend).mkdir()
                figures = asyncio.run(
                    run(
                        backend,
                        workers,
                        args.volunteers,
                        args.capacity,
                        args.concurrency,
                        work / backend,
                        pg_url,
                    )
                )
                ok = ok and bool(figures["correct"])
                print(json.dumps(figures, ensure_ascii=False))
                if not args.no_write:
                    RESULTS.mkdir(parents=True, exist_ok=True)
                    out = RESULTS / f"storm-{backend}.json"
                    out.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n")
        finally:
            if pg_url and not os.environ.get("LINLI_TEST_POSTGRES_URL"):
                pgcluster.stop(work / "pg")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
