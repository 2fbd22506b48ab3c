"""The change log behind `Query.changes`, written by database triggers: every write path is
recorded (ORM saves, queryset updates with F expressions, raw SQL, cascades), `updated_at`
follows every write, drafts stay private until published, tombstones keep the privacy of what
they bury, and old entries are pruned behind a horizon (CURSOR_EXPIRED)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tortoise.connection import connections
from tortoise.expressions import F

from api.domain import changes
from api.domain.actors import Actor
from api.domain.changes import ChangeKind, ChangeType, FeedError
from api.infra import change_log
from api.models import Community, Event, EventStatus, Shift, Team
from tests import factories

LONG_AGO = datetime(2001, 1, 1, tzinfo=UTC)


async def _feed(actor: Actor, after: str | None = None) -> list[tuple[str, str, int]]:
    """Every change after `after` the actor sees, as (kind, typename, object id)."""
    seen: list[tuple[str, str, int]] = []
    while True:
        page = await changes.page(actor, after=after, first=100, types=None)
        seen += [(str(c.kind), c.typename, c.object_id) for c in page.changes]
        if not page.has_next:
            return seen
        after = page.changes[-1].cursor


async def _sql(sql: str) -> None:
    await connections.get("default").execute_script(sql)


async def _age(table: str, pk: int) -> None:
    """Sets the row's `updated_at` far back (explicitly: the triggers keep a value given)."""
    await _sql(f"UPDATE \"{table}\" SET updated_at = '2001-01-01 00:00:00+00:00' WHERE id = {pk}")


async def test_updated_at_follows_every_write_path(database):
    place = await factories.community()
    team = await factories.team(place=place)
    event = await factories.event(team, capacities=(3,))
    shift = await Shift.get(event_id=event.id)
    for table, pk in (("community", place.id), ("team", team.id), ("event", event.id)):
        await _age(table, pk)
    await _age("shift", shift.id)

    # A seat taken with a conditional F-expression update (what sign-ups do)
    await Shift.filter(id=shift.id, seats_taken__lt=F("capacity")).update(
        seats_taken=F("seats_taken") + 1
    )
    await Team.filter(id=team.id).update(description="新的介绍")  # a queryset update
    await Community.filter(id=place.id).update(name="东园镇")
    await _sql(f"UPDATE event SET title = '改名' WHERE id = {event.id}")  # an operator's SQL

    for model, pk in ((Shift, shift.id), (Team, team.id), (Community, place.id), (Event, event.id)):
        row = await model.get(id=pk)
        assert row.updated_at is not None and row.updated_at > LONG_AGO, model

    # A save keeps the time the ORM gave it; a write that changes nothing is no change.
    await _age("shift", shift.id)
    await Shift.filter(id=shift.id).update(seats_taken=F("seats_taken"))
    assert (await Shift.get(id=shift.id)).updated_at == LONG_AGO


async def test_every_create_update_and_delete_is_listed_in_order(database):
    admin = Actor(await factories.volunteer("管理员", admin=True))
    start = (await changes.page(admin, after=None, first=0, types=None)).current_cursor
    place = await factories.community()
    team = await factories.team(place=place)
    event = await factories.event(team, capacities=(3, 2))
    first, second = await Shift.filter(event_id=event.id).order_by("id")
    await Shift.filter(id=first.id).update(seats_taken=F("seats_taken") + 1)
    await Event.filter(id=event.id).update(status=EventStatus.CANCELLED)
    await Shift.filter(id=second.id).delete()
    await _sql(f"DELETE FROM event WHERE id = {event.id}")  # its other shift goes with it

    # A shift's event changes with it (its seats and shifts are the event's fields too).
    assert await _feed(admin, start) == [
        ("CREATED", "Community", place.id),
        ("CREATED", "Team", team.id),
        ("CREATED", "Event", event.id),
        ("CREATED", "Shift", first.id),
        ("UPDATED", "Event", event.id),
        ("CREATED", "Shift", second.id),
        ("UPDATED", "Event", event.id),
        ("UPDATED", "Shift", first.id),
        ("UPDATED", "Event", event.id),
        ("UPDATED", "Event", event.id),  # cancelled
        ("DELETED", "Shift", second.id),
        ("UPDATED", "Event", event.id),
        ("DELETED", "Event", event.id),
        ("DELETED", "Shift", first.id),  # with its event: no entry for the event
    ]
    # Only teams, if asked so
    page = await changes.page(admin, after=start, first=100, types=[ChangeType.TEAM])
    assert [(c.kind, c.object_id) for c in page.changes] == [(ChangeKind.CREATED, team.id)]


async def test_drafts_stay_private_until_published(database):
    leader, other_leader = await factories.volunteer("队长"), await factories.volunteer("别队")
    team = await factories.team(leaders=(leader,))
    await factories.team("别的队", leaders=(other_leader,))
    anonymous, organizer, outsider = Actor(), Actor(leader), Actor(other_leader)
    start = (await changes.page(anonymous, after=None, first=0, types=None)).current_cursor
    await Team.filter(id=team.id).update(description="社区志愿服务")

    draft = await factories.event(team, status=EventStatus.DRAFT, capacities=(4,))
    shift = await Shift.get(event_id=draft.id)
    await Event.filter(id=draft.id).update(title="草稿改名")
    gone = await factories.event(team, status=EventStatus.DRAFT)  # a draft deleted unseen
    await _sql(f"DELETE FROM event WHERE id = {gone.id}")
    assert await _feed(anonymous, start) == [("UPDATED", "Team", team.id)]
    assert await _feed(outsider, start) == [("UPDATED", "Team", team.id)]
    # the team, 2 × (event, shift, the event with its shift), the edit, 2 tombstones
    assert len(await _feed(organizer, start)) == 10

    seen = (await changes.page(anonymous, after=None, first=100, types=None)).changes[-1].cursor
    await Event.filter(id=draft.id).update(status=EventStatus.PUBLISHED)
    # To everyone else the event and its shift appear now; its organizers saw them made.
    assert await _feed(anonymous, seen) == [
        ("CREATED", "Event", draft.id),
        ("CREATED", "Shift", shift.id),
    ]
    assert (await _feed(organizer, start))[-2:] == [
        ("UPDATED", "Event", draft.id),
        ("UPDATED", "Shift", shift.id),
    ]


async def test_node_by_id_keeps_the_same_privacy(database):
    leader = await factories.volunteer("队长")
    team = await factories.team(leaders=(leader,))
    await factories.event(team, status=EventStatus.DRAFT)
    organizer = await changes.page(Actor(leader), after=None, first=100, types=None)
    draft_change = organizer.changes[-1]
    assert draft_change.typename == "Event"
    assert await changes.change_by_id(Actor(), draft_change.entry_id) is None
    seen = await changes.change_by_id(Actor(leader), draft_change.entry_id)
    assert seen is not None and seen.cursor == draft_change.cursor


async def test_old_entries_are_pruned_and_older_cursors_expire(database, fake_clock):
    anonymous = Actor()
    team = await factories.team()
    idle = (await changes.page(anonymous, after=None, first=0, types=None)).current_cursor
    old = await _feed(anonymous)
    assert old == [("CREATED", "Team", team.id)]
    first_cursor = (await changes.page(anonymous, after=None, first=1, types=None)).changes[0]

    # 34 days later nothing has gone; at 36 days the entry is pruned.
    fake_clock.advance(timedelta(days=34))
    assert await changes.prune_expired() == 0
    fake_clock.advance(timedelta(days=2))
    assert await changes.prune_expired() == 1
    assert await changes.prune_expired() == 0
    assert await _feed(anonymous) == []

    # A cursor the pruning passed has missed entries: CURSOR_EXPIRED. One at or after the
    # horizon (nothing after it was pruned) still works, however old.
    with pytest.raises(FeedError) as refused:
        await changes.page(
            anonymous, after=changes.encode_cursor(changes.START), first=5, types=None
        )
    assert refused.value.code == "CURSOR_EXPIRED"
    assert await _feed(anonymous, first_cursor.cursor) == []
    assert await _feed(anonymous, idle) == []
    await Team.filter(id=team.id).update(name="新名字")
    assert await _feed(anonymous, idle) == [("UPDATED", "Team", team.id)]


async def test_malformed_and_foreign_cursors_are_refused(database):
    for bad in (
        "nope",
        changes.encode_cursor(change_log.Position(0, 0))[:-2] + "!!",
        "Y2hhbmdlOng6eQ",
    ):
        with pytest.raises(FeedError) as refused:
            await changes.page(Actor(), after=bad, first=5, types=None)
        assert refused.value.code == "INVALID_INPUT"
    # A cursor beyond every entry this database ever wrote: another copy of the data.
    future = changes.encode_cursor(change_log.Position(2**40, 2**40))
    with pytest.raises(FeedError) as refused:
        await changes.page(Actor(), after=future, first=5, types=None)
    assert refused.value.code == "CURSOR_EXPIRED"


async def _poll(actor: Actor, cursor: str) -> tuple[list[tuple[str, str, int]], str]:
    """One poll of a sync client: the changes after `cursor`, and the cursor to keep."""
    page = await changes.page(actor, after=cursor, first=100, types=None)
    assert not page.has_next
    seen = [(str(c.kind), c.typename, c.object_id) for c in page.changes]
    return seen, page.changes[-1].cursor if page.changes else cursor


async def test_postgres_commits_out_of_order_are_never_skipped(database):
    """Two transactions commit in the opposite order of their log ids (and of their transaction
    ids): a client polling in between misses neither."""
    if not database.startswith("postgres"):
        pytest.skip("SQLite writers take turns: ids are in commit order")
    import asyncpg

    place, team = await factories.community(), await factories.team()
    anonymous = Actor()
    cursor = (await changes.page(anonymous, after=None, first=0, types=None)).current_cursor
    url = database.replace("postgres://", "postgresql://", 1)
    first, second = await asyncpg.connect(url), await asyncpg.connect(url)
    try:
        # 1. The first transaction writes (lower id), the second writes (higher id) and
        # commits; the first is still open.
        await first.execute("BEGIN")
        await first.execute("UPDATE community SET name = '先写后交' WHERE id = $1", place.id)
        await second.execute("BEGIN")
        await second.execute("UPDATE team SET name = '后写先交' WHERE id = $1", team.id)
        await second.execute("COMMIT")
        ids = [r["id"] for r in await second.fetch("SELECT id FROM change_log ORDER BY id")]
        assert len(ids) == 3  # two creates and the team's update (the other is not committed)
        # A reader taking "ids above the last seen" would list the team's entry now, and
        # never the community's (a lower id, committed later). The feed holds it back:
        seen, cursor = await _poll(anonymous, cursor)
        assert seen == []
        await first.execute("COMMIT")
        seen, cursor = await _poll(anonymous, cursor)
        assert seen == [("UPDATED", "Community", place.id), ("UPDATED", "Team", team.id)]

        # 2. The other way round: the first transaction has its id before the second starts,
        # writes only after the second committed (a higher log id, a lower transaction id).
        await first.execute("BEGIN")
        await first.fetchval("SELECT pg_current_xact_id()")
        await second.execute("BEGIN")
        await second.execute("UPDATE team SET name = '二' WHERE id = $1", team.id)
        await second.execute("COMMIT")
        seen, cursor = await _poll(anonymous, cursor)
        assert seen == []  # held back while an older transaction runs
        await first.execute("UPDATE community SET name = '一' WHERE id = $1", place.id)
        await first.execute("COMMIT")
        seen, cursor = await _poll(anonymous, cursor)
        assert seen == [("UPDATED", "Community", place.id), ("UPDATED", "Team", team.id)]
        seen, cursor = await _poll(anonymous, cursor)
        assert seen == []
    finally:
        await first.close()
        await second.close()


async def test_the_demo_loader_and_the_scheduler_are_write_paths_too(database, fake_clock):
    from api.demo.neighbourhood import load_demo
    from api.jobs import scheduler
    from api.models import ChangeLogEntry

    await load_demo(log=lambda *_: None)
    listed = await _feed(Actor())
    events = await Event.filter(status__not=EventStatus.DRAFT).values_list("id", flat=True)
    assert {i for kind, name, i in listed if name == "Event" and kind == "CREATED"} >= set(events)
    assert {name for _, name, _ in listed} == {"Event", "Shift", "Team", "Community"}

    # The scheduler's round prunes what is older than the retention (35 days by default).
    fake_clock.advance(timedelta(days=36))
    await scheduler.tick()
    assert await ChangeLogEntry.all().count() == 0
    assert await _feed(Actor()) == []


async def test_a_postgres_dump_restored_elsewhere_keeps_its_feed_listed(database):
    """Entries restored from another cluster carry transaction ids from its future: they are
    moved to the start when the triggers are installed (every start), so they stay listed,
    and the clients' cursors of the old cluster answer CURSOR_EXPIRED."""
    if not database.startswith("postgres"):
        pytest.skip("transaction ids are PostgreSQL's")
    team = await factories.team()
    await _sql(f"UPDATE change_log SET xact_id = {2**40} WHERE object_id = {team.id}")
    assert await _feed(Actor()) == []  # from the future: never final
    await change_log.install_triggers(connections.get("default"))
    assert await _feed(Actor()) == [("CREATED", "Team", team.id)]
    old_cursor = changes.encode_cursor(change_log.Position(2**40, 1))
    with pytest.raises(FeedError) as refused:
        await changes.page(Actor(), after=old_cursor, first=5, types=None)
    assert refused.value.code == "CURSOR_EXPIRED"
