"""Secrets per purpose: sessions, check-in codes, calendar and other tokens each have their own
key derived from LINLI_SECRET_KEY (HKDF); the webhook secret is its own and never the master key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import stat
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from api import cli
from api.domain import checkin, sessions
from api.http.sessions import SESSION_COOKIE
from api.infra import channels, keys
from api.infra.channels import OutboundMessage, WebhookChannel, sign
from api.models import UserSession
from api.settings import get_settings
from tests import factories

VIEWER = "{ viewer { displayName } }"


def test_every_purpose_has_its_own_key_and_none_is_the_master_key():
    master = get_settings().secret_key.encode()
    derived = {purpose: keys.key_for(purpose) for purpose in keys.Purpose}
    assert len(set(derived.values())) == len(keys.Purpose)
    assert all(len(k) == keys.KEY_BYTES and k != master for k in derived.values())
    assert keys.session_key() == derived[keys.Purpose.SESSIONS]
    assert keys.check_in_code_key() == derived[keys.Purpose.CHECK_IN_CODES]
    assert keys.calendar_token_key() == derived[keys.Purpose.CALENDAR_TOKENS]
    assert keys.token_key() == derived[keys.Purpose.TOKENS]


async def test_a_session_kept_under_another_key_is_not_a_session(client, database):
    """Sessions are server-side records keyed by an HMAC of the cookie's token under the
    sessions key: the same token under the master key or any other purpose's key is nothing."""
    volunteer = await factories.volunteer("王阿姨")
    token, _ = await sessions.open_session(volunteer.id)
    others = [get_settings().secret_key.encode()] + [
        keys.key_for(p) for p in keys.Purpose if p != keys.Purpose.SESSIONS
    ]
    for other in others:
        digest = hmac.new(other, token.encode(), hashlib.sha256).hexdigest()
        assert digest != sessions.digest(token)
        forged, _ = await sessions.open_session(volunteer.id)
        await UserSession.filter(token_digest=sessions.digest(forged)).update(token_digest=digest)
        client.cookies.set(SESSION_COOKIE, forged)  # its record is kept under the wrong key
        answer = await client.post("/graphql", json={"query": VIEWER})
        assert answer.json()["data"]["viewer"] is None
    client.cookies.set(SESSION_COOKIE, token)
    answer = await client.post("/graphql", json={"query": VIEWER})
    assert answer.json()["data"]["viewer"]["displayName"] == "王阿姨"


def test_changing_one_purposes_key_leaves_the_others_alone(monkeypatch: pytest.MonkeyPatch):
    at = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    code = checkin.code_for(42, at)
    session = sessions.digest("a-session-token")
    real = keys.key_for

    def rotated(changed: keys.Purpose):
        def key_for(purpose: keys.Purpose) -> bytes:
            return real(purpose)[::-1] if purpose == changed else real(purpose)

        return key_for

    # a new session key: old sessions end, check-in codes stay the same
    monkeypatch.setattr(keys, "key_for", rotated(keys.Purpose.SESSIONS))
    assert sessions.digest("a-session-token") != session
    assert checkin.code_for(42, at) == code
    # a new check-in key: codes change, sessions stay valid
    monkeypatch.setattr(keys, "key_for", rotated(keys.Purpose.CHECK_IN_CODES))
    assert sessions.digest("a-session-token") == session
    assert checkin.code_for(42, at) != code
    # a check-in code is not the master key's HMAC any more
    monkeypatch.setattr(keys, "key_for", real)
    window = int(at.timestamp() // checkin.CODE_PERIOD.total_seconds())
    master = get_settings().secret_key.encode()
    digest = hmac.new(master, f"check-in:42:{window}".encode(), hashlib.sha256).digest()
    assert f"{int.from_bytes(digest[:8], 'big') % 10**checkin.CODE_DIGITS:06d}" != code


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LINLI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("LINLI_WEBHOOK_SECRET", raising=False)
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


async def test_the_webhook_secret_is_generated_apart_and_signs_deliveries(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setenv("LINLI_WEBHOOK_URL", "https://gateway.example/linli")
    get_settings.cache_clear()
    [webhook] = [c for c in channels.configured_channels() if isinstance(c, WebhookChannel)]
    stored = data_dir / keys.WEBHOOK_SECRET_FILE
    assert stored.read_text() == webhook.secret
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    master = get_settings().secret_key
    assert webhook.secret != master and len(webhook.secret) >= 32
    # every worker (and the next start) uses the same generated secret
    assert keys.webhook_secret() == webhook.secret

    seen: list[httpx.Request] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    webhook.transport = httpx.MockTransport(gateway)
    message = OutboundMessage(1, "REMINDER", 2, "13900000001", "明天见", None, None)
    assert await webhook.send(message)
    [request] = seen
    body = json.dumps(asdict(message), ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = request.headers["x-linli-timestamp"]
    assert request.content == body
    assert request.headers["x-linli-signature"] == sign(webhook.secret, timestamp, body)
    assert request.headers["x-linli-signature"] != sign(master, timestamp, body)

    # `linli secrets show` prints it for the operator to configure the gateway
    with pytest.raises(SystemExit) as exited:
        cli.main(["secrets", "show"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"LINLI_WEBHOOK_SECRET={webhook.secret}"


def test_a_configured_webhook_secret_is_used_but_never_the_master_key(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setenv("LINLI_WEBHOOK_SECRET", "gateway-secret-from-the-operator-2026")
    get_settings.cache_clear()
    assert keys.webhook_secret() == "gateway-secret-from-the-operator-2026"
    assert not (data_dir / keys.WEBHOOK_SECRET_FILE).exists()
    monkeypatch.setenv("LINLI_WEBHOOK_SECRET", get_settings().secret_key)
    get_settings.cache_clear()
    with pytest.raises(keys.SecretConfigError):
        keys.webhook_secret()
    with pytest.raises(SystemExit) as exited:
        cli.main(["secrets", "show"])
    assert exited.value.code == 1
    assert "must not be LINLI_SECRET_KEY" in capsys.readouterr().err
