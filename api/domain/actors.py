"""Who is acting: an anonymous caller, a volunteer, a team leader or an admin."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from api.domain.errors import DomainError, ErrorCode
from api.infra import rows
from api.infra.i18n import N_
from api.models import Event, EventStatus, TeamRole, Volunteer


@dataclass
class Actor:
    volunteer: Volunteer | None = None
    # The browser session the request came with (None: anonymous, a bearer token, the shell).
    session_id: int | None = None
    #: An API token's scopes (`api_tokens.ApiScope` names); None for a browser session.
    scopes: frozenset[str] | None = None
    #: The API token acting (its rate-limit budget is its own); None otherwise.
    token_id: int | None = None
    _led_team_ids: set[int] | None = field(default=None, repr=False)
    _visible_volunteers: dict[int, bool] = field(default_factory=dict, repr=False)

    @property
    def is_admin(self) -> bool:
        return self.volunteer is not None and self.volunteer.is_admin

    @property
    def id(self) -> int | None:
        return self.volunteer.id if self.volunteer else None

    def require_volunteer(self) -> Volunteer:
        if self.volunteer is None:
            raise DomainError(ErrorCode.UNAUTHENTICATED, N_("Please log in first."))
        return self.volunteer

    def require_admin(self) -> Volunteer:
        volunteer = self.require_volunteer()
        if not volunteer.is_admin:
            raise DomainError(ErrorCode.FORBIDDEN, N_("Only administrators may do this."))
        return volunteer

    async def led_team_ids(self) -> set[int]:
        if self._led_team_ids is None:
            if self.volunteer is None:
                self._led_team_ids = set()
            else:
                found = await rows.fetch(
                    'SELECT "team_id" FROM "team_membership" WHERE "volunteer_id" = ?'
                    ' AND "role" = ?',
                    [self.volunteer.id, TeamRole.LEADER.value],
                )
                self._led_team_ids = {int(str(row[0])) for row in found}
        return self._led_team_ids

    async def leads(self, team_id: int) -> bool:
        return self.is_admin or team_id in await self.led_team_ids()

    async def require_leader(self, team_id: int) -> Volunteer:
        volunteer = self.require_volunteer()
        if not await self.leads(team_id):
            raise DomainError(ErrorCode.FORBIDDEN, N_("Only this team's leaders may do this."))
        return volunteer

    async def may_see_personal_data_of(self, volunteer_id: int) -> bool:
        """The volunteer themself, admins, and leaders of a team the volunteer belongs to
        or has signed up with, may see phone numbers and sign-up lists."""
        await self.preload_personal_visibility([volunteer_id])
        return self._visible_volunteers.get(volunteer_id, False)

    async def preload_personal_visibility(self, volunteer_ids: Iterable[int]) -> None:
        """Decides `may_see_personal_data_of` for many volunteers in one statement (a page
        of sign-ups asks for each one's phone)."""
        unknown = {i for i in volunteer_ids if i not in self._visible_volunteers}
        if not unknown:
            return
        if self.scopes is not None and "READ_PERSONAL" not in self.scopes:
            self._visible_volunteers.update((i, False) for i in unknown)
            return
        if self.volunteer is None or self.is_admin:
            self._visible_volunteers.update((i, self.volunteer is not None) for i in unknown)
            return
        visible = {i for i in unknown if i == self.volunteer.id}
        led = await self.led_team_ids() if unknown - visible else set()
        if led and unknown - visible:
            # Members of a team they lead, and those signed up for one of its events.
            asked, teams = list(unknown - visible), list(led)
            people, led_teams = rows.marks(len(asked)), rows.marks(len(teams))
            found = await rows.fetch(
                'SELECT "volunteer_id" FROM "team_membership" WHERE "volunteer_id" IN'
                f' ({people}) AND "team_id" IN ({led_teams})'
                ' UNION SELECT "signup"."volunteer_id" FROM "signup"'
                ' JOIN "shift" ON "shift"."id" = "signup"."shift_id"'
                ' JOIN "event" ON "event"."id" = "shift"."event_id"'
                f' WHERE "signup"."volunteer_id" IN ({people})'
                f' AND "event"."team_id" IN ({led_teams})',
                [*asked, *teams, *asked, *teams],
            )
            visible |= {int(str(row[0])) for row in found}
        self._visible_volunteers.update((i, i in visible) for i in unknown)

    async def may_see_event(self, event: Event) -> bool:
        """Drafts are visible to the team's leaders and admins only."""
        if event.status != EventStatus.DRAFT:
            return True
        return await self.leads(event.team_id)
