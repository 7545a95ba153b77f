"""``/graphql``: the token checked, the body bounded, then the viewer's view of the schema."""

from __future__ import annotations

import json
from typing import Any, cast

import strawberry
from cross_web import HTTPException as GraphQLHTTPException
from starlette.background import BackgroundTask
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from auth.tokens import AccessClaims, InvalidToken
from db import accounts
from domain import log_context
from domain.viewer import STAFF_ROLES, Role
from endpoints import answers, static
from endpoints.activity import record_read
from endpoints.media import (
    CONTENT_TYPES,
    GRAPHQL_RESPONSE,
    JSON,
    is_json,
    is_request_error,
    negotiate,
    without_data,
)
from endpoints.requests import media_type, read_body
from mail import delivery
from schema.context import Context, State
from schema.errors import ErrorCode
from schema.trusted_documents import Refused

MULTIPART_OVERHEAD = 1024 * 1024  # the operations, the map and the part headers
GET_REFUSED = (
    "Send GraphQL operations with POST. GraphiQL, to explore the API, is this address "
    "opened in a browser (a GET that accepts text/html)."
)
NOT_ACCEPTABLE = f"The answer is {GRAPHQL_RESPONSE} or {JSON}: send an Accept that takes one."


def graphql_error(
    status: int, message: str, code: ErrorCode, media: str = JSON, **headers: str
) -> JSONResponse:
    body = {"errors": [{"message": message, "extensions": {"code": code.value}}]}
    return JSONResponse(body, status_code=status, headers=headers, media_type=CONTENT_TYPES[media])


def unauthenticated(message: str, media: str, error: str | None = None) -> JSONResponse:
    challenge = 'Bearer realm="causa"' + (f', error="{error}"' if error else "")
    return graphql_error(
        401, message, ErrorCode.UNAUTHENTICATED, media, **{"WWW-Authenticate": challenge}
    )


async def graphql(request: Request[State]) -> Response:
    if request.method == "GET":
        if "text/html" in request.headers.get("accept", ""):
            return static.page("graphiql")
        return graphql_error(405, GET_REFUSED, ErrorCode.BAD_USER_INPUT, Allow="POST")
    media = negotiate(request.headers.get("accept"))
    if media is None:
        return graphql_error(406, NOT_ACCEPTABLE, ErrorCode.BAD_USER_INPUT)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return unauthenticated("Sign in: send Authorization: Bearer <access token>.", media)
    try:
        claims = request.state["signer"].read(token.strip())
    except InvalidToken:
        return unauthenticated("The access token is invalid or expired.", media, "invalid_token")
    log_context.bind(
        office_id=str(claims.office_id), account_id=str(claims.account_id), role=claims.role
    )
    ended = "The session has ended; sign in again."
    try:
        refusal = await _check_body(request, claims.role, media)
        if refusal is None:
            refusal = _trusted_document(request, claims, media)
        if refusal is not None:
            return refusal
        reads = request.state["reads"]
        if reads is not None and media_type(request) == "application/json":
            try:
                compiled = await answers.answer(
                    request, reads, claims, await request.body(), CONTENT_TYPES[media]
                )
            except answers.SessionEnded:
                return unauthenticated(ended, media, "invalid_token")
            if compiled is not None:
                return compiled
        if reads is not None:
            reads.counts["executor"] += 1
        async with accounts.checked_transaction(request.state["engine"], claims) as (db, checked):
            if checked is None:
                return unauthenticated(ended, media, "invalid_token")
            viewer = checked.viewer
            # The viewer's role picks the view: a client's has only @principal fields.
            view = request.state["views"][viewer.is_staff]
            context = Context(request, db, viewer)
            response = await view.run(
                cast(Request, request), context=context
            )  # typed for any state
            if context.database_error is not None:
                raise context.database_error
        response.headers["content-type"] = CONTENT_TYPES[media]
        mailer = request.state["mailer"]
        if db.queued_mail and mailer is not None:
            response.background = BackgroundTask(
                delivery.deliver_after_commit, request.state["engine"], mailer, db.queued_mail
            )
        record_read(request, viewer, context.visits)
        return response
    except (GraphQLHTTPException, HTTPException) as error:  # a malformed body
        status = error.status_code
        reason = error.reason if isinstance(error, GraphQLHTTPException) else str(error.detail)
        return graphql_error(status, reason, ErrorCode.BAD_USER_INPUT, media)
    finally:
        await request.close()  # the temporary files of an upload


async def _check_body(request: Request[State], role: Role, media: str) -> Response | None:
    """A refusal when the body is not JSON (nor an upload, from staff) or is too large for
    the viewer, else None.

    An upload (multipart, staff only) is capped by its declared length and spooled to
    temporary files here, before the request takes a database connection: a slow sender
    holds no connection while its bytes arrive. Any other body is read within its limit.
    """
    settings = request.state["settings"]
    uploads = role in STAFF_ROLES
    if uploads and media_type(request) == "multipart/form-data":
        declared = request.headers.get("content-length", "")
        limit = settings.max_upload_bytes + MULTIPART_OVERHEAD
        if not declared.isdigit():
            return graphql_error(
                411, "Send uploads with a Content-Length.", ErrorCode.BAD_USER_INPUT, media
            )
        if int(declared) > limit:
            return graphql_error(
                413,
                f"The upload exceeds the limit of {settings.max_upload_bytes:,} bytes.",
                ErrorCode.BAD_USER_INPUT,
                media,
            )
        await request.form()  # kept by the request, for the GraphQL view to read
        return None
    if not is_json(request.headers.get("content-type", "")):
        accepted = "application/json" + (" (or multipart/form-data, for uploads)" * uploads)
        return graphql_error(
            415, f"Send the operation as {accepted}.", ErrorCode.BAD_USER_INPUT, media
        )
    limits = settings.limits_for(role)
    if await read_body(request, limits.body_bytes) is None:
        return graphql_error(
            413,
            f"The request body exceeds {limits.body_bytes} bytes.",
            ErrorCode.BAD_USER_INPUT,
            media,
        )
    return None


def _trusted_document(request: Request[State], claims: AccessClaims, media: str) -> Response | None:
    """A refusal when the body's trusted-document part cannot be served, else None, with
    a document sent by hash put into the body for the compiled path and the executor."""
    settings = request.state["settings"]
    only = settings.client_trusted_documents_only and claims.role == Role.CLIENT
    body = getattr(request, "_body", b"")  # a multipart upload (staff) has none: left alone
    if not only and b"persistedQuery" not in body:
        return None
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return None  # the executor refuses it, naming what is wrong
    if not isinstance(value, dict):
        return None
    try:
        if request.state["manifests"].resolve(value, claims.client_id, only_trusted=only):
            request._body = json.dumps(value).encode()
    except Refused as refused:
        body = {"errors": [{"message": refused.message, "extensions": {"code": refused.code}}]}
        return JSONResponse(body, status_code=400, media_type=CONTENT_TYPES[media])
    return None


class GraphQLView(GraphQL[Context, None]):
    """Strawberry's HTTP view, answering 400 to any body that is not a GraphQL request."""

    def parse_json(self, data: str | bytes) -> dict[str, Any]:
        """A JSON object (the request, or a multipart upload's operations and map)."""
        try:
            value = json.loads(data)
        except UnicodeDecodeError:
            raise GraphQLHTTPException(400, "The body is not valid UTF-8.") from None
        except RecursionError:
            raise GraphQLHTTPException(400, TOO_DEEP) from None
        except ValueError as error:  # JSONDecodeError, or a number of over 4,300 digits
            raise GraphQLHTTPException(400, f"The body cannot be read as JSON: {error}") from None
        if not isinstance(value, dict):
            raise GraphQLHTTPException(400, REQUEST_SHAPE)
        if _nesting(value) > MAX_JSON_NESTING:
            raise GraphQLHTTPException(400, TOO_DEEP)
        return value

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """Strawberry's shape, without ``data`` for a request error in graphql-response+json."""
        formatted = await super().process_result(request, result)
        if (
            is_request_error(result)
            and negotiate(request.headers.get("accept")) == GRAPHQL_RESPONSE
        ):
            return cast(GraphQLHTTPResponse, without_data(cast(dict[str, Any], formatted)))
        return formatted

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        """A 400 for an answer without ``data`` (an operation that never ran), else a 200."""
        response = super().create_response(response_data, sub_response)
        if isinstance(response_data, dict) and "data" not in response_data:
            response.status_code = 400
        return response

    async def parse_multipart(self, request: Any) -> dict[str, Any]:
        form = (await request.get_form_data()).form
        operations = self.parse_json(_text(form.get("operations"), "operations"))
        files_map = self.parse_json(_text(form.get("map"), "map"))
        return _with_files(operations, files_map, form)


REQUEST_SHAPE = 'Send a JSON object: {"query": "…", "variables": {…}, "operationName": "…"}.'
MAX_JSON_NESTING = 64
TOO_DEEP = f"The JSON nests deeper than {MAX_JSON_NESTING} levels."


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise GraphQLHTTPException(400, f"The multipart field {name!r} is required, as JSON.")
    return value


def _nesting(value: object) -> int:
    """How deeply lists and objects nest in ``value``, counted without recursion."""
    deepest, pending = 0, [(value, 1)]
    while pending and deepest <= MAX_JSON_NESTING:
        item, depth = pending.pop()
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        if children:
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in children)
    return deepest


def _with_files(
    operations: dict[str, Any], files_map: dict[str, Any], form: FormData
) -> dict[str, Any]:
    """The operations with each file put where the map says (the GraphQL multipart
    request spec): ``{"0": ["variables.file"]}`` puts the part named 0 at $file."""
    for part, paths in files_map.items():
        upload = form.get(part)
        if not isinstance(upload, UploadFile):
            raise GraphQLHTTPException(
                400, f"The map names the part {part!r}, which is not a file."
            )
        if not isinstance(paths, list) or not all(isinstance(path, str) for path in paths):
            raise GraphQLHTTPException(400, f"The map's entry {part!r} must be a list of paths.")
        for path in paths:
            _put(operations, path, upload)
    return operations


def _put(operations: dict[str, Any], path: str, upload: UploadFile) -> None:
    *parents, last = path.split(".")
    if parents[:1] != ["variables"]:
        raise GraphQLHTTPException(400, f"The map's path {path!r} must start with 'variables.'.")
    target: Any = operations
    try:
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if isinstance(target, list):
            target[int(last)] = upload
        elif isinstance(target, dict) and last in target:
            target[last] = upload
        else:
            raise KeyError(last)
    except (KeyError, IndexError, ValueError, TypeError):
        raise GraphQLHTTPException(400, f"The map's path {path!r} names no variable.") from None


def view(schema: strawberry.Schema, *, uploads: bool) -> GraphQL[Context, None]:
    # Uploads come with a Bearer token, never a cookie: multipart is no CSRF risk here.
    return GraphQLView(
        schema, graphql_ide=None, allow_queries_via_get=False, multipart_uploads_enabled=uploads
    )


routes = [Route("/graphql", graphql, methods=["GET", "POST"])]
