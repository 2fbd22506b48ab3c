"""Certificates as PDF (fpdf2): A4, zh-CN, with a subset of a Debian CJK font embedded (so the
file reads the same on any phone) and the verification URL as a QR code drawn in vectors.

The font is looked for at run time: Noto Sans CJK SC (`fonts-noto-cjk`), else WenQuanYi Zen Hei
(`fonts-wqy-zenhei`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import segno
from fontTools.ttLib import TTCollection
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from fpdf.fonts import FontFace

#: (file, family name of the face wanted inside a collection).
FONT_CANDIDATES = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "Noto Sans CJK SC"),
    ("/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf", None),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "WenQuanYi Zen Hei"),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "WenQuanYi Micro Hei"),
)
FAMILY = "cjk"


class FontMissing(RuntimeError):
    """No CJK font is installed: certificates cannot be drawn."""


@dataclass(frozen=True)
class Font:
    path: str
    index: int  # the face within a collection (.ttc)


def _face_index(path: str, family: str | None) -> int:
    if not path.endswith(".ttc"):
        return 0
    collection = TTCollection(path, lazy=True)
    for i, face in enumerate(collection.fonts):
        if family is None or face["name"].getDebugName(1) == family:
            return i
    return 0


@lru_cache(maxsize=1)
def find_cjk_font() -> Font:
    """The CJK font to embed; `FontMissing` with what to install when there is none."""
    for path, family in FONT_CANDIDATES:
        if Path(path).is_file():
            return Font(path, _face_index(path, family))
    raise FontMissing(
        "No Chinese font for certificates: install the Debian package fonts-noto-cjk "
        "(or fonts-wqy-zenhei), e.g. `apt-get install fonts-noto-cjk`, or `make test`."
    )


@dataclass(frozen=True)
class Service:
    day: date
    event: str
    role: str
    hours: str  # formatted, e.g. "2.5"


@dataclass(frozen=True)
class CertificateDocument:
    number: str
    volunteer_name: str
    masked_phone: str
    issuer_team: str
    issuer_community: str
    period_start: date
    period_end: date
    services: list[Service]
    total_hours: str
    issued_on: date
    verify_url: str
    revoked_note: str | None = None


def _cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _qr(pdf: FPDF, url: str, x: float, y: float, size: float) -> None:
    """The QR code as filled squares (vector: sharp at any zoom, scanned from paper)."""
    code = segno.make(url, error="m", micro=False)
    rows = [list(row) for row in code.matrix_iter(scale=1, border=4)]
    module = size / len(rows)
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, size, size, style="F")
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                pdf.rect(x + start * module, y + r * module, (c - start) * module, module, "F")
            else:
                c += 1


class _Certificate(FPDF):
    """Each page's foot names the certificate and the page, so loose pages belong together."""

    number = ""

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FAMILY, size=8)
        self.set_text_color(90, 90, 90)
        self.cell(
            0, 5, f"证明编号 {self.number} · 第 {self.page_no()} 页 / 共 {{nb}} 页", align=Align.C
        )
        self.set_text_color(0, 0, 0)


def certificate_pdf(doc: CertificateDocument) -> bytes:
    """The certificate, A4 portrait; the service table runs onto further pages when long."""
    font = find_cjk_font()
    pdf = _Certificate(orientation="portrait", unit="mm", format="A4")
    pdf.number = doc.number
    pdf.set_title(f"志愿服务记录证明 {doc.number}")
    pdf.set_lang("zh-CN")
    pdf.set_creator("Linli 邻里")
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_margins(20, 20, 20)
    pdf.add_font(FAMILY, fname=font.path, collection_font_number=font.index)
    pdf.add_page()
    width = pdf.epw

    pdf.set_font(FAMILY, size=22)
    pdf.cell(width, 14, "志愿服务记录证明", align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, size=10)
    pdf.cell(
        width, 6, f"证明编号：{doc.number}", align=Align.R, new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.ln(4)
    if doc.revoked_note:
        pdf.set_text_color(180, 0, 0)
        pdf.set_font(FAMILY, size=14)
        pdf.multi_cell(
            width, 8, doc.revoked_note, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        pdf.set_text_color(0, 0, 0)
        pdf.ln(2)

    organisation = doc.issuer_team + (f"（{doc.issuer_community}）" if doc.issuer_community else "")
    pdf.set_font(FAMILY, size=12)
    pdf.multi_cell(
        width,
        8,
        f"兹证明 {doc.volunteer_name}（手机号 {doc.masked_phone}）于 {_cn_date(doc.period_start)}"
        f"至 {_cn_date(doc.period_end)} 期间，在 {organisation} 参加志愿服务，"
        f"累计服务时长 {doc.total_hours} 小时。服务记录如下：",
        align=Align.L,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.ln(3)

    pdf.set_font(FAMILY, size=10)
    with pdf.table(
        col_widths=(10, 28, 72, 40, 20),
        text_align=("CENTER", "CENTER", "LEFT", "LEFT", "RIGHT"),
        line_height=7,
        first_row_as_headings=True,
        headings_style=FontFace(emphasis="", fill_color=(226, 239, 232)),
    ) as table:
        table.row(["序号", "服务日期", "服务活动", "服务岗位", "时长(小时)"])
        for i, service in enumerate(doc.services, start=1):
            table.row([str(i), service.day.isoformat(), service.event, service.role, service.hours])
        table.row(["", "", "合计", "", doc.total_hours])
    pdf.ln(6)

    # The issuer and the QR code stay together on one page.
    if pdf.get_y() > pdf.h - 20 - 60:
        pdf.add_page()
    top = pdf.get_y()
    qr_size = 36.0
    text_width = width - qr_size - 6
    pdf.set_font(FAMILY, size=12)
    for line in (
        f"出具组织：{doc.issuer_team}",
        f"所属社区：{doc.issuer_community or '—'}",
        f"出具日期：{_cn_date(doc.issued_on)}",
    ):
        pdf.cell(text_width, 8, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font(FAMILY, size=9)
    pdf.multi_cell(
        text_width,
        5,
        f"扫描右侧二维码或访问 {doc.verify_url} 即可在线核验本证明的真伪与状态。",
        align=Align.L,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    _qr(pdf, doc.verify_url, pdf.l_margin + width - qr_size, top, qr_size)
    pdf.set_y(max(pdf.get_y(), top + qr_size) + 6)
    pdf.set_font(FAMILY, size=8)
    pdf.set_text_color(90, 90, 90)
    pdf.multi_cell(
        width,
        4.5,
        "本证明依据民政部《志愿服务记录与证明出具办法》出具，服务记录来源于邻里志愿服务平台的"
        "服务时长记录；手机号已部分隐去。",
        align=Align.L,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    return bytes(pdf.output())
