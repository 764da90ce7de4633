"""resolve_expired: once the arbitration deadline fixed at dispute time has passed, anyone splits 50/50."""

import ape
import pytest

from conftest import DAY, LOT, UNIT_PRICE
from _escrow_support import ARBITRATION_DEFAULT, expected_paid_events, own_events
from _escrow_support import session_state_first  # noqa: F401  (fixture)
from _lot_support import ASN, ASN_2, REASON, STAGED_LOTS, Balances, settlement_deltas, staged  # noqa: F401  (fixture)

QUANTITY = 431
VALUE = QUANTITY * UNIT_PRICE


@pytest.mark.parametrize("caller_name", ["stranger", "buyer", "supplier", "arbiter"])
def test_resolve_expired__after_deadline__fifty_fifty_to_the_wei(
    escrow, make_order, money, buyer, supplier, sub1, sub2, stranger, arbiter, chain, request, caller_name
):
    payees = [(sub1, 2_500), (sub2, 1)]
    order_id = make_order(money=money, quantity=QUANTITY, payees=payees, stage="disputed")
    deadline = escrow.get_lot(order_id, 1).arbitration_deadline
    balances = Balances.of(money, [buyer, supplier, sub1, sub2, stranger, arbiter, escrow])
    chain.pending_timestamp = deadline + 1

    tx = escrow.resolve_expired(order_id, 1, sender=request.getfixturevalue(caller_name))

    side = VALUE * 5_000 // 10_000
    assert own_events(tx, escrow) == [
        escrow.DisputeResolved(order_id=order_id, lot=1, supplier_bps=5_000),
        *expected_paid_events(escrow, order_id, money.address, payees, supplier, buyer, VALUE, side, 0),
    ]
    balances.expect(
        tx, settlement_deltas(escrow=escrow, buyer=buyer, holder=supplier, payees=payees, value=VALUE, supplier_side=side, penalty_bps=0)
    )
    assert escrow.get_lot(order_id, 1).status == LOT["RESOLVED"]
    assert money.balance(escrow) == 0


def test_resolve_expired__odd_value__buyer_gets_the_odd_wei(escrow, make_order, eth, buyer, supplier, sub1, stranger, chain):
    payees = [(sub1, 3_333)]
    order_id = make_order(quantity=3, unit_price=3, payees=payees, stage="disputed")  # V = 9: S = 4, buyer 5
    chain.pending_timestamp = escrow.get_lot(order_id, 1).arbitration_deadline + 1
    balances = Balances.of(eth, [buyer, supplier, sub1, escrow])
    tx = escrow.resolve_expired(order_id, 1, sender=stranger)
    # sub1: 4 * 3 333 // 10 000 = 1; supplier: 3; buyer: 5.
    assert own_events(tx, escrow)[1:] == [
        escrow.Paid(order_id=order_id, payee=sub1, token=eth.address, amount=1),
        escrow.Paid(order_id=order_id, payee=supplier, token=eth.address, amount=3),
        escrow.Paid(order_id=order_id, payee=buyer, token=eth.address, amount=5),
    ]
    balances.expect(tx, {sub1: 1, supplier: 3, buyer: 5, escrow: -9})


def test_resolve_expired__late_lot__penalty_still_paid(escrow, make_order, money, buyer, supplier, sub1, stranger, chain):
    payees = [(sub1, 1_000)]
    order_id = make_order(money=money, quantity=QUANTITY, payees=payees, penalty_bps_per_day=400, penalty_cap_bps=1_000)
    chain.pending_timestamp = escrow.get_order(order_id).ship_by + 2 * DAY  # 800 bps
    escrow.ship(order_id, QUANTITY, ASN, sender=supplier)
    escrow.dispute(order_id, 1, REASON, sender=buyer)
    chain.pending_timestamp = escrow.get_lot(order_id, 1).arbitration_deadline + 1
    balances = Balances.of(money, [buyer, supplier, sub1, escrow])

    tx = escrow.resolve_expired(order_id, 1, sender=stranger)

    side = VALUE // 2
    assert own_events(tx, escrow)[1:] == expected_paid_events(escrow, order_id, money.address, payees, supplier, buyer, VALUE, side, 800)
    balances.expect(
        tx, settlement_deltas(escrow=escrow, buyer=buyer, holder=supplier, payees=payees, value=VALUE, supplier_side=side, penalty_bps=800)
    )


def test_resolve_expired__assigned_order__remainder_to_assignee(escrow, make_order, money, buyer, supplier, sub1, admin, stranger, chain):
    payees = [(sub1, 4_000)]
    order_id = make_order(money=money, quantity=QUANTITY, payees=payees, stage="disputed")
    escrow.assign_payout(order_id, admin, sender=supplier)
    chain.pending_timestamp = escrow.get_lot(order_id, 1).arbitration_deadline + 1
    balances = Balances.of(money, [buyer, supplier, sub1, admin, escrow])
    tx = escrow.resolve_expired(order_id, 1, sender=stranger)
    side = VALUE // 2
    assert own_events(tx, escrow)[1:] == expected_paid_events(escrow, order_id, money.address, payees, admin, buyer, VALUE, side, 0)
    balances.expect(
        tx, settlement_deltas(escrow=escrow, buyer=buyer, holder=admin, payees=payees, value=VALUE, supplier_side=side, penalty_bps=0)
    )


# ---------------------------------------------------------------- the deadline, fixed at dispute time


def test_resolve_expired__deadline_to_the_second__at_refused_after_allowed(escrow, make_order, money, stranger, chain):
    order_id = make_order(money=money, quantity=4, stage="disputed")
    deadline = escrow.get_lot(order_id, 1).arbitration_deadline
    assert escrow.deadlines(order_id, 1)[3] == deadline
    chain.pending_timestamp = deadline
    with ape.reverts("escrow: arbitration running"):
        escrow.resolve_expired(order_id, 1, sender=stranger)
    assert escrow.get_lot(order_id, 1).status == LOT["DISPUTED"]
    assert money.balance(escrow) == 4 * UNIT_PRICE
    chain.pending_timestamp = deadline + 1
    tx = escrow.resolve_expired(order_id, 1, sender=stranger)
    assert tx.timestamp == deadline + 1
    assert money.balance(escrow) == 0


@pytest.mark.parametrize("new_timeout", [3_600, 365 * DAY])
def test_resolve_expired__timeout_changed_after_dispute__deadline_does_not_move(escrow, make_order, admin, stranger, chain, new_timeout):
    order_id = make_order(quantity=4, stage="disputed")
    deadline = escrow.get_lot(order_id, 1).arbitration_deadline
    disputed_at = deadline - ARBITRATION_DEFAULT
    escrow.set_arbitration_timeout(new_timeout, sender=admin)
    assert escrow.get_lot(order_id, 1).arbitration_deadline == deadline
    if new_timeout < ARBITRATION_DEFAULT:
        chain.pending_timestamp = disputed_at + new_timeout + 1  # past the new timeout, not the fixed one
    else:
        chain.pending_timestamp = deadline
    with ape.reverts("escrow: arbitration running"):
        escrow.resolve_expired(order_id, 1, sender=stranger)
    chain.pending_timestamp = deadline + 1
    escrow.resolve_expired(order_id, 1, sender=stranger)
    assert escrow.get_lot(order_id, 1).status == LOT["RESOLVED"]


def test_resolve_expired__short_timeout_set_before_dispute__both_sides(escrow, make_order, admin, buyer, supplier, stranger, chain):
    order_id = make_order(quantity=4)
    escrow.set_arbitration_timeout(3_600, sender=admin)
    escrow.ship(order_id, 4, ASN_2, sender=supplier)
    tx = escrow.dispute(order_id, 1, REASON, sender=buyer)
    deadline = tx.timestamp + 3_600
    assert escrow.get_lot(order_id, 1).arbitration_deadline == deadline
    chain.pending_timestamp = deadline
    with ape.reverts("escrow: arbitration running"):
        escrow.resolve_expired(order_id, 1, sender=stranger)
    chain.pending_timestamp = deadline + 1
    escrow.resolve_expired(order_id, 1, sender=stranger)


def test_resolve_expired__twice__second_reverts(escrow, make_order, money, stranger, chain):
    order_id = make_order(money=money, quantity=4, stage="disputed")
    chain.pending_timestamp = escrow.get_lot(order_id, 1).arbitration_deadline + 1
    escrow.resolve_expired(order_id, 1, sender=stranger)
    with ape.reverts("escrow: lot not disputed"):
        escrow.resolve_expired(order_id, 1, sender=stranger)
    assert money.balance(escrow) == 0


def test_resolve_expired__after_arbiter_ruled__reverts(escrow, make_order, arbiter, stranger, chain):
    order_id = make_order(quantity=4, stage="disputed")
    escrow.resolve(order_id, 1, 10_000, sender=arbiter)
    chain.pending_timestamp = escrow.get_lot(order_id, 1).arbitration_deadline + 1
    with ape.reverts("escrow: lot not disputed"):
        escrow.resolve_expired(order_id, 1, sender=stranger)


# ---------------------------------------------------------------- wrong states


class TestRefused:
    """Every lot status but DISPUTED with every clock run out; unknown lots and orders (see `staged`)."""

    @pytest.mark.parametrize("status", ["shipped", "released", "confirmed", "resolved", "received"])
    def test_resolve_expired__lot_not_disputed__reverts(self, escrow, staged, stranger, chain, status):
        order_id = staged["order"]
        lot, value = STAGED_LOTS[status]
        chain.pending_timestamp += 400 * DAY
        balance = escrow.balance
        with ape.reverts("escrow: lot not disputed"):
            escrow.resolve_expired(order_id, lot, sender=stranger)
        assert escrow.get_lot(order_id, lot).status == value
        assert escrow.balance == balance

    @pytest.mark.parametrize("lot", [0, 7])
    def test_resolve_expired__unknown_lot__reverts(self, escrow, staged, stranger, lot):
        with ape.reverts("escrow: unknown lot"):
            escrow.resolve_expired(staged["order"], lot, sender=stranger)

    @pytest.mark.parametrize("which", ["declined", "refunded"])
    def test_resolve_expired__order_without_lots__unknown_lot(self, escrow, staged, stranger, chain, which):
        chain.pending_timestamp += 400 * DAY
        with ape.reverts("escrow: unknown lot"):
            escrow.resolve_expired(staged[which], 1, sender=stranger)

    def test_resolve_expired__unknown_order__reverts(self, escrow, staged, stranger):
        for order_id in (0, escrow.order_count() + 1):
            with ape.reverts("escrow: unknown order"):
                escrow.resolve_expired(order_id, 1, sender=stranger)

    def test_resolve_expired__disputed_lot_in_arbitration__reverts(self, escrow, staged, stranger):
        lot, _ = STAGED_LOTS["disputed"]
        with ape.reverts("escrow: arbitration running"):
            escrow.resolve_expired(staged["order"], lot, sender=stranger)
