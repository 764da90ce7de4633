"""refund_expired: once the shipping window closed, the value of the units never shipped goes back to the buyer."""

import ape
import pytest

from conftest import DAY, GRACE, LOT, UNIT_PRICE, h
from _escrow_support import own_events
from _escrow_support import session_state_first  # noqa: F401  (fixture)
from _lot_support import ASN, ASN_2, GRN, REASON, Balances

QUANTITY = 1_000


def window_end(escrow, order_id):
    return escrow.deadlines(order_id, 0)[1]


@pytest.mark.parametrize("caller_name", ["stranger", "buyer", "supplier", "inspector"])
def test_refund_expired__nothing_shipped__whole_amount_back_to_buyer(
    escrow, make_order, money, buyer, supplier, inspector, stranger, chain, request, caller_name
):
    order_id = make_order(money=money, quantity=QUANTITY)
    chain.pending_timestamp = window_end(escrow, order_id) + 1
    balances = Balances.of(money, [buyer, supplier, inspector, stranger, escrow])

    tx = escrow.refund_expired(order_id, sender=request.getfixturevalue(caller_name))

    amount = QUANTITY * UNIT_PRICE
    assert own_events(tx, escrow) == [
        escrow.OrderRefunded(order_id=order_id, quantity=QUANTITY, amount=amount),
        escrow.Paid(order_id=order_id, payee=buyer, token=money.address, amount=amount),
    ]
    balances.expect(tx, {buyer: amount, escrow: -amount})
    order = escrow.get_order(order_id)
    assert (order.units_shipped, order.units_refunded, order.lot_count, order.declined) == (0, QUANTITY, 0, False)


def test_refund_expired__some_shipped__only_unshipped_units_lots_untouched_and_payable(
    escrow, make_order, money, buyer, supplier, sub1, inspector, arbiter, stranger, chain
):
    payees = [(sub1, 1_000)]
    order_id = make_order(money=money, quantity=QUANTITY, payees=payees)
    escrow.ship(order_id, 100, ASN, sender=supplier)  # stays SHIPPED
    escrow.ship(order_id, 200, ASN_2, sender=supplier)  # disputed below
    escrow.receive_goods(order_id, 50, h("GR"), sender=buyer)  # paid at once
    escrow.dispute(order_id, 2, REASON, sender=buyer)
    chain.pending_timestamp = window_end(escrow, order_id) + 1
    balances = Balances.of(money, [buyer, supplier, sub1, escrow])

    tx = escrow.refund_expired(order_id, sender=stranger)

    refund = 650 * UNIT_PRICE
    assert own_events(tx, escrow) == [
        escrow.OrderRefunded(order_id=order_id, quantity=650, amount=refund),
        escrow.Paid(order_id=order_id, payee=buyer, token=money.address, amount=refund),
    ]
    balances.expect(tx, {buyer: refund, escrow: -refund})
    assert money.balance(escrow) == 300 * UNIT_PRICE
    assert [escrow.get_lot(order_id, lot).status for lot in (1, 2, 3)] == [LOT["SHIPPED"], LOT["DISPUTED"], LOT["COMPLETED"]]
    order = escrow.get_order(order_id)
    assert (order.units_shipped, order.units_refunded, order.lot_count) == (350, 650, 3)

    # The lots still settle, and everything adds up to the order's amount.
    escrow.confirm_delivery(order_id, 1, GRN, sender=inspector)
    escrow.resolve(order_id, 2, 2_500, sender=arbiter)
    assert money.balance(escrow) == 0


def test_refund_expired__lot_in_review_still_disputable_and_releasable(escrow, make_order, buyer, supplier, stranger, chain):
    order_id = make_order(quantity=10, grace_period=0)
    ship_by = escrow.get_order(order_id).ship_by
    # Each block's time pinned: an unpinned block takes the node's wall clock, which may already
    # be a second past ship_by on a loaded machine (the window closes at ship_by, grace 0).
    chain.pending_timestamp = ship_by - 1
    escrow.ship(order_id, 2, ASN, sender=supplier)
    chain.pending_timestamp = ship_by
    escrow.ship(order_id, 3, ASN_2, sender=supplier)
    chain.pending_timestamp = ship_by + 1
    escrow.refund_expired(order_id, sender=stranger)
    escrow.dispute(order_id, 1, REASON, sender=buyer)
    chain.pending_timestamp = escrow.deadlines(order_id, 2)[2] + 1
    escrow.release(order_id, 2, sender=stranger)
    assert [escrow.get_lot(order_id, lot).status for lot in (1, 2)] == [LOT["DISPUTED"], LOT["COMPLETED"]]
    assert escrow.balance == 2 * UNIT_PRICE


def test_refund_expired__assigned_order__refund_goes_to_buyer_not_assignee(escrow, make_order, eth, buyer, supplier, admin, stranger, chain):
    order_id = make_order(quantity=10)
    escrow.assign_payout(order_id, admin, sender=supplier)
    chain.pending_timestamp = window_end(escrow, order_id) + 1
    balances = Balances.of(eth, [buyer, supplier, admin, escrow])
    tx = escrow.refund_expired(order_id, sender=stranger)
    balances.expect(tx, {buyer: 10 * UNIT_PRICE, escrow: -10 * UNIT_PRICE})


def test_refund_expired__late_shipped_lots_then_refund__sum_is_the_amount(escrow, make_order, money, buyer, supplier, sub1, stranger, chain):
    """Lots + penalties + refund pay out the order's amount exactly."""
    payees = [(sub1, 3_000)]
    order_id = make_order(money=money, quantity=QUANTITY, payees=payees)
    ship_by = escrow.get_order(order_id).ship_by
    chain.pending_timestamp = ship_by + 2 * DAY - 10  # two started days late: 200 bps
    escrow.ship(order_id, 333, ASN, sender=supplier)
    balances = Balances.of(money, [buyer, supplier, sub1, escrow])
    chain.pending_timestamp = ship_by + GRACE + 1
    escrow.refund_expired(order_id, sender=stranger)
    escrow.release(order_id, 1, sender=stranger)  # its review ended before the window closed
    value = 333 * UNIT_PRICE
    penalty = value * 200 // 10_000
    share = value * 3_000 // 10_000
    balances.expect(
        None,
        {buyer: 667 * UNIT_PRICE + penalty, sub1: share, supplier: value - share - penalty, escrow: -QUANTITY * UNIT_PRICE},
    )


def test_refund_expired__paused_or_agreement_closed__still_allowed(escrow, make_order, admin, buyer, stranger, chain):
    order_id = make_order(quantity=10)
    escrow.close_agreement(escrow.get_order(order_id).agreement_id, sender=buyer)
    escrow.pause(sender=admin)
    chain.pending_timestamp = window_end(escrow, order_id) + 1
    escrow.refund_expired(order_id, sender=stranger)
    assert escrow.get_order(order_id).units_refunded == 10


def test_refund_expired__refunded_units_not_returned_under_the_cap(escrow, make_order, buyer, stranger, chain):
    order_id = make_order(quantity=600, max_quantity=1_000)
    agreement_id = escrow.get_order(order_id).agreement_id
    chain.pending_timestamp = window_end(escrow, order_id) + 1
    escrow.refund_expired(order_id, sender=stranger)
    assert escrow.get_agreement(agreement_id).units_called_off == 600
    with ape.reverts("escrow: above max quantity"):
        escrow.create_order(agreement_id, 401, chain.pending_timestamp + DAY, h("PO-2"), sender=buyer, value=401 * UNIT_PRICE)


# ---------------------------------------------------------------- the window, to the second


def test_refund_expired__window_end_to_the_second__at_refused_after_allowed(escrow, make_order, money, buyer, stranger, chain):
    order_id = make_order(money=money, quantity=10)
    end = window_end(escrow, order_id)
    assert end == escrow.get_order(order_id).ship_by + GRACE
    chain.pending_timestamp = end
    with ape.reverts("escrow: shipping window open"):
        escrow.refund_expired(order_id, sender=stranger)
    assert money.balance(escrow) == 10 * UNIT_PRICE
    chain.pending_timestamp = end + 1
    tx = escrow.refund_expired(order_id, sender=stranger)
    assert tx.timestamp == end + 1
    assert money.balance(escrow) == 0


def test_refund_expired__no_grace__ship_by_plus_one(escrow, make_order, stranger, chain):
    order_id = make_order(quantity=10, grace_period=0)
    ship_by = escrow.get_order(order_id).ship_by
    chain.pending_timestamp = ship_by
    with ape.reverts("escrow: shipping window open"):
        escrow.refund_expired(order_id, sender=stranger)
    chain.pending_timestamp = ship_by + 1
    escrow.refund_expired(order_id, sender=stranger)


def test_refund_expired__right_after_creation__window_open(escrow, make_order, buyer):
    order_id = make_order(quantity=10)
    with ape.reverts("escrow: shipping window open"):
        escrow.refund_expired(order_id, sender=buyer)


# ---------------------------------------------------------------- nothing to refund, wrong states


def test_refund_expired__twice__second_reverts(escrow, make_order, money, stranger, chain):
    order_id = make_order(money=money, quantity=10, stage="shipped", lot_quantity=4)
    chain.pending_timestamp = window_end(escrow, order_id) + 1
    tx = escrow.refund_expired(order_id, sender=stranger)
    assert own_events(tx, escrow)[0] == escrow.OrderRefunded(order_id=order_id, quantity=6, amount=6 * UNIT_PRICE)
    with ape.reverts("escrow: nothing to refund"):
        escrow.refund_expired(order_id, sender=stranger)
    assert money.balance(escrow) == 4 * UNIT_PRICE
    assert escrow.get_order(order_id).units_refunded == 6


@pytest.mark.parametrize("stage", ["shipped", "received", "disputed"])
def test_refund_expired__everything_shipped_or_received__nothing_to_refund(escrow, make_order, stranger, chain, stage):
    order_id = make_order(quantity=10, stage=stage)
    chain.pending_timestamp = window_end(escrow, order_id) + 1
    with ape.reverts("escrow: nothing to refund"):
        escrow.refund_expired(order_id, sender=stranger)
    assert escrow.get_order(order_id).units_refunded == 0


def test_refund_expired__declined_order__reverts(escrow, make_order, supplier, stranger, chain):
    order_id = make_order(quantity=10)
    escrow.decline_order(order_id, sender=supplier)
    chain.pending_timestamp = window_end(escrow, order_id) + 1
    with ape.reverts("escrow: order declined"):
        escrow.refund_expired(order_id, sender=stranger)


def test_refund_expired__unknown_order__reverts(escrow, make_order, stranger, chain):
    order_id = make_order(quantity=10)
    chain.pending_timestamp = window_end(escrow, order_id) + 1
    for unknown in (0, order_id + 1):
        with ape.reverts("escrow: unknown order"):
            escrow.refund_expired(unknown, sender=stranger)


def test_refund_expired__decline_after_refund__order_under_way(escrow, make_order, supplier, stranger, chain):
    order_id = make_order(quantity=10)
    chain.pending_timestamp = window_end(escrow, order_id) + 1
    escrow.refund_expired(order_id, sender=stranger)
    with ape.reverts("escrow: order under way"):
        escrow.decline_order(order_id, sender=supplier)
