"""The happy paths end to end under v2: an agreement, call-offs, lots, every token kind, to the wei."""

import ape

from conftest import DAY, GRACE, LOT, REVIEW, h
from factorychain import lot_payout


def _paid(tx, escrow):
    return [(e.payee, e.amount) for e in tx.events.filter(escrow.Paid)]


def test_call_off_in_two_lots__second_late__pays_everyone_exactly(
    escrow, make_agreement, money, buyer, supplier, inspector, sub1, sub2, chain
):
    price = 10**12 + 7  # odd, so that rounding dust is exercised
    agreement_id = make_agreement(money=money, payees=[(sub1, 1_500), (sub2, 333)], unit_price=price)
    amount = 1_000 * price
    escrow_before = money.balance(escrow)
    kwargs = money.fund(buyer, escrow, amount)
    ship_by = chain.pending_timestamp + 7 * DAY
    order_id = escrow.create_order(agreement_id, 1_000, ship_by, h("PO-1"), sender=buyer, **kwargs).return_value
    assert money.balance(escrow) - escrow_before == amount

    # Lot 1: 400 units on time, confirmed by the buyer.
    escrow.ship(order_id, 400, h("ASN-1"), sender=supplier)
    parties = (supplier, sub1, sub2, buyer)
    before = {a.address: money.balance(a) for a in parties}
    tx = escrow.confirm_delivery(order_id, 1, h("GRN-1"), sender=buyer)
    first = lot_payout(400 * price, [1_500, 333])
    assert _paid(tx, escrow) == [(sub1.address, first.subcontractors[0]), (sub2.address, first.subcontractors[1]),
                                 (supplier.address, first.holder)]  # fmt: skip
    for account, amount_paid in ((sub1, first.subcontractors[0]), (sub2, first.subcontractors[1]), (supplier, first.holder)):
        assert money.balance(account) - before[account.address] == amount_paid

    # Lot 2: 600 units two days late (2 %), confirmed by the inspector; the buyer gets the penalty.
    chain.pending_timestamp = ship_by + 2 * DAY
    escrow.ship(order_id, 600, h("ASN-2"), sender=supplier)
    assert escrow.get_lot(order_id, 2).penalty_bps == 200
    before = {a.address: money.balance(a) for a in parties}
    tx = escrow.confirm_delivery(order_id, 2, h("GRN-2"), sender=inspector)
    second = lot_payout(600 * price, [1_500, 333], penalty_bps=200)
    assert second.penalty == 600 * price * 200 // 10_000 > 0
    for account, amount_paid in (
        (sub1, second.subcontractors[0]), (sub2, second.subcontractors[1]), (supplier, second.holder), (buyer, second.buyer),
    ):  # fmt: skip
        assert money.balance(account) - before[account.address] == amount_paid
    assert _paid(tx, escrow)[-1] == (buyer.address, second.penalty)

    # Everything funded went out, nothing more.
    assert money.balance(escrow) == escrow_before
    assert first.total + second.total == amount
    assert [escrow.get_lot(order_id, lot).status for lot in (1, 2)] == [LOT["COMPLETED"]] * 2
    assert escrow.get_order(order_id).units_shipped == 1_000


def test_release__after_silent_review_period__pays_supplier(escrow, make_order, supplier, stranger, chain):
    order_id = make_order(stage="shipped", review_period=2 * DAY)
    shipped_at = escrow.get_lot(order_id, 1).shipped_at
    chain.pending_timestamp = shipped_at + 2 * DAY
    with ape.reverts("escrow: review period running"):
        escrow.release(order_id, 1, sender=stranger)
    chain.pending_timestamp = shipped_at + 2 * DAY + 1
    before = supplier.balance
    escrow.release(order_id, 1, sender=stranger)
    assert supplier.balance - before == 1_000 * 10**15
    assert escrow.get_lot(order_id, 1).status == LOT["COMPLETED"]


def test_partial_delivery__rest_refunded_after_grace__adds_up(escrow, make_order, buyer, supplier, stranger, chain):
    order_id = make_order(quantity=1_000)
    escrow.ship(order_id, 300, h("ASN-1"), sender=supplier)
    grace_end = escrow.get_order(order_id).ship_by + GRACE
    chain.pending_timestamp = grace_end
    with ape.reverts("escrow: shipping window open"):
        escrow.refund_expired(order_id, sender=stranger)
    chain.pending_timestamp = grace_end + 1
    before = buyer.balance
    tx = escrow.refund_expired(order_id, sender=stranger)
    assert buyer.balance - before == 700 * 10**15
    assert [(e.quantity, e.amount) for e in tx.events.filter(escrow.OrderRefunded)] == [(700, 700 * 10**15)]
    # The lot shipped before the window closed is still paid in full (its review ended long ago).
    assert chain.pending_timestamp > escrow.get_lot(order_id, 1).shipped_at + REVIEW
    supplier_before = supplier.balance
    escrow.release(order_id, 1, sender=stranger)
    assert supplier.balance - supplier_before == 300 * 10**15
    assert escrow.balance == 0


def test_assigned_then_received__bank_gets_the_supplier_remainder(escrow, make_order, buyer, supplier, sub1, stranger):
    bank = stranger
    order_id = make_order(payees=[(sub1, 1_500)])
    escrow.assign_payout(order_id, bank, sender=supplier)
    before = {a.address: a.balance for a in (bank, sub1, supplier)}
    tx = escrow.receive_goods(order_id, 1_000, h("GR-1"), sender=buyer)
    value = 1_000 * 10**15
    assert _paid(tx, escrow) == [(sub1.address, value * 1_500 // 10_000), (bank.address, value - value * 1_500 // 10_000)]
    assert bank.balance - before[bank.address] == value * 8_500 // 10_000
    assert supplier.balance == before[supplier.address]
    assert escrow.get_lot(order_id, 1).status == LOT["COMPLETED"]
