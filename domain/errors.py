"""Domain errors raised by db/; the GraphQL layer turns them into error codes."""

from __future__ import annotations

from domain.validators import InvalidValue

__all__ = ["InvalidValue", "Missing"]


class Missing(LookupError):
    """An id that names nothing the viewer may see (never says which of the two)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
