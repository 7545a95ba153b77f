"""Dates, dates with time and amounts are read only as the API writes them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from strawberry.exceptions import StrawberryInputCoercionError

from schema.scalars import parse_date, parse_date_time, parse_decimal


def test_a_date_in_range_is_read() -> None:
    assert parse_date("2100-12-31") == date(2100, 12, 31)
    assert parse_date("1900-01-01") == date(1900, 1, 1)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("20240101", "'20240101' is not a date: write it as YYYY-MM-DD, for example 2024-03-15."),
        (
            "2101-01-01",
            "'2101-01-01' is not a date: it must lie between 1900-01-01 and 2100-12-31.",
        ),
        (20240101, "20240101 is not a date: write it as YYYY-MM-DD, for example 2024-03-15."),
    ],
)
def test_a_date_otherwise_written_or_out_of_range_is_refused(given: object, message: str) -> None:
    with pytest.raises(StrawberryInputCoercionError) as refused:
        parse_date(given)
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("given", "read"),
    [
        (
            "2024-05-02T14:30:00-03:00",
            datetime(2024, 5, 2, 14, 30, tzinfo=timezone(-timedelta(hours=3))),
        ),
        ("2024-05-02T14:30Z", datetime(2024, 5, 2, 14, 30, tzinfo=UTC)),
        ("2024-05-02T14:30:00.123456+00:00", datetime(2024, 5, 2, 14, 30, 0, 123456, tzinfo=UTC)),
        ("2024-05-02T14:30:00", datetime(2024, 5, 2, 14, 30)),  # the offset is the field's rule
    ],
)
def test_a_date_and_time_in_iso_8601_extended_form_is_read(given: str, read: datetime) -> None:
    assert parse_date_time(given) == read


@pytest.mark.parametrize(
    "given", ["20240502T143000Z", "2024-05-02 14:30:00Z", "2024-W18-4T14:30Z", "2024-05-02"]
)
def test_a_date_and_time_otherwise_written_is_refused(given: str) -> None:
    with pytest.raises(StrawberryInputCoercionError) as refused:
        parse_date_time(given)
    assert str(refused.value) == (
        f"{given!r} is not a date and time: write it as YYYY-MM-DDTHH:MM:SS with an offset, "
        "for example 2024-03-15T14:30:00-03:00."
    )


@pytest.mark.parametrize(
    ("given", "read"), [("1234.56", Decimal("1234.56")), ("-1", Decimal(-1)), (10, Decimal(10))]
)
def test_an_amount_in_ascii_digits_is_read(given: object, read: Decimal) -> None:
    assert parse_decimal(given) == read


@pytest.mark.parametrize(
    "given", ["\uff10\uff11", "1_000", " 1 ", "1e3", "Infinity", True, "9" * 41]
)
def test_an_amount_otherwise_written_is_refused(given: object) -> None:
    with pytest.raises(StrawberryInputCoercionError):
        parse_decimal(given)
