"""schema.graphql and schema.client.graphql are the code's, and the contract's names are in them."""

from __future__ import annotations

from pathlib import Path

import pytest

from resolvers.views import client_schema, staff_schema

ROOT = Path(__file__).parent.parent.parent
CONTRACT_NAMES = [
    "directive @principal on FIELD_DEFINITION",
    "viewer: Viewer! @principal",
    # the contract's arguments, with last and before (paging backward) added
    "cases(first: Int = null, after: String = null, last: Int = null, before: String = null, "
    "search: String = null, status: CaseStatus = null): CaseConnection! @principal",
    "case(id: ID!): Case @principal",
    "createPerson(input: PersonInput!): CreatePersonPayload!",
    "addCaseParty(caseId: ID!, personId: ID!, role: PartyRole!, isClient: Boolean!): "
    "AddCasePartyPayload!",
    "addMovement(caseId: ID!, input: MovementInput!): AddMovementPayload!",
    "createTask(caseId: ID!, input: TaskInput!): CreateTaskPayload!",
    "grantPortalAccess(personId: ID!, email: String!): GrantPortalAccessPayload!",
    "revokePortalAccess(personId: ID!): RevokePortalAccessPayload!",
]


@pytest.mark.parametrize(
    ("file_name", "build"),
    [("schema.graphql", staff_schema), ("schema.client.graphql", client_schema)],
)
def test_schema_file_matches_the_code(file_name: str, build: object) -> None:
    assert callable(build)
    exported = build().as_str() + "\n"
    assert (ROOT / file_name).read_text() == exported, (
        f"{file_name} is out of date: run `python3 dev.py schema`"
    )


def test_schema_file_carries_the_contract_names() -> None:
    text = (ROOT / "schema.graphql").read_text()
    for name in CONTRACT_NAMES:
        assert name in text


def test_the_readme_shows_the_client_view_as_it_is() -> None:
    readme = (ROOT / "README.md").read_text()
    assert client_schema().as_str() in readme, (
        "README.md's client SDL is out of date: paste schema.client.graphql into it"
    )
