"""`/me/developer` (开发者): a volunteer's API tokens — make one (its secret is shown once, on
the answer page), see which still work and when they were last used, revoke one."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from api.http.actor import actor_for
from api.http.cross_site import refuse_cross_site
from api.web import event_forms
from api.web.rendering import render, run_operation

SCOPES = ("READ_PUBLIC", "READ_PERSONAL", "WRITE_SIGNUPS", "WRITE_ORGANIZING", "WEBHOOKS")


async def developer_page(request: Request) -> Response:
    actor = await actor_for(request)
    if actor.volunteer is None:
        return event_forms.login_redirect(request)
    errors: dict[str, list[str]] = {}
    secret: str | None = None
    if request.method == "POST":
        if refused := refuse_cross_site(request):
            return refused
        pairs = await event_forms.url_encoded_form(request)
        form = dict(pairs)
        if form.get("action") == "revoke":
            data = await run_operation(request, "RevokeApiToken", {"id": form.get("id", "")})
            errors = event_forms.user_errors_by_field(data["revokeApiToken"]["userErrors"])
        else:
            days = form.get("expiresInDays", "").strip()
            variables: dict[str, Any] = {
                "name": form.get("name", ""),
                "scopes": [v for k, v in pairs if k == "scopes" and v in SCOPES],
                "expiresInDays": int(days) if days.isdigit() and len(days) < 6 else None,
            }
            data = await run_operation(request, "CreateApiToken", variables)
            payload = data["createApiToken"]
            errors = event_forms.user_errors_by_field(payload["userErrors"])
            secret = payload["token"]
        if not errors and secret is None:
            return RedirectResponse(request.url.path, status_code=303)
    data = await run_operation(request, "DeveloperPage")
    return render(
        request,
        "developer.html",
        {"viewer": data["viewer"], "errors": errors, "secret": secret, "scopes": SCOPES},
        status_code=422 if errors else 200,
    )


def developer_routes() -> list[BaseRoute]:
    return [Route("/me/developer", developer_page, methods=["GET", "POST"])]
