"""Prometheus metrics (the `prometheus-client` library), shared by every worker.

With several workers (`linli serve --workers N`), `linli serve` points
``PROMETHEUS_MULTIPROC_DIR`` at an empty directory before the workers start; each worker
then writes its samples there and `/metrics` adds them up, whichever worker answers. With one
process (tests, `--workers 1` without the variable) the default registry is used.

Gauges that describe the database (outbox backlog, pending and undelivered notifications) are
counted when `/metrics` is scraped, not kept in memory (see `api.web.health.metrics`).
"""

from __future__ import annotations

import re

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

from api.settings import metrics_dir

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUESTS = Counter(
    "linli_http_requests",
    "HTTP requests answered, by route and status",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "linli_http_request_duration_seconds",
    "Time to answer an HTTP request, by route",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
GRAPHQL_OPERATIONS = Counter(
    "linli_graphql_operations",
    "GraphQL operations executed, by operation name, type and outcome",
    ["operation", "type", "outcome"],
)
DATABASE_ERRORS = Counter(
    "linli_database_errors",
    "Requests ended by a database fault (timeout, read_only, disk_full, locked, down)",
    ["reason"],
)
SIGNUPS = Counter(
    "linli_signups",
    "Sign-up attempts by outcome (CONFIRMED, WAITLISTED or an error code)",
    ["outcome"],
)
SCHEDULER_ROUNDS = Histogram(
    "linli_scheduler_round_duration_seconds",
    "Duration of one round of a background job (outbox, reminders, delivery)",
    ["job", "outcome"],
    buckets=LATENCY_BUCKETS,
)

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_MAX_OPERATION_NAMES = 200
_operation_names: set[str] = set()


def operation_label(name: str | None) -> str:
    """A bounded label for a client-chosen operation name."""
    if not name:
        return "anonymous"
    if not _NAME.match(name):
        return "invalid"
    if name not in _operation_names:
        if len(_operation_names) >= _MAX_OPERATION_NAMES:
            return "other"
        _operation_names.add(name)
    return name


def exposition(database_gauges: dict[str, tuple[str, float]]) -> tuple[bytes, str]:
    """The text format: the processes' metrics plus the database gauges counted now."""
    directory = metrics_dir()
    if directory:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
    else:
        registry = REGISTRY
    # written by hand: a Gauge object would be a file per process in multi-process mode
    lines = []
    for name, (description, value) in database_gauges.items():
        lines += [f"# HELP {name} {description}", f"# TYPE {name} gauge", f"{name} {value}"]
    extra = ("\n".join(lines) + "\n").encode() if lines else b""
    return generate_latest(registry) + extra, CONTENT_TYPE_LATEST
