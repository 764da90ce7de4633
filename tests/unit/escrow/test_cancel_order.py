"""cancel_order: the buyer takes back an order nobody accepted yet."""

import ape
import pytest

from conftest import DAY, STATUS
from _escrow_support import ALL_STAGES, own_events
from _escrow_support import session_state_first, staged  # noqa: F401  (fixtures)

AMOUNT = 3 * 10**6 + 1


def test_cancel_order__by_buyer__refunds_in_full(escrow, make_order, money, buyer):
    order_id = make_order(money=money, amount=AMOUNT)
    buyer_before, escrow_before = money.balance(buyer), money.balance(escrow)

    tx = escrow.cancel_order(order_id, sender=buyer)

    assert own_events(tx, escrow) == [
        escrow.OrderCancelled(order_id=order_id),
        escrow.Paid(order_id=order_id, payee=buyer.address, token=money.address, amount=AMOUNT),
    ]
    fees = tx.total_fees_paid if money.token is None else 0
    assert money.balance(buyer) - buyer_before == AMOUNT - fees
    assert escrow_before - money.balance(escrow) == AMOUNT
    assert escrow.status(order_id) == STATUS["CANCELLED"]
    assert escrow.get_order(order_id).amount == AMOUNT  # the record stays, only its status moves


def test_cancel_order__after_ship_by__still_allowed(escrow, make_order, buyer, chain):
    order_id = make_order(ship_in=DAY)
    chain.pending_timestamp = escrow.get_order(order_id).ship_by + 30 * DAY
    escrow.cancel_order(order_id, sender=buyer)
    assert escrow.status(order_id) == STATUS["CANCELLED"]


def test_cancel_order__one_of_two_orders__leaves_the_other_funded(escrow, make_order, buyer):
    first = make_order(amount=AMOUNT)
    second = make_order(amount=2 * AMOUNT)
    escrow.cancel_order(first, sender=buyer)
    assert escrow.balance == 2 * AMOUNT
    assert escrow.status(second) == STATUS["CREATED"]


class TestRefused:
    """Wrong callers and wrong statuses, on orders built once for the class (see `staged`)."""

    @pytest.mark.parametrize("caller", ["supplier", "inspector", "stranger", "arbiter", "admin"])
    def test_cancel_order__by_other_than_buyer__reverts(self, escrow, staged, request, caller):
        order_id = staged["created"]
        balance = escrow.balance
        with ape.reverts("escrow: not buyer"):
            escrow.cancel_order(order_id, sender=request.getfixturevalue(caller))
        assert escrow.status(order_id) == STATUS["CREATED"]
        assert escrow.balance == balance

    @pytest.mark.parametrize("stage", [s for s in ALL_STAGES if s != "created"])
    def test_cancel_order__not_created__reverts(self, escrow, staged, buyer, stage):
        order_id = staged[stage]
        balance = escrow.balance
        with ape.reverts("escrow: not created"):
            escrow.cancel_order(order_id, sender=buyer)
        assert escrow.status(order_id) == STATUS[stage.upper()]
        assert escrow.balance == balance


@pytest.mark.parametrize("order_id", [0, 1, 2**256 - 1])
def test_cancel_order__unknown_order__reverts(escrow, buyer, order_id):
    with ape.reverts("escrow: unknown order"):
        escrow.cancel_order(order_id, sender=buyer)


def test_cancel_order__twice__second_reverts(escrow, make_order, buyer):
    order_id = make_order(amount=AMOUNT)
    escrow.cancel_order(order_id, sender=buyer)
    with ape.reverts("escrow: not created"):
        escrow.cancel_order(order_id, sender=buyer)
    assert escrow.balance == 0
