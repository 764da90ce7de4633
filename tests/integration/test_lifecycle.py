"""The happy paths end to end: every token kind, payout to supplier and subcontractors."""

import ape
import pytest

from conftest import BPS, DAY, STATUS, h


def test_full_lifecycle__pays_supplier_and_subcontractors_exactly(escrow, make_order, money, buyer, supplier, sub1, sub2, chain):
    amount = 10**9 + 7  # odd, so that rounding dust is exercised
    order_id = make_order(money=money, amount=amount, payees=[(sub1, 1_500), (sub2, 333)], stage="shipped")
    before = {a.address: money.balance(a) for a in (supplier, sub1, sub2)}
    escrow_before = money.balance(escrow)

    tx = escrow.confirm_delivery(order_id, h("GRN-1"), sender=buyer)

    s1 = amount * 1_500 // BPS
    s2 = amount * 333 // BPS
    assert money.balance(sub1) - before[sub1.address] == s1
    assert money.balance(sub2) - before[sub2.address] == s2
    assert money.balance(supplier) - before[supplier.address] == amount - s1 - s2
    assert escrow_before - money.balance(escrow) == amount
    assert escrow.status(order_id) == STATUS["COMPLETED"]
    paid = [(e.payee, e.amount) for e in tx.events if e.event_name == "Paid"]
    assert paid == [(sub1.address, s1), (sub2.address, s2), (supplier.address, amount - s1 - s2)]


def test_release__after_silent_review_period__pays_supplier(escrow, make_order, supplier, stranger, chain):
    order_id = make_order(stage="shipped", review_period=2 * DAY)
    shipped_at = escrow.get_order(order_id).shipped_at
    chain.pending_timestamp = shipped_at + 2 * DAY
    with ape.reverts("escrow: review period running"):
        escrow.release(order_id, sender=stranger)
    chain.pending_timestamp = shipped_at + 2 * DAY + 1
    before = supplier.balance
    escrow.release(order_id, sender=stranger)
    assert supplier.balance - before == 10**18
