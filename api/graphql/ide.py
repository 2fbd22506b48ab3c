"""GraphiQL from our own origin (vendored from npm: graphiql 3.9.0, react 18.3.1, no CDN, no
web fonts: the stock CSS's font imports are replaced by inlined data: fonts), opening on
Linli's example operations instead of Strawberry's greeting: one tab each for the event list,
paging, a sign-up with an idempotency key, the change feed, a live subscription and the
viewer's API tokens. Queries go over HTTP, subscriptions over `graphql-transport-ws` on the
same origin (start.js)."""

from __future__ import annotations

import json
from html import escape

ASSETS = "/graphiql-3.9.0"
# The vendored files are served as immutable: bump this when start.js changes.
START_JS_VERSION = "2"

EXAMPLES: list[dict[str, str]] = [
    {
        "query": "# 邻里 Linli — the next published events with their shifts and seats\n"
        "query UpcomingEvents {\n"
        "  events(first: 5) {\n"
        "    totalCount\n"
        "    nodes { id title kind startsAt location { name } seatsLeft\n"
        "      shifts { id role startsAt seatsLeft waitlistCount } }\n"
        "    pageInfo { hasNextPage endCursor }\n"
        "  }\n"
        "}\n",
    },
    {
        "query": "# Paging: pass the previous page's endCursor as $after\n"
        "query NextPage($after: String) {\n"
        "  events(first: 20, after: $after) {\n"
        "    nodes { id title startsAt }\n"
        "    pageInfo { hasNextPage endCursor }\n"
        "  }\n"
        "}\n",
        "variables": '{"after": null}',
    },
    {
        "query": "# Sign up (logged in, or a token with WRITE_SIGNUPS). The idempotency key is\n"
        "# made once per tap: sending it again answers the same sign-up.\n"
        "mutation SignUp($shiftId: ID!, $key: String!) {\n"
        "  signUp(input: {shiftId: $shiftId, idempotencyKey: $key}) {\n"
        "    signup { id status waitlistPosition }\n"
        "    userErrors { code field message }\n"
        "  }\n"
        "}\n",
        "variables": '{"shiftId": "<a Shift id>", "key": "3f0c2a9e-…"}',
    },
    {
        "query": "# Change feed (变更流): every create, update and delete of public objects, in\n"
        "# commit order. Keep the last endCursor and ask again every minute; a DELETED\n"
        "# entry is a tombstone (kept ≥ 30 days), so deletions reach you too.\n"
        "# `types: [...]` narrows the feed to some kinds of objects.\n"
        "query Changes($after: String) {\n"
        "  changes(first: 100, after: $after) {\n"
        "    edges { cursor node { kind typename nodeId at } }\n"
        "    pageInfo { hasNextPage endCursor }\n"
        "  }\n"
        "}\n",
        "variables": '{"after": null}',
    },
    {
        "query": "# Live seats (实时名额) over WebSocket (graphql-transport-ws, same origin): a new\n"
        "# answer each time the shift changes. Same privacy and cost rules as queries.\n"
        "subscription ShiftSeats($shiftId: ID!) {\n"
        "  shiftUpdated(shiftId: $shiftId) { id seatsLeft waitlistCount }\n"
        "}\n",
        "variables": '{"shiftId": "<a Shift id>"}',
    },
    {
        "query": "# Your API tokens (from a logged-in session). A third party sends its token\n"
        "# as the header  Authorization: Bearer <token>  (Headers tab below).\n"
        "query MyTokens {\n"
        "  viewer { displayName apiTokens { id name scopes expiresAt lastUsedAt } }\n"
        "}\n",
    },
]


def graphiql_html() -> str:
    examples = json.dumps(EXAMPLES, ensure_ascii=False).replace("</", "<\\/")
    return f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>邻里 Linli · GraphQL</title>
<link rel="stylesheet" href="{ASSETS}/graphiql.min.css">
<style>html, body, #graphiql {{ height: 100%; margin: 0; }}</style>
</head>
<body>
<div id="graphiql">{escape("正在加载 GraphiQL… Loading GraphiQL…")}</div>
<script type="application/json" id="linli-examples">{examples}</script>
<script src="{ASSETS}/react.production.min.js"></script>
<script src="{ASSETS}/react-dom.production.min.js"></script>
<script src="{ASSETS}/graphiql.min.js"></script>
<script src="{ASSETS}/start.js?v={START_JS_VERSION}"></script>
</body>
</html>
"""
