"""Cross-site requests: a browser request from another site must not act with the user's cookie.

`is_cross_site` is the test; `refuse_cross_site` is the one refusal every state-changing page
route gives (a form posted from another site, a log-out triggered by another page…): 403, as
JSON for a caller that asks for JSON, else a short page. GraphQL does not refuse: there the
cookie simply does not count (`api.http.actor`), as the public contract says.
"""

from __future__ import annotations

from urllib.parse import urlparse

from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse, JSONResponse, Response

CROSS_SITE_CODE = "CROSS_SITE_REQUEST"
# zh-CN first, English second (this page is seen only by someone another site tried to use, so
# it is the same for everyone and needs no catalog).
_MESSAGE_ZH = "此请求来自其他网站，已被拒绝。请回到邻里重新操作。"
_MESSAGE_EN = "This request came from another site and was refused. Please try again on Linli."
_PAGE = (
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>403 · 邻里</title></head><body>"
    f'<h1>403</h1><p>{_MESSAGE_ZH}</p><p lang="en">{_MESSAGE_EN}</p>'
    '<p><a href="/">邻里 Linli</a></p></body></html>'
)


def is_cross_site(request: HTTPConnection) -> bool:
    """A browser request from another site (its cookie must not act for the user)."""
    if request.headers.get("sec-fetch-site", "") == "cross-site":
        return True
    origin = request.headers.get("origin")
    if origin and origin != "null":
        return urlparse(origin).netloc != request.headers.get("host", "")
    return origin == "null"


def _wants_json(request: HTTPConnection) -> bool:
    accept = request.headers.get("accept", "")
    content_type = request.headers.get("content-type", "")
    return "application/json" in accept or content_type.startswith("application/json")


def refuse_cross_site(request: HTTPConnection) -> Response | None:
    """The refusal to send when ``request`` comes from another site, else None:

    if refused := refuse_cross_site(request):
        return refused
    """
    if not is_cross_site(request):
        return None
    headers = {"Cache-Control": "no-store"}
    if _wants_json(request):
        # The shape of a GraphQL error, which is what JSON clients of this site already read.
        error = {"message": _MESSAGE_EN, "extensions": {"code": CROSS_SITE_CODE}}
        return JSONResponse({"errors": [error]}, status_code=403, headers=headers)
    return HTMLResponse(_PAGE, status_code=403, headers=headers)
