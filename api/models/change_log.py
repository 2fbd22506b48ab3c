"""The change log behind `Query.changes`: one row per create, update or delete of a public
object (events, shifts, teams, communities), written by database triggers
(`api.infra.change_log`), never by application code."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class ChangeLogEntry(Model):
    # One write to one object's row, in the order the feed lists them: (xact_id, id).

    id = fields.BigIntField(primary_key=True)
    typename = fields.CharField(max_length=32)  # the GraphQL type: Event, Shift, Team, Community
    object_id = fields.IntField()
    kind = fields.CharField(max_length=8)  # CREATED, UPDATED, DELETED
    at = fields.DatetimeField()
    # PostgreSQL: the writing transaction's id (pg_current_xact_id); 0 on SQLite, whose
    # writers take turns, so that ids are in commit order there.
    xact_id = fields.BigIntField(default=0, db_default=0)
    # Whether anyone may see it (not a draft, before or after the write); otherwise only the
    # leaders of `team_id` and admins.
    public = fields.BooleanField(default=True, db_default=True)
    team_id = fields.IntField(null=True)
    # The write made a draft public: reads as CREATED to callers who could not see the draft.
    became_public = fields.BooleanField(default=False, db_default=False)

    class Meta:
        table = "change_log"
        # The feed's order; an object's latest entry (a shift deleted with its event asks
        # the event's tombstone).
        indexes = (("xact_id", "id"), ("typename", "object_id", "id"))


class ChangeLogHorizon(Model):
    # One row (id 1): the last position pruned. A cursor before it may have missed entries.

    id = fields.IntField(primary_key=True)
    xact_id = fields.BigIntField(default=0)
    entry_id = fields.BigIntField(default=0)
    pruned_at = fields.DatetimeField(null=True)

    class Meta:
        table = "change_log_horizon"
