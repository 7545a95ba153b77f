"""A document's depth, aliases and cost are measured in one pass, each fragment once."""

from __future__ import annotations

from graphql import OperationDefinitionNode, parse
from strawberry.extensions import AddValidationRules

from resolvers.views import client_schema, staff_schema
from schema.limits import LIST_FACTOR, Measure, Measurer
from settings import CLIENT_LIMITS, STAFF_LIMITS, Settings
from tests.factories import doubling, doubling_apart

STAFF = staff_schema()
CLIENT = client_schema(CLIENT_LIMITS)


def measure(document: str, *, page_size: int = 100, client: bool = False) -> Measure:
    parsed = parse(document)
    measurer = Measurer((CLIENT if client else STAFF)._schema, parsed, page_size)
    [operation] = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
    return measurer.operation(operation)


def test_a_fragment_spread_twice_per_level_is_read_once_per_level() -> None:
    for levels in (20, 40):
        document = parse(doubling(levels))
        measurer = Measurer(STAFF._schema, document, 100)
        operation = document.definitions[0]
        assert isinstance(operation, OperationDefinitionNode)

        assert measurer.operation(operation) == Measure(depth=1, aliases=0, cost=2)
        # viewer, ...F{levels}, the two spreads of each fragment, and email
        assert measurer.visits == 2 + 2 * levels + 1


def test_spreads_execution_cannot_merge_double_the_cost_but_not_the_reading() -> None:
    document = parse(doubling_apart(40))
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    measurer = Measurer(STAFF._schema, document, 100)

    assert measurer.operation(operation).cost == 1 + 2**40
    assert measurer.visits == 2 + 3 * 40 + 1


def test_a_fragment_cycle_ends_the_walk() -> None:
    document = (
        "{ viewer { ...A } } fragment A on Viewer { email ...B } fragment B on Viewer { ...A }"
    )
    assert measure(document) == Measure(depth=1, aliases=0, cost=2)


def test_a_long_chain_of_fragments_needs_no_recursion() -> None:
    chain = " ".join(f"fragment F{n} on Viewer {{ ...F{n - 1} }}" for n in range(1, 3001))
    document = "{ viewer { ...F3000 } } fragment F0 on Viewer { email } " + chain
    assert measure(document) == Measure(depth=1, aliases=0, cost=2)


def test_aliases_count_once_per_spread_of_their_fragment() -> None:
    document = """
    { viewer { ...Names } me: viewer { ...Names } }
    fragment Names on Viewer { a: email b: email }
    """
    assert measure(document).aliases == 1 + 2 * 2


def test_a_connection_multiplies_its_selection_by_its_page() -> None:
    # 1 for cases, then per case: totalCount, edges, node, id
    assert measure("{ cases(first: 30) { totalCount edges { node { id } } } }").cost == (
        1 + 30 * (1 + 1 + 1 + 1)
    )


def test_a_page_absent_is_the_default_page_and_a_variable_the_page_limit() -> None:
    selection = "{ edges { node { id } } }"
    assert measure("{ cases " + selection + " }").cost == 1 + 20 * 3
    variable = "query Q($n: Int) { cases(first: $n) " + selection + " }"
    assert measure(variable, page_size=100).cost == 1 + 100 * 3
    assert measure(variable, page_size=50, client=True).cost == 1 + 50 * 3


def test_a_page_past_the_limit_counts_as_the_limit() -> None:
    selection = "{ edges { node { id } } }"
    assert measure("{ cases(first: 1000) " + selection + " }").cost == 1 + 100 * 3
    digits = "9" * 5000  # more than Python converts to an int
    assert measure("{ cases(first: " + digits + ") " + selection + " }").cost == 1 + 100 * 3


def test_a_list_without_pages_counts_a_fixed_number_of_items() -> None:
    document = '{ case(id: "x") { parties { role person { name } } } }'
    assert measure(document).cost == 1 + (1 + LIST_FACTOR * (1 + 2))


def test_introspection_is_left_out_of_depth_and_counted_at_a_fixed_cost() -> None:
    document = "{ __schema { types { name fields { name type { name ofType { name } } } } } }"
    assert measure(document) == Measure(depth=0, aliases=0, cost=10_000)
    assert measure('{ __type(name: "Case") { fields { name } } }').cost == 100


def test_a_long_text_counts_by_its_length() -> None:
    one = measure("{ cases(first: 10) { edges { node { title } } } }").cost
    notes = measure("{ cases(first: 10) { edges { node { internalNotes } } } }").cost
    assert notes - one == 10 * (20 - 1)  # 20 000 characters: 20 values, not 1


def test_the_rules_are_made_once_so_that_the_validation_cache_recognises_them() -> None:
    def rules() -> list[object]:
        made = [factory() for factory in STAFF.extensions]
        return [e.validation_rules for e in made if isinstance(e, AddValidationRules)]

    [first] = rules()
    [again] = rules()
    assert first is again


def test_a_clients_cost_limit_is_never_looser_than_staffs() -> None:
    assert STAFF_LIMITS.cost > CLIENT_LIMITS.cost
    assert Settings(max_query_cost=5_000).staff_limits.cost == 5_000
    assert Settings(max_query_cost=5_000).client_limits.cost == 5_000
    assert Settings(max_query_cost=90_000).client_limits.cost == CLIENT_LIMITS.cost
