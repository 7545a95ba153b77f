"""The compiled read path: a query document becomes one SQL statement (db/answers.py)
that builds the whole ``data`` object in PostgreSQL.

A document is compiled once per view and role (``Compiler.plan``), and only when it is
valid there, by the same rules as the executor's (the view's schema, the limits, the
token cap) and asks for nothing but the fields mapped below; anything else
(introspection, a mutation, an unknown field, ``node``/``nodes``, whose type is the id's
and known only per request) gets ``None`` and goes to the executor.
Per request, the arguments are read by the executor's own functions
(``schema.pagination.window``, ``parse_id``, ``db.search.search_terms``): a value they
refuse sends the request to the executor too, so every error is the executor's own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import sqlalchemy as sa
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLIncludeDirective,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionNode,
    SelectionSetNode,
    VariableNode,
    get_operation_ast,
    parse,
    specified_rules,
    validate,
)
from graphql.execution.values import get_argument_values, get_variable_values
from graphql.utilities import value_from_ast_untyped
from graphql.validation import ASTValidationRule
from sqlalchemy.engine import Dialect

from court.explanations import ASCII_CAPITALS, LOOKUP_JSON
from db import answers
from db import cases as case_queries
from db import persons as person_queries
from db.answers import Json, Page, Relation, Rows
from db.keyset import Order
from db.search import search_terms
from db.search import values as search_values
from domain.errors import InvalidValue
from domain.viewer import STAFF_ROLES, Role
from schema.ids import parse_id
from schema.pagination import window

Path = tuple[str | None, ...]  # response keys; None for each item of a list


class Unsupported(Exception):
    """The document asks for something the compiler does not map: the executor answers."""


# --- what each argument-taking field binds, read per request -----------------------------------

Reader = Callable[[Mapping[str, Any], int, Order | None], dict[str, Any]]
"""A field's arguments → its parameters; given the page size and, for a page, its order."""


def _page(arguments: Mapping[str, Any], page_size: int, order: Order | None) -> dict[str, Any]:
    assert order is not None, "a page has an order"
    found = window(
        arguments.get("first"),
        arguments.get("after"),
        arguments.get("last"),
        arguments.get("before"),
        max_size=page_size,
        order=order,
    )
    values: dict[str, Any] = {"limit": found.size, "from_end": found.from_end}
    for name, key in (("after", found.after), ("before", found.before)):
        values[f"has_{name}"] = key is not None
        for n in range(len(order.keys)):
            values[f"{name}_{n}"] = None if key is None else key[n]
    return values


def _status(arguments: Mapping[str, Any], page_size: int, order: Order | None) -> dict[str, Any]:
    status = arguments.get("status")
    return {**_page(arguments, page_size, order), "status": None if status is None else str(status)}


def _searched(arguments: Mapping[str, Any], min_digits: int) -> dict[str, Any]:
    return search_values(search_terms(arguments.get("search"), min_digits=min_digits))


def _cases(arguments: Mapping[str, Any], page_size: int, order: Order | None) -> dict[str, Any]:
    searched = _searched(arguments, case_queries.SEARCH_MIN_DIGITS)
    return {**_status(arguments, page_size, order), **searched}


def _persons(arguments: Mapping[str, Any], page_size: int, order: Order | None) -> dict[str, Any]:
    searched = _searched(arguments, person_queries.SEARCH_MIN_DIGITS)
    return {**_page(arguments, page_size, order), **searched}


def _id_of(type_name: str) -> Reader:
    def read(arguments: Mapping[str, Any], page_size: int, order: Order | None) -> dict[str, Any]:
        return {"id": parse_id(arguments["id"], field="id", type_name=type_name)}

    return read


def _include_disabled(
    arguments: Mapping[str, Any], page_size: int, order: Order | None
) -> dict[str, Any]:
    return {"include_disabled": bool(arguments.get("includeDisabled", False))}


def _nothing(arguments: Mapping[str, Any], page_size: int, order: Order | None) -> dict[str, Any]:
    return {}


# --- the map: GraphQL fields to relations and columns ------------------------------------------


@dataclass(frozen=True, slots=True)
class Link:
    """A field whose value is rows of a relation: one at most, a list, or a page; or, for
    "same row", the target's columns in the parent's own row under ``prefix``."""

    kind: Literal["one", "many", "page", "same row"]
    relation: Relation | None = None
    read: Reader = _nothing
    prefix: str = ""


LINKS: dict[tuple[str, str], Link] = {
    ("Query", "cases"): Link("page", answers.case_page, _cases),
    ("Query", "case"): Link("one", answers.case_by_id, _id_of("Case")),
    ("Query", "persons"): Link("page", answers.person_page, _persons),
    ("Query", "person"): Link("one", answers.person_by_id, _id_of("Person")),
    ("Query", "staffMembers"): Link("many", answers.staff_members, _include_disabled),
    ("Query", "outbox"): Link("page", answers.outbox_page, _status),
    ("Viewer", "person"): Link("one", answers.viewer_person),
    ("Case", "responsibleLawyer"): Link("one", answers.staff_member("responsible_lawyer_id")),
    ("Case", "parties"): Link("many", answers.case_parties_of),
    ("Case", "movements"): Link("page", answers.case_movements, _page),
    ("Case", "documents"): Link("page", answers.case_documents, _page),
    ("Case", "tasks"): Link("many", answers.case_tasks),
    ("CaseParty", "person"): Link("same row", prefix="person_"),
    ("Person", "portalAccess"): Link("one", answers.portal_access),
    ("Person", "cases"): Link("page", answers.person_cases, _page),
    ("Movement", "createdBy"): Link("one", answers.staff_member("created_by_id")),
    ("Document", "uploadedBy"): Link("one", answers.staff_member("uploaded_by_id")),
    ("Task", "assignee"): Link("one", answers.staff_member("assignee_id")),
}

# Leaves whose column is not the field's name in snake case.
COLUMNS = {
    ("PortalAccess", "login"): "email",
    ("PortalAccess", "revokedAt"): "disabled_at",
}
NEVER_GRANTED: dict[str, Json] = {  # schema/portal.py: the access of a person who never had any
    "enabled": sa.false(),
    "login": sa.null(),
    "grantedAt": sa.null(),
    "revokedAt": sa.null(),
    "lastLoginAt": sa.null(),
    "courtNewsOffAt": sa.null(),
}
ID_KEYS = {  # the columns of a global id's key (schema/ids.py), when not the row's id
    "CaseParty": ("case_id", "person_id"),
    "PortalAccess": ("person_id",),
}
VIEWER_BINDS = {"email": "viewer_email", "role": "viewer_role"}
DOWNLOAD_URL = ("Document", "downloadUrl")
EXPLANATION = ("Movement", "explanation")
EXPLANATIONS = sa.bindparam("explanations", LOOKUP_JSON, type_=sa.Text())  # one per statement


def _staff_only(definition: GraphQLField) -> bool:
    strawberry_field = (definition.extensions or {}).get("strawberry-definition")
    return bool(getattr(strawberry_field, "permission_classes", None))


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def _unwrapped(graphql_type: GraphQLOutputType) -> GraphQLOutputType:
    while isinstance(graphql_type, GraphQLNonNull | GraphQLList):
        graphql_type = graphql_type.of_type
    return graphql_type


def _leaf(graphql_type: GraphQLOutputType, column: Json) -> Json:
    name = getattr(_unwrapped(graphql_type), "name", "")
    if name == "DateTime":
        return answers.date_time(column)
    if name == "Date":
        return answers.date(column)
    if name in {"ID", "Decimal"}:
        return answers.as_text(column)
    return column


def _json_object(pairs: list[tuple[str, Json]]) -> Json:
    if len(pairs) > MAX_KEYS:  # json_build_object takes at most 100 arguments
        raise Unsupported("too many fields in one selection")
    return answers.json_object(pairs)


MAX_KEYS = 50
MAX_STATEMENT = 64 * 1024  # characters of SQL (and 512 plans kept): past it, the executor answers


# --- the plan -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Argument:
    prefix: str
    read: Reader
    definition: GraphQLField
    node: FieldNode
    order: Order | None  # a page's


@dataclass(frozen=True, slots=True)
class RootRead:
    """A root field of the plan that the access log records (``cases``, ``case``): its
    response key, and the prefix of its parameters (``<binding>_id`` is a case's id)."""

    key: str
    field: str
    binding: str


RECORDED = frozenset({"cases", "case"})  # the root fields that RootRead names


@dataclass(frozen=True, slots=True)
class Plan:
    statement: answers.Statement
    arguments: tuple[Argument, ...]
    operation: OperationDefinitionNode
    schema: GraphQLSchema
    downloads: tuple[Path, ...]  # where Document.downloadUrl holds a document id to sign
    reads: tuple[RootRead, ...] = ()

    def values(self, variables: Mapping[str, Any] | None, page_size: int) -> dict[str, Any] | None:
        """The statement's parameters for these variables; None when the executor must
        answer (a variable or an argument that it would refuse)."""
        coerced = get_variable_values(
            self.schema, self.operation.variable_definitions or (), dict(variables or {})
        )
        if isinstance(coerced, list):
            return None
        values: dict[str, Any] = {}
        try:
            for argument in self.arguments:
                given = get_argument_values(argument.definition, argument.node, coerced)
                for name, value in argument.read(given, page_size, argument.order).items():
                    values[f"{argument.prefix}_{name}"] = value
        except (InvalidValue, GraphQLError):
            return None
        return values

    def signed(self, data: str, sign: Callable[[str], str]) -> str:
        """The answer with each document's id replaced by its download URL."""
        if not self.downloads:
            return data
        tree = json.loads(data)
        for path in self.downloads:
            for holder, key in _holders(tree, path):
                holder[key] = sign(holder[key])
        return json.dumps(tree, ensure_ascii=False, separators=(",", ":"))


def _holders(value: Any, path: Path) -> Iterator[tuple[dict[str, Any], str]]:
    head, rest = path[0], path[1:]
    if value is None:
        return
    if head is None:
        for item in value:
            yield from _holders(item, rest)
    elif not rest:
        yield value, head
    else:
        yield from _holders(value[head], rest)


@dataclass
class Compiler:
    """Plans for one view and role."""

    schema: GraphQLSchema
    role: Role
    dialect: Dialect
    rules: tuple[type[ASTValidationRule], ...]
    max_tokens: int

    @property
    def role_is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def plan(self, query: str, operation_name: str | None) -> Plan | None:
        try:
            document = parse(query, max_tokens=self.max_tokens)
        except GraphQLError:
            return None
        if validate(self.schema, document, [*specified_rules, *self.rules]):
            return None
        operation = get_operation_ast(document, operation_name)
        if operation is None or operation.operation != OperationType.QUERY:
            return None
        try:
            return _Walk(self, document, operation).plan()
        except Unsupported:
            return None


@dataclass
class _Walk:
    compiler: Compiler
    document: DocumentNode
    operation: OperationDefinitionNode
    arguments: list[Argument] = field(default_factory=list)
    downloads: list[Path] = field(default_factory=list)
    reads: list[RootRead] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.fragments = {
            d.name.value: d
            for d in self.document.definitions
            if isinstance(d, FragmentDefinitionNode)
        }
        self.viewer = answers.viewer_of_role(self.compiler.role)

    def plan(self) -> Plan:
        root = self.compiler.schema.query_type
        assert root is not None
        data = self.object(root, None, self._fields([self.operation.selection_set]), ())
        statement = answers.statement(data, self.compiler.dialect)
        if len(statement.sql) > MAX_STATEMENT:
            raise Unsupported("a statement too large to send")
        return Plan(
            statement=statement,
            arguments=tuple(self.arguments),
            operation=self.operation,
            schema=self.compiler.schema,
            downloads=tuple(self.downloads),
            reads=tuple(self.reads),
        )

    # Fields, as execution collects them: by response key, fragments spread in.

    def _fields(self, selections: list[SelectionSetNode]) -> dict[str, list[FieldNode]]:
        grouped: dict[str, list[FieldNode]] = {}
        for selection_set in selections:
            self._collect(selection_set, grouped, set())
        return grouped

    def _collect(
        self, selection_set: SelectionSetNode, grouped: dict[str, list[FieldNode]], seen: set[str]
    ) -> None:
        for selection in selection_set.selections:
            if not self._included(selection):
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                grouped.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                self._collect(selection.selection_set, grouped, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in seen:
                    seen.add(name)
                    self._collect(self.fragments[name].selection_set, grouped, seen)

    def _included(self, node: SelectionNode) -> bool:
        """@skip and @include with values written in the document (a variable there
        would make the statement depend on it: the executor answers those)."""
        for directive in node.directives or ():
            if directive.name.value not in {
                GraphQLSkipDirective.name,
                GraphQLIncludeDirective.name,
            }:
                raise Unsupported(directive.name.value)
            (argument,) = directive.arguments or ()
            if isinstance(argument.value, VariableNode):
                raise Unsupported("a directive's variable")
            condition = bool(value_from_ast_untyped(argument.value))
            if condition == (directive.name.value == GraphQLSkipDirective.name):
                return False
        return True

    # Values.

    def object(
        self,
        graphql_type: GraphQLObjectType,
        row: answers.Row | None,
        fields: dict[str, list[FieldNode]],
        path: Path,
    ) -> Json:
        pairs = [
            (key, self.value(graphql_type, row, nodes, (*path, key)))
            for key, nodes in fields.items()
        ]
        return _json_object(pairs)

    def value(
        self,
        parent_type: GraphQLObjectType,
        row: answers.Row | None,
        nodes: list[FieldNode],
        path: Path,
    ) -> Json:
        name = nodes[0].name.value
        type_name = parent_type.name
        if name == "__typename":
            return answers.text(type_name)
        if name.startswith("__"):
            raise Unsupported("introspection")
        definition = parent_type.fields[name]
        if not self.compiler.role_is_staff and _staff_only(definition):
            # The second lock, kept here too: whatever view this plan is made over, a field
            # with a permission class is the executor's to refuse.
            raise Unsupported(f"{type_name}.{name} is for staff")
        link = LINKS.get((type_name, name))
        if link is not None:
            if type_name == "Query" and name in RECORDED:
                self.reads.append(RootRead(str(path[-1]), name, f"f{len(self.arguments)}"))
            return self.link(link, definition, row, nodes, path)
        if (type_name, name) == ("Query", "viewer"):  # the session's, from the session check
            target = _unwrapped(definition.type)
            assert isinstance(target, GraphQLObjectType)
            subfields = self._fields([n.selection_set for n in nodes if n.selection_set])
            return self.object(target, None, subfields, path)
        if type_name == "Viewer" and name in VIEWER_BINDS:
            return sa.bindparam(VIEWER_BINDS[name], type_=sa.String(), required=False)
        if row is None:
            raise Unsupported(f"{type_name}.{name}")
        if name == "id":
            columns = ID_KEYS.get(type_name, ("id",))
            if not all(column in row for column in columns):
                raise Unsupported(f"{type_name}.id")
            return answers.global_id(type_name, [row[column] for column in columns])
        if type_name == "PortalAccess" and name == "enabled":
            return row["disabled_at"].is_(None)
        if (type_name, name) == EXPLANATION:
            if not all(column in row for column in ("code", "description")):
                raise Unsupported(f"{type_name}.{name}")
            return answers.explanation(
                row["code"], row["description"], EXPLANATIONS, ASCII_CAPITALS
            )
        column = COLUMNS.get((type_name, name), _snake(name))
        if (type_name, name) == DOWNLOAD_URL:
            self.downloads.append(path)
            column = "id"
        if column not in row:
            raise Unsupported(f"{type_name}.{name}")
        return _leaf(definition.type, row[column])

    def link(
        self,
        link: Link,
        definition: GraphQLField,
        row: answers.Row | None,
        nodes: list[FieldNode],
        path: Path,
    ) -> Json:
        target = _unwrapped(definition.type)
        assert isinstance(target, GraphQLObjectType)
        subfields = self._fields([n.selection_set for n in nodes if n.selection_set])
        if link.relation is None:  # the target's columns are in the parent's row
            assert row is not None
            return self.object(target, answers.Row(row.table, link.prefix), subfields, path)
        binding = f"f{len(self.arguments)}"

        def bind(name: str, type_: sa.types.TypeEngine[Any]) -> sa.BindParameter[Any]:
            return sa.bindparam(f"{binding}_{name}", type_=type_, required=False)

        rows = link.relation(self.viewer, row, bind)
        order = Order.of(rows.order) if link.kind == "page" else None
        self.arguments.append(Argument(binding, link.read, definition, nodes[0], order))
        if row is not None:  # the rows of each parent row
            rows = Rows(rows.query.correlate(row.table), rows.order)
        if link.kind == "one":
            found = answers.one(rows, lambda r: self.object(target, r, subfields, path))
            if target.name == "PortalAccess":
                assert row is not None
                never = [
                    (key, self.never_granted(ns[0].name.value, row))
                    for key, ns in subfields.items()
                ]
                return sa.func.coalesce(found, _json_object(never))
            return found
        if link.kind == "many":
            item_path = (*path, None)
            return answers.many(rows, lambda r: self.object(target, r, subfields, item_path))
        given = {argument.name.value for argument in nodes[0].arguments or ()}
        return self.page(target, rows, bind, subfields, path, given)

    @staticmethod
    def never_granted(name: str, person: answers.Row) -> Json:
        if name == "__typename":
            return answers.text("PortalAccess")
        if name == "id":
            return answers.global_id("PortalAccess", [person["id"]])
        return NEVER_GRANTED[name]

    def page(
        self,
        connection: GraphQLObjectType,
        rows: Rows,
        bind: Callable[[str, sa.types.TypeEngine[Any]], sa.BindParameter[Any]],
        fields: dict[str, list[FieldNode]],
        path: Path,
        given: set[str],
    ) -> Json:
        page = Page.of(rows, bind, given=given)
        pairs: list[tuple[str, Json]] = []
        for key, nodes in fields.items():
            name = nodes[0].name.value
            if name == "__typename":
                pairs.append((key, answers.text(connection.name)))
            elif name == "totalCount":
                pairs.append((key, page.total))
            elif name == "edges":
                pairs.append((key, page.edges(self.edge(connection, page, nodes, (*path, key)))))
            elif name == "pageInfo":
                pairs.append((key, self.page_info(page, nodes)))
            else:
                raise Unsupported(f"{connection.name}.{name}")
        return page.answer(_json_object(pairs))

    def edge(
        self, connection: GraphQLObjectType, page: Page, nodes: list[FieldNode], path: Path
    ) -> Json:
        edge_type = _unwrapped(connection.fields["edges"].type)
        assert isinstance(edge_type, GraphQLObjectType)
        node_type = _unwrapped(edge_type.fields["node"].type)
        assert isinstance(node_type, GraphQLObjectType)
        pairs: list[tuple[str, Json]] = []
        for key, edge_nodes in self._fields(
            [n.selection_set for n in nodes if n.selection_set]
        ).items():
            name = edge_nodes[0].name.value
            if name == "__typename":
                pairs.append((key, answers.text(edge_type.name)))
            elif name == "cursor":
                pairs.append((key, page.row_cursor))
            else:  # node
                subfields = self._fields([n.selection_set for n in edge_nodes if n.selection_set])
                node_path = (*path, None, key)
                pairs.append(
                    (key, self.object(node_type, answers.Row(page.rows), subfields, node_path))
                )
        return _json_object(pairs)

    def page_info(self, page: Page, nodes: list[FieldNode]) -> Json:
        parts = {
            "hasNextPage": page.has_next_page,
            "hasPreviousPage": page.has_previous_page,
            "startCursor": page.start_cursor,
            "endCursor": page.end_cursor,
        }
        pairs: list[tuple[str, Json]] = []
        for key, info_nodes in self._fields(
            [n.selection_set for n in nodes if n.selection_set]
        ).items():
            name = info_nodes[0].name.value
            pairs.append((key, answers.text("PageInfo") if name == "__typename" else parts[name]))
        return _json_object(pairs)
