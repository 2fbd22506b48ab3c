"""GraphiQL from our own origin (vendored from npm: graphiql 3.9.0, react 18.3.1, no CDN, no
web fonts), opening on Linli's example operations instead of Strawberry's greeting."""

from __future__ import annotations

import json
from html import escape

ASSETS = "/graphiql-3.9.0"

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
        "query": "# Your API tokens (from a logged-in session)\n"
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
<script src="{ASSETS}/start.js"></script>
</body>
</html>
"""
