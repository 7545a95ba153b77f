"""Checks on uploaded files: what their bytes say they are, and a safe name to keep."""

from __future__ import annotations

import re
import unicodedata

import puremagic

from db.errors import InvalidValue

ALLOWED_TYPES = frozenset(
    {
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/tiff",
        "image/webp",
        "application/rtf",
        "text/plain",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
    }
)
MAX_NAME_LENGTH = 200
MIN_CONFIDENCE = 0.3
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"|?*]')


def content_type(head: bytes, *, file_name: str) -> str:
    """The type the file's first bytes show (the name only breaks ties); refused if not
    a kind of document an office keeps."""
    try:
        found = puremagic.magic_string(head, filename=file_name)
    except puremagic.PureError:
        found = []
    # Below this, puremagic is guessing from the name's extension alone.
    matches = [match for match in found if match.confidence >= MIN_CONFIDENCE]
    for match in sorted(matches, key=lambda m: -m.confidence):
        if match.mime_type in ALLOWED_TYPES:
            return str(match.mime_type)
    if matches:
        kind = matches[0].mime_type or matches[0].name
        raise InvalidValue("file", f"Files of this kind are not accepted: {kind}.")
    if head and b"\x00" not in head and _is_text(head):
        return "text/plain"
    raise InvalidValue("file", "The file's contents are not of a known document type.")


def _is_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as cut:
        return cut.start >= len(head) - 3  # a character split at the end of the sample
    return True


def clean_file_name(name: str | None) -> str:
    """The name as given, normalised; a path in it (``../x``, ``C:\\x``) is refused."""
    text = unicodedata.normalize("NFC", (name or "").strip())
    if not text:
        return "documento"
    if "/" in text or "\\" in text or text in {".", ".."}:
        raise InvalidValue("file", f"The file name must not be a path: {text[:80]!r}.")
    if _UNSAFE.search(text):
        raise InvalidValue("file", "The file name has control or reserved characters.")
    if len(text) > MAX_NAME_LENGTH:
        stem, dot, extension = text.rpartition(".")
        keep = MAX_NAME_LENGTH - len(dot + extension) if dot and len(extension) <= 10 else 0
        text = stem[:keep] + dot + extension if keep else text[:MAX_NAME_LENGTH]
    return text
