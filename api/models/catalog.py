from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class CatalogVersion(Model):
    # Row 1, counted up by database triggers whenever anything the public can read changes
    # (events, shifts and their seats, teams, memberships, places, series): cached public
    # answers are valid while the number they were made under is still current. SQLite also
    # keeps a second row (`api.infra.change_bus.SQLITE_BUS_ROW`): changes of sign-ups, which
    # the public cannot read but live subscriptions show, for the change bus's poll.
    id = fields.IntField(primary_key=True)
    n = fields.BigIntField(default=0)

    class Meta:
        table = "catalog_version"
