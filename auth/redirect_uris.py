"""Redirect URIs of OAuth clients: which may be registered (OAuth 2.1 §2.3.1, RFC 8252
§7) and when a requested one matches a registered one."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from domain.errors import InvalidValue

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
# RFC 8252 §7.1: a private-use scheme is a reverse domain name the app's owner controls,
# so it has at least one dot (com.example.app:/callback).
PRIVATE_USE_SCHEME = re.compile(r"^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$")
MAX_LENGTH = 2_000


def checked(uri: str, *, field: str = "redirectUris") -> str:
    """``uri`` if an app may register it: https; http only on a loopback address; or a
    private-use reverse-domain scheme; never a fragment. Else InvalidValue."""
    if not uri or len(uri) > MAX_LENGTH or not uri.isprintable() or " " in uri:
        raise InvalidValue(field, f"{uri!r} is not a URI.")
    if "#" in uri:
        raise InvalidValue(field, f"{uri} has a fragment (#): a redirect URI may not.")
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        raise InvalidValue(field, f"{uri!r} is not a URI.") from None
    scheme = parts.scheme
    if scheme == "https":
        if not parts.hostname:
            raise InvalidValue(field, f"{uri} has no host.")
    elif scheme == "http":
        if parts.hostname not in LOOPBACK_HOSTS:
            raise InvalidValue(
                field,
                f"{uri}: http is only for a loopback address (127.0.0.1, [::1], localhost); "
                "use https.",
            )
    elif not PRIVATE_USE_SCHEME.match(scheme):
        raise InvalidValue(
            field,
            f"{uri}: use https, http on a loopback address, or a private-use scheme named "
            "after a domain of yours in reverse (com.example.app:/callback).",
        )
    return uri


def is_loopback(uri: str) -> bool:
    try:
        parts = urlsplit(uri)
        host = parts.hostname or ""
    except ValueError:
        return False
    if parts.scheme != "http":
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def matches(registered: str, requested: str) -> bool:
    """Exactly equal; or, on a loopback address, equal but for the port (RFC 8252
    §7.3: a native app listens on whichever port the system gives it)."""
    if registered == requested:
        return True
    if not (is_loopback(registered) and is_loopback(requested)):
        return False
    mine, theirs = urlsplit(registered), urlsplit(requested)
    try:
        theirs.port  # noqa: B018
    except ValueError:
        return False
    same = (mine.hostname, mine.path, mine.query) == (theirs.hostname, theirs.path, theirs.query)
    return same and theirs.username is None and not theirs.fragment
