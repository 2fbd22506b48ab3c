"""Service hours as a ledger: every credit or correction is a new row; totals are sums."""

from __future__ import annotations

from tortoise.functions import Sum

from api.models import HoursEntry, HoursMethod, Shift, Signup


def shift_centihours(shift: Shift) -> int:
    return round((shift.ends_at - shift.starts_at).total_seconds() / 36)


async def signup_centihours(signup_id: int) -> int:
    rows = (
        await HoursEntry.filter(signup_id=signup_id)
        .annotate(total=Sum("centihours"))
        .group_by("signup_id")
        .values_list("total", flat=True)
    )
    return int(str(rows[0] or 0)) if rows else 0


async def credit(
    signup: Signup,
    target_centihours: int,
    method: HoursMethod,
    recorded_by_id: int | None,
    note: str = "",
) -> HoursEntry | None:
    """Brings the sign-up's hours to `target_centihours` with one new ledger row (inside the
    caller's transaction). Nothing is written when they already match."""
    current = await signup_centihours(signup.id)
    delta = target_centihours - current
    if delta == 0:
        return None
    has_history = await HoursEntry.exists(signup_id=signup.id)
    return await HoursEntry.create(
        signup_id=signup.id,
        volunteer_id=signup.volunteer_id,
        centihours=delta,
        method=HoursMethod.CORRECTION
        if has_history and method != HoursMethod.SELF_CHECK_IN
        else method,
        recorded_by_id=recorded_by_id,
        note=note[:200],
    )
