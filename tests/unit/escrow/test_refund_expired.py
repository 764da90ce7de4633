"""refund_expired: anyone refunds the buyer in full once the supplier missed the ship-by date."""

import ape
import pytest

from conftest import DAY, STATUS
from _escrow_support import ALL_STAGES, own_events
from _escrow_support import session_state_first, staged  # noqa: F401  (fixtures)

AMOUNT = 4_000_000_003


@pytest.mark.parametrize("stage", ["created", "accepted"])
def test_refund_expired__after_ship_by__refunds_buyer_in_full(
    escrow, make_order, money, buyer, supplier, sub1, stranger, chain, stage
):
    order_id = make_order(money=money, amount=AMOUNT, stage=stage, payees=[(sub1, 5_000)], ship_in=3 * DAY)
    ship_by = escrow.get_order(order_id).ship_by
    before = {a.address: money.balance(a) for a in (buyer, supplier, sub1)}
    escrow_before = money.balance(escrow)

    chain.pending_timestamp = ship_by + 1
    tx = escrow.refund_expired(order_id, sender=stranger)

    assert own_events(tx, escrow) == [
        escrow.OrderRefunded(order_id=order_id),
        escrow.Paid(order_id=order_id, payee=buyer.address, token=money.address, amount=AMOUNT),
    ]
    assert money.balance(buyer) - before[buyer.address] == AMOUNT
    assert money.balance(supplier) == before[supplier.address]
    assert money.balance(sub1) == before[sub1.address]
    assert escrow_before - money.balance(escrow) == AMOUNT
    assert escrow.status(order_id) == STATUS["REFUNDED"]


@pytest.mark.parametrize("caller", ["buyer", "supplier", "inspector", "arbiter"])
def test_refund_expired__any_caller__allowed(escrow, make_order, request, caller, chain):
    order_id = make_order(ship_in=DAY)
    chain.pending_timestamp = escrow.get_order(order_id).ship_by + 1
    escrow.refund_expired(order_id, sender=request.getfixturevalue(caller))
    assert escrow.status(order_id) == STATUS["REFUNDED"]
    assert escrow.balance == 0


@pytest.mark.parametrize("stage", ["created", "accepted"])
def test_refund_expired__ship_by_to_the_second__at_reverts_after_allowed(escrow, make_order, stranger, chain, stage):
    order_id = make_order(stage=stage, ship_in=DAY)
    ship_by = escrow.get_order(order_id).ship_by
    chain.pending_timestamp = ship_by
    with ape.reverts("escrow: ship-by not passed"):
        escrow.refund_expired(order_id, sender=stranger)
    assert escrow.status(order_id) == STATUS[stage.upper()]
    assert escrow.balance == 10**18
    chain.pending_timestamp = ship_by + 1
    escrow.refund_expired(order_id, sender=stranger)
    assert escrow.status(order_id) == STATUS["REFUNDED"]


class TestRefused:
    """Wrong statuses, on orders built once for the class (see `staged`)."""

    @pytest.mark.parametrize("stage", [s for s in ALL_STAGES if s not in ("created", "accepted")])
    def test_refund_expired__not_created_or_accepted__reverts(self, escrow, staged, stranger, chain, stage):
        order_id = staged[stage]
        chain.pending_timestamp = escrow.get_order(order_id).ship_by + 200 * DAY
        balance = escrow.balance
        with ape.reverts("escrow: not refundable"):
            escrow.refund_expired(order_id, sender=stranger)
        assert escrow.status(order_id) == STATUS[stage.upper()]
        assert escrow.balance == balance


def test_refund_expired__unknown_order__reverts(escrow, stranger):
    with ape.reverts("escrow: unknown order"):
        escrow.refund_expired(9, sender=stranger)
