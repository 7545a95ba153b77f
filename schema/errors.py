"""Error codes carried in ``extensions.code``, and the extension that assigns them."""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from db.engine import unreachable
from domain import log_context
from domain.errors import InvalidValue, Missing

logger = logging.getLogger("causa.graphql")


class ErrorCode(enum.StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
    INTERNAL = "INTERNAL"
    UNAVAILABLE = "UNAVAILABLE"  # HTTP 503: the database cannot serve now; retry


class ErrorCodes(SchemaExtension):
    """Gives every error a code; masks unexpected ones as INTERNAL."""

    def on_validate(self) -> Iterator[None]:
        yield
        for error in self.execution_context.pre_execution_errors or ():
            code = ErrorCode.GRAPHQL_VALIDATION_FAILED.value
            error.extensions = {"code": code, **(error.extensions or {})}

    def on_operation(self) -> Iterator[None]:
        try:
            yield
        except GraphQLError as error:  # a syntax error, raised from ParserCache's on_parse
            if self.execution_context.graphql_document is None:
                code = ErrorCode.GRAPHQL_PARSE_FAILED.value
                error.extensions = {"code": code, **(error.extensions or {})}
            _log(error)
            raise
        name = self.execution_context.operation_name
        log_context.bind_operation(name, staff=self.execution_context.context.viewer.is_staff)
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        for failed in result.errors:
            if failed.original_error is not None and unreachable(failed.original_error):
                # The whole request fails (503), not one field: see Context.database_error.
                self.execution_context.context.database_error = failed.original_error
        result.errors = [_coded(error) for error in result.errors]
        for coded in result.errors:
            _log(coded)


def _log(error: GraphQLError) -> None:
    """A user's error as one line at INFO, with its code and where, not its message (which
    may quote what was sent). An unexpected one was logged with its traceback where it
    was masked (``_coded``)."""
    extensions = error.extensions or {}
    code = extensions.get("code")
    if code == ErrorCode.INTERNAL.value:
        return
    path = ".".join(str(step) for step in error.path or ())
    where = {"path": path} if path else {}
    if "field" in extensions:
        where["field"] = str(extensions["field"])
    logger.info("GraphQL error %s", code, extra={"code": code, **where})


def _coded(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if isinstance(original, InvalidValue):
        error.extensions = {"code": ErrorCode.BAD_USER_INPUT.value, "field": original.field}
    elif isinstance(original, Missing):
        error.extensions = {"code": ErrorCode.NOT_FOUND.value, "field": original.field}
    elif "code" in (error.extensions or {}):  # raised with its code, by a permission class say
        pass
    elif original is not None and not (isinstance(original, GraphQLError) and error.path is None):
        logger.error("unexpected error at %s", error.path, exc_info=original)
        return GraphQLError(
            "Internal server error.",
            nodes=error.nodes,
            path=error.path,
            extensions={"code": ErrorCode.INTERNAL.value},
        )
    else:  # raised before execution starts: a bad variable value (wrapping a GraphQLError)
        error.extensions = {**(error.extensions or {}), "code": ErrorCode.BAD_USER_INPUT.value}
        field = _variable_field(error.message)
        if field is not None:
            error.extensions["field"] = field
    return error


# graphql-core names the place of a bad variable value only in its message:
# "Variable '$input' has invalid value at .filedOn: …", "Variable '$input' of required …".
_BAD_VARIABLE = re.compile(r"^Variable '\$(\w+)'(?: has invalid value at ([\w.\[\]]*))?")


def _variable_field(message: str) -> str | None:
    """The input field (or the variable) at fault in a bad variable value's message."""
    found = _BAD_VARIABLE.match(message)
    if found is None:
        return None
    names = re.findall(r"\w+", found.group(2) or "")
    named = [name for name in names if not name.isdigit()]
    return named[-1] if named else found.group(1)
