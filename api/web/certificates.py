"""Certificates of service hours on the web (plain forms, no scripts needed):

- `/certificates/{id}.pdf`: the certificate (the volunteer, their leaders, admins);
- `/verify/{number}` (and `/verify?number=`): public, no log-in, rate-limited per address;
- `/me/certificates`: "我的志愿服务证明": issue one for a period, download, share the link
  (the same list and form also sit on `/me`);
- `/teams/{id}/certificates`: a team's leaders issue one for a member, and revoke.

Issuing and revoking are the GraphQL operations of `schema/operations/`; the PDF and the
public verification call `api.domain.certificates` directly (a file, and a page that must
answer "too many look-ups" as a page)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from api.domain import certificates
from api.domain.errors import DomainError, ErrorCode
from api.http.actor import actor_for
from api.http.cross_site import refuse_cross_site
from api.http.ids import encode_id
from api.infra.pdf import FontMissing
from api.web import event_forms, i18n
from api.web.exports import error_response, not_found, path_id
from api.web.rendering import error_message, render, run_operation


def _(message: str) -> str:
    """Marks a string for extraction; translated when shown."""
    return message


#: The domain's messages for these forms, shown in the page's language.
CERTIFICATE_MESSAGES = (
    _("The period must end on or after its start."),
    _("A certificate covers at most five years."),
    _("The period must start today or earlier."),
    _("No service hours are recorded for this period."),
    _("Only the volunteer, leaders of their team and administrators may issue this."),
    _("Too many certificates issued in the last hour. Please try again later."),
    _("Only the issuing team's leaders and administrators may revoke."),
    _("This certificate is already revoked."),
    _("The reason is required."),
    _("The reason must be at most 200 characters."),
)
BAD_DATE = _("Dates are written YYYY-MM-DD.")


def _messages(user_errors: list[dict[str, Any]]) -> list[str]:
    shown = []
    for error in user_errors:
        message = error["message"]
        if message in CERTIFICATE_MESSAGES:
            shown.append(i18n.gettext(message))
        else:
            shown.append(error_message(error["code"], message))
    return shown


def _period_defaults() -> dict[str, str]:
    today = event_forms.local_today()
    return {"from": today.replace(month=1, day=1).isoformat(), "to": today.isoformat()}


async def _issue(request: Request, volunteer_id: str, form: dict[str, str]) -> list[str]:
    """Issues from a posted form; the messages to show (none: issued)."""
    try:
        start = date.fromisoformat(form.get("from", "").strip()).isoformat()
        end = date.fromisoformat(form.get("to", "").strip()).isoformat()
    except ValueError:
        return [i18n.gettext(BAD_DATE)]
    data = await run_operation(
        request, "IssueCertificate", {"volunteerId": volunteer_id, "from": start, "to": end}
    )
    return _messages(data["issueCertificate"]["userErrors"])


# --- /certificates/{id}.pdf --------------------------------------------------------------


async def certificate_pdf(request: Request) -> Response:
    pk = path_id(request, "Certificate")
    if pk is None:
        return not_found()
    actor = await actor_for(request)
    try:
        certificate = await certificates.certificate_for(actor, pk)
    except DomainError as exc:
        if exc.code == ErrorCode.UNAUTHENTICATED:
            here = quote(request.url.path, safe="")
            return RedirectResponse(f"/login?next={here}", status_code=303)
        return error_response(exc)
    try:
        body = await certificates.render_pdf(certificate)
    except FontMissing as exc:
        return Response(str(exc), status_code=503, media_type="text/plain; charset=utf-8")
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{certificate.number}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


# --- /verify -----------------------------------------------------------------------------


async def verify_page(request: Request) -> Response:
    number = str(request.path_params.get("number") or request.query_params.get("number") or "")
    number = certificates.normalize_number(number)
    if "number" not in request.path_params and number:
        return RedirectResponse(f"/verify/{quote(number, safe='')}", status_code=303)
    viewer = (await run_operation(request, "Viewer"))["viewer"]
    context: dict[str, Any] = {"viewer": viewer, "number": number, "found": None}
    status = 200
    if number:
        try:
            context["found"] = await certificates.verify(number, _client_address(request))
        except DomainError as exc:
            context["refused"] = error_message(exc.code, exc.message)
            response = render(request, "certificates/verify.html", context, status_code=429)
            response.headers["Retry-After"] = "600"
            return response
        status = 200 if context["found"] else 404
    response = render(request, "certificates/verify.html", context, status_code=status)
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "local"


# --- /me/certificates --------------------------------------------------------------------


async def my_certificates(request: Request) -> Response:
    errors: list[str] = []
    form: dict[str, str] = {}
    if request.method == "POST":
        if refused := refuse_cross_site(request):
            return refused
        form = dict(await event_forms.url_encoded_form(request))
    data = await run_operation(request, "MyCertificates")
    viewer = data["viewer"]
    if viewer is None:
        return event_forms.login_redirect(request)
    if request.method == "POST":
        errors = await _issue(request, viewer["id"], form)
        if not errors:
            return RedirectResponse("/me/certificates#certificates", status_code=303)
    return render(
        request,
        "certificates/mine.html",
        {
            "viewer": viewer,
            "nav": "me",
            "certificates": viewer["certificates"],
            "errors": errors,
            "period": {**_period_defaults(), **{k: form[k] for k in ("from", "to") if k in form}},
        },
        status_code=422 if errors else 200,
    )


# --- /teams/{id}/certificates --------------------------------------------------------------


async def team_certificates(request: Request) -> Response:
    actor = await actor_for(request)
    if actor.volunteer is None:
        return event_forms.login_redirect(request)
    pk = path_id(request, "Team")
    if pk is None:
        return not_found()
    team_id = encode_id("Team", pk)
    errors: list[str] = []
    form: dict[str, str] = {}
    member = request.query_params.get("member", "")
    if request.method == "POST":
        if refused := refuse_cross_site(request):
            return refused
        form = dict(await event_forms.url_encoded_form(request))
        member = form.get("volunteerId", member)
    data = await run_operation(request, "TeamMembers", {"id": team_id})
    team = data.get("node")
    if not team or team.get("__typename") != "Team":
        return render(request, "not_found.html", {"viewer": data["viewer"]}, status_code=404)
    if not team["viewerIsLeader"]:
        return render(
            request, "organizer/forbidden.html", {"viewer": data["viewer"]}, status_code=403
        )
    members = {m["volunteerId"]: m for m in team["members"]}
    if member not in members:
        member = ""
    if request.method == "POST" and member:
        if form.get("action") == "revoke":
            result = await run_operation(
                request,
                "RevokeCertificate",
                {"id": form.get("certificateId", ""), "reason": form.get("reason", "")},
            )
            errors = _messages(result["revokeCertificate"]["userErrors"])
        else:
            errors = await _issue(request, member, form)
        if not errors:
            target = f"{request.url.path}?member={quote(member, safe='')}#certificates"
            return RedirectResponse(target, status_code=303)
    chosen: list[dict[str, Any]] = []
    if member:
        found = (await run_operation(request, "MemberCertificates", {"id": member}))["node"]
        chosen = found["certificates"] if found else []
    return render(
        request,
        "certificates/team.html",
        {
            "viewer": data["viewer"],
            "team": team,
            "member": members.get(member),
            "certificates": chosen,
            "errors": errors,
            "period": {**_period_defaults(), **{k: form[k] for k in ("from", "to") if k in form}},
        },
        status_code=422 if errors else 200,
    )


def certificate_routes() -> list[BaseRoute]:
    return [
        Route("/certificates/{id}.pdf", certificate_pdf),
        Route("/verify", verify_page),
        Route("/verify/{number}", verify_page),
        Route("/me/certificates", my_certificates, methods=["GET", "POST"]),
        Route("/teams/{id}/certificates", team_certificates, methods=["GET", "POST"]),
    ]
