"""OAuth 2.1 for apps: the authorization code grant with PKCE, through Causa's sign-in
page, to tokens that read /graphql; every refusal is the RFC's."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from authlib.oauth2 import rfc8414, rfc9207
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.tokens import Signer
from settings import Settings
from tests.factories import Staff
from tests.graphql_client import data
from tests.serving import http_client, serving

LOOPBACK = "http://127.0.0.1/callback"
REGISTER = """
mutation Register($input: OAuthClientInput!) {
  registerOAuthClient(input: $input) { oauthClient { clientId } clientSecret }
}
"""
SIGN_IN_FIELD = re.compile(r'name="request" value="([^"]+)"')


@dataclass(frozen=True)
class App:
    client_id: str
    secret: str | None


@dataclass(frozen=True)
class Pkce:
    verifier: str

    @property
    def challenge(self) -> str:
        sha = hashlib.sha256(self.verifier.encode()).digest()
        return base64.urlsafe_b64encode(sha).rstrip(b"=").decode()


def new_pkce() -> Pkce:
    return Pkce(secrets.token_urlsafe(48))


async def register(
    client: httpx.AsyncClient, office: Staff, *, type: str = "PUBLIC", uris: list[str] | None = None
) -> App:
    variables = {"input": {"name": "App Móvel", "type": type, "redirectUris": uris or [LOOPBACK]}}
    body = (
        await client.post(
            "/graphql", json={"query": REGISTER, "variables": variables}, headers=office.headers
        )
    ).json()
    registered = data(body)["registerOAuthClient"]
    return App(registered["oauthClient"]["clientId"], registered["clientSecret"])


def authorize_query(app: App, pkce: Pkce | None, **overrides: str | None) -> dict[str, str]:
    query: dict[str, str | None] = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": "http://127.0.0.1:49152/callback",
        "state": "estado-123",
        "code_challenge": pkce.challenge if pkce else None,
        "code_challenge_method": "S256" if pkce else None,
    } | overrides
    return {name: value for name, value in query.items() if value is not None}


async def sign_in_page(client: httpx.AsyncClient, query: dict[str, str]) -> httpx.Response:
    return await client.get(f"/oauth/authorize?{urlencode(query)}")


def sealed(page: httpx.Response) -> str:
    found = SIGN_IN_FIELD.search(page.text)
    assert found, page.text
    return found.group(1).replace("&amp;", "&")


async def post_sign_in(
    client: httpx.AsyncClient, page: httpx.Response, email: str, password: str
) -> httpx.Response:
    return await client.post(
        "/oauth/authorize",
        data={"request": sealed(page), "email": email, "password": password},
    )


def redirect_parameters(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["location"])
    return {name: values[0] for name, values in parse_qs(location.query).items()}


async def code_for(
    client: httpx.AsyncClient, office: Staff, app: App, pkce: Pkce | None, **overrides: str
) -> str:
    page = await sign_in_page(client, authorize_query(app, pkce, **overrides))
    assert page.status_code == 200, page.text
    answer = redirect_parameters(await post_sign_in(client, page, office.email, office.password))
    return answer["code"]


async def exchange(
    client: httpx.AsyncClient, app: App, code: str, pkce: Pkce | None, **overrides: str | None
) -> httpx.Response:
    form: dict[str, str | None] = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "http://127.0.0.1:49152/callback",
        "client_id": app.client_id,
        "code_verifier": pkce.verifier if pkce else None,
    } | overrides
    return await client.post(
        "/auth/token", data={name: value for name, value in form.items() if value is not None}
    )


async def viewer_email(client: httpx.AsyncClient, access_token: str) -> httpx.Response:
    return await client.post(
        "/graphql",
        json={"query": "{ viewer { email } }"},
        headers={"Authorization": f"Bearer {access_token}"},
    )


# --- the happy path -------------------------------------------------------------------------


async def test_a_public_app_signs_in_with_pkce_and_a_loopback_redirect(
    client: httpx.AsyncClient, office: Staff, settings: Settings
) -> None:
    # given a mobile app registered with a loopback redirect (any port will do)
    app, pkce = await register(client, office), new_pkce()

    # when it opens the authorization URL, Causa shows its sign-in page in Portuguese
    page = await sign_in_page(client, authorize_query(app, pkce))
    assert page.status_code == 200
    assert '<html lang="pt-BR">' in page.text
    assert "App Móvel" in page.text
    assert page.headers["cache-control"] == "no-store"

    # and once the account signs in, the browser goes back to the app with a code
    answer = redirect_parameters(await post_sign_in(client, page, office.email, office.password))
    assert answer.keys() == {"code", "state", "iss"}
    assert answer["state"] == "estado-123"
    assert answer["iss"] == settings.base_url

    # which the app exchanges for tokens that read the API
    response = await exchange(client, app, answer["code"], pkce)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    tokens = response.json()
    assert tokens.keys() == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    assert (tokens["token_type"], tokens["scope"]) == ("Bearer", "api")
    read = await viewer_email(client, tokens["access_token"])
    assert read.json() == {"data": {"viewer": {"email": office.email}}}

    # then refreshing and revoking work as for any session
    refreshed = await client.post(
        "/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    assert refreshed.status_code == 200, refreshed.text
    again = refreshed.json()
    assert (await viewer_email(client, again["access_token"])).status_code == 200
    assert (
        await client.post("/auth/revoke", data={"token": again["refresh_token"]})
    ).status_code == 200
    assert (await viewer_email(client, again["access_token"])).status_code == 401
    assert (await viewer_email(client, tokens["access_token"])).status_code == 401


# --- the authorization endpoint: no redirect until the client and redirect are known ------


def assert_error_page(response: httpx.Response, message: str) -> None:
    assert response.status_code == 400, response.text
    assert "location" not in response.headers
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert message in response.text


async def test_an_unknown_client_gets_an_error_page_and_no_redirect(
    client: httpx.AsyncClient,
) -> None:
    app = App("app-desconhecido", None)
    response = await sign_in_page(client, authorize_query(app, new_pkce()))
    assert_error_page(response, "não está registrado no Causa")


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "http://127.0.0.1:49152/outro",  # another path
        "https://evil.example/callback",  # another host
        "http://localhost:49152/callback",  # another loopback name than the registered one
        None,  # none at all
    ],
)
async def test_an_unregistered_redirect_gets_an_error_page_and_no_redirect(
    client: httpx.AsyncClient, office: Staff, redirect_uri: str | None
) -> None:
    app = await register(client, office)
    response = await sign_in_page(
        client, authorize_query(app, new_pkce(), redirect_uri=redirect_uri)
    )
    assert_error_page(response, "não está registrado para ele")


async def test_a_private_use_scheme_redirect_is_matched_exactly(
    client: httpx.AsyncClient, office: Staff
) -> None:
    app = await register(client, office, uris=["br.com.escritorio.app:/oauth"])
    pkce = new_pkce()
    query = authorize_query(app, pkce, redirect_uri="br.com.escritorio.app:/oauth")
    assert (await sign_in_page(client, query)).status_code == 200
    wrong = authorize_query(app, pkce, redirect_uri="br.com.escritorio.app:/outro")
    assert_error_page(await sign_in_page(client, wrong), "não está registrado para ele")


@pytest.mark.parametrize(
    ("overrides", "error", "description"),
    [
        (
            {"code_challenge": None, "code_challenge_method": None},
            "invalid_request",
            "PKCE is required: send code_challenge and code_challenge_method=S256.",
        ),
        (
            {"code_challenge_method": "plain"},
            "invalid_request",
            "Use code_challenge_method=S256; plain is not accepted.",
        ),
        (
            {"code_challenge_method": None},
            "invalid_request",
            "Use code_challenge_method=S256; plain is not accepted.",
        ),
        (
            {"response_type": "token"},
            "unsupported_response_type",
            "Use response_type=code.",
        ),
        (
            {"scope": "admin"},
            "invalid_scope",
            "The requested scope is invalid, unknown, or malformed.",
        ),
    ],
)
async def test_errors_after_a_good_redirect_go_back_to_the_app_with_state(
    client: httpx.AsyncClient,
    office: Staff,
    settings: Settings,
    overrides: dict[str, str | None],
    error: str,
    description: str,
) -> None:
    app = await register(client, office)
    response = await sign_in_page(client, authorize_query(app, new_pkce(), **overrides))
    assert response.headers["location"].startswith("http://127.0.0.1:49152/callback?")
    assert redirect_parameters(response) == {
        "error": error,
        "error_description": description,
        "state": "estado-123",
        "iss": settings.base_url,
    }


async def test_a_wrong_password_shows_the_page_again_with_an_error(
    client: httpx.AsyncClient, office: Staff
) -> None:
    app = await register(client, office)
    page = await sign_in_page(client, authorize_query(app, new_pkce()))
    response = await post_sign_in(client, page, office.email, "senha errada demais")
    assert response.status_code == 400
    assert "E-mail ou senha incorretos." in response.text
    assert "location" not in response.headers
    assert sealed(response)  # the form, ready for another try


async def test_a_forged_or_altered_form_is_refused(
    client: httpx.AsyncClient, office: Staff
) -> None:
    response = await client.post(
        "/oauth/authorize",
        data={"request": "forjado", "email": office.email, "password": office.password},
    )
    assert_error_page(response, "O formulário de entrada expirou ou foi alterado.")


async def test_an_account_of_another_office_cannot_sign_in_to_this_offices_app(
    client: httpx.AsyncClient, office: Staff, other_office: Staff
) -> None:
    app = await register(client, office)
    page = await sign_in_page(client, authorize_query(app, new_pkce()))
    response = await post_sign_in(client, page, other_office.email, other_office.password)
    assert response.status_code == 400
    assert "E-mail ou senha incorretos." in response.text


async def test_the_sign_in_form_is_throttled_like_the_password_grant(
    client: httpx.AsyncClient, office: Staff, settings: Settings
) -> None:
    # given as many failures as the account allows
    app = await register(client, office)
    page = await sign_in_page(client, authorize_query(app, new_pkce()))
    for _ in range(settings.login_failures_per_account):
        assert (
            await post_sign_in(client, page, office.email, "senha errada demais")
        ).status_code == 400

    # then even the right password is refused for now, on the page and at the token endpoint
    response = await post_sign_in(client, page, office.email, office.password)
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) >= 1
    assert "Muitas tentativas de entrada sem sucesso." in response.text
    grant = await client.post(
        "/auth/token",
        data={"grant_type": "password", "username": office.email, "password": office.password},
    )
    assert grant.status_code == 429


# --- the token endpoint ---------------------------------------------------------------------


INVALID_CODE = {"error": "invalid_grant", "error_description": "Invalid 'code' in request."}


async def test_a_wrong_verifier_is_invalid_grant(client: httpx.AsyncClient, office: Staff) -> None:
    app, pkce = await register(client, office), new_pkce()
    code = await code_for(client, office, app, pkce)
    response = await exchange(client, app, code, new_pkce())
    assert (response.status_code, response.json()) == (
        400,
        {"error": "invalid_grant", "error_description": "Code challenge failed."},
    )


async def test_a_missing_verifier_is_invalid_request(
    client: httpx.AsyncClient, office: Staff
) -> None:
    app, pkce = await register(client, office), new_pkce()
    code = await code_for(client, office, app, pkce)
    response = await exchange(client, app, code, None)
    assert (response.status_code, response.json()) == (
        400,
        {"error": "invalid_request", "error_description": "Missing 'code_verifier'"},
    )


async def test_a_mismatched_redirect_is_invalid_grant(
    client: httpx.AsyncClient, office: Staff
) -> None:
    app, pkce = await register(client, office), new_pkce()
    code = await code_for(client, office, app, pkce)
    response = await exchange(client, app, code, pkce, redirect_uri="http://127.0.0.1:1/callback")
    assert (response.status_code, response.json()) == (
        400,
        {"error": "invalid_grant", "error_description": "Invalid 'redirect_uri' in request."},
    )


async def test_an_expired_code_is_invalid_grant(
    client: httpx.AsyncClient, office: Staff, owner_engine: AsyncEngine
) -> None:
    app, pkce = await register(client, office), new_pkce()
    code = await code_for(client, office, app, pkce)
    async with owner_engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE oauth_code SET expires_at = now() - interval '1 second' "
                "WHERE office_id = :o"
            ),
            {"o": office.office_id},
        )
    response = await exchange(client, app, code, pkce)
    assert (response.status_code, response.json()) == (400, INVALID_CODE)


async def test_codes_live_sixty_seconds(
    client: httpx.AsyncClient, office: Staff, owner_engine: AsyncEngine
) -> None:
    app = await register(client, office)
    await code_for(client, office, app, new_pkce())
    async with owner_engine.connect() as connection:
        lifetime = await connection.scalar(
            text("SELECT expires_at - created_at FROM oauth_code WHERE office_id = :o"),
            {"o": office.office_id},
        )
    assert 59 <= lifetime.total_seconds() <= 61


async def test_a_reused_code_is_refused_and_revokes_what_it_issued(
    client: httpx.AsyncClient, office: Staff
) -> None:
    # given a code exchanged once
    app, pkce = await register(client, office), new_pkce()
    code = await code_for(client, office, app, pkce)
    tokens = (await exchange(client, app, code, pkce)).json()
    assert (await viewer_email(client, tokens["access_token"])).status_code == 200

    # when it is presented again
    response = await exchange(client, app, code, pkce)

    # then it is refused, and the tokens it issued stop working
    assert (response.status_code, response.json()) == (400, INVALID_CODE)
    assert (await viewer_email(client, tokens["access_token"])).status_code == 401
    refreshed = await client.post(
        "/auth/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    assert refreshed.json()["error"] == "invalid_grant"


async def test_a_code_of_another_app_is_invalid_grant(
    client: httpx.AsyncClient, office: Staff
) -> None:
    app, other, pkce = await register(client, office), await register(client, office), new_pkce()
    code = await code_for(client, office, app, pkce)
    response = await exchange(client, other, code, pkce)
    assert (response.status_code, response.json()) == (400, INVALID_CODE)


async def test_an_unknown_client_is_invalid_client_401(client: httpx.AsyncClient) -> None:
    response = await exchange(client, App("app-desconhecido", None), "x" * 50, new_pkce())
    assert response.status_code == 401
    assert response.json() == {
        "error": "invalid_client",
        "error_description": "The client does not exist on this server.",
    }


async def test_a_confidential_app_authenticates_with_basic_or_post(
    client: httpx.AsyncClient, office: Staff
) -> None:
    app = await register(client, office, type="CONFIDENTIAL")
    assert app.secret is not None

    # by HTTP Basic, without PKCE (a confidential client may omit it)
    code = await code_for(client, office, app, None)
    basic = await client.post(
        "/auth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://127.0.0.1:49152/callback",
        },
        auth=(app.client_id, app.secret),
    )
    assert basic.status_code == 200, basic.text

    # by the form, with PKCE
    pkce = new_pkce()
    code = await code_for(client, office, app, pkce)
    posted = await exchange(client, app, code, pkce, client_secret=app.secret)
    assert posted.status_code == 200, posted.text

    # and a wrong secret is invalid_client, 401
    code = await code_for(client, office, app, pkce)
    wrong = await client.post(
        "/auth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://127.0.0.1:49152/callback",
            "code_verifier": pkce.verifier,
        },
        auth=(app.client_id, "segredo errado"),
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    assert wrong.headers["www-authenticate"].startswith("Basic ")


async def test_a_revoked_app_signs_no_one_in_and_its_sessions_end(
    client: httpx.AsyncClient, office: Staff
) -> None:
    app, pkce = await register(client, office), new_pkce()
    tokens = (await exchange(client, app, await code_for(client, office, app, pkce), pkce)).json()
    listed = (
        await client.post(
            "/graphql", json={"query": "{ oauthClients { id clientId } }"}, headers=office.headers
        )
    ).json()
    [mine] = [c for c in data(listed)["oauthClients"] if c["clientId"] == app.client_id]
    revoke = "mutation R($id: ID!) { revokeOAuthClient(id: $id) { oauthClient { id } } }"
    await client.post(
        "/graphql", json={"query": revoke, "variables": {"id": mine["id"]}}, headers=office.headers
    )

    assert (await viewer_email(client, tokens["access_token"])).status_code == 401
    page = await sign_in_page(client, authorize_query(app, pkce))
    assert_error_page(page, "não está registrado no Causa")


# --- access tokens --------------------------------------------------------------------------


def claims_of(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")
    return _decoded(header), _decoded(payload)


def _decoded(part: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


async def test_access_tokens_are_rfc_9068_jwts(
    client: httpx.AsyncClient, office: Staff, settings: Settings
) -> None:
    app, pkce = await register(client, office), new_pkce()
    tokens = (await exchange(client, app, await code_for(client, office, app, pkce), pkce)).json()
    header, claims = claims_of(tokens["access_token"])
    assert header == {"alg": "HS256", "typ": "at+jwt"}
    assert claims["iss"] == settings.base_url == "https://portal.causa.test"
    assert claims["aud"] == "https://portal.causa.test/graphql"
    assert claims["client_id"] == app.client_id
    assert claims["scope"] == "api"
    assert claims["exp"] - claims["iat"] == settings.access_token_ttl
    assert len(claims["jti"]) >= 16
    uuid.UUID(claims["sub"])

    # the password grant's are issued to Causa's own client
    _, first_party = claims_of(office.token)
    assert (first_party["client_id"], first_party["aud"]) == ("causa", claims["aud"])


async def test_a_token_for_another_audience_is_refused(
    client: httpx.AsyncClient, office: Staff, settings: Settings
) -> None:
    claims = Signer(
        settings.signing_key, 60, issuer=settings.base_url, audience=settings.audience
    ).read(office.token)
    elsewhere = Signer(
        settings.signing_key, 60, issuer=settings.base_url, audience="https://outra.api/graphql"
    ).issue(claims)
    response = await viewer_email(client, elsewhere)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="causa", error="invalid_token"'


# --- settings and metadata ------------------------------------------------------------------


async def test_metadata_is_valid_rfc_8414(client: httpx.AsyncClient, settings: Settings) -> None:
    response = await client.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    described = response.json()
    rfc8414.AuthorizationServerMetadata(described).validate(
        metadata_classes=[rfc9207.AuthorizationServerMetadata]
    )
    assert described["issuer"] == settings.base_url
    assert described["authorization_endpoint"] == f"{settings.base_url}/oauth/authorize"
    assert described["token_endpoint"] == f"{settings.base_url}/auth/token"
    assert described["revocation_endpoint"] == f"{settings.base_url}/auth/revoke"
    assert described["code_challenge_methods_supported"] == ["S256"]
    assert described["grant_types_supported"] == ["authorization_code", "refresh_token", "password"]


async def test_with_the_password_grant_off_it_is_unsupported_and_not_described(
    settings: Settings, office: Staff
) -> None:
    off = settings.model_copy(update={"password_grant": False})
    async with serving(off) as served, http_client(served) as client:
        response = await client.post(
            "/auth/token",
            data={
                "grant_type": "password",
                "username": office.email,
                "password": office.password,
            },
        )
        assert (response.status_code, response.json()) == (
            400,
            {
                "error": "unsupported_grant_type",
                "error_description": "Use grant_type=authorization_code or refresh_token.",
            },
        )
        described = (await client.get("/.well-known/oauth-authorization-server")).json()
        assert described["grant_types_supported"] == ["authorization_code", "refresh_token"]


async def test_a_refresh_token_serves_only_its_app_and_a_confidential_one_authenticates(
    client: httpx.AsyncClient, office: Staff
) -> None:
    # given tokens of a confidential app and of a public one
    confidential = await register(client, office, type="CONFIDENTIAL")
    assert confidential.secret is not None
    pkce = new_pkce()
    code = await code_for(client, office, confidential, pkce)
    tokens = await exchange(client, confidential, code, pkce, client_secret=confidential.secret)
    refresh = tokens.json()["refresh_token"]
    public = await register(client, office)

    async def refreshed(token: str, **more: Any) -> httpx.Response:
        form = {"grant_type": "refresh_token", "refresh_token": token}
        return await client.post("/auth/token", data=form | more.pop("data", {}), **more)

    # when the confidential app's token comes without the secret, or with a wrong one
    bare = await refreshed(refresh)
    wrong = await refreshed(refresh, auth=(confidential.client_id, "segredo errado"))
    # or from another app
    stolen = await refreshed(refresh, data={"client_id": public.client_id})

    # then each is refused, and the token is still good for the app itself
    for refused in (bare, wrong):
        assert refused.status_code == 401
        assert refused.json()["error"] == "invalid_client"
        assert refused.headers["www-authenticate"] == 'Basic realm="causa"'
    assert stolen.status_code == 400
    assert stolen.json() == {
        "error": "invalid_grant",
        "error_description": "The refresh token was issued to another client.",
    }
    by_basic = await refreshed(refresh, auth=(confidential.client_id, confidential.secret))
    assert by_basic.status_code == 200, by_basic.text
    by_form = await refreshed(
        by_basic.json()["refresh_token"],
        data={"client_id": confidential.client_id, "client_secret": confidential.secret},
    )
    assert by_form.status_code == 200, by_form.text
