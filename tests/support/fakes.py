"""Stand-ins for the world outside: a clock the test moves, and a notification channel that
records what it was asked to send. `tests/conftest.py` offers both as fixtures
(`fake_clock`, `recorder`), undone after each test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.infra import channels, clock


class FakeClock:
    """Frozen time for `api.infra.clock`, moved only by the test: `at(moment)`, `advance(delta)`.
    Installed on creation (at `start`, by default the real time now); `restore()` puts the real
    clock back."""

    def __init__(self, start: datetime | None = None) -> None:
        self.value = start or datetime.now(UTC)
        clock.set_clock(self.now)

    def now(self) -> datetime:
        return self.value

    def at(self, moment: datetime) -> datetime:
        self.value = moment
        return moment

    def advance(self, delta: timedelta) -> datetime:
        self.value += delta
        return self.value

    def restore(self) -> None:
        clock.set_clock(None)


class Recorder:
    """An outbound channel that keeps every message instead of sending it."""

    name = "recorder"

    def __init__(self) -> None:
        self.sent: list[channels.OutboundMessage] = []

    async def send(self, message: channels.OutboundMessage) -> bool:
        self.sent.append(message)
        return True

    def install(self) -> Recorder:
        """The only channel from now on (`restore()` goes back to the configured ones)."""
        channels.set_channels([self])
        return self

    @staticmethod
    def restore() -> None:
        channels.set_channels(None)
