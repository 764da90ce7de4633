"""factorychain.terms: framework-agreement terms and payee lists from human values (no chain)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from eth_account import Account
from eth_utils import keccak

from factorychain import (
    InvalidInputError,
    Payee,
    Terms,
    agreement_terms,
    format_amount,
    parse_amount,
    parse_duration,
    parse_percent,
    payee_shares,
)

SUPPLIER = Account.from_key(keccak(b"supplier")).address
SCANNER = Account.from_key(keccak(b"scanner")).address
HEAT = Account.from_key(keccak(b"heat")).address
COAT = Account.from_key(keccak(b"coat")).address
TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
PART = keccak(b"PN-4711")
ZERO = "0x" + "00" * 20
UNTIL = 1_900_000_000


def _terms(**changes):
    kwargs = dict(
        supplier=SUPPLIER, part_id=PART, version=1, unit_price="0.0125", max_quantity=10_000,
        valid_until=UNTIL, review_period="3d",
    )  # fmt: skip
    return agreement_terms(**{**kwargs, **changes})


def test_agreement_terms__human_values_to_the_abi_tuple():
    terms = _terms(inspector=SCANNER, grace_period="5d", penalty_per_day="1%", penalty_cap="10%")
    assert terms == (
        SUPPLIER, PART, 1, ZERO, 125 * 10**14, 10_000, UNTIL, 3 * 86_400, SCANNER, 5 * 86_400, 100, 1_000,
    )  # fmt: skip
    assert isinstance(terms, tuple) and terms.pays_in_eth and terms.amount(1_000) == 125 * 10**17


def test_agreement_terms__defaults_eth_no_inspector_no_late_terms():
    terms = _terms()
    assert (terms.token, terms.inspector, terms.grace_period, terms.penalty_bps_per_day, terms.penalty_cap_bps) == (
        ZERO, ZERO, 0, 0, 0,
    )  # fmt: skip


def test_agreement_terms__token_with_decimals_and_int_price_in_smallest_units():
    assert _terms(token=TOKEN, decimals=6, unit_price="12.5").unit_price == 12_500_000
    assert _terms(unit_price=7).unit_price == 7
    assert not _terms(token=TOKEN, decimals=6, unit_price="1").pays_in_eth


def test_agreement_terms__datetime_and_timedelta():
    until = datetime(2030, 1, 1, tzinfo=UTC)
    terms = _terms(valid_until=until, review_period=timedelta(hours=36))
    assert (terms.valid_until, terms.review_period) == (int(until.timestamp()), 36 * 3_600)
    with pytest.raises(InvalidInputError, match="timezone-aware"):
        _terms(valid_until=datetime(2030, 1, 1))


@pytest.mark.parametrize(
    "changes, fragment",
    [
        ({"supplier": ZERO}, "supplier: must not be the zero address"),
        ({"supplier": "0x12"}, "supplier: not a 20-byte hex address"),
        ({"inspector": SUPPLIER}, "inspector: must not be the supplier"),
        ({"unit_price": "0"}, "comes to 0"),
        ({"unit_price": "0.0000000000000000001"}, "more than 18 decimals"),
        ({"unit_price": "twelve"}, "is not a number"),
        ({"unit_price": "-1"}, "non-negative"),
        ({"unit_price": 2**128}, "not below 2\\*\\*128"),
        ({"max_quantity": 0}, "max quantity"),
        ({"max_quantity": 2**64}, "max quantity"),
        ({"review_period": 0}, "review period: 0 s is outside"),
        ({"review_period": "91d"}, "review period"),
        ({"review_period": "soon"}, "not a duration"),
        ({"grace_period": "91d"}, "grace period: 7862400 s is above 90 days"),
        ({"penalty_cap": "100.01%"}, "penalty cap: 100.01% is above 100 %"),
        ({"penalty_per_day": "0.005%"}, "finer than one basis point"),
        ({"penalty_per_day": "700%"}, "penalty per day in basis points"),
        ({"valid_until": 2**40}, "valid until"),
        ({"version": 0}, "version"),
        ({"part_id": b"short"}, "part id: expected 32 bytes"),
    ],
)
def test_agreement_terms__each_bound_one_line(changes, fragment):
    with pytest.raises(InvalidInputError, match=fragment) as error:
        _terms(**changes)
    assert "\n" not in str(error.value)


def test_terms_from_struct__round_trip():
    terms = _terms(inspector=SCANNER, penalty_cap="10%")
    from types import SimpleNamespace

    assert Terms.from_struct(SimpleNamespace(**terms._asdict())) == terms


@pytest.mark.parametrize(
    "value, bps",
    [("15%", 1_500), (" 8 % ", 800), ("0.01", 1), (15, 1_500), (Decimal("2.5"), 250), ("0", 0), ("655.35%", 65_535)],
)
def test_parse_percent(value, bps):
    assert parse_percent(value) == bps


@pytest.mark.parametrize("value", ["x%", "-1%", "NaN", True, "655.36%", "0.001%"])
def test_parse_percent__refused(value):
    with pytest.raises(InvalidInputError):
        parse_percent(value)


@pytest.mark.parametrize(
    "value, seconds", [(3_600, 3_600), ("90m", 5_400), ("12h", 43_200), ("5d", 432_000), ("45s", 45), (timedelta(days=1), 86_400)]
)
def test_parse_duration(value, seconds):
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["5w", "-1", "1.5d", timedelta(seconds=0.5), True, None])
def test_parse_duration__refused(value):
    with pytest.raises(InvalidInputError):
        parse_duration(value)


def test_parse_amount__exact_never_rounded():
    assert parse_amount("12.5") == 125 * 10**17
    assert parse_amount(Decimal("0.000000000000000001")) == 1
    assert parse_amount("1.5", decimals=6) == 1_500_000
    assert parse_amount(42) == 42
    for bad in ("1.0000001", "inf", "", "1e400000000000000000"):
        with pytest.raises(InvalidInputError):
            parse_amount(bad, decimals=6)


def test_format_amount__exact_with_at_least_six_places():
    assert format_amount(125 * 10**17) == "12.500000"
    assert format_amount(10**18 + 1) == "1.000000000000000001"
    assert format_amount(0) == "0.000000"
    assert format_amount(-(10**18 + 1)) == "-1.000000000000000001"
    assert format_amount(1_234_567_890, decimals=6, places=2) == "1,234.56789"


def test_payee_shares__percentages_to_payees():
    assert payee_shares([(HEAT, "15%"), (COAT, 8)]) == [Payee(HEAT, 1_500), Payee(COAT, 800)]
    assert payee_shares([]) == []


@pytest.mark.parametrize(
    "payees, fragment",
    [
        ([(HEAT, "15%"), (HEAT, "8%")], "payee 2: .* is listed twice"),
        ([(ZERO, "1%")], "payee 1: must not be the zero address"),
        ([(HEAT, "0%")], "payee 1 share: must be above 0"),
        ([(HEAT, "60%"), (COAT, "40.01%")], "shares add up to 100.01 %, above 100 %"),
        ([(Account.from_key(keccak(bytes([i]))).address, "1%") for i in range(9)], "9 given, at most 8"),
    ],
)
def test_payee_shares__refused(payees, fragment):
    with pytest.raises(InvalidInputError, match=fragment):
        payee_shares(payees)


@pytest.mark.parametrize("value", ["1e-400000000000000000", "1e400000000000000000", "0.0000001e-12"])
def test_parse_amount_and_percent__extreme_exponents_refused_at_once(value):
    with pytest.raises(InvalidInputError):
        parse_amount(value)
    with pytest.raises(InvalidInputError):
        parse_percent(value)


def test_parse_amount__large_values_exact():
    assert parse_amount("123456789012345678901234567890.123456789012345678") == 123456789012345678901234567890123456789012345678
    assert parse_amount("0e-400000000000000000") == 0
    assert format_amount(123456789012345678901234567890123456789012345678) == (
        "123,456,789,012,345,678,901,234,567,890.123456789012345678"
    )
