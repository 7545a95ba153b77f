"""Document downloads: short-lived signed URLs, bound to the viewer's session.

``/documents/{id}?token=<office>.<account>.<session>.<role>.<expires>.<signature>``.
The signature (HMAC-SHA256 under a key derived from the secret key) covers the
document and every other part, so a URL cannot be moved to another document, viewer
or time. Serving checks it, then that the session is still live and the document is
in the viewer's scope, as any GraphQL request would.
"""

from __future__ import annotations

import base64
import hmac
import time
import uuid
from dataclasses import dataclass

from auth.tokens import AccessClaims, InvalidToken
from domain.viewer import Role, Viewer


@dataclass(frozen=True, slots=True)
class DownloadLinks:
    key: bytes
    ttl: int
    base_url: str

    @classmethod
    def derive(cls, secret: bytes, *, ttl: int, base_url: str) -> DownloadLinks:
        return cls(hmac.new(secret, b"causa document downloads", "sha256").digest(), ttl, base_url)

    def _signature(self, document_id: uuid.UUID, fields: str) -> str:
        mac = hmac.new(self.key, f"{document_id.hex}.{fields}".encode(), "sha256").digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def url(self, viewer: Viewer, document_id: uuid.UUID) -> str:
        expires = int(time.time()) + self.ttl
        fields = ".".join(
            [
                viewer.office_id.hex,
                viewer.account_id.hex,
                viewer.session_id.hex,
                viewer.role.value,
                str(expires),
            ]
        )
        token = f"{fields}.{self._signature(document_id, fields)}"
        return f"{self.base_url}/documents/{document_id}?token={token}"

    def claims(self, document_id: uuid.UUID, token: str) -> AccessClaims:
        """The session a valid, unexpired token names; InvalidToken otherwise."""
        fields, _, signature = token.rpartition(".")
        expected = self._signature(document_id, fields)
        if not hmac.compare_digest(signature.encode(), expected.encode()):
            raise InvalidToken("bad signature")
        try:
            office, account, session, role, expires = fields.split(".")
            if int(expires) < time.time():
                raise InvalidToken("expired")
            return AccessClaims(
                account_id=uuid.UUID(hex=account),
                office_id=uuid.UUID(hex=office),
                role=Role(role),
                session_id=uuid.UUID(hex=session),
            )
        except ValueError as error:
            raise InvalidToken(str(error)) from error


@dataclass(frozen=True, slots=True)
class PreferenceLinks:
    """The link in each e-mail about court news that turns them off (or on again):
    ``/portal/avisos?token=<office>.<account>.<signature>``. It does not expire, as an
    unsubscribe link must not; it can do nothing but set that one choice."""

    key: bytes
    base_url: str

    @classmethod
    def derive(cls, secret: bytes, *, base_url: str) -> PreferenceLinks:
        return cls(hmac.new(secret, b"causa court news preferences", "sha256").digest(), base_url)

    def _signature(self, fields: str) -> str:
        mac = hmac.new(self.key, fields.encode(), "sha256").digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def url(self, office_id: uuid.UUID, account_id: uuid.UUID) -> str:
        fields = f"{office_id.hex}.{account_id.hex}"
        return f"{self.base_url}/portal/avisos?token={fields}.{self._signature(fields)}"

    def account(self, token: str) -> tuple[uuid.UUID, uuid.UUID]:
        """The office and the account a valid token names; InvalidToken otherwise."""
        fields, _, signature = token.rpartition(".")
        if not hmac.compare_digest(signature.encode(), self._signature(fields).encode()):
            raise InvalidToken("bad signature")
        office, _, account = fields.partition(".")
        try:
            return uuid.UUID(hex=office), uuid.UUID(hex=account)
        except ValueError as error:
            raise InvalidToken(str(error)) from error
