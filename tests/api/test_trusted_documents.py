"""Trusted documents: an app's operations by hash (the APQ shape), manifests checked at
start, and an office that takes nothing else from its clients."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.viewer import Role
from schema.trusted_documents import Manifests
from settings import ConfigurationError, Settings
from tests.factories import Docket, Staff, make_docket
from tests.serving import Served, http_client, serving

FOLDERS = "query Folders($n: Int!) { cases(first: $n) { totalCount edges { node { id } } } }"
VIEWER = "{ viewer { email role } }"
ELSEWHERE = "{ viewer { role } }"  # in another app's manifest only
UNTRUSTED = "{ cases { totalCount } }"
GRAPHQL_RESPONSE = "application/graphql-response+json"


def sha(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def by_hash(document: str, **more: Any) -> dict[str, Any]:
    return {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha(document)}}, **more}


@pytest.fixture(scope="module")
def manifests(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """causa.json, the first-party apps' (tokens of the password grant), as a plain map;
    another app's in Apollo's format."""
    folder = tmp_path_factory.mktemp("manifests")
    (folder / "causa.json").write_text(json.dumps({sha(d): d for d in (FOLDERS, VIEWER)}))
    apollo = {
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [{"id": sha(ELSEWHERE), "name": None, "type": "query", "body": ELSEWHERE}],
    }
    (folder / "other-app.json").write_text(json.dumps(apollo))
    return folder


@pytest.fixture(scope="module")
async def trusting(settings: Settings, manifests: Path) -> AsyncIterator[Served]:
    async with serving(settings.model_copy(update={"trusted_documents": manifests})) as app:
        yield app


@pytest.fixture(scope="module")
async def strict(settings: Settings, manifests: Path) -> AsyncIterator[Served]:
    update = {"trusted_documents": manifests, "client_trusted_documents_only": True}
    async with serving(settings.model_copy(update=update)) as app:
        yield app


@pytest.fixture
async def docket(client: httpx.AsyncClient, office: Staff) -> Docket:
    return await make_docket(client, office)


async def post(app: Served, token: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    async with http_client(app) as http:
        return await http.post(
            "/graphql", json=body, headers={"Authorization": f"Bearer {token}", **headers}
        )


async def test_a_client_sends_only_the_hash_and_gets_the_compiled_answer(
    trusting: Served, docket: Docket
) -> None:
    counts = trusting.state["reads"].counts
    before = counts["compiled"] + counts["cached"]

    hashed = await post(trusting, docket.client.token, by_hash(FOLDERS, variables={"n": 5}))
    whole = await post(trusting, docket.client.token, {"query": FOLDERS, "variables": {"n": 5}})

    assert hashed.status_code == 200
    assert hashed.json() == whole.json()
    assert hashed.json()["data"]["cases"]["totalCount"] == 1
    # (the second read is the first's, stored: the same document by either road)
    assert counts["compiled"] + counts["cached"] - before == 2


async def test_the_apps_documents_are_planned_before_the_first_request(trusting: Served) -> None:
    plans = trusting.state["reads"]._plans
    for role in Role:
        assert plans[role, FOLDERS, "Folders"] is not None
        assert plans[role, FOLDERS, None] is not None
        assert (role, VIEWER, None) in plans


async def test_an_unknown_hash_is_not_found_and_the_full_document_still_works(
    trusting: Served, docket: Docket
) -> None:
    token = docket.client.token
    # a hash in no manifest, and one in another app's manifest only
    for document in (UNTRUSTED, ELSEWHERE):
        for accept in ("application/json", GRAPHQL_RESPONSE):
            refused = await post(trusting, token, by_hash(document), Accept=accept)
            assert refused.status_code == 400
            assert refused.json() == {
                "errors": [
                    {
                        "message": "PersistedQueryNotFound",
                        "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
                    }
                ]
            }
    # the APQ client's next step: the hash with the document
    sent = await post(trusting, token, by_hash(UNTRUSTED, query=UNTRUSTED))
    assert sent.json() == {"data": {"cases": {"totalCount": 1}}}


@pytest.mark.parametrize(
    ("persisted", "message"),
    [
        ({"version": 2, "sha256Hash": sha(VIEWER)}, "extensions.persistedQuery must be"),
        ("abc", "extensions.persistedQuery must be"),
        ({"version": 1}, "sha256Hash must be 64 lowercase hexadecimal digits."),
        ({"version": 1, "sha256Hash": sha(VIEWER).upper()}, "sha256Hash must be 64"),
        ({"version": 1, "sha256Hash": 7}, "sha256Hash must be 64"),
    ],
)
async def test_a_malformed_persisted_query_is_bad_user_input(
    trusting: Served, office: Staff, persisted: object, message: str
) -> None:
    refused = await post(trusting, office.token, {"extensions": {"persistedQuery": persisted}})
    assert refused.status_code == 400
    [error] = refused.json()["errors"]
    assert error["message"].startswith(message)
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}


async def test_a_hash_that_is_not_the_documents_is_refused(trusting: Served, office: Staff) -> None:
    refused = await post(trusting, office.token, by_hash(VIEWER, query=UNTRUSTED))
    assert refused.status_code == 400
    assert refused.json()["errors"][0] == {
        "message": "sha256Hash is not the SHA-256 of the query sent.",
        "extensions": {"code": "BAD_USER_INPUT"},
    }


async def test_an_office_that_trusts_only_its_apps_refuses_any_other_client_document(
    strict: Served, docket: Docket, office: Staff
) -> None:
    token = docket.client.token
    only = {"message": "This office takes only", "code": "PERSISTED_QUERY_ONLY"}

    for body in ({"query": UNTRUSTED}, by_hash(UNTRUSTED, query=UNTRUSTED), {"query": "{"}):
        refused = await post(strict, token, body)
        assert refused.status_code == 400
        [error] = refused.json()["errors"]
        assert error["message"].startswith(only["message"])
        assert error["extensions"] == {"code": only["code"]}
        assert "data" not in refused.json()

    # the app's own documents, by hash or in full, are served
    by_its_hash = await post(strict, token, by_hash(VIEWER))
    assert by_its_hash.json() == {
        "data": {"viewer": {"email": docket.client.email, "role": "CLIENT"}}
    }
    assert (await post(strict, token, {"query": VIEWER})).json() == by_its_hash.json()
    # staff keep GraphiQL and any document
    staff = await post(strict, office.token, {"query": UNTRUSTED})
    assert staff.status_code == 200
    assert "errors" not in staff.json()


def test_a_manifest_whose_hash_lies_stops_the_start(tmp_path: Path) -> None:
    (tmp_path / "app.json").write_text(json.dumps({sha(VIEWER): UNTRUSTED}))
    with pytest.raises(ConfigurationError) as refused:
        Manifests.load(tmp_path)
    assert str(refused.value) == (
        f"{tmp_path / 'app.json'}: {sha(VIEWER)} is not the SHA-256 of its document."
    )


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("not json", "not a readable JSON manifest"),
        ("[1, 2]", "a manifest is a JSON object of hash → document"),
        (json.dumps({"abc": VIEWER}), "'abc' is not a SHA-256 in lowercase hex"),
        (json.dumps({sha("{"): "{"}), "does not parse"),
        (json.dumps({"format": "apollo-persisted-query-manifest", "operations": 3}), "a list"),
    ],
)
def test_a_malformed_manifest_stops_the_start(tmp_path: Path, content: str, says: str) -> None:
    (tmp_path / "app.json").write_text(content)
    with pytest.raises(ConfigurationError) as refused:
        Manifests.load(tmp_path)
    assert says in str(refused.value)


def test_trusting_only_manifests_needs_a_folder_of_them(settings: Settings) -> None:
    with pytest.raises(ConfigurationError) as refused:
        Settings(**{**settings.model_dump(), "client_trusted_documents_only": True})
    assert "CAUSA_CLIENT_TRUSTED_DOCUMENTS_ONLY needs CAUSA_TRUSTED_DOCUMENTS" in str(refused.value)


async def test_each_app_sends_only_its_own_manifests_hashes(
    trusting: Served, docket: Docket
) -> None:
    # given a token of the same client, issued to the app "other-app"
    signer = trusting.state["signer"]
    other_app = signer.issue(replace(signer.read(docket.client.token), client_id="other-app"))

    # then the other app's document is found by its hash, and the first party's is not
    mine = await post(trusting, other_app, by_hash(ELSEWHERE))
    assert mine.json() == {"data": {"viewer": {"role": "CLIENT"}}}
    theirs = await post(trusting, other_app, by_hash(VIEWER))
    assert theirs.json()["errors"][0]["extensions"] == {"code": "PERSISTED_QUERY_NOT_FOUND"}
