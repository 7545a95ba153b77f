"""The schema, defined once, and the views built from it."""

from __future__ import annotations

import strawberry
from strawberry.extensions import ParserCache, QueryDepthLimiter, ValidationCache
from strawberry.schema.config import StrawberryConfig

from resolvers.mutation import Mutation
from resolvers.query import Query
from schema.errors import ErrorCodes


def staff_schema(*, max_depth: int = 12) -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        config=StrawberryConfig(disable_field_suggestions=True),
        extensions=[
            ErrorCodes,
            lambda: QueryDepthLimiter(max_depth=max_depth),
            ParserCache,
            ValidationCache,
        ],
    )
