"""Every string of the web app has its zh-CN translation, with the same placeholders."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "pwa" / "locale"
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def test_catalog_template_is_up_to_date(tmp_path: Path) -> None:
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "pwa/babel.cfg",
         "-k", "_", "-k", "gettext", "-k", "ngettext:1,2", "-k", "NP_:1,2", "--no-location", "-o", str(fresh), "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fresh.open("rb")) if m.id}
    with (LOCALE / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="zh_CN")
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
    assert ids - known == set(), "run pybabel extract/update (see pwa/locale/README.md)"


def test_every_message_is_translated_to_chinese_with_its_placeholders() -> None:
    with (LOCALE / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="zh_CN")
    for message in catalog:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        assert all(strings), f"untranslated: {ids[0]!r}"
        wanted = set(PLACEHOLDER.findall(ids[-1])) - {"%(num)s"}
        for text in strings:
            assert wanted <= set(PLACEHOLDER.findall(text)), f"placeholders lost: {ids[0]!r}"
