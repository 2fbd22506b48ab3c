"""`/admin`: the administrators' console on the phone — the place tree (add, rename, move a
compound), teams (create, make someone a leader by phone), administrators (grant, withdraw by
phone) and the hours report download. Plain forms, each a GraphQL operation."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from api.http.actor import actor_for
from api.http.cross_site import refuse_cross_site
from api.infra import clock
from api.settings import SHANGHAI
from api.web import event_forms
from api.web.rendering import error_message, render, run_operation

#: form action → (operation, form fields passed on; empty values become null)
ACTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "add-place": ("AddCommunity", ("name", "parentId")),
    "rename-place": ("RenameCommunity", ("communityId", "name")),
    "move-compound": ("MoveCompound", ("communityId", "parentId")),
    "create-team": ("CreateTeam", ("name", "communityId")),
    "assign-leader": ("AssignTeamLeader", ("teamId", "phone")),
    "grant-admin": ("SetAdmin", ("phone",)),
    "withdraw-admin": ("SetAdmin", ("phone",)),
}


async def _act(request: Request) -> dict[str, list[str]]:
    form = dict(await event_forms.url_encoded_form(request))
    action = form.get("action", "")
    if action not in ACTIONS:
        return {"": [error_message("INVALID_INPUT", "")]}
    name, fields = ACTIONS[action]
    # Text fields go as typed (the domain explains what is wrong); an empty optional id
    # (a parent, a place) is null; a missing required id is refused here.
    variables: dict[str, Any] = {f: (form.get(f) or "").strip() for f in fields}
    for optional in ("parentId", "communityId"):
        if optional in variables and not variables[optional]:
            if name in ("RenameCommunity", "MoveCompound"):
                return {"": [error_message("INVALID_INPUT", "")]}
            variables[optional] = None
    if name == "SetAdmin":
        variables["isAdmin"] = action == "grant-admin"
    data = await run_operation(request, name, variables)
    payload = next(iter(data.values()))
    return event_forms.user_errors_by_field(payload["userErrors"])


def _tree(nodes: list[dict[str, Any]]) -> list[tuple[dict[str, Any], int]]:
    children: dict[str | None, list[dict[str, Any]]] = {}
    for node in sorted(nodes, key=lambda n: n["name"]):
        children.setdefault((node.get("parent") or {}).get("id"), []).append(node)
    ordered: list[tuple[dict[str, Any], int]] = []

    def walk(parent: str | None, depth: int) -> None:
        for node in children.get(parent, []):
            ordered.append((node, depth))
            walk(node["id"], depth + 1)

    walk(None, 0)
    return ordered


async def admin_page(request: Request) -> Response:
    actor = await actor_for(request)
    if actor.volunteer is None:
        return event_forms.login_redirect(request)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if refused := refuse_cross_site(request):
            return refused
        if actor.is_admin:
            errors = await _act(request)
            if not errors:
                return RedirectResponse(request.url.path, status_code=303)
    data = await run_operation(request, "AdminConsole")
    if not (data["viewer"] or {}).get("isAdmin"):
        return render(
            request, "organizer/forbidden.html", {"viewer": data["viewer"]}, status_code=403
        )
    today = clock.now().astimezone(SHANGHAI).date()
    return render(
        request,
        "admin/console.html",
        {
            "viewer": data["viewer"],
            "places": _tree(data["communities"]["nodes"]),
            "teams": data["teams"]["nodes"],
            "admins": data["admins"],
            "errors": errors,
            "period": {"from": today.replace(day=1).isoformat(), "to": today.isoformat()},
        },
        status_code=422 if errors else 200,
    )


def admin_console_routes() -> list[BaseRoute]:
    return [Route("/admin", admin_page, methods=["GET", "POST"])]
