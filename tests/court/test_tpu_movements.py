"""The table of plain-language explanations (court/tpu_movements.json): its codes, its
texts, and the codes that the demo and DataJud's sample carry."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from court.datajud import CourtProcess, read_payload
from court.explanations import EXPLANATIONS, TABLE, explain
from demo import seed

SAMPLE = Path(__file__).parent.parent / "data" / "datajud_sample.json"


def test_the_table_names_its_source() -> None:
    assert TABLE["source"]["url"] == "https://www.cnj.jus.br/sgt/consulta_publica_movimentos.php"
    assert "Tabelas Processuais Unificadas" in TABLE["source"]["name"]


def test_every_code_is_a_tpu_movement_code_held_once() -> None:
    codes = [entry["code"] for entry in TABLE["movements"]]

    assert all(type(code) is int and 0 < code < 1_000_000 for code in codes)
    assert [code for code, n in Counter(codes).items() if n > 1] == []
    assert len(codes) >= 100


def test_every_explanation_is_short_plain_text() -> None:
    texts = [text for entry in EXPLANATIONS.values() for _, text in entry.choices]

    assert all(0 < len(text) < 300 and text == text.strip() for text in texts)
    assert all(re.fullmatch(r"[^\n<>{}]+[.!?]", text) for text in texts)


def test_a_variant_is_lower_case_and_met_before_a_shorter_one_it_contains() -> None:
    for entry in EXPLANATIONS.values():
        *variants, default = entry.choices
        assert default[0] == ""
        contained = [text for text, _ in variants]
        assert all(text and text == text.lower() for text in contained), entry.code
        for n, text in enumerate(contained):  # "não realizada" before "realizada"
            assert not any(earlier in text for earlier in contained[:n]), (entry.code, text)


def test_the_demo_and_the_datajud_sample_are_explained() -> None:
    demo = [*seed._COURT_STEPS, seed._CLOSING_STEP]
    processes = read_payload(json.loads(SAMPLE.read_text(encoding="utf-8")))
    imported = [
        (movement.code, movement.description)
        for process in processes
        if isinstance(process, CourtProcess)
        for movement in process.movements
    ]

    assert len(imported) == 14
    assert all(code is not None for code, _ in imported)
    missing = [(code, text) for code, text in [*demo, *imported] if explain(code, text) is None]
    assert missing == []


@pytest.mark.parametrize(
    ("description", "meaning"),
    [
        ("Conclusão (para julgamento)", "para ser julgado"),
        ("Conclusão (para despacho)", "para uma ordem simples"),
        ("Conclusão (para sentença)", "para ele dar a sentença"),
        ("Conclusos para decisão", "para ele decidir uma questão"),
        ("Conclusão", "para ele analisar"),
        ("CONCLUSÃO (PARA JULGAMENTO)", "para ser julgado"),  # ASCII capitals lowered
    ],
)
def test_a_complement_changes_the_explanation_of_a_conclusion(
    description: str, meaning: str
) -> None:
    explained = explain(51, description)

    assert explained is not None
    assert meaning in explained


@pytest.mark.parametrize(
    ("code", "description", "meaning"),
    [
        (85, "Petição (Contrarrazões de apelação)", "respondeu ao recurso"),
        (85, "Petição (Réplica à contestação)", "respondeu à defesa"),
        (85, "Petição (Impugnação à contestação)", "respondeu à defesa"),
        (85, "Petição (Contestação)", "a defesa de quem está sendo processado"),
        (85, "Petição (Emenda à inicial)", "a correção ou o complemento"),
        (581, "Documento (Ata de audiência)", "A ata de uma audiência"),
        (581, "Documento (Auto de constatação)", "Um documento foi anexado"),
    ],
)
def test_a_complement_is_met_by_its_own_variant_not_by_one_it_contains(
    code: int, description: str, meaning: str
) -> None:
    explained = explain(code, description)

    assert explained is not None
    assert meaning in explained


def test_a_hearing_not_held_is_not_a_hearing_held() -> None:
    held = explain(970, "Audiência de conciliação (realizada)")
    not_held = explain(970, "Audiência de conciliação (não-realizada)")
    moved = explain(970, "Audiência (redesignada)")

    assert held is not None
    assert held.startswith("A audiência aconteceu")
    assert not_held is not None
    assert not_held.startswith("A audiência marcada não aconteceu")
    assert moved is not None
    assert moved.startswith("A audiência mudou de data")


def test_an_unknown_code_or_no_code_has_no_explanation() -> None:
    assert explain(999_999, "Conclusão (para julgamento)") is None
    assert explain(None, "Conclusão (para julgamento)") is None


def test_the_file_is_json_read_once() -> None:
    path = Path(__file__).parent.parent.parent / "court" / "tpu_movements.json"

    assert json.loads(path.read_text(encoding="utf-8")) == TABLE
