"""Trusted documents: the operations an app ships, known by their SHA-256.

An app's build writes its operations into a manifest; the office puts it in
``CAUSA_TRUSTED_DOCUMENTS`` as ``<client_id>.json`` (the OAuth client the app signs in
as). Two manifest shapes are read: a JSON object of hash → document (graphql-codegen's
client preset, Relay's persisted output with SHA-256) and Apollo's persisted query
manifest (``{"format": "apollo-persisted-query-manifest", "operations": [{"id",
"body"}, …]}``). Every hash is checked against its document when Causa starts: a
manifest that lies stops the start with the file and hash named.

A request may then send the hash alone, in the shape of Apollo's automatic persisted
queries (``"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "…"}}``); Causa
never stores a document it is sent (there is no registration), so an unknown hash is
``PERSISTED_QUERY_NOT_FOUND`` and the app may send the document in full. With
``CAUSA_CLIENT_TRUSTED_DOCUMENTS_ONLY``, a client (portal user) may send nothing else:
a document outside their app's manifest is ``PERSISTED_QUERY_ONLY``, whether sent in
full or by hash.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphql import GraphQLError, parse

from settings import ConfigurationError

SHA256 = re.compile(r"[0-9a-f]{64}")
APOLLO_FORMAT = "apollo-persisted-query-manifest"


class Refused(Exception):
    """The request's trusted-document part cannot be served; ``code`` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def digest(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


@dataclass(frozen=True)
class Manifests:
    """Each app's trusted documents, by OAuth client id, then by hash."""

    by_client: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, folder: Path | None) -> Manifests:
        if folder is None:
            return cls()
        if not folder.is_dir():
            raise ConfigurationError(f"CAUSA_TRUSTED_DOCUMENTS: {folder} is not a folder.")
        return cls({path.stem: _read(path) for path in sorted(folder.glob("*.json"))})

    def documents(self) -> Iterator[str]:
        for documents in self.by_client.values():
            yield from documents.values()

    def resolve(self, body: dict[str, Any], client_id: str, *, only_trusted: bool) -> bool:
        """Put the document that the body's hash names into ``body["query"]``; say
        whether the body changed. Refused when the hash is unknown to the client's app,
        does not match the document sent with it, or (``only_trusted``) when the
        document is not one of the app's."""
        extensions = body.get("extensions")
        if not isinstance(extensions, dict):
            extensions = {}
        persisted = extensions.get("persistedQuery")
        trusted = self.by_client.get(client_id, {})
        if persisted is None:
            query = body.get("query")
            if only_trusted and not (isinstance(query, str) and digest(query) in trusted):
                raise Refused("PERSISTED_QUERY_ONLY", ONLY_TRUSTED)
            return False
        wanted = _hash_of(persisted)
        query = body.get("query")
        if query is not None:
            if not isinstance(query, str) or digest(query) != wanted:
                raise Refused("BAD_USER_INPUT", "sha256Hash is not the SHA-256 of the query sent.")
            if only_trusted and wanted not in trusted:
                raise Refused("PERSISTED_QUERY_ONLY", ONLY_TRUSTED)
        elif wanted not in trusted:
            raise Refused("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")
        body["query"] = trusted.get(wanted, query)
        rest = {k: v for k, v in extensions.items() if k != "persistedQuery"}
        if rest:
            body["extensions"] = rest
        else:
            body.pop("extensions")
        return True


ONLY_TRUSTED = (
    "This office takes only its apps' trusted documents from clients: send "
    "extensions.persistedQuery.sha256Hash of an operation in your app's manifest."
)


def _hash_of(persisted: object) -> str:
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise Refused(
            "BAD_USER_INPUT", "extensions.persistedQuery must be {version: 1, sha256Hash}."
        )
    wanted = persisted.get("sha256Hash")
    if not isinstance(wanted, str) or not SHA256.fullmatch(wanted):
        raise Refused("BAD_USER_INPUT", "sha256Hash must be 64 lowercase hexadecimal digits.")
    return wanted


def _read(path: Path) -> dict[str, str]:
    """The manifest's hash → document, each checked."""
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeError, ValueError) as error:
        raise ConfigurationError(f"{path}: not a readable JSON manifest ({error}).") from None
    if isinstance(value, dict) and value.get("format") == APOLLO_FORMAT:
        operations = value.get("operations")
        if not isinstance(operations, list) or not all(isinstance(o, dict) for o in operations):
            raise ConfigurationError(f"{path}: an Apollo manifest needs a list of operations.")
        value = {o.get("id"): o.get("body") for o in operations}
    if not isinstance(value, dict):
        raise ConfigurationError(f"{path}: a manifest is a JSON object of hash → document.")
    for key, document in value.items():
        if not isinstance(key, str) or not SHA256.fullmatch(key):
            raise ConfigurationError(f"{path}: {key!r} is not a SHA-256 in lowercase hex.")
        if not isinstance(document, str) or digest(document) != key:
            raise ConfigurationError(f"{path}: {key} is not the SHA-256 of its document.")
        try:
            parse(document)
        except GraphQLError as error:
            raise ConfigurationError(f"{path}: {key} does not parse: {error.message}") from None
    return value
