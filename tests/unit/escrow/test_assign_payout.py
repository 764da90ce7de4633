"""assign_payout: the holder sells the supplier's remainder; payees untouched; forbidden assignees refused."""

import ape
import pytest

from conftest import DAY, UNIT_PRICE, ZERO, addr_of, h
from _escrow_support import eth_fees, expected_paid_events, own_events, pin_at
from _escrow_support import session_state_first  # noqa: F401  (fixtures)

ASN = h("ASN-1")
GRN = h("GRN")
DEAD = "0x000000000000000000000000000000000000dEaD"


# ---------------------------------------------------------------- success


def test_assign_payout__supplier_to_bank__logged_and_holder_changes(escrow, make_order, supplier, stranger):
    order_id = make_order(quantity=10)
    before = escrow.get_order(order_id)

    tx = escrow.assign_payout(order_id, stranger, sender=supplier)

    assert own_events(tx, escrow) == [
        escrow.PayoutAssigned(order_id=order_id, previous=supplier.address, assignee=stranger.address)
    ]
    after = escrow.get_order(order_id)
    assert after.payout_holder == stranger.address
    assert after.supplier == supplier.address  # the supplier stays the supplier: it still ships
    assert (after.quantity, after.amount, after.ship_by, after.declined) == (
        before.quantity, before.amount, before.ship_by, False
    )


def test_assign_payout__moves_no_money(escrow, make_order, money, supplier, stranger, buyer):
    order_id = make_order(money=money, quantity=10)
    before = {a: money.balance(a) for a in (escrow, stranger, buyer)}
    supplier_before = money.balance(supplier)

    tx = escrow.assign_payout(order_id, stranger, sender=supplier)

    assert {a: money.balance(a) for a in (escrow, stranger, buyer)} == before
    assert money.balance(supplier) == supplier_before - eth_fees(tx, money)


def test_assign_payout__assignee_reassigns_onwards(escrow, make_order, supplier, stranger, oem):
    order_id = make_order(quantity=10)
    escrow.assign_payout(order_id, stranger, sender=supplier)

    tx = escrow.assign_payout(order_id, oem, sender=stranger)

    assert own_events(tx, escrow) == [
        escrow.PayoutAssigned(order_id=order_id, previous=stranger.address, assignee=oem.address)
    ]
    assert escrow.get_order(order_id).payout_holder == oem.address
    with ape.reverts("escrow: not payout holder"):
        escrow.assign_payout(order_id, DEAD, sender=stranger)


def test_assign_payout__back_to_the_supplier__allowed(escrow, make_order, supplier, stranger, oem):
    order_id = make_order(quantity=10)
    escrow.assign_payout(order_id, stranger, sender=supplier)
    tx = escrow.assign_payout(order_id, supplier, sender=stranger)
    assert own_events(tx, escrow) == [
        escrow.PayoutAssigned(order_id=order_id, previous=stranger.address, assignee=supplier.address)
    ]
    assert escrow.get_order(order_id).payout_holder == supplier.address
    # Holding it again, the supplier may sell it again.
    escrow.assign_payout(order_id, oem, sender=supplier)
    assert escrow.get_order(order_id).payout_holder == oem.address


def test_assign_payout__buyer_as_assignee__allowed(escrow, make_order, buyer, supplier):
    # Reverse factoring: the buyer buys its supplier's receivable.
    order_id = make_order(quantity=10)
    escrow.assign_payout(order_id, buyer, sender=supplier)
    assert escrow.get_order(order_id).payout_holder == buyer.address


@pytest.mark.parametrize("assignee_name", ["arbiter", "oem", "admin", "certifier"])
def test_assign_payout__outsiders_as_assignee__allowed(escrow, make_order, supplier, request, assignee_name):
    assignee = request.getfixturevalue(assignee_name)
    order_id = make_order(quantity=10)
    escrow.assign_payout(order_id, assignee, sender=supplier)
    assert escrow.get_order(order_id).payout_holder == assignee.address


def test_assign_payout__inspector_account_when_agreement_has_none__allowed(escrow, make_order, supplier, inspector):
    order_id = make_order(quantity=10, inspector=None)
    escrow.assign_payout(order_id, inspector, sender=supplier)
    assert escrow.get_order(order_id).payout_holder == inspector.address


def test_assign_payout__only_this_order(escrow, make_agreement, make_order, supplier, stranger):
    agreement_id = make_agreement()
    first = make_order(agreement_id=agreement_id, quantity=10)
    second = make_order(agreement_id=agreement_id, quantity=10)
    escrow.assign_payout(first, stranger, sender=supplier)
    assert escrow.get_order(second).payout_holder == supplier.address


def test_assign_payout__while_paused__allowed(escrow, make_order, supplier, stranger, admin):
    order_id = make_order(quantity=10)
    escrow.pause(sender=admin)
    escrow.assign_payout(order_id, stranger, sender=supplier)
    assert escrow.get_order(order_id).payout_holder == stranger.address


@pytest.mark.parametrize("stage", ["shipped", "disputed", "received"])
def test_assign_payout__order_under_way__allowed(escrow, make_order, supplier, stranger, stage):
    order_id = make_order(quantity=10, stage=stage, lot_quantity=4)
    escrow.assign_payout(order_id, stranger, sender=supplier)
    assert escrow.get_order(order_id).payout_holder == stranger.address


# ---------------------------------------------------------------- the money follows the assignment


def test_assign_payout__later_settlement__remainder_to_assignee_payees_untouched(
    escrow, make_order, money, buyer, supplier, sub1, sub2, stranger
):
    payees = [(sub1, 1_000), (sub2, 333)]
    order_id = make_order(money=money, quantity=7, stage="shipped", payees=payees)
    escrow.assign_payout(order_id, stranger, sender=supplier)
    before = {a: money.balance(a) for a in (escrow, supplier, stranger, sub1, sub2)}

    tx = escrow.confirm_delivery(order_id, 1, GRN, sender=buyer)

    value = 7 * UNIT_PRICE
    assert own_events(tx, escrow) == [
        escrow.DeliveryConfirmed(order_id=order_id, lot=1, confirmer=buyer.address, receipt_hash=GRN)
    ] + expected_paid_events(escrow, order_id, money, payees, stranger, buyer, value, value, 0)
    to_sub1, to_sub2 = value * 1_000 // 10_000, value * 333 // 10_000
    assert money.balance(sub1) == before[sub1] + to_sub1
    assert money.balance(sub2) == before[sub2] + to_sub2
    assert money.balance(stranger) == before[stranger] + value - to_sub1 - to_sub2
    assert money.balance(supplier) == before[supplier]
    assert money.balance(escrow) == before[escrow] - value == 0


def test_assign_payout__settled_lots_before_assignment_stay_with_supplier(
    escrow, make_order, money, supplier, stranger, inspector
):
    order_id = make_order(money=money, quantity=10)
    supplier_before = money.balance(supplier)
    escrow.receive_goods(order_id, 4, GRN, sender=inspector)
    assert money.balance(supplier) == supplier_before + 4 * UNIT_PRICE

    escrow.assign_payout(order_id, stranger, sender=supplier)
    supplier_before, stranger_before = money.balance(supplier), money.balance(stranger)
    escrow.receive_goods(order_id, 6, GRN, sender=inspector)

    assert money.balance(stranger) == stranger_before + 6 * UNIT_PRICE
    assert money.balance(supplier) == supplier_before
    assert money.balance(escrow) == 0


def test_assign_payout__late_lot__penalty_still_to_buyer_rest_to_assignee(
    escrow, make_order, money, buyer, supplier, sub1, stranger, inspector, chain
):
    payees = [(sub1, 2_000)]
    order_id = make_order(money=money, quantity=10, payees=payees)
    escrow.assign_payout(order_id, stranger, sender=supplier)
    ship_by = escrow.get_order(order_id).ship_by
    pin_at(chain, ship_by + DAY + 1)  # two started days late: 200 bps
    escrow.ship(order_id, 10, ASN, sender=supplier)
    assert escrow.get_lot(order_id, 1).penalty_bps == 200
    before = {a: money.balance(a) for a in (buyer, stranger, sub1)}

    tx = escrow.confirm_delivery(order_id, 1, GRN, sender=inspector)  # the buyer pays no gas here

    value = 10 * UNIT_PRICE
    assert own_events(tx, escrow)[1:] == expected_paid_events(
        escrow, order_id, money, payees, stranger, buyer, value, value, 200
    )
    assert money.balance(sub1) == before[sub1] + value * 2_000 // 10_000
    assert money.balance(stranger) == before[stranger] + value * 8_000 // 10_000 - value * 200 // 10_000
    assert money.balance(buyer) == before[buyer] + value * 200 // 10_000


def test_assign_payout__resolution__assignee_gets_remainder_of_supplier_side(
    escrow, make_order, money, buyer, supplier, sub1, stranger, arbiter
):
    payees = [(sub1, 2_500)]
    order_id = make_order(money=money, quantity=9, stage="disputed", payees=payees)
    escrow.assign_payout(order_id, stranger, sender=supplier)

    tx = escrow.resolve(order_id, 1, 6_000, sender=arbiter)

    value = 9 * UNIT_PRICE
    side = value * 6_000 // 10_000
    assert own_events(tx, escrow)[1:] == expected_paid_events(
        escrow, order_id, money, payees, stranger, buyer, value, side, 0
    )


def test_assign_payout__assignee_as_arbiter__cannot_resolve(escrow, make_order, supplier, arbiter):
    order_id = make_order(quantity=9, stage="disputed")
    escrow.assign_payout(order_id, arbiter, sender=supplier)
    with ape.reverts("escrow: arbiter is a party"):
        escrow.resolve(order_id, 1, 5_000, sender=arbiter)


# ---------------------------------------------------------------- wrong caller, wrong state


@pytest.mark.parametrize("caller_name", ["buyer", "stranger", "inspector", "arbiter", "sub1", "oem", "admin"])
def test_assign_payout__not_holder__reverts(escrow, make_order, sub1, oem, request, caller_name):
    order_id = make_order(quantity=10, payees=[(sub1, 100)])
    caller = request.getfixturevalue(caller_name)
    target = oem if caller_name != "oem" else request.getfixturevalue("certifier")
    with ape.reverts("escrow: not payout holder"):
        escrow.assign_payout(order_id, target, sender=caller)
    assert escrow.get_order(order_id).payout_holder == escrow.get_order(order_id).supplier


def test_assign_payout__supplier_after_assigning__reverts(escrow, make_order, supplier, stranger, oem):
    order_id = make_order(quantity=10)
    escrow.assign_payout(order_id, stranger, sender=supplier)
    with ape.reverts("escrow: not payout holder"):
        escrow.assign_payout(order_id, oem, sender=supplier)


@pytest.mark.parametrize("order_id", [0, 2, 2**256 - 1])
def test_assign_payout__unknown_order__reverts(escrow, make_order, supplier, stranger, order_id):
    make_order(quantity=10)
    with ape.reverts("escrow: unknown order"):
        escrow.assign_payout(order_id, stranger, sender=supplier)


def test_assign_payout__declined_order__reverts(escrow, make_order, supplier, stranger):
    order_id = make_order(quantity=10)
    escrow.decline_order(order_id, sender=supplier)
    with ape.reverts("escrow: order declined"):
        escrow.assign_payout(order_id, stranger, sender=supplier)
    assert escrow.get_order(order_id).payout_holder == escrow.get_order(order_id).supplier


def test_assign_payout__zero_assignee__reverts(escrow, make_order, supplier):
    order_id = make_order(quantity=10)
    with ape.reverts("escrow: zero assignee"):
        escrow.assign_payout(order_id, ZERO, sender=supplier)


def test_assign_payout__to_current_holder__reverts(escrow, make_order, supplier, stranger):
    order_id = make_order(quantity=10)
    with ape.reverts("escrow: already payout holder"):
        escrow.assign_payout(order_id, supplier, sender=supplier)
    escrow.assign_payout(order_id, stranger, sender=supplier)
    with ape.reverts("escrow: already payout holder"):
        escrow.assign_payout(order_id, stranger, sender=stranger)


@pytest.mark.parametrize("who", ["escrow", "inspector", "sub1", "sub2"])
def test_assign_payout__forbidden_assignee__reverts(escrow, make_order, supplier, request, who):
    payees = [(request.getfixturevalue("sub1"), 100), (request.getfixturevalue("sub2"), 200)]
    order_id = make_order(quantity=10, payees=payees)
    with ape.reverts("escrow: forbidden assignee"):
        escrow.assign_payout(order_id, addr_of(request.getfixturevalue(who)), sender=supplier)
    assert escrow.get_order(order_id).payout_holder == escrow.get_order(order_id).supplier


@pytest.mark.parametrize("who", ["escrow", "inspector", "sub1"])
def test_assign_payout__forbidden_assignee_for_later_holder_too__reverts(
    escrow, make_order, supplier, stranger, request, who
):
    order_id = make_order(quantity=10, payees=[(request.getfixturevalue("sub1"), 100)])
    escrow.assign_payout(order_id, stranger, sender=supplier)
    with ape.reverts("escrow: forbidden assignee"):
        escrow.assign_payout(order_id, addr_of(request.getfixturevalue(who)), sender=stranger)

