"""Certificates over HTTP: the GraphQL mutations and query, the PDF (its text, its embedded
CJK font subset, its QR code), the public verification page, and the pages that issue them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from api.http.ids import encode_id
from api.models import Certificate, HoursEntry, HoursMethod, Signup, SignupStatus, Team, Volunteer
from api.settings import get_settings
from tests.conftest import GraphQLClient
from tests.domain.test_certificates import neighbourhood, served, today
from tests.factories import log_in_as

ISSUE = """
mutation($v: ID!, $from: Date!, $to: Date!) {
  issueCertificate(input: {volunteerId: $v, from: $from, to: $to}) {
    certificate {
      id number from to hours issuedAt revokedAt verifyUrl pdfUrl
      issuer { teamName communityName } volunteer { displayName }
      entries { date event role hours }
    }
    userErrors { code field message }
  }
}"""
VERIFY = """
query($n: String!) {
  verifyCertificate(number: $n) {
    number valid revokedAt maskedName issuer { teamName communityName } from to hours issuedAt
  }
}"""
REVOKE = """
mutation($id: ID!, $reason: String!) {
  revokeCertificate(input: {id: $id, reason: $reason}) {
    certificate { id revokedAt } userErrors { code }
  }
}"""


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        message = f"{name} is missing: `make test` installs it (scripts/system-packages.sh)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def read_pdf(
    pdf: Path, pdftotext: str, pdffonts: str, pdftoppm: str, zbarimg: str
) -> tuple[str, str, str]:
    """The PDF's text, its font list, and what its first page's QR code says."""
    text = subprocess.run([pdftotext, "-layout", str(pdf), "-"], capture_output=True, text=True)
    fonts = subprocess.run([pdffonts, str(pdf)], capture_output=True, text=True)
    prefix = pdf.with_suffix("")
    subprocess.run(
        [pdftoppm, "-r", "200", "-png", "-f", "1", "-l", "1", str(pdf), str(prefix)], check=True
    )
    page = sorted(pdf.parent.glob(f"{prefix.name}*.png"))[0]
    decoded = subprocess.run(
        [zbarimg, "--quiet", "--raw", str(page)], capture_output=True, text=True
    )
    return text.stdout, fonts.stdout, decoded.stdout.strip()


async def issued(client: httpx.AsyncClient) -> tuple[dict[str, object], dict[str, object]]:
    n = await neighbourhood()
    fang, haircut = n["张小芳"], n["haircut"]
    assert isinstance(fang, Volunteer) and isinstance(haircut, Team)
    await served(fang, haircut, 3, 250, title="义剪服务")
    await served(fang, haircut, 4, 125, title="反诈宣传")
    log_in_as(client, fang)
    data = await GraphQLClient(client).ok(
        ISSUE,
        {
            "v": encode_id("Volunteer", fang.id),
            "from": (today() - timedelta(days=10)).isoformat(),
            "to": today().isoformat(),
        },
    )
    payload = data["issueCertificate"]
    assert payload["userErrors"] == []
    return n, payload["certificate"]


async def test_issue_verify_and_revoke_over_graphql(client: httpx.AsyncClient) -> None:
    n, certificate = await issued(client)
    assert certificate["hours"] == 3.75
    assert [e["event"] for e in certificate["entries"]] == ["反诈宣传", "义剪服务"]
    assert certificate["issuer"] == {
        "teamName": "巾帼志愿者服务队",
        "communityName": "东园镇 尊湖小区",
    }
    public = get_settings().public_url
    assert certificate["verifyUrl"] == f"{public}/verify/{certificate['number']}"
    assert re.fullmatch(r"LL-\d{4}-[A-Z2-9]{16}", str(certificate["number"]))

    graphql = GraphQLClient(client)
    log_in_as(client, None)  # anyone may verify
    found = (await graphql.ok(VERIFY, {"n": certificate["number"]}))["verifyCertificate"]
    assert found["valid"] and found["maskedName"] == "张*芳" and found["hours"] == 3.75
    assert (await graphql.ok(VERIFY, {"n": "LL-2026-AAAAAAAAAAAAAAAA"}))[
        "verifyCertificate"
    ] is None
    # Nothing else personal can even be asked for.
    asked = await graphql(VERIFY.replace("maskedName", "maskedName volunteer { id }"), {"n": "x"})
    assert "errors" in asked

    # Anonymous and other people cannot see it by id, nor issue or revoke.
    node = "query($id: ID!) { node(id: $id) { ... on Certificate { number } } }"
    assert (await graphql.ok(node, {"id": certificate["id"]}))["node"] is None
    revoked = await graphql.ok(REVOKE, {"id": certificate["id"], "reason": "信息有误"})
    assert revoked["revokeCertificate"]["userErrors"][0]["code"] == "UNAUTHENTICATED"
    log_in_as(client, n["陈队长"])  # leads another team
    assert (await graphql.ok(node, {"id": certificate["id"]}))["node"] is None
    revoked = await graphql.ok(REVOKE, {"id": certificate["id"], "reason": "信息有误"})
    assert revoked["revokeCertificate"]["userErrors"][0]["code"] == "FORBIDDEN"

    log_in_as(client, n["王队长"])
    assert (await graphql.ok(node, {"id": certificate["id"]}))["node"] == {
        "number": certificate["number"]
    }
    revoked = await graphql.ok(REVOKE, {"id": certificate["id"], "reason": "信息有误"})
    assert revoked["revokeCertificate"]["userErrors"] == []
    log_in_as(client, None)
    found = (await graphql.ok(VERIFY, {"n": certificate["number"]}))["verifyCertificate"]
    assert found["valid"] is False and found["revokedAt"]


async def test_the_pdf_reads_right_embeds_a_cjk_subset_and_its_qr_code_verifies(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    tools = [tool(name) for name in ("pdftotext", "pdffonts", "pdftoppm", "zbarimg")]
    n, certificate = await issued(client)
    fang = n["张小芳"]
    assert isinstance(fang, Volunteer)
    response = await client.get(f"/certificates/{certificate['id']}.pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "private, no-store"
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(response.content)

    text, fonts, qr = read_pdf(pdf, *tools)
    assert "志愿服务记录证明" in text
    assert "张小芳" in text and "3.75" in text
    assert certificate["number"] in text
    assert fang.phone[:3] + "****" + fang.phone[-4:] in text
    assert fang.phone not in text  # the phone is masked
    assert "巾帼志愿者服务队" in text and "义剪服务" in text

    rows = [line.split() for line in fonts.splitlines()[2:]]
    assert rows, fonts
    for row in rows:  # name type… emb sub uni: a subset ("ABCDEF+Name"), embedded
        assert re.match(r"[A-Z]{6}\+", row[0]), fonts
        assert row[-5:-2] == ["yes", "yes", "yes"], fonts
    assert any("CJK" in row[0] or "WenQuanYi" in row[0] for row in rows), fonts

    assert qr == certificate["verifyUrl"]


async def test_who_may_download_the_pdf(client: httpx.AsyncClient) -> None:
    n, certificate = await issued(client)
    url = f"/certificates/{certificate['id']}.pdf"
    log_in_as(client, None)
    anonymous = await client.get(url)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    for who in ("路人", "陈队长"):
        log_in_as(client, n[who])
        assert (await client.get(url)).status_code == 403, who
    for who in ("王队长", "管理员"):  # the volunteer's own download is tested above
        log_in_as(client, n[who])
        assert (await client.get(url)).status_code == 200, who
    assert (await client.get("/certificates/999999.pdf")).status_code == 404
    assert (await client.get("/certificates/nonsense.pdf")).status_code == 404


async def test_the_public_verification_page(client: httpx.AsyncClient) -> None:
    n, certificate = await issued(client)
    fang = n["张小芳"]
    assert isinstance(fang, Volunteer)
    log_in_as(client, None)
    page = await client.get(f"/verify/{certificate['number']}")
    assert page.status_code == 200
    assert "有效" in page.text and "张*芳" in page.text and "3.75" in page.text
    assert "巾帼志愿者服务队" in page.text
    assert "张小芳" not in page.text and fang.phone[-4:] not in page.text
    assert "义剪服务" not in page.text  # the services themselves are not public

    typed = await client.get("/verify", params={"number": f" {certificate['number'].lower()} "})
    assert typed.status_code == 303
    assert typed.headers["location"] == f"/verify/{certificate['number']}"
    assert (await client.get("/verify/LL-2026-AAAAAAAAAAAAAAAA")).status_code == 404

    log_in_as(client, n["王队长"])
    await GraphQLClient(client).ok(REVOKE, {"id": certificate["id"], "reason": "出具有误"})
    log_in_as(client, None)
    page = await client.get(f"/verify/{certificate['number']}")
    assert page.status_code == 200 and "已撤销" in page.text


async def test_the_verification_page_is_rate_limited_per_address(
    client: httpx.AsyncClient,
) -> None:
    from api.domain.certificates import VERIFICATIONS_PER_ADDRESS

    log_in_as(client, None)
    # Guessing numbers: each look-up counts, found or not.
    for i in range(VERIFICATIONS_PER_ADDRESS):
        assert (await client.get(f"/verify/LL-2026-GUESS{i:011d}")).status_code == 404
    refused = await client.get("/verify/LL-2026-GUESSANOTHERONE")
    assert refused.status_code == 429 and "Retry-After" in refused.headers


async def test_issuing_from_my_page_and_from_the_team_page(client: httpx.AsyncClient) -> None:
    n = await neighbourhood()
    fang, haircut = n["张小芳"], n["haircut"]
    assert isinstance(fang, Volunteer) and isinstance(haircut, Team)
    await served(fang, haircut, 3, 200)
    period = {"from": (today() - timedelta(days=10)).isoformat(), "to": today().isoformat()}

    log_in_as(client, fang)
    me = await client.get("/me")
    assert "我的志愿服务证明" in me.text and 'action="/me/certificates"' in me.text
    done = await client.post("/me/certificates", data=period)
    assert done.status_code == 303
    mine = await client.get("/me/certificates")
    certificate = await Certificate.get(volunteer_id=fang.id)
    assert certificate.number in mine.text and f"/certificates/{certificate.id}.pdf" in mine.text
    assert f"/verify/{certificate.number}" in (await client.get("/me")).text
    refused = await client.post("/me/certificates", data={"from": "2026-02-30", "to": "x"})
    assert refused.status_code == 422 and 'role="alert"' in refused.text
    empty = {"from": "2001-01-01", "to": "2001-12-31"}
    refused = await client.post("/me/certificates", data=empty)
    assert refused.status_code == 422 and "没有服务时长记录" in refused.text

    team_url = f"/teams/{encode_id('Team', haircut.id)}/certificates"
    member = encode_id("Volunteer", fang.id)
    log_in_as(client, n["陈队长"])  # leads another team
    assert (await client.get(team_url)).status_code == 403
    log_in_as(client, n["王队长"])
    members = await client.get(f"/teams/{encode_id('Team', haircut.id)}/members")
    assert team_url in members.text
    page = await client.get(team_url, params={"member": member})
    assert page.status_code == 200 and certificate.number in page.text
    done = await client.post(team_url, data={"volunteerId": member, **period})
    assert done.status_code == 303
    assert await Certificate.filter(volunteer_id=fang.id).count() == 2
    revoked = await client.post(
        team_url,
        data={
            "action": "revoke",
            "volunteerId": member,
            "certificateId": encode_id("Certificate", certificate.id),
            "reason": "重复出具",
        },
    )
    assert revoked.status_code == 303
    assert (await Certificate.get(id=certificate.id)).revoke_reason == "重复出具"


async def test_hours_added_later_do_not_change_the_pdf_figures(client: httpx.AsyncClient) -> None:
    n, certificate = await issued(client)
    signup = await Signup.filter(status=SignupStatus.ATTENDED).first()
    assert signup is not None
    await HoursEntry.create(
        signup=signup,
        volunteer_id=signup.volunteer_id,
        centihours=500,
        method=HoursMethod.CORRECTION,
    )
    log_in_as(client, n["管理员"])
    node = "query($id: ID!) { node(id: $id) { ... on Certificate { hours entries { hours } } } }"
    found = (await GraphQLClient(client).ok(node, {"id": certificate["id"]}))["node"]
    assert found["hours"] == 3.75 and sum(e["hours"] for e in found["entries"]) == 3.75
