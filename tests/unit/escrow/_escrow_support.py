"""Helpers shared by the OrderEscrow unit tests.

Not a conftest (one conftest for the whole suite, see tests/conftest.py): test modules import
what they need from here, fixtures included, so pytest picks them up in the importing module.
The name is prefixed so that it cannot clash with another directory's helper module.
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import BPS, DAY, STATUS, ZERO, h

# Every status an order can be in, live ones first.
LIVE_STAGES = ["created", "accepted", "shipped", "disputed"]
FINAL_STAGES = ["completed", "refunded", "cancelled", "resolved"]
ALL_STAGES = LIVE_STAGES + FINAL_STAGES

MAX_AMOUNT = 2**96 - 1
MAX_QUANTITY = 2**64 - 1
MAX_SHIP_BY = 2**40 - 1
MAX_REVIEW = 90 * DAY
ARBITRATION_DEFAULT = 30 * DAY


@pytest.fixture(autouse=True)
def session_state_first(
    registry, escrow, part, erc20, usdt, usdc6, fee_token, false_token,
    admin, oem, certifier, buyer, supplier, sub1, sub2, inspector, arbiter, stranger,
):
    """Names every session fixture statically, so that Ape builds them before any test's snapshot.

    The `money` matrix asks for its token with `request.getfixturevalue`, which Ape's isolation
    cannot see: a token first deployed that way lives inside the test's snapshot, is reverted
    with it, and stays cached as a dead address for every later test. Session fixtures that
    first appear in a later test also make Ape "rebase" (restore and rebuild) its snapshots.
    """


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


STAGED_AMOUNT = 10**18


@pytest.fixture(scope="class")
def staged(escrow, part, buyer, supplier, inspector, arbiter, sub1, chain) -> dict[str, int]:
    """One ETH order (10**18, sub1 declared at 500 bps) in each of the eight statuses: stage -> id.

    Class-scoped: built once for a test class, kept across its tests (Ape restores the class
    snapshot around every test and drops the orders when the class is done). The clock ends
    just past the refunded order's ship-by date, one day in: every other order is still well
    inside its ship-by date (7 days), review period (3 days) and arbitration timeout.
    """

    def create(ship_in: int) -> int:
        return escrow.create_order(
            supplier, part, 1, 1_000, ZERO, STAGED_AMOUNT, chain.pending_timestamp + ship_in, 3 * DAY, inspector,
            h("PO-staged"), sender=buyer, value=STAGED_AMOUNT,
        ).return_value

    orders = {stage: create(DAY if stage == "refunded" else 7 * DAY) for stage in ALL_STAGES}
    for stage in ("accepted", "shipped", "disputed", "completed", "resolved"):
        escrow.accept_order(orders[stage], [(sub1.address, 500)], sender=supplier)
    for stage in ("shipped", "disputed", "completed", "resolved"):
        escrow.mark_shipped(orders[stage], h("ASN-staged"), sender=supplier)
    for stage in ("disputed", "resolved"):
        escrow.dispute(orders[stage], h("dent"), sender=buyer)
    escrow.confirm_delivery(orders["completed"], h("GRN-staged"), sender=buyer)
    escrow.cancel_order(orders["cancelled"], sender=buyer)
    escrow.resolve(orders["resolved"], 5_000, sender=arbiter)
    chain.pending_timestamp = escrow.get_order(orders["refunded"]).ship_by + 1
    escrow.refund_expired(orders["refunded"], sender=buyer)
    for stage, order_id in orders.items():
        assert escrow.status(order_id) == STATUS[stage.upper()]
    return orders


#: The fields of `OrderEscrow.get_order`, in SPEC's order.
ORDER_FIELDS = (
    "buyer",
    "supplier",
    "part_id",
    "version",
    "quantity",
    "token",
    "amount",
    "ship_by",
    "review_period",
    "inspector",
    "shipped_at",
    "status",
)


def order_as_dict(order: Any) -> dict:
    """A `get_order` result as a plain dict, for whole-order comparisons."""
    return {field: getattr(order, field) for field in ORDER_FIELDS}
