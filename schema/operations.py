"""Which operation of a document runs: the named one, or the only one."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import OperationDefinitionNode
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError


class AmbiguousOperation(CannotGetOperationTypeError):
    """A document of several operations sent without ``operationName``.

    Strawberry would run the first; the GraphQL specification (GetOperation) makes it an
    error. As a CannotGetOperationTypeError it is answered like an unknown operation name:
    400, BAD_USER_INPUT.
    """

    def __init__(self, count: int) -> None:
        super().__init__(None)
        self.count = count

    def as_http_error_reason(self) -> str:
        return f"The document has {self.count} operations; name one with operationName."


class OneOperationNamed(SchemaExtension):
    """Refuses a document of several operations when the request names none."""

    def on_parse(self) -> Iterator[None]:
        yield
        context = self.execution_context
        if context.graphql_document is None or context._provided_operation_name is not None:
            return
        count = sum(
            isinstance(definition, OperationDefinitionNode)
            for definition in context.graphql_document.definitions
        )
        if count > 1:
            raise AmbiguousOperation(count)
