"""receive_goods: the buyer or inspector accepts goods in hand; a COMPLETED lot, paid at once, no penalty."""

import ape
import pytest

from conftest import DAY, GRACE, LOT, PART_ID, UNIT_PRICE, ZERO, h
from _escrow_support import expected_paid_events, own_events
from _escrow_support import session_state_first  # noqa: F401  (fixture)
from _lot_support import ASN, OUTSIDERS, Balances, lot_of, settlement_deltas

GR = h("GR-2026-0815")
PAYEES_SPEC = [("sub1", 2_500), ("sub2", 1)]


def payees_of(request):
    return [(request.getfixturevalue(name), bps) for name, bps in PAYEES_SPEC]


@pytest.mark.parametrize("receiver_name", ["buyer", "inspector"])
def test_receive_goods__by_buyer_or_inspector__completed_lot_paid_at_once(
    escrow, make_order, money, buyer, supplier, sub1, sub2, inspector, request, chain, receiver_name
):
    payees = payees_of(request)
    receiver = request.getfixturevalue(receiver_name)
    order_id = make_order(money=money, quantity=1_000, payees=payees)
    balances = Balances.of(money, [buyer, supplier, sub1, sub2, inspector, escrow])
    value = 333 * UNIT_PRICE

    tx = escrow.receive_goods(order_id, 333, GR, sender=receiver)

    assert tx.return_value == 1
    assert own_events(tx, escrow) == [
        escrow.GoodsReceived(
            order_id=order_id, lot=1, quantity=333, value=value, penalty_bps=0, receiver=receiver, receipt_hash=GR
        ),
        *expected_paid_events(escrow, order_id, money.address, payees, supplier, buyer, value, value, 0),
    ]
    balances.expect(
        tx,
        settlement_deltas(escrow=escrow, buyer=buyer, holder=supplier, payees=payees, value=value, supplier_side=value, penalty_bps=0),
    )
    assert money.balance(escrow) == 667 * UNIT_PRICE
    assert lot_of(escrow, order_id, 1) == {
        "quantity": 333,
        "value": value,
        "penalty_bps": 0,
        "shipment_hash": b"\x00" * 32,
        "shipped_at": tx.timestamp,
        "arbitration_deadline": 0,
        "status": LOT["COMPLETED"],
    }
    order = escrow.get_order(order_id)
    assert (order.units_shipped, order.lot_count, order.units_refunded) == (333, 1, 0)
    assert escrow.deadlines(order_id, 1) == (order.ship_by, order.ship_by + GRACE, 0, 0)


def test_receive_goods__late_within_grace__no_penalty(escrow, make_order, money, buyer, supplier, sub1, chain):
    payees = [(sub1, 4_000)]
    order_id = make_order(money=money, quantity=10, payees=payees, grace_period=GRACE, penalty_bps_per_day=500)
    ship_by = escrow.get_order(order_id).ship_by
    balances = Balances.of(money, [buyer, supplier, sub1, escrow])
    chain.pending_timestamp = ship_by + 4 * DAY + 1  # five started days late: 2 500 bps had it been shipped

    tx = escrow.receive_goods(order_id, 10, GR, sender=buyer)

    value = 10 * UNIT_PRICE
    assert own_events(tx, escrow)[0] == escrow.GoodsReceived(
        order_id=order_id, lot=1, quantity=10, value=value, penalty_bps=0, receiver=buyer, receipt_hash=GR
    )
    balances.expect(
        tx,
        settlement_deltas(escrow=escrow, buyer=buyer, holder=supplier, payees=payees, value=value, supplier_side=value, penalty_bps=0),
    )
    assert escrow.get_lot(order_id, 1).penalty_bps == 0
    assert money.balance(escrow) == 0


def test_receive_goods__assigned_order__remainder_to_assignee_subcontractors_untouched(
    escrow, make_order, money, buyer, supplier, sub1, sub2, stranger, inspector
):
    payees = [(sub1, 1_000), (sub2, 2_000)]
    order_id = make_order(money=money, quantity=10, payees=payees)
    escrow.assign_payout(order_id, stranger, sender=supplier)
    balances = Balances.of(money, [buyer, supplier, sub1, sub2, stranger, escrow])

    tx = escrow.receive_goods(order_id, 4, GR, sender=inspector)

    value = 4 * UNIT_PRICE
    assert own_events(tx, escrow) == [
        escrow.GoodsReceived(order_id=order_id, lot=1, quantity=4, value=value, penalty_bps=0, receiver=inspector, receipt_hash=GR),
        *expected_paid_events(escrow, order_id, money.address, payees, stranger, buyer, value, value, 0),
    ]
    balances.expect(
        tx,
        settlement_deltas(escrow=escrow, buyer=buyer, holder=stranger, payees=payees, value=value, supplier_side=value, penalty_bps=0),
    )


def test_receive_goods__buyer_as_assignee__buyer_gets_the_remainder(escrow, make_order, buyer, supplier, sub1, eth):
    payees = [(sub1, 3_000)]
    order_id = make_order(quantity=10, payees=payees)
    escrow.assign_payout(order_id, buyer, sender=supplier)
    balances = Balances.of(eth, [buyer, supplier, sub1, escrow])
    tx = escrow.receive_goods(order_id, 10, GR, sender=buyer)
    value = 10 * UNIT_PRICE
    balances.expect(tx, {sub1: value * 3_000 // 10_000, buyer: value - value * 3_000 // 10_000, escrow: -value})


def test_receive_goods__zero_shares_skipped__no_event_for_them(escrow, make_order, buyer, supplier, sub1, sub2):
    payees = [(sub1, 1), (sub2, 9_999)]
    order_id = make_order(quantity=3, unit_price=1, payees=payees)
    tx = escrow.receive_goods(order_id, 3, GR, sender=buyer)
    # 3 * 1 // 10 000 = 0 for sub1; 3 * 9 999 // 10 000 = 2 for sub2; the supplier keeps the dust 1.
    assert own_events(tx, escrow) == [
        escrow.GoodsReceived(order_id=order_id, lot=1, quantity=3, value=3, penalty_bps=0, receiver=buyer, receipt_hash=GR),
        escrow.Paid(order_id=order_id, payee=sub2, token=ZERO, amount=2),
        escrow.Paid(order_id=order_id, payee=supplier, token=ZERO, amount=1),
    ]


def test_receive_goods__several_lots_mixed_with_shipping__sum_to_quantity(escrow, make_order, money, buyer, supplier, inspector):
    order_id = make_order(money=money, quantity=10)
    assert escrow.receive_goods(order_id, 4, GR, sender=buyer).return_value == 1
    assert escrow.ship(order_id, 3, ASN, sender=supplier).return_value == 2
    assert escrow.receive_goods(order_id, 3, h("GR-3"), sender=inspector).return_value == 3
    with ape.reverts("escrow: quantity above open units"):
        escrow.receive_goods(order_id, 1, h("GR-4"), sender=buyer)
    assert escrow.get_order(order_id).units_shipped == 10
    assert money.balance(escrow) == 3 * UNIT_PRICE  # lot 2 still in review


def test_receive_goods__agreement_closed_or_paused__still_allowed(escrow, make_order, admin, buyer):
    order_id = make_order(quantity=4)
    escrow.close_agreement(escrow.get_order(order_id).agreement_id, sender=buyer)
    escrow.pause(sender=admin)
    assert escrow.receive_goods(order_id, 4, GR, sender=buyer).return_value == 1


# ---------------------------------------------------------------- no certification check


def test_receive_goods__certification_revoked__still_allowed(escrow, registry, make_order, certifier, buyer, supplier):
    order_id = make_order(quantity=4)
    registry.revoke_certification(PART_ID, 1, supplier, sender=certifier)
    tx = escrow.receive_goods(order_id, 4, GR, sender=buyer)
    assert escrow.get_lot(order_id, 1).status == LOT["COMPLETED"]
    assert tx.events.filter(escrow.Paid)[-1].payee == supplier.address


def test_receive_goods__certification_expired_and_access_revoked__still_allowed(
    escrow, registry, make_order, certifier, oem, inspector, supplier, chain
):
    order_id = make_order(quantity=4)
    registry.certify(PART_ID, 1, supplier, chain.pending_timestamp + 60, h("short"), sender=certifier)
    registry.revoke_access(PART_ID, supplier, sender=oem)
    chain.pending_timestamp += 120
    escrow.receive_goods(order_id, 4, GR, sender=inspector)
    assert escrow.get_lot(order_id, 1).status == LOT["COMPLETED"]


# ---------------------------------------------------------------- wrong callers


@pytest.mark.parametrize("caller", ["supplier", "sub1", *OUTSIDERS])
def test_receive_goods__not_buyer_or_inspector__reverts(escrow, make_order, money, sub1, request, caller):
    order_id = make_order(money=money, quantity=4, payees=[(sub1, 1_000)])
    balance = money.balance(escrow)
    with ape.reverts("escrow: not buyer or inspector"):
        escrow.receive_goods(order_id, 4, GR, sender=request.getfixturevalue(caller))
    assert money.balance(escrow) == balance
    assert escrow.get_order(order_id).units_shipped == 0


def test_receive_goods__no_inspector_named__inspector_account_reverts(escrow, make_order, inspector):
    order_id = make_order(quantity=4, inspector=None)
    with ape.reverts("escrow: not buyer or inspector"):
        escrow.receive_goods(order_id, 4, GR, sender=inspector)


def test_receive_goods__assignee__reverts(escrow, make_order, supplier, stranger):
    order_id = make_order(quantity=4)
    escrow.assign_payout(order_id, stranger, sender=supplier)
    with ape.reverts("escrow: not buyer or inspector"):
        escrow.receive_goods(order_id, 4, GR, sender=stranger)


# ---------------------------------------------------------------- wrong states, quantities, window


def test_receive_goods__unknown_order__reverts(escrow, make_order, buyer):
    order_id = make_order(quantity=4)
    for unknown in (0, order_id + 1):
        with ape.reverts("escrow: unknown order"):
            escrow.receive_goods(unknown, 1, GR, sender=buyer)


def test_receive_goods__declined_order__reverts(escrow, make_order, buyer, supplier):
    order_id = make_order(quantity=4)
    escrow.decline_order(order_id, sender=supplier)
    with ape.reverts("escrow: order declined"):
        escrow.receive_goods(order_id, 4, GR, sender=buyer)


def test_receive_goods__zero_quantity__reverts(escrow, make_order, buyer):
    order_id = make_order(quantity=4)
    with ape.reverts("escrow: zero quantity"):
        escrow.receive_goods(order_id, 0, GR, sender=buyer)


@pytest.mark.parametrize("shipped", [0, 3, 4])
def test_receive_goods__above_open_units__reverts(escrow, make_order, buyer, supplier, shipped):
    order_id = make_order(quantity=4)
    if shipped:
        escrow.ship(order_id, shipped, ASN, sender=supplier)
    with ape.reverts("escrow: quantity above open units"):
        escrow.receive_goods(order_id, 4 - shipped + 1, GR, sender=buyer)


def test_receive_goods__after_refund__nothing_open_reverts(escrow, make_order, buyer, supplier, stranger, chain):
    order_id = make_order(quantity=4)
    escrow.ship(order_id, 1, ASN, sender=supplier)
    chain.pending_timestamp = escrow.deadlines(order_id, 0)[1] + 1
    escrow.refund_expired(order_id, sender=stranger)
    with ape.reverts("escrow: quantity above open units"):
        escrow.receive_goods(order_id, 1, GR, sender=buyer)


def test_receive_goods__window_end_to_the_second__at_allowed_after_closed(escrow, make_order, money, buyer, supplier, chain):
    order_id = make_order(money=money, quantity=4)
    window_end = escrow.deadlines(order_id, 0)[1]
    with chain.isolate():
        chain.pending_timestamp = window_end + 1
        with ape.reverts("escrow: shipping window closed"):
            escrow.receive_goods(order_id, 4, GR, sender=buyer)
        assert money.balance(escrow) == 4 * UNIT_PRICE
    chain.pending_timestamp = window_end
    tx = escrow.receive_goods(order_id, 4, GR, sender=buyer)
    assert tx.timestamp == window_end
    assert escrow.get_lot(order_id, 1).penalty_bps == 0
    assert money.balance(escrow) == 0
