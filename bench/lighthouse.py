"""Lighthouse (npm `lighthouse` 12, mobile defaults) on the start page and an event page.

    .venv/bin/python bench/lighthouse.py [--runs 3]

Starts `linli serve` on a fresh SQLite file loaded with `linli demo`, runs Lighthouse with
Debian's Chromium (`CHROME_PATH=/usr/bin/chromium`) `--runs` times per page, and writes the
median category scores and key metrics to `bench/results/lighthouse.json` and `.md`.
Installs the npm package into `bench/lighthouse/node_modules` when it is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support.databases import load_demo, sqlite_url  # noqa: E402
from tests.support.server import LinliServer  # noqa: E402

NODE_DIR = HERE / "lighthouse"
RESULTS = HERE / "results"
CHROME_FLAGS = " ".join(["--headless=new", *CHROMIUM_ARGS])
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
METRICS = (
    "first-contentful-paint",
    "largest-contentful-paint",
    "total-blocking-time",
    "cumulative-layout-shift",
    "speed-index",
    "total-byte-weight",
)
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 90}


def lighthouse_bin() -> Path:
    binary = NODE_DIR / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True)
    return binary


def demo_server(folder: Path) -> LinliServer:
    """`linli serve` on a fresh SQLite file loaded with `linli demo` (scheduler on)."""
    database = folder / "linli.sqlite3"
    load_demo(database)
    return LinliServer(sqlite_url(database), 1, folder / "serve.log", scheduler=True, strict=False)


def first_event(base: str) -> str:
    request = urllib.request.Request(
        f"{base}/graphql",
        data=json.dumps({"query": "{ events(first: 1) { nodes { id } } }"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return str(json.load(response)["data"]["events"]["nodes"][0]["id"])


def run_once(binary: Path, url: str, out: Path) -> dict[str, Any]:
    subprocess.run(
        [
            str(binary),
            url,
            "--output=json",
            f"--output-path={out}",
            f"--chrome-flags={CHROME_FLAGS}",
            f"--only-categories={','.join(CATEGORIES)}",
            "--quiet",
        ],
        check=True,
        env={**os.environ, "CHROME_PATH": CHROMIUM},
    )
    report = json.loads(out.read_text())
    scores = {c: round(report["categories"][c]["score"] * 100) for c in CATEGORIES}
    metrics = {m: report["audits"][m]["numericValue"] for m in METRICS}
    failing = sorted(
        audit_id
        for c in CATEGORIES
        for ref in report["categories"][c]["auditRefs"]
        if ref["weight"] > 0
        and (audit_id := ref["id"])
        and report["audits"][audit_id]["score"] is not None
        and report["audits"][audit_id]["score"] < 1
    )
    return {
        "scores": scores,
        "metrics": metrics,
        "failing": failing,
        "version": report["lighthouseVersion"],
        "chrome": report["environment"]["hostUserAgent"],
    }


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "scores": {c: statistics.median(r["scores"][c] for r in runs) for c in CATEGORIES},
        "metrics": {m: round(statistics.median(r["metrics"][m] for r in runs), 3) for m in METRICS},
        "runs": [r["scores"] for r in runs],
        "failing_audits": sorted({a for r in runs for a in r["failing"]}),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    binary = lighthouse_bin()
    folder = Path(tempfile.mkdtemp(prefix="linli-lighthouse-"))
    pages: dict[str, Any] = {}
    version = chrome = ""
    try:
        with demo_server(folder) as server:
            event = first_event(server.base_url)
            for name, path in (
                ("start page /", "/"),
                ("event page /events/{id}", f"/events/{event}"),
            ):
                runs = []
                for i in range(args.runs):
                    out = folder / f"report-{len(pages)}-{i}.json"
                    result = run_once(binary, server.base_url + path, out)
                    version, chrome = result["version"], result["chrome"]
                    runs.append(result)
                pages[name] = median_of(runs)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    summary = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "lighthouse": version,
        "browser": chrome,
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        "settings": f"mobile defaults (simulated throttling), median of {args.runs} runs",
        "targets": TARGETS,
        "pages": pages,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "lighthouse.json").write_text(
        json.dumps(summary, indent=2, ensure_ascii=False) + "\n"
    )
    lines = [
        "# Lighthouse (mobile defaults)",
        "",
        f"{summary['when']} · Lighthouse {version} · {summary['settings']} · {summary['machine']}",
        "",
        "| page | Performance | Accessibility | Best Practices | SEO | FCP ms | LCP ms | TBT ms | CLS | bytes |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, page in pages.items():
        s, m = page["scores"], page["metrics"]
        lines.append(
            f"| {name} | {s['performance']:g} | {s['accessibility']:g} | {s['best-practices']:g} | {s['seo']:g} "
            f"| {m['first-contentful-paint']:.0f} | {m['largest-contentful-paint']:.0f} | {m['total-blocking-time']:.0f} "
            f"| {m['cumulative-layout-shift']:.3f} | {m['total-byte-weight']:.0f} |"
        )
    lines += ["", f"Targets: {TARGETS}.", ""]
    for name, page in pages.items():
        if page["failing_audits"]:
            lines.append(f"- {name}: audits below full score: {', '.join(page['failing_audits'])}")
    (RESULTS / "lighthouse.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
