from __future__ import annotations
import json
import httpx
from settings import Settings
from tests.factories import Staff, make_docket, Docket
from tests.graphql_client import gql
from tests.serving import serving, http_client

DOCS = [
    "{ cases(first: 20) { edges { node { id folder title cnjNumber court status movements(first: 10) { edges { node { occurredAt description code } } } } } } }",
    "{ viewer { email role person { id name } } cases { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { __typename id claimValue filedOn responsibleLawyer { name } parties { role isClient person { name } } documents(first: 2) { totalCount edges { node { title downloadUrl } } } } } } }",
    '{ a: cases(first: 1, after: "b2Zmc2V0OjA=") { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { title } } } }',
    '{ cases(search: "Sent") { totalCount } }',
]
STAFF = ['{ persons { totalCount edges { node { id name kind taxId portalAccess { enabled login grantedAt revokedAt lastLoginAt } cases { totalCount edges { node { title } } } } } } staffMembers { name email role disabledAt lastLoginAt } outbox(first: 3) { totalCount edges { node { subject status createdAt } } } }',
 '{ cases { edges { node { createdAt updatedAt internalNotes lossRisk feeAgreement tasks { title dueOn done assignee { name } } movements { edges { node { createdBy { name } createdAt source } } } } } } }']

async def test_adhoc(client: httpx.AsyncClient, office: Staff, settings: Settings, served) -> None:
    docket = await make_docket(client, office)
    off = settings.model_copy(update={"compiled_reads": False})
    async with serving(off) as other, http_client(other) as slow:
        for token, docs in ((docket.client.token, DOCS + ["{ cases { edges { node { parties { person { name } } } } } }"]), (office.token, DOCS + STAFF)):
            for doc in docs:
                before = dict(served.state["reads"].counts)
                a = (await client.post("/graphql", json={"query": doc}, headers={"Authorization": f"Bearer {token}"})).json()
                after = dict(served.state["reads"].counts)
                b = (await slow.post("/graphql", json={"query": doc}, headers={"Authorization": f"Bearer {token}"})).json()
                sa_, sb = json.dumps(a, sort_keys=True), json.dumps(b, sort_keys=True)
                import re
                norm = lambda s: re.sub(r"token=[^\"]*", "token=X", s)
                print(before, after)
                assert norm(sa_) == norm(sb), (doc, sa_, sb)
