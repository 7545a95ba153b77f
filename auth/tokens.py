"""Access tokens (RFC 9068 JWTs, short-lived); refresh, invitation and authorization-code
tokens (opaque, hashed)."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from domain.viewer import Role

ALGORITHM = "HS256"
ACCESS_TOKEN_TYPE = "at+jwt"  # RFC 9068 §2.1
FIRST_PARTY = "causa"  # the client of the password grant: GraphiQL and first-party tools
SCOPE = "api"  # the one scope: what the account may do through the API
LEEWAY = 5  # seconds of clock difference allowed
CHECKED_TOKENS = 10_000  # kept per process


class InvalidToken(Exception):
    """A token that is malformed, tampered with, expired or of the wrong kind."""


@dataclass(frozen=True, slots=True)
class AccessClaims:
    account_id: uuid.UUID
    office_id: uuid.UUID
    role: Role
    session_id: uuid.UUID
    client_id: str = FIRST_PARTY  # the OAuth client (app) the token was issued to
    scope: str = SCOPE


class Signer:
    """Signs and checks access tokens with the process's secret key: RFC 9068 JWTs
    (``typ: at+jwt``) issued by ``issuer`` (the public URL) for ``audience`` (the API)."""

    def __init__(self, key: bytes, ttl: int, *, issuer: str, audience: str) -> None:
        self._key = OctKey.import_key(key)
        self.ttl = ttl
        self.issuer = issuer
        self.audience = audience
        # Tokens already checked, with their expiry: a client sends the same one with
        # every request until it expires, and its signature cannot have changed meanwhile.
        self._checked: OrderedDict[str, tuple[AccessClaims, float]] = OrderedDict()
        self._claims = jwt.JWTClaimsRegistry(
            leeway=LEEWAY,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
            sub={"essential": True},
            jti={"essential": True},
            client_id={"essential": True},
        )

    def issue(self, claims: AccessClaims) -> str:
        now = int(time.time())
        payload = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(claims.account_id),
            "client_id": claims.client_id,
            "scope": claims.scope,
            "jti": secrets.token_urlsafe(16),
            "office": str(claims.office_id),
            "role": claims.role.value,
            "sid": str(claims.session_id),
            "iat": now,
            "exp": now + self.ttl,
        }
        header = {"alg": ALGORITHM, "typ": ACCESS_TOKEN_TYPE}
        return jwt.encode(header, payload, self._key, algorithms=[ALGORITHM])

    def read(self, token: str) -> AccessClaims:
        checked = self._checked.get(token)
        if checked is not None:
            claims, expires = checked
            if time.time() <= expires:
                return claims
            del self._checked[token]
        claims, expires = self._read(token)
        self._checked[token] = claims, expires
        if len(self._checked) > CHECKED_TOKENS:
            self._checked.popitem(last=False)
        return claims

    def _read(self, token: str) -> tuple[AccessClaims, float]:
        """The token's claims, once its signature and claims are checked, and until when
        it may be used."""
        try:
            decoded = jwt.decode(token, self._key, algorithms=[ALGORITHM])
            if decoded.header.get("typ") != ACCESS_TOKEN_TYPE:
                raise InvalidToken("not an access token (typ at+jwt)")
            self._claims.validate(decoded.claims)
            claims = decoded.claims
            read = AccessClaims(
                account_id=uuid.UUID(claims["sub"]),
                office_id=uuid.UUID(claims["office"]),
                role=Role(claims["role"]),
                session_id=uuid.UUID(claims["sid"]),
                client_id=str(claims["client_id"]),
                scope=str(claims.get("scope", "")),
            )
            return read, float(claims["exp"]) + LEEWAY
        except (JoseError, KeyError, TypeError, ValueError) as error:
            raise InvalidToken(str(error) or type(error).__name__) from error


@dataclass(frozen=True, slots=True)
class OpaqueToken:
    """``<office id>.<secret>``: the office routes the lookup, only a hash is stored.

    Refresh tokens and invitation tokens are of this kind.
    """

    office_id: uuid.UUID
    digest: bytes

    @classmethod
    def new(cls, office_id: uuid.UUID) -> tuple[str, OpaqueToken]:
        secret = secrets.token_urlsafe(32)
        return f"{office_id.hex}.{secret}", cls(office_id, digest(secret))

    @classmethod
    def parse(cls, token: str) -> OpaqueToken:
        office, _, secret = token.partition(".")
        try:
            office_id = uuid.UUID(hex=office)
        except ValueError as error:
            raise InvalidToken("malformed token") from error
        if len(secret) < 32 or not secret.isascii():  # a secret is URL-safe base64
            raise InvalidToken("malformed token")
        return cls(office_id, digest(secret))


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()
