"""Helpers shared by the OrderEscrow unit tests.

Not a conftest (one conftest for the whole suite, see tests/conftest.py): test modules import
what they need from here, fixtures included, so pytest picks them up in the importing module.
The name is prefixed so that it cannot clash with another directory's helper module.
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import BPS, DAY, STATUS, h

# Every status an order can be in, live ones first.
LIVE_STAGES = ["created", "accepted", "shipped", "disputed"]
FINAL_STAGES = ["completed", "refunded", "cancelled", "resolved"]
ALL_STAGES = LIVE_STAGES + FINAL_STAGES

MAX_AMOUNT = 2**96 - 1
MAX_QUANTITY = 2**64 - 1
MAX_SHIP_BY = 2**40 - 1
MAX_REVIEW = 90 * DAY
ARBITRATION_DEFAULT = 30 * DAY


def addr(account: Any) -> str:
    """The checksummed address of an account, a contract or a plain string."""
    return account.address if hasattr(account, "address") else account


def split(amount: int, payees: list[tuple[Any, int]]) -> tuple[list[int], int]:
    """What SPEC's payout rule gives each subcontractor, and the supplier's rest (dust included)."""
    shares = [amount * bps // BPS for _, bps in payees]
    return shares, amount - sum(shares)


def own_events(tx: Any, contract: Any) -> list:
    """The logs `contract` itself emitted in `tx` (token Transfer/Approval logs left out)."""
    return [log for log in tx.events if log.contract_address == contract.address]


def expected_payout(escrow: Any, order_id: int, token: str, supplier: Any, amount: int, payees: list) -> list:
    """The exact Paid events of a payout of `amount` over `payees`, in push order: zero parts are skipped."""
    shares, rest = split(amount, payees)
    events = [
        escrow.Paid(order_id=order_id, payee=addr(account), token=token, amount=share)
        for (account, _), share in zip(payees, shares)
        if share
    ]
    if rest:
        events.append(escrow.Paid(order_id=order_id, payee=addr(supplier), token=token, amount=rest))
    return events


def accepted_payees(log: Any) -> list[tuple[str, int]]:
    """The payees of an OrderAccepted log, addresses lower-cased (Ape decodes struct arrays that way)."""
    return [(account.lower(), bps) for account, bps in log.payees]


def lower_payees(payees: list[tuple[Any, int]]) -> list[tuple[str, int]]:
    return [(addr(account).lower(), bps) for account, bps in payees]


@pytest.fixture
def order_at(escrow, make_order, arbiter, chain, accounts):
    """Like `make_order`, but also reaches the final states: completed, refunded, cancelled, resolved.

    Reaching "refunded" moves the clock past the order's ship-by date.
    """

    def _at(stage: str, **kwargs: Any) -> int:
        base = {"completed": "shipped", "refunded": "created", "cancelled": "created", "resolved": "disputed"}
        order_id = make_order(stage=base.get(stage, stage), **kwargs)
        order = escrow.get_order(order_id)
        buyer = accounts[order.buyer]
        if stage == "completed":
            escrow.confirm_delivery(order_id, h("GRN-final"), sender=buyer)
        elif stage == "cancelled":
            escrow.cancel_order(order_id, sender=buyer)
        elif stage == "refunded":
            chain.pending_timestamp = order.ship_by + 1
            escrow.refund_expired(order_id, sender=buyer)
        elif stage == "resolved":
            escrow.resolve(order_id, 5_000, sender=arbiter)
        assert escrow.status(order_id) == STATUS[stage.upper()]
        return order_id

    return _at
