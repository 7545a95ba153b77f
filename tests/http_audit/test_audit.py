"""The graphql-http audit of GraphQL-over-HTTP conformance, against the app served by uvicorn.

The audit is the npm package ``graphql-http`` (its ``auditServer``), pinned in this folder's
package-lock.json and installed by ``npm ci`` (.ci/run does it). Without Node or the
package the test skips, or fails when CAUSA_REQUIRE_HTTP_AUDIT=1.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.factories import Staff

FOLDER = Path(__file__).parent
SCRIPT = FOLDER / "audit.mjs"
# The MAYs that Causa declines, on purpose: operations come by POST only (a GET is the
# GraphiQL page or 405), so no read runs from a URL that a link or a log can replay.
DECLINED = {
    "5A70": "MAY accept application/x-www-form-urlencoded formatted GET requests",
    "D6D5": "MAY allow URL-encoded JSON string {variables} parameter in GETs"
    " when accepting application/graphql-response+json",
    "6A70": "MAY allow URL-encoded JSON string {variables} parameter in GETs"
    " when accepting application/json",
}


def node() -> str:
    found = shutil.which("node")
    reason = None
    if found is None:
        reason = "Node.js is not installed: run `apt-get install -y nodejs npm`"
    elif not (FOLDER / "node_modules" / "graphql-http").is_dir():
        reason = f"graphql-http is not installed: run `npm ci --prefix {FOLDER}`"
    if reason is not None:
        if os.environ.get("CAUSA_REQUIRE_HTTP_AUDIT") == "1":
            pytest.fail(f"CAUSA_REQUIRE_HTTP_AUDIT=1 but {reason}")
        pytest.skip(reason)
    assert found is not None
    return found


async def audit(url: str, token: str) -> list[dict[str, Any]]:
    process = await asyncio.create_subprocess_exec(
        node(),
        str(SCRIPT),
        env={**os.environ, "CAUSA_AUDIT_URL": url, "CAUSA_AUDIT_TOKEN": token},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()
    results: list[dict[str, Any]] = json.loads(out)
    return results


async def test_the_graphql_http_audit_finds_no_error_and_no_warning(
    live_server: str, office: Staff
) -> None:
    results = await audit(f"{live_server}/graphql", office.token)

    failed = {r["id"]: f"{r['status']} {r['name']}: {r.get('reason')}" for r in results}
    failed = {key: line for key, line in failed.items() if not line.startswith("ok ")}
    assert len(results) >= 60
    assert {key: line.split(" ", 1)[1].split(": ")[0] for key, line in failed.items()} == (
        DECLINED
    ), "\n".join(failed.values())
    assert {r["status"] for r in results if r["id"] in DECLINED} == {"notice"}
