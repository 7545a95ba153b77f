"""Checks on uploaded files: what their bytes say they are, and a safe name to keep."""

from __future__ import annotations

import io
import re
import struct
import unicodedata
import zipfile
from typing import IO

import puremagic

from db.errors import InvalidValue
from db.validators import refuse_hidden_characters

SNIFF_BYTES = 8192
# Types told by their first bytes. Office files are ZIP archives, told apart by what they hold.
SNIFFED_TYPES = frozenset(
    {
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/tiff",
        "image/webp",
        "application/rtf",
        "text/plain",
    }
)
OOXML_TYPES = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
ODF_TYPES = frozenset(
    {
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
    }
)
ALLOWED_TYPES = SNIFFED_TYPES | frozenset(OOXML_TYPES.values()) | ODF_TYPES
# The extensions a name may end in for each type (the first is added to a name with none),
# and what the type is called in a message. Plain text keeps to data and notes: a script
# (.cmd, .bat, .vbs, .js, .ps1, .sh, .hta, …) is text too, and runs when opened.
EXTENSIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "application/pdf": ((".pdf",), "a PDF"),
    "image/png": ((".png",), "a PNG image"),
    "image/jpeg": ((".jpg", ".jpeg"), "a JPEG image"),
    "image/gif": ((".gif",), "a GIF image"),
    "image/tiff": ((".tif", ".tiff"), "a TIFF image"),
    "image/webp": ((".webp",), "a WebP image"),
    "application/rtf": ((".rtf",), "an RTF document"),
    "text/plain": ((".txt", ".csv", ".tsv", ".md", ".log"), "plain text"),
    OOXML_TYPES["word/"]: ((".docx",), "a Word document"),
    OOXML_TYPES["xl/"]: ((".xlsx",), "an Excel spreadsheet"),
    OOXML_TYPES["ppt/"]: ((".pptx",), "a PowerPoint presentation"),
    "application/vnd.oasis.opendocument.text": ((".odt",), "an OpenDocument text"),
    "application/vnd.oasis.opendocument.spreadsheet": ((".ods",), "an OpenDocument spreadsheet"),
    "application/vnd.oasis.opendocument.presentation": (
        (".odp",),
        "an OpenDocument presentation",
    ),
}
MAX_NAME_LENGTH = 200
MIN_CONFIDENCE = 0.3
# A ZIP's table of contents is parsed whole; a real office file's is a few kilobytes.
MAX_ZIP_DIRECTORY_BYTES = 1 << 20
MAX_ODF_MIMETYPE_BYTES = 100
_ZIP_STARTS = (b"PK\x03\x04", b"PK\x05\x06")
_ZIP_END = b"PK\x05\x06"
_RESERVED = re.compile(r'[<>:"|?*]')

# The ZIP end records (APPNOTE 4.3.16, 4.3.15, 4.3.14), found the way zipfile finds them.
_END = struct.Struct("<4s4H2LH")
_END64_LOCATOR = struct.Struct("<4sLQL")
_END64 = struct.Struct("<4sQ2H2L4Q")
_MAX_COMMENT = 0xFFFF
_ENCRYPTED = 0x1  # general purpose bit 0


def content_type(file: IO[bytes], *, file_name: str) -> str:
    """The type the file's bytes show (the name only breaks ties); refused if not a kind
    of document an office keeps. Reads from the start; leaves the position anywhere."""
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    if head.lstrip(b"\xef\xbb\xbf").startswith(b"#!"):
        raise InvalidValue("file", "Scripts are not accepted: the file starts with “#!”.")
    if head.startswith(_ZIP_STARTS):
        return _archive_type(file)
    if _ends_in_archive(file):
        raise InvalidValue(
            "file",
            "The file carries an archive inside: a ZIP (or JAR) is appended to its content.",
        )
    try:
        found = puremagic.magic_string(head, filename=file_name)
    except puremagic.PureError:
        found = []
    # Below this, puremagic is guessing from the name's extension alone.
    matches = [match for match in found if match.confidence >= MIN_CONFIDENCE]
    for match in sorted(matches, key=lambda m: -m.confidence):
        if match.mime_type in SNIFFED_TYPES:
            return str(match.mime_type)
    if matches:
        kind = matches[0].mime_type or matches[0].name
        raise InvalidValue("file", f"Files of this kind are not accepted: {kind}.")
    if head and b"\x00" not in head and _is_text(head):
        return "text/plain"
    raise InvalidValue("file", "The file's contents are not of a known document type.")


def _ends_in_archive(file: IO[bytes]) -> bool:
    """Whether the file's tail holds a ZIP end record, as a PDF or PNG with a JAR appended
    does (``java -jar`` runs it). A ZIP reader looks for that record only within the last
    64 KiB and 22 bytes, so that is all that is read."""
    file.seek(0, io.SEEK_END)
    file.seek(max(0, file.tell() - (_END.size + _MAX_COMMENT)))
    return _ZIP_END in file.read()


def _is_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as cut:
        return cut.start >= len(head) - 3  # a character split at the end of the sample
    return True


def _archive_type(file: IO[bytes]) -> str:
    """An OOXML or ODF document, told by the members a ZIP lists; nothing is unpacked but
    an ODF file's first member, ``mimetype``, which the format keeps small and uncompressed."""
    if _directory_size(file) > MAX_ZIP_DIRECTORY_BYTES:
        raise _refused("a ZIP archive listing too many files")
    try:
        with zipfile.ZipFile(file) as archive:
            members = archive.infolist()
            encrypted = any(member.flag_bits & _ENCRYPTED for member in members)
            first = members[0] if members and not encrypted else None
            mimetype = (
                archive.read(first)
                if first is not None and first.filename == "mimetype" and _small_stored(first)
                else None
            )
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as broken:
        # ValueError also stands for an undecodable member name, NotImplementedError for
        # an unknown compression method.
        raise _damaged() from broken
    names = {member.filename for member in members}
    folded = {name.casefold() for name in names}
    if encrypted:
        raise _refused("an encrypted ZIP archive")
    if "meta-inf/manifest.mf" in folded or any(name.endswith(".class") for name in folded):
        raise _refused("a Java archive (JAR)")
    if any(name.endswith("vbaproject.bin") for name in folded):
        raise _refused("an Office document with macros")
    if mimetype is not None:
        return _odf_type(mimetype, names)
    if "[Content_Types].xml" in names:
        for folder, media_type in OOXML_TYPES.items():
            if any(name.startswith(folder) for name in names):
                return media_type
    raise _refused("a ZIP archive that is not an Office (OOXML) or OpenDocument file")


def _small_stored(member: zipfile.ZipInfo) -> bool:
    return (
        member.compress_type == zipfile.ZIP_STORED
        and member.file_size <= MAX_ODF_MIMETYPE_BYTES
        and member.compress_size <= MAX_ODF_MIMETYPE_BYTES
    )


def _odf_type(mimetype: bytes, names: set[str]) -> str:
    try:
        media_type = mimetype.decode("ascii").strip()
    except UnicodeDecodeError:
        raise _damaged() from None
    if media_type not in ODF_TYPES or "META-INF/manifest.xml" not in names:
        shown = media_type if media_type.isprintable() else "an unknown kind"
        raise _refused(f"an OpenDocument or ZIP file of type {shown[:80]}")
    return media_type


def _directory_size(file: IO[bytes]) -> int:
    """The size of a ZIP's central directory, as the end records that zipfile also
    trusts give it, so that a directory of millions of entries is never parsed."""
    file.seek(0, io.SEEK_END)
    length = file.tell()
    start = max(0, length - (_END.size + _MAX_COMMENT + _END64_LOCATOR.size + _END64.size))
    file.seek(start)
    tail = file.read()
    end = tail.rfind(b"PK\x05\x06")
    if end < 0 or len(tail) - end < _END.size:
        raise _damaged()
    size: int = _END.unpack_from(tail, end)[5]
    locator = end - _END64_LOCATOR.size
    record = locator - _END64.size
    zip64 = record >= 0 and tail.startswith(b"PK\x06\x07", locator)
    if zip64 and tail.startswith(b"PK\x06\x06", record):
        size = _END64.unpack_from(tail, record)[8]
    return size


def _refused(kind: str) -> InvalidValue:
    return InvalidValue("file", f"Files of this kind are not accepted: {kind}.")


def _damaged() -> InvalidValue:
    return InvalidValue(
        "file", "The file is a damaged ZIP archive (or an Office file) that cannot be read."
    )


def stored_name(file_name: str, media_type: str) -> str:
    """The name to keep for a file whose bytes are ``media_type``: its extension must be
    one of that type's; a name without one gets the type's usual extension."""
    extensions, kind = EXTENSIONS[media_type]
    _, dot, extension = file_name.rpartition(".")
    if not dot:
        return file_name[: MAX_NAME_LENGTH - len(extensions[0])] + extensions[0]
    extension = f".{extension.casefold()}"
    if extension not in extensions:
        raise InvalidValue(
            "file",
            f"The file's name ends in {extension[:12]} but its content is {kind}; "
            f"name it with {_listed(extensions)}.",
        )
    return file_name


def _listed(extensions: tuple[str, ...]) -> str:
    return (
        " or ".join((", ".join(extensions[:-1]), extensions[-1]))
        if extensions[1:]
        else extensions[0]
    )


def clean_file_name(name: str | None) -> str:
    """The name as given, normalised; a path in it (``../x``, ``C:\\x``) is refused."""
    text = unicodedata.normalize("NFC", (name or "").strip())
    if "/" in text or "\\" in text or text in {".", ".."}:
        raise InvalidValue("file", f"The file name must not be a path: {text[:80]!r}.")
    # Windows drops a name's trailing dots and spaces: "a.exe." would be saved as "a.exe".
    text = text.rstrip(". ")
    if not text:
        return "documento"
    refuse_hidden_characters(text, field="file", label="The file name")
    if _RESERVED.search(text):
        raise InvalidValue("file", 'The file name has reserved characters (< > : " | ? *).')
    if len(text) > MAX_NAME_LENGTH:
        stem, dot, extension = text.rpartition(".")
        keep = MAX_NAME_LENGTH - len(dot + extension) if dot and len(extension) <= 10 else 0
        text = stem[:keep] + dot + extension if keep else text[:MAX_NAME_LENGTH]
    return text
