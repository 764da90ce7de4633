"""release: after a lot's review period, the buyer's silence pays the supplier side; anyone may call."""

import ape
import pytest

from conftest import DAY, LOT, UNIT_PRICE, h
from _escrow_support import expected_paid_events, own_events
from _escrow_support import session_state_first  # noqa: F401  (fixture)
from _lot_support import ASN_2, GRN, STAGED_LOTS, Balances, settlement_deltas, staged  # noqa: F401  (fixture)

QUANTITY = 919
VALUE = QUANTITY * UNIT_PRICE


@pytest.mark.parametrize("caller_name", ["stranger", "supplier", "buyer", "sub1", "inspector"])
def test_release__after_review_period__pays_everyone_to_the_wei(
    escrow, make_order, money, buyer, supplier, sub1, sub2, inspector, stranger, chain, request, caller_name
):
    payees = [(sub1, 2_500), (sub2, 1)]
    order_id = make_order(money=money, quantity=QUANTITY, payees=payees, stage="shipped", review_period=2 * DAY)
    review_end = escrow.deadlines(order_id, 1)[2]
    assert review_end == escrow.get_lot(order_id, 1).shipped_at + 2 * DAY
    balances = Balances.of(money, [buyer, supplier, sub1, sub2, inspector, stranger, escrow])

    chain.pending_timestamp = review_end + 1
    tx = escrow.release(order_id, 1, sender=request.getfixturevalue(caller_name))

    assert own_events(tx, escrow) == [
        escrow.LotReleased(order_id=order_id, lot=1),
        *expected_paid_events(escrow, order_id, money.address, payees, supplier, buyer, VALUE, VALUE, 0),
    ]
    balances.expect(
        tx,
        settlement_deltas(escrow=escrow, buyer=buyer, holder=supplier, payees=payees, value=VALUE, supplier_side=VALUE, penalty_bps=0),
    )
    assert escrow.get_lot(order_id, 1).status == LOT["COMPLETED"]
    assert money.balance(escrow) == 0


def test_release__review_end_to_the_second__at_refused_after_allowed(escrow, make_order, money, stranger, chain):
    order_id = make_order(money=money, quantity=4, stage="shipped", review_period=1)
    review_end = escrow.get_lot(order_id, 1).shipped_at + 1
    assert escrow.deadlines(order_id, 1)[2] == review_end
    chain.pending_timestamp = review_end
    with ape.reverts("escrow: review period running"):
        escrow.release(order_id, 1, sender=stranger)
    assert escrow.get_lot(order_id, 1).status == LOT["SHIPPED"]
    assert money.balance(escrow) == 4 * UNIT_PRICE
    chain.pending_timestamp = review_end + 1
    tx = escrow.release(order_id, 1, sender=stranger)
    assert tx.timestamp == review_end + 1
    assert escrow.get_lot(order_id, 1).status == LOT["COMPLETED"]


def test_release__longest_review_period__counted_in_full(escrow, make_order, stranger, chain):
    order_id = make_order(quantity=4, stage="shipped", review_period=90 * DAY)
    review_end = escrow.get_lot(order_id, 1).shipped_at + 90 * DAY
    chain.pending_timestamp = review_end
    with ape.reverts("escrow: review period running"):
        escrow.release(order_id, 1, sender=stranger)
    chain.pending_timestamp = review_end + 1
    escrow.release(order_id, 1, sender=stranger)
    assert escrow.get_lot(order_id, 1).status == LOT["COMPLETED"]


def test_release__each_lot_its_own_review_clock(escrow, make_order, supplier, stranger, chain):
    order_id = make_order(quantity=4, stage="shipped", lot_quantity=2, review_period=DAY)
    first_end = escrow.deadlines(order_id, 1)[2]
    chain.pending_timestamp = first_end - 100
    escrow.ship(order_id, 2, ASN_2, sender=supplier)
    second_end = escrow.deadlines(order_id, 2)[2]
    assert second_end == first_end - 100 + DAY
    chain.pending_timestamp = first_end + 1
    escrow.release(order_id, 1, sender=stranger)
    with ape.reverts("escrow: review period running"):
        escrow.release(order_id, 2, sender=stranger)
    assert escrow.get_lot(order_id, 2).status == LOT["SHIPPED"]


def test_release__late_lot__penalty_not_waived_by_silence(escrow, make_order, money, buyer, supplier, sub1, stranger, chain):
    payees = [(sub1, 3_000)]
    order_id = make_order(money=money, quantity=QUANTITY, payees=payees, penalty_bps_per_day=250, penalty_cap_bps=2_000)
    chain.pending_timestamp = escrow.get_order(order_id).ship_by + 3 * DAY  # three days: 750 bps
    escrow.ship(order_id, QUANTITY, h("ASN-late"), sender=supplier)
    assert escrow.get_lot(order_id, 1).penalty_bps == 750
    chain.pending_timestamp = escrow.deadlines(order_id, 1)[2] + 1
    balances = Balances.of(money, [buyer, supplier, sub1, stranger, escrow])

    tx = escrow.release(order_id, 1, sender=stranger)

    assert own_events(tx, escrow) == [
        escrow.LotReleased(order_id=order_id, lot=1),
        *expected_paid_events(escrow, order_id, money.address, payees, supplier, buyer, VALUE, VALUE, 750),
    ]
    balances.expect(
        tx,
        settlement_deltas(escrow=escrow, buyer=buyer, holder=supplier, payees=payees, value=VALUE, supplier_side=VALUE, penalty_bps=750),
    )


def test_release__penalty_above_remainder__capped_at_remainder(escrow, make_order, eth, buyer, supplier, sub1, sub2, stranger, chain):
    payees = [(sub1, 9_000), (sub2, 500)]
    order_id = make_order(quantity=QUANTITY, payees=payees, penalty_bps_per_day=1_000, penalty_cap_bps=1_000)
    chain.pending_timestamp = escrow.get_order(order_id).ship_by + 1
    escrow.ship(order_id, QUANTITY, h("ASN-late"), sender=supplier)
    chain.pending_timestamp = escrow.deadlines(order_id, 1)[2] + 1
    balances = Balances.of(eth, [buyer, supplier, sub1, sub2, escrow])

    tx = escrow.release(order_id, 1, sender=stranger)

    shares = [VALUE * 9_000 // 10_000, VALUE * 500 // 10_000]
    assert own_events(tx, escrow)[1:] == [
        escrow.Paid(order_id=order_id, payee=sub1, token=eth.address, amount=shares[0]),
        escrow.Paid(order_id=order_id, payee=sub2, token=eth.address, amount=shares[1]),
        escrow.Paid(order_id=order_id, payee=buyer, token=eth.address, amount=VALUE - sum(shares)),
    ]
    balances.expect(tx, {sub1: shares[0], sub2: shares[1], buyer: VALUE - sum(shares), escrow: -VALUE})


def test_release__assigned_order__remainder_to_assignee(escrow, make_order, money, buyer, supplier, sub1, admin, stranger, chain):
    payees = [(sub1, 4_321)]
    order_id = make_order(money=money, quantity=QUANTITY, payees=payees, stage="shipped")
    escrow.assign_payout(order_id, admin, sender=supplier)
    chain.pending_timestamp = escrow.deadlines(order_id, 1)[2] + 1
    balances = Balances.of(money, [buyer, supplier, sub1, admin, escrow])

    tx = escrow.release(order_id, 1, sender=stranger)

    assert own_events(tx, escrow)[1:] == expected_paid_events(escrow, order_id, money.address, payees, admin, buyer, VALUE, VALUE, 0)
    balances.expect(
        tx,
        settlement_deltas(escrow=escrow, buyer=buyer, holder=admin, payees=payees, value=VALUE, supplier_side=VALUE, penalty_bps=0),
    )


def test_release__after_refund_of_the_rest__shipped_lot_still_releasable(escrow, make_order, eth, supplier, stranger, chain):
    order_id = make_order(quantity=10, stage="shipped", lot_quantity=3)
    chain.pending_timestamp = escrow.deadlines(order_id, 1)[1] + 1
    escrow.refund_expired(order_id, sender=stranger)
    balances = Balances.of(eth, [supplier, escrow])
    tx = escrow.release(order_id, 1, sender=stranger)
    balances.expect(tx, {supplier: 3 * UNIT_PRICE, escrow: -3 * UNIT_PRICE})


def test_release__twice__second_reverts(escrow, make_order, money, stranger, chain):
    order_id = make_order(money=money, quantity=4, stage="shipped")
    chain.pending_timestamp = escrow.deadlines(order_id, 1)[2] + 1
    escrow.release(order_id, 1, sender=stranger)
    with ape.reverts("escrow: lot not shipped"):
        escrow.release(order_id, 1, sender=stranger)
    assert money.balance(escrow) == 0


class TestRefused:
    """Every lot status but SHIPPED, with every clock run out; unknown lots and orders (see `staged`)."""

    @pytest.mark.parametrize("status", ["disputed", "released", "confirmed", "resolved", "received"])
    def test_release__lot_not_shipped__reverts(self, escrow, staged, stranger, chain, status):
        order_id = staged["order"]
        lot, value = STAGED_LOTS[status]
        chain.pending_timestamp += 400 * DAY  # every review and arbitration clock has run out
        balance = escrow.balance
        with ape.reverts("escrow: lot not shipped"):
            escrow.release(order_id, lot, sender=stranger)
        assert escrow.get_lot(order_id, lot).status == value
        assert escrow.balance == balance

    def test_release__shipped_lot_in_review__reverts(self, escrow, staged, stranger):
        lot, value = STAGED_LOTS["shipped"]
        with ape.reverts("escrow: review period running"):
            escrow.release(staged["order"], lot, sender=stranger)

    @pytest.mark.parametrize("lot", [0, 7])
    def test_release__unknown_lot__reverts(self, escrow, staged, stranger, lot):
        with ape.reverts("escrow: unknown lot"):
            escrow.release(staged["order"], lot, sender=stranger)

    @pytest.mark.parametrize("which", ["declined", "refunded"])
    def test_release__order_without_lots__unknown_lot(self, escrow, staged, stranger, chain, which):
        chain.pending_timestamp += 400 * DAY
        with ape.reverts("escrow: unknown lot"):
            escrow.release(staged[which], 1, sender=stranger)

    def test_release__unknown_order__reverts(self, escrow, staged, stranger):
        for order_id in (0, escrow.order_count() + 1):
            with ape.reverts("escrow: unknown order"):
                escrow.release(order_id, 1, sender=stranger)

    def test_release__shipped_lot_after_review__control(self, escrow, staged, stranger, chain):
        order_id = staged["order"]
        lot, _ = STAGED_LOTS["shipped"]
        chain.pending_timestamp = escrow.deadlines(order_id, lot)[2] + 1
        escrow.release(order_id, lot, sender=stranger)
        assert escrow.get_lot(order_id, lot).status == LOT["COMPLETED"]


def test_release__confirm_after_release__reverts(escrow, make_order, buyer, stranger, chain):
    order_id = make_order(quantity=4, stage="shipped")
    chain.pending_timestamp = escrow.deadlines(order_id, 1)[2] + 1
    escrow.release(order_id, 1, sender=stranger)
    with ape.reverts("escrow: lot not shipped"):
        escrow.confirm_delivery(order_id, 1, GRN, sender=buyer)
