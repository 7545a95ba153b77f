"""Plain-language explanations of court movements, by their CNJ TPU movement code.

The table is court/tpu_movements.json (its ``source`` names where the codes come from),
read once at import. An entry holds a default explanation and, where a movement's
complement changes its meaning (code 51, "Conclusão (para julgamento)" against
"(para despacho)"), variants chosen by a text that the movement's description contains.

Both read paths answer with it alike: the executor calls `explain`, and the compiled
path (db/answers.py: explanation) looks the same table up in PostgreSQL from
`LOOKUP_JSON`. So that both match a description alike whatever the database's locale,
a description is matched with its ASCII capitals lowered and nothing else
(`ASCII_CAPITALS`); a variant's text is written in lower case.
"""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

ASCII_CAPITALS = (string.ascii_uppercase, string.ascii_lowercase)
_LOWER = str.maketrans(*ASCII_CAPITALS)


@dataclass(frozen=True, slots=True)
class Explanation:
    """One code's explanations: (text contained, explanation) in order, then the default
    under the empty text, which every description contains."""

    code: int
    name: str
    choices: tuple[tuple[str, str], ...]


def _read(table: dict[str, Any]) -> dict[int, Explanation]:
    entries: dict[int, Explanation] = {}
    for entry in table["movements"]:
        variants = [(v["contains"], v["explanation"]) for v in entry.get("variants", ())]
        choices = (*variants, ("", entry["explanation"]))
        entries[entry["code"]] = Explanation(entry["code"], entry["name"], choices)
    return entries


TABLE: dict[str, Any] = json.loads(
    files("court").joinpath("tpu_movements.json").read_text(encoding="utf-8")
)
SOURCE: str = TABLE["source"]["url"]
EXPLANATIONS: dict[int, Explanation] = _read(TABLE)

LOOKUP_JSON = json.dumps(
    {str(code): [list(choice) for choice in e.choices] for code, e in EXPLANATIONS.items()},
    ensure_ascii=False,
    separators=(",", ":"),
)
"""The table as db/answers.py reads it: ``{"51": [["para julgamento", "…"], …, ["", "…"]]}``."""


def explain(code: int | None, description: str) -> str | None:
    """What a movement of ``code`` described as ``description`` means to a lay reader;
    None for a movement without a code, or with one that the table does not hold."""
    entry = EXPLANATIONS.get(code) if code is not None else None
    if entry is None:
        return None
    lowered = description.translate(_LOWER)
    return next(text for contained, text in entry.choices if contained in lowered)
