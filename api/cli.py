"""linli serve | migrate | demo | user create | token create/list/revoke | secrets show | backup |
restore | export-schema"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from api.infra import db, files
from api.settings import get_settings


def _progress(event: str, app_label: str, name: str) -> None:
    if event == "apply_start":
        print(f"  applying {app_label}.{name} …", flush=True)


async def _with_orm(work: Callable[[], Awaitable[Any]]) -> Any:
    await db.migrate(progress=_progress)
    await db.init_orm()
    try:
        return await work()
    finally:
        await db.close_orm()


def cmd_migrate(args: argparse.Namespace) -> int:
    files.keep_private(get_settings())
    asyncio.run(db.migrate(progress=_progress))
    _check_writable()
    print("Database is up to date.")
    return 0


def _check_writable() -> None:
    """Fails (OSError, sqlite3.Error) when the data directory or the SQLite file cannot be
    written, before any worker starts: `main` turns it into one readable line."""
    import sqlite3
    import tempfile

    from api.infra.backup import sqlite_file
    from api.settings import get_settings

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=settings.data_dir, prefix=".write-check-"):
        pass
    if settings.is_sqlite:
        connection = sqlite3.connect(sqlite_file(), timeout=30, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("UPDATE catalog_version SET n = n WHERE id = 1")
            connection.execute("COMMIT")
        finally:
            connection.close()


def proxy_options() -> dict[str, Any]:
    """uvicorn's proxy settings from LINLI_TRUSTED_PROXIES. Unset, no proxy is trusted (not
    even uvicorn's own default, 127.0.0.1 and ::1): X-Forwarded-For is ignored and the
    client's address is the socket's peer. Set (e.g. "10.0.0.2,10.0.0.3" or "10.0.0.0/8"),
    uvicorn takes the client's address and scheme from X-Forwarded-For/-Proto, but only on
    connections coming from those addresses."""
    from api.settings import get_settings

    trusted = get_settings().trusted_proxies
    if not trusted:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": trusted}


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.http.serving import uvicorn_options
    from api.settings import share_metrics_between_workers

    files.keep_private(get_settings())  # and every file this process creates from now on
    asyncio.run(db.migrate(progress=_progress))  # once, before any worker starts
    _check_writable()
    share_metrics_between_workers(args.workers, get_settings())
    print(f"Linli on http://{args.host}:{args.port}/ (GraphQL at /graphql)", flush=True)
    uvicorn.run(
        "api.asgi:app",
        host=args.host,
        port=args.port,
        workers=args.workers if args.workers > 1 else None,
        log_level=args.log_level,
        access_log=False,
        **proxy_options(),
        **uvicorn_options(),
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from api.demo.load import generate_load
    from api.demo.neighbourhood import load_demo

    async def work() -> None:
        summary = await load_demo()
        print(summary)
        if args.volunteers or args.events:
            await generate_load(args.volunteers, args.events)

    asyncio.run(_with_orm(work))
    return 0


def cmd_user_create(args: argparse.Namespace) -> int:
    from api.domain import accounts
    from api.domain.errors import DomainError, ValidationErrors

    async def work() -> int:
        try:
            volunteer = await accounts.create_volunteer(
                args.phone, args.password, args.name, is_admin=args.admin
            )
        except (DomainError, ValidationErrors) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        role = "admin" if volunteer.is_admin else "volunteer"
        print(f"Created {role} {volunteer.display_name} ({volunteer.phone}).")
        return 0

    return int(asyncio.run(_with_orm(work)))


def cmd_token_create(args: argparse.Namespace) -> int:
    from api.domain import accounts, api_tokens
    from api.domain.errors import DomainError, ValidationErrors

    async def work() -> int:
        volunteer = await accounts.volunteer_with_phone(args.phone)
        if volunteer is None:
            print("error: no account with that phone number", file=sys.stderr)
            return 1
        scopes = [api_tokens.ApiScope(s) for s in args.scope] or list(api_tokens.LEGACY_SCOPES)
        try:
            secret, row = await api_tokens.create_token_for(
                volunteer, args.name, scopes, args.expires_days
            )
        except (DomainError, ValidationErrors) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(secret)
        print(f"token {row.id}: {row.scopes}", file=sys.stderr)
        return 0

    return int(asyncio.run(_with_orm(work)))


def cmd_token_list(args: argparse.Namespace) -> int:
    from api.domain import accounts, api_tokens
    from api.domain.actors import Actor

    async def work() -> int:
        volunteer = await accounts.volunteer_with_phone(args.phone)
        if volunteer is None:
            print("error: no account with that phone number", file=sys.stderr)
            return 1
        for row in await api_tokens.tokens_of(Actor(volunteer=volunteer)):
            expires = row.expires_at.isoformat() if row.expires_at else "never"
            used = row.last_used_at.isoformat() if row.last_used_at else "never"
            print(f"{row.id}\t{row.name}\t{row.scopes}\texpires {expires}\tlast used {used}")
        return 0

    return int(asyncio.run(_with_orm(work)))


def cmd_token_revoke(args: argparse.Namespace) -> int:
    from api.domain import api_tokens
    from api.domain.actors import Actor
    from api.domain.errors import DomainError

    async def work() -> int:
        owner = await api_tokens.owner_of(args.id)
        if owner is None:
            print("error: no such token", file=sys.stderr)
            return 1
        try:
            await api_tokens.revoke_token(Actor(volunteer=owner), args.id)
        except DomainError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"token {args.id} revoked")
        return 0

    return int(asyncio.run(_with_orm(work)))


def cmd_backup(args: argparse.Namespace) -> int:
    from api.infra import backup

    try:
        written = backup.backup(args.path)
    except backup.BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Backup written to {written}.")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from api.infra import backup

    try:
        aside = backup.restore(args.path)
    except backup.BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if aside is not None:
        print(f"The previous database was kept as {aside}.")
    asyncio.run(db.migrate(progress=_progress))  # an older backup is brought up to date
    print(f"Restored {args.path}. Start the server again.")
    return 0


def cmd_secrets_show(args: argparse.Namespace) -> int:
    from api.infra import keys

    for name, secret in keys.SHARED_SECRETS.items():
        try:
            print(f"{name}={secret()}")
        except keys.SecretConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    return 0


def cmd_export_schema(args: argparse.Namespace) -> int:
    from api.graphql.schema import export_sdl

    sys.stdout.write(export_sdl())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="linli", description="Linli (邻里) volunteering server")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="apply migrations, then serve the API and the web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--log-level", default="warning")
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("migrate", help="apply pending migrations").set_defaults(func=cmd_migrate)

    demo = sub.add_parser("demo", help="load the demo neighbourhood (idempotent)")
    demo.add_argument("--volunteers", type=int, default=0, help="extra generated volunteers")
    demo.add_argument("--events", type=int, default=0, help="extra generated events")
    demo.set_defaults(func=cmd_demo)

    user = sub.add_parser("user", help="manage accounts")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    create = user_sub.add_parser("create", help="create an account (e.g. the first admin)")
    create.add_argument("--phone", required=True)
    create.add_argument("--password", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--admin", action="store_true")
    create.set_defaults(func=cmd_user_create)

    token = sub.add_parser("token", help="API tokens for third parties")
    token_sub = token.add_subparsers(dest="token_command", required=True)
    tcreate = token_sub.add_parser("create", help="create a bearer token (printed once)")
    tcreate.add_argument("--phone", required=True, help="the account the token acts for")
    tcreate.add_argument("--name", required=True, help="what the token is for")
    tcreate.add_argument(
        "--scope",
        action="append",
        default=[],
        choices=["READ_PUBLIC", "READ_PERSONAL", "WRITE_SIGNUPS", "WRITE_ORGANIZING", "WEBHOOKS"],
        help="what the token may do (repeat; default: the four read/write scopes)",
    )
    tcreate.add_argument("--expires-days", type=int, default=None, help="1–730; default never")
    tcreate.set_defaults(func=cmd_token_create)
    tlist = token_sub.add_parser("list", help="an account's tokens that still work")
    tlist.add_argument("--phone", required=True)
    tlist.set_defaults(func=cmd_token_list)
    trevoke = token_sub.add_parser("revoke", help="revoke a token by its number")
    trevoke.add_argument("id", type=int)
    trevoke.set_defaults(func=cmd_token_revoke)

    backup = sub.add_parser(
        "backup", help="copy the SQLite database while the server runs (PostgreSQL: pg_dump -Fc)"
    )
    backup.add_argument("path", type=Path, help="the backup file (or a directory)")
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser(
        "restore", help="replace the SQLite database with a backup (stop the server first)"
    )
    restore.add_argument("path", type=Path, help="a file written by linli backup")
    restore.set_defaults(func=cmd_restore)

    secrets = sub.add_parser("secrets", help="secrets shared with outside services")
    secrets_sub = secrets.add_subparsers(dest="secrets_command", required=True)
    secrets_sub.add_parser(
        "show", help="print the webhook secret (generated into the data directory when unset)"
    ).set_defaults(func=cmd_secrets_show)

    sub.add_parser("export-schema", help="print the GraphQL SDL").set_defaults(
        func=cmd_export_schema
    )
    return parser


def _start_up_problem(exc: BaseException) -> str | None:
    """One readable line for a database or data directory that cannot be used, else None."""
    import sqlite3

    from tortoise.exceptions import BaseORMException

    from api.infra.faults import is_unavailable

    if not isinstance(exc, OSError | sqlite3.Error | BaseORMException) and not is_unavailable(exc):
        return None
    from api.settings import load_settings

    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    settings = load_settings()  # reads the environment, writes nothing
    data_dir = settings.data_dir
    where = settings.database_url.split("@")[-1]  # no password in the message
    return (
        f"linli: cannot use the database ({where}) or the data directory ({data_dir}): "
        f"{detail}. Check that they exist, are writable and that the disk has free space."
    )


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        code = args.func(args)
    except Exception as exc:
        problem = _start_up_problem(exc)
        if problem is None:
            raise
        print(problem, file=sys.stderr)
        code = 1
    sys.exit(code)
