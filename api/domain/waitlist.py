"""Waitlist positions: a WAITLISTED sign-up's 1-based rank by arrival on its shift.

Positions are derived, never stored, so they close up by themselves when someone ahead
leaves the waitlist."""

from __future__ import annotations

from tortoise.connection import connections

from api.models import Signup, SignupStatus


async def waitlist_positions(signup_ids: list[int]) -> dict[int, int]:
    """Positions of those of `signup_ids` that are WAITLISTED, in one query."""
    if not signup_ids:
        return {}
    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    marks = ", ".join(f"${i + 2}" if postgres else "?" for i in range(len(signup_ids)))
    status = "$1" if postgres else "?"
    sql = (
        "SELECT s.id, (SELECT COUNT(*) FROM signup o WHERE o.shift_id = s.shift_id"
        f" AND o.status = {status} AND o.waitlist_ticket <= s.waitlist_ticket) AS position"
        f" FROM signup s WHERE s.status = {status} AND s.id IN ({marks})"
    )
    values: list[object] = [SignupStatus.WAITLISTED.value]
    if not postgres:
        values.append(SignupStatus.WAITLISTED.value)
    values.extend(signup_ids)
    _, rows = await conn.execute_query(sql, values)
    return {int(row[0]): int(row[1]) for row in rows}


def has_position(signup: Signup) -> bool:
    """Only a WAITLISTED sign-up has a place in the waitlist."""
    return signup.status == SignupStatus.WAITLISTED
