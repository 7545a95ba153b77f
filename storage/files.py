"""Checks on uploaded files: what their bytes say they are, and a safe name to keep."""

from __future__ import annotations

import codecs
import io
import re
import struct
import unicodedata
import zipfile
from typing import IO

import puremagic

from domain.errors import InvalidValue
from domain.validators import refuse_hidden_characters

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
# An OOXML file's list of content types; a real one is a few kilobytes.
MAX_CONTENT_TYPES_BYTES = 1 << 20
# Content types of parts that run: VBA projects and their data, macro-enabled main parts
# (docm, xlsm, pptm), ActiveX controls. Matched in lower case within the list.
_MACRO_TYPES = (
    b"application/vnd.ms-office.vbaproject",
    b"vbadata",
    b"macroenabled",
    b"activex",
)
# Where an OpenDocument file keeps its macros (LibreOffice Basic, and Python or other
# scripts).
_ODF_MACROS = ("basic/", "scripts/")
_ZIP_STARTS = (b"PK\x03\x04", b"PK\x05\x06")
_ZIP_END = b"PK\x05\x06"
_RESERVED = re.compile(r'[<>:"|?*]')
# Names Windows keeps for devices, whatever extension follows: "CON.pdf" opens the console.
_DEVICE = re.compile(r"(CON|PRN|AUX|NUL|COM[1-9¹²³]|LPT[1-9¹²³]) *(\..*)?", re.IGNORECASE)
# What may follow a file's end: a little padding of the PDF spec's white-space characters
# (ISO 32000-1, 7.2.2), which some writers leave; anything else there is a payload that
# the format's own readers skip and an archive tool opens (a RAR, 7z, gzip or ZIP).
MAX_PADDING = 1024
_PADDING = b"\x00\t\n\x0c\r "
_CHUNK = 1 << 16
_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"  # its length, type and (fixed) checksum
# How each format with a clear end ends: the last of these bytes (an incremental update
# appends a section that ends in its own "%%EOF"). A JPEG is not held to its end: phones
# store a motion photo's video or their own records after the picture, and a ZIP carried
# there is still found by its end record.
_LAST_MARKER = {
    "application/pdf": (b"%%EOF", "its last “%%EOF”"),
    "image/gif": (b"\x3b", "the byte 3B"),
    "application/rtf": (b"}", "“}”"),
}

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
            media_type = str(match.mime_type)
            _refuse_data_after_end(file, media_type)
            return media_type
    if matches:
        kind = matches[0].mime_type or matches[0].name
        raise InvalidValue("file", f"Files of this kind are not accepted: {kind}.")
    if head and b"\x00" not in head and _is_text(head):
        _refuse_data_after_end(file, "text/plain")
        return "text/plain"
    raise InvalidValue("file", "The file's contents are not of a known document type.")


def _refuse_data_after_end(file: IO[bytes], media_type: str) -> None:
    """Refuse bytes after the end the format marks (beyond a little padding): a PDF, an
    image or a text with a RAR, 7z, gzip or ZIP behind it is a file an archive tool opens.
    Only the tail is read, or one pass in chunks; a TIFF has no end to check."""
    file.seek(0, io.SEEK_END)
    size = file.tell()
    kind = EXTENSIONS[media_type][1]
    if media_type == "text/plain":
        _refuse_binary_text(file)
        return
    if media_type == "image/png":
        found = _first(file, _IEND)
        end, marker = (found + len(_IEND) if found >= 0 else -1), "its IEND chunk"
    elif media_type == "image/webp":
        file.seek(4)
        (riff,) = struct.unpack("<L", file.read(4).ljust(4, b"\x00"))
        end, marker = 8 + riff + (riff & 1), "where its RIFF header says"
        if end > size:
            end = -1
    elif media_type in _LAST_MARKER:
        pattern, marker = _LAST_MARKER[media_type]
        found = _last(file, pattern, size)
        end = found + len(pattern) if found >= 0 else -1
    else:
        return
    if end < 0:
        raise InvalidValue(
            "file", f"The file is incomplete: {kind} ends with {marker}, and it has none."
        )
    after = size - end
    if after == 0:
        return
    file.seek(end)
    if after <= MAX_PADDING and not file.read(MAX_PADDING).strip(_PADDING):
        return
    raise InvalidValue(
        "file", f"The file has data after its end ({after} bytes): {kind} ends with {marker}."
    )


def _refuse_binary_text(file: IO[bytes]) -> None:
    """Plain text is text throughout, not only in the part that was sniffed."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    file.seek(0)
    at = 0
    while chunk := file.read(_CHUNK):
        nul = chunk.find(b"\x00")
        pending = len(decoder.getstate()[0])  # a character's first bytes, from the last chunk
        try:
            decoder.decode(chunk if nul < 0 else chunk[:nul])
        except UnicodeDecodeError as cut:
            raise _binary_in_text(at - pending + cut.start) from None
        if nul >= 0:
            raise _binary_in_text(at + nul)
        at += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise _binary_in_text(at) from None


def _binary_in_text(at: int) -> InvalidValue:
    return InvalidValue(
        "file", f"The file starts as plain text but has binary data from byte {at} on."
    )


def _first(file: IO[bytes], marker: bytes) -> int:
    """Where ``marker`` first occurs, read forward in chunks; -1 if nowhere."""
    start = 0
    while True:
        file.seek(start)
        chunk = file.read(_CHUNK + len(marker) - 1)  # overlaps the next chunk by a marker
        at = chunk.find(marker)
        if at >= 0:
            return start + at
        if len(chunk) < len(marker) or len(chunk) <= _CHUNK:
            return -1
        start += _CHUNK


def _last(file: IO[bytes], marker: bytes, size: int) -> int:
    """Where ``marker`` last occurs, read backward in chunks from the end; -1 if nowhere."""
    end = size
    while end > 0:
        start = max(0, end - _CHUNK)
        file.seek(start)
        at = file.read(end - start + len(marker) - 1).rfind(marker)
        if at >= 0:
            return start + at
        end = start
    return -1


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
            declares_macros = not encrypted and _declares_macros(archive)
    except InvalidValue:
        raise
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
    if any(name.startswith(_ODF_MACROS) for name in folded):
        raise _refused("an OpenDocument file with macros")
    if declares_macros:
        raise _refused("an Office document with macros")
    if mimetype is not None:
        return _odf_type(mimetype, names)
    if "[Content_Types].xml" in names:
        for folder, media_type in OOXML_TYPES.items():
            if any(name.startswith(folder) for name in names):
                return media_type
    raise _refused("a ZIP archive that is not an Office (OOXML) or OpenDocument file")


def _declares_macros(archive: zipfile.ZipFile) -> bool:
    """Whether an OOXML file's ``[Content_Types].xml`` gives a part a macro's or an ActiveX
    control's type, whatever that part is named (``word/m.bin`` runs as well as
    ``word/vbaProject.bin``). Only that small member is unpacked, and only so far."""
    try:
        member = archive.getinfo("[Content_Types].xml")
    except KeyError:
        return False
    if member.file_size > MAX_CONTENT_TYPES_BYTES:
        raise _refused("an Office document whose list of content types is too long")
    with archive.open(member) as opened:
        listed = opened.read(MAX_CONTENT_TYPES_BYTES + 1)
    if len(listed) > MAX_CONTENT_TYPES_BYTES:
        raise _refused("an Office document whose list of content types is too long")
    folded = listed.lower()
    return any(kind in folded for kind in _MACRO_TYPES)


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
    if device := _DEVICE.fullmatch(text):
        raise InvalidValue(
            "file",
            f"The file name starts with {device[1].upper()}, which Windows keeps for a device; "
            "rename it.",
        )
    if len(text) > MAX_NAME_LENGTH:
        stem, dot, extension = text.rpartition(".")
        keep = MAX_NAME_LENGTH - len(dot + extension) if dot and len(extension) <= 10 else 0
        text = stem[:keep] + dot + extension if keep else text[:MAX_NAME_LENGTH]
    return text
