"""Framework-agreement terms and subcontractor shares from human values — pure, no chain.

    from factorychain import agreement_terms, payee_shares

    terms = agreement_terms(
        supplier=supplier, part_id=part_id("PN-4711"), version=1,
        unit_price="0.0125",                 # whole tokens (ETH here); an int is in wei
        max_quantity=10_000, valid_until=now + 365 * 86_400,
        review_period="3d", inspector=gate_scanner,
        grace_period="5d", penalty_per_day="1%", penalty_cap="10%",
    )
    escrow.propose_agreement(terms, sender=oem)
    escrow.accept_agreement(agreement_id, payee_shares([(heat, "15%"), (coat, "8%")]), sender=supplier)

Every bound the escrow enforces is checked here first, so a mistake fails with one
:class:`~factorychain.errors.InvalidInputError` line before any gas is spent. Amounts are parsed
exactly: a value finer than the token's smallest unit, or a price that comes to 0, is refused
rather than rounded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from ._hex import BytesLike, as_address, as_bytes, as_uint
from .errors import InvalidInputError

__all__ = [
    "BPS",
    "DAY",
    "MAX_GRACE_PERIOD",
    "MAX_PAYEES",
    "MAX_REVIEW_PERIOD",
    "ZERO_ADDRESS",
    "Payee",
    "Terms",
    "agreement_terms",
    "format_amount",
    "parse_amount",
    "parse_duration",
    "parse_percent",
    "payee_shares",
]

BPS = 10_000
DAY = 86_400
MAX_REVIEW_PERIOD = 90 * DAY
MAX_GRACE_PERIOD = 90 * DAY
MAX_PAYEES = 8
ZERO_ADDRESS = "0x" + "00" * 20

Amount = int | str | Decimal
Percent = int | str | Decimal
Duration = int | str | timedelta

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3_600, "d": DAY}


class Terms(NamedTuple):
    """``OrderEscrow.Terms`` in ABI order; pass it as is to ``propose_agreement``."""

    supplier: str
    part_id: bytes
    version: int
    token: str
    unit_price: int
    max_quantity: int
    valid_until: int
    review_period: int
    inspector: str
    grace_period: int
    penalty_bps_per_day: int
    penalty_cap_bps: int

    @classmethod
    def from_struct(cls, struct: Any) -> Terms:
        """From the ``terms`` of ``escrow.get_agreement(id)`` (any object with the field names)."""
        return cls(
            supplier=as_address(struct.supplier, "supplier"),
            part_id=as_bytes(bytes(struct.part_id), "part id", 32),
            version=int(struct.version),
            token=as_address(struct.token, "token"),
            unit_price=int(struct.unit_price),
            max_quantity=int(struct.max_quantity),
            valid_until=int(struct.valid_until),
            review_period=int(struct.review_period),
            inspector=as_address(struct.inspector, "inspector"),
            grace_period=int(struct.grace_period),
            penalty_bps_per_day=int(struct.penalty_bps_per_day),
            penalty_cap_bps=int(struct.penalty_cap_bps),
        )

    @property
    def pays_in_eth(self) -> bool:
        return self.token == ZERO_ADDRESS

    def amount(self, quantity: int) -> int:
        """What a call-off of ``quantity`` units locks: ``quantity * unit_price``."""
        return as_uint(quantity, "quantity", minimum=1) * self.unit_price


class Payee(NamedTuple):
    """``OrderEscrow.Payee``: a subcontractor and its share of every lot, in basis points."""

    account: str
    share_bps: int


def _decimal(value: object, what: str, shown: object) -> Decimal:
    """A non-negative finite ``Decimal`` below 10**78, or one error line."""
    try:
        number = Decimal(value)  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidInputError(f"{what}: {shown!r} is not a number") from None
    if not number.is_finite() or number < 0:
        raise InvalidInputError(f"{what}: {shown!r} is not a non-negative finite number")
    if number.adjusted() >= 78:
        raise InvalidInputError(f"{what}: {shown} is too large")
    return number


def _scaled(number: Decimal, places: int, what: str, too_fine: str) -> int:
    """``number * 10**places`` as an exact ``int``; ``too_fine`` if a fraction would be lost."""
    _, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # dev: finite by _decimal
    mantissa = int("".join(map(str, digits)) or "0")
    shift = exponent + places
    if mantissa == 0:
        return 0
    if shift >= 0:
        return mantissa * 10**shift
    if -shift > len(digits):  # every digit lies below the smallest unit
        raise InvalidInputError(f"{what}: {too_fine}")
    whole, fraction = divmod(mantissa, 10**-shift)
    if fraction:
        raise InvalidInputError(f"{what}: {too_fine}")
    return whole


def parse_amount(value: Amount, decimals: int = 18, what: str = "amount") -> int:
    """An amount in the token's smallest unit from whole tokens (``"12.5"``, ``Decimal``).

    An ``int`` is taken as already in the smallest unit. Refuses negatives, non-numbers and
    values finer than ``10**-decimals``; never rounds.
    """
    as_uint(decimals, "decimals", maximum=77)
    if isinstance(value, bool):
        raise InvalidInputError(f"{what}: expected a number, got bool")
    if isinstance(value, int):
        return as_uint(value, what)
    number = _decimal(value.strip() if isinstance(value, str) else value, what, value)
    return as_uint(_scaled(number, decimals, what, f"{value} has more than {decimals} decimals"), what)


def format_amount(amount: int, decimals: int = 18, places: int = 6) -> str:
    """``amount`` (smallest units, may be negative) in whole tokens, exact, with at least ``places`` decimals."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidInputError(f"amount: expected an integer, got {type(amount).__name__}")
    whole, fraction = divmod(abs(amount), 10**decimals)
    digits = f"{fraction:0{decimals}d}".rstrip("0").ljust(places, "0") if decimals else ""
    sign = "-" if amount < 0 else ""
    return f"{sign}{whole:,}.{digits}" if digits else f"{sign}{whole:,}"


def parse_percent(value: Percent, what: str = "percentage") -> int:
    """Basis points from a percentage: ``"15%"``, ``"0.5"``, ``15``, ``Decimal("8")``.

    Exact to 0.01 % (one basis point); at most 655.35 % (the escrow's ``uint16``).
    """
    if isinstance(value, bool):
        raise InvalidInputError(f"{what}: expected a percentage, got bool")
    text = value.strip().removesuffix("%").strip() if isinstance(value, str) else value
    number = _decimal(text, what, value)
    bps = _scaled(number, 2, what, f"{value} is finer than one basis point (0.01 %)")
    return as_uint(bps, f"{what} in basis points", maximum=2**16 - 1)


def parse_duration(value: Duration, what: str = "duration") -> int:
    """Seconds from an ``int``, a ``timedelta``, or ``"3600"``, ``"90m"``, ``"12h"``, ``"5d"``."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
        if seconds != int(seconds):
            raise InvalidInputError(f"{what}: {value} is not a whole number of seconds")
        return as_uint(int(seconds), what)
    if isinstance(value, int) and not isinstance(value, bool):
        return as_uint(value, what)
    match = _DURATION.match(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidInputError(f"{what}: {value!r} is not a duration (seconds, or a number followed by s, m, h or d)")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def _unix_time(value: int | datetime, what: str) -> int:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidInputError(f"{what}: give a timezone-aware datetime (or a unix time)")
        return int(value.timestamp())
    return as_uint(value, what)


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise InvalidInputError(message)


def agreement_terms(
    *,
    supplier: object,
    part_id: BytesLike,
    version: int,
    unit_price: Amount,
    max_quantity: int,
    valid_until: int | datetime,
    review_period: Duration,
    inspector: object | None = None,
    token: object | None = None,
    decimals: int = 18,
    grace_period: Duration = 0,
    penalty_per_day: Percent = 0,
    penalty_cap: Percent = 0,
) -> Terms:
    """The ``Terms`` tuple of a framework agreement, checked against the escrow's bounds.

    ``unit_price``: whole tokens as ``str``/``Decimal`` (scaled by ``decimals``) or an ``int``
    in the smallest unit. Durations: seconds or ``"5d"``-style strings. ``penalty_per_day`` and
    ``penalty_cap``: percentages (``"1%"``, ``10``). ``token=None`` pays in ETH;
    ``inspector=None`` names no inspector. What only the chain knows (part access,
    certification, ``valid_until`` still ahead) is left to the escrow.
    """
    supplier_address = as_address(supplier, "supplier")
    _check(supplier_address != ZERO_ADDRESS, "supplier: must not be the zero address")
    inspector_address = ZERO_ADDRESS if inspector is None else as_address(inspector, "inspector")
    _check(inspector_address != supplier_address, "inspector: must not be the supplier")
    price = parse_amount(unit_price, decimals, "unit price")
    _check(price > 0, f"unit price: {unit_price} comes to 0 in the token's smallest unit")
    _check(price < 2**128, f"unit price: {price} is not below 2**128")
    review = parse_duration(review_period, "review period")
    _check(0 < review <= MAX_REVIEW_PERIOD, f"review period: {review} s is outside 1 s .. 90 days")
    grace = parse_duration(grace_period, "grace period")
    _check(grace <= MAX_GRACE_PERIOD, f"grace period: {grace} s is above 90 days")
    cap = parse_percent(penalty_cap, "penalty cap")
    _check(cap <= BPS, f"penalty cap: {penalty_cap} is above 100 %")
    until = _unix_time(valid_until, "valid until")
    _check(0 < until < 2**40, f"valid until: {until} is outside 1 .. 2**40 - 1")
    return Terms(
        supplier=supplier_address,
        part_id=as_bytes(part_id, "part id", 32),
        version=as_uint(version, "version", minimum=1, maximum=2**32 - 1),
        token=ZERO_ADDRESS if token is None else as_address(token, "token"),
        unit_price=price,
        max_quantity=as_uint(max_quantity, "max quantity", minimum=1, maximum=2**64 - 1),
        valid_until=until,
        review_period=review,
        inspector=inspector_address,
        grace_period=grace,
        penalty_bps_per_day=parse_percent(penalty_per_day, "penalty per day"),
        penalty_cap_bps=cap,
    )


def payee_shares(payees: Iterable[tuple[object, Percent]]) -> list[Payee]:
    """The payee list for ``accept_agreement`` from ``(account, percentage)`` pairs.

    Checks what the escrow checks without the chain: at most eight, non-zero and distinct
    accounts, each share above 0, together at most 100 %.
    """
    result: list[Payee] = []
    for index, (account, share) in enumerate(payees, start=1):
        address = as_address(account, f"payee {index}")
        _check(address != ZERO_ADDRESS, f"payee {index}: must not be the zero address")
        _check(all(p.account != address for p in result), f"payee {index}: {address} is listed twice")
        bps = parse_percent(share, f"payee {index} share")
        _check(bps > 0, f"payee {index} share: must be above 0")
        result.append(Payee(address, bps))
    _check(len(result) <= MAX_PAYEES, f"payees: {len(result)} given, at most {MAX_PAYEES}")
    total = sum(p.share_bps for p in result)
    _check(total <= BPS, f"payees: shares add up to {total / 100:g} %, above 100 %")
    return result
