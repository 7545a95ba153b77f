"""DataJud, the CNJ's public API: reading its answers (court/imports.py imports them).

An answer is ``{"hits": {"hits": [{"_source": PROCESS}, …]}}``; a file may also hold a
list of processes, or one process. Files are read as a stream (ijson), one process at a
time, so a file of hundreds of MB is read in bounded memory.

A process is matched to the office's folders by its CNJ number. Each of its movements
becomes a COURT movement with no author, described as the movement's name followed by
the names of its tabled complements in parentheses, separated by "; ":
``Conclusão (para despacho)``, ``Distribuição (sorteio)``, ``Baixa Definitiva``.
A movement is identified by ``court_key``, the SHA-256 of its process, code, instant and
complements (its name too when it has no code); a unique index on the key makes
importing the same data twice add nothing. The folder's class, court division, filing
date and subject are filled from the process when empty, never overwritten.

A process with bad data (a CNJ number failing its check digits, an invalid date, …) is
rejected whole and reported; invisible characters in its texts (bidirectional controls,
zero-width ones) are dropped, not refused. Data that is not JSON, is cut short, or is not
shaped like a DataJud answer raises `NotDataJud`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol

import ijson
from sqlalchemy import RowMapping

from db.cases import TEXT_LIMITS
from db.movements import FUTURE_TOLERANCE
from domain import validators
from domain.errors import InvalidValue
from domain.fields import past_date

DESCRIPTION_LIMIT = 10_000
MAX_DEPTH = 32  # a DataJud answer nests about 7 levels; recursion over more is refused
CASE_FIELDS = {
    "case_class": "caseClass",
    "court_division": "courtDivision",
    "filed_on": "filedOn",
    "subject": "subject",
}
SHAPE = (
    'This is not a DataJud answer: expected {"hits": {"hits": [{"_source": {…}}, …]}}, '
    "a list of processes, or one process (an object with numeroProcesso)."
)
_COMPACT = re.compile(r"[0-9]{14}")  # 20210315102030, as some courts send dataHora
_DIGITS = re.compile(r"[0-9]+")
_OPEN, _CLOSE = {"start_map", "start_array"}, {"end_map", "end_array"}


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class NotDataJud(InvalidValue):
    """The data is not JSON, is cut short, or is not shaped like a DataJud answer."""

    def __init__(self, message: str) -> None:
        super().__init__("payload", message)


@dataclass(frozen=True, slots=True)
class CourtMovement:
    code: int | None
    occurred_at: datetime  # aware, UTC
    description: str
    key: bytes  # identifies the movement: see court_key in the module's docstring


@dataclass(frozen=True, slots=True)
class CourtProcess:
    position: int  # 1 for the first process of the data
    cnj_number: str  # NNNNNNN-DD.AAAA.J.TR.OOOO
    case_class: str | None
    court_division: str | None
    filed_on: date | None
    subject: str | None
    movements: tuple[CourtMovement, ...]

    def case_fields(self) -> dict[str, Any]:
        """The folder's fields this process can fill (column names), where it knows them."""
        values = {name: getattr(self, name) for name in CASE_FIELDS}
        return {name: value for name, value in values.items() if value is not None}


@dataclass(frozen=True, slots=True)
class Rejected:
    """A process with bad data: nothing of it is imported."""

    position: int
    number: str | None  # numeroProcesso as given, when it was text
    reason: str

    def __str__(self) -> str:
        which = f"process {self.position}" + (f" ({self.number})" if self.number else "")
        return f"{which}: {self.reason}"


@dataclass
class ImportReport:
    """What an import did, added up over its batches."""

    processes: int = 0
    matched: int = 0
    movements_added: int = 0
    movements_already_present: int = 0
    fields_filled: int = 0
    unmatched: list[str] = field(default_factory=list)  # CNJ numbers no folder carries
    errors: list[Rejected] = field(default_factory=list)
    _unmatched: set[str] = field(default_factory=set, repr=False, compare=False)

    def not_matched(self, number: str) -> None:
        if number not in self._unmatched:
            self._unmatched.add(number)
            self.unmatched.append(number)


@dataclass(frozen=True, slots=True)
class CaseImport:
    """What importing court data into one folder did."""

    case: RowMapping  # the folder as it is now
    movements_added: int
    movements_already_present: int
    fields_filled: tuple[str, ...]  # GraphQL names: caseClass, courtDivision, filedOn, subject


# --- Reading ------------------------------------------------------------------------


def read_stream(stream: Readable) -> Iterator[CourtProcess | Rejected]:
    """The processes of a DataJud file, parsed one at a time as the file is read."""
    for position, source in enumerate(_stream_sources(_events(stream)), 1):
        yield parse_process(source, position)


def read_payload(payload: object) -> list[CourtProcess | Rejected]:
    """The processes of a DataJud answer already decoded from JSON."""
    if _depth_over(payload, MAX_DEPTH):
        raise NotDataJud(
            f"The payload is nested deeper than {MAX_DEPTH} levels; no DataJud answer is."
        )
    return [parse_process(source, n) for n, source in enumerate(_payload_sources(payload), 1)]


def _depth_over(payload: object, limit: int) -> bool:
    """Whether lists and objects nest deeper than ``limit`` in ``payload``; without recursion."""
    level: list[tuple[object, int]] = [(payload, 1)]
    while level:
        value, depth = level.pop()
        children = list(value.values()) if isinstance(value, dict) else value
        if isinstance(children, list):
            if depth > limit:
                return True
            level.extend((child, depth + 1) for child in children)
    return False


def _events(stream: Readable) -> Iterator[tuple[str, str, Any]]:
    try:
        yield from ijson.parse(stream)
    except (ijson.JSONError, UnicodeDecodeError) as error:
        raise NotDataJud(_json_problem(error)) from None


def _json_problem(error: Exception) -> str:
    detail = error.args[0] if error.args else ""
    if isinstance(detail, bytes):
        detail = detail.decode("utf-8", "replace")
    first_line = str(detail).strip().splitlines()[0] if str(detail).strip() else ""
    if "premature EOF" in first_line:
        return "The data ends before its JSON does: it is empty or cut short."
    return f"The data is not valid JSON ({first_line or error})."


def _stream_sources(events: Iterator[tuple[str, str, Any]]) -> Iterator[object]:
    _, event, value = next(events, ("", "", None))
    if event == "start_array":  # a list of processes (or of hits)
        yield from map(_list_item, _values_at(events, "item", lambda *_: None))
        return
    if event != "start_map":
        raise NotDataJud(SHAPE)
    rest = ijson.ObjectBuilder()  # all but the hits: a single process, or the answer's frame
    rest.event(event, value)
    for hit in _values_at(events, "hits.hits.item", lambda _, e, v: rest.event(e, v)):
        yield _source_of(hit)
    whole = rest.value
    if "hits" in whole:
        if not (isinstance(whole["hits"], dict) and isinstance(whole["hits"].get("hits"), list)):
            raise NotDataJud(SHAPE)
    elif "numeroProcesso" in whole:
        yield whole
    else:
        raise NotDataJud(SHAPE)


def _values_at(
    events: Iterator[tuple[str, str, Any]],
    target: str,
    other: Callable[[str, str, Any], None],
) -> Iterator[Any]:
    """Each whole value found at the ijson prefix ``target``; ``other`` gets the rest."""
    builder: ijson.ObjectBuilder | None = None
    for prefix, event, value in events:
        if builder is not None:
            builder.event(event, value)
            if prefix == target and event in _CLOSE:
                yield builder.value
                builder = None
        elif prefix == target and event in _OPEN:
            builder = ijson.ObjectBuilder()
            builder.event(event, value)
        elif prefix == target:
            yield value
        else:
            other(prefix, event, value)


def _payload_sources(payload: object) -> Iterator[object]:
    if isinstance(payload, list):
        yield from map(_list_item, payload)
    elif isinstance(payload, dict) and "hits" in payload:
        hits = payload["hits"].get("hits") if isinstance(payload["hits"], dict) else None
        if not isinstance(hits, list):
            raise NotDataJud(SHAPE)
        yield from map(_source_of, hits)
    elif isinstance(payload, dict) and "numeroProcesso" in payload:
        yield payload
    else:
        raise NotDataJud(SHAPE)


def _list_item(item: object) -> object:
    if not isinstance(item, dict):
        raise NotDataJud(SHAPE)
    return _source_of(item) if "_source" in item else item


def _source_of(hit: object) -> object:
    return hit.get("_source") if isinstance(hit, dict) else None


# --- Parsing ------------------------------------------------------------------------


def parse_process(source: object, position: int) -> CourtProcess | Rejected:
    """One ``_source``, checked whole: a process, or the reason it is rejected."""
    number = source.get("numeroProcesso") if isinstance(source, dict) else None
    try:
        return _process(source, position)
    except InvalidValue as error:
        return Rejected(position, number if isinstance(number, str) else None, error.message)


def _process(source: object, position: int) -> CourtProcess:
    if not isinstance(source, dict):
        raise InvalidValue("_source", "it is not a process (an object with numeroProcesso).")
    number = source.get("numeroProcesso")
    if not isinstance(number, str):
        raise InvalidValue("numeroProcesso", "it has no numeroProcesso.")
    cnj = validators.cnj_number(number, field="numeroProcesso")
    items = source.get("movimentos") or []
    if not isinstance(items, list):
        raise InvalidValue("movimentos", "movimentos is not a list.")
    return CourtProcess(
        position=position,
        cnj_number=cnj,
        case_class=_name_of(source.get("classe"), "classe", TEXT_LIMITS["case_class"]),
        court_division=_name_of(
            source.get("orgaoJulgador"), "orgaoJulgador", TEXT_LIMITS["court_division"]
        ),
        filed_on=_filed_on(source.get("dataAjuizamento")),
        subject=_subject(source.get("assuntos")),
        movements=tuple(_movement(cnj, n, item) for n, item in enumerate(items, 1)),
    )


def _text(value: object, what: str, limit: int) -> str | None:
    """Trimmed text with its spaces collapsed, shortened to ``limit``; blank is None.
    Invisible characters (bidirectional controls, zero-width ones, other controls) are
    dropped: a court's data is not refused whole for a character nobody can see."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidValue(what, f"{what} is not text: {_quoted(value)}.")
    if "\x00" in value:
        raise InvalidValue(what, f"{what} contains a NUL character.")
    visible = validators.without_hidden_characters(" ".join(value.split()))
    return _shorten(" ".join(visible.split()), limit) or None


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quoted(value: object) -> str:
    """A bad value for a message, shortened."""
    return _shorten(repr(value), 60)


def _name_of(value: object, what: str, limit: int) -> str | None:
    """The ``nome`` of a ``{codigo, nome}`` object."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidValue(what, f"{what} is not an object with codigo and nome.")
    return _text(value.get("nome"), f"{what}.nome", limit)


def _subject(value: object) -> str | None:
    """The names of the subjects, flat or nested lists alike, joined by "; "."""
    names: list[str] = []
    for item in _flatten(value):
        name = _name_of(item, "assuntos", TEXT_LIMITS["subject"])
        if name and name not in names:
            names.append(name)
    return _text("; ".join(names), "assuntos", TEXT_LIMITS["subject"])


def _flatten(value: object) -> Iterator[object]:
    if isinstance(value, list):
        for item in value:
            yield from _flatten(item)
    elif value is not None:
        yield value


def _moment(value: object, what: str) -> datetime:
    """A date and time as DataJud writes it: ISO 8601 or 14 digits; naive when it has no offset."""
    if isinstance(value, str):
        text = value.strip()
        try:
            if _COMPACT.fullmatch(text):
                return datetime.strptime(text, "%Y%m%d%H%M%S")
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    raise InvalidValue(what, f"{what} {_quoted(value)} is not a valid date and time.")


def _filed_on(value: object) -> date | None:
    """The filing date as written (midnight UTC in DataJud means that day, not the eve)."""
    if value is None:
        return None
    return past_date(_moment(value, "dataAjuizamento").date(), field="dataAjuizamento")


def _occurred_at(value: object, what: str) -> datetime:
    moment = _moment(value, what)
    if moment.tzinfo is None:  # DataJud's times without an offset are UTC
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        raise InvalidValue(what, f"{what} {_quoted(value)} is out of range.") from None
    if moment > datetime.now(UTC) + FUTURE_TOLERANCE:
        raise InvalidValue(what, f"{what} {_quoted(value)} is in the future.")
    return moment


def _code(value: object, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 1_000_000:
        raise InvalidValue(what, f"{what} {_quoted(value)} is not a movement code.")
    return value


def _movement(cnj: str, n: int, item: object) -> CourtMovement:
    where = f"movement {n}"
    if not isinstance(item, dict):
        raise InvalidValue(where, f"{where} is not an object.")
    code = _code(item.get("codigo"), f"{where}: codigo")
    name = _text(item.get("nome"), f"{where}: nome", DESCRIPTION_LIMIT)
    if name is None and code is None:
        raise InvalidValue(where, f"{where} has neither codigo nor nome.")
    where = f"{where} ({name or code})"
    occurred_at = _occurred_at(item.get("dataHora"), f"{where}: dataHora")
    complements = _complements(item.get("complementosTabelados"), where)
    labels = list(dict.fromkeys(label for _, label in complements if label))
    description = (name or f"Movimento {code}") + (f" ({'; '.join(labels)})" if labels else "")
    identity = (
        cnj,
        code,
        occurred_at.isoformat(),
        None if code else name,
        sorted(key for key, _ in complements),
    )
    return CourtMovement(
        code=code,
        occurred_at=occurred_at,
        description=_shorten(description, DESCRIPTION_LIMIT),
        key=hashlib.sha256(json.dumps(identity, ensure_ascii=False).encode()).digest(),
    )


def _complements(value: object, where: str) -> list[tuple[str, str | None]]:
    """Each tabled complement as (what identifies it, its readable name)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidValue(where, f"{where}: complementosTabelados is not a list.")
    result = []
    for item in value:
        if not isinstance(item, dict):
            raise InvalidValue(where, f"{where}: a tabled complement is not an object.")
        name = _text(item.get("nome"), f"{where}: complement nome", DESCRIPTION_LIMIT)
        identity = [str(item.get("codigo")), str(item.get("valor")), name]
        result.append((json.dumps(identity, ensure_ascii=False), name))
    return result
