"""Domain validation and normalisation for user input.

Every validator takes the raw string plus the name of the input field it came
from, and either returns the normalised value or raises `InvalidValue`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from email_validator import EmailNotValidError, validate_email

__all__ = [
    "InvalidValue",
    "cnj_number",
    "cnpj",
    "cpf",
    "email",
    "encodable",
    "hidden_character",
    "make_cnj",
    "make_cnpj",
    "make_cpf",
    "optional_text",
    "refuse_hidden_characters",
    "required_text",
    "tax_id",
    "without_hidden_characters",
]

# `[0-9]` rather than `\d`: `\d` also matches non-ASCII digits such as "٣".
_CNJ_FORMATTED = re.compile(
    r"(?P<seq>[0-9]{7})-(?P<dd>[0-9]{2})\.(?P<year>[0-9]{4})\."
    r"(?P<segment>[0-9])\.(?P<court>[0-9]{2})\.(?P<origin>[0-9]{4})"
)
_CNJ_BARE = re.compile(
    r"(?P<seq>[0-9]{7})(?P<dd>[0-9]{2})(?P<year>[0-9]{4})"
    r"(?P<segment>[0-9])(?P<court>[0-9]{2})(?P<origin>[0-9]{4})"
)
_CPF_FORMATTED = re.compile(r"([0-9]{3})\.([0-9]{3})\.([0-9]{3})-([0-9]{2})")
# Since July 2026 the first 12 characters of a CNPJ may be letters as well as digits.
_CNPJ_FORMATTED = re.compile(
    r"([0-9A-Za-z]{2})\.([0-9A-Za-z]{3})\.([0-9A-Za-z]{3})/([0-9A-Za-z]{4})-([0-9]{2})"
)
_CNPJ_BARE = re.compile(r"[0-9A-Za-z]{12}[0-9]{2}")
_CNPJ_BASE = re.compile(r"[0-9A-Z]{12}")
_DIGITS = re.compile(r"[0-9]+")

_CPF_WEIGHTS_1 = tuple(range(10, 1, -1))
_CPF_WEIGHTS_2 = tuple(range(11, 1, -1))
_CNPJ_WEIGHTS_1 = (5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)
_CNPJ_WEIGHTS_2 = (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)

_QUOTE_LIMIT = 60
# Controls, format characters (bidirectional overrides, zero-width ones, BOM), lone
# surrogates and line/paragraph separators: invisible, or able to reorder what is shown.
# Controls, formatting, surrogates, line and paragraph separators, private use and
# unassigned code points (noncharacters among them)...
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp", "Co", "Cn"})
# ...and letters or marks that print as nothing: the combining grapheme joiner, the Hangul
# fillers, the braille blank, the Khmer inherent vowels and the variation selectors.
_BLANK_LOOKING = frozenset(
    "\u034f\u115f\u1160\u3164\uffa0\u2800\u17b4\u17b5"
    + "".join(map(chr, range(0xFE00, 0xFE10)))
    + "".join(map(chr, range(0xE0100, 0xE01F0)))
)
# What a text of several lines may hold besides: its line breaks and tabs, and the
# zero-width joiner and emoji presentation selector that make an emoji sequence (👨‍👩‍👧, ❤️).
_MULTILINE_ALLOWED = frozenset("\n\r\t\u200d\ufe0f")


class InvalidValue(ValueError):
    """A value broke a domain rule; `field` names the input field, `message` is for people."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return self.message


def _quote(text: str) -> str:
    """Quote a bad value for an error message, shortening absurdly long input."""
    if len(text) > _QUOTE_LIMIT:
        text = text[: _QUOTE_LIMIT - 1] + "…"
    return f'"{text}"'


# --- CNJ process numbers (CNJ Resolution 65/2008) ---------------------------


def _cnj_check_digits(seq: str, year: str, segment: str, court: str, origin: str) -> str:
    """ISO 7064 mod 97-10 check digits over NNNNNNN AAAA J TR OOOO."""
    return f"{98 - (int(seq + year + segment + court + origin) * 100) % 97:02d}"


def cnj_number(value: str, *, field: str = "cnjNumber") -> str:
    """Validate a CNJ process number; return it as NNNNNNN-DD.AAAA.J.TR.OOOO."""
    text = value.strip()
    match = _CNJ_FORMATTED.fullmatch(text) or _CNJ_BARE.fullmatch(text)
    if match is None:
        raise InvalidValue(
            field,
            f"{_quote(text)} is not a valid CNJ process number; expected the format "
            "NNNNNNN-DD.AAAA.J.TR.OOOO (for example 1234567-13.2024.8.26.0100) or 20 digits.",
        )
    seq, dd, year, segment, court, origin = match.group(
        "seq", "dd", "year", "segment", "court", "origin"
    )
    if segment == "0":
        raise InvalidValue(
            field,
            f"{_quote(text)} is not a valid CNJ process number: the segment of justice "
            "(J, the digit after the year) must be 1-9, not 0.",
        )
    if dd != _cnj_check_digits(seq, year, segment, court, origin):
        raise InvalidValue(
            field,
            f"{_quote(text)} is not a valid CNJ process number: the check digits {dd} "
            "do not match the rest of the number.",
        )
    return f"{seq}-{dd}.{year}.{segment}.{court}.{origin}"


def make_cnj(sequence: int, year: int, segment: int, court: int, origin: int) -> str:
    """Build a valid, formatted CNJ number (for demo data and tests)."""
    parts = (
        ("sequence", sequence, 0, 9_999_999),
        ("year", year, 0, 9_999),
        ("segment", segment, 1, 9),
        ("court", court, 0, 99),
        ("origin", origin, 0, 9_999),
    )
    for name, number, low, high in parts:
        if not low <= number <= high:
            raise ValueError(f"{name} must be between {low} and {high}, got {number}")
    seq, yr, seg, tr, org = (
        f"{sequence:07d}",
        f"{year:04d}",
        str(segment),
        f"{court:02d}",
        f"{origin:04d}",
    )
    dd = _cnj_check_digits(seq, yr, seg, tr, org)
    return f"{seq}-{dd}.{yr}.{seg}.{tr}.{org}"


# --- CPF / CNPJ ---------------------------------------------------------------


def _mod11_digit(characters: str, weights: Sequence[int]) -> str:
    """Each character counts as its code minus 48: digits as themselves, "A" as 17."""
    values = (ord(c) - 48 for c in characters)
    remainder = sum(v * w for v, w in zip(values, weights, strict=True)) % 11
    return "0" if remainder < 2 else str(11 - remainder)


def _cpf_check_digits(base9: str) -> str:
    first = _mod11_digit(base9, _CPF_WEIGHTS_1)
    return first + _mod11_digit(base9 + first, _CPF_WEIGHTS_2)


def _cnpj_check_digits(base12: str) -> str:
    first = _mod11_digit(base12, _CNPJ_WEIGHTS_1)
    return first + _mod11_digit(base12 + first, _CNPJ_WEIGHTS_2)


def _format_cpf(digits: str) -> str:
    return f"{digits[:3]}.{digits[3:6]}.{digits[6:9]}-{digits[9:]}"


def _format_cnpj(digits: str) -> str:
    return f"{digits[:2]}.{digits[2:5]}.{digits[5:8]}/{digits[8:12]}-{digits[12:]}"


def _digits_only(text: str, formatted: re.Pattern[str], length: int) -> str | None:
    """The bare digits of `text` if it is exactly `length` digits or matches `formatted`."""
    match = formatted.fullmatch(text)
    if match is not None:
        return "".join(match.groups())
    if len(text) == length and _DIGITS.fullmatch(text):
        return text
    return None


def cpf(value: str, *, field: str = "taxId") -> str:
    """Validate a CPF; return it as 000.000.000-00."""
    text = value.strip()
    digits = _digits_only(text, _CPF_FORMATTED, 11)
    if digits is None:
        raise InvalidValue(
            field,
            f"{_quote(text)} is not a valid CPF; expected 11 digits, "
            "written as 123.456.789-09 or 12345678909.",
        )
    if len(set(digits)) == 1:
        raise InvalidValue(
            field, f"{_quote(text)} is not a valid CPF: all its digits are the same."
        )
    if digits[9:] != _cpf_check_digits(digits[:9]):
        raise InvalidValue(
            field, f"{_quote(text)} is not a valid CPF: the check digits do not match."
        )
    return _format_cpf(digits)


def cnpj(value: str, *, field: str = "taxId") -> str:
    """Validate a CNPJ, numeric or alphanumeric; return it as 00.000.000/0000-00 (letters
    in upper case, as the Receita Federal writes them: 12.ABC.345/01DE-35)."""
    text = value.strip()
    match = _CNPJ_FORMATTED.fullmatch(text)
    characters = "".join(match.groups()) if match else text if _CNPJ_BARE.fullmatch(text) else None
    if characters is None:
        raise InvalidValue(
            field,
            f"{_quote(text)} is not a valid CNPJ; expected 12 letters or digits and 2 check "
            "digits, written as 12.345.678/0001-95, 12.ABC.345/01DE-35 or 12ABC34501DE35.",
        )
    characters = characters.upper()
    if len(set(characters)) == 1:
        raise InvalidValue(
            field, f"{_quote(text)} is not a valid CNPJ: all its digits are the same."
        )
    if characters[12:] != _cnpj_check_digits(characters[:12]):
        raise InvalidValue(
            field, f"{_quote(text)} is not a valid CNPJ: the check digits do not match."
        )
    return _format_cnpj(characters)


def tax_id(value: str, *, kind: str, field: str = "taxId") -> str:
    """Validate a CPF (kind "NATURAL") or CNPJ (kind "LEGAL").

    An unknown `kind` is a programming error, so it raises a plain ValueError.
    """
    if kind == "NATURAL":
        return cpf(value, field=field)
    if kind == "LEGAL":
        return cnpj(value, field=field)
    raise ValueError(f'kind must be "NATURAL" or "LEGAL", got {kind!r}')


def make_cpf(base9: str) -> str:
    """Append check digits to 9 digits and return a formatted CPF."""
    if len(base9) != 9 or not _DIGITS.fullmatch(base9):
        raise ValueError(f"base9 must be exactly 9 digits, got {base9!r}")
    if len(set(base9)) == 1:
        raise ValueError(f"base9 must not repeat a single digit, got {base9!r}")
    return _format_cpf(base9 + _cpf_check_digits(base9))


def make_cnpj(base12: str) -> str:
    """Append check digits to 12 digits or upper-case letters; return a formatted CNPJ."""
    if not _CNPJ_BASE.fullmatch(base12):
        raise ValueError(f"base12 must be exactly 12 digits or upper-case letters, got {base12!r}")
    digits = base12 + _cnpj_check_digits(base12)
    if len(set(digits)) == 1:
        raise ValueError(f"base12 {base12!r} gives a CNPJ whose digits are all the same")
    return _format_cnpj(digits)


# --- E-mail and free text -----------------------------------------------------


def email(value: str, *, field: str = "email") -> str:
    """Validate an e-mail address (syntax only, no DNS); return it with the domain lower-cased."""
    text = encodable(value, field=field).strip()
    if not text:
        raise InvalidValue(field, f"{field} must not be empty")
    refuse_hidden_characters(text, field=field, label=field)
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidValue(field, f"{_quote(text)} is not a valid e-mail address: {exc}") from exc
    return result.normalized


def encodable(value: str, *, field: str) -> str:
    """Refuse text that has no UTF-8 form: a lone surrogate (JSON lets "\\ud800" through)."""
    try:
        value.encode()
    except UnicodeEncodeError:
        raise InvalidValue(
            field, f"{field} is not valid text: it holds a lone surrogate."
        ) from None
    return value


def hidden_character(text: str, *, allowed: frozenset[str] = frozenset()) -> str | None:
    """The first character of ``text`` that is invisible or reorders the text around it
    (``"a\\u202egpj.exe"`` shows as "aexe.jpg"), described for a message; None if none."""
    for character in text:
        if _hidden(character) and character not in allowed:
            unnamed = (
                "a control character"
                if unicodedata.category(character) == "Cc"
                else "an unassigned or private-use character"
            )
            name = unicodedata.name(character, unnamed)
            return f"U+{ord(character):04X}, {name}"
    return None


def _hidden(character: str) -> bool:
    return unicodedata.category(character) in _HIDDEN_CATEGORIES or character in _BLANK_LOOKING


def without_hidden_characters(text: str) -> str:
    """``text`` with the characters `hidden_character` finds taken out."""
    return "".join(c for c in text if not _hidden(c))


def refuse_hidden_characters(
    text: str, *, field: str, label: str, allowed: frozenset[str] = frozenset()
) -> None:
    found = hidden_character(text, allowed=allowed)
    if found is not None:
        raise InvalidValue(
            field,
            f"{label} has an invisible control or formatting character ({found}), "
            "which can disguise what is shown; remove it.",
        )


def required_text(value: str, *, field: str, max_length: int = 500, multiline: bool = False) -> str:
    """Strip `value`; reject it if empty, longer than `max_length`, holding NUL, a lone
    surrogate, a control or formatting character (bidirectional overrides, zero-width
    characters), or, unless `multiline`, a line break.

    PostgreSQL text cannot store the NUL character, nor anything without a UTF-8 form,
    so they are refused here as bad input; the invisible ones could make a name read
    as something else.
    """
    text = value.strip()
    if not text:
        raise InvalidValue(field, f"{field} must not be empty")
    if "\x00" in text:
        raise InvalidValue(field, f"{field} must not contain NUL characters")
    encodable(text, field=field)
    if not multiline and ("\n" in text or "\r" in text):
        raise InvalidValue(field, f"{field} must be a single line, without line breaks")
    refuse_hidden_characters(
        text, field=field, label=field, allowed=_MULTILINE_ALLOWED if multiline else frozenset()
    )
    if len(text) > max_length:
        raise InvalidValue(
            field,
            f"{field} must be at most {max_length} characters long, "
            f"but {_quote(text)} has {len(text)}",
        )
    return text


def optional_text(
    value: str | None, *, field: str, max_length: int = 500, multiline: bool = False
) -> str | None:
    """Like `required_text`, but None or blank input gives None."""
    if value is None or not value.strip():
        return None
    return required_text(value, field=field, max_length=max_length, multiline=multiline)
