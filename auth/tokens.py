"""Access tokens (signed JWT, short-lived); refresh and invitation tokens (opaque, hashed)."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from domain.viewer import Role

ALGORITHM = "HS256"
ISSUER = "causa"


class InvalidToken(Exception):
    """A token that is malformed, tampered with, expired or of the wrong kind."""


@dataclass(frozen=True, slots=True)
class AccessClaims:
    account_id: uuid.UUID
    office_id: uuid.UUID
    role: Role
    session_id: uuid.UUID


class Signer:
    """Signs and checks access tokens with the process's secret key."""

    def __init__(self, key: bytes, ttl: int) -> None:
        self._key = OctKey.import_key(key)
        self.ttl = ttl
        self._claims = jwt.JWTClaimsRegistry(
            leeway=5,
            iss={"essential": True, "value": ISSUER},
            exp={"essential": True},
            sub={"essential": True},
        )

    def issue(self, claims: AccessClaims) -> str:
        now = int(time.time())
        payload = {
            "iss": ISSUER,
            "sub": str(claims.account_id),
            "office": str(claims.office_id),
            "role": claims.role.value,
            "sid": str(claims.session_id),
            "iat": now,
            "exp": now + self.ttl,
        }
        return jwt.encode({"alg": ALGORITHM}, payload, self._key, algorithms=[ALGORITHM])

    def read(self, token: str) -> AccessClaims:
        try:
            decoded = jwt.decode(token, self._key, algorithms=[ALGORITHM])
            self._claims.validate(decoded.claims)
            claims = decoded.claims
            return AccessClaims(
                account_id=uuid.UUID(claims["sub"]),
                office_id=uuid.UUID(claims["office"]),
                role=Role(claims["role"]),
                session_id=uuid.UUID(claims["sid"]),
            )
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
        return f"{office_id.hex}.{secret}", cls(office_id, _digest(secret))

    @classmethod
    def parse(cls, token: str) -> OpaqueToken:
        office, _, secret = token.partition(".")
        try:
            office_id = uuid.UUID(hex=office)
        except ValueError as error:
            raise InvalidToken("malformed token") from error
        if len(secret) < 32:
            raise InvalidToken("malformed token")
        return cls(office_id, _digest(secret))


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()
