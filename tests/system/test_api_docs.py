"""docs/api.md, the third parties' guide, keeps up with the code: every stable error code a
client may switch on is explained there, and the guide keeps its chapters."""

from __future__ import annotations

from pathlib import Path

from api.domain.errors import ErrorCode
from api.graphql.cost import QUERY_TOO_COSTLY

GUIDE = (Path(__file__).resolve().parents[2] / "docs" / "api.md").read_text()


def test_every_error_code_is_documented() -> None:
    codes = {str(code) for code in ErrorCode} | {QUERY_TOO_COSTLY}
    missing = sorted(code for code in codes if f"`{code}`" not in GUIDE)
    assert not missing, f"docs/api.md does not explain: {missing}"


def test_the_guide_has_its_chapters() -> None:
    headings = {line[3:].strip() for line in GUIDE.splitlines() if line.startswith("## ")}
    for chapter in (
        "Authentication",
        "Query cost",
        "Pagination",
        "Errors",
        "Deprecation policy",
        "Rate limits",
        "Change feed",
        "Webhooks",
        "Subscriptions",
    ):
        assert chapter in headings, chapter
