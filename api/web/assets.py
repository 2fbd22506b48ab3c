"""Static assets with fingerprinted URLs, the service worker and the web app manifest.

`asset("css/app.css")` → `/static/css/app.3f9a1c2b.css`. A fingerprinted URL is served with
`Cache-Control: public, max-age=31536000, immutable`; its content never changes, so a page and
the assets it names always belong together. `/sw.js` (scope `/`) is served `no-cache`; its
version is the fingerprint of every asset and template, so any change installs a new worker
whose caches replace the old ones on activate.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import re
from dataclasses import dataclass
from functools import lru_cache

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from api.settings import PROJECT_ROOT

PWA_DIR = PROJECT_ROOT / "pwa"
STATIC_DIR = PWA_DIR / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
THEME_COLOR = "#0b6e4f"
BACKGROUND_COLOR = "#ffffff"
_FINGERPRINTED = re.compile(r"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{10})(?P<suffix>\.[A-Za-z0-9]+)$")


@dataclass(frozen=True)
class Asset:
    path: str  # relative to pwa/static, e.g. "css/app.css"
    digest: str
    body: bytes
    media_type: str

    @property
    def url(self) -> str:
        stem, dot, suffix = self.path.rpartition(".")
        return f"/static/{stem}.{self.digest}.{suffix}" if dot else f"/static/{self.path}"


@lru_cache(maxsize=1)
def manifest_of_assets() -> dict[str, Asset]:
    """Every file under pwa/static, read once per process."""
    found: dict[str, Asset] = {}
    for file in sorted(STATIC_DIR.rglob("*")):
        if not file.is_file() or file.name.startswith("."):
            continue
        rel = file.relative_to(STATIC_DIR).as_posix()
        body = file.read_bytes()
        media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if file.suffix == ".js":
            media_type = "text/javascript"
        if media_type.startswith("text/"):
            media_type += "; charset=utf-8"
        found[rel] = Asset(rel, hashlib.sha256(body).hexdigest()[:10], body, media_type)
    return found


def asset(path: str) -> str:
    """The fingerprinted URL of a static file (for templates)."""
    return manifest_of_assets()[path].url


@lru_cache(maxsize=1)
def app_version() -> str:
    """Changes whenever any asset, template, catalog or the worker itself changes."""
    digest = hashlib.sha256()
    for a in manifest_of_assets().values():
        digest.update(a.path.encode() + a.digest.encode())
    for folder in (PWA_DIR / "templates", PWA_DIR / "locale"):
        for file in sorted(folder.rglob("*")):
            if file.is_file() and file.suffix in (".html", ".po"):
                digest.update(file.read_bytes())
    digest.update((PWA_DIR / "sw.js").read_bytes())
    return digest.hexdigest()[:12]


async def static_file(request: Request) -> Response:
    name: str = request.path_params["path"]
    match = _FINGERPRINTED.match(name)
    assets = manifest_of_assets()
    if match:
        found = assets.get(match["stem"] + match["suffix"])
        if found is not None and found.digest == match["digest"]:
            return Response(
                found.body, media_type=found.media_type, headers={"Cache-Control": IMMUTABLE}
            )
    found = assets.get(name)
    if found is not None:  # an unfingerprinted name still works, but must be revalidated
        return Response(
            found.body, media_type=found.media_type, headers={"Cache-Control": "no-cache"}
        )
    return Response("Not found", status_code=404, media_type="text/plain")


def precache_urls() -> list[str]:
    """What the worker stores on install: the shell's assets and the offline page."""
    return [a.url for a in manifest_of_assets().values()] + ["/offline"]


@lru_cache(maxsize=1)
def service_worker_source() -> str:
    """The worker with this build's version and asset URLs (built once per process)."""
    source = (PWA_DIR / "sw.js").read_text(encoding="utf-8")
    header = (
        f"const VERSION = {json.dumps(app_version())};\n"
        f"const PRECACHE = {json.dumps(precache_urls())};\n"
        f"const OUTBOX_URL = {json.dumps(asset('js/outbox.js'))};\n"
    )
    return header + source


async def service_worker(request: Request) -> Response:
    return Response(
        service_worker_source(),
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


def web_app_manifest() -> dict[str, object]:
    return {
        "id": "/",
        "name": "邻里 · 社区志愿服务",
        "short_name": "邻里",
        "description": "报名社区志愿活动，查看我的班次和服务时长。",
        "lang": "zh-CN",
        "dir": "ltr",
        "start_url": "/?source=pwa",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "categories": ["social", "lifestyle"],
        "icons": [
            {
                "src": asset("icons/icon-192.png"),
                "sizes": "192x192",
                "type": "image/png",
                "purpose": "any",
            },
            {
                "src": asset("icons/icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "any",
            },
            {
                "src": asset("icons/maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }


async def manifest(request: Request) -> Response:
    return Response(
        json.dumps(web_app_manifest(), ensure_ascii=False),
        media_type="application/manifest+json",
        headers={"Cache-Control": "no-cache"},
    )


async def favicon(request: Request) -> Response:
    icon = manifest_of_assets()["icons/icon-192.png"]
    return Response(
        icon.body, media_type="image/png", headers={"Cache-Control": "public, max-age=86400"}
    )


async def robots(request: Request) -> Response:
    return Response(
        "User-agent: *\nAllow: /\n",
        media_type="text/plain",
        headers={"Cache-Control": "public, max-age=86400"},
    )


GRAPHIQL_DIR = PWA_DIR / "vendor" / "graphiql-3.9.0"
GRAPHIQL_FILES = {
    "graphiql.min.js": "text/javascript",
    "graphiql.min.css": "text/css",
    "react.production.min.js": "text/javascript",
    "react-dom.production.min.js": "text/javascript",
    "start.js": "text/javascript",
}


async def graphiql_file(request: Request) -> Response:
    """GraphiQL's vendored files (outside `static/`: the app's worker never downloads them);
    the versioned folder name lets browsers keep them."""
    name = str(request.path_params["name"])
    media_type = GRAPHIQL_FILES.get(name)
    if media_type is None:
        return Response("Not found", status_code=404, media_type="text/plain")
    body = (GRAPHIQL_DIR / name).read_bytes()
    return Response(body, media_type=media_type, headers={"Cache-Control": IMMUTABLE})


def asset_routes() -> list[BaseRoute]:
    return [
        Route("/graphiql-3.9.0/{name}", graphiql_file),
        Route("/favicon.ico", favicon),
        Route("/robots.txt", robots),
        Route("/static/{path:path}", static_file),
        Route("/sw.js", service_worker),
        Route("/manifest.webmanifest", manifest),
    ]
