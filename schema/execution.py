"""How operations execute: each mutation field is one savepoint, over its whole answer."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLObjectType
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from db.session import Db


class OneSavepointPerMutation(StrawberryGraphQLCoreExecutionContext):
    """A mutation lands only if its answer reaches the client.

    Each mutation field's savepoint spans its resolver and the resolution of its
    selection, so an error anywhere in what the client asked back (a bad argument of a
    nested field, say) undoes the write: the client, which got no id, can retry without
    a duplicate. And when an error nulls the whole answer (``data: null``, as a failed
    non-null mutation field does), the writes of the fields before it go too, for their
    answers are lost as well.
    """

    def execute_fields_serially(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        fields = (parent_type, source_value, path, grouped_field_set, position_context)
        return self._whole_answer(fields)

    async def _whole_answer(self, fields: tuple[GraphQLObjectType, Any, Any, Any, Any]) -> Any:
        db: Db = self.context_value.db
        async with db.atomic():  # rolled back by an error that reaches the root
            result = super().execute_fields_serially(*fields)
            if self.is_awaitable(result):
                result = await result
        return result

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
    ) -> Any:
        field = (parent_type, source, field_details_list, path, position_context)
        if path.prev is not None or parent_type is not self.schema.mutation_type:
            return super().execute_field(*field)
        return self._atomically(field)

    async def _atomically(self, field: tuple[GraphQLObjectType, Any, Any, Path, Any]) -> Any:
        db: Db = self.context_value.db
        self.context_value.forget_loaded()
        errors = self.collected_errors.errors
        before = len(errors)
        async with db.atomic() as savepoint:
            result = super().execute_field(*field)
            if self.is_awaitable(result):
                result = await result
            if len(errors) > before:
                savepoint.discard()
        return result
