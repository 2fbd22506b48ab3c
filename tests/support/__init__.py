"""The one harness of the tests and the benches (bench/ imports only this package).

* `server`     — `linli serve` (or any ASGI app) in a subprocess: free port, workers, wait
                 until ready, its log, stop/kill, fail on a traceback in the log.
* `pgcluster`  — a throwaway PostgreSQL cluster on a loopback port.
* `databases`  — the backends under test, fresh migrated databases, `linli demo` into a file,
                 the ORM opened for a while.
* `factories`  — builders for test data (volunteers, teams, events, drafts, log-in cookies).
* `seeding`    — the storm's data in bulk.
* `client`     — GraphQL over HTTP (in-process or real), signed session cookies.
* `storm`      — the sign-up storm's load client and its figures.
* `checks`     — a shift after a storm, through GraphQL and straight from its rows, and the
                 invariants those rows keep.
* `sqlcount`   — counting the SQL statements a block runs.
* `fakes`      — a clock the test moves, a notification channel that records.
* `browser`    — Debian's Chromium for Playwright and Lighthouse.

`tests/conftest.py` turns these into fixtures (`database`, `client`, `gql`, `fake_clock`,
`recorder`, `postgres_server`). The old modules `tests/factories.py`, `tests/pgcluster.py`,
`tests/sqlcount.py` and `tests/serverproc.py` re-export from here for existing imports.
"""
