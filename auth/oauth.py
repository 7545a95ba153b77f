"""OAuth 2.1 for apps on authlib's OAuth 2.0 server framework: the authorization code
grant (RFC 6749 §4.1) with PKCE S256 (RFC 7636), client authentication, the ``iss``
authorization response parameter (RFC 9207), and their errors (RFC 6749 §4.1.2.1, §5.2).

authlib has no Starlette integration, and its grant hooks (``query_client``,
``query_authorization_code``, ``save_authorization_code``, ``authenticate_user``, the
token generator) are synchronous, while Causa reads PostgreSQL through asyncio. So a
request goes through authlib in three steps:

1. the endpoint reads the request and loads from PostgreSQL what the hooks may ask
   for (the client named, the code presented, with its account) into ``Prepared``,
   choosing in advance the ids the hooks will hand out (the session, the refresh
   token, a new code);
2. ``OAuthServer`` runs authlib's grant over that: the hooks read ``Prepared`` and
   record what they decide in it (the code to keep, the code to spend, a code that came
   back), never touching the database;
3. the endpoint writes what was recorded, in one transaction, before the answer goes
   out; where the database disagrees (a code spent meanwhile), the database wins.

A server is made per request (registering a grant costs nothing) and holds that
request's ``Prepared``; nothing here imports the web framework or the database.
"""

from __future__ import annotations

import hmac
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import (
    AuthorizationCodeMixin,
    AuthorizationServer,
    ClientMixin,
    InvalidRequestError,
    JsonRequest,
    OAuth2Request,
)
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from authlib.oauth2.rfc9207 import IssuerParameter
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from auth import redirect_uris
from auth.tokens import (
    ALGORITHM,
    SCOPE,
    AccessClaims,
    InvalidToken,
    OpaqueToken,
    Signer,
    digest,
)
from domain.viewer import Role

CODE_TTL = 60  # seconds an authorization code may wait to be exchanged
PKCE_METHOD = "S256"
CONFIDENTIAL_METHODS = ("client_secret_basic", "client_secret_post")


@dataclass(frozen=True, slots=True)
class Client(ClientMixin):  # type: ignore[misc]
    """A registered app (db/oauth_clients.py), as authlib's grants ask about it."""

    office_id: uuid.UUID
    id: uuid.UUID
    client_id: str
    name: str
    type: str
    secret_hash: bytes | None
    redirect_uris: Sequence[str]

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> Client | None:
        """The client of a row; None once revoked (it no longer exists for OAuth)."""
        if row["revoked_at"] is not None:
            return None
        return cls(
            office_id=row["office_id"],
            id=row["id"],
            client_id=row["client_id"],
            name=row["name"],
            type=row["type"],
            secret_hash=row["secret_hash"],
            redirect_uris=tuple(row["redirect_uris"]),
        )

    @property
    def is_public(self) -> bool:
        return self.type == "public"

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None  # every authorization request names its redirect URI (OAuth 2.1)

    def get_allowed_scope(self, scope: str | None) -> str | None:
        if not scope:
            return SCOPE
        return scope if set(scope.split()) <= {SCOPE} else None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return any(redirect_uris.matches(uri, redirect_uri) for uri in self.redirect_uris)

    def check_client_secret(self, client_secret: str) -> bool:
        if self.secret_hash is None:
            return False
        return hmac.compare_digest(digest(client_secret), self.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "none" if self.is_public else method in CONFIDENTIAL_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


@dataclass(frozen=True, slots=True)
class Account:
    """The signed-in account (authlib's "user")."""

    office_id: uuid.UUID
    id: uuid.UUID
    role: Role


@dataclass(frozen=True, slots=True)
class Code(AuthorizationCodeMixin):  # type: ignore[misc]
    """An authorization code as stored (db/oauth_codes.py), with its account."""

    office_id: uuid.UUID
    digest: bytes
    client_row_id: uuid.UUID
    account: Account | None  # None once the account is disabled
    redirect_uri: str
    code_challenge: str | None
    code_challenge_method: str | None
    scope: str
    expires_at: float  # seconds since the epoch
    used: bool
    session_id: uuid.UUID | None

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


@dataclass(frozen=True, slots=True)
class IssuedCode:
    """A code the authorization endpoint hands out, to be stored before it is sent."""

    token: OpaqueToken
    client: Client
    account: Account
    redirect_uri: str
    code_challenge: str | None
    code_challenge_method: str | None
    scope: str


@dataclass(slots=True)
class Prepared:
    """What one request's hooks may read (loaded beforehand) and what they decide."""

    clients: dict[str, Client] = field(default_factory=dict)  # by client_id
    code: Code | None = None  # the code presented at the token endpoint
    session_id: uuid.UUID = field(default_factory=uuid.uuid4)
    refresh_token: str = ""
    # decided by the hooks
    issued: IssuedCode | None = None
    spent: Code | None = None  # exchanged now: to be marked used, its session opened
    reused: Code | None = None  # already used: what it issued is to be revoked
    claims: AccessClaims | None = None


@dataclass(frozen=True, slots=True)
class Call:
    """An HTTP request already read by the endpoint: authlib works on this."""

    method: str
    uri: str  # on the public URL, which authlib requires to be https or loopback
    headers: Mapping[str, str]
    parameters: Mapping[str, str]  # the query (GET) or the form (POST), each once


@dataclass(slots=True)
class Answer:
    """What authlib answers: a status, a JSON body or nothing, headers."""

    status: int
    body: dict[str, Any] | str
    headers: list[tuple[str, str]]

    @property
    def location(self) -> str | None:
        return next((value for name, value in self.headers if name == "Location"), None)

    @location.setter
    def location(self, value: str) -> None:
        self.headers = [(n, v) for n, v in self.headers if n != "Location"] + [("Location", value)]


class _Request(OAuth2Request):  # type: ignore[misc]
    def __init__(self, call: Call) -> None:
        # HTTP header names are case-insensitive; authlib reads "Authorization".
        headers = {name.title(): value for name, value in call.headers.items()}
        super().__init__(call.method, call.uri, headers=headers)
        self.payload = BasicOAuth2Payload(dict(call.parameters))
        self._parameters = dict(call.parameters)

    @property
    def args(self) -> dict[str, str]:
        return self._parameters if self.method == "GET" else {}

    @property
    def form(self) -> dict[str, str]:
        return self._parameters if self.method == "POST" else {}


class _Pkce(CodeChallenge):  # type: ignore[misc]
    """authlib's PKCE, held to OAuth 2.1: S256 only (``plain`` refused, and with it a
    missing method, which would mean ``plain``), and required of public clients at the
    authorization endpoint as well as at the token endpoint."""

    SUPPORTED_CODE_CHALLENGE_METHOD = [PKCE_METHOD]
    DEFAULT_CODE_CHALLENGE_METHOD = PKCE_METHOD

    def validate_code_challenge(self, grant: AuthorizationCodeGrant, redirect_uri: str) -> None:
        data = grant.request.payload.data
        challenge, method = data.get("code_challenge"), data.get("code_challenge_method")
        if not challenge and grant.request.client.is_public:
            raise InvalidRequestError(
                "PKCE is required: send code_challenge and code_challenge_method=S256."
            )
        if challenge and method != PKCE_METHOD:
            raise InvalidRequestError("Use code_challenge_method=S256; plain is not accepted.")
        super().validate_code_challenge(grant, redirect_uri)


class _CodeGrant(AuthorizationCodeGrant):  # type: ignore[misc]
    """authlib's authorization code grant, its storage hooks over ``Prepared``."""

    TOKEN_ENDPOINT_AUTH_METHODS = [*CONFIDENTIAL_METHODS, "none"]

    @property
    def prepared(self) -> Prepared:
        server: OAuthServer = self.server
        return server.prepared

    def generate_authorization_code(self) -> str:
        """``<office>.<secret>`` (auth/tokens.py OpaqueToken): the token endpoint finds
        the code's office before anything else."""
        code, token = OpaqueToken.new(self.request.client.office_id)
        self._token = token
        return code

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        data = request.payload.data
        self.prepared.issued = IssuedCode(
            token=self._token,
            client=request.client,
            account=request.user,
            redirect_uri=request.payload.redirect_uri,
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
            scope=request.scope,
        )

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        found = self.prepared.code
        if found is None or found.client_row_id != client.id:
            return None
        if found.used:
            self.prepared.reused = found
            return None
        if found.expires_at <= time.time():
            return None
        return found

    def delete_authorization_code(self, authorization_code: Code) -> None:
        self.prepared.spent = authorization_code

    def authenticate_user(self, authorization_code: Code) -> Account | None:
        return authorization_code.account


class OAuthServer(AuthorizationServer):  # type: ignore[misc]
    """authlib's authorization server over one request's ``Prepared``."""

    def __init__(self, prepared: Prepared, signer: Signer) -> None:
        super().__init__(scopes_supported=[SCOPE])
        self.prepared = prepared
        self.signer = signer
        self.register_grant(_CodeGrant, [_Pkce(required=True)])
        self.register_token_generator("default", self._token)
        self.issuer = _Issuer(signer.issuer)
        self.register_extension(self.issuer)

    def query_client(self, client_id: str) -> Client | None:
        return self.prepared.clients.get(client_id)

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """Nothing to store: the access token is signed, and the session and refresh
        token it names are written by the endpoint once the grant succeeds."""

    def _token(
        self,
        grant_type: str,
        client: Client,
        user: Account,
        scope: str,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        claims = AccessClaims(
            account_id=user.id,
            office_id=user.office_id,
            role=user.role,
            session_id=self.prepared.session_id,
            client_id=client.client_id,
            scope=scope,
        )
        self.prepared.claims = claims
        token = {
            "access_token": self.signer.issue(claims),
            "token_type": "Bearer",
            "expires_in": self.signer.ttl,
            "scope": scope,
        }
        if include_refresh_token:
            token["refresh_token"] = self.prepared.refresh_token
        return token

    def create_oauth2_request(self, request: Call | OAuth2Request) -> OAuth2Request:
        return request if isinstance(request, OAuth2Request) else _Request(request)

    def create_json_request(self, request: Call) -> JsonRequest:
        json_request = JsonRequest(request.method, request.uri, dict(request.headers))
        json_request.payload = BasicOAuth2Payload(dict(request.parameters))
        return json_request

    def handle_response(self, status: int, body: Any, headers: list[tuple[str, str]]) -> Answer:
        return Answer(status, body, list(headers))

    def handle_error_response(self, request: OAuth2Request, error: OAuth2Error) -> Answer:
        # Causa answers 401 to any client that failed to authenticate (RFC 6749 §5.2
        # allows it, and requires it of HTTP Basic): one status for one error.
        if error.error == "invalid_client" and not error.redirect_uri:
            error.status_code = 401
        # authlib 1.9 passes its message and the response type to this error's
        # constructor the wrong way round: the description would be the response type.
        if error.error == "unsupported_response_type":
            error.description = "Use response_type=code."
        answer: Answer = super().handle_error_response(request, error)
        return answer

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """authlib's signals (``after_authenticate_client``…) have no listener here."""


class _Issuer(IssuerParameter):  # type: ignore[misc]
    """RFC 9207: every authorization response, errors included, names the issuer."""

    def __init__(self, issuer: str) -> None:
        self.issuer = issuer

    def get_issuer(self) -> str:
        return self.issuer


def grant_types(password_grant: bool) -> list[str]:
    """The grant types offered at the token endpoint: the password grant (first-party
    tools) only while switched on. authorization_code is authlib's; the others Causa's."""
    return ["authorization_code", "refresh_token"] + (["password"] if password_grant else [])


def metadata(*, issuer: str, password_grant: bool) -> AuthorizationServerMetadata:
    """RFC 8414 metadata of Causa's authorization server."""
    grants = grant_types(password_grant)
    return AuthorizationServerMetadata(
        {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/oauth/authorize",
            "token_endpoint": f"{issuer}/auth/token",
            "revocation_endpoint": f"{issuer}/auth/revoke",
            "scopes_supported": [SCOPE],
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": grants,
            "token_endpoint_auth_methods_supported": [*CONFIDENTIAL_METHODS, "none"],
            "revocation_endpoint_auth_methods_supported": ["none"],
            "code_challenge_methods_supported": [PKCE_METHOD],
            "authorization_response_iss_parameter_supported": True,
        }
    )


class SealedRequests:
    """The sign-in form carries the authorization request it answers, signed and
    short-lived (under a key derived from the secret key, so it can be nothing else):
    the parameters cannot be changed between the page and the POST, and a form
    forged on another site has no valid seal to send (CSRF)."""

    TYPE = "causa-authorize"

    def __init__(self, secret: bytes, ttl: int = 600) -> None:
        derived = hmac.new(secret, b"causa oauth authorization requests", "sha256").digest()
        self._key = OctKey.import_key(derived)
        self.ttl = ttl
        self._claims = jwt.JWTClaimsRegistry(exp={"essential": True})

    def seal(self, parameters: Mapping[str, str]) -> str:
        payload = {"request": dict(parameters), "exp": int(time.time()) + self.ttl}
        header = {"alg": ALGORITHM, "typ": self.TYPE}
        return jwt.encode(header, payload, self._key, algorithms=[ALGORITHM])

    def open(self, sealed: str) -> dict[str, str]:
        try:
            decoded = jwt.decode(sealed, self._key, algorithms=[ALGORITHM])
            if decoded.header.get("typ") != self.TYPE:
                raise InvalidToken("not an authorization request")
            self._claims.validate(decoded.claims)
            request = decoded.claims["request"]
        except (JoseError, KeyError, TypeError, ValueError) as error:
            raise InvalidToken(str(error) or type(error).__name__) from error
        if not isinstance(request, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in request.items()
        ):
            raise InvalidToken("malformed authorization request")
        return request
