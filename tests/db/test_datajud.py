"""Reading DataJud answers: processes, movements and their descriptions, dates, bad data."""

from __future__ import annotations

import copy
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from court.datajud import (
    SHAPE,
    CourtProcess,
    NotDataJud,
    Rejected,
    read_payload,
    read_stream,
)

SAMPLE_PATH = Path(__file__).parent.parent / "data" / "datajud_sample.json"
SAMPLE: dict[str, Any] = json.loads(SAMPLE_PATH.read_text())
SOURCES: list[dict[str, Any]] = [hit["_source"] for hit in SAMPLE["hits"]["hits"]]


def stream(data: object) -> list[CourtProcess | Rejected]:
    text = data if isinstance(data, bytes) else json.dumps(data).encode()
    return list(read_stream(io.BytesIO(text)))


def source(**changes: Any) -> dict[str, Any]:
    """The sample's first process, changed."""
    result = copy.deepcopy(SOURCES[0])
    result.update(changes)
    return result


def movement(**changes: Any) -> dict[str, Any]:
    return {
        "codigo": 51,
        "nome": "Conclusão",
        "dataHora": "2021-03-16T10:05:00.000Z",
        "complementosTabelados": [],
        **changes,
    }


def only(processes: list[CourtProcess | Rejected]) -> CourtProcess:
    assert len(processes) == 1
    process = processes[0]
    assert isinstance(process, CourtProcess), process
    return process


# --- The sample ---------------------------------------------------------------------


def test_the_sample_streams_as_its_three_processes() -> None:
    with SAMPLE_PATH.open("rb") as file:
        processes = list(read_stream(file))

    assert [p.cnj_number for p in processes if isinstance(p, CourtProcess)] == [
        "1023456-21.2021.8.26.0100",
        "0804321-47.2022.4.05.8100",
        "5012345-95.2023.8.13.0024",
    ]


def test_a_process_with_flat_subjects_gives_the_case_fields() -> None:
    process = only(read_payload(SOURCES[0]))

    assert process.case_fields() == {
        "case_class": "Procedimento Comum Cível",
        "court_division": "5ª Vara Cível - Foro Central Cível",
        "filed_on": date(2021, 3, 15),
        "subject": "Indenização por Dano Moral; Indenização por Dano Material",
    }


def test_nested_subjects_are_flattened_once_each() -> None:
    process = only(read_payload(SOURCES[1]))

    assert process.subject == "Auxílio-Doença Previdenciário; Concessão"
    assert process.filed_on == date(2022, 6, 8)  # dataAjuizamento "20220608000000"


def test_descriptions_are_the_name_and_the_tabled_complements() -> None:
    process = only(read_payload(SOURCES[0]))

    assert [(m.code, m.occurred_at, m.description) for m in process.movements] == [
        (26, datetime(2021, 3, 15, 13, 42, 10, tzinfo=UTC), "Distribuição (sorteio)"),
        (51, datetime(2021, 3, 16, 10, 5, tzinfo=UTC), "Conclusão (para despacho)"),
        (11010, datetime(2021, 3, 18, 16, 31, 47, tzinfo=UTC), "Mero expediente"),
        (85, datetime(2021, 5, 4, 9, 15, 22, tzinfo=UTC), "Petição (Contestação)"),
        (51, datetime(2022, 2, 21, 11, 0, tzinfo=UTC), "Conclusão (para julgamento)"),
        (219, datetime(2022, 3, 9, 17, 48, 5, tzinfo=UTC), "Procedência"),
    ]


def test_several_complements_are_joined_and_a_missing_name_is_the_code() -> None:
    complements = [
        {"codigo": 3, "valor": 5, "nome": "para despacho", "descricao": "tipo_de_conclusao"},
        {"codigo": 9, "valor": 2, "nome": "urgente", "descricao": "prioridade"},
        {"codigo": 9, "valor": 8, "descricao": "sem_nome"},
    ]
    movements = [movement(complementosTabelados=complements), movement(nome=None, codigo=12164)]

    process = only(read_payload(source(movimentos=movements)))

    assert [m.description for m in process.movements] == [
        "Conclusão (para despacho; urgente)",
        "Movimento 12164",
    ]


# --- What identifies a movement ------------------------------------------------------


def test_a_file_and_a_decoded_payload_give_the_same_movement_keys() -> None:
    with SAMPLE_PATH.open("rb") as file:
        streamed = list(read_stream(file))

    assert streamed == read_payload(SAMPLE)


def test_the_same_movement_written_differently_has_the_same_key() -> None:
    written = [
        movement(dataHora="2021-03-16T10:05:00.000Z"),
        movement(dataHora="20210316100500", nome="  Conclusão  "),
        movement(dataHora="2021-03-16T07:05:00-03:00", codigo="51"),
    ]

    keys = {m.key for m in only(read_payload(source(movimentos=written))).movements}

    assert len(keys) == 1


def test_a_different_complement_or_time_is_another_movement() -> None:
    complement = {"codigo": 3, "valor": 5, "nome": "para despacho"}
    written = [
        movement(),
        movement(complementosTabelados=[complement]),
        movement(dataHora="2021-03-16T10:05:01.000Z"),
    ]

    keys = {m.key for m in only(read_payload(source(movimentos=written))).movements}

    assert len(keys) == 3


# --- Dates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "2021-03-16T10:05:00.000Z",
        "2021-03-16T10:05:00",  # no offset: UTC
        "20210316100500",
        "2021-03-16T07:05:00.000-03:00",
    ],
)
def test_movement_times_in_each_datajud_format(written: str) -> None:
    process = only(read_payload(source(movimentos=[movement(dataHora=written)])))

    assert process.movements[0].occurred_at == datetime(2021, 3, 16, 10, 5, tzinfo=UTC)
    assert process.movements[0].occurred_at.tzinfo is not None


@pytest.mark.parametrize(
    "written", ["2021-03-15T00:00:00.000Z", "20210315000000", "2021-03-15", None]
)
def test_the_filing_date_is_the_day_as_written(written: str | None) -> None:
    process = only(read_payload(source(dataAjuizamento=written)))

    assert process.filed_on == (None if written is None else date(2021, 3, 15))


# --- Bad data: the process is rejected, with its reason --------------------------------


def test_a_cnj_number_failing_its_check_digits_rejects_the_process() -> None:
    processes = stream([source(numeroProcesso="10234562220218260100"), SOURCES[1]])

    assert processes[0] == Rejected(
        1,
        "10234562220218260100",
        '"10234562220218260100" is not a valid CNJ process number: the check digits 22 '
        "do not match the rest of the number.",
    )
    assert isinstance(processes[1], CourtProcess)


@pytest.mark.parametrize(
    ("when", "reason"),
    [
        ("2021-02-30T10:00:00.000Z", "dataHora '2021-02-30T10:00:00.000Z' is not a valid"),
        ("20211301000000", "dataHora '20211301000000' is not a valid"),
        ("ontem", "dataHora 'ontem' is not a valid"),
        (None, "dataHora None is not a valid"),
        ("2999-01-01T00:00:00Z", "dataHora '2999-01-01T00:00:00Z' is in the future"),
    ],
)
def test_an_invalid_movement_date_rejects_the_process(when: object, reason: str) -> None:
    movements = [movement(), movement(dataHora=when)]

    [rejected] = stream(source(movimentos=movements))

    assert isinstance(rejected, Rejected)
    assert str(rejected).startswith(
        f"process 1 (10234562120218260100): movement 2 (Conclusão): {reason}"
    )


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"numeroProcesso": None}, "it has no numeroProcesso."),
        ({"numeroProcesso": "123"}, '"123" is not a valid CNJ process number; expected'),
        ({"dataAjuizamento": "15/03/2021"}, "dataAjuizamento '15/03/2021' is not a valid"),
        ({"dataAjuizamento": "2999-01-01"}, "dataAjuizamento cannot be in the future"),
        ({"movimentos": {"codigo": 26}}, "movimentos is not a list."),
        ({"movimentos": [movement(codigo=-1)]}, "movement 1: codigo -1 is not a movement code."),
        ({"movimentos": [movement(codigo=None, nome=None)]}, "movement 1 has neither codigo"),
        ({"classe": "Procedimento Comum"}, "classe is not an object with codigo and nome."),
        ({"assuntos": [{"nome": "Cheque\x00"}]}, "assuntos.nome contains a NUL character."),
    ],
)
def test_other_bad_data_rejects_the_process(changes: dict[str, Any], reason: str) -> None:
    [rejected] = read_payload(source(**changes))

    assert isinstance(rejected, Rejected)
    assert rejected.reason.startswith(reason), rejected.reason


def test_a_hit_without_source_is_rejected() -> None:
    processes = stream({"hits": {"hits": [{"_id": "x"}, {"_source": SOURCES[1]}]}})

    assert processes[0] == Rejected(1, None, "it is not a process (an object with numeroProcesso).")
    assert isinstance(processes[1], CourtProcess)


# --- Other shapes ---------------------------------------------------------------------


def test_a_list_of_processes_or_one_process_is_read_too() -> None:
    assert [p.cnj_number for p in stream(SOURCES) if isinstance(p, CourtProcess)] == [
        "1023456-21.2021.8.26.0100",
        "0804321-47.2022.4.05.8100",
        "5012345-95.2023.8.13.0024",
    ]
    assert only(stream(SOURCES[1])).cnj_number == "0804321-47.2022.4.05.8100"
    assert only(read_payload([SAMPLE["hits"]["hits"][2]])).cnj_number == (
        "5012345-95.2023.8.13.0024"
    )


# --- Data that is not a DataJud answer --------------------------------------------------


def test_truncated_json_is_a_clear_error_after_the_whole_processes_before_it() -> None:
    text = SAMPLE_PATH.read_bytes()
    cut = text[: text.index(b'"numeroProcesso": "0804321')]
    processes = read_stream(io.BytesIO(cut))

    first = next(processes)
    with pytest.raises(NotDataJud) as raised:
        next(processes)

    assert isinstance(first, CourtProcess)
    assert first.cnj_number == "1023456-21.2021.8.26.0100"
    assert raised.value.message == "The data ends before its JSON does: it is empty or cut short."
    assert raised.value.field == "payload"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The data ends before its JSON does: it is empty or cut short."),
        (b"<html>Erro 502</html>", "The data is not valid JSON (lexical error: invalid char"),
        (b'{"hits": 1} trailing', "The data is not valid JSON (parse error: trailing garbage)."),
        (b'{"error": {"type": "index_not_found_exception"}, "status": 404}', SHAPE),
        (b'{"hits": {"total": {"value": 0}}}', SHAPE),
        (b'{"hits": {"hits": {"_source": {}}}}', SHAPE),
        (b"[1, 2, 3]", SHAPE),
        (b'"numeroProcesso"', SHAPE),
        (b"42", SHAPE),
    ],
)
def test_data_that_is_not_a_datajud_answer_is_a_clear_error(data: bytes, message: str) -> None:
    with pytest.raises(NotDataJud) as raised:
        stream(data)

    assert raised.value.message.startswith(message)
    assert "\n" not in raised.value.message


@pytest.mark.parametrize(
    "payload", [{"error": "not found"}, {"hits": []}, [1], "x", 42, None, {"hits": {"hits": 3}}]
)
def test_a_decoded_payload_that_is_not_a_datajud_answer_is_a_clear_error(payload: object) -> None:
    with pytest.raises(NotDataJud) as raised:
        read_payload(payload)

    assert raised.value.message == SHAPE


def test_invisible_characters_in_court_texts_are_dropped_not_refused() -> None:
    hidden = movement(
        nome="Conclus\u202eão\u200b",
        complementosTabelados=[{"codigo": 3, "valor": 1, "nome": "\ufeffpara despacho\x07"}],
    )
    plain = movement(complementosTabelados=[{"codigo": 3, "valor": 1, "nome": "para despacho"}])

    written, clean = (only(read_payload(source(movimentos=[m]))) for m in (hidden, plain))

    assert written.movements[0].description == "Conclusão (para despacho)"
    assert written.movements[0].key == clean.movements[0].key
