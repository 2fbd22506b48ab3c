"""A quick, local look at the compiled executor (not a benchmark: bench/ holds those).

In-process (httpx over ASGI, SQLite in a temporary directory, the world of
`tests/support/world.py`): requests per second for the event list with `Cache-Control:
no-cache`, a volunteer's "my shifts" and an organizer's event page, with the compiled executor
on and off; `--profile NAME` prints the top of a cProfile of one operation instead.

    .venv/bin/python scripts/measure_compiled.py [--seconds 3] [--profile UpcomingEvents]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("LINLI_SECRET_KEY", "measure-secret-key-not-for-production")
os.environ.setdefault("LINLI_SCHEDULER", "off")
os.environ.setdefault("LINLI_ACCESS_LOG", "off")

import httpx  # noqa: E402

from api.graphql import compiled  # noqa: E402
from api.domain.actors import Actor  # noqa: E402
from api.graphql.operations import execute_operation, operation  # noqa: E402
from api.http.ids import encode_id  # noqa: E402
from tests.support.client import cookie_for  # noqa: E402
from tests.support.databases import migrate, orm  # noqa: E402
from tests.support.sqlcount import count_sql  # noqa: E402
from tests.support.world import seeded_world  # noqa: E402


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", default="")
    parser.add_argument(
        "--direct", action="store_true", help="execution only: the pages' in-process door"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["LINLI_DATA_DIR"] = tmp
        url = f"sqlite://{Path(tmp) / 'linli.sqlite3'}"
        await migrate(url)
        async with orm(url):
            world = await seeded_world(events=40)
            from api.app import create_app

            app = create_app(url)
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                cases = {
                    "UpcomingEvents": (
                        {"first": 20},
                        {"Cache-Control": "no-cache"},
                        None,
                    ),
                    "MyShifts": ({"first": 20, "notifications": 10}, {}, world.volunteer.id),
                    "OrganizeEvent": (
                        {"id": encode_id("Event", world.event_ids[0])},
                        {},
                        world.leader.id,
                    ),
                }

                people = {world.volunteer.id: world.volunteer, world.leader.id: world.leader}

                async def direct(name: str) -> bytes:
                    variables, _, who = cases[name]
                    data = await execute_operation(name, variables, actor=Actor(volunteer=people.get(who)))
                    assert who is None or data["viewer"] is not None
                    return b""

                async def over_http(name: str) -> bytes:
                    variables, headers, who = cases[name]
                    headers = {**headers, **(cookie_for(who) if who else {})}
                    response = await client.post(
                        "/graphql",
                        json={
                            "query": operation(name),
                            "variables": variables,
                            "operationName": name,
                        },
                        headers=headers,
                    )
                    assert response.status_code == 200, response.text
                    assert b'"errors"' not in response.content, response.text
                    assert who is None or b'"viewer":null' not in response.content
                    return response.content

                once = direct if args.direct else over_http
                if args.profile:
                    for _ in range(20):
                        await once(args.profile)
                    profiler = cProfile.Profile()
                    profiler.enable()
                    for _ in range(200):
                        await once(args.profile)
                    profiler.disable()
                    stats = pstats.Stats(profiler)
                    stats.sort_stats("tottime").print_stats(25)
                    stats.sort_stats("cumulative").print_stats(30)
                    return
                for name in cases:
                    statements = {}
                    for mode in (False, True):
                        compiled.set_enabled(mode)
                        with count_sql() as seen:
                            await once(name)
                        statements[mode] = len(seen)
                    done = {False: 0, True: 0}
                    wall = {False: 0.0, True: 0.0}
                    cpu = {False: 0.0, True: 0.0}
                    for _ in range(args.rounds):  # alternating, so that load drifts evenly
                        for mode in (False, True):
                            compiled.set_enabled(mode)
                            await once(name)
                            started, started_cpu = time.perf_counter(), time.process_time()
                            while time.perf_counter() - started < args.seconds:
                                await once(name)
                                done[mode] += 1
                            wall[mode] += time.perf_counter() - started
                            cpu[mode] += time.process_time() - started_cpu
                    compiled.set_enabled(None)
                    rate = {m: done[m] / wall[m] for m in done}
                    per = {m: 1000 * cpu[m] / done[m] for m in done}
                    print(
                        f"{name:16} graphql-core {rate[False]:6.1f} req/s {per[False]:5.2f} ms CPU"
                        f"   compiled {rate[True]:6.1f} req/s {per[True]:5.2f} ms CPU"
                        f"   x{rate[True] / rate[False]:.2f} (CPU x{per[False] / per[True]:.2f})"
                        f"   SQL {statements[False]} / {statements[True]}"
                    )


if __name__ == "__main__":
    asyncio.run(main())
