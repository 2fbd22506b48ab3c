"""What a shift looks like after a storm, seen two ways (GraphQL as an admin; the rows straight
from the database), and the invariants the rows must keep whatever happened."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.support.client import graphql, http_client
from tests.support.databases import orm

SHIFT_STATE = """
query ShiftState($id: ID!, $after: String) {
  node(id: $id) {
    ... on Shift {
      capacity seatsTaken seatsLeft waitlistCount
      signups(first: 100, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes { id status waitlistPosition volunteer { id } }
      }
    }
  }
}"""


async def shift_state(base_url: str, shift_gid: str, admin_id: int) -> dict[str, Any]:
    """The shift as an admin sees it through GraphQL, with every sign-up (all pages)."""
    signups: list[dict[str, Any]] = []
    after: str | None = None
    async with http_client(base_url, 4) as http:
        while True:
            body = await graphql(http, SHIFT_STATE, {"id": shift_gid, "after": after}, admin_id)
            assert "errors" not in body, body
            node = body["data"]["node"]
            page = node["signups"]
            signups.extend(page["nodes"])
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
    return {**{k: v for k, v in node.items() if k != "signups"}, "signups": signups}


@dataclass
class ShiftRows:
    """The shift's counters and sign-up rows, read straight from the database."""

    capacity: int
    seats_taken: int
    waitlist_count: int
    rows: list[dict[str, Any]]  # id, volunteer_id, status, waitlist_ticket
    positions: dict[int, int]  # sign-up id → waitlist position (domain's own query)

    def with_status(self, *statuses: str) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["status"] in statuses]

    def problems(self) -> list[str]:
        """The invariants the rows break (none, always): counters equal the rows, seats never
        exceed the capacity, waitlist positions are 1..n from unique tickets, and a free seat
        and a waitlist never coexist."""
        confirmed = self.with_status("CONFIRMED")
        waitlisted = self.with_status("WAITLISTED")
        tickets = [r["waitlist_ticket"] for r in waitlisted]
        found = []
        if self.seats_taken != len(confirmed):
            found.append(f"seats_taken {self.seats_taken} != {len(confirmed)} confirmed rows")
        if self.seats_taken > self.capacity:
            found.append(f"seats_taken {self.seats_taken} > capacity {self.capacity}")
        if self.waitlist_count != len(waitlisted):
            found.append(f"waitlist_count {self.waitlist_count} != {len(waitlisted)} rows")
        if sorted(self.positions.values()) != list(range(1, len(waitlisted) + 1)):
            found.append("waitlist positions are not 1..n")
        if None in tickets or len(set(tickets)) != len(tickets):
            found.append("waitlist tickets are not unique")
        if waitlisted and len(confirmed) != self.capacity:
            found.append("a free seat and a waitlist at the same time")
        return found


async def shift_rows(url: str, shift_id: int) -> ShiftRows:
    """Opens the ORM on `url` (the server may be stopped) and reads the shift's rows."""
    from api.domain.waitlist import waitlist_positions
    from api.models import Shift, Signup

    async with orm(url):
        shift = await Shift.get(id=shift_id)
        rows = await Signup.filter(shift_id=shift_id).values(
            "id", "volunteer_id", "status", "waitlist_ticket"
        )
        for row in rows:
            row["status"] = getattr(row["status"], "value", row["status"])
        positions = await waitlist_positions([r["id"] for r in rows])
        return ShiftRows(shift.capacity, shift.seats_taken, shift.waitlist_count, rows, positions)


def assert_consistent(rows: ShiftRows) -> None:
    assert not rows.problems(), rows.problems()
