from __future__ import annotations

from pathlib import Path

from schema.build import staff_schema

SCHEMA_FILE = Path(__file__).parent.parent / "schema.graphql"
CONTRACT_NAMES = [
    "directive @principal on FIELD_DEFINITION",
    "viewer: Viewer! @principal",
    "cases(first: Int = null, after: String = null, search: String = null, "
    "status: CaseStatus = null): CaseConnection! @principal",
    "case(id: ID!): Case @principal",
    "createPerson(input: PersonInput!): Person!",
    "addCaseParty(caseId: ID!, personId: ID!, role: PartyRole!, isClient: Boolean!): CaseParty!",
    "addMovement(caseId: ID!, input: MovementInput!): Movement!",
    "createTask(caseId: ID!, input: TaskInput!): Task!",
]


def test_schema_file_matches_the_code() -> None:
    exported = staff_schema().as_str() + "\n"
    assert SCHEMA_FILE.read_text() == exported, (
        "schema.graphql is out of date: run `causa export-schema > schema.graphql`"
    )


def test_schema_file_carries_the_contract_names() -> None:
    text = SCHEMA_FILE.read_text()
    for name in CONTRACT_NAMES:
        assert name in text
