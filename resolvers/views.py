"""The schema, defined once, and the two views built from it: staff and client."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import strawberry
from graphql import GraphQLError
from graphql.validation import ASTValidationRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField

from resolvers.mutation import Mutation
from resolvers.query import Query
from schema.directives import is_principal
from schema.errors import ErrorCodes
from schema.execution import OneSavepointPerMutation
from schema.limits import limits_rule
from schema.operations import OneOperationNamed
from schema.scalars import SCALARS
from settings import STAFF_LIMITS, Limits


class Schema(strawberry.Schema):
    """strawberry's schema, less its logging of every error with a traceback: ErrorCodes
    (schema/errors.py) logs a user's error as one line and an unexpected one once."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        return None


class ClientSchema(Schema):
    """The client view: the fields marked ``@principal``, and nothing else."""

    def get_fields(self, type_definition: StrawberryObjectDefinition) -> list[StrawberryField]:
        return [field for field in type_definition.fields if is_principal(field)]


Extension = type[SchemaExtension] | Callable[[], SchemaExtension]
Extensions = Sequence[Extension]


def _extensions(
    limits: Limits, extra: Extensions
) -> list[type[SchemaExtension] | Callable[[], SchemaExtension]]:
    # The rules are made once, so that ValidationCache recognises them request after request.
    # Introspection is left out of the limits' measure: graphql-core's specified rules
    # (MaxIntrospectionDepthRule) refuse nested introspection lists.
    rules: list[type[ASTValidationRule]] = [limits_rule(limits)]
    return [
        ErrorCodes,
        lambda: MaxTokensLimiter(limits.tokens),
        lambda: AddValidationRules(rules),
        ParserCache,
        OneOperationNamed,
        ValidationCache,
        *extra,
    ]


def _config() -> StrawberryConfig:
    # A suggestion ("Did you mean …?") would name a field the client view hides.
    return StrawberryConfig(disable_field_suggestions=True, scalar_map=SCALARS)


def staff_schema(limits: Limits = STAFF_LIMITS, extra: Extensions = ()) -> strawberry.Schema:
    return Schema(
        query=Query,
        mutation=Mutation,
        config=_config(),
        extensions=_extensions(limits, extra),
        execution_context_class=OneSavepointPerMutation,
    )


def client_schema(limits: Limits = STAFF_LIMITS, extra: Extensions = ()) -> strawberry.Schema:
    """No Mutation type at all: a client reads, and only reads."""
    return ClientSchema(
        query=Query, mutation=None, config=_config(), extensions=_extensions(limits, extra)
    )
