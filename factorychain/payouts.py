"""How the escrow splits a lot, in plain Python — pure, for previews and for checking payouts.

SPEC v2's rule for a lot of value ``V`` whose supplier side is ``S`` (``S = V`` on completion,
release or receipt; ``V * supplier_bps // 10 000`` on a resolution, 5 000 bps when arbitration
times out)::

    each subcontractor i     S * share_i // 10 000          (declaration order)
    remainder R              S - sum of those
    penalty                  min(R, V * penalty_bps // 10 000)  -> the buyer
    supplier or assignee     R - penalty                    (rounding dust included)
    buyer                    V - S + penalty                (one transfer)

The parts add up to ``V`` exactly. A lot created by ``ship`` after ``ship_by`` carries
``min(cap, per_day * started days late)``; lots created by ``receive_goods`` carry none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ._hex import as_address, as_uint
from .errors import InvalidInputError
from .terms import BPS, DAY

__all__ = ["LotPayout", "late_penalty_bps", "lot_payout"]


def late_penalty_bps(ship_by: int, shipped_at: int, per_day_bps: int, cap_bps: int) -> int:
    """The penalty a lot shipped at ``shipped_at`` carries: 0 on time, else per started day, capped."""
    as_uint(ship_by, "ship by")
    as_uint(shipped_at, "shipped at")
    if shipped_at <= ship_by:
        return 0
    days_late = (shipped_at - ship_by + DAY - 1) // DAY
    return min(as_uint(cap_bps, "penalty cap", maximum=BPS), as_uint(per_day_bps, "penalty per day") * days_late)


@dataclass(frozen=True)
class LotPayout:
    """Who gets what when a lot settles (amounts in the token's smallest unit)."""

    value: int
    supplier_side: int
    #: One amount per declared subcontractor, in declaration order (zeros included).
    subcontractors: tuple[int, ...]
    #: Taken from the supplier's remainder and paid to the buyer.
    penalty: int
    #: What the payout holder (the supplier, or the assignee of the order) receives.
    holder: int
    #: What the buyer receives: its side of a resolution plus the penalty.
    buyer: int

    @property
    def total(self) -> int:
        """Always ``value``: nothing is kept, nothing is created."""
        return sum(self.subcontractors) + self.holder + self.buyer

    def transfers(self, payees: Sequence[object], holder: object, buyer: object) -> list[tuple[str, int]]:
        """``(address, amount)`` in the escrow's push order, zero amounts left out.

        What the lot's ``Paid`` (or ``PaymentDeferred``) events list, one per transfer.
        """
        if len(payees) != len(self.subcontractors):
            raise ValueError(f"{len(payees)} payees given for {len(self.subcontractors)} shares")
        pairs = [
            *((as_address(p, "payee"), a) for p, a in zip(payees, self.subcontractors, strict=True)),
            (as_address(holder, "holder"), self.holder),
            (as_address(buyer, "buyer"), self.buyer),
        ]
        return [(address, amount) for address, amount in pairs if amount]


def lot_payout(
    value: int, shares_bps: Sequence[int], *, penalty_bps: int = 0, supplier_bps: int = BPS
) -> LotPayout:
    """The split of a lot worth ``value`` among subcontractors (``shares_bps``), holder and buyer.

    ``supplier_bps`` is 10 000 for a confirmed, released or received lot, the arbiter's ruling
    for a resolved one (5 000 when arbitration timed out).
    """
    as_uint(value, "value")
    as_uint(supplier_bps, "supplier bps", maximum=BPS)
    as_uint(penalty_bps, "penalty bps", maximum=BPS)
    shares = [as_uint(s, "share", minimum=1, maximum=BPS) for s in shares_bps]
    if sum(shares) > BPS:
        raise InvalidInputError(f"shares add up to {sum(shares)} bps, above {BPS}")
    side = value * supplier_bps // BPS
    subs = tuple(side * s // BPS for s in shares)
    remainder = side - sum(subs)
    penalty = min(remainder, value * penalty_bps // BPS)
    return LotPayout(
        value=value,
        supplier_side=side,
        subcontractors=subs,
        penalty=penalty,
        holder=remainder - penalty,
        buyer=value - side + penalty,
    )
