"""`/admin/hours.csv` and `/admin/hours.xlsx`: service hours per volunteer for a period, with
each ledger line's provenance. Admins (everyone, or `?team=`), and a team's leaders with
`?team=` their team. `?from=YYYY-MM-DD&to=YYYY-MM-DD` (Asia/Shanghai days; default: this
month so far). UTF-8 CSV with a byte-order mark; the workbook has a summary and a detail sheet."""

from __future__ import annotations

import io
from datetime import date, datetime

from openpyxl import Workbook
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from api.domain import hours_report
from api.domain.errors import DomainError
from api.http.actor import actor_for
from api.http.errors import PublicError
from api.http.ids import decode_id
from api.infra import clock
from api.models import HoursMethod
from api.settings import SHANGHAI
from api.web.exports import cell, csv_response, error_response
from api.web.rendering import parse_day

SUMMARY_HEADER = ["姓名", "手机号", "合计时长", "服务次数"]
DETAIL_HEADER = [
    "姓名",
    "手机号",
    "服务日期",
    "活动",
    "岗位",
    "时长",
    "记录方式",
    "记录人",
    "记录时间",
    "备注",
]
METHODS = {
    HoursMethod.SELF_CHECK_IN: "现场签到",
    HoursMethod.LEADER: "组织者登记",
    HoursMethod.CORRECTION: "更正",
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class BadQuery(Exception):
    pass


def _day(raw: str | None, default: date) -> date:
    if not raw:
        return default
    day = parse_day(raw)
    if day is None:  # not a date, or beyond the days a page accepts (no overflow below)
        raise BadQuery("日期格式应为 YYYY-MM-DD / Dates are YYYY-MM-DD.")
    return day


def _team(raw: str | None) -> int | None:
    if not raw:
        return None
    if raw.isdigit() and 0 < int(raw) < 2**31:
        return int(raw)
    try:
        kind, pk = decode_id(raw)
    except PublicError:
        raise BadQuery("团队编号无效 / Not a team id.") from None
    if kind != "Team":
        raise BadQuery("团队编号无效 / Not a team id.")
    return pk


async def _report(request: Request) -> tuple[list[hours_report.VolunteerHours], str]:
    today = clock.now().astimezone(SHANGHAI).date()
    start = _day(request.query_params.get("from"), today.replace(day=1))
    end = _day(request.query_params.get("to"), today)
    team_id = _team(request.query_params.get("team"))
    people = await hours_report.hours_report(await actor_for(request), start, end, team_id)
    return people, f"hours-{start:%Y%m%d}-{end:%Y%m%d}"


def _local(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def _detail_rows(people: list[hours_report.VolunteerHours]) -> list[list[object]]:
    return [
        [
            person.name,
            person.phone,
            line.service_date.isoformat(),
            line.event_title,
            line.role,
            line.hours,
            METHODS[line.method],
            line.recorded_by or "",
            _local(line.recorded_at),
            line.note,
        ]
        for person in people
        for line in person.lines
    ]


async def hours_csv(request: Request) -> Response:
    try:
        people, name = await _report(request)
    except (BadQuery, DomainError) as exc:
        return _refusal(exc)
    return csv_response([DETAIL_HEADER, *_detail_rows(people)], f"{name}.csv")


def _refusal(exc: BadQuery | DomainError) -> Response:
    if isinstance(exc, BadQuery):
        return PlainTextResponse(str(exc), status_code=400)
    return error_response(exc)


async def hours_xlsx(request: Request) -> Response:
    try:
        people, name = await _report(request)
    except (BadQuery, DomainError) as exc:
        return _refusal(exc)
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "汇总"
    summary.append(SUMMARY_HEADER)
    for person in people:
        summary.append([cell(person.name), cell(person.phone), person.hours, len(person.lines)])
    detail = book.create_sheet("明细")
    detail.append(DETAIL_HEADER)
    for row in _detail_rows(people):
        detail.append([v if isinstance(v, float) else cell(v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(
        buffer.getvalue(),
        media_type=XLSX,
        headers={
            "Content-Disposition": f'attachment; filename="{name}.xlsx"',
            "Cache-Control": "private, no-store",
        },
    )


def hours_report_routes() -> list[BaseRoute]:
    return [Route("/admin/hours.csv", hours_csv), Route("/admin/hours.xlsx", hours_xlsx)]
