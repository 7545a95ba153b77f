"""What an uploaded file's bytes say it is, and the name kept for it."""

from __future__ import annotations

import io
import zipfile

import pytest

from db.errors import InvalidValue
from db.files import clean_file_name, content_type


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("head", "name", "expected"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "a.bin", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "scan.pdf", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "foto.jpg", "image/jpeg"),
        (
            _docx(),
            "minuta.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("Procuração ad judicia\n".encode(), "nota.txt", "text/plain"),
    ],
)
def test_the_type_comes_from_the_bytes(head: bytes, name: str, expected: str) -> None:
    assert content_type(head, file_name=name) == expected


@pytest.mark.parametrize(
    "head",
    [
        b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 60,  # a Linux program
        b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 60,  # a Windows program
        b"\x00\x01\x02\x03\xfe\xff binary",
    ],
)
def test_programs_and_unknown_binaries_are_refused(head: bytes) -> None:
    with pytest.raises(InvalidValue) as refused:
        content_type(head, file_name="contrato.pdf")
    assert refused.value.field == "file"


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


@pytest.mark.parametrize("name", ["../x.pdf", "a/b.pdf", "a\\b.pdf", "..", "a\x00b.pdf", "a\x1bb"])
def test_paths_and_control_characters_are_refused(name: str) -> None:
    with pytest.raises(InvalidValue):
        clean_file_name(name)
