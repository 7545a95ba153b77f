"""Global ids (Relay's object identification): written for a type and a key, read back
from what a client sent, refused with the argument's name.

A global id is Relay's opaque form, as Strawberry writes it: base64 of ``Type:key``, so
that one id names one object of one type, whatever field it came from. The key is a
row's uuid; for a case party, ``<case uuid>:<person uuid>``; for a person's portal
access, the person's uuid. The compiled read path writes the same text in SQL
(``db.answers.global_id``).
"""

from __future__ import annotations

import base64
import binascii
import uuid

import strawberry

from domain.errors import InvalidValue

MAX_LENGTH = 200  # characters of a global id: the longest key (a case party's) takes 112


def global_id(type_name: str, key: object) -> strawberry.ID:
    return strawberry.ID(base64.b64encode(f"{type_name}:{key}".encode()).decode())


def read_global_id(value: str, *, field: str) -> tuple[str, str]:
    """The type name and the key that ``value`` carries."""
    try:
        if len(value) > MAX_LENGTH:
            raise ValueError
        type_name, separator, key = (
            base64.b64decode(value.encode("ascii"), validate=True).decode().partition(":")
        )
    except (ValueError, binascii.Error, UnicodeError, AttributeError):
        raise InvalidValue(field, f"{field} is not an id given by this API: {value!r}.") from None
    if not separator or not type_name.isidentifier():
        raise InvalidValue(field, f"{field} is not an id given by this API: {value!r}.")
    return type_name, key


def parse_id(value: str, *, field: str, type_name: str) -> uuid.UUID:
    """The uuid of the ``type_name`` that ``value`` names; another type's id is refused."""
    found, key = read_global_id(value, field=field)
    if found != type_name:
        raise InvalidValue(field, f"{field} must be the id of a {type_name}, not of a {found}.")
    return key_uuid(key, field=field, value=value)


def key_uuid(key: str, *, field: str, value: str) -> uuid.UUID:
    try:
        if len(key) != 36:  # uuid.UUID also takes braces, "urn:uuid:" and no hyphens
            raise ValueError
        return uuid.UUID(key)
    except ValueError:
        raise InvalidValue(field, f"{field} is not an id given by this API: {value!r}.") from None
