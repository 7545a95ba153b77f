"""What the compiled read path keeps per process: compiled plans, stored answers, and
how many reads each way answered (endpoints/answers.py uses them)."""

from __future__ import annotations

import time
from collections import Counter, OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from graphql import OperationDefinitionNode, parse

from db.activity import Visit
from domain.viewer import Role
from schema.compiled import Compiler, Plan

PLANS = 512  # documents kept compiled, per process


@dataclass(frozen=True, slots=True)
class Stored:
    version: int
    body: bytes
    expires: float  # the download links it holds are signed for a while only
    visits: tuple[Visit, ...] = ()  # what the access log records of a client's read


class AnswerCache:
    """Answers by key, least recently used first out, within ``max_bytes``."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[tuple[Any, ...], Stored] = OrderedDict()

    def clear(self) -> None:
        self._entries.clear()
        self.size = 0

    def __contains__(self, key: tuple[Any, ...]) -> bool:
        return key in self._entries

    def get(self, key: tuple[Any, ...], version: int) -> bytes | None:
        stored = self.entry(key, version)
        return None if stored is None else stored.body

    def entry(self, key: tuple[Any, ...], version: int) -> Stored | None:
        """The answer stored for ``key`` while still right at ``version``, or None."""
        stored = self._entries.get(key)
        if stored is None:
            return None
        if stored.version != version or stored.expires < time.monotonic():
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return stored

    def put(self, key: tuple[Any, ...], stored: Stored) -> None:
        if _weight(key, stored) > self.max_bytes // 8:  # one never crowds out the rest
            return
        if key in self._entries:
            self._drop(key)
        self._entries[key] = stored
        self.size += _weight(key, stored)
        while self.size > self.max_bytes:
            self._drop(next(iter(self._entries)))

    def _drop(self, key: tuple[Any, ...]) -> None:
        self.size -= _weight(key, self._entries.pop(key))


def _weight(key: tuple[Any, ...], stored: Stored) -> int:
    """What an entry holds: its answer, and its key's document and variables."""
    return len(stored.body) + sum(len(part) for part in key if isinstance(part, str))


@dataclass
class Reads:
    """What the compiled path keeps per process: plans, answers and its counts."""

    compilers: dict[Role, Compiler]
    page_sizes: dict[Role, int]
    cache: AnswerCache | None
    counts: Counter[str] = field(default_factory=Counter)
    _plans: OrderedDict[tuple[Role, str, str | None], Plan | None] = field(
        default_factory=OrderedDict
    )

    def values(
        self, plan: Plan, variables: dict[str, Any] | None, role: Role
    ) -> dict[str, Any] | None:
        return plan.values(variables, self.page_sizes[role])

    def clear(self) -> None:
        """Forget every plan and stored answer (the compiled path starts over)."""
        self._plans.clear()
        if self.cache is not None:
            self.cache.clear()

    def forget(self, role: Role, query: str, operation_name: str | None) -> None:
        """Send this document to the executor from now on."""
        self._plans[role, query, operation_name] = None

    def prepare(self, documents: Iterable[str]) -> None:
        """Plan each of ``documents`` (the apps' trusted ones) for every role, each of
        its operations, so that their first reads are as fast as any later one."""
        for document in documents:
            operations = [
                definition.name.value if definition.name else None
                for definition in parse(document).definitions
                if isinstance(definition, OperationDefinitionNode)
            ]
            # one operation may be asked for by its name or without it
            names = {*operations, None} if len(operations) == 1 else set(operations)
            for role in self.compilers:
                for name in names:
                    self.plan(role, document, name)

    def plan(self, role: Role, query: str, operation_name: str | None) -> Plan | None:
        key = (role, query, operation_name)
        if key in self._plans:
            self._plans.move_to_end(key)
            return self._plans[key]
        plan = self.compilers[role].plan(query, operation_name)
        self._plans[key] = plan
        if len(self._plans) > PLANS:
            self._plans.popitem(last=False)
        return plan
