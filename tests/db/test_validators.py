from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.validators import (
    InvalidValue,
    cnj_number,
    cnpj,
    cpf,
    email,
    make_cnj,
    make_cnpj,
    make_cpf,
    optional_text,
    required_text,
    tax_id,
    without_hidden_characters,
)

# --- InvalidValue ---------------------------------------------------------------


def test_invalid_value_keeps_field_and_message_and_is_a_value_error() -> None:
    exc = InvalidValue("cnjNumber", "something is wrong")

    assert isinstance(exc, ValueError)
    assert exc.field == "cnjNumber"
    assert exc.message == "something is wrong"
    assert str(exc) == "something is wrong"


# --- CNJ process numbers ----------------------------------------------------------


@pytest.mark.parametrize("number", ["0000002-65.2005.4.05.8100", "1234567-13.2024.8.26.0100"])
def test_cnj_number_accepts_known_valid_numbers_unchanged(number: str) -> None:
    assert cnj_number(number) == number


def test_cnj_number_rejects_wrong_check_digits_with_default_field() -> None:
    with pytest.raises(InvalidValue) as caught:
        cnj_number("1234567-14.2024.8.26.0100")

    assert caught.value.field == "cnjNumber"
    assert caught.value.message == (
        '"1234567-14.2024.8.26.0100" is not a valid CNJ process number: '
        "the check digits 14 do not match the rest of the number."
    )


def test_cnj_number_formats_twenty_bare_digits() -> None:
    assert cnj_number("12345671320248260100") == "1234567-13.2024.8.26.0100"


def test_cnj_number_ignores_surrounding_whitespace() -> None:
    assert cnj_number("  0000002-65.2005.4.05.8100\n") == "0000002-65.2005.4.05.8100"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "1234567-13.2024.8.26",
        "1234567-13.2024.8.26.01000",
        "1234567 13 2024 8 26 0100",
        "1234567-13-2024-8-26-0100",
        "123456713202482601000",
        "1234567132024826010",
        "abcdefg-13.2024.8.26.0100",
        "١٢٣٤٥٦٧١٣٢٠٢٤٨٢٦٠١٠٠",  # Arabic-Indic digits
    ],
)
def test_cnj_number_rejects_bad_format_naming_the_expected_format(bad: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        cnj_number(bad, field="processNumber")

    assert caught.value.field == "processNumber"
    assert caught.value.message == (
        f'"{bad}" is not a valid CNJ process number; expected the format '
        "NNNNNNN-DD.AAAA.J.TR.OOOO (for example 1234567-13.2024.8.26.0100) or 20 digits."
    )


def test_cnj_number_rejects_segment_zero_even_with_matching_check_digits() -> None:
    # 98 is the correct mod 97-10 check value for 0000002 2005 0 05 8100.
    with pytest.raises(InvalidValue) as caught:
        cnj_number("0000002-98.2005.0.05.8100")

    assert caught.value.field == "cnjNumber"
    assert caught.value.message == (
        '"0000002-98.2005.0.05.8100" is not a valid CNJ process number: '
        "the segment of justice (J, the digit after the year) must be 1-9, not 0."
    )


def test_cnj_error_shortens_very_long_input() -> None:
    with pytest.raises(InvalidValue) as caught:
        cnj_number("9" * 1000)

    assert caught.value.message.startswith('"' + "9" * 59 + '…" is not a valid')


def test_make_cnj_reproduces_known_valid_numbers() -> None:
    assert make_cnj(2, 2005, 4, 5, 8100) == "0000002-65.2005.4.05.8100"
    assert make_cnj(1234567, 2024, 8, 26, 100) == "1234567-13.2024.8.26.0100"


@pytest.mark.parametrize(
    ("sequence", "year", "segment", "court", "origin", "message"),
    [
        (-1, 2024, 8, 26, 100, "sequence must be between 0 and 9999999, got -1"),
        (10_000_000, 2024, 8, 26, 100, "sequence must be between 0 and 9999999, got 10000000"),
        (1, 10_000, 8, 26, 100, "year must be between 0 and 9999, got 10000"),
        (1, 2024, 0, 26, 100, "segment must be between 1 and 9, got 0"),
        (1, 2024, 10, 26, 100, "segment must be between 1 and 9, got 10"),
        (1, 2024, 8, 100, 100, "court must be between 0 and 99, got 100"),
        (1, 2024, 8, 26, 10_000, "origin must be between 0 and 9999, got 10000"),
    ],
)
def test_make_cnj_rejects_out_of_range_parts(
    sequence: int, year: int, segment: int, court: int, origin: int, message: str
) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        make_cnj(sequence, year, segment, court, origin)


@settings(database=None)
@given(
    sequence=st.integers(0, 9_999_999),
    year=st.integers(0, 9_999),
    segment=st.integers(1, 9),
    court=st.integers(0, 99),
    origin=st.integers(0, 9_999),
    position=st.sampled_from([8, 9]),  # index of the two check digits in "NNNNNNN-DD..."
    shift=st.integers(1, 9),
)
def test_make_cnj_always_validates_and_any_single_check_digit_change_is_rejected(
    sequence: int, year: int, segment: int, court: int, origin: int, position: int, shift: int
) -> None:
    number = make_cnj(sequence, year, segment, court, origin)
    assert cnj_number(number) == number

    changed_digit = str((int(number[position]) + shift) % 10)
    tampered = number[:position] + changed_digit + number[position + 1 :]
    with pytest.raises(InvalidValue) as caught:
        cnj_number(tampered)
    assert caught.value.field == "cnjNumber"
    assert "do not match" in caught.value.message


# --- CPF ------------------------------------------------------------------------------


def test_cpf_accepts_valid_formatted_number() -> None:
    assert cpf("529.982.247-25") == "529.982.247-25"


def test_cpf_formats_bare_digits_and_ignores_whitespace() -> None:
    assert cpf(" 52998224725 ") == "529.982.247-25"


def test_cpf_rejects_wrong_check_digits() -> None:
    with pytest.raises(InvalidValue) as caught:
        cpf("529.982.247-26")

    assert caught.value.field == "taxId"
    assert caught.value.message == (
        '"529.982.247-26" is not a valid CPF: the check digits do not match.'
    )


@pytest.mark.parametrize(
    "bad", ["5299822472", "529982247255", "529.982.24725", "529-982-247.25", "52998224a25", ""]
)
def test_cpf_rejects_wrong_length_or_format(bad: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        cpf(bad, field="ownerTaxId")

    assert caught.value.field == "ownerTaxId"
    assert caught.value.message == (
        f'"{bad}" is not a valid CPF; expected 11 digits, written as 123.456.789-09 or 12345678909.'
    )


@pytest.mark.parametrize("digit", "0123456789")
def test_cpf_rejects_all_same_digit_numbers(digit: str) -> None:
    repeated = f"{digit * 3}.{digit * 3}.{digit * 3}-{digit * 2}"
    with pytest.raises(InvalidValue) as caught:
        cpf(repeated)

    assert caught.value.field == "taxId"
    assert caught.value.message == f'"{repeated}" is not a valid CPF: all its digits are the same.'


def test_make_cpf_computes_known_check_digits() -> None:
    assert make_cpf("529982247") == "529.982.247-25"
    assert make_cpf("123456789") == "123.456.789-09"


@pytest.mark.parametrize("base9", ["000000001", "100000000", "987654321", "111111112", "390533447"])
def test_make_cpf_output_validates(base9: str) -> None:
    number = make_cpf(base9)
    assert cpf(number) == number


@pytest.mark.parametrize(
    ("base9", "message"),
    [
        ("12345678", "base9 must be exactly 9 digits, got '12345678'"),
        ("12345678a", "base9 must be exactly 9 digits, got '12345678a'"),
        ("777777777", "base9 must not repeat a single digit, got '777777777'"),
    ],
)
def test_make_cpf_rejects_bad_base(base9: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        make_cpf(base9)


# --- CNPJ -----------------------------------------------------------------------------


def test_cnpj_accepts_valid_formatted_number() -> None:
    assert cnpj("11.222.333/0001-81") == "11.222.333/0001-81"
    assert cnpj("12.345.678/0001-95") == "12.345.678/0001-95"


def test_cnpj_formats_bare_digits_and_ignores_whitespace() -> None:
    assert cnpj("\t11222333000181 ") == "11.222.333/0001-81"


def test_cnpj_rejects_wrong_check_digits() -> None:
    with pytest.raises(InvalidValue) as caught:
        cnpj("11.222.333/0001-80")

    assert caught.value.field == "taxId"
    assert caught.value.message == (
        '"11.222.333/0001-80" is not a valid CNPJ: the check digits do not match.'
    )


@pytest.mark.parametrize(
    "bad",
    [
        "1122233300018",
        "112223330001811",
        "11.222.333.0001-81",
        "11222333/0001-81",
        "",
        "12.ABC.345/01DE-3A",  # the check digits are always digits
        "12ABC34501DEAB",
        "12.ÀBC.345/01DE-35",  # letters are A to Z only
        "12.\u212aBC.345/01DE-35",  # KELVIN SIGN, which folds to "k"
        "12.ABC.345/01D٣-35",  # ARABIC-INDIC DIGIT THREE
    ],
)
def test_cnpj_rejects_wrong_length_or_format(bad: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        cnpj(bad, field="companyTaxId")

    assert caught.value.field == "companyTaxId"
    assert caught.value.message == (
        f'"{bad}" is not a valid CNPJ; expected 12 letters or digits and 2 check digits, '
        "written as 12.345.678/0001-95, 12.ABC.345/01DE-35 or 12ABC34501DE35."
    )


@pytest.mark.parametrize("given", ["12.ABC.345/01DE-35", "12ABC34501DE35", " 12abc34501de35 "])
def test_cnpj_accepts_the_receitas_alphanumeric_example_in_upper_case(given: str) -> None:
    assert cnpj(given) == "12.ABC.345/01DE-35"


def test_cnpj_accepts_mixed_case_masked_input() -> None:
    assert cnpj("12.aBc.345/01dE-35") == "12.ABC.345/01DE-35"


@pytest.mark.parametrize("given", ["12.ABC.345/01DE-36", "12ABC34501DE53", "12.abc.345/01de-34"])
def test_cnpj_rejects_an_alphanumeric_number_with_wrong_check_digits(given: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        cnpj(given)

    assert caught.value.field == "taxId"
    assert caught.value.message == (
        f'"{given}" is not a valid CNPJ: the check digits do not match.'
    )


@pytest.mark.parametrize("digit", "0123456789")
def test_cnpj_rejects_all_same_digit_numbers(digit: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        cnpj(digit * 14)

    assert caught.value.field == "taxId"
    assert caught.value.message == (
        f'"{digit * 14}" is not a valid CNPJ: all its digits are the same.'
    )


def test_make_cnpj_computes_known_check_digits() -> None:
    assert make_cnpj("112223330001") == "11.222.333/0001-81"
    assert make_cnpj("123456780001") == "12.345.678/0001-95"
    assert make_cnpj("12ABC34501DE") == "12.ABC.345/01DE-35"


@pytest.mark.parametrize(
    "base12",
    [
        "000000000001",
        "100000000000",
        "987654320001",
        "112223330002",
        "555555550001",
        "ZZZZZZZZ0001",
    ],
)
def test_make_cnpj_output_validates(base12: str) -> None:
    number = make_cnpj(base12)
    assert cnpj(number) == number


@pytest.mark.parametrize(
    ("base12", "message"),
    [
        (
            "11222333000",
            "base12 must be exactly 12 digits or upper-case letters, got '11222333000'",
        ),
        (
            "11222333000x",
            "base12 must be exactly 12 digits or upper-case letters, got '11222333000x'",
        ),
        ("000000000000", "base12 '000000000000' gives a CNPJ whose digits are all the same"),
    ],
)
def test_make_cnpj_rejects_bad_base(base12: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        make_cnpj(base12)


# --- tax_id ---------------------------------------------------------------------------


def test_tax_id_natural_person_is_validated_as_cpf() -> None:
    assert tax_id("52998224725", kind="NATURAL") == "529.982.247-25"


def test_tax_id_legal_person_is_validated_as_cnpj() -> None:
    assert tax_id("11222333000181", kind="LEGAL") == "11.222.333/0001-81"
    assert tax_id("12ABC34501DE35", kind="LEGAL") == "12.ABC.345/01DE-35"


@settings(database=None)
@given(base12=st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=12, max_size=12))
def test_any_alphanumeric_base_gives_a_cnpj_that_validates_also_in_lower_case(base12: str) -> None:
    if len(set(base12)) == 1 and base12[0].isdigit():
        return  # a CNPJ of one repeated digit is refused on its own rule
    number = make_cnpj(base12)
    assert cnpj(number) == cnpj(number.lower()) == number


def test_tax_id_rejects_cnpj_for_natural_person_under_given_field() -> None:
    with pytest.raises(InvalidValue) as caught:
        tax_id("11.222.333/0001-81", kind="NATURAL", field="clientTaxId")

    assert caught.value.field == "clientTaxId"
    assert caught.value.message == (
        '"11.222.333/0001-81" is not a valid CPF; expected 11 digits, '
        "written as 123.456.789-09 or 12345678909."
    )


def test_tax_id_rejects_cpf_for_legal_person() -> None:
    with pytest.raises(InvalidValue) as caught:
        tax_id("529.982.247-25", kind="LEGAL")

    assert caught.value.field == "taxId"
    assert caught.value.message.startswith('"529.982.247-25" is not a valid CNPJ;')


def test_tax_id_unknown_kind_is_a_programming_error() -> None:
    message = 'kind must be "NATURAL" or "LEGAL", got \'natural\''
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$") as caught:
        tax_id("52998224725", kind="natural")

    assert not isinstance(caught.value, InvalidValue)


# --- e-mail ---------------------------------------------------------------------------


def test_email_lower_cases_domain_keeps_local_part_and_strips_whitespace() -> None:
    assert email("  Ana.Souza@Escritorio.COM.BR \n") == "Ana.Souza@escritorio.com.br"


def test_email_rejects_missing_at_sign_with_library_reason() -> None:
    with pytest.raises(InvalidValue) as caught:
        email("ana.souza.escritorio.com.br")

    assert caught.value.field == "email"
    assert caught.value.message == (
        '"ana.souza.escritorio.com.br" is not a valid e-mail address: '
        "An email address must have an @-sign."
    )


def test_email_rejects_domain_without_period_under_given_field() -> None:
    with pytest.raises(InvalidValue) as caught:
        email("ana@escritorio", field="contactEmail")

    assert caught.value.field == "contactEmail"
    assert caught.value.message.startswith('"ana@escritorio" is not a valid e-mail address: ')


def test_email_rejects_blank_input() -> None:
    with pytest.raises(InvalidValue) as caught:
        email("   ")

    assert caught.value.field == "email"
    assert caught.value.message == "email must not be empty"


# --- free text ------------------------------------------------------------------------


def test_required_text_rejects_the_nul_character_postgresql_cannot_store() -> None:
    with pytest.raises(InvalidValue) as caught:
        required_text("Ma\x00ria", field="name")

    assert caught.value.field == "name"
    assert caught.value.message == "name must not contain NUL characters"


def test_required_text_strips_surrounding_whitespace() -> None:
    assert required_text("  Ação de cobrança \n", field="title") == "Ação de cobrança"


@pytest.mark.parametrize("blank", ["", "   ", "\n\t"])
def test_required_text_rejects_blank(blank: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        required_text(blank, field="title")

    assert caught.value.field == "title"
    assert caught.value.message == "title must not be empty"


def test_required_text_accepts_exactly_max_length_after_stripping() -> None:
    assert required_text(" " + "a" * 10 + " ", field="title", max_length=10) == "a" * 10


def test_required_text_rejects_text_longer_than_max_length_naming_the_limit() -> None:
    with pytest.raises(InvalidValue) as caught:
        required_text("a" * 11, field="title", max_length=10)

    assert caught.value.field == "title"
    assert caught.value.message == (
        'title must be at most 10 characters long, but "aaaaaaaaaaa" has 11'
    )


def test_required_text_default_limit_is_500() -> None:
    assert required_text("a" * 500, field="notes") == "a" * 500
    with pytest.raises(InvalidValue) as caught:
        required_text("a" * 501, field="notes")

    assert caught.value.message == (
        f'notes must be at most 500 characters long, but "{"a" * 59}…" has 501'
    )


@pytest.mark.parametrize("empty", [None, "", "  \n"])
def test_optional_text_turns_none_and_blank_into_none(empty: str | None) -> None:
    assert optional_text(empty, field="notes") is None


def test_optional_text_strips_non_blank_text() -> None:
    assert optional_text("  urgent ", field="notes") == "urgent"


def test_optional_text_rejects_text_longer_than_max_length() -> None:
    with pytest.raises(InvalidValue) as caught:
        optional_text("abcdef", field="notes", max_length=5)

    assert caught.value.field == "notes"
    assert caught.value.message == 'notes must be at most 5 characters long, but "abcdef" has 6'


@pytest.mark.parametrize(
    ("text", "described"),
    [
        ("a\u202eb", "U+202E, RIGHT-TO-LEFT OVERRIDE"),
        ("a\u0007b", "U+0007, a control character"),
        ("\ufeffAna", "U+FEFF, ZERO WIDTH NO-BREAK SPACE"),
        ("a\u200bb", "U+200B, ZERO WIDTH SPACE"),
        ("a\x9bb", "U+009B, a control character"),
        ("a\u2028b", "U+2028, LINE SEPARATOR"),
        ("admin\u034f", "U+034F, COMBINING GRAPHEME JOINER"),
        ("\u3164", "U+3164, HANGUL FILLER"),
        ("\u2800", "U+2800, BRAILLE PATTERN BLANK"),
        ("a\ue000", "U+E000, an unassigned or private-use character"),
        ("a\uffff", "U+FFFF, an unassigned or private-use character"),
        ("a\U000e0080", "U+E0080, an unassigned or private-use character"),
    ],
)
def test_text_with_invisible_or_reordering_characters_is_refused(text: str, described: str) -> None:
    for multiline in (False, True):
        with pytest.raises(InvalidValue) as caught:
            required_text(text, field="name", multiline=multiline)

        assert caught.value.field == "name"
        assert caught.value.message == (
            f"name has an invisible control or formatting character ({described}), "
            "which can disguise what is shown; remove it."
        )


@pytest.mark.parametrize("text", ["Ana\nSouza", "Ana\r\nSouza", "Ana\rSouza"])
def test_a_one_line_field_refuses_line_breaks(text: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        optional_text(text, field="phone")

    assert caught.value.field == "phone"
    assert caught.value.message == "phone must be a single line, without line breaks"


def test_a_one_line_field_refuses_a_tab() -> None:
    with pytest.raises(InvalidValue) as caught:
        required_text("Ana\tSouza", field="name")

    assert caught.value.message == (
        "name has an invisible control or formatting character (U+0009, a control character), "
        "which can disguise what is shown; remove it."
    )


def test_notes_keep_their_lines_tabs_and_joined_emoji() -> None:
    notes = "Reunião:\r\n\t- prazo em 10 dias\n👨\u200d👩\u200d👧 família presente"

    assert optional_text(notes, field="notes", multiline=True) == notes


def test_an_email_with_a_bidirectional_control_is_refused() -> None:
    with pytest.raises(InvalidValue) as caught:
        email("ana\u202e@escritorio.com.br")

    assert caught.value.field == "email"
    assert caught.value.message == (
        "email has an invisible control or formatting character "
        "(U+202E, RIGHT-TO-LEFT OVERRIDE), which can disguise what is shown; remove it."
    )


def test_without_hidden_characters_drops_only_those() -> None:
    assert without_hidden_characters("Con\u202eclus\u200bão\x07 ok") == "Conclusão ok"
