"""Browser tests: Debian's Chromium driven by Playwright, against a real `linli serve`.

One server per session: a fresh SQLite file loaded with `linli demo`, on a free port. Each test
gets a new browser context emulating a Pixel 7 (zh-CN, Asia/Shanghai). Under `CI` a missing
Chromium fails the run; locally the tests are skipped.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, missing_browser
from tests.support.databases import load_demo, sqlite_url
from tests.support.server import LinliServer


@pytest.fixture(scope="session", autouse=True)
def _browser_available() -> None:
    reason = missing_browser()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run under CI: {reason}")
        pytest.skip(reason)


SERVER_DATABASE: list[Path] = []  # the SQLite file of the session's server


def start_shift_now(shift_gid: str) -> None:
    """Moves a shift (and its event) to have started ten minutes ago, as if time had passed:
    attendance is recorded only once a shift has started, and sign-ups close then."""
    from datetime import UTC, datetime, timedelta

    from api.http.ids import decode_id

    _, shift_id = decode_id(shift_gid)
    started = (datetime.now(UTC) - timedelta(minutes=10)).replace(microsecond=0).isoformat(" ")
    with sqlite3.connect(SERVER_DATABASE[-1]) as db:
        db.execute("UPDATE shift SET starts_at = ? WHERE id = ?", (started, shift_id))
        db.execute(
            "UPDATE event SET starts_at = ? WHERE id = (SELECT event_id FROM shift WHERE id = ?)",
            (started, shift_id),
        )


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a `linli serve` with the demo data (reminder scheduler on, as in
    production); the session fails if a request failed inside the server."""
    folder = tmp_path_factory.mktemp("browser-server")
    database = folder / "linli.sqlite3"
    SERVER_DATABASE.append(database)
    load_demo(database)
    # Phones are verified as in production; the codes are read from the file gateway.
    env = {
        "LINLI_PHONE_VERIFICATION": "on",
        "LINLI_SMS_GATEWAY": "file",
        "LINLI_SMS_CODES_PER_ADDRESS": "10000",
        "LINLI_SMS_RESEND_SECONDS": "1",
    }
    log_path = folder / "serve.log"
    global SMS_FILE
    SMS_FILE = log_path.parent / "server-data" / "sms.jsonl"
    with LinliServer(sqlite_url(database), 1, log_path, scheduler=True, env=env) as s:
        yield s.base_url


# Playwright's sync API runs an event loop of its own in this thread while it is started, so it
# lives per module: the async tests of the rest of the suite get their loop back afterwards.
@pytest.fixture(scope="module")
def playwright_instance() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


def phone(playwright: Any) -> dict[str, Any]:
    """Pixel 7 in Shanghai, in Chinese."""
    device = dict(playwright.devices["Pixel 7"])
    device.pop("default_browser_type", None)
    return {**device, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


@pytest.fixture(scope="module")
def browser(playwright_instance: Any) -> Iterator[Any]:
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Any, playwright_instance: Any, server: str) -> Iterator[Any]:
    context = browser.new_context(**phone(playwright_instance), base_url=server)
    violations = watch_csp(context)
    yield context
    context.close()
    assert not violations, violations


@pytest.fixture
def persistent_context(playwright_instance: Any, server: str, tmp_path: Path) -> Iterator[Any]:
    context = playwright_instance.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS,
        base_url=server,
        **phone(playwright_instance),
    )
    violations = watch_csp(context)
    yield context
    context.close()
    assert not violations, violations
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)


def graphql(context: Any, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """A GraphQL call with the context's cookies (as the logged-in volunteer, if any)."""
    response = context.request.post(
        "/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}),
        headers={"Content-Type": "application/json"},
    )
    body = response.json()
    assert not body.get("errors"), body
    return dict(body["data"])


_counter = iter(range(1, 10_000))
SMS_FILE: Path | None = None  # the server's file SMS gateway (`$LINLI_DATA_DIR/sms.jsonl`)


def new_phone_number() -> str:
    return f"139{os.getpid() % 10000:04d}{next(_counter):04d}"


def sms_code(phone_number: str) -> str:
    """The code in the last SMS the server sent to the number."""
    assert SMS_FILE is not None and SMS_FILE.exists()
    texts = [
        record["text"]
        for record in map(json.loads, SMS_FILE.read_text(encoding="utf-8").splitlines())
        if record["phone"] == phone_number
    ]
    found = re.search(r"\b(\d{6})\b", texts[-1])
    assert found, texts[-1]
    return found.group(1)


def register(context: Any, name: str = "测试志愿者") -> str:
    """A new volunteer (phone verified by the SMS code), logged in in this context; returns
    the phone number."""
    phone_number = new_phone_number()
    sent = graphql(
        context,
        "mutation($p: String!) { requestPhoneCode(input: {phone: $p, purpose: REGISTER}) "
        "{ userErrors { code message } } }",
        {"p": phone_number},
    )
    assert not sent["requestPhoneCode"]["userErrors"], sent
    data = graphql(
        context,
        "mutation($p: String!, $c: String!) { register(input: {phone: $p, code: $c, password: "
        '"browser-test-pw", displayName: "' + name + '"}) { volunteer { id } '
        "userErrors { code message } } }",
        {"p": phone_number, "c": sms_code(phone_number)},
    )
    assert not data["register"]["userErrors"], data
    return phone_number


def open_shift(context: Any, *, full: bool = False) -> dict[str, Any]:
    """An upcoming shift of a published event, with free seats (or without, if `full`)."""
    data = graphql(
        context,
        "{ events(first: 50) { nodes { id title shifts { id role seatsLeft seatsTaken "
        "waitlistCount startsAt } } } }",
    )
    for event in data["events"]["nodes"]:
        for shift in event["shifts"]:
            if (shift["seatsLeft"] == 0) == full:
                return {**shift, "event_id": event["id"], "title": event["title"]}
    raise AssertionError("the demo data has no such shift")


def wait_for_service_worker(page: Any) -> None:
    # Polled from here: `wait_for_function` evaluates its predicate with `new Function`
    # inside the page, which the pages' Content-Security-Policy (no 'unsafe-eval') refuses.
    deadline = time.monotonic() + 15
    while not page.evaluate("navigator.serviceWorker.controller !== null"):
        assert time.monotonic() < deadline, "no service worker took control of the page"
        page.wait_for_timeout(100)


def watch_csp(context: Any) -> list[str]:
    """Collects the Content-Security-Policy violations the context's pages report."""
    violations: list[str] = []

    def watch(page: Any) -> None:
        page.on(
            "console",
            lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
        )

    context.on("page", watch)
    for page in context.pages:
        watch(page)
    return violations
