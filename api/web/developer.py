"""`/me/developer` (开发者): a volunteer's API tokens and webhooks, as plain forms (no script
needed).

- Tokens: make one (its secret is shown once, on the answer page), see which still work and when
  they were last used, revoke one.
- Webhooks: make one (URL, events, description; its signing secret is shown once, on the answer
  page), see each one's state (on, turned off, turned off after failing), turn it off or on,
  delete it; `/me/developer/webhooks/{id}` is its delivery log, with "重新投递" per message.

Everything goes through the GraphQL operations third parties use (`schema/operations/`), so the
rules are the API's (`api.domain.webhooks`, `api.domain.api_tokens`): a webhook that is not the
caller's answers 404, and a caller with an API token meets the token's scopes here as in the API
(a token without WEBHOOKS sees no webhooks and may change none: 403).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from babel.lists import format_list
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from api.domain import api_tokens
from api.domain.actors import Actor
from api.http.actor import actor_for
from api.http.cross_site import refuse_cross_site
from api.http.ids import encode_id
from api.web import event_forms, i18n
from api.web.exports import path_id
from api.web.pages import not_found
from api.web.rendering import error_message, plain_text, render, run_operation

SCOPES = ("READ_PUBLIC", "READ_PERSONAL", "WRITE_SIGNUPS", "WRITE_ORGANIZING", "WEBHOOKS")


def _(message: str) -> str:
    """Marks a string for extraction; translated when the page is rendered."""
    return message


#: The webhook events, in the order the form offers them, with their names on the page.
PUBLIC_EVENTS = {
    "EVENT_PUBLISHED": _("Event published"),
    "EVENT_UPDATED": _("Event changed"),
    "EVENT_CANCELLED": _("Event cancelled"),
    "SHIFT_SEATS_CHANGED": _("Seats of a shift changed"),
}
LEADER_EVENTS = {
    "SIGNUP_CREATED": _("Someone signed up (teams you lead)"),
    "SIGNUP_CANCELLED": _("A sign-up was cancelled (teams you lead)"),
}
EVENT_NAMES = {**PUBLIC_EVENTS, **LEADER_EVENTS}
#: Ticked on a new form: what a dashboard usually wants (seat counts change often).
DEFAULT_EVENTS = ("EVENT_PUBLISHED", "EVENT_UPDATED", "EVENT_CANCELLED")
DELIVERY_STATUS = {
    "DELIVERED": _("Delivered"),
    "PENDING": _("Waiting to be sent"),
    "FAILED": _("Failed"),
}
DELIVERIES_SHOWN = 20
REDELIVERED = _("The message is being sent again.")

#: The form's actions → the mutation each one runs (for the token's scope check).
_MUTATIONS = {
    "revoke": "revokeApiToken",
    "create": "createApiToken",
    "create_webhook": "createWebhook",
    "disable_webhook": "updateWebhook",
    "enable_webhook": "updateWebhook",
    "delete_webhook": "deleteWebhook",
    "redeliver": "redeliverWebhook",
}


def _forbidden(request: Request) -> Response:
    return plain_text(request, error_message("FORBIDDEN", ""), 403)


def _token_refusal(request: Request, actor: Actor, action: str | None) -> Response | None:
    """403 when an API token's scopes do not allow what the API would refuse it: reading
    (every answer is a page to read), and the action's mutation. The rules are `api_tokens`'."""
    refusal = api_tokens.read_refusal(actor)
    if refusal is None and action is not None:
        refusal = api_tokens.missing_scope(actor, [_MUTATIONS.get(action, "createApiToken")])
    return None if refusal is None else _forbidden(request)


def _not_found(user_errors: list[dict[str, Any]]) -> bool:
    return any(e.get("code") == "NOT_FOUND" for e in user_errors)


async def _webhook_action(request: Request, form: list[tuple[str, str]]) -> dict[str, Any]:
    """Runs one of the webhook forms: {"errors", "secret", "values", "missing"}."""
    values = dict(form)
    action = values.get("action", "")
    webhook_id = values.get("id", "")
    if action == "create_webhook":
        events = [v for k, v in form if k == "events" and v in EVENT_NAMES]
        variables: dict[str, Any] = {
            "url": values.get("url", "").strip(),
            "events": events,
            "description": values.get("description", "").strip() or None,
        }
        payload = (await run_operation(request, "CreateWebhook", variables))["createWebhook"]
        return {
            "errors": event_forms.user_errors_by_field(payload["userErrors"]),
            "secret": payload["secret"],
            "values": {**variables, "events": events},
            "missing": False,
        }
    if action == "delete_webhook":
        payload = (await run_operation(request, "DeleteWebhook", {"id": webhook_id}))[
            "deleteWebhook"
        ]
    else:
        enabled = action == "enable_webhook"
        payload = (
            await run_operation(request, "UpdateWebhook", {"id": webhook_id, "enabled": enabled})
        )["updateWebhook"]
    return {
        "errors": event_forms.user_errors_by_field(payload["userErrors"]),
        "secret": None,
        "values": None,
        "missing": _not_found(payload["userErrors"]),
    }


def _may_lead(viewer: dict[str, Any]) -> bool:
    return bool(viewer.get("isAdmin")) or any(t["viewerIsLeader"] for t in viewer["teams"])


async def developer_page(request: Request) -> Response:
    actor = await actor_for(request)
    if actor.volunteer is None:
        return event_forms.login_redirect(request)
    errors: dict[str, list[str]] = {}
    webhook_errors: dict[str, list[str]] = {}
    secret: str | None = None
    webhook_secret: str | None = None
    webhook_values: dict[str, Any] | None = None
    if request.method == "POST":
        if refused := refuse_cross_site(request):
            return refused
        pairs = await event_forms.url_encoded_form(request)
        form = dict(pairs)
        action = form.get("action", "create")
        if refused := _token_refusal(request, actor, action):
            return refused
        if action == "revoke":
            data = await run_operation(request, "RevokeApiToken", {"id": form.get("id", "")})
            errors = event_forms.user_errors_by_field(data["revokeApiToken"]["userErrors"])
        elif action not in _MUTATIONS or action == "redeliver":  # (redelivery: the log page)
            return not_found(request, (await run_operation(request, "Viewer"))["viewer"])
        elif action.endswith("_webhook"):
            done = await _webhook_action(request, pairs)
            if done["missing"]:
                return not_found(request, (await run_operation(request, "Viewer"))["viewer"])
            webhook_errors, webhook_secret = done["errors"], done["secret"]
            webhook_values = done["values"] if webhook_errors else None
        else:  # create
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
        if not errors and not webhook_errors and secret is None and webhook_secret is None:
            back = "#webhooks" if action.endswith("_webhook") else ""
            return RedirectResponse(request.url.path + back, status_code=303)
    elif refused := _token_refusal(request, actor, None):
        return refused
    data = await run_operation(request, "DeveloperPage")
    viewer = data["viewer"]
    may_lead = _may_lead(viewer)
    return render(
        request,
        "developer.html",
        {
            "viewer": viewer,
            "errors": errors,
            "secret": secret,
            "scopes": SCOPES,
            "webhook_errors": webhook_errors,
            "webhook_secret": webhook_secret,
            "webhook_form": webhook_values
            or {"url": "", "events": list(DEFAULT_EVENTS), "description": ""},
            "event_list": event_list,
            "offered_events": {**PUBLIC_EVENTS, **(LEADER_EVENTS if may_lead else {})},
            "webhook_path": _webhook_path,
        },
        status_code=422 if errors or webhook_errors else 200,
    )


def event_list(events: list[str]) -> str:
    """The events' names as a list in the page's language (活动发布、活动变更和活动取消)."""
    order = list(EVENT_NAMES)
    ordered = sorted(events, key=lambda e: order.index(e) if e in order else len(order))
    names = [i18n.gettext(EVENT_NAMES[e]) if e in EVENT_NAMES else e for e in ordered]
    return format_list(names, locale=i18n.babel_locale()) if names else ""


def _webhook_path(webhook_id: str) -> str:
    return f"/me/developer/webhooks/{quote(webhook_id, safe='')}"


async def webhook_page(request: Request) -> Response:
    """One webhook's delivery log (newest first), with "重新投递" for each message."""
    actor = await actor_for(request)
    if actor.volunteer is None:
        return event_forms.login_redirect(request)
    action = "redeliver" if request.method == "POST" else None
    if request.method == "POST" and (refused := refuse_cross_site(request)):
        return refused
    if refused := _token_refusal(request, actor, action):
        return refused
    pk = path_id(request, "Webhook")
    if pk is None:
        return not_found(request, (await run_operation(request, "Viewer"))["viewer"])
    webhook_id = encode_id("Webhook", pk)
    variables: dict[str, Any] = {"id": webhook_id, "first": DELIVERIES_SHOWN}
    after = request.query_params.get("after", "")
    try:
        data = await run_operation(request, "WebhookPage", {**variables, "after": after or None})
    except RuntimeError:  # a cursor that is not one of ours: the first page
        data = await run_operation(request, "WebhookPage", variables)
    webhook = data.get("node")
    if not webhook or webhook.get("__typename") != "Webhook":
        # Not there, or someone else's (the API answers null for both): the same 404.
        return not_found(request, data["viewer"])
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        form = dict(await event_forms.url_encoded_form(request))
        payload = (
            await run_operation(
                request, "RedeliverWebhook", {"deliveryId": form.get("deliveryId", "")}
            )
        )["redeliverWebhook"]
        if _not_found(payload["userErrors"]):
            return not_found(request, data["viewer"])
        errors = event_forms.user_errors_by_field(payload["userErrors"])
        if not errors:
            return RedirectResponse(
                f"{_webhook_path(webhook_id)}?redelivered=1#log", status_code=303
            )
    notice = REDELIVERED if request.query_params.get("redelivered") and not errors else None
    return render(
        request,
        "developer_webhook.html",
        {
            "viewer": data["viewer"],
            "webhook": webhook,
            "deliveries": webhook["deliveries"],
            "errors": errors,
            "notice": notice,
            "event_names": EVENT_NAMES,
            "event_list": event_list,
            "delivery_status": DELIVERY_STATUS,
            "webhook_path": _webhook_path,
        },
        status_code=422 if errors else 200,
    )


def developer_routes() -> list[BaseRoute]:
    return [
        Route("/me/developer", developer_page, methods=["GET", "POST"]),
        Route("/me/developer/webhooks/{id}", webhook_page, methods=["GET", "POST"]),
    ]
