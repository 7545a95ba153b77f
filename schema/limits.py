"""What one GraphQL operation may ask for: its depth, its aliases and its cost.

The three are measured in one pass over the document that reads each fragment
definition once, however often it is spread: a fragment's measure is kept and reused,
so that validation costs time linear in the document's size (a chain of fragments each
spreading the previous one twice is read once, not 2ⁿ times). The walk keeps its own
stack, so a long chain of fragments cannot exhaust Python's.

- **Depth**: the most fields with a selection nested in one another (a leaf adds
  nothing); introspection (``__schema``, ``__type``) left out, as before.
- **Aliases**: counted as the operation runs: a fragment's once per spread, except that
  a fragment spread again in the same selection adds nothing (execution merges it).
- **Cost**: an upper bound on the number of values in the answer. Every field costs 1,
  and a field with a selection adds its selection's cost times the items it may hold:
  a connection (a field taking ``first``) its page size, that is ``first`` or ``last`` as written
  (between 0 and the page-size limit), the default page when absent, the page-size
  limit when it is a variable (validation, cached per document, never sees its
  value); a list without pages (``parties``, ``tasks``, ``staffMembers``)
  ``LIST_FACTOR`` items; the list inside a page (``edges``) 1, its items being the page
  already counted. Sibling fields add up, aliases included; introspection counts a
  fixed ``INTROSPECTION_COST`` (graphql-core's MaxIntrospectionDepthRule bounds its
  depth). A long text field counts one value per ``TEXT_UNIT`` characters it may hold
  (``TEXT_WEIGHTS``), so that the limit bounds the answer's size too: 100 cases'
  internal notes are not 100 values.

Fragment cycles and unknown fragments add nothing here: the specified rules
(NoFragmentCycles, KnownFragmentNames) refuse them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    NullValueNode,
    OperationDefinitionNode,
    SelectionNode,
    ValueNode,
    get_named_type,
)
from graphql.language import SKIP, VisitorAction
from graphql.validation import ASTValidationRule, ValidationRule

from db.cases import TEXT_LIMITS as CASE_TEXT
from db.movements import DESCRIPTION_LIMIT as MOVEMENT_DESCRIPTION
from db.persons import TEXT_LIMITS as PERSON_TEXT
from schema.errors import ErrorCode
from schema.pagination import DEFAULT_PAGE_SIZE
from settings import Limits

LIST_FACTOR = 10
"""The items counted for a list without pages, such as a case's parties or tasks."""

TEXT_UNIT = 1_000
TEXT_WEIGHTS = {
    (type_name, field_name): -(-max_length // TEXT_UNIT)
    for type_name, field_name, max_length in (
        ("Case", "internalNotes", CASE_TEXT["internal_notes"]),
        ("Case", "feeAgreement", CASE_TEXT["fee_agreement"]),
        ("Person", "notes", PERSON_TEXT["notes"]),
        ("Movement", "description", MOVEMENT_DESCRIPTION),
    )
}
"""Long text fields, by (type, field): the values each counts, one per TEXT_UNIT characters."""

INTROSPECTION_COST = {"__schema": 10_000, "__type": 100}
"""What introspection counts, whatever it selects: the whole schema's description is some
thousands of values (one is all GraphiQL asks for), one type's some dozens."""

MAX_COST = 2**53 - 1  # what a JSON number keeps exactly; a measure never says more

INTROSPECTION = {"__schema": "__Schema", "__type": "__Type"}


@dataclass(frozen=True, slots=True)
class Measure:
    """Of a selection: how deep it nests, how many aliases it holds, what it may cost."""

    depth: int = 0
    aliases: int = 0
    cost: int = 0

    def __add__(self, other: Measure) -> Measure:
        return Measure(
            max(self.depth, other.depth),
            self.aliases + other.aliases,
            min(self.cost + other.cost, MAX_COST),
        )


@dataclass(frozen=True, slots=True)
class _Use:
    """How a field's selection enters the measure of the selection around it."""

    alias: int
    items: int
    introspection: bool

    def around(self, inner: Measure) -> Measure:
        if self.introspection:
            return Measure(0, inner.aliases + self.alias, self.items)
        cost = min(1 + self.items * inner.cost, MAX_COST)
        return Measure(inner.depth + 1, inner.aliases + self.alias, cost)


@dataclass(slots=True)
class _Open:
    """A selection set being measured."""

    selections: Iterator[SelectionNode]
    parent: GraphQLNamedType | None
    use: _Use | None = None  # set for a field's selection
    fragment: str | None = None  # set for a fragment definition's
    total: Measure = field(default_factory=Measure)
    spread: set[str] = field(default_factory=set)  # fragments already spread here


class Measurer:
    """Measures the operations of one document, each fragment once."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode, page_size: int) -> None:
        self.schema = schema
        self.page_size = page_size
        self.page_types = _page_types(schema)
        self.fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        self.measured: dict[str, Measure] = {}
        self.visits = 0  # selections read, for the tests: at most the document's size

    def operation(self, operation: OperationDefinitionNode) -> Measure:
        root = self.schema.get_root_type(operation.operation)
        stack = [_Open(iter(operation.selection_set.selections), root)]
        opened: set[str] = set()  # fragments being measured: a spread of one is a cycle
        while True:
            top = stack[-1]
            selection = next(top.selections, None)
            if selection is None:
                stack.pop()
                done = top.use.around(top.total) if top.use else top.total
                if top.fragment is not None:
                    self.measured[top.fragment] = done
                    opened.discard(top.fragment)
                if not stack:
                    return done
                stack[-1].total += done
                continue
            self.visits += 1
            if isinstance(selection, FieldNode):
                use = self._use(selection, top.parent)
                if selection.selection_set is None:
                    top.total += Measure(0, use.alias, _weight(top.parent, selection))
                else:
                    child = self._field_type(selection, top.parent)
                    stack.append(_Open(iter(selection.selection_set.selections), child, use))
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                parent = self.schema.get_type(condition.name.value) if condition else top.parent
                stack.append(_Open(iter(selection.selection_set.selections), parent))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in top.spread:  # the same values again: execution merges them
                    continue
                top.spread.add(name)
                if name in self.measured:
                    top.total += self.measured[name]
                elif name in self.fragments and name not in opened:
                    opened.add(name)
                    definition = self.fragments[name]
                    parent = self.schema.get_type(definition.type_condition.name.value)
                    selections = iter(definition.selection_set.selections)
                    stack.append(_Open(selections, parent, fragment=name))

    def _use(self, node: FieldNode, parent: GraphQLNamedType | None) -> _Use:
        alias = 1 if node.alias else 0
        if node.name.value.startswith("__"):
            cost = INTROSPECTION_COST.get(node.name.value, 1)
            return _Use(alias, cost, introspection=node.name.value in INTROSPECTION)
        definition = _field(parent, node.name.value)
        if definition is None:  # FieldsOnCorrectType refuses it
            return _Use(alias, 1, introspection=False)
        if "first" in definition.args:
            return _Use(alias, self._page(node), introspection=False)
        listed = definition.type
        if isinstance(listed, GraphQLNonNull):
            listed = listed.of_type
        if isinstance(listed, GraphQLList) and parent is not None:
            items = 1 if parent.name in self.page_types else LIST_FACTOR
            return _Use(alias, items, introspection=False)
        return _Use(alias, 1, introspection=False)

    def _page(self, node: FieldNode) -> int:
        """The items of a page: ``first`` or ``last``, whichever is written (the larger if
        both are: execution refuses them together)."""
        sizes = [
            self._size(argument.value)
            for argument in node.arguments or ()
            if argument.name.value in {"first", "last"}
            and not isinstance(argument.value, NullValueNode)
        ]
        return max(sizes, default=min(DEFAULT_PAGE_SIZE, self.page_size))

    def _size(self, value: ValueNode) -> int:
        if isinstance(value, IntValueNode):
            try:
                return min(max(int(value.value), 0), self.page_size)
            except ValueError:  # more digits than Python converts
                return self.page_size
        return self.page_size  # a variable: its value is not known before execution

    def _field_type(
        self, node: FieldNode, parent: GraphQLNamedType | None
    ) -> GraphQLNamedType | None:
        definition = _field(parent, node.name.value)
        if definition is not None:
            return get_named_type(definition.type)
        return self.schema.get_type(INTROSPECTION.get(node.name.value, ""))


def _weight(parent: GraphQLNamedType | None, node: FieldNode) -> int:
    if parent is None:
        return 1
    return TEXT_WEIGHTS.get((parent.name, node.name.value), 1)


def _field(parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        found: GraphQLField | None = parent.fields.get(name)
        return found
    return None


@lru_cache(maxsize=8)
def _page_types(schema: GraphQLSchema) -> frozenset[str]:
    """The types that a field taking ``first`` answers: their lists are the page."""
    return frozenset(
        get_named_type(definition.type).name
        for graphql_type in schema.type_map.values()
        if isinstance(graphql_type, GraphQLObjectType | GraphQLInterfaceType)
        for definition in graphql_type.fields.values()
        if "first" in definition.args
    )


def limits_rule(limits: Limits) -> type[ASTValidationRule]:
    """The rule that refuses operations past ``limits``; make it once per schema, so that
    the validation cache, keyed by the rules, recognises it request after request."""

    class QueryLimits(ValidationRule):
        def enter_document(self, node: DocumentNode, *_args: Any) -> VisitorAction:
            measurer = Measurer(self.context.schema, node, limits.page_size)
            for definition in node.definitions:
                if isinstance(definition, OperationDefinitionNode):
                    for error in _refusals(definition, measurer.operation(definition), limits):
                        self.report_error(error)
            return SKIP

    return QueryLimits


def _refusals(
    operation: OperationDefinitionNode, measure: Measure, limits: Limits
) -> Iterator[GraphQLError]:
    name = operation.name.value if operation.name else "anonymous"
    if measure.depth > limits.depth:
        yield GraphQLError(
            f"'{name}' exceeds maximum operation depth of {limits.depth}: "
            f"it is {measure.depth} deep.",
            operation,
        )
    if measure.aliases > limits.aliases:
        yield GraphQLError(f"{measure.aliases} aliases found. Allowed: {limits.aliases}", operation)
    if measure.cost > limits.cost:
        yield GraphQLError(
            f"'{name}' may cost {measure.cost}, past the limit of {limits.cost}: ask for "
            "smaller pages (first) or fewer nested lists.",
            operation,
            extensions={
                "code": ErrorCode.QUERY_TOO_COSTLY.value,
                "cost": measure.cost,
                "limit": limits.cost,
            },
        )
