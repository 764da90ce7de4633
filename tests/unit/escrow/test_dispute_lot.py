"""dispute: the buyer or inspector stops a shipped lot during its review; the arbitration deadline is fixed now."""

import ape
import pytest

from conftest import DAY, LOT, REVIEW, UNIT_PRICE, h
from _escrow_support import ARBITRATION_DEFAULT, own_events
from _escrow_support import session_state_first  # noqa: F401  (fixture)
from _lot_support import ASN, ASN_2, OUTSIDERS, REASON, STAGED_LOTS, Balances, lot_of, staged  # noqa: F401  (fixture)


@pytest.mark.parametrize("disputer_name", ["buyer", "inspector"])
def test_dispute__by_buyer_or_inspector__lot_disputed_no_money_moves(
    escrow, make_order, money, buyer, supplier, sub1, inspector, chain, request, disputer_name
):
    order_id = make_order(money=money, quantity=6, payees=[(sub1, 1_000)], stage="shipped")
    shipped_at = escrow.get_lot(order_id, 1).shipped_at
    balances = Balances.of(money, [buyer, supplier, sub1, inspector, escrow])
    t = shipped_at + 100
    chain.pending_timestamp = t

    tx = escrow.dispute(order_id, 1, REASON, sender=request.getfixturevalue(disputer_name))

    assert own_events(tx, escrow) == [escrow.LotDisputed(order_id=order_id, lot=1, reason_hash=REASON)]
    balances.expect(tx, {})
    assert lot_of(escrow, order_id, 1) == {
        "quantity": 6,
        "value": 6 * UNIT_PRICE,
        "penalty_bps": 0,
        "shipment_hash": ASN,
        "shipped_at": shipped_at,
        "arbitration_deadline": t + ARBITRATION_DEFAULT,
        "status": LOT["DISPUTED"],
    }
    order = escrow.get_order(order_id)
    assert escrow.deadlines(order_id, 1) == (order.ship_by, order.ship_by + 5 * DAY, shipped_at + REVIEW, t + ARBITRATION_DEFAULT)


def test_dispute__review_end_to_the_second__at_allowed_after_refused(escrow, make_order, buyer, chain):
    order_id = make_order(quantity=4, stage="shipped")
    review_end = escrow.get_lot(order_id, 1).shipped_at + REVIEW
    with chain.isolate():
        chain.pending_timestamp = review_end + 1
        with ape.reverts("escrow: review period over"):
            escrow.dispute(order_id, 1, REASON, sender=buyer)
        assert escrow.get_lot(order_id, 1).status == LOT["SHIPPED"]
    chain.pending_timestamp = review_end
    tx = escrow.dispute(order_id, 1, REASON, sender=buyer)
    assert tx.timestamp == review_end
    assert escrow.get_lot(order_id, 1).arbitration_deadline == review_end + ARBITRATION_DEFAULT


def test_dispute__one_second_review__both_sides(escrow, make_order, inspector, chain):
    order_id = make_order(quantity=4, stage="shipped", review_period=1)
    shipped_at = escrow.get_lot(order_id, 1).shipped_at
    with chain.isolate():
        chain.pending_timestamp = shipped_at + 2
        with ape.reverts("escrow: review period over"):
            escrow.dispute(order_id, 1, REASON, sender=inspector)
    chain.pending_timestamp = shipped_at + 1
    escrow.dispute(order_id, 1, REASON, sender=inspector)
    assert escrow.get_lot(order_id, 1).status == LOT["DISPUTED"]


def test_dispute__timeout_set_before__applies(escrow, make_order, admin, buyer, chain):
    order_id = make_order(quantity=4, stage="shipped")
    escrow.set_arbitration_timeout(3_600, sender=admin)
    tx = escrow.dispute(order_id, 1, REASON, sender=buyer)
    assert escrow.get_lot(order_id, 1).arbitration_deadline == tx.timestamp + 3_600


def test_dispute__timeout_changed_after__deadline_does_not_move(escrow, make_order, admin, buyer, supplier, chain):
    order_id = make_order(quantity=4, stage="shipped", lot_quantity=2)
    tx = escrow.dispute(order_id, 1, REASON, sender=buyer)
    fixed = tx.timestamp + ARBITRATION_DEFAULT
    escrow.set_arbitration_timeout(365 * DAY, sender=admin)
    assert escrow.get_lot(order_id, 1).arbitration_deadline == fixed
    assert escrow.deadlines(order_id, 1)[3] == fixed
    escrow.ship(order_id, 2, ASN_2, sender=supplier)
    second = escrow.dispute(order_id, 2, REASON, sender=buyer)
    assert escrow.get_lot(order_id, 2).arbitration_deadline == second.timestamp + 365 * DAY
    assert escrow.get_lot(order_id, 1).arbitration_deadline == fixed


def test_dispute__one_lot__others_untouched(escrow, make_order, buyer, supplier):
    order_id = make_order(quantity=4, stage="shipped", lot_quantity=2)
    escrow.ship(order_id, 2, ASN_2, sender=supplier)
    escrow.dispute(order_id, 2, REASON, sender=buyer)
    assert [escrow.get_lot(order_id, lot).status for lot in (1, 2)] == [LOT["SHIPPED"], LOT["DISPUTED"]]
    assert escrow.get_lot(order_id, 1).arbitration_deadline == 0


def test_dispute__late_lot__penalty_kept(escrow, make_order, buyer, supplier, chain):
    order_id = make_order(quantity=4)
    chain.pending_timestamp = escrow.get_order(order_id).ship_by + DAY + 1
    escrow.ship(order_id, 4, ASN, sender=supplier)
    escrow.dispute(order_id, 1, REASON, sender=buyer)
    assert escrow.get_lot(order_id, 1).penalty_bps == 200


def test_dispute__after_refund_of_the_rest__lot_in_review_disputable(escrow, make_order, buyer, supplier, stranger, chain):
    order_id = make_order(quantity=10, grace_period=0)
    chain.pending_timestamp = escrow.get_order(order_id).ship_by
    escrow.ship(order_id, 3, ASN, sender=supplier)
    chain.pending_timestamp = escrow.get_order(order_id).ship_by + 1
    escrow.refund_expired(order_id, sender=stranger)
    escrow.dispute(order_id, 1, REASON, sender=buyer)
    assert escrow.get_lot(order_id, 1).status == LOT["DISPUTED"]


# ---------------------------------------------------------------- wrong callers


@pytest.mark.parametrize("caller", ["supplier", "sub1", *OUTSIDERS])
def test_dispute__not_buyer_or_inspector__reverts(escrow, make_order, sub1, request, caller):
    order_id = make_order(quantity=4, payees=[(sub1, 1_000)], stage="shipped")
    with ape.reverts("escrow: not buyer or inspector"):
        escrow.dispute(order_id, 1, REASON, sender=request.getfixturevalue(caller))
    assert escrow.get_lot(order_id, 1).status == LOT["SHIPPED"]


def test_dispute__no_inspector_named__inspector_account_reverts(escrow, make_order, inspector):
    order_id = make_order(quantity=4, stage="shipped", inspector=None)
    with ape.reverts("escrow: not buyer or inspector"):
        escrow.dispute(order_id, 1, REASON, sender=inspector)


def test_dispute__assignee__reverts(escrow, make_order, supplier, stranger):
    order_id = make_order(quantity=4, stage="shipped")
    escrow.assign_payout(order_id, stranger, sender=supplier)
    with ape.reverts("escrow: not buyer or inspector"):
        escrow.dispute(order_id, 1, REASON, sender=stranger)


# ---------------------------------------------------------------- wrong states


class TestRefused:
    """Every lot status but SHIPPED, unknown lots and orders (see `staged`)."""

    @pytest.mark.parametrize("status", ["disputed", "released", "confirmed", "resolved", "received"])
    @pytest.mark.parametrize("disputer_name", ["buyer", "inspector"])
    def test_dispute__lot_not_shipped__reverts(self, escrow, staged, request, status, disputer_name):
        order_id = staged["order"]
        lot, value = STAGED_LOTS[status]
        deadline_before = escrow.get_lot(order_id, lot).arbitration_deadline
        with ape.reverts("escrow: lot not shipped"):
            escrow.dispute(order_id, lot, REASON, sender=request.getfixturevalue(disputer_name))
        assert escrow.get_lot(order_id, lot).status == value
        assert escrow.get_lot(order_id, lot).arbitration_deadline == deadline_before

    @pytest.mark.parametrize("lot", [0, 7])
    def test_dispute__unknown_lot__reverts(self, escrow, staged, buyer, lot):
        with ape.reverts("escrow: unknown lot"):
            escrow.dispute(staged["order"], lot, REASON, sender=buyer)

    @pytest.mark.parametrize("which", ["declined", "refunded"])
    def test_dispute__order_without_lots__unknown_lot(self, escrow, staged, buyer, which):
        with ape.reverts("escrow: unknown lot"):
            escrow.dispute(staged[which], 1, REASON, sender=buyer)

    def test_dispute__unknown_order__reverts(self, escrow, staged, buyer):
        for order_id in (0, escrow.order_count() + 1):
            with ape.reverts("escrow: unknown order"):
                escrow.dispute(order_id, 1, REASON, sender=buyer)

    def test_dispute__shipped_lot__control(self, escrow, staged, inspector):
        lot, _ = STAGED_LOTS["shipped"]
        escrow.dispute(staged["order"], lot, REASON, sender=inspector)
        assert escrow.get_lot(staged["order"], lot).status == LOT["DISPUTED"]


def test_dispute__disputed_lot__cannot_be_confirmed_or_released(escrow, make_order, buyer, stranger, chain):
    order_id = make_order(quantity=4, stage="disputed")
    with ape.reverts("escrow: lot not shipped"):
        escrow.confirm_delivery(order_id, 1, h("GRN"), sender=buyer)
    chain.pending_timestamp = escrow.deadlines(order_id, 1)[2] + 1
    with ape.reverts("escrow: lot not shipped"):
        escrow.release(order_id, 1, sender=stranger)
    assert escrow.balance == 4 * UNIT_PRICE
