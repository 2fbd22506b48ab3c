"""`/teams/{id}/members`: a team's people on the phone. Members see who is in it; leaders
and admins also see phones and applicants, promote and demote leaders, remove members,
approve applicants, invite by phone and choose whether joining needs approval; a member can
leave. Plain forms (no scripts needed), each a GraphQL operation of `schema/operations/`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from api.http.actor import actor_for
from api.http.cross_site import refuse_cross_site
from api.http.ids import encode_id
from api.web import event_forms
from api.web.exports import not_found, path_id
from api.web.rendering import error_message, render, run_operation

#: form action → (operation, variables taken from the form besides teamId)
ACTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "promote": ("SetTeamRole", ("volunteerId",)),
    "demote": ("SetTeamRole", ("volunteerId",)),
    "remove": ("RemoveTeamMember", ("volunteerId",)),
    "approve": ("ApproveTeamMember", ("volunteerId",)),
    "invite": ("InviteToTeam", ("phone",)),
    "approval": ("SetTeamJoinApproval", ()),
    "leave": ("LeaveTeam", ()),
}


async def _act(request: Request, team_id: str) -> tuple[dict[str, list[str]], str]:
    form = dict(await event_forms.url_encoded_form(request))
    action = form.get("action", "")
    if action not in ACTIONS:
        return {"": [error_message("INVALID_INPUT", "")]}, action
    name, fields = ACTIONS[action]
    variables: dict[str, object] = {"teamId": team_id}
    variables.update({f: form.get(f, "") for f in fields})
    if action in ("promote", "demote"):
        variables["role"] = "LEADER" if action == "promote" else "MEMBER"
    if action == "approval":
        variables["required"] = form.get("required") == "on"
    data = await run_operation(request, name, variables)
    payload = next(iter(data.values()))
    return event_forms.user_errors_by_field(payload["userErrors"]), action


async def members_page(request: Request) -> Response:
    actor = await actor_for(request)
    if actor.volunteer is None:
        return event_forms.login_redirect(request)
    pk = path_id(request, "Team")
    if pk is None:
        return not_found()
    team_id = encode_id("Team", pk)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if refused := refuse_cross_site(request):
            return refused
        errors, action = await _act(request, team_id)
        if not errors:
            target = f"/teams/{team_id}" if action == "leave" else request.url.path
            return RedirectResponse(target, status_code=303)
    data = await run_operation(request, "TeamMembers", {"id": team_id})
    team = data.get("node")
    if not team or team.get("__typename") != "Team":
        return render(request, "not_found.html", {"viewer": data["viewer"]}, status_code=404)
    return render(
        request,
        "organizer/members.html",
        {"viewer": data["viewer"], "team": team, "errors": errors},
        status_code=422 if errors else 200,
    )


def team_people_routes() -> list[BaseRoute]:
    return [Route("/teams/{id}/members", members_page, methods=["GET", "POST"])]
