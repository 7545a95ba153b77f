"""Permission classes: the second lock, on every field a client must not reach."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info

from domain.viewer import Role
from schema.errors import ErrorCode


class IsStaff(BasePermission):
    message = "Only the office's staff may do this."
    error_extensions = {"code": ErrorCode.FORBIDDEN.value}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return bool(info.context.viewer.is_staff)


class IsAdmin(BasePermission):
    message = "Only an administrator of the office may do this."
    error_extensions = {"code": ErrorCode.FORBIDDEN.value}

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return bool(info.context.viewer.role == Role.ADMIN)


STAFF_ONLY: list[type[BasePermission]] = [IsStaff]
ADMIN_ONLY: list[type[BasePermission]] = [IsStaff, IsAdmin]
