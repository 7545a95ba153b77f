"""The seed article's flow, end to end, over HTTP against the app served by uvicorn."""

from __future__ import annotations

import re

import httpx

from settings import Settings
from tests.factories import Staff, add_party, create_case, create_person, unique_email
from tests.graphql_client import data, gql
from tests.mailbox import Mailbox

GRANT = """
mutation Grant($personId: ID!, $email: String!) {
  grantPortalAccess(personId: $personId, email: $email) { url access { enabled login } }
}
"""
REVOKE = """
mutation Revoke($personId: ID!) { revokePortalAccess(personId: $personId) { access { enabled } } }
"""
CLIENT_READ = """
{
  viewer { email role person { id name } }
  cases { totalCount edges { node { title } } }
}
"""
FIRST_PASSWORD = "quiet river lantern 42"
SECOND_PASSWORD = "orange kettle mountain 77"
LINK = re.compile(r"^https://portal\.causa\.test/invitation#token=(\S+)", re.MULTILINE)


async def sign_in(http: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await http.post(
        "/auth/token", data={"grant_type": "password", "username": email, "password": password}
    )


def invitation_token(mailbox: Mailbox, email: str, *, count: int) -> str:
    """The token in the link of the ``count``-th invitation e-mail to ``email``."""
    message = mailbox.to(email, count=count, wait=10)[count - 1]
    assert message["Subject"].startswith("Seu acesso ao portal do cliente — Escritório")
    body = message.get_content()
    assert "Olá, Maria Cliente." in body
    assert f"Seu login é este e-mail: {email}" in body
    link = LINK.search(body)
    assert link is not None, body
    return link.group(1)


async def test_grant_invite_accept_sign_in_read_revoke_and_grant_again(
    live_server: str, office: Staff, mailbox: Mailbox, settings: Settings
) -> None:
    async with httpx.AsyncClient(base_url=live_server, timeout=20) as http:
        # given a person who is the client in one folder and a mere party in another
        person_id = (await create_person(http, office.token, name="Maria Cliente"))["id"]
        own = (await create_case(http, office.token, title="Ação de cobrança"))["id"]
        other = (await create_case(http, office.token, title="Inventário"))["id"]
        await add_party(http, office, own, person_id, is_client=True)
        await add_party(http, office, other, person_id, is_client=False)
        email = unique_email()

        # when staff grant portal access with the client's e-mail as login
        granted = data(
            await gql(http, office.token, GRANT, {"personId": person_id, "email": email})
        )
        assert granted["grantPortalAccess"]["access"] == {"enabled": True, "login": email}

        # then the invitation e-mail arrives at the SMTP server, with the link
        token = invitation_token(mailbox, email, count=1)
        assert granted["grantPortalAccess"]["url"].endswith(token)

        # when the client sets a password from it and signs in
        accepted = await http.post(
            "/auth/invitations/accept", json={"token": token, "password": FIRST_PASSWORD}
        )
        assert accepted.status_code == 200, accepted.text
        assert accepted.json() == {"login": email, "office": office.slug}
        signed_in = await sign_in(http, email, FIRST_PASSWORD)
        assert signed_in.status_code == 200, signed_in.text
        access_token = signed_in.json()["access_token"]
        refresh_token = signed_in.json()["refresh_token"]

        # then the client reads exactly the folder in which they carry the client tag
        read = data(await gql(http, access_token, CLIENT_READ))
        assert read["viewer"] == {
            "email": email,
            "role": "CLIENT",
            "person": {"id": person_id, "name": "Maria Cliente"},
        }
        assert read["cases"] == {
            "totalCount": 1,
            "edges": [{"node": {"title": "Ação de cobrança"}}],
        }

        # when staff revoke the access
        revoked = data(await gql(http, office.token, REVOKE, {"personId": person_id}))
        assert revoked["revokePortalAccess"] == {"access": {"enabled": False}}

        # then the client's very next request is refused, by access and by refresh token
        refused = await http.post(
            "/graphql",
            json={"query": CLIENT_READ},
            headers={"Authorization": f"Bearer {access_token}"},
        )
        assert refused.status_code == 401
        assert refused.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
        refreshed = await http.post(
            "/auth/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token}
        )
        assert refreshed.status_code == 400
        assert refreshed.json()["error"] == "invalid_grant"
        assert (await sign_in(http, email, FIRST_PASSWORD)).status_code == 400

        # when staff grant access again
        await gql(http, office.token, GRANT, {"personId": person_id, "email": email})

        # then a new invitation arrives; the old password does not open the portal
        new_token = invitation_token(mailbox, email, count=2)
        assert new_token != token
        assert (await sign_in(http, email, FIRST_PASSWORD)).status_code == 400
        # and the new invitation sets a new password that does
        again = await http.post(
            "/auth/invitations/accept", json={"token": new_token, "password": SECOND_PASSWORD}
        )
        assert again.status_code == 200, again.text
        assert (await sign_in(http, email, FIRST_PASSWORD)).status_code == 400
        signed_in = await sign_in(http, email, SECOND_PASSWORD)
        assert signed_in.status_code == 200, signed_in.text
        read = data(await gql(http, signed_in.json()["access_token"], CLIENT_READ))
        assert read["cases"]["totalCount"] == 1
        # and the first invitation stays spent
        reused = await http.post(
            "/auth/invitations/accept", json={"token": token, "password": SECOND_PASSWORD}
        )
        assert reused.status_code == 400
        assert reused.json()["error"] == "used_token"
