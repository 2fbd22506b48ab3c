"""Waitlist positions: a WAITLISTED sign-up's 1-based rank by arrival on its shift.

Positions are derived, never stored, so they close up by themselves when someone ahead
leaves the waitlist."""

from __future__ import annotations

from tortoise.connection import connections

from api.models import Signup, SignupStatus


def position_sql(table: str) -> str:
    """The position of the WAITLISTED sign-up `table` (an SQL name or alias of the signup
    table) as a scalar subquery, NULL for any other status: for a page that reads it with its
    rows (the same rule as `waitlist_positions`)."""
    status = SignupStatus.WAITLISTED.value
    return (
        f'(CASE WHEN {table}."status" = \'{status}\' THEN (SELECT COUNT(*) FROM "signup" "o"'
        f' WHERE "o"."shift_id" = {table}."shift_id" AND "o"."status" = \'{status}\''
        f' AND "o"."waitlist_ticket" <= {table}."waitlist_ticket") END)'
    )


async def waitlist_positions(signup_ids: list[int]) -> dict[int, int]:
    """Positions of those of `signup_ids` that are WAITLISTED, in one query."""
    if not signup_ids:
        return {}
    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    marks = ", ".join(f"${i + 1}" if postgres else "?" for i in range(len(signup_ids)))
    sql = (
        f"SELECT s.id, {position_sql('s')} AS position FROM signup s"
        f" WHERE s.status = '{SignupStatus.WAITLISTED.value}' AND s.id IN ({marks})"
    )
    values: list[object] = list(signup_ids)
    _, rows = await conn.execute_query(sql, values)
    return {int(row[0]): int(row[1]) for row in rows}


def has_position(signup: Signup) -> bool:
    """Only a WAITLISTED sign-up has a place in the waitlist."""
    return signup.status == SignupStatus.WAITLISTED
